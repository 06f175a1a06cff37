/* test_members.c: members join and leave by amendment at the quorum.
 *
 * Three founders (m0, m1, m2; quorum 2) and a newcomer m3, through real
 * stores: who the store admits as an author, in any arrival order, after
 * a restart; what the ledger lets each member do before and after; the
 * order in which the trust table lists them; the audit's view of a log. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "err.h"
#include "ledger.h"
#include "members.h"
#include "trust.h"

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */
#define HOUR 3600000LL

struct fx {
	struct al_identity *ids[4];
	struct al_member card3; /* the newcomer's card */
	struct al_charter *c;
	char *dir;
	struct al_store *s;
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof *x);
	char why[AL_ERRLEN];
	assert_non_null(x);
	x->c = tu_charter(3, true, x->ids);
	x->ids[3] = tu_identity(3);
	snprintf(x->card3.name, sizeof x->card3.name, "m3");
	snprintf(x->card3.endpoint, sizeof x->card3.endpoint, "tcp://127.0.0.1:7003");
	x->card3.sign_key = x->ids[3]->sign_pk;
	x->card3.transport_key = x->ids[3]->transport_pk;
	x->dir = tu_tmpdir();
	assert_int_equal(store_open(tu_path(0, x->dir, "a"), true, x->c, NULL, &x->s, why), AL_OK);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	store_close(&x->s);
	for (int i = 0; i < 4; i++)
		key_destroy(&x->ids[i]);
	charter_destroy(&x->c);
	tu_rmdir(x->dir);
	free(x);
	return 0;
}

/* Member a authors b into the store; the store's verdict. */
static int author(struct fx *x, int a, struct al_body *b, int64_t t, struct al_ref *id)
{
	char why[AL_ERRLEN];
	struct al_ref r;
	int rc = store_author(x->s, x->ids[a], b, t, id ? id : &r, why);
	return rc;
}

static struct al_ref propose(struct fx *x, int a, bool add, int whom, int64_t t)
{
	struct al_body b;
	struct al_ref id;
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_AMENDMENT;
	if (add) {
		b.u.amendment.has_add = true;
		b.u.amendment.add = x->card3;
	} else {
		b.u.amendment.has_remove = true;
		b.u.amendment.remove = x->ids[whom]->sign_pk;
	}
	assert_int_equal(author(x, a, &b, t, &id), AL_OK);
	return id;
}

static void approve(struct fx *x, int a, struct al_ref p, int64_t t)
{
	struct al_body b;
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_AMENDMENT;
	b.u.amendment.approves = p;
	assert_int_equal(author(x, a, &b, t, NULL), AL_OK);
}

static int commit(struct fx *x, int a, int to, int64_t t)
{
	struct al_body b;
	al_key k = x->ids[to]->sign_pk;
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_COMMITMENT;
	b.u.commitment.what = (char *)"thing";
	b.u.commitment.to = &k;
	b.u.commitment.n_to = 1;
	b.u.commitment.due = t + 24 * HOUR;
	b.u.commitment.value = 100;
	return author(x, a, &b, t, NULL);
}

/* A proposal alone is short of the quorum; the approval that reaches it
 * admits the newcomer, who may then author; it survives a restart. */
