/* test_store.c: one alliance's directory: what is authored survives a
 * reopen, what is offered is admitted or refused for feeds_check()'s
 * reasons (and refused messages never reach the log), equivocation proofs
 * are kept and persist, a damaged log is cut (torn) or refused (corrupt),
 * and a full disk changes nothing: the seq never written is reused, and a
 * request's messages are taken back all together. */
#include "testutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fault.h"
#include "feeds.h"
#include "file.h"
#include "hex.h"
#include "home.h"
#include "log.h"
#include "wire.h"
#include "verify.h"

#define N 3
#define T0 1767225600000LL /* 2026-01-01T00:00:00Z, the charter's creation */
#define NOW (T0 + 60000)

struct fx {
	struct al_identity *ids[N];
	struct al_charter *c;
	char *dir[3]; /* stores A, B, C */
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof *x);
	assert_non_null(x);
	x->c = tu_charter(N, true, x->ids);
	for (int i = 0; i < 3; i++)
		x->dir[i] = tu_tmpdir();
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	fault_arm(AL_FAULT_FSYNC, 0);
	fault_arm(AL_FAULT_NOSPC, 0);
	for (int i = 0; i < 3; i++)
		tu_rmdir(x->dir[i]);
	for (int i = 0; i < N; i++)
		key_destroy(&x->ids[i]);
	charter_destroy(&x->c);
	free(x);
	return 0;
}

static struct al_store *create(const struct fx *x, int i)
{
	struct al_store *s;
	struct al_log_recovery rec;
	char why[AL_ERRLEN];
	int rc = store_open(x->dir[i], true, x->c, &rec, &s, why);
	if (rc)
		fail_msg("store_open: %s", why);
	assert_int_equal(rec.cut_bytes, 0);
	return s;
}

static struct al_store *reopen(const struct fx *x, int i, struct al_log_recovery *rec)
{
	struct al_store *s;
	char why[AL_ERRLEN];
	int rc = store_open(x->dir[i], false, NULL, rec, &s, why);
	if (rc)
		fail_msg("store_open: %s", why);
	return s;
}

/* The envelope of (author, seq) held in s (caller frees). */
static uint8_t *get(struct al_store *s, const struct al_identity *id, uint64_t seq, size_t *len)
{
	uint8_t *buf;
	char why[AL_ERRLEN];
	int rc = store_get(s, &id->sign_pk, seq, &buf, len, why);
	if (rc)
		fail_msg("store_get: %s", why);
	return buf;
}

static void sync_store(struct al_store *s)
{
	char why[AL_ERRLEN];
	assert_int_equal(store_sync(s, why), 0);
	assert_int_equal(log_durable(s->log), log_size(s->log));
}

static uint64_t file_size(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_size;
}

static int count_rec(void *arg, const struct al_log_rec *r)
{
	(void)r;
	(*(size_t *)arg)++;
	return 0;
}

static int count_fault(void *arg, const struct al_log_fault *f)
{
	(void)f;
	(*(size_t *)arg)++;
	return 0;
}

/* ------------------------------------------------------------ round trip */

static void author_sync_reopen(void **state)
{
	struct fx *x = *state;
	struct al_store *s = create(x, 0);
	char why[AL_ERRLEN];
	/* Interleaved feeds: m0 x3, m1 x2, m2 x1. */
	const int who[] = { 0, 1, 0, 2, 1, 0 };
	uint64_t expect_seq[N] = { 0 };
	for (size_t k = 0; k < sizeof who / sizeof *who; k++) {
		int i = who[k];
		assert_int_equal(tu_commit(s, x->ids[i], NOW + (int64_t)k * 1000), ++expect_seq[i]);
	}
	assert_true(log_durable(s->log) < log_size(s->log));
	sync_store(s);
	assert_int_equal(feeds_count(s->feeds), 6);
	assert_int_equal(log_records(s->log), 6);
	assert_int_equal(s->counts[AL_ACCEPT], 6);

	struct al_feed_entry head[N];
	uint8_t *env[N][4] = { { NULL } };
	size_t env_len[N][4];
	for (int i = 0; i < N; i++) {
		const struct al_feed_entry *last;
		assert_int_equal(feeds_head(s->feeds, &x->ids[i]->sign_pk, &last), expect_seq[i]);
		assert_non_null(last);
		head[i] = *last;
		for (uint64_t q = 1; q <= expect_seq[i]; q++)
			env[i][q] = get(s, x->ids[i], q, &env_len[i][q]);
	}
	struct al_frontier_entry *fr;
	long nfr = feeds_frontier(s->feeds, &fr);
	assert_int_equal(nfr, N);
	uint64_t size = log_size(s->log);
	al_hash cid = s->charter->id;
	store_close(&s);
	assert_null(s);

	struct al_log_recovery rec;
	s = reopen(x, 0, &rec);
	assert_int_equal(rec.cut_bytes, 0);
	assert_memory_equal(&s->charter->id, &cid, sizeof cid);
	assert_memory_equal(&s->charter->id, &x->c->id, sizeof cid);
	assert_int_equal(feeds_count(s->feeds), 6);
	assert_int_equal(log_records(s->log), 6);
	assert_int_equal(log_size(s->log), size);
	for (int i = 0; i < N; i++) {
		const struct al_feed_entry *last;
		assert_int_equal(feeds_head(s->feeds, &x->ids[i]->sign_pk, &last), expect_seq[i]);
		assert_non_null(last);
		assert_int_equal(last->index, head[i].index);
		assert_int_equal(last->offset, head[i].offset);
		assert_int_equal(last->timestamp, head[i].timestamp);
		assert_memory_equal(&last->hash, &head[i].hash, AL_HASHLEN);
		for (uint64_t q = 1; q <= expect_seq[i]; q++) {
			size_t len;
			uint8_t *b = get(s, x->ids[i], q, &len);
			assert_int_equal(len, env_len[i][q]);
			assert_memory_equal(b, env[i][q], len);
			free(b);
			free(env[i][q]);
		}
		uint8_t *b;
		size_t len;
		assert_int_equal(store_get(s, &x->ids[i]->sign_pk, expect_seq[i] + 1, &b, &len, why),
				 AL_E_NOENT);
	}
	struct al_frontier_entry *fr2;
	assert_int_equal(feeds_frontier(s->feeds, &fr2), nfr);
	assert_memory_equal(fr2, fr, (size_t)nfr * sizeof *fr);
	free(fr);
	free(fr2);
	/* Counts are since open. */
	assert_int_equal(s->counts[AL_ACCEPT], 0);
	/* The feed goes on where it stopped. */
	assert_int_equal(tu_commit(s, x->ids[2], NOW + 10000), 2);
	store_close(&s);
}

