/* test_portfolio.c: the portfolio document from the queries' answers
 * (lib/portfolio.c): which commitments are open, the shares owed, a firm
 * recognised by any of its keys across alliances, the order shown. The
 * answers are written here by hand, in the shapes query.h gives. */
#include "testutil.h"

#include <jansson.h>
#include <string.h>

#include "portfolio.h"

/* A member of the alliance answer with these keys (its first: "key"). */
static json_t *member(const char *name, const char *k1, const char *k2)
{
	return json_pack("{s:s, s:s, s:[s, s*], s:s, s:b}", "name", name, "key", k1, "keys", k1,
			 k2, "standing", "founder", "founder", 1);
}

static json_t *row(const char *name, double trust, int fulfilled, int missed, double given)
{
	return json_pack("{s:s, s:f, s:f, s:i, s:i, s:i, s:i, s:f, s:f, s:n, s:[]}", "partner",
			 name, "trust", trust, "uncertainty", 0.25, "fulfilled", fulfilled, "late",
			 0, "missed", missed, "disputed", 0, "given", given, "received", 0.0,
			 "reciprocity", "warnings");
}

static json_t *commitment(const char *promisor, const char *to1, const char *to2, int value,
			  const char *state)
{
	return json_pack("{s:s, s:s, s:[s, s*], s:s, s:s, s:i, s:s, s:b, s:n}", "id", "x/1",
			 "promisor", promisor, "to", to1, to2, "what", "w", "due",
			 "2026-01-01T00:00:00.000Z", "value", value, "state", state, "late", 0,
			 "task");
}

static json_t *alliance(const char *id, const char *title, json_t *members)
{
	return json_pack("{s:s, s:s, s:[], s:s, s:s, s:s, s:f, s:o}", "id", id, "title", title,
			 "objectives", "scope", "", "created", "2026-01-01T00:00:00.000Z", "as_of",
			 "2026-02-01T00:00:00.000Z", "age_days", 31.0, "members", members);
}

static double num(const json_t *o, const char *path)
{
	return json_number_value(json_object_get(o, path));
}

static const json_t *partner_named(const json_t *doc, const char *name)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(doc, "partners"), i, p)
		if (!strcmp(json_string_value(json_array_get(json_object_get(p, "names"), 0)), name))
			return p;
	return NULL;
}

/* "Zeta": me (key K0), p (K1) and q (K2). p promised 90 to me and q
 * (accepted: open), me promised 30 to p (overdue: open), q's 10 to me
 * was missed, me's 5 to q delivered. */
static void one_alliance(void **state)
{
	(void)state;
	struct al_portfolio_in in = {
		alliance("aa01", "Zeta", json_pack("[o, o, o]", member("me", "K0", NULL),
			 member("p", "K1", NULL), member("q", "K2", NULL))),
		json_pack("[o, o, o, o]", commitment("p", "me", "q", 90, "accepted"),
			  commitment("me", "p", NULL, 30, "overdue"),
			  commitment("q", "me", NULL, 10, "missed"),
			  commitment("me", "q", NULL, 5, "delivered")),
		json_pack("[o, o, o]", row("me", 0.5, 0, 0, 5), row("p", 0.7, 2, 0, 0),
			  row("q", 0.2, 0, 1, 0)),
	};
	json_t *doc = portfolio_build("2026-02-01T00:00:00.000Z", "me", "K0", &in, 1);
	assert_non_null(doc);
	const json_t *a = json_array_get(json_object_get(doc, "alliances"), 0);
	const json_t *c = json_object_get(a, "commitments");
	assert_string_equal(json_string_value(json_object_get(a, "me")), "me");
	assert_int_equal(json_integer_value(json_object_get(c, "total")), 4);
	assert_int_equal(json_integer_value(json_object_get(c, "open")), 2);
	assert_int_equal(json_integer_value(json_object_get(c, "accepted")), 1);
	assert_int_equal(json_integer_value(json_object_get(c, "overdue")), 1);
	assert_int_equal(json_integer_value(json_object_get(c, "missed")), 1);
	/* me owes its 30 (overdue is open), not the 5 it delivered; it is
	 * owed half of p's 90, not q's missed 10. */
	assert_true(num(a, "owes") == 30);
	assert_true(num(a, "owed") == 45);
	/* The trust rows as they came, with the member's key and "me". */
	const json_t *t = json_object_get(a, "trust");
	assert_int_equal(json_array_size(t), 3);
	assert_true(json_is_true(json_object_get(json_array_get(t, 0), "me")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(t, 1), "key")), "K1");
	assert_true(num(json_array_get(t, 1), "trust") == 0.7);
	/* Partners: p and q, not me. p owes us 45 and is owed its 30. */
	assert_int_equal(json_array_size(json_object_get(doc, "partners")), 2);
	assert_null(partner_named(doc, "me"));
	const json_t *p = partner_named(doc, "p");
	const json_t *r = json_array_get(json_object_get(p, "alliances"), 0);
	assert_true(num(r, "owes_us") == 45 && num(r, "owed_by_us") == 30);
	assert_int_equal(json_integer_value(json_object_get(r, "open")), 1);
	assert_int_equal(json_integer_value(json_object_get(r, "fulfilled")), 2);
	/* q: nothing open, its missed commitment in its trust row. */
	r = json_array_get(json_object_get(partner_named(doc, "q"), "alliances"), 0);
	assert_true(num(r, "owes_us") == 0 && num(r, "owed_by_us") == 0);
	assert_int_equal(json_integer_value(json_object_get(r, "missed")), 1);
	json_decref(doc);
	json_decref((json_t *)in.alliance);
	json_decref((json_t *)in.commitments);
	json_decref((json_t *)in.trust);
}

