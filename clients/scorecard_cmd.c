/* scorecard_cmd.c: alliancectl scorecard: each partner's reliability,
 * quality, responsiveness and reciprocity beside its trust, every score
 * citing its evidence; with a NAME, every piece of that evidence. Answered
 * by the daemon of the home when one runs, else computed from the log
 * (answer.c); printed from the answer's JSON (query.h) either way. */
#include "ctl.h"
#include "err.h"
#include "query.h"
#include "table.h"
#include "when.h"

#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char scorecard_usage[] =
	"usage: alliancectl scorecard [NAME] [HOME|LOG] [-H HOME] [--alliance ID|TITLE]\n"
	"                             [--charter FILE] [--as-of WHEN] [--offline] [--verify]\n"
	"                             [--json]\n\n"
	"Each partner's scorecard: beside its trust and uncertainty (the trust\n"
	"table's), a score from 0 to 1 per dimension, each citing the commitments\n"
	"it counts: reliability (on time, late, missed, as promisor), quality\n"
	"(confirmation ratings and disputes), responsiveness (how soon it answers\n"
	"proposals to it and judges deliveries to it, and the proposals it leaves\n"
	"waiting) and reciprocity (value given against received, per partner).\n"
	"\"-\": nothing to score yet. Computed from the signed log and the\n"
	"evaluation time alone, so every member and any auditor gets the same\n"
	"scorecards for the same --as-of (docs/trust.md section 7 has every\n"
	"formula). The daemon of the home answers when it runs; with none, or for a\n"
	"log, an alliance directory or --charter, the log is read here. Same output\n"
	"either way. Columns are as wide as their data; delays read as people say\n"
	"them (400 ms, 12 s, 4 min, 3.5 h, 12 days; --json gives hours).\n\n"
	"  NAME            one partner: every piece of evidence of each dimension,\n"
	"                  with its time and what it scores\n"
	"  --as-of WHEN    evaluate at this time (ISO-8601 or +/-duration; default now)\n"
	"  --offline       read the log even when the daemon runs\n"
	"  --verify        read the log and verify every signature of a home's own\n"
	"                  log too (a bare log file always is; the home's were\n"
	"                  verified on admission)\n"
	"  --json          an array of {partner, trust, uncertainty, reliability,\n"
	"                  quality, responsiveness, reciprocity, warnings}; with NAME,\n"
	"                  that object with \"as_of\" and \"details\" (one per piece of\n"
	"                  evidence)\n";

/* How many ids a summary line cites before "and N more". */
#define CITE 4

/* A score to 2 decimals, "-" for none (null). */
static const char *score(const json_t *o, const char *key, char *buf, size_t n)
{
	const json_t *v = json_object_get(o, key);
	if (!json_is_number(v))
		return "-";
	snprintf(buf, n, "%.2f", json_number_value(v));
	return buf;
}

/* A delay in hours (a JSON number) as people read it (when_span: "40 s",
 * "12 min", "5.5 h", "3.2 days"); "-" for none. */
static const char *delay(const json_t *o, const char *key, char *buf)
{
	const json_t *v = json_object_get(o, key);
	if (!json_is_number(v))
		return "-";
	return when_span_of(json_number_value(v) * 3600.0 * 1000.0, buf);
}

/* ", N WHAT (id, id, ... and K more)" for the ids of dim's by_outcome
 * outcome, nothing when there are none. */
static void cite(const json_t *dim, const char *outcome, const char *what, bool *first)
{
	const json_t *ids = json_object_get(json_object_get(dim, "by_outcome"), outcome), *id;
	size_t n = json_array_size(ids), i;
	if (!n)
		return;
	printf("%s%zu %s (", *first ? "" : ", ", n, what);
	json_array_foreach(ids, i, id) {
		if (i == CITE) {
			printf(" and %zu more", n - CITE);
			break;
		}
		printf("%s%s", i ? ", " : "", json_string_value(id));
	}
	printf(")");
	*first = false;
}

