/* crashshim: an LD_PRELOAD library that records, in order, every call that
 * changes the files and directories under one home, for the crash test
 * (tests/integration/crash_points.sh, tests/tools/crashreplay).
 *
 *   ALLIANCE_CRASH_HOME=HOME ALLIANCE_CRASH_TRACE=FILE \
 *       LD_PRELOAD=build/tests/crashshim.so allianced run HOME
 *
 * Each call that succeeded on a path under HOME is appended to FILE as one
 * JSON line (FILE must be outside HOME; several processes may append to it,
 * as a daemon and its restart do): opens (with whether they created the
 * file, its inode and mode), closes, writes (offset and bytes: write,
 * pwrite, writev, pwritev), ftruncate, rename, unlink, mkdir, rmdir, chmod,
 * and the sync points fsync and fdatasync, recorded once they returned.
 * Sockets (the control socket) are not files and are left out.
 *
 * It also records each message part the process hands to zmq_send (or
 * zmq_msg_send), before
 * libzmq has it: on a ROUTER socket (for allianced, the replies on its
 * control socket: the acknowledgements) as a reply, on any other (the
 * links to peers) as a send. So the trace says how many sync points had
 * completed when each acknowledgement, and each envelope sent to a peer,
 * left the daemon.
 *
 * Anything else that could change a file under HOME (fallocate, truncate by
 * path, links, O_SYNC or O_DIRECT opens, writable shared mappings, stdio
 * streams opened for writing, dup'ed descriptors, sync_file_range, sync,
 * copy_file_range, sendfile, chown...) aborts the process loudly, so that a
 * change to the product cannot leave the model behind without notice: teach
 * the shim and the replayer the new call instead.
 *
 * It is a test tool: not installed, not part of the product.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zmq.h>

#define MAX_FDS 4096

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool active;
static char home[PATH_MAX], home_real[PATH_MAX];
static size_t home_len, home_real_len;
static int trace_fd = -1;

/* A descriptor open on a file under the home: its path relative to the
 * home when it was opened, and its identity, checked at each use (a stdio
 * stream closed by fclose closes its descriptor behind our back). */
struct traced {
	bool on;
	dev_t dev;
	ino_t ino;
	char rel[PATH_MAX];
};
static struct traced fds[MAX_FDS];

/* ------------------------------------------------------------ real calls */

#define REAL(name) real_##name
#define DECL(ret, name, ...) static ret (*real_##name)(__VA_ARGS__)
DECL(int, open, const char *, int, ...);
DECL(int, openat, int, const char *, int, ...);
DECL(int, close, int);
DECL(ssize_t, write, int, const void *, size_t);
DECL(ssize_t, pwrite, int, const void *, size_t, off_t);
DECL(ssize_t, writev, int, const struct iovec *, int);
DECL(ssize_t, pwritev, int, const struct iovec *, int, off_t);
DECL(ssize_t, pwritev2, int, const struct iovec *, int, off_t, int);
DECL(int, ftruncate, int, off_t);
DECL(int, truncate, const char *, off_t);
DECL(int, fallocate, int, int, off_t, off_t);
DECL(int, posix_fallocate, int, off_t, off_t);
DECL(int, rename, const char *, const char *);
DECL(int, renameat, int, const char *, int, const char *);
DECL(int, renameat2, int, const char *, int, const char *, unsigned);
DECL(int, unlink, const char *);
DECL(int, unlinkat, int, const char *, int);
DECL(int, rmdir, const char *);
DECL(int, mkdir, const char *, mode_t);
DECL(int, mkdirat, int, const char *, mode_t);
DECL(int, link, const char *, const char *);
DECL(int, linkat, int, const char *, int, const char *, int);
DECL(int, symlink, const char *, const char *);
DECL(int, symlinkat, const char *, int, const char *);
DECL(int, fsync, int);
DECL(int, fdatasync, int);
DECL(int, sync_file_range, int, off_t, off_t, unsigned);
DECL(int, syncfs, int);
DECL(void, sync, void);
DECL(void *, mmap, void *, size_t, int, int, int, off_t);
DECL(FILE *, fopen, const char *, const char *);
DECL(FILE *, freopen, const char *, const char *, FILE *);
DECL(FILE *, fdopen, int, const char *);
DECL(int, dup, int);
DECL(int, dup2, int, int);
DECL(int, dup3, int, int, int);
DECL(int, fcntl, int, int, ...);
DECL(ssize_t, copy_file_range, int, off_t *, int, off_t *, size_t, unsigned);
DECL(ssize_t, sendfile, int, int, off_t *, size_t);
DECL(ssize_t, splice, int, off_t *, int, off_t *, size_t, unsigned);
DECL(int, chmod, const char *, mode_t);
DECL(int, fchmod, int, mode_t);
DECL(int, fchmodat, int, const char *, mode_t, int);
DECL(int, chown, const char *, uid_t, gid_t);
DECL(int, fchown, int, uid_t, gid_t);
DECL(int, lchown, const char *, uid_t, gid_t);
DECL(int, fchownat, int, const char *, uid_t, gid_t, int);

