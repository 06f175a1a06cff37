/* scorecard_cmd.c: alliancectl scorecard: each partner's reliability,
 * quality, responsiveness and reciprocity beside its trust, every score
 * citing its evidence; with a NAME, every piece of that evidence. Answered
 * by the daemon of the home when one runs, else computed from the log
 * (answer.c); printed from the answer's JSON (query.h) either way. */
#include "ctl.h"
#include "err.h"
#include "query.h"
#include "when.h"

#include <getopt.h>
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
	"either way.\n\n"
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

static double real(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static long long integer(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* A score to 2 decimals, "-" for none (null). */
static const char *score(const json_t *o, const char *key, char *buf, size_t n)
{
	const json_t *v = json_object_get(o, key);
	if (!json_is_number(v))
		return "-";
	snprintf(buf, n, "%.2f", json_number_value(v));
	return buf;
}

/* A delay in hours (a JSON number) as people read it: "40 s", "12 min",
 * "5.5 h", "3.2 d"; "-" for none. */
static const char *delay(const json_t *o, const char *key, char *buf, size_t n)
{
	const json_t *v = json_object_get(o, key);
	double h = json_number_value(v);
	if (!json_is_number(v))
		return "-";
	if (h < 1.0 / 60.0)
		snprintf(buf, n, "%.1f s", h * 3600.0);
	else if (h < 1.0)
		snprintf(buf, n, "%.0f min", h * 60.0);
	else if (h < 48.0)
		snprintf(buf, n, "%.1f h", h);
	else
		snprintf(buf, n, "%.1f d", h / 24.0);
	return buf;
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
	char b1[32], b2[32];
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
		printf(" in a median %s", delay(resp, "answer_hours", b1, sizeof b1));
	cite(resp, "confirmed", "confirmed", &first);
	cite(resp, "disputed", "disputed", &first);
	if (integer(resp, "verdicts"))
		printf(" in a median %s", delay(resp, "verdict_hours", b1, sizeof b1));
	cite(resp, "waiting", "waiting past the grace period", &first);
	printf("%s\n  reciprocity %s: given %.2f, received %.2f\n", first ? "nothing asked yet" : "",
	       score(rec, "ratio", b1, sizeof b1), real(rec, "given"), real(rec, "received"));
	json_array_foreach(json_object_get(r, "warnings"), i, w)
		printf("  WARNING %s\n", json_string_value(w));
}

/* The scorecards as text, from their JSON (query_scorecard_table), escaped
 * in place. */
static int table_print(json_t *v)
{
	json_t *r;
	size_t i;
	char b[4][32];
	if (!v || ctl_json_escape(v))
		return ctl_error("out of memory");
	printf("%-16s %7s %7s %7s %7s %7s %7s\n", "PARTNER", "TRUST", "UNCERT", "RELIAB",
	       "QUALITY", "RESPONS", "RECIP");
	json_array_foreach(v, i, r)
		printf("%-16s %7.4f %7.4f %7s %7s %7s %7s\n", str(r, "partner"), real(r, "trust"),
		       real(r, "uncertainty"),
		       score(json_object_get(r, "reliability"), "score", b[0], sizeof b[0]),
		       score(json_object_get(r, "quality"), "score", b[1], sizeof b[1]),
		       score(json_object_get(r, "responsiveness"), "score", b[2], sizeof b[2]),
		       score(json_object_get(r, "reciprocity"), "ratio", b[3], sizeof b[3]));
	json_array_foreach(v, i, r) {
		printf("\n%s\n", str(r, "partner"));
		summary_print(r);
	}
	return 0;
}

/* scorecard NAME as text: the summary, then every piece of evidence by
 * dimension, from the answer's JSON, escaped in place. */
static int explain_print(json_t *j)
{
	json_t *d, *p;
	size_t i;
	char b[32];
	if (ctl_json_escape(j))
		return ctl_error("out of memory");
	printf("%s: trust %.4f, uncertainty %.4f as of %s\n", str(j, "partner"), real(j, "trust"),
	       real(j, "uncertainty"), str(j, "as_of"));
	summary_print(j);
	const char *dim = "";
	json_array_foreach(json_object_get(j, "details"), i, d) {
		if (strcmp(dim, str(d, "dimension")))
			printf("%s:\n", dim = str(d, "dimension"));
		printf("  %-14s %-9s %s", str(d, "id"), str(d, "outcome"), str(d, "at"));
		if (!strcmp(dim, "reciprocity")) {
			printf("  %s %-16s %10.2f\n", strcmp(str(d, "outcome"), "given") ? "from"
			       : "to  ", str(d, "partner"), real(d, "value"));
			continue;
		}
		if (json_object_get(d, "hours"))
			printf("  after %-9s", delay(d, "hours", b, sizeof b));
		if (json_object_get(d, "quality"))
			printf("  quality %lld timeliness %lld", integer(d, "quality"),
			       integer(d, "timeliness"));
		printf("  scores %s\n", score(d, "score", b, sizeof b));
	}
	json_array_foreach(json_object_get(json_object_get(j, "reciprocity"), "pairs"), i, p)
		printf("  with %-16s given %10.2f, received %10.2f\n", str(p, "partner"),
		       real(p, "given"), real(p, "received"));
	return 0;
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
	/* NAME, then an optional HOME|LOG (a path: it has a '/'), as trust. */
	for (int i = optind; i < argc; i++) {
		if (!name && !strchr(argv[i], '/') && !arg)
			name = argv[i];
		else if (!arg)
			arg = argv[i];
		else
			return ctl_usage("scorecard", "unexpected argument '%s'", argv[i]);
	}
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
