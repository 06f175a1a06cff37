/* test_ledger_inc.c: the incremental ledger (ledger_new, ledger_add) is
 * the full replay (ledger_build), after every message, whatever the arrival
 * order.
 *
 * The property test generates random histories (seeded: LEDGER_PROP_SEED,
 * else the time; the seed of a failing history is printed) of 3 to 6
 * founders signing, for real, commitments, answers, deliveries, verdicts,
 * releases, escalations, rulings, feedback, tasks, receipts and amendments
 * (parameters, add a member, remove one, replace keys, approvals, endpoint
 * moves), each with a partial view of the others (races, held-back
 * messages), some breaking the rules and some backdated. Each history is
 * delivered to a simulated store in random arrival orders (each feed in
 * sequence, as a store admits it, membership amendments noted on the way),
 * and after every message the incremental ledger must equal the full
 * replay, field by field (ledger_equal). LEDGER_PROP_RUNS sets the number
 * of histories (default 40; make soak runs more).
 *
 * The saved state (ledger_save, ledger_load): the same histories, with the
 * ledger saved and loaded at random points and the rest added to the
 * loaded copy, still the full replay after every add; a copy saves to the
 * same bytes; a state saved before the members changed is refused. And a
 * small saved state cut at every length, with a bit flipped in every byte,
 * of another version or another charter: a clear error or a ledger that
 * takes the rest of the messages, never a crash or a leak (run it under
 * make SANITIZE=address,undefined).
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "log.h"
#include "envelope.h"
#include "err.h"
#include "ledger.h"
#include "query.h"
#include "roster.h"

#define MAXK 12 /* identities: founders, then keys to add or replace with */

/* Rebuilds asked for by a late message of a feed that had stopped holding
 * the stable point back (a member that left, say), over all histories. */
static unsigned late_rebuilds;
#define T0 1767225600000LL
#define MAXMSG 400

struct sim {
	uint64_t rng;
	int n0, n_ids;
	struct al_identity *ids[MAXK];
	char name[MAXK][AL_NAME_MAX + 1];
	bool can_sign[MAXK];
	struct al_charter *c; /* the generator's: fixed */
	struct al_envelope *env[MAXMSG];
	size_t n;
	size_t feed[MAXK][MAXMSG]; /* per identity, env index by seq - 1 */
	uint64_t len[MAXK];
	al_hash prev[MAXK];
	int64_t last[MAXK];
	uint64_t seen[MAXK][MAXK];
	struct al_ref commits[MAXMSG], props[MAXMSG], tasks[MAXMSG];
	size_t n_commits, n_props, n_tasks;
	int64_t clock;
};

static uint64_t rnd(struct sim *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng;
}

static int pick(struct sim *s, int n)
{
	return n > 0 ? (int)(rnd(s) % (uint64_t)n) : 0;
}

static bool chance(struct sim *s, int percent)
{
	return pick(s, 100) < percent;
}

static struct al_ref any_ref(struct sim *s, const struct al_ref *v, size_t n)
{
	return n ? v[pick(s, (int)n)] : (struct al_ref){ s->ids[0]->sign_pk, 1 };
}

static int any_signer(struct sim *s)
{
	int k;
	do
		k = pick(s, s->n_ids);
	while (!s->can_sign[k]);
	return k;
}

static struct al_member card_of(struct sim *s, int i, const char *name)
{
	struct al_member m;
	memset(&m, 0, sizeof m);
	snprintf(m.name, sizeof m.name, "%s", name);
	snprintf(m.endpoint, sizeof m.endpoint, "tcp://127.0.0.1:%d", 7000 + i);
	m.sign_key = s->ids[i]->sign_pk;
	m.transport_key = s->ids[i]->transport_pk;
	return m;
}

/* Identity a signs b: it has seen seen[a][*] of the others. */
static struct al_ref sim_sign(struct sim *s, int a, struct al_body *b, int64_t t)
{
	struct al_frontier_entry fr[MAXK];
	size_t nf = 0;
	for (int k = 0; k < s->n_ids; k++)
		if (k != a && s->seen[a][k])
			fr[nf++] = (struct al_frontier_entry){ s->ids[k]->sign_pk, s->seen[a][k],
				s->env[s->feed[k][s->seen[a][k] - 1]]->hash };
	struct al_envelope *e = tu_seal(s->c, s->ids[a], b, s->len[a] + 1, &s->prev[a], t, fr, nf);
	s->prev[a] = e->hash;
	s->last[a] = t;
	s->feed[a][s->len[a]++] = s->n;
	s->env[s->n++] = e;
	return (struct al_ref){ b->author, b->seq };
}

