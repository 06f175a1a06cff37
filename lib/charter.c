/* charter.c: building, checking, signing and storing charters. */
#include "charter.h"

#include <errno.h>
#include "text.h"
#include "card.h"
#include "err.h"
#include "file.h"
#include "grow.h"
#include "hex.h"
#include "when.h"
#include "wire.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHARTER_CONTEXT "alliance/charter/v1"

void charter_default_params(struct al_params *p)
{
	memset(p, 0, sizeof *p);
	p->half_life = 90 * 86400; /* experience depreciates over a quarter */
	p->grace = 3 * 86400;
	p->skew = 300;
	p->w_on_time = 1000;
	p->w_late = 500;
	p->w_missed = 1000;
	p->w_disputed = 1000;
	p->w_rating = 250;
	p->warn_trust = 400;
	p->warn_uncertainty = 250;
	p->warn_misses = 2;
	p->warn_reciprocity = 250;
	p->value_unit = 1;
}

/* Free text must be valid UTF-8 (text.h). */
static int check_text(const char *what, const char *s, char *why)
{
	size_t bad;
	if (text_utf8(s, &bad))
		return AL_OK;
	return al_errf(why, AL_E_CHARTER, "the charter's %s is not valid UTF-8 (byte 0x%02x at "
		       "position %zu)", what, (unsigned char)s[bad], bad);
}

/* The checks shared by charter_build and charter_parse. */
static int check_fields(const struct al_charter *c, char *why)
{
	char err[AL_ERRLEN];
	int rc;
	if (c->version != AL_FORMAT_VERSION)
		return al_errf(why, AL_E_CHARTER, "charter format version %u is not supported "
			       "(this build reads version %d)", c->version, AL_FORMAT_VERSION);
	if (!c->title || !*c->title)
		return al_errf(why, AL_E_CHARTER, "the charter has no title (give --title)");
	if ((rc = check_text("title", c->title, why)) ||
	    (rc = check_text("scope", c->scope ? c->scope : "", why)) ||
	    (rc = check_text("resolver role", c->resolver_role ? c->resolver_role : "", why)))
		return rc;
	for (size_t i = 0; i < c->n_objectives; i++) {
		char what[32];
		snprintf(what, sizeof what, "objective %zu", i + 1);
		if ((rc = check_text(what, c->objectives[i], why)))
			return rc;
	}
	if (c->n_members < 2)
		return al_errf(why, AL_E_CHARTER,
			       "an alliance needs at least two members (give --member CARD for each)");
	for (size_t i = 0; i < c->n_members; i++) {
		const struct al_member *m = &c->members[i];
		if (card_check_name(m->name, err) || card_check_endpoint(m->endpoint, err))
			return al_errf(why, AL_E_CHARTER, "member %zu: %s", i + 1, err);
		/* Distinct keys for signing and encryption (DESIGN §3), as a card
		 * requires: a charter made elsewhere must not slip one past. */
		if (!memcmp(&m->sign_key, &m->transport_key, AL_KEYLEN))
			return al_errf(why, AL_E_CHARTER, "member '%s' has the same key for signing "
				       "and transport; they must differ", m->name);
		for (size_t j = 0; j < i; j++) {
			const char *shared = charter_clash(&c->members[j], m);
			if (shared && *shared == 'n')
				return al_errf(why, AL_E_CHARTER,
					       "member name '%s' appears twice", m->name);
			if (shared)
				return al_errf(why, AL_E_CHARTER, "members '%s' and '%s' share a key",
					       c->members[j].name, m->name);
		}
	}
	for (size_t i = 0; i < c->n_resolvers; i++) {
		char list[1024];
		bool found = false;
		for (size_t m = 0; m < c->n_members && !found; m++)
			found = !strcmp(c->members[m].name, c->resolvers[i]);
		if (!found)
			return al_errf(why, AL_E_CHARTER,
				       "resolver '%s' is not a member (members: %s)", c->resolvers[i],
				       charter_founder_list(c, list, sizeof list));
	}
	if (c->quorum < 1 || c->quorum > c->n_members)
		return al_errf(why, AL_E_CHARTER, "quorum %u must be between 1 and %zu members",
			       c->quorum, c->n_members);
	return charter_check_params(&c->params, why);
}

