/* text.c: see text.h. One decoder of UTF-8 and one rule of which
 * characters are dangerous, shared by the check, the escapes and the
 * authoring policy. */
#include "text.h"
#include "err.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The length (1 to 4) of the valid UTF-8 sequence at p, its code point in
 * *cp; 0 when p does not start one (a stray byte, an overlong form, a
 * surrogate, past U+10FFFF, or cut short, also by the NUL). */
static size_t decode(const unsigned char *p, uint32_t *cp)
{
	unsigned c = p[0], min;
	size_t len;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, *cp = c & 0x1f, min = 0x80;
	else if ((c & 0xf0) == 0xe0)
		len = 3, *cp = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, *cp = c & 0x07, min = 0x10000;
	else
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		*cp = *cp << 6 | (p[i] & 0x3f);
	}
	if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return len;
}

enum danger { SAFE, CONTROL, BIDI, SEPARATOR };

/* The one rule (text.h): which characters could drive a terminal, forge a
 * line or reorder what people read. */
static enum danger danger(uint32_t cp)
{
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
		return CONTROL;
	if (cp == 0x2028 || cp == 0x2029)
		return SEPARATOR;
	if (cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069))
		return BIDI;
	return SAFE;
}

bool text_utf8(const char *s, size_t *bad)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	while (*p) {
		size_t len = decode(p, &cp);
		if (!len) {
			if (bad)
				*bad = (size_t)(p - (const unsigned char *)s);
			return false;
		}
		p += len;
	}
	return true;
}

/* Output of at most n bytes that counts the whole; pieces go in whole or
 * not at all, and nothing goes in after the first that did not fit. */
struct out {
	char *buf;
	size_t n, used, total;
	bool cut;
};

static void put(struct out *o, const void *piece, size_t len)
{
	if (!o->cut && o->used + len < o->n) {
		memcpy(o->buf + o->used, piece, len);
		o->used += len;
	} else {
		o->cut = true;
	}
	o->total += len;
}

static size_t done(struct out *o)
{
	if (o->n)
		o->buf[o->used] = '\0';
	return o->total;
}

size_t text_escape(const char *s, char *out, size_t n)
{
	struct out o = { out, n, 0, 0, false };
	const unsigned char *p = (const unsigned char *)s;
	char e[8];
	uint32_t cp;
	while (*p) {
		size_t len = decode(p, &cp);
		if (!len) { /* a byte that is not UTF-8 */
			snprintf(e, sizeof e, "\\x%02x", *p);
			put(&o, e, 4);
			p++;
			continue;
		}
		if (cp == '\\')
			put(&o, "\\\\", 2);
		else if (cp == '\n')
			put(&o, "\\n", 2);
		else if (cp == '\r')
			put(&o, "\\r", 2);
		else if (cp == '\t')
			put(&o, "\\t", 2);
		else if (danger(cp) && cp < 0x80)
			put(&o, e, (size_t)snprintf(e, sizeof e, "\\x%02x", (unsigned)cp));
		else if (danger(cp))
			put(&o, e, (size_t)snprintf(e, sizeof e, "\\u%04x", (unsigned)cp));
		else
			put(&o, p, len);
		p += len;
	}
	return done(&o);
}

char *text_escaped(const char *s)
{
	size_t n = text_escape(s, NULL, 0) + 1;
	char *buf = malloc(n);
	if (buf)
		text_escape(s, buf, n);
	return buf;
}

size_t text_escape_json(const char *json, char *out, size_t n)
{
	struct out o = { out, n, 0, 0, false };
	const unsigned char *p = (const unsigned char *)json;
	char e[8];
	uint32_t cp;
	while (*p) {
		size_t len = decode(p, &cp);
		if (!len) /* not from jansson; kept, it is not ours to change */
			len = 1;
		else if (cp >= 0x7f && danger(cp)) { /* upper case, as jansson's own */
			put(&o, e, (size_t)snprintf(e, sizeof e, "\\u%04X", (unsigned)cp));
			p += len;
			continue;
		}
		put(&o, p, len);
		p += len;
	}
	return done(&o);
}

