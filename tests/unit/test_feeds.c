/* test_feeds.c: the (author, seq) index and feeds_check(), the one rule that
 * decides what may enter a log. Every verdict has a case that produces it;
 * known-answer vectors pin the envelope format and the charter id. */
#include "testutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "err.h"
#include "feeds.h"
#include "hex.h"
#include "verify.h"
#include "wire.h"

#define N 3
#define T0 1767225600000LL       /* 2026-01-01T00:00:00Z */
#define NOW (T0 + 60000)         /* the receiver's clock */
#define CONTEXT "alliance/envelope/v1"
#define VERIFY_TEST_N 8          /* a batch large enough for the workers */

/* ------------------------------------------------------------ fixture */

struct fx {
	struct al_identity *ids[N];     /* members m0..m2 of c */
	struct al_identity *ids2[2];    /* the same keys, members of other */
	struct al_identity *stranger;   /* tu_identity(7): in no charter */
	struct al_charter *c;           /* the alliance under test */
	struct al_charter *other;       /* another alliance (2 members) */
	struct al_roster *ro, *other_ro; /* their members */
	struct al_feeds *f;             /* holds m0/1 */
	struct al_envelope held;        /* m0/1 */
};

static struct al_body rbody(const struct fx *x, const struct al_identity *id, uint64_t seq,
			    const al_hash *prev, int64_t ts)
{
	struct al_body b;
	memset(&b, 0, sizeof b);
	b.version = AL_FORMAT_VERSION;
	b.alliance = x->c->id;
	b.author = id->sign_pk;
	b.seq = seq;
	b.has_prev = prev != NULL;
	if (prev)
		b.prev = *prev;
	b.timestamp = ts;
	b.kind = AL_KIND_RECEIPT;
	return b;
}

/* Seal b and return a malloc'd copy of the envelope bytes. */
static uint8_t *seal(const struct al_identity *id, const struct al_body *b, size_t *len)
{
	struct al_envelope e;
	assert_int_equal(envelope_seal(id, b, &e), 0);
	uint8_t *out = malloc(e.len);
	assert_non_null(out);
	memcpy(out, e.bytes, e.len);
	*len = e.len;
	envelope_clear(&e);
	return out;
}

/* Wrap body bytes with signer's signature under context. */
static uint8_t *wrap(const struct al_identity *signer, const char *context, const uint8_t *body,
		     size_t blen, size_t *len)
{
	uint8_t sig[AL_SIGLEN], *out;
	assert_int_equal(key_sign(signer, context, body, blen, sig), 0);
	assert_int_equal(wire_envelope_pack(body, blen, sig, &out, len), 0);
	return out;
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof *x);
	assert_non_null(x);
	x->c = tu_charter(N, true, x->ids);
	x->other = tu_charter(2, true, x->ids2);
	assert_int_equal(roster_new(x->c, &x->ro), AL_OK);
	assert_int_equal(roster_new(x->other, &x->other_ro), AL_OK);
	x->stranger = tu_identity(7);
	assert_int_equal(feeds_new(&x->f), 0);
	struct al_body b = rbody(x, x->ids[0], 1, NULL, T0 + 1000);
	assert_int_equal(envelope_seal(x->ids[0], &b, &x->held), 0);
	struct al_feed_entry e = { 0, 16, x->held.hash, x->held.b.timestamp, x->held.b.kind };
	assert_int_equal(feeds_add(x->f, &x->ids[0]->sign_pk, 1, &e), 0);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	envelope_clear(&x->held);
	feeds_destroy(&x->f);
	roster_destroy(&x->ro);
	roster_destroy(&x->other_ro);
	charter_destroy(&x->c);
	charter_destroy(&x->other);
	for (int i = 0; i < N; i++)
		key_destroy(&x->ids[i]);
	for (int i = 0; i < 2; i++)
		key_destroy(&x->ids2[i]);
	key_destroy(&x->stranger);
	free(x);
	return 0;
}

/* A log in memory, for feeds_reader: records at the offsets given. */
#define MEMLOG_MAX 8
struct memlog {
	size_t n;
	uint64_t offset[MEMLOG_MAX];
	const uint8_t *data[MEMLOG_MAX];
	size_t len[MEMLOG_MAX];
	int reads;
};

static void memlog_put(struct memlog *m, uint64_t offset, const uint8_t *data, size_t len)
{
	assert_true(m->n < MEMLOG_MAX);
	m->offset[m->n] = offset;
	m->data[m->n] = data;
	m->len[m->n++] = len;
}

static int memlog_read(void *arg, uint64_t offset, uint8_t **buf, size_t *len, char *why)
{
	struct memlog *m = arg;
	m->reads++;
	for (size_t i = 0; i < m->n; i++)
		if (m->offset[i] == offset) {
			*buf = malloc(m->len[i]);
			assert_non_null(*buf);
			memcpy(*buf, m->data[i], m->len[i]);
			*len = m->len[i];
			return 0;
		}
	return al_errf(why, AL_E_INVAL, "no record at offset %" PRIu64, offset);
}

/* ------------------------------------------------------------ the cases */

/* Each returns malloc'd bytes to offer; the fixture's feeds hold m0/1. */
typedef uint8_t *(*build_fn)(struct fx *x, size_t *len);

static uint8_t *c_accept_new_feed(struct fx *x, size_t *len)
{
	struct al_body b = rbody(x, x->ids[1], 1, NULL, T0 + 500);
	return seal(x->ids[1], &b, len);
}

static uint8_t *c_accept_chained(struct fx *x, size_t *len)
{
	struct al_body b = rbody(x, x->ids[0], 2, &x->held.hash, T0 + 2000);
	return seal(x->ids[0], &b, len);
}

/* The same timestamp as the previous message is not backwards. */
static uint8_t *c_accept_same_time(struct fx *x, size_t *len)
{
	struct al_body b = rbody(x, x->ids[0], 2, &x->held.hash, T0 + 1000);
	return seal(x->ids[0], &b, len);
}

/* Exactly at the edge of the skew window is still accepted. */
static uint8_t *c_accept_skew_edge(struct fx *x, size_t *len)
{
	struct al_body b = rbody(x, x->ids[1], 1, NULL, NOW + (int64_t)x->c->params.skew * 1000);
	return seal(x->ids[1], &b, len);
}

static uint8_t *c_accept_frontier(struct fx *x, size_t *len)
{
	struct al_frontier_entry fr[2];
	memset(fr, 0, sizeof fr);
	fr[0].author = x->ids[0]->sign_pk;
	fr[0].seq = 1;
	fr[0].hash = x->held.hash;
	fr[1].author = x->ids[2]->sign_pk; /* seq 0: held nothing of m2 */
	struct al_body b = rbody(x, x->ids[1], 1, NULL, T0);
	b.frontier = fr;
	b.n_frontier = 2;
	return seal(x->ids[1], &b, len);
}

static uint8_t *c_duplicate(struct fx *x, size_t *len)
{
	uint8_t *out = malloc(x->held.len);
	assert_non_null(out);
	memcpy(out, x->held.bytes, x->held.len);
	*len = x->held.len;
	return out;
}

static uint8_t *c_oversize(struct fx *x, size_t *len)
{
	/* A valid envelope at the front: the size alone rejects it. */
	size_t n;
	uint8_t *env = c_accept_new_feed(x, &n);
	uint8_t *out = calloc(1, AL_MAX_ENVELOPE + 1);
	assert_non_null(out);
	memcpy(out, env, n);
	free(env);
	*len = AL_MAX_ENVELOPE + 1;
	return out;
}

static uint8_t *c_random(struct fx *x, size_t *len)
{
	(void)x;
	uint8_t *out = malloc(200);
	assert_non_null(out);
	uint32_t s = 0x12345678u; /* deterministic: the same bytes every run */
	for (size_t i = 0; i < 200; i++) {
		s = s * 1103515245u + 12345u;
		out[i] = (uint8_t)(s >> 16);
	}
	*len = 200;
	return out;
}