/* One random message. */
static void sim_step(struct sim *s)
{
	int a = any_signer(s);
	/* what a has heard of the others since */
	for (int k = 0; k < s->n_ids; k++) {
		if (k == a || !s->len[k])
			continue;
		if (chance(s, 55))
			s->seen[a][k] = s->len[k];
		else if (chance(s, 40))
			s->seen[a][k] += (uint64_t)pick(s, (int)(s->len[k] - s->seen[a][k]) + 1);
	}
	s->clock += pick(s, 3000);
	int64_t t = s->clock - pick(s, 2000);
	if (chance(s, 4))
		t = s->clock - 300000 - pick(s, 600000); /* backdated beyond the skew */
	if (t < s->last[a])
		t = s->last[a];
	if (t < T0)
		t = T0;
	struct al_body b;
	al_key to[2];
	struct al_ref dep;
	memset(&b, 0, sizeof b);
	int r = pick(s, 100);
	if (r < 22) {
		b.kind = AL_KIND_COMMITMENT;
		b.u.commitment.what = chance(s, 50) ? (char *)"a widget" : (char *)"two gadgets";
		to[0] = s->ids[any_signer(s)]->sign_pk;
		to[1] = s->ids[any_signer(s)]->sign_pk;
		b.u.commitment.to = to;
		b.u.commitment.n_to = chance(s, 25) ? 2 : 1;
		b.u.commitment.due = t + (chance(s, 30) ? pick(s, 20000) : 86400000LL * pick(s, 5));
		b.u.commitment.value = (uint64_t)pick(s, 500);
		if (s->n_tasks && chance(s, 20))
			b.u.commitment.task = any_ref(s, s->tasks, s->n_tasks);
		s->commits[s->n_commits++] = sim_sign(s, a, &b, t);
		return;
	} else if (r < 34) {
		b.kind = AL_KIND_RESPONSE;
		b.u.response.commitment = any_ref(s, s->commits, s->n_commits);
		b.u.response.answer = chance(s, 70) ? AL_ANSWER_ACCEPT : AL_ANSWER_DECLINE;
	} else if (r < 46) {
		b.kind = AL_KIND_DELIVERY;
		b.u.delivery.commitment = any_ref(s, s->commits, s->n_commits);
	} else if (r < 54) {
		b.kind = AL_KIND_VERDICT;
		b.u.verdict.commitment = any_ref(s, s->commits, s->n_commits);
		b.u.verdict.outcome = chance(s, 60) ? AL_OUTCOME_CONFIRM : AL_OUTCOME_DISPUTE;
		b.u.verdict.quality = (uint32_t)pick(s, 6);
		b.u.verdict.timeliness = (uint32_t)pick(s, 6);
	} else if (r < 60) {
		b.kind = AL_KIND_RELEASE;
		b.u.release.commitment = any_ref(s, s->commits, s->n_commits);
	} else if (r < 64) {
		b.kind = AL_KIND_ESCALATION;
		b.u.escalation.subject = any_ref(s, s->commits, s->n_commits);
	} else if (r < 68) {
		if (chance(s, 70) && s->can_sign[0])
			a = 0; /* the resolver (m0) */
		b.kind = AL_KIND_RESOLUTION;
		b.u.resolution.subject = any_ref(s, s->commits, s->n_commits);
		b.u.resolution.ruling = chance(s, 50) ? AL_RULING_UPHOLD : AL_RULING_REJECT;
		if (t < s->last[a])
			t = s->last[a];
	} else if (r < 73) {
		b.kind = AL_KIND_FEEDBACK;
		b.u.feedback.about = s->ids[any_signer(s)]->sign_pk;
		b.u.feedback.rating = (uint32_t)pick(s, 6);
	} else if (r < 77) {
		b.kind = AL_KIND_TASK;
		b.u.task.title = (char *)"t";
		b.u.task.owner = s->ids[any_signer(s)]->sign_pk;
		b.u.task.due = t + 86400000LL;
		if (chance(s, 40)) {
			dep = chance(s, 70) ? any_ref(s, s->tasks, s->n_tasks)
					    : any_ref(s, s->commits, s->n_commits);
			b.u.task.depends = &dep;
			b.u.task.n_depends = 1;
		}
		s->tasks[s->n_tasks++] = sim_sign(s, a, &b, t);
		return;
	} else if (r < 83) {
		b.kind = AL_KIND_RECEIPT;
	} else {
		struct al_amendment *am = &b.u.amendment;
		int what = pick(s, 100), fresh = s->n_ids < MAXK ? s->n_ids : -1;
		b.kind = AL_KIND_AMENDMENT;
		am->endpoint = (char *)"";
		if (what < 45 && s->n_props) {
			am->approves = any_ref(s, s->props, s->n_props);
		} else if (what < 60) {
			am->has_params = true;
			charter_default_params(&am->params);
			am->params.grace = (uint64_t)pick(s, 4) * 86400;
			am->params.half_life = chance(s, 10) ? 0 : 86400 * 30; /* 0: insane */
		} else if (what < 72 && fresh >= 0) {
			snprintf(s->name[fresh], sizeof s->name[fresh], "m%d", fresh);
			am->has_add = true;
			am->add = card_of(s, fresh, s->name[fresh]);
		} else if (what < 82) {
			am->has_remove = true;
			am->remove = s->ids[any_signer(s)]->sign_pk;
		} else if (what < 94 && fresh >= 0) {
			int old = any_signer(s);
			if (old == a)
				return; /* replacing one's own keys: not in this model */
			memcpy(s->name[fresh], s->name[old], sizeof s->name[fresh]);
			am->has_replace = true;
			am->replace = card_of(s, fresh, s->name[old]);
			am->replaces = s->ids[old]->sign_pk;
			am->replaces_upto = s->seen[a][old] + (uint64_t)pick(s, 3);
		} else {
			static char ep[MAXK][40];
			snprintf(ep[a], sizeof ep[a], "tcp://127.0.0.2:%d", 8000 + pick(s, 1000));
			am->endpoint = ep[a];
		}
		struct al_ref id = sim_sign(s, a, &b, t);
		if (!am->approves.seq && !am->endpoint[0])
			s->props[s->n_props++] = id;
		if (am->has_add || am->has_replace) { /* the new keys' daemon, once it knows */
			s->can_sign[fresh] = true;
			s->seen[fresh][a] = id.seq;
			s->n_ids++;
		}
		return;
	}
	sim_sign(s, a, &b, t);
}

static int by_int64(const void *pa, const void *pb)
{
	int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
	return a < b ? -1 : a > b;
}

static void sim_free(struct sim *s)
{
	for (size_t i = 0; i < s->n; i++) {
		envelope_clear(s->env[i]);
		free(s->env[i]);
	}
	for (int i = 0; i < MAXK; i++)
		key_destroy(&s->ids[i]);
	charter_destroy(&s->c);
}

static int save_fn(void *arg, struct al_ckpt_writer *w)
{
	return ledger_save(arg, w);
}

/* l saved into *bytes (the caller's) and loaded: the copy, which saves to
 * the same bytes. */
static struct al_ledger *save_load(struct al_ledger *l, const struct al_roster *ro,
				   uint8_t **bytes, size_t *len)
{
	struct al_ledger *copy;
	char why[AL_ERRLEN];
	uint8_t *again;
	size_t n;
	assert_int_equal(ckpt_write_mem(save_fn, l, bytes, len), AL_OK);
	struct al_ckpt_reader r = { *bytes, *len, false, NULL, 0 };
	int rc = ledger_load(ro, &r, &copy, why);
	if (rc)
		fail_msg("ledger_load of what ledger_save wrote: %d %s", rc, why);
	assert_int_equal(r.left, 0);
	assert_int_equal(ckpt_write_mem(save_fn, copy, &again, &n), AL_OK);
	assert_true(n == *len && !memcmp(again, *bytes, n));
	free(again);
	return copy;
}

/* What the saves of deliver() exercised. */
struct saves {
	int saves, with_tail, with_held, refused;
};


/* A ledger of got[0..n) added in that order, as the store rebuilds one:
 * knowing how much of each feed the log holds (ledger_expect). No add may
 * ask for a rebuild again. */
