/* feeds.h: every author's feed as held here, and the one validation rule.
 *
 * The index maps (author, seq) to the record's log offset, envelope hash and
 * timestamp; it is rebuilt by replaying the log. feeds_check() is the single
 * function that decides whether an envelope may enter a log: the daemon,
 * the store and the audit all call it, so they reject for the same reasons.
 */
#ifndef AL_FEEDS_H
#define AL_FEEDS_H

#include "roster.h"
#include "envelope.h"
#include "msg.h"
#include "verify.h"

struct al_feed_entry {
	uint64_t index;    /* its record's ordinal in the log */
	uint64_t offset;   /* of its record in the log */
	al_hash hash;      /* of the envelope */
	int64_t timestamp; /* ms */
	enum al_kind kind;
};

/* Why an envelope was or was not admitted. */
enum al_reason {
	AL_ACCEPT = 0,     /* next in its author's chain: append it */
	AL_DUPLICATE,      /* identical to one held: ignore (idempotent) */
	AL_R_OVERSIZE,     /* larger than AL_MAX_ENVELOPE */
	AL_R_MALFORMED,    /* not a well-formed envelope and body */
	AL_R_VERSION,      /* unknown format version */
	AL_R_ALLIANCE,     /* signed for another alliance */
	AL_R_AUTHOR,       /* author is not a member */
	AL_R_SIGNATURE,    /* signature does not verify over the stored bytes */
	AL_R_FRONTIER,     /* frontier names a feed twice */
	AL_R_AHEAD,        /* sequence gap: predecessors are missing */
	AL_R_PREV,         /* previous hash does not match the held chain */
	AL_R_EQUIVOCATION, /* a different envelope holds this (author, seq) */
	AL_R_FUTURE,       /* timestamp beyond the charter's skew window */
	AL_R_BACKWARDS,    /* timestamp before the author's previous message */
	AL_REASON_COUNT
};

/* Short stable tag ("bad-signature") for counters and JSON. */
const char *feeds_reason_tag(enum al_reason r);

struct al_feeds;

int feeds_new(struct al_feeds **out);
void feeds_destroy(struct al_feeds **f);

/* Last sequence number held of author's feed (0 when none); *last (may be
 * NULL) points at its entry, valid until the next feeds_add. */
uint64_t feeds_head(const struct al_feeds *f, const al_key *author,
		    const struct al_feed_entry **last);

/* The entry at (author, seq), or NULL. */
const struct al_feed_entry *feeds_get(const struct al_feeds *f, const al_key *author,
				      uint64_t seq);

/* Record (author, seq) at the head of its feed: seq must be head + 1.
 * Returns 0, AL_E_INVAL or AL_E_NOMEM. */
int feeds_add(struct al_feeds *f, const al_key *author, uint64_t seq,
	      const struct al_feed_entry *e);

/* Forget author's entries after seq (its head becomes seq), for appends
 * taken back (store_rollback). Returns 0, or AL_E_INVAL when the feed holds
 * less than seq. */
int feeds_truncate(struct al_feeds *f, const al_key *author, uint64_t seq);

/* The frontier: every feed held, in a stable order (by author key). The
 * caller frees *out. Returns the number of entries (or -1, out of memory). */
long feeds_frontier(const struct al_feeds *f, struct al_frontier_entry **out);

/* Total records indexed. */
uint64_t feeds_count(const struct al_feeds *f);

struct al_ckpt_writer;
struct al_ckpt_reader;

/* The index as a checkpoint section (checkpoint.h, docs/log-format.md):
 * u32 feeds, then per feed its author, u64 n and n entries of u64 index,
 * u64 offset, hash, i64 timestamp, u32 kind. Returns 0 or the writer's
 * error. */
int feeds_save(const struct al_feeds *f, struct al_ckpt_writer *w);

/* Read such a section into the empty index f, as the first records
 * records (size bytes) of a log index them: every entry's record inside
 * them, feeds distinct, records entries in all. Returns 0, AL_E_PARSE
 * with why, or AL_E_NOMEM. */
int feeds_load(struct al_feeds *f, struct al_ckpt_reader *r, uint64_t records,
	       uint64_t size, char *why);

/* 0 when a and b index the same entries in the same order, otherwise
 * AL_E_INVAL with why naming the first difference. */
int feeds_compare(const struct al_feeds *a, const struct al_feeds *b, char *why);

/* Call fn for every entry, feed by feed (for the checkpoint's scan plan);
 * a non-zero return stops and is returned. */
int feeds_each(const struct al_feeds *f,
	       int (*fn)(void *arg, const al_key *author, uint64_t seq,
			 const struct al_feed_entry *e),
	       void *arg);

/* Decide whether buf may enter the log of roster ro's alliance whose feeds are f, at
 * receiver time now (ms). Opens buf into *env when it parses (the caller
 * then clears it, whatever the verdict). why describes any rejection in a
 * sentence that names the message (author/seq) when it is known. */
enum al_reason feeds_check(const struct al_roster *ro, const struct al_feeds *f,
			   const uint8_t *buf, size_t len, int64_t now,
			   struct al_envelope *env, char *why);

/* feeds_check of an envelope already opened (envelope_open): the same
 * checks in the same order, with the same reasons and texts; the signature
 * is verified unless env->sig already says (a verify pool's verdict on
 * these very bytes, or envelope_seal's), and the verdict is kept in env. */
enum al_reason feeds_check_opened(const struct al_roster *ro, const struct al_feeds *f,
				  struct al_envelope *env, int64_t now, char *why);

/* feeds_check of an item verify_batch opened and verified: exactly what
 * feeds_check(it->buf, it->len) decides, without checking the signature
 * again. it->env is the caller's to clear, whatever the verdict. */
enum al_reason feeds_check_item(const struct al_roster *ro, const struct al_feeds *f,
				struct al_verify_item *it, int64_t now, char *why);

#endif