/* Exactly AL_MAX_ENVELOPE bytes is not oversize, but 0xff is no envelope. */
static uint8_t *c_max_garbage(struct fx *x, size_t *len)
{
	(void)x;
	uint8_t *out = malloc(AL_MAX_ENVELOPE);
	assert_non_null(out);
	memset(out, 0xff, AL_MAX_ENVELOPE);
	*len = AL_MAX_ENVELOPE;
	return out;
}

static uint8_t *c_truncated(struct fx *x, size_t *len)
{
	uint8_t *out = c_accept_new_feed(x, len);
	(*len)--;
	return out;
}

static uint8_t *c_empty(struct fx *x, size_t *len)
{
	(void)x;
	*len = 0;
	return malloc(1);
}

/* The body says "commitment" but carries a receipt payload, validly signed. */
static uint8_t *c_kind_mismatch(struct fx *x, size_t *len)
{
	struct al_body b = rbody(x, x->ids[1], 1, NULL, T0);
	uint8_t *body;
	size_t blen;
	assert_int_equal(wire_body_pack(&b, &body, &blen), 0);
	/* protobuf-c packs by field number: ... kind (8: 0x40 0x0a), receipt (25:
	 * 0xca 0x01, empty). */
	static const uint8_t tail[] = { 0x40, AL_KIND_RECEIPT, 0xca, 0x01, 0x00 };
	assert_true(blen > sizeof tail);
	assert_memory_equal(body + blen - sizeof tail, tail, sizeof tail);
	body[blen - 4] = AL_KIND_COMMITMENT;
	uint8_t *out = wrap(x->ids[1], CONTEXT, body, blen, len);
	free(body);
	return out;
}

static uint8_t *c_seq0(struct fx *x, size_t *len)
{
	struct al_body b = rbody(x, x->ids[1], 0, NULL, T0);
	return seal(x->ids[1], &b, len);
}

static uint8_t *c_version2(struct fx *x, size_t *len)
{
	struct al_body b = rbody(x, x->ids[1], 1, NULL, T0);
	b.version = 2;
	return seal(x->ids[1], &b, len);
}

static uint8_t *c_version0(struct fx *x, size_t *len)
{
	struct al_body b = rbody(x, x->ids[1], 1, NULL, T0);
	b.version = 0;
	return seal(x->ids[1], &b, len);
}

static uint8_t *c_alliance(struct fx *x, size_t *len)
{
	struct al_body b = rbody(x, x->ids[1], 1, NULL, T0);
	b.alliance = x->other->id;
	return seal(x->ids[1], &b, len);
}

static uint8_t *c_author(struct fx *x, size_t *len)
{
	struct al_body b = rbody(x, x->stranger, 1, NULL, T0);
	return seal(x->stranger, &b, len);
}

/* One byte of the signature flipped (it is the last field of the envelope). */
static uint8_t *c_sig_flip(struct fx *x, size_t *len)
{
	uint8_t *out = c_accept_new_feed(x, len);
	out[*len - 1] ^= 0x01;
	return out;
}

/* The body changed after it was signed (its timestamp), the signature kept. */
static uint8_t *c_body_changed(struct fx *x, size_t *len)
{
	struct al_body b = rbody(x, x->ids[1], 1, NULL, T0);
	uint8_t *body, sig[AL_SIGLEN], *out;
	size_t blen;
	assert_int_equal(wire_body_pack(&b, &body, &blen), 0);
	assert_int_equal(key_sign(x->ids[1], CONTEXT, body, blen, sig), 0);
	free(body);
	b.timestamp++;
	assert_int_equal(wire_body_pack(&b, &body, &blen), 0);
	assert_int_equal(wire_envelope_pack(body, blen, sig, &out, len), 0);
	free(body);
	return out;
}

/* m1's body signed by m2: a member, but not the author. */
static uint8_t *c_other_signer(struct fx *x, size_t *len)
{
	struct al_body b = rbody(x, x->ids[1], 1, NULL, T0);
	uint8_t *body;
	size_t blen;
	assert_int_equal(wire_body_pack(&b, &body, &blen), 0);
	uint8_t *out = wrap(x->ids[2], CONTEXT, body, blen, len);
	free(body);
	return out;
}

/* The author's key, but under another signing context (the charter's). */
static uint8_t *c_wrong_context(struct fx *x, size_t *len)
{
	struct al_body b = rbody(x, x->ids[1], 1, NULL, T0);
	uint8_t *body;
	size_t blen;
	assert_int_equal(wire_body_pack(&b, &body, &blen), 0);
	uint8_t *out = wrap(x->ids[1], "alliance/charter/v1", body, blen, len);
	free(body);
	return out;
}

static uint8_t *c_frontier_stranger(struct fx *x, size_t *len)
{
	struct al_frontier_entry fr;
	memset(&fr, 0, sizeof fr);
	fr.author = x->stranger->sign_pk;
	struct al_body b = rbody(x, x->ids[1], 1, NULL, T0);
	b.frontier = &fr;
	b.n_frontier = 1;
	return seal(x->ids[1], &b, len);
}

static uint8_t *c_frontier_twice(struct fx *x, size_t *len)
{
	struct al_frontier_entry fr[3];
	memset(fr, 0, sizeof fr);
	fr[0].author = x->ids[0]->sign_pk;
	fr[0].seq = 1;
	fr[0].hash = x->held.hash;
	fr[1].author = x->ids[2]->sign_pk;
	fr[2].author = x->ids[0]->sign_pk;
	struct al_body b = rbody(x, x->ids[1], 1, NULL, T0);
	b.frontier = fr;
	b.n_frontier = 3;
	return seal(x->ids[1], &b, len);
}

static uint8_t *c_ahead(struct fx *x, size_t *len)
{
	struct al_body b = rbody(x, x->ids[0], 3, &x->held.hash, T0 + 2000);
	return seal(x->ids[0], &b, len);
}

static uint8_t *c_ahead_new_feed(struct fx *x, size_t *len)
{
	al_hash h;
	memset(&h, 0x55, sizeof h);
	struct al_body b = rbody(x, x->ids[1], 2, &h, T0);
	return seal(x->ids[1], &b, len);
}

static uint8_t *c_prev_wrong(struct fx *x, size_t *len)
{
	al_hash h = x->held.hash;
	h.b[0] ^= 0x01;
	struct al_body b = rbody(x, x->ids[0], 2, &h, T0 + 2000);
	return seal(x->ids[0], &b, len);
}

static uint8_t *c_prev_missing(struct fx *x, size_t *len)
{
	struct al_body b = rbody(x, x->ids[0], 2, NULL, T0 + 2000);
	return seal(x->ids[0], &b, len);
}

static uint8_t *c_prev_on_first(struct fx *x, size_t *len)
{
	struct al_body b = rbody(x, x->ids[1], 1, &x->held.hash, T0);
	return seal(x->ids[1], &b, len);
}

/* Another validly signed m0/1. */
static uint8_t *c_equivocation(struct fx *x, size_t *len)
{
	struct al_body b = rbody(x, x->ids[0], 1, NULL, T0 + 1001);
	return seal(x->ids[0], &b, len);
}

/* The held m0/1 as a relay might re-encode its wrapper: the same signed
 * body and signature, other envelope bytes (so another hash). Taken, it
 * would be a forged equivocation. The signature field is the last 66 bytes
 * of the canonical envelope. */
