/* audit_cmd.c: alliancectl audit: verify logs offline against the charter. */
#include "ctl.h"
#include "audit.h"
#include "ledger.h"
#include "query.h"
#include "scorecard.h"
#include "trust.h"
#include "charter.h"
#include "err.h"
#include "grow.h"
#include "hex.h"
#include "home.h"
#include "text.h"
#include "when.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char audit_usage[] =
	"usage: alliancectl audit [HOME|LOG] [--charter FILE] [--against HOME|LOG ...]\n"
	"                         [--alliance ID|TITLE] [--as-of WHEN] [--json]\n\n"
	"Verify a log offline with nothing but the charter: every record's framing and\n"
	"checksum, signature, membership, alliance id, chain link and sequence number,\n"
	"timestamps, duplicates and equivocations (also the proofs a home has kept).\n"
	"With --against, every message the logs share must be identical.\n\n"
	"  HOME|LOG          a partner's home (the alliance's log in it), an alliance\n"
	"                    directory (HOME/alliances/ID), or a log file; default:\n"
	"                    the home of -H HOME or $ALLIANCE_HOME\n"
	"  --charter FILE    the signed charter (default: the one in the first home)\n"
	"  --against X       another home or log to cross-check (repeatable)\n"
	"  --alliance ID     which alliance of a home that joined several (id or title)\n"
	"  --as-of WHEN      evaluation time for the trust table (default: now)\n"
	"  --json            {\"ok\", \"records\", \"faults\": [{log, record, offset, reason}],\n"
	"                    \"violations\": [{member, id, rule}], \"trust\": [...],\n"
	"                    \"scorecard\": [...]} (trust --json's and scorecard --json's)\n\n"
	"A violation is a signed, in-chain message that breaks the alliance's rules\n"
	"(say, a delivery by someone other than the promisor): it is reported with\n"
	"its author, but it is misbehaviour, not damage, so it is not a fault.\n"
	"Exit status: 0 when the logs are clean, 1 when any fault is found, 2 when\n"
	"the audit cannot run (bad arguments, unreadable files).\n";

static json_t *fault_json(const struct al_audit_fault *f)
{
	return json_pack("{s:s, s:I, s:I, s:s}", "log", f->log, "record", (json_int_t)f->record,
			 "offset", (json_int_t)f->offset, "reason", f->reason);
}

static json_t *feeds_json(const struct al_roster *ro, const struct al_feeds *f)
{
	json_t *o = json_object();
	char name[AL_IDLEN];
	for (size_t m = 0; m < ro->n_members; m++) /* acme, acme@2 after new keys */
		json_object_set_new(o, roster_feed_name(ro, m, name),
				    json_integer((json_int_t)feeds_head(f, &ro->members[m].sign_key,
									NULL)));
	return o;
}

