/* test_scorecard.c: the scorecard (lib/scorecard.c): docs/trust.md
 * section 7's worked example as real signed messages, number for number,
 * and its JSON (query_scorecard); what is signed after the evaluation time
 * does not count. */
#include "testutil.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "err.h"
#include "ledger.h"
#include "query.h"
#include "scorecard.h"
#include "trust.h"

#define N 3
#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */
#define HOUR 3600000LL
#define DAY (24 * HOUR)

enum { ACME, GLOBEX, INITECH }; /* m0, m1, m2 */

struct fx {
	struct al_identity *ids[N];
	struct al_charter *c;
	struct al_roster *ro;
	struct al_envelope *env[64];
	size_t n;
	uint64_t seq[N];
	al_hash prev[N];
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof *x);
	assert_non_null(x);
	x->c = tu_charter(N, true, x->ids);
	assert_int_equal(roster_new(x->c, &x->ro), AL_OK);
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

/* Member a signs b at time t having seen every message signed so far
 * (the example signs them in time order). */
static struct al_ref sign(struct fx *x, int a, struct al_body *b, int64_t t)
{
	struct al_frontier_entry fr[N];
	size_t nf = 0;
	for (int k = 0; k < N; k++)
		if (k != a && x->seq[k])
			fr[nf++] = (struct al_frontier_entry){ x->ids[k]->sign_pk, x->seq[k],
							       x->prev[k] };
	assert_true(x->n < sizeof x->env / sizeof *x->env);
	struct al_envelope *e = tu_seal(x->c, x->ids[a], b, ++x->seq[a], &x->prev[a], t, fr, nf);
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

static void answer(struct fx *x, int a, struct al_ref c, enum al_answer ans, int64_t t)
{
	struct al_body b;
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_RESPONSE;
	b.u.response = (struct al_response){ .commitment = c, .answer = ans };
	sign(x, a, &b, t);
}

/* The promisor delivers at t; the beneficiary's daemon has it a second
 * later (its receipt), so the delivery keeps its own time. */
static void deliver(struct fx *x, int a, int to, struct al_ref c, int64_t t)
{
	struct al_body b;
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_DELIVERY;
	b.u.delivery.commitment = c;
	sign(x, a, &b, t);
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_RECEIPT;
	sign(x, to, &b, t + 1000);
}

static void judge(struct fx *x, int a, struct al_ref c, enum al_outcome o, uint32_t q,
		  uint32_t tl, int64_t t)
{
	struct al_body b;
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_VERDICT;
	b.u.verdict = (struct al_verdict){ .commitment = c, .outcome = o, .quality = q,
					   .timeliness = tl };
	sign(x, a, &b, t);
}

/* docs/trust.md section 7: the messages, in time order. */
static void worked_example(struct fx *x)
{
	x->c->params.value_unit = 100;
	struct al_ref a1 = commit(x, ACME, GLOBEX, T0, T0 + 5 * DAY);
	answer(x, GLOBEX, a1, AL_ANSWER_ACCEPT, T0 + 6 * HOUR);
	struct al_ref a2 = commit(x, ACME, GLOBEX, T0 + 1 * DAY, T0 + 4 * DAY);
	answer(x, GLOBEX, a2, AL_ANSWER_ACCEPT, T0 + 1 * DAY + 12 * HOUR);
	struct al_ref a3 = commit(x, ACME, INITECH, T0 + 2 * DAY, T0 + 6 * DAY);
	answer(x, INITECH, a3, AL_ANSWER_ACCEPT, T0 + 2 * DAY + 2 * HOUR);
	deliver(x, ACME, GLOBEX, a1, T0 + 3 * DAY);
	struct al_ref a4 = commit(x, ACME, INITECH, T0 + 3 * DAY + 6 * HOUR, T0 + 8 * DAY);
	judge(x, GLOBEX, a1, AL_OUTCOME_CONFIRM, 5, 4, T0 + 4 * DAY);
	answer(x, INITECH, a4, AL_ANSWER_ACCEPT, T0 + 4 * DAY + 6 * HOUR);
	deliver(x, ACME, GLOBEX, a2, T0 + 5 * DAY);
	judge(x, GLOBEX, a2, AL_OUTCOME_CONFIRM, 3, 2, T0 + 5 * DAY + 12 * HOUR);
	deliver(x, ACME, INITECH, a3, T0 + 5 * DAY + 18 * HOUR);
	judge(x, INITECH, a3, AL_OUTCOME_DISPUTE, 1, 1, T0 + 7 * DAY + 6 * HOUR);
	commit(x, GLOBEX, ACME, T0 + 10 * DAY, T0 + 30 * DAY); /* acme never answers */
	struct al_ref i1 = commit(x, INITECH, GLOBEX, T0 + 12 * DAY, T0 + 25 * DAY);
	answer(x, GLOBEX, i1, AL_ANSWER_DECLINE, T0 + 15 * DAY);
}

static struct al_scorecard *score_at(struct fx *x, int64_t as_of, struct al_ledger **l)
{
	struct al_scorecard *sc;
	assert_int_equal(ledger_build(x->ro, x->env, x->n, as_of, l), AL_OK);
	assert_int_equal(scorecard_compute(*l, as_of, &sc), AL_OK);
	return sc;
}

#define R(x) trust_round(x)
/* as alliancectl prints it (12 digits), compact, keys sorted */
#define DUMP (JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(12))

static size_t count(const struct al_scorecard *sc, size_t m, enum al_dimension d,
		    const char *outcome)
{
	size_t n = 0;
	for (size_t i = 0; i < sc->n_items; i++)
		n += sc->items[i].member == m && sc->items[i].dim == d &&
		     !strcmp(sc->items[i].outcome, outcome);
	return n;
}

/* docs/trust.md section 7, number for number. */
static void test_scorecard_worked_example(void **state)
{
	struct fx *x = *state;
	worked_example(x);
	struct al_ledger *l;
	struct al_scorecard *sc = score_at(x, T0 + 20 * DAY, &l);
	const struct al_score_row *acme = &sc->rows[ACME], *globex = &sc->rows[GLOBEX],
				  *initech = &sc->rows[INITECH];
	for (size_t k = 0; k < l->n_members; k++)
		assert_int_equal(l->violations[k], 0);
	/* reliability: m0/1 on time, m0/2 late, m0/5 missed */
	assert_true(acme->on_time == 1 && acme->late == 1 && acme->missed == 1);
	assert_true(sc->t->rows[ACME].fulfilled == 2 && sc->t->rows[ACME].late == 1 &&
		    sc->t->rows[ACME].missed == 1); /* trust's counts */
	assert_true(R(acme->reliability) == 0.5);
	assert_true(isnan(globex->reliability) && isnan(initech->reliability));
	/* quality: confirmed (5, 4) and (3, 2), one dispute */
	assert_true(acme->confirmed == 2 && acme->disputed == 1);
	assert_true(R(acme->quality) == 0.4167);
	assert_true(acme->mean_quality == 4.0 && acme->mean_timeliness == 3.0);
	assert_true(isnan(globex->quality) && isnan(globex->mean_quality));
	/* responsiveness */
	assert_true(acme->answers == 0 && acme->verdicts == 0 && acme->waiting == 1);
	assert_true(R(acme->responsiveness) == 0.0992);
	assert_true(isnan(acme->answer_hours) && isnan(acme->verdict_hours));
	assert_true(globex->answers == 3 && globex->verdicts == 2 && globex->waiting == 0);
	assert_true(R(globex->responsiveness) == 0.8039);
	assert_true(globex->answer_hours == 12.0 && globex->verdict_hours == 18.0);
	assert_int_equal(count(sc, GLOBEX, AL_DIM_RESPONSIVENESS, "declined"), 1);
	assert_true(initech->answers == 2 && initech->verdicts == 1 && initech->waiting == 0);
	assert_true(R(initech->responsiveness) == 0.8272);
	assert_true(initech->answer_hours == 13.0 && initech->verdict_hours == 36.0);
	assert_int_equal(count(sc, INITECH, AL_DIM_RESPONSIVENESS, "disputed"), 1);
	/* reciprocity and trust: trust's */
	assert_true(sc->t->rows[ACME].given == 200.0 && sc->t->rows[GLOBEX].received == 200.0);
	assert_true(R(sc->t->rows[ACME].trust) == 0.4296);
	assert_true(R(sc->t->rows[ACME].uncertainty) == 0.3305);
	assert_int_equal(count(sc, ACME, AL_DIM_RECIPROCITY, "given"), 2);
	assert_int_equal(count(sc, GLOBEX, AL_DIM_RECIPROCITY, "received"), 2);

	/* The JSON, as the daemon and alliancectl print it. */
	json_t *all, *one;
	char why[AL_ERRLEN];
	assert_int_equal(query_scorecard(l, T0 + 20 * DAY, NULL, &all, why), AL_OK);
	char *text = json_dumps(json_array_get(all, 0), DUMP);
	assert_string_equal(text,
		"{\"partner\":\"m0\",\"quality\":{\"by_outcome\":{\"confirmed\":[\"m0/1\",\"m0/2\"],"
		"\"disputed\":[\"m0/3\"],\"upheld\":[]},\"confirmed\":2,\"disputed\":1,"
		"\"evidence\":[\"m0/1\",\"m0/2\",\"m0/3\"],\"mean_quality\":4.0,"
		"\"mean_timeliness\":3.0,\"score\":0.4167},\"reciprocity\":{\"given\":200.0,"
		"\"pairs\":[{\"given\":200.0,\"partner\":\"m1\",\"received\":0.0},"
		"{\"given\":0.0,\"partner\":\"m2\",\"received\":0.0}],\"ratio\":null,"
		"\"received\":0.0},\"reliability\":{\"by_outcome\":{\"late\":[\"m0/2\"],"
		"\"missed\":[\"m0/5\"],\"on-time\":[\"m0/1\"]},\"evidence\":[\"m0/1\",\"m0/2\",\"m0/5\"],"
		"\"late\":1,\"missed\":1,\"on_time\":1,\"score\":0.5},\"responsiveness\":"
		"{\"answer_hours\":null,\"answers\":0,\"by_outcome\":{\"accepted\":[],"
		"\"confirmed\":[],\"declined\":[],\"disputed\":[],\"waiting\":[\"m1/7\"]},"
		"\"evidence\":[\"m1/7\"],\"score\":0.0992,"
		"\"verdict_hours\":null,\"verdicts\":0,\"waiting\":1},\"trust\":0.4296,"
		"\"uncertainty\":0.3305,\"warnings\":[]}");
	free(text);
	text = json_dumps(json_object_get(json_array_get(all, 1), "responsiveness"),
			  DUMP);
	assert_string_equal(text, "{\"answer_hours\":12.0,\"answers\":3,\"by_outcome\":{\"accepted\":"
			    "[\"m0/1\",\"m0/2\"],\"confirmed\":[\"m0/1\",\"m0/2\"],\"declined\":[\"m2/5\"],"
			    "\"disputed\":[],\"waiting\":[]},\"evidence\":[\"m0/1\","
			    "\"m0/2\",\"m2/5\"],\"score\":0.8039,\"verdict_hours\":18.0,"
			    "\"verdicts\":2,\"waiting\":0}");
	free(text);
	assert_int_equal(query_scorecard(l, T0 + 20 * DAY, "m1", &one, why), AL_OK);
	assert_string_equal(json_string_value(json_object_get(one, "as_of")),
			    "2026-01-21T00:00:00Z");
	text = json_dumps(json_object_get(one, "details"), DUMP);
	assert_non_null(strstr(text, "{\"at\":\"2026-01-16T00:00:00Z\",\"dimension\":"
			       "\"responsiveness\",\"hours\":72.0,\"id\":\"m2/5\",\"outcome\":"
			       "\"declined\",\"score\":0.5}"));
	assert_non_null(strstr(text, "{\"at\":\"2026-01-06T00:00:00Z\",\"dimension\":"
			       "\"reciprocity\",\"id\":\"m0/2\",\"outcome\":\"received\","
			       "\"partner\":\"m0\",\"value\":100.0}"));
	free(text);
	json_decref(one);
	/* each piece of evidence scores what the formula counts it for */
	assert_int_equal(query_scorecard(l, T0 + 20 * DAY, "m0", &one, why), AL_OK);
	text = json_dumps(json_object_get(one, "details"), DUMP);
	assert_non_null(strstr(text, "{\"at\":\"2026-01-06T00:00:00Z\",\"dimension\":"
			       "\"reliability\",\"id\":\"m0/2\",\"outcome\":\"late\",\"score\":0.5}"));
	assert_non_null(strstr(text, "{\"at\":\"2026-01-12T00:00:00Z\",\"dimension\":"
			       "\"reliability\",\"id\":\"m0/5\",\"outcome\":\"missed\",\"score\":0.0}"));
	assert_non_null(strstr(text, "{\"at\":\"2026-01-05T00:00:00Z\",\"dimension\":"
			       "\"quality\",\"id\":\"m0/1\",\"outcome\":\"confirmed\",\"quality\":5,"
			       "\"score\":0.875,\"timeliness\":4}"));
	assert_non_null(strstr(text, "{\"at\":\"2026-01-11T00:00:00Z\",\"dimension\":"
			       "\"responsiveness\",\"hours\":240.0,\"id\":\"m1/7\",\"outcome\":"
			       "\"waiting\",\"score\":0.0992}"));
	free(text);
	/* a name that is no member's: named, with the members */
	json_decref(one);
	assert_int_equal(query_scorecard(l, T0 + 20 * DAY, "hooli", &one, why), AL_E_INVAL);
	assert_null(one);
	assert_non_null(strstr(why, "no member named 'hooli'"));
	json_decref(all);
	scorecard_destroy(&sc);
	ledger_destroy(&l);
}

/* As of day 4 + 3 hours: only what was signed by then. globex has
 * answered twice and judged once; initech's answer to m0/5 (at 4 d 6 h)
 * is not signed yet: m0/5 (proposed at 3 d 6 h) is still within the
 * grace, so not waiting either; m0/1 stands confirmed. */
static void test_scorecard_as_of(void **state)
{
	struct fx *x = *state;
	worked_example(x);
	struct al_ledger *l;
	struct al_scorecard *sc = score_at(x, T0 + 4 * DAY + 3 * HOUR, &l);
	assert_true(sc->rows[GLOBEX].answers == 2 && sc->rows[GLOBEX].verdicts == 1);
	assert_true(sc->rows[INITECH].answers == 1 && sc->rows[INITECH].waiting == 0);
	assert_true(sc->rows[ACME].on_time == 1 && sc->rows[ACME].confirmed == 1);
	assert_true(R(sc->rows[ACME].quality) == 0.875);
	scorecard_destroy(&sc);
	ledger_destroy(&l);
	/* a proposal unanswered past the grace waits: globex's m1/7,
	 * proposed at 10 d, from 13 d on */
	sc = score_at(x, T0 + 13 * DAY + 1, &l);
	assert_int_equal(sc->rows[ACME].waiting, 1);
	scorecard_destroy(&sc);
	ledger_destroy(&l);
	sc = score_at(x, T0 + 13 * DAY, &l); /* exactly the grace: not yet */
	assert_int_equal(sc->rows[ACME].waiting, 0);
	assert_true(isnan(sc->rows[ACME].responsiveness));
	scorecard_destroy(&sc);
	ledger_destroy(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scorecard_worked_example, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scorecard_as_of, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