static struct al_ledger *rebuilt(const struct al_roster *ro, struct al_envelope **got, size_t n,
				 unsigned long long seed, int order)
{
	struct al_ledger *l;
	uint64_t held[MAXK] = { 0 };
	char why[AL_ERRLEN];
	int rc;
	for (size_t i = 0; i < n; i++) {
		long a = roster_index(ro, &got[i]->b.author);
		if (a >= 0 && a < MAXK && got[i]->b.seq > held[a])
			held[a] = got[i]->b.seq;
	}
	assert_int_equal(ledger_new(ro, &l), AL_OK);
	assert_int_equal(ledger_expect(l, held), AL_OK);
	for (size_t i = 0; i < n; i++)
		if ((rc = ledger_add(l, got[i], why)))
			fail_msg("seed %llu order %d: re-adding %zu: %d %s", seed, order, i, rc, why);
	assert_int_equal(ledger_expect(l, NULL), AL_OK);
	return l;
}
/* A store receiving s's messages in a random order, each feed in
 * sequence; after each, the incremental ledger against the full replay.
 * Returns the number of rebuilds it was told to do. */
static int deliver(struct sim *s, uint64_t seed, int order, struct ledger_stats *st,
		   struct saves *sv)
{
	uint8_t *saved = NULL; /* sv: the last state saved */
	size_t saved_len = 0;
	struct al_identity *ids[MAXK];
	struct al_charter *c = tu_charter(s->n0, true, ids);
	struct al_roster *ro; /* the store's: amended as it goes */
	struct al_envelope *got[MAXMSG];
	uint64_t next[MAXK] = { 0 };
	size_t n = 0, left = s->n;
	struct al_ledger *l;
	char why[AL_ERRLEN];
	int rebuilds = 0;
	for (int i = 0; i < s->n0; i++)
		key_destroy(&ids[i]);
	assert_int_equal(roster_new(c, &ro), AL_OK);
	assert_int_equal(ledger_new(ro, &l), AL_OK);
	bool gap[MAXK] = { false }; /* a feed the store refused a message of */
	while (left) {
		int k = pick(s, s->n_ids), tries = 0;
		/* a feed whose author the store knows (its proposal arrived) */
		while ((next[k] >= s->len[k] ||
			roster_index(ro, &s->env[s->feed[k][next[k]]]->b.author) < 0) &&
		       tries++ < 4 * MAXK)
			k = (k + 1) % s->n_ids;
		if (tries >= 4 * MAXK)
			break; /* the rest are of keys the store never learnt (their
				* proposal was voided): it refuses them */
		struct al_envelope *e = s->env[s->feed[k][next[k]++]];
		left--;
		long ka = roster_index(ro, &e->b.author);
		if (ka < MAXK && gap[ka])
			continue; /* after a message refused: never next in its chain */
		if (e->b.seq > roster_feed_end(ro, (size_t)ka)) {
			if (ka < MAXK)
				gap[ka] = true;
			continue; /* the store refuses what a replacement voided */
		}
		assert_int_equal(roster_note(ro, &e->b), AL_OK);
		got[n++] = e;
		int rc = ledger_add(l, e, why);
		if (rc == LEDGER_REBUILD) { /* the membership moved, or a late message: from the log */
			rebuilds++;
			bool late = strstr(why, "sorts before what is stable") != NULL;
			late_rebuilds += late;
			if (saved && !late) { /* and a state saved before is refused */
				struct al_ckpt_reader r = { saved, saved_len, false, NULL, 0 };
				struct al_ledger *old = (struct al_ledger *)1;
				assert_int_equal(ledger_load(ro, &r, &old, why), AL_E_INVAL);
				assert_null(old);
				assert_non_null(strstr(why, "changed since it was saved"));
				sv->refused++;
				free(saved);
				saved = NULL;
			}
			ledger_destroy(&l);
			l = rebuilt(ro, got, n, seed, order);
		} else if (rc) {
			fail_msg("seed %llu order %d: ledger_add %zu: %d %s", (unsigned long long)seed,
				 order, n, rc, why);
		}
		struct al_ledger *full;
		assert_int_equal(ledger_build(ro, got, n, INT64_MAX, &full), AL_OK);
		if (!ledger_equal(l, full, why))
			fail_msg("seed %llu order %d: after %zu messages (the last %s/%llu): %s "
				 "(LEDGER_PROP_SEED=%llu LEDGER_PROP_RUNS=1 repeats it)",
				 (unsigned long long)seed, order, n,
				 roster_member(ro, &e->b.author)->name, (unsigned long long)e->b.seq,
				 why, (unsigned long long)seed);
		ledger_destroy(&full);
		if (sv && chance(s, 20)) { /* go on with a saved and loaded copy */
			struct ledger_stats now;
			struct al_ledger *copy, *one;
			uint8_t *one_bytes;
			size_t one_len;
			free(saved);
			ledger_stats(l, &now);
			copy = save_load(l, ro, &saved, &saved_len);
			/* The whole state, not only what ledger_equal sees, is
			 * that of the same adds to one ledger (l may be a copy
			 * loaded before: what a save lost shows here). */
			one = rebuilt(ro, got, n, seed, order);
			assert_int_equal(ckpt_write_mem(save_fn, one, &one_bytes, &one_len), AL_OK);
			/* Byte for byte, unless which messages are already stable
			 * differs: a feed that can sign no more leaves the bound as
			 * soon as it could live, only once its last held message is in
			 * when rebuilt (ledger_expect). Then the same ledger all the
			 * same (save_load checked that a save loses nothing). */
			if ((one_len != saved_len || memcmp(one_bytes, saved, one_len)) &&
			    !ledger_equal(one, copy, why))
				fail_msg("seed %llu: after %zu messages, a ledger saved and loaded "
					 "before holds another state than one that added them all: %s "
					 "(LEDGER_PROP_SEED=%llu LEDGER_PROP_RUNS=1 repeats it)",
					 (unsigned long long)seed, n, why, (unsigned long long)seed);
			free(one_bytes);
			ledger_destroy(&one);
			ledger_destroy(&l);
			l = copy;
			sv->saves++;
			sv->with_tail += now.tail > 0;
			sv->with_held += now.held > 0;
		}
	}
	free(saved);
	struct ledger_stats one;
	ledger_stats(l, &one);
	st->added += one.added, st->direct += one.direct, st->replays += one.replays;
	st->replayed += one.replayed;
	ledger_destroy(&l);
	roster_destroy(&ro);
	charter_destroy(&c);
	return rebuilds;
}

/* A random history of seed (sim_free, free). */
static struct sim *sim_new(uint64_t seed)
{
	struct sim *s = calloc(1, sizeof *s);
	assert_non_null(s);
	s->rng = seed * 2654435761u + 1;
	s->n0 = 3 + pick(s, 4);
	s->c = tu_charter(s->n0, true, s->ids);
	for (int i = 0; i < MAXK; i++) {
		if (i >= s->n0)
			s->ids[i] = tu_identity(i);
		snprintf(s->name[i], sizeof s->name[i], "m%d", i);
		s->can_sign[i] = i < s->n0;
		s->last[i] = T0;
	}
	s->n_ids = s->n0;
	s->clock = T0;
	int msgs = 40 + pick(s, 120);
	while ((int)s->n < msgs)
		sim_step(s);
	return s;
}

