/* fuzz_charter.c: charter_parse() on an arbitrary charter file. */
#include "fuzz.h"

#include <stdlib.h>

#include "err.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct al_charter *c;
	char why[AL_ERRLEN];
	if (charter_parse(data, size, &c, why) == AL_OK) {
		/* Whatever parses is internally consistent. */
		if (c->n_members < 2 || c->quorum < 1 || c->quorum > c->n_members)
			abort();
		charter_destroy(&c);
	}
	return 0;
}

void fuzz_seeds(void (*emit)(const uint8_t *, size_t))
{
	uint8_t *buf;
	size_t len;
	if (wire_signed_charter_pack(fuzz_charter(NULL), &buf, &len))
		abort();
	emit(buf, len);
	free(buf);
}
