/* envelope.c: sealing and opening envelopes; see envelope.h. */
#include "envelope.h"
#include "err.h"
#include "wire.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define ENVELOPE_CONTEXT "alliance/envelope/v1"

/* Counted with relaxed atomics: the verify pool's workers verify too. */
static atomic_uint_fast64_t n_signed, n_verified;

void envelope_counts(uint64_t *signed_, uint64_t *verified)
{
	*signed_ = atomic_load_explicit(&n_signed, memory_order_relaxed);
	*verified = atomic_load_explicit(&n_verified, memory_order_relaxed);
}

void envelope_clear(struct al_envelope *e)
{
	free(e->bytes);
	free(e->body);
	msg_body_clear(&e->b);
	memset(e, 0, sizeof *e);
}

int envelope_open(const uint8_t *buf, size_t len, struct al_envelope *e, char *why)
{
	memset(e, 0, sizeof *e);
	if (len > AL_MAX_ENVELOPE)
		return al_errf(why, AL_E_PARSE, "envelope of %zu bytes exceeds the %d-byte limit",
			       len, AL_MAX_ENVELOPE);
	int rc = wire_envelope_unpack(buf, len, &e->body, &e->body_len, e->sig, why);
	if (rc == AL_OK)
		rc = wire_body_unpack(e->body, e->body_len, &e->b, why);
	if (rc == AL_OK && !(e->bytes = malloc(len)))
		rc = AL_E_NOMEM;
	if (rc) {
		envelope_clear(e);
		return rc;
	}
	memcpy(e->bytes, buf, len);
	e->len = len;
	key_hash(buf, len, &e->hash);
	return AL_OK;
}

int envelope_body(const uint8_t *buf, size_t len, struct al_body *out, char *why)
{
	uint8_t *body = NULL, sig[AL_SIGLEN];
	size_t body_len = 0;
	memset(out, 0, sizeof *out);
	if (len > AL_MAX_ENVELOPE)
		return al_errf(why, AL_E_PARSE, "envelope of %zu bytes exceeds the %d-byte limit",
			       len, AL_MAX_ENVELOPE);
	int rc = wire_envelope_unpack(buf, len, &body, &body_len, sig, why);
	if (rc == AL_OK && (rc = wire_body_unpack(body, body_len, out, why)))
		msg_body_clear(out);
	free(body);
	return rc;
}

bool envelope_verify(const struct al_envelope *e)
{
	atomic_fetch_add_explicit(&n_verified, 1, memory_order_relaxed);
	return key_verify(&e->b.author, ENVELOPE_CONTEXT, e->body, e->body_len, e->sig);
}

bool envelope_check_sig(struct al_envelope *e)
{
	if (e->checked == AL_SIG_UNCHECKED)
		e->checked = envelope_verify(e) ? AL_SIG_VALID : AL_SIG_INVALID;
	return e->checked == AL_SIG_VALID;
}

void envelope_trust_own(struct al_envelope *e)
{
	if (e->checked == AL_SIG_UNCHECKED)
		e->checked = AL_SIG_VALID;
}

int envelope_seal(const struct al_identity *id, const struct al_body *b, struct al_envelope *out)
{
	uint8_t *body = NULL, *env = NULL;
	size_t body_len, env_len;
	uint8_t sig[AL_SIGLEN];
	memset(out, 0, sizeof *out);
	if (memcmp(&b->author, &id->sign_pk, AL_KEYLEN) != 0)
		return AL_E_INVAL;
	int rc = wire_body_pack(b, &body, &body_len);
	if (rc == AL_OK) {
		rc = key_sign(id, ENVELOPE_CONTEXT, body, body_len, sig);
		atomic_fetch_add_explicit(&n_signed, 1, memory_order_relaxed);
	}
	if (rc == AL_OK)
		rc = wire_envelope_pack(body, body_len, sig, &env, &env_len);
	/* Parse what we made, so the caller holds exactly what a peer will. */
	if (rc == AL_OK)
		rc = envelope_open(env, env_len, out, NULL);
	/* Signed here, by the key the body names, over exactly the body these
	 * bytes carry (the identity's keys derive from one seed: key_generate):
	 * the signature is valid, and checking it again would only cost. */
	if (rc == AL_OK && out->body_len == body_len && !memcmp(out->body, body, body_len) &&
	    !memcmp(out->sig, sig, AL_SIGLEN) && !memcmp(&out->b.author, &id->sign_pk, AL_KEYLEN))
		out->checked = AL_SIG_VALID;
	free(body);
	free(env);
	return rc;
}