static void author_timestamp_never_goes_back(void **state)
{
	struct fx *x = *state;
	struct al_store *s = create(x, 0);
	const struct al_feed_entry *last;
	assert_int_equal(tu_commit(s, x->ids[0], NOW + 5000), 1);
	/* A clock that stepped back: the message keeps the previous time. */
	assert_int_equal(tu_commit(s, x->ids[0], NOW), 2);
	assert_int_equal(feeds_head(s->feeds, &x->ids[0]->sign_pk, &last), 2);
	assert_int_equal(last->timestamp, NOW + 5000);
	assert_int_equal(tu_commit(s, x->ids[0], NOW + 9000), 3);
	assert_int_equal(feeds_head(s->feeds, &x->ids[0]->sign_pk, &last), 3);
	assert_int_equal(last->timestamp, NOW + 9000);
	store_close(&s);
}

/* ------------------------------------------------------------ a full disk */

/* A commitment body as tu_commit makes, to author with store_author. */
static void commitment(const struct fx *x, int author, struct al_body *b, al_key *to)
{
	memset(b, 0, sizeof *b);
	b->kind = AL_KIND_COMMITMENT;
	b->u.commitment.what = (char *)"a widget";
	b->u.commitment.due = NOW + 86400000;
	*to = x->ids[author ? 0 : 1]->sign_pk;
	b->u.commitment.to = to;
	b->u.commitment.n_to = 1;
}

/* Authoring on a full disk (ENOSPC anywhere in the record): nothing is
 * appended, the feed's head and the counts stay, and the next message
 * takes the seq that was never written; reopened, the log is whole. */
static void full_disk_reuses_the_seq(void **state)
{
	struct fx *x = *state;
	struct al_store *s = create(x, 0);
	char why[AL_ERRLEN];
	assert_int_equal(tu_commit(s, x->ids[0], NOW), 1);
	sync_store(s);
	const size_t at[] = { 0, 1, 7, 8, 9, 100, 100000 /* all but the last byte */ };
	for (size_t k = 0; k < sizeof at / sizeof *at; k++) {
		struct al_body b;
		struct al_ref id = { .seq = 999 };
		al_key to;
		uint64_t size = log_size(s->log), accepted = s->counts[AL_ACCEPT];
		commitment(x, 0, &b, &to);
		fault_arm_bytes(AL_FAULT_NOSPC, 1, at[k]);
		assert_int_equal(store_author(s, x->ids[0], &b, NOW, &id, why), AL_E_NOSPC);
		assert_non_null(strstr(why, "No space left"));
		assert_int_equal(feeds_head(s->feeds, &x->ids[0]->sign_pk, NULL), k + 1);
		assert_int_equal(log_size(s->log), size);
		assert_int_equal(file_size(tu_path(0, x->dir[0], "log")), size);
		assert_int_equal(log_records(s->log), k + 1);
		assert_int_equal(s->counts[AL_ACCEPT], accepted);
		assert_int_equal(tu_commit(s, x->ids[0], NOW), k + 2);
		sync_store(s);
	}
	store_close(&s);
	struct al_log_recovery rec;
	s = reopen(x, 0, &rec); /* replay checks every chain link */
	assert_int_equal(rec.cut_bytes, 0);
	assert_int_equal(feeds_head(s->feeds, &x->ids[0]->sign_pk, NULL), 1 + sizeof at / sizeof *at);
	store_close(&s);
}

/* A peer's message offered on a full disk is not taken in (nor counted):
 * offered again once there is space, it is. */
static void full_disk_offer(void **state)
{
	struct fx *x = *state;
	char why[AL_ERRLEN];
	struct al_store *a = create(x, 0), *b = create(x, 1);
	tu_commit(a, x->ids[0], NOW);
	size_t len;
	uint8_t *e = get(a, x->ids[0], 1, &len);
	enum al_reason r;
	struct al_ref id;
	fault_arm_bytes(AL_FAULT_NOSPC, 1, 20);
	assert_int_equal(store_offer(b, e, len, NOW, &r, &id, why), AL_E_NOSPC);
	assert_int_equal(feeds_head(b->feeds, &x->ids[0]->sign_pk, NULL), 0);
	assert_int_equal(log_records(b->log), 0);
	assert_int_equal(b->counts[AL_ACCEPT], 0);
	assert_int_equal(store_offer(b, e, len, NOW, &r, &id, why), 0);
	assert_int_equal(r, AL_ACCEPT);
	assert_int_equal(b->counts[AL_ACCEPT], 1);
	assert_int_equal(feeds_head(b->feeds, &x->ids[0]->sign_pk, NULL), 1);
	free(e);
	store_close(&b);
	store_close(&a);
}

/* store_rollback takes back a request's several messages, all together:
 * the log ends where it did, the feed's head is the mark's and the next
 * message reuses the first seq taken back. It refuses to take back what
 * another author appended since, or what was synced. */
