/* idem.c: the (author, key) -> seq index of idempotency keys; see idem.h. */
#include "idem.h"
#include "checkpoint.h"
#include "err.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	uint64_t h;   /* keyed hash of author || key */
	uint64_t seq; /* 0: empty */
};

struct al_idem {
	uint8_t k[crypto_shorthash_KEYBYTES];
	size_t n, cap; /* cap is a power of two, or 0 */
	struct slot *v;
};

int idem_new(struct al_idem **out)
{
	*out = calloc(1, sizeof **out);
	if (!*out)
		return AL_E_NOMEM;
	randombytes_buf((*out)->k, sizeof (*out)->k);
	return AL_OK;
}

void idem_destroy(struct al_idem **ixp)
{
	struct al_idem *ix = *ixp;
	if (!ix)
		return;
	free(ix->v);
	free(ix);
	*ixp = NULL;
}

static uint64_t hash(const struct al_idem *ix, const al_key *author, const char *key)
{
	uint8_t in[AL_KEYLEN + AL_IDEMPOTENCY_KEY_MAX], out[crypto_shorthash_BYTES];
	size_t n = strnlen(key, AL_IDEMPOTENCY_KEY_MAX);
	memcpy(in, author->b, AL_KEYLEN);
	memcpy(in + AL_KEYLEN, key, n);
	crypto_shorthash(out, in, AL_KEYLEN + n, ix->k);
	uint64_t h;
	memcpy(&h, out, sizeof h);
	return h;
}

/* Linear probing from the hash's home slot (nothing is ever removed). */
static void put(struct slot *v, size_t cap, uint64_t h, uint64_t seq)
{
	size_t i = (size_t)h & (cap - 1);
	while (v[i].seq)
		i = (i + 1) & (cap - 1);
	v[i].h = h;
	v[i].seq = seq;
}

int idem_add(struct al_idem *ix, const al_key *author, const char *key, uint64_t seq)
{
	if (2 * (ix->n + 1) > ix->cap) {
		size_t cap = ix->cap ? 2 * ix->cap : 64;
		struct slot *v = calloc(cap, sizeof *v);
		if (!v)
			return AL_E_NOMEM;
		for (size_t i = 0; i < ix->cap; i++)
			if (ix->v[i].seq)
				put(v, cap, ix->v[i].h, ix->v[i].seq);
		free(ix->v);
		ix->v = v;
		ix->cap = cap;
	}
	put(ix->v, ix->cap, hash(ix, author, key), seq);
	ix->n++;
	return AL_OK;
}

uint64_t idem_next(const struct al_idem *ix, const al_key *author, const char *key,
		   size_t *cursor)
{
	if (!ix->cap)
		return 0;
	uint64_t h = hash(ix, author, key);
	/* *cursor counts the slots of the probe path already visited. */
	for (size_t i = *cursor; i < ix->cap; i++) {
		const struct slot *s = &ix->v[((size_t)h + i) & (ix->cap - 1)];
		if (!s->seq)
			break;
		if (s->h == h) {
			*cursor = i + 1;
			return s->seq;
		}
	}
	*cursor = ix->cap;
	return 0;
}

int idem_save(const struct al_idem *ix, struct al_ckpt_writer *w)
{
	int rc = ckpt_put(w, ix->k, sizeof ix->k);
	if (rc == AL_OK)
		rc = ckpt_put_u64(w, ix->n);
	for (size_t i = 0; i < ix->cap && rc == AL_OK; i++)
		if (ix->v[i].seq && !(rc = ckpt_put_u64(w, ix->v[i].h)))
			rc = ckpt_put_u64(w, ix->v[i].seq);
	return rc;
}

int idem_load(struct al_idem *ix, struct al_ckpt_reader *r, char *why)
{
	uint8_t k[sizeof ix->k];
	ckpt_get(r, k, sizeof k);
	uint64_t n = ckpt_get_u64(r);
	if (r->bad || n > r->left / 16)
		return al_errf(why, AL_E_PARSE, "keys section: %" PRIu64 " keys do not fit", n);
	size_t cap = 64;
	while (cap < 2 * (n + 1))
		cap *= 2;
	struct slot *v = calloc(cap, sizeof *v);
	if (!v)
		return AL_E_NOMEM;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t h = ckpt_get_u64(r), seq = ckpt_get_u64(r);
		if (!seq) {
			free(v);
			return al_errf(why, AL_E_PARSE, "keys section: key %" PRIu64 " has no seq", i);
		}
		put(v, cap, h, seq);
	}
	memcpy(ix->k, k, sizeof k);
	free(ix->v);
	ix->v = v;
	ix->cap = cap;
	ix->n = (size_t)n;
	return AL_OK;
}

size_t idem_count(const struct al_idem *ix)
{
	return ix->n;
}
