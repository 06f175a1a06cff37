/* test_roster.c: members join and leave by amendment at the quorum.
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
#include "roster.h"
#include "trust.h"

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */
#define HOUR 3600000LL

struct fx {
	struct al_identity *ids[9]; /* 0..2 founders, 3 the newcomer; 4, 5 for random histories;
				     * 6..8 new keys for 0..2 in random histories */
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
	for (int i = 0; i < 9; i++)
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

static struct al_ref add_card(struct fx *x, int a, struct al_member m, int64_t t)
{
	struct al_body b;
	struct al_ref id;
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_AMENDMENT;
	b.u.amendment.has_add = true;
	b.u.amendment.add = m;
	assert_int_equal(author(x, a, &b, t, &id), AL_OK);
	return id;
}

/* Member a proposes adding m3 (the newcomer's card), or removing whom. */
static struct al_ref propose(struct fx *x, int a, bool add, int whom, int64_t t)
{
	struct al_body b;
	struct al_ref id;
	if (add)
		return add_card(x, a, x->card3, t);
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_AMENDMENT;
	b.u.amendment.has_remove = true;
	b.u.amendment.remove = x->ids[whom]->sign_pk;
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
	assert_int_equal(store_roster(x->s)->n_members, 3);
	assert_int_equal(commit(x, 3, 0, T0 + 2), AL_E_REJECT); /* not a member yet */
	approve(x, 1, p, T0 + 3);
	assert_int_equal(store_roster(x->s)->member_changes, 1);
	assert_int_equal(store_roster(x->s)->n_members, 4);
	assert_int_equal(roster_standing(store_roster(x->s), 3), AL_JOINED);
	assert_string_equal(store_roster(x->s)->members[3].name, "m3");
	approve(x, 2, p, T0 + 4); /* a third approval: already in effect, changes nothing */
	assert_int_equal(store_roster(x->s)->member_changes, 1);
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
	assert_int_equal(ledger_of_log(log_path(x->s->log), store_roster(x->s), T0 + 2, false, &l, why),
			 AL_OK);
	assert_int_equal(l->n_order, 3);
	struct al_trust *t;
	assert_int_equal(trust_compute(l, T0 + 2, &t), AL_OK);
	assert_int_equal(t->n_order, 3);
	trust_destroy(&t);
	ledger_destroy(&l);

