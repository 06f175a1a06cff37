/* client.c: one request to the local daemon over HOME/control.sock.
 *
 * Before ZeroMQ, a plain connect(2) to the socket tells at once what
 * ZeroMQ would not: a socket left by a daemon that was killed (nobody
 * listens: ZeroMQ would retry until the timeout) or one this user may not
 * use. Then a REQ socket with send and receive timeouts and linger 0, so
 * that a daemon that is stuck gives a clear error instead of a hang.
 */
#include "ctl.h"
#include "err.h"
#include "wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <zmq.h>

#define TIMEOUT_DEFAULT_MS 10000
#define TIMEOUT_MAX_S 3600
/* While waiting for a reply, how often to check the daemon still listens. */
#define POLL_SLICE_MS 200

/* $ALLIANCE_TIMEOUT: seconds as plain decimal digits with an optional
 * fraction (10, 2.5, 0.25), more than 0 and at most TIMEOUT_MAX_S. Not
 * atof: it reads "1e400" as infinity (a wait without end), "5s" as 5 and
 * "nan", "-1" or " 5" as whatever it can. 0 with *ms set, or prints why
 * and returns CTL_EXIT_USAGE. */
static int timeout_ms(int *ms)
{
	const char *s = getenv("ALLIANCE_TIMEOUT");
	*ms = TIMEOUT_DEFAULT_MS;
	if (!s)
		return 0;
	uint64_t whole = 0, frac = 0, scale = 1000;
	const char *p = s;
	for (; *p >= '0' && *p <= '9' && whole <= TIMEOUT_MAX_S; p++)
		whole = whole * 10 + (uint64_t)(*p - '0');
	bool digits = p != s, ok = digits && whole <= TIMEOUT_MAX_S;
	if (ok && *p == '.') {
		const char *f = ++p;
		for (; *p >= '0' && *p <= '9'; p++)
			if (scale > 1)
				frac += (uint64_t)(*p - '0') * (scale /= 10);
		ok = p != f;
	}
	uint64_t total = whole * 1000 + frac;
	if (!ok || *p || total == 0 || total > TIMEOUT_MAX_S * 1000) {
		fprintf(stderr, "alliancectl: ALLIANCE_TIMEOUT='%s' is not a number of seconds from "
			"0.001 to %d (digits with an optional fraction, like 10 or 2.5; unset it "
			"for the default of %d)\n", s, TIMEOUT_MAX_S, TIMEOUT_DEFAULT_MS / 1000);
		return CTL_EXIT_USAGE;
	}
	*ms = (int)total;
	return 0;
}

/* Does someone listen on the control socket at path (for the user this
 * runs as)? 0 when a connect succeeds (or cannot be tried: ZeroMQ then
 * says what is wrong), else connect's errno. The probe connection closes
 * at once; the daemon drops it. */
static int listening(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path)
		return 0;
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	int rc = connect(fd, (const struct sockaddr *)&sa, sizeof sa), err = errno;
	close(fd);
	return rc == 0 ? 0 : err;
}

/* listening(path), or prints why not and returns CTL_EXIT_FAIL. */
static int probe(const char *home, const char *path)
{
	int err = listening(path);
	switch (err) {
	case 0:
		return 0;
	case ECONNREFUSED:
		return ctl_error("no daemon is running for '%s' (%s is stale: the daemon was killed; "
				 "start it with 'allianced run %s')", home, path, home);
	case ENOENT:
		return ctl_error("no daemon is running for '%s' (no %s): start it with "
				 "'allianced run %s'", home, path, home);
	case EACCES:
	case EPERM:
		return ctl_error("permission denied on %s: %s (run as the daemon's user or a "
				 "member of its control_group)", path, strerror(err));
	default:
		return 0; /* busy (EAGAIN) and the like: ZeroMQ waits or says */
	}
}

static int call(const char *home, const struct al_request *rq, struct al_reply *rp,
		bool *refused, bool query);

int ctl_call(const char *home, const struct al_request *rq, struct al_reply *rp)
{
	bool refused;
	return call(home, rq, rp, &refused, false);
}

int ctl_call_refused(const char *home, const struct al_request *rq, struct al_reply *rp,
		     bool *refused)
{
	return call(home, rq, rp, refused, false);
}

int ctl_call_query(const char *home, const struct al_request *rq, struct al_reply *rp)
{
	bool refused;
	return call(home, rq, rp, &refused, true);
}

/* Is this the refusal of a daemon older than the request's op? */
static bool unknown_op(const char *error)
{
	return error && (!strncmp(error, AL_CONTROL_UNKNOWN_OP, strlen(AL_CONTROL_UNKNOWN_OP)) ||
			 !strcmp(error, AL_CONTROL_UNSUPPORTED_OP));
}

