/* status_cmd.c: alliancectl status: the daemon, its alliances and counters. */
#include "ctl.h"
#include "err.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char status_usage[] =
	"usage: alliancectl status [-H HOME] [--alliance ID|TITLE] [--json]\n\n"
	"What the daemon of HOME is doing: its name and endpoint, every alliance it\n"
	"has joined, each member's feed as held here and its standing (founder,\n"
	"joined or left by amendment, or this home's candidate waiting to be\n"
	"added), the link to each other member's daemon (connection, last heard,\n"
	"what it holds of our feed and what its own signed messages acknowledge),\n"
	"the count of messages accepted and rejected by reason, the latest\n"
	"rejections with their reasons, and every signed message that broke the\n"
	"alliance's rules (a violation by its author: it stays in the log and\n"
	"changes nothing).\n";

int cmd_status(int argc, char **argv)
{
	enum { O_JSON = 256, O_ALLIANCE };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, O_JSON },
		{ "alliance", required_argument, NULL, O_ALLIANCE },
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *home_opt = NULL, *sel = "";
	int opt, json = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "hH:", opts, NULL)) != -1) {
		switch (opt) {
		case 'h': fputs(status_usage, stdout); return 0;
		case 'H': home_opt = optarg; break;
		case O_JSON: json = 1; break;
		case O_ALLIANCE: sel = optarg; break;
		default: return ctl_usage("status", "bad option");
		}
	}
	if (optind != argc)
		return ctl_usage("status", "unexpected argument '%s'", argv[optind]);
	const char *home = ctl_home(home_opt);
	if (!home)
		return CTL_EXIT_USAGE;
	struct al_request rq = { .op = AL_OP_STATUS, .alliance = (char *)sel };
	struct al_reply rp;
	if (ctl_call(home, &rq, &rp))
		return CTL_EXIT_FAIL;
	json_t *j = json_loads(rp.json, 0, NULL);
	control_reply_clear(&rp);
	if (!j)
		return ctl_error("the daemon sent a status that is not JSON");
	if (json)
		return ctl_print_json(j);
	json_t *dm = json_object_get(j, "daemon"), *al = json_object_get(j, "alliances");
	printf("daemon    %s (pid %lld), listening on %s, since %s\n",
	       json_string_value(json_object_get(dm, "name")),
	       (long long)json_integer_value(json_object_get(dm, "pid")),
	       json_string_value(json_object_get(dm, "listen")),
	       json_string_value(json_object_get(dm, "started")));
	if (json_array_size(al) == 0)
		printf("alliances none yet: join one with 'alliancectl join CHARTER'\n");
	size_t i;
	json_t *a;
	json_array_foreach(al, i, a) {
		printf("alliance  '%s' (%.16s...) %s, %lld records, %lld equivocations\n",
		       json_string_value(json_object_get(a, "title")),
		       json_string_value(json_object_get(a, "id")),
		       json_is_true(json_object_get(a, "in_force")) ? "in force" : "NOT in force",
		       (long long)json_integer_value(json_object_get(a, "records")),
		       (long long)json_integer_value(json_object_get(a, "equivocations")));
		size_t k;
		json_t *m;
		json_array_foreach(json_object_get(a, "members"), k, m) {
			const char *standing = json_string_value(json_object_get(m, "standing"));
			printf("  member  %-16s %-28s feed at %lld%s%s\n",
			       json_string_value(json_object_get(m, "name")),
			       json_string_value(json_object_get(m, "endpoint")),
			       (long long)json_integer_value(json_object_get(m, "seq")),
			       standing && strcmp(standing, "founder") ? ", " : "",
			       standing && strcmp(standing, "founder") ? standing : "");
		}
		printf("  authoring %s\n", json_string_value(json_object_get(a, "authoring")));
		json_array_foreach(json_object_get(a, "links"), k, m) {
			json_t *heard = json_object_get(m, "last_heard");
			printf("  link    %-16s %-5s %-12s last heard %s, holds our feed to %lld, "
			       "signed ack %lld, in %lld, out %lld\n",
			       json_string_value(json_object_get(m, "member")),
			       json_string_value(json_object_get(m, "state")),
			       json_string_value(json_object_get(m, "connection")),
			       json_is_string(heard) ? json_string_value(heard) : "never",
			       (long long)json_integer_value(json_object_get(m, "holds_ours")),
			       (long long)json_integer_value(json_object_get(m, "acked")),
			       (long long)json_integer_value(json_object_get(m, "received")),
			       (long long)json_integer_value(json_object_get(m, "sent")));
		}
		const char *tag;
		json_t *v;
		int any = 0;
		printf("  counts ");
		json_object_foreach(json_object_get(a, "counters"), tag, v)
			if (json_integer_value(v))
				any = printf(" %s %lld", tag, (long long)json_integer_value(v));
		printf("%s\n", any ? "" : " no messages offered since start");
		json_array_foreach(json_object_get(a, "violations"), k, m)
			printf("  VIOLATION %s by %s: %s\n", json_string_value(json_object_get(m, "id")),
			       json_string_value(json_object_get(m, "member")),
			       json_string_value(json_object_get(m, "rule")));
	}
	json_t *pc = json_object_get(j, "peer_counters"), *rs = json_object_get(j, "rejections");
	printf("peers     %lld handshakes refused, %lld malformed, %lld from non-members\n",
	       (long long)json_integer_value(json_object_get(pc, "handshakes_refused")),
	       (long long)json_integer_value(json_object_get(pc, "malformed")),
	       (long long)json_integer_value(json_object_get(pc, "not_member")));
	if (json_array_size(rs))
		printf("rejections (latest %zu of %lld)\n", json_array_size(rs),
		       (long long)json_integer_value(json_object_get(pc, "rejections")));
	json_array_foreach(rs, i, a)
		printf("  %s  from %s: %s: %s\n", json_string_value(json_object_get(a, "at")),
		       json_string_value(json_object_get(a, "from")),
		       json_string_value(json_object_get(a, "reason")),
		       json_string_value(json_object_get(a, "detail")));
	json_decref(j);
	return 0;
}
