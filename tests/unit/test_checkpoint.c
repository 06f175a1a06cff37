/* test_checkpoint.c: a store opened from its checkpoint is the store a
 * full replay makes, field by field (feeds, keys, members), over a few
 * thousand records with joins, moves and idempotency keys; and every
 * checkpoint that does not fit (torn at any length, a bit flipped, newer
 * than the log after a restore, another alliance's, another version) is
 * a warning and a full replay, while an older one is used and more
 * replayed. */
#include "testutil.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "err.h"
#include "feeds.h"
#include "idem.h"
#include "ledger.h"
#include "log.h"
#include "roster.h"

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */
#define HALF 1500          /* records before the first checkpoint, and after */

struct fx {
	struct al_identity *ids[4]; /* 0..2 founders (quorum 2), 3 joins */
	struct al_charter *c;
	char *tmp;
	char dir[4096];
	int64_t t;
	unsigned n; /* messages authored */
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof *x);
	assert_non_null(x);
	x->c = tu_charter(3, true, x->ids);
	x->ids[3] = tu_identity(3);
	x->tmp = tu_tmpdir();
	snprintf(x->dir, sizeof x->dir, "%s/a", x->tmp);
	x->t = T0 + 1000;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	for (int i = 0; i < 4; i++)
		key_destroy(&x->ids[i]);
	charter_destroy(&x->c);
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", x->tmp);
	assert_int_equal(system(cmd), 0);
	free(x->tmp);
	free(x);
	return 0;
}

static const char *file(const struct fx *x, const char *name)
{
	return tu_path(1, x->dir, name);
}

static struct al_store *open_store(const struct fx *x, bool create)
{
	struct al_store *s;
	char why[AL_ERRLEN];
	if (store_open(x->dir, create, x->c, NULL, &s, why))
		fail_msg("store_open: %s", why);
	return s;
}

static struct al_ref author(struct fx *x, struct al_store *s, int a, struct al_body *b)
{
	char why[AL_ERRLEN], key[32];
	struct al_ref id;
	x->t += 10;
	if (x->n++ % 3 == 0) { /* every third message carries an idempotency key */
		snprintf(key, sizeof key, "req-%u", x->n);
		b->key = key;
	}
	if (store_author(s, x->ids[a], b, x->t, &id, why))
		fail_msg("store_author by %d: %s", a, why);
	b->key = NULL;
	return id;
}

static void commit(struct fx *x, struct al_store *s, int a)
{
	struct al_body b;
	al_key to = x->ids[(a + 1) % 3]->sign_pk;
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_COMMITMENT;
	b.u.commitment.what = (char *)"a widget";
	b.u.commitment.to = &to;
	b.u.commitment.n_to = 1;
	b.u.commitment.due = x->t + 86400000;
	b.u.commitment.value = 100;
	author(x, s, a, &b);
}

/* m0 proposes m3, m1 approves: m3 joins. */
static void join(struct fx *x, struct al_store *s)
{
	struct al_body b;
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_AMENDMENT;
	b.u.amendment.has_add = true;
	snprintf(b.u.amendment.add.name, sizeof b.u.amendment.add.name, "m3");
	snprintf(b.u.amendment.add.endpoint, sizeof b.u.amendment.add.endpoint,
		 "tcp://127.0.0.1:7003");
	b.u.amendment.add.sign_key = x->ids[3]->sign_pk;
	b.u.amendment.add.transport_key = x->ids[3]->transport_pk;
	struct al_ref p = author(x, s, 0, &b);
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_AMENDMENT;
	b.u.amendment.approves = p;
	author(x, s, 1, &b);
}

static void move(struct fx *x, struct al_store *s, int a, const char *endpoint)
{
	struct al_body b;
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_AMENDMENT;
	b.u.amendment.endpoint = (char *)endpoint;
	author(x, s, a, &b);
}

/* HALF records: commitments round the founders (and m3 once it joined),
 * with an amendment or two among them. */
static void history(struct fx *x, struct al_store *s, bool first)
{
	for (int i = 0; i < HALF - (first ? 2 : 1); i++) {
		if (i == HALF / 2)
			first ? join(x, s) : move(x, s, 1, "tcp://127.0.0.1:7101");
		commit(x, s, first ? i % 3 : i % 4);
	}
	char why[AL_ERRLEN];
	if (store_sync(s, why))
		fail_msg("store_sync: %s", why);
}

