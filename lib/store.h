/* store.h: one alliance's durable state in a directory:
 *
 *   DIR/charter        the signed charter (SignedCharter)
 *   DIR/log            every admitted envelope, in arrival order
 *   DIR/equivocations  proofs: pairs of envelopes at one (author, seq)
 *
 * Everything enters through store_offer(), which runs feeds_check() and
 * appends what it accepts. Appends become durable at store_sync() (group
 * commit); acknowledge nothing before it. Opening replays the log into the
 * indexes and checks every chain link (signatures were checked on entry;
 * the audit re-checks them). The indexes: (author, seq) -> record (feeds)
 * and (author, idempotency key) -> seq (idem), for every author's
 * messages, ours and the peers' (so a message of ours that a peer gives
 * back after a restore is found by its key too).
 */
#ifndef AL_STORE_H
#define AL_STORE_H

#include "charter.h"
#include "feeds.h"
#include "idem.h"
#include "log.h"

struct al_store {
	struct al_charter *charter; /* owned; its members as the log amends them */
	char *dir;
	struct al_log *log;
	struct al_log *equivocations;
	struct al_feeds *feeds;
	struct al_idem *keys;             /* idempotency keys of what the log holds */
	uint64_t counts[AL_REASON_COUNT]; /* since open, by verdict */
	size_t n_proofs;                  /* equivocation proofs held */
	struct al_ref *proven;            /* (author, seq) of each proof */
};

/* Open the store in dir (created when create, with charter c written to
 * it; otherwise the charter is read from dir and c may be NULL).
 * recovery reports a torn tail that was cut. Returns 0, AL_E_CORRUPT
 * (why names file, record, offset), AL_E_CHARTER, AL_E_NOENT, AL_E_IO... */
int store_open(const char *dir, bool create, const struct al_charter *c,
	       struct al_log_recovery *recovery, struct al_store **out, char *why);

/* Offer an envelope received at time now. *reason says what happened;
 * when AL_ACCEPT it has been appended (not yet durable) and *id (may be
 * NULL) names it. An equivocation is kept as a proof, one per (author,
 * seq): the first conflicting envelope is proof enough (none when it holds
 * the held body under another signature: that is no proof). The return value is
 * 0 unless the store itself failed (AL_E_IO, AL_E_FSYNC, AL_E_FAILED:
 * stop). */
int store_offer(struct al_store *s, const uint8_t *buf, size_t len, int64_t now,
		enum al_reason *reason, struct al_ref *id, char *why);

/* Author a message: fill in b's feed fields (alliance, author, seq, prev,
 * timestamp = max(now, previous), frontier), seal it with id and append it.
 * The caller sets b->kind and its payload. Returns 0 with *out_id, or an
 * error (AL_E_REJECT with why when the store refuses it). */
int store_author(struct al_store *s, const struct al_identity *id, struct al_body *b,
		 int64_t now, struct al_ref *out_id, char *why);

/* The message by author whose idempotency key is key (non-empty), opened
 * into *out (the caller's: envelope_clear), the earliest when there are
 * several. Returns 0, AL_E_NOENT when author has none with that key (*out
 * zeroed), or an error reading the log. Appended counts, durable or not:
 * a reply naming it waits for store_sync like any other. */
int store_keyed(struct al_store *s, const al_key *author, const char *key,
		struct al_envelope *out, char *why);

/* Group commit: make every append durable. AL_E_FSYNC is fatal. */
int store_sync(struct al_store *s, char *why);

/* Read the envelope of (author, seq). Returns 0, AL_E_NOENT or a log error. */
int store_get(struct al_store *s, const al_key *author, uint64_t seq, uint8_t **buf,
	      size_t *len, char *why);

void store_close(struct al_store **s);

#endif