static void *must_sym(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);
	if (!p) {
		fprintf(stderr, "crashshim: no symbol %s\n", name);
		abort();
	}
	return p;
}

#define LOAD(name) real_##name = must_sym(#name)

static void init(void)
{
	LOAD(open); LOAD(openat); LOAD(close); LOAD(write); LOAD(pwrite); LOAD(writev);
	LOAD(pwritev); LOAD(pwritev2); LOAD(ftruncate); LOAD(truncate); LOAD(fallocate);
	LOAD(posix_fallocate); LOAD(rename); LOAD(renameat); LOAD(renameat2); LOAD(unlink);
	LOAD(unlinkat); LOAD(rmdir); LOAD(mkdir); LOAD(mkdirat); LOAD(link); LOAD(linkat);
	LOAD(symlink); LOAD(symlinkat); LOAD(fsync); LOAD(fdatasync); LOAD(sync_file_range);
	LOAD(syncfs); LOAD(sync); LOAD(mmap); LOAD(fopen); LOAD(freopen); LOAD(fdopen);
	LOAD(dup); LOAD(dup2); LOAD(dup3); LOAD(fcntl); LOAD(copy_file_range); LOAD(sendfile);
	LOAD(splice); LOAD(chmod); LOAD(fchmod); LOAD(fchmodat); LOAD(chown); LOAD(fchown);
	LOAD(lchown); LOAD(fchownat);
}

static void setup(void)
{
	pthread_once(&once, init);
}

/* The environment is read once the process is set up: a sanitizer's
 * runtime opens files before (its calls pass through, untraced). */
__attribute__((constructor)) static void start(void)
{
	setup();
	const char *h = getenv("ALLIANCE_CRASH_HOME"), *t = getenv("ALLIANCE_CRASH_TRACE");
	if (!h || !*h || !t || !*t)
		return;
	if (!realpath(h, home_real) || strlen(h) >= sizeof home) {
		fprintf(stderr, "crashshim: cannot resolve ALLIANCE_CRASH_HOME '%s': %s\n", h,
			strerror(errno));
		abort();
	}
	snprintf(home, sizeof home, "%s", h);
	while (home_len = strlen(home), home_len > 1 && home[home_len - 1] == '/')
		home[home_len - 1] = '\0';
	home_real_len = strlen(home_real);
	trace_fd = real_open(t, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (trace_fd < 0) {
		fprintf(stderr, "crashshim: cannot open the trace '%s': %s\n", t, strerror(errno));
		abort();
	}
	active = true;
}

/* ------------------------------------------------------------ paths */

/* Lexically normalise the absolute path p in place (no ".", "..", "//"). */
static void normalise(char *p)
{
	char *out = p, *in = p;
	while (*in) {
		while (*in == '/')
			in++;
		char *seg = in;
		while (*in && *in != '/')
			in++;
		size_t n = (size_t)(in - seg);
		if (n == 0 || (n == 1 && seg[0] == '.'))
			continue;
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			while (out > p && *--out != '/')
				;
			continue;
		}
		*out++ = '/';
		memmove(out, seg, n);
		out += n;
	}
	if (out == p)
		*out++ = '/';
	*out = '\0';
}

/* The path relative to the home ("" for the home itself) of (dirfd, path),
 * or NULL when it is not under the home. */
