/* fuzz_text.c: the text parsers of the command line: member cards, times
 * and durations. Input is split at the first NUL-free byte 0x01. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "card.h"
#include "err.h"
#include "when.h"

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
	};
	for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++)
		emit((const uint8_t *)seeds[i], strlen(seeds[i]));
}