	store_close(&x->s);
	assert_int_equal(store_open(tu_path(0, x->dir, "a"), false, NULL, NULL, &x->s, why), AL_OK);
	assert_int_equal(store_roster(x->s)->n_members, 4);
	assert_int_equal(store_roster(x->s)->n_founders, 3);
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
	assert_int_equal(store_roster(b)->n_members, 3);
	assert_int_equal(store_offer(b, buf[3], len[3], T0 + 5, &r, NULL, why), AL_OK);
	assert_int_equal(r, AL_ACCEPT); /* the proposal: in effect */
	assert_int_equal(store_roster(b)->n_members, 4);
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
	assert_int_equal(roster_standing(store_roster(x->s), 2), AL_LEFT);
	assert_false(roster_current(store_roster(x->s), 2));
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
	assert_int_equal(a.logs[0].roster->n_members, 4);
	assert_int_equal(x->c->n_members, 3); /* the reference charter is not changed */
	audit_clear(&a);
}

/* ------------------------------------------------------------ any order
 * The same messages offered to fresh stores in other orders: every home
 * ends with the same members, standing and ledger. */

static struct al_member card_of(const struct al_identity *id, const char *name)
{
	struct al_member m;
	memset(&m, 0, sizeof m);
	snprintf(m.name, sizeof m.name, "%s", name);
	snprintf(m.endpoint, sizeof m.endpoint, "tcp://127.0.0.1:7100");
	m.sign_key = id->sign_pk;
	m.transport_key = id->transport_pk;
	return m;
}

/* A fresh store fed x's messages in this order of (member, seq). */
static struct al_store *replay(struct fx *x, const char *name, const int (*order)[2], size_t n,
			       const struct al_member *candidate)
{
	char why[AL_ERRLEN];
	struct al_store *s;
	assert_int_equal(store_open(tu_path(1, x->dir, name), true, x->c, NULL, &s, why), AL_OK);
	if (candidate)
		assert_true(roster_candidate(store_roster(s), candidate) >= 0);
	for (size_t i = 0; i < n; i++) {
		uint8_t *buf;
		size_t len;
		enum al_reason r;
		assert_int_equal(store_get(x->s, &x->ids[order[i][0]]->sign_pk, (uint64_t)order[i][1],
					   &buf, &len, why), AL_OK);
		assert_int_equal(store_offer(s, buf, len, T0 + 100 * HOUR, &r, NULL, why), AL_OK);
		free(buf);
	}
	return s;
}

/* Where the member with identity i stands in s, and in s's ledger. */
static enum al_standing where(struct fx *x, struct al_store *s, int i, bool ledger)
{
	char why[AL_ERRLEN];
	const struct al_member *m = roster_member(store_roster(s), &x->ids[i]->sign_pk);
	if (!m)
		return AL_CANDIDATE;
	size_t k = (size_t)(m - store_roster(s)->members);
	if (!ledger)
		return roster_standing(store_roster(s), k);
	struct al_ledger *l;
	assert_int_equal(ledger_from_store(s, &l, why), AL_OK);
	enum al_standing v = l->standing[k];
	ledger_destroy(&l);
	return v;
}

/* Removal of m3 reaches one home's quorum before the addition of m3 does:
 * it waits for m3, and every home ends with m3 gone. */
static void test_removal_before_addition(void **state)
{
	struct fx *x = *state;
	struct al_ref p = propose(x, 0, true, 3, T0 + 1); /* m0/1 */
	approve(x, 1, p, T0 + 2);                          /* m1/1 */
	struct al_ref r = propose(x, 0, false, 3, T0 + 3); /* m0/2 */
	approve(x, 2, r, T0 + 4);                          /* m2/1 */
	const int other[][2] = { { 0, 1 }, { 0, 2 }, { 2, 1 }, { 1, 1 } };
	struct al_store *b = replay(x, "b", other, 4, NULL);
	assert_int_equal(where(x, x->s, 3, false), AL_LEFT);
	assert_int_equal(where(x, b, 3, false), AL_LEFT);
	assert_int_equal(where(x, b, 3, true), AL_LEFT);
	assert_int_equal(where(x, x->s, 3, true), AL_LEFT);
	store_close(&b);
}

/* Two proposals race to give the name m3 to two keys: both keys may
 * author (their feeds are signed), and every ledger admits the same one. */
static void test_racing_names(void **state)
{
	struct fx *x = *state;
	struct al_identity *four = tu_identity(4);
	struct al_member a = card_of(x->ids[3], "m3");
	struct al_member b = card_of(four, "m3"); /* another key, the same name */
	add_card(x, 0, a, T0 + 1);                                   /* m0/1 */
	add_card(x, 1, b, T0 + 2);                                   /* m1/1 */
	approve(x, 2, (struct al_ref){ x->ids[0]->sign_pk, 1 }, T0 + 3); /* m2/1 */
	approve(x, 2, (struct al_ref){ x->ids[1]->sign_pk, 1 }, T0 + 4); /* m2/2 */
	const int order_a[][2] = { { 0, 1 }, { 1, 1 }, { 2, 1 }, { 2, 2 } };
	const int order_b[][2] = { { 1, 1 }, { 2, 1 }, { 2, 2 }, { 0, 1 } };
	struct al_store *ha = replay(x, "ha", order_a, 4, NULL), *hb = replay(x, "hb", order_b, 4, NULL);
	char why[AL_ERRLEN];
	struct al_ledger *la, *lb;
	assert_int_equal(ledger_from_store(ha, &la, why), AL_OK);
	assert_int_equal(ledger_from_store(hb, &lb, why), AL_OK);
	assert_int_equal(store_roster(ha)->n_members, 5);
	assert_int_equal(store_roster(hb)->n_members, 5);
	assert_int_equal(la->n_order, 4);
	assert_int_equal(lb->n_order, 4);
	/* The same key joined in both ledgers: the first in canonical order. */
	assert_memory_equal(&store_roster(ha)->members[la->order[3]].sign_key, &a.sign_key, AL_KEYLEN);
	assert_memory_equal(&store_roster(hb)->members[lb->order[3]].sign_key, &a.sign_key, AL_KEYLEN);
	ledger_destroy(&la);
	ledger_destroy(&lb);
	store_close(&ha);
	store_close(&hb);
	key_destroy(&four);
}

/* A waiting newcomer does not stop another newcomer of the same name from
 * joining at the waiting one's home, as everywhere else. */
static void test_candidate_takes_no_name(void **state)
{
	struct fx *x = *state;
	struct al_identity *four = tu_identity(4);
	struct al_member other = card_of(four, "m3"); /* x->card3's name */
	struct al_ref p = add_card(x, 0, other, T0 + 1);
	approve(x, 1, p, T0 + 2);
	const int order[][2] = { { 0, 1 }, { 1, 1 } };
	struct al_store *h = replay(x, "h", order, 2, &x->card3);
	const struct al_member *m = roster_member(store_roster(h), &four->sign_pk);
	assert_non_null(m);
	assert_int_equal(roster_standing(store_roster(h), (size_t)(m - store_roster(h)->members)), AL_JOINED);
	assert_int_equal(roster_standing(store_roster(h), 3), AL_CANDIDATE); /* still waiting */
	store_close(&h);
	key_destroy(&four);
}

/* Members removing each other: the ledger keeps the last one, and so does
 * the store; a member who left cannot make the quorum. */
static void test_last_and_left(void **state)
{
	struct fx *x = *state;
	char why[AL_ERRLEN];
	struct al_ref r2 = propose(x, 0, false, 2, T0 + 1); /* m0/1 */
	approve(x, 1, r2, T0 + 2);                           /* m1/1: m2 left */
	struct al_ref r1 = propose(x, 0, false, 1, T0 + 3); /* m0/2 */
	propose(x, 1, false, 0, T0 + 4);                     /* m1/2 */
	approve(x, 1, r1, T0 + 5);                           /* m1/3: m1 left */
	assert_int_equal(where(x, x->s, 0, false), AL_FOUNDER);
	assert_int_equal(where(x, x->s, 0, true), AL_FOUNDER);
	assert_int_equal(where(x, x->s, 1, true), AL_LEFT);
	/* m1 and m2, both gone, propose and approve a newcomer: 2 votes by
	 * former members make no member in the ledger. */
	struct al_ref p = propose(x, 1, true, 3, T0 + 6);
	approve(x, 2, p, T0 + 7);
	assert_int_equal(where(x, x->s, 3, true), AL_CANDIDATE);
	struct al_ledger *l;
	assert_int_equal(ledger_from_store(x->s, &l, why), AL_OK);
	assert_true(l->violations[1] >= 1 && l->violations[2] >= 1);
	ledger_destroy(&l);
}

/* Member a signs b into store s (its own view: what s holds is what a
 * had seen), and the message is copied into x's store too. */
static struct al_ref author_in(struct fx *x, struct al_store *s, int a, struct al_body *b,
			       int64_t t)
{
	char why[AL_ERRLEN];
	struct al_ref id;
	uint8_t *buf;
	size_t len;
	enum al_reason r;
	assert_int_equal(store_author(s, x->ids[a], b, t, &id, why), AL_OK);
	assert_int_equal(store_get(s, &id.author, id.seq, &buf, &len, why), AL_OK);
	assert_int_equal(store_offer(x->s, buf, len, t, &r, NULL, why), AL_OK);
	assert_int_equal(r, AL_ACCEPT);
	free(buf);
	return id;
}

static enum al_standing ledger_standing(struct al_store *s, const al_key *k, uint64_t *violations)
{
	char why[AL_ERRLEN];
	const struct al_member *m = roster_member(store_roster(s), k);
	struct al_ledger *l;
	assert_int_equal(ledger_from_store(s, &l, why), AL_OK);
	enum al_standing v = m ? l->standing[m - store_roster(s)->members] : AL_CANDIDATE;
	*violations = 0;
	for (size_t i = 0; i < l->n_members; i++)
		*violations += l->violations[i];
	ledger_destroy(&l);
	return v;
}

/* Two proposals add one key with two cards (an endpoint corrected and
 * given again): every home keeps the same card, and every ledger the same
 * members, whatever came first. */
static void test_one_key_two_cards(void **state)
{
	struct fx *x = *state;
	struct al_identity *four = tu_identity(4);
	struct al_member kilo = card_of(x->ids[3], "kilo"), kappa = card_of(x->ids[3], "kappa");
	add_card(x, 0, kilo, T0 + 1);                                    /* m0/1 */
	add_card(x, 1, kappa, T0 + 2);                                   /* m1/1 */
	approve(x, 2, (struct al_ref){ x->ids[0]->sign_pk, 1 }, T0 + 3); /* m2/1 */
	approve(x, 2, (struct al_ref){ x->ids[1]->sign_pk, 1 }, T0 + 4); /* m2/2 */
	struct al_member j = card_of(four, "kappa");
	add_card(x, 0, j, T0 + 5);                                       /* m0/2 */
	approve(x, 1, (struct al_ref){ x->ids[0]->sign_pk, 2 }, T0 + 6); /* m1/2 */
	const int order_a[][2] = { { 0, 1 }, { 1, 1 }, { 2, 1 }, { 2, 2 }, { 0, 2 }, { 1, 2 } };
	const int order_b[][2] = { { 1, 1 }, { 2, 1 }, { 2, 2 }, { 0, 1 }, { 0, 2 }, { 1, 2 } };
	struct al_store *ha = replay(x, "ha", order_a, 6, NULL), *hb = replay(x, "hb", order_b, 6, NULL);
	const struct al_member *ma = roster_member(store_roster(ha), &x->ids[3]->sign_pk);
	const struct al_member *mb = roster_member(store_roster(hb), &x->ids[3]->sign_pk);
	assert_string_equal(ma->name, mb->name);
	uint64_t va, vb;
	assert_int_equal(ledger_standing(ha, &four->sign_pk, &va),
			 ledger_standing(hb, &four->sign_pk, &vb));
	assert_int_equal(va, vb);
	store_close(&ha);
	store_close(&hb);
	key_destroy(&four);
}

/* m0 and m1 propose the same card at once, neither having seen the
 * other's; m2 approves m1's. Nobody broke a rule, and m3 is a member. */
static void test_honest_twins(void **state)
{
	struct fx *x = *state;
	char why[AL_ERRLEN];
	struct al_store *b;
	assert_int_equal(store_open(tu_path(1, x->dir, "b"), true, x->c, NULL, &b, why), AL_OK);
	propose(x, 0, true, 3, T0 + 1); /* m0/1, in x's store only */
	struct al_body body;
	memset(&body, 0, sizeof body);
	body.kind = AL_KIND_AMENDMENT;
	body.u.amendment.has_add = true;
	body.u.amendment.add = x->card3;
	struct al_ref twin = author_in(x, b, 1, &body, T0 + 2); /* m1/1: had not seen m0/1 */
	approve(x, 2, twin, T0 + 3);
	assert_int_equal(commit(x, 3, 0, T0 + 4), AL_OK);
	uint64_t v;
	assert_int_equal(ledger_standing(x->s, &x->ids[3]->sign_pk, &v), AL_JOINED);
	assert_int_equal(v, 0);
	store_close(&b);
}

/* m1 and m2 approve at once: m1's brings the proposal into effect, m2's,
 * signed before it saw m1's, is no one's fault. */
static void test_racing_approvals(void **state)
{
	struct fx *x = *state;
	char why[AL_ERRLEN];
	struct al_ref p = propose(x, 0, true, 3, T0 + 1);
	const int order[][2] = { { 0, 1 } };
	struct al_store *b = replay(x, "b", order, 1, NULL);
	approve(x, 1, p, T0 + 2); /* in effect */
	struct al_body body;
	memset(&body, 0, sizeof body);
	body.kind = AL_KIND_AMENDMENT;
	body.u.amendment.approves = p;
	author_in(x, b, 2, &body, T0 + 3); /* m2/1: had seen m0/1, not m1/1 */
	uint64_t v;
	assert_int_equal(ledger_standing(x->s, &x->ids[3]->sign_pk, &v), AL_JOINED);
	assert_int_equal(v, 0);
	store_close(&b);
	(void)why;
}

/* ------------------------------------------------------------ random histories
 * Six firms (three founders, quorum 2; three newcomers) each author into
 * their own home and now and then take in another's log, so messages are
 * concurrent and arrive in many orders: proposals to add (sometimes under
 * a name another card has), to remove, approvals of whatever they have
 * seen, commitments. Then fresh homes take in all the logs in shuffled
 * orders. Every home must end with the same members and the same ledger. */

#define SIM 6

struct sim {
	struct fx *x;
	struct al_store *view[SIM];
	struct al_member card[SIM];
	uint64_t rng;
	int64_t t;
};

static uint32_t rnd(struct sim *m, uint32_t n)
{
	m->rng = m->rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(m->rng >> 33) % n;
}

struct recs {
	uint8_t **buf;
	size_t *len, n;
};

static int collect(void *arg, const struct al_log_rec *r)
{
	struct recs *v = arg;
	v->buf = realloc(v->buf, (v->n + 1) * sizeof *v->buf);
	v->len = realloc(v->len, (v->n + 1) * sizeof *v->len);
	assert_true(v->buf && v->len);
	v->buf[v->n] = malloc(r->len);
	memcpy(v->buf[v->n], r->data, r->len);
	v->len[v->n++] = r->len;
	return 0;
}

/* Offer every record of from's log to to, in from's order, again and
 * again until nothing more goes in (what came before its dependencies). */
static void sync_into(struct al_store *to, struct al_store *from, int64_t now)
{
	char why[AL_ERRLEN];
	struct recs v = { 0 };
	assert_int_equal(store_sync(from, why), AL_OK);
	assert_int_equal(log_scan(log_path(from->log), collect, NULL, &v, why), AL_OK);
	for (bool progress = true; progress;) {
		progress = false;
		for (size_t i = 0; i < v.n; i++) {
			enum al_reason r;
			if (!v.buf[i])
				continue;
			assert_int_equal(store_offer(to, v.buf[i], v.len[i], now, &r, NULL, why), AL_OK);
			if (r == AL_R_AHEAD || r == AL_R_AUTHOR)
				continue;
			assert_true(r == AL_ACCEPT || r == AL_DUPLICATE);
			progress |= r == AL_ACCEPT;
			free(v.buf[i]);
			v.buf[i] = NULL;
		}
	}
	for (size_t i = 0; i < v.n; i++)
		free(v.buf[i]);
	free(v.buf);
	free(v.len);
}

static long sim_index(const struct al_store *s, const struct sim *m, int i)
{
	const struct al_member *k = roster_member(store_roster(s), &m->x->ids[i]->sign_pk);
	return k ? (long)(k - store_roster(s)->members) : -1;
}

/* One step by firm a, in its own home (a rule it breaks is fine here:
 * the ledger must judge it the same everywhere). */
static void sim_step(struct sim *m, int a)
{
	struct al_store *s = m->view[a];
	long me = sim_index(s, m, a);
	char why[AL_ERRLEN];
	struct al_body b;
	struct al_ref id;
	al_key to;
	int k = (int)rnd(m, SIM);
	m->t += 1 + rnd(m, 5000);
	memset(&b, 0, sizeof b);
	switch (rnd(m, 12)) {
	case 0:
	case 1: /* add a newcomer, now and then under a name another has */
		b.kind = AL_KIND_AMENDMENT;
		b.u.amendment.has_add = true;
		b.u.amendment.add = m->card[3 + rnd(m, 3)];
		if (!rnd(m, 4))
			snprintf(b.u.amendment.add.name, sizeof b.u.amendment.add.name, "m%d", k);
		break;
	case 2: /* remove someone */
		b.kind = AL_KIND_AMENDMENT;
		b.u.amendment.has_remove = true;
		b.u.amendment.remove = m->x->ids[k]->sign_pk;
		break;
	case 3:
	case 4:
	case 5: /* approve a proposal seen here */
		if (!store_roster(s)->n_motions)
			return;
		b.kind = AL_KIND_AMENDMENT;
		b.u.amendment.approves = store_roster(s)->motions[rnd(m, (uint32_t)store_roster(s)->n_motions)].id;
		break;
	case 7: /* move its own endpoint (now and then to a wildcard: a violation) */
		b.kind = AL_KIND_AMENDMENT;
		b.u.amendment.endpoint = (char *)(rnd(m, 4) ? (rnd(m, 2) ? "tcp://a.example:1"
									 : "tcp://b.example:2")
							    : "tcp://0.0.0.0:3");
		break;
	case 8: /* new keys for a founder: now and then keys another replacement
		 * or an addition brings in too (racing cards) */
		k %= 3;
		b.kind = AL_KIND_AMENDMENT;
		b.u.amendment.has_replace = true;
		b.u.amendment.replace = card_of(m->x->ids[rnd(m, 4) ? 6 + (uint32_t)k : 3 + rnd(m, 6)], "");
		snprintf(b.u.amendment.replace.name, sizeof b.u.amendment.replace.name, "m%d", k);
		b.u.amendment.replaces = m->x->ids[k]->sign_pk;
		b.u.amendment.replaces_upto = feeds_head(s->feeds, &m->x->ids[k]->sign_pk, NULL) +
					      (a == k);
		break;
	case 6: /* a commitment */
		to = m->x->ids[k]->sign_pk;
		b.kind = AL_KIND_COMMITMENT;
		b.u.commitment.what = (char *)"work";
		b.u.commitment.to = &to;
		b.u.commitment.n_to = 1;
		b.u.commitment.due = m->t + HOUR;
		b.u.commitment.value = 10;
		break;
	default: /* take in another firm's log */
		sync_into(s, m->view[k], m->t);
		return;
	}
	if (me >= 0 && roster_current(store_roster(s), (size_t)me))
		store_author(s, m->x->ids[a], &b, m->t, &id, why); /* may be refused: fine */
}

/* What a home makes of it all, as text to compare. */
static void sim_verdict(struct sim *m, struct al_store *s, char *out, size_t n)
{
	char why[AL_ERRLEN];
	struct al_ledger *l;
	size_t used = 0;
	assert_int_equal(ledger_from_store(s, &l, why), AL_OK);
	for (int i = 0; i < SIM + 3; i++) {
		long k = sim_index(s, m, i);
		used += (size_t)snprintf(out + used, n - used, "%d:%s/%s/%s/%llu/%s/%s ", i,
			k < 0 ? "-" : roster_standing_name(roster_standing(store_roster(s), (size_t)k)),
			k < 0 ? "-" : store_roster(s)->members[k].name,
			k < 0 ? "-" : roster_standing_name(l->standing[k]),
			k < 0 ? 0ULL : (unsigned long long)l->violations[l->party[k]],
			k < 0 ? "-" : store_roster(s)->members[roster_party(store_roster(s), (size_t)k)].name,
			k < 0 ? "-" : store_roster(s)->members[k].endpoint);
	}
	used += (size_t)snprintf(out + used, n - used, "items %zu order", l->n_items);
	for (size_t i = 0; i < l->n_order; i++)
		used += (size_t)snprintf(out + used, n - used, " %.4s", store_roster(s)->members[l->order[i]].name);
	ledger_destroy(&l);
}

static void test_random_histories(void **state)
{
	struct fx *x = *state;
	char why[AL_ERRLEN], name[32], want[2048], got[2048];
	int joined = 0, left = 0, replaced = 0, moved = 0;
	for (uint64_t seed = 1; seed <= 30; seed++) {
		struct sim m = { .x = x, .rng = seed, .t = T0 };
		for (int i = 4; i < SIM + 3; i++)
			if (!x->ids[i])
				x->ids[i] = tu_identity(i);
		for (int i = 0; i < SIM; i++) {
			m.card[i] = card_of(x->ids[i], "");
			snprintf(m.card[i].name, sizeof m.card[i].name, "m%d", i);
			snprintf(name, sizeof name, "s%llu-v%d", (unsigned long long)seed, i);
			assert_int_equal(store_open(tu_path(1, x->dir, name), true, x->c, NULL, &m.view[i],
						    why), AL_OK);
			if (i >= 3)
				assert_true(roster_candidate(store_roster(m.view[i]), &m.card[i]) >= 0);
		}
		for (int step = 0; step < 80; step++)
			sim_step(&m, (int)rnd(&m, SIM));
		for (int r = 0; r < 4; r++) {
			struct al_store *h;
			snprintf(name, sizeof name, "s%llu-r%d", (unsigned long long)seed, r);
			assert_int_equal(store_open(tu_path(1, x->dir, name), true, x->c, NULL, &h, why),
					 AL_OK);
			for (int pass = 0; pass < 2; pass++)
				for (int i = 0; i < SIM; i++)
					sync_into(h, m.view[(i + r * 5) % SIM], m.t + 1);
			sim_verdict(&m, h, r ? got : want, sizeof want);
			if (r)
				assert_string_equal(got, want);
			store_close(&h);
		}
		joined += strstr(want, "/joined/") != NULL;
		left += strstr(want, "/left/") != NULL;
		replaced += strstr(want, ":replaced/") != NULL;
		moved += strstr(want, ".example:") != NULL;
		for (int i = 0; i < SIM; i++)
			store_close(&m.view[i]);
	}
	/* The histories did exercise joining and leaving. */
	print_message("# histories with joins %d, departures %d, new keys %d, moves %d\n", joined,
		      left, replaced, moved);
	assert_true(joined >= 3);
	assert_true(left >= 3);
	assert_true(replaced >= 2);
	assert_true(moved >= 3);
}

/* Member a proposes new keys (ids[3]'s) for m2, under m2's name. */
static struct al_ref propose_replace(struct fx *x, int a, int64_t t)
{
	struct al_body b;
	struct al_ref id;
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_AMENDMENT;
	b.u.amendment.has_replace = true;
	b.u.amendment.replace = x->card3;
	snprintf(b.u.amendment.replace.name, sizeof b.u.amendment.replace.name, "m2");
	b.u.amendment.replaces = x->ids[2]->sign_pk;
	b.u.amendment.replaces_upto = feeds_head(x->s->feeds, &x->ids[2]->sign_pk, NULL);
	assert_int_equal(author(x, a, &b, t, &id), AL_OK);
	return id;
}

/* Member a's delivery of commitment c. */
static int deliver(struct fx *x, int a, struct al_ref c, int64_t t)
{
	struct al_body b;
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_DELIVERY;
	b.u.delivery.commitment = c;
	b.u.delivery.note = (char *)"done";
	return author(x, a, &b, t, NULL);
}

/* m2's keys replaced at the quorum: the new keys act for m2 (they deliver
 * what the old keys promised; m2 keeps its one trust row and its
 * evidence), ids of the new keys read m2@2/N, and what the old keys sign
 * after is m2's violation and changes nothing. */
static void test_replace(void **state)
{
	struct fx *x = *state;
	char why[AL_ERRLEN], id[AL_IDLEN];
	struct al_ref c1;
	struct al_body cb;
	al_key to0 = x->ids[0]->sign_pk;
	memset(&cb, 0, sizeof cb);
	cb.kind = AL_KIND_COMMITMENT;
	cb.u.commitment.what = (char *)"thing";
	cb.u.commitment.to = &to0;
	cb.u.commitment.n_to = 1;
	cb.u.commitment.due = T0 + 24 * HOUR;
	cb.u.commitment.value = 100;
	assert_int_equal(author(x, 2, &cb, T0 + 1, &c1), AL_OK);
	/* A thief's copy of m2's home, made now: it knows nothing after. */
	struct al_store *thief;
	assert_int_equal(store_open(tu_path(1, x->dir, "thief"), true, x->c, NULL, &thief, why),
			 AL_OK);
	sync_into(thief, x->s, T0 + 1);
	struct al_ref p = propose_replace(x, 0, T0 + 2);
	assert_int_equal(commit(x, 3, 0, T0 + 3), AL_E_REJECT); /* not in effect yet */
	approve(x, 1, p, T0 + 4);
	const struct al_roster *c = store_roster(x->s);
	assert_int_equal(c->n_members, 4);
	assert_int_equal(roster_standing(c, 2), AL_REPLACED);
	assert_int_equal(roster_standing(c, 3), AL_FOUNDER); /* a founder's new keys */
	assert_int_equal(roster_party(c, 3), 2);
	assert_string_equal(c->members[3].name, "m2");
	assert_ptr_equal(roster_member_named(c, "m2"), &c->members[3]);
	assert_int_equal(roster_check_current(c, 2, why), AL_E_INVAL);
	assert_non_null(strstr(why, "were replaced"));
	assert_int_equal(deliver(x, 3, c1, T0 + 5), AL_OK);
	assert_int_equal(commit(x, 3, 1, T0 + 6), AL_OK);
	assert_string_equal(roster_ref_name(c, &(struct al_ref){ x->ids[3]->sign_pk, 2 }, id),
			    "m2@2/2");
	assert_string_equal(roster_ref_name(c, &c1, id), "m2/1");
	/* A thief (or a copy of the old home: the daemon refuses to sign,
	 * roster_check_current above) signs with the old keys, backdated to
	 * before the replacement: the feed ended at m2/1, so it is void. It is kept in
	 * the log (the evidence of the theft, and every home holds the same
	 * set) but changes nothing and is no one's violation. */
	struct al_ref stolen;
	assert_int_equal(store_author(thief, x->ids[2], &cb, T0 + 1, &stolen, why), AL_OK);
	assert_int_equal(store_sync(thief, why), AL_OK);
	uint8_t *sb;
	size_t sl;
	enum al_reason r;
	assert_int_equal(store_get(thief, &x->ids[2]->sign_pk, 2, &sb, &sl, why), AL_OK);
	assert_int_equal(store_offer(x->s, sb, sl, T0 + 8, &r, NULL, why), AL_OK);
	assert_int_equal(r, AL_ACCEPT);
	free(sb);
	/* m0 signs after it, its frontier naming the void m2/2: applied all
	 * the same (what is void is never waited for). */
	assert_int_equal(commit(x, 0, 1, T0 + 9), AL_OK);
	sync_into(thief, x->s, T0 + 8);
	assert_int_equal(roster_feed_end(store_roster(thief), 2), 1);

	struct al_ledger *l, *lt;
	assert_int_equal(ledger_from_store(x->s, &l, why), AL_OK);
	assert_int_equal(ledger_from_store(thief, &lt, why), AL_OK);
	assert_int_equal(l->standing[2], AL_REPLACED);
	assert_int_equal(l->party[3], 2);
	assert_int_equal(l->n_items, 3); /* the stolen commitment is void ... */
	assert_int_equal(lt->n_items, 3);
	assert_int_equal(lt->violations[2], 0); /* ... and no one's violation */
	assert_int_equal(l->items[0].state, AL_C_DELIVERED);
	assert_int_equal(l->items[0].promisor, 2);
	assert_int_equal(l->items[1].promisor, 2);
	assert_int_equal(l->items[2].promisor, 0);
	for (size_t i = 0; i < c->n_members; i++)
		assert_int_equal(l->violations[i], 0);
	assert_int_equal(l->n_order, 3); /* one row for m2 */
	ledger_destroy(&lt);
	store_close(&thief);
	/* New keys once more: only the current ones, under the same name,
	 * with keys nobody has had. */
	struct al_body b;
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_AMENDMENT;
	b.u.amendment.has_replace = true;
	b.u.amendment.replace = c->members[1];
	b.u.amendment.replaces = x->ids[3]->sign_pk;
	assert_int_equal(ledger_check(l, &x->ids[0]->sign_pk, &b, why), AL_E_INVAL);
	assert_non_null(strstr(why, "keeps the member's name"));
	snprintf(b.u.amendment.replace.name, sizeof b.u.amendment.replace.name, "m2");
	assert_int_equal(ledger_check(l, &x->ids[0]->sign_pk, &b, why), AL_E_INVAL);
	assert_non_null(strstr(why, "new keys"));
	b.u.amendment.replace = c->members[2]; /* the replaced keys back */
	assert_int_equal(ledger_check(l, &x->ids[0]->sign_pk, &b, why), AL_E_INVAL);
	b.u.amendment.replaces = x->ids[2]->sign_pk;
	assert_int_equal(ledger_check(l, &x->ids[0]->sign_pk, &b, why), AL_E_INVAL);
	assert_non_null(strstr(why, "current keys"));
	struct al_trust *t;
	assert_int_equal(trust_compute(l, T0 + 8, &t), AL_OK);
	assert_int_equal(t->n_order, 3);
	for (size_t i = 0; i < t->n_order; i++)
		assert_int_not_equal(t->order[i], 3); /* the new keys have no row of their own */
	trust_destroy(&t);
	ledger_destroy(&l);

	/* A restart rebuilds the same members from the log. */
	store_close(&x->s);
	assert_int_equal(store_open(tu_path(0, x->dir, "a"), false, NULL, NULL, &x->s, why), AL_OK);
	assert_int_equal(roster_standing(store_roster(x->s), 2), AL_REPLACED);
	assert_int_equal(roster_party(store_roster(x->s), 3), 2);
	assert_int_equal(store_roster(x->s)->generation[3], 2);
}

/* Another store takes the replacement in another order: the new keys'
 * message before the amendment is held back (not an error), the approval
 * before the proposal; it ends with the same members and ledger. */
static void test_replace_any_order(void **state)
{
	struct fx *x = *state;
	char why[AL_ERRLEN];
	struct al_ref p = propose_replace(x, 0, T0 + 1);
	approve(x, 1, p, T0 + 2);
	assert_int_equal(commit(x, 3, 0, T0 + 3), AL_OK);
	struct al_store *b;
	uint8_t *buf[3];
	size_t len[3];
	const struct { int who; } rec[3] = { { 3 }, { 1 }, { 0 } };
	for (int i = 0; i < 3; i++)
		assert_int_equal(store_get(x->s, &x->ids[rec[i].who]->sign_pk, 1, &buf[i], &len[i],
					   why), AL_OK);
	assert_int_equal(store_open(tu_path(1, x->dir, "b"), true, x->c, NULL, &b, why), AL_OK);
	enum al_reason r;
	assert_int_equal(store_offer(b, buf[0], len[0], T0 + 5, &r, NULL, why), AL_OK);
	assert_int_equal(r, AL_R_AUTHOR); /* not a member's keys yet */
	for (int i = 1; i < 3; i++) {
		assert_int_equal(store_offer(b, buf[i], len[i], T0 + 5, &r, NULL, why), AL_OK);
		assert_int_equal(r, AL_ACCEPT);
	}
	assert_int_equal(roster_standing(store_roster(b), 2), AL_REPLACED);
	assert_int_equal(store_offer(b, buf[0], len[0], T0 + 5, &r, NULL, why), AL_OK);
	assert_int_equal(r, AL_ACCEPT);
	struct al_ledger *la, *lb;
	assert_int_equal(ledger_from_store(x->s, &la, why), AL_OK);
	assert_int_equal(ledger_from_store(b, &lb, why), AL_OK);
	assert_int_equal(la->n_items, 1);
	assert_int_equal(lb->n_items, 1);
	assert_int_equal(lb->items[0].promisor, 2);
	assert_int_equal(lb->n_order, 3);
	ledger_destroy(&la);
	ledger_destroy(&lb);
	for (int i = 0; i < 3; i++)
		free(buf[i]);
	store_close(&b);
}

/* A member moves its own endpoint, alone and at once; its latest move
 * holds whatever order the moves arrive in; a wildcard is a violation
 * and moves nothing. */
static void test_moves(void **state)
{
	struct fx *x = *state;
	char why[AL_ERRLEN];
	struct al_body b;
	struct al_ref ids[3];
	const char *eps[3] = { "tcp://new.m1.example:7101", "tcp://0.0.0.0:7101",
			       "tcp://newer.m1.example:7101" };
	uint64_t changes = store_roster(x->s)->member_changes;
	for (int i = 0; i < 3; i++) {
		memset(&b, 0, sizeof b);
		b.kind = AL_KIND_AMENDMENT;
		b.u.amendment.endpoint = (char *)eps[i];
		assert_int_equal(author(x, 1, &b, T0 + 1 + i, &ids[i]), AL_OK);
		if (i == 0)
			assert_string_equal(store_roster(x->s)->members[1].endpoint, eps[0]); /* at once */
	}
	assert_string_equal(store_roster(x->s)->members[1].endpoint, eps[2]);
	assert_int_equal(store_roster(x->s)->member_changes, changes + 2); /* the wildcard moved nothing */
	struct al_ledger *l;
	assert_int_equal(ledger_from_store(x->s, &l, why), AL_OK);
	assert_int_equal(l->violations[1], 1);
	assert_non_null(strstr(l->broken[0].why, "wildcard"));
	assert_string_equal(l->card[1].endpoint, eps[2]);
	ledger_destroy(&l);
	/* An approval that also moves its author's endpoint is malformed:
	 * neither its vote nor its move counts, here or in the ledger. */
	struct al_ref rm = propose(x, 0, false, 2, T0 + 5);
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_AMENDMENT;
	b.u.amendment.approves = rm;
	b.u.amendment.endpoint = (char *)"tcp://sneaky.example:1";
	assert_int_equal(author(x, 1, &b, T0 + 6, NULL), AL_OK);
	assert_int_equal(roster_standing(store_roster(x->s), 2), AL_FOUNDER);
	assert_string_equal(store_roster(x->s)->members[1].endpoint, eps[2]);
	assert_int_equal(ledger_from_store(x->s, &l, why), AL_OK);
	assert_int_equal(l->standing[2], AL_FOUNDER);
	assert_int_equal(l->violations[1], 2);
	assert_non_null(strstr(l->broken[1].why, "nothing else"));
	assert_string_equal(l->card[1].endpoint, eps[2]);
	ledger_destroy(&l);
	/* The latest move holds in another store too (a feed arrives in
	 * order: the wildcard between the two moves changes nothing). */
	struct al_store *s2;
	assert_int_equal(store_open(tu_path(1, x->dir, "b"), true, x->c, NULL, &s2, why), AL_OK);
	enum al_reason r;
	for (int i = 0; i < 3; i++) { /* m1's three moves */
		uint8_t *buf;
		size_t len;
		assert_int_equal(store_get(x->s, &x->ids[1]->sign_pk, (uint64_t)(i + 1), &buf, &len,
					   why), AL_OK);
		assert_int_equal(store_offer(s2, buf, len, T0 + 9, &r, NULL, why), AL_OK);
		assert_int_equal(r, AL_ACCEPT);
		free(buf);
	}
	assert_string_equal(store_roster(s2)->members[1].endpoint, eps[2]);
	store_close(&s2);
	/* ... and after a restart. */
	store_close(&x->s);
	assert_int_equal(store_open(tu_path(0, x->dir, "a"), false, NULL, NULL, &x->s, why), AL_OK);
	assert_string_equal(store_roster(x->s)->members[1].endpoint, eps[2]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_join, setup, teardown),
		cmocka_unit_test_setup_teardown(test_any_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leave, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_removal_before_addition, setup, teardown),
		cmocka_unit_test_setup_teardown(test_racing_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_candidate_takes_no_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_and_left, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_key_two_cards, setup, teardown),
		cmocka_unit_test_setup_teardown(test_honest_twins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_racing_approvals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_histories, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_any_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_moves, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
