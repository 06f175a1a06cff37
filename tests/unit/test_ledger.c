/* test_ledger.c: commitment states from messages and time, and the trust
 * they earn, table-driven:
 * who may answer, deliver and judge; overdue, missed and late by the clock
 * and the charter's grace; violations counted and changing nothing; and
 * the same ledger from any arrival order of the same messages. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "err.h"
#include "ledger.h"
#include "trust.h"

#define N 3
#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */
#define DAY 86400000LL

struct fx {
	struct al_identity *ids[N];
	struct al_charter *c;
	struct al_roster *ro;
	struct al_envelope *env[32];
	size_t n;
	uint64_t seq[N];
	al_hash prev[N];
	int hide; /* a member whose messages the next signer has not seen, or -1 ... */
	uint64_t upto; /* ... beyond this seq (0: none of them) */
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof *x);
	assert_non_null(x);
	x->c = tu_charter(N, true, x->ids);
	assert_int_equal(roster_new(x->c, &x->ro), AL_OK);
	x->hide = -1;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	for (size_t i = 0; i < x->n; i++) {
		envelope_clear(x->env[i]);
		free(x->env[i]);
	}
	for (int i = 0; i < N; i++)
		key_destroy(&x->ids[i]);
	roster_destroy(&x->ro);
	charter_destroy(&x->c);
	free(x);
	return 0;
}

/* Member a signs b at time t, after everything authored so far (its
 * frontier names every feed's head). */
static struct al_ref sign(struct fx *x, int a, struct al_body *b, int64_t t)
{
	/* The author had seen, of every other feed, what was signed by t
	 * (except the feed of x->hide: a message not yet received). */
	struct al_frontier_entry fr[N];
	size_t nf = 0;
	for (int k = 0; k < N; k++) {
		const struct al_envelope *last = NULL;
		for (size_t i = 0; k != a && i < x->n; i++)
			if (!memcmp(&x->env[i]->b.author, &x->ids[k]->sign_pk, AL_KEYLEN) &&
			    (k != x->hide || x->env[i]->b.seq <= x->upto) &&
			    x->env[i]->b.timestamp <= t && (!last || x->env[i]->b.seq > last->b.seq))
				last = x->env[i];
		if (last)
			fr[nf++] = (struct al_frontier_entry){ x->ids[k]->sign_pk, last->b.seq,
							       last->hash };
	}
	struct al_envelope *e = tu_seal(x->c, x->ids[a], b, ++x->seq[a], &x->prev[a], t, fr, nf);
	x->prev[a] = e->hash;
	x->env[x->n++] = e;
	return (struct al_ref){ b->author, b->seq };
}

static struct al_ref commit_v(struct fx *x, int a, int to, int64_t t, int64_t due, uint64_t value);

static struct al_ref commit(struct fx *x, int a, int to, int64_t t, int64_t due)
{
	return commit_v(x, a, to, t, due, 100);
}

static struct al_ref commit_v(struct fx *x, int a, int to, int64_t t, int64_t due, uint64_t value)
{
	struct al_body b;
	al_key k = x->ids[to]->sign_pk;
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_COMMITMENT;
	b.u.commitment.what = (char *)"thing";
	b.u.commitment.to = &k;
	b.u.commitment.n_to = 1;
	b.u.commitment.due = due;
	b.u.commitment.value = value;
	return sign(x, a, &b, t);
}

static void respond(struct fx *x, int a, struct al_ref c, enum al_answer ans, int64_t t)
{
	struct al_body b;
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_RESPONSE;
	b.u.response.commitment = c;
	b.u.response.answer = ans;
	sign(x, a, &b, t);
}

static void deliver(struct fx *x, int a, struct al_ref c, int64_t t)
{
	struct al_body b;
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_DELIVERY;
	b.u.delivery.commitment = c;
	sign(x, a, &b, t);
}

static void rate(struct fx *x, int a, struct al_ref c, enum al_outcome o, uint32_t q,
		 uint32_t tl, int64_t t)
{
	struct al_body b;
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_VERDICT;
	b.u.verdict.commitment = c;
	b.u.verdict.outcome = o;
	b.u.verdict.quality = q;
	b.u.verdict.timeliness = tl;
	sign(x, a, &b, t);
}

static void verdict(struct fx *x, int a, struct al_ref c, enum al_outcome o, int64_t t)
{
	rate(x, a, c, o, 4, 4, t);
}

