/* portfolio_cmd.c: alliancectl portfolio: every alliance this home has
 * joined, and every partner firm across them. Each alliance is asked
 * the queries alliance, commitments and trust as trust and commitments
 * ask them (answer.c: the daemon of the home when one runs, else the
 * log), all for one evaluation time; lib/portfolio.c makes the document,
 * printed as JSON or as text. */
#include "ctl.h"
#include "err.h"
#include "file.h"
#include "hex.h"
#include "home.h"
#include "portfolio.h"
#include "portfolio_page.h"
#include "table.h"
#include "when.h"

#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char portfolio_usage[] =
	"usage: alliancectl portfolio [-H HOME] [--as-of WHEN] [--offline] [--json]\n\n"
	"Every alliance this home has joined (HOME/alliances), and every partner\n"
	"firm across them. Per alliance: its id, title and members, its\n"
	"commitments open (proposed, accepted or overdue), overdue and missed, what\n"
	"this firm owes (the value of the open commitments it promised) and is\n"
	"owed (its share, value / number of beneficiaries, of the open commitments\n"
	"promised to it), and each member's trust, uncertainty and warnings. Per\n"
	"partner firm, recognised by its signing keys (a firm that replaced its\n"
	"keys is one firm), its record in every alliance it shares with this home\n"
	"and the totals. Every number is what 'trust --json' and 'commitments\n"
	"--json' print for the alliance at the same --as-of: the same queries,\n"
	"answered from each alliance's log, all three from one state of it (the\n"
	"messages signed by --as-of), whether the daemon runs or not. A home that\n"
	"joined nothing gets an empty portfolio (exit 0). 'alliancectl report\n"
	"--portfolio -o FILE.html' writes the same as a page. docs/portfolio.md\n"
	"has the rules. Columns are as wide as their data; alliance titles are cut\n"
	"to fit $COLUMNS (or the terminal), names and numbers never.\n\n"
	"  --as-of WHEN    evaluate every alliance at this time (ISO-8601 or\n"
	"                  +/-duration; default now)\n"
	"  --offline       accepted, and changes nothing: the logs are always read\n"
	"  --json          one document: {as_of, home: {name, key},\n"
	"                  alliances: [{id, title, as_of, age_days, me, members,\n"
	"                  commitments: {total, open, proposed, accepted, overdue,\n"
	"                  missed}, owes, owed, trust: [trust --json's rows with\n"
	"                  key and me]}],\n"
	"                  partners: [{key, keys, names, alliances: [trust --json's\n"
	"                  row with alliance, title, open, overdue, owes_us,\n"
	"                  owed_by_us], totals: {alliances, fulfilled, late, missed,\n"
	"                  disputed, given, received, open, overdue, owes_us,\n"
	"                  owed_by_us, warnings}}]}\n";

/* A table of columns heads[] (the first n), the first left-aligned (a
 * name), the rest numbers; columns fitted to the data (table.h). Free
 * text (an alliance's title) is column shrink, 0 for none. */
static struct ctl_table *table_new(const char *indent, const char *const *heads, size_t n,
				   size_t shrink)
{
	struct ctl_table *t = ctl_table_new(2, indent);
	for (size_t i = 0; t && i < n; i++)
		ctl_table_col(t, heads[i], !i ? 0 : shrink && i == shrink ? CTL_TABLE_SHRINK
					    : CTL_TABLE_RIGHT);
	return t;
}

/* "1 open (1 proposed, 2 overdue)": the counts of c that are not zero. */
static void counts_print(const json_t *c)
{
	static const char *const parts[] = { "proposed", "accepted", "overdue" };
	bool first = true;
	printf("  commitments: %lld open", ctl_jint(c, "open"));
	for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
		if (!ctl_jint(c, parts[i]))
			continue;
		printf("%s%lld %s", first ? " (" : ", ", ctl_jint(c, parts[i]), parts[i]);
		first = false;
	}
	printf("%s", first ? "" : ")");
	if (ctl_jint(c, "missed"))
		printf(", %lld missed", ctl_jint(c, "missed"));
	printf(", %lld in all\n", ctl_jint(c, "total"));
}

