/* common.c: fixtures shared by the fuzz targets. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

const struct al_charter *fuzz_charter(struct al_identity *const **out_ids)
{
	static struct al_charter *c;
	static struct al_identity *ids[3];
	if (!c) {
		char why[AL_ERRLEN];
		if (key_init())
			abort();
		c = calloc(1, sizeof *c);
		c->version = AL_FORMAT_VERSION;
		c->title = strdup("Fuzz alliance");
		c->scope = strdup("");
		c->resolver_role = strdup("alliance manager");
		c->members = calloc(3, sizeof *c->members);
		c->n_members = 3;
		for (int i = 0; i < 3; i++) {
			uint8_t s[32], t[32];
			memset(s, 0x30 + i, sizeof s);
			memset(t, 0x60 + i, sizeof t);
			if (key_generate(s, t, &ids[i]))
				abort();
			snprintf(c->members[i].name, sizeof c->members[i].name, "f%d", i);
			snprintf(c->members[i].endpoint, sizeof c->members[i].endpoint,
				 "tcp://127.0.0.1:%d", 7400 + i);
			c->members[i].sign_key = ids[i]->sign_pk;
			c->members[i].transport_key = ids[i]->transport_pk;
		}
		c->quorum = 2;
		charter_default_params(&c->params);
		c->created = 1767225600000;
		if (charter_build(c, why))
			abort();
		for (int i = 0; i < 3; i++)
			if (charter_sign(c, ids[i], why))
				abort();
	}
	if (out_ids)
		*out_ids = ids;
	return c;
}

const struct al_roster *fuzz_roster(void)
{
	static struct al_roster *r;
	if (!r && roster_new(fuzz_charter(NULL), &r))
		abort();
	return r;
}