static void test_incremental_is_the_replay(void **state)
{
	(void)state;
	const char *runs_s = getenv("LEDGER_PROP_RUNS"), *seed_s = getenv("LEDGER_PROP_SEED");
	int runs = runs_s ? atoi(runs_s) : 40;
	uint64_t base = seed_s ? strtoull(seed_s, NULL, 10) : (uint64_t)time(NULL);
	struct ledger_stats st = { 0 };
	int rebuilds = 0;
	for (int r = 0; r < runs; r++) {
		uint64_t seed = base + (uint64_t)r;
		struct sim *s = sim_new(seed);
		for (int order = 0; order < 2; order++)
			rebuilds += deliver(s, seed, order, &st, NULL);
		sim_free(s);
		free(s);
	}
	print_message("%d histories from seed %llu: %llu adds, %llu direct, %llu replays "
		      "(%llu messages replayed), %d rebuilds (%u for a late message of a feed "
		      "that had stopped holding the stable point)\n", runs, (unsigned long long)base,
		      (unsigned long long)st.added, (unsigned long long)st.direct,
		      (unsigned long long)st.replays, (unsigned long long)st.replayed, rebuilds,
		      late_rebuilds);
	assert_true(st.replays > 0); /* the test exercises the tail */
	assert_true(runs < 10 || late_rebuilds > 0); /* and a late message past the stable point */
}

/* ledger_of_log_series' call at each point: the ledger of the log as of
 * it, built by a full replay over a fresh roster (what trust --as-of
 * POINT reads), must be l, field by field, and give the same trust table. */
struct series_check {
	const char *path;
	const struct al_charter *c;
	size_t points, added, amended; /* points seen; of them, with a member added by
					* amendment in effect, with parameters amended */
};

static int series_check_point(void *arg, const struct al_ledger *l, int64_t point, char *why)
{
	struct series_check *x = arg;
	struct al_roster *ro;
	struct al_ledger *full;
	json_t *a, *b;
	assert_int_equal(roster_new(x->c, &ro), AL_OK);
	assert_int_equal(ledger_of_log(x->path, ro, point, AL_LEDGER_OWN, &full, why), AL_OK);
	if (!ledger_equal(l, full, why))
		fail_msg("the series at %lld is not the replay as of it: %s", (long long)point, why);
	assert_int_equal(query_trust(l, point, "", &a, why), AL_OK);
	assert_int_equal(query_trust(full, point, "", &b, why), AL_OK);
	char *ta = json_dumps(a, JSON_COMPACT), *tb = json_dumps(b, JSON_COMPACT);
	assert_string_equal(ta, tb);
	x->points++;
	for (size_t k = (size_t)x->c->n_members; k < l->n_members; k++)
		if (l->standing[k] == AL_JOINED)
			x->added++, k = l->n_members;
	x->amended += memcmp(&l->params, &x->c->params, sizeof l->params) != 0;
	free(ta);
	free(tb);
	json_decref(a);
	json_decref(b);
	ledger_destroy(&full);
	roster_destroy(&ro);
	return AL_OK;
}

/* The trust table over time (ledger_of_log_series): the random histories
 * written to a log, evaluated at every message's timestamp, a moment
 * before and after it, in one pass, equal the ledger of a full replay as
 * of each point: across members added by amendment (the roster is the
 * whole log's at every point, as trust --as-of's), parameter amendments,
 * held-back and backdated messages. */
static void test_series_is_the_replay_at_each_point(void **state)
{
	(void)state;
	const char *seed_s = getenv("LEDGER_PROP_SEED");
	uint64_t base = seed_s ? strtoull(seed_s, NULL, 10) : (uint64_t)time(NULL);
	char *dir = tu_tmpdir(), why[AL_ERRLEN];
	struct series_check all = { 0 };
	int r;
	/* At least 12 histories, and as many more as it takes (a few dozen at
	 * most) for one where a member added by amendment reaches the quorum. */
	for (r = 0; r < 12 || (r < 400 && !(all.added && all.amended)); r++) {
		struct sim *s = sim_new(base + (uint64_t)r);
		struct al_identity *ids[MAXK];
		struct al_charter *c = tu_charter(s->n0, true, ids);
		struct series_check x = { tu_path(0, dir, "log"), c, 0, 0, 0 };
		struct al_log *lg;
		struct al_roster *ro;
		int64_t *points = malloc(3 * (s->n + 1) * sizeof *points);
		size_t n = 0;
		for (int i = 0; i < s->n0; i++)
			key_destroy(&ids[i]);
		assert_non_null(points);
		unlink(x.path);
		assert_int_equal(log_open(x.path, true, NULL, NULL, NULL, &lg, why), AL_OK);
		for (size_t i = 0; i < s->n; i++) { /* signing order: each feed in sequence */
			assert_int_equal(log_append(lg, s->env[i]->bytes, s->env[i]->len, NULL, why),
					 AL_OK);
			int64_t t = s->env[i]->b.timestamp;
			points[n++] = t - 1, points[n++] = t, points[n++] = t + 1;
		}
		assert_int_equal(log_sync(lg, why), AL_OK);
		log_close(&lg);
		points[n++] = c->created - 1; /* before anything */
		qsort(points, n, sizeof *points, by_int64);
		assert_int_equal(roster_new(c, &ro), AL_OK);
		if (ledger_of_log_series(x.path, ro, AL_LEDGER_OWN, points, n, series_check_point, &x,
					 why))
			fail_msg("seed %llu: %s (LEDGER_PROP_SEED=%llu repeats it)",
				 (unsigned long long)(base + (uint64_t)r), why,
				 (unsigned long long)(base + (uint64_t)r));
		assert_int_equal(x.points, n);
		all.points += x.points, all.added += x.added, all.amended += x.amended;
		roster_destroy(&ro);
		charter_destroy(&c);
		free(points);
		sim_free(s);
		free(s);
	}
	print_message("series of %d histories from seed %llu: %zu points, %zu with a member added "
		      "by amendment, %zu with parameters amended\n", r, (unsigned long long)base,
		      all.points,
		      all.added, all.amended);
	assert_true(all.added > 0 && all.amended > 0); /* the test covers both */
	/* Points that go back are refused. */
	int64_t back[2] = { 2, 1 };
	struct al_identity *ids[3];
	struct al_charter *c = tu_charter(3, true, ids);
	struct al_roster *ro;
	for (int i = 0; i < 3; i++)
		key_destroy(&ids[i]);
	assert_int_equal(roster_new(c, &ro), AL_OK);
	assert_int_equal(ledger_of_log_series(tu_path(0, dir, "log"), ro, AL_LEDGER_OWN, back, 2,
					      series_check_point, NULL, why), AL_E_INVAL);
	roster_destroy(&ro);
	charter_destroy(&c);
	tu_rmdir(dir);
}

