/* act_cmd.c: the messages a member signs through its daemon besides
 * commitments: the steps of a commitment's life (accept, decline, deliver,
 * confirm, dispute, release), tasks (task add) and feedback. The daemon
 * checks each against the ledger's rules and acknowledges it once durable;
 * the command prints the new message's id. */
#include "ctl.h"
#include "err.h"
#include "msg.h"
#include "text.h"
#include "when.h"

#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct verb {
	const char *name;
	const char *usage;
} verbs[] = {
	{ "accept", "usage: alliancectl accept ID [--key KEY] [-H HOME] [--alliance ID|TITLE]\n\n"
		    "As a beneficiary of commitment ID (e.g. acme/3), accept it.\n" },
	{ "decline", "usage: alliancectl decline ID [--reason TEXT] [--key KEY] [-H HOME]\n"
		     "                           [--alliance ID|TITLE]\n\n"
		     "As a beneficiary of commitment ID, decline it (no penalty for anyone).\n" },
	{ "deliver", "usage: alliancectl deliver ID [--evidence FILE] [--note TEXT] [--key KEY]\n"
		     "                           [-H HOME] [--alliance ID|TITLE]\n\n"
		     "As the promisor of commitment ID, say it is done. An evidence file is\n"
		     "hashed (BLAKE2b-256), not copied: the hash goes into the signed message,\n"
		     "so anyone holding the file later can show it is the one delivered.\n" },
	{ "confirm", "usage: alliancectl confirm ID --rating 1..5 [--timeliness 1..5] [--comment TEXT]\n"
		     "                           [--key KEY] [-H HOME] [--alliance ID|TITLE]\n\n"
		     "As a beneficiary of delivered commitment ID, confirm it, rating its\n"
		     "quality (and its timeliness; default: the same rating).\n" },
	{ "dispute", "usage: alliancectl dispute ID --reason TEXT [--key KEY] [-H HOME]\n"
		     "                           [--alliance ID|TITLE]\n\n"
		     "As a beneficiary of delivered commitment ID, dispute it, saying why.\n" },
	{ "release", "usage: alliancectl release ID [--reason TEXT] [--key KEY] [-H HOME]\n"
		     "                           [--alliance ID|TITLE]\n\n"
		     "As a party to proposed or accepted commitment ID, release it. By mutual\n"
		     "agreement: it is released, with no penalty for anyone, once the promisor\n"
		     "and every beneficiary have released it.\n" },
	{ "escalate", "usage: alliancectl escalate ID --reason TEXT [--key KEY] [-H HOME]\n"
		      "                            [--alliance ID|TITLE]\n\n"
		      "Take the dispute over commitment ID to the charter's resolver (the\n"
		      "hierarchy mechanism), saying why.\n" },
	{ "resolve", "usage: alliancectl resolve ID --uphold|--reject [--comment TEXT] [--key KEY]\n"
		     "                           [-H HOME] [--alliance ID|TITLE]\n\n"
		     "As the charter's resolver, rule on the escalated dispute over commitment\n"
		     "ID: --uphold it (the delivery counts as disputed against the promisor) or\n"
		     "--reject it (the delivery stands).\n" },
	{ "feedback", "usage: alliancectl feedback NAME --rating 1..5 [--comment TEXT] [--key KEY]\n"
		      "                            [-H HOME] [--alliance ID|TITLE]\n\n"
		      "Rate member NAME outside any one commitment. Feedback is graded evidence\n"
		      "in NAME's trust score (docs/trust.md).\n" },
	{ "amend", "usage: alliancectl amend --param KEY=VALUE ... [--reason TEXT] [-H HOME]\n"
		   "       alliancectl amend --add CARD [--reason TEXT] [-H HOME]\n"
		   "       alliancectl amend --remove NAME [--reason TEXT] [-H HOME]\n"
		   "       alliancectl amend --replace CARD [--reason TEXT] [-H HOME]\n"
		   "       alliancectl amend --endpoint ENDPOINT [--reason TEXT] [-H HOME]\n"
		   "       alliancectl amend --approve ID [-H HOME] [--alliance ID|TITLE]\n"
		   "       (each form also takes --key KEY)\n\n"
		   "Propose a change to the charter, or approve one. --param sets new trust\n"
		   "parameters (the keys of 'charter new --param', and half_life and grace in\n"
		   "seconds); --add admits a new member by its card (the last line 'allianced\n"
		   "init' printed for it); --remove ends a member's membership (its messages\n"
		   "stay in the log). A proposal is in effect once the charter's quorum of\n"
		   "members has proposed or approved it. A new member's firm joins with\n"
		   "'alliancectl join CHARTER' (the founders' charter) and may act once the\n"
		   "amendment adding it is in effect.\n"
		   "--replace gives a member new keys, at the quorum like --add: CARD is the\n"
		   "member card of a new home made with the member's name ('allianced init\n"
		   "NEWHOME --name NAME ...'); the member keeps its name, its evidence and its\n"
		   "trust row, its old keys sign nothing more, and the new home joins with\n"
		   "'alliancectl join CHARTER' (for a lost or stolen key: docs/operations.md).\n"
		   "Ids of the new keys' messages read NAME@2/SEQ.\n"
		   "--endpoint moves this member's own endpoint (tcp://HOST:PORT, HOST a DNS\n"
		   "name or an address): signed by this member alone, in effect at once;\n"
		   "peers dial it there from then on. Set advertise in allianced.conf to match.\n"
		   "Prints the message's id.\n" },
	{ "task", "usage: alliancectl task add TITLE --owner NAME --due WHEN [--depends ID ...]\n"
		  "                            [--deliverable TEXT] [--key KEY] [--past]\n"
		  "                            [-H HOME] [--alliance ID|TITLE]\n\n"
		  "Program a task with an accountable owner and a due time; it may depend on\n"
		  "other tasks (--depends, repeatable) and name its deliverable. Prints the\n"
		  "task's id; commitments may then name it (commit --task ID). A due time\n"
		  "already past is refused unless --past says it is meant.\n" },
};

