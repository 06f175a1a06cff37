/* daemon.c: the reactor, the alliances it serves, signals and the group
 * commit.
 *
 * Everything happens on one thread in the loop of daemon_run(): poll the
 * sockets, handle what is ready (control requests in control.c, peers in
 * peer.c), sync once per round, then acknowledge; housekeeping runs once
 * a second. The core library (lib/) does all validation and storage.
 */
#include "daemon.h"
#include "notify.h"
#include "reactor.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
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

#include "charter.h"
#include "err.h"
#include "file.h"
#include "grow.h"
#include "home.h"
#include "ledger.h"
#include "roster.h"
#include "store.h"
#include "text.h"
#include "when.h"

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
	size_t bad;
	snprintf(text, sizeof text - 1, "%s (%s, %s)", OWN_FORK_TEXT, evidence,
		 when_format(when_now(), t));
	if (!text_utf8(text, &bad))
		text[bad] = '\0'; /* cut in the middle of a character: status is JSON */
	if (!(a->own_forked = strdup(text)))
		a->own_forked = own_fork_nomem;
	dlog(d, L_ERROR, "%s: authoring stopped for good: %s", a->s->charter->title, text);
	snprintf(path, sizeof path, "%s/%s", a->s->dir, OWN_FORK_FILE);
	strcat(text, "\n"); /* the room was kept */
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
	size_t bad;
	if (text && !text_utf8(text, &bad))
		text[bad] = '\0'; /* what status shows is JSON: UTF-8 only */
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
	if (a->s)
		store_close(&a->s);
	free(a);
}

/* Authoring opens only once a peer confirmed this member's feed head
 * (peer.c, own_gate), after any start: a clean stop vouches that this home
 * holds every message its key signed (own_whole), but not that nobody else
 * signed more with the key meanwhile. */
int add_alliance(struct daemon *d, struct al_store *s, bool own_whole)
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
	long self = store_candidate(s, &d->home->self);
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
	const char *held = store_roster(a->s)->members[a->self].endpoint;
	const char *mine = d->home->self.endpoint;
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
		if (*s->ckpt.warning)
			dlog(d, L_WARN, "%s; replayed the whole log", s->ckpt.warning);
		else if (*s->ckpt.ledger_why)
			dlog(d, L_WARN, "the ledger in checkpoint '%s/%s' not used: %s; it is "
			     "rebuilt from the log", s->dir, AL_CKPT_FILE, s->ckpt.ledger_why);
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

/* ------------------------------------------------------------ the ledger */

/* The ledger of everything a holds: the store keeps it as messages are
 * admitted (store_ledger). */
int alliance_ledger(struct alliance *a, struct al_ledger **out, char *why)
{
	return store_ledger(a->s, out, why);
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
int on_nospc(struct daemon *d, const char *dir, int rc, char *why)
{
	if (rc == AL_E_NOSPC) {
		disk_full(d, dir, why);
		disk_is_full(d, why);
	}
	return rc;
}

/* The home's filesystem for status: space (statvfs), read-only, and the
 * last probe of disk_probe(). */
json_t *disk_json(struct daemon *d, int64_t now)
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

/* Give the heap's free pages back once the daemon has been quiet for a
 * second after work (requests answered, records appended): batches,
 * replication and answers leave free memory that malloc keeps, about 20 MB
 * at 1M messages after a few batches. */
static void trim_when_idle(struct daemon *d, int64_t now)
{
#ifdef __GLIBC__
	uint64_t records = 0;
	for (size_t i = 0; i < d->n_alls; i++)
		records += log_records(d->alls[i]->s->log);
	if (records != d->trim_records) {
		d->trim_records = records;
		d->busy_at = now;
	}
	if (d->busy_at > d->trimmed_at && now - d->busy_at >= 1000) {
		malloc_trim(0);
		d->trimmed_at = now;
	}
#else
	(void)d;
	(void)now;
#endif
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
		if (rc == AL_OK && d->ledger_check)
			rc = store_ledger_check(s, why);
		if (rc) {
			dlog(d, L_ERROR, "%s", why);
			return rc; /* fatal: no acknowledgement goes out */
		}
	}
	for (size_t i = 0; i < d->n_pending; i++) {
		struct pending_reply *p = &d->pending[i];
		control_send_reply(d, p->client, p->client_len, p->reply, p->reply_len);
		free(p->client);
	}
	d->n_pending = 0;
	for (size_t i = 0; i < d->n_alls; i++) /* a cache: failing to write it is no error */
		if (checkpoint_due(d->alls[i]->s, when_now(), why))
			dlog(d, L_WARN, "%s", why);
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
		if (log_durable(s->log) == log_size(s->log) && checkpoint_write(s, when_now(), why))
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
	/* For tests and soak runs: after every group commit, the ledger kept
	 * as messages came must equal a full replay of the log (costly). */
	const char *lc = getenv("ALLIANCE_LEDGER_CHECK");
	d.ledger_check = lc && *lc && strcmp(lc, "0");
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
	if (take_lock(&d) || !d.zctx || control_bind(&d) || peers_start(&d) || open_stores(&d))
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
		if (items[0].revents & ZMQ_POLLIN) {
			for (int k = 0; k < CONTROL_BATCH && rc == 0; k++)
				rc = control_handle(&d);
			d.busy_at = when_now();
		}
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
		trim_when_idle(&d, now);
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
	} else if (control_socket_path(&d, why) < 0) {
		fprintf(stderr, "allianced: %s\n", why);
		bad = 1;
	}
	gid_t gid;
	if (d.home->control_group[0] && control_group_gid(d.home, &gid, why) < 0) {
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
