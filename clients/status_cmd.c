/* status_cmd.c: alliancectl status: the daemon, its alliances and counters;
 * status --check: one line and an exit status for monitoring. The health
 * rule (ctl_health) is here, and metrics_cmd.c uses it too. */
#include "ctl.h"
#include "err.h"
#include "table.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char status_usage[] =
	"usage: alliancectl status [-H HOME] [--alliance ID|TITLE] [--json]\n"
	"       alliancectl status --check [-H HOME] [--alliance ID|TITLE] [--min-free SIZE]\n\n"
	"What the daemon of HOME is doing: its name and endpoint, every alliance it\n"
	"has joined, each member's feed as held here and its standing (founder,\n"
	"joined or left by amendment, or this home's candidate waiting to be\n"
	"added), the link to each other member's daemon (connection, last heard,\n"
	"what it holds of our feed and what its own signed messages acknowledge),\n"
	"the count of messages accepted and rejected by reason, the latest\n"
	"rejections with their reasons, and every signed message that broke the\n"
	"alliance's rules (a violation by its author: it stays in the log and\n"
	"changes nothing); and the home's filesystem: its free space, whether the\n"
	"daemon can write there, and its last failed write.\n\n"
	"--check prints one line, 'OK: ...' with exit status 0, or 'DEGRADED: ...'\n"
	"naming each fault with exit status 1: a link to a current member silent\n"
	"for longer than the link timeout (4 s), authoring held, a violation, an\n"
	"equivocation, a home the daemon cannot write in, or too little free space\n"
	"there. A full disk (the daemon then signs and takes in nothing until there\n"
	"is space) and a daemon that does not answer give 'CRITICAL: ...', status 1.\n"
	"--min-free SIZE sets the free-space floor (64M, 2G, 5%; 0: none); by\n"
	"default less than 64 MiB or less than 1% of the filesystem is too little.\n"
	"The rules in full: docs/metrics.md.\n";

/* ------------------------------------------------------------ health */

int ctl_parse_min_free(const char *arg, struct ctl_min_free *out)
{
	char *end;
	if (!isdigit((unsigned char)*arg))
		goto bad;
	double v = strtod(arg, &end);
	if (end == arg || v < 0)
		goto bad;
	out->bytes = 0;
	out->percent = 0;
	if (!strcmp(end, "%")) {
		if (v > 100)
			goto bad;
		out->percent = v;
		return 0;
	}
	static const char units[] = "KMGT";
	double mult = 1;
	if (*end) {
		const char *u = strchr(units, toupper((unsigned char)*end));
		if (!u || !*u || (end[1] && strcmp(end + 1, "iB") && strcmp(end + 1, "B")))
			goto bad;
		for (const char *k = units; k <= u; k++)
			mult *= 1024;
	}
	if (v * mult >= 18e18)
		goto bad;
	out->bytes = (uint64_t)(v * mult);
	return 0;
bad:
	return ctl_error("bad --min-free '%s': give bytes with an optional K, M, G or T "
			 "(powers of 1024), or a percentage of the filesystem (64M, 2G, 5%%; "
			 "0 turns the test off)", arg);
}

/* A line that grows by pieces, cut (never overflowing) at its size. */
struct line {
	char *buf;
	size_t size, len;
};