static struct al_ledger *build(struct fx *x)
{
	struct al_ledger *l;
	assert_int_equal(ledger_build(x->ro, x->env, x->n, INT64_MAX, &l), AL_OK);
	return l;
}

static enum al_cstate state_at(struct al_ledger *l, size_t i, int64_t t)
{
	assert_true(i < l->n_items);
	return ledger_state_at(l, &l->items[i], t);
}

/* The life cycle and the clock, one row per case. */
static void test_life_cycle(void **state)
{
	struct fx *x = *state;
	int64_t grace = (int64_t)x->c->params.grace * 1000;
	/* 0: confirmed on time */
	struct al_ref c0 = commit(x, 0, 1, T0, T0 + 10 * DAY);
	respond(x, 1, c0, AL_ANSWER_ACCEPT, T0 + DAY);
	deliver(x, 0, c0, T0 + 5 * DAY);
	verdict(x, 1, c0, AL_OUTCOME_CONFIRM, T0 + 6 * DAY);
	/* 1: delivered late, disputed */
	struct al_ref c1 = commit(x, 1, 2, T0 + DAY, T0 + 3 * DAY);
	deliver(x, 1, c1, T0 + 4 * DAY);
	verdict(x, 2, c1, AL_OUTCOME_DISPUTE, T0 + 7 * DAY);
	/* 2: never delivered */
	commit(x, 2, 0, T0 + 2 * DAY, T0 + 5 * DAY);
	/* 3: declined */
	struct al_ref c3 = commit(x, 0, 2, T0 + 2 * DAY, T0 + 4 * DAY);
	respond(x, 2, c3, AL_ANSWER_DECLINE, T0 + 3 * DAY);
	struct al_ledger *l = build(x);
	assert_int_equal(l->n_items, 4);
	static const struct {
		size_t item;
		int64_t at;
		enum al_cstate want;
	} rows[] = {
		{ 0, T0 + 2 * DAY, AL_C_CONFIRMED }, { 1, T0, AL_C_DISPUTED },
		{ 2, T0 + 3 * DAY, AL_C_PROPOSED },  { 2, T0 + 5 * DAY, AL_C_PROPOSED },
		{ 2, T0 + 5 * DAY + 1, AL_C_OVERDUE }, { 3, T0 + 100 * DAY, AL_C_DECLINED },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		assert_int_equal(state_at(l, rows[i].item, rows[i].at), rows[i].want);
	assert_int_equal(state_at(l, 2, T0 + 5 * DAY + grace), AL_C_OVERDUE);
	assert_int_equal(state_at(l, 2, T0 + 5 * DAY + grace + 1), AL_C_MISSED);
	assert_false(ledger_late(l, &l->items[0]));
	assert_true(ledger_late(l, &l->items[1]));
	for (int k = 0; k < N; k++)
		assert_int_equal(l->violations[k], 0);
	ledger_destroy(&l);
}

/* Messages that break the rules change nothing and count against their
 * authors. */
static void test_violations(void **state)
{
	struct fx *x = *state;
	struct al_ref c = commit(x, 0, 1, T0, T0 + 10 * DAY);
	deliver(x, 1, c, T0 + DAY);                       /* not the promisor */
	respond(x, 2, c, AL_ANSWER_ACCEPT, T0 + DAY);     /* not a beneficiary */
	verdict(x, 1, c, AL_OUTCOME_CONFIRM, T0 + 2 * DAY); /* nothing delivered */
	commit(x, 2, 2, T0, T0 + DAY);                    /* a promise to oneself */
	struct al_ledger *l = build(x);
	assert_int_equal(l->n_items, 1);
	assert_int_equal(state_at(l, 0, T0 + 3 * DAY), AL_C_PROPOSED);
	assert_int_equal(l->violations[0], 0);
	assert_int_equal(l->violations[1], 2);
	assert_int_equal(l->violations[2], 2);
	ledger_destroy(&l);
}

/* Any arrival order of the same messages gives the same ledger, even when
 * a verdict arrives before the delivery it judges. */
static void test_order_independent(void **state)
{
	struct fx *x = *state;
	struct al_ref c0 = commit(x, 0, 1, T0, T0 + 10 * DAY);
	struct al_ref c1 = commit(x, 1, 2, T0 + 1, T0 + 10 * DAY);
	deliver(x, 0, c0, T0 + 2 * DAY);
	verdict(x, 1, c0, AL_OUTCOME_CONFIRM, T0 + 2 * DAY); /* same ms as the delivery */
	deliver(x, 1, c1, T0 + 3 * DAY);
	verdict(x, 2, c1, AL_OUTCOME_DISPUTE, T0 + 3 * DAY);
	struct al_ledger *ref = build(x);
	assert_int_equal(ref->items[0].state, AL_C_CONFIRMED);
	assert_int_equal(ref->items[1].state, AL_C_DISPUTED);
	/* Every rotation and the reversal of the arrival order. */
	struct al_envelope *orig[32];
	memcpy(orig, x->env, x->n * sizeof *orig);
	for (size_t r = 0; r <= x->n; r++) {
		for (size_t i = 0; i < x->n; i++)
			x->env[i] = r < x->n ? orig[(i + r) % x->n] : orig[x->n - 1 - i];
		struct al_ledger *l = build(x);
		assert_int_equal(l->n_items, ref->n_items);
		for (size_t i = 0; i < l->n_items; i++) {
			assert_int_equal(l->items[i].id.member, ref->items[i].id.member);
			assert_int_equal(l->items[i].id.seq, ref->items[i].id.seq);
			assert_int_equal(l->items[i].state, ref->items[i].state);
		}
		for (int k = 0; k < N; k++)
			assert_int_equal(l->violations[k], 0);
		ledger_destroy(&l);
	}
	memcpy(x->env, orig, x->n * sizeof *orig);
	ledger_destroy(&ref);
}

static void receipt(struct fx *x, int a, int64_t t);

static struct al_trust *trust_at(struct fx *x, int64_t as_of, struct al_ledger **l)
{
	struct al_trust *t;
	assert_int_equal(ledger_build(x->ro, x->env, x->n, as_of, l), AL_OK);
	assert_int_equal(trust_compute(*l, as_of, &t), AL_OK);
	return t;
}

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-9)