static uint8_t *reencode(struct fx *x, int how, size_t *len)
{
	const uint8_t *e = x->held.bytes;
	size_t n = x->held.len, s = 2 + AL_SIGLEN, b = n - s;
	uint8_t *out = malloc(2 * n + 1);
	assert_non_null(out);
	switch (how) {
	case 0: /* signature first */
		memcpy(out, e + b, s);
		memcpy(out + s, e, b);
		*len = n;
		break;
	case 1: /* the body field twice */
		memcpy(out, e, b);
		memcpy(out + b, e, n);
		*len = b + n;
		break;
	default: /* a byte after the signature */
		memcpy(out, e, n);
		out[n] = 0;
		*len = n + 1;
		break;
	}
	return out;
}

static uint8_t *c_reencoded_swapped(struct fx *x, size_t *len)
{
	return reencode(x, 0, len);
}

static uint8_t *c_reencoded_repeated(struct fx *x, size_t *len)
{
	return reencode(x, 1, len);
}

static uint8_t *c_reencoded_trailing(struct fx *x, size_t *len)
{
	return reencode(x, 2, len);
}

static uint8_t *c_future(struct fx *x, size_t *len)
{
	struct al_body b = rbody(x, x->ids[1], 1, NULL,
				 NOW + (int64_t)x->c->params.skew * 1000 + 1);
	return seal(x->ids[1], &b, len);
}

static uint8_t *c_backwards(struct fx *x, size_t *len)
{
	struct al_body b = rbody(x, x->ids[0], 2, &x->held.hash, T0 + 999);
	return seal(x->ids[0], &b, len);
}

static const struct check_case {
	const char *name;
	build_fn build;
	enum al_reason want;
	bool parsed;      /* *env is filled (the bytes were an envelope and a body) */
	const char *why;  /* a substring the explanation must contain, or NULL */
} cases[] = {
	{ "accept: first of a new feed", c_accept_new_feed, AL_ACCEPT, true, NULL },
	{ "accept: seq 2 chained to the held seq 1", c_accept_chained, AL_ACCEPT, true, NULL },
	{ "accept: same timestamp as the previous", c_accept_same_time, AL_ACCEPT, true, NULL },
	{ "accept: at the edge of the skew window", c_accept_skew_edge, AL_ACCEPT, true, NULL },
	{ "accept: with a frontier", c_accept_frontier, AL_ACCEPT, true, NULL },
	{ "duplicate: the held bytes again", c_duplicate, AL_DUPLICATE, true, "m0/1" },
	{ "oversize: one byte over the limit", c_oversize, AL_R_OVERSIZE, false, "65537" },
	{ "malformed: random bytes", c_random, AL_R_MALFORMED, false, "malformed" },
	{ "malformed: limit-sized garbage", c_max_garbage, AL_R_MALFORMED, false, "malformed" },
	{ "malformed: truncated envelope", c_truncated, AL_R_MALFORMED, false, "malformed" },
	{ "malformed: empty", c_empty, AL_R_MALFORMED, false, "malformed" },
	{ "malformed: kind disagrees with payload", c_kind_mismatch, AL_R_MALFORMED, false,
	  "kind says commitment" },
	{ "malformed: seq 0", c_seq0, AL_R_MALFORMED, true, "m1/0" },
	{ "malformed: held m0/1 re-wrapped, signature first", c_reencoded_swapped, AL_R_MALFORMED,
	  false, "not a canonical envelope" },
	{ "malformed: held m0/1 re-wrapped, body twice", c_reencoded_repeated, AL_R_MALFORMED,
	  false, "not a canonical envelope" },
	{ "malformed: held m0/1 with a trailing byte", c_reencoded_trailing, AL_R_MALFORMED,
	  false, "not a canonical envelope" },
	{ "version: 2", c_version2, AL_R_VERSION, true, "version 2" },
	{ "version: 0", c_version0, AL_R_VERSION, true, "version 0" },
	{ "alliance: another charter's id", c_alliance, AL_R_ALLIANCE, true, "another alliance" },
	{ "author: not a member", c_author, AL_R_AUTHOR, true, "not a member" },
	{ "signature: one byte flipped", c_sig_flip, AL_R_SIGNATURE, true, "m1/1" },
	{ "signature: body changed after signing", c_body_changed, AL_R_SIGNATURE, true, "m1/1" },
	{ "signature: signed by another member", c_other_signer, AL_R_SIGNATURE, true, "m1/1" },
	{ "signature: another signing context", c_wrong_context, AL_R_SIGNATURE, true, "m1/1" },
	{ "frontier: names a non-member", c_frontier_stranger, AL_R_AHEAD, true, "not a member" },
	{ "frontier: names a feed twice", c_frontier_twice, AL_R_FRONTIER, true, "twice" },
	{ "ahead: seq 3 when head is 1", c_ahead, AL_R_AHEAD, true, "m0/3" },
	{ "ahead: seq 2 of an empty feed", c_ahead_new_feed, AL_R_AHEAD, true, "m1/2" },
	{ "prev: not the hash of seq 1", c_prev_wrong, AL_R_PREV, true, "m0/2" },
	{ "prev: seq 2 without one", c_prev_missing, AL_R_PREV, true, "m0/2" },
	{ "prev: seq 1 with one", c_prev_on_first, AL_R_PREV, true, "m1/1" },
	{ "equivocation: another m0/1", c_equivocation, AL_R_EQUIVOCATION, true, "m0/1" },
	{ "future: one ms past the skew window", c_future, AL_R_FUTURE, true, "m1/1" },
	{ "backwards: before the previous", c_backwards, AL_R_BACKWARDS, true, "m0/2" },
};

static void every_reason(void **state)
{
	struct fx *x = *state;
	bool seen[AL_REASON_COUNT] = { false };
	uint64_t count = feeds_count(x->f);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct check_case *k = &cases[i];
		size_t len;
		uint8_t *buf = k->build(x, &len);
		struct al_envelope env;
		char why[AL_ERRLEN];
		memset(why, 'x', sizeof why);
		why[sizeof why - 1] = '\0';
		enum al_reason r = feeds_check(x->ro, x->f, buf, len, NOW, &env, why);
		if (r != k->want)
			fail_msg("%s: got %s, want %s (%s)", k->name, feeds_reason_tag(r),
				 feeds_reason_tag(k->want), why);
		if (r == AL_ACCEPT && why[0])
			fail_msg("%s: accepted, but why says '%s'", k->name, why);
		if (r != AL_ACCEPT && !why[0])
			fail_msg("%s: rejected without a reason", k->name);
		if (k->why && !strstr(why, k->why))
			fail_msg("%s: why '%s' lacks '%s'", k->name, why, k->why);
		if (k->parsed) {
			/* Opened: the exact bytes, their hash, the body. */
			al_hash h;
			key_hash(buf, len, &h);
			if (env.len != len || memcmp(env.bytes, buf, len) ||
			    memcmp(&h, &env.hash, AL_HASHLEN))
				fail_msg("%s: env does not hold the offered bytes", k->name);
		} else if (env.bytes || env.body || env.len) {
			fail_msg("%s: env not zeroed", k->name);
		}
		seen[r] = true;
		envelope_clear(&env);
		free(buf);
		/* feeds_check only decides; it never changes the index. */
		assert_int_equal(feeds_count(x->f), count);
		assert_int_equal(feeds_head(x->f, &x->ids[0]->sign_pk, NULL), 1);
		assert_int_equal(feeds_head(x->f, &x->ids[1]->sign_pk, NULL), 0);
	}
	/* unreadable needs a message below a feed's head and a log that fails:
	 * non_head_duplicate_and_equivocation produces it. */
	for (int r = 0; r < AL_REASON_COUNT; r++)
		if (!seen[r] && r != AL_R_UNREADABLE)
			fail_msg("no case produces %s", feeds_reason_tag((enum al_reason)r));
}

/* Every case again through a verify pool (one worker and the caller: two
 * threads on any machine): feeds_check_item gives exactly feeds_check's
 * verdict and text, and checks no signature itself. */