static void line_add(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line_add(struct line *l, const char *fmt, ...)
{
	if (l->len + 1 >= l->size)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(l->buf + l->len, l->size - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len = l->len + (size_t)n < l->size ? l->len + (size_t)n : l->size - 1;
}

/* "12s", "3m05s", "2h10m", "3d4h": a duration in its two largest units. */
static const char *span(int64_t ms, char *buf, size_t n)
{
	int64_t s = ms < 0 ? 0 : ms / 1000;
	if (s < 60)
		snprintf(buf, n, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(buf, n, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else if (s < 86400)
		snprintf(buf, n, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else
		snprintf(buf, n, "%lldd%lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
	return buf;
}

/* "12.3 GiB" */
static const char *bytes_human(uint64_t b, char *buf, size_t n)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)b;
	int u = 0;
	while (v >= 1024 && u < 5)
		v /= 1024, u++;
	if (u == 0)
		snprintf(buf, n, "%" PRIu64 " B", b);
	else
		snprintf(buf, n, "%.1f %s", v, unit[u]);
	return buf;
}

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "?";
}


bool ctl_standing_current(const char *standing)
{
	return !strcmp(standing, "founder") || !strcmp(standing, "joined");
}

/* The faults of alliance a (links to current members down, or never up
 * once uptime_ms passed timeout_ms; authoring held; violations;
 * equivocations), comma-separated into buf (n bytes; "" when none).
 * Returns whether there is any; *links_up gets the links up. */
static bool alliance_faults(const json_t *a, int64_t uptime_ms, int64_t timeout_ms, char *buf,
			    size_t n, int *links_up)
{
	struct line l = { buf, n, 0 };
	char t[32];
	size_t k;
	json_t *lk;
	int faults = 0, up = 0;
	buf[0] = '\0';
	const char *authoring = jstr(a, "authoring"), *standing = jstr(a, "standing");
	bool left = !strcmp(standing, "left"), candidate = !ctl_standing_current(standing) && !left;
	if (!json_is_true(json_object_get(a, "in_force")))
		line_add(&l, "%sthe charter is not in force", faults++ ? ", " : "");
	/* A member that left has no links to keep nor authoring to hold; a
	 * candidate is refused by the members until the amendment adding it;
	 * a home whose keys were replaced is one to stop (said below). */
	json_array_foreach(json_object_get(a, "links"), k, lk) {
		const char *peer = jstr(lk, "member"), *state = jstr(lk, "state");
		if (left || candidate || !ctl_standing_current(jstr(lk, "standing")))
			continue;
		json_t *silent = json_object_get(lk, "silent_ms");
		if (!strcmp(state, "up"))
			up++;
		else if (!strcmp(state, "down"))
			line_add(&l, "%slink to %s down for %s", faults++ ? ", " : "", peer,
				 span(json_is_integer(silent) ? json_integer_value(silent) : timeout_ms,
				      t, sizeof t));
		else if (uptime_ms > timeout_ms) /* "never": only once given its chance */
			line_add(&l, "%slink to %s down since start (%s)", faults++ ? ", " : "", peer,
				 span(uptime_ms, t, sizeof t));
	}
	if (!strcmp(standing, "replaced")) {
		line_add(&l, "%sthis home's keys were replaced: stop its daemon, the home with "
			 "the new keys acts for %s", faults++ ? ", " : "", jstr(a, "self"));
	} else if (json_is_true(json_object_get(a, "authoring_stopped"))) {
		line_add(&l, "%sauthoring stopped for good: %s", faults++ ? ", " : "", authoring);
	} else if (strcmp(authoring, "open") && !left) {
		json_t *held = json_object_get(a, "authoring_held_ms");
		if (json_is_integer(held))
			line_add(&l, "%sauthoring held for %s (%s)", faults++ ? ", " : "",
				 span(json_integer_value(held), t, sizeof t), authoring);
		else
			line_add(&l, "%sauthoring held (%s)", faults++ ? ", " : "", authoring);
	}
	json_t *v = json_object_get(a, "violations"), *first = json_array_get(v, 0);
	if (json_array_size(v) == 1 && !strcmp(jstr(first, "id"), "?"))
		line_add(&l, "%sviolations unknown (%s)", faults++ ? ", " : "", jstr(first, "rule"));
	else if (json_array_size(v))
		line_add(&l, "%s%zu violation%s (first: %s by %s)", faults++ ? ", " : "",
			 json_array_size(v), json_array_size(v) == 1 ? "" : "s", jstr(first, "id"),
			 jstr(first, "member"));
	long long eq = ctl_jint(a, "equivocations");
	if (eq)
		line_add(&l, "%s%lld equivocation%s", faults++ ? ", " : "", eq, eq == 1 ? "" : "s");
	*links_up = up;
	return faults != 0;
}

/* The faults of the home's filesystem ("disk" in the status): full (the
 * daemon signs and takes in nothing), a failed write probe, read-only, free
 * space below mf. As alliance_faults. */
static bool disk_faults(const json_t *st, const struct ctl_min_free *mf, char *buf, size_t n)
{
	struct line l = { buf, n, 0 };
	const json_t *disk = json_object_get(st, "disk"), *full = json_object_get(disk, "full");
	char h1[32], h2[32];
	int faults = 0;
	buf[0] = '\0';
	if (!json_is_object(disk))
		return false; /* a daemon older than the disk report */
	if (json_is_object(full))
		line_add(&l, "%sdisk full for %s: %s has no space left (%s free); nothing is signed "
			 "or taken in until there is space, then the daemon resumes by itself",
			 faults++ ? ", " : "", span(ctl_jint(full, "for_ms"), h1, sizeof h1),
			 jstr(full, "where"), bytes_human((uint64_t)ctl_jint(full, "free_bytes"), h2,
							  sizeof h2));
	if (json_is_string(json_object_get(disk, "error")))
		line_add(&l, "%s%s", faults++ ? ", " : "", jstr(disk, "error"));
	if (json_is_true(json_object_get(disk, "read_only")))
		line_add(&l, "%s%s is on a read-only filesystem", faults++ ? ", " : "",
			 jstr(disk, "path"));
	else if (json_is_false(json_object_get(disk, "writable")))
		line_add(&l, "%s%s", faults++ ? ", " : "",
			 jstr(json_object_get(disk, "last_write_error"), "error"));
	json_t *fj = json_object_get(disk, "free_bytes"), *sj = json_object_get(disk, "size_bytes");
	if (json_is_integer(fj) && json_is_integer(sj)) {
		uint64_t fr = (uint64_t)json_integer_value(fj), size = (uint64_t)json_integer_value(sj);
		if (mf->bytes && fr < mf->bytes)
			line_add(&l, "%s%s free in %s, below %s", faults++ ? ", " : "",
				 bytes_human(fr, h1, sizeof h1), jstr(disk, "path"),
				 bytes_human(mf->bytes, h2, sizeof h2));
		else if (mf->percent > 0 && (double)fr < (double)size * mf->percent / 100)
			line_add(&l, "%s%s free in %s, below %g%% of %s", faults++ ? ", " : "",
				 bytes_human(fr, h1, sizeof h1), jstr(disk, "path"), mf->percent,
				 bytes_human(size, h2, sizeof h2));
	}
	return faults != 0;
}

bool ctl_health(const json_t *st, const struct ctl_min_free *mf, char *buf, size_t n)
{
	struct line l = { buf, n, 0 };
	const json_t *dm = json_object_get(st, "daemon"), *al = json_object_get(st, "alliances");
	int64_t uptime = ctl_jint(dm, "uptime_ms"), timeout = ctl_jint(dm, "link_timeout_ms");
	char part[2048], h[32];
	int links = 0, faults = 0;
	long long violations = 0;
	size_t i;
	json_t *a;
	if (!timeout)
		timeout = 4000;
	buf[0] = '\0';
	/* The faults first, to learn which word leads the line. A full disk
	 * is critical (nothing is signed or taken in) and said first. */
	char disk[2048];
	bool disk_bad = disk_faults(st, mf, disk, sizeof disk);
	bool critical = json_is_object(json_object_get(json_object_get(st, "disk"), "full"));
	line_add(&l, "%s: %s: ", critical ? "CRITICAL" : "DEGRADED", jstr(dm, "name"));
	if (critical)
		line_add(&l, "%sdisk: %s", faults++ ? "; " : "", disk);
	json_array_foreach(al, i, a) {
		int up = 0;
		if (alliance_faults(a, uptime, timeout, part, sizeof part, &up))
			line_add(&l, "%s%s: %s", faults++ ? "; " : "", jstr(a, "title"), part);
		links += up;
		violations += (long long)json_array_size(json_object_get(a, "violations"));
	}
	if (disk_bad && !critical)
		line_add(&l, "%sdisk: %s", faults++ ? "; " : "", disk);
	bool ok = !faults;
	if (ok) {
		const json_t *disk = json_object_get(st, "disk");
		l.len = 0;
		line_add(&l, "OK: %s, %zu alliance%s, %d link%s up, %lld violations",
			 jstr(dm, "name"), json_array_size(al), json_array_size(al) == 1 ? "" : "s",
			 links, links == 1 ? "" : "s", violations);
		if (json_is_integer(json_object_get(disk, "free_bytes")))
			line_add(&l, ", %s free", bytes_human((uint64_t)json_integer_value(
				json_object_get(disk, "free_bytes")), h, sizeof h));
	}
	/* One line, even when a title holds a newline. */
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	return ok;
}

/* status --check: one line on stdout, whatever happens. */
static int check(const char *home, const char *sel, const struct ctl_min_free *mf)
{
	struct al_request rq = { .op = AL_OP_STATUS, .alliance = (char *)sel };
	struct al_reply rp;
	char path[4200], line[4096];
	struct stat st;
	snprintf(path, sizeof path, "%s/control.sock", home);
	if (stat(path, &st) < 0 && errno == ENOENT) {
		printf("CRITICAL: no daemon is running for '%s' (no %s)\n", home, path);
		return CTL_EXIT_FAIL;
	}
	if (ctl_call(home, &rq, &rp)) { /* it printed why on stderr */
		printf("CRITICAL: the daemon of '%s' gave no status (the reason is on stderr)\n",
		       home);
		return CTL_EXIT_FAIL;
	}
	json_t *j = json_loads(rp.json, 0, NULL);
	control_reply_clear(&rp);
	if (!j || ctl_json_escape(j)) { /* titles and reasons may quote a partner */
		json_decref(j);
		printf("CRITICAL: the daemon of '%s' sent a status that is not JSON (or memory "
		       "ran out)\n", home);
		return CTL_EXIT_FAIL;
	}
	bool ok = ctl_health(j, mf, line, sizeof line);
	json_decref(j);
	printf("%s\n", line);
	return ok ? 0 : CTL_EXIT_FAIL;
}

/* A list of status (members, links) as a table without headings, its
 * columns as wide as the data (table.h); freed. */
static void list_print(struct ctl_table **t)
{
	if (!*t || ctl_table_print(*t, stdout, ctl_table_columns()))
		ctl_error("out of memory");
	ctl_table_destroy(t);
}

int cmd_status(int argc, char **argv)
{
	enum { O_JSON = 256, O_ALLIANCE, O_CHECK, O_MIN_FREE };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, O_JSON },
		{ "alliance", required_argument, NULL, O_ALLIANCE },
		{ "check", no_argument, NULL, O_CHECK },
		{ "min-free", required_argument, NULL, O_MIN_FREE },
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *home_opt = NULL, *sel = "", *min_free = NULL;
	struct ctl_min_free mf = CTL_MIN_FREE_DEFAULT;
	int opt, json = 0, want_check = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "hH:", opts, NULL)) != -1) {
		switch (opt) {
		case 'h': fputs(status_usage, stdout); return 0;
		case 'H': home_opt = optarg; break;
		case O_JSON: json = 1; break;
		case O_ALLIANCE: sel = optarg; break;
		case O_CHECK: want_check = 1; break;
		case O_MIN_FREE: min_free = optarg; break;
		default: return ctl_usage("status", "bad option");
		}
	}
	if (optind != argc)
		return ctl_usage("status", "unexpected argument '%s'", argv[optind]);
	if (want_check && json)
		return ctl_usage("status", "--check prints one line: give --check or --json, not both");
	if (min_free && !want_check)
		return ctl_usage("status", "--min-free goes with --check");
	if (min_free && ctl_parse_min_free(min_free, &mf))
		return CTL_EXIT_USAGE;
	const char *home = ctl_home(home_opt);
	if (!home)
		return CTL_EXIT_USAGE;
	if (want_check)
		return check(home, sel, &mf);
	struct al_request rq = { .op = AL_OP_STATUS, .alliance = (char *)sel };
	struct al_reply rp;
	int rc = ctl_call(home, &rq, &rp);
	if (rc)
		return rc;
	json_t *j = json_loads(rp.json, 0, NULL);
	control_reply_clear(&rp);
	if (!j)
		return ctl_error("the daemon sent a status that is not JSON");
	if (json)
		return ctl_print_json(j);
	if (ctl_json_escape(j)) { /* titles, rules and details may quote a partner */
		json_decref(j);
		return ctl_error("out of memory");
	}
	json_t *dm = json_object_get(j, "daemon"), *al = json_object_get(j, "alliances");
	const char *listen = json_string_value(json_object_get(dm, "listen")),
		   *advertise = json_string_value(json_object_get(dm, "advertise"));
	printf("daemon    %s (pid %lld), listening on %s%s%s, since %s\n",
	       json_string_value(json_object_get(dm, "name")),
	       (long long)json_integer_value(json_object_get(dm, "pid")), listen,
	       advertise && strcmp(advertise, listen) ? ", partners dial " : "",
	       advertise && strcmp(advertise, listen) ? advertise : "",
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
		struct ctl_table *t = ctl_table_new(2, "  member  ");
		for (int c = 0; t && c < 3; c++)
			ctl_table_col(t, "", 0);
		json_array_foreach(json_object_get(a, "members"), k, m) {
			const char *standing = json_string_value(json_object_get(m, "standing"));
			if (!t)
				break;
			ctl_table_cell(t, json_string_value(json_object_get(m, "feed"))); /* acme@2 */
			ctl_table_cell(t, json_string_value(json_object_get(m, "endpoint")));
			ctl_table_cellf(t, "feed at %lld%s%s",
					(long long)json_integer_value(json_object_get(m, "seq")),
					standing && strcmp(standing, "founder") ? ", " : "",
					standing && strcmp(standing, "founder") ? standing : "");
		}
		list_print(&t);
		printf("  authoring %s\n", json_string_value(json_object_get(a, "authoring")));
		t = ctl_table_new(2, "  link    ");
		for (int c = 0; t && c < 4; c++)
			ctl_table_col(t, "", 0);
		json_array_foreach(json_object_get(a, "links"), k, m) {
			json_t *heard = json_object_get(m, "last_heard");
			if (!t)
				break;
			ctl_table_cell(t, json_string_value(json_object_get(m, "member")));
			ctl_table_cell(t, json_string_value(json_object_get(m, "state")));
			ctl_table_cell(t, json_string_value(json_object_get(m, "connection")));
			ctl_table_cellf(t, "last heard %s, holds our feed to %lld, signed ack %lld, "
					"in %lld, out %lld",
					json_is_string(heard) ? json_string_value(heard) : "never",
					(long long)json_integer_value(json_object_get(m, "holds_ours")),
					(long long)json_integer_value(json_object_get(m, "acked")),
					(long long)json_integer_value(json_object_get(m, "received")),
					(long long)json_integer_value(json_object_get(m, "sent")));
		}
		list_print(&t);
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
	json_t *disk = json_object_get(j, "disk"), *we = json_object_get(disk, "last_write_error");
	if (json_is_integer(json_object_get(disk, "free_bytes"))) {
		char h1[32], h2[32];
		printf("disk      %s free of %s in %s, %s\n",
		       bytes_human((uint64_t)ctl_jint(disk, "free_bytes"), h1, sizeof h1),
		       bytes_human((uint64_t)ctl_jint(disk, "size_bytes"), h2, sizeof h2), jstr(disk, "path"),
		       json_is_true(json_object_get(disk, "read_only")) ? "READ-ONLY"
		       : json_is_true(json_object_get(disk, "writable")) ? "writable" : "NOT writable");
	} else if (json_is_object(disk)) {
		printf("disk      %s\n", jstr(disk, "error"));
	}
	if (json_is_object(we))
		printf("  last write error %s: %s\n", jstr(we, "at"), jstr(we, "error"));
	json_t *full = json_object_get(disk, "full");
	if (json_is_object(full))
		printf("  FULL since %s: %s\n", jstr(full, "since"), jstr(full, "message"));
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