/* What every verb's --help adds about --key. */
static const char key_help[] =
	"\n--key KEY makes a retry safe: if the reply was lost (a timeout, a daemon\n"
	"killed), run the same command again with the same KEY and it prints the id of\n"
	"the message the first one made, signing nothing new. A KEY is 1 to 64\n"
	"characters of A-Z a-z 0-9 . _ : - chosen by you, once per step (a KEY used for\n"
	"another step is refused; free text such as a reason is not compared). It is\n"
	"a retry token, not a secret: it goes into the signed message and every\n"
	"partner sees it.\n";

static int rating(const char *cmd, const char *s, const char *opt, uint32_t *out)
{
	uint64_t v;
	if (!text_uint(s, 5, &v) || v < 1)
		return ctl_usage(cmd, "%s '%s': give a whole number from 1 to 5", opt, s);
	*out = (uint32_t)v;
	return 0;
}

/* BLAKE2b-256 of a file of any size, read in pieces. */
static int hash_file(const char *path, uint8_t out[32])
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return ctl_error("cannot read evidence file '%s': %s", path, strerror(errno));
	crypto_generichash_state st;
	uint8_t buf[65536];
	size_t n;
	crypto_generichash_init(&st, NULL, 0, 32);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		crypto_generichash_update(&st, buf, n);
	int bad = ferror(f);
	fclose(f);
	if (bad)
		return ctl_error("cannot read evidence file '%s'", path);
	crypto_generichash_final(&st, out, 32);
	return 0;
}