/* Four alliances, given out of order. "pee" in Alpha replaced key K1 by
 * K3; in Beta it is "p" with K1 only, in Gamma "p-new" with K3 only:
 * one firm. s (K5, Alpha) and t (K6, Beta) are two firms until Gamma's
 * u holds both keys: then one. In Delta the home is no member. */
static void firms_across_alliances(void **state)
{
	(void)state;
	struct al_portfolio_in in[4] = {
		{ alliance("cc", "Gamma", json_pack("[o, o, o]", member("me", "K0", NULL),
			member("p-new", "K3", NULL), member("u", "K6", "K5"))),
		  json_pack("[o]", commitment("u", "me", NULL, 7, "proposed")),
		  json_pack("[o, o, o]", row("me", 0.5, 0, 0, 0), row("p-new", 0.6, 1, 0, 2),
			    row("u", 0.4, 0, 0, 0)) },
		{ alliance("bb", "Beta", json_pack("[o, o, o]", member("me", "K0", NULL),
			member("p", "K1", NULL), member("t", "K6", NULL))),
		  json_pack("[o]", commitment("p", "me", "t", 3, "proposed")),
		  json_pack("[o, o, o]", row("me", 0.5, 0, 0, 0), row("p", 0.8, 3, 1, 1.5),
			    row("t", 0.5, 0, 0, 0)) },
		{ alliance("aa", "Alpha", json_pack("[o, o, o]", member("me", "K0", NULL),
			member("pee", "K1", "K3"), member("s", "K5", NULL))),
		  json_pack("[]"),
		  json_pack("[o, o, o]", row("me", 0.5, 0, 0, 0), row("pee", 0.9, 2, 0, 0.25),
			    row("s", 0.5, 0, 0, 0)) },
		{ alliance("dd", "Delta", json_pack("[o, o]", member("x", "K8", NULL),
			member("pee", "K3", NULL))),
		  json_pack("[o]", commitment("pee", "x", NULL, 11, "accepted")),
		  json_pack("[o, o]", row("x", 0.5, 0, 0, 0), row("pee", 0.3, 0, 2, 0)) },
	};
	json_t *doc = portfolio_build("2026-02-01T00:00:00.000Z", "me", "K0", in, 4);
	assert_non_null(doc);
	const json_t *as = json_object_get(doc, "alliances");
	const char *titles[] = { "Alpha", "Beta", "Delta", "Gamma" };
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(json_string_value(json_object_get(json_array_get(as, i), "title")),
				    titles[i]);
	/* Delta: no member holds the home's key; every member is a partner. */
	const json_t *d = json_array_get(as, 2);
	assert_true(json_is_null(json_object_get(d, "me")));
	assert_true(num(d, "owes") == 0 && num(d, "owed") == 0);
	/* Firms: pee/p/p-new (and Delta's pee, K3), s/t/u, and x. */
	const json_t *ps = json_object_get(doc, "partners");
	assert_int_equal(json_array_size(ps), 3);
	const json_t *p = partner_named(doc, "pee");
	assert_non_null(p);
	assert_int_equal(json_array_size(json_object_get(p, "names")), 3); /* pee, p, p-new */
	assert_int_equal(json_array_size(json_object_get(p, "keys")), 2);
	assert_string_equal(json_string_value(json_object_get(p, "key")), "K1");
	const json_t *recs = json_object_get(p, "alliances");
	assert_int_equal(json_array_size(recs), 4);
	const char *in_order[] = { "Alpha", "Beta", "Delta", "Gamma" };
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(json_string_value(json_object_get(json_array_get(recs, i),
				    "title")), in_order[i]);
	const json_t *tot = json_object_get(p, "totals");
	assert_int_equal(json_integer_value(json_object_get(tot, "alliances")), 4);
	assert_int_equal(json_integer_value(json_object_get(tot, "fulfilled")), 6);
	assert_int_equal(json_integer_value(json_object_get(tot, "missed")), 3);
	assert_true(num(tot, "given") == 3.75);
	/* Beta's 3 to me and t: 1.5 owed to us. Delta's 11 was owed to x, not us. */
	assert_true(num(tot, "owes_us") == 1.5);
	assert_int_equal(json_integer_value(json_object_get(tot, "open")), 2);
	const json_t *s = partner_named(doc, "s");
	assert_non_null(s);
	assert_int_equal(json_array_size(json_object_get(s, "names")), 3); /* s, t, u */
	assert_int_equal(json_array_size(json_object_get(s, "alliances")), 3);
	assert_true(num(json_object_get(s, "totals"), "owes_us") == 7);
	assert_non_null(partner_named(doc, "x"));
	json_decref(doc);
	for (size_t i = 0; i < 4; i++) {
		json_decref((json_t *)in[i].alliance);
		json_decref((json_t *)in[i].commitments);
		json_decref((json_t *)in[i].trust);
	}
}

