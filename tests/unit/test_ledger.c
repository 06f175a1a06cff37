/* test_ledger.c: commitment states from messages and time, table-driven:
 * who may answer, deliver and judge; overdue, missed and late by the clock
 * and the charter's grace; violations counted and changing nothing; and
 * the same ledger from any arrival order of the same messages. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "err.h"
#include "ledger.h"

#define N 3
#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */
#define DAY 86400000LL

struct fx {
	struct al_identity *ids[N];
	struct al_charter *c;
	struct al_envelope *env[32];
	size_t n;
	uint64_t seq[N];
	al_hash prev[N];
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof *x);
	assert_non_null(x);
	x->c = tu_charter(N, true, x->ids);
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
	charter_destroy(&x->c);
	free(x);
	return 0;
}

/* Member a signs b at time t, after everything authored so far (its
 * frontier names every feed's head). */
static struct al_ref sign(struct fx *x, int a, struct al_body *b, int64_t t)
{
	struct al_frontier_entry fr[N];
	size_t nf = 0;
	for (int k = 0; k < N; k++)
		if (k != a && x->seq[k])
			fr[nf++] = (struct al_frontier_entry){ x->ids[k]->sign_pk, x->seq[k], x->prev[k] };
	b->version = AL_FORMAT_VERSION;
	b->alliance = x->c->id;
	b->author = x->ids[a]->sign_pk;
	b->seq = ++x->seq[a];
	b->has_prev = b->seq > 1;
	b->prev = x->prev[a];
	b->timestamp = t;
	b->frontier = fr;
	b->n_frontier = nf;
	struct al_envelope *e = calloc(1, sizeof *e);
	assert_non_null(e);
	assert_int_equal(envelope_seal(x->ids[a], b, e), AL_OK);
	x->prev[a] = e->hash;
	x->env[x->n++] = e;
	return (struct al_ref){ b->author, b->seq };
}

static struct al_ref commit(struct fx *x, int a, int to, int64_t t, int64_t due)
{
	struct al_body b;
	al_key k = x->ids[to]->sign_pk;
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_COMMITMENT;
	b.u.commitment.what = (char *)"thing";
	b.u.commitment.to = &k;
	b.u.commitment.n_to = 1;
	b.u.commitment.due = due;
	b.u.commitment.value = 100;
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

static void verdict(struct fx *x, int a, struct al_ref c, enum al_outcome o, int64_t t)
{
	struct al_body b;
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_VERDICT;
	b.u.verdict.commitment = c;
	b.u.verdict.outcome = o;
	b.u.verdict.quality = b.u.verdict.timeliness = 4;
	sign(x, a, &b, t);
}

static struct al_ledger *build(struct fx *x)
{
	struct al_ledger *l;
	assert_int_equal(ledger_build(x->c, x->env, x->n, INT64_MAX, &l), AL_OK);
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
	assert_false(ledger_late(&l->items[0]));
	assert_true(ledger_late(&l->items[1]));
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
			assert_memory_equal(&l->items[i].id, &ref->items[i].id, sizeof l->items[i].id);
			assert_int_equal(l->items[i].state, ref->items[i].state);
		}
		for (int k = 0; k < N; k++)
			assert_int_equal(l->violations[k], 0);
		ledger_destroy(&l);
	}
	memcpy(x->env, orig, x->n * sizeof *orig);
	ledger_destroy(&ref);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_life_cycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_violations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_independent, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
