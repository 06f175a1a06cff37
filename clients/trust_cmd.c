/* trust_cmd.c: alliancectl trust: the trust table at an evaluation time;
 * with a NAME, the evidence behind that partner's score. Answered by the
 * daemon of the home when one runs, else computed from the log (answer.c);
 * printed from the answer's JSON (query.h) either way. */
#include "csv.h"
#include "ctl.h"
#include "err.h"
#include "query.h"
#include "table.h"
#include "trust.h"
#include "when.h"

#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char trust_usage[] =
	"usage: alliancectl trust [NAME] [HOME|LOG] [-H HOME] [--alliance ID|TITLE]\n"
	"                         [--charter FILE] [--as-of WHEN] [--offline] [--verify]\n"
	"                         [--json|--csv]\n"
	"       alliancectl trust --series STEP [--since WHEN] [--as-of WHEN] [HOME|LOG] ...\n"
	"                         [--json|--csv]\n\n"
	"The trust table: per partner, trust and its uncertainty, commitments\n"
	"fulfilled, late, missed and disputed, value given and received, and\n"
	"reciprocity, with warnings that name their evidence. It is computed from\n"
	"the signed log and the evaluation time alone, with the charter's\n"
	"parameters, so every member and any auditor gets the same table for the\n"
	"same --as-of (docs/trust.md has the model). The daemon of the home answers\n"
	"when it runs (from the ledger it holds: nothing is read again); with none,\n"
	"or for a log, an alliance directory or --charter, the log is read here.\n"
	"Same output either way. Columns are as wide as their data (the table has\n"
	"no free text to cut to $COLUMNS).\n\n"
	"  NAME            explain one partner: every piece of evidence, its weight,\n"
	"                  age and decay, and the value exchanged with each partner\n"
	"  --as-of WHEN    evaluate at this time (ISO-8601 or +/-duration; default now)\n"
	"  --offline       read the log even when the daemon runs\n"
	"  --verify        read the log and verify every signature of a home's own\n"
	"                  log too (a bare log file always is; the home's were\n"
	"                  verified on admission)\n"
	"  --json          an array of {partner, trust, uncertainty, fulfilled, late,\n"
	"                  missed, disputed, given, received, reciprocity, warnings};\n"
	"                  with NAME, that object with \"as_of\", \"positive\",\n"
	"                  \"negative\", \"evidence\" and \"pairs\"\n"
	"  --csv           the table as CSV (RFC 4180, a header line): partner, trust,\n"
	"                  uncertainty, fulfilled, late, missed, disputed, given,\n"
	"                  received, reciprocity (empty when nothing was received),\n"
	"                  warnings (joined with \"; \"); numbers as --json prints them;\n"
	"                  text as it is to a file or pipe (escaped on a terminal),\n"
	"                  a field starting with = + - @ with a leading ' (no\n"
	"                  spreadsheet formula); not with NAME\n"
	"  --series STEP   the table at every STEP (a duration: 1h, 1d, 7d) from\n"
	"                  --since to --as-of, and at --as-of itself when it is not on\n"
	"                  a step (at most 10000 points). Each point's rows are those\n"
	"                  of trust --as-of POINT, computed here in one pass over the\n"
	"                  log (never by the daemon: it would stop serving meanwhile).\n"
	"                  Text: one table a point; --json: one flat array of the rows\n"
	"                  with \"as_of\" added, by point then partner; --csv: as_of,\n"
	"                  then the --csv columns. Not with NAME\n"
	"  --since WHEN    the first point of --series (default: the charter's\n"
	"                  creation)\n";

/* The CSV columns of the table (csv.h); a series puts as_of first. */
static const struct csv_col trust_cols[] = {
	{ "as_of", NULL },   { "partner", NULL },  { "trust", NULL },    { "uncertainty", NULL },
	{ "fulfilled", NULL }, { "late", NULL },   { "missed", NULL },   { "disputed", NULL },
	{ "given", NULL },   { "received", NULL }, { "reciprocity", NULL }, { "warnings", "; " },
};
#define TRUST_COLS (sizeof trust_cols / sizeof *trust_cols)

json_t *ctl_trust_json(const struct al_roster *ro, const struct al_trust *t)
{
	return query_trust_table(ro, t);
}

/* trust NAME as text, from the answer's JSON (query.h), escaped in place:
 * names and ids are the members' text. */
