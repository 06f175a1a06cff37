/* test_charter.c: building, signing, loading and tampering with charters. */
#include "testutil.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charter.h"
#include "err.h"
#include "hex.h"
#include "roster.h"

#define N 3

static void destroy_ids(struct al_identity **ids, int n)
{
	for (int i = 0; i < n; i++)
		key_destroy(&ids[i]);
}

static void deterministic_id(void **state)
{
	(void)state;
	struct al_identity *ids[N], *ids2[N];
	struct al_charter *a = tu_charter(N, false, ids), *b = tu_charter(N, false, ids2);
	assert_int_equal(a->len, b->len);
	assert_memory_equal(a->bytes, b->bytes, a->len);
	assert_memory_equal(&a->id, &b->id, AL_HASHLEN);
	/* The id is the hash of the exact bytes. */
	al_hash h;
	key_hash(a->bytes, a->len, &h);
	assert_memory_equal(&h, &a->id, AL_HASHLEN);
	/* Any field changes the id. */
	b->quorum = 3;
	assert_int_equal(charter_build(b, NULL), 0);
	assert_memory_not_equal(&a->id, &b->id, AL_HASHLEN);
	charter_destroy(&a);
	charter_destroy(&b);
	assert_null(a);
	destroy_ids(ids, N);
	destroy_ids(ids2, N);
}

static void sign_save_load(void **state)
{
	(void)state;
	struct al_identity *ids[N];
	struct al_charter *c = tu_charter(N, false, ids), *back;
	char *dir = tu_tmpdir(), why[AL_ERRLEN];
	const char *path = tu_path(0, dir, "c.charter");
	assert_false(charter_in_force(c));
	assert_int_equal(charter_save(c, path, true, why), 0);
	assert_int_equal(charter_save(c, path, true, why), AL_E_EXIST); /* never overwritten */
	for (int i = 0; i < N; i++) {
		assert_int_equal(charter_load(path, &back, why), 0);
		assert_false(charter_in_force(back));
		assert_int_equal(back->n_sigs, (size_t)i);
		assert_int_equal(charter_sign(back, ids[i], why), 0);
		assert_true(charter_signed_by(back, &ids[i]->sign_pk));
		/* Signing twice is refused and names the member. */
		assert_int_equal(charter_sign(back, ids[i], why), AL_E_CHARTER);
		assert_non_null(strstr(why, "already signed"));
		assert_int_equal(charter_save(back, path, false, why), 0);
		charter_destroy(&back);
	}
	assert_int_equal(charter_load(path, &back, why), 0);
	assert_true(charter_in_force(back));
	assert_memory_equal(&back->id, &c->id, AL_HASHLEN);
	assert_string_equal(back->title, "Unit alliance");
	assert_int_equal(back->n_members, N);
	assert_string_equal(back->members[2].name, "m2");
	assert_memory_equal(&back->params, &c->params, sizeof c->params);
	struct al_roster *ro;
	assert_int_equal(roster_new(back, &ro), 0);
	assert_non_null(roster_member_named(ro, "m1"));
	assert_null(roster_member_named(ro, "m9"));
	char list[64];
	assert_string_equal(roster_member_list(ro, list, sizeof list), "m0, m1, m2");
	assert_string_equal(charter_founder_list(back, list, sizeof list), "m0, m1, m2");
	roster_destroy(&ro);
	charter_destroy(&back);
	charter_destroy(&c);
	destroy_ids(ids, N);
	tu_rmdir(dir);
}

static void non_member_cannot_sign(void **state)
{
	(void)state;
	struct al_identity *ids[N], *stranger = tu_identity(7);
	struct al_charter *c = tu_charter(N, false, ids);
	char why[AL_ERRLEN];
	assert_int_equal(charter_sign(c, stranger, why), AL_E_CHARTER);
	assert_non_null(strstr(why, "not a member"));
	assert_non_null(strstr(why, "m0, m1, m2"));
	assert_int_equal(c->n_sigs, 0);
	charter_destroy(&c);
	key_destroy(&stranger);
	destroy_ids(ids, N);
}