/* Every outcome's evidence, with the default parameters (on time 1, late
 * 0.5, missed 1, disputed 1, rating 0.25, half-life 90 d, grace 3 d) and a
 * value of one unit (weight 1): trust = (r + 1) / (r + s + 2). */
/* A partner may sign any due time: one at the end of time is never missed
 * (its deadline saturates rather than wrapping into the past; UBSan
 * checks there is no overflow), and trust is computed over it. */
static void test_due_at_the_end_of_time(void **state)
{
	struct fx *x = *state;
	commit_v(x, 0, 1, T0, INT64_MAX, 1);
	commit_v(x, 1, 2, T0, INT64_MAX - 1000, 1);
	struct al_ledger *l;
	struct al_trust *t = trust_at(x, T0 + 400 * DAY, &l);
	assert_int_equal(l->n_items, 2);
	const struct al_cstatus *sa = &l->items[0], *sb = &l->items[1];
	assert_int_equal(ledger_state_at(l, sa, T0 + 400 * DAY), AL_C_PROPOSED);
	assert_int_equal(ledger_state_at(l, sb, INT64_MAX), AL_C_OVERDUE);
	NEAR(t->rows[0].s, 0), NEAR(t->rows[1].s, 0);
	trust_destroy(&t);
	ledger_destroy(&l);
}