static void write_checkpoint(struct al_store *s)
{
	char why[AL_ERRLEN];
	if (checkpoint_write(s, T0, why))
		fail_msg("checkpoint_write: %s", why);
}

/* The store as a full replay makes it: opened with the checkpoint moved
 * out of the way. */
static struct al_store *full_replay(const struct fx *x)
{
	char away[4200];
	snprintf(away, sizeof away, "%s.away", file(x, AL_CKPT_FILE));
	bool had = rename(file(x, AL_CKPT_FILE), away) == 0;
	struct al_store *s = open_store(x, false);
	assert_false(s->ckpt.used);
	assert_string_equal(s->ckpt.warning, "");
	if (had)
		assert_int_equal(rename(away, file(x, AL_CKPT_FILE)), 0);
	return s;
}

static void assert_same(struct al_store *a, struct al_store *b)
{
	char why[AL_ERRLEN];
	if (checkpoint_compare(a, b, why))
		fail_msg("not the state of a full replay: %s", why);
}

/* The ledger s holds is a full replay's; from_checkpoint: the checkpoint's
 * ledger section was loaded (and what followed added to it); rebuilt: it
 * had to be rebuilt from the log all the same (an amendment that changed
 * the members came after the checkpoint). */
static void assert_ledger_replayed(struct al_store *s, bool from_checkpoint, bool rebuilt)
{
	char why[AL_ERRLEN];
	struct al_ledger *l;
	if (s->ckpt.ledger != from_checkpoint) fail_msg("ledger section: %d, %s", s->ckpt.ledger, s->ckpt.ledger_why);
	uint64_t rebuilds = s->ledger_rebuilds;
	if (store_ledger(s, &l, why))
		fail_msg("store_ledger: %s", why);
	assert_int_equal(s->ledger_rebuilds, rebuilds + rebuilt);
	if (store_ledger_check(s, why))
		fail_msg("%s", why);
}

/* A store of 2 * HALF records, with a checkpoint covering the first HALF
 * (and m3's join), and the file as it was then in *old. */
static void two_halves(struct fx *x, uint8_t **old, size_t *old_len)
{
	struct al_store *s = open_store(x, true);
	history(x, s, true);
	write_checkpoint(s);
	*old = tu_read(file(x, AL_CKPT_FILE), old_len);
	history(x, s, false);
	store_close(&s);
}

/* The store of two_halves with a checkpoint covering all of it, and that
 * checkpoint's bytes (the caller's). */
static uint8_t *current_checkpoint(struct fx *x, size_t *len)
{
	uint8_t *old;
	size_t old_len;
	two_halves(x, &old, &old_len);
	free(old);
	struct al_store *s = open_store(x, false);
	write_checkpoint(s);
	store_close(&s);
	return tu_read(file(x, AL_CKPT_FILE), len);
}

static void equal_to_full_replay(void **state)
{
	struct fx *x = *state;
	uint8_t *old;
	size_t old_len;
	two_halves(x, &old, &old_len);
	struct al_store *full = full_replay(x);
	assert_int_equal(log_records(full->log), 2 * HALF);
	/* An older checkpoint (covering half): used, the rest replayed. */
	struct al_store *s = open_store(x, false);
	assert_true(s->ckpt.used);
	assert_string_equal(s->ckpt.warning, "");
	assert_int_equal(s->ckpt.covered, HALF);
	assert_int_equal(s->ckpt.replayed, HALF);
	assert_same(s, full);
	assert_int_equal(roster_standing(store_roster(s), 3), AL_JOINED);
	assert_string_equal(store_roster(s)->members[1].endpoint, "tcp://127.0.0.1:7101");
	/* The move came after it: the ledger it saved is kept (an endpoint is
	 * nothing the ledger judges: it replays the move itself). */
	assert_ledger_replayed(s, true, false);
	/* A current one: nothing replayed, the same state. */
	write_checkpoint(s);
	store_close(&s);
	s = open_store(x, false);
	assert_true(s->ckpt.used);
	assert_int_equal(s->ckpt.covered, 2 * HALF);
	assert_int_equal(s->ckpt.replayed, 0);
	assert_same(s, full);
	assert_ledger_replayed(s, true, false);
	/* The comparison can fail: one more message is a difference. */
	char why[AL_ERRLEN];
	commit(x, s, 0);
	assert_int_equal(checkpoint_compare(s, full, why), AL_E_INVAL);
	store_close(&s);
	store_close(&full);
	free(old);
}

