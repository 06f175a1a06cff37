/* commitments_cmd.c: alliancectl commitments: every commitment of the
 * alliance and its state at an evaluation time. Answered by the daemon of
 * the home when one runs, else computed from the log (answer.c); printed
 * from the answer's JSON (query.h) either way. */
#include "csv.h"
#include "ctl.h"
#include "charter.h"
#include "envelope.h"
#include "err.h"
#include "ledger.h"
#include "log.h"
#include "table.h"
#include "when.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char commitments_usage[] =
	"usage: alliancectl commitments [HOME|LOG] [-H HOME] [--alliance ID|TITLE]\n"
	"                               [--charter FILE] [--state STATE] [--as-of WHEN]\n"
	"                               [--offline] [--verify] [--json|--csv]\n\n"
	"Every commitment of the alliance: id, promisor, beneficiaries, what, due\n"
	"time, value, state and whether it was delivered late. The state is derived\n"
	"from the signed messages and the evaluation time alone, so every member\n"
	"(and an auditor) computes the same table for the same --as-of. The daemon\n"
	"of the home answers when it runs (from the ledger it holds); with none, or\n"
	"for a log, an alliance directory or --charter, the log is read here. Same\n"
	"output either way. Columns are as wide as their data; on a terminal, or\n"
	"with $COLUMNS set, what is promised is cut to fit (with \u2026), and nothing\n"
	"else is; piped, nothing is cut.\n\n"
	"  --state STATE   only commitments in this state: proposed, accepted,\n"
	"                  declined, delivered, confirmed, disputed, resolved,\n"
	"                  released, overdue, missed\n"
	"  --as-of WHEN    evaluate at this time (ISO-8601 or +/-duration; default now)\n"
	"  --offline       read the log even when the daemon runs\n"
	"  --verify        read the log and verify every signature of a home's own\n"
	"                  log too (a bare log file always is; the home's were\n"
	"                  verified on admission)\n"
	"  --json          a JSON array of {id, promisor, to, what, due, value,\n"
	"                  state, late, task}\n"
	"  --csv           CSV (RFC 4180, a header line): id, promisor, to (joined\n"
	"                  with \";\"), what, due, value, state, late (true/false), task\n"
	"                  (empty when none); text as it is to a file or pipe\n"
	"                  (escaped on a terminal), a field starting with = + - @\n"
	"                  with a leading ' (no spreadsheet formula)\n";

/* The CSV columns (csv.h). */
static const struct csv_col commitment_cols[] = {
	{ "id", NULL },  { "promisor", NULL }, { "to", ";" },    { "what", NULL }, { "due", NULL },
	{ "value", NULL }, { "state", NULL },  { "late", NULL }, { "task", NULL },
};

/* The commitments as text, from their JSON (query.h), already escaped:
 * columns fitted to the data and the terminal (table.h); the text of what
 * is promised is the one column cut to fit. */
static int table_print(const json_t *all)
{
	static const struct { const char *h; unsigned flags; } cols[] = {
		{ "ID", 0 }, { "PROMISOR", 0 }, { "TO", 0 }, { "DUE", 0 },
		{ "VALUE", CTL_TABLE_RIGHT }, { "STATE", 0 }, { "LATE", 0 },
		{ "WHAT", CTL_TABLE_SHRINK },
	};
	struct ctl_table *t = ctl_table_new(2, "");
	size_t i, b;
	json_t *j, *n;
	if (!t)
		return ctl_error("out of memory");
	for (i = 0; i < sizeof cols / sizeof cols[0]; i++)
		ctl_table_col(t, cols[i].h, cols[i].flags);
	json_array_foreach(all, i, j) {
		char *to = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&to, &len); /* the names, however many */
		if (f)
			json_array_foreach(json_object_get(j, "to"), b, n)
				fprintf(f, "%s%s", b ? "," : "", json_string_value(n));
		if (!f || fclose(f)) {
			free(to);
			ctl_table_destroy(&t);
			return ctl_error("out of memory");
		}
		ctl_table_cell(t, json_string_value(json_object_get(j, "id")));
		ctl_table_cell(t, json_string_value(json_object_get(j, "promisor")));
		ctl_table_cell(t, to);
		free(to);
		ctl_table_cell(t, json_string_value(json_object_get(j, "due")));
		ctl_table_cellf(t, "%lld", (long long)json_integer_value(json_object_get(j, "value")));
		ctl_table_cell(t, json_string_value(json_object_get(j, "state")));
		ctl_table_cell(t, json_is_true(json_object_get(j, "late")) ? "yes" : "no");
		ctl_table_cell(t, json_string_value(json_object_get(j, "what")));
	}
	int rc = ctl_table_print(t, stdout, ctl_table_columns());
	ctl_table_destroy(&t);
	return rc ? ctl_error("out of memory") : 0;
}

