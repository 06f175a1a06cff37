/* portfolio.c: the portfolio document (portfolio.h) from the queries'
 * answers about each alliance. Never prints, never reads a file and never
 * recomputes what a query answered: trust rows are copied as they came,
 * and only the commitments' counts and values are summed here. */
#include "portfolio.h"

#include <stdlib.h>
#include <string.h>

#include "trust.h"

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

bool portfolio_open_state(const char *state)
{
	return !strcmp(state, "proposed") || !strcmp(state, "accepted") ||
	       !strcmp(state, "overdue");
}

/* A sum of values, as shown: rounded as trust rounds what it prints, so
 * that the shares of a value split three ways add up the same everywhere. */
static json_t *value(double x)
{
	return json_real(trust_round(x));
}

static bool has_key(const json_t *keys, const char *key)
{
	size_t i;
	json_t *k;
	json_array_foreach(keys, i, k)
		if (!strcmp(json_string_value(k) ? json_string_value(k) : "", key))
			return true;
	return false;
}

static bool share_key(const json_t *a, const json_t *b)
{
	size_t i;
	json_t *k;
	json_array_foreach(a, i, k)
		if (json_is_string(k) && has_key(b, json_string_value(k)))
			return true;
	return false;
}

/* Every signing key that acted for member m (query "alliance": "keys"). */
static const json_t *keys_of(const json_t *m)
{
	const json_t *k = json_object_get(m, "keys");
	return json_is_array(k) && json_array_size(k) ? k : NULL;
}

static const json_t *member_named(const json_t *alliance, const char *name)
{
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(alliance, "members"), i, m)
		if (!strcmp(str(m, "name"), name))
			return m;
	return NULL;
}

/* The row of the trust answer for the member named name, or -1. */
static long row_of(const json_t *trust, const char *name)
{
	size_t i;
	json_t *r;
	json_array_foreach(trust, i, r)
		if (!strcmp(str(r, "partner"), name))
			return (long)i;
	return -1;
}

/* What one alliance's commitments say, for this firm and per trust row. */
struct tally {
	json_int_t open, overdue; /* open commitments the member promised, overdue among them */
	double owes_us;    /* its open promises to this firm: this firm's shares */
	double owed_by_us; /* this firm's open promises to it: its shares */
};

struct sums {
	json_int_t total, proposed, accepted, overdue, missed;
	double owes, owed; /* this firm's: what it promised, its shares of what it is promised */
	struct tally *row; /* per trust row */
};

/* Sum the commitments of one alliance; me is this firm's name there
 * (NULL: not a member). */
static void tally(const json_t *commitments, const json_t *trust, const char *me,
		  struct sums *s)
{
	size_t i, b;
	json_t *c, *to;
	json_array_foreach(commitments, i, c) {
		const char *st = str(c, "state"), *promisor = str(c, "promisor");
		const json_t *tos = json_object_get(c, "to");
		long p = row_of(trust, promisor);
		s->total++;
		s->proposed += !strcmp(st, "proposed");
		s->accepted += !strcmp(st, "accepted");
		s->overdue += !strcmp(st, "overdue");
		s->missed += !strcmp(st, "missed");
		if (!portfolio_open_state(st) || !json_array_size(tos))
			continue;
		/* A value promised to several is owed to each in equal shares,
		 * as trust counts what each one received. */
		double v = (double)json_integer_value(json_object_get(c, "value"));
		double share = v / (double)json_array_size(tos);
		bool mine = me && !strcmp(promisor, me);
		if (p >= 0) {
			s->row[p].open++;
			s->row[p].overdue += !strcmp(st, "overdue");
		}
		if (mine)
			s->owes += v;
		json_array_foreach(tos, b, to) {
			const char *who = json_string_value(to) ? json_string_value(to) : "";
			long k = row_of(trust, who);
			if (mine && k >= 0)
				s->row[k].owed_by_us += share;
			if (me && !strcmp(who, me)) {
				s->owed += share;
				if (p >= 0)
					s->row[p].owes_us += share;
			}
		}
	}
}