static void rollback_takes_back_a_request(void **state)
{
	struct fx *x = *state;
	char why[AL_ERRLEN];
	struct al_store *s = create(x, 0);
	tu_commit(s, x->ids[0], NOW);
	tu_commit(s, x->ids[1], NOW);
	struct al_store_mark m;
	store_mark(s, &x->ids[0]->sign_pk, &m);
	uint64_t size = log_size(s->log), count = feeds_count(s->feeds);
	uint8_t *held = tu_read(tu_path(0, x->dir[0], "log"), &(size_t){ 0 });
	for (int k = 0; k < 3; k++)
		assert_int_equal(tu_commit(s, x->ids[0], NOW), 2 + k);
	assert_int_equal(s->counts[AL_ACCEPT], 5);
	assert_int_equal(store_rollback(s, &m, why), 0);
	assert_int_equal(log_size(s->log), size);
	assert_int_equal(log_records(s->log), 2);
	assert_int_equal(feeds_count(s->feeds), count);
	assert_int_equal(feeds_head(s->feeds, &x->ids[0]->sign_pk, NULL), 1);
	assert_int_equal(s->counts[AL_ACCEPT], 2);
	size_t now_len;
	uint8_t *now = tu_read(tu_path(0, x->dir[0], "log"), &now_len);
	assert_int_equal(now_len, size);
	assert_memory_equal(now, held, size);
	free(now);
	free(held);
	assert_int_equal(tu_commit(s, x->ids[0], NOW), 2);

	/* Someone else's message since the mark: refused, nothing changed. */
	store_mark(s, &x->ids[0]->sign_pk, &m);
	tu_commit(s, x->ids[0], NOW);
	tu_commit(s, x->ids[2], NOW);
	size = log_size(s->log);
	assert_int_equal(store_rollback(s, &m, why), AL_E_INVAL);
	assert_int_equal(log_size(s->log), size);
	assert_int_equal(feeds_head(s->feeds, &x->ids[0]->sign_pk, NULL), 3);
	/* Synced: never taken back. */
	store_mark(s, &x->ids[0]->sign_pk, &m);
	tu_commit(s, x->ids[0], NOW);
	sync_store(s);
	assert_int_equal(store_rollback(s, &m, why), AL_E_INVAL);
	assert_int_equal(feeds_head(s->feeds, &x->ids[0]->sign_pk, NULL), 4);
	store_close(&s);
	struct al_log_recovery rec;
	s = reopen(x, 0, &rec);
	assert_int_equal(rec.cut_bytes, 0);
	assert_int_equal(feeds_head(s->feeds, &x->ids[0]->sign_pk, NULL), 4);
	store_close(&s);
}

/* ------------------------------------------------------------ offers */

static void duplicate_appends_nothing(void **state)
{
	struct fx *x = *state;
	struct al_store *s = create(x, 0);
	char why[AL_ERRLEN];
	tu_commit(s, x->ids[1], NOW);
	sync_store(s);
	size_t len;
	uint8_t *env = get(s, x->ids[1], 1, &len);
	uint64_t size = log_size(s->log);
	enum al_reason r;
	struct al_ref id;
	for (int k = 1; k <= 2; k++) {
		assert_int_equal(store_offer(s, env, len, NOW, &r, &id, why), 0);
		assert_int_equal(r, AL_DUPLICATE);
		assert_int_equal(log_size(s->log), size);
		assert_int_equal(log_records(s->log), 1);
		assert_int_equal(feeds_count(s->feeds), 1);
		assert_int_equal(s->counts[AL_DUPLICATE], (uint64_t)k);
	}
	assert_int_equal(file_size(tu_path(0, x->dir[0], "log")), size);
	free(env);
	store_close(&s);
}

static void equivocation_is_proven_once(void **state)
{
	struct fx *x = *state;
	char why[AL_ERRLEN];
	struct al_store *a = create(x, 0);
	struct al_store *b = create(x, 1);
	tu_commit(a, x->ids[1], NOW);
	tu_commit(b, x->ids[1], NOW + 1); /* same author, same seq, another message */
	sync_store(a);
	sync_store(b);
	size_t alen, blen;
	uint8_t *aenv = get(a, x->ids[1], 1, &alen);
	uint8_t *benv = get(b, x->ids[1], 1, &blen);
	assert_true(alen != blen || memcmp(aenv, benv, alen) != 0);

	const char *logpath = tu_path(0, x->dir[0], "log");
	size_t before_len;
	uint8_t *before = tu_read(logpath, &before_len);
	uint64_t size = log_size(a->log);
	assert_int_equal(a->n_proofs, 0);

	enum al_reason r;
	for (int k = 1; k <= 2; k++) {
		assert_int_equal(store_offer(a, benv, blen, NOW + 2, &r, NULL, why), 0);
		assert_int_equal(r, AL_R_EQUIVOCATION);
		assert_int_equal(a->counts[AL_R_EQUIVOCATION], (uint64_t)k);
		assert_int_equal(log_size(a->log), size);
		assert_int_equal(log_records(a->log), 1);
		/* One proof per (author, seq), however often it is offered. */
		assert_int_equal(a->n_proofs, 1);
		assert_memory_equal(&a->proven[0].author, &x->ids[1]->sign_pk, AL_KEYLEN);
		assert_int_equal(a->proven[0].seq, 1);
		assert_int_equal(log_records(a->equivocations), 1);
	}
	/* The first message stays the one held. */
	size_t len;
	uint8_t *held = get(a, x->ids[1], 1, &len);
	assert_int_equal(len, alen);
	assert_memory_equal(held, aenv, alen);
	free(held);
	store_close(&a);
	size_t after_len;
	uint8_t *after = tu_read(logpath, &after_len);
	assert_int_equal(after_len, before_len);
	assert_memory_equal(after, before, before_len);
	free(after);
	free(before);

	struct al_log_recovery rec;
	a = reopen(x, 0, &rec);
	assert_int_equal(a->n_proofs, 1);
	assert_memory_equal(&a->proven[0].author, &x->ids[1]->sign_pk, AL_KEYLEN);
	assert_int_equal(a->proven[0].seq, 1);
	assert_int_equal(feeds_count(a->feeds), 1);
	/* Still proven after the reopen: offering it again adds no proof. */
	assert_int_equal(store_offer(a, benv, blen, NOW + 2, &r, NULL, why), 0);
	assert_int_equal(r, AL_R_EQUIVOCATION);
	assert_int_equal(a->n_proofs, 1);
	assert_int_equal(log_records(a->equivocations), 1);
	store_close(&a);

	/* The proof on disk is the pair: held first, then the conflicting one. */
	const char *eqpath = tu_path(1, x->dir[0], "equivocations");
	size_t nrec = 0; /* records and faults: exactly one record, no fault */
	assert_int_equal(log_scan(eqpath, count_rec, count_fault, &nrec, why), 0);
	assert_int_equal(nrec, 1);
	struct al_log *l;
	assert_int_equal(log_open(eqpath, false, NULL, NULL, NULL, &l, why), 0);
	uint8_t *proof, *p1, *p2;
	size_t plen, l1, l2;
	assert_int_equal(log_read(l, AL_LOG_HEADER_LEN, &proof, &plen, why), 0);
	log_close(&l);
	assert_int_equal(wire_equivocation_unpack(proof, plen, &p1, &l1, &p2, &l2, why), 0);
	assert_int_equal(l1, alen);
	assert_memory_equal(p1, aenv, alen);
	assert_int_equal(l2, blen);
	assert_memory_equal(p2, benv, blen);
	free(p1);
	free(p2);
	free(proof);
	free(aenv);
	free(benv);
	store_close(&b);
}

