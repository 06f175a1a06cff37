/* alliancectl: the command line of alliance.
 *
 * main() strips the global options (-H HOME), finds the subcommand in the
 * table below and hands it the rest. Subcommands live in clients/, in files
 * named for them (charter_cmd.c),
 * one function each; the command-line contract is ../shared/DESIGN.md §8.
 */
#include "ctl.h"
#include "card.h"
#include "err.h"
#include "file.h"
#include "home.h"
#include "key.h"
#include "text.h"

#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ctl_global_home;

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "charter", cmd_charter, "create, sign and show the alliance's charter" },
	{ "join", cmd_join, "have the daemon adopt a signed charter" },
	{ "commit", cmd_commit, "promise a deliverable to other members, by a due time" },
	{ "status", cmd_status, "the daemon, its alliances, links, counters and rejections" },
	{ "metrics", cmd_metrics, "the daemon's counters and gauges for Prometheus (textfile)" },
	{ "task", cmd_task, "task add: program a task with an owner and a due time" },
	{ "accept", cmd_accept, "as a beneficiary, accept a proposed commitment" },
	{ "decline", cmd_decline, "as a beneficiary, decline a proposed commitment" },
	{ "deliver", cmd_deliver, "as the promisor, deliver (an evidence file is hashed)" },
	{ "confirm", cmd_confirm, "as a beneficiary, confirm a delivery with a rating" },
	{ "dispute", cmd_dispute, "as a beneficiary, dispute a delivery, saying why" },
	{ "release", cmd_release, "release a commitment by mutual agreement (no penalty)" },
	{ "escalate", cmd_escalate, "take a dispute to the charter's resolver" },
	{ "resolve", cmd_resolve, "as the resolver, uphold or reject an escalated dispute" },
	{ "feedback", cmd_feedback, "rate a member outside any one commitment" },
	{ "amend", cmd_amend, "propose or approve new trust parameters (at the quorum)" },
	{ "trust", cmd_trust, "trust, uncertainty and reciprocity per partner (NAME explains)" },
	{ "scorecard", cmd_scorecard, "reliability, quality, responsiveness, reciprocity per partner" },
	{ "commitments", cmd_commitments, "every commitment and its state (--state, --as-of)" },
	{ "portfolio", cmd_portfolio, "every alliance joined, and each partner firm across them" },
	{ "report", cmd_report, "the alliance as one HTML page: charts, scorecard (-o FILE)" },
	{ "log", cmd_log, "every message of the alliance, in arrival order (--follow)" },
	{ "audit", cmd_audit, "verify logs offline against the charter" },
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
	fprintf(f, "usage: alliancectl [-H HOME] COMMAND [ARGS]\n\n"
		   "Coordinate a strategic alliance through signed, auditable messages.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nOptions:\n"
		   "  -H, --home HOME  the partner's home (default: $ALLIANCE_HOME)\n"
		   "  -h, --help       this help; 'alliancectl COMMAND --help' for a command\n"
		   "  --version        print the version\n\n"
		   "See README.md and docs/ for the protocol, the log format and the trust model.\n");
}

/* "alliancectl: MESSAGE" on stderr, escaped: errors quote titles, names
 * and the daemon's refusals, which may quote a partner's text. */
static void say(const char *fmt, va_list ap)
{
	char *msg = NULL, *safe = NULL;
	if (vasprintf(&msg, fmt, ap) >= 0)
		safe = text_escaped(msg);
	fprintf(stderr, "alliancectl: %s\n", safe ? safe : "out of memory");
	free(safe);
	free(msg);
}

int ctl_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
	return CTL_EXIT_FAIL;
}

int ctl_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
	fprintf(stderr, "(see 'alliancectl %s --help')\n", cmd);
	return CTL_EXIT_USAGE;
}

/* Without -H or $ALLIANCE_HOME: the one home under the state directory
 * where the systemd unit keeps them (/var/lib/allianced/NAME, or
 * $ALLIANCE_STATE_DIR), when there is exactly one. */
static const char *default_home(void)
{
	static char found[PATH_MAX];
	const char *dir = getenv("ALLIANCE_STATE_DIR");
	char names[512] = "", path[PATH_MAX];
	size_t n = 0, used = 0;
	if (!dir || !*dir)
		dir = "/var/lib/allianced";
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' ||
		    snprintf(path, sizeof path, "%s/%s/%s", dir, de->d_name, AL_CONFIG_FILE) >=
			    (int)sizeof path ||
		    access(path, F_OK) != 0)
			continue;
		if (n++ == 0)
			snprintf(found, sizeof found, "%s/%s", dir, de->d_name);
		if (used < sizeof names)
			used += (size_t)snprintf(names + used, sizeof names - used, "%s%s",
						 used ? ", " : "", de->d_name);
	}
	if (d)
		closedir(d);
	if (n == 1)
		return found;
	if (n > 1)
		ctl_error("no home given, and %s holds %zu (%s): pick one with -H %s/NAME or "
			  "ALLIANCE_HOME", dir, n, names, dir);
	else
		ctl_error("no home given: use -H HOME or set ALLIANCE_HOME (%s holds no home)", dir);
	return NULL;
}