int charter_check_params(const struct al_params *p, char *why)
{
	/* Durations are added to millisecond times: bounding them keeps every
	 * sum far from overflow, and more than ten years is no one's intent. */
	static const struct { const char *name; size_t off; uint64_t min; } durs[] = {
		{ "half-life", offsetof(struct al_params, half_life), 1 },
		{ "grace", offsetof(struct al_params, grace), 0 },
		{ "skew", offsetof(struct al_params, skew), 0 },
	};
	for (size_t i = 0; i < sizeof durs / sizeof durs[0]; i++) {
		uint64_t v = *(const uint64_t *)((const char *)p + durs[i].off);
		char d[AL_WHENLEN];
		if (v < durs[i].min || v > AL_MAX_DURATION)
			return al_errf(why, AL_E_CHARTER, "the charter's %s of %s (%" PRIu64 " s) is "
				       "out of range: it must be %s 3650d (10 years)", durs[i].name,
				       duration_format(v, d), v,
				       durs[i].min ? "more than 0 and at most" : "at most");
	}
	if (p->value_unit == 0)
		return al_errf(why, AL_E_CHARTER, "the value unit must be positive");
	if (p->w_on_time > 10000 || p->w_late > 1000 || p->w_missed > 10000 ||
	    p->w_disputed > 10000 || p->w_rating > 10000 || p->warn_trust > 1000 ||
	    p->warn_uncertainty > 1000 || p->warn_reciprocity > 1000000)
		return al_errf(why, AL_E_CHARTER, "a trust weight or threshold is out of range "
			       "(w_late and the warn_trust, warn_uncertainty thresholds are per-mille, "
			       "at most 1000; other weights at most 10000)");
	return AL_OK;
}

int charter_build(struct al_charter *c, char *why)
{
	int rc = check_fields(c, why);
	if (rc)
		return rc;
	free(c->bytes);
	c->bytes = NULL;
	rc = wire_charter_pack(c, &c->bytes, &c->len);
	if (rc)
		return rc;
	key_hash(c->bytes, c->len, &c->id);
	return AL_OK;
}

static int verify_sigs(const struct al_charter *c, char *why)
{
	for (size_t i = 0; i < c->n_sigs; i++) {
		const struct al_charter_sig *s = &c->sigs[i];
		const struct al_member *m = charter_founder(c, &s->signer);
		char hex[2 * AL_KEYLEN + 1];
		if (!m)
			return al_errf(why, AL_E_CHARTER,
				       "signature %zu is by key %s, which is not a member", i + 1,
				       hex_encode(s->signer.b, AL_KEYLEN, hex));
		for (size_t j = 0; j < i; j++)
			if (!memcmp(&c->sigs[j].signer, &s->signer, AL_KEYLEN))
				return al_errf(why, AL_E_CHARTER, "'%s' signed twice", m->name);
		if (!key_verify(&s->signer, CHARTER_CONTEXT, c->id.b, AL_HASHLEN, s->sig))
			return al_errf(why, AL_E_CHARTER,
				       "the signature by '%s' does not verify: the charter was "
				       "changed after it was signed, or the signature is forged",
				       m->name);
	}
	return AL_OK;
}

int charter_parse(const uint8_t *buf, size_t len, struct al_charter **out, char *why)
{
	*out = NULL;
	struct al_charter *c = calloc(1, sizeof *c);
	if (!c)
		return AL_E_NOMEM;
	char err[AL_ERRLEN];
	int rc = wire_signed_charter_unpack(buf, len, c, err);
	if (rc == AL_OK)
		rc = wire_charter_unpack(c->bytes, c->len, c, err);
	if (rc) {
		if (rc == AL_E_PARSE)
			rc = al_errf(why, AL_E_CHARTER, "not a valid charter: %s", err);
		else
			al_errf(why, rc, "%s", err);
		goto out;
	}
	key_hash(c->bytes, c->len, &c->id);
	if ((rc = check_fields(c, why)) || (rc = verify_sigs(c, why)))
		goto out;
	*out = c;
	return AL_OK;
out:
	charter_destroy(&c);
	return rc;
}