static const char *under_home(int dirfd, const char *path, char *buf, size_t n)
{
	char abs[PATH_MAX * 2], base[PATH_MAX];
	if (!active || !path)
		return NULL;
	if (path[0] == '/') {
		base[0] = '\0';
	} else if (dirfd == AT_FDCWD) {
		if (!getcwd(base, sizeof base))
			return NULL;
	} else {
		char link[64];
		snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
		ssize_t k = readlink(link, base, sizeof base - 1);
		if (k < 0)
			return NULL;
		base[k] = '\0';
	}
	if (snprintf(abs, sizeof abs, "%s/%s", base, path) >= (int)sizeof abs)
		return NULL;
	normalise(abs);
	const char *roots[2] = { home, home_real };
	size_t lens[2] = { home_len, home_real_len };
	for (int i = 0; i < 2; i++) {
		if (!strncmp(abs, roots[i], lens[i]) && (abs[lens[i]] == '/' || !abs[lens[i]])) {
			const char *rel = abs + lens[i] + (abs[lens[i]] == '/');
			if (strlen(rel) >= n)
				return NULL;
			return strcpy(buf, rel);
		}
	}
	return NULL;
}

/* ------------------------------------------------------------ records */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	char msg[PATH_MAX + 512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof msg)
		n = (int)sizeof msg - 1;
	static const char pre[] = "crashshim: unmodelled change to the home: ";
	static const char post[] = " (teach tests/tools/crashshim.c and crashreplay this call)\n";
	real_write(2, pre, sizeof pre - 1);
	real_write(2, msg, (size_t)n);
	real_write(2, post, sizeof post - 1);
	abort();
}

struct out {
	char *buf;
	size_t len, cap;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 256;
		while (cap < o->len + n + 1)
			cap *= 2;
		char *b = realloc(o->buf, cap);
		if (!b)
			die("out of memory for the trace");
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void putf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct out *o, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	put(o, tmp, (size_t)n);
}

/* A JSON string. */
static void put_str(struct out *o, const char *s)
{
	put(o, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			put(o, e, 2);
		} else if (c < 0x20 || c >= 0x7f) {
			putf(o, "\\u%04x", c); /* the replayer reads it back as latin-1 */
		} else {
			put(o, (const char *)&c, 1);
		}
	}
	put(o, "\"", 1);
}

static void put_hex(struct out *o, const struct iovec *iov, int iovcnt, size_t total)
{
	static const char digits[] = "0123456789abcdef";
	put(o, "\"", 1);
	for (int i = 0; i < iovcnt && total; i++) {
		const unsigned char *p = iov[i].iov_base;
		size_t n = iov[i].iov_len < total ? iov[i].iov_len : total;
		for (size_t k = 0; k < n; k++) {
			char h[2] = { digits[p[k] >> 4], digits[p[k] & 15] };
			put(o, h, 2);
		}
		total -= n;
	}
	put(o, "\"", 1);
}

/* Append the record (one line) to the trace with one write. */
static void emit(struct out *o)
{
	put(o, "}\n", 2);
	size_t off = 0;
	while (off < o->len) {
		ssize_t n = real_write(trace_fd, o->buf + off, o->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("cannot write the trace: %s", strerror(errno));
		off += (size_t)n;
	}
	free(o->buf);
}

static void begin(struct out *o, const char *op)
{
	memset(o, 0, sizeof *o);
	putf(o, "{\"op\":\"%s\",\"pid\":%d", op, (int)getpid());
}

/* ------------------------------------------------------------ descriptors */

/* The traced entry for fd, or NULL; an entry whose file is no longer the
 * one open under that number (closed behind our back) is dropped, with a
 * close record, so the replayer forgets it too. */
static struct traced *traced_fd(int fd)
{
	if (!active || fd < 0 || fd >= MAX_FDS || !fds[fd].on)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) == 0 && st.st_dev == fds[fd].dev && st.st_ino == fds[fd].ino)
		return &fds[fd];
	fds[fd].on = false;
	struct out o;
	begin(&o, "close");
	putf(&o, ",\"fd\":%d", fd);
	emit(&o);
	return NULL;
}

static void check_flags(const char *rel, int flags)
{
	if (flags & (O_SYNC | O_DSYNC | O_DIRECT))
		die("open of '%s' with O_SYNC, O_DSYNC or O_DIRECT", rel);
	if ((flags & O_TMPFILE) == O_TMPFILE)
		die("open of '%s' with O_TMPFILE", rel);
}

/* After a successful open of rel: trace the descriptor (regular files and
 * directories only). existed: whether the path existed just before. */