static void test_trust_outcomes(void **state)
{
	struct fx *x = *state;
	const struct al_params *p = &x->c->params;
	int64_t grace = (int64_t)p->grace * 1000, half = (int64_t)p->half_life * 1000;
	/* m0: on time, rated 5/5 -> r = 1 + 0.25 */
	struct al_ref a = commit_v(x, 0, 1, T0, T0 + 10 * DAY, 1);
	deliver(x, 0, a, T0 + DAY);
	rate(x, 1, a, AL_OUTCOME_CONFIRM, 5, 5, T0 + DAY);
	/* m1: late, rated 3/3 -> r = 0.5 + 0.125, s = 0.5 + 0.125 */
	struct al_ref b = commit_v(x, 1, 2, T0, T0 + DAY, 1);
	deliver(x, 1, b, T0 + 2 * DAY);
	rate(x, 2, b, AL_OUTCOME_CONFIRM, 3, 3, T0 + 2 * DAY);
	/* m2: missed (due T0 + 2 d) -> s = 1 once the grace has passed */
	commit_v(x, 2, 0, T0, T0 + 2 * DAY, 1);
	struct al_ledger *l;
	int64_t now = T0 + 2 * DAY;
	struct al_trust *t = trust_at(x, now, &l);
	double r0 = 1.25 * exp2(-1.0 / 90.0); /* a day old */
	NEAR(t->rows[0].r, r0), NEAR(t->rows[0].s, 0);
	NEAR(t->rows[0].trust, (r0 + 1) / (r0 + 2));
	NEAR(t->rows[1].r, 0.625), NEAR(t->rows[1].s, 0.625), NEAR(t->rows[1].trust, 0.5);
	assert_int_equal(t->rows[1].late, 1);
	/* within the grace: overdue is no evidence yet */
	NEAR(t->rows[2].trust, 0.5), NEAR(t->rows[2].uncertainty, 1.0);
	trust_destroy(&t);
	ledger_destroy(&l);
	/* just past the grace: missed */
	t = trust_at(x, T0 + 2 * DAY + grace + 1, &l);
	NEAR(t->rows[2].s, exp2(-1.0 / (double)half)), NEAR(t->rows[2].r, 0);
	assert_int_equal(t->rows[2].missed, 1);
	trust_destroy(&t);
	ledger_destroy(&l);
	/* one half-life after the miss, its evidence weighs half */
	t = trust_at(x, T0 + 2 * DAY + grace + half, &l);
	NEAR(t->rows[2].s, 0.5);
	NEAR(t->rows[2].trust, 1.0 / 2.5);
	NEAR(t->rows[2].uncertainty, 2.0 / 2.5);
	trust_destroy(&t);
	ledger_destroy(&l);
}

/* Disputes count against the promisor; value weighs (square root, capped
 * at 10); reciprocity and the warnings name their evidence. */
static void test_trust_weights_and_warnings(void **state)
{
	struct fx *x = *state;
	/* m0 delivers value 400 to m1, disputed: s = sqrt(400) capped at 10 */
	struct al_ref a = commit_v(x, 0, 1, T0, T0 + 5 * DAY, 400);
	deliver(x, 0, a, T0 + DAY);
	rate(x, 1, a, AL_OUTCOME_DISPUTE, 0, 0, T0 + DAY);
	/* m2 misses three commitments of value 25 (weight 5) */
	for (int i = 0; i < 3; i++)
		commit_v(x, 2, 0, T0, T0 + DAY, 25);
	/* m1 delivers value 100 to m2, accepted, on time, unconfirmed but seen
	 * by m0 and not disputed within the grace: fulfilled */
	struct al_ref c = commit_v(x, 1, 2, T0, T0 + 5 * DAY, 100);
	respond(x, 2, c, AL_ANSWER_ACCEPT, T0 + 1);
	deliver(x, 1, c, T0 + 2 * DAY);
	receipt(x, 0, T0 + 2 * DAY + 1000); /* m0's daemon sees it a second later */
	struct al_ledger *l;
	int64_t now = T0 + 10 * DAY;
	struct al_trust *t = trust_at(x, now, &l);
	double d = exp2(-9.0 / 90.0);
	NEAR(t->rows[0].s, 10.0 * d);
	assert_int_equal(t->rows[0].disputed, 1);
	assert_int_equal(t->rows[0].fulfilled, 0);
	assert_int_equal(t->rows[2].missed, 3);
	NEAR(t->rows[2].s, 3 * 5.0 * exp2(-6.0 / 90.0)); /* missed at due + 3 d = day 4 */
	NEAR(t->rows[1].r, 10.0 * exp2(-8.0 / 90.0)); /* fulfilled at day 2, weight 10 */
	NEAR(t->rows[1].given, 100), NEAR(t->rows[2].received, 100);
	NEAR(t->pair[1 * 3 + 2], 100);
	/* m2: low trust on solid evidence, repeated misses naming them,
	 * and one-sided reciprocity (received 100, gave nothing) */
	assert_int_equal(t->rows[2].n_warnings, 3);
	assert_non_null(strstr(t->rows[2].warnings[0], "low trust"));
	assert_non_null(strstr(t->rows[2].warnings[1], "missed 3 commitments: m2/1, m2/2, m2/3"));
	assert_non_null(strstr(t->rows[2].warnings[2], "one-sided"));
	assert_int_equal(t->rows[1].n_warnings, 0);
	trust_destroy(&t);
	ledger_destroy(&l);
	/* as of before anything happened: nothing counts */
	t = trust_at(x, T0 - 1, &l);
	for (int m = 0; m < N; m++)
		NEAR(t->rows[m].trust, 0.5), NEAR(t->rows[m].uncertainty, 1.0);
	trust_destroy(&t);
	ledger_destroy(&l);
}

