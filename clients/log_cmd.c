/* log_cmd.c: alliancectl log: the alliance's messages in the order this
 * home received them, read offline from the log file (the daemon need not
 * run); --follow waits for new ones, reading only what was appended
 * (log_tail_read). */
#include "ctl.h"
#include "roster.h"
#include "envelope.h"
#include "err.h"
#include "log.h"
#include "when.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char log_usage[] =
	"usage: alliancectl log [HOME|LOG] [-H HOME] [--alliance ID|TITLE] [--charter FILE]\n"
	"                       [--json] [--follow]\n\n"
	"Every message of the alliance as this home holds it, in arrival order:\n"
	"record number, timestamp, id (author/seq), kind and what it says. Reads the\n"
	"log file directly: it works with the daemon stopped, and on a log copied\n"
	"from elsewhere.\n\n"
	"  HOME|LOG          a home, an alliance directory or a log file (default:\n"
	"                    the home of -H HOME or $ALLIANCE_HOME)\n"
	"  --alliance ID     which alliance of a home that joined several\n"
	"  --charter FILE    the charter that names the members (default: the one\n"
	"                    beside the log)\n"
	"  --json            a JSON array of messages; with --follow, one JSON object\n"
	"                    per line (JSON Lines)\n"
	"  --follow          after the last message, wait for more (Ctrl-C ends); only\n"
	"                    what is appended is read, and a log replaced or cut\n"
	"                    shorter is said so and read again from its start\n";

struct printer {
	struct al_roster *ro; /* the members as the log's amendments change them */
	bool json, follow;
	uint64_t next; /* the first record not yet printed */
	json_t *all;   /* --json without --follow */
};

static int on_record(void *arg, const struct al_log_rec *r)
{
	struct printer *p = arg;
	struct al_envelope e;
	char why[AL_ERRLEN];
	if (r->index < p->next)
		return 0;
	p->next = r->index + 1;
	if (envelope_open(r->data, r->len, &e, why)) {
		ctl_error("record %llu: %s", (unsigned long long)r->index, why);
		return 0;
	}
	json_t *j = p->ro && roster_note(p->ro, &e.b) ? NULL : ctl_message_json(p->ro, &e);
	envelope_clear(&e);
	if (!j) {
		fprintf(stderr, "alliancectl: out of memory\n");
		return AL_E_NOMEM;
	}
	json_object_set_new(j, "record", json_integer((json_int_t)r->index));
	if (p->json && !p->follow) {
		json_array_append_new(p->all, j);
		return 0;
	}
	if (p->json) {
		char *s = ctl_json_dumps(j, JSON_COMPACT);
		if (s)
			puts(s);
		free(s);
	} else if (ctl_json_escape(j) == 0) { /* its text is the author's */
		char line[1024];
		ctl_message_line(j, line, sizeof line);
		printf("%6llu  %-24s  %-16s %-11s %s\n", (unsigned long long)r->index,
		       json_string_value(json_object_get(j, "timestamp")),
		       json_string_value(json_object_get(j, "id")),
		       json_string_value(json_object_get(j, "kind")), line);
	} else {
		json_decref(j);
		fprintf(stderr, "alliancectl: out of memory\n");
		return AL_E_NOMEM;
	}
	json_decref(j);
	return 0;
}

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int cmd_log(int argc, char **argv)
{
	enum { O_JSON = 256, O_FOLLOW, O_ALLIANCE, O_CHARTER };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, O_JSON },
		{ "follow", no_argument, NULL, O_FOLLOW },
		{ "alliance", required_argument, NULL, O_ALLIANCE },
		{ "charter", required_argument, NULL, O_CHARTER },
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *home_opt = NULL, *sel = NULL, *charter_path = NULL;
	struct printer p = { 0 };
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "hfH:", opts, NULL)) != -1) {
		switch (opt) {
		case 'h': fputs(log_usage, stdout); return 0;
		case 'H': home_opt = optarg; break;
		case O_JSON: p.json = true; break;
		case 'f':
		case O_FOLLOW: p.follow = true; break;
		case O_ALLIANCE: sel = optarg; break;
		case O_CHARTER: charter_path = optarg; break;
		default: return ctl_usage("log", "bad option");
		}
	}
	if (argc - optind > 1)
		return ctl_usage("log", "unexpected argument '%s'", argv[optind + 1]);
	const char *arg = ctl_log_arg("log", optind < argc ? argv[optind] : NULL, home_opt);
	if (!arg)
		return CTL_EXIT_USAGE;
	char why[AL_ERRLEN];
	struct al_charter *c = NULL;
	struct ctl_source src;
	if (ctl_open_log(arg, charter_path, sel, false, &src, &c))
		return CTL_EXIT_FAIL;
	if (c && roster_new(c, &p.ro)) {
		charter_destroy(&c);
		return ctl_error("out of memory");
	}
	p.all = json_array();
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	int rc;
	if (!p.follow) {
		/* A torn tail (a write in progress, or a crash) ends the scan
		 * quietly; corruption is reported. */
		rc = log_scan(src.log, on_record, NULL, &p, why);
	} else {
		/* Following reads only what was appended since the last look
		 * (log_tail_read), four times a second. */
		struct al_log_tail *t;
		bool restarted;
		rc = log_tail_open(src.log, &t, why);
		while (!rc && !stop && !(rc = log_tail_read(t, on_record, &p, &restarted, why))) {
			if (restarted) {
				fprintf(stderr, "alliancectl: the log '%s' was replaced or cut shorter: "
					"reading it again from its start\n", src.log);
				roster_destroy(&p.ro);
				charter_destroy(&c);
				rc = ctl_open_log(arg, charter_path, sel, false, &src, &c);
				if (!rc && c && roster_new(c, &p.ro))
					rc = ctl_error("out of memory");
				if (rc) {
					log_tail_close(&t);
					json_decref(p.all);
					charter_destroy(&c);
					return CTL_EXIT_FAIL;
				}
				p.next = 0;
				continue; /* its records now, not in a quarter of a second */
			}
			fflush(stdout);
			usleep(250 * 1000);
		}
		log_tail_close(&t);
	}
	roster_destroy(&p.ro);
	charter_destroy(&c);
	if (rc) {
		json_decref(p.all);
		return ctl_error("%s", why);
	}
	if (p.json && !p.follow)
		return ctl_print_json(p.all);
	json_decref(p.all);
	return 0;
}