/* The name of a dangerous character, for people. */
static const char *char_name(uint32_t cp)
{
	static const char *const c0[32] = {
		"NULL", "START OF HEADING", "START OF TEXT", "END OF TEXT",
		"END OF TRANSMISSION", "ENQUIRY", "ACKNOWLEDGE", "BELL", "BACKSPACE",
		"CHARACTER TABULATION", "LINE FEED", "LINE TABULATION", "FORM FEED",
		"CARRIAGE RETURN", "SHIFT OUT", "SHIFT IN", "DATA LINK ESCAPE",
		"DEVICE CONTROL ONE", "DEVICE CONTROL TWO", "DEVICE CONTROL THREE",
		"DEVICE CONTROL FOUR", "NEGATIVE ACKNOWLEDGE", "SYNCHRONOUS IDLE",
		"END OF TRANSMISSION BLOCK", "CANCEL", "END OF MEDIUM", "SUBSTITUTE", "ESCAPE",
		"INFORMATION SEPARATOR FOUR", "INFORMATION SEPARATOR THREE",
		"INFORMATION SEPARATOR TWO", "INFORMATION SEPARATOR ONE",
	};
	static const struct { uint32_t cp; const char *name; } named[] = {
		{ 0x7f, "DELETE" }, { 0x85, "NEXT LINE" }, { 0x90, "DEVICE CONTROL STRING" },
		{ 0x9b, "CONTROL SEQUENCE INTRODUCER" }, { 0x9c, "STRING TERMINATOR" },
		{ 0x9d, "OPERATING SYSTEM COMMAND" }, { 0x061c, "ARABIC LETTER MARK" },
		{ 0x200e, "LEFT-TO-RIGHT MARK" }, { 0x200f, "RIGHT-TO-LEFT MARK" },
		{ 0x2028, "LINE SEPARATOR" }, { 0x2029, "PARAGRAPH SEPARATOR" },
		{ 0x202a, "LEFT-TO-RIGHT EMBEDDING" }, { 0x202b, "RIGHT-TO-LEFT EMBEDDING" },
		{ 0x202c, "POP DIRECTIONAL FORMATTING" }, { 0x202d, "LEFT-TO-RIGHT OVERRIDE" },
		{ 0x202e, "RIGHT-TO-LEFT OVERRIDE" }, { 0x2066, "LEFT-TO-RIGHT ISOLATE" },
		{ 0x2067, "RIGHT-TO-LEFT ISOLATE" }, { 0x2068, "FIRST STRONG ISOLATE" },
		{ 0x2069, "POP DIRECTIONAL ISOLATE" },
	};
	if (cp < 0x20)
		return c0[cp];
	for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
		if (named[i].cp == cp)
			return named[i].name;
	return "C1 CONTROL";
}

int text_check(const char *field, const char *s, char *why)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t at = 1; /* in characters, as people count */
	uint32_t cp;
	for (; *p; at++) {
		size_t len = decode(p, &cp);
		if (!len)
			return al_errf(why, AL_E_INVAL, "%s is not valid UTF-8 (byte 0x%02x at "
				       "character %zu): write it in UTF-8", field, *p, at);
		p += len;
		enum danger d = danger(cp);
		if (d == SAFE || cp == '\n' || cp == '\t')
			continue;
		return al_errf(why, AL_E_INVAL, "%s holds U+%04X %s at character %zu: %s, so this "
			       "home does not sign it; remove it (newlines and tabs are fine)",
			       field, (unsigned)cp, char_name(cp), at,
			       d == CONTROL ? "a control character, which partners' terminals "
					      "would act on"
			       : d == BIDI ? "a bidi control, which reorders the text partners read"
					   : "a line separator, which breaks the lines partners read");
	}
	return AL_OK;
}

bool text_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (!*s)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		unsigned d = (unsigned)(*p - '0');
		if (d > max || v > (max - d) / 10)
			return false; /* above max (and never wraps) */
		v = v * 10 + d;
	}
	*out = v;
	return true;
}