static void receipt(struct fx *x, int a, int64_t t)
{
	struct al_body b;
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_RECEIPT;
	sign(x, a, &b, t);
}

static void release(struct fx *x, int a, struct al_ref c, int64_t t)
{
	struct al_body b;
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_RELEASE;
	b.u.release.commitment = c;
	sign(x, a, &b, t);
}

static struct al_ref task(struct fx *x, int a, int owner, struct al_ref *dep, int64_t t)
{
	struct al_body b;
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_TASK;
	b.u.task.title = (char *)"t";
	b.u.task.owner = x->ids[owner]->sign_pk;
	b.u.task.due = t + DAY;
	b.u.task.depends = dep;
	b.u.task.n_depends = dep != NULL;
	return sign(x, a, &b, t);
}

/* Release needs every party; a released commitment is no evidence and
 * cannot be missed; tasks depend only on tasks. */
static void test_release_and_tasks(void **state)
{
	struct fx *x = *state;
	int64_t grace = (int64_t)x->c->params.grace * 1000;
	struct al_ref c = commit(x, 0, 1, T0, T0 + DAY);
	respond(x, 1, c, AL_ANSWER_ACCEPT, T0 + 1);
	release(x, 0, c, T0 + 1);  /* accepted: the promisor alone cannot undo it */
	release(x, 2, c, T0 + 2);  /* not a party: a violation */
	struct al_ledger *l = build(x);
	assert_int_equal(state_at(l, 0, T0 + DAY + grace + 1), AL_C_MISSED); /* one side only */
	assert_int_equal(l->violations[2], 1);
	ledger_destroy(&l);
	release(x, 1, c, T0 + 3);
	release(x, 1, c, T0 + 4); /* twice: a violation */
	l = build(x);
	assert_int_equal(state_at(l, 0, T0 + 100 * DAY), AL_C_RELEASED);
	assert_int_equal(l->violations[1], 1);
	struct al_trust *t;
	assert_int_equal(trust_compute(l, T0 + 100 * DAY, &t), AL_OK);
	assert_true(t->rows[0].r == 0 && t->rows[0].s == 0 && t->rows[0].missed == 0);
	trust_destroy(&t);
	ledger_destroy(&l);
	/* tasks */
	struct al_ref t1 = task(x, 0, 1, NULL, T0 + 5);
	task(x, 1, 2, &t1, T0 + 6);     /* depends on a task: fine */
	task(x, 1, 2, &c, T0 + 7);      /* on a commitment: a violation */
	l = build(x);
	assert_int_equal(l->n_tasks, 2);
	assert_int_equal(l->tasks[1].owner, 2);
	assert_int_equal(l->violations[1], 2);
	ledger_destroy(&l);
}

static void escalate(struct fx *x, int a, struct al_ref c, int64_t t)
{
	struct al_body b;
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_ESCALATION;
	b.u.escalation.subject = c;
	b.u.escalation.reason = (char *)"why";
	sign(x, a, &b, t);
}

static void resolve(struct fx *x, int a, struct al_ref c, enum al_ruling r, int64_t t)
{
	struct al_body b;
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_RESOLUTION;
	b.u.resolution.subject = c;
	b.u.resolution.ruling = r;
	sign(x, a, &b, t);
}

/* The hierarchy: a dispute is escalated, and only the charter's resolver
 * (m0 in the test charter) rules; the ruling decides what the outcome is
 * worth: upheld stays negative, rejected lets the delivery stand. */
