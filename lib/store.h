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
 *
 *   DIR/checkpoint     the indexes as they stood after the log's first
 *                      records (checkpoint.h): opening loads it, checks it
 *                      against the log and replays only what follows;
 *                      anything wrong with it is a warning (ckpt.warning)
 *                      and a full replay.
 */
#ifndef AL_STORE_H
#define AL_STORE_H

#include "charter.h"
#include "checkpoint.h"
#include "feeds.h"
#include "idem.h"
#include "ledger.h"
#include "log.h"
#include "roster.h"

struct al_store {
	struct al_charter *charter; /* owned: the signed genesis document */
	struct al_roster *roster;   /* owned: the members as the log amends them (store_roster) */
	char *dir;
	struct al_log *log;
	struct al_log *equivocations;
	struct al_feeds *feeds;
	struct al_idem *keys;             /* idempotency keys of what the log holds */
	struct al_ledger *ledger;         /* what the messages mean, applied as they are
					   * admitted (NULL: to be rebuilt: store_ledger) */
	uint64_t ledger_rebuilds;         /* full rebuilds since open (membership changes) */
	uint64_t counts[AL_REASON_COUNT]; /* since open, by verdict */
	size_t n_proofs, cap_proofs;      /* equivocation proofs held */
	struct al_ref *proven;            /* (author, seq) of each proof */
	struct al_ckpt_status ckpt;       /* the checkpoint at open, and written since */
	struct al_ckpt_scan *ckpt_scan;   /* while opening: what to check (checkpoint.c) */
};

/* Open the store in dir (created when create, with charter c written to
 * it; otherwise the charter is read from dir and c may be NULL).
 * recovery reports a torn tail that was cut. Returns 0, AL_E_CORRUPT
 * (why names file, record, offset), AL_E_CHARTER, AL_E_NOENT, AL_E_IO... */
int store_open(const char *dir, bool create, const struct al_charter *c,
	       struct al_log_recovery *recovery, struct al_store **out, char *why);

/* The members of s's alliance as its log has amended them (roster.h),
 * lent: it lives as long as s, and changes as s admits amendments. */
static inline struct al_roster *store_roster(const struct al_store *s)
{
	return s->roster;
}

/* Offer an envelope received at time now. *reason says what happened;
 * when AL_ACCEPT it has been appended (not yet durable) and *id (may be
 * NULL) names it, as it does for AL_R_EQUIVOCATION and AL_R_PREV (signed by
 * its author, against the chain held of its feed: a fork). An equivocation is kept as a proof, one per (author,
 * seq): the first conflicting envelope is proof enough (none when it holds
 * the held body under another signature: that is no proof). The return value is
 * 0 unless the store itself failed (AL_E_IO, AL_E_FSYNC, AL_E_FAILED:
 * stop; AL_E_NOSPC: the disk is full, nothing was appended, the store is
 * as before and usable). */
int store_offer(struct al_store *s, const uint8_t *buf, size_t len, int64_t now,
		enum al_reason *reason, struct al_ref *id, char *why);

/* store_offer of an item verify_batch opened and verified (its signature
 * is not checked again): the same verdicts, texts and counts. Clears
 * it->env, whatever the verdict. */
int store_offer_item(struct al_store *s, struct al_verify_item *it, int64_t now,
		     enum al_reason *reason, struct al_ref *id, char *why);

/* Author a message: fill in b's feed fields (alliance, author, seq, prev,
 * timestamp = max(now, previous), frontier), seal it with id and append it.
 * The caller sets b->kind and its payload. Returns 0 with *out_id, or an
 * error (AL_E_REJECT with why when the store refuses it; AL_E_NOSPC when
 * the disk is full: nothing was appended, and what was signed is dropped,
 * never sent, so the next message authored takes the same seq). Signs
 * once and verifies nothing: the seal is known good. */
int store_author(struct al_store *s, const struct al_identity *id, struct al_body *b,
		 int64_t now, struct al_ref *out_id, char *why);

/* A point to go back to: the log's end and one author's head there. */
struct al_store_mark {
	uint64_t log_size, log_records;
	al_key author;
	uint64_t head;
	struct al_feed_entry last; /* its head then, whole (when head > 0) */
};

/* Remember where s stands now, before author authors. */
void store_mark(const struct al_store *s, const al_key *author, struct al_store_mark *m);

/* Take back everything appended since m (not yet synced), which must be
 * m's author's own messages that change no membership (commitments, say:
 * the daemon authors several for one request, all or none). The log ends
 * again where it did, the author's head is m's, the next message authored
 * takes the sequence number the first taken back had. Returns 0, AL_E_INVAL
 * (something else was appended since, or was synced) or AL_E_FAILED. */
int store_rollback(struct al_store *s, const struct al_store_mark *m, char *why);

/* The message by author whose idempotency key is key (non-empty), opened
 * into *out (the caller's: envelope_clear), the earliest when there are
 * several. Returns 0, AL_E_NOENT when author has none with that key (*out
 * zeroed), or an error reading the log. Appended counts, durable or not:
 * a reply naming it waits for store_sync like any other. */
int store_keyed(struct al_store *s, const al_key *author, const char *key,
		struct al_envelope *out, char *why);

/* The ledger of everything s holds (ledger.h), kept up to date as each
 * message is admitted: the caller borrows it until the next call into s.
 * Rebuilt from the log (every record, in log order) only when it had to
 * be dropped: the membership changed (LEDGER_REBUILD), appends were taken
 * back (store_rollback), or the checkpoint it was opened from did not
 * hold it. Returns 0 or an error reading the log (with why). */
int store_ledger(struct al_store *s, struct al_ledger **out, char *why);

/* This home's member in s's roster (roster_candidate): its index, added
 * as a candidate when the roster does not hold it yet (a newcomer waiting
 * for the amendment that adds it; the ledger is then rebuilt when asked).
 * -1 when out of memory. */
long store_candidate(struct al_store *s, const struct al_member *self);

/* For tests and ALLIANCE_LEDGER_CHECK: is s's ledger identical to a full
 * replay of its log? 0, or AL_E_CORRUPT with why naming the difference. */
int store_ledger_check(struct al_store *s, char *why);

/* Group commit: make every append durable. AL_E_FSYNC is fatal. */
int store_sync(struct al_store *s, char *why);

/* Read the envelope of (author, seq). Returns 0, AL_E_NOENT or a log error. */
int store_get(struct al_store *s, const al_key *author, uint64_t seq, uint8_t **buf,
	      size_t *len, char *why);

void store_close(struct al_store **s);

#endif