/* Open with the checkpoint file holding buf: a warning naming what is
 * wrong (contains), a full replay, the state of one. */
static void refused(struct fx *x, const uint8_t *buf, size_t len, const char *contains,
		    struct al_store *full)
{
	tu_write(file(x, AL_CKPT_FILE), buf, len);
	struct al_store *s = open_store(x, false);
	if (s->ckpt.used || !*s->ckpt.warning || !strstr(s->ckpt.warning, contains))
		fail_msg("checkpoint of %zu bytes: used %d, warning '%s' (want '%s')", len,
			 s->ckpt.used, s->ckpt.warning, contains);
	assert_int_equal(s->ckpt.replayed, log_records(s->log));
	assert_same(s, full);
	store_close(&s);
}

static void torn_and_flipped(void **state)
{
	struct fx *x = *state;
	size_t len;
	uint8_t *good = current_checkpoint(x, &len);
	struct al_store *full = full_replay(x);
	struct al_store *s;
	srand(11);
	refused(x, good, 0, "cut short", full);
	refused(x, good, len - 1, "checksum", full);
	for (int i = 0; i < 12; i++) /* torn at random lengths */
		refused(x, good, (size_t)rand() % len, "", full);
	uint8_t *bad = malloc(len);
	assert_non_null(bad);
	for (int i = 0; i < 24; i++) { /* a bit flipped anywhere, header and sum included */
		size_t at = i < 4 ? (size_t[]){ 0, 20, len - 1, len - 40 }[i] : (size_t)rand() % len;
		memcpy(bad, good, len);
		bad[at] ^= (uint8_t)(1u << (rand() % 8));
		refused(x, bad, len, "checksum", full);
	}
	tu_write(file(x, AL_CKPT_FILE), good, len);
	s = open_store(x, false);
	assert_true(s->ckpt.used); /* the intact one still is */
	store_close(&s);
	store_close(&full);
	free(bad);
	free(good);
}

/* Rewrite the checksum after changing buf (a well-formed file that says
 * something else). */
static void resum(uint8_t *buf, size_t len)
{
	crypto_generichash(buf + len - 32, 32, buf, len - 32, NULL, 0);
}

static void version_and_foreign(void **state)
{
	struct fx *x = *state;
	uint8_t *old;
	size_t old_len;
	two_halves(x, &old, &old_len);
	struct al_store *full = full_replay(x);
	old[AL_CKPT_MAGIC_LEN] = AL_CKPT_VERSION + 1;
	resum(old, old_len);
	refused(x, old, old_len, "format version 4; this build reads version 3", full);
	/* Versions 1 (its feeds section held every message's whole hash and
	 * timestamp: 60 bytes an entry) and 2 (16 bytes an entry) are refused:
	 * a full replay. */
	for (uint8_t v = 1; v <= 2; v++) {
		char want[64];
		snprintf(want, sizeof want, "format version %u; this build reads version 3", v);
		old[AL_CKPT_MAGIC_LEN] = v;
		resum(old, old_len);
		refused(x, old, old_len, want, full);
	}
	old[AL_CKPT_MAGIC_LEN] = AL_CKPT_VERSION;
	old[AL_CKPT_MAGIC_LEN + 8] ^= 1; /* the alliance id */
	resum(old, old_len);
	refused(x, old, old_len, "another alliance's", full);
	old[AL_CKPT_MAGIC_LEN + 8] ^= 1;
	old[0] = 'X';
	resum(old, old_len);
	refused(x, old, old_len, "not a checkpoint", full);
	old[0] = 'a';
	resum(old, old_len);
	/* An unknown section (a later version's) is skipped: still used. */
	uint8_t *more = malloc(old_len + 16);
	assert_non_null(more);
	memcpy(more, old, old_len - 32);
	uint8_t sec[16] = { 99, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 };
	memcpy(more + old_len - 32, sec, sizeof sec);
	resum(more, old_len + 16);
	tu_write(file(x, AL_CKPT_FILE), more, old_len + 16);
	struct al_store *s = open_store(x, false);
	assert_true(s->ckpt.used);
	assert_same(s, full);
	store_close(&s);
	store_close(&full);
	free(more);
	free(old);
}