static void relay_in_order(void **state)
{
	struct fx *x = *state;
	char why[AL_ERRLEN];
	struct al_store *a = create(x, 0);
	for (int k = 0; k < 3; k++)
		assert_int_equal(tu_commit(a, x->ids[0], NOW + k), (uint64_t)k + 1);
	sync_store(a);
	uint8_t *env[4];
	size_t len[4];
	for (uint64_t q = 1; q <= 3; q++)
		env[q] = get(a, x->ids[0], q, &len[q]);

	/* Out of order into a fresh store: refused, nothing appended. */
	struct al_store *c = create(x, 2);
	enum al_reason r;
	struct al_ref id;
	assert_int_equal(store_offer(c, env[2], len[2], NOW + 10, &r, NULL, why), 0);
	assert_int_equal(r, AL_R_AHEAD);
	assert_int_equal(log_size(c->log), AL_LOG_HEADER_LEN);
	assert_int_equal(log_records(c->log), 0);
	assert_int_equal(feeds_count(c->feeds), 0);
	assert_int_equal(c->counts[AL_R_AHEAD], 1);

	/* In order: each one is next in its chain. */
	for (uint64_t q = 1; q <= 3; q++) {
		memset(&id, 0, sizeof id);
		assert_int_equal(store_offer(c, env[q], len[q], NOW + 10, &r, &id, why), 0);
		if (r != AL_ACCEPT)
			fail_msg("m0/%" PRIu64 " refused: %s", q, why);
		assert_memory_equal(&id.author, &x->ids[0]->sign_pk, AL_KEYLEN);
		assert_int_equal(id.seq, q);
		assert_int_equal(log_records(c->log), q);
	}
	assert_int_equal(c->counts[AL_ACCEPT], 3);
	sync_store(c);
	const struct al_feed_entry *ea, *ec;
	assert_int_equal(feeds_head(c->feeds, &x->ids[0]->sign_pk, &ec), 3);
	assert_int_equal(feeds_head(a->feeds, &x->ids[0]->sign_pk, &ea), 3);
	assert_memory_equal(&ec->hash, &ea->hash, AL_HASHLEN);
	store_close(&c);

	/* The relayed copy survives a reopen byte for byte. */
	struct al_log_recovery rec;
	c = reopen(x, 2, &rec);
	for (uint64_t q = 1; q <= 3; q++) {
		size_t l;
		uint8_t *b = get(c, x->ids[0], q, &l);
		assert_int_equal(l, len[q]);
		assert_memory_equal(b, env[q], l);
		free(b);
		free(env[q]);
	}
	store_close(&c);
	store_close(&a);
}

/* ------------------------------------------------------------ idempotency keys */

/* Author a commitment by id with key (may be NULL) at now; returns its seq. */
static uint64_t commit_keyed(struct al_store *s, const struct al_identity *id, const char *key,
			     const char *what, int64_t now)
{
	struct al_body b;
	struct al_ref ref;
	char why[AL_ERRLEN];
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_COMMITMENT;
	b.key = (char *)key;
	b.u.commitment.what = (char *)what;
	b.u.commitment.due = now + 86400000;
	al_key to = s->charter->members[0].sign_key;
	if (!memcmp(&to, &id->sign_pk, AL_KEYLEN))
		to = s->charter->members[1].sign_key;
	b.u.commitment.to = &to;
	b.u.commitment.n_to = 1;
	if (store_author(s, id, &b, now, &ref, why))
		fail_msg("store_author: %s", why);
	return ref.seq;
}

/* The seq of author's message with key in s (0 when none), checking that
 * the message found does carry that key. */
static uint64_t keyed(struct al_store *s, const struct al_identity *author, const char *key)
{
	struct al_envelope e;
	char why[AL_ERRLEN];
	int rc = store_keyed(s, &author->sign_pk, key, &e, why);
	if (rc == AL_E_NOENT)
		return 0;
	if (rc)
		fail_msg("store_keyed: %s", why);
	assert_string_equal(e.b.key, key);
	assert_memory_equal(&e.b.author, &author->sign_pk, AL_KEYLEN);
	uint64_t seq = e.b.seq;
	envelope_clear(&e);
	return seq;
}

/* The (author, key) -> seq index answers for what is appended, durable or
 * not yet, for every author, and is rebuilt from the log at open: the log
 * is its only memory. */
