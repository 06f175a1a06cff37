/* daemon.c: the reactor, the alliances it serves and the control socket.
 *
 * Everything happens on one thread in the loop of daemon_run(): poll the
 * sockets, handle what is ready, run housekeeping once a second. A control
 * request is one ZeroMQ message from a REQ client (ROUTER envelope: client
 * id, empty delimiter, body) answered with one reply; handlers are a table
 * by operation. The core library (lib/) does all validation and storage.
 */
#include "daemon.h"
#include "notify.h"
#include "reactor.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "card.h"
#include "charter.h"
#include "control.h"
#include "err.h"
#include "file.h"
#include "grow.h"
#include "hex.h"
#include "home.h"
#include "ledger.h"
#include "members.h"
#include "store.h"
#include "text.h"
#include "when.h"
#include "wire.h"

/* A handler that appended to a log returns AFTER_SYNC: its reply waits
 * for the group commit that covers it. */
#define AFTER_SYNC 1
/* At most this many control requests are handled per poll round, then the
 * round's appends are synced and their replies sent. */
#define CONTROL_BATCH 256

static bool stderr_is_journal(void);

/* The log levels by name, as allianced.conf's log_level gives them. */
static const char *const level_names[] = { "error", "warn", "info", "debug" };

/* The level named (home_open checked the name), or L_INFO. */
static enum level level_named(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(name, level_names[i]))
			return (enum level)i;
	return L_INFO;
}

static volatile sig_atomic_t stop_signal, reload_signal, ignored_signal;

/* SIGTERM and SIGINT stop the loop; SIGHUP asks for a reload; SIGUSR1 and
 * SIGUSR2 are noted and ignored (by default they would kill us). */
static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_signal = 1;
	else if (sig == SIGUSR1 || sig == SIGUSR2)
		ignored_signal = sig;
	else
		stop_signal = sig;
}

/* The line a fatal signal writes, built before any can arrive: a handler
 * may only write(2) what is ready. */
static char fatal_line[160];
static size_t fatal_at; /* where the signal's name goes */
static struct sigaction fatal_old[32];

/* A fatal signal (a crash, abort(), SIGQUIT): say so on stderr, then let
 * the action that was there before (the default, or a sanitizer's) run. */
static void on_fatal(int sig)
{
	const char *name = sigabbrev_np(sig);
	char line[sizeof fatal_line + 16];
	size_t n = fatal_at, k = name ? strlen(name) : 0;
	memcpy(line, fatal_line, n);
	memcpy(line + n, "SIG", 3);
	memcpy(line + n + 3, name ? name : "?", name ? k : 1);
	n += 3 + (name ? k : 1);
	static const char tail[] = ": stopping without a clean stop\n";
	memcpy(line + n, tail, sizeof tail - 1);
	n += sizeof tail - 1;
	ssize_t w = write(STDERR_FILENO, line, n);
	(void)w;
	sigaction(sig, &fatal_old[sig], NULL);
	raise(sig);
}

static void catch_signals(const struct daemon *d)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGQUIT,
				     SIGTRAP, SIGSYS, SIGXCPU, SIGXFSZ, SIGALRM, SIGVTALRM,
				     SIGPROF, SIGIO, SIGPWR, SIGSTKFLT };
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal; /* no SA_RESTART: zmq_poll returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (stderr_is_journal()) /* as dlog() writes there, at LOG_CRIT */
		snprintf(fatal_line, sizeof fatal_line, "<2>killed by ");
	else
		snprintf(fatal_line, sizeof fatal_line, "allianced[%s] error: killed by ",
			 d->home->self.name);
	fatal_at = strlen(fatal_line);
	sa.sa_handler = on_fatal;
	for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
		sigaction(fatal[i], &sa, &fatal_old[fatal[i]]);
}

/* SIGHUP: re-read what may change at run time (the log level). */
static void reload(struct daemon *d)
{
	char why[AL_ERRLEN];
	reload_signal = 0;
	notify_send("RELOADING=1");
	if (home_reload(d->home, why)) {
		dlog(d, L_ERROR, "SIGHUP: kept the running settings: %s", why);
	} else {
		enum level was = d->level, now = level_named(d->home->log_level);
		/* Said even at log level error: a reload must leave a trace. */
		d->level = L_INFO;
		dlog(d, L_INFO, "SIGHUP: re-read %s/%s: log_level %s%s", d->home_abs, AL_CONFIG_FILE,
		     level_names[now], now == was ? " (unchanged)" : "");
		d->level = now;
	}
	notify_send("READY=1");
}

/* Does stderr go to the journal? systemd sets JOURNAL_STREAM to the
 * "DEV:INODE" of the stream it connected to stderr (systemd.exec(5)); an
 * inherited variable whose stream was redirected elsewhere does not match. */
static bool stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	struct stat st;
	char *end;
	if (!env || !*env || fstat(STDERR_FILENO, &st) < 0)
		return false;
	errno = 0;
	uintmax_t dev = strtoumax(env, &end, 10);
	if (errno || end == env || *end != ':')
		return false;
	const char *ino_s = end + 1;
	uintmax_t ino = strtoumax(ino_s, &end, 10);
	if (errno || end == ino_s || *end)
		return false;
	return dev == (uintmax_t)st.st_dev && ino == (uintmax_t)st.st_ino;
}

/* One line per message. To a terminal or a file: "TIME allianced[NAME]
 * LEVEL: message". To the journal: "<P>message", P the syslog priority;
 * journald adds the time, the unit, the pid and keeps P as PRIORITY. */
