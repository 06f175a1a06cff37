/* report_cmd.c: alliancectl report -o FILE.html: the alliance as a page a
 * steering committee reads. Every figure is the answer of a query the CLI
 * prints (alliance, trust, trust NAME, scorecard, series, commitments),
 * all answered from one ledger of the log as of one evaluation time
 * (ctl_book: --as-of, or now to the second), so the page equals what
 * `alliancectl ... --as-of WHEN --json` prints, and one page never mixes
 * two states of the alliance; report.c renders it. The log is read here,
 * never asked of the daemon: a replay per query would hold its one thread,
 * and a message arriving between two queries would make them disagree.
 * The file is written whole or not at all (file_replace: a temporary
 * file renamed over it).
 */
#include "ctl.h"
#include "err.h"
#include "file.h"
#include "query.h"
#include "report.h"
#include "when.h"

#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char report_usage[] =
	"usage: alliancectl report -o FILE.html [HOME|LOG] [-H HOME] [--alliance ID|TITLE]\n"
	"                          [--charter FILE] [--as-of WHEN] [--since WHEN]\n"
	"                          [--offline] [--verify]\n"
	"       alliancectl report --portfolio -o FILE.html [-H HOME] [--as-of WHEN]\n"
	"                          [--offline]\n\n"
	"The alliance as one HTML page for the people who decide: at a glance\n"
	"(members, commitments, open warnings, each partner's trust); each\n"
	"partner's trust over time with its uncertainty band; what the alliance\n"
	"is and who is in it; the scorecard; commitments by state and a timeline\n"
	"of due dates naming what was missed or late; who delivered how much to\n"
	"whom; the open warnings with their evidence. One self-contained file\n"
	"(inline CSS and SVG, no script, nothing fetched), readable offline and\n"
	"printable on A4. Every number in it is what scorecard, trust and\n"
	"commitments print for the same --as-of, rounded as their text views\n"
	"round it (the exact --json value in its data-value): all are read from\n"
	"the log at once, as of one time, whether the daemon runs or not (it is\n"
	"not asked), so the page from any member's home or an auditor's copy of\n"
	"the log is the same bytes.\n\n"
	"  -o FILE         write the page here (its directory must exist); the file\n"
	"                  is replaced whole, never left half written\n"
	"  --as-of WHEN    evaluate at this time (ISO-8601 or +/-duration; default\n"
	"                  now, to the second: the messages signed by then); give\n"
	"                  it to get the same page again\n"
	"  --since WHEN    where the trust charts start (default: the charter's\n"
	"                  creation); about 80 points up to the evaluation time\n"
	"  --offline       accepted, and changes nothing: the log is always read\n"
	"  --verify        read the log and verify every signature of a home's own\n"
	"                  log too\n"
	"  --portfolio     the home's portfolio instead: every alliance it has joined\n"
	"                  (members, commitments, what it owes and is owed, partners'\n"
	"                  trust and warnings) and each partner firm across them; the\n"
	"                  numbers of 'alliancectl portfolio --json' (docs/portfolio.md)\n";

/* The answers the page is made of, the caller's. */
struct answers {
	json_t *alliance, *trust, *explain, *scorecard, *series, *commitments;
};

static void answers_clear(struct answers *a)
{
	json_decref(a->alliance);
	json_decref(a->trust);
	json_decref(a->explain);
	json_decref(a->scorecard);
	json_decref(a->series);
	json_decref(a->commitments);
}

/* Where the answers come from, the same for every query. */
struct source {
	const char *arg, *charter_path, *sel;
	bool verify;
};

/* The answer to q into *out; prints why there is none (a refusal) and
 * returns CTL_EXIT_FAIL: never half a report. */
static int ask(const struct ctl_book *b, const struct al_query *q, json_t **out)
{
	char why[AL_ERRLEN];
	if (ctl_book_answer(b, q, out, why))
		return CTL_EXIT_FAIL;
	if (!*out)
		return ctl_error("report: the query '%s' was refused: %s", q->what, why);
	return 0;
}

/* Is the directory that would hold path there? */
static int check_dir(const char *path)
{
	char *copy = strdup(path);
	struct stat st;
	if (!copy)
		return ctl_error("out of memory");
	const char *dir = dirname(copy);
	int rc = 0;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		rc = ctl_error("report: -o %s: no directory '%s' to write it in; create it "
			       "first or give another path", path, dir);
	free(copy);
	return rc;
}