static void keys_index_authored_and_replayed(void **state)
{
	struct fx *x = *state;
	struct al_store *s = create(x, 0);
	assert_int_equal(commit_keyed(s, x->ids[0], "k1", "one", NOW), 1);
	assert_int_equal(commit_keyed(s, x->ids[0], NULL, "no key", NOW + 1), 2);
	assert_int_equal(commit_keyed(s, x->ids[1], "k1", "theirs", NOW + 2), 1);
	assert_int_equal(commit_keyed(s, x->ids[0], "k2", "two", NOW + 3), 3);
	/* Appended, not yet synced: already found (a reply naming it waits
	 * for the sync like any other). */
	assert_int_equal(keyed(s, x->ids[0], "k1"), 1);
	assert_int_equal(keyed(s, x->ids[0], "k2"), 3);
	assert_int_equal(keyed(s, x->ids[1], "k1"), 1);
	assert_int_equal(keyed(s, x->ids[1], "k2"), 0); /* keys are per author */
	assert_int_equal(keyed(s, x->ids[2], "k1"), 0);
	assert_int_equal(keyed(s, x->ids[0], "k3"), 0);
	assert_int_equal(keyed(s, x->ids[0], "k"), 0);   /* no prefix match */
	assert_int_equal(keyed(s, x->ids[0], "k10"), 0);
	assert_int_equal(idem_count(s->keys), 3);
	sync_store(s);
	store_close(&s);

	struct al_log_recovery rec;
	s = reopen(x, 0, &rec);
	assert_int_equal(idem_count(s->keys), 3);
	assert_int_equal(keyed(s, x->ids[0], "k1"), 1);
	assert_int_equal(keyed(s, x->ids[0], "k2"), 3);
	assert_int_equal(keyed(s, x->ids[1], "k1"), 1);
	assert_int_equal(keyed(s, x->ids[0], "k3"), 0);
	store_close(&s);
}

/* A home restored from an old backup gets its own later messages back from
 * peers through store_offer: their keys are found as if authored here. */
static void keys_of_messages_given_back(void **state)
{
	struct fx *x = *state;
	char why[AL_ERRLEN];
	struct al_store *a = create(x, 0);
	assert_int_equal(commit_keyed(a, x->ids[0], "r1", "before", NOW), 1);
	assert_int_equal(commit_keyed(a, x->ids[0], "r2", "after", NOW + 1), 2);
	sync_store(a);
	struct al_store *c = create(x, 2);
	for (uint64_t q = 1; q <= 2; q++) {
		size_t len;
		uint8_t *env = get(a, x->ids[0], q, &len);
		enum al_reason r;
		assert_int_equal(store_offer(c, env, len, NOW + 10, &r, NULL, why), 0);
		assert_int_equal(r, AL_ACCEPT);
		free(env);
	}
	assert_int_equal(keyed(c, x->ids[0], "r1"), 1);
	assert_int_equal(keyed(c, x->ids[0], "r2"), 2);
	/* A refused message indexes nothing. */
	size_t len;
	uint8_t *env = get(a, x->ids[0], 2, &len);
	enum al_reason r;
	struct al_store *d = create(x, 1);
	assert_int_equal(store_offer(d, env, len, NOW + 10, &r, NULL, why), 0);
	assert_int_equal(r, AL_R_AHEAD);
	assert_int_equal(keyed(d, x->ids[0], "r2"), 0);
	assert_int_equal(idem_count(d->keys), 0);
	free(env);
	store_close(&d);
	store_close(&c);
	store_close(&a);
}

/* Many keys (the index grows by doubling and rehashes), and one author's
 * key on two messages (a peer may sign that): the earliest is the answer. */
static void keys_many_and_repeated(void **state)
{
	struct fx *x = *state;
	struct al_store *s = create(x, 0);
	char key[32];
	const uint64_t n = 3000;
	for (uint64_t i = 1; i <= n; i++) {
		snprintf(key, sizeof key, "load-%" PRIu64, i);
		assert_int_equal(commit_keyed(s, x->ids[0], key, "x", NOW), i);
	}
	assert_int_equal(commit_keyed(s, x->ids[0], "load-17", "again", NOW), n + 1);
	assert_int_equal(idem_count(s->keys), n + 1);
	for (uint64_t i = 1; i <= n; i++) {
		snprintf(key, sizeof key, "load-%" PRIu64, i);
		assert_int_equal(keyed(s, x->ids[0], key), i);
	}
	assert_int_equal(keyed(s, x->ids[0], "load-0"), 0);
	assert_int_equal(keyed(s, x->ids[0], "load-3001"), 0);
	sync_store(s);
	store_close(&s);
	struct al_log_recovery rec;
	s = reopen(x, 0, &rec);
	assert_int_equal(keyed(s, x->ids[0], "load-17"), 17);
	assert_int_equal(keyed(s, x->ids[0], "load-3000"), 3000);
	store_close(&s);
}

static void future_timestamp_refused(void **state)
{
	struct fx *x = *state;
	char why[AL_ERRLEN];
	int64_t skew_ms = (int64_t)x->c->params.skew * 1000;
	assert_true(skew_ms > 0);
	struct al_store *a = create(x, 0);
	/* A sender whose clock runs one millisecond past the window. */
	tu_commit(a, x->ids[1], NOW + skew_ms + 1);
	size_t len;
	uint8_t *env = get(a, x->ids[1], 1, &len);
	struct al_store *b = create(x, 1);
	enum al_reason r;
	assert_int_equal(store_offer(b, env, len, NOW, &r, NULL, why), 0);
	assert_int_equal(r, AL_R_FUTURE);
	assert_int_equal(log_records(b->log), 0);
	assert_int_equal(log_size(b->log), AL_LOG_HEADER_LEN);
	assert_int_equal(feeds_head(b->feeds, &x->ids[1]->sign_pk, NULL), 0);
	assert_int_equal(b->counts[AL_R_FUTURE], 1);
	/* A millisecond later it is at the edge of the window: admitted. */
	assert_int_equal(store_offer(b, env, len, NOW + 1, &r, NULL, why), 0);
	assert_int_equal(r, AL_ACCEPT);
	assert_int_equal(log_records(b->log), 1);
	free(env);
	store_close(&b);
	store_close(&a);
}