static void test_join(void **state)
{
	struct fx *x = *state;
	char why[AL_ERRLEN];
	struct al_ref p = propose(x, 0, true, 3, T0 + 1);
	assert_int_equal(x->s->charter->n_members, 3);
	assert_int_equal(commit(x, 3, 0, T0 + 2), AL_E_REJECT); /* not a member yet */
	approve(x, 1, p, T0 + 3);
	assert_int_equal(x->s->member_changes, 1);
	assert_int_equal(x->s->charter->n_members, 4);
	assert_int_equal(members_standing(x->s->charter, 3), AL_JOINED);
	assert_string_equal(x->s->charter->members[3].name, "m3");
	approve(x, 2, p, T0 + 4); /* a third approval: already in effect, changes nothing */
	assert_int_equal(x->s->member_changes, 1);
	assert_int_equal(commit(x, 3, 0, T0 + 5), AL_OK);

	struct al_ledger *l;
	assert_int_equal(ledger_from_store(x->s, &l, why), AL_OK);
	assert_int_equal(l->standing[3], AL_JOINED);
	assert_int_equal(l->n_order, 4);
	assert_int_equal(l->order[3], 3);
	assert_int_equal(l->n_items, 1);
	assert_int_equal(l->violations[2], 1); /* approving what is in effect */
	assert_int_equal(l->violations[3], 0);
	ledger_destroy(&l);

	/* As of before the approval, m3 is not listed (and never acted). */
	assert_int_equal(ledger_of_log(log_path(x->s->log), x->s->charter, T0 + 2, false, &l, why),
			 AL_OK);
	assert_int_equal(l->n_order, 3);
	struct al_trust *t;
	assert_int_equal(trust_compute(l, T0 + 2, &t), AL_OK);
	assert_int_equal(t->n_order, 3);
	trust_destroy(&t);
	ledger_destroy(&l);

	store_close(&x->s);
	assert_int_equal(store_open(tu_path(0, x->dir, "a"), false, NULL, NULL, &x->s, why), AL_OK);
	assert_int_equal(x->s->charter->n_members, 4);
	assert_int_equal(x->s->charter->n_founders, 3);
	assert_true(charter_in_force(x->s->charter)); /* the founders signed it */
	assert_int_equal(commit(x, 3, 1, T0 + 6), AL_OK);
}

/* Another member's store, taking the same messages in another order: the
 * approval before the proposal, a message naming m3's feed before m3 is
 * admitted (held back, not an error), m3's own message too early. */
static void test_any_order(void **state)
{
	struct fx *x = *state;
	char why[AL_ERRLEN];
	struct al_ref p = propose(x, 0, true, 3, T0 + 1);
	approve(x, 1, p, T0 + 2);
	assert_int_equal(commit(x, 3, 0, T0 + 3), AL_OK);
	assert_int_equal(commit(x, 2, 0, T0 + 4), AL_OK); /* its frontier names m3's feed */

	struct al_store *b;
	uint8_t *buf[4];
	size_t len[4];
	const struct { int who; uint64_t seq; } rec[4] = { { 1, 1 }, { 2, 1 }, { 3, 1 }, { 0, 1 } };
	for (int i = 0; i < 4; i++)
		assert_int_equal(store_get(x->s, &x->ids[rec[i].who]->sign_pk, rec[i].seq, &buf[i],
					   &len[i], why), AL_OK);
	assert_int_equal(store_open(tu_path(1, x->dir, "b"), true, x->c, NULL, &b, why), AL_OK);
	enum al_reason r;
	assert_int_equal(store_offer(b, buf[0], len[0], T0 + 5, &r, NULL, why), AL_OK);
	assert_int_equal(r, AL_ACCEPT); /* the approval, before its proposal */
	assert_int_equal(store_offer(b, buf[1], len[1], T0 + 5, &r, NULL, why), AL_OK);
	assert_int_equal(r, AL_R_AHEAD); /* names a feed not known here yet */
	assert_int_equal(store_offer(b, buf[2], len[2], T0 + 5, &r, NULL, why), AL_OK);
	assert_int_equal(r, AL_R_AUTHOR);
	assert_int_equal(b->charter->n_members, 3);
	assert_int_equal(store_offer(b, buf[3], len[3], T0 + 5, &r, NULL, why), AL_OK);
	assert_int_equal(r, AL_ACCEPT); /* the proposal: in effect */
	assert_int_equal(b->charter->n_members, 4);
	for (int i = 1; i < 3; i++) {
		assert_int_equal(store_offer(b, buf[i], len[i], T0 + 5, &r, NULL, why), AL_OK);
		assert_int_equal(r, AL_ACCEPT);
	}
	struct al_ledger *la, *lb;
	assert_int_equal(ledger_from_store(x->s, &la, why), AL_OK);
	assert_int_equal(ledger_from_store(b, &lb, why), AL_OK);
	assert_int_equal(la->n_items, 2);
	assert_int_equal(lb->n_items, 2);
	assert_memory_equal(la->order, lb->order, 4 * sizeof *la->order);
	ledger_destroy(&la);
	ledger_destroy(&lb);
	for (int i = 0; i < 4; i++)
		free(buf[i]);
	store_close(&b);
}

