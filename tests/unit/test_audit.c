/* test_audit.c: the offline audit finds every fault a log can hold (damage,
 * bad signatures, duplicates, gaps, equivocation within a log, across logs
 * and in kept proofs, a charter not in force) and reports where it is. */
#include "testutil.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audit.h"
#include "err.h"
#include "feeds.h"
#include "log.h"
#include "store.h"
#include "wire.h"

#define N 3
#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */
#define AUDIT_NOW (T0 + 86400000LL)

static void destroy_ids(struct al_identity **ids)
{
	for (int i = 0; i < N; i++)
		key_destroy(&ids[i]);
}

static struct al_store *new_store(const char *dir, const struct al_charter *c)
{
	struct al_store *s;
	char why[AL_ERRLEN];
	assert_int_equal(mkdir(dir, 0700), 0);
	int rc = store_open(dir, true, c, NULL, &s, why);
	if (rc)
		fail_msg("store_open '%s': %s", dir, why);
	return s;
}

static void sync_close(struct al_store **s)
{
	char why[AL_ERRLEN];
	assert_int_equal(store_sync(*s, why), 0);
	store_close(s);
}

/* Offer every record of a log, in log order, to a store. */
static int relay_record(void *arg, const struct al_log_rec *r)
{
	struct al_store *dst = arg;
	enum al_reason reason;
	char why[AL_ERRLEN];
	assert_int_equal(store_offer(dst, r->data, r->len, T0 + 3600000, &reason, NULL, why), 0);
	if (reason != AL_ACCEPT && reason != AL_DUPLICATE)
		fail_msg("relay: %s: %s", feeds_reason_tag(reason), why);
	return 0;
}

static void relay(const char *from_dir, struct al_store *to)
{
	char why[AL_ERRLEN];
	assert_int_equal(log_scan(tu_path(3, from_dir, "log"), relay_record, NULL, to, why), 0);
}

/* Where the records of a log are. */
struct layout {
	size_t n;
	uint64_t off[16];
	uint32_t len[16];
	uint64_t size;
};

static int layout_record(void *arg, const struct al_log_rec *r)
{
	struct layout *l = arg;
	assert_true(l->n < 16);
	assert_int_equal(r->index, l->n);
	l->off[l->n] = r->offset;
	l->len[l->n] = (uint32_t)r->len;
	l->n++;
	return 0;
}

static int layout_fault(void *arg, const struct al_log_fault *f)
{
	(void)arg;
	fail_msg("the reference log has a fault: %s", f->reason);
	return -1;
}

static struct layout layout_of(const char *path)
{
	struct layout l;
	size_t size;
	char why[AL_ERRLEN];
	memset(&l, 0, sizeof l);
	assert_int_equal(log_scan(path, layout_record, layout_fault, &l, why), 0);
	free(tu_read(path, &size));
	l.size = size;
	return l;
}

static int audit1(const struct al_charter *c, const char *label, const char *log,
		  const char *proofs, struct al_audit *a)
{
	struct al_audit_source src = { label, log, proofs };
	char why[AL_ERRLEN];
	int rc = audit_run(c, &src, 1, AUDIT_NOW, a, why);
	if (rc)
		print_message("audit_run: %s\n", why);
	return rc;
}

/* The fault whose reason contains needle, or NULL. */
static const struct al_audit_fault *find_fault(const struct al_audit *a, const char *needle)
{
	for (size_t i = 0; i < a->n_faults; i++)
		if (strstr(a->faults[i].reason, needle))
			return &a->faults[i];
	return NULL;
}

static void print_faults(const struct al_audit *a)
{
	for (size_t i = 0; i < a->n_faults; i++)
		print_message("  fault: %s record %llu offset %llu: %s\n", a->faults[i].log,
			      (unsigned long long)a->faults[i].record,
			      (unsigned long long)a->faults[i].offset, a->faults[i].reason);
}

/* Exactly n faults (and so not ok when n > 0); shows them when not. */
static void expect_faults(const struct al_audit *a, size_t n)
{
	if (a->n_faults != n || a->ok != (n == 0)) {
		print_faults(a);
		fail_msg("%zu faults (ok %d), want %zu", a->n_faults, a->ok, n);
	}
}

/* ------------------------------------------------------------ fixture */

/* A small log: m0/1, m1/1, m0/2 (m0/2 chains to record 0). */
struct small {
	char *dir;
	struct al_identity *ids[N];
	struct al_charter *c;
	char log[4096];
	uint8_t *bytes;
	size_t size;
	struct layout l;
};

static int small_setup(void **state)
{
	struct small *x = calloc(1, sizeof *x);
	assert_non_null(x);
	x->dir = tu_tmpdir();
	x->c = tu_charter(N, true, x->ids);
	struct al_store *s = new_store(tu_path(0, x->dir, "s"), x->c);
	assert_int_equal(tu_commit(s, x->ids[0], T0 + 1000), 1);
	assert_int_equal(tu_commit(s, x->ids[1], T0 + 2000), 1);
	assert_int_equal(tu_commit(s, x->ids[0], T0 + 3000), 2);
	sync_close(&s);
	snprintf(x->log, sizeof x->log, "%s/s/log", x->dir);
	x->bytes = tu_read(x->log, &x->size);
	x->l = layout_of(x->log);
	assert_int_equal(x->l.n, 3);
	assert_int_equal(x->l.off[0], AL_LOG_HEADER_LEN);
	*state = x;
	return 0;
}