void dlog(const struct daemon *d, enum level lv, const char *fmt, ...)
{
	static const int priorities[] = { 3, 4, 6, 7 }; /* LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG */
	static int journal = -1; /* decided at the first line, which start-up logs */
	if (lv > d->level)
		return;
	if (journal < 0)
		journal = stderr_is_journal();
	char line[4096], t[AL_WHENLEN];
	int n = journal ? snprintf(line, sizeof line, "<%d>", priorities[lv])
			: snprintf(line, sizeof line, "%s allianced[%s] %s: ",
				   when_format(when_now(), t), d->home ? d->home->self.name : "-",
				   level_names[lv]);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	/* A newline inside (from a peer's text, say) would start a line
	 * without a prefix: one message, one line. */
	for (char *p = line + n; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fprintf(stderr, "%s\n", line); /* one write: lines never interleave */
}

void *dsocket(const struct daemon *d, int type, const char *what)
{
	void *sock = zmq_socket(d->zctx, type);
	if (!sock)
		dlog(d, L_ERROR, "cannot open a ZeroMQ socket for %s: %s%s", what, zmq_strerror(errno),
		     errno == EMFILE ? " (raise the limit on open files: LimitNOFILE= under systemd, "
				       "ulimit -n otherwise)" : "");
	return sock;
}

/* ------------------------------------------------------------ alliances */

void note_rejection(struct daemon *d, const struct alliance *a, const char *from,
		    const char *reason, const char *why)
{
	struct rejection *r = &d->rejections[d->n_rejections++ % REJECT_RING];
	r->at = when_now();
	snprintf(r->alliance, sizeof r->alliance, "%s", a ? a->s->charter->title : "");
	snprintf(r->from, sizeof r->from, "%s", from);
	r->reason = reason;
	snprintf(r->why, sizeof r->why, "%s", why);
	/* A peer that sends the same refused thing thousands of times a
	 * second must not fill the log: one line per kind and sender every
	 * WARN_EVERY_MS, saying how many were not logged (all are counted). */
	char key[sizeof d->rates[0].key];
	snprintf(key, sizeof key, "%s %s %s", r->alliance, from, reason);
	struct warn_rate *w = NULL, *oldest = &d->rates[0];
	for (size_t i = 0; i < WARN_RATES && !w; i++) {
		if (!strcmp(d->rates[i].key, key))
			w = &d->rates[i];
		else if (d->rates[i].logged < oldest->logged)
			oldest = &d->rates[i];
	}
	if (!w) { /* the least recently logged kind makes room */
		w = oldest;
		memset(w, 0, sizeof *w);
		snprintf(w->key, sizeof w->key, "%s", key);
	}
	if (w->logged && r->at - w->logged < WARN_EVERY_MS) {
		w->quiet++;
		return;
	}
	if (w->quiet)
		dlog(d, L_WARN, "rejected from %s: %s: %s (and %" PRIu64 " more like it in the "
		     "last %" PRId64 " s, not logged)", from, reason, why, w->quiet,
		     (r->at - w->logged + 500) / 1000);
	else
		dlog(d, L_WARN, "rejected from %s: %s: %s", from, reason, why);
	w->logged = r->at;
	w->quiet = 0;
}

/* Stopped for good: HOME/alliances/ID/own-fork says why. Authoring stays
 * closed across restarts until the operator replaces this member's keys
 * (docs/operations.md, "A forked feed"). */
#define OWN_FORK_FILE "own-fork"
#define OWN_FORK_TEXT "this member's key signed a chain this home does not hold: key " \
		      "compromise or a rolled-back home; see docs/operations.md"
static char own_fork_nomem[] = OWN_FORK_TEXT; /* when out of memory: never freed */

void own_feed_forked(struct daemon *d, struct alliance *a, const char *evidence)
{
	char path[PATH_MAX], why[AL_ERRLEN], text[AL_ERRLEN + 128], t[AL_WHENLEN];
	if (a->own_forked)
		return;
	a->own_ok = false;
	int n = snprintf(text, sizeof text, "%s (%s, %s)", OWN_FORK_TEXT, evidence,
			 when_format(when_now(), t));
	if (!(a->own_forked = strdup(text)))
		a->own_forked = own_fork_nomem;
	dlog(d, L_ERROR, "%s: authoring stopped for good: %s", a->s->charter->title, text);
	snprintf(path, sizeof path, "%s/%s", a->s->dir, OWN_FORK_FILE);
	text[n < (int)sizeof text - 1 ? n : (int)sizeof text - 2] = '\n';
	if (file_replace(path, text, strlen(text), 0600, why))
		dlog(d, L_ERROR, "%s: cannot keep the stop in %s: %s", a->s->charter->title, path,
		     why);
}

/* A stop kept from an earlier run, or NULL. */
static char *own_fork_read(const struct al_store *s)
{
	char path[PATH_MAX], why[AL_ERRLEN];
	uint8_t *buf;
	size_t len;
	snprintf(path, sizeof path, "%s/%s", s->dir, OWN_FORK_FILE);
	if (file_read(path, AL_ERRLEN + 128, &buf, &len, why))
		return NULL;
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\0'))
		len--;
	char *text = strndup((const char *)buf, len);
	free(buf);
	return text ? text : own_fork_nomem;
}

/* The clean-stop mark: HOME/alliances/ID/clean holds this member's feed
 * head and the log's size, written after the last sync of a clean stop and
 * removed at start. Without it (a crash, or a copy of the home) the daemon
 * learns its own head from its peers before it authors again. */
static void clean_mark_path(const struct al_store *s, char *buf, size_t n)
{
	snprintf(buf, n, "%s/clean", s->dir);
}

static void clean_mark_text(const struct daemon *d, const struct al_store *s, char *buf,
			    size_t n)
{
	/* The log file's device, inode and change time too: a copy of the
	 * home restored from a backup (which may hold a mark) differs in
	 * them, so a restore is never taken for a clean stop. */
	struct stat st;
	memset(&st, 0, sizeof st);
	stat(log_path(s->log), &st);
	snprintf(buf, n, "%" PRIu64 " %" PRIu64 " %ju %ju %jd.%09ld\n",
		 feeds_head(s->feeds, &d->home->self.sign_key, NULL), log_size(s->log),
		 (uintmax_t)st.st_dev, (uintmax_t)st.st_ino, (intmax_t)st.st_ctim.tv_sec,
		 st.st_ctim.tv_nsec);
}

/* Was the last stop clean for s? Consumes the mark. -1: cannot remove it. */
static int take_clean_mark(struct daemon *d, const struct al_store *s)
{
	char path[PATH_MAX], want[160], why[AL_ERRLEN];
	uint8_t *buf;
	size_t len;
	clean_mark_path(s, path, sizeof path);
	if (file_read(path, sizeof want - 1, &buf, &len, why))
		return 0;
	clean_mark_text(d, s, want, sizeof want);
	int clean = len == strlen(want) && !memcmp(buf, want, len);
	free(buf);
	if (unlink(path) < 0 || file_sync_dir(s->dir, 1, why)) {
		dlog(d, L_ERROR, "cannot remove %s: %s", path, strerror(errno));
		return -1;
	}
	return clean;
}

static void free_alliance(struct alliance *a)
{
	peers_remove(a);
	if (a->own_forked != own_fork_nomem)
		free(a->own_forked);
	ledger_destroy(&a->ledger);
	if (a->s)
		store_close(&a->s);
	free(a);
}

/* Authoring opens only once a peer confirmed this member's feed head
 * (peer.c, own_gate), after any start: a clean stop vouches that this home
 * holds every message its key signed (own_whole), but not that nobody else
 * signed more with the key meanwhile. */
static int add_alliance(struct daemon *d, struct al_store *s, bool own_whole)
{
	struct alliance *a;
	if (grow(&d->alls, &d->cap_alls, d->n_alls + 1, sizeof *d->alls))
		return AL_E_NOMEM;
	if (!(a = calloc(1, sizeof *a)))
		return AL_E_NOMEM;
	a->s = s;
	a->own_whole = own_whole;
	a->own_forked = own_fork_read(s);
	a->gate_since = when_now();
	/* Not in the charter: a newcomer, waiting for the amendment adding it. */
	long self = members_candidate(s->charter, &d->home->self);
	if (self < 0) {
		free(a);
		return AL_E_NOMEM;
	}
	a->self = (size_t)self;
	int rc = peers_add(d, a);
	if (rc) { /* the caller still owns s */
		a->s = NULL;
		free_alliance(a);
		return rc;
	}
	d->alls[d->n_alls++] = a;
	return AL_OK;
}

/* The endpoint partners dial is the one the alliance holds (the card's,
 * as amended by 'amend --endpoint'), not allianced.conf's: say so when
 * they differ, which is a move half done. */
static void check_endpoint(struct daemon *d, const struct alliance *a)
{
	const struct al_charter *c = a->s->charter;
	const char *held = c->members[a->self].endpoint, *mine = d->home->self.endpoint;
	if (strcmp(held, mine))
		dlog(d, L_WARN, "%s: the alliance holds this member's endpoint as %s, but advertise "
		     "in %s is %s: partners dial %s. To move, run 'alliancectl amend --endpoint %s'; "
		     "otherwise set advertise = %s", c->title, held, AL_CONFIG_FILE, mine, held,
		     mine, held);
}

static int open_stores(struct daemon *d)
{
	al_hash *ids;
	size_t n;
	char why[AL_ERRLEN], dir[PATH_MAX];
	if (home_alliances(d->home->dir, &ids, &n, why)) {
		dlog(d, L_ERROR, "%s", why);
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct al_store *s;
		struct al_log_recovery rec;
		home_alliance_dir(d->home->dir, &ids[i], dir, sizeof dir);
		if (store_open(dir, false, NULL, &rec, &s, why)) {
			dlog(d, L_ERROR, "cannot open alliance in %s: %s", dir, why);
			rc = -1;
			break;
		}
		if (rec.cut_bytes)
			dlog(d, L_WARN, "log %s/log had a torn tail: cut %" PRIu64 " bytes at offset %"
			     PRIu64 ", kept in %s", dir, rec.cut_bytes, rec.cut_offset, rec.broken_path);
		int clean = take_clean_mark(d, s);
		dlog(d, L_INFO, "serving alliance '%s' (%" PRIu64 " records)%s", s->charter->title,
		     log_records(s->log), clean > 0 ? ": authoring opens once a peer confirms this "
		     "member's feed head" : ": not stopped cleanly, so authoring waits until peers "
		     "confirm this member's feed head");
		if (clean < 0 || add_alliance(d, s, clean > 0)) {
			store_close(&s);
			rc = -1;
		} else {
			struct alliance *a = d->alls[d->n_alls - 1];
			check_endpoint(d, a);
			if (a->own_forked)
				dlog(d, L_ERROR, "%s: authoring stays stopped: %s (remove %s/%s only "
				     "once the cause is understood)", s->charter->title, a->own_forked,
				     s->dir, OWN_FORK_FILE);
		}
	}
	free(ids);
	return rc;
}

/* The alliance a request names: id, hex prefix (4+ digits) or title; with
 * one alliance joined, "" names it. NULL with why when none or ambiguous. */
static struct alliance *find_alliance(struct daemon *d, const char *sel, char *why)
{
	struct alliance *hit = NULL;
	size_t hits = 0;
	for (size_t i = 0; i < d->n_alls; i++) {
		struct al_store *s = d->alls[i]->s;
		char hex[2 * AL_HASHLEN + 1];
		hex_encode(s->charter->id.b, AL_HASHLEN, hex);
		bool m = !*sel || !strcmp(s->charter->title, sel) ||
			 (strlen(sel) >= 4 && !strncmp(hex, sel, strlen(sel)));
		if (m)
			hit = d->alls[i], hits++;
	}
	if (hits == 1)
		return hit;
	if (d->n_alls == 0)
		al_errf(why, AL_E_NOENT, "this daemon has joined no alliance yet "
			"(run 'alliancectl join CHARTER')");
	else if (hits == 0)
		al_errf(why, AL_E_NOENT, "no alliance '%s' here (give its id or title)", sel);
	else
		al_errf(why, AL_E_INVAL, "this daemon serves %zu alliances: pick one with "
			"--alliance ID|TITLE", d->n_alls);
	return NULL;
}

/* ------------------------------------------------------------ handlers */

/* The ledger of everything a holds, rebuilt only when the log has grown
 * (and, when max_age_ms > 0, the cached one is older than that: status
 * may show a ledger a moment old, a command's rules may not). */
static int alliance_ledger_aged(struct alliance *a, int64_t max_age_ms, struct al_ledger **out,
				char *why)
{
	int64_t now = when_now();
	if (!a->ledger || (a->ledger_records != log_records(a->s->log) &&
			   (max_age_ms <= 0 || now - a->ledger_built > max_age_ms))) {
		struct al_ledger *l;
		int rc = ledger_from_store(a->s, &l, why);
		if (rc)
			return rc;
		ledger_destroy(&a->ledger);
		a->ledger = l;
		a->ledger_records = log_records(a->s->log);
		a->ledger_built = now;
	}
	*out = a->ledger;
	return AL_OK;
}

static int alliance_ledger(struct alliance *a, struct al_ledger **out, char *why)
{
	return alliance_ledger_aged(a, 0, out, why);
}

static json_t *violations_json(struct alliance *a)
{
	const struct al_charter *c = a->s->charter;
	struct al_ledger *l;
	char why[AL_ERRLEN];
	json_t *v = json_array();
	if (alliance_ledger_aged(a, 2000, &l, why)) { /* say so: never an empty list that looks clean */
		json_array_append_new(v, json_pack("{s:s, s:s, s:s}", "member", "?", "id", "?",
						   "rule", why));
		return v;
	}
	for (size_t i = 0; i < l->n_broken; i++) {
		const struct al_member *m = charter_member(c, &l->broken[i].id.author);
		char id[AL_IDLEN];
		json_array_append_new(v, json_pack("{s:s, s:s, s:s}", "member", m ? m->name : "?",
						   "id", charter_ref_name(c, &l->broken[i].id, id),
						   "rule", l->broken[i].why));
	}
	return v;
}

static json_t *alliance_status(const struct daemon *d, struct alliance *a, int64_t now)
{
	const struct al_store *s = a->s;
	const struct al_charter *c = s->charter;
	char hex[2 * AL_HASHLEN + 1];
	json_t *members = json_array(), *counters = json_object();
	for (size_t i = 0; i < c->n_members; i++) {
		char feed[AL_IDLEN];
		json_array_append_new(members, json_pack("{s:s, s:s, s:s, s:I, s:s}", "name",
			c->members[i].name, "feed", charter_feed_name(c, i, feed), "endpoint",
			c->members[i].endpoint, "seq",
			(json_int_t)feeds_head(s->feeds, &c->members[i].sign_key, NULL), "standing",
			members_standing_name(members_standing(c, i))));
	}
	for (int r = 0; r < AL_REASON_COUNT; r++)
		json_object_set_new(counters, feeds_reason_tag((enum al_reason)r),
				    json_integer((json_int_t)s->counts[r]));
	json_t *j = json_pack("{s:s, s:s, s:s, s:b, s:s, s:I, s:I, s:o, s:o, s:o, s:I}", "id",
			 hex_encode(c->id.b, AL_HASHLEN, hex), "title", c->title, "self",
			 c->members[a->self].name, "in_force", charter_in_force(c), "authoring",
			 members_standing(c, a->self) == AL_CANDIDATE
				 ? "not a member yet: waiting for the amendment that adds it"
			 : members_standing(c, a->self) == AL_LEFT ? "closed: this member has left"
			 : members_standing(c, a->self) == AL_REPLACED
				 ? "closed: this home's keys were replaced; the home with the new keys "
				   "acts for this member"
			 : a->own_forked ? a->own_forked
			 : d->full ? "disk full: nothing is signed until there is space"
			 : a->own_ok ? "open" : "waiting for peers to confirm this member's feed head",
			 "records", (json_int_t)log_records(s->log), "durable_bytes",
			 (json_int_t)log_durable(s->log), "members", members, "links",
			 peers_links_json(d, a, now), "counters", counters, "equivocations",
			 (json_int_t)s->n_proofs);
	json_object_set_new(j, "violations", violations_json(a));
	enum al_standing me = members_standing(c, a->self);
	json_object_set_new(j, "standing", json_string(members_standing_name(me)));
	bool held = !a->own_ok && !a->own_forked && me != AL_CANDIDATE && me != AL_LEFT &&
		    me != AL_REPLACED;
	json_object_set_new(j, "authoring_stopped", json_boolean(a->own_forked != NULL));
	json_object_set_new(j, "authoring_held_ms",
			    held ? json_integer((json_int_t)(now - a->gate_since)) : json_null());
	json_object_set_new(j, "log_bytes", json_integer((json_int_t)log_size(s->log)));
	return j;
}

static json_t *rejections_json(const struct daemon *d)
{
	json_t *v = json_array();
	uint64_t n = d->n_rejections < REJECT_RING ? d->n_rejections : REJECT_RING;
	for (uint64_t k = d->n_rejections - n; k < d->n_rejections; k++) {
		const struct rejection *r = &d->rejections[k % REJECT_RING];
		char t[AL_WHENLEN];
		json_array_append_new(v, json_pack("{s:s, s:s, s:s, s:s, s:s}", "at",
						   when_format(r->at, t), "alliance", r->alliance,
						   "from", r->from, "reason", r->reason, "detail",
						   r->why));
	}
	return v;
}

/* Can the daemon write in its home? Create, write and remove a small file
 * there (no fsync: this asks the filesystem, not the disk), at most once
 * per DISK_PROBE_MS, so that status stays cheap however often it is asked.
 * A failure is kept with its time for status, and logged once. */
#define DISK_PROBE_MS 1000
static void disk_probe(struct daemon *d, int64_t now)
{
	if (d->disk_probed && now - d->disk_probed < DISK_PROBE_MS)
		return;
	char path[PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/.write-probe", d->home_abs);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	ssize_t n = fd >= 0 ? write(fd, "probe\n", 6) : -1;
	int err = n == 6 ? 0 : n >= 0 ? ENOSPC : errno;
	if (fd >= 0) {
		if (close(fd) < 0 && !err)
			err = errno;
		unlink(path); /* left behind, the next probe truncates it */
	}
	bool was = d->disk_writable || !d->disk_probed;
	d->disk_probed = now;
	d->disk_writable = !err;
	if (!err) {
		if (!was)
			dlog(d, L_INFO, "the home %s is writable again", d->home_abs);
		return;
	}
	d->write_errors++;
	d->write_error_at = now;
	al_errf(d->write_error, AL_E_IO, "cannot %s %s: %s (check the filesystem of the home, "
		"its free space and its permissions)", fd < 0 ? "create" : "write", path,
		strerror(err));
	if (was)
		dlog(d, L_ERROR, "%s", d->write_error);
}

/* ------------------------------------------------------------ a full disk */

/* Room a probe must find before the daemon leaves the full state: a few
 * records of the largest size, so that it does not resume only to fill
 * again at the next message. */
#define DISK_HEADROOM (4 * (AL_LOG_MAX_RECORD + AL_LOG_FRAME))
/* How often the full state probes for space. */
#define DISK_RETRY_MS 1000

/* Bytes free for us in dir's filesystem (0 when statvfs fails). */
static uint64_t free_bytes(const char *dir)
{
	struct statvfs sv;
	return statvfs(dir, &sv) < 0 ? 0 : (uint64_t)sv.f_bavail * sv.f_frsize;
}

/* What is full, for people: the home when full_dir is on its filesystem
 * (the usual case), else full_dir (alliances/ mounted apart, say). */
static const char *full_name(const struct daemon *d)
{
	struct stat a, b;
	if (stat(d->home_abs, &a) == 0 && stat(d->full_dir, &b) == 0 && a.st_dev == b.st_dev)
		return d->home_abs;
	return d->full_dir;
}

bool disk_is_full(const struct daemon *d, char *why)
{
	if (d->full && why)
		al_errf(why, AL_E_NOSPC, "disk full: %s has no space left (%" PRIu64 " bytes free); "
			"nothing was written; free space and retry — the daemon resumes by itself",
			full_name(d), free_bytes(d->full_dir));
	return d->full;
}

void disk_full(struct daemon *d, const char *dir, const char *why)
{
	if (d->full)
		return;
	int64_t now = when_now();
	d->full = true;
	d->full_since = d->full_probed = now;
	d->full_episodes++;
	snprintf(d->full_dir, sizeof d->full_dir, "%s", dir);
	snprintf(d->full_error, sizeof d->full_error, "%s", why);
	dlog(d, L_ERROR, "disk full: %s has no space left (%" PRIu64 " bytes free: %s); nothing "
	     "was written. Until there is space the daemon signs nothing and takes in no peer's "
	     "messages (they keep them); requests that would sign are refused. It checks every "
	     "%d s and resumes by itself", full_name(d), free_bytes(dir), why, DISK_RETRY_MS / 1000);
}

/* In the full state, once per DISK_RETRY_MS: is there room again (for
 * DISK_HEADROOM bytes)? Then leave it, and let peers know at once what we
 * hold, so that they send again what we could not take in. */
static void disk_retry(struct daemon *d, int64_t now)
{
	char why[AL_ERRLEN];
	if (!d->full || now - d->full_probed < DISK_RETRY_MS)
		return;
	d->full_probed = now;
	if (file_probe_space(d->full_dir, DISK_HEADROOM, why)) {
		dlog(d, L_DEBUG, "disk still full: %s", why);
		return;
	}
	d->full = false;
	dlog(d, L_INFO, "disk space is back in %s (%" PRIu64 " bytes free) after %" PRId64 " s "
	     "full: signing and taking in peers' messages resume", full_name(d),
	     free_bytes(d->full_dir), (now - d->full_since) / 1000);
	for (size_t i = 0; i < d->n_alls; i++)
		for (size_t m = 0; m < d->alls[i]->n_links; m++)
			d->alls[i]->links[m].want_have = d->alls[i]->links[m].want_rewind = true;
}

/* After a store call in dir returned rc: when the disk was full, enter
 * that state and put the refusal in why. Returns rc. */
static int on_nospc(struct daemon *d, const char *dir, int rc, char *why)
{
	if (rc == AL_E_NOSPC) {
		disk_full(d, dir, why);
		disk_is_full(d, why);
	}
	return rc;
}

/* The home's filesystem for status: space (statvfs), read-only, and the
 * last probe of disk_probe(). */
static json_t *disk_json(struct daemon *d, int64_t now)
{
	struct statvfs sv;
	char t[AL_WHENLEN];
	disk_probe(d, now);
	json_t *j = json_pack("{s:s, s:b, s:I}", "path", d->home_abs, "writable",
			      d->disk_writable, "write_errors", (json_int_t)d->write_errors);
	json_object_set_new(j, "last_write_error", !d->write_error_at ? json_null()
			    : json_pack("{s:s, s:s}", "at", when_format(d->write_error_at, t),
					"error", d->write_error));
	/* The full state: what a refused request is told, since when. */
	char full[AL_ERRLEN];
	json_object_set_new(j, "state", json_string(disk_is_full(d, full) ? "full" : "ok"));
	json_object_set_new(j, "full_episodes", json_integer((json_int_t)d->full_episodes));
	json_object_set_new(j, "full", !d->full ? json_null()
			    : json_pack("{s:s, s:I, s:s, s:s, s:s, s:I, s:s}", "since",
					when_format(d->full_since, t), "for_ms",
					(json_int_t)(now - d->full_since), "path", d->full_dir,
					"where", full_name(d),
					"error", d->full_error, "free_bytes",
					(json_int_t)free_bytes(d->full_dir), "message", full));
	if (statvfs(d->home_abs, &sv) < 0) {
		json_object_set_new(j, "error", json_sprintf("statvfs %s: %s", d->home_abs,
							     strerror(errno)));
		return j;
	}
	json_object_set_new(j, "free_bytes", json_integer((json_int_t)((uint64_t)sv.f_bavail *
								      sv.f_frsize)));
	json_object_set_new(j, "size_bytes", json_integer((json_int_t)((uint64_t)sv.f_blocks *
								      sv.f_frsize)));
	json_object_set_new(j, "read_only", json_boolean(sv.f_flag & ST_RDONLY));
	return j;
}

static int handle_status(struct daemon *d, const struct al_request *rq, struct al_reply *rp)
{
	char t[AL_WHENLEN], why[AL_ERRLEN];
	int64_t now = when_now();
	json_t *alliances = json_array();
	if (*rq->alliance) { /* --alliance: that one only */
		struct alliance *a = find_alliance(d, rq->alliance, why);
		if (!a) {
			json_decref(alliances);
			rp->error = strdup(why);
			return AL_OK;
		}
		json_array_append_new(alliances, alliance_status(d, a, now));
	} else {
		for (size_t i = 0; i < d->n_alls; i++)
			json_array_append_new(alliances, alliance_status(d, d->alls[i], now));
	}
	json_t *j = json_pack("{s:{s:s, s:s, s:i, s:s, s:s}, s:o, s:{s:I, s:I, s:I, s:I}, s:o}",
			      "daemon", "name", d->home->self.name, "listen",
			      d->home->listen, "pid", (int)getpid(), "started",
			      when_format(d->started, t), "version", ALLIANCE_VERSION,
			      "alliances", alliances, "peer_counters", "handshakes_refused",
			      (json_int_t)d->handshakes_refused, "malformed",
			      (json_int_t)d->peer_malformed, "not_member",
			      (json_int_t)d->peer_unknown, "rejections",
			      (json_int_t)d->n_rejections, "rejections", rejections_json(d));
	json_object_set_new(json_object_get(j, "daemon"), "advertise",
			    json_string(d->home->self.endpoint));
	json_object_set_new(json_object_get(j, "daemon"), "uptime_ms",
			    json_integer((json_int_t)(now - d->started)));
	json_object_set_new(json_object_get(j, "daemon"), "link_timeout_ms",
			    json_integer(LINK_TIMEOUT_MS));
	json_object_set_new(j, "disk", disk_json(d, now));
	rp->json = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	rp->ok = rp->json != NULL;
	return AL_OK;
}

static int handle_join(struct daemon *d, const struct al_request *rq, struct al_reply *rp)
{
	char why[AL_ERRLEN], dir[PATH_MAX], hex[2 * AL_HASHLEN + 1];
	struct al_charter *c = NULL;
	struct al_store *s = NULL;
	int rc = charter_parse(rq->charter, rq->charter_len, &c, why);
	if (rc)
		goto fail;
	hex_encode(c->id.b, AL_HASHLEN, hex);
	const struct al_member *me = charter_member(c, &d->home->self.sign_key);
	if (!charter_in_force(c)) {
		rc = al_errf(why, AL_E_CHARTER, "charter '%s' is not in force: every member must "
			     "sign it first ('alliancectl charter show FILE' says who has not)", c->title);
		goto fail;
	}
	if (me && memcmp(&me->transport_key, &d->home->self.transport_key, AL_KEYLEN)) {
		rc = al_errf(why, AL_E_CHARTER, "this home ('%s') is not a member of charter '%s' "
			     "with its current keys", d->home->self.name, c->title);
		goto fail;
	}
	/* Not a founder: a newcomer joins to wait for the amendment adding
	 * it, which its card must be able to pass; or, with a member's name
	 * and new keys, for the one replacing that member's keys. */
	const char *replacing = NULL;
	for (size_t i = 0; !me && i < c->n_members; i++) {
		const char *shared = charter_clash(&c->members[i], &d->home->self);
		if (shared && !strcmp(shared, "name")) {
			struct al_member renamed = d->home->self;
			renamed.name[0] = '\0';
			if (!(shared = charter_clash(&c->members[i], &renamed)))
				replacing = c->members[i].name;
		}
		if (shared) {
			rc = al_errf(why, AL_E_CHARTER, "this home ('%s') cannot join charter '%s' as a "
				     "newcomer: its %s is '%s''s (make a home with another name)",
				     d->home->self.name, c->title, shared, c->members[i].name);
			goto fail;
		}
	}
	for (size_t i = 0; i < d->n_alls; i++) {
		if (!memcmp(&d->alls[i]->s->charter->id, &c->id, AL_HASHLEN)) {
			rp->json = strdup("{\"joined\": false, \"already\": true}");
			rp->ok = 1;
			charter_destroy(&c);
			return AL_OK;
		}
	}
	if (disk_is_full(d, why))
		goto fail;
	home_alliance_dir(d->home->dir, &c->id, dir, sizeof dir);
	/* store_open builds ID/ whole (in ID.tmp/, then a rename): only
	 * its parent is made here. On a full disk it leaves nothing. */
	char parent[PATH_MAX];
	snprintf(parent, sizeof parent, "%s/alliances", d->home->dir);
	if ((rc = file_mkdirs(parent, 0700, why)) || (rc = store_open(dir, true, c, NULL, &s, why))) {
		on_nospc(d, parent, rc, why);
		goto fail;
	}
	/* A new feed, unless these keys authored elsewhere before: peers
	 * tell, as after a crash. */
	if ((rc = add_alliance(d, s, false))) {
		store_close(&s);
		goto fail;
	}
	dlog(d, L_INFO, "joined alliance '%s' (%s)%s%s", c->title, hex, me ? "" : replacing
	     ? " with new keys for member " : " as a newcomer: waiting for the amendment that "
	     "adds this member", me || !replacing ? "" : replacing);
	json_t *j = json_pack("{s:b, s:s, s:s, s:b}", "joined", 1, "alliance", hex, "title",
			      c->title, "founder", me != NULL);
	if (!me && replacing)
		json_object_set_new(j, "replacing", json_string(replacing));
	rp->json = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	rp->ok = 1;
	charter_destroy(&c);
	return AL_OK;
fail:
	charter_destroy(&c);
	rp->error = strdup(why);
	return fatal_rc(rc) ? rc : AL_OK;
}

/* Is authoring open for a (see docs/replication.md)? */
static bool may_author(const struct alliance *a, char *why)
{
	const struct al_charter *c = a->s->charter;
	char err[AL_ERRLEN];
	if (members_check_current(c, a->self, err)) {
		al_errf(why, AL_E_INVAL, "%s", err);
		return false;
	}
	if (a->own_forked) {
		al_errf(why, AL_E_INVAL, "authoring is stopped for good: %s", a->own_forked);
		return false;
	}
	if (a->own_ok)
		return true;
	al_errf(why, AL_E_INVAL, "not yet: after a start or a new join, allianced learns this "
		"member's feed head from its peers before it authors, so that it never forks its "
		"feed, and no peer has confirmed it yet ('alliancectl status' shows the links); "
		"retry when a peer is up");
	return false;
}

/* "name/seq" of a message held in s into *ref. */
static int parse_id(const struct al_store *s, const char *id, struct al_ref *ref, char *why)
{
	const char *slash = strrchr(id, '/');
	char name[AL_NAME_MAX + 16], *at;
	uint64_t gen, seq;
	if (!slash || slash == id || (size_t)(slash - id) >= sizeof name)
		return al_errf(why, AL_E_INVAL, "bad id '%s' (ids look like acme/12)", id);
	memcpy(name, id, (size_t)(slash - id));
	name[slash - id] = '\0';
	const struct al_member *m = NULL;
	if ((at = strchr(name, '@'))) { /* name@2: the member's second keys */
		*at = '\0';
		bool number = text_uint(at + 1, UINT32_MAX, &gen);
		for (size_t k = 0; number && k < s->charter->n_members; k++)
			if (!strcmp(s->charter->members[k].name, name) && s->charter->generation &&
			    s->charter->generation[k] == gen)
				m = &s->charter->members[k];
	} else if ((m = charter_member_named(s->charter, name))) {
		/* name/seq: its first keys' message (name@2/seq for the second's) */
		m = &s->charter->members[members_party(s->charter, (size_t)(m - s->charter->members))];
	}
	if (!m || !text_uint(slash + 1, UINT64_MAX, &seq) || !seq)
		return al_errf(why, AL_E_INVAL, "bad id '%s' (ids look like acme/12)", id);
	if (!feeds_get(s->feeds, &m->sign_key, seq))
		return al_errf(why, AL_E_NOENT, "no message '%s' here", id);
	ref->author = m->sign_key;
	ref->seq = seq;
	return AL_OK;
}

/* What errors call item n of a commit request: its --batch line, or
 * "commitment n". */
static const char *item_label(const struct al_commit_item *it, size_t n, char *buf, size_t len)
{
	if (it->line)
		snprintf(buf, len, "--batch line %" PRIu32, it->line);
	else
		snprintf(buf, len, "commitment %zu", n);
	return buf;
}

/* Check one commitment as stated; fill b (keys into *to, caller frees).
 * The due time is checked apart (due_ok): a retry of a commitment made
 * before its due time passed names a due time now past. */
static int check_item(const struct al_store *s, const struct al_member *self,
		      const struct al_commit_item *it, const char *label, struct al_body *b,
		      al_key **to, char *why)
{
	char list[1024], err[AL_ERRLEN];
	const struct al_charter *c = s->charter;
	memset(b, 0, sizeof *b);
	*to = NULL;
	/* This home signs no text that could drive a partner's terminal
	 * (text_check); what peers signed is accepted as it is. */
	char field[96];
	snprintf(field, sizeof field, "%s: WHAT", label);
	if (text_check(field, it->what, why))
		return AL_E_INVAL;
	if (!*it->what || strlen(it->what) > 4096)
		return al_errf(why, AL_E_INVAL, "%s: say what you will deliver "
			       "(1 to 4096 characters)", label);
	if (*it->key && msg_check_idempotency_key(it->key, err))
		return al_errf(why, AL_E_INVAL, "%s: %s", label, err);
	if (it->n_to == 0)
		return al_errf(why, AL_E_INVAL, "%s: name at least one beneficiary "
			       "with --to (members: %s)", label, charter_member_list(c, list, sizeof list));
	if (!(*to = calloc(it->n_to, sizeof **to)))
		return AL_E_NOMEM;
	for (size_t k = 0; k < it->n_to; k++) {
		const struct al_member *m = charter_member_named(c, it->to[k]);
		if (!m)
			return al_errf(why, AL_E_INVAL, "%s: no member named '%s' in "
				       "charter '%s' (members: %s)", label, it->to[k], c->title,
				       charter_member_list(c, list, sizeof list));
		if (m == self)
			return al_errf(why, AL_E_INVAL, "%s: '%s' cannot promise "
				       "something to itself", label, m->name);
		if (members_check_current(c, (size_t)(m - c->members), err))
			return al_errf(why, AL_E_INVAL, "%s: %s", label, err);
		for (size_t j = 0; j < k; j++)
			if (!memcmp(&(*to)[j], &m->sign_key, AL_KEYLEN))
				return al_errf(why, AL_E_INVAL, "%s: '%s' is named "
					       "twice in --to", label, m->name);
		(*to)[k] = m->sign_key;
	}
	b->kind = AL_KIND_COMMITMENT;
	b->key = it->key;
	b->u.commitment.what = it->what;
	b->u.commitment.to = *to;
	b->u.commitment.n_to = it->n_to;
	b->u.commitment.due = it->due;
	b->u.commitment.value = it->value;
	if (*it->task && parse_id(s, it->task, &b->u.commitment.task, err))
		return al_errf(why, AL_E_INVAL, "%s: --task: %s", label, err);
	return AL_OK;
}

/* A due time for a new message signed now: in the years 0000 to 9999, and
 * not already past unless past says it is meant (a commitment or task
 * recorded overdue). batch: the item came from a --batch line. The client
 * checks first, for a whole batch before any of it goes; this check is
 * the one that counts, against the clock that signs. */
static int due_ok(int64_t due, bool past, int64_t now, bool batch, const char *label,
		  const char *what, char *why)
{
	char t[AL_WHENLEN], n[AL_WHENLEN];
	if (!when_in_range(due))
		return al_errf(why, AL_E_INVAL, "%s%sthe due time %s is out of range (years 0000 "
			       "to 9999)", label, *label ? ": " : "", when_format(due, t));
	if (due < now && !past)
		return al_errf(why, AL_E_INVAL, "%s%s--due %s is in the past (it is %s); give "
			       "%s to record a %s already overdue", label, *label ? ": " : "",
			       when_format(due, t), when_format(now, n),
			       batch ? "\"past\": true on the line, or --past for the whole batch,"
				     : "--past", what);
	return AL_OK;
}

static bool same_refs(const struct al_ref *x, const struct al_ref *y)
{
	return x->seq == y->seq && !memcmp(&x->author, &y->author, AL_KEYLEN);
}

/* Two strings of bodies, NULL (a field the body being built leaves
 * unset) being "" as it is once signed. */
static bool same_text(const char *x, const char *y)
{
	return !strcmp(x ? x : "", y ? y : "");
}

/* Is b (not yet signed) the step that the held message orig states? What
 * matters is what the rules and the partners act on: the kind, the
 * commitment it is about, what is promised to whom, by when (unless the
 * due time was given from now, +14d, which a retry reads anew), for how
 * much, a verdict's ratings, a ruling, an amendment's change. Free text
 * (reasons, comments, notes) is not compared. params: the --param
 * KEY=VALUE changes of an amendment (n_params of them). */
static bool same_step(const struct al_body *orig, const struct al_body *b, bool due_offset,
		      char **params, size_t n_params)
{
	if (orig->kind != b->kind)
		return false;
	switch (b->kind) {
	case AL_KIND_COMMITMENT: {
		const struct al_commitment *x = &orig->u.commitment, *y = &b->u.commitment;
		return same_text(x->what, y->what) && x->n_to == y->n_to &&
		       (!x->n_to || !memcmp(x->to, y->to, x->n_to * sizeof *x->to)) &&
		       (due_offset || x->due == y->due) && x->value == y->value &&
		       same_refs(&x->task, &y->task);
	}
	case AL_KIND_TASK: {
		const struct al_task *x = &orig->u.task, *y = &b->u.task;
		if (!same_text(x->title, y->title) || memcmp(&x->owner, &y->owner, AL_KEYLEN) ||
		    (!due_offset && x->due != y->due) || x->n_depends != y->n_depends ||
		    !same_text(x->deliverable, y->deliverable))
			return false;
		for (size_t i = 0; i < x->n_depends; i++)
			if (!same_refs(&x->depends[i], &y->depends[i]))
				return false;
		return true;
	}
	case AL_KIND_RESPONSE:
		return same_refs(&orig->u.response.commitment, &b->u.response.commitment) &&
		       orig->u.response.answer == b->u.response.answer;
	case AL_KIND_DELIVERY:
		return same_refs(&orig->u.delivery.commitment, &b->u.delivery.commitment) &&
		       orig->u.delivery.has_evidence == b->u.delivery.has_evidence &&
		       !memcmp(&orig->u.delivery.evidence_hash, &b->u.delivery.evidence_hash,
			       AL_HASHLEN);
	case AL_KIND_VERDICT:
		return same_refs(&orig->u.verdict.commitment, &b->u.verdict.commitment) &&
		       orig->u.verdict.outcome == b->u.verdict.outcome &&
		       orig->u.verdict.quality == b->u.verdict.quality &&
		       orig->u.verdict.timeliness == b->u.verdict.timeliness;
	case AL_KIND_RELEASE:
		return same_refs(&orig->u.release.commitment, &b->u.release.commitment);
	case AL_KIND_FEEDBACK:
		return !memcmp(&orig->u.feedback.about, &b->u.feedback.about, AL_KEYLEN) &&
		       orig->u.feedback.rating == b->u.feedback.rating;
	case AL_KIND_ESCALATION:
		return same_refs(&orig->u.escalation.subject, &b->u.escalation.subject);
	case AL_KIND_RESOLUTION:
		return same_refs(&orig->u.resolution.subject, &b->u.resolution.subject) &&
		       orig->u.resolution.ruling == b->u.resolution.ruling;
	case AL_KIND_AMENDMENT: {
		const struct al_amendment *x = &orig->u.amendment, *y = &b->u.amendment;
		if (!same_refs(&x->approves, &y->approves) || x->has_add != y->has_add ||
		    x->has_remove != y->has_remove || x->has_params != y->has_params ||
		    x->has_replace != y->has_replace || !same_text(x->endpoint, y->endpoint) ||
		    (x->has_add && memcmp(&x->add.sign_key, &y->add.sign_key, AL_KEYLEN)) ||
		    (x->has_remove && memcmp(&x->remove, &y->remove, AL_KEYLEN)) ||
		    (x->has_replace && memcmp(&x->replace.sign_key, &y->replace.sign_key, AL_KEYLEN)))
			return false;
		/* New parameters: the held ones already have every value asked
		 * for (the others were those in effect then, perhaps not now). */
		struct al_params p = x->params;
		for (size_t i = 0; x->has_params && i < n_params; i++)
			if (charter_set_param(&p, params[i], NULL))
				return false;
		return !x->has_params || charter_params_equal(&p, &x->params);
	}
	default:
		return false;
	}
}

/* Has this member (me) used key already? *seq: 0 when not; the held
 * message's seq when it states the same step as b (same_step). A key used
 * for something else is refused, naming what it was used for. label
 * ("" for none) begins an error. */
static int key_held(struct al_store *s, const al_key *me, const char *key, const struct al_body *b,
		    bool due_offset, char **params, size_t n_params, const char *label,
		    uint64_t *seq, char *why)
{
	struct al_envelope e;
	char id[AL_IDLEN], err[AL_ERRLEN];
	*seq = 0;
	int rc = store_keyed(s, me, key, &e, err);
	if (rc == AL_E_NOENT)
		return AL_OK;
	const char *sep = *label ? ": " : "";
	if (rc)
		return al_errf(why, rc == AL_E_NOMEM || rc == AL_E_IO ? rc : AL_E_INVAL,
			       "%s%scannot read the message with key '%s': %s", label, sep, key, err);
	struct al_ref ref = { e.b.author, e.b.seq };
	charter_ref_name(s->charter, &ref, id);
	if (same_step(&e.b, b, due_offset, params, n_params))
		*seq = e.b.seq;
	else if (e.b.kind != b->kind)
		rc = al_errf(why, AL_E_INVAL, "%s%skey '%s' was used for %s, a %s, not a %s: use "
			     "a new key", label, sep, key, id, msg_kind_name(e.b.kind),
			     msg_kind_name(b->kind));
	else
		rc = al_errf(why, AL_E_INVAL, "%s%skey '%s' was used for %s, a different %s: use "
			     "a new key", label, sep, key, id, msg_kind_name(e.b.kind));
	envelope_clear(&e);
	return rc;
}

static int cmp_item_key(const void *x, const void *y)
{
	const struct al_commit_item *const *a = x, *const *b = y;
	int c = strcmp((*a)->key, (*b)->key);
	return c ? c : (*a < *b ? -1 : *a > *b);
}

/* Two items of one request with one key would be one commitment and
 * another: refused, naming both. Sorted, not compared pairwise: a request
 * may hold many items. */
static int distinct_keys(const struct al_request *rq, char *why)
{
	const struct al_commit_item **v = calloc(rq->n_items, sizeof *v);
	size_t n = 0;
	int rc = AL_OK;
	if (!v)
		return AL_E_NOMEM;
	for (size_t i = 0; i < rq->n_items; i++)
		if (*rq->items[i].key)
			v[n++] = &rq->items[i];
	qsort(v, n, sizeof *v, cmp_item_key);
	for (size_t i = 1; i < n && rc == AL_OK; i++)
		if (!strcmp(v[i - 1]->key, v[i]->key)) {
			char x[64], y[64];
			rc = al_errf(why, AL_E_INVAL, "%s and %s have the same key '%s': a key names "
				     "one commitment (give each its own)",
				     item_label(v[i - 1], (size_t)(v[i - 1] - rq->items) + 1, x, sizeof x),
				     item_label(v[i], (size_t)(v[i] - rq->items) + 1, y, sizeof y),
				     v[i]->key);
		}
	free(v);
	return rc;
}

/* New commitments: all checked first, then the new ones authored; the
 * reply (every item's id, in order) waits for the fsync that covers them.
 * An item whose key this member used already is answered with the id of
 * the message that has it, and authors nothing. */
static int handle_commit(struct daemon *d, const struct al_request *rq, struct al_reply *rp)
{
	char why[AL_ERRLEN], label[64];
	struct alliance *a = find_alliance(d, rq->alliance, why);
	struct al_store *s = a ? a->s : NULL;
	struct al_body *bodies = NULL;
	al_key **tos = NULL;
	uint64_t *held = NULL;
	int rc = AL_OK;
	if (!a)
		goto fail;
	const al_key *me = &d->home->self.sign_key;
	const struct al_member *self = charter_member(s->charter, me);
	if (rq->n_items == 0) {
		al_errf(why, AL_E_INVAL, "no commitment given");
		goto fail;
	}
	bodies = calloc(rq->n_items, sizeof *bodies);
	tos = calloc(rq->n_items, sizeof *tos);
	held = calloc(rq->n_items, sizeof *held);
	if (!bodies || !tos || !held) {
		rc = AL_E_NOMEM;
		goto out;
	}
	if ((rc = distinct_keys(rq, why)))
		goto fail;
	size_t fresh = 0;
	for (size_t i = 0; i < rq->n_items; i++) {
		const struct al_commit_item *it = &rq->items[i];
		item_label(it, i + 1, label, sizeof label);
		if ((rc = check_item(s, self, it, label, &bodies[i], &tos[i], why)) ||
		    (*it->key && (rc = key_held(s, me, it->key, &bodies[i], it->due_offset, NULL, 0,
						label, &held[i], why))))
			goto fail;
		fresh += !held[i];
	}
	if (fresh && (disk_is_full(d, why) || !may_author(a, why)))
		goto fail;
	int64_t now = when_now();
	for (size_t i = 0; i < rq->n_items; i++)
		if (!held[i] && (rc = due_ok(rq->items[i].due, rq->items[i].past, now,
					     rq->items[i].line != 0,
					     item_label(&rq->items[i], i + 1, label, sizeof label),
					     "commitment", why)))
			goto fail;
	/* The ledger's rules too, which for a commitment add only that its
	 * --task is a task (check_item did the rest): the ledger is rebuilt
	 * from the log when it has grown, so only when a task is named. */
	bool tasks = false;
	for (size_t i = 0; i < rq->n_items; i++)
		tasks |= !held[i] && bodies[i].u.commitment.task.seq != 0;
	struct al_ledger *l;
	if (tasks && (rc = alliance_ledger(a, &l, why)))
		goto fail;
	for (size_t i = 0; tasks && i < rq->n_items && rc == AL_OK; i++) {
		char err[AL_ERRLEN];
		bodies[i].timestamp = when_now();
		if (!held[i] && ledger_check(l, me, &bodies[i], err))
			rc = al_errf(why, AL_E_INVAL, "%s: %s",
				     item_label(&rq->items[i], i + 1, label, sizeof label), err);
	}
	if (rc)
		goto fail;
	/* All or none: a commitment that cannot be written (a full disk)
	 * takes back those of this request written before it. */
	json_t *ids = json_array();
	struct al_store_mark mark;
	store_mark(s, &d->home->self.sign_key, &mark);
	for (size_t i = 0; i < rq->n_items; i++) {
		struct al_ref ref = { *me, held[i] };
		char id[AL_IDLEN], err[AL_ERRLEN];
		if (!held[i] && (rc = store_author(s, d->home->id, &bodies[i], when_now(), &ref, why))) {
			json_decref(ids);
			if (!fatal_rc(rc) && i > 0 && store_rollback(s, &mark, err)) {
				dlog(d, L_ERROR, "cannot take back commitments 1 to %zu of a request: %s",
				     i, err);
				rc = AL_E_FAILED;
			}
			if (rc != AL_E_NOSPC)
				dlog(d, L_ERROR, "cannot author a commitment: %s", why);
			on_nospc(d, s->dir, rc, why);
			goto fail;
		}
		json_array_append_new(ids, json_string(charter_ref_name(s->charter, &ref, id)));
	}
	if (fresh) {
		a->own_whole = true;
		a->unreceipted = 0; /* their frontiers acknowledge what came in */
	}
	rp->json = json_dumps(ids, JSON_COMPACT);
	json_decref(ids);
	rp->ok = 1;
	/* Held ones too: one appended this round is durable only after it. */
	rc = AFTER_SYNC;
	goto out;
fail:
	rp->error = strdup(why);
	if (!fatal_rc(rc))
		rc = AL_OK;
out:
	for (size_t i = 0; tos && i < rq->n_items; i++)
		free(tos[i]);
	free(tos);
	free(held);
	free(bodies); /* their strings are the request's */
	return rc;
}

/* A step in a commitment's life: the body for the verb, checked against
 * the ledger's rules before it is signed. */
static int act_body(const struct al_store *s, const struct al_ledger *l, const struct al_act *act,
		    const al_key *self, struct al_body *b, struct al_ref **deps, char *why)
{
	const struct al_charter *c = s->charter;
	bool about_commitment = strcmp(act->verb, "task") && strcmp(act->verb, "feedback") &&
				strcmp(act->verb, "amend") && strcmp(act->verb, "approve");
	struct al_ref r, *ref = &r;
	char list[1024];
	memset(b, 0, sizeof *b);
	*deps = NULL;
	/* As for commitments (check_item): named by the option it came in. */
	const char *opt = !strcmp(act->verb, "task") ? "the task's TITLE"
			  : !strcmp(act->verb, "deliver") ? "--note"
			  : !strcmp(act->verb, "confirm") || !strcmp(act->verb, "resolve") ||
				    !strcmp(act->verb, "feedback") ? "--comment" : "--reason";
	if (text_check(opt, act->text, why) || text_check("--deliverable", act->deliverable, why) ||
	    text_check("the name of the --evidence file", act->evidence_ref, why))
		return AL_E_INVAL;
	if (strlen(act->text) > 4096 || strlen(act->deliverable) > 4096)
		return al_errf(why, AL_E_INVAL, "the text is longer than 4096 characters");
	if (about_commitment && parse_id(s, act->id, ref, why))
		return AL_E_INVAL;
	if (!strcmp(act->verb, "task")) {
		const struct al_member *owner = charter_member_named(c, act->name);
		if (!*act->text)
			return al_errf(why, AL_E_INVAL, "give the task a title");
		if (!owner)
			return al_errf(why, AL_E_INVAL, "no member named '%s' to own the task "
				       "(members: %s)", act->name, charter_member_list(c, list, sizeof list));
		if (members_check_current(c, (size_t)(owner - c->members), why))
			return AL_E_INVAL;
		if (act->n_depends && !(*deps = calloc(act->n_depends, sizeof **deps)))
			return AL_E_NOMEM;
		for (size_t i = 0; i < act->n_depends; i++)
			if (parse_id(s, act->depends[i], &(*deps)[i], why))
				return AL_E_INVAL;
		b->kind = AL_KIND_TASK;
		b->u.task.title = act->text;
		b->u.task.owner = owner->sign_key;
		b->u.task.due = act->due;
		b->u.task.depends = *deps;
		b->u.task.n_depends = act->n_depends;
		b->u.task.deliverable = act->deliverable;
	} else if (!strcmp(act->verb, "feedback")) {
		const struct al_member *about = charter_member_named(c, act->name);
		if (!about)
			return al_errf(why, AL_E_INVAL, "no member named '%s' (members: %s)", act->name,
				       charter_member_list(c, list, sizeof list));
		b->kind = AL_KIND_FEEDBACK;
		b->u.feedback.about = about->sign_key;
		b->u.feedback.rating = act->quality;
		b->u.feedback.comment = act->text;
	} else if (!strcmp(act->verb, "amend") && *act->endpoint) {
		char err[AL_ERRLEN];
		if (card_check_endpoint(act->endpoint, err))
			return al_errf(why, AL_E_INVAL, "--endpoint: %s", err);
		b->kind = AL_KIND_AMENDMENT;
		b->u.amendment.endpoint = act->endpoint;
		b->u.amendment.reason = act->text;
	} else if (!strcmp(act->verb, "amend") && *act->replace) {
		char err[AL_ERRLEN];
		b->kind = AL_KIND_AMENDMENT;
		b->u.amendment.has_replace = true;
		b->u.amendment.reason = act->text;
		if (card_parse(act->replace, &b->u.amendment.replace, err))
			return al_errf(why, AL_E_INVAL, "--replace: %s (give the last line 'allianced "
				       "init' printed for the member's new home)", err);
		const struct al_member *m = charter_member_named(c, b->u.amendment.replace.name);
		if (!m)
			return al_errf(why, AL_E_INVAL, "--replace: no member named '%s': a "
				       "replacement card keeps the name of the member whose keys it "
				       "replaces (members: %s)", b->u.amendment.replace.name,
				       charter_member_list(c, list, sizeof list));
		if (members_check_current(c, (size_t)(m - c->members), err))
			return al_errf(why, AL_E_INVAL, "--replace: %s", err);
		b->u.amendment.replaces = m->sign_key;
		/* The old keys' feed ends with what this home holds of it (and
		 * this proposal, when the old keys sign it themselves): later
		 * messages of theirs (a thief's) are void. */
		b->u.amendment.replaces_upto = feeds_head(s->feeds, &m->sign_key, NULL) +
			!memcmp(&m->sign_key, self, AL_KEYLEN);
	} else if (!strcmp(act->verb, "amend") && *act->card) {
		char err[AL_ERRLEN];
		b->kind = AL_KIND_AMENDMENT;
		b->u.amendment.has_add = true;
		b->u.amendment.reason = act->text;
		if (card_parse(act->card, &b->u.amendment.add, err))
			return al_errf(why, AL_E_INVAL, "--add: %s (give the last line 'allianced "
				       "init' printed for the new member)", err);
	} else if (!strcmp(act->verb, "amend") && *act->remove) {
		const struct al_member *m = charter_member_named(c, act->remove);
		if (!m)
			return al_errf(why, AL_E_INVAL, "--remove: no member named '%s' (members: "
				       "%s)", act->remove, charter_member_list(c, list, sizeof list));
		b->kind = AL_KIND_AMENDMENT;
		b->u.amendment.has_remove = true;
		b->u.amendment.remove = m->sign_key;
		b->u.amendment.reason = act->text;
	} else if (!strcmp(act->verb, "amend")) {
		/* New trust parameters: the ones in effect, with these changed. */
		b->u.amendment.params = l->params;
		if (!act->n_params)
			return al_errf(why, AL_E_INVAL, "say what to change: --param KEY=VALUE, "
				       "--add CARD, --remove NAME, --replace CARD or --endpoint "
				       "ENDPOINT");
		for (size_t i = 0; i < act->n_params; i++)
			if (charter_set_param(&b->u.amendment.params, act->params[i], why))
				return AL_E_INVAL;
		if (charter_check_params(&b->u.amendment.params, why))
			return AL_E_INVAL;
		b->kind = AL_KIND_AMENDMENT;
		b->u.amendment.has_params = true;
		b->u.amendment.reason = act->text;
	} else if (!strcmp(act->verb, "approve")) {
		b->kind = AL_KIND_AMENDMENT;
		if (parse_id(s, act->id, &b->u.amendment.approves, why))
			return AL_E_INVAL;
		b->u.amendment.reason = act->text;
	} else if (!strcmp(act->verb, "escalate")) {
		if (!*act->text)
			return al_errf(why, AL_E_INVAL, "say why you escalate it (--reason TEXT)");
		b->kind = AL_KIND_ESCALATION;
		b->u.escalation.subject = *ref;
		b->u.escalation.reason = act->text;
	} else if (!strcmp(act->verb, "resolve")) {
		if (act->ruling != AL_RULING_UPHOLD && act->ruling != AL_RULING_REJECT)
			return al_errf(why, AL_E_INVAL, "rule on it: --uphold or --reject the dispute");
		b->kind = AL_KIND_RESOLUTION;
		b->u.resolution.subject = *ref;
		b->u.resolution.ruling = (enum al_ruling)act->ruling;
		b->u.resolution.comment = act->text;
	} else if (!strcmp(act->verb, "release")) {
		b->kind = AL_KIND_RELEASE;
		b->u.release.commitment = *ref;
		b->u.release.reason = act->text;
	} else if (!strcmp(act->verb, "accept") || !strcmp(act->verb, "decline")) {
		b->kind = AL_KIND_RESPONSE;
		b->u.response.commitment = *ref;
		b->u.response.answer = act->verb[0] == 'a' ? AL_ANSWER_ACCEPT : AL_ANSWER_DECLINE;
		b->u.response.reason = act->text;
	} else if (!strcmp(act->verb, "deliver")) {
		b->kind = AL_KIND_DELIVERY;
		b->u.delivery.commitment = *ref;
		b->u.delivery.has_evidence = act->has_evidence;
		memcpy(b->u.delivery.evidence_hash.b, act->evidence, AL_HASHLEN);
		b->u.delivery.evidence_ref = act->evidence_ref;
		b->u.delivery.note = act->text;
	} else if (!strcmp(act->verb, "confirm") || !strcmp(act->verb, "dispute")) {
		bool confirm = act->verb[0] == 'c';
		if (confirm && (act->quality < 1 || act->quality > 5 || act->timeliness < 1 ||
				act->timeliness > 5))
			return al_errf(why, AL_E_INVAL, "a confirmation rates quality and timeliness "
				       "from 1 to 5 (--rating)");
		if (!confirm && !*act->text)
			return al_errf(why, AL_E_INVAL, "say why you dispute it (--reason TEXT)");
		b->kind = AL_KIND_VERDICT;
		b->u.verdict.commitment = *ref;
		b->u.verdict.outcome = confirm ? AL_OUTCOME_CONFIRM : AL_OUTCOME_DISPUTE;
		b->u.verdict.quality = act->quality;
		b->u.verdict.timeliness = act->timeliness;
		b->u.verdict.comment = act->text;
	} else {
		return al_errf(why, AL_E_INVAL, "unknown step '%s' (accept, decline, deliver, "
			       "confirm, dispute, release, escalate, resolve, task, feedback, amend, "
			       "approve)", act->verb);
	}
	return AL_OK;
}

/* A step by this daemon's member, checked against the ledger's rules; or,
 * when its key was used already for the same step, that message's id
 * (nothing authored). The reply waits for the fsync either way. */
static int handle_act(struct daemon *d, const struct al_request *rq, struct al_reply *rp)
{
	char why[AL_ERRLEN], id[AL_IDLEN];
	struct alliance *a = find_alliance(d, rq->alliance, why);
	struct al_ledger *l = NULL;
	struct al_ref out = { d->home->self.sign_key, 0 }, *deps = NULL;
	struct al_body b;
	const struct al_act *act = &rq->act;
	int rc = AL_OK;
	if (!a || (*act->key && (rc = msg_check_idempotency_key(act->key, why))) ||
	    (rc = alliance_ledger(a, &l, why)) ||
	    (rc = act_body(a->s, l, act, &d->home->self.sign_key, &b, &deps, why)))
		goto fail;
	b.key = act->key;
	if (*act->key && (rc = key_held(a->s, &d->home->self.sign_key, act->key, &b,
					act->due_offset, act->params, act->n_params, "", &out.seq,
					why)))
		goto fail;
	if (out.seq)
		goto done;
	if (disk_is_full(d, why) || !may_author(a, why))
		goto fail;
	int64_t now = when_now();
	b.timestamp = now; /* the rules look at when it is signed */
	if ((b.kind == AL_KIND_TASK &&
	     (rc = due_ok(b.u.task.due, act->past, now, false, "", "task", why))) ||
	    ledger_check(l, &d->home->self.sign_key, &b, why))
		goto fail;
	if ((rc = store_author(a->s, d->home->id, &b, now, &out, why)) ||
	    (rc = peers_members(d, a))) {
		if (rc != AL_E_NOSPC)
			dlog(d, L_ERROR, "cannot author a %s: %s", msg_kind_name(b.kind), why);
		on_nospc(d, a->s->dir, rc, why);
		goto fail;
	}
	a->own_whole = true;
	a->unreceipted = 0; /* its frontier acknowledges what came in */
done:
	free(deps);
	json_t *j = json_pack("{s:s}", "id", charter_ref_name(a->s->charter, &out, id));
	rp->json = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	rp->ok = 1;
	return AFTER_SYNC;
fail:
	free(deps);
	rp->error = strdup(why);
	return fatal_rc(rc) ? rc : AL_OK;
}

static const struct handler {
	enum al_op op;
	int (*fn)(struct daemon *d, const struct al_request *rq, struct al_reply *rp);
} handlers[] = {
	{ AL_OP_STATUS, handle_status },
	{ AL_OP_JOIN, handle_join },
	{ AL_OP_COMMIT, handle_commit },
	{ AL_OP_ACT, handle_act },
};

/* ------------------------------------------------------------ control socket */

static int queue_reply(struct daemon *d, zmq_msg_t *client, uint8_t *buf, size_t len)
{
	if (grow(&d->pending, &d->cap_pending, d->n_pending + 1, sizeof *d->pending))
		return AL_E_NOMEM;
	struct pending_reply *p = &d->pending[d->n_pending];
	p->client_len = zmq_msg_size(client);
	if (!(p->client = malloc(p->client_len ? p->client_len : 1)))
		return AL_E_NOMEM;
	memcpy(p->client, zmq_msg_data(client), p->client_len);
	p->reply = buf;
	p->reply_len = len;
	d->n_pending++;
	return AL_OK;
}

static void send_reply(struct daemon *d, const void *client, size_t client_len,
		       const uint8_t *buf, size_t len)
{
	/* A client that gave up is gone: ROUTER_MANDATORY makes that an error
	 * here (EHOSTUNREACH), which only means nobody is waiting. */
	if (zmq_send(d->control, client, client_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_send(d->control, "", 0, ZMQ_SNDMORE) < 0 || zmq_send(d->control, buf, len, 0) < 0)
		dlog(d, L_DEBUG, "control: reply not delivered: %s", zmq_strerror(errno));
}

/* Group commit: one fsync per store covers every append of this round;
 * only then are the waiting acknowledgements sent. */
static int flush(struct daemon *d)
{
	char why[AL_ERRLEN];
	for (size_t i = 0; i < d->n_alls; i++) {
		struct al_store *s = d->alls[i]->s;
		if (log_durable(s->log) == log_size(s->log))
			continue;
		int rc = store_sync(s, why);
		if (rc) {
			dlog(d, L_ERROR, "%s", why);
			return rc; /* fatal: no acknowledgement goes out */
		}
	}
	for (size_t i = 0; i < d->n_pending; i++) {
		struct pending_reply *p = &d->pending[i];
		send_reply(d, p->client, p->client_len, p->reply, p->reply_len);
		free(p->client);
		free(p->reply);
	}
	d->n_pending = 0;
	return AL_OK;
}

int recv_parts(void *sock, zmq_msg_t *part, int max)
{
	int n = 0, more = 1;
	while (more) {
		zmq_msg_t m;
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, sock, n ? 0 : ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			break;
		}
		more = zmq_msg_more(&m);
		if (n < max)
			part[n++] = m;
		else
			zmq_msg_close(&m); /* more parts than expected: drop them */
	}
	return n;
}

/* Handle one control request if there is one. Returns 1 when there was
 * none, 0 when one was handled, or a fatal error. */
static int on_control(struct daemon *d)
{
	zmq_msg_t part[3];
	int n = recv_parts(d->control, part, 3);
	if (n == 0)
		return 1;
	if (n != 3 || zmq_msg_size(&part[1]) != 0) {
		dlog(d, L_WARN, "control: ignored a malformed request (%d parts)", n);
		for (int i = 0; i < n; i++)
			zmq_msg_close(&part[i]);
		return 0;
	}
	struct al_request rq;
	struct al_reply rp = { 0 };
	char why[AL_ERRLEN];
	int rc = AL_OK;
	if (wire_request_unpack(zmq_msg_data(&part[2]), zmq_msg_size(&part[2]), &rq, why)) {
		rp.error = strdup(why);
	} else {
		size_t i = 0;
		while (i < sizeof handlers / sizeof handlers[0] && handlers[i].op != rq.op)
			i++;
		if (i < sizeof handlers / sizeof handlers[0])
			rc = handlers[i].fn(d, &rq, &rp);
		else
			rp.error = strdup("this request is not supported by this daemon");
		control_request_clear(&rq);
	}
	uint8_t *buf;
	size_t len;
	if (wire_reply_pack(&rp, &buf, &len) == AL_OK) {
		if (rc == AFTER_SYNC) {
			rc = queue_reply(d, &part[0], buf, len);
			if (rc)
				free(buf);
		} else {
			send_reply(d, zmq_msg_data(&part[0]), zmq_msg_size(&part[0]), buf, len);
			free(buf);
		}
	} else if (rc == AFTER_SYNC) {
		/* Appended, and no reply can say so. Returned as is, AFTER_SYNC
		 * would read as "no request" (1) and the reply would vanish
		 * unseen: stop instead (out of memory is fatal), acknowledging
		 * nothing; a retry with a key is then safe. */
		dlog(d, L_ERROR, "control: out of memory for the reply to a request that appended");
		rc = AL_E_NOMEM;
	}
	control_reply_clear(&rp);
	for (int i = 0; i < 3; i++)
		zmq_msg_close(&part[i]);
	return rc;
}

/* The gid of control_group, when this process may give files to it (it
 * is in the group). 0, or -1 with why. */
static int control_gid(const struct al_home *h, gid_t *gid, char *why)
{
	struct group *g = getgrnam(h->control_group);
	if (!g) {
		al_errf(why, AL_E_INVAL, "control_group '%s' in %s is not a group on this machine "
			"(create it with 'groupadd %s', or remove the setting)", h->control_group,
			AL_CONFIG_FILE, h->control_group);
		return -1;
	}
	gid_t v[NGROUPS_MAX + 1];
	int n = getgroups(NGROUPS_MAX, v);
	bool member = getegid() == g->gr_gid || geteuid() == 0;
	for (int i = 0; i < n && !member; i++)
		member = v[i] == g->gr_gid;
	if (!member) {
		al_errf(why, AL_E_PERM, "control_group '%s': this daemon's user is not in that group, "
			"so it cannot give it the control socket (add the user to it, or under "
			"systemd use Group= or SupplementaryGroups=)", h->control_group);
		return -1;
	}
	*gid = g->gr_gid;
	return 0;
}

/* Who may use the control socket: its owner (mode 0600), or with
 * control_group also that group's members (0660; the home becomes 0710 and
 * the group's, so that they can reach the socket in it, and nothing else:
 * the key files stay 0600). */
static int control_access(struct daemon *d)
{
	char why[AL_ERRLEN];
	gid_t gid;
	struct stat st;
	if (!d->home->control_group[0]) {
		/* A control_group removed: the home goes back to owner-only. */
		if (stat(d->home_abs, &st) == 0 && (st.st_mode & 07777) == 0710 &&
		    chmod(d->home_abs, 0700) == 0)
			dlog(d, L_INFO, "control_group is unset: the home %s is owner-only again",
			     d->home_abs);
		return chmod(d->control_path, 0600) < 0 ? -1 : 0;
	}
	if (control_gid(d->home, &gid, why) < 0) {
		dlog(d, L_ERROR, "%s", why);
		return -1;
	}
	if (chown(d->control_path, (uid_t)-1, gid) < 0 || chmod(d->control_path, 0660) < 0 ||
	    chown(d->home_abs, (uid_t)-1, gid) < 0 || chmod(d->home_abs, 0710) < 0) {
		dlog(d, L_ERROR, "control_group '%s': cannot give it the control socket in %s: %s",
		     d->home->control_group, d->home_abs, strerror(errno));
		return -1;
	}
	dlog(d, L_INFO, "control socket: the owner and group '%s' may use it (mode 0660)",
	     d->home->control_group);
	return 0;
}

/* HOME/control.sock into d->control_path (home_abs set). 0, or -1 with
 * why when the path is too long for a Unix socket. */
static int control_path(struct daemon *d, char *why)
{
	if (snprintf(d->control_path, sizeof d->control_path, "%s/control.sock", d->home_abs) <
	    (int)sizeof d->control_path)
		return 0;
	al_errf(why, AL_E_INVAL, "home path '%s' is too long for a control socket (at most %zu "
		"characters); move the home", d->home_abs, sizeof d->control_path - 14);
	return -1;
}

static int bind_control(struct daemon *d)
{
	char endpoint[sizeof d->control_path + 8], why[AL_ERRLEN];
	if (control_path(d, why) < 0) {
		dlog(d, L_ERROR, "%s", why);
		return -1;
	}
	snprintf(endpoint, sizeof endpoint, "ipc://%s", d->control_path);
	if (!(d->control = dsocket(d, ZMQ_ROUTER, "the control socket")))
		return -1;
	int zero = 0, mandatory = 1;
	/* Linger 0: replies to clients that gave up are dropped at stop;
	 * ROUTER_MANDATORY: a reply to a vanished client fails, not vanishes. */
	zmq_setsockopt(d->control, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(d->control, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof mandatory);
	mode_t old = umask(0077); /* the socket file is born owner-only */
	int rc = zmq_bind(d->control, endpoint);
	umask(old);
	if (rc < 0) {
		dlog(d, L_ERROR, "cannot bind the control socket %s: %s", endpoint, zmq_strerror(errno));
		return -1;
	}
	return control_access(d);
}

/* One daemon per home: an exclusive lock on HOME/allianced.pid. */
static int take_lock(struct daemon *d)
{
	char path[PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/allianced.pid", d->home_abs);
	d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (d->lock_fd < 0) {
		dlog(d, L_ERROR, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		char pid[32] = "";
		ssize_t n = pread(d->lock_fd, pid, sizeof pid - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		dlog(d, L_ERROR, "another allianced (pid %s) is running for %s", pid[0] ? pid : "?",
		     d->home_abs);
		return -1;
	}
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%d\n", (int)getpid());
	if (ftruncate(d->lock_fd, 0) < 0 || pwrite(d->lock_fd, buf, (size_t)n, 0) != n)
		dlog(d, L_WARN, "cannot write the pid to %s", path);
	return 0;
}

static void shutdown_daemon(struct daemon *d)
{
	char why[AL_ERRLEN];
	for (size_t i = 0; i < d->n_pending; i++) { /* never acknowledged */
		free(d->pending[i].client);
		free(d->pending[i].reply);
	}
	free(d->pending);
	peers_stop(d);
	for (size_t i = 0; i < d->n_alls; i++) {
		struct al_store *s = d->alls[i]->s;
		char path[PATH_MAX], text[160];
		clean_mark_path(s, path, sizeof path);
		/* Only a head that was known (authoring open, or a clean start)
		 * may be vouched for: a daemon stopped while still waiting for its
		 * peers after a crash must wait again next time. */
		if (store_sync(s, why))
			dlog(d, L_ERROR, "%s", why);
		else if (d->clean_stop && (d->alls[i]->own_ok || d->alls[i]->own_whole) &&
			 !d->alls[i]->own_forked &&
			 (clean_mark_text(d, s, text, sizeof text),
			  file_replace(path, text, strlen(text), 0600, why)))
			dlog(d, L_WARN, "%s", why);
		free_alliance(d->alls[i]);
	}
	free(d->alls);
	if (d->control) {
		zmq_close(d->control);
		unlink(d->control_path);
	}
	if (d->zctx)
		zmq_ctx_term(d->zctx);
	if (d->lock_fd >= 0)
		close(d->lock_fd); /* releases the lock */
	home_close(&d->home);
}

/* libzmq aborts (an assertion, not an error) when it cannot make the file
 * descriptors a socket needs: raise the soft limit on open files to the
 * hard one, and refuse to start below what a few dozen links need. */
#define MIN_OPEN_FILES 256
static int open_files(const struct daemon *d)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 0;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < MIN_OPEN_FILES) {
		dlog(d, L_ERROR, "the limit on open files is %ju, below the %d allianced needs (each "
		     "link takes several): raise it (LimitNOFILE= under systemd, ulimit -n otherwise)",
		     (uintmax_t)rl.rlim_cur, MIN_OPEN_FILES);
		return -1;
	}
	return 0;
}

int daemon_run(const char *home_dir)
{
	struct daemon d;
	char why[AL_ERRLEN];
	memset(&d, 0, sizeof d);
	d.lock_fd = -1;
	d.level = L_INFO;
	d.started = when_now();
	int status = 1;
	/* As sshd's StrictModes: nothing others could write is trusted. */
	if (home_check_modes(home_dir, why) || home_open(home_dir, &d.home, why)) {
		fprintf(stderr, "allianced: %s\n", why);
		return 1;
	}
	catch_signals(&d); /* from here on a signal is never the default's */
	d.level = level_named(d.home->log_level);
	if (!realpath(home_dir, d.home_abs)) {
		dlog(&d, L_ERROR, "cannot resolve %s: %s", home_dir, strerror(errno));
		goto out;
	}
	if (open_files(&d))
		goto out;
	d.zctx = zmq_ctx_new();
	/* Peer sockets first: each alliance opened links its members. */
	if (take_lock(&d) || !d.zctx || bind_control(&d) || peers_start(&d) || open_stores(&d))
		goto out;
	dlog(&d, L_INFO, "running: home %s, %zu alliance%s, control %s", d.home_abs, d.n_alls,
	     d.n_alls == 1 ? "" : "s", d.control_path);
	/* The control socket is bound, so a request sent now is answered by
	 * the loop below: ready, for systemd (Type=notify). */
	if (notify_send("READY=1") < 0)
		dlog(&d, L_WARN, "cannot notify systemd at $NOTIFY_SOCKET: %s", strerror(errno));

	/* Each round: take in control requests and peer messages, author
	 * receipts that are due, sync once (group commit), acknowledge, then
	 * send peers what they lack (only durable records leave). */
	while (!stop_signal) {
		if (reload_signal)
			reload(&d);
		if (ignored_signal) {
			dlog(&d, L_WARN, "ignored SIG%s (SIGTERM stops the daemon, SIGHUP reloads it)",
			     sigabbrev_np(ignored_signal));
			ignored_signal = 0;
		}
		size_t np = d.n_peers; /* a join in this round may add peers */
		zmq_pollitem_t *items = calloc(3 + np, sizeof *items);
		if (!items) {
			dlog(&d, L_ERROR, "out of memory");
			goto out;
		}
		items[0] = (zmq_pollitem_t){ d.control, 0, ZMQ_POLLIN, 0 };
		items[1] = (zmq_pollitem_t){ d.router, 0, ZMQ_POLLIN, 0 };
		items[2] = (zmq_pollitem_t){ d.zap, 0, ZMQ_POLLIN, 0 };
		for (size_t i = 0; i < np; i++)
			items[3 + i] = (zmq_pollitem_t){ d.peers[i]->mon, 0, ZMQ_POLLIN, 0 };
		int n = zmq_poll(items, (int)(3 + np), HEARTBEAT_MS / 4);
		if (n < 0) {
			free(items);
			if (errno == EINTR)
				continue;
			dlog(&d, L_ERROR, "zmq_poll: %s", zmq_strerror(errno));
			goto out;
		}
		for (size_t i = 0; i < np; i++)
			if (items[3 + i].revents & ZMQ_POLLIN)
				while (peers_on_monitor(&d, d.peers[i]) == 0)
					;
		int rc = 0;
		if (items[2].revents & ZMQ_POLLIN)
			while (peers_on_zap(&d) == 0)
				;
		if (items[0].revents & ZMQ_POLLIN)
			for (int k = 0; k < CONTROL_BATCH && rc == 0; k++)
				rc = on_control(&d);
		if (rc >= 0 && (items[1].revents & ZMQ_POLLIN))
			for (int k = 0; k < PEER_ROUND && (rc = peers_on_router(&d)) == 0; k++)
				;
		free(items);
		int64_t now = when_now();
		if (rc >= 0)
			rc = peers_receipts(&d, now);
		if (rc < 0 || (rc = flush(&d)) < 0) {
			dlog(&d, L_ERROR, "fatal storage error (%s): stopping without "
			     "acknowledging", al_strerror(rc));
			goto out;
		}
		disk_retry(&d, now);
		peers_pump(&d, now);
	}
	dlog(&d, L_INFO, "stopping on %s", stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
	notify_send("STOPPING=1");
	d.clean_stop = true;
	status = 0;
out:
	shutdown_daemon(&d);
	return status;
}

/* ------------------------------------------------------------ check */

struct check_scan {
	uint64_t records, torn, corrupt;
	char first[200];
};

static int check_record(void *arg, const struct al_log_rec *r)
{
	(void)r;
	((struct check_scan *)arg)->records++;
	return 0;
}

static int check_fault(void *arg, const struct al_log_fault *f)
{
	struct check_scan *cs = arg;
	if (f->kind == AL_LOG_TORN)
		cs->torn += f->length;
	else
		cs->corrupt++;
	if (!cs->first[0])
		snprintf(cs->first, sizeof cs->first, "record %" PRIu64 " at offset %" PRIu64 ": %s",
			 f->index, f->offset, f->reason);
	return 0;
}

int daemon_check(const char *home_dir)
{
	struct daemon d;
	char why[AL_ERRLEN], path[PATH_MAX + 64];
	int bad = 0;
	memset(&d, 0, sizeof d);
	if (home_check_modes(home_dir, why) || home_open(home_dir, &d.home, why)) {
		fprintf(stderr, "allianced: %s\n", why);
		return 1;
	}
	printf("%s: %s and keys OK: member '%s', listens on %s, partners dial %s\n", home_dir,
	       AL_CONFIG_FILE, d.home->self.name, d.home->listen, d.home->self.endpoint);
	if (!realpath(home_dir, d.home_abs)) {
		fprintf(stderr, "allianced: cannot resolve %s: %s\n", home_dir, strerror(errno));
		bad = 1;
	} else if (control_path(&d, why) < 0) {
		fprintf(stderr, "allianced: %s\n", why);
		bad = 1;
	}
	gid_t gid;
	if (d.home->control_group[0] && control_gid(d.home, &gid, why) < 0) {
		fprintf(stderr, "allianced: %s\n", why);
		bad = 1;
	}
	al_hash *ids;
	size_t n;
	if (home_alliances(d.home->dir, &ids, &n, why)) {
		fprintf(stderr, "allianced: %s\n", why);
		home_close(&d.home);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		char dir[PATH_MAX];
		struct al_charter *c;
		struct check_scan cs = { 0 };
		home_alliance_dir(d.home->dir, &ids[i], dir, sizeof dir);
		snprintf(path, sizeof path, "%s/charter", dir);
		if (charter_load(path, &c, why)) {
			fprintf(stderr, "allianced: %s: %s\n", dir, why);
			bad = 1;
			continue;
		}
		snprintf(path, sizeof path, "%s/log", dir);
		int rc = log_scan(path, check_record, check_fault, &cs, why);
		if (rc && rc != AL_E_NOENT) {
			fprintf(stderr, "allianced: %s: %s\n", path, why);
			bad = 1;
		} else if (cs.corrupt) {
			fprintf(stderr, "allianced: alliance '%s': its log is corrupt (%s); 'alliancectl "
				"audit' names every fault\n", c->title, cs.first);
			bad = 1;
		} else {
			printf("alliance '%s': charter %s, %" PRIu64 " records%s\n", c->title,
			       charter_in_force(c) ? "in force" : "NOT in force", cs.records,
			       cs.torn ? ", a torn tail the daemon will cut at start" : "");
		}
		charter_destroy(&c);
	}
	free(ids);
	/* Like sshd -t: whether the daemon runs is not an error, but say so. */
	snprintf(path, sizeof path, "%s/allianced.pid", home_dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0 && flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK)
		printf("a daemon is running for this home\n");
	if (fd >= 0)
		close(fd);
	home_close(&d.home);
	return bad;
}
