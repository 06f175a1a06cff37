/* wire.h: the one module that owns the wire format.
 *
 * It alone includes the protobuf-c code generated from proto/alliance.proto
 * (the Makefile gives only wire.c the generated include path). It packs the
 * project's structs into bytes and unpacks bytes into them, checking the
 * shape of what it unpacks: key and hash lengths, no unknown fields, a kind
 * that names the payload. It never checks signatures or chains (envelope.c,
 * feeds.c do). Every unpack frees its protobuf-c message before returning.
 *
 * Packed buffers are malloc'd and the caller's. All unpack functions return
 * 0, AL_E_PARSE (why says what is wrong) or AL_E_NOMEM.
 */
#ifndef AL_WIRE_H
#define AL_WIRE_H

#include "charter.h"
#include "control.h"
#include "msg.h"

int wire_body_pack(const struct al_body *b, uint8_t **out, size_t *len);
int wire_body_unpack(const uint8_t *buf, size_t len, struct al_body *out, char *why);

/* Envelope = body bytes + signature. unpack accepts only the canonical
 * encoding, what pack writes (0x0a varint body 0x12 0x40 sig: the hash
 * covers these bytes, so no other may stand for the same message), and
 * gives a malloc'd copy of the body bytes (*body, the caller's) and the
 * signature. */
int wire_envelope_pack(const uint8_t *body, size_t body_len, const uint8_t sig[AL_SIGLEN],
		       uint8_t **out, size_t *len);
int wire_envelope_unpack(const uint8_t *buf, size_t len, uint8_t **body, size_t *body_len,
			 uint8_t sig[AL_SIGLEN], char *why);

/* The Charter fields of c (not bytes, id, sigs). unpack fills those fields
 * of a zeroed *out; charter_destroy frees them. */
int wire_charter_pack(const struct al_charter *c, uint8_t **out, size_t *len);
int wire_charter_unpack(const uint8_t *buf, size_t len, struct al_charter *out, char *why);

/* SignedCharter: the charter bytes and signatures of c. unpack sets
 * out->bytes/len and out->sigs/n_sigs of a zeroed *out. */
int wire_signed_charter_pack(const struct al_charter *c, uint8_t **out, size_t *len);
int wire_signed_charter_unpack(const uint8_t *buf, size_t len, struct al_charter *out,
			       char *why);

/* Equivocation proof: two envelopes. unpack gives malloc'd copies. */
int wire_equivocation_pack(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
			   uint8_t **out, size_t *len);
int wire_equivocation_unpack(const uint8_t *buf, size_t len, uint8_t **a, size_t *alen,
			     uint8_t **b, size_t *blen, char *why);

/* Control requests and replies (control.h). */
int wire_request_pack(const struct al_request *r, uint8_t **out, size_t *len);
int wire_request_unpack(const uint8_t *buf, size_t len, struct al_request *out, char *why);
int wire_reply_pack(const struct al_reply *r, uint8_t **out, size_t *len);
int wire_reply_unpack(const uint8_t *buf, size_t len, struct al_reply *out, char *why);

/* Peer messages between daemons (one per ZeroMQ message). For pack, env
 * points at the caller's envelope bytes; unpack makes malloc'd copies that
 * wire_peer_clear frees. */
enum al_peer_op { AL_PEER_NONE, AL_PEER_HAVE, AL_PEER_BATCH };

struct al_peer_msg {
	al_hash alliance;
	enum al_peer_op op;
	struct al_frontier_entry *have; /* AL_PEER_HAVE */
	size_t n_have;
	bool rewind;                    /* AL_PEER_HAVE: resend after this */
	uint8_t **env;                  /* AL_PEER_BATCH */
	size_t *env_len;
	size_t n_env;
};

int wire_peer_pack(const struct al_peer_msg *m, uint8_t **out, size_t *len);
int wire_peer_unpack(const uint8_t *buf, size_t len, struct al_peer_msg *out, char *why);
void wire_peer_clear(struct al_peer_msg *m);

#endif