/* query: no daemon serving home (no socket, or a stale one), or one that
 * does not know the op, is CTL_OFFLINE, said nowhere; a refusal is
 * returned in rp (not printed) with 0. */
static int call(const char *home, const struct al_request *rq, struct al_reply *rp,
		bool *refused, bool query)
{
	char path[4096], endpoint[4200], why[AL_ERRLEN];
	struct stat st;
	int ms, rc;
	memset(rp, 0, sizeof *rp);
	*refused = false;
	if ((rc = timeout_ms(&ms)))
		return rc;
	snprintf(path, sizeof path, "%s/control.sock", home);
	if (stat(path, &st) < 0) {
		if (errno == EACCES)
			return ctl_error("permission denied on '%s': this user may not enter it or a "
					 "directory above it, so it cannot reach %s (run as the "
					 "daemon's user or a member of its control_group)", home, path);
		if (query && errno == ENOENT)
			return CTL_OFFLINE;
		if (errno == ENOENT && stat(home, &st) < 0 && errno == ENOENT)
			return ctl_error("no home '%s' (no such directory; is -H or ALLIANCE_HOME "
					 "right?)", home);
		return ctl_error("no daemon is running for '%s' (no %s): start it with "
				 "'allianced run %s'", home, path, home);
	}
	char *abs = realpath(path, NULL);
	if (abs && strlen(abs) < sizeof path)
		strcpy(path, abs);
	free(abs);
	snprintf(endpoint, sizeof endpoint, "ipc://%s", path);
	if (query && ((rc = listening(path)) == ECONNREFUSED || rc == ENOENT))
		return CTL_OFFLINE;
	if ((rc = probe(home, path)))
		return rc;
	uint8_t *buf;
	size_t len;
	if (wire_request_pack(rq, &buf, &len))
		return ctl_error("out of memory");
	int zero = 0;
	rc = CTL_EXIT_FAIL;
	void *ctx = zmq_ctx_new();
	void *sock = ctx ? zmq_socket(ctx, ZMQ_REQ) : NULL;
	if (!sock) {
		ctl_error("cannot open a ZeroMQ socket: %s", zmq_strerror(errno));
		free(buf);
		if (ctx)
			zmq_ctx_term(ctx);
		return rc;
	}
	zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(sock, ZMQ_SNDTIMEO, &ms, sizeof ms);
	zmq_setsockopt(sock, ZMQ_RCVTIMEO, &ms, sizeof ms);
	if (zmq_connect(sock, endpoint) < 0) {
		ctl_error("cannot connect to %s: %s", endpoint, zmq_strerror(errno));
		goto out;
	}
	if (zmq_send(sock, buf, len, 0) < 0) {
		ctl_error("the daemon of '%s' does not answer (sending: %s)", home, zmq_strerror(errno));
		goto out;
	}
	/* Wait for the reply in slices, making sure between them that the
	 * daemon still listens: one killed while it worked on the request
	 * (kill -9, a crash) would otherwise cost the whole timeout. */
	zmq_pollitem_t item = { sock, 0, ZMQ_POLLIN, 0 };
	int waited = 0, ready = 0;
	while (waited < ms && !ready) {
		int slice = ms - waited < POLL_SLICE_MS ? ms - waited : POLL_SLICE_MS;
		ready = zmq_poll(&item, 1, slice);
		if (ready < 0 && errno != EINTR)
			break;
		ready = ready > 0;
		waited += slice;
		int err = ready ? 0 : listening(path);
		if (err == ECONNREFUSED || err == ENOENT) {
			ctl_error("the daemon of '%s' stopped before it answered (killed, or it "
				  "crashed: its log says which): what it acknowledged before is "
				  "committed; this request may or may not be", home);
			goto out;
		}
	}
	zmq_msg_t m;
	zmq_msg_init(&m);
	if (!ready || zmq_msg_recv(&m, sock, ZMQ_DONTWAIT) < 0) {
		zmq_msg_close(&m);
		ctl_error("the daemon of '%s' did not answer within %g s (is 'allianced run %s' "
			  "running? ALLIANCE_TIMEOUT sets the wait)", home, ms / 1000.0, home);
		goto out;
	}
	int prc = wire_reply_unpack(zmq_msg_data(&m), zmq_msg_size(&m), rp, why);
	zmq_msg_close(&m);
	if (prc) {
		ctl_error("bad reply from the daemon of '%s': %s", home, why);
		goto out;
	}
	if (query && !rp->ok) {
		rc = unknown_op(rp->error) ? CTL_OFFLINE : 0;
		if (rc)
			control_reply_clear(rp);
		goto out;
	}
	if (!rp->ok) {
		*refused = true;
		ctl_error("%s", rp->error);
		control_reply_clear(rp);
		goto out;
	}
	rc = 0;
out:
	free(buf);
	zmq_close(sock);
	zmq_ctx_term(ctx);
	return rc;
}