static void pooled_verdicts_match(void **state)
{
	struct fx *x = *state;
	enum { NC = sizeof cases / sizeof cases[0] };
	struct al_verify *pool;
	assert_int_equal(verify_new(1, &pool), 0);
	assert_int_equal(verify_threads(pool), 2);
	struct al_verify_item items[NC];
	uint8_t *bufs[NC];
	memset(items, 0, sizeof items);
	for (size_t i = 0; i < NC; i++) {
		bufs[i] = cases[i].build(x, &items[i].len);
		items[i].buf = bufs[i];
	}
	verify_batch(pool, items, NC, NULL, NULL);
	size_t invalid = 0;
	for (size_t i = 0; i < NC; i++) {
		const struct check_case *k = &cases[i];
		char want_why[AL_ERRLEN], why[AL_ERRLEN];
		struct al_envelope env;
		enum al_reason want = feeds_check(x->ro, x->f, bufs[i], items[i].len, NOW, &env,
						  want_why);
		envelope_clear(&env);
		/* Opened by the pool: the verdict is known, none is made here. */
		if (items[i].rc == AL_OK && items[i].env.checked == AL_SIG_UNCHECKED)
			fail_msg("%s: the pool left the signature unchecked", k->name);
		invalid += items[i].rc == AL_OK && items[i].env.checked == AL_SIG_INVALID;
		uint64_t s0, v0, s1, v1;
		envelope_counts(&s0, &v0);
		enum al_reason r = feeds_check_item(x->ro, x->f, &items[i], NOW, why);
		envelope_counts(&s1, &v1);
		if (r != want || strcmp(why, want_why))
			fail_msg("%s: pooled %s '%s', direct %s '%s'", k->name, feeds_reason_tag(r),
				 why, feeds_reason_tag(want), want_why);
		if (v1 != v0)
			fail_msg("%s: feeds_check_item verified a signature again", k->name);
		envelope_clear(&items[i].env);
		free(bufs[i]);
	}
	/* The four bad signatures, and nothing else, were found bad. */
	assert_int_equal(invalid, 4);
	verify_destroy(&pool);
	assert_null(pool);
	verify_destroy(&pool); /* NULL is fine */
}

/* The verdict travels with the bytes it was computed on: changing the
 * caller's buffer after the pool ran changes nothing the check sees (it
 * decides on, and a store appends, the envelope's own copy); a flipped
 * signature byte is still refused with the reason and text of today. */
static void verdict_stays_with_its_bytes(void **state)
{
	struct fx *x = *state;
	struct al_verify *pool;
	assert_int_equal(verify_new(1, &pool), 0);
	struct al_verify_item it[VERIFY_TEST_N];
	uint8_t *good[VERIFY_TEST_N];
	memset(it, 0, sizeof it);
	for (int i = 0; i < VERIFY_TEST_N; i++) {
		good[i] = c_accept_new_feed(x, &it[i].len);
		it[i].buf = good[i];
	}
	uint8_t *flipped = malloc(it[1].len);
	assert_non_null(flipped);
	memcpy(flipped, good[1], it[1].len);
	flipped[it[1].len - 1] ^= 0x01;
	it[1].buf = flipped; /* item 1: a signature byte flipped before the pool */
	verify_batch(pool, it, VERIFY_TEST_N, NULL, NULL);
	good[0][it[0].len - 1] ^= 0x01; /* item 0: flipped after the pool ran */

	char why[AL_ERRLEN];
	assert_int_equal(feeds_check_item(x->ro, x->f, &it[0], NOW, why), AL_ACCEPT);
	good[0][it[0].len - 1] ^= 0x01;
	assert_int_equal(it[0].env.len, it[0].len);
	assert_memory_equal(it[0].env.bytes, good[0], it[0].len); /* the verified bytes */

	assert_int_equal(feeds_check_item(x->ro, x->f, &it[1], NOW, why), AL_R_SIGNATURE);
	assert_string_equal(why, "m1/1: signature does not verify");
	for (int i = 0; i < VERIFY_TEST_N; i++) {
		envelope_clear(&it[i].env);
		free(good[i]);
	}
	free(flipped);
	verify_destroy(&pool);
}

static bool skip_all(void *arg, const struct al_envelope *e)
{
	(void)arg;
	(void)e;
	return true;
}

/* What the pool was told to skip stays unchecked, and is verified when it
 * is decided: a skip that lies lets nothing in. */
static void skipped_is_still_checked(void **state)
{
	struct fx *x = *state;
	struct al_verify *pool;
	assert_int_equal(verify_new(1, &pool), 0);
	struct al_verify_item it[VERIFY_TEST_N];
	uint8_t *bufs[VERIFY_TEST_N];
	memset(it, 0, sizeof it);
	for (int i = 0; i < VERIFY_TEST_N; i++) {
		bufs[i] = c_sig_flip(x, &it[i].len);
		it[i].buf = bufs[i];
	}
	uint64_t s0, v0, s1, v1;
	envelope_counts(&s0, &v0);
	verify_batch(pool, it, VERIFY_TEST_N, skip_all, NULL);
	envelope_counts(&s1, &v1);
	assert_int_equal(v1, v0); /* nothing verified */
	char why[AL_ERRLEN];
	for (int i = 0; i < VERIFY_TEST_N; i++) {
		assert_int_equal(it[i].env.checked, AL_SIG_UNCHECKED);
		assert_int_equal(feeds_check_item(x->ro, x->f, &it[i], NOW, why), AL_R_SIGNATURE);
		assert_string_equal(why, "m1/1: signature does not verify");
		envelope_clear(&it[i].env);
		free(bufs[i]);
	}
	envelope_counts(&s1, &v1);
	assert_int_equal(v1 - v0, VERIFY_TEST_N); /* verified when decided */
	verify_destroy(&pool);
}