/* A member removed at the quorum: its feed stays valid (the chain needs
 * it) but what it signs after is a violation and changes nothing, and
 * nobody can commit to it. The last member cannot be removed. */
static void test_leave(void **state)
{
	struct fx *x = *state;
	char why[AL_ERRLEN];
	assert_int_equal(commit(x, 0, 2, T0 + 1), AL_OK);
	struct al_ref p = propose(x, 0, false, 2, T0 + 2);
	approve(x, 1, p, T0 + 3);
	assert_int_equal(members_standing(x->s->charter, 2), AL_LEFT);
	assert_false(members_current(x->s->charter, 2));
	assert_int_equal(commit(x, 2, 0, T0 + 4), AL_OK); /* in the chain ... */
	assert_int_equal(commit(x, 1, 2, T0 + 5), AL_OK);
	struct al_ledger *l;
	assert_int_equal(ledger_from_store(x->s, &l, why), AL_OK);
	assert_int_equal(l->standing[2], AL_LEFT);
	assert_int_equal(l->n_items, 1); /* ... but not in the ledger */
	assert_int_equal(l->violations[2], 1);
	assert_non_null(strstr(l->broken[0].why, "left the alliance"));
	assert_int_equal(l->violations[1], 1);
	assert_non_null(strstr(l->broken[1].why, "to other members"));
	assert_int_equal(l->n_order, 3); /* a former member stays listed */
	/* Two members left, quorum 2: m0 alone cannot remove m1. */
	struct al_body b;
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_AMENDMENT;
	b.u.amendment.has_remove = true;
	b.u.amendment.remove = x->ids[1]->sign_pk;
	assert_int_equal(ledger_check(l, &x->ids[0]->sign_pk, &b, why), AL_OK);
	b.u.amendment.remove = x->ids[2]->sign_pk;
	assert_int_equal(ledger_check(l, &x->ids[0]->sign_pk, &b, why), AL_E_INVAL);
	assert_non_null(strstr(why, "only a member"));
	/* The newcomer's card cannot take a name in use. */
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_AMENDMENT;
	b.u.amendment.has_add = true;
	b.u.amendment.add = x->card3;
	snprintf(b.u.amendment.add.name, sizeof b.u.amendment.add.name, "m2");
	assert_int_equal(ledger_check(l, &x->ids[0]->sign_pk, &b, why), AL_E_INVAL);
	assert_non_null(strstr(why, "name"));
	ledger_destroy(&l);
}

/* The audit admits the newcomer's messages only on the strength of the
 * amendments in the same log, and recomputes the same members. */
static void test_audit(void **state)
{
	struct fx *x = *state;
	char why[AL_ERRLEN];
	struct al_ref p = propose(x, 1, true, 3, T0 + 1);
	approve(x, 2, p, T0 + 2);
	assert_int_equal(commit(x, 3, 0, T0 + 3), AL_OK);
	assert_int_equal(store_sync(x->s, why), AL_OK);
	struct al_audit a;
	struct al_audit_source src = { "a", log_path(x->s->log), NULL };
	assert_int_equal(audit_run(x->c, &src, 1, T0 + 10, &a, why), AL_OK);
	assert_true(a.ok);
	assert_int_equal(a.logs[0].charter->n_members, 4);
	assert_int_equal(x->c->n_members, 3); /* the reference charter is not changed */
	audit_clear(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_join, setup, teardown),
		cmocka_unit_test_setup_teardown(test_any_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leave, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