/* A log restored from an older backup, with the newer checkpoint: shorter
 * than it covers, or as long but with other records. */
/* A checkpoint whose ledger section does not load (here: a payload
 * version this build does not know, the checksum made right): the rest
 * of the checkpoint is used, the ledger rebuilt from the log, and why is
 * kept for status. */
static void ledger_section_refused(void **state)
{
	struct fx *x = *state;
	size_t len;
	uint8_t *buf = current_checkpoint(x, &len);
	size_t at = 16 + 4 + 4 + 32 + 8 + 8 + 8 + 32 + 8, found = 0;
	while (at + 12 <= len - 32) {
		uint32_t tag = buf[at] | buf[at + 1] << 8 | (uint32_t)buf[at + 2] << 16 |
			       (uint32_t)buf[at + 3] << 24;
		uint64_t n = 0;
		for (int i = 7; i >= 0; i--)
			n = n << 8 | buf[at + 4 + i];
		if (tag == AL_CKPT_LEDGER)
			found = at + 12;
		at += 12 + n;
	}
	assert_true(found > 0);
	buf[found] = 99; /* its payload's version */
	resum(buf, len);
	tu_write(file(x, AL_CKPT_FILE), buf, len);
	struct al_store *s = open_store(x, false);
	assert_true(s->ckpt.used);
	assert_string_equal(s->ckpt.warning, "");
	assert_non_null(strstr(s->ckpt.ledger_why, "version"));
	assert_ledger_replayed(s, false, true);
	store_close(&s);
	free(buf);
}

/* For scan_with_the_file_replaced: what store_open's scan does with each
 * record the checkpoint covers. */
static int covered(void *arg, const struct al_log_rec *r)
{
	int rc = checkpoint_record(arg, r);
	return rc == 1 ? 0 : rc;
}

/* store_open's replay as it was when the file at the checkpoint's path was
 * replaced (rename: as checkpoint_write does, or cut in place) between
 * checkpoint_load and the scan's end, when the ledger section is read. */
static void scan_with_the_file_replaced(struct fx *x, bool rename_over, struct al_store **out)
{
	char why[AL_ERRLEN], tmp[4200];
	struct al_store *s = open_store(x, false);
	assert_true(s->ckpt.used);
	/* Empty, as store_open derives them before checkpoint_load. */
	feeds_destroy(&s->feeds);
	idem_destroy(&s->keys);
	ledger_destroy(&s->ledger);
	roster_destroy(&s->roster);
	assert_int_equal(feeds_new(&s->feeds), 0);
	assert_int_equal(idem_new(&s->keys), 0);
	assert_int_equal(roster_new(s->charter, &s->roster), 0);
	s->ckpt.ledger = false;
	if (checkpoint_load(s, why))
		fail_msg("checkpoint_load: %s", why);
	const uint8_t junk[] = "not the checkpoint that was checked";
	if (rename_over) {
		snprintf(tmp, sizeof tmp, "%s.tmp", file(x, AL_CKPT_FILE));
		tu_write(tmp, junk, sizeof junk);
		assert_int_equal(rename(tmp, file(x, AL_CKPT_FILE)), 0);
	} else {
		assert_int_equal(truncate(file(x, AL_CKPT_FILE), 100), 0);
	}
	if (log_scan(file(x, "log"), covered, NULL, s, why))
		fail_msg("log_scan: %s", why);
	assert_int_equal(checkpoint_check(s), 0);
	*out = s;
}

/* The ledger section is read, once the scan has passed what it covers,
 * from the very file checkpoint_load checked (kept open, not copied): a
 * checkpoint renamed over it since changes nothing; one cut in place is
 * noticed (not read past its end: SIGBUS) and the ledger rebuilt. */
static void ledger_from_the_file_checked(void **state)
{
	struct fx *x = *state;
	struct al_store *s = open_store(x, true);
	history(x, s, true);
	write_checkpoint(s);
	store_close(&s);
	scan_with_the_file_replaced(x, true, &s);
	if (!s->ckpt.ledger)
		fail_msg("the ledger section was not read: %s", s->ckpt.ledger_why);
	assert_non_null(s->ledger);
	store_close(&s);
	s = open_store(x, false); /* the junk renamed in: a full replay */
	write_checkpoint(s);
	store_close(&s);
	scan_with_the_file_replaced(x, false, &s);
	assert_false(s->ckpt.ledger);
	assert_null(s->ledger);
	assert_non_null(strstr(s->ckpt.ledger_why, "changed size"));
	store_close(&s);
}