/* The lines under the table: one per dimension, the counts and their ids. */
static void summary_print(const json_t *r)
{
	const json_t *rel = json_object_get(r, "reliability"), *q = json_object_get(r, "quality"),
		     *resp = json_object_get(r, "responsiveness"),
		     *rec = json_object_get(r, "reciprocity"), *w;
	char b1[AL_WHENLEN], b2[AL_WHENLEN];
	bool first = true;
	size_t i;
	printf("  reliability %s: ", score(rel, "score", b1, sizeof b1));
	cite(rel, "on-time", "on time", &first);
	cite(rel, "late", "late", &first);
	cite(rel, "missed", "missed", &first);
	printf("%s\n  quality %s: ", first ? "nothing due yet" : "",
	       score(q, "score", b1, sizeof b1));
	first = true;
	cite(q, "confirmed", "confirmed", &first);
	if (!first)
		printf(" rated %s for quality, %s for timeliness",
		       score(q, "mean_quality", b1, sizeof b1),
		       score(q, "mean_timeliness", b2, sizeof b2));
	cite(q, "disputed", "disputed", &first);
	cite(q, "upheld", "upheld on escalation", &first);
	printf("%s\n  responsiveness %s: ", first ? "nothing judged yet" : "",
	       score(resp, "score", b1, sizeof b1));
	first = true;
	cite(resp, "accepted", "accepted", &first);
	cite(resp, "declined", "declined", &first);
	if (!first)
		printf(" in a median %s", delay(resp, "answer_hours", b1));
	cite(resp, "confirmed", "confirmed", &first);
	cite(resp, "disputed", "disputed", &first);
	if (ctl_jint(resp, "verdicts"))
		printf(" in a median %s", delay(resp, "verdict_hours", b1));
	cite(resp, "waiting", "waiting past the grace period", &first);
	printf("%s\n  reciprocity %s: ", first ? "nothing asked yet" : "",
	       score(rec, "ratio", b1, sizeof b1));
	if (ctl_jreal(rec, "given") || ctl_jreal(rec, "received"))
		printf("given %.2f, received %.2f\n", ctl_jreal(rec, "given"), ctl_jreal(rec, "received"));
	else
		printf("nothing given or received yet\n");
	json_array_foreach(json_object_get(r, "warnings"), i, w)
		printf("  WARNING %s\n", json_string_value(w));
}

/* The scorecards as text, from their JSON (query_scorecard_table), escaped
 * in place; columns fitted to the data (table.h), as trust's. */
static int table_print(json_t *v)
{
	static const char *const heads[] = { "PARTNER", "TRUST", "UNCERT", "RELIAB", "QUALITY",
					      "RESPONS", "RECIP" };
	struct ctl_table *t = ctl_table_new(2, "");
	json_t *r;
	size_t i;
	char b[32];
	if (!v || !t || ctl_json_escape(v)) {
		ctl_table_destroy(&t);
		return ctl_error("out of memory");
	}
	for (i = 0; i < sizeof heads / sizeof *heads; i++)
		ctl_table_col(t, heads[i], i ? CTL_TABLE_RIGHT : 0);
	json_array_foreach(v, i, r) {
		ctl_table_cell(t, ctl_jstr(r, "partner"));
		ctl_table_cellf(t, "%.4f", ctl_jreal(r, "trust"));
		ctl_table_cellf(t, "%.4f", ctl_jreal(r, "uncertainty"));
		ctl_table_cell(t, score(json_object_get(r, "reliability"), "score", b, sizeof b));
		ctl_table_cell(t, score(json_object_get(r, "quality"), "score", b, sizeof b));
		ctl_table_cell(t, score(json_object_get(r, "responsiveness"), "score", b, sizeof b));
		ctl_table_cell(t, score(json_object_get(r, "reciprocity"), "ratio", b, sizeof b));
	}
	int rc = ctl_table_print(t, stdout, ctl_table_columns());
	ctl_table_destroy(&t);
	if (rc)
		return ctl_error("out of memory");
	json_array_foreach(v, i, r) {
		printf("\n%s\n", ctl_jstr(r, "partner"));
		summary_print(r);
	}
	return 0;
}

/* The evidence of one dimension, details[from, to), as a list under its
 * name: id, outcome and time, then what it scores; the columns a
 * dimension has (a delay, ratings, the partner of a value) only when one
 * of its lines has them, so that no line carries an empty column. */