int cmd_report(int argc, char **argv)
{
	enum { O_ASOF = 256, O_SINCE, O_ALLIANCE, O_CHARTER, O_OFFLINE, O_VERIFY, O_PORTFOLIO };
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "as-of", required_argument, NULL, O_ASOF },
		{ "since", required_argument, NULL, O_SINCE },
		{ "alliance", required_argument, NULL, O_ALLIANCE },
		{ "charter", required_argument, NULL, O_CHARTER },
		{ "offline", no_argument, NULL, O_OFFLINE },
		{ "verify", no_argument, NULL, O_VERIFY },
		{ "portfolio", no_argument, NULL, O_PORTFOLIO },
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *home_opt = NULL, *out = NULL, *arg = NULL, *since_arg = NULL;
	struct source src = { 0 };
	int opt;
	bool portfolio = false;
	/* Now to the second: the time the page shows is one --as-of takes
	 * back to make the same page. */
	int64_t now = when_now() / 1000 * 1000, since = 0;
	struct al_query q = { .what = (char *)"alliance", .as_of = now, .now = false,
			      .name = (char *)"", .state = (char *)"" };
	char why[AL_ERRLEN];
	optind = 1;
	while ((opt = getopt_long(argc, argv, "hH:o:", opts, NULL)) != -1) {
		switch (opt) {
		case 'h': fputs(report_usage, stdout); return 0;
		case 'H': home_opt = optarg; break;
		case 'o': out = optarg; break;
		case O_ALLIANCE: src.sel = optarg; break;
		case O_CHARTER: src.charter_path = optarg; break;
		case O_OFFLINE: break; /* the log is always read */
		case O_VERIFY: src.verify = true; break;
		case O_PORTFOLIO: portfolio = true; break;
		case O_ASOF:
			if (when_parse(optarg, now, &q.as_of, why))
				return ctl_usage("report", "--as-of: %s", why);
			break;
		case O_SINCE:
			if (when_parse(optarg, now, &since, why))
				return ctl_usage("report", "--since: %s", why);
			since_arg = optarg;
			break;
		default: return ctl_usage("report", "bad option");
		}
	}
	for (int i = optind; i < argc; i++) {
		if (arg)
			return ctl_usage("report", "unexpected argument '%s'", argv[i]);
		arg = argv[i];
	}
	if (!out || !*out)
		return ctl_usage("report", "-o FILE.html is required: where to write the page");
	if (portfolio && (src.sel || src.charter_path || since_arg))
		return ctl_usage("report", "--portfolio covers every alliance of the home and has no "
				 "trust charts: drop --alliance, --charter and --since");
	if (!(src.arg = ctl_log_arg("report", arg, home_opt)))
		return CTL_EXIT_USAGE;
	if (check_dir(out))
		return CTL_EXIT_FAIL;
	if (portfolio) /* the home's portfolio page (portfolio_cmd.c) */
		return ctl_portfolio_page(src.arg, src.verify, &q, out);

	struct answers a = { 0 };
	struct ctl_book book;
	if (ctl_book_open(&book, src.arg, src.charter_path, src.sel, q.as_of, src.verify))
		return CTL_EXIT_FAIL;
	int rc = ask(&book, &q, &a.alliance);
	int64_t created = 0;
	if (!rc && when_parse(json_string_value(json_object_get(a.alliance, "created")), 0,
			      &created, why))
		rc = ctl_error("report: the alliance's creation time cannot be read: %s", why);
	if (!rc) {
		char s_at[AL_WHENLEN], e_at[AL_WHENLEN];
		if (!since_arg)
			since = created;
		/* Name what was given, or the default it came from. */
		if (since >= q.as_of)
			rc = ctl_usage("report", "%s %s is not before the evaluation time %s: give "
				       "%s", since_arg ? "--since" : "the charter's creation (the "
				       "default --since)", when_format(since, s_at),
				       when_format(q.as_of, e_at), since_arg ? "an earlier --since" :
				       "a later --as-of");
	}
	if (!rc) {
		q.what = (char *)"trust";
		rc = ask(&book, &q, &a.trust);
	}
	/* Each partner's pairs and evidence: trust NAME, as the CLI explains it. */
	if (!rc && !(a.explain = json_array()))
		rc = ctl_error("out of memory");
	size_t i;
	json_t *r;
	json_array_foreach(a.trust, i, r) {
		json_t *e;
		if (rc)
			break;
		q.name = (char *)json_string_value(json_object_get(r, "partner"));
		if (!(rc = ask(&book, &q, &e)) && json_array_append_new(a.explain, e))
			rc = ctl_error("out of memory");
	}
	q.name = (char *)"";
	if (!rc) {
		q.what = (char *)"scorecard";
		rc = ask(&book, &q, &a.scorecard);
	}
	/* About 80 points from since to the evaluation time, a whole second
	 * apart at least. */
	uint64_t step = (uint64_t)(q.as_of - since) / 80000;
	char step_s[AL_WHENLEN], since_s[AL_WHENLEN];
	/* A round step reads better on the page and on a command line: the
	 * nearest whole minute, hour or day once that moves it by a tenth
	 * at most. */
	if (step >= 5 * 86400)
		step = (step + 43200) / 86400 * 86400;
	else if (step >= 5 * 3600)
		step = (step + 1800) / 3600 * 3600;
	else if (step >= 300)
		step = (step + 30) / 60 * 60;
	else if (!step)
		step = 1;
	duration_format(step, step_s);
	when_format(since, since_s);
	if (!rc) {
		q.what = (char *)"series";
		q.step = step;
		q.since = since;
		rc = ask(&book, &q, &a.series);
	}
	if (!rc) {
		q.what = (char *)"commitments";
		rc = ask(&book, &q, &a.commitments);
	}
	ctl_book_close(&book);
	if (rc) {
		answers_clear(&a);
		return rc;
	}

	struct report_in in = { a.alliance, a.trust, a.explain, a.scorecard, a.series,
				a.commitments, since_s, step_s };
	char *page = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&page, &len);
	if (!f || report_write(f, &in)) {
		if (f)
			fclose(f);
		free(page);
		answers_clear(&a);
		return ctl_error("report: the answers lack what the page needs (an older daemon?), "
				 "or memory ran out");
	}
	fclose(f);
	answers_clear(&a);
	rc = file_replace(out, page, len, 0644, why);
	free(page);
	if (rc)
		return ctl_error("report: -o %s: %s", out, why);
	return 0;
}
