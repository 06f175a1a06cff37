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

/* Display width (text_width, text_cut). Ranges of code points, sorted and
 * disjoint, searched by bisection. */
struct range {
	uint32_t lo, hi;
};

/* Unicode 14.0 EastAsianWidth.txt, W and F, assigned code points only;
 * neighbouring ranges are merged across unassigned code points and
 * combining marks (zero is looked up first). */
static const struct range wide[] = {
	{ 0x1100, 0x115f }, { 0x231a, 0x231b }, { 0x2329, 0x232a }, { 0x23e9, 0x23ec },
	{ 0x23f0, 0x23f0 }, { 0x23f3, 0x23f3 }, { 0x25fd, 0x25fe }, { 0x2614, 0x2615 },
	{ 0x2648, 0x2653 }, { 0x267f, 0x267f }, { 0x2693, 0x2693 }, { 0x26a1, 0x26a1 },
	{ 0x26aa, 0x26ab }, { 0x26bd, 0x26be }, { 0x26c4, 0x26c5 }, { 0x26ce, 0x26ce },
	{ 0x26d4, 0x26d4 }, { 0x26ea, 0x26ea }, { 0x26f2, 0x26f3 }, { 0x26f5, 0x26f5 },
	{ 0x26fa, 0x26fa }, { 0x26fd, 0x26fd }, { 0x2705, 0x2705 }, { 0x270a, 0x270b },
	{ 0x2728, 0x2728 }, { 0x274c, 0x274c }, { 0x274e, 0x274e }, { 0x2753, 0x2755 },
	{ 0x2757, 0x2757 }, { 0x2795, 0x2797 }, { 0x27b0, 0x27b0 }, { 0x27bf, 0x27bf },
	{ 0x2b1b, 0x2b1c }, { 0x2b50, 0x2b50 }, { 0x2b55, 0x2b55 }, { 0x2e80, 0x303e },
	{ 0x3041, 0x3247 }, { 0x3250, 0x4dbf }, { 0x4e00, 0xa4c6 }, { 0xa960, 0xa97c },
	{ 0xac00, 0xd7a3 }, { 0xf900, 0xfad9 }, { 0xfe10, 0xfe6b }, { 0xff01, 0xff60 },
	{ 0xffe0, 0xffe6 }, { 0x16fe0, 0x1b2fb }, { 0x1f004, 0x1f004 }, { 0x1f0cf, 0x1f0cf },
	{ 0x1f18e, 0x1f18e }, { 0x1f191, 0x1f19a }, { 0x1f200, 0x1f320 }, { 0x1f32d, 0x1f335 },
	{ 0x1f337, 0x1f37c }, { 0x1f37e, 0x1f393 }, { 0x1f3a0, 0x1f3ca }, { 0x1f3cf, 0x1f3d3 },
	{ 0x1f3e0, 0x1f3f0 }, { 0x1f3f4, 0x1f3f4 }, { 0x1f3f8, 0x1f43e }, { 0x1f440, 0x1f440 },
	{ 0x1f442, 0x1f4fc }, { 0x1f4ff, 0x1f53d }, { 0x1f54b, 0x1f54e }, { 0x1f550, 0x1f567 },
	{ 0x1f57a, 0x1f57a }, { 0x1f595, 0x1f596 }, { 0x1f5a4, 0x1f5a4 }, { 0x1f5fb, 0x1f64f },
	{ 0x1f680, 0x1f6c5 }, { 0x1f6cc, 0x1f6cc }, { 0x1f6d0, 0x1f6d2 }, { 0x1f6d5, 0x1f6df },
	{ 0x1f6eb, 0x1f6ec }, { 0x1f6f4, 0x1f6fc }, { 0x1f7e0, 0x1f7f0 }, { 0x1f90c, 0x1f93a },
	{ 0x1f93c, 0x1f945 }, { 0x1f947, 0x1f9ff }, { 0x1fa70, 0x1faf6 }, { 0x20000, 0x3134a },
};

/* The common combining blocks (Mn and Me, a few unassigned code points
 * between them), the variation selectors and the zero-width format
 * characters: U+200B..U+200D, U+2060, U+FEFF. */
static const struct range zero[] = {
	{ 0x0300, 0x036f }, { 0x0483, 0x0489 }, { 0x0591, 0x05bd }, { 0x05bf, 0x05bf },
	{ 0x05c1, 0x05c2 }, { 0x05c4, 0x05c5 }, { 0x05c7, 0x05c7 }, { 0x0610, 0x061a },
	{ 0x064b, 0x065f }, { 0x0670, 0x0670 }, { 0x06d6, 0x06dc }, { 0x06df, 0x06e4 },
	{ 0x06e7, 0x06e8 }, { 0x06ea, 0x06ed }, { 0x1ab0, 0x1aff }, { 0x1dc0, 0x1dff },
	{ 0x200b, 0x200d }, { 0x2060, 0x2060 }, { 0x20d0, 0x20ff }, { 0x302a, 0x302d },
	{ 0x3099, 0x309a }, { 0xfe00, 0xfe0f }, { 0xfe20, 0xfe2f }, { 0xfeff, 0xfeff },
	{ 0xe0100, 0xe01ef },
};

static bool in(const struct range *r, size_t n, uint32_t cp)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cp > r[mid].hi)
			lo = mid + 1;
		else if (cp < r[mid].lo)
			hi = mid;
		else
			return true;
	}
	return false;
}

/* The next piece of shown text at p: a character, an escape of
 * text_escape's (\\, \n, \xNN, \uNNNN: one piece, never cut) or a byte
 * that is not UTF-8. Its length in bytes (0 at the end), its columns in *w. */
static size_t piece(const unsigned char *p, size_t *w)
{
	uint32_t cp;
	size_t len;
	if (!*p)
		return 0;
	if (*p == '\\') {
		size_t hex = p[1] == 'x' ? 2 : p[1] == 'u' ? 4 : 0;
		len = 1;
		if (p[1] == '\\' || p[1] == 'n' || p[1] == 'r' || p[1] == 't')
			len = 2;
		else if (hex && strspn((const char *)p + 2, "0123456789abcdefABCDEF") >= hex)
			len = 2 + hex;
		*w = len;
		return len;
	}
	len = decode(p, &cp);
	if (!len) {
		*w = 1;
		return 1;
	}
	if (in(zero, sizeof zero / sizeof zero[0], cp))
		*w = 0;
	else if (in(wide, sizeof wide / sizeof wide[0], cp))
		*w = 2;
	else
		*w = 1;
	return len;
}

size_t text_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len, w, cols = 0;
	while ((len = piece(p, &w))) {
		cols += w;
		p += len;
	}
	return cols;
}

size_t text_cut(const char *s, size_t cols, char *out, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	const size_t mark = sizeof TEXT_CUT_MARK - 1;
	size_t len, w, used = 0, width = 0;
	if (!n)
		return 0;
	bool whole = strlen(s) < n && text_width(s) <= cols;
	if (!whole && (!cols || n <= mark)) { /* not even room for the mark */
		out[0] = '\0';
		return 0;
	}
	/* Cut, the text keeps a column and the mark's bytes free. */
	size_t room = whole ? cols : cols - 1, bytes = whole ? n - 1 : n - 1 - mark;
	while ((len = piece(p, &w)) && width + w <= room && used + len <= bytes) {
		memcpy(out + used, p, len);
		used += len;
		width += w;
		p += len;
	}
	if (!whole) {
		memcpy(out + used, TEXT_CUT_MARK, mark);
		used += mark;
		width++;
	}
	out[used] = '\0';
	return width;
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