int charter_load(const char *path, struct al_charter **out, char *why)
{
	uint8_t *buf;
	size_t len;
	*out = NULL;
	int rc = file_read(path, AL_CHARTER_MAX, &buf, &len, why);
	if (rc)
		return rc;
	char err[AL_ERRLEN];
	rc = charter_parse(buf, len, out, err);
	if (rc)
		al_errf(why, rc, "charter '%s': %s", path, err);
	free(buf);
	return rc;
}


int charter_copy(const struct al_charter *c, struct al_charter **out, char *why)
{
	uint8_t *buf;
	size_t len;
	*out = NULL;
	int rc = wire_signed_charter_pack(c, &buf, &len);
	if (rc)
		return rc;
	rc = charter_parse(buf, len, out, why);
	free(buf);
	return rc;
}

int charter_save(const struct al_charter *c, const char *path, bool exclusive, char *why)
{
	uint8_t *buf;
	size_t len;
	int rc = wire_signed_charter_pack(c, &buf, &len);
	if (rc)
		return rc;
	if (exclusive)
		rc = file_create(path, buf, len, 0644, why);
	else
		rc = file_replace(path, buf, len, 0644, why);
	free(buf);
	return rc;
}

int charter_sign(struct al_charter *c, const struct al_identity *id, char *why)
{
	const struct al_member *m = charter_founder(c, &id->sign_pk);
	if (!m) {
		char list[1024];
		return al_errf(why, AL_E_CHARTER,
			       "this home's signing key is not a member of charter '%s' (members: %s)",
			       c->title, charter_founder_list(c, list, sizeof list));
	}
	if (charter_signed_by(c, &id->sign_pk))
		return al_errf(why, AL_E_CHARTER, "'%s' has already signed charter '%s'", m->name,
			       c->title);
	if (grow(&c->sigs, &c->cap_sigs, c->n_sigs + 1, sizeof *c->sigs))
		return AL_E_NOMEM;
	struct al_charter_sig *s = &c->sigs[c->n_sigs];
	s->signer = id->sign_pk;
	int rc = key_sign(id, CHARTER_CONTEXT, c->id.b, AL_HASHLEN, s->sig);
	if (rc)
		return rc;
	c->n_sigs++;
	return AL_OK;
}

bool charter_signed_by(const struct al_charter *c, const al_key *signer)
{
	for (size_t i = 0; i < c->n_sigs; i++)
		if (!memcmp(&c->sigs[i].signer, signer, AL_KEYLEN))
			return true;
	return false;
}

bool charter_in_force(const struct al_charter *c)
{
	for (size_t i = 0; i < c->n_members; i++)
		if (!charter_signed_by(c, &c->members[i].sign_key))
			return false;
	return true;
}

const struct al_member *charter_founder(const struct al_charter *c, const al_key *k)
{
	for (size_t i = 0; i < c->n_members; i++)
		if (!memcmp(&c->members[i].sign_key, k, AL_KEYLEN))
			return &c->members[i];
	return NULL;
}

const char *charter_clash(const struct al_member *a, const struct al_member *b)
{
	if (!strcmp(a->name, b->name))
		return "name";
	if (!memcmp(&a->sign_key, &b->sign_key, AL_KEYLEN) ||
	    !memcmp(&a->transport_key, &b->transport_key, AL_KEYLEN) ||
	    !memcmp(&a->sign_key, &b->transport_key, AL_KEYLEN) ||
	    !memcmp(&a->transport_key, &b->sign_key, AL_KEYLEN))
		return "key";
	return NULL;
}