/* One alliance's object of the document. */
static json_t *alliance_json(const struct al_portfolio_in *in, const char *me,
			     const struct sums *s)
{
	const json_t *a = in->alliance;
	json_t *members = json_array(), *rows = json_array(), *m, *r;
	size_t i;
	json_array_foreach(json_object_get(a, "members"), i, m) {
		json_t *c = json_deep_copy(m);
		json_object_set_new(c, "me", json_boolean(me && !strcmp(str(m, "name"), me)));
		json_array_append_new(members, c);
	}
	json_array_foreach(in->trust, i, r) {
		const json_t *mm = member_named(a, str(r, "partner"));
		json_t *c = json_deep_copy(r);
		json_object_set_new(c, "key", json_string(mm ? str(mm, "key") : ""));
		json_object_set_new(c, "me", json_boolean(me && !strcmp(str(r, "partner"), me)));
		json_array_append_new(rows, c);
	}
	return json_pack("{s:s, s:s, s:O, s:O, s:o, s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:o, "
			 "s:o, s:o}", "id", str(a, "id"), "title", str(a, "title"), "as_of",
			 json_object_get(a, "as_of"), "age_days", json_object_get(a, "age_days"),
			 "me", me ? json_string(me) : json_null(), "members", members,
			 "commitments", "total", s->total, "open",
			 s->proposed + s->accepted + s->overdue, "proposed", s->proposed,
			 "accepted", s->accepted, "overdue", s->overdue, "missed", s->missed,
			 "owes", value(s->owes), "owed", value(s->owed), "trust", rows);
}

/* Partner firms: groups of keys, merged whenever a member's keys meet two
 * of them (a firm that replaced its keys in one alliance and not yet in
 * another is one firm). groups is an array of arrays of keys. */
static int group_member(json_t *groups, const json_t *keys)
{
	long first = -1;
	for (size_t g = 0; g < json_array_size(groups); g++) {
		json_t *gk = json_array_get(groups, g);
		if (!share_key(gk, keys))
			continue;
		if (first < 0) {
			first = (long)g;
			continue;
		}
		json_t *into = json_array_get(groups, (size_t)first);
		size_t i;
		json_t *k;
		json_array_foreach(gk, i, k)
			if (!has_key(into, json_string_value(k)) && json_array_append(into, k))
				return -1;
		if (json_array_remove(groups, g--))
			return -1;
	}
	json_t *into = first < 0 ? json_array() : json_array_get(groups, (size_t)first);
	size_t i;
	json_t *k;
	if (!into || (first < 0 && json_array_append_new(groups, into)))
		return -1;
	json_array_foreach(keys, i, k)
		if (!has_key(into, json_string_value(k)) && json_array_append(into, k))
			return -1;
	return 0;
}

static size_t group_of(const json_t *groups, const json_t *keys)
{
	size_t g = 0;
	while (g < json_array_size(groups) && !share_key(json_array_get(groups, g), keys))
		g++;
	return g;
}

struct total {
	json_int_t alliances, fulfilled, late, missed, disputed, open, overdue, warnings;
	double given, received, owes_us, owed_by_us;
};

static json_int_t count(const json_t *row, const char *key)
{
	return json_integer_value(json_object_get(row, key));
}

/* Add alliance a's record of the partner of trust row r (with what its
 * commitments say, t) to partner p and its totals. */