int cmd_audit(int argc, char **argv)
{
	enum { O_CHARTER = 256, O_AGAINST, O_ASOF, O_JSON, O_ALLIANCE };
	static const struct option opts[] = {
		{ "charter", required_argument, NULL, O_CHARTER },
		{ "against", required_argument, NULL, O_AGAINST },
		{ "as-of", required_argument, NULL, O_ASOF },
		{ "alliance", required_argument, NULL, O_ALLIANCE },
		{ "json", no_argument, NULL, O_JSON },
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *charter_file = NULL, *sel = NULL, *home_opt = NULL, *first;
	const char **against = NULL;
	size_t n_against = 0, cap_against = 0;
	int json = 0, opt, rc = CTL_EXIT_USAGE;
	int64_t now = when_now(), as_of = now;
	char why[AL_ERRLEN];
	struct al_charter *c = NULL;
	struct ctl_source *src = NULL;
	struct al_audit_source *asrc = NULL;
	struct al_audit a = { 0 };
	struct al_ledger *ledger = NULL;
	struct al_trust *trust = NULL;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "hH:", opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(audit_usage, stdout);
			rc = 0;
			goto out;
		case 'H':
			home_opt = optarg;
			break;
		case O_CHARTER:
			charter_file = optarg;
			break;
		case O_AGAINST: {
			if (grow(&against, &cap_against, n_against + 1, sizeof *against))
				goto out;
			against[n_against++] = optarg;
			break;
		}
		case O_ASOF:
			if (when_parse(optarg, now, &as_of, why)) {
				rc = ctl_usage("audit", "--as-of: %s", why);
				goto out;
			}
			break;
		case O_ALLIANCE:
			sel = optarg;
			break;
		case O_JSON:
			json = 1;
			break;
		default:
			rc = ctl_usage("audit", "bad option");
			goto out;
		}
	}
	if (optind + 1 < argc) {
		rc = ctl_usage("audit", "audit takes one HOME or LOG (use --against for more)");
		goto out;
	}
	/* Without a HOME|LOG, audit the home given with -H or $ALLIANCE_HOME. */
	first = optind < argc ? argv[optind] : ctl_home(home_opt);
	if (!first)
		goto out;
	rc = CTL_EXIT_USAGE;
	if (charter_file && charter_load(charter_file, &c, why)) {
		ctl_error("%s", why);
		goto out;
	}
	size_t n = 1 + n_against;
	src = calloc(n, sizeof *src);
	asrc = calloc(n, sizeof *asrc);
	if (!src || !asrc)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (ctl_resolve(i == 0 ? first : against[i - 1], c, sel, &src[i]))
			goto out;
		/* Without --charter, the first home's own copy is the reference. */
		if (!c && src[i].charter[0] && charter_load(src[i].charter, &c, why)) {
			ctl_error("%s", why);
			goto out;
		}
	}
	if (!c) {
		ctl_error("auditing a log file needs the charter: add --charter FILE");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		asrc[i].label = src[i].label;
		asrc[i].log = src[i].log;
		asrc[i].proofs = src[i].has_proofs ? src[i].proofs : NULL;
	}
	if (audit_run(c, asrc, n, now > as_of ? now : as_of, &a, why)) {
		ctl_error("%s", why);
		goto out;
	}
	char hex[2 * AL_HASHLEN + 1], t[AL_WHENLEN];
	hex_encode(c->id.b, AL_HASHLEN, hex);
	/* The trust table, recomputed from the first log's valid records, with
	 * the members that log admits. */
	const struct al_roster *lr = a.logs[0].roster;
	if (ledger_build(lr, a.logs[0].valid, a.logs[0].n_valid, as_of, &ledger) ||
	    trust_compute(ledger, as_of, &trust)) {
		ctl_error("cannot compute the trust table: out of memory");
		goto out;
	}
	if (json) {
		json_t *faults = json_array(), *logs = json_array();
		/* An element jansson could not make (text that is not UTF-8, such
		 * as a file name) would be left out silently: count it instead. */
		int lost = 0;
		for (size_t i = 0; i < a.n_faults; i++)
			lost |= json_array_append_new(faults, fault_json(&a.faults[i]));
		for (size_t i = 0; i < a.n_logs; i++)
			lost |= json_array_append_new(logs, json_pack("{s:s, s:I, s:o}", "log",
				a.logs[i].label, "records", (json_int_t)a.logs[i].records,
				"feeds", feeds_json(a.logs[i].roster, a.logs[i].feeds)));
		json_t *viol = json_array();
		for (size_t i = 0; i < ledger->n_broken; i++) {
			const struct al_member *m = roster_member(lr, &ledger->broken[i].id.author);
			char id[AL_IDLEN];
			lost |= json_array_append_new(viol, json_pack("{s:s, s:s, s:s}", "member",
				m ? m->name : "?", "id", roster_ref_name(lr, &ledger->broken[i].id, id),
				"rule", ledger->broken[i].why));
		}
		json_t *j = json_pack("{s:b, s:I, s:o, s:o, s:o, s:s, s:s, s:o}", "ok", a.ok, "records",
				      (json_int_t)a.records, "faults", faults, "violations", viol, "trust",
				      ctl_trust_json(lr, trust),
				      "alliance", hex, "as_of", when_format(as_of, t), "logs", logs);
		/* The scorecards beside the trust table: query.h's, as scorecard
		 * --json prints them. */
		struct al_scorecard *sc = NULL;
		json_t *cards = NULL;
		if (scorecard_compute(ledger, as_of, &sc) || !(cards = query_scorecard_table(lr, sc)))
			lost = 1;
		scorecard_destroy(&sc);
		lost |= json_object_set_new(j, "scorecard", cards);
		if (lost) {
			json_decref(j);
			j = NULL;
		}
		if (ctl_print_json(j))
			goto out; /* still 2: the result could not be shown */
	} else {
		/* The title, names and reasons are the members' text (and the
		 * labels are file names): all printed escaped. */
		char *title = text_escaped(c->title), e1[4 * 4096 + 1], e2[4 * AL_ERRLEN + 1],
		     id[AL_IDLEN], name[AL_IDLEN];
		if (!title) {
			ctl_error("out of memory");
			goto out;
		}
		printf("audit of %zu log%s against charter '%s' (id %.16s...)\n", a.n_logs,
		       a.n_logs == 1 ? "" : "s", title, hex);
		free(title);
		for (size_t i = 0; i < a.n_logs; i++) {
			printf("  %s: %" PRIu64 " records; feeds", ctl_esc(a.logs[i].label, e1, sizeof e1),
			       a.logs[i].records);
			const struct al_roster *lr = a.logs[i].roster;
			for (size_t m = 0; m < lr->n_members; m++)
				printf(" %s %" PRIu64, ctl_esc(roster_feed_name(lr, m, name), e2, sizeof e2),
				       feeds_head(a.logs[i].feeds, &lr->members[m].sign_key, NULL));
			printf("\n");
		}
		for (size_t i = 0; i < a.n_faults; i++)
			printf("FAULT %s record %" PRIu64 " offset %" PRIu64 ": %s\n",
			       ctl_esc(a.faults[i].log, e1, sizeof e1), a.faults[i].record,
			       a.faults[i].offset, ctl_esc(a.faults[i].reason, e2, sizeof e2));
		for (size_t i = 0; i < ledger->n_broken; i++) {
			printf("VIOLATION %s: ", ctl_esc(roster_ref_name(lr, &ledger->broken[i].id, id),
							  e1, sizeof e1));
			printf("%s (signed and kept; changes nothing)\n",
			       ctl_esc(ledger->broken[i].why, e2, sizeof e2));
		}
		printf("trust as of %s, recomputed from %s:\n", when_format(as_of, t),
		       ctl_esc(src[0].label, e1, sizeof e1));
		ctl_trust_print(lr, trust);
		if (a.ok)
			printf("audit OK: %" PRIu64 " records verified, no faults\n", a.records);
		else
			printf("audit FAILED: %zu fault%s in %" PRIu64 " records\n", a.n_faults,
			       a.n_faults == 1 ? "" : "s", a.records);
	}
	rc = a.ok ? 0 : CTL_EXIT_FAIL;
out:
	trust_destroy(&trust);
	ledger_destroy(&ledger);
	audit_clear(&a);
	charter_destroy(&c);
	free(src);
	free(asrc);
	free(against);
	return rc;
}