char *charter_list_names(const struct al_member *members, size_t count,
			 bool (*skip)(const void *arg, size_t i), const void *arg, char *buf,
			 size_t n)
{
	/* A charter may list many members with long names. */
	size_t used = 0, room = n > 6 ? n - 6 : 0; /* keeps room for ", ..." and the NUL */
	buf[0] = '\0';
	for (size_t i = 0; i < count; i++) {
		const struct al_member *m = &members[i];
		if (skip && skip(arg, i))
			continue;
		const char *sep = used ? ", " : "";
		size_t k = strlen(sep) + strlen(m->name);
		if (used + k > room) {
			snprintf(buf + used, n - used, "%s...", sep);
			break;
		}
		snprintf(buf + used, n - used, "%s%s", sep, m->name);
		used += k;
	}
	return buf;
}

char *charter_founder_list(const struct al_charter *c, char *buf, size_t n)
{
	return charter_list_names(c->members, c->n_members, NULL, NULL, buf, n);
}

static bool has_signed(const void *arg, size_t i)
{
	const struct al_charter *c = arg;
	return charter_signed_by(c, &c->members[i].sign_key);
}

char *charter_unsigned_list(const struct al_charter *c, char *buf, size_t n)
{
	return charter_list_names(c->members, c->n_members, has_signed, c, buf, n);
}

void charter_destroy(struct al_charter **cp)
{
	struct al_charter *c = *cp;
	if (!c)
		return;
	free(c->title);
	free(c->scope);
	free(c->resolver_role);
	for (size_t i = 0; i < c->n_objectives; i++)
		free(c->objectives[i]);
	free(c->objectives);
	for (size_t i = 0; i < c->n_resolvers; i++)
		free(c->resolvers[i]);
	free(c->resolvers);
	free(c->members);
	free(c->bytes);
	free(c->sigs);
	free(c);
	*cp = NULL;
}

bool charter_params_equal(const struct al_params *a, const struct al_params *b)
{
	/* Field by field: the struct has padding, which memcmp would read. */
	return a->half_life == b->half_life && a->grace == b->grace && a->skew == b->skew &&
	       a->w_on_time == b->w_on_time && a->w_late == b->w_late &&
	       a->w_missed == b->w_missed && a->w_disputed == b->w_disputed &&
	       a->w_rating == b->w_rating && a->warn_trust == b->warn_trust &&
	       a->warn_uncertainty == b->warn_uncertainty && a->warn_misses == b->warn_misses &&
	       a->warn_reciprocity == b->warn_reciprocity && a->value_unit == b->value_unit;
}

int charter_set_param(struct al_params *p, const char *kv, char *why)
{
	static const struct { const char *key; size_t off; int is64; } keys[] = {
#define K32(f) { #f, offsetof(struct al_params, f), 0 }
#define K64(f) { #f, offsetof(struct al_params, f), 1 }
		K32(w_on_time), K32(w_late), K32(w_missed), K32(w_disputed), K32(w_rating),
		K32(warn_trust), K32(warn_uncertainty), K32(warn_misses), K32(warn_reciprocity),
		K64(value_unit), K64(half_life), K64(grace),
#undef K32
#undef K64
	};
	const char *eq = strchr(kv, '=');
	for (size_t i = 0; eq && i < sizeof keys / sizeof keys[0]; i++) {
		if (strlen(keys[i].key) != (size_t)(eq - kv) || strncmp(kv, keys[i].key, (size_t)(eq - kv)))
			continue;
		uint64_t v;
		if (!text_uint(eq + 1, keys[i].is64 ? UINT64_MAX : UINT32_MAX, &v))
			return al_errf(why, AL_E_INVAL, "bad value in --param '%s' (a whole number "
				       "from 0 to %" PRIu64 ", digits only)", kv,
				       keys[i].is64 ? UINT64_MAX : (uint64_t)UINT32_MAX);
		if (keys[i].is64)
			*(uint64_t *)((char *)p + keys[i].off) = v;
		else
			*(uint32_t *)((char *)p + keys[i].off) = (uint32_t)v;
		return AL_OK;
	}
	return al_errf(why, AL_E_INVAL, "unknown --param '%s' (keys: w_on_time, w_late, w_missed, "
		       "w_disputed, w_rating, warn_trust, warn_uncertainty, warn_misses, "
		       "warn_reciprocity, value_unit, half_life and grace in seconds)", kv);
}