/* seq 1, then seq 2 chained once seq 1 is added; then both are duplicates. */
static void accept_then_chain(void **state)
{
	struct fx *x = *state;
	struct al_feeds *f;
	struct al_envelope e1, e2, env;
	char why[AL_ERRLEN];
	assert_int_equal(feeds_new(&f), 0);
	struct al_body b1 = rbody(x, x->ids[2], 1, NULL, T0);
	assert_int_equal(envelope_seal(x->ids[2], &b1, &e1), 0);
	struct al_body b2 = rbody(x, x->ids[2], 2, &e1.hash, T0 + 1);
	assert_int_equal(envelope_seal(x->ids[2], &b2, &e2), 0);

	/* seq 2 before seq 1 is held: ahead. */
	assert_int_equal(feeds_check(x->ro, f, e2.bytes, e2.len, NOW, &env, why), AL_R_AHEAD);
	envelope_clear(&env);

	assert_int_equal(feeds_check(x->ro, f, e1.bytes, e1.len, NOW, &env, why), AL_ACCEPT);
	assert_string_equal(why, "");
	assert_int_equal(env.b.seq, 1);
	assert_memory_equal(&env.hash, &e1.hash, AL_HASHLEN);
	struct al_feed_entry fe1 = { 0, 16, env.hash, env.b.timestamp, env.b.kind };
	envelope_clear(&env);
	assert_int_equal(feeds_add(f, &x->ids[2]->sign_pk, 1, &fe1), 0);

	assert_int_equal(feeds_check(x->ro, f, e2.bytes, e2.len, NOW, &env, why), AL_ACCEPT);
	struct al_feed_entry fe2 = { 1, 16 + 8 + e1.len, env.hash, env.b.timestamp, env.b.kind };
	envelope_clear(&env);
	assert_int_equal(feeds_add(f, &x->ids[2]->sign_pk, 2, &fe2), 0);

	const struct al_feed_entry *last;
	assert_int_equal(feeds_head(f, &x->ids[2]->sign_pk, &last), 2);
	assert_non_null(last);
	assert_memory_equal(&last->hash, &e2.hash, AL_HASHLEN);
	assert_int_equal(last->index, 1);
	assert_int_equal(last->offset, 16 + 8 + e1.len);
	assert_int_equal(last->timestamp, T0 + 1);
	enum al_kind kind = AL_KIND_AMENDMENT;
	assert_int_equal(feeds_offset(f, &x->ids[2]->sign_pk, 1, &kind), 16);
	assert_int_equal(kind, AL_KIND_RECEIPT);
	assert_int_equal(feeds_offset(f, &x->ids[2]->sign_pk, 0, NULL), 0);
	assert_int_equal(feeds_offset(f, &x->ids[2]->sign_pk, 3, NULL), 0);
	assert_int_equal(feeds_offset(f, &x->ids[1]->sign_pk, 1, NULL), 0);
	assert_int_equal(feeds_count(f), 2);

	/* m2/1 is no longer the head: only its hash's prefix is kept, and
	 * the log confirms it. */
	struct memlog log = { 0 };
	memlog_put(&log, 16, e1.bytes, e1.len);
	memlog_put(&log, 16 + 8 + e1.len, e2.bytes, e2.len);
	feeds_reader(f, memlog_read, &log);
	assert_int_equal(feeds_holds(f, &x->ids[2]->sign_pk, 1, &e1.hash, why), 1);
	assert_int_equal(log.reads, 1);
	assert_int_equal(feeds_holds(f, &x->ids[2]->sign_pk, 1, &e2.hash, why), 0);
	assert_int_equal(feeds_holds(f, &x->ids[2]->sign_pk, 2, &e2.hash, why), 1);
	assert_int_equal(feeds_holds(f, &x->ids[2]->sign_pk, 3, &e2.hash, why), 0);
	assert_int_equal(log.reads, 1); /* the head's hash is whole; a prefix that differs decides */

	assert_int_equal(feeds_check(x->ro, f, e1.bytes, e1.len, NOW, &env, why), AL_DUPLICATE);
	assert_non_null(strstr(why, "m2/1"));
	envelope_clear(&env);
	assert_int_equal(feeds_check(x->ro, f, e2.bytes, e2.len, NOW, &env, why), AL_DUPLICATE);
	assert_non_null(strstr(why, "m2/2"));
	envelope_clear(&env);

	envelope_clear(&e1);
	envelope_clear(&e2);
	feeds_destroy(&f);
	assert_null(f);
}

/* An older (not head) message offered again: a duplicate only when the log
 * confirms it; a different one at its seq is an equivocation, even when
 * the prefix the index keeps matches (a member can grind two messages whose
 * hashes share 64 bits: here the index is given that prefix directly). */
static void non_head_duplicate_and_equivocation(void **state)
{
	struct fx *x = *state;
	struct al_feeds *f;
	struct al_envelope e[3], other, env;
	char why[AL_ERRLEN];
	struct memlog log = { 0 };
	assert_int_equal(feeds_new(&f), 0);
	uint64_t off = 16;
	for (int s = 0; s < 3; s++) {
		struct al_body b = rbody(x, x->ids[2], (uint64_t)s + 1, s ? &e[s - 1].hash : NULL,
					 T0 + s);
		assert_int_equal(envelope_seal(x->ids[2], &b, &e[s]), 0);
		memlog_put(&log, off, e[s].bytes, e[s].len);
		struct al_feed_entry fe = { (uint64_t)s, off, e[s].hash, T0 + s, AL_KIND_RECEIPT };
		assert_int_equal(feeds_add(f, &x->ids[2]->sign_pk, (uint64_t)s + 1, &fe), 0);
		off += 8 + e[s].len;
	}
	/* Another m2/2, signed by m2 too. */
	struct al_body b = rbody(x, x->ids[2], 2, &e[0].hash, T0 + 7);
	assert_int_equal(envelope_seal(x->ids[2], &b, &other), 0);

	/* No log to confirm from: neither a duplicate nor an equivocation. */
	assert_int_equal(feeds_check(x->ro, f, e[1].bytes, e[1].len, NOW, &env, why),
			 AL_R_UNREADABLE);
	assert_non_null(strstr(why, "m2/2: a message with this author and sequence number is held, "
				    "but could not be read to compare"));
	envelope_clear(&env);
	assert_true(feeds_holds(f, &x->ids[2]->sign_pk, 2, &e[1].hash, why) < 0);

	feeds_reader(f, memlog_read, &log);
	assert_int_equal(feeds_check(x->ro, f, e[1].bytes, e[1].len, NOW, &env, why), AL_DUPLICATE);
	assert_string_equal(why, "m2/2 is already held");
	envelope_clear(&env);
	assert_int_equal(feeds_check(x->ro, f, e[0].bytes, e[0].len, NOW, &env, why), AL_DUPLICATE);
	envelope_clear(&env);
	int reads = log.reads;
	assert_int_equal(feeds_check(x->ro, f, other.bytes, other.len, NOW, &env, why),
			 AL_R_EQUIVOCATION);
	assert_non_null(strstr(why, "m2/2: equivocation"));
	envelope_clear(&env);
	assert_int_equal(log.reads, reads); /* the prefix differs: no read */

	/* The index holds other's prefix at m2/2, the log holds e[1]. */
	struct al_feeds *g;
	assert_int_equal(feeds_new(&g), 0);
	feeds_reader(g, memlog_read, &log);
	for (int s = 0; s < 3; s++) {
		struct al_feed_entry fe = { (uint64_t)s, log.offset[s], s == 1 ? other.hash : e[s].hash,
					    T0 + s, AL_KIND_RECEIPT };
		assert_int_equal(feeds_add(g, &x->ids[2]->sign_pk, (uint64_t)s + 1, &fe), 0);
	}
	assert_true(feeds_may_hold(g, &x->ids[2]->sign_pk, 2, &other.hash));
	assert_int_equal(feeds_holds(g, &x->ids[2]->sign_pk, 2, &other.hash, why), 0);
	assert_int_equal(feeds_check(x->ro, g, other.bytes, other.len, NOW, &env, why),
			 AL_R_EQUIVOCATION);
	envelope_clear(&env);
	/* Taken back to m2/2 (a rollback): the head is whole again, as given. */
	struct al_feed_entry h2 = { 1, log.offset[1], e[1].hash, T0 + 1, AL_KIND_RECEIPT };
	assert_int_equal(feeds_truncate(f, &x->ids[2]->sign_pk, 2, NULL), AL_E_INVAL);
	assert_int_equal(feeds_truncate(f, &x->ids[2]->sign_pk, 2, &(struct al_feed_entry){
				 1, log.offset[0], e[1].hash, T0 + 1, AL_KIND_RECEIPT }), AL_E_INVAL);
	assert_int_equal(feeds_head(f, &x->ids[2]->sign_pk, NULL), 3);
	assert_int_equal(feeds_truncate(f, &x->ids[2]->sign_pk, 2, &h2), 0);
	const struct al_feed_entry *last;
	assert_int_equal(feeds_head(f, &x->ids[2]->sign_pk, &last), 2);
	assert_memory_equal(last, &h2, sizeof h2);
	assert_int_equal(feeds_count(f), 2);
	reads = log.reads;
	assert_int_equal(feeds_check(x->ro, f, e[1].bytes, e[1].len, NOW, &env, why), AL_DUPLICATE);
	envelope_clear(&env);
	assert_int_equal(log.reads, reads); /* the head: no read */
	assert_int_equal(feeds_check(x->ro, f, e[2].bytes, e[2].len, NOW, &env, why), AL_ACCEPT);
	envelope_clear(&env);
	assert_int_equal(feeds_truncate(f, &x->ids[2]->sign_pk, 0, NULL), 0);
	assert_int_equal(feeds_head(f, &x->ids[2]->sign_pk, &last), 0);
	assert_null(last);

	feeds_destroy(&g);
	feeds_destroy(&f);
	envelope_clear(&other);
	for (int s = 0; s < 3; s++)
		envelope_clear(&e[s]);
}

