/* allianced: the partner daemon.
 *
 * `allianced init` creates a partner's home (keys, config, member card);
 * `allianced run` is the daemon (daemon.c: one reactor, the control socket;
 * peer links and replication arrive with the rest of issue 3).
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
	"usage: allianced init HOME --name NAME --listen tcp://HOST:PORT\n"
	"       allianced run HOME\n\n"
	"Commands:\n"
	"  init   create a partner's home: an Ed25519 signing key, a separate X25519\n"
	"         transport key for CurveZMQ (both mode 0600), allianced.conf; print\n"
	"         the member card as the last line\n"
	"  run    run the daemon in the foreground; stop it with SIGTERM or SIGINT\n"
	"         (Ctrl-C): it flushes its logs, closes and exits 0\n\n"
	"HOME defaults to $ALLIANCE_HOME. See README.md and docs/config.md.\n";

static const char init_usage[] =
	"usage: allianced init HOME --name NAME --listen tcp://HOST:PORT\n\n"
	"Create a new home in HOME (it may exist but must not hold keys or a config).\n"
	"  --name NAME        this partner's name in charters and ids (acme/12):\n"
	"                     1-32 letters, digits, '.', '_' or '-'\n"
	"  --listen ENDPOINT  where the other partners' daemons reach this one,\n"
	"                     tcp://HOST:PORT\n"
	"The member card, printed last, is what the charter's author needs.\n";

static int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "listen", required_argument, NULL, 'l' },
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *name = NULL, *listen = NULL, *home = NULL;
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "hH:", opts, NULL)) != -1) {
		switch (opt) {
		case 'n': name = optarg; break;
		case 'l': listen = optarg; break;
		case 'H': home = optarg; break;
		case 'h': fputs(init_usage, stdout); return 0;
		default:
			fprintf(stderr, "allianced: bad option (see 'allianced init --help')\n");
			return 2;
		}
	}
	if (optind < argc)
		home = argv[optind++];
	if (!home)
		home = getenv("ALLIANCE_HOME");
	if (optind < argc) {
		fprintf(stderr, "allianced: unexpected argument '%s' (see 'allianced init --help')\n",
			argv[optind]);
		return 2;
	}
	if (!home || !*home || !name || !listen) {
		fprintf(stderr, "allianced: init needs HOME, --name and --listen, e.g.\n"
				"  allianced init ./acme --name acme --listen tcp://127.0.0.1:7001\n");
		return 2;
	}
	char why[AL_ERRLEN], card[AL_CARDLEN];
	struct al_home *h;
	if (home_init(home, name, listen, &h, why)) {
		fprintf(stderr, "allianced: %s\n", why);
		return 1;
	}
	printf("created the home of '%s' in %s\n", h->self.name, home);
	printf("  config         %s/%s\n", home, AL_CONFIG_FILE);
	printf("  signing key    %s/sign.key (Ed25519, mode 0600)\n", home);
	printf("  transport key  %s/transport.key (X25519 for CurveZMQ, mode 0600)\n", home);
	printf("member card (also in %s/member.card), for 'alliancectl charter new --member':\n", home);
	printf("%s\n", card_format(&h->self, card));
	home_close(&h);
	return 0;
}

int main(int argc, char **argv)
{
	if (key_init()) {
		fprintf(stderr, "allianced: libsodium failed to initialise\n");
		return 1;
	}
	if (argc < 2) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("allianced %s\n", ALLIANCE_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "init"))
		return cmd_init(argc - 1, argv + 1);
	if (!strcmp(argv[1], "run")) {
		const char *home = argc > 2 ? argv[2] : getenv("ALLIANCE_HOME");
		if (argc > 2 && (!strcmp(argv[2], "-h") || !strcmp(argv[2], "--help"))) {
			fputs("usage: allianced run HOME\n\nRun the daemon of HOME (default: "
			      "$ALLIANCE_HOME) in the foreground,\nlogging to stderr. SIGTERM or "
			      "SIGINT stops it cleanly (exit 0).\n", stdout);
			return 0;
		}
		if (!home || !*home || argc > 3) {
			fprintf(stderr, "allianced: usage: allianced run HOME\n");
			return 2;
		}
		return daemon_run(home);
	}
	fprintf(stderr, "allianced: unknown command '%s' (commands: init, run; see 'allianced --help')\n",
		argv[1]);
	return 2;
}