/* One alliance's block: who, what is open and owed, the trust table. 0,
 * or -1 when memory ran out. */
static int alliance_print(const json_t *a, const char *home)
{
	static const char *const heads[] = { "PARTNER", "TRUST", "UNCERT", "FULF", "LATE",
					      "MISSED", "GIVEN", "RECEIVED" };
	const json_t *m, *r, *w;
	size_t i, k;
	char age[AL_WHENLEN];
	double ms = ctl_jreal(a, "age_days") * 86400.0 * 1000.0;
	printf("ALLIANCE %s  (id %.16s, %s old)\n", ctl_jstr(a, "title"), ctl_jstr(a, "id"),
	       when_span_of(ms < 0 ? 0 : ms, age));
	printf("  members:");
	json_array_foreach(json_object_get(a, "members"), i, m)
		printf("%s %s%s", i ? "," : "", ctl_jstr(m, "name"),
		       json_is_true(json_object_get(m, "me")) ? " (this firm)" : "");
	printf("\n");
	counts_print(json_object_get(a, "commitments"));
	if (json_is_string(json_object_get(a, "me")))
		printf("  %s owes %.2f and is owed %.2f (open commitments)\n", ctl_jstr(a, "me"),
		       ctl_jreal(a, "owes"), ctl_jreal(a, "owed"));
	else
		printf("  %s is not a member of this alliance (not yet, or no longer)\n", home);
	struct ctl_table *t = table_new("  ", heads, sizeof heads / sizeof *heads, 0);
	json_array_foreach(json_object_get(a, "trust"), i, r) {
		if (!t || json_is_true(json_object_get(r, "me")))
			continue;
		ctl_table_cell(t, ctl_jstr(r, "partner"));
		ctl_table_cellf(t, "%.4f", ctl_jreal(r, "trust"));
		ctl_table_cellf(t, "%.4f", ctl_jreal(r, "uncertainty"));
		ctl_table_cellf(t, "%lld", ctl_jint(r, "fulfilled"));
		ctl_table_cellf(t, "%lld", ctl_jint(r, "late"));
		ctl_table_cellf(t, "%lld", ctl_jint(r, "missed"));
		ctl_table_cellf(t, "%.2f", ctl_jreal(r, "given"));
		ctl_table_cellf(t, "%.2f", ctl_jreal(r, "received"));
	}
	int rc = !t || ctl_table_print(t, stdout, ctl_table_columns()) ? -1 : 0;
	ctl_table_destroy(&t);
	json_array_foreach(json_object_get(a, "trust"), i, r)
		json_array_foreach(json_object_get(r, "warnings"), k, w)
			printf("  WARNING %s: %s\n", ctl_jstr(r, "partner"), json_string_value(w));
	return rc;
}

/* The partners across alliances: a line per alliance, then, for a
 * partner in more than one, the totals (the name and the cells that do
 * not add up, trust and uncertainty, left empty). 0, or -1 when memory
 * ran out. */