static int small_teardown(void **state)
{
	struct small *x = *state;
	free(x->bytes);
	charter_destroy(&x->c);
	destroy_ids(x->ids);
	tu_rmdir(x->dir);
	free(x);
	return 0;
}

/* A log frame around payload: [u32 len LE][u32 CRC-32C of those 4 bytes,
 * then the payload][payload], as lib/log.c writes it. */
static uint8_t *reframe(const uint8_t *payload, uint32_t len, size_t *flen)
{
	uint8_t *f = malloc(AL_LOG_FRAME + len);
	assert_non_null(f);
	for (int i = 0; i < 4; i++)
		f[i] = (uint8_t)(len >> (8 * i));
	uint32_t crc = log_crc32c(log_crc32c(0, f, 4), payload, len);
	for (int i = 0; i < 4; i++)
		f[4 + i] = (uint8_t)(crc >> (8 * i));
	memcpy(f + AL_LOG_FRAME, payload, len);
	*flen = AL_LOG_FRAME + len;
	return f;
}

/* ------------------------------------------------------------ clean logs */

static void clean_logs_agree(void **state)
{
	(void)state;
	struct al_identity *ids[N];
	struct al_charter *c = tu_charter(N, true, ids);
	char *dir = tu_tmpdir(), dirs[N][2048], logs[N][4096];
	struct al_store *s[N];
	for (int i = 0; i < N; i++) {
		snprintf(dirs[i], sizeof dirs[i], "%s/%c", dir, 'A' + i);
		snprintf(logs[i], sizeof logs[i], "%s/log", dirs[i]);
		s[i] = new_store(dirs[i], c);
	}
	/* Each authors a few into its own store, then every log is relayed
	 * into the others in log order. */
	for (int i = 0; i < N; i++)
		for (int k = 0; k < 2; k++)
			assert_int_equal(tu_commit(s[i], ids[i], T0 + 1000 * (2 * i + k)),
					 (uint64_t)k + 1);
	for (int i = 0; i < N; i++) {
		char why[AL_ERRLEN];
		assert_int_equal(store_sync(s[i], why), 0);
		for (int k = 0; k < N; k++)
			if (k != i)
				relay(dirs[i], s[k]);
	}
	/* A third round after the relays, so frontiers are non-trivial. */
	for (int i = 0; i < N; i++)
		assert_int_equal(tu_commit(s[i], ids[i], T0 + 10000 + i), 3);
	for (int i = 0; i < N; i++)
		for (int k = 0; k < N; k++)
			if (k != i)
				relay(dirs[i], s[k]);
	struct al_frontier_entry *want;
	long nwant = feeds_frontier(s[0]->feeds, &want);
	assert_int_equal(nwant, N);
	for (int i = 0; i < N; i++) {
		assert_int_equal(feeds_count(s[i]->feeds), 9);
		sync_close(&s[i]);
	}

	struct al_audit_source src[N] = {
		{ "A", logs[0], tu_path(0, dirs[0], "equivocations") },
		{ "B", logs[1], tu_path(1, dirs[1], "equivocations") },
		{ "C", logs[2], tu_path(2, dirs[2], "equivocations") },
	};
	struct al_audit a;
	char why[AL_ERRLEN];
	assert_int_equal(audit_run(c, src, N, AUDIT_NOW, &a, why), 0);
	expect_faults(&a, 0);
	assert_null(a.faults);
	assert_int_equal(a.records, 27);
	assert_int_equal(a.n_logs, N);
	for (int i = 0; i < N; i++) {
		char label[2] = { (char)('A' + i), 0 };
		assert_string_equal(a.logs[i].label, label);
		assert_int_equal(a.logs[i].records, 9);
		assert_int_equal(feeds_count(a.logs[i].feeds), 9);
		for (int m = 0; m < N; m++)
			assert_int_equal(feeds_head(a.logs[i].feeds, &ids[m]->sign_pk, NULL), 3);
		struct al_frontier_entry *got;
		assert_int_equal(feeds_frontier(a.logs[i].feeds, &got), N);
		assert_memory_equal(got, want, N * sizeof *got);
		free(got);
		/* The index says where each record is: its own log's first. */
		assert_int_equal(feeds_offset(a.logs[i].feeds, &ids[i]->sign_pk, 1, NULL),
				 AL_LOG_HEADER_LEN);
	}
	audit_clear(&a);
	assert_int_equal(a.n_logs, 0);
	assert_null(a.logs);

	/* Each alone is clean too; too early a clock is not. */
	for (int i = 0; i < N; i++) {
		assert_int_equal(audit_run(c, &src[i], 1, AUDIT_NOW, &a, why), 0);
		assert_true(a.ok);
		assert_int_equal(a.records, 9);
		audit_clear(&a);
	}
	assert_int_equal(audit_run(c, &src[0], 1, T0 - 86400000LL, &a, why), 0);
	assert_false(a.ok);
	/* The first of each feed is from the future; the rest are then ahead. */
	assert_int_equal(a.n_faults, 9);
	size_t future = 0, ahead = 0;
	for (size_t i = 0; i < a.n_faults; i++) {
		future += strstr(a.faults[i].reason, "future-timestamp") != NULL;
		ahead += strstr(a.faults[i].reason, "out-of-order") != NULL;
	}
	assert_int_equal(future, 3);
	assert_int_equal(ahead, 6);
	audit_clear(&a);

	free(want);
	charter_destroy(&c);
	destroy_ids(ids);
	tu_rmdir(dir);
}

/* ------------------------------------------------------------ damage */