static int act(const struct verb *v, int argc, char **argv)
{
	enum { O_ALLIANCE = 256, O_REASON, O_NOTE, O_COMMENT, O_EVIDENCE, O_RATING, O_TIMELINESS,
	       O_OWNER, O_DUE, O_DEPENDS, O_DELIVERABLE, O_UPHOLD, O_REJECT, O_PARAM, O_APPROVE,
	       O_ADD, O_REMOVE, O_ENDPOINT, O_REPLACE, O_KEY, O_PAST };
	static const struct option opts[] = {
		{ "alliance", required_argument, NULL, O_ALLIANCE },
		{ "reason", required_argument, NULL, O_REASON },
		{ "note", required_argument, NULL, O_NOTE },
		{ "comment", required_argument, NULL, O_COMMENT },
		{ "evidence", required_argument, NULL, O_EVIDENCE },
		{ "rating", required_argument, NULL, O_RATING },
		{ "timeliness", required_argument, NULL, O_TIMELINESS },
		{ "owner", required_argument, NULL, O_OWNER },
		{ "due", required_argument, NULL, O_DUE },
		{ "depends", required_argument, NULL, O_DEPENDS },
		{ "deliverable", required_argument, NULL, O_DELIVERABLE },
		{ "uphold", no_argument, NULL, O_UPHOLD },
		{ "reject", no_argument, NULL, O_REJECT },
		{ "param", required_argument, NULL, O_PARAM },
		{ "approve", required_argument, NULL, O_APPROVE },
		{ "add", required_argument, NULL, O_ADD },
		{ "remove", required_argument, NULL, O_REMOVE },
		{ "endpoint", required_argument, NULL, O_ENDPOINT },
		{ "replace", required_argument, NULL, O_REPLACE },
		{ "key", required_argument, NULL, O_KEY },
		{ "past", no_argument, NULL, O_PAST },
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *home_opt = NULL, *text = NULL, *evidence = NULL, *owner = NULL;
	char *depends[64], *params[64], why[AL_ERRLEN];
	const char *approve = NULL, *add = NULL, *remove = NULL, *endpoint = NULL, *replace = NULL,
		   *key = NULL;
	struct al_request rq = { .op = AL_OP_ACT, .alliance = (char *)"" };
	bool confirm = !strcmp(v->name, "confirm"), feedback = !strcmp(v->name, "feedback");
	bool task = !strcmp(v->name, "task"), has_due = false;
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "hH:", opts, NULL)) != -1) {
		/* Each verb takes only the options its usage names. */
		const char *name = opt >= 256 ? opts[opt - 256].name : NULL;
		char flag[32];
		snprintf(flag, sizeof flag, "--%s ", name ? name : "");
		if (name && !strstr(v->usage, flag))
			return ctl_usage(v->name, "%s takes no --%s", v->name, name);
		switch (opt) {
		case 'h': fputs(v->usage, stdout); fputs(key_help, stdout); return 0;
		case 'H': home_opt = optarg; break;
		case O_ALLIANCE: rq.alliance = optarg; break;
		case O_REASON:
		case O_NOTE:
		case O_COMMENT: text = optarg; break;
		case O_EVIDENCE: evidence = optarg; break;
		case O_RATING:
			if (rating(v->name, optarg, "--rating", &rq.act.quality))
				return CTL_EXIT_USAGE;
			break;
		case O_TIMELINESS:
			if (rating(v->name, optarg, "--timeliness", &rq.act.timeliness))
				return CTL_EXIT_USAGE;
			break;
		case O_OWNER: owner = optarg; break;
		case O_DUE:
			if (when_parse(optarg, when_now(), &rq.act.due, why))
				return ctl_usage(v->name, "--due: %s", why);
			has_due = true;
			rq.act.due_offset = *optarg == '+' || *optarg == '-';
			break;
		case O_KEY:
			if (msg_check_idempotency_key(optarg, why))
				return ctl_usage(v->name, "--key: %s", why);
			key = optarg;
			break;
		case O_PAST: rq.act.past = true; break;
		case O_DEPENDS:
			if (rq.act.n_depends == sizeof depends / sizeof depends[0])
				return ctl_usage(v->name, "at most %zu --depends", rq.act.n_depends);
			depends[rq.act.n_depends++] = optarg;
			break;
		case O_DELIVERABLE: rq.act.deliverable = optarg; break;
		case O_PARAM:
			if (rq.act.n_params == sizeof params / sizeof params[0])
				return ctl_usage(v->name, "at most %zu --param", rq.act.n_params);
			params[rq.act.n_params++] = optarg;
			break;
		case O_APPROVE: approve = optarg; break;
		case O_ADD: add = optarg; break;
		case O_REMOVE: remove = optarg; break;
		case O_ENDPOINT: endpoint = optarg; break;
		case O_REPLACE: replace = optarg; break;
		case O_UPHOLD:
		case O_REJECT:
			if (rq.act.ruling)
				return ctl_usage(v->name, "give one of --uphold and --reject");
			rq.act.ruling = opt == O_UPHOLD ? AL_RULING_UPHOLD : AL_RULING_REJECT;
			break;
		default: return ctl_usage(v->name, "bad option");
		}
	}
	bool amend = !strcmp(v->name, "amend");
	if (amend) {
		if (optind != argc)
			return ctl_usage(v->name, "unexpected argument '%s'", argv[optind]);
		if (!!approve + !!rq.act.n_params + !!add + !!remove + !!endpoint + !!replace != 1)
			return ctl_usage(v->name, "give one of --param KEY=VALUE, --add CARD, --remove "
					 "NAME, --replace CARD (a proposal), --endpoint ENDPOINT (this "
					 "member's own) and --approve ID");
	} else if (task) { /* "task add TITLE" */
		if (optind >= argc || strcmp(argv[optind], "add"))
			return ctl_usage(v->name, "say 'task add TITLE --owner NAME --due WHEN'");
		optind++;
		if (optind + 1 != argc)
			return ctl_usage(v->name, "task add needs one TITLE (quote it)");
		if (!owner || !has_due)
			return ctl_usage(v->name, "task add needs --owner NAME and --due WHEN");
		/* A retry under a key may come after the due time passed: the
		 * daemon, which knows, checks that one. */
		char t[AL_WHENLEN], n[AL_WHENLEN];
		int64_t now = when_now();
		if (!rq.act.past && !key && rq.act.due < now)
			return ctl_usage(v->name, "--due %s is in the past (it is %s); give --past to "
					 "record a task already overdue", when_format(rq.act.due, t),
					 when_format(now, n));
		text = argv[optind];
	} else if (optind + 1 != argc) {
		return ctl_usage(v->name, feedback ? "feedback needs one member NAME"
						   : "%s needs one commitment ID (like acme/3)", v->name);
	}
	if ((confirm || feedback) && !rq.act.quality)
		return ctl_usage(v->name, "%s needs --rating 1..5", v->name);
	if ((!strcmp(v->name, "dispute") || !strcmp(v->name, "escalate")) && !text)
		return ctl_usage(v->name, "%s needs --reason TEXT", v->name);
	if (!strcmp(v->name, "resolve") && !rq.act.ruling)
		return ctl_usage(v->name, "resolve needs --uphold or --reject");
	if (confirm && !rq.act.timeliness)
		rq.act.timeliness = rq.act.quality;
	const char *home = ctl_home(home_opt);
	if (!home)
		return CTL_EXIT_USAGE;
	if (evidence) {
		if (sodium_init() < 0 || hash_file(evidence, rq.act.evidence))
			return CTL_EXIT_FAIL;
		rq.act.has_evidence = true;
	}
	rq.act.verb = (char *)(approve ? "approve" : v->name);
	rq.act.id = (char *)(approve ? approve : task || feedback || amend ? "" : argv[optind]);
	rq.act.params = params;
	rq.act.card = (char *)(add ? add : "");
	rq.act.remove = (char *)(remove ? remove : "");
	rq.act.endpoint = (char *)(endpoint ? endpoint : "");
	rq.act.replace = (char *)(replace ? replace : "");
	rq.act.name = (char *)(task ? owner : feedback ? argv[optind] : "");
	rq.act.depends = depends;
	if (!rq.act.deliverable)
		rq.act.deliverable = (char *)"";
	rq.act.text = (char *)(text ? text : "");
	rq.act.evidence_ref = (char *)(evidence ? evidence : "");
	rq.act.key = (char *)(key ? key : "");
	struct al_reply rp;
	int rc = ctl_call(home, &rq, &rp);
	if (rc)
		return rc;
	json_t *j = json_loads(rp.json, 0, NULL);
	control_reply_clear(&rp);
	if (!j || !json_is_string(json_object_get(j, "id"))) {
		json_decref(j);
		return ctl_error("the daemon's answer has no id");
	}
	printf("%s\n", json_string_value(json_object_get(j, "id")));
	json_decref(j);
	return 0;
}

#define VERB(fn, i)                                  \
	int fn(int argc, char **argv)                \
	{                                            \
		return act(&verbs[i], argc, argv);   \
	}
VERB(cmd_accept, 0)
VERB(cmd_decline, 1)
VERB(cmd_deliver, 2)
VERB(cmd_confirm, 3)
VERB(cmd_dispute, 4)
VERB(cmd_release, 5)
VERB(cmd_escalate, 6)
VERB(cmd_resolve, 7)
VERB(cmd_feedback, 8)
VERB(cmd_amend, 9)
VERB(cmd_task, 10)
