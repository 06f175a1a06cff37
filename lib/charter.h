/* charter.h: the alliance's genesis document and its signatures.
 *
 * A charter lists the members (from their cards), the governance (who
 * resolves disputes, the amendment quorum) and the trust parameters. Its
 * serialized bytes are fixed when it is created; its hash (BLAKE2b-256 of
 * those bytes) is the alliance id. Each member signs
 * "alliance/charter/v1\0" || id. It is in force when every member has signed.
 * The charter file is a SignedCharter (proto/alliance.proto): the exact
 * charter bytes and the signatures; it is replaced atomically when signed.
 */
#ifndef AL_CHARTER_H
#define AL_CHARTER_H

#include "key.h"
#include "msg.h"

#define AL_CHARTER_MAX (1024 * 1024)
#define AL_NONCELEN 16
#define AL_MAX_DURATION (3650ULL * 86400) /* half-life, grace, skew: 10 years, in s */

struct al_charter_sig {
	al_key signer;
	uint8_t sig[AL_SIGLEN];
};

struct al_charter {
	uint32_t version;
	char *title;
	size_t n_objectives;
	char **objectives;
	char *scope;
	size_t n_members, cap_members; /* the founders; cap: room known (grow.h), 0 is safe */
	struct al_member *members;    /* (the members as amended: roster.h) */
	size_t n_resolvers;
	char **resolvers; /* member names */
	char *resolver_role;
	uint32_t quorum;
	struct al_params params;
	int64_t created; /* ms */
	uint8_t nonce[AL_NONCELEN];

	/* Fixed once built or loaded: */
	uint8_t *bytes; /* the exact serialized Charter */
	size_t len;
	al_hash id;     /* BLAKE2b-256 of bytes */
	size_t n_sigs, cap_sigs;
	struct al_charter_sig *sigs;
};

/* The parameters a new charter gets unless told otherwise (docs/trust.md). */
void charter_default_params(struct al_params *p);

/* Are these parameters sane (durations up to 10 years, weights in range)?
 * 0 or AL_E_CHARTER with why. */
int charter_check_params(const struct al_params *p, char *why);

/* Do a and b hold the same value for every parameter? */
bool charter_params_equal(const struct al_params *a, const struct al_params *b);

/* KEY=VALUE onto p (the trust parameters by name; half_life and grace in
 * seconds). 0 or AL_E_INVAL with why naming the key or value. */
int charter_set_param(struct al_params *p, const char *kv, char *why);

/* Check the fields of c (members unique by name and key, resolvers are
 * members, quorum in 1..members, parameters sane), then serialize them and
 * compute the id. c's fields stay the caller's; bytes are c's.
 * Returns 0, AL_E_CHARTER with why, or AL_E_NOMEM. */
int charter_build(struct al_charter *c, char *why);

/* Parse a charter file's bytes: check the fields as charter_build does and
 * verify every signature (a signature that does not verify, a signer who is
 * not a member, or a member who signed twice is AL_E_CHARTER, naming whom).
 * The caller owns *out (charter_destroy). */
int charter_parse(const uint8_t *buf, size_t len, struct al_charter **out, char *why);

/* charter_parse of a file. Returns also AL_E_NOENT / AL_E_IO. */
int charter_load(const char *path, struct al_charter **out, char *why);

/* Write the charter file: exclusively (new file) or replacing it. */
int charter_save(const struct al_charter *c, const char *path, bool exclusive, char *why);

/* Add id's signature. AL_E_CHARTER when id is not a member or already
 * signed (why names the member). */
int charter_sign(struct al_charter *c, const struct al_identity *id, char *why);

/* True when every founder has a valid signature (charter_parse verified them). */
bool charter_in_force(const struct al_charter *c);

/* True when the member has signed. */
bool charter_signed_by(const struct al_charter *c, const al_key *signer);

/* The founder with this signing key, or NULL. */
const struct al_member *charter_founder(const struct al_charter *c, const al_key *sign_key);

/* May these two cards belong to two members? NULL, or what they share:
 * "name" or "key" (either key of one is either key of the other). */
const char *charter_clash(const struct al_member *a, const struct al_member *b);

/* "acme, globex, initech": the names of members[0..count) but those skip
 * (may be NULL) says to skip, into buf of size n (for error messages):
 * whole names, ending in "..." when they do not all fit. Returns buf. */
char *charter_list_names(const struct al_member *members, size_t count,
			 bool (*skip)(const void *arg, size_t i), const void *arg, char *buf,
			 size_t n);

/* The founders' names, so listed. */
char *charter_founder_list(const struct al_charter *c, char *buf, size_t n);

/* The same, of the founders who have not signed. */
char *charter_unsigned_list(const struct al_charter *c, char *buf, size_t n);

/* A copy of c. */
int charter_copy(const struct al_charter *c, struct al_charter **out, char *why);

/* Free everything and null *c. */
void charter_destroy(struct al_charter **c);

#endif