int cmd_commitments(int argc, char **argv)
{
	enum { O_JSON = 256, O_STATE, O_ASOF, O_ALLIANCE, O_CHARTER, O_OFFLINE, O_VERIFY, O_CSV };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, O_JSON },
		{ "csv", no_argument, NULL, O_CSV },
		{ "state", required_argument, NULL, O_STATE },
		{ "as-of", required_argument, NULL, O_ASOF },
		{ "alliance", required_argument, NULL, O_ALLIANCE },
		{ "charter", required_argument, NULL, O_CHARTER },
		{ "offline", no_argument, NULL, O_OFFLINE },
		{ "verify", no_argument, NULL, O_VERIFY },
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *home_opt = NULL, *sel = NULL, *charter_path = NULL, *state = NULL;
	int opt, json = 0, csv = 0;
	bool offline = false, verify = false;
	struct al_query q = { .what = (char *)"commitments", .as_of = when_now(), .now = true,
			      .name = (char *)"", .state = (char *)"" };
	char why[AL_ERRLEN];
	optind = 1;
	while ((opt = getopt_long(argc, argv, "hH:", opts, NULL)) != -1) {
		switch (opt) {
		case 'h': fputs(commitments_usage, stdout); return 0;
		case 'H': home_opt = optarg; break;
		case O_JSON: json = 1; break;
		case O_CSV: csv = 1; break;
		case O_STATE: state = optarg; break;
		case O_ALLIANCE: sel = optarg; break;
		case O_CHARTER: charter_path = optarg; break;
		case O_OFFLINE: offline = true; break;
		case O_VERIFY: verify = true; break;
		case O_ASOF:
			if (when_parse(optarg, when_now(), &q.as_of, why))
				return ctl_usage("commitments", "--as-of: %s", why);
			q.now = false;
			break;
		default: return ctl_usage("commitments", "bad option");
		}
	}
	if (state) {
		int s = 0;
		while (s < AL_C_COUNT && strcmp(ledger_state_name((enum al_cstate)s), state))
			s++;
		if (s == AL_C_COUNT)
			return ctl_usage("commitments", "--state: no state '%s' (proposed, accepted, "
					 "declined, delivered, confirmed, disputed, resolved, released, "
					 "overdue, missed)", state);
	}
	if (json && csv)
		return ctl_usage("commitments", "give --json or --csv, not both");
	if (argc - optind > 1)
		return ctl_usage("commitments", "unexpected argument '%s'", argv[optind + 1]);
	const char *arg = ctl_log_arg("commitments", optind < argc ? argv[optind] : NULL, home_opt);
	if (!arg)
		return CTL_EXIT_USAGE;
	int rc = 0;
	json_t *all;
	q.state = (char *)(state ? state : "");
	if (ctl_answer(arg, charter_path, sel, offline, verify, &q, &all, why, NULL))
		return CTL_EXIT_FAIL;
	if (!all)
		return ctl_error("%s", why);
	if (json) {
		rc = ctl_print_json(all);
	} else if (csv) {
		rc = csv_print(stdout, all, commitment_cols,
			       sizeof commitment_cols / sizeof *commitment_cols);
		json_decref(all);
	} else if (ctl_json_escape(all)) { /* what, and names, are the members' text */
		json_decref(all);
		rc = ctl_error("out of memory");
	} else {
		if (!json_array_size(all))
			printf("no commitments%s%s\n", state ? " in state " : "", state ? state : "");
		else
			rc = table_print(all);
		json_decref(all);
	}
	return rc;
}