static void every_flipped_bit_is_found(void **state)
{
	struct small *x = *state;
	const char *copy = tu_path(0, x->dir, "copy");
	struct al_audit a;
	assert_int_equal(audit1(x->c, "copy", x->log, NULL, &a), 0);
	assert_true(a.ok);
	audit_clear(&a);
	uint8_t *buf = malloc(x->size);
	assert_non_null(buf);
	size_t audits = 0;
	for (size_t off = 0; off < x->size; off++) {
		/* The record whose frame holds off (the header counts as record 0). */
		size_t r = 0;
		while (r + 1 < x->l.n && x->l.off[r + 1] <= off)
			r++;
		uint64_t want_off = off < AL_LOG_HEADER_LEN ? 0 : x->l.off[r];
		/* Every bit of the file header and of each frame (length, CRC);
		 * one bit, turn about, of each payload byte. */
		bool framing = off < AL_LOG_HEADER_LEN || off < want_off + AL_LOG_FRAME;
		int first = framing ? 0 : (int)(off % 8), last = framing ? 7 : first;
		for (int bit = first; bit <= last; bit++) {
			memcpy(buf, x->bytes, x->size);
			buf[off] ^= (uint8_t)(1u << bit);
			tu_write(copy, buf, x->size);
			int rc = audit1(x->c, "copy", copy, NULL, &a);
			audits++;
			if (rc || a.ok || a.n_faults == 0)
				fail_msg("byte %zu bit %d: flipped but rc %d ok %d faults %zu", off, bit,
					 rc, a.ok, a.n_faults);
			const struct al_audit_fault *f = &a.faults[0];
			if (strcmp(f->log, "copy") || f->record != r || f->offset != want_off) {
				print_faults(&a);
				fail_msg("byte %zu bit %d: first fault at record %llu offset %llu, want "
					 "record %zu offset %llu", off, bit, (unsigned long long)f->record,
					 (unsigned long long)f->offset, r, (unsigned long long)want_off);
			}
			/* Damage before the last record is corruption (valid records
			 * follow); in the last one it is a torn tail. */
			const char *kind = off < AL_LOG_HEADER_LEN ? "corrupt: not an alliance log"
					   : r + 1 < x->l.n ? "corrupt: " : "torn: ";
			if (strncmp(f->reason, kind, strlen(kind)))
				fail_msg("byte %zu bit %d: '%s' is not '%s...'", off, bit, f->reason,
					 kind);
			audit_clear(&a);
		}
	}
	assert_int_equal(audits, x->size + 7 * (AL_LOG_HEADER_LEN + x->l.n * AL_LOG_FRAME));
	free(buf);
	/* The audit never changed the original. */
	size_t n;
	uint8_t *again = tu_read(x->log, &n);
	assert_int_equal(n, x->size);
	assert_memory_equal(again, x->bytes, n);
	free(again);
}

/* Valid framing around an envelope whose signature no longer verifies. */
static void bad_signature_found(void **state)
{
	struct small *x = *state;
	const char *copy = tu_path(0, x->dir, "copy");
	uint64_t o1 = x->l.off[1];
	uint32_t len1 = x->l.len[1];
	uint8_t *payload = malloc(len1);
	assert_non_null(payload);
	memcpy(payload, x->bytes + o1 + AL_LOG_FRAME, len1);

	/* Reframing the unchanged payload gives the same bytes (the frame is
	 * rebuilt right), and a clean audit. */
	size_t flen;
	uint8_t *frame = reframe(payload, len1, &flen);
	assert_memory_equal(frame, x->bytes + o1, flen);
	free(frame);

	payload[len1 - 1] ^= 0x01; /* the signature is the envelope's last field */
	frame = reframe(payload, len1, &flen);
	uint8_t *buf = malloc(x->size);
	assert_non_null(buf);
	memcpy(buf, x->bytes, x->size);
	memcpy(buf + o1, frame, flen);
	tu_write(copy, buf, x->size);

	struct al_audit a;
	assert_int_equal(audit1(x->c, "copy", copy, NULL, &a), 0);
	expect_faults(&a, 1); /* m0/2 does not depend on m1/1 */
	assert_non_null(strstr(a.faults[0].reason, "bad-signature"));
	assert_non_null(strstr(a.faults[0].reason, "m1/1"));
	assert_null(strstr(a.faults[0].reason, "corrupt"));
	assert_string_equal(a.faults[0].log, "copy");
	assert_int_equal(a.faults[0].record, 1);
	assert_int_equal(a.faults[0].offset, o1);
	assert_int_equal(a.records, 3);
	assert_int_equal(a.logs[0].records, 3);
	assert_int_equal(feeds_head(a.logs[0].feeds, &x->ids[0]->sign_pk, NULL), 2);
	assert_int_equal(feeds_head(a.logs[0].feeds, &x->ids[1]->sign_pk, NULL), 0);
	audit_clear(&a);
	free(frame);
	free(buf);
	free(payload);
}

/* Where every record of a larger log is. */
struct offsets {
	size_t n;
	uint64_t off[4096];
	uint32_t len[4096];
};

static int offset_record(void *arg, const struct al_log_rec *r)
{
	struct offsets *o = arg;
	assert_true(o->n < 4096);
	o->off[o->n] = r->offset;
	o->len[o->n++] = (uint32_t)r->len;
	return 0;
}

/* Flip the last signature byte of the record at off (payload len) in
 * place, and its frame's CRC with it: valid framing, a bad signature. */