static int explain_print(json_t *j)
{
	json_t *e;
	size_t i;
	if (ctl_json_escape(j))
		return ctl_error("out of memory");
	printf("%s: trust %.4f, uncertainty %.4f (r %.4f, s %.4f) as of %s\n", ctl_jstr(j, "partner"),
	       ctl_jreal(j, "trust"), ctl_jreal(j, "uncertainty"), ctl_jreal(j, "positive"), ctl_jreal(j, "negative"),
	       ctl_jstr(j, "as_of"));
	if (!json_array_size(json_object_get(j, "evidence")))
		printf("  no evidence yet: trust starts at 0.5 with full uncertainty\n");
	/* Ids and names as wide as they come (table.h); the numbers' widths
	 * are fixed. */
	struct ctl_table *ev = ctl_table_new(1, "  "), *pairs = ctl_table_new(2, "  with ");
	for (int c = 0; ev && c < 4; c++)
		ctl_table_col(ev, "", 0);
	for (int c = 0; pairs && c < 2; c++)
		ctl_table_col(pairs, "", 0);
	json_array_foreach(json_object_get(j, "evidence"), i, e) {
		if (!ev)
			break;
		ctl_table_cell(ev, ctl_jstr(e, "id"));
		ctl_table_cell(ev, ctl_jstr(e, "outcome"));
		ctl_table_cell(ev, ctl_jstr(e, "at"));
		ctl_table_cellf(ev, " age %7.2f d  weight %6.2f  decay %.4f  +%.4f -%.4f",
				ctl_jreal(e, "age_days"), ctl_jreal(e, "weight"), ctl_jreal(e, "decay"),
				ctl_jreal(e, "positive"), ctl_jreal(e, "negative"));
	}
	json_array_foreach(json_object_get(j, "pairs"), i, e) {
		if (!pairs)
			break;
		ctl_table_cell(pairs, ctl_jstr(e, "partner"));
		ctl_table_cellf(pairs, "delivered to it %10.2f, received from it %10.2f",
				ctl_jreal(e, "delivered_to"), ctl_jreal(e, "received_from"));
	}
	int bad = !ev || !pairs || ctl_table_print(ev, stdout, ctl_table_columns()) ||
		  ctl_table_print(pairs, stdout, ctl_table_columns());
	ctl_table_destroy(&ev);
	ctl_table_destroy(&pairs);
	if (bad)
		return ctl_error("out of memory");
	json_array_foreach(json_object_get(j, "warnings"), i, e)
		printf("  WARNING %s\n", json_string_value(e));
	return 0;
}

/* The trust table as text, from its JSON (query_trust_table), escaped in
 * place; columns fitted to the data and the terminal (table.h). */
static int table_print(json_t *v)
{
	static const struct { const char *h; unsigned flags; } cols[] = {
		{ "PARTNER", 0 }, { "TRUST", CTL_TABLE_RIGHT }, { "UNCERT", CTL_TABLE_RIGHT },
		{ "FULF", CTL_TABLE_RIGHT }, { "LATE", CTL_TABLE_RIGHT },
		{ "MISSED", CTL_TABLE_RIGHT }, { "DISPUTED", CTL_TABLE_RIGHT },
		{ "GIVEN", CTL_TABLE_RIGHT }, { "RECEIVED", CTL_TABLE_RIGHT },
		{ "RECIP", CTL_TABLE_RIGHT },
	};
	struct ctl_table *t = ctl_table_new(2, "");
	json_t *r, *w;
	size_t i, k;
	if (!v || !t || ctl_json_escape(v)) {
		ctl_table_destroy(&t);
		return ctl_error("out of memory");
	}
	for (i = 0; i < sizeof cols / sizeof cols[0]; i++)
		ctl_table_col(t, cols[i].h, cols[i].flags);
	json_array_foreach(v, i, r) {
		ctl_table_cell(t, ctl_jstr(r, "partner"));
		ctl_table_cellf(t, "%.4f", ctl_jreal(r, "trust"));
		ctl_table_cellf(t, "%.4f", ctl_jreal(r, "uncertainty"));
		ctl_table_cellf(t, "%lld", (long long)json_integer_value(json_object_get(r, "fulfilled")));
		ctl_table_cellf(t, "%lld", (long long)json_integer_value(json_object_get(r, "late")));
		ctl_table_cellf(t, "%lld", (long long)json_integer_value(json_object_get(r, "missed")));
		ctl_table_cellf(t, "%lld", (long long)json_integer_value(json_object_get(r, "disputed")));
		ctl_table_cellf(t, "%.2f", ctl_jreal(r, "given"));
		ctl_table_cellf(t, "%.2f", ctl_jreal(r, "received"));
		if (json_is_number(json_object_get(r, "reciprocity")))
			ctl_table_cellf(t, "%.2f", ctl_jreal(r, "reciprocity"));
		else
			ctl_table_cell(t, "-");
	}
	int rc = ctl_table_print(t, stdout, ctl_table_columns());
	ctl_table_destroy(&t);
	if (rc)
		return ctl_error("out of memory");
	json_array_foreach(v, i, r)
		json_array_foreach(json_object_get(r, "warnings"), k, w)
			printf("WARNING %s: %s\n", ctl_jstr(r, "partner"), json_string_value(w));
	return 0;
}

/* The series as text: a table a point, its rows split out of the flat
 * array by as_of. */
