/* peerprobe: a test tool that talks to an allianced peer port the way an
 * outsider or a misbehaving member would.
 *
 *   peerprobe CARD [--as HOME] [--repeat N] [--raw FILE | --batch ALLIANCE_HEX FILE...
 *             | --have ALLIANCE_HEX AUTHOR_CARD SEQ]
 *
 * Connects a CURVE client (DEALER) to the daemon of member card CARD
 * (file), with a fresh random transport key, or HOME's own key with --as.
 * Then sends --raw FILE's bytes as one message, or one Batch of the given
 * envelope files for the alliance, or a Have claiming AUTHOR_CARD's feed is
 * at SEQ (a claim nobody can back), or by default a Have with an empty
 * frontier; --repeat N sends it N times, one a second. Prints "handshake
 * accepted" or "handshake refused" and exits 0 when the handshake was
 * answered, 1 when not within 5 s.
 *
 * It is not installed and not part of the product.
 */
#include "card.h"
#include "err.h"
#include "file.h"
#include "hex.h"
#include "home.h"
#include "wire.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

static int die(const char *what, const char *why)
{
	fprintf(stderr, "peerprobe: %s: %s\n", what, why);
	return 2;
}

int main(int argc, char **argv)
{
	char why[AL_ERRLEN];
	const char *as = NULL, *raw = NULL, *alliance = NULL, *claim_card = NULL;
	char **env_files = NULL;
	int n_env = 0, repeat = 1;
	unsigned long long claim_seq = 0;
	if (argc < 2)
		return die("usage", "peerprobe CARD [--as HOME] [--raw FILE | --batch ALLIANCE FILE...]");
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--as") && i + 1 < argc)
			as = argv[++i];
		else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
			repeat = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--have") && i + 3 < argc) {
			alliance = argv[++i];
			claim_card = argv[++i];
			claim_seq = strtoull(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--raw") && i + 1 < argc)
			raw = argv[++i];
		else if (!strcmp(argv[i], "--batch") && i + 1 < argc) {
			alliance = argv[++i];
			env_files = &argv[i + 1];
			n_env = argc - i - 1;
			break;
		} else
			return die(argv[i], "unknown option");
	}
	uint8_t *buf;
	size_t len;
	struct al_member peer;
	if (file_read(argv[1], 4096, &buf, &len, why))
		return die(argv[1], why);
	char *text = strndup((char *)buf, len);
	free(buf);
	text[strcspn(text, "\n")] = '\0';
	if (card_parse(text, &peer, why))
		return die(argv[1], why);
	free(text);

	uint8_t pk[32], sk[32];
	struct al_home *h = NULL;
	if (sodium_init() < 0)
		return die("sodium", "init failed");
	if (as) {
		if (home_open(as, &h, why))
			return die(as, why);
		memcpy(pk, h->self.transport_key.b, 32);
		memcpy(sk, h->id->transport_sk, 32);
	} else {
		crypto_box_keypair(pk, sk);
	}

	/* The message. */
	struct al_peer_msg pm = { .op = AL_PEER_HAVE };
	if (raw) {
		if (file_read(raw, 16 << 20, &buf, &len, why))
			return die(raw, why);
	} else {
		if (alliance && (strlen(alliance) != 64 || hex_decode(alliance, pm.alliance.b, 32)))
			return die(alliance, "not an alliance id");
		struct al_frontier_entry claim;
		if (claim_card) {
			struct al_member author;
			if (file_read(claim_card, 4096, &buf, &len, why))
				return die(claim_card, why);
			char *t = strndup((char *)buf, len);
			free(buf);
			t[strcspn(t, "\n")] = '\0';
			if (card_parse(t, &author, why))
				return die(claim_card, why);
			free(t);
			memset(&claim, 0, sizeof claim);
			claim.author = author.sign_key;
			claim.seq = claim_seq;
			memset(claim.hash.b, 0x5a, sizeof claim.hash.b);
			pm.have = &claim;
			pm.n_have = 1;
		} else if (alliance) {
			pm.op = AL_PEER_BATCH;
			pm.env = calloc((size_t)n_env + 1, sizeof *pm.env);
			pm.env_len = calloc((size_t)n_env + 1, sizeof *pm.env_len);
			for (int i = 0; i < n_env; i++, pm.n_env++)
				if (file_read(env_files[i], 1 << 20, &pm.env[i], &pm.env_len[i], why))
					return die(env_files[i], why);
		}
		if (wire_peer_pack(&pm, &buf, &len))
			return die("pack", "failed");
		if (claim_card)
			pm.have = NULL, pm.n_have = 0; /* on the stack */
		wire_peer_clear(&pm);
	}

	void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_DEALER), *mon = zmq_socket(ctx, ZMQ_PAIR);
	int zero = 0;
	zmq_setsockopt(s, ZMQ_LINGER, &(int){ 2000 }, sizeof(int));
	zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, peer.transport_key.b, 32);
	zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pk, 32);
	zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sk, 32);
	zmq_socket_monitor(s, "inproc://probe", ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
				  ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
				  ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
	zmq_setsockopt(mon, ZMQ_LINGER, &zero, sizeof zero);
	zmq_connect(mon, "inproc://probe");
	zmq_connect(s, peer.endpoint);
	zmq_send(s, buf, len, ZMQ_DONTWAIT); /* queued until the handshake */
	int rc = 1;
	zmq_pollitem_t it = { mon, 0, ZMQ_POLLIN, 0 };
	if (zmq_poll(&it, 1, 5000) == 1) {
		zmq_msg_t ev;
		zmq_msg_init(&ev);
		zmq_msg_recv(&ev, mon, 0);
		uint16_t e = 0;
		memcpy(&e, zmq_msg_data(&ev), 2);
		zmq_msg_close(&ev);
		printf("handshake %s\n", e == ZMQ_EVENT_HANDSHAKE_SUCCEEDED ? "accepted" : "refused");
		rc = 0;
	} else {
		printf("no handshake within 5 s\n");
	}
	fflush(stdout);
	for (int i = 1; i < repeat && rc == 0; i++) {
		sleep(1);
		zmq_send(s, buf, len, ZMQ_DONTWAIT);
	}
	free(buf);
	zmq_socket_monitor(s, NULL, 0);
	zmq_close(mon);
	zmq_close(s); /* linger: the message goes out */
	zmq_ctx_term(ctx);
	home_close(&h);
	return rc;
}