static void test_escalation_and_resolution(void **state)
{
	struct fx *x = *state;
	struct al_ref up = commit_v(x, 1, 2, T0, T0 + 5 * DAY, 1);
	struct al_ref down = commit_v(x, 1, 2, T0, T0 + 5 * DAY, 1);
	for (int i = 0; i < 2; i++) {
		struct al_ref c = i ? down : up;
		deliver(x, 1, c, T0 + DAY);
		rate(x, 2, c, AL_OUTCOME_DISPUTE, 0, 0, T0 + DAY);
	}
	resolve(x, 0, up, AL_RULING_UPHOLD, T0 + DAY + 1); /* not escalated yet: a violation */
	escalate(x, 1, up, T0 + 2 * DAY);
	escalate(x, 2, down, T0 + 2 * DAY);
	resolve(x, 2, down, AL_RULING_REJECT, T0 + 3 * DAY); /* not the resolver */
	resolve(x, 0, up, AL_RULING_UPHOLD, T0 + 3 * DAY);
	resolve(x, 0, down, AL_RULING_REJECT, T0 + 3 * DAY);
	struct al_ledger *l;
	struct al_trust *t = trust_at(x, T0 + 3 * DAY, &l);
	assert_int_equal(l->items[0].state, AL_C_RESOLVED);
	assert_int_equal(l->items[0].ruling, AL_RULING_UPHOLD);
	assert_int_equal(l->items[1].ruling, AL_RULING_REJECT);
	assert_int_equal(l->violations[0], 1);
	assert_int_equal(l->violations[2], 1);
	/* m1: one upheld dispute (s = 1), one delivery that stands (r = 1,
	 * two days old) */
	NEAR(t->rows[1].s, 1.0);
	NEAR(t->rows[1].r, exp2(-2.0 / 90.0));
	assert_int_equal(t->rows[1].disputed, 1);
	assert_int_equal(t->rows[1].fulfilled, 1);
	trust_destroy(&t);
	ledger_destroy(&l);
}

/* The review's attacks and races: none of them moves the ledger or trust. */
static void test_rules_against_gaming(void **state)
{
	struct fx *x = *state;
	int64_t grace = (int64_t)x->c->params.grace * 1000;
	struct al_ledger *l;
	struct al_trust *t;
	/* 0: delivered at once, nobody accepted or confirmed: no credit */
	struct al_ref self = commit_v(x, 0, 1, T0, T0 + DAY, 1000000);
	deliver(x, 0, self, T0 + 1);
	/* 1: m1 withdraws a proposal nobody accepted, before it falls due */
	struct al_ref wd = commit(x, 1, 2, T0, T0 + DAY);
	release(x, 1, wd, T0 + 2);
	/* 2: missed, then "delivered" late: stays missed, a violation */
	struct al_ref miss = commit(x, 2, 0, T0, T0 + DAY);
	deliver(x, 2, miss, T0 + DAY + grace + 1);
	/* 3: two beneficiaries answer at once: the second is no one's fault */
	struct al_body b;
	al_key both[2] = { x->ids[1]->sign_pk, x->ids[2]->sign_pk };
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_COMMITMENT;
	b.u.commitment.what = (char *)"shared";
	b.u.commitment.to = both;
	b.u.commitment.n_to = 2;
	b.u.commitment.due = T0 + 50 * DAY;
	struct al_ref shared = sign(x, 0, &b, T0 + DAY + grace + 2);
	respond(x, 1, shared, AL_ANSWER_ACCEPT, T0 + DAY + grace + 3);
	x->hide = 1; /* m2 answers without having seen m1's answer */
	respond(x, 2, shared, AL_ANSWER_DECLINE, T0 + DAY + grace + 3);
	x->hide = -1;
	/* 4: the same rater twice: only the latest rating counts */
	struct al_body fb;
	memset(&fb, 0, sizeof fb);
	fb.kind = AL_KIND_FEEDBACK;
	fb.u.feedback.about = x->ids[0]->sign_pk;
	fb.u.feedback.rating = 1;
	for (int i = 0; i < 5; i++)
		sign(x, 2, &fb, T0 + 60 * DAY);
	l = build(x);
	assert_int_equal(state_at(l, 0, T0 + 30 * DAY), AL_C_DELIVERED);
	assert_int_equal(state_at(l, 1, T0 + 30 * DAY), AL_C_RELEASED);
	assert_int_equal(state_at(l, 2, T0 + 30 * DAY), AL_C_MISSED);
	/* the race: one answer wins (canonically the same everywhere) */
	enum al_cstate raced = state_at(l, 3, T0 + 30 * DAY);
	assert_true(raced == AL_C_ACCEPTED || raced == AL_C_DECLINED);
	assert_int_equal(l->violations[0], 0);
	assert_int_equal(l->violations[1], 0);
	assert_int_equal(l->violations[2], 1);  /* the delivery after the miss */
	ledger_destroy(&l);
	assert_int_equal(trust_compute(l = build(x), T0 + 61 * DAY, &t), AL_OK);
	assert_int_equal(t->rows[0].fulfilled, 0);           /* no credit for case 0 */
	NEAR(t->rows[0].s, 0.25 * exp2(-1.0 / 90.0));        /* one rating of 1, not five */
	assert_int_equal(t->rows[1].missed, 0);              /* withdrawn in time */
	assert_int_equal(t->rows[2].missed, 1);
	trust_destroy(&t);
	ledger_destroy(&l);
}

