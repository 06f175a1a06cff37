/* join_cmd.c: alliancectl join FILE: the daemon adopts a signed charter. */
#include "ctl.h"
#include "charter.h"
#include "err.h"
#include "file.h"
#include "text.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char join_usage[] =
	"usage: alliancectl join FILE [-H HOME]\n\n"
	"Have the running daemon of HOME adopt the charter in FILE: it must be signed\n"
	"by every founding member. The daemon keeps it across restarts; joining the\n"
	"same charter again changes nothing.\n\n"
	"A firm that is not in the charter joins the same way, as a newcomer: its\n"
	"daemon links to the founders and waits until a member's 'alliancectl amend\n"
	"--add CARD' (with this home's card) has the quorum's approval; then it\n"
	"receives the alliance's log and may act ('alliancectl status' shows it).\n\n"
	"A new home for a member whose keys are lost or stolen ('allianced init\n"
	"NEWHOME --name NAME', the member's name) joins the same way and waits for\n"
	"'alliancectl amend --replace CARD'; then it acts for that member, which\n"
	"keeps its name, evidence and trust row (docs/operations.md).\n";

int cmd_join(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *home_opt = NULL;
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "hH:", opts, NULL)) != -1) {
		if (opt == 'h') {
			fputs(join_usage, stdout);
			return 0;
		} else if (opt == 'H') {
			home_opt = optarg;
		} else {
			return ctl_usage("join", "bad option");
		}
	}
	if (optind + 1 != argc)
		return ctl_usage("join", "join needs one charter FILE");
	const char *home = ctl_home(home_opt);
	if (!home)
		return CTL_EXIT_USAGE;
	char why[AL_ERRLEN];
	struct al_charter *c;
	/* Check it here first, so the error names the file. */
	if (charter_load(argv[optind], &c, why))
		return ctl_error("%s", why);
	struct al_request rq = { .op = AL_OP_JOIN, .alliance = (char *)"" };
	struct al_reply rp;
	if (file_read(argv[optind], AL_CHARTER_MAX, &rq.charter, &rq.charter_len, why)) {
		charter_destroy(&c);
		return ctl_error("%s", why);
	}
	/* The title is the charter's author's text: shown escaped (text.h). */
	char *title = text_escaped(c->title);
	int rc = title ? ctl_call(home, &rq, &rp) : ctl_error("out of memory");
	free(rq.charter);
	if (rc == 0) {
		json_t *j = json_loads(rp.json, 0, NULL);
		if (j && json_is_true(json_object_get(j, "already")))
			printf("already a member of '%s': nothing changed\n", title);
		else if (j && json_is_string(json_object_get(j, "replacing")))
			printf("joined alliance '%s' with new keys for member '%s': it may act for "
			       "'%s' once an amendment giving it this home's card ('alliancectl amend "
			       "--replace CARD', by a member) has the quorum's approval\n", title,
			       json_string_value(json_object_get(j, "replacing")),
			       json_string_value(json_object_get(j, "replacing")));
		else if (j && json_is_false(json_object_get(j, "founder")))
			printf("joined alliance '%s' as a newcomer: it may act once an amendment "
			       "adding this home's card ('alliancectl amend --add CARD', by a member) "
			       "has the quorum's approval\n", title);
		else
			printf("joined alliance '%s'\n", title);
		json_decref(j);
		control_reply_clear(&rp);
	}
	free(title);
	charter_destroy(&c);
	return rc;
}