static void flip_signature(uint8_t *buf, uint64_t off, uint32_t len)
{
	uint8_t *payload = buf + off + AL_LOG_FRAME;
	payload[len - 1] ^= 0x01;
	uint32_t crc = log_crc32c(log_crc32c(0, buf + off, 4), payload, len);
	for (int i = 0; i < 4; i++)
		buf[off + 4 + i] = (uint8_t)(crc >> (8 * i));
}

/* A log of several chunks of the verify pool (verify_scan takes 1024
 * records at a time, on every core): the findings are exactly those of the
 * records, in file order, at chunk edges too. m2..m5 sign one message
 * each, at records 0, 1023, 1024 and the last, and those four signatures
 * are spoilt; m0 and m1 sign the rest. */
static void many_chunks_found_in_order(void **state)
{
	(void)state;
	enum { M = 6, RECORDS = 2600 };
	static const size_t at[4] = { 0, 1023, 1024, RECORDS - 1 };
	struct al_identity *ids[M];
	char *dir = tu_tmpdir();
	struct al_charter *c = tu_charter(M, true, ids);
	struct al_store *s = new_store(tu_path(0, dir, "s"), c);
	for (size_t i = 0, k = 0; i < RECORDS; i++) {
		int who = k < 4 && at[k] == i ? 2 + (int)k++ : (int)(i % 2);
		tu_commit(s, ids[who], T0 + 1000 + (int64_t)i);
	}
	sync_close(&s);
	char log[4096], why[AL_ERRLEN];
	snprintf(log, sizeof log, "%s/s/log", dir);
	static struct offsets o;
	o.n = 0;
	assert_int_equal(log_scan(log, offset_record, NULL, &o, why), 0);
	assert_int_equal(o.n, RECORDS);
	size_t size;
	uint8_t *buf = tu_read(log, &size);
	for (int k = 0; k < 4; k++)
		flip_signature(buf, o.off[at[k]], o.len[at[k]]);
	const char *copy = tu_path(1, dir, "copy");
	tu_write(copy, buf, size);

	struct al_audit a;
	assert_int_equal(audit1(c, "copy", copy, NULL, &a), 0);
	expect_faults(&a, 4);
	for (int k = 0; k < 4; k++) {
		char want[64];
		snprintf(want, sizeof want, "bad-signature: m%d/1: signature does not verify", 2 + k);
		assert_string_equal(a.faults[k].reason, want);
		assert_int_equal(a.faults[k].record, at[k]);
		assert_int_equal(a.faults[k].offset, o.off[at[k]]);
	}
	assert_int_equal(a.records, RECORDS);
	assert_int_equal(a.logs[0].n_valid, RECORDS - 4);
	assert_int_equal(feeds_head(a.logs[0].feeds, &ids[0]->sign_pk, NULL), (RECORDS - 4) / 2);
	assert_int_equal(feeds_head(a.logs[0].feeds, &ids[1]->sign_pk, NULL), (RECORDS - 4) / 2);
	/* The valid records kept, in file order. */
	for (size_t i = 1; i < a.logs[0].n_valid; i++)
		assert_true(a.logs[0].valid[i]->b.timestamp > a.logs[0].valid[i - 1]->b.timestamp);
	audit_clear(&a);
	free(buf);
	charter_destroy(&c);
	for (int i = 0; i < M; i++)
		key_destroy(&ids[i]);
	tu_rmdir(dir);
}

static void duplicate_record_found(void **state)
{
	struct small *x = *state;
	const char *copy = tu_path(0, x->dir, "copy");
	uint64_t o1 = x->l.off[1];
	size_t flen = AL_LOG_FRAME + x->l.len[1];
	uint8_t *buf = malloc(x->size + flen);
	assert_non_null(buf);
	memcpy(buf, x->bytes, x->size);
	memcpy(buf + x->size, x->bytes + o1, flen); /* record 1 again, as record 3 */
	tu_write(copy, buf, x->size + flen);

	struct al_audit a;
	assert_int_equal(audit1(x->c, "copy", copy, NULL, &a), 0);
	expect_faults(&a, 1);
	assert_non_null(strstr(a.faults[0].reason, "duplicate"));
	assert_non_null(strstr(a.faults[0].reason, "m1/1"));
	assert_non_null(strstr(a.faults[0].reason, "first stored as record 1"));
	assert_int_equal(a.faults[0].record, 3);
	assert_int_equal(a.faults[0].offset, x->size);
	assert_int_equal(a.records, 4);
	assert_int_equal(feeds_count(a.logs[0].feeds), 3);
	audit_clear(&a);
	free(buf);
}