/* The same histories, the ledger saved and loaded at random points (one
 * arrival order each): the loaded copy goes on as the original would. */
static void test_saved_state_is_the_replay(void **state)
{
	(void)state;
	const char *runs_s = getenv("LEDGER_PROP_RUNS"), *seed_s = getenv("LEDGER_PROP_SEED");
	int runs = runs_s ? atoi(runs_s) : 40;
	uint64_t base = seed_s ? strtoull(seed_s, NULL, 10) : (uint64_t)time(NULL);
	struct ledger_stats st = { 0 };
	struct saves sv = { 0 };
	for (int r = 0; r < runs; r++) {
		uint64_t seed = base + (uint64_t)r;
		struct sim *s = sim_new(seed);
		deliver(s, seed, 0, &st, &sv);
		sim_free(s);
		free(s);
	}
	print_message("%d histories from seed %llu: %d saves (%d with a tail, %d with held-back "
		      "messages), %d refused after the members changed\n", runs,
		      (unsigned long long)base, sv.saves, sv.with_tail, sv.with_held, sv.refused);
	/* the test exercises the tail, held-back messages and a refusal */
	assert_true(sv.with_tail > 0 && sv.with_held > 0);
	assert_true(runs < 10 || sv.refused > 0);
}

/* A small history, half of it added in a random order: the ledger, the
 * store's charter and roster, and the rest in order (rest[0..*n_rest)). */
static struct al_ledger *half_added(struct sim *s, struct al_charter **cp, struct al_roster **rp,
				    struct al_envelope **rest, size_t *n_rest)
{
	struct al_identity *ids[MAXK];
	struct al_charter *c = tu_charter(s->n0, true, ids);
	struct al_roster *ro;
	struct al_envelope *got[MAXMSG];
	uint64_t next[MAXK] = { 0 };
	size_t n = 0;
	struct al_ledger *l;
	char why[AL_ERRLEN];
	for (int i = 0; i < s->n0; i++)
		key_destroy(&ids[i]);
	assert_int_equal(roster_new(c, &ro), AL_OK);
	assert_int_equal(ledger_new(ro, &l), AL_OK);
	*n_rest = 0;
	for (size_t left = s->n; left; left--) {
		int k = pick(s, s->n_ids), tries = 0;
		while ((next[k] >= s->len[k] ||
			roster_index(ro, &s->env[s->feed[k][next[k]]]->b.author) < 0) &&
		       tries++ < 4 * MAXK)
			k = (k + 1) % s->n_ids;
		if (tries >= 4 * MAXK)
			break;
		struct al_envelope *e = s->env[s->feed[k][next[k]++]];
		if (n >= s->n / 2) {
			rest[(*n_rest)++] = e;
			continue;
		}
		assert_int_equal(roster_note(ro, &e->b), AL_OK);
		got[n++] = e;
		if (ledger_add(l, e, why) == LEDGER_REBUILD) {
			ledger_destroy(&l);
			assert_int_equal(ledger_new(ro, &l), AL_OK);
			for (size_t i = 0; i < n; i++)
				assert_int_equal(ledger_add(l, got[i], why), AL_OK);
		}
	}
	*cp = c;
	*rp = ro;
	return l;
}

/* Load bytes against ro: 0 (and the ledger takes the rest without a
 * crash), or an error with why. */
static int load_damaged(const struct al_roster *ro, const uint8_t *bytes, size_t len,
			struct al_envelope **rest, size_t n_rest)
{
	struct al_ckpt_reader r = { bytes, len, false, NULL, 0 };
	struct al_ledger *l = (struct al_ledger *)1;
	char why[AL_ERRLEN] = "";
	int rc = ledger_load(ro, &r, &l, why);
	if (rc) {
		assert_null(l);
		assert_true(why[0]);
		assert_true(rc == AL_E_PARSE || rc == AL_E_INVAL);
		return rc;
	}
	for (size_t i = 0; i < n_rest; i++)
		if (ledger_add(l, rest[i], why) == LEDGER_REBUILD)
			break;
	ledger_destroy(&l);
	return rc;
}

static void test_saved_state_faults(void **state)
{
	(void)state;
	struct sim *s = NULL;
	struct al_charter *c = NULL;
	struct al_roster *ro = NULL;
	struct al_ledger *l = NULL;
	struct al_envelope *rest[MAXMSG];
	size_t n_rest = 0, len;
	uint8_t *bytes;
	char why[AL_ERRLEN];
	/* a seed whose half-way ledger has a tail and held-back messages */
	for (uint64_t seed = 1; seed < 300; seed++) {
		struct ledger_stats st;
		s = sim_new(seed);
		l = half_added(s, &c, &ro, rest, &n_rest);
		ledger_stats(l, &st);
		if (st.tail && st.held && n_rest && s->n0 == 3 && s->n < 60)
			break; /* small: every byte of it is damaged in turn */
		ledger_destroy(&l);
		roster_destroy(&ro);
		charter_destroy(&c);
		sim_free(s);
		free(s);
		s = NULL;
	}
	assert_non_null(s);
	assert_int_equal(ckpt_write_mem(save_fn, l, &bytes, &len), AL_OK);
	/* intact, it takes the rest */
	assert_int_equal(load_damaged(ro, bytes, len, rest, n_rest), AL_OK);
	/* cut short anywhere: a parse error */
	for (size_t n = 0; n < len; n++)
		assert_int_equal(load_damaged(ro, bytes, n, rest, n_rest), AL_E_PARSE);
	/* a bit flipped in any byte: an error, or a state that takes the rest */
	int refused = 0;
	for (size_t i = 0; i < len; i++) {
		bytes[i] ^= (uint8_t)(1u << (i % 8));
		refused += load_damaged(ro, bytes, len, rest, n_rest) != AL_OK;
		bytes[i] ^= (uint8_t)(1u << (i % 8));
	}
	assert_true(refused > 0);
	/* another version */
	struct al_ckpt_reader r = { bytes, len, false, NULL, 0 };
	struct al_ledger *out;
	bytes[0] = 5;
	assert_int_equal(ledger_load(ro, &r, &out, why), AL_E_PARSE);
	assert_non_null(strstr(why, "version 5"));
	/* version 3 (before who answered and judged, and when): replayed */
	bytes[0] = 3;
	r = (struct al_ckpt_reader){ bytes, len, false, NULL, 0 };
	assert_int_equal(ledger_load(ro, &r, &out, why), AL_E_PARSE);
	assert_non_null(strstr(why, "version 3, and this build reads version 4: replay the log"));
	bytes[0] = 4;
	/* another charter */
	struct al_identity *ids[MAXK];
	struct al_charter *other = tu_charter(s->n0 == 3 ? 4 : 3, true, ids);
	struct al_roster *other_ro;
	assert_int_equal(roster_new(other, &other_ro), AL_OK);
	for (int i = 0; i < (s->n0 == 3 ? 4 : 3); i++)
		key_destroy(&ids[i]);
	r = (struct al_ckpt_reader){ bytes, len, false, NULL, 0 };
	assert_int_equal(ledger_load(other_ro, &r, &out, why), AL_E_INVAL);
	assert_non_null(strstr(why, "another alliance"));
	/* a ledger of a full replay has no incremental state to save */
	struct al_ledger *full;
	uint8_t *none;
	size_t none_len;
	assert_int_equal(ledger_build(ro, NULL, 0, INT64_MAX, &full), AL_OK);
	assert_int_equal(ckpt_write_mem(save_fn, full, &none, &none_len), AL_E_INVAL);
	ledger_destroy(&full);
	roster_destroy(&other_ro);
	charter_destroy(&other);
	free(bytes);
	ledger_destroy(&l);
	roster_destroy(&ro);
	charter_destroy(&c);
	sim_free(s);
	free(s);
}