static int add_record(json_t *p, struct total *tot, const json_t *a, const json_t *r,
		      const struct tally *t)
{
	json_t *rec = json_deep_copy(r), *names = json_object_get(p, "names");
	if (!rec)
		return -1;
	json_object_set_new(rec, "alliance", json_string(str(a, "id")));
	json_object_set_new(rec, "title", json_string(str(a, "title")));
	json_object_set_new(rec, "open", json_integer(t->open));
	json_object_set_new(rec, "overdue", json_integer(t->overdue));
	json_object_set_new(rec, "owes_us", value(t->owes_us));
	json_object_set_new(rec, "owed_by_us", value(t->owed_by_us));
	if (json_array_append_new(json_object_get(p, "alliances"), rec))
		return -1;
	if (!has_key(names, str(r, "partner")) &&
	    json_array_append_new(names, json_string(str(r, "partner"))))
		return -1;
	/* Totals of what the rows show (rounded as shown), so that a reader
	 * adding up the column finds the total. */
	tot->alliances++;
	tot->fulfilled += count(r, "fulfilled");
	tot->late += count(r, "late");
	tot->missed += count(r, "missed");
	tot->disputed += count(r, "disputed");
	tot->open += t->open;
	tot->overdue += t->overdue;
	tot->warnings += (json_int_t)json_array_size(json_object_get(r, "warnings"));
	tot->given += json_number_value(json_object_get(r, "given"));
	tot->received += json_number_value(json_object_get(r, "received"));
	tot->owes_us += trust_round(t->owes_us);
	tot->owed_by_us += trust_round(t->owed_by_us);
	return 0;
}

/* Alliances by title, then id: the same order whatever order a home's
 * directory lists them in. */
static int by_title(const void *x, const void *y)
{
	const struct al_portfolio_in *a = *(const struct al_portfolio_in *const *)x;
	const struct al_portfolio_in *b = *(const struct al_portfolio_in *const *)y;
	int c = strcmp(str(a->alliance, "title"), str(b->alliance, "title"));
	return c ? c : strcmp(str(a->alliance, "id"), str(b->alliance, "id"));
}

/* Partners by their first name, then key. */
static int by_name(const void *x, const void *y)
{
	const json_t *a = *(const json_t *const *)x, *b = *(const json_t *const *)y;
	int c = strcmp(json_string_value(json_array_get(json_object_get(a, "names"), 0)),
		       json_string_value(json_array_get(json_object_get(b, "names"), 0)));
	return c ? c : strcmp(str(a, "key"), str(b, "key"));
}

/* This firm's keys: home_key and every key of a member, in any alliance,
 * that shares one with them, until none is added (the firm recognised
 * across alliances, as partners are). A key replacement in effect in one
 * alliance and pending in another makes one member hold the old and the
 * new key there and the other only the old one: both are this firm. The
 * caller's (json_decref); NULL when memory ran out. */
static json_t *my_keys(const struct al_portfolio_in *in, size_t n, const char *home_key)
{
	json_t *mine = json_pack("[s]", home_key);
	bool grew = mine != NULL;
	while (grew) {
		grew = false;
		for (size_t i = 0; i < n; i++) {
			size_t j, k;
			json_t *m, *key;
			json_array_foreach(json_object_get(in[i].alliance, "members"), j, m) {
				if (!keys_of(m) || !share_key(keys_of(m), mine))
					continue;
				json_array_foreach(keys_of(m), k, key) {
					if (!json_is_string(key) ||
					    has_key(mine, json_string_value(key)))
						continue;
					if (json_array_append(mine, key)) {
						json_decref(mine);
						return NULL;
					}
					grew = true;
				}
			}
		}
	}
	return mine;
}

/* This firm's name in alliance a: the member whose keys meet mine. */
static const char *me_in(const json_t *a, const json_t *mine)
{
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(a, "members"), i, m)
		if (keys_of(m) && share_key(keys_of(m), mine))
			return str(m, "name");
	return NULL;
}