static int dimension_print(const json_t *details, size_t from, size_t to)
{
	bool hours = false, ratings = false;
	const char *dim = ctl_jstr(json_array_get(details, from), "dimension");
	bool value = !strcmp(dim, "reciprocity");
	char b[AL_WHENLEN];
	for (size_t i = from; i < to; i++) {
		hours |= json_object_get(json_array_get(details, i), "hours") != NULL;
		ratings |= json_object_get(json_array_get(details, i), "quality") != NULL;
	}
	struct ctl_table *t = ctl_table_new(2, "  ");
	int n = 3 + (value ? 3 : hours + ratings + 1);
	for (int c = 0; t && c < n; c++)
		ctl_table_col(t, "", value && c == n - 1 ? CTL_TABLE_RIGHT : 0);
	for (size_t i = from; t && i < to; i++) {
		const json_t *d = json_array_get(details, i);
		ctl_table_cell(t, ctl_jstr(d, "id"));
		ctl_table_cell(t, ctl_jstr(d, "outcome"));
		ctl_table_cell(t, ctl_jstr(d, "at"));
		if (value) {
			ctl_table_cell(t, strcmp(ctl_jstr(d, "outcome"), "given") ? "from" : "to");
			ctl_table_cell(t, ctl_jstr(d, "partner"));
			ctl_table_cellf(t, "%.2f", ctl_jreal(d, "value"));
			continue;
		}
		if (hours && json_object_get(d, "hours"))
			ctl_table_cellf(t, "after %s", delay(d, "hours", b));
		else if (hours)
			ctl_table_cell(t, "");
		if (ratings && json_object_get(d, "quality"))
			ctl_table_cellf(t, "quality %lld timeliness %lld", ctl_jint(d, "quality"),
					ctl_jint(d, "timeliness"));
		else if (ratings)
			ctl_table_cell(t, "");
		ctl_table_cellf(t, "scores %s", score(d, "score", b, sizeof b));
	}
	printf("%s:\n", dim);
	int rc = !t || ctl_table_print(t, stdout, ctl_table_columns());
	ctl_table_destroy(&t);
	return rc;
}

/* scorecard NAME as text: the summary, then every piece of evidence by
 * dimension, then the value exchanged with each partner, from the
 * answer's JSON, escaped in place. */
static int explain_print(json_t *j)
{
	const json_t *details = json_object_get(j, "details"), *p;
	size_t i, from = 0, n = json_array_size(details);
	if (ctl_json_escape(j))
		return ctl_error("out of memory");
	printf("%s: trust %.4f, uncertainty %.4f as of %s\n", ctl_jstr(j, "partner"), ctl_jreal(j, "trust"),
	       ctl_jreal(j, "uncertainty"), ctl_jstr(j, "as_of"));
	summary_print(j);
	if (n)
		printf("\n"); /* the summary apart from the evidence */
	for (i = 1; i <= n; i++) {
		if (i < n && !strcmp(ctl_jstr(json_array_get(details, i), "dimension"),
				     ctl_jstr(json_array_get(details, from), "dimension")))
			continue;
		if (dimension_print(details, from, i))
			return ctl_error("out of memory");
		from = i;
	}
	/* Names as wide as they come, the numbers right-aligned. */
	struct ctl_table *t = ctl_table_new(2, "  with ");
	static const unsigned flags[] = { 0, 0, CTL_TABLE_RIGHT, 0, CTL_TABLE_RIGHT };
	for (i = 0; t && i < sizeof flags / sizeof *flags; i++)
		ctl_table_col(t, "", flags[i]);
	json_array_foreach(json_object_get(json_object_get(j, "reciprocity"), "pairs"), i, p) {
		if (!t)
			break;
		ctl_table_cell(t, ctl_jstr(p, "partner"));
		ctl_table_cell(t, "given");
		ctl_table_cellf(t, "%.2f", ctl_jreal(p, "given"));
		ctl_table_cell(t, "received");
		ctl_table_cellf(t, "%.2f", ctl_jreal(p, "received"));
	}
	int rc = !t || ctl_table_print(t, stdout, ctl_table_columns());
	ctl_table_destroy(&t);
	return rc ? ctl_error("out of memory") : 0;
}

int cmd_scorecard(int argc, char **argv)
{
	enum { O_JSON = 256, O_ASOF, O_ALLIANCE, O_CHARTER, O_OFFLINE, O_VERIFY };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, O_JSON },
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
	int opt, json = 0;
	bool offline = false, verify = false;
	struct al_query q = { .what = (char *)"scorecard", .as_of = when_now(), .now = true,
			      .name = (char *)"", .state = (char *)"" };
	char why[AL_ERRLEN];
	optind = 1;
	while ((opt = getopt_long(argc, argv, "hH:", opts, NULL)) != -1) {
		switch (opt) {
		case 'h': fputs(scorecard_usage, stdout); return 0;
		case 'H': home_opt = optarg; break;
		case O_JSON: json = 1; break;
		case O_ALLIANCE: sel = optarg; break;
		case O_CHARTER: charter_path = optarg; break;
		case O_OFFLINE: offline = true; break;
		case O_VERIFY: verify = true; break;
		case O_ASOF:
			if (when_parse(optarg, when_now(), &q.as_of, why))
				return ctl_usage("scorecard", "--as-of: %s", why);
			q.now = false;
			break;
		default: return ctl_usage("scorecard", "bad option");
		}
	}
	if (ctl_name_and_log("scorecard", argc, argv, optind, &name, &arg))
		return CTL_EXIT_USAGE;
	if (!(arg = ctl_log_arg("scorecard", arg, home_opt)))
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
	int rc = name ? explain_print(j) : table_print(j);
	json_decref(j);
	return rc;
}