/* Bad adds change nothing and say why: a feed out of sequence, a
 * message back in time, a ledger built by a full replay. */
static void test_bad_adds(void **state)
{
	(void)state;
	struct sim *s = calloc(1, sizeof *s);
	struct al_ledger *l, *full;
	struct al_roster *ro;
	char why[AL_ERRLEN];
	assert_non_null(s);
	s->rng = 7;
	s->n0 = 3;
	s->c = tu_charter(3, true, s->ids);
	s->n_ids = 3;
	for (int i = 0; i < 3; i++)
		s->can_sign[i] = true, s->last[i] = T0;
	s->clock = T0;
	struct al_body b;
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_RECEIPT;
	sim_sign(s, 0, &b, T0 + 5000);
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_RECEIPT;
	sim_sign(s, 0, &b, T0 + 6000);
	assert_int_equal(roster_new(s->c, &ro), AL_OK);
	assert_int_equal(ledger_new(ro, &l), AL_OK);
	assert_int_equal(ledger_add(l, s->env[1], why), AL_E_INVAL);
	assert_non_null(strstr(why, "m0/2 added after m0/0"));
	assert_int_equal(ledger_add(l, s->env[0], why), AL_OK);
	assert_int_equal(ledger_add(l, s->env[0], why), AL_E_INVAL); /* twice */
	assert_int_equal(ledger_add(l, s->env[1], why), AL_OK);
	assert_int_equal(ledger_build(ro, s->env, 2, INT64_MAX, &full), AL_OK);
	assert_true(ledger_equal(l, full, why));
	assert_int_equal(ledger_add(full, s->env[0], why), AL_E_INVAL);
	assert_non_null(strstr(why, "ledger_new"));
	/* a difference is named */
	full->violations[1]++;
	assert_false(ledger_equal(l, full, why));
	assert_string_equal(why, "member m1: 0 violations, not 1");
	ledger_destroy(&full);
	ledger_destroy(&l);
	roster_destroy(&ro);
	sim_free(s);
	free(s);
}

/* A small history of many members (more than a bitset word), signed for
 * real: each message has seen every message before it. */
enum { MANY = 70 };
struct many {
	struct al_identity *ids[MANY];
	struct al_charter *c;
	struct al_roster *ro;
	struct al_envelope *env[16];
	size_t n;
	uint64_t len[MANY];
	al_hash prev[MANY];
};

static struct al_ref many_sign(struct many *x, int a, struct al_body *b, int64_t t)
{
	struct al_frontier_entry fr[MANY];
	size_t nf = 0;
	for (int k = 0; k < MANY; k++)
		if (k != a && x->len[k])
			fr[nf++] = (struct al_frontier_entry){ x->ids[k]->sign_pk, x->len[k],
							       x->prev[k] };
	struct al_envelope *e = tu_seal(x->c, x->ids[a], b, ++x->len[a], &x->prev[a], t, fr, nf);
	x->prev[a] = e->hash;
	x->env[x->n++] = e;
	return (struct al_ref){ b->author, b->seq };
}

/* A history of members members (at most MANY), none signed yet. */
static struct many *many_new(int members)
{
	struct many *x = calloc(1, sizeof *x);
	assert_non_null(x);
	x->c = tu_charter(members, false, x->ids);
	assert_int_equal(roster_new(x->c, &x->ro), AL_OK);
	return x;
}

static void many_free(struct many *x)
{
	for (size_t i = 0; i < x->n; i++) {
		envelope_clear(x->env[i]);
		free(x->env[i]);
	}
	for (int k = 0; k < MANY; k++)
		key_destroy(&x->ids[k]);
	roster_destroy(&x->ro);
	charter_destroy(&x->c);
	free(x);
}

/* The incremental ledger of everything signed, which must be full. */
static struct al_ledger *many_added(struct many *x, const struct al_ledger *full)
{
	struct al_ledger *inc;
	char why[AL_ERRLEN];
	assert_int_equal(ledger_new(x->ro, &inc), AL_OK);
	for (size_t i = 0; i < x->n; i++)
		assert_int_equal(ledger_add(inc, x->env[i], why), AL_OK);
	if (!ledger_equal(inc, full, why))
		fail_msg("incremental != replay: %s", why);
	return inc;
}

static struct al_ref many_commit(struct many *x, int a, const char *what, int to0, int to1,
				 int64_t t)
{
	struct al_body b;
	al_key to[2] = { x->ids[to0]->sign_pk, to1 >= 0 ? x->ids[to1]->sign_pk : x->ids[0]->sign_pk };
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_COMMITMENT;
	b.u.commitment.what = (char *)what;
	b.u.commitment.to = to;
	b.u.commitment.n_to = to1 >= 0 ? 2 : 1;
	b.u.commitment.due = T0 + 86400000;
	b.u.commitment.value = 10;
	return many_sign(x, a, &b, t);
}

