/* feeds.h: every author's feed as held here, and the one validation rule.
 *
 * The index maps (author, seq) to the record's log offset; it is rebuilt by
 * replaying the log. feeds_check() is the single function that decides
 * whether an envelope may enter a log: the daemon, the store and the audit
 * all call it, so they reject for the same reasons.
 *
 * Memory: 8 bytes a message (its record's offset, its kind and the first
 * 2 bytes of its envelope's hash), in blocks of FEEDS_BLOCK; each feed's
 * head is kept whole (struct al_feed_entry: its full hash, which the next
 * message's prev must match, and its timestamp). Where the full hash of an
 * older message is needed, the stored prefix decides when it differs, and
 * a match is confirmed from the log (feeds_reader): never a verdict on a
 * prefix alone, which a member could grind two messages to share. A log
 * the index can address is at most 1 TiB (feeds_add refuses an offset
 * beyond).
 */
#ifndef AL_FEEDS_H
#define AL_FEEDS_H

#include "roster.h"
#include "envelope.h"
#include "msg.h"
#include "verify.h"

/* Bytes of an envelope's hash kept for every message; entries per block. */
#define FEEDS_PREFIX 2
#define FEEDS_BLOCK 4096
/* The largest log offset an entry can hold: a log of 1 TiB. */
#define FEEDS_MAX_OFFSET ((uint64_t)1 << 40)

/* A feed's head as held (feeds_head), and what feeds_add is given. */
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
	AL_R_UNREADABLE,   /* one is held at this (author, seq) whose bytes could not be
			    * read to compare: neither a duplicate nor an equivocation */
	AL_REASON_COUNT
};

/* Short stable tag ("bad-signature") for counters and JSON. */
const char *feeds_reason_tag(enum al_reason r);

struct al_feeds;

int feeds_new(struct al_feeds **out);
void feeds_destroy(struct al_feeds **f);

/* How the index reads a record it holds, to confirm a full hash: the
 * record whose frame is at offset, in a new buffer (the caller frees), as
 * log_read does. Returns 0 or an error with why. */
typedef int (*feeds_read_fn)(void *arg, uint64_t offset, uint8_t **buf, size_t *len,
			     char *why);

/* Give f its log's reader (the store's log, the audit's file). Without one
 * an older message's full hash is unknown: feeds_holds says so (an error),
 * and feeds_check then never calls such a message a duplicate. */
void feeds_reader(struct al_feeds *f, feeds_read_fn read, void *arg);

/* Last sequence number held of author's feed (0 when none); *last (may be
 * NULL) points at its entry, whole, valid until the next feeds_add or
 * feeds_truncate. */
uint64_t feeds_head(const struct al_feeds *f, const al_key *author,
		    const struct al_feed_entry **last);

/* Where (author, seq) is held: its record's offset in the log, with its
 * kind in *kind (may be NULL); 0 when it is not held (no record starts at
 * offset 0). */
uint64_t feeds_offset(const struct al_feeds *f, const al_key *author, uint64_t seq,
		      enum al_kind *kind);

/* Is the message held at (author, seq) the envelope whose hash is h? 1 it
 * is, 0 it is not (another is held, or none), or an error reading the log
 * (why says) when only the log could tell: a stored prefix that matches is
 * confirmed from the head's full hash or from the record, read and hashed. */
int feeds_holds(const struct al_feeds *f, const al_key *author, uint64_t seq, const al_hash *h,
		char *why);

/* The body of the message held at (author, seq), read through the
 * index's reader and parsed (envelope_body: nothing checked again), into
 * *out (the caller's: msg_body_clear). An al_msgs body function
 * (query.h) whose arg is the index. 0, AL_E_NOENT (not held), or what the
 * reader or the parse returned, with why. */
int feeds_body(void *index, const al_key *author, uint64_t seq, struct al_body *out,
	       char *why);

/* feeds_holds by the stored prefix alone: false when (author, seq) is
 * certainly not held as h, true when it may be. Only for hints (a
 * verify_skip_fn: the verdict is feeds_check's); reads nothing, so it may
 * run on other threads while f does not change. */
bool feeds_may_hold(const struct al_feeds *f, const al_key *author, uint64_t seq,
		    const al_hash *h);

/* The first sequence number up to upto (which both a and b hold of
 * author's feed) at which they hold different messages, in *seq (0 when
 * none). Each feed is a hash chain (feeds_check held every prev to the
 * full hash), so the same message at one seq means the same before it:
 * it takes the prefixes and one or two full hashes, more only when
 * prefixes collide. Returns 0 or an error reading a log (why says). */
int feeds_diverge(const struct al_feeds *a, const struct al_feeds *b, const al_key *author,
		  uint64_t upto, uint64_t *seq, char *why);

/* Record (author, seq) at the head of its feed: seq must be head + 1 and
 * e->offset below FEEDS_MAX_OFFSET. Returns 0, AL_E_INVAL or AL_E_NOMEM. */
int feeds_add(struct al_feeds *f, const al_key *author, uint64_t seq,
	      const struct al_feed_entry *e);

/* Forget author's entries after seq (its head becomes seq), for appends
 * taken back (store_rollback). head is the entry at seq, whole, as
 * feeds_head gave it then (NULL when seq is 0): the index keeps no older
 * entry whole. Returns 0, or AL_E_INVAL when the feed holds less than seq
 * or head is not what it holds at seq. */
int feeds_truncate(struct al_feeds *f, const al_key *author, uint64_t seq,
		   const struct al_feed_entry *head);

/* The frontier: every feed held, in a stable order (by author key). The
 * caller frees *out. Returns the number of entries (or -1, out of memory). */
long feeds_frontier(const struct al_feeds *f, struct al_frontier_entry **out);

/* Total records indexed. */
uint64_t feeds_count(const struct al_feeds *f);

/* Bytes the index has allocated (for status and the memory goal): about
 * 8 a message, plus FEEDS_BLOCK * 8 at most per feed. */
uint64_t feeds_bytes(const struct al_feeds *f);

struct al_ckpt_writer;
struct al_ckpt_reader;

/* The index as a checkpoint section (checkpoint.h, docs/log-format.md):
 * u32 feeds, then per feed its author, u64 n, n - 1 entries of u64
 * offset << 24 | kind << 16 | the hash's first 2 bytes (byte 0 low), and the head
 * whole: u64 index, u64 offset, hash, i64 timestamp, u32 kind. Returns 0
 * or the writer's error. */
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

/* Call fn for every entry, feed by feed (for the checkpoint's scan plan),
 * with its record's offset and kind, the first FEEDS_PREFIX bytes of its
 * hash, and head (the entry whole) when seq is its feed's head, NULL
 * otherwise; a non-zero return stops and is returned. */
int feeds_each(const struct al_feeds *f,
	       int (*fn)(void *arg, const al_key *author, uint64_t seq, uint64_t offset,
			 enum al_kind kind, const uint8_t *prefix,
			 const struct al_feed_entry *head),
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
