/* msg.h: the project's own structs for what travels and what is signed.
 *
 * lib/wire.c converts between these and the protobuf-c types generated from
 * proto/alliance.proto; nothing else sees the generated code. Strings here
 * are owned, NUL-terminated and never NULL after wire_*_unpack (empty ""
 * for an absent field); arrays are owned. msg_body_clear() frees them.
 */
#ifndef AL_MSG_H
#define AL_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AL_KEYLEN 32
#define AL_HASHLEN 32
#define AL_SIGLEN 64
#define AL_NAME_MAX 32
#define AL_ENDPOINT_MAX 256
#define AL_FORMAT_VERSION 1
/* An idempotency key (a retry token, not a secret) is 1 to this many
 * characters of [A-Za-z0-9._:-]. */
#define AL_IDEMPOTENCY_KEY_MAX 64
/* Largest envelope a daemon accepts or stores (docs/protocol.md). */
#define AL_MAX_ENVELOPE (64 * 1024)

typedef struct { uint8_t b[AL_KEYLEN]; } al_key;    /* a public key */
typedef struct { uint8_t b[AL_HASHLEN]; } al_hash;  /* BLAKE2b-256 */

/* A message id: author and sequence number; seq 0 means "none". */
struct al_ref {
	al_key author;
	uint64_t seq;
};

struct al_frontier_entry {
	al_key author;
	uint64_t seq;
	al_hash hash; /* zero when seq == 0 */
};

enum al_kind {
	AL_KIND_NONE = 0,
	AL_KIND_TASK,
	AL_KIND_COMMITMENT,
	AL_KIND_RESPONSE,
	AL_KIND_DELIVERY,
	AL_KIND_VERDICT,
	AL_KIND_RELEASE,
	AL_KIND_FEEDBACK,
	AL_KIND_ESCALATION,
	AL_KIND_RESOLUTION,
	AL_KIND_RECEIPT,
	AL_KIND_AMENDMENT,
	AL_KIND_COUNT
};

struct al_member {
	char name[AL_NAME_MAX + 1];
	al_key sign_key;
	al_key transport_key;
	char endpoint[AL_ENDPOINT_MAX];
};

/* Trust and timing parameters of a charter (proto TrustParams). */
struct al_params {
	uint64_t half_life; /* s */
	uint64_t grace;     /* s */
	uint64_t skew;      /* s */
	uint32_t w_on_time, w_late, w_missed, w_disputed, w_rating; /* per-mille */
	uint32_t warn_trust, warn_uncertainty;                      /* per-mille */
	uint32_t warn_misses;
	uint32_t warn_reciprocity;                                  /* per-mille */
	uint64_t value_unit;
};

struct al_task {
	char *title;
	al_key owner;
	int64_t due;
	size_t n_depends;
	struct al_ref *depends;
	char *deliverable;
};

struct al_commitment {
	char *what;
	size_t n_to;
	al_key *to;
	int64_t due;
	uint64_t value;
	struct al_ref task;
};

enum al_answer { AL_ANSWER_NONE, AL_ANSWER_ACCEPT, AL_ANSWER_DECLINE, AL_ANSWER_COUNTER };

struct al_response {
	struct al_ref commitment;
	enum al_answer answer;
	char *reason;
	int64_t counter_due;
	uint64_t counter_value;
};

struct al_delivery {
	struct al_ref commitment;
	bool has_evidence;
	al_hash evidence_hash;
	char *evidence_ref;
	char *note;
};

enum al_outcome { AL_OUTCOME_NONE, AL_OUTCOME_CONFIRM, AL_OUTCOME_DISPUTE };

struct al_verdict {
	struct al_ref commitment;
	enum al_outcome outcome;
	uint32_t quality, timeliness;
	char *comment;
};

struct al_release {
	struct al_ref commitment;
	char *reason;
};

struct al_feedback {
	al_key about;
	uint32_t rating;
	char *comment;
};

struct al_escalation {
	struct al_ref subject;
	char *reason;
};

enum al_ruling { AL_RULING_NONE, AL_RULING_UPHOLD, AL_RULING_REJECT };

struct al_resolution {
	struct al_ref subject;
	enum al_ruling ruling;
	char *comment;
};

struct al_amendment {
	struct al_ref approves;
	bool has_add;
	struct al_member add;
	bool has_remove;
	al_key remove;
	bool has_params;
	struct al_params params;
	char *reason;
	char *endpoint;          /* "" or the author's new endpoint */
	bool has_replace;
	struct al_member replace; /* a member's new card (same name, new keys) */
	al_key replaces;          /* the signing key it replaces, */
	uint64_t replaces_upto;   /* whose feed ends here: its later messages are void */
};

/* A message body: the feed fields and one payload chosen by kind. */
struct al_body {
	uint32_t version;
	al_hash alliance;
	al_key author;
	uint64_t seq;
	bool has_prev;
	al_hash prev;
	int64_t timestamp; /* ms */
	size_t n_frontier;
	struct al_frontier_entry *frontier;
	enum al_kind kind;
	char *key; /* idempotency key, "" for none (owned after unpack) */
	union {
		struct al_task task;
		struct al_commitment commitment;
		struct al_response response;
		struct al_delivery delivery;
		struct al_verdict verdict;
		struct al_release release;
		struct al_feedback feedback;
		struct al_escalation escalation;
		struct al_resolution resolution;
		struct al_amendment amendment;
	} u;
};

/* Free everything a body owns and zero it. Safe on a zeroed body. */
void msg_body_clear(struct al_body *b);

/* Is key a valid idempotency key (1 to AL_IDEMPOTENCY_KEY_MAX characters
 * of [A-Za-z0-9._:-])? Returns 0 or AL_E_INVAL with why naming the key
 * and the rule. */
int msg_check_idempotency_key(const char *key, char *why);

/* "task", "commitment", ...; "unknown" for anything else. */
const char *msg_kind_name(enum al_kind kind);

#endif