static int partners_print(const json_t *partners)
{
	static const char *const heads[] = { "PARTNER", "ALLIANCE", "TRUST", "UNCERT", "FULF",
					      "LATE", "MISSED", "OPEN", "OVERDUE", "GIVEN",
					      "RECEIVED", "OWES-US", "WE-OWE" };
	static const char *const counts[] = { "fulfilled", "late", "missed", "open", "overdue" };
	static const char *const values[] = { "given", "received", "owes_us", "owed_by_us" };
	const json_t *p, *r;
	size_t i, k, c;
	struct ctl_table *t = table_new("", heads, sizeof heads / sizeof *heads, 1);
	json_array_foreach(partners, i, p) {
		const json_t *tot = json_object_get(p, "totals");
		json_array_foreach(json_object_get(p, "alliances"), k, r) {
			if (!t)
				break;
			ctl_table_cell(t, ctl_jstr(r, "partner"));
			ctl_table_cell(t, ctl_jstr(r, "title"));
			ctl_table_cellf(t, "%.4f", ctl_jreal(r, "trust"));
			ctl_table_cellf(t, "%.4f", ctl_jreal(r, "uncertainty"));
			for (c = 0; c < sizeof counts / sizeof *counts; c++)
				ctl_table_cellf(t, "%lld", ctl_jint(r, counts[c]));
			for (c = 0; c < sizeof values / sizeof *values; c++)
				ctl_table_cellf(t, "%.2f", ctl_jreal(r, values[c]));
		}
		if (!t)
			break;
		if (json_array_size(json_object_get(p, "alliances")) < 2)
			continue; /* the totals are its one line */
		ctl_table_cell(t, "");
		ctl_table_cell(t, "total");
		ctl_table_cell(t, "");
		ctl_table_cell(t, "");
		for (c = 0; c < sizeof counts / sizeof *counts; c++)
			ctl_table_cellf(t, "%lld", ctl_jint(tot, counts[c]));
		for (c = 0; c < sizeof values / sizeof *values; c++)
			ctl_table_cellf(t, "%.2f", ctl_jreal(tot, values[c]));
	}
	printf("PARTNERS ACROSS ALLIANCES\n");
	int rc = !t || ctl_table_print(t, stdout, ctl_table_columns()) ? -1 : 0;
	ctl_table_destroy(&t);
	return rc;
}

/* The text view of the document, escaped in place (names, titles and
 * warnings are the members' text). */
static int portfolio_print(json_t *doc)
{
	const json_t *a;
	size_t i;
	if (ctl_json_escape(doc))
		return ctl_error("out of memory");
	const json_t *home = json_object_get(doc, "home");
	const json_t *alliances = json_object_get(doc, "alliances");
	printf("PORTFOLIO of %s (key %.16s) as of %s: %zu alliance%s, %zu partner firm%s\n",
	       ctl_jstr(home, "name"), ctl_jstr(home, "key"), ctl_jstr(doc, "as_of"), json_array_size(alliances),
	       json_array_size(alliances) == 1 ? "" : "s",
	       json_array_size(json_object_get(doc, "partners")),
	       json_array_size(json_object_get(doc, "partners")) == 1 ? "" : "s");
	if (!json_array_size(alliances)) {
		printf("this home has joined no alliance yet (run 'alliancectl join CHARTER')\n");
		return 0;
	}
	json_array_foreach(alliances, i, a) {
		printf("\n");
		if (alliance_print(a, ctl_jstr(home, "name")))
			return ctl_error("out of memory");
	}
	printf("\n");
	if (partners_print(json_object_get(doc, "partners")))
		return ctl_error("out of memory");
	return 0;
}

/* The three answers about alliance sel (its hex id) of home, from one
 * ledger of its log as of q->as_of (ctl_answer_all), with or without
 * --as-of: three questions to the daemon could straddle a message's
 * arrival, and then the members, the commitments and the trust of one
 * alliance would disagree (and each --as-of a replay on its thread). */
static int ask(const char *home, const char *sel, bool verify, const struct al_query *q,
	       json_t *ans[3])
{
	static const char *const what[3] = { "alliance", "commitments", "trust" };
	struct al_query qs[3];
	char why[AL_ERRLEN];
	for (int i = 0; i < 3; i++) {
		qs[i] = *q;
		qs[i].what = (char *)what[i];
	}
	if (ctl_answer_all(home, NULL, sel, verify, q->as_of, qs, 3, ans, why))
		return CTL_EXIT_FAIL;
	for (int i = 0; i < 3; i++)
		if (!ans[i])
			return ctl_error("alliance %s of home '%s': %s", sel, home, why);
	return 0;
}