json_t *portfolio_build(const char *as_of, const char *home_name, const char *home_key,
			const struct al_portfolio_in *in, size_t n)
{
	const struct al_portfolio_in **order = calloc(n ? n : 1, sizeof *order);
	struct sums *sums = calloc(n ? n : 1, sizeof *sums);
	json_t *doc = NULL, *alliances = json_array(), *groups = json_array(), *partners = NULL;
	json_t *mine = my_keys(in, n, home_key);
	struct total *tot = NULL;
	const json_t **sorted = NULL;
	bool ok = order && sums && alliances && groups && mine;
	for (size_t i = 0; ok && i < n; i++)
		order[i] = &in[i];
	if (ok && n)
		qsort(order, n, sizeof *order, by_title);

	/* Each alliance, and the firms its partners are. */
	for (size_t i = 0; ok && i < n; i++) {
		const json_t *a = order[i]->alliance, *m, *r;
		const char *me = me_in(a, mine);
		size_t k;
		sums[i].row = calloc(json_array_size(order[i]->trust) + 1, sizeof *sums[i].row);
		if (!(ok = sums[i].row != NULL))
			break;
		tally(order[i]->commitments, order[i]->trust, me, &sums[i]);
		ok = !json_array_append_new(alliances, alliance_json(order[i], me, &sums[i]));
		/* The partners with a row in the trust table: each firm then
		 * has a record in some alliance. */
		json_array_foreach(order[i]->trust, k, r) {
			if (!ok)
				break;
			if (me && !strcmp(str(r, "partner"), me))
				continue;
			m = member_named(a, str(r, "partner"));
			ok = m && keys_of(m) && !group_member(groups, keys_of(m));
		}
	}

	/* Each firm's record in every alliance, in the alliances' order. */
	size_t ng = json_array_size(groups);
	if (ok && !(tot = calloc(ng + 1, sizeof *tot)))
		ok = false;
	if (ok && !(partners = json_array()))
		ok = false;
	for (size_t g = 0; ok && g < ng; g++) {
		json_t *keys = json_array_get(groups, g);
		ok = !json_array_append_new(partners, json_pack("{s:O, s:O, s:[], s:[]}", "key",
			json_array_get(keys, 0), "keys", keys, "names", "alliances"));
	}
	for (size_t i = 0; ok && i < n; i++) {
		const json_t *a = order[i]->alliance, *r;
		const char *me = me_in(a, mine);
		size_t k;
		json_array_foreach(order[i]->trust, k, r) {
			const json_t *m = member_named(a, str(r, "partner"));
			if (!m || !keys_of(m) || (me && !strcmp(str(r, "partner"), me)))
				continue;
			size_t g = group_of(groups, keys_of(m));
			if (g == ng || add_record(json_array_get(partners, g), &tot[g], a, r,
						  &sums[i].row[k])) {
				ok = false;
				break;
			}
		}
	}
	for (size_t g = 0; ok && g < ng; g++) {
		const struct total *t = &tot[g];
		ok = !json_object_set_new(json_array_get(partners, g), "totals",
			json_pack("{s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:I, s:I, s:o, s:o, s:I}",
				  "alliances", t->alliances, "fulfilled", t->fulfilled, "late",
				  t->late, "missed", t->missed, "disputed", t->disputed, "given",
				  value(t->given), "received", value(t->received), "open", t->open,
				  "overdue", t->overdue, "owes_us", value(t->owes_us), "owed_by_us",
				  value(t->owed_by_us), "warnings", t->warnings));
	}
	if (ok && ng) {
		if (!(sorted = calloc(ng, sizeof *sorted)))
			ok = false;
		for (size_t g = 0; ok && g < ng; g++)
			sorted[g] = json_incref(json_array_get(partners, g));
		if (ok) {
			qsort(sorted, ng, sizeof *sorted, by_name);
			json_array_clear(partners);
			for (size_t g = 0; g < ng; g++)
				ok = !json_array_append_new(partners, (json_t *)sorted[g]) && ok;
		}
	}
	if (ok)
		doc = json_pack("{s:s, s:{s:s, s:s}, s:O, s:O}", "as_of", as_of, "home", "name",
				home_name, "key", home_key, "alliances", alliances, "partners",
				partners);
	for (size_t i = 0; sums && i < n; i++)
		free(sums[i].row);
	free(sums);
	free(order);
	free(tot);
	free(sorted);
	json_decref(alliances);
	json_decref(mine);
	json_decref(groups);
	json_decref(partners);
	return doc;
}