static int opened(int fd, const char *rel, int flags, bool existed)
{
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
		return fd;
	if (fd >= MAX_FDS)
		die("descriptor %d on '%s' is beyond the shim's table", fd, rel);
	fds[fd] = (struct traced){ true, st.st_dev, st.st_ino, "" };
	snprintf(fds[fd].rel, sizeof fds[fd].rel, "%s", rel);
	struct out o;
	begin(&o, "open");
	putf(&o, ",\"fd\":%d,\"path\":", fd);
	put_str(&o, rel);
	putf(&o, ",\"created\":%s,\"trunc\":%s,\"dir\":%s,\"ino\":%llu,\"mode\":%u",
	     (flags & O_CREAT) && !existed ? "true" : "false",
	     (flags & O_TRUNC) && S_ISREG(st.st_mode) ? "true" : "false",
	     S_ISDIR(st.st_mode) ? "true" : "false", (unsigned long long)st.st_ino,
	     (unsigned)(st.st_mode & 07777));
	emit(&o);
	return fd;
}

static int do_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	setup();
	char rel[PATH_MAX];
	if (!under_home(dirfd, path, rel, sizeof rel))
		return real_openat(dirfd, path, flags, mode);
	check_flags(rel, flags);
	pthread_mutex_lock(&mu);
	struct stat st;
	bool existed = fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
	int fd = real_openat(dirfd, path, flags, mode);
	int saved = errno;
	if (fd >= 0)
		opened(fd, rel, flags, existed);
	pthread_mutex_unlock(&mu);
	errno = saved;
	return fd;
}

static mode_t mode_arg(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t m = mode_arg(flags, ap);
	va_end(ap);
	return do_openat(AT_FDCWD, path, flags, m);
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t m = mode_arg(flags, ap);
	va_end(ap);
	return do_openat(AT_FDCWD, path, flags, m);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t m = mode_arg(flags, ap);
	va_end(ap);
	return do_openat(dirfd, path, flags, m);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t m = mode_arg(flags, ap);
	va_end(ap);
	return do_openat(dirfd, path, flags, m);
}

int creat(const char *path, mode_t mode)
{
	return do_openat(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, mode);
}

int creat64(const char *path, mode_t mode) { return creat(path, mode); }
int __open_2(const char *path, int flags) { return do_openat(AT_FDCWD, path, flags, 0); }
int __open64_2(const char *path, int flags) { return do_openat(AT_FDCWD, path, flags, 0); }
int __openat_2(int dirfd, const char *path, int flags) { return do_openat(dirfd, path, flags, 0); }
int __openat64_2(int dirfd, const char *path, int flags)
{
	return do_openat(dirfd, path, flags, 0);
}

int close(int fd)
{
	setup();
	pthread_mutex_lock(&mu);
	bool was = active && fd >= 0 && fd < MAX_FDS && fds[fd].on;
	int rc = real_close(fd);
	int saved = errno;
	if (was) {
		fds[fd].on = false;
		struct out o;
		begin(&o, "close");
		putf(&o, ",\"fd\":%d", fd);
		emit(&o);
	}
	pthread_mutex_unlock(&mu);
	errno = saved;
	return rc;
}

/* ------------------------------------------------------------ writes */

static void record_write(int fd, off_t off, const struct iovec *iov, int iovcnt, ssize_t n)
{
	if (n <= 0)
		return;
	struct out o;
	begin(&o, "write");
	putf(&o, ",\"fd\":%d,\"off\":%lld,\"data\":", fd, (long long)off);
	put_hex(&o, iov, iovcnt, (size_t)n);
	emit(&o);
}

/* Where a write at the current position of fd lands. */
static off_t current_offset(int fd)
{
	int fl = real_fcntl(fd, F_GETFL);
	if (fl >= 0 && (fl & O_APPEND)) {
		struct stat st;
		return fstat(fd, &st) == 0 ? st.st_size : -1;
	}
	return lseek(fd, 0, SEEK_CUR);
}

