/* key.c: identity keys, key files, signatures and hashes (libsodium). */
#include "key.h"
#include "err.h"
#include "file.h"
#include "hex.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int key_init(void)
{
	return sodium_init() < 0 ? AL_E_CRYPTO : AL_OK;
}

int key_generate(const uint8_t *sign_seed, const uint8_t *transport_seed,
		 struct al_identity **out)
{
	*out = NULL;
	struct al_identity *id = calloc(1, sizeof *id);
	if (!id)
		return AL_E_NOMEM;
	id->sign_sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	id->transport_sk = sodium_malloc(crypto_box_SECRETKEYBYTES);
	if (!id->sign_sk || !id->transport_sk) {
		key_destroy(&id);
		return AL_E_NOMEM;
	}
	int rc;
	if (sign_seed)
		rc = crypto_sign_seed_keypair(id->sign_pk.b, id->sign_sk, sign_seed);
	else
		rc = crypto_sign_keypair(id->sign_pk.b, id->sign_sk);
	if (rc == 0) {
		if (transport_seed)
			memcpy(id->transport_sk, transport_seed, crypto_box_SECRETKEYBYTES);
		else
			randombytes_buf(id->transport_sk, crypto_box_SECRETKEYBYTES);
		rc = crypto_scalarmult_base(id->transport_pk.b, id->transport_sk);
	}
	if (rc != 0) {
		key_destroy(&id);
		return AL_E_CRYPTO;
	}
	*out = id;
	return AL_OK;
}

void key_destroy(struct al_identity **idp)
{
	struct al_identity *id = *idp;
	if (!id)
		return;
	sodium_free(id->sign_sk); /* wipes before freeing */
	sodium_free(id->transport_sk);
	free(id);
	*idp = NULL;
}

/* One secret as a line of hex; the buffer is wiped whatever happens. */
static int save_secret(const char *path, const uint8_t *secret, size_t n, char *why)
{
	char *line = sodium_malloc(2 * n + 2);
	if (!line)
		return AL_E_NOMEM;
	hex_encode(secret, n, line);
	line[2 * n] = '\n';
	int rc = file_create(path, line, 2 * n + 1, 0600, why);
	sodium_free(line);
	return rc;
}

int key_save(const struct al_identity *id, const char *sign_path,
	     const char *transport_path, char *why)
{
	/* The Ed25519 secret key is seed || public key: store the seed. */
	int rc = save_secret(sign_path, id->sign_sk, AL_SIGN_SEEDLEN, why);
	if (rc == AL_OK)
		rc = save_secret(transport_path, id->transport_sk, crypto_box_SECRETKEYBYTES, why);
	return rc;
}

static int load_secret(const char *path, uint8_t *out, size_t n, char *why)
{
	char *buf = NULL;
	int fd;
	struct stat st;
	int rc = file_open_regular(path, O_NOFOLLOW, &fd, &st, why);
	if (rc)
		return rc;
	if (st.st_mode & 077) {
		rc = al_errf(why, AL_E_PERM,
			     "key file '%s' has mode %03o: group or others can use it; "
			     "run 'chmod 600 %s'", path, (unsigned)(st.st_mode & 0777), path);
		goto out;
	}
	if (st.st_uid != geteuid()) {
		rc = al_errf(why, AL_E_PERM, "key file '%s' belongs to another user (uid %u)",
			     path, (unsigned)st.st_uid);
		goto out;
	}
	/* Exactly 2n hex digits and one optional newline. */
	size_t want = 2 * n + 1;
	buf = sodium_malloc(want + 1);
	if (!buf) {
		rc = AL_E_NOMEM;
		goto out;
	}
	ssize_t got = read(fd, buf, want + 1);
	if (got < 0) {
		rc = al_errf(why, AL_E_IO, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	if ((size_t)got == want && buf[2 * n] == '\n')
		got--;
	if ((size_t)got != 2 * n) {
		rc = al_errf(why, AL_E_PARSE, "key file '%s' is not one line of %zu hex digits",
			     path, 2 * n);
		goto out;
	}
	buf[2 * n] = '\0';
	if (hex_decode(buf, out, n) < 0)
		rc = al_errf(why, AL_E_PARSE, "key file '%s' is not one line of %zu hex digits",
			     path, 2 * n);
out:
	if (buf)
		sodium_free(buf);
	close(fd);
	if (rc)
		sodium_memzero(out, n);
	return rc;
}

int key_load(const char *sign_path, const char *transport_path,
	     struct al_identity **out, char *why)
{
	*out = NULL;
	uint8_t *seeds = sodium_malloc(2 * AL_SIGN_SEEDLEN);
	if (!seeds)
		return AL_E_NOMEM;
	int rc = load_secret(sign_path, seeds, AL_SIGN_SEEDLEN, why);
	if (rc == AL_OK)
		rc = load_secret(transport_path, seeds + AL_SIGN_SEEDLEN, AL_SIGN_SEEDLEN, why);
	if (rc == AL_OK)
		rc = key_generate(seeds, seeds + AL_SIGN_SEEDLEN, out);
	sodium_free(seeds);
	return rc;
}

/* context || NUL || msg in one buffer: libsodium's single-part API. */
static uint8_t *with_context(const char *context, const uint8_t *msg, size_t len, size_t *total)
{
	size_t clen = strlen(context) + 1;
	uint8_t *buf = malloc(clen + len + 1);
	if (!buf)
		return NULL;
	memcpy(buf, context, clen);
	if (len)
		memcpy(buf + clen, msg, len);
	*total = clen + len;
	return buf;
}

int key_sign(const struct al_identity *id, const char *context, const uint8_t *msg,
	     size_t len, uint8_t sig[AL_SIGLEN])
{
	size_t total;
	uint8_t *buf = with_context(context, msg, len, &total);
	if (!buf)
		return AL_E_NOMEM;
	int rc = crypto_sign_detached(sig, NULL, buf, total, id->sign_sk);
	free(buf);
	return rc == 0 ? AL_OK : AL_E_CRYPTO;
}

bool key_verify(const al_key *pk, const char *context, const uint8_t *msg, size_t len,
		const uint8_t sig[AL_SIGLEN])
{
	size_t total;
	uint8_t *buf = with_context(context, msg, len, &total);
	if (!buf)
		return false;
	bool ok = crypto_sign_verify_detached(sig, buf, total, pk->b) == 0;
	free(buf);
	return ok;
}

void key_hash(const uint8_t *data, size_t len, al_hash *out)
{
	crypto_generichash(out->b, AL_HASHLEN, data, len, NULL, 0);
}