static int series_print(json_t *v)
{
	json_t *r, *point = json_array();
	size_t i;
	int rc = point ? 0 : ctl_error("out of memory");
	json_array_foreach(v, i, r) {
		const char *at = ctl_jstr(r, "as_of");
		json_array_append(point, r);
		json_t *next = json_array_get(v, i + 1);
		if (rc || (next && !strcmp(ctl_jstr(next, "as_of"), at)))
			continue;
		char esc[4 * AL_WHENLEN];
		printf("%sas of %s\n", i + 1 == json_array_size(point) ? "" : "\n",
		       ctl_esc(at, esc, sizeof esc));
		rc = table_print(point); /* escapes its rows in place: v's too */
		json_array_clear(point);
	}
	json_decref(point);
	return rc;
}

void ctl_trust_print(const struct al_roster *ro, const struct al_trust *t)
{
	json_t *v = query_trust_table(ro, t);
	table_print(v);
	json_decref(v);
}

int cmd_trust(int argc, char **argv)
{
	enum { O_JSON = 256, O_ASOF, O_ALLIANCE, O_CHARTER, O_OFFLINE, O_VERIFY, O_CSV, O_SERIES,
	       O_SINCE };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, O_JSON },
		{ "csv", no_argument, NULL, O_CSV },
		{ "series", required_argument, NULL, O_SERIES },
		{ "since", required_argument, NULL, O_SINCE },
		{ "as-of", required_argument, NULL, O_ASOF },
		{ "alliance", required_argument, NULL, O_ALLIANCE },
		{ "charter", required_argument, NULL, O_CHARTER },
		{ "offline", no_argument, NULL, O_OFFLINE },
		{ "verify", no_argument, NULL, O_VERIFY },
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *home_opt = NULL, *sel = NULL, *charter_path = NULL, *name = NULL, *arg = NULL;
	int opt, json = 0, csv = 0;
	bool offline = false, verify = false, since = false;
	struct al_query q = { .what = (char *)"trust", .as_of = when_now(), .now = true,
			      .name = (char *)"", .state = (char *)"" };
	char why[AL_ERRLEN];
	optind = 1;
	while ((opt = getopt_long(argc, argv, "hH:", opts, NULL)) != -1) {
		switch (opt) {
		case 'h': fputs(trust_usage, stdout); return 0;
		case 'H': home_opt = optarg; break;
		case O_JSON: json = 1; break;
		case O_CSV: csv = 1; break;
		case O_SERIES:
			if (duration_parse(optarg, &q.step, why))
				return ctl_usage("trust", "--series: %s: give the step between points, "
						 "e.g. --series 1d", why);
			if (!q.step)
				return ctl_usage("trust", "--series: '%s' is not a step: give a positive "
						 "duration, e.g. --series 1d (or 1h, 7d, 2w)", optarg);
			q.what = (char *)"series";
			break;
		case O_SINCE:
			if (when_parse(optarg, when_now(), &q.since, why))
				return ctl_usage("trust", "--since: %s", why);
			since = true;
			break;
		case O_ALLIANCE: sel = optarg; break;
		case O_CHARTER: charter_path = optarg; break;
		case O_OFFLINE: offline = true; break;
		case O_VERIFY: verify = true; break;
		case O_ASOF:
			if (when_parse(optarg, when_now(), &q.as_of, why))
				return ctl_usage("trust", "--as-of: %s", why);
			q.now = false;
			break;
		default: return ctl_usage("trust", "bad option");
		}
	}
	if (ctl_name_and_log("trust", argc, argv, optind, &name, &arg))
		return CTL_EXIT_USAGE;
	if (json && csv)
		return ctl_usage("trust", "give --json or --csv, not both");
	if (name && (csv || q.step))
		return ctl_usage("trust", "%s shows the table, not one partner: drop '%s' (or "
				 "see it with 'trust %s --as-of WHEN')", q.step ? "--series" : "--csv",
				 name, name);
	if (since && !q.step)
		return ctl_usage("trust", "--since is the first point of --series: give --series STEP "
				 "too, e.g. --series 1d");
	if (since && !q.since)
		q.since = 1; /* 0 means the charter's creation: 1 ms later shows the same */
	if (!(arg = ctl_log_arg("trust", arg, home_opt)))
		return CTL_EXIT_USAGE;
	if (name)
		q.name = (char *)name;
	json_t *j;
	if (ctl_answer(arg, charter_path, sel, offline, verify, &q, &j, why, NULL))
		return CTL_EXIT_FAIL;
	if (!j)
		return ctl_error("%s%s", why, name && !strncmp(why, "no member named", 15) &&
				 access(name, F_OK) == 0 ? "; to read a home or log by that name, "
				 "write it as a path (./NAME) or use -H" : "");
	if (json)
		return ctl_print_json(j);
	if (csv) {
		int rc = q.step ? csv_print(stdout, j, trust_cols, TRUST_COLS)
				: csv_print(stdout, j, trust_cols + 1, TRUST_COLS - 1);
		json_decref(j);
		return rc;
	}
	int rc = name ? explain_print(j) : q.step ? series_print(j) : table_print(j);
	json_decref(j);
	return rc;
}