/* Where two indexes of one feed first hold different messages: from the
 * prefixes and the full hashes, also when prefixes collide. */
static void diverge(void **state)
{
	struct fx *x = *state;
	enum { L = 6 };
	struct al_envelope e[L], o[L];
	struct memlog la = { 0 }, lb = { 0 };
	struct al_feeds *a, *b;
	char why[AL_ERRLEN];
	assert_int_equal(feeds_new(&a), 0);
	assert_int_equal(feeds_new(&b), 0);
	feeds_reader(a, memlog_read, &la);
	feeds_reader(b, memlog_read, &lb);
	/* a: e1..e6; b: e1..e3, then o4..o6 (a fork at 4). */
	for (int s = 0; s < L; s++) {
		struct al_body be = rbody(x, x->ids[1], (uint64_t)s + 1, s ? &e[s - 1].hash : NULL, T0 + s);
		assert_int_equal(envelope_seal(x->ids[1], &be, &e[s]), 0);
		const al_hash *prev = s == 0 ? NULL : s <= 3 ? &e[s - 1].hash : &o[s - 1].hash;
		struct al_body bo = rbody(x, x->ids[1], (uint64_t)s + 1, prev, T0 + s + (s >= 3));
		assert_int_equal(envelope_seal(x->ids[1], &bo, &o[s]), 0);
		const struct al_envelope *mine = s < 3 ? &e[s] : &o[s];
		memlog_put(&la, 16 + 1000 * (uint64_t)s, e[s].bytes, e[s].len);
		memlog_put(&lb, 16 + 1000 * (uint64_t)s, mine->bytes, mine->len);
		struct al_feed_entry fa = { (uint64_t)s, 16 + 1000 * (uint64_t)s, e[s].hash, T0 + s,
					    AL_KIND_RECEIPT };
		struct al_feed_entry fb = { (uint64_t)s, 16 + 1000 * (uint64_t)s, mine->hash, T0 + s,
					    AL_KIND_RECEIPT };
		/* b's index: o4's and o5's prefixes as e4's and e5's (a collision). */
		if (s == 3 || s == 4)
			fb.hash = e[s].hash;
		assert_int_equal(feeds_add(a, &x->ids[1]->sign_pk, (uint64_t)s + 1, &fa), 0);
		assert_int_equal(feeds_add(b, &x->ids[1]->sign_pk, (uint64_t)s + 1, &fb), 0);
	}
	uint64_t seq = 99;
	assert_int_equal(feeds_diverge(a, b, &x->ids[1]->sign_pk, 3, &seq, why), 0);
	assert_int_equal(seq, 0);
	assert_int_equal(feeds_diverge(a, a, &x->ids[1]->sign_pk, L, &seq, why), 0);
	assert_int_equal(seq, 0);
	/* The prefixes first differ at 6; the full hashes at 4. */
	for (uint64_t upto = 4; upto <= L; upto++) {
		assert_int_equal(feeds_diverge(a, b, &x->ids[1]->sign_pk, upto, &seq, why), 0);
		assert_int_equal(seq, 4);
		assert_int_equal(feeds_diverge(b, a, &x->ids[1]->sign_pk, upto, &seq, why), 0);
		assert_int_equal(seq, 4);
	}
	assert_int_equal(feeds_diverge(a, b, &x->ids[1]->sign_pk, L + 1, &seq, why), AL_E_INVAL);
	assert_int_equal(feeds_diverge(a, b, &x->ids[0]->sign_pk, 1, &seq, why), AL_E_INVAL);
	feeds_destroy(&a);
	feeds_destroy(&b);
	for (int s = 0; s < L; s++) {
		envelope_clear(&e[s]);
		envelope_clear(&o[s]);
	}
}

/* The memory goal (issue 11): at most 24 bytes a message, allocation
 * included (64 before: the whole hash and timestamp of every message). */
static void bytes_per_message(void **state)
{
	(void)state;
	struct al_identity *ids[4];
	struct al_feeds *f;
	assert_int_equal(feeds_new(&f), 0);
	uint64_t empty = feeds_bytes(f);
	for (int i = 0; i < 4; i++)
		ids[i] = tu_identity(i);
	enum { COUNT = 200000 };
	uint64_t next[4] = { 1, 1, 1, 1 };
	for (uint64_t i = 0; i < COUNT; i++) {
		int a = (int)(i * 7 % 11 % 4); /* uneven feeds */
		struct al_feed_entry e = { i, 16 + 300 * i, { { 0 } }, (int64_t)i, AL_KIND_RECEIPT };
		memcpy(e.hash.b, &i, sizeof i);
		assert_int_equal(feeds_add(f, &ids[a]->sign_pk, next[a]++, &e), 0);
	}
	uint64_t bytes = feeds_bytes(f);
	assert_true(bytes > empty);
	assert_true(bytes <= 12 * (uint64_t)COUNT);
	/* 8 a message, and at most a block's slack a feed. */
	assert_true(bytes <= 8 * (uint64_t)COUNT + 4 * (FEEDS_BLOCK * 8 + 4096));
	/* What each entry says survives the blocks. */
	for (int a = 0; a < 4; a++)
		for (uint64_t q = 1; q < next[a]; q += 997) {
			enum al_kind kind;
			uint64_t at = feeds_offset(f, &ids[a]->sign_pk, q, &kind);
			assert_true(at >= 16 && (at - 16) % 300 == 0);
			assert_int_equal(kind, AL_KIND_RECEIPT);
			uint64_t i = (at - 16) / 300;
			al_hash h = { { 0 } };
			memcpy(h.b, &i, sizeof i);
			assert_true(feeds_may_hold(f, &ids[a]->sign_pk, q, &h));
		}
	/* A small feed stays small. */
	struct al_feeds *g;
	assert_int_equal(feeds_new(&g), 0);
	struct al_feed_entry e = { 0, 16, { { 0 } }, 0, AL_KIND_RECEIPT };
	assert_int_equal(feeds_add(g, &ids[0]->sign_pk, 1, &e), 0);
	assert_true(feeds_bytes(g) < 2048);
	/* An entry holds offsets below 1 TiB, and the largest whole. */
	e.offset = FEEDS_MAX_OFFSET;
	assert_int_equal(feeds_add(g, &ids[0]->sign_pk, 2, &e), AL_E_INVAL);
	e.offset = FEEDS_MAX_OFFSET - 1;
	e.kind = AL_KIND_AMENDMENT;
	assert_int_equal(feeds_add(g, &ids[0]->sign_pk, 2, &e), 0);
	e.offset = 16;
	assert_int_equal(feeds_add(g, &ids[0]->sign_pk, 3, &e), 0);
	enum al_kind kind;
	assert_int_equal(feeds_offset(g, &ids[0]->sign_pk, 2, &kind), FEEDS_MAX_OFFSET - 1);
	assert_int_equal(kind, AL_KIND_AMENDMENT);
	feeds_destroy(&g);
	feeds_destroy(&f);
	for (int i = 0; i < 4; i++)
		key_destroy(&ids[i]);
}

/* A message valid in its own alliance is refused by another one's feeds,
 * even where its author is a member of both. */
