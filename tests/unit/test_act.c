/* test_act.c: composing and checking what a member signs (lib/act.c), as
 * the daemon's commit and act handlers do before signing: a valid
 * commitment; a beneficiary that is no member; a due time in the past
 * without --past; an accept composed by a member the commitment was not
 * made to, which the ledger's rules then refuse; ids; the same step
 * recognised again (idempotent retries). */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "act.h"
#include "err.h"
#include "ledger.h"
#include "store.h"

#define N 3
#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */
#define DAY 86400000LL

struct fx {
	char *dir;
	struct al_identity *ids[N];
	struct al_charter *c;
	struct al_store *s;
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof *x);
	char why[AL_ERRLEN];
	assert_non_null(x);
	x->dir = tu_tmpdir();
	x->c = tu_charter(N, true, x->ids);
	if (store_open(tu_path(0, x->dir, "a"), true, x->c, NULL, &x->s, why))
		fail_msg("store_open: %s", why);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	store_close(&x->s);
	for (int i = 0; i < N; i++)
		key_destroy(&x->ids[i]);
	charter_destroy(&x->c);
	tu_rmdir(x->dir);
	free(x);
	return 0;
}

/* A commit item as alliancectl sends it. */
static struct al_commit_item item(char **to, size_t n_to, int64_t due)
{
	struct al_commit_item it = { 0 };
	it.what = (char *)"a widget";
	it.to = to;
	it.n_to = n_to;
	it.due = due;
	it.value = 100;
	it.task = (char *)"";
	it.key = (char *)"";
	return it;
}

static void valid_commitment(void **state)
{
	struct fx *x = *state;
	char *to[] = { (char *)"m1", (char *)"m2" }, why[AL_ERRLEN];
	struct al_commit_item it = item(to, 2, T0 + DAY);
	struct al_body b;
	al_key *keys;
	assert_int_equal(act_check_item(x->s, &store_roster(x->s)->members[0], &it, "commitment 1", &b, &keys,
					why), AL_OK);
	assert_int_equal(b.kind, AL_KIND_COMMITMENT);
	assert_string_equal(b.u.commitment.what, "a widget");
	assert_int_equal(b.u.commitment.n_to, 2);
	assert_memory_equal(&b.u.commitment.to[0], &x->c->members[1].sign_key, AL_KEYLEN);
	assert_memory_equal(&b.u.commitment.to[1], &x->c->members[2].sign_key, AL_KEYLEN);
	assert_int_equal(b.u.commitment.due, T0 + DAY);
	assert_int_equal(b.u.commitment.value, 100);
	assert_int_equal(act_due_ok(b.u.commitment.due, false, T0, false, "commitment 1",
				    "commitment", why), AL_OK);
	/* The ledger agrees, and it can be signed. */
	struct al_ledger *l;
	struct al_ref ref;
	assert_int_equal(ledger_from_store(x->s, &l, why), AL_OK);
	b.timestamp = T0;
	assert_int_equal(ledger_check(l, &x->ids[0]->sign_pk, &b, why), AL_OK);
	ledger_destroy(&l);
	if (store_author(x->s, x->ids[0], &b, T0, &ref, why))
		fail_msg("store_author: %s", why);
	assert_int_equal(ref.seq, 1);
	free(keys);
}

static void unknown_member_is_named(void **state)
{
	struct fx *x = *state;
	char *to[] = { (char *)"m1", (char *)"globx" }, why[AL_ERRLEN] = "";
	struct al_commit_item it = item(to, 2, T0 + DAY);
	struct al_body b;
	al_key *keys;
	assert_int_equal(act_check_item(x->s, &store_roster(x->s)->members[0], &it, "commitment 1", &b, &keys,
					why), AL_E_INVAL);
	assert_non_null(strstr(why, "commitment 1: no member named 'globx'"));
	assert_non_null(strstr(why, "(members: m0, m1, m2)"));
	free(keys);
	/* To itself, or twice to one member: refused too. */
	char *self[] = { (char *)"m0" }, *twice[] = { (char *)"m1", (char *)"m1" };
	it = item(self, 1, T0 + DAY);
	assert_int_equal(act_check_item(x->s, &store_roster(x->s)->members[0], &it, "c", &b, &keys, why),
			 AL_E_INVAL);
	assert_non_null(strstr(why, "cannot promise something to itself"));
	free(keys);
	it = item(twice, 2, T0 + DAY);
	assert_int_equal(act_check_item(x->s, &store_roster(x->s)->members[0], &it, "c", &b, &keys, why),
			 AL_E_INVAL);
	assert_non_null(strstr(why, "'m1' is named twice"));
	free(keys);
}