/* Answers to a state their author had not seen yet are races: they change
 * nothing and are no one's fault; the same answer made after seeing the
 * state is a violation. Table: the race, then its control. */
static void test_races_are_no_ones_fault(void **state)
{
	struct fx *x = *state;
	/* a withdrawal crosses an acceptance */
	struct al_ref w = commit(x, 0, 1, T0, T0 + DAY);       /* m0/1 */
	release(x, 0, w, T0 + 10);                             /* m0/2 */
	x->hide = 0, x->upto = 1;
	respond(x, 1, w, AL_ANSWER_ACCEPT, T0 + 11);            /* had not seen m0/2 */
	x->hide = -1;
	/* a delivery crosses the beneficiary's release */
	struct al_ref d = commit(x, 0, 1, T0 + 20, T0 + DAY);  /* m0/3 */
	respond(x, 1, d, AL_ANSWER_ACCEPT, T0 + 21);
	deliver(x, 0, d, T0 + 22);                             /* m0/4 */
	x->hide = 0, x->upto = 3;
	release(x, 1, d, T0 + 23);                             /* had not seen m0/4 */
	x->hide = -1;
	/* two members escalate one dispute at once */
	struct al_ref e = commit(x, 0, 1, T0 + 30, T0 + DAY);
	respond(x, 1, e, AL_ANSWER_ACCEPT, T0 + 31);
	deliver(x, 0, e, T0 + 32);
	verdict(x, 1, e, AL_OUTCOME_DISPUTE, T0 + 33);         /* m1/4 */
	escalate(x, 1, e, T0 + 34);                            /* m1/5 */
	x->hide = 1, x->upto = 4;
	escalate(x, 2, e, T0 + 35);                            /* had not seen m1/5 */
	x->hide = -1;
	struct al_ledger *l = build(x);
	assert_int_equal(state_at(l, 0, T0 + 100), AL_C_RELEASED);
	assert_int_equal(state_at(l, 1, T0 + 100), AL_C_DELIVERED);
	assert_true(l->items[2].escalated);
	for (int m = 0; m < N; m++)
		assert_int_equal(l->violations[m], 0);
	ledger_destroy(&l);
	/* The controls: the same answers, having seen the state. */
	respond(x, 1, w, AL_ANSWER_ACCEPT, T0 + 40);
	release(x, 1, d, T0 + 41);
	escalate(x, 2, e, T0 + 42);
	l = build(x);
	assert_int_equal(l->violations[1], 2);
	assert_int_equal(l->violations[2], 1);
	assert_int_equal(state_at(l, 0, T0 + 100), AL_C_RELEASED);
	ledger_destroy(&l);
}

/* A message dated (beyond the skew) before what its author had seen is a
 * violation and changes nothing. */
static void test_backdated(void **state)
{
	struct fx *x = *state;
	struct al_ref c = commit(x, 0, 1, T0, T0 + 10 * DAY);
	respond(x, 1, c, AL_ANSWER_ACCEPT, T0 + 20 * DAY); /* seen by m0's delivery */
	/* m0 delivers, claiming day 1; its frontier names m1's day-20 answer */
	struct al_envelope *answer = x->env[x->n - 1];
	struct al_frontier_entry fr = { x->ids[1]->sign_pk, answer->b.seq, answer->hash };
	struct al_body b;
	struct al_envelope *e = calloc(1, sizeof *e);
	memset(&b, 0, sizeof b);
	b.version = AL_FORMAT_VERSION;
	b.alliance = x->c->id;
	b.author = x->ids[0]->sign_pk;
	b.seq = 2;
	b.has_prev = true;
	b.prev = x->prev[0];
	b.timestamp = T0 + DAY;
	b.frontier = &fr;
	b.n_frontier = 1;
	b.kind = AL_KIND_DELIVERY;
	b.u.delivery.commitment = c;
	assert_non_null(e);
	assert_int_equal(envelope_seal(x->ids[0], &b, e), AL_OK);
	x->env[x->n++] = e;
	struct al_ledger *l = build(x);
	assert_int_equal(state_at(l, 0, T0 + 30 * DAY), AL_C_MISSED);
	assert_int_equal(l->violations[0], 1);
	assert_non_null(strstr(l->broken[0].why, "backdated"));
	ledger_destroy(&l);
}