static void counts_by_reason(void **state)
{
	struct fx *x = *state;
	char why[AL_ERRLEN];
	struct al_store *a = create(x, 0);
	tu_commit(a, x->ids[0], NOW);
	tu_commit(a, x->ids[0], NOW);
	size_t l1, l2;
	uint8_t *e1 = get(a, x->ids[0], 1, &l1);
	uint8_t *e2 = get(a, x->ids[0], 2, &l2);
	struct al_store *b = create(x, 1);
	enum al_reason r;
	const uint8_t junk[] = { 0xde, 0xad, 0xbe, 0xef, 0x01 };

	uint64_t want[AL_REASON_COUNT] = { 0 };
	struct {
		const uint8_t *buf;
		size_t len;
		enum al_reason r;
	} offers[] = {
		{ e2, l2, AL_R_AHEAD },   { junk, sizeof junk, AL_R_MALFORMED },
		{ e1, l1, AL_ACCEPT },    { e1, l1, AL_DUPLICATE },
		{ e1, l1, AL_DUPLICATE }, { e2, l2, AL_ACCEPT },
		{ e2, l2, AL_DUPLICATE },
	};
	for (size_t k = 0; k < sizeof offers / sizeof *offers; k++) {
		assert_int_equal(store_offer(b, offers[k].buf, offers[k].len, NOW, &r, NULL, why), 0);
		assert_int_equal(r, offers[k].r);
		want[r]++;
		for (int i = 0; i < AL_REASON_COUNT; i++)
			assert_int_equal(b->counts[i], want[i]);
	}
	assert_int_equal(log_records(b->log), 2);
	/* Authoring counts as an accepted offer. */
	assert_int_equal(a->counts[AL_ACCEPT], 2);
	free(e1);
	free(e2);
	store_close(&b);
	store_close(&a);
}

/* The author signs each message once and verifies none: envelope_seal's
 * signature is known good (before: store_author ran its own fresh envelope
 * through feeds_check's verify, one verification per message). */
static void author_signs_once_verifies_never(void **state)
{
	struct fx *x = *state;
	struct al_store *a = create(x, 0);
	uint64_t s0, v0, s1, v1;
	envelope_counts(&s0, &v0);
	for (int i = 0; i < 20; i++)
		tu_commit(a, x->ids[0], NOW);
	envelope_counts(&s1, &v1);
	assert_int_equal(s1 - s0, 20);
	assert_int_equal(v1 - v0, 0);
	assert_int_equal(a->counts[AL_ACCEPT], 20);
	store_close(&a);
}

/* store_offer_item counts and explains as store_offer does, a flipped
 * signature byte included, and appends the bytes the pool verified. */
static void offer_item_as_offer(void **state)
{
	struct fx *x = *state;
	char why[AL_ERRLEN], why2[AL_ERRLEN];
	struct al_store *a = create(x, 0);
	tu_commit(a, x->ids[0], NOW);
	size_t len;
	uint8_t *e1 = get(a, x->ids[0], 1, &len);
	uint8_t *bad = malloc(len);
	assert_non_null(bad);
	memcpy(bad, e1, len);
	bad[len - 1] ^= 0x01;
	struct al_store *b = create(x, 1), *c = create(x, 2);
	struct al_verify *pool;
	assert_int_equal(verify_new(1, &pool), 0);
	const uint8_t *offers[] = { bad, e1, e1, bad, e1, bad };
	struct al_verify_item it[6];
	memset(it, 0, sizeof it);
	for (int i = 0; i < 6; i++) {
		it[i].buf = offers[i];
		it[i].len = len;
	}
	verify_batch(pool, it, 6, NULL, NULL);
	for (int i = 0; i < 6; i++) {
		enum al_reason r, r2;
		assert_int_equal(store_offer(b, offers[i], len, NOW, &r, NULL, why), 0);
		assert_int_equal(store_offer_item(c, &it[i], NOW, &r2, NULL, why2), 0);
		assert_int_equal(r2, r);
		assert_string_equal(why2, why);
		assert_null(it[i].env.bytes); /* cleared */
	}
	assert_int_equal(b->counts[AL_R_SIGNATURE], 3);
	assert_memory_equal(c->counts, b->counts, sizeof b->counts);
	assert_int_equal(log_records(c->log), 1);
	size_t l2;
	uint8_t *held = get(c, x->ids[0], 1, &l2);
	assert_int_equal(l2, len);
	assert_memory_equal(held, e1, len);
	free(held);
	verify_destroy(&pool);
	free(bad);
	free(e1);
	store_close(&c);
	store_close(&b);
	store_close(&a);
}

/* ------------------------------------------------------------ damage */

static void torn_tail_is_cut_on_open(void **state)
{
	struct fx *x = *state;
	char why[AL_ERRLEN];
	struct al_store *s = create(x, 0);
	tu_commit(s, x->ids[0], NOW);
	tu_commit(s, x->ids[1], NOW);
	tu_commit(s, x->ids[0], NOW); /* m0/2, the last record */
	sync_store(s);
	const struct al_feed_entry *last;
	assert_int_equal(feeds_head(s->feeds, &x->ids[0]->sign_pk, &last), 2);
	uint64_t lastoff = last->offset;
	store_close(&s);

	char path[4096];
	snprintf(path, sizeof path, "%s/log", x->dir[0]);
	size_t len;
	uint8_t *m = tu_read(path, &len);
	tu_write(path, m, len - 5);

	struct al_log_recovery rec;
	assert_int_equal(store_open(x->dir[0], false, NULL, &rec, &s, why), 0);
	assert_int_equal(rec.cut_bytes, len - 5 - lastoff);
	assert_int_equal(rec.cut_offset, lastoff);
	size_t blen;
	uint8_t *b = tu_read(rec.broken_path, &blen);
	assert_int_equal(blen, len - 5 - lastoff);
	assert_memory_equal(b, m + lastoff, blen);
	free(b);
	assert_int_equal(file_size(path), lastoff);
	assert_int_equal(feeds_count(s->feeds), 2);
	assert_int_equal(feeds_head(s->feeds, &x->ids[0]->sign_pk, NULL), 1);
	assert_int_equal(feeds_head(s->feeds, &x->ids[1]->sign_pk, NULL), 1);
	/* The lost message's place is free again. */
	assert_int_equal(tu_commit(s, x->ids[0], NOW + 1), 2);
	sync_store(s);
	store_close(&s);
	s = reopen(x, 0, &rec);
	assert_int_equal(rec.cut_bytes, 0);
	assert_int_equal(feeds_count(s->feeds), 3);
	store_close(&s);
	free(m);
}