static void replay_into_other_alliance(void **state)
{
	struct fx *x = *state;
	struct al_feeds *f;
	struct al_envelope env;
	char why[AL_ERRLEN];
	size_t len;
	assert_int_equal(feeds_new(&f), 0);
	uint8_t *buf = c_accept_new_feed(x, &len); /* m1/1 of c */
	assert_int_equal(feeds_check(x->ro, f, buf, len, NOW, &env, why), AL_ACCEPT);
	envelope_clear(&env);
	assert_non_null(roster_member(x->other_ro, &x->ids[1]->sign_pk));
	assert_int_equal(feeds_check(x->other_ro, f, buf, len, NOW, &env, why), AL_R_ALLIANCE);
	assert_true(why[0] != '\0');
	envelope_clear(&env);
	/* And the other way round. */
	struct al_body b = rbody(x, x->ids[1], 1, NULL, T0);
	b.alliance = x->other->id;
	free(buf);
	buf = seal(x->ids[1], &b, &len);
	assert_int_equal(feeds_check(x->other_ro, f, buf, len, NOW, &env, why), AL_ACCEPT);
	envelope_clear(&env);
	assert_int_equal(feeds_check(x->ro, f, buf, len, NOW, &env, why), AL_R_ALLIANCE);
	envelope_clear(&env);
	free(buf);
	feeds_destroy(&f);
}

/* Timestamps and clocks at the ends of int64: the skew check neither
 * overflows nor misjudges, and the message prints the raw value. */
static void extreme_times(void **state)
{
	struct fx *x = *state;
	struct al_envelope env;
	char why[AL_ERRLEN];
	size_t len;
	struct al_body b = rbody(x, x->ids[1], 1, NULL, INT64_MAX);
	uint8_t *buf = seal(x->ids[1], &b, &len);
	assert_int_equal(feeds_check(x->ro, x->f, buf, len, NOW, &env, why), AL_R_FUTURE);
	assert_non_null(strstr(why, "9223372036854775807ms"));
	envelope_clear(&env);
	/* A receiver clock near the end of int64: nothing is ahead of it. */
	assert_int_equal(feeds_check(x->ro, x->f, buf, len, INT64_MAX - 1, &env, why), AL_ACCEPT);
	envelope_clear(&env);
	free(buf);
	b = rbody(x, x->ids[1], 1, NULL, T0);
	buf = seal(x->ids[1], &b, &len);
	assert_int_equal(feeds_check(x->ro, x->f, buf, len, INT64_MAX - 1, &env, why), AL_ACCEPT);
	envelope_clear(&env);
	/* And a clock at the other end: everything is far ahead of it. */
	assert_int_equal(feeds_check(x->ro, x->f, buf, len, INT64_MIN, &env, why), AL_R_FUTURE);
	assert_non_null(strstr(why, "-9223372036854775808ms"));
	envelope_clear(&env);
	free(buf);
	/* Nothing is dated before the charter (less the skew): INT64_MIN is
	 * refused, with no overflow in the check. */
	b = rbody(x, x->ids[1], 1, NULL, INT64_MIN);
	buf = seal(x->ids[1], &b, &len);
	assert_int_equal(feeds_check(x->ro, x->f, buf, len, INT64_MAX, &env, why), AL_R_BACKWARDS);
	assert_non_null(strstr(why, "before the charter was created"));
	envelope_clear(&env);
	free(buf);
	b = rbody(x, x->ids[1], 1, NULL, x->c->created - (int64_t)x->c->params.skew * 1000);
	buf = seal(x->ids[1], &b, &len);
	assert_int_equal(feeds_check(x->ro, x->f, buf, len, NOW, &env, why), AL_ACCEPT);
	envelope_clear(&env);
	free(buf);
}

/* why may be NULL. */
static void why_may_be_null(void **state)
{
	struct fx *x = *state;
	struct al_envelope env;
	size_t len;
	uint8_t *buf = c_equivocation(x, &len);
	assert_int_equal(feeds_check(x->ro, x->f, buf, len, NOW, &env, NULL), AL_R_EQUIVOCATION);
	envelope_clear(&env);
	free(buf);
	buf = c_accept_chained(x, &len);
	assert_int_equal(feeds_check(x->ro, x->f, buf, len, NOW, &env, NULL), AL_ACCEPT);
	envelope_clear(&env);
	free(buf);
}

/* ------------------------------------------------------------ index */

static void reason_tags(void **state)
{
	(void)state;
	/* Stable: counters and JSON use them. */
	static const char *const want[AL_REASON_COUNT] = {
		[AL_ACCEPT] = "accepted",
		[AL_DUPLICATE] = "duplicate",
		[AL_R_OVERSIZE] = "oversize",
		[AL_R_MALFORMED] = "malformed",
		[AL_R_VERSION] = "bad-version",
		[AL_R_ALLIANCE] = "wrong-alliance",
		[AL_R_AUTHOR] = "unknown-author",
		[AL_R_SIGNATURE] = "bad-signature",
		[AL_R_FRONTIER] = "bad-frontier",
		[AL_R_AHEAD] = "out-of-order",
		[AL_R_PREV] = "broken-chain",
		[AL_R_EQUIVOCATION] = "equivocation",
		[AL_R_FUTURE] = "future-timestamp",
		[AL_R_BACKWARDS] = "backwards-timestamp",
		[AL_R_UNREADABLE] = "unreadable",
	};
	for (int r = 0; r < AL_REASON_COUNT; r++) {
		const char *t = feeds_reason_tag((enum al_reason)r);
		assert_non_null(t);
		assert_true(t[0] != '\0');
		assert_string_not_equal(t, "unknown");
		assert_non_null(want[r]);
		assert_string_equal(t, want[r]);
		for (int q = 0; q < r; q++)
			assert_string_not_equal(t, feeds_reason_tag((enum al_reason)q));
	}
	assert_string_equal(feeds_reason_tag(AL_REASON_COUNT), "unknown");
	assert_string_equal(feeds_reason_tag((enum al_reason)-1), "unknown");
	assert_string_equal(feeds_reason_tag((enum al_reason)1000), "unknown");
}

static struct al_feed_entry entry(uint64_t index, uint8_t fill, int64_t ts)
{
	struct al_feed_entry e = { index, 16 + 100 * index, { { 0 } }, ts, AL_KIND_NONE };
	memset(e.hash.b, fill, AL_HASHLEN);
	return e;
}

static void frontier_sorted(void **state)
{
	(void)state;
	struct al_identity *ids[4];
	struct al_feeds *f;
	struct al_frontier_entry *fr;
	for (int i = 0; i < 4; i++)
		ids[i] = tu_identity(i);
	assert_int_equal(feeds_new(&f), 0);

	/* Empty: no entries (and still a buffer to free). */
	assert_int_equal(feeds_frontier(f, &fr), 0);
	free(fr);

	/* Feeds of 1, 2 and 3 messages, added in the order 3, 0, 2 (interleaved). */
	int order[] = { 3, 0, 2, 0, 3, 3 };
	uint64_t next[4] = { 1, 1, 1, 1 }, index = 0;
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		int a = order[i];
		struct al_feed_entry e = entry(index, (uint8_t)(0x10 * a + next[a]), (int64_t)index);
		assert_int_equal(feeds_add(f, &ids[a]->sign_pk, next[a]++, &e), 0);
		index++;
	}
	assert_int_equal(feeds_count(f), 6);
	long n = feeds_frontier(f, &fr);
	assert_int_equal(n, 3);
	/* Sorted by key bytes; each the last message held. */
	for (long i = 1; i < n; i++)
		assert_true(memcmp(&fr[i - 1].author, &fr[i].author, AL_KEYLEN) < 0);
	int found = 0;
	for (long i = 0; i < n; i++) {
		int a = -1;
		for (int k = 0; k < 4; k++)
			if (!memcmp(&fr[i].author, &ids[k]->sign_pk, AL_KEYLEN))
				a = k;
		assert_true(a == 0 || a == 2 || a == 3);
		found |= 1 << a;
		assert_int_equal(fr[i].seq, next[a] - 1);
		al_hash h;
		memset(h.b, 0x10 * a + (int)fr[i].seq, AL_HASHLEN);
		assert_memory_equal(&fr[i].hash, &h, AL_HASHLEN);
		const struct al_feed_entry *last;
		assert_int_equal(feeds_head(f, &ids[a]->sign_pk, &last), fr[i].seq);
		assert_memory_equal(&last->hash, &h, AL_HASHLEN);
	}
	assert_int_equal(found, (1 << 0) | (1 << 2) | (1 << 3));
	/* The keys of tu_identity(0..3) are not already in sorted order, so the
	 * frontier really was sorted (not just kept in insertion order). */
	bool insertion_sorted = memcmp(&ids[3]->sign_pk, &ids[0]->sign_pk, AL_KEYLEN) < 0 &&
				memcmp(&ids[0]->sign_pk, &ids[2]->sign_pk, AL_KEYLEN) < 0;
	assert_false(insertion_sorted);
	free(fr);
	feeds_destroy(&f);
	for (int i = 0; i < 4; i++)
		key_destroy(&ids[i]);
}