static void sequence_gap_found(void **state)
{
	struct small *x = *state;
	const char *copy = tu_path(0, x->dir, "copy");
	/* Cut record 0 (m0/1): m0/2, now record 1, follows a gap. */
	uint64_t o0 = x->l.off[0], o1 = x->l.off[1];
	size_t cut = (size_t)(o1 - o0);
	uint8_t *buf = malloc(x->size);
	assert_non_null(buf);
	memcpy(buf, x->bytes, (size_t)o0);
	memcpy(buf + o0, x->bytes + o1, x->size - (size_t)o1);
	tu_write(copy, buf, x->size - cut);

	struct al_audit a;
	assert_int_equal(audit1(x->c, "copy", copy, NULL, &a), 0);
	expect_faults(&a, 1);
	assert_non_null(strstr(a.faults[0].reason, "out-of-order"));
	assert_non_null(strstr(a.faults[0].reason, "m0/2"));
	assert_int_equal(a.faults[0].record, 1);
	assert_int_equal(a.faults[0].offset, x->l.off[2] - cut);
	assert_int_equal(a.records, 2);
	audit_clear(&a);

	/* Swapping records 0 and 2 (m0/2 before m0/1): out of order, then m0/1
	 * is fine, and nothing else is claimed. */
	size_t l0 = AL_LOG_FRAME + x->l.len[0], l1 = AL_LOG_FRAME + x->l.len[1],
	       l2 = AL_LOG_FRAME + x->l.len[2];
	memcpy(buf, x->bytes, AL_LOG_HEADER_LEN);
	memcpy(buf + AL_LOG_HEADER_LEN, x->bytes + x->l.off[2], l2);
	memcpy(buf + AL_LOG_HEADER_LEN + l2, x->bytes + x->l.off[1], l1);
	memcpy(buf + AL_LOG_HEADER_LEN + l2 + l1, x->bytes + x->l.off[0], l0);
	tu_write(copy, buf, x->size);
	assert_int_equal(audit1(x->c, "copy", copy, NULL, &a), 0);
	assert_int_equal(a.n_faults, 1);
	assert_non_null(strstr(a.faults[0].reason, "out-of-order"));
	assert_int_equal(a.faults[0].record, 0);
	assert_int_equal(a.faults[0].offset, AL_LOG_HEADER_LEN);
	assert_int_equal(feeds_head(a.logs[0].feeds, &x->ids[0]->sign_pk, NULL), 1);
	audit_clear(&a);
	free(buf);
}

/* ------------------------------------------------------------ equivocation */

/* Stores A and B where m0 signed different messages as m0/1. */
struct split {
	char *dir;
	struct al_identity *ids[N];
	struct al_charter *c;
	char a[2048], b[2048];
};

static void split_new(struct split *x)
{
	x->dir = tu_tmpdir();
	x->c = tu_charter(N, true, x->ids);
	snprintf(x->a, sizeof x->a, "%s/A", x->dir);
	snprintf(x->b, sizeof x->b, "%s/B", x->dir);
	struct al_store *sa = new_store(x->a, x->c), *sb = new_store(x->b, x->c);
	assert_int_equal(tu_commit(sa, x->ids[1], T0), 1); /* shared, agreed */
	relay(x->a, sb);
	assert_int_equal(tu_commit(sa, x->ids[0], T0 + 1000), 1);
	assert_int_equal(tu_commit(sb, x->ids[0], T0 + 2000), 1);
	sync_close(&sa);
	sync_close(&sb);
}

static void split_free(struct split *x)
{
	charter_destroy(&x->c);
	destroy_ids(x->ids);
	tu_rmdir(x->dir);
}

static void cross_log_equivocation(void **state)
{
	(void)state;
	struct split x;
	split_new(&x);
	char la[4096], lb[4096], why[AL_ERRLEN];
	snprintf(la, sizeof la, "%s/log", x.a);
	snprintf(lb, sizeof lb, "%s/log", x.b);
	struct al_audit a;
	/* Each alone is consistent. */
	assert_int_equal(audit1(x.c, "A", la, NULL, &a), 0);
	assert_true(a.ok);
	audit_clear(&a);
	assert_int_equal(audit1(x.c, "B", lb, NULL, &a), 0);
	assert_true(a.ok);
	audit_clear(&a);

	struct al_audit_source src[2] = { { "A", la, NULL }, { "B", lb, NULL } };
	assert_int_equal(audit_run(x.c, src, 2, AUDIT_NOW, &a, why), 0);
	expect_faults(&a, 1); /* m1/1 is the same in both */
	const struct al_audit_fault *f = &a.faults[0];
	assert_non_null(strstr(f->reason, "equivocation"));
	assert_non_null(strstr(f->reason, "'A'"));
	assert_non_null(strstr(f->reason, "'B'"));
	assert_non_null(strstr(f->reason, "m0/1"));
	assert_string_equal(f->log, "B");
	assert_int_equal(f->record, 1);
	assert_int_equal(f->offset, feeds_offset(a.logs[1].feeds, &x.ids[0]->sign_pk, 1, NULL));
	assert_int_equal(a.records, 4);
	audit_clear(&a);
	split_free(&x);
}

/* Two logs that agree on m0/1 and m0/2 and then fork at m0/3, one longer:
 * the fork is found where it begins, though there neither log's message is
 * the head of both (the index keeps only a prefix of an older hash, and
 * reads the log to confirm), in either order. */
