/* envelope.h: signing a body once and opening what arrives.
 *
 * An envelope is the serialized body and an Ed25519 signature over
 * "alliance/envelope/v1\0" || body. The exact envelope bytes are what is
 * shipped, stored and hashed (BLAKE2b-256); a received body is never
 * re-serialized to be checked.
 */
#ifndef AL_ENVELOPE_H
#define AL_ENVELOPE_H

#include "key.h"
#include "msg.h"

struct al_envelope {
	uint8_t *bytes;  /* the exact envelope bytes (owned) */
	size_t len;
	uint8_t *body;   /* the signed body bytes (owned) */
	size_t body_len;
	uint8_t sig[AL_SIGLEN];
	al_hash hash;    /* BLAKE2b-256 of bytes: what the next message's prev names */
	struct al_body b;
};

/* Serialize b, sign it with id and wrap it. b->author must be id's key.
 * *out is the caller's (envelope_clear). Returns 0, AL_E_INVAL, AL_E_NOMEM
 * or AL_E_CRYPTO. */
int envelope_seal(const struct al_identity *id, const struct al_body *b,
		  struct al_envelope *out) __attribute__((warn_unused_result));

/* Copy and parse buf (at most AL_MAX_ENVELOPE bytes): envelope, body and
 * hash. Does not verify the signature. Returns 0, AL_E_PARSE (why says
 * what is malformed) or AL_E_NOMEM; *out is zeroed on failure. */
int envelope_open(const uint8_t *buf, size_t len, struct al_envelope *out, char *why);

/* True when the signature is the body author's. */
bool envelope_verify(const struct al_envelope *e);

/* Free what e owns and zero it. */
void envelope_clear(struct al_envelope *e);

#endif