static void corrupt_middle_refuses_open(void **state)
{
	struct fx *x = *state;
	char why[AL_ERRLEN], pat[64];
	struct al_store *s = create(x, 0);
	tu_commit(s, x->ids[0], NOW);
	tu_commit(s, x->ids[1], NOW);
	tu_commit(s, x->ids[2], NOW);
	sync_store(s);
	const struct al_feed_entry *mid;
	assert_int_equal(feeds_head(s->feeds, &x->ids[1]->sign_pk, &mid), 1);
	uint64_t midoff = mid->offset;
	assert_int_equal(mid->index, 1);
	store_close(&s);

	char path[4096];
	snprintf(path, sizeof path, "%s/log", x->dir[0]);
	size_t len;
	uint8_t *m = tu_read(path, &len);
	m[midoff + AL_LOG_FRAME + 10] ^= 0x01;
	tu_write(path, m, len);
	free(m);

	struct al_log_recovery rec;
	s = (struct al_store *)&rec;
	why[0] = '\0';
	assert_int_equal(store_open(x->dir[0], false, NULL, &rec, &s, why), AL_E_CORRUPT);
	assert_null(s);
	assert_non_null(strstr(why, path));
	assert_non_null(strstr(why, "record 1"));
	snprintf(pat, sizeof pat, "offset %" PRIu64, midoff);
	if (!strstr(why, pat))
		fail_msg("'%s' does not name %s", why, pat);
	assert_int_equal(file_size(path), len);
}

/* A well-framed record that does not extend its author's chain (here a
 * copy of the first) is corruption the checksum cannot see. */
static void broken_chain_refuses_open(void **state)
{
	struct fx *x = *state;
	char why[AL_ERRLEN];
	struct al_store *s = create(x, 0);
	tu_commit(s, x->ids[0], NOW);
	tu_commit(s, x->ids[1], NOW);
	sync_store(s);
	size_t elen;
	uint8_t *env = get(s, x->ids[0], 1, &elen);
	uint64_t at;
	assert_int_equal(log_append(s->log, env, elen, &at, why), 0);
	assert_int_equal(log_sync(s->log, why), 0);
	store_close(&s);
	free(env);

	struct al_log_recovery rec;
	assert_int_equal(store_open(x->dir[0], false, NULL, &rec, &s, why), AL_E_CORRUPT);
	assert_null(s);
	assert_non_null(strstr(why, "record 2"));
	char pat[64];
	snprintf(pat, sizeof pat, "offset %" PRIu64, at);
	assert_non_null(strstr(why, pat));
}