const char *ctl_home(const char *opt)
{
	if (opt)
		return opt;
	if (ctl_global_home)
		return ctl_global_home;
	const char *env = getenv("ALLIANCE_HOME");
	if (env && *env)
		return env;
	return default_home();
}

int ctl_read_card(const char *arg, struct al_member *out)
{
	char why[AL_ERRLEN];
	/* A card has no spaces and contains '='; anything else may be a file. */
	if (!strchr(arg, '=')) {
		uint8_t *buf;
		size_t len;
		int rc = file_read(arg, 64 * 1024, &buf, &len, why);
		if (rc == AL_E_NOENT)
			return ctl_error("'%s' is neither a member card nor a file holding one "
					 "(a card is the last line 'allianced init' printed)", arg);
		if (rc)
			return ctl_error("%s", why);
		char *s = (char *)buf, *last = NULL;
		for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n")) {
			char *p = line;
			while (isspace((unsigned char)*p))
				p++;
			if (*p)
				last = p;
		}
		rc = last ? card_parse(last, out, why) : AL_E_PARSE;
		free(buf);
		if (rc)
			return ctl_error("file '%s' holds no valid member card%s%s", arg,
					 last ? ": " : "", last ? why : "");
		return 0;
	}
	if (card_parse(arg, out, why))
		return ctl_error("%s", why);
	return 0;
}

char *ctl_json_dumps(const json_t *j, size_t flags)
{
	char *raw = j ? json_dumps(j, flags) : NULL, *s = NULL;
	if (raw) {
		size_t n = text_escape_json(raw, NULL, 0) + 1;
		if ((s = malloc(n)))
			text_escape_json(raw, s, n);
	}
	free(raw);
	return s;
}

int ctl_json_escape(json_t *j)
{
	size_t i;
	const char *k;
	json_t *v;
	if (json_is_string(j)) {
		/* An escape is always longer than what it shows: the same
		 * length means nothing to escape (the common case). */
		const char *s = json_string_value(j);
		if (text_escape(s, NULL, 0) == strlen(s))
			return 0;
		char *e = text_escaped(s);
		int rc = e ? json_string_set(j, e) : -1;
		free(e);
		return rc;
	}
	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if (ctl_json_escape(v))
				return -1;
		return 0;
	}
	if (!json_is_object(j))
		return 0;
	bool keys = false;
	json_object_foreach(j, k, v) {
		if (ctl_json_escape(v))
			return -1;
		keys |= text_escape(k, NULL, 0) != strlen(k);
	}
	if (!keys)
		return 0;
	/* Keys that change: a new object in the same order (escaping is
	 * one-to-one, so no two escaped keys collide), then moved over. */
	json_t *o = json_object();
	int rc = o ? 0 : -1;
	json_object_foreach(j, k, v) {
		char *e = rc ? NULL : text_escaped(k);
		if (!e || json_object_set(o, e, v))
			rc = -1;
		free(e);
	}
	if (rc == 0)
		rc = json_object_clear(j) || json_object_update(j, o) ? -1 : 0;
	json_decref(o);
	return rc;
}

const char *ctl_esc(const char *s, char *buf, size_t n)
{
	text_escape(s, buf, n);
	return buf;
}

int ctl_print_json(json_t *j)
{
	/* j is NULL when building it failed: jansson refuses text that is not
	 * valid UTF-8 (a file name, say), or memory ran out. */
	char *s = ctl_json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
	json_decref(j);
	if (!s)
		return ctl_error("cannot print the result as JSON: some text in it (a name, "
				 "a title, a file name) is not valid UTF-8, or memory ran out");
	puts(s);
	free(s);
	return 0;
}

int main(int argc, char **argv)
{
	if (key_init()) {
		fprintf(stderr, "alliancectl: libsodium failed to initialise\n");
		return CTL_EXIT_FAIL;
	}
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--version")) {
			printf("alliancectl %s\n", ALLIANCE_VERSION);
			return 0;
		} else if (!strcmp(a, "-H") || !strcmp(a, "--home")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "alliancectl: %s needs a directory\n", a);
				return CTL_EXIT_USAGE;
			}
			ctl_global_home = argv[++i];
		} else if (!strncmp(a, "--home=", 7)) {
			ctl_global_home = a + 7;
		} else if (!strncmp(a, "-H", 2)) {
			ctl_global_home = a + 2;
		} else {
			fprintf(stderr, "alliancectl: unknown option '%s' (see 'alliancectl --help')\n", a);
			return CTL_EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	if (!strcmp(argv[i], "help")) {
		if (i + 1 < argc) {
			char *help_argv[] = { argv[i + 1], (char *)"--help", NULL };
			for (size_t c = 0; c < N_COMMANDS; c++)
				if (!strcmp(commands[c].name, argv[i + 1]))
					return commands[c].fn(2, help_argv);
		}
		usage(stdout);
		return 0;
	}
	for (size_t c = 0; c < N_COMMANDS; c++)
		if (!strcmp(commands[c].name, argv[i]))
			return commands[c].fn(argc - i, argv + i);
	fprintf(stderr, "alliancectl: unknown command '%s' (commands:", argv[i]);
	for (size_t c = 0; c < N_COMMANDS; c++)
		fprintf(stderr, " %s", commands[c].name);
	fprintf(stderr, "; see 'alliancectl --help')\n");
	return CTL_EXIT_USAGE;
}
