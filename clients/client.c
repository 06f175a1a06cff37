/* client.c: one request to the local daemon over HOME/control.sock.
 *
 * A REQ socket with send and receive timeouts and linger 0, so that a
 * daemon that is down or stuck gives a clear error instead of a hang.
 */
#include "ctl.h"
#include "err.h"
#include "wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

static int timeout_ms(void)
{
	const char *s = getenv("ALLIANCE_TIMEOUT");
	double secs = s && *s ? atof(s) : 10;
	return secs > 0 ? (int)(secs * 1000) : 10000;
}

int ctl_call(const char *home, const struct al_request *rq, struct al_reply *rp)
{
	char path[4096], endpoint[4200], why[AL_ERRLEN];
	struct stat st;
	memset(rp, 0, sizeof *rp);
	snprintf(path, sizeof path, "%s/control.sock", home);
	if (stat(path, &st) < 0)
		return ctl_error("no daemon is running for '%s' (no %s): start it with "
				 "'allianced run %s'", home, path, home);
	char *abs = realpath(path, NULL);
	snprintf(endpoint, sizeof endpoint, "ipc://%s", abs ? abs : path);
	free(abs);
	uint8_t *buf;
	size_t len;
	if (wire_request_pack(rq, &buf, &len))
		return ctl_error("out of memory");
	int rc = CTL_EXIT_FAIL, ms = timeout_ms(), zero = 0;
	void *ctx = zmq_ctx_new();
	void *sock = zmq_socket(ctx, ZMQ_REQ);
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
	zmq_msg_t m;
	zmq_msg_init(&m);
	if (zmq_msg_recv(&m, sock, 0) < 0) {
		zmq_msg_close(&m);
		ctl_error("the daemon of '%s' did not answer within %d s (is 'allianced run %s' "
			  "running? ALLIANCE_TIMEOUT sets the wait)", home, ms / 1000, home);
		goto out;
	}
	int prc = wire_reply_unpack(zmq_msg_data(&m), zmq_msg_size(&m), rp, why);
	zmq_msg_close(&m);
	if (prc) {
		ctl_error("bad reply from the daemon of '%s': %s", home, why);
		goto out;
	}
	if (!rp->ok) {
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
