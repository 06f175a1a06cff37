/* commitments_cmd.c: alliancectl commitments: every commitment of the
 * alliance and its state, computed from the log (offline, like log and
 * audit) at an evaluation time. */
#include "ctl.h"
#include "charter.h"
#include "envelope.h"
#include "err.h"
#include "ledger.h"
#include "log.h"
#include "when.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char commitments_usage[] =
	"usage: alliancectl commitments [HOME|LOG] [-H HOME] [--alliance ID|TITLE]\n"
	"                               [--charter FILE] [--state STATE] [--as-of WHEN]\n"
	"                               [--verify] [--json]\n\n"
	"Every commitment of the alliance: id, promisor, beneficiaries, what, due\n"
	"time, value, state and whether it was delivered late. The state is derived\n"
	"from the signed messages and the evaluation time alone, so every member\n"
	"(and an auditor) computes the same table for the same --as-of.\n\n"
	"  --state STATE   only commitments in this state: proposed, accepted,\n"
	"                  declined, delivered, confirmed, disputed, resolved,\n"
	"                  released, overdue, missed\n"
	"  --as-of WHEN    evaluate at this time (ISO-8601 or +/-duration; default now)\n"
	"  --verify        verify every signature of a home's own log too (a bare log\n"
	"                  file always is; the home's were verified on admission)\n"
	"  --json          a JSON array of {id, promisor, to, what, due, value,\n"
	"                  state, late, task}\n";

int cmd_commitments(int argc, char **argv)
{
	enum { O_JSON = 256, O_STATE, O_ASOF, O_ALLIANCE, O_CHARTER, O_VERIFY };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, O_JSON },
		{ "state", required_argument, NULL, O_STATE },
		{ "as-of", required_argument, NULL, O_ASOF },
		{ "alliance", required_argument, NULL, O_ALLIANCE },
		{ "charter", required_argument, NULL, O_CHARTER },
		{ "verify", no_argument, NULL, O_VERIFY },
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *home_opt = NULL, *sel = NULL, *charter_path = NULL, *state = NULL;
	int opt, json = 0, verify = 0;
	int64_t as_of = when_now();
	char why[AL_ERRLEN];
	optind = 1;
	while ((opt = getopt_long(argc, argv, "hH:", opts, NULL)) != -1) {
		switch (opt) {
		case 'h': fputs(commitments_usage, stdout); return 0;
		case 'H': home_opt = optarg; break;
		case O_JSON: json = 1; break;
		case O_STATE: state = optarg; break;
		case O_ALLIANCE: sel = optarg; break;
		case O_CHARTER: charter_path = optarg; break;
		case O_VERIFY: verify = 1; break;
		case O_ASOF:
			if (when_parse(optarg, when_now(), &as_of, why))
				return ctl_usage("commitments", "--as-of: %s", why);
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
	if (argc - optind > 1)
		return ctl_usage("commitments", "unexpected argument '%s'", argv[optind + 1]);
	const char *arg = ctl_log_arg("commitments", optind < argc ? argv[optind] : NULL, home_opt);
	if (!arg)
		return CTL_EXIT_USAGE;
	struct al_charter *c;
	struct al_ledger *l;
	if (ctl_load_ledger(arg, charter_path, sel, as_of, verify, &c, &l))
		return CTL_EXIT_FAIL;
	int rc = 0;
	json_t *all = json_array();
	for (size_t i = 0; i < l->n_items; i++) {
		const struct al_cstatus *s = &l->items[i];
		const char *st = ledger_state_name(ledger_state_at(l, s, as_of));
		char id[AL_IDLEN], t[AL_WHENLEN], task[AL_IDLEN];
		if (state && strcmp(st, state))
			continue;
		json_t *to = json_array();
		for (size_t b = 0; b < s->n_to; b++)
			json_array_append_new(to, json_string(c->members[s->to[b]].name));
		charter_ref_name(c, &s->id, id);
		json_array_append_new(all, json_pack("{s:s, s:s, s:o, s:s, s:s, s:I, s:s, s:b, s:o}",
			"id", id, "promisor", c->members[s->promisor].name, "to", to, "what",
			s->what, "due", when_format(s->due, t), "value", (json_int_t)s->value,
			"state", st, "late", ledger_late(l, s), "task",
			s->task.seq ? json_string(charter_ref_name(c, &s->task, task)) : json_null()));
	}
	if (json) {
		rc = ctl_print_json(all);
	} else if (ctl_json_escape(all)) { /* what, and names, are the members' text */
		json_decref(all);
		rc = ctl_error("out of memory");
	} else {
		size_t i;
		json_t *j;
		if (!json_array_size(all))
			printf("no commitments%s%s\n", state ? " in state " : "", state ? state : "");
		else
			printf("%-14s %-10s %-18s %-24s %8s  %-10s %s\n", "ID", "PROMISOR", "TO",
			       "DUE", "VALUE", "STATE", "WHAT");
		json_array_foreach(all, i, j) {
			char to[256] = "";
			size_t b, used = 0;
			json_t *n;
			json_array_foreach(json_object_get(j, "to"), b, n)
				if (used < sizeof to)
					used += (size_t)snprintf(to + used, sizeof to - used, "%s%s",
								 b ? "," : "", json_string_value(n));
			printf("%-14s %-10s %-18s %-24s %8lld  %-10s %s%s\n",
			       json_string_value(json_object_get(j, "id")),
			       json_string_value(json_object_get(j, "promisor")), to,
			       json_string_value(json_object_get(j, "due")),
			       (long long)json_integer_value(json_object_get(j, "value")),
			       json_string_value(json_object_get(j, "state")),
			       json_string_value(json_object_get(j, "what")),
			       json_is_true(json_object_get(j, "late")) ? " (late)" : "");
		}
		json_decref(all);
	}
	ledger_destroy(&l);
	charter_destroy(&c);
	return rc;
}