static ssize_t traced_writev(int fd, const struct iovec *iov, int iovcnt, off_t off,
			     bool positional, int pflags)
{
	setup();
	pthread_mutex_lock(&mu);
	struct traced *t = traced_fd(fd);
	if (!t) {
		pthread_mutex_unlock(&mu);
		if (!positional)
			return real_writev(fd, iov, iovcnt);
		return pflags || off == -1 ? real_pwritev2(fd, iov, iovcnt, off, pflags)
					   : real_pwritev(fd, iov, iovcnt, off);
	}
	if (pflags)
		die("pwritev2 with flags %#x on '%s'", (unsigned)pflags, t->rel);
	off_t at = positional ? off : current_offset(fd);
	if (at < 0)
		die("cannot tell where a write on '%s' lands", t->rel);
	ssize_t n = positional ? real_pwritev(fd, iov, iovcnt, off) : real_writev(fd, iov, iovcnt);
	int saved = errno;
	record_write(fd, at, iov, iovcnt, n);
	pthread_mutex_unlock(&mu);
	errno = saved;
	return n;
}

ssize_t write(int fd, const void *buf, size_t len)
{
	setup();
	if (!active || fd < 0 || fd >= MAX_FDS || !fds[fd].on)
		return real_write(fd, buf, len);
	struct iovec iov = { (void *)buf, len };
	return traced_writev(fd, &iov, 1, 0, false, 0);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	setup();
	if (!active || fd < 0 || fd >= MAX_FDS || !fds[fd].on)
		return real_pwrite(fd, buf, len, off);
	struct iovec iov = { (void *)buf, len };
	return traced_writev(fd, &iov, 1, off, true, 0);
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off)
{
	return pwrite(fd, buf, len, off);
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	return traced_writev(fd, iov, iovcnt, 0, false, 0);
}

ssize_t pwritev(int fd, const struct iovec *iov, int iovcnt, off_t off)
{
	return traced_writev(fd, iov, iovcnt, off, true, 0);
}

ssize_t pwritev64(int fd, const struct iovec *iov, int iovcnt, off_t off)
{
	return traced_writev(fd, iov, iovcnt, off, true, 0);
}

ssize_t pwritev2(int fd, const struct iovec *iov, int iovcnt, off_t off, int flags)
{
	if (off == -1 && !flags) /* the current position, as writev */
		return traced_writev(fd, iov, iovcnt, 0, false, 0);
	return traced_writev(fd, iov, iovcnt, off, true, flags); /* flags: refused if traced */
}

ssize_t pwritev64v2(int fd, const struct iovec *iov, int iovcnt, off_t off, int flags)
{
	return pwritev2(fd, iov, iovcnt, off, flags);
}

int ftruncate(int fd, off_t len)
{
	setup();
	pthread_mutex_lock(&mu);
	struct traced *t = traced_fd(fd);
	int rc = real_ftruncate(fd, len);
	int saved = errno;
	if (t && rc == 0) {
		struct out o;
		begin(&o, "truncate");
		putf(&o, ",\"fd\":%d,\"len\":%lld", fd, (long long)len);
		emit(&o);
	}
	pthread_mutex_unlock(&mu);
	errno = saved;
	return rc;
}

int ftruncate64(int fd, off_t len) { return ftruncate(fd, len); }

/* Calls that change a traced descriptor's file in ways the model lacks. */
static void refuse_fd(int fd, const char *call)
{
	setup();
	pthread_mutex_lock(&mu);
	struct traced *t = traced_fd(fd);
	if (t)
		die("%s on '%s'", call, t->rel);
	pthread_mutex_unlock(&mu);
}

static void refuse_path(int dirfd, const char *path, const char *call)
{
	char rel[PATH_MAX];
	setup();
	if (under_home(dirfd, path, rel, sizeof rel))
		die("%s of '%s'", call, rel);
}

int truncate(const char *path, off_t len)
{
	refuse_path(AT_FDCWD, path, "truncate");
	return real_truncate(path, len);
}

int truncate64(const char *path, off_t len) { return truncate(path, len); }

int fallocate(int fd, int mode, off_t off, off_t len)
{
	refuse_fd(fd, "fallocate");
	return real_fallocate(fd, mode, off, len);
}

int fallocate64(int fd, int mode, off_t off, off_t len) { return fallocate(fd, mode, off, len); }

int posix_fallocate(int fd, off_t off, off_t len)
{
	refuse_fd(fd, "posix_fallocate");
	return real_posix_fallocate(fd, off, len);
}

int posix_fallocate64(int fd, off_t off, off_t len) { return posix_fallocate(fd, off, len); }

