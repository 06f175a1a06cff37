/* key.h: a partner's identity: an Ed25519 signing key and a distinct X25519
 * transport key for CurveZMQ (libsodium advises never to share one key
 * between signing and encryption).
 *
 * Secret keys live in sodium_malloc'd memory (guarded, locked, wiped on
 * free). Key files hold the secret as one line of lowercase hex, are created
 * O_EXCL|O_NOFOLLOW with mode 0600, and are refused on load when group or
 * others can read them or another user owns them.
 */
#ifndef AL_KEY_H
#define AL_KEY_H

#include "msg.h"

#define AL_SIGN_SEEDLEN 32 /* the signing key file holds the Ed25519 seed */

struct al_identity {
	al_key sign_pk;
	al_key transport_pk;
	uint8_t *sign_sk;      /* 64 bytes, sodium_malloc */
	uint8_t *transport_sk; /* 32 bytes, sodium_malloc */
};

/* sodium_init(), once per process. Returns 0 or AL_E_CRYPTO. */
int key_init(void) __attribute__((warn_unused_result));

/* New identity with fresh random keys (seed == NULL) or keys derived from
 * two 32-byte seeds (tests and known-answer vectors). The caller owns *out
 * and frees it with key_destroy. Returns 0, AL_E_NOMEM or AL_E_CRYPTO. */
int key_generate(const uint8_t *sign_seed, const uint8_t *transport_seed,
		 struct al_identity **out) __attribute__((warn_unused_result));

/* Write both secret keys as new files (0600, exclusive). Returns 0,
 * AL_E_EXIST, AL_E_IO or AL_E_FSYNC. */
int key_save(const struct al_identity *id, const char *sign_path,
	     const char *transport_path, char *why);

/* Load both secret keys and derive the public keys. Returns 0, AL_E_NOENT,
 * AL_E_INVAL (not a regular file: a FIFO, a device, a directory),
 * AL_E_PERM (mode or owner unsafe: why says what to chmod), AL_E_PARSE
 * (not exactly one hex line of the right length), AL_E_IO or AL_E_NOMEM. */
int key_load(const char *sign_path, const char *transport_path,
	     struct al_identity **out, char *why);

/* Wipe and free; nulls *id. */
void key_destroy(struct al_identity **id);

/* Ed25519 over context || msg (context is a NUL-terminated domain string;
 * its NUL is signed too). Returns 0 or AL_E_CRYPTO/AL_E_NOMEM. */
int key_sign(const struct al_identity *id, const char *context, const uint8_t *msg,
	     size_t len, uint8_t sig[AL_SIGLEN]) __attribute__((warn_unused_result));

/* True when sig is pk's signature over context || msg. */
bool key_verify(const al_key *pk, const char *context, const uint8_t *msg, size_t len,
		const uint8_t sig[AL_SIGLEN]) __attribute__((warn_unused_result));

/* BLAKE2b-256 of data. */
void key_hash(const uint8_t *data, size_t len, al_hash *out);

#endif
