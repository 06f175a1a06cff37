/* testutil.c: see testutil.h. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

char *tu_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char tmpl[4096];
	snprintf(tmpl, sizeof tmpl, "%s/alliance-unit.XXXXXX", base ? base : "/tmp");
	char *d = mkdtemp(tmpl);
	assert_non_null(d);
	return strdup(d);
}

void tu_rmdir(char *dir)
{
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

struct al_identity *tu_identity(int i)
{
	uint8_t sseed[32], tseed[32];
	struct al_identity *id;
	memset(sseed, 0x10 + i, sizeof sseed);
	memset(tseed, 0x80 + i, sizeof tseed);
	assert_int_equal(key_init(), 0);
	assert_int_equal(key_generate(sseed, tseed, &id), 0);
	return id;
}

struct al_charter *tu_charter(int n, bool sign, struct al_identity **ids)
{
	struct al_charter *c = calloc(1, sizeof *c);
	char why[AL_ERRLEN];
	assert_non_null(c);
	c->version = AL_FORMAT_VERSION;
	c->title = strdup("Unit alliance");
	c->scope = strdup("tests");
	c->resolver_role = strdup("alliance manager");
	c->objectives = calloc(1, sizeof *c->objectives);
	c->objectives[0] = strdup("test everything");
	c->n_objectives = 1;
	c->members = calloc((size_t)n, sizeof *c->members);
	c->n_members = (size_t)n;
	for (int i = 0; i < n; i++) {
		ids[i] = tu_identity(i);
		snprintf(c->members[i].name, sizeof c->members[i].name, "m%d", i);
		snprintf(c->members[i].endpoint, sizeof c->members[i].endpoint,
			 "tcp://127.0.0.1:%d", 7000 + i);
		c->members[i].sign_key = ids[i]->sign_pk;
		c->members[i].transport_key = ids[i]->transport_pk;
	}
	c->resolvers = calloc(1, sizeof *c->resolvers);
	c->resolvers[0] = strdup("m0");
	c->n_resolvers = 1;
	c->quorum = (uint32_t)(n / 2 + 1);
	charter_default_params(&c->params);
	c->created = 1767225600000; /* 2026-01-01T00:00:00Z */
	memset(c->nonce, 0x42, sizeof c->nonce);
	int rc = charter_build(c, why);
	if (rc)
		fail_msg("charter_build: %s", why);
	for (int i = 0; sign && i < n; i++)
		assert_int_equal(charter_sign(c, ids[i], why), 0);
	return c;
}

struct al_charter *tu_crowd_charter(int n)
{
	struct al_identity *ids[2];
	struct al_charter *c = tu_charter(2, false, ids);
	char why[AL_ERRLEN];
	key_destroy(&ids[0]);
	key_destroy(&ids[1]);
	struct al_member *m = realloc(c->members, (size_t)n * sizeof *m);
	assert_non_null(m);
	c->members = m;
	c->n_members = (size_t)n;
	for (int i = 0; i < n; i++) {
		memset(&m[i], 0, sizeof m[i]);
		/* 32 characters: the longest name a card allows. */
		snprintf(m[i].name, sizeof m[i].name, "member-%04u-with-a-long-name-xyz",
			 (unsigned)i % 10000);
		snprintf(m[i].endpoint, sizeof m[i].endpoint, "tcp://10.0.%d.%d:7000", i / 250,
			 i % 250 + 1);
		m[i].sign_key.b[0] = (uint8_t)i;
		m[i].sign_key.b[1] = (uint8_t)(i >> 8);
		m[i].transport_key = m[i].sign_key;
		m[i].transport_key.b[2] = 1;
	}
	free(c->resolvers[0]);
	c->resolvers[0] = strdup(m[0].name);
	int rc = charter_build(c, why);
	if (rc)
		fail_msg("charter_build: %s", why);
	return c;
}

uint64_t tu_commit(struct al_store *s, const struct al_identity *id, int64_t now)
{
	struct al_body b;
	struct al_ref ref;
	char why[AL_ERRLEN];
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_COMMITMENT;
	b.u.commitment.what = (char *)"a widget";
	b.u.commitment.due = now + 86400000;
	b.u.commitment.value = 100;
	/* Promise it to the first member who is not the author. */
	al_key to = s->charter->members[0].sign_key;
	if (!memcmp(&to, &id->sign_pk, AL_KEYLEN))
		to = s->charter->members[1].sign_key;
	b.u.commitment.to = &to;
	b.u.commitment.n_to = 1;
	int rc = store_author(s, id, &b, now, &ref, why);
	if (rc)
		fail_msg("store_author: %s", why);
	return ref.seq;
}

struct al_envelope *tu_seal(const struct al_charter *c, const struct al_identity *id,
			    struct al_body *b, uint64_t seq, const al_hash *prev, int64_t t,
			    struct al_frontier_entry *fr, size_t nf)
{
	b->version = AL_FORMAT_VERSION;
	b->alliance = c->id;
	b->author = id->sign_pk;
	b->seq = seq;
	b->has_prev = seq > 1;
	b->prev = *prev;
	b->timestamp = t;
	b->frontier = fr;
	b->n_frontier = nf;
	struct al_envelope *e = calloc(1, sizeof *e);
	assert_non_null(e);
	assert_int_equal(envelope_seal(id, b, e), AL_OK);
	return e;
}

uint8_t *tu_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = malloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

void tu_write(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

const char *tu_path(int slot, const char *dir, const char *name)
{
	static char buf[4][4096];
	snprintf(buf[slot], sizeof buf[slot], "%s/%s", dir, name);
	return buf[slot];
}