static void cross_log_fork_below_the_heads(void **state)
{
	(void)state;
	char *dir = tu_tmpdir(), why[AL_ERRLEN], la[4096], lb[4096];
	struct al_identity *ids[N];
	struct al_charter *c = tu_charter(N, true, ids);
	struct al_store *sa = new_store(tu_path(0, dir, "A"), c), *sb = new_store(tu_path(1, dir, "B"), c);
	assert_int_equal(tu_commit(sa, ids[0], T0), 1);
	assert_int_equal(tu_commit(sa, ids[0], T0 + 1), 2);
	assert_int_equal(tu_commit(sa, ids[1], T0 + 2), 1);
	sync_close(&sa);
	relay(tu_path(0, dir, "A"), sb);
	assert_int_equal(store_open(tu_path(0, dir, "A"), false, NULL, NULL, &sa, why), 0);
	assert_int_equal(tu_commit(sa, ids[0], T0 + 3), 3);
	assert_int_equal(tu_commit(sa, ids[0], T0 + 4), 4);
	assert_int_equal(tu_commit(sb, ids[0], T0 + 5), 3);
	sync_close(&sa);
	sync_close(&sb);
	snprintf(la, sizeof la, "%s/A/log", dir);
	snprintf(lb, sizeof lb, "%s/B/log", dir);
	for (int order = 0; order < 2; order++) {
		struct al_audit_source src[2] = { { "A", la, NULL }, { "B", lb, NULL } };
		if (order)
			src[0] = (struct al_audit_source){ "B", lb, NULL },
			src[1] = (struct al_audit_source){ "A", la, NULL };
		struct al_audit a;
		assert_int_equal(audit_run(c, src, 2, AUDIT_NOW, &a, why), 0);
		expect_faults(&a, 1);
		const struct al_audit_fault *f = &a.faults[0];
		assert_non_null(strstr(f->reason, "hold different messages as m0/3"));
		assert_string_equal(f->log, order ? "A" : "B");
		/* A: m0/1, m0/2, m1/1, m0/3...; B: m0/1, m0/2, m1/1, m0/3'. */
		assert_int_equal(f->record, 3);
		assert_int_equal(f->offset, feeds_offset(a.logs[1].feeds, &ids[0]->sign_pk, 3, NULL));
		audit_clear(&a);
	}
	/* A log against itself: nothing differs. */
	struct al_audit_source same[2] = { { "A", la, NULL }, { "A2", la, NULL } };
	struct al_audit a;
	assert_int_equal(audit_run(c, same, 2, AUDIT_NOW, &a, why), 0);
	expect_faults(&a, 0);
	audit_clear(&a);
	charter_destroy(&c);
	destroy_ids(ids);
	tu_rmdir(dir);
}

/* Three logs: the first holds nothing of m0, the other two hold different
 * m0/1. They share (m0, 1), so the audit must say they disagree. */
static void cross_log_equivocation_not_in_first(void **state)
{
	(void)state;
	struct split x;
	split_new(&x);
	char *dir = tu_tmpdir(), why[AL_ERRLEN];
	struct al_store *s = new_store(tu_path(0, dir, "Z"), x.c);
	assert_int_equal(tu_commit(s, x.ids[2], T0), 1);
	sync_close(&s);
	char lz[4096], la[4096], lb[4096];
	snprintf(lz, sizeof lz, "%s/Z/log", dir);
	snprintf(la, sizeof la, "%s/log", x.a);
	snprintf(lb, sizeof lb, "%s/log", x.b);
	struct al_audit_source src[3] = { { "Z", lz, NULL }, { "A", la, NULL }, { "B", lb, NULL } };
	struct al_audit a;
	assert_int_equal(audit_run(x.c, src, 3, AUDIT_NOW, &a, why), 0);
	/* Judge after cleaning up, so a failure leaves no files behind. */
	const struct al_audit_fault *f = find_fault(&a, "equivocation");
	bool named = f && strstr(f->reason, "'A'") && strstr(f->reason, "'B'") &&
		     strstr(f->reason, "m0/1");
	size_t n_faults = a.n_faults;
	bool ok = a.ok;
	if (!named)
		print_faults(&a);
	audit_clear(&a);
	tu_rmdir(dir);
	split_free(&x);
	if (!f)
		fail_msg("logs 'A' and 'B' hold different m0/1, but the audit found no "
			 "equivocation (cross_check compares each log only with the first)");
	assert_true(named);
	assert_int_equal(n_faults, 1);
	assert_false(ok);
}

/* A store that was offered the other m0/1 keeps the proof; the audit of
 * that store reports it. */
