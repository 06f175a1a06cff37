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

/* Whether an envelope's signature was checked, and what that found. The
 * verdict lives in the envelope it was computed on (bytes, body and
 * signature it owns), so it cannot be carried over to other bytes. */
enum al_sig_state {
	AL_SIG_UNCHECKED = 0, /* envelope_open leaves it so */
	AL_SIG_VALID,         /* verified here (envelope_check_sig), or sealed here */
	AL_SIG_INVALID,       /* verified here: it does not verify */
};

struct al_envelope {
	uint8_t *bytes;  /* the exact envelope bytes (owned) */
	size_t len;
	uint8_t *body;   /* the signed body bytes (owned) */
	size_t body_len;
	uint8_t sig[AL_SIGLEN];
	al_hash hash;    /* BLAKE2b-256 of bytes: what the next message's prev names */
	struct al_body b;
	enum al_sig_state checked; /* see above; only this module sets it */
};

/* Serialize b, sign it with id and wrap it. b->author must be id's key.
 * *out is the caller's (envelope_clear), its checked AL_SIG_VALID: it was signed
 * here over these bytes, and is not verified again. Returns 0, AL_E_INVAL,
 * AL_E_NOMEM or AL_E_CRYPTO. */
int envelope_seal(const struct al_identity *id, const struct al_body *b,
		  struct al_envelope *out) __attribute__((warn_unused_result));

/* Copy and parse buf (at most AL_MAX_ENVELOPE bytes): envelope, body and
 * hash. Does not verify the signature. Returns 0, AL_E_PARSE (why says
 * what is malformed) or AL_E_NOMEM; *out is zeroed on failure. */
int envelope_open(const uint8_t *buf, size_t len, struct al_envelope *out, char *why);

/* The body of envelope buf alone, parsed into *out (the caller's:
 * msg_body_clear): what envelope_open gives as e.b, without copying the
 * bytes or hashing them (a message read again to be shown). Returns 0,
 * AL_E_PARSE (why) or AL_E_NOMEM; *out is zeroed on failure. */
int envelope_body(const uint8_t *buf, size_t len, struct al_body *out, char *why);

/* True when the signature is the body author's (always checks). */
bool envelope_verify(const struct al_envelope *e);

/* The verdict on e's signature: e->checked when known, else verified now and
 * recorded in e->checked. Thread-safe for distinct envelopes (the verify pool
 * runs it on its workers). True when it verifies. */
bool envelope_check_sig(struct al_envelope *e);

/* Take e's signature as verified without checking it: ONLY for records
 * read back from this home's own log, whose signatures were checked when
 * the daemon admitted them (ledger_of_log, AL_LEDGER_OWN). Trusts the
 * files of one's own home; anything else goes through envelope_check_sig. */
void envelope_trust_own(struct al_envelope *e);

/* Signatures made and verified by this process so far (any thread), for
 * tests and metrics: the author signs once and verifies nothing. */
void envelope_counts(uint64_t *signed_, uint64_t *verified);

/* Free what e owns and zero it. */
void envelope_clear(struct al_envelope *e);

#endif
