/* allianced: the partner daemon.
 *
 * `allianced init` creates a partner's home (keys, config, member card);
 * `allianced check` validates a home without starting anything (like
 * sshd -t); `allianced run` is the daemon (daemon.c: one reactor, the
 * control socket; peer.c: the links to the other partners' daemons).
 */
#include "card.h"
#include "daemon.h"
#include "err.h"
#include "home.h"
#include "key.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: allianced [-H HOME] init [HOME] --name NAME --listen BIND [--advertise ENDPOINT]\n"
	"       allianced [-H HOME] check [HOME]\n"
	"       allianced [-H HOME] run [HOME]\n\n"
	"Commands:\n"
	"  init   create a partner's home: an Ed25519 signing key, a separate X25519\n"
	"         transport key for CurveZMQ (both mode 0600), allianced.conf; print\n"
	"         the member card as the last line\n"
	"  check  validate the home's config, keys and alliances without starting\n"
	"         (like sshd -t): exit 0 when it would start, 1 with the reason\n"
	"  run    run the daemon in the foreground; stop it with SIGTERM or SIGINT\n"
	"         (Ctrl-C): it flushes its logs, closes and exits 0; SIGHUP re-reads\n"
	"         the log level\n\n"
	"HOME is the argument, or -H HOME (--home) among the command's options or\n"
	"before its name, or $ALLIANCE_HOME. See README.md and docs/config.md.\n";

static const char run_usage[] =
	"usage: allianced run [HOME]\n\n"
	"Run the daemon of HOME (or -H HOME, or $ALLIANCE_HOME) in the foreground,\n"
	"logging to stderr (with journald priorities and no timestamp when\n"
	"$JOURNAL_STREAM says stderr is the journal). SIGTERM or SIGINT stops it\n"
	"cleanly (exit 0); SIGHUP re-reads log_level from allianced.conf and never\n"
	"stops it. Under systemd (Type=notify) it sends READY=1 once its control\n"
	"socket answers. It refuses a home that others could write, as 'allianced\n"
	"check' says.\n";

static const char check_usage[] =
	"usage: allianced check [HOME]\n\n"
	"Validate the home of HOME (or -H HOME, or $ALLIANCE_HOME) as 'allianced run'\n"
	"would, and start nothing: allianced.conf (every key, listen and advertise),\n"
	"the key files (modes, owner, that they match the config), each alliance\n"
	"joined (its charter, its log's framing), and, as sshd's StrictModes, that\n"
	"no one else can write the home, its config, keys or alliances/ (nor a\n"
	"directory above it, but for a sticky one of root's such as /tmp), naming\n"
	"the 'chmod go-w PATH' that fixes it. Prints what it checked;\n"
	"exit 0 when the daemon would start, 1 with the reason otherwise. It does\n"
	"not bind the port, so it may run while the daemon runs.\n";

/* -H HOME given before the command's name (NULL if none). */
static const char *global_home;

/* The home: the HOME argument, -H among the command's options, -H before
 * the command, $ALLIANCE_HOME (when not empty), in that order. Two
 * different homes given at once are an error, not a silent choice. */
static const char *pick_home(const char *cmd, const char *arg, const char *opt)
{
	const char *flag = opt ? opt : global_home;
	if (arg && flag && strcmp(arg, flag)) {
		fprintf(stderr, "allianced: two homes given, '%s' and -H '%s': give one "
			"(see 'allianced %s --help')\n", arg, flag, cmd);
		return NULL;
	}
	const char *home = arg ? arg : flag ? flag : getenv("ALLIANCE_HOME");
	if (!home || !*home) {
		fprintf(stderr, "allianced: %s needs a home: give HOME, -H HOME or set "
			"ALLIANCE_HOME (see 'allianced %s --help')\n", cmd, cmd);
		return NULL;
	}
	return home;
}

static const char init_usage[] =
	"usage: allianced init [HOME] --name NAME --listen BIND [--advertise ENDPOINT]\n\n"
	"Create a new home in HOME (it may exist but must not hold keys or a config;\n"
	"it is made mode 0700 either way).\n"
	"  --name NAME           this partner's name in charters and ids (acme/12):\n"
	"                        1-32 letters, digits, '.', '_' or '-'\n"
	"  --listen BIND         what the daemon binds: tcp://ADDRESS:PORT with an\n"
	"                        address or interface of this machine, or\n"
	"                        tcp://0.0.0.0:PORT or tcp://*:PORT for all of them\n"
	"  --advertise ENDPOINT  the endpoint on the member card, which the other\n"
	"                        partners' daemons dial: tcp://HOST:PORT, HOST a DNS\n"
	"                        name (resolved at every connection attempt) or an\n"
	"                        address they reach, e.g. a NAT's port forward.\n"
	"                        Default: --listen, when that is one address.\n"
	"The member card, printed last, is what the charter's author needs.\n"
	"Example:\n"
	"  allianced init /var/lib/allianced/acme --name acme \\\n"
	"      --listen tcp://0.0.0.0:7001 --advertise tcp://alliance.acme.example:7001\n";