static void many_act(struct many *x, int a, enum al_kind kind, struct al_ref c, int64_t t)
{
	struct al_body b;
	memset(&b, 0, sizeof b);
	b.kind = kind;
	if (kind == AL_KIND_RELEASE)
		b.u.release.commitment = c;
	else if (kind == AL_KIND_RESPONSE)
		b.u.response = (struct al_response){ .commitment = c, .answer = AL_ANSWER_ACCEPT };
	else
		b.u.delivery.commitment = c;
	many_sign(x, a, &b, t);
}

/* query.h's al_msgs over the history's envelopes (or none: fail). */
static int many_open(void *arg, const al_key *author, uint64_t seq, struct al_body *out,
		     char *why)
{
	const struct many *x = arg;
	memset(out, 0, sizeof *out);
	for (size_t i = 0; x && i < x->n; i++)
		if (x->env[i]->b.seq == seq && !memcmp(&x->env[i]->b.author, author, AL_KEYLEN))
			return envelope_body(x->env[i]->bytes, x->env[i]->len, out, why);
	return al_errf(why, AL_E_NOENT, "no message %llu of that feed in the log",
		       (unsigned long long)seq);
}

/* The compact commitment (issue 11: the ledger keeps what the rules need,
 * the text stays in the log): a record of at most 152 bytes, its
 * beneficiaries and releases a bitset, inline up to 64 members and words
 * allocated apart beyond (70 here: the incremental ledger, the replay and
 * a saved and loaded copy all equal); shown, a commitment's text and its
 * beneficiaries in the order its message names them are read from the
 * message, and a message that cannot be read fails the answer with why. */
static void test_compact_commitments(void **state)
{
	(void)state;
	/* 280, and the text apart, before; 128 before the scorecard's answer
	 * and verdict facts (issue 12) */
	assert_true(sizeof(struct al_cstatus) <= 152);
	struct many *x = many_new(MANY);
	struct al_ref c1 = many_commit(x, 0, "a widget for the last two", 69, 65, T0 + 1000);
	many_act(x, 65, AL_KIND_RELEASE, c1, T0 + 2000);
	many_act(x, 69, AL_KIND_RELEASE, c1, T0 + 3000);
	struct al_ref c2 = many_commit(x, 66, "gadgets", 1, -1, T0 + 4000);
	many_act(x, 0, AL_KIND_RELEASE, c1, T0 + 5000);
	many_act(x, 1, AL_KIND_RESPONSE, c2, T0 + 6000);
	many_act(x, 66, AL_KIND_DELIVERY, c2, T0 + 7000);
	struct al_ledger *full, *inc, *copy;
	char why[AL_ERRLEN];
	assert_int_equal(ledger_build(x->ro, x->env, x->n, INT64_MAX, &full), AL_OK);
	inc = many_added(x, full);
	for (size_t k = 0; k < MANY; k++)
		assert_int_equal(full->violations[k], 0);
	assert_int_equal(full->n_items, 2);
	const struct al_cstatus *s = &full->items[0];
	assert_int_equal(s->state, AL_C_RELEASED);
	assert_true(ledger_has(full, &s->to, 65) && ledger_has(full, &s->to, 69));
	assert_false(ledger_has(full, &s->to, 64) || ledger_has(full, &s->to, 0));
	assert_int_equal(ledger_count(full, &s->to), 2);
	assert_true(ledger_has(full, &s->released, 0) && ledger_has(full, &s->released, 65) &&
		    ledger_has(full, &s->released, 69));
	assert_int_equal(ledger_count(full, &s->released), 3);
	s = &full->items[1];
	assert_int_equal(s->state, AL_C_DELIVERED);
	assert_true(s->accepted);
	assert_true(s->id.member == 66 && s->id.seq == 1);
	assert_true(s->delivery.member == 66 && s->delivery.seq == 2);
	struct al_ref r = ledger_ref(full, &s->id);
	assert_memory_equal(&r, &c2, sizeof r);
	/* a one-bit difference in a set is a difference */
	{
		struct al_cstatus *t = &inc->items[0];
		uint64_t *w = &t->released.words[65 / 64];
		*w ^= (uint64_t)1 << (65 % 64);
		assert_false(ledger_equal(inc, full, why));
		assert_non_null(strstr(why, "released"));
		*w ^= (uint64_t)1 << (65 % 64);
	}
	uint8_t *bytes;
	size_t len;
	copy = save_load(inc, x->ro, &bytes, &len);
	free(bytes);
	if (!ledger_equal(copy, full, why))
		fail_msg("saved and loaded != replay: %s", why);
	/* shown: from the messages, in their order */
	struct al_msgs msgs = { many_open, x }, none = { many_open, NULL };
	json_t *rows;
	assert_int_equal(query_commitments(copy, &msgs, T0 + 8000, NULL, &rows, why), AL_OK);
	char *text = json_dumps(rows, JSON_COMPACT);
	assert_non_null(strstr(text, "\"to\":[\"m69\",\"m65\"],\"what\":\"a widget for the last two\""));
	assert_non_null(strstr(text, "\"promisor\":\"m66\",\"to\":[\"m1\"],\"what\":\"gadgets\""));
	free(text);
	json_decref(rows);
	assert_int_equal(query_commitments(copy, &none, T0 + 8000, NULL, &rows, why), AL_E_NOENT);
	assert_null(rows);
	assert_non_null(strstr(why, "no message 1 of that feed"));
	/* a state filter reads only the messages of what it shows */
	assert_int_equal(query_commitments(copy, &none, T0 + 8000, "confirmed", &rows, why), AL_OK);
	assert_int_equal(json_array_size(rows), 0);
	json_decref(rows);
	ledger_destroy(&copy);
	ledger_destroy(&inc);
	ledger_destroy(&full);
	many_free(x);
}

/* The incremental ledger keeps every message's timestamp compactly (an
 * offset from its block's first, or apart when 49 days or more later):
 * a backdated message naming one kept apart is the same violation, with
 * the same text, as in the replay, before and after a save and a load. */