int ctl_portfolio(const char *dir, bool verify, const struct al_query *query, json_t **doc)
{
	struct al_query q = *query;
	char why[AL_ERRLEN];
	*doc = NULL;
	/* This firm: the home's member, by its signing key. */
	struct al_home *h;
	if (home_open(dir, &h, why))
		return ctl_error("%s", why);
	char key[2 * AL_KEYLEN + 1], name[sizeof h->self.name];
	hex_encode(h->self.sign_key.b, AL_KEYLEN, key);
	snprintf(name, sizeof name, "%s", h->self.name);
	home_close(&h);

	al_hash *ids;
	size_t n;
	if (home_alliances(dir, &ids, &n, why))
		return ctl_error("%s", why);
	struct al_portfolio_in *in = calloc(n ? n : 1, sizeof *in);
	json_t **ans = calloc(3 * n + 1, sizeof *ans);
	int rc = in && ans ? 0 : ctl_error("out of memory");
	for (size_t i = 0; !rc && i < n; i++) {
		char sel[2 * AL_HASHLEN + 1];
		hex_encode(ids[i].b, AL_HASHLEN, sel);
		rc = ask(dir, sel, verify, &q, &ans[3 * i]);
		in[i] = (struct al_portfolio_in){ ans[3 * i], ans[3 * i + 1], ans[3 * i + 2] };
	}
	if (!rc) {
		char at[AL_WHENLEN];
		*doc = portfolio_build(when_format(q.as_of, at), name, key, in, n);
		if (!*doc)
			rc = ctl_error("cannot make the portfolio of home '%s': out of memory, or an "
				       "answer lacks a member's keys", dir);
	}
	for (size_t i = 0; ans && i < 3 * n; i++)
		json_decref(ans[i]);
	free(ans);
	free(in);
	free(ids);
	return rc;
}

int ctl_portfolio_page(const char *dir, bool verify, const struct al_query *q, const char *out)
{
	json_t *doc;
	char why[AL_ERRLEN];
	if (ctl_portfolio(dir, verify, q, &doc))
		return CTL_EXIT_FAIL;
	char *page = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&page, &len);
	int rc = !f || portfolio_page_write(f, doc);
	if (f)
		fclose(f);
	json_decref(doc);
	if (rc) {
		free(page);
		return ctl_error("cannot write the portfolio page: out of memory");
	}
	/* Written whole or not at all, as report writes its page. */
	rc = file_replace(out, page, len, 0644, why);
	free(page);
	if (rc)
		return ctl_error("report --portfolio: -o %s: %s", out, why);
	return 0;
}

int cmd_portfolio(int argc, char **argv)
{
	enum { O_JSON = 256, O_ASOF, O_OFFLINE };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, O_JSON },
		{ "as-of", required_argument, NULL, O_ASOF },
		{ "offline", no_argument, NULL, O_OFFLINE },
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *home_opt = NULL;
	int opt, json = 0;
	struct al_query q = { .as_of = when_now(), .now = true, .name = (char *)"",
			      .state = (char *)"" };
	char why[AL_ERRLEN];
	optind = 1;
	while ((opt = getopt_long(argc, argv, "hH:", opts, NULL)) != -1) {
		switch (opt) {
		case 'h': fputs(portfolio_usage, stdout); return 0;
		case 'H': home_opt = optarg; break;
		case O_JSON: json = 1; break;
		case O_OFFLINE: break; /* the logs are always read */
		case O_ASOF:
			if (when_parse(optarg, when_now(), &q.as_of, why))
				return ctl_usage("portfolio", "--as-of: %s", why);
			q.now = false;
			break;
		default: return ctl_usage("portfolio", "bad option");
		}
	}
	if (optind < argc)
		return ctl_usage("portfolio", "unexpected argument '%s' (give the home with -H HOME)",
				 argv[optind]);
	const char *dir = ctl_home(home_opt);
	if (!dir)
		return CTL_EXIT_USAGE;
	json_t *doc;
	if (ctl_portfolio(dir, false, &q, &doc))
		return CTL_EXIT_FAIL;
	if (json)
		return ctl_print_json(doc);
	int rc = portfolio_print(doc);
	json_decref(doc);
	return rc;
}
