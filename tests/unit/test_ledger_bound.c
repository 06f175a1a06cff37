/* test_ledger_bound.c: a feed that can sign no more (its member removed)
 * or not yet (a member proposed but never added) does not hold the
 * incremental ledger's stable point back: the tail stays a few messages
 * long however many come after (it grew with every message before: about
 * 2 KB each, and a checkpoint saved them all). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "err.h"
#include "ledger.h"
#include "roster.h"

#define IDS 6
#define AFTER 3000 /* receipts after the membership change */

struct fx {
	struct al_identity *ids[IDS];
	struct al_charter *c;
	struct al_roster *ro;
	struct al_ledger *l;
	uint64_t len[IDS];
	al_hash prev[IDS];
	int64_t clk;
};

/* Member a signs b (each of the three founders' feeds in its frontier). */
static void add(struct fx *x, int a, struct al_body *b, struct al_ref *id)
{
	struct al_frontier_entry fr[3];
	char why[AL_ERRLEN];
	size_t nf = 0;
	for (int k = 0; k < 3; k++)
		if (k != a && x->len[k])
			fr[nf++] = (struct al_frontier_entry){ x->ids[k]->sign_pk, x->len[k],
							      x->prev[k] };
	struct al_envelope *e = tu_seal(x->c, x->ids[a], b, ++x->len[a], &x->prev[a],
					x->clk += 1000, fr, nf);
	x->prev[a] = e->hash;
	if (id)
		*id = (struct al_ref){ e->b.author, e->b.seq };
	assert_int_equal(roster_note(x->ro, &e->b), AL_OK);
	int rc = ledger_add(x->l, e, why);
	if (rc == LEDGER_REBUILD) { /* the membership changed: none of this test's points */
		ledger_destroy(&x->l);
		assert_int_equal(ledger_new(x->ro, &x->l), AL_OK);
	} else if (rc) {
		fail_msg("ledger_add: %s", why);
	}
	envelope_clear(e);
	free(e);
}

static void receipt(struct fx *x, int a)
{
	struct al_body b;
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_RECEIPT;
	add(x, a, &b, NULL);
}

static void run(bool remove)
{
	struct fx x = { 0 };
	x.c = tu_charter(3, true, x.ids);
	assert_int_equal(roster_new(x.c, &x.ro), AL_OK);
	for (int i = 3; i < IDS; i++)
		x.ids[i] = tu_identity(i);
	x.clk = x.c->created;
	assert_int_equal(ledger_new(x.ro, &x.l), AL_OK);
	for (int i = 0; i < 3; i++)
		receipt(&x, i);
	struct al_body b;
	memset(&b, 0, sizeof b);
	b.kind = AL_KIND_AMENDMENT;
	b.u.amendment.endpoint = (char *)"";
	if (remove) { /* m2 removed: m0 proposes, m1 approves (the quorum is 2) */
		struct al_ref p;
		b.u.amendment.has_remove = true;
		b.u.amendment.remove = x.ids[2]->sign_pk;
		add(&x, 0, &b, &p);
		memset(&b, 0, sizeof b);
		b.kind = AL_KIND_AMENDMENT;
		b.u.amendment.endpoint = (char *)"";
		b.u.amendment.approves = p;
		add(&x, 1, &b, NULL);
	} else { /* a member proposed, never approved: a candidate for ever */
		b.u.amendment.has_add = true;
		snprintf(b.u.amendment.add.name, sizeof b.u.amendment.add.name, "newco");
		snprintf(b.u.amendment.add.endpoint, sizeof b.u.amendment.add.endpoint,
			 "tcp://127.0.0.1:7100");
		b.u.amendment.add.sign_key = x.ids[5]->sign_pk;
		b.u.amendment.add.transport_key = x.ids[5]->transport_pk;
		add(&x, 0, &b, NULL);
	}
	for (int i = 0; i < AFTER; i++)
		receipt(&x, i % (remove ? 2 : 3));
	struct ledger_stats st;
	ledger_stats(x.l, &st);
	print_message("%s: %llu added, tail %zu\n", remove ? "m2 removed" : "a candidate",
		      (unsigned long long)st.added, st.tail);
	assert_true(st.tail < 16);
	ledger_destroy(&x.l);
	for (int i = 0; i < IDS; i++)
		key_destroy(&x.ids[i]);
	roster_destroy(&x.ro);
	charter_destroy(&x.c);
}

static void removed_member(void **state)
{
	(void)state;
	run(true);
}

static void candidate(void **state)
{
	(void)state;
	run(false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(removed_member),
		cmocka_unit_test(candidate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