static int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "listen", required_argument, NULL, 'l' },
		{ "advertise", required_argument, NULL, 'a' },
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *name = NULL, *listen = NULL, *advertise = NULL, *home_opt = NULL, *arg = NULL;
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "hH:", opts, NULL)) != -1) {
		switch (opt) {
		case 'n': name = optarg; break;
		case 'l': listen = optarg; break;
		case 'a': advertise = optarg; break;
		case 'H': home_opt = optarg; break;
		case 'h': fputs(init_usage, stdout); return 0;
		default:
			fprintf(stderr, "allianced: bad option (see 'allianced init --help')\n");
			return 2;
		}
	}
	if (optind < argc)
		arg = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "allianced: unexpected argument '%s' (see 'allianced init --help')\n",
			argv[optind]);
		return 2;
	}
	const char *home = pick_home("init", arg, home_opt);
	if (!home)
		return 2;
	if (!name || !listen) {
		fprintf(stderr, "allianced: init needs HOME, --name and --listen, e.g.\n"
				"  allianced init ./acme --name acme --listen tcp://127.0.0.1:7001\n"
				"  allianced init ./acme --name acme --listen tcp://0.0.0.0:7001 "
				"--advertise tcp://alliance.acme.example:7001\n");
		return 2;
	}
	char why[AL_ERRLEN], card[AL_CARDLEN];
	struct al_home *h;
	if (home_init(home, name, listen, advertise, &h, why)) {
		fprintf(stderr, "allianced: %s\n", why);
		return 1;
	}
	printf("created the home of '%s' in %s\n", h->self.name, home);
	printf("  config         %s/%s\n", home, AL_CONFIG_FILE);
	printf("  signing key    %s/sign.key (Ed25519, mode 0600)\n", home);
	printf("  transport key  %s/transport.key (X25519 for CurveZMQ, mode 0600)\n", home);
	printf("  listens on     %s; partners dial %s\n", h->listen, h->self.endpoint);
	printf("member card (also in %s/member.card), for 'alliancectl charter new --member':\n", home);
	printf("%s\n", card_format(&h->self, card));
	/* The home is sound, but what holds it may not be: say so now, not
	 * at the first start. */
	if (home_check_modes(home, why))
		fprintf(stderr, "allianced: warning: 'allianced run' will refuse this home: %s\n",
			why);
	home_close(&h);
	return 0;
}

/* run and check: [HOME] and -H, nothing else. */
static const char *home_only(const char *cmd, const char *usage, int argc, char **argv,
			     int *status)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *home_opt = NULL, *arg = NULL;
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "hH:", opts, NULL)) != -1) {
		switch (opt) {
		case 'H': home_opt = optarg; break;
		case 'h': fputs(usage, stdout); *status = 0; return NULL;
		default:
			fprintf(stderr, "allianced: bad option (see 'allianced %s --help')\n", cmd);
			*status = 2;
			return NULL;
		}
	}
	if (optind < argc)
		arg = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "allianced: unexpected argument '%s' (see 'allianced %s --help')\n",
			argv[optind], cmd);
		*status = 2;
		return NULL;
	}
	*status = 2;
	return pick_home(cmd, arg, home_opt);
}

static int cmd_run(int argc, char **argv)
{
	int status;
	const char *home = home_only("run", run_usage, argc, argv, &status);
	return home ? daemon_run(home) : status;
}

static int cmd_check(int argc, char **argv)
{
	int status;
	const char *home = home_only("check", check_usage, argc, argv, &status);
	return home ? daemon_check(home) : status;
}

int main(int argc, char **argv)
{
	if (key_init()) {
		fprintf(stderr, "allianced: libsodium failed to initialise\n");
		return 1;
	}
	/* Global options before the command: -H HOME (DESIGN §8), as in
	 * alliancectl. */
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_text, stdout);
			return 0;
		} else if (!strcmp(a, "--version")) {
			printf("allianced %s\n", ALLIANCE_VERSION);
			return 0;
		} else if (!strcmp(a, "-H") || !strcmp(a, "--home")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "allianced: %s needs a directory\n", a);
				return 2;
			}
			global_home = argv[++i];
		} else if (!strncmp(a, "--home=", 7)) {
			global_home = a + 7;
		} else if (!strncmp(a, "-H", 2)) {
			global_home = a + 2;
		} else {
			fprintf(stderr, "allianced: unknown option '%s' (see 'allianced --help')\n", a);
			return 2;
		}
	}
	if (i >= argc) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (!strcmp(argv[i], "help")) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (!strcmp(argv[i], "init"))
		return cmd_init(argc - i, argv + i);
	if (!strcmp(argv[i], "run"))
		return cmd_run(argc - i, argv + i);
	if (!strcmp(argv[i], "check"))
		return cmd_check(argc - i, argv + i);
	fprintf(stderr, "allianced: unknown command '%s' (commands: init, check, run; see "
		"'allianced --help')\n",
		argv[i]);
	return 2;
}