static void past_due_needs_past(void **state)
{
	(void)state;
	char why[AL_ERRLEN] = "";
	assert_int_equal(act_due_ok(T0 - DAY, false, T0, false, "", "commitment", why),
			 AL_E_INVAL);
	assert_non_null(strstr(why, "--due 2025-12-31"));
	assert_non_null(strstr(why, "is in the past"));
	assert_non_null(strstr(why, "give --past to record a commitment already overdue"));
	/* From a --batch line, the fix is the line's own "past". */
	assert_int_equal(act_due_ok(T0 - DAY, false, T0, true, "--batch line 3", "commitment",
				    why), AL_E_INVAL);
	assert_non_null(strstr(why, "--batch line 3: --due"));
	assert_non_null(strstr(why, "\"past\": true on the line"));
	/* Meant: fine; and the range holds whatever is meant. */
	assert_int_equal(act_due_ok(T0 - DAY, true, T0, false, "", "task", why), AL_OK);
	assert_int_equal(act_due_ok(INT64_MAX, true, T0, false, "", "task", why), AL_E_INVAL);
	assert_non_null(strstr(why, "out of range"));
}

static void accept_by_non_beneficiary_is_refused(void **state)
{
	struct fx *x = *state;
	char why[AL_ERRLEN] = "";
	/* m0 promises to m1 (tu_commit: to the first member not the author). */
	assert_int_equal(tu_commit(x->s, x->ids[0], T0), 1);
	struct al_ledger *l;
	assert_int_equal(ledger_from_store(x->s, &l, why), AL_OK);
	struct al_act act = { 0 };
	act.verb = (char *)"accept";
	act.id = (char *)"m0/1";
	act.text = act.deliverable = act.evidence_ref = act.name = (char *)"";
	act.card = act.remove = act.endpoint = act.replace = act.key = (char *)"";
	struct al_body b;
	struct al_ref *deps;
	/* Composed for m2 all the same: whether it may is the ledger's rule. */
	assert_int_equal(act_body(x->s, l, &act, &x->ids[2]->sign_pk, &b, &deps, why), AL_OK);
	assert_int_equal(b.kind, AL_KIND_RESPONSE);
	assert_int_equal(b.u.response.answer, AL_ANSWER_ACCEPT);
	assert_int_equal(b.u.response.commitment.seq, 1);
	assert_memory_equal(&b.u.response.commitment.author, &x->ids[0]->sign_pk, AL_KEYLEN);
	b.timestamp = T0 + 1000;
	assert_int_equal(ledger_check(l, &x->ids[2]->sign_pk, &b, why), AL_E_INVAL);
	assert_true(why[0] != '\0');
	/* By its beneficiary, the same body passes. */
	assert_int_equal(ledger_check(l, &x->ids[1]->sign_pk, &b, why), AL_OK);
	free(deps);
	/* An id that is not held, and one that is no id. */
	act.id = (char *)"m0/2";
	assert_int_equal(act_body(x->s, l, &act, &x->ids[1]->sign_pk, &b, &deps, why),
			 AL_E_INVAL);
	assert_string_equal(why, "no message 'm0/2' here");
	free(deps);
	act.id = (char *)"globx/1";
	assert_int_equal(act_body(x->s, l, &act, &x->ids[1]->sign_pk, &b, &deps, why),
			 AL_E_INVAL);
	assert_string_equal(why, "bad id 'globx/1' (ids look like acme/12)");
	free(deps);
	act.verb = (char *)"shrug";
	act.id = (char *)"m0/1";
	assert_int_equal(act_body(x->s, l, &act, &x->ids[1]->sign_pk, &b, &deps, why),
			 AL_E_INVAL);
	assert_non_null(strstr(why, "unknown step 'shrug'"));
	free(deps);
	ledger_destroy(&l);
}

static void same_step_ignores_free_text(void **state)
{
	struct fx *x = *state;
	char *to[] = { (char *)"m1" }, why[AL_ERRLEN];
	struct al_commit_item it = item(to, 1, T0 + DAY);
	struct al_body a, b;
	al_key *ka, *kb;
	assert_int_equal(act_check_item(x->s, &store_roster(x->s)->members[0], &it, "c", &a, &ka, why), AL_OK);
	assert_int_equal(act_check_item(x->s, &store_roster(x->s)->members[0], &it, "c", &b, &kb, why), AL_OK);
	assert_true(act_same_step(&a, &b, false, NULL, 0));
	b.u.commitment.due += 1000; /* another due time: another step... */
	assert_false(act_same_step(&a, &b, false, NULL, 0));
	assert_true(act_same_step(&a, &b, true, NULL, 0)); /* ...unless given from now */
	b.u.commitment.value = 101;
	assert_false(act_same_step(&a, &b, true, NULL, 0));
	free(ka);
	free(kb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(valid_commitment, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_member_is_named, setup, teardown),
		cmocka_unit_test_setup_teardown(past_due_needs_past, setup, teardown),
		cmocka_unit_test_setup_teardown(accept_by_non_beneficiary_is_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(same_step_ignores_free_text, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