static void kept_proof_reported(void **state)
{
	(void)state;
	struct split x;
	split_new(&x);
	char why[AL_ERRLEN];
	struct al_store *sa, *sb;
	assert_int_equal(store_open(x.a, false, NULL, NULL, &sa, why), 0);
	assert_int_equal(store_open(x.b, false, NULL, NULL, &sb, why), 0);
	uint8_t *other;
	size_t len;
	assert_int_equal(store_get(sb, &x.ids[0]->sign_pk, 1, &other, &len, why), 0);
	enum al_reason reason;
	assert_int_equal(store_offer(sa, other, len, T0 + 3000, &reason, NULL, why), 0);
	assert_int_equal(reason, AL_R_EQUIVOCATION);
	assert_int_equal(sa->n_proofs, 1);
	free(other);
	sync_close(&sa);
	store_close(&sb);

	char la[4096], pa[4096], missing[4096];
	snprintf(la, sizeof la, "%s/log", x.a);
	snprintf(pa, sizeof pa, "%s/equivocations", x.a);
	snprintf(missing, sizeof missing, "%s/no-such-proofs", x.a);
	struct al_audit a;
	assert_int_equal(audit1(x.c, "A", la, pa, &a), 0);
	expect_faults(&a, 1);
	assert_non_null(strstr(a.faults[0].reason, "equivocation"));
	assert_non_null(strstr(a.faults[0].reason, "m0/1"));
	assert_null(strstr(a.faults[0].reason, "invalid"));
	assert_int_equal(a.faults[0].record, 0);
	assert_int_equal(a.faults[0].offset, AL_LOG_HEADER_LEN);
	assert_int_equal(a.records, 2); /* proofs are not log records */
	assert_int_equal(a.logs[0].records, 2);
	audit_clear(&a);

	/* A torn tail in the proofs file is reported, and still not counted
	 * as a log record. */
	size_t plen;
	uint8_t *pbytes = tu_read(pa, &plen), *torn = malloc(plen + 5);
	assert_non_null(torn);
	memcpy(torn, pbytes, plen);
	memcpy(torn + plen, "\x07\0\0\0\0", 5);
	tu_write(pa, torn, plen + 5);
	assert_int_equal(audit1(x.c, "A", la, pa, &a), 0);
	expect_faults(&a, 2);
	assert_non_null(find_fault(&a, "torn"));
	assert_int_equal(find_fault(&a, "torn")->offset, plen);
	assert_int_equal(a.records, 2);
	assert_int_equal(a.logs[0].records, 2);
	audit_clear(&a);
	tu_write(pa, pbytes, plen);
	free(pbytes);
	free(torn);

	/* The log alone is clean; an absent proofs file means none kept. */
	assert_int_equal(audit1(x.c, "A", la, NULL, &a), 0);
	assert_true(a.ok);
	audit_clear(&a);
	assert_int_equal(audit1(x.c, "A", la, missing, &a), 0);
	assert_true(a.ok);
	assert_int_equal(a.n_faults, 0);
	audit_clear(&a);

	/* A "proof" of two identical envelopes proves nothing: invalid. */
	uint8_t *held, *proof;
	size_t proof_len;
	struct al_log *pl;
	assert_int_equal(store_open(x.a, false, NULL, NULL, &sa, why), 0);
	assert_int_equal(store_get(sa, &x.ids[0]->sign_pk, 1, &held, &len, why), 0);
	store_close(&sa);
	assert_int_equal(wire_equivocation_pack(held, len, held, len, &proof, &proof_len), 0);
	assert_int_equal(log_open(missing, true, NULL, NULL, NULL, &pl, why), 0);
	assert_int_equal(log_append(pl, proof, proof_len, NULL, why), 0);
	assert_int_equal(log_sync(pl, why), 0);
	log_close(&pl);
	assert_int_equal(audit1(x.c, "A", la, missing, &a), 0);
	assert_int_equal(a.n_faults, 1);
	assert_non_null(strstr(a.faults[0].reason, "invalid equivocation proof"));
	audit_clear(&a);
	free(held);
	free(proof);
	split_free(&x);
}

/* A second valid signature by id over the envelope body: Ed25519 as in
 * crypto_sign_detached, with a random nonce where libsodium derives one
 * from the key and the message. Only the key's owner can make one; its
 * envelope differs from the original (another hash) around the same body. */
static void resign(const struct al_identity *id, const uint8_t *body, size_t blen,
		   uint8_t sig[AL_SIGLEN])
{
	static const char ctx[] = "alliance/envelope/v1"; /* with its NUL */
	uint8_t az[64], wide[64], a[32], r[32], k[32], ka[32];
	crypto_hash_sha512(az, id->sign_sk, 32); /* sign_sk is seed || pk */
	az[0] &= 248;
	az[31] &= 127;
	az[31] |= 64;
	memset(wide, 0, sizeof wide);
	memcpy(wide, az, 32);
	crypto_core_ed25519_scalar_reduce(a, wide);
	crypto_core_ed25519_scalar_random(r);
	assert_int_equal(crypto_scalarmult_ed25519_base_noclamp(sig, r), 0); /* R */
	crypto_hash_sha512_state st;
	crypto_hash_sha512_init(&st);
	crypto_hash_sha512_update(&st, sig, 32);
	crypto_hash_sha512_update(&st, id->sign_pk.b, AL_KEYLEN);
	crypto_hash_sha512_update(&st, (const uint8_t *)ctx, sizeof ctx);
	crypto_hash_sha512_update(&st, body, blen);
	crypto_hash_sha512_final(&st, wide);
	crypto_core_ed25519_scalar_reduce(k, wide);
	crypto_core_ed25519_scalar_mul(ka, k, a);
	crypto_core_ed25519_scalar_add(sig + 32, r, ka); /* S = r + k a */
}

/* The same signed body under two signatures of its author is one message,
 * not two: the store keeps no proof of it and the audit refuses such a
 * "proof" as invalid. */
static void same_body_is_no_equivocation(void **state)
{
	struct small *x = *state;
	char why[AL_ERRLEN];
	struct al_store *s;
	assert_int_equal(store_open(tu_path(0, x->dir, "s"), false, NULL, NULL, &s, why), 0);
	uint8_t *held, *body, sig[AL_SIGLEN], *other, *proof;
	size_t held_len, body_len, other_len, proof_len;
	assert_int_equal(store_get(s, &x->ids[0]->sign_pk, 1, &held, &held_len, why), 0);
	assert_int_equal(wire_envelope_unpack(held, held_len, &body, &body_len, sig, why), 0);
	resign(x->ids[0], body, body_len, sig);
	assert_int_equal(wire_envelope_pack(body, body_len, sig, &other, &other_len), 0);
	struct al_envelope e;
	assert_int_equal(envelope_open(other, other_len, &e, why), 0);
	assert_true(envelope_verify(&e)); /* a genuine signature of m0's */
	envelope_clear(&e);
	assert_int_equal(other_len, held_len);
	assert_memory_not_equal(other, held, held_len);

	enum al_reason reason;
	assert_int_equal(store_offer(s, other, other_len, T0 + 4000, &reason, NULL, why), 0);
	assert_int_equal(reason, AL_R_EQUIVOCATION); /* it would fork the chain */
	assert_int_equal(s->n_proofs, 0);            /* but it proves nothing */
	store_close(&s);
	size_t plen = 1;
	free(tu_read(tu_path(1, x->dir, "s/equivocations"), &plen));
	assert_int_equal(plen, AL_LOG_HEADER_LEN);

	/* Written as a proof by hand, the audit calls it invalid. */
	const char *pf = tu_path(1, x->dir, "proofs");
	struct al_log *pl;
	assert_int_equal(wire_equivocation_pack(held, held_len, other, other_len, &proof,
						&proof_len), 0);
	assert_int_equal(log_open(pf, true, NULL, NULL, NULL, &pl, why), 0);
	assert_int_equal(log_append(pl, proof, proof_len, NULL, why), 0);
	assert_int_equal(log_sync(pl, why), 0);
	log_close(&pl);
	struct al_audit a;
	assert_int_equal(audit1(x->c, "log", x->log, pf, &a), 0);
	expect_faults(&a, 1);
	assert_non_null(strstr(a.faults[0].reason, "invalid equivocation proof"));
	audit_clear(&a);
	free(held);
	free(body);
	free(other);
	free(proof);
}