/* The home replaced its key K0 by K9: in effect in Alpha (me: K0, K9),
 * still pending in Beta (me: K0 only) while the home signs with K9. It
 * is this firm in both: Beta's "me" is not a partner, and owes there. */
static void me_across_a_key_replacement(void **state)
{
	(void)state;
	struct al_portfolio_in in[2] = {
		{ alliance("aa", "Alpha", json_pack("[o, o]", member("me", "K0", "K9"),
			member("p", "K1", NULL))),
		  json_pack("[]"),
		  json_pack("[o, o]", row("me", 0.5, 0, 0, 0), row("p", 0.6, 1, 0, 0)) },
		{ alliance("bb", "Beta", json_pack("[o, o]", member("me", "K0", NULL),
			member("p", "K1", NULL))),
		  json_pack("[o]", commitment("me", "p", NULL, 8, "accepted")),
		  json_pack("[o, o]", row("me", 0.5, 0, 0, 0), row("p", 0.6, 1, 0, 0)) },
	};
	json_t *doc = portfolio_build("2026-02-01T00:00:00.000Z", "me", "K9", in, 2);
	assert_non_null(doc);
	const json_t *as = json_object_get(doc, "alliances");
	for (size_t i = 0; i < 2; i++) {
		const json_t *a = json_array_get(as, i);
		assert_true(json_is_string(json_object_get(a, "me")));
		assert_string_equal(json_string_value(json_object_get(a, "me")), "me");
		const json_t *m = json_array_get(json_object_get(a, "members"), 0);
		assert_true(json_is_true(json_object_get(m, "me")));
		const json_t *t = json_array_get(json_object_get(a, "trust"), 0);
		assert_true(json_is_true(json_object_get(t, "me")));
	}
	assert_true(num(json_array_get(as, 1), "owes") == 8);
	/* One partner, p, in both: the home's old key is not a partner. */
	assert_int_equal(json_array_size(json_object_get(doc, "partners")), 1);
	assert_null(partner_named(doc, "me"));
	const json_t *p = partner_named(doc, "p");
	assert_non_null(p);
	assert_true(num(json_object_get(p, "totals"), "owed_by_us") == 8);
	json_decref(doc);
	for (size_t i = 0; i < 2; i++) {
		json_decref((json_t *)in[i].alliance);
		json_decref((json_t *)in[i].commitments);
		json_decref((json_t *)in[i].trust);
	}
}

/* Nothing joined: an empty portfolio; a member with no keys: no document. */
static void empty_and_bad(void **state)
{
	(void)state;
	json_t *doc = portfolio_build("2026-02-01T00:00:00.000Z", "me", "K0", NULL, 0);
	assert_non_null(doc);
	assert_int_equal(json_array_size(json_object_get(doc, "alliances")), 0);
	assert_int_equal(json_array_size(json_object_get(doc, "partners")), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "home"),
			    "key")), "K0");
	json_decref(doc);
	json_t *a = alliance("ee", "E", json_pack("[o, {s:s}]", member("me", "K0", NULL), "name",
						    "nokeys"));
	json_t *t = json_pack("[o, o]", row("me", 0.5, 0, 0, 0), row("nokeys", 0.5, 0, 0, 0));
	json_t *c = json_array();
	struct al_portfolio_in in = { a, c, t };
	assert_null(portfolio_build("2026-02-01T00:00:00.000Z", "me", "K0", &in, 1));
	json_decref(a);
	json_decref(t);
	json_decref(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_alliance),
		cmocka_unit_test(firms_across_alliances),
		cmocka_unit_test(me_across_a_key_replacement),
		cmocka_unit_test(empty_and_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