static void add_refuses_gaps(void **state)
{
	(void)state;
	struct al_identity *a = tu_identity(0), *b = tu_identity(1);
	struct al_feeds *f;
	struct al_frontier_entry *fr;
	struct al_feed_entry e = entry(0, 0x11, 5);
	assert_int_equal(feeds_new(&f), 0);
	assert_int_equal(feeds_add(f, &a->sign_pk, 0, &e), AL_E_INVAL);
	assert_int_equal(feeds_add(f, &a->sign_pk, 2, &e), AL_E_INVAL);
	assert_int_equal(feeds_head(f, &a->sign_pk, NULL), 0);
	assert_int_equal(feeds_count(f), 0);
	/* A refused first add leaves no empty feed in the frontier. */
	assert_int_equal(feeds_frontier(f, &fr), 0);
	free(fr);
	assert_int_equal(feeds_add(f, &a->sign_pk, 1, &e), 0);
	assert_int_equal(feeds_add(f, &a->sign_pk, 1, &e), AL_E_INVAL);
	assert_int_equal(feeds_add(f, &a->sign_pk, 3, &e), AL_E_INVAL);
	assert_int_equal(feeds_add(f, &b->sign_pk, 2, &e), AL_E_INVAL);
	assert_int_equal(feeds_count(f), 1);
	/* Many appends: the feed grows past its first allocation. */
	for (uint64_t s = 2; s <= 200; s++) {
		struct al_feed_entry x = entry(s - 1, (uint8_t)s, (int64_t)s);
		assert_int_equal(feeds_add(f, &a->sign_pk, s, &x), 0);
	}
	const struct al_feed_entry *last;
	assert_int_equal(feeds_head(f, &a->sign_pk, &last), 200);
	assert_int_equal(last->index, 199);
	al_hash h;
	memset(h.b, 0x11, AL_HASHLEN);
	assert_true(feeds_may_hold(f, &a->sign_pk, 1, &h));
	memset(h.b, 150, AL_HASHLEN);
	assert_true(feeds_may_hold(f, &a->sign_pk, 150, &h));
	assert_false(feeds_may_hold(f, &a->sign_pk, 151, &h));
	assert_int_equal(feeds_offset(f, &a->sign_pk, 150, NULL), 16 + 100 * 149);
	assert_int_equal(feeds_count(f), 200);
	assert_int_equal(feeds_head(f, &b->sign_pk, &last), 0);
	assert_null(last);
	feeds_destroy(&f);
	assert_null(f);
	feeds_destroy(&f); /* safe on NULL */
	key_destroy(&a);
	key_destroy(&b);
}

/* ------------------------------------------------------------ known answers */

/* Frozen from a run of this test (and checked independently: the signature
 * is Ed25519 by seed 0x10..10 over "alliance/envelope/v1\0" || body, the
 * hash BLAKE2b-256 of the envelope). Any change to the body or envelope
 * encoding, the signing context or the hash breaks them. */
static const char kat_envelope_hex[] =
	"0a54"	/* Envelope.body, 84 bytes: */
	"0801"	/*   version 1 */
	"1220aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"	/*   alliance */
	"aaaa"
	"1a205c9c6df261c9cb840475776aaefcd944b405328fab28f9b3a95ef40490d3"	/*   author (tu_identity(0)) */
	"de84"
	"2001"	/*   seq 1 */
	"3080d0eab6b733"	/*   timestamp 1767225600000 */
	"400a"	/*   kind receipt */
	"ca0100"	/*   receipt {} */
	"1240e9dbd682165a91de6ad4a6c90a0ea7bc28ec3146466238a1af2adb4e483f"	/* Envelope.signature */
	"c96d890e289b598b122f5f550fcb87fa158361b0ac346108d76dc292a01230a8"
	"6a0a";
static const char kat_hash_hex[] =
	"2b26029ae944af5dd4f3d497717d7f5a09ae4483a2e41d7cdd95e587ad2a25d6";
/* tu_charter(3, false, ids)->id */
static const char kat_charter_id_hex[] =
	"effef6449b0f8fd5e8a5fc086d50ac8e645ebc62f3071e50a67c6070150e1b0b";

/* True when got is want; otherwise prints what it is (to freeze it). */
static bool check_hex(const char *what, const uint8_t *got, size_t n, const char *want)
{
	char *hex = malloc(2 * n + 1);
	assert_non_null(hex);
	hex_encode(got, n, hex);
	bool ok = strcmp(hex, want) == 0;
	if (!ok)
		print_message("%s does not match its known answer; it is\n\"%s\"\n", what, hex);
	free(hex);
	return ok;
}

static void known_answers(void **state)
{
	(void)state;
	struct al_identity *id = tu_identity(0);
	struct al_body b;
	struct al_envelope e;
	memset(&b, 0, sizeof b);
	b.version = AL_FORMAT_VERSION;
	memset(b.alliance.b, 0xaa, AL_HASHLEN);
	b.author = id->sign_pk;
	b.seq = 1;
	b.timestamp = 1767225600000;
	b.kind = AL_KIND_RECEIPT;
	assert_int_equal(envelope_seal(id, &b, &e), 0);
	bool ok = check_hex("kat_envelope_hex", e.bytes, e.len, kat_envelope_hex);
	ok &= check_hex("kat_hash_hex", e.hash.b, AL_HASHLEN, kat_hash_hex);
	assert_true(envelope_verify(&e));
	/* Sealing is deterministic. */
	struct al_envelope e2;
	assert_int_equal(envelope_seal(id, &b, &e2), 0);
	assert_int_equal(e2.len, e.len);
	assert_memory_equal(e2.bytes, e.bytes, e.len);
	envelope_clear(&e2);
	envelope_clear(&e);

	struct al_identity *ids[N];
	struct al_charter *c = tu_charter(N, false, ids);
	ok &= check_hex("kat_charter_id_hex", c->id.b, AL_HASHLEN, kat_charter_id_hex);
	charter_destroy(&c);
	for (int i = 0; i < N; i++)
		key_destroy(&ids[i]);
	key_destroy(&id);
	assert_true(ok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(every_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(pooled_verdicts_match, setup, teardown),
		cmocka_unit_test_setup_teardown(verdict_stays_with_its_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(skipped_is_still_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(accept_then_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(non_head_duplicate_and_equivocation, setup, teardown),
		cmocka_unit_test_setup_teardown(diverge, setup, teardown),
		cmocka_unit_test(bytes_per_message),
		cmocka_unit_test_setup_teardown(replay_into_other_alliance, setup, teardown),
		cmocka_unit_test_setup_teardown(why_may_be_null, setup, teardown),
		cmocka_unit_test_setup_teardown(extreme_times, setup, teardown),
		cmocka_unit_test(reason_tags),
		cmocka_unit_test(frontier_sorted),
		cmocka_unit_test(add_refuses_gaps),
		cmocka_unit_test(known_answers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