static void tampered_charter_is_refused(void **state)
{
	(void)state;
	struct al_identity *ids[N];
	struct al_charter *c = tu_charter(N, true, ids), *back;
	char *dir = tu_tmpdir(), why[AL_ERRLEN];
	const char *path = tu_path(0, dir, "c.charter");
	assert_int_equal(charter_save(c, path, true, why), 0);
	size_t len;
	uint8_t *orig = tu_read(path, &len);
	/* Change the title inside the signed bytes: "Unit" -> "Unix". */
	uint8_t *copy = malloc(len);
	memcpy(copy, orig, len);
	uint8_t *t = memmem(copy, len, "Unit alliance", 13);
	assert_non_null(t);
	t[3] = 'x';
	tu_write(path, copy, len);
	assert_int_equal(charter_load(path, &back, why), AL_E_CHARTER);
	assert_null(back);
	assert_non_null(strstr(why, "does not verify"));
	assert_non_null(strstr(why, path));
	/* Flip a bit of a signature. */
	memcpy(copy, orig, len);
	copy[len - 3] ^= 0x10;
	tu_write(path, copy, len);
	assert_int_equal(charter_load(path, &back, why), AL_E_CHARTER);
	/* Every single-byte change anywhere is refused. */
	for (size_t i = 0; i < len; i++) {
		memcpy(copy, orig, len);
		copy[i] ^= 0x01;
		if (charter_parse(copy, len, &back, why) == 0) {
			/* Only a change that leaves the same charter and valid
			 * signatures could parse: there is none. */
			charter_destroy(&back);
			fail_msg("byte %zu flipped and the charter still loaded", i);
		}
	}
	/* Not a charter at all. */
	assert_int_not_equal(charter_parse((const uint8_t *)"hello", 5, &back, why), 0);
	tu_write(path, orig, len);
	assert_int_equal(charter_load(path, &back, why), 0);
	charter_destroy(&back);
	free(copy);
	free(orig);
	charter_destroy(&c);
	destroy_ids(ids, N);
	tu_rmdir(dir);
}

static void field_checks(void **state)
{
	(void)state;
	struct al_identity *ids[N];
	struct al_charter *c = tu_charter(N, false, ids);
	char why[AL_ERRLEN];

	c->quorum = 4;
	assert_int_equal(charter_build(c, why), AL_E_CHARTER);
	assert_non_null(strstr(why, "quorum"));
	c->quorum = 0;
	assert_int_equal(charter_build(c, why), AL_E_CHARTER);
	c->quorum = 2;

	free(c->resolvers[0]);
	c->resolvers[0] = strdup("outsider");
	assert_int_equal(charter_build(c, why), AL_E_CHARTER);
	assert_non_null(strstr(why, "'outsider'"));
	free(c->resolvers[0]);
	c->resolvers[0] = strdup("m1");

	strcpy(c->members[2].name, "m0");
	assert_int_equal(charter_build(c, why), AL_E_CHARTER);
	assert_non_null(strstr(why, "twice"));
	strcpy(c->members[2].name, "m2");

	al_key saved = c->members[2].sign_key;
	c->members[2].sign_key = c->members[0].sign_key;
	assert_int_equal(charter_build(c, why), AL_E_CHARTER);
	assert_non_null(strstr(why, "share a key"));
	c->members[2].sign_key = saved;
	/* Any key of one member equal to any key of another. */
	c->members[2].transport_key = c->members[0].sign_key;
	assert_int_equal(charter_build(c, why), AL_E_CHARTER);
	assert_non_null(strstr(why, "'m0' and 'm2' share a key"));
	c->members[2].transport_key = c->members[0].transport_key;
	assert_int_equal(charter_build(c, why), AL_E_CHARTER);
	c->members[2].transport_key = ids[2]->transport_pk;
	/* One member's own two keys must differ too (signing vs encryption). */
	c->members[1].transport_key = c->members[1].sign_key;
	assert_int_equal(charter_build(c, why), AL_E_CHARTER);
	assert_non_null(strstr(why, "'m1' has the same key for signing and transport"));
	c->members[1].transport_key = ids[1]->transport_pk;

	c->n_members = 1;
	assert_int_equal(charter_build(c, why), AL_E_CHARTER);
	assert_non_null(strstr(why, "two members"));
	c->n_members = N;

	c->params.half_life = 0;
	assert_int_equal(charter_build(c, why), AL_E_CHARTER);
	c->params.half_life = 86400;

	/* Durations are bounded (10 years) so that adding them to times in ms
	 * can never overflow; the error names the field and the value. */
	static const struct { size_t off; const char *name; } durs[] = {
		{ offsetof(struct al_params, half_life), "half-life" },
		{ offsetof(struct al_params, grace), "grace" },
		{ offsetof(struct al_params, skew), "skew" },
	};
	for (size_t i = 0; i < 3; i++) {
		uint64_t *v = (uint64_t *)((char *)&c->params + durs[i].off), keep = *v;
		const uint64_t huge[] = { AL_MAX_DURATION + 1, UINT64_MAX / 1000 + 1, UINT64_MAX };
		for (size_t k = 0; k < 3; k++) {
			*v = huge[k];
			assert_int_equal(charter_build(c, why), AL_E_CHARTER);
			if (!strstr(why, durs[i].name) || !strstr(why, "out of range"))
				fail_msg("%s %" PRIu64 ": '%s'", durs[i].name, huge[k], why);
			char num[32];
			snprintf(num, sizeof num, "%" PRIu64 " s", huge[k]);
			assert_non_null(strstr(why, num));
		}
		*v = AL_MAX_DURATION; /* the limit itself is fine */
		assert_int_equal(charter_build(c, why), 0);
		*v = keep;
	}
	c->params.skew = 0; /* no clock skew tolerated: strict, but meaningful */
	c->params.grace = 0;
	assert_int_equal(charter_build(c, why), 0);
	charter_default_params(&c->params);

	/* Free text must be UTF-8 (it is shown, and jansson refuses anything
	 * else in JSON); the error names the field and where the bad byte is. */
	static const struct { const char *text, *byte; } bad_text[] = {
		{ "\xff", "0xff at position 0" },
		{ "ok \xc3\x28", "0xc3 at position 3" },     /* a lead byte without its tail */
		{ "\xc0\xaf", "0xc0" },                      /* overlong '/' */
		{ "x\xe0\x80\xaf", "0xe0 at position 1" },  /* overlong, three bytes */
		{ "\xed\xa0\x80", "0xed" },                 /* a UTF-16 surrogate */
		{ "\xf4\x90\x80\x80", "0xf4" },            /* past U+10FFFF */
		{ "\xe2\x82", "0xe2" },                      /* cut short at the end */
	};
	char **fields[] = { &c->title, &c->scope, &c->resolver_role, &c->objectives[0] };
	const char *names[] = { "title", "scope", "resolver role", "objective 1" };
	for (size_t f = 0; f < 4; f++) {
		char *keep = *fields[f];
		for (size_t i = 0; i < sizeof bad_text / sizeof bad_text[0]; i++) {
			*fields[f] = (char *)bad_text[i].text;
			assert_int_equal(charter_build(c, why), AL_E_CHARTER);
			if (!strstr(why, names[f]) || !strstr(why, "UTF-8") ||
			    !strstr(why, bad_text[i].byte))
				fail_msg("%s '%s': %s", names[f], bad_text[i].text, why);
		}
		*fields[f] = (char *)"Acme\xe2\x80\x93Globex \xf0\x9f\xa4\x9d caf\xc3\xa9"; /* fine */
		assert_int_equal(charter_build(c, why), 0);
		*fields[f] = keep;
	}
	strcpy(c->members[1].endpoint, "tcp://caf\xc3\xa9:7001");
	assert_int_equal(charter_build(c, why), AL_E_CHARTER);
	assert_non_null(strstr(why, "member 2"));

	strcpy(c->members[1].endpoint, "nowhere");
	assert_int_equal(charter_build(c, why), AL_E_CHARTER);
	strcpy(c->members[1].endpoint, "tcp://127.0.0.1:7001");

	assert_int_equal(charter_build(c, why), 0);
	charter_destroy(&c);
	destroy_ids(ids, N);
}