/* ------------------------------------------------------------ charter, errors */

static void charter_not_in_force(void **state)
{
	struct small *x = *state;
	struct al_identity *ids[N];
	struct al_charter *c = tu_charter(N, false, ids);
	char why[AL_ERRLEN];
	/* The same alliance (the id does not cover signatures), signed by m1 only. */
	assert_memory_equal(&c->id, &x->c->id, AL_HASHLEN);
	assert_int_equal(charter_sign(c, ids[1], why), 0);
	struct al_audit a;
	assert_int_equal(audit1(c, "log", x->log, NULL, &a), 0);
	expect_faults(&a, 1); /* the log itself is fine */
	assert_string_equal(a.faults[0].log, "charter");
	assert_non_null(strstr(a.faults[0].reason, "not in force"));
	assert_non_null(strstr(a.faults[0].reason, "m0, m2"));
	assert_null(strstr(a.faults[0].reason, "m1"));
	assert_int_equal(a.records, 3);
	audit_clear(&a);

	/* Unsigned: all three are named, even with no logs to audit. */
	struct al_identity *ids2[N];
	struct al_charter *c0 = tu_charter(N, false, ids2);
	assert_int_equal(audit_run(c0, NULL, 0, AUDIT_NOW, &a, why), 0);
	assert_int_equal(a.n_faults, 1);
	assert_non_null(strstr(a.faults[0].reason, "m0, m1, m2"));
	audit_clear(&a);
	charter_destroy(&c0);
	destroy_ids(ids2);

	/* Many unsigned members with long names: the fault lists what fits. */
	struct al_charter *crowd = tu_crowd_charter(100);
	assert_int_equal(audit_run(crowd, NULL, 0, AUDIT_NOW, &a, why), 0);
	assert_int_equal(a.n_faults, 1);
	assert_non_null(strstr(a.faults[0].reason, "not signed by member-0000-"));
	assert_true(strlen(a.faults[0].reason) < AL_ERRLEN);
	assert_string_equal(a.faults[0].reason + strlen(a.faults[0].reason) - 5, ", ...");
	audit_clear(&a);
	charter_destroy(&crowd);

	/* Signed by all: no charter fault. */
	for (int i = 0; i < N; i++)
		if (i != 1)
			assert_int_equal(charter_sign(c, ids[i], why), 0);
	assert_int_equal(audit1(c, "log", x->log, NULL, &a), 0);
	assert_true(a.ok);
	audit_clear(&a);
	charter_destroy(&c);
	destroy_ids(ids);
}

static void missing_log_is_an_error(void **state)
{
	struct small *x = *state;
	const char *missing = tu_path(0, x->dir, "no-such-log");
	struct al_audit a;
	char why[AL_ERRLEN] = "";
	struct al_audit_source one = { "gone", missing, NULL };
	assert_int_equal(audit_run(x->c, &one, 1, AUDIT_NOW, &a, why), AL_E_NOENT);
	assert_non_null(strstr(why, "no-such-log"));
	assert_int_equal(a.n_faults, 0);
	assert_null(a.faults);
	assert_int_equal(a.n_logs, 0);
	assert_null(a.logs);
	assert_false(a.ok);
	/* Also after a good log. */
	struct al_audit_source two[2] = { { "good", x->log, NULL }, { "gone", missing, NULL } };
	assert_int_equal(audit_run(x->c, two, 2, AUDIT_NOW, &a, why), AL_E_NOENT);
	assert_null(a.logs);
	assert_null(a.faults);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(clean_logs_agree),
		cmocka_unit_test_setup_teardown(every_flipped_bit_is_found, small_setup,
						small_teardown),
		cmocka_unit_test_setup_teardown(bad_signature_found, small_setup, small_teardown),
		cmocka_unit_test_setup_teardown(duplicate_record_found, small_setup,
						small_teardown),
		cmocka_unit_test_setup_teardown(sequence_gap_found, small_setup, small_teardown),
		cmocka_unit_test(many_chunks_found_in_order),
		cmocka_unit_test(cross_log_equivocation),
		cmocka_unit_test(cross_log_equivocation_not_in_first),
		cmocka_unit_test(cross_log_fork_below_the_heads),
		cmocka_unit_test(kept_proof_reported),
		cmocka_unit_test_setup_teardown(same_body_is_no_equivocation, small_setup,
						small_teardown),
		cmocka_unit_test_setup_teardown(charter_not_in_force, small_setup, small_teardown),
		cmocka_unit_test_setup_teardown(missing_log_is_an_error, small_setup,
						small_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
