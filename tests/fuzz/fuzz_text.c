/* fuzz_text.c: the text parsers of the command line (member cards, times
 * and durations), and the escapes every text view prints a partner's text
 * through (text.h): whatever the bytes, the escaped text is valid UTF-8
 * with no control, bidi or separator character left, and a cut one is a
 * prefix of the whole; cut to a column's width, it fits. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "card.h"
#include "err.h"
#include "text.h"
#include "when.h"

/* Does s hold a character text_escape must never leave? */
static bool dangerous(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) ||
		    (p[0] == 0xd8 && p[1] == 0x9c))
			return true;
		if (p[0] == 0xe2 && ((p[1] == 0x80 && ((p[2] >= 0xa8 && p[2] <= 0xae) ||
						      p[2] == 0x8e || p[2] == 0x8f)) ||
				     (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)))
			return true;
	}
	return false;
}

static void escapes(const char *s)
{
	char *all = text_escaped(s), part[64];
	if (!all)
		return;
	if (!text_utf8(all, NULL) || dangerous(all) || strlen(all) != text_escape(s, NULL, 0))
		abort();
	size_t cut = strlen(all) % sizeof part;
	text_escape(s, part, cut + 1);
	if (strncmp(part, all, strlen(part)) || strlen(part) > cut)
		abort();
	char why[AL_ERRLEN];
	if (text_check("the text", s, why) == AL_OK && (!text_utf8(s, NULL) || strchr(s, '\x1b')))
		abort();
	/* Cut to fit a table's column: never wider, still valid UTF-8 with
	 * nothing dangerous, the whole when it fits, else a beginning of it
	 * and the mark. */
	size_t cols = (unsigned char)*s % (text_width(all) + 1); /* 0 to the whole */
	size_t n = strlen(all) + sizeof TEXT_CUT_MARK;
	char *fit = malloc(n);
	if (fit) {
		size_t w = text_cut(all, cols, fit, n), len = strlen(fit);
		if (w > cols || w != text_width(fit) || !text_utf8(fit, NULL) || dangerous(fit))
			abort();
		size_t mark = sizeof TEXT_CUT_MARK - 1;
		if (text_width(all) <= cols ? strcmp(fit, all) != 0
		    : !cols ? len != 0 /* no room even for the mark */
			    : len < mark || strcmp(fit + len - mark, TEXT_CUT_MARK) ||
				      strncmp(fit, all, len - mark))
			abort();
		free(fit);
	}
	free(all);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	char why[AL_ERRLEN], buf[AL_CARDLEN];
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	struct al_member m;
	if (card_parse(s, &m, why) == AL_OK) {
		/* A parsed card formats and parses back to itself. */
		struct al_member again;
		if (card_parse(card_format(&m, buf), &again, why) || memcmp(&m, &again, sizeof m))
			abort();
	}
	int64_t ms;
	uint64_t secs;
	if (when_parse(s, 1767225600000, &ms, why) == AL_OK) {
		char t[AL_WHENLEN];
		when_format(ms, t);
	}
	(void)duration_parse(s, &secs, why);
	escapes(s);
	free(s);
	return 0;
}

void fuzz_seeds(void (*emit)(const uint8_t *, size_t))
{
	static const char *const seeds[] = {
		"acme:ed25519=1111111111111111111111111111111111111111111111111111111111111111"
		":x25519=2222222222222222222222222222222222222222222222222222222222222222"
		":tcp://127.0.0.1:7001",
		"2026-11-22T10:00:00.250+02:00", "+14d", "-1h", "72h",
		"\x1b[2J\x1b]0;title\x07\nacme/9 FORGED\r\xe2\x80\xae\xc2\x9b" "31m\\\xff\xc3\xa9",
	};
	for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++)
		emit((const uint8_t *)seeds[i], strlen(seeds[i]));
}