ssize_t copy_file_range(int in, off_t *inoff, int out, off_t *outoff, size_t len,
			unsigned flags)
{
	refuse_fd(out, "copy_file_range");
	return real_copy_file_range(in, inoff, out, outoff, len, flags);
}

ssize_t sendfile(int out, int in, off_t *off, size_t n)
{
	refuse_fd(out, "sendfile");
	return real_sendfile(out, in, off, n);
}

ssize_t sendfile64(int out, int in, off_t *off, size_t n) { return sendfile(out, in, off, n); }

ssize_t splice(int in, off_t *inoff, int out, off_t *outoff, size_t len, unsigned flags)
{
	refuse_fd(out, "splice");
	return real_splice(in, inoff, out, outoff, len, flags);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	setup();
	if ((prot & PROT_WRITE) && (flags & MAP_SHARED) && !(flags & MAP_ANONYMOUS))
		refuse_fd(fd, "a writable shared mapping");
	return real_mmap(addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}

static bool writes(const char *mode)
{
	return mode && strpbrk(mode, "wa+");
}

FILE *fopen(const char *path, const char *mode)
{
	setup();
	if (writes(mode))
		refuse_path(AT_FDCWD, path, "fopen for writing");
	return real_fopen(path, mode);
}

FILE *fopen64(const char *path, const char *mode) { return fopen(path, mode); }

FILE *freopen(const char *path, const char *mode, FILE *f)
{
	setup();
	if (writes(mode))
		refuse_path(AT_FDCWD, path, "freopen for writing");
	return real_freopen(path, mode, f);
}

FILE *fdopen(int fd, const char *mode)
{
	setup();
	if (writes(mode))
		refuse_fd(fd, "fdopen for writing");
	return real_fdopen(fd, mode);
}

int dup(int fd)
{
	refuse_fd(fd, "dup");
	return real_dup(fd);
}

int dup2(int fd, int to)
{
	refuse_fd(fd, "dup2");
	refuse_fd(to, "dup2 over a traced descriptor");
	return real_dup2(fd, to);
}

int dup3(int fd, int to, int flags)
{
	refuse_fd(fd, "dup3");
	refuse_fd(to, "dup3 over a traced descriptor");
	return real_dup3(fd, to, flags);
}

int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	setup();
	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
		refuse_fd(fd, "fcntl F_DUPFD");
	if (cmd == F_SETFL && ((intptr_t)arg & O_DIRECT))
		refuse_fd(fd, "fcntl F_SETFL O_DIRECT");
	return real_fcntl(fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl(fd, cmd, arg);
}

/* ------------------------------------------------------------ names */

/* Is (dirfd, path) under the home and a regular file or directory (what
 * the model holds)? Sockets are not modelled; symbolic links refused. */
static const char *modelled(int dirfd, const char *path, char *rel, size_t n, const char *call)
{
	if (!under_home(dirfd, path, rel, n))
		return NULL;
	struct stat st;
	if (fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return NULL; /* the call fails too */
	if (S_ISLNK(st.st_mode))
		die("%s of the symbolic link '%s'", call, rel);
	return S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) ? rel : NULL;
}

static void record_path(const char *op, const char *rel)
{
	struct out o;
	begin(&o, op);
	put(&o, ",\"path\":", 8);
	put_str(&o, rel);
	emit(&o);
}

static int do_renameat2(int olddir, const char *old, int newdir, const char *new,
			unsigned flags)
{
	setup();
	char rel_old[PATH_MAX], rel_new[PATH_MAX];
	pthread_mutex_lock(&mu);
	char ignored[PATH_MAX];
	bool from = modelled(olddir, old, rel_old, sizeof rel_old, "rename") != NULL;
	bool to = under_home(newdir, new, rel_new, sizeof rel_new) != NULL;
	struct stat st;
	if (from && !to)
		die("rename of '%s' out of the home", rel_old);
	if (to && !under_home(olddir, old, ignored, sizeof ignored) &&
	    fstatat(olddir, old, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
		die("rename of '%s' into the home as '%s'", old, rel_new);
	if (from && flags)
		die("renameat2 with flags %#x of '%s'", flags, rel_old);
	int rc = flags ? real_renameat2(olddir, old, newdir, new, flags)
		       : real_renameat(olddir, old, newdir, new);
	int saved = errno;
	if (rc == 0 && from) {
		struct out o;
		begin(&o, "rename");
		put(&o, ",\"from\":", 8);
		put_str(&o, rel_old);
		put(&o, ",\"to\":", 6);
		put_str(&o, rel_new);
		emit(&o);
	}
	pthread_mutex_unlock(&mu);
	errno = saved;
	return rc;
}

int rename(const char *old, const char *new)
{
	return do_renameat2(AT_FDCWD, old, AT_FDCWD, new, 0);
}

int renameat(int olddir, const char *old, int newdir, const char *new)
{
	return do_renameat2(olddir, old, newdir, new, 0);
}

int renameat2(int olddir, const char *old, int newdir, const char *new, unsigned flags)
{
	return do_renameat2(olddir, old, newdir, new, flags);
}

static int do_unlinkat(int dirfd, const char *path, int flags)
{
	setup();
	char rel[PATH_MAX];
	pthread_mutex_lock(&mu);
	bool traced = modelled(dirfd, path, rel, sizeof rel, "unlink") != NULL;
	int rc = real_unlinkat(dirfd, path, flags);
	int saved = errno;
	if (rc == 0 && traced)
		record_path(flags & AT_REMOVEDIR ? "rmdir" : "unlink", rel);
	pthread_mutex_unlock(&mu);
	errno = saved;
	return rc;
}

int unlink(const char *path) { return do_unlinkat(AT_FDCWD, path, 0); }
int unlinkat(int dirfd, const char *path, int flags) { return do_unlinkat(dirfd, path, flags); }
int rmdir(const char *path) { return do_unlinkat(AT_FDCWD, path, AT_REMOVEDIR); }

static int do_mkdirat(int dirfd, const char *path, mode_t mode)
{
	setup();
	char rel[PATH_MAX];
	if (!under_home(dirfd, path, rel, sizeof rel))
		return real_mkdirat(dirfd, path, mode);
	pthread_mutex_lock(&mu);
	int rc = real_mkdirat(dirfd, path, mode);
	int saved = errno;
	struct stat st;
	if (rc == 0 && fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		struct out o;
		begin(&o, "mkdir");
		put(&o, ",\"path\":", 8);
		put_str(&o, rel);
		putf(&o, ",\"ino\":%llu,\"mode\":%u", (unsigned long long)st.st_ino,
		     (unsigned)(st.st_mode & 07777));
		emit(&o);
	}
	pthread_mutex_unlock(&mu);
	errno = saved;
	return rc;
}

int mkdir(const char *path, mode_t mode) { return do_mkdirat(AT_FDCWD, path, mode); }
int mkdirat(int dirfd, const char *path, mode_t mode) { return do_mkdirat(dirfd, path, mode); }

int link(const char *old, const char *new)
{
	refuse_path(AT_FDCWD, old, "link");
	refuse_path(AT_FDCWD, new, "link");
	return real_link(old, new);
}

int linkat(int od, const char *old, int nd, const char *new, int flags)
{
	refuse_path(od, old, "linkat");
	refuse_path(nd, new, "linkat");
	return real_linkat(od, old, nd, new, flags);
}

int symlink(const char *target, const char *path)
{
	refuse_path(AT_FDCWD, path, "symlink");
	return real_symlink(target, path);
}

int symlinkat(const char *target, int dirfd, const char *path)
{
	refuse_path(dirfd, path, "symlinkat");
	return real_symlinkat(target, dirfd, path);
}

/* A mode change is metadata of the file: the replayer makes it durable with
 * the file's next fsync. Owners are not modelled. */
static int do_fchmodat(int dirfd, const char *path, mode_t mode, int flags)
{
	setup();
	char rel[PATH_MAX];
	pthread_mutex_lock(&mu);
	bool traced = modelled(dirfd, path, rel, sizeof rel, "chmod") != NULL;
	int rc = real_fchmodat(dirfd, path, mode, flags);
	int saved = errno;
	if (rc == 0 && traced) {
		struct out o;
		begin(&o, "chmod");
		put(&o, ",\"path\":", 8);
		put_str(&o, rel);
		putf(&o, ",\"mode\":%u", (unsigned)(mode & 07777));
		emit(&o);
	}
	pthread_mutex_unlock(&mu);
	errno = saved;
	return rc;
}

int chmod(const char *path, mode_t mode) { return do_fchmodat(AT_FDCWD, path, mode, 0); }
int fchmodat(int dirfd, const char *path, mode_t mode, int flags)
{
	return do_fchmodat(dirfd, path, mode, flags);
}

int fchmod(int fd, mode_t mode)
{
	refuse_fd(fd, "fchmod");
	return real_fchmod(fd, mode);
}

static void refuse_owner(int dirfd, const char *path, const char *call)
{
	char rel[PATH_MAX];
	setup();
	if (modelled(dirfd, path, rel, sizeof rel, call))
		die("%s of '%s'", call, rel);
}

int chown(const char *path, uid_t u, gid_t g)
{
	refuse_owner(AT_FDCWD, path, "chown");
	return real_chown(path, u, g);
}

int lchown(const char *path, uid_t u, gid_t g)
{
	refuse_owner(AT_FDCWD, path, "lchown");
	return real_lchown(path, u, g);
}

int fchownat(int dirfd, const char *path, uid_t u, gid_t g, int flags)
{
	refuse_owner(dirfd, path, "fchownat");
	return real_fchownat(dirfd, path, u, g, flags);
}

int fchown(int fd, uid_t u, gid_t g)
{
	refuse_fd(fd, "fchown");
	return real_fchown(fd, u, g);
}

/* ------------------------------------------------------------ sync points */

static int do_sync(int fd, bool data_only)
{
	setup();
	pthread_mutex_lock(&mu);
	struct traced *t = traced_fd(fd);
	int rc = data_only ? real_fdatasync(fd) : real_fsync(fd);
	int saved = errno;
	if (t && rc == 0) {
		struct out o;
		begin(&o, "sync");
		putf(&o, ",\"fd\":%d,\"how\":\"%s\",\"path\":", fd, data_only ? "fdatasync" : "fsync");
		put_str(&o, t->rel);
		emit(&o);
	}
	pthread_mutex_unlock(&mu);
	errno = saved;
	return rc;
}

int fsync(int fd) { return do_sync(fd, false); }
int fdatasync(int fd) { return do_sync(fd, true); }

int sync_file_range(int fd, off_t off, off_t n, unsigned flags)
{
	refuse_fd(fd, "sync_file_range");
	return real_sync_file_range(fd, off, n, flags);
}

int syncfs(int fd)
{
	setup();
	if (active)
		die("syncfs (a sync of every file: not a per-file sync point)");
	return real_syncfs(fd);
}

void sync(void)
{
	setup();
	if (active)
		die("sync (a sync of every file: not a per-file sync point)");
	real_sync();
}

/* ------------------------------------------------------------ replies */

/* Record a message part handed to zmq_send or zmq_msg_send on sock. */
static void record_part(void *sock, const void *buf, size_t len, int flags)
{
	static int (*real_getsockopt)(void *, int, void *, size_t *);
	if (!real_getsockopt)
		real_getsockopt = must_sym("zmq_getsockopt");
	int type = 0;
	size_t size = sizeof type;
	bool reply = real_getsockopt(sock, ZMQ_TYPE, &type, &size) == 0 && type == ZMQ_ROUTER;
	/* Of a reply, only the last part (the first two address the client). */
	if (active && (!reply || !(flags & ZMQ_SNDMORE))) {
		pthread_mutex_lock(&mu);
		struct iovec iov = { (void *)buf, len };
		struct out o;
		begin(&o, reply ? "reply" : "send");
		put(&o, ",\"data\":", 8);
		put_hex(&o, &iov, 1, len);
		emit(&o);
		pthread_mutex_unlock(&mu);
	}
}

int zmq_send(void *sock, const void *buf, size_t len, int flags)
{
	static int (*real_send)(void *, const void *, size_t, int);
	setup();
	if (!real_send)
		real_send = must_sym("zmq_send");
	record_part(sock, buf, len, flags);
	return real_send(sock, buf, len, flags);
}

/* The daemon hands a large reply to libzmq without a copy (zmq_msg_send). */
int zmq_msg_send(zmq_msg_t *msg, void *sock, int flags)
{
	static int (*real_msg_send)(zmq_msg_t *, void *, int);
	setup();
	if (!real_msg_send)
		real_msg_send = must_sym("zmq_msg_send");
	record_part(sock, zmq_msg_data(msg), zmq_msg_size(msg), flags);
	return real_msg_send(msg, sock, flags);
}