static void newer_than_the_log(void **state)
{
	struct fx *x = *state;
	struct al_store *s = open_store(x, true);
	history(x, s, true);
	store_close(&s);
	size_t log_len, ck_len;
	uint8_t *backup = tu_read(file(x, "log"), &log_len);
	s = open_store(x, false);
	history(x, s, false);
	write_checkpoint(s);
	store_close(&s);
	uint8_t *ck = tu_read(file(x, AL_CKPT_FILE), &ck_len);
	tu_write(file(x, "log"), backup, log_len);
	struct al_store *full = full_replay(x);
	refused(x, ck, ck_len, "fewer than it covers", full);
	/* The restored log grows again, other messages than before. */
	store_close(&full);
	s = open_store(x, false);
	x->t += 5000;
	history(x, s, false);
	store_close(&s);
	full = full_replay(x);
	assert_int_equal(log_records(full->log), 2 * HALF);
	refused(x, ck, ck_len, "is not the one it covers", full);
	store_close(&full);
	free(ck);
	free(backup);
}

/* The daemon's policy: nothing before AL_CKPT_EVERY_MS with few records;
 * then one, covering every record. */
/* A newcomer's home adds itself as a candidate after the store opens (the
 * daemon does): the ledger made for the members before it is dropped, a
 * checkpoint is still written (with a ledger of the members as they are
 * now), and the next open, whose charter has no candidate yet, rebuilds
 * the ledger rather than load one made for other members. */
static void candidate_added(void **state)
{
	struct fx *x = *state;
	char why[AL_ERRLEN];
	struct al_store *s = open_store(x, true);
	history(x, s, true);
	struct al_identity *nc = tu_identity(9); /* m3 joined in the history: another */
	struct al_member card = { .sign_key = nc->sign_pk, .transport_key = nc->transport_pk };
	snprintf(card.name, sizeof card.name, "newcomer");
	snprintf(card.endpoint, sizeof card.endpoint, "tcp://127.0.0.1:7009");
	size_t n = store_roster(s)->n_members;
	assert_int_equal(store_candidate(s, &card), (long)n);
	assert_int_equal(checkpoint_write(s, T0, why), AL_OK);
	store_close(&s);
	s = open_store(x, false);
	assert_true(s->ckpt.used);
	assert_int_equal(store_roster(s)->n_members, n);
	assert_non_null(strstr(s->ckpt.ledger_why, "members"));
	assert_ledger_replayed(s, false, true);
	store_close(&s);
	key_destroy(&nc);
}

static void written_when_due(void **state)
{
	struct fx *x = *state;
	char why[AL_ERRLEN];
	struct al_store *s = open_store(x, true);
	history(x, s, true);
	int64_t t0 = s->ckpt.written_at;
	assert_int_equal(checkpoint_due(s, t0 + 1000, why), AL_OK);
	assert_int_equal(access(file(x, AL_CKPT_FILE), F_OK), -1);
	commit(x, s, 0); /* not durable yet: none */
	assert_int_equal(checkpoint_due(s, t0 + AL_CKPT_EVERY_MS, why), AL_OK);
	assert_int_equal(access(file(x, AL_CKPT_FILE), F_OK), -1);
	assert_int_equal(store_sync(s, why), AL_OK);
	assert_int_equal(checkpoint_due(s, t0 + AL_CKPT_EVERY_MS, why), AL_OK);
	assert_int_equal(access(file(x, AL_CKPT_FILE), F_OK), 0);
	assert_int_equal(s->ckpt.written, HALF + 1);
	store_close(&s);
	s = open_store(x, false);
	assert_true(s->ckpt.used);
	assert_int_equal(s->ckpt.replayed, 0);
	store_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(equal_to_full_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(torn_and_flipped, setup, teardown),
		cmocka_unit_test_setup_teardown(version_and_foreign, setup, teardown),
		cmocka_unit_test_setup_teardown(newer_than_the_log, setup, teardown),
		cmocka_unit_test_setup_teardown(ledger_section_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(ledger_from_the_file_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(written_when_due, setup, teardown),
		cmocka_unit_test_setup_teardown(candidate_added, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