static struct al_ref amend_params(struct fx *x, int a, const struct al_params *p,
				  const struct al_ref *approves, int64_t t)
{
	struct al_body b;
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_AMENDMENT;
	if (approves) {
		b.u.amendment.approves = *approves;
	} else {
		b.u.amendment.has_params = true;
		b.u.amendment.params = *p;
	}
	return sign(x, a, &b, t);
}

/* New parameters take effect at the quorum (2 of 3 here), and then every
 * evaluation uses them; a proposal short of the quorum changes nothing. */
static void test_amendments(void **state)
{
	struct fx *x = *state;
	int64_t grace = (int64_t)x->c->params.grace * 1000;
	commit_v(x, 2, 0, T0, T0 + DAY, 1); /* missed at T0 + DAY + grace */
	struct al_params p = x->c->params;
	p.w_missed = 3000;
	struct al_ref prop = amend_params(x, 0, &p, NULL, T0 + 1);
	amend_params(x, 0, NULL, &prop, T0 + 2);  /* approving one's own: a violation */
	struct al_params bad = p;
	bad.half_life = 0;
	amend_params(x, 1, &bad, NULL, T0 + 3);   /* insane parameters: a violation */
	struct al_ledger *l;
	struct al_trust *t = trust_at(x, T0 + DAY + grace + 1, &l);
	assert_int_equal(l->params.w_missed, x->c->params.w_missed); /* 1 of 2 */
	NEAR(t->rows[2].s, 1.0 * exp2(-1.0 / ((double)x->c->params.half_life * 1000.0)));
	assert_int_equal(l->violations[0], 1);
	assert_int_equal(l->violations[1], 1);
	trust_destroy(&t);
	ledger_destroy(&l);
	amend_params(x, 2, NULL, &prop, T0 + 4);  /* the second member: in effect */
	t = trust_at(x, T0 + DAY + grace + 1, &l);
	assert_int_equal(l->params.w_missed, 3000);
	assert_int_equal(l->proposals[0].effective_at, T0 + 4);
	NEAR(t->rows[2].s, 3.0 * exp2(-1.0 / ((double)x->c->params.half_life * 1000.0)));
	trust_destroy(&t);
	ledger_destroy(&l);
}

/* docs/trust.md section 5, number for number. */
static void test_trust_worked_example(void **state)
{
	struct fx *x = *state;
	x->c->params.value_unit = 100;
	/* m0 = acme, m1 = globex, m2 = initech */
	struct al_ref a = commit_v(x, 0, 1, T0, T0 + 5 * DAY, 400);
	deliver(x, 0, a, T0 + 3 * DAY);
	receipt(x, 1, T0 + 3 * DAY + 1000); /* globex's daemon has it a second later */
	rate(x, 1, a, AL_OUTCOME_CONFIRM, 5, 4, T0 + 4 * DAY);
	commit_v(x, 2, 0, T0, T0 + 2 * DAY, 100);
	struct al_ledger *l;
	struct al_trust *t = trust_at(x, T0 + 10 * DAY, &l);
	assert_true(trust_round(t->rows[0].r) == 2.3128);
	assert_true(trust_round(t->rows[0].s) == 0.0597);
	assert_true(trust_round(t->rows[0].trust) == 0.7576);
	assert_true(trust_round(t->rows[0].uncertainty) == 0.4574);
	assert_true(trust_round(t->rows[2].s) == 0.9622);
	assert_true(trust_round(t->rows[2].trust) == 0.3376);
	assert_true(trust_round(t->rows[2].uncertainty) == 0.6752);
	assert_int_equal(t->rows[2].n_warnings, 0);
	assert_int_equal(t->rows[1].n_warnings, 1);
	assert_non_null(strstr(t->rows[1].warnings[0], "delivered 0.00, received 400.00"));
	trust_destroy(&t);
	ledger_destroy(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_life_cycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_violations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_independent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_due_at_the_end_of_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trust_outcomes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trust_weights_and_warnings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trust_worked_example, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_and_tasks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escalation_and_resolution, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rules_against_gaming, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backdated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_races_are_no_ones_fault, setup, teardown),
		cmocka_unit_test_setup_teardown(test_amendments, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