/* A list of many long names stops at the buffer, at a whole name, with
 * "..." (it once wrote past the end: a stack overflow in charter show and
 * sign and in the audit). */
static void long_member_lists_are_cut(void **state)
{
	(void)state;
	struct al_charter *c = tu_crowd_charter(100); /* 100 names of 32: 3.4 KB listed */
	struct al_roster *ro;
	assert_int_equal(roster_new(c, &ro), 0);
	char buf[1024 + 16];
	for (int which = 0; which < 3; which++) {
		memset(buf, 'Z', sizeof buf);
		char *out = which == 2 ? roster_member_list(ro, buf, 1024)
			    : which ? charter_unsigned_list(c, buf, 1024)
				    : charter_founder_list(c, buf, 1024);
		assert_ptr_equal(out, buf);
		size_t n = strlen(buf);
		assert_true(n < 1024);
		assert_true(n > 1024 - 40); /* filled, not cut early */
		for (size_t i = 1024; i < sizeof buf; i++)
			assert_int_equal(buf[i], 'Z'); /* nothing past the end */
		assert_string_equal(buf + n - 5, ", ...");
		assert_memory_equal(buf, "member-0000-with-a-long-name-xyz, member-0001-", 46);
		/* Whole names only: the last one before "..." is complete. */
		assert_memory_equal(buf + n - 5 - 32, "member-", 7);
		assert_memory_equal(buf + n - 5 - 8, "name-xyz", 8);
	}
	/* Short lists are whole; a tiny buffer still ends cleanly. */
	struct al_identity *ids[N];
	struct al_charter *s = tu_charter(N, false, ids);
	assert_string_equal(charter_founder_list(s, buf, 1024), "m0, m1, m2");
	assert_string_equal(charter_unsigned_list(s, buf, 1024), "m0, m1, m2");
	char tiny[10];
	assert_string_equal(charter_founder_list(s, tiny, sizeof tiny), "m0, ...");
	char why[AL_ERRLEN];
	assert_int_equal(charter_sign(s, ids[1], why), 0);
	assert_string_equal(charter_unsigned_list(s, buf, 1024), "m0, m2");
	charter_destroy(&s);
	destroy_ids(ids, N);
	roster_destroy(&ro);
	charter_destroy(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(deterministic_id),
		cmocka_unit_test(sign_save_load),
		cmocka_unit_test(non_member_cannot_sign),
		cmocka_unit_test(tampered_charter_is_refused),
		cmocka_unit_test(field_checks),
		cmocka_unit_test(long_member_lists_are_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
