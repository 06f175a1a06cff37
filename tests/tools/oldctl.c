/* oldctl: a test tool that stands in for an allianced older than some
 * control op, as alliancectl meets one on HOME/control.sock.
 *
 *   oldctl HOME [OP]...
 *
 * Binds HOME/control.sock and answers every request as a daemon of the
 * version before the QUERY op did: a request of an op named on the command
 * line (status, join, commit, act, query; default: query) is refused with
 * that daemon's error (it could not unpack it), any other with {}. Runs
 * until SIGTERM (then removes the socket); prints "ready" once bound.
 * With "series" among the ops: a daemon that knows QUERY but only the
 * queries trust and commitments (the version before trust --series):
 * another query is refused with that daemon's error, "no query 'WHAT'
 * (trust, commitments)" (lib/query.c's), the others answered {}.
 *
 * It is not installed and not part of the product.
 */
#include "control.h"
#include "err.h"
#include "wire.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

static volatile sig_atomic_t stop;
static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static const char *const ops[] = { "none", "status", "join", "commit", "act", "query" };

int main(int argc, char **argv)
{
	char path[4096], endpoint[4200], why[AL_ERRLEN];
	bool refuse[sizeof ops / sizeof ops[0]] = { false }, series = false;
	if (argc < 2) {
		fprintf(stderr, "usage: oldctl HOME [OP]...\n");
		return 2;
	}
	for (int i = 2; i < argc; i++)
		for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
			refuse[k] |= !strcmp(argv[i], ops[k]);
	for (int i = 2; i < argc; i++)
		series |= !strcmp(argv[i], "series");
	if (argc == 2)
		refuse[AL_OP_QUERY] = true;
	snprintf(path, sizeof path, "%s/control.sock", argv[1]);
	snprintf(endpoint, sizeof endpoint, "ipc://%s", path);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	void *ctx = zmq_ctx_new(), *sock = zmq_socket(ctx, ZMQ_ROUTER);
	int zero = 0;
	zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
	if (zmq_bind(sock, endpoint) < 0) {
		fprintf(stderr, "oldctl: cannot bind %s: %s\n", endpoint, zmq_strerror(errno));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		zmq_pollitem_t item = { sock, 0, ZMQ_POLLIN, 0 };
		if (zmq_poll(&item, 1, 100) <= 0)
			continue;
		zmq_msg_t part[3];
		int n = 0, more = 1;
		while (more && n < 3) {
			zmq_msg_init(&part[n]);
			if (zmq_msg_recv(&part[n], sock, 0) < 0)
				break;
			more = zmq_msg_more(&part[n]);
			n++;
		}
		if (n == 3) {
			struct al_request rq;
			struct al_reply rp = { 0 };
			char older[AL_ERRLEN] = "";
			int op = wire_request_unpack(zmq_msg_data(&part[2]), zmq_msg_size(&part[2]), &rq,
						     why) ? AL_OP_NONE : (int)rq.op;
			if (op == AL_OP_QUERY && series && strcmp(rq.query.what, "trust") &&
			    strcmp(rq.query.what, "commitments"))
				snprintf(older, sizeof older, "no query '%s' (trust, commitments)",
					 rq.query.what);
			if (op != AL_OP_NONE)
				control_request_clear(&rq);
			if (*older) {
				rp.error = older;
			} else if (refuse[op] || op == AL_OP_NONE) {
				rp.error = (char *)AL_CONTROL_UNKNOWN_OP " (is alliancectl newer than "
					    "allianced?)";
			} else {
				rp.ok = 1;
				rp.json = (char *)"{}";
			}
			uint8_t *buf;
			size_t len;
			if (wire_reply_pack(&rp, &buf, &len) == AL_OK) {
				zmq_send(sock, zmq_msg_data(&part[0]), zmq_msg_size(&part[0]), ZMQ_SNDMORE);
				zmq_send(sock, "", 0, ZMQ_SNDMORE);
				zmq_send(sock, buf, len, 0);
				free(buf);
			}
		}
		for (int i = 0; i < n; i++)
			zmq_msg_close(&part[i]);
	}
	zmq_close(sock);
	zmq_ctx_term(ctx);
	unlink(path);
	return 0;
}