static void test_timestamps_far_apart(void **state)
{
	(void)state;
	const int64_t day = 86400000;
	struct many *x = many_new(MANY);
	many_commit(x, 0, "first", 1, -1, T0 + 1000);
	many_commit(x, 0, "sixty days on", 1, -1, T0 + 60 * day);
	many_commit(x, 0, "and a moment", 1, -1, T0 + 60 * day + 5);
	many_commit(x, 1, "backdated", 2, -1, T0 + 2000); /* had seen m0/3 */
	many_commit(x, 0, "a year on", 1, -1, T0 + 365 * day);
	struct al_ledger *full, *inc, *copy;
	char why[AL_ERRLEN];
	assert_int_equal(ledger_build(x->ro, x->env, x->n, INT64_MAX, &full), AL_OK);
	assert_int_equal(full->n_broken, 1);
	assert_non_null(strstr(full->broken[0].why, "before m0/3, which its author had seen"));
	inc = many_added(x, full);
	uint8_t *bytes;
	size_t len;
	copy = save_load(inc, x->ro, &bytes, &len);
	free(bytes);
	if (!ledger_equal(copy, full, why))
		fail_msg("saved and loaded != replay: %s", why);
	ledger_destroy(&copy);
	ledger_destroy(&inc);
	ledger_destroy(&full);
	many_free(x);
}

/* Two releases of one commitment by two beneficiaries (a set inline: at
 * most 64 members) in the tail of a saved and loaded ledger, then a late
 * message that sorts before both: they are undone and applied again, and
 * the ledger is still the replay (an undo record loaded must not restore
 * the set of releases as it stood when the state was saved). */
static void test_loaded_tail_undoes_releases(void **state)
{
	(void)state;
	struct many *x = many_new(4);
	struct al_ref c1 = many_commit(x, 0, "for two", 1, 2, T0 + 1000);
	many_act(x, 1, AL_KIND_RELEASE, c1, T0 + 3000);
	many_act(x, 2, AL_KIND_RELEASE, c1, T0 + 4000);
	/* m3 signs at T0 + 2000, having seen only the commitment: signed
	 * after the releases were, added after them, it sorts before them. */
	uint64_t len1 = x->len[1], len2 = x->len[2];
	x->len[1] = x->len[2] = 0;
	struct al_body b;
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_FEEDBACK;
	b.u.feedback.about = x->ids[0]->sign_pk;
	b.u.feedback.rating = 4;
	many_sign(x, 3, &b, T0 + 2000);
	x->len[1] = len1;
	x->len[2] = len2;
	struct al_ledger *full, *inc, *copy;
	char why[AL_ERRLEN];
	assert_int_equal(ledger_build(x->ro, x->env, x->n, INT64_MAX, &full), AL_OK);
	assert_int_equal(full->n_broken, 0);
	assert_int_equal(ledger_new(x->ro, &inc), AL_OK);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(ledger_add(inc, x->env[i], why), AL_OK);
	uint8_t *bytes;
	size_t len;
	copy = save_load(inc, x->ro, &bytes, &len);
	free(bytes);
	/* the original and the loaded copy take the late message alike */
	assert_int_equal(ledger_add(inc, x->env[3], why), AL_OK);
	if (!ledger_equal(inc, full, why))
		fail_msg("incremental != replay: %s", why);
	assert_int_equal(ledger_add(copy, x->env[3], why), AL_OK);
	if (!ledger_equal(copy, full, why))
		fail_msg("saved, loaded, then a late message != replay: %s", why);
	ledger_destroy(&copy);
	ledger_destroy(&inc);
	ledger_destroy(&full);
	many_free(x);
}

/* The facts the scorecard reads (issue 12): when a commitment was
 * proposed, who answered it and when, who gave the verdict. A member other
 * than the first answers and judges here, so that a field the save or the
 * load forgets (read back as 0) is a difference. */
static void test_saved_state_keeps_scorecard_facts(void **state)
{
	(void)state;
	struct many *x = many_new(3);
	struct al_ref c1 = many_commit(x, 0, "a widget", 2, -1, T0 + 1000);
	struct al_ref c2 = many_commit(x, 1, "a gadget", 2, -1, T0 + 1500);
	many_act(x, 2, AL_KIND_RESPONSE, c1, T0 + 2000);
	many_act(x, 0, AL_KIND_DELIVERY, c1, T0 + 3000);
	struct al_body b;
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_VERDICT;
	b.u.verdict = (struct al_verdict){ .commitment = c1, .outcome = AL_OUTCOME_CONFIRM,
					   .quality = 4, .timeliness = 5 };
	many_sign(x, 2, &b, T0 + 4000);
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_RESPONSE;
	b.u.response = (struct al_response){ .commitment = c2, .answer = AL_ANSWER_DECLINE };
	many_sign(x, 2, &b, T0 + 5000);
	struct al_ledger *full, *inc, *copy;
	char why[AL_ERRLEN];
	assert_int_equal(ledger_build(x->ro, x->env, x->n, INT64_MAX, &full), AL_OK);
	inc = many_added(x, full);
	assert_int_equal(full->n_items, 2);
	const struct al_cstatus *s = &full->items[0];
	assert_int_equal(s->state, AL_C_CONFIRMED);
	assert_true(s->proposed_at == T0 + 1000 && s->answered_at == T0 + 2000);
	assert_true(s->answered_by == 2 && s->judged_by == 2 && s->verdict_at == T0 + 4000);
	s = &full->items[1];
	assert_int_equal(s->state, AL_C_DECLINED);
	assert_true(s->proposed_at == T0 + 1500 && s->answered_at == T0 + 5000 &&
		    s->answered_by == 2);
	/* each one compared */
	inc->items[0].judged_by = 1;
	assert_false(ledger_equal(inc, full, why));
	assert_non_null(strstr(why, "another verdict"));
	inc->items[0].judged_by = 2;
	inc->items[1].answered_by = 1;
	assert_false(ledger_equal(inc, full, why));
	assert_non_null(strstr(why, "answered at"));
	inc->items[1].answered_by = 2;
	inc->items[1].proposed_at++;
	assert_false(ledger_equal(inc, full, why));
	assert_non_null(strstr(why, "other terms"));
	inc->items[1].proposed_at--;
	/* and saved */
	uint8_t *bytes;
	size_t len;
	copy = save_load(inc, x->ro, &bytes, &len);
	free(bytes);
	if (!ledger_equal(copy, full, why))
		fail_msg("saved and loaded != replay: %s", why);
	ledger_destroy(&copy);
	ledger_destroy(&inc);
	ledger_destroy(&full);
	many_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_adds),
		cmocka_unit_test(test_incremental_is_the_replay),
		cmocka_unit_test(test_series_is_the_replay_at_each_point),
		cmocka_unit_test(test_saved_state_is_the_replay),
		cmocka_unit_test(test_saved_state_faults),
		cmocka_unit_test(test_compact_commitments),
		cmocka_unit_test(test_timestamps_far_apart),
		cmocka_unit_test(test_loaded_tail_undoes_releases),
		cmocka_unit_test(test_saved_state_keeps_scorecard_facts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