static void open_needs_a_store(void **state)
{
	struct fx *x = *state;
	char why[AL_ERRLEN];
	struct al_store *s;
	struct al_log_recovery rec;
	assert_int_equal(store_open(x->dir[0], false, NULL, &rec, &s, why), AL_E_NOENT);
	assert_null(s);
	/* Creating writes the charter; creating again refuses to overwrite it. */
	s = create(x, 0);
	store_close(&s);
	assert_int_not_equal(store_open(x->dir[0], true, x->c, &rec, &s, why), 0);
	assert_null(s);
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* A store is created whole or not at all: whichever sync fails, the
 * directory holds no store (it stays as empty as the daemon made it, and
 * creating it again works) or a whole one that opens (the sync failed
 * after the rename), never a charter without its log. */
static void creation_is_all_or_nothing(void **state)
{
	struct fx *x = *state;
	char why[AL_ERRLEN], dir[4096], tmp[4200];
	struct al_store *s;
	int n;
	for (n = 1; n < 50; n++) {
		snprintf(dir, sizeof dir, "%s/s%d", x->dir[0], n);
		snprintf(tmp, sizeof tmp, "%s.tmp", dir);
		assert_int_equal(mkdir(dir, 0700), 0);
		fault_arm(AL_FAULT_FSYNC, (unsigned)n);
		int rc = store_open(dir, true, x->c, NULL, &s, why);
		fault_arm(AL_FAULT_FSYNC, 0);
		if (rc == AL_OK) {
			store_close(&s);
			break;
		}
		if (rc != AL_E_FSYNC)
			fail_msg("sync %d failed: rc %d (%s)", n, rc, why);
		assert_null(s);
		assert_false(exists(tmp));
		bool whole = exists(tu_path(0, dir, "charter"));
		if (!whole && exists(tu_path(1, dir, "log")))
			fail_msg("sync %d failed and left a log without a charter", n);
		rc = store_open(dir, !whole, x->c, NULL, &s, why);
		if (rc)
			fail_msg("%s after sync %d failed: %s", whole ? "opening" : "creating again",
				 n, why);
		store_close(&s);
	}
	assert_true(n > 6); /* every file and directory of the store is synced */
	assert_true(n < 50);
	assert_false(exists(tmp));
}

/* A DIR.tmp left by a crash is removed, not mistaken for the store. */
static void stale_tmp_is_replaced(void **state)
{
	struct fx *x = *state;
	char why[AL_ERRLEN], dir[4096], tmp[4200];
	struct al_store *s;
	snprintf(dir, sizeof dir, "%s/store", x->dir[0]);
	snprintf(tmp, sizeof tmp, "%s.tmp", dir);
	assert_int_equal(mkdir(tmp, 0700), 0);
	tu_write(tu_path(0, tmp, "charter"), (const uint8_t *)"half", 4);
	tu_write(tu_path(0, tmp, "log"), (const uint8_t *)"alliance", 8);
	/* The directory need not exist yet either. */
	assert_int_equal(store_open(dir, true, x->c, NULL, &s, why), 0);
	assert_false(exists(tmp));
	assert_int_equal(tu_commit(s, x->ids[0], NOW), 1);
	assert_int_equal(store_sync(s, why), 0);
	store_close(&s);
	assert_int_equal(store_open(dir, false, NULL, NULL, &s, why), 0);
	assert_int_equal(log_records(s->log), 1);
	store_close(&s);
}

/* mkdir -p syncs the parent of every directory it makes, and only those. */
static void mkdirs_syncs_parents(void **state)
{
	struct fx *x = *state;
	char why[AL_ERRLEN], dir[4096];
	snprintf(dir, sizeof dir, "%s/a/b/c", x->dir[0]);
	fault_arm(AL_FAULT_FSYNC, 1);
	assert_int_equal(file_mkdirs(dir, 0700, why), AL_E_FSYNC);
	assert_non_null(strstr(why, x->dir[0]));
	fault_arm(AL_FAULT_FSYNC, 3); /* a exists: b and c are made, two syncs */
	assert_int_equal(file_mkdirs(dir, 0700, why), 0);
	assert_true(exists(dir));
	assert_true(fault_hit(AL_FAULT_FSYNC)); /* the third was not used */
	fault_arm(AL_FAULT_FSYNC, 1);
	assert_int_equal(file_mkdirs(dir, 0700, why), 0); /* all there: no sync */
	assert_true(fault_hit(AL_FAULT_FSYNC));
}

/* The alliances of a home are the whole stores in HOME/alliances: not an
 * ID.tmp being built, nor an empty ID directory (a join that crashed after
 * making it, before the store was renamed into place). */
static void home_lists_whole_stores(void **state)
{
	struct fx *x = *state;
	char why[AL_ERRLEN], dir[4096], hex[2 * AL_HASHLEN + 1];
	struct al_store *s;
	al_hash other = x->c->id, *ids;
	size_t n;
	other.b[0] ^= 1;
	snprintf(dir, sizeof dir, "%s/alliances", x->dir[0]);
	assert_int_equal(file_mkdirs(dir, 0700, why), 0);
	assert_int_equal(home_alliance_dir(x->dir[0], &other, dir, sizeof dir), 0);
	assert_int_equal(mkdir(dir, 0700), 0); /* empty */
	snprintf(dir, sizeof dir, "%s/alliances/%s.tmp", x->dir[0],
		 hex_encode(x->c->id.b, AL_HASHLEN, hex));
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(home_alliances(x->dir[0], &ids, &n, why), 0);
	assert_int_equal(n, 0);
	free(ids);
	assert_int_equal(home_alliance_dir(x->dir[0], &x->c->id, dir, sizeof dir), 0);
	assert_int_equal(store_open(dir, true, x->c, NULL, &s, why), 0);
	store_close(&s);
	assert_int_equal(home_alliances(x->dir[0], &ids, &n, why), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(&ids[0], &x->c->id, AL_HASHLEN);
	free(ids);
}

/* Keeping a proof syncs it; when that sync fails, the error (fatal) says
 * so and names the file, rather than leaving the rejection's text. */
static void proof_sync_failure_is_reported(void **state)
{
	struct fx *x = *state;
	char why[AL_ERRLEN];
	struct al_store *a = create(x, 0);
	struct al_store *b = create(x, 1);
	tu_commit(a, x->ids[1], NOW);
	tu_commit(b, x->ids[1], NOW + 1);
	sync_store(a);
	sync_store(b);
	size_t blen;
	uint8_t *benv = get(b, x->ids[1], 1, &blen);
	enum al_reason r;
	fault_arm(AL_FAULT_FSYNC, 1);
	assert_int_equal(store_offer(a, benv, blen, NOW + 2, &r, NULL, why), AL_E_FSYNC);
	fault_arm(AL_FAULT_FSYNC, 0);
	assert_int_equal(r, AL_R_EQUIVOCATION);
	assert_non_null(strstr(why, "fsync"));
	assert_non_null(strstr(why, "equivocations"));
	assert_int_equal(a->n_proofs, 0);
	free(benv);
	store_close(&a);
	store_close(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(author_sync_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(author_timestamp_never_goes_back, setup, teardown),
		cmocka_unit_test_setup_teardown(duplicate_appends_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(equivocation_is_proven_once, setup, teardown),
		cmocka_unit_test_setup_teardown(relay_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(keys_index_authored_and_replayed, setup, teardown),
		cmocka_unit_test_setup_teardown(keys_of_messages_given_back, setup, teardown),
		cmocka_unit_test_setup_teardown(keys_many_and_repeated, setup, teardown),
		cmocka_unit_test_setup_teardown(future_timestamp_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(counts_by_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(author_signs_once_verifies_never, setup, teardown),
		cmocka_unit_test_setup_teardown(offer_item_as_offer, setup, teardown),
		cmocka_unit_test_setup_teardown(torn_tail_is_cut_on_open, setup, teardown),
		cmocka_unit_test_setup_teardown(corrupt_middle_refuses_open, setup, teardown),
		cmocka_unit_test_setup_teardown(broken_chain_refuses_open, setup, teardown),
		cmocka_unit_test_setup_teardown(open_needs_a_store, setup, teardown),
		cmocka_unit_test_setup_teardown(creation_is_all_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(stale_tmp_is_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(mkdirs_syncs_parents, setup, teardown),
		cmocka_unit_test_setup_teardown(home_lists_whole_stores, setup, teardown),
		cmocka_unit_test_setup_teardown(proof_sync_failure_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(full_disk_reuses_the_seq, setup, teardown),
		cmocka_unit_test_setup_teardown(full_disk_offer, setup, teardown),
		cmocka_unit_test_setup_teardown(rollback_takes_back_a_request, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
