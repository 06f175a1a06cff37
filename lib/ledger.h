/* ledger.h: what the messages mean: the state of every commitment.
 *
 * The ledger is a pure function of the set of messages and an evaluation
 * time. Logs of different members hold the same messages in different
 * arrival orders, so messages are applied in one canonical order that
 * respects causality: an author's messages in sequence, and a message
 * after everything its signed frontier says its author had seen; among
 * the messages ready at a step, the earliest (timestamp, author key).
 * Every member, and an auditor, thus computes the same ledger.
 *
 * A signed, in-chain message that breaks the rules (a delivery by someone
 * other than the promisor, an answer from a non-beneficiary, a verdict on
 * something not delivered) stays in the log, changes nothing, and counts
 * as a violation by its author.
 */
#ifndef AL_LEDGER_H
#define AL_LEDGER_H

#include "envelope.h"
#include "err.h"
#include "roster.h"

enum al_cstate {
	AL_C_PROPOSED,
	AL_C_ACCEPTED,
	AL_C_DECLINED,
	AL_C_DELIVERED,
	AL_C_CONFIRMED,
	AL_C_DISPUTED,
	AL_C_RESOLVED,
	AL_C_RELEASED,
	AL_C_OVERDUE, /* only as evaluated at a time */
	AL_C_MISSED,  /* only as evaluated at a time */
	AL_C_COUNT
};

/* A message of the ledger's charter, by the index of its author's keys
 * (roster_index) and its seq: 12 bytes where an al_ref takes 40
 * (ledger_ref gives the al_ref). seq 0: none. Packed to 4-byte alignment
 * (4 of them in a commitment: 16 bytes less each than padded to 8). */
struct al_mref {
	uint64_t seq;
	uint32_t member;
} __attribute__((packed, aligned(4)));

/* A set of members (by index): the bits inline while the ledger has at
 * most 64 members, words allocated apart beyond (ledger_has). */
union al_mset {
	uint64_t bits;
	uint64_t *words;
};

/* What the rules need of a commitment. Its text and its beneficiaries in
 * the order it names them stay in its message (the log), read when it is
 * shown (query.h). 152 bytes (the scorecard's answer and verdict facts
 * included: proposed_at, answered_at, answered_by, judged_by). */
struct al_cstatus {
	struct al_mref id;    /* the commitment message */
	struct al_mref task;  /* its task, seq 0 if none */
	struct al_mref delivery; /* the message, seq 0 if none */
	struct al_mref changed; /* the last message that moved it (the commitment at first):
				 * an answer whose author had not seen it is a race, no
				 * one's fault, and changes nothing */
	uint32_t promisor;    /* member index (its party: roster_party) */
	uint32_t answered_by; /* the party that accepted or declined it (answered_at set) */
	int64_t due;          /* ms */
	uint64_t value;
	int64_t delivered_at; /* ms, 0 if never: the delivery's own timestamp */
	int64_t acked_at;     /* first signed message of another member that had seen
			       * the delivery (ms), 0 if none yet */
	int64_t verdict_at;   /* ms of the confirmation or dispute, 0 if none */
	int64_t resolved_at;
	int64_t proposed_at;  /* ms: the commitment message's timestamp */
	int64_t answered_at;  /* ms of the accept or decline that moved it, 0 if none */
	union al_mset to;     /* the beneficiaries (parties) */
	union al_mset released; /* the members (parties) that released it */
	uint32_t judged_by;   /* the party that confirmed or disputed it (verdict_at set) */
	uint8_t state;        /* enum al_cstate, as the messages left it, before time */
	uint8_t quality, timeliness; /* the confirmation's ratings, 1..5 */
	uint8_t ruling;       /* enum al_ruling, resolved: the dispute upheld or rejected */
	bool accepted;        /* a beneficiary accepted it */
	bool escalated;       /* a dispute taken to the charter's resolver */
};

/* A proposed amendment: new trust parameters, a member to add or one to
 * remove. In effect once the charter's quorum of members has signed it or
 * approved it, each while a member. */
struct al_proposal {
	struct al_ref id;
	enum { AL_AMEND_PARAMS, AL_AMEND_ADD, AL_AMEND_REMOVE, AL_AMEND_REPLACE } change;
	struct al_params params;
	struct al_member card; /* add, replace: the card; remove: sign_key is the member's */
	long member;      /* add, remove, replace: its member index (-1: none here) */
	long old;         /* replace: the index of the keys it replaces (-1: none here) */
	struct al_ref enacted_by; /* the message that brought it into effect */
	bool *approved;   /* per member (party) */
	size_t approvals;
	int64_t effective_at; /* 0 until the quorum */
};

/* A task: programming, with an accountable owner (what the rules need of
 * it; its title and due time are in its message). */
struct al_task_status {
	struct al_ref id;
	size_t owner;  /* member index (party) */
};

/* Feedback: a rating of one member by another, outside any commitment. */
struct al_rating {
	int64_t at;
	struct al_mref id;
	uint32_t author, about; /* member indices (parties) */
	uint8_t rating;       /* 1..5 */
};

struct al_ledger {
	const struct al_roster *ro; /* borrowed: the members */
	const struct al_charter *c; /* ro's charter */
	size_t n_members;           /* ro's when built: the size of per-member arrays */
	enum al_standing *standing; /* per member, at the end of the replay (AL_CANDIDATE:
				     * not added yet; AL_REPLACED: keys replaced) */
	size_t *party;              /* per member: the member its keys act for (roster_party,
				     * as the replay put replacements into effect) */
	struct al_member *card;     /* per member: the charter's, or the amendment's that
				     * added it (the one the rules compare names and keys with) */
	size_t *order;              /* members who were ever active: the founders, then */
	size_t n_order;             /* the others as they joined (the order to list them) */
	struct al_cstatus *items;   /* in canonical order */
	size_t n_items, cap_items;
	struct al_rating *feedback;
	size_t n_feedback, cap_feedback;
	struct al_task_status *tasks;
	size_t n_tasks, cap_tasks;
	struct al_params params;    /* in effect: the charter's, as amended */
	struct al_proposal *proposals;
	size_t n_proposals, cap_proposals;
	uint64_t *violations;       /* per member (party) */
	struct al_violation {       /* each one, in canonical order */
		struct al_ref id;   /* the message that broke a rule */
		char why[AL_ERRLEN]; /* the rule */
	} *broken;
	size_t n_broken, cap_broken;
	struct al_seqindex {        /* per member: its commitments' (or tasks') seqs, */
		struct al_seqpos {  /* ascending, and index + 1 of each in items (tasks) */
			uint64_t seq;
			uint32_t at;
		} __attribute__((packed, aligned(4))) *v;
		size_t n, cap;
	} *item_of, *task_of;       /* 12 bytes a commitment, not 4 a message */
	struct al_ledger_inc *inc;  /* ledger_new's: what ledger_add needs (NULL: built by
				     * ledger_build, which takes no adds) */
};

/* Build the ledger of roster ro's members from n envelopes (any order; each already
 * validated into a log), as of time as_of: messages signed later are not
 * applied (INT64_MAX: all). Returns 0 or AL_E_NOMEM. */
int ledger_build(const struct al_roster *ro, struct al_envelope *const *env, size_t n,
		 int64_t as_of, struct al_ledger **out);

/* The incremental ledger.
 *
 * ledger_new makes the empty ledger of roster ro (as of all time), and
 * ledger_add applies one admitted envelope: each feed's messages in
 * sequence, with no gap, the feeds interleaved in any order (as a store
 * admits them). After any sequence of adds the ledger is identical
 * (ledger_equal) to ledger_build(ro, everything added, n, INT64_MAX).
 *
 * How: within a feed timestamps never decrease (feeds_check), so no
 * message yet to come sorts before the bound: the least (latest timestamp,
 * key) over the feeds that may still grow (a feed that is empty: the
 * charter's creation less the skew). The applied messages, in canonical
 * order, before the bound are stable; after them comes the tail, each
 * message with an undo record (the array lengths before it, the one
 * commitment or proposal it changed, the member arrays an amendment
 * changed, the violation it counted) and a copy of its body. A message
 * that is ready and sorts after everything applied is applied directly
 * (and the merge goes on with the held-back messages it made ready); one
 * that sorts earlier undoes the tail back to where it belongs and replays
 * from there. A message that is not ready (its author had seen something
 * not added yet) is held back, copied, until it is. The acknowledgements
 * (acked_at) are kept per delivery message and author feed, a minimum
 * that only falls as messages are added, so they need no undo.
 *
 * The ledger borrows ro, which the store amends as it admits membership
 * amendments (roster_note). When ro's members change (a member added or
 * its card changed, or a feed's end moved by a replacement of keys; not a
 * move of an endpoint, which the ledger replays itself: the cards it
 * compares are as given, before any move, roster_card_endpoint),
 * messages already applied may mean something else: ledger_add then
 * returns LEDGER_REBUILD, having applied nothing, and the ledger takes no
 * more adds. The caller makes a new one (ledger_new, then ledger_add of
 * every record of the log in log order, the message that returned it
 * included). That is rare (membership changes), never the normal path.
 */
enum { LEDGER_REBUILD = 1 };

/* An empty ledger of roster ro (borrowed; it must outlive the ledger).
 * Returns 0 or AL_E_NOMEM. */
int ledger_new(const struct al_roster *ro, struct al_ledger **out);

/* Apply envelope e (copied: the ledger keeps no pointer into it). Returns
 * 0; LEDGER_REBUILD (see above; why says what changed); AL_E_INVAL with
 * why when e is out of its feed's sequence, goes back in time within its
 * feed, predates the charter, or is not a member's, or when l was not
 * made by ledger_new (nothing changes); AL_E_NOMEM (the ledger then takes
 * no more adds: LEDGER_REBUILD). A message past its feed's end
 * (roster_feed_end) is void: 0, nothing changes. */
int ledger_add(struct al_ledger *l, const struct al_envelope *e, char *why);

/* The incremental ledger's whole state, for a checkpoint (the section
 * AL_CKPT_LEDGER): every field of l and of its incremental part (the
 * messages not yet stable, as body bytes, their undo records, every feed's
 * timestamps and deliveries, the counters), so that after ledger_load the
 * next ledger_add does exactly what it would have done on l. The payload
 * begins with its own u32 version, then the charter it depends on (the
 * alliance id, its members' cards, as given before any move, and feed ends
 * as l was made with them).
 * Cost: about 8 bytes a message added (its timestamp), 20 + 8 x members a
 * delivery, 154 + 16 x ((members + 63) / 64) a commitment, and the bodies
 * of the tail and the held-back messages (few). Returns 0, AL_E_INVAL (l was not made by
 * ledger_new, or ran out of memory: it must be rebuilt), AL_E_NOMEM or
 * what the writer returned. */
struct al_ckpt_writer;
struct al_ckpt_reader;
int ledger_save(const struct al_ledger *l, struct al_ckpt_writer *w);

/* Read what ledger_save wrote from r into *out (the caller's:
 * ledger_destroy), a ledger of roster ro (borrowed, as by ledger_new),
 * leaving r after it. Everything is checked as untrusted (lengths against
 * what is left, member indices, enums, strings, the tail against the
 * feeds, each body in the packing ledger_save writes), so that a state
 * that loads saves again to the bytes it was read from: returns 0; AL_E_PARSE with why (cut short, damaged, another
 * version); AL_E_INVAL with why (the state of another alliance, or ro's
 * members or feed ends are not those it was saved with: replay the log);
 * AL_E_NOMEM. On failure *out is NULL and nothing is kept. */
int ledger_load(const struct al_roster *ro, struct al_ckpt_reader *r, struct al_ledger **out,
		char *why);

/* What the incremental ledger did (counters since ledger_new). */
struct ledger_stats {
	uint64_t added;    /* messages added (not void) */
	uint64_t direct;   /* of them, applied where they sorted last, or held back */
	uint64_t replays;  /* of them, undid part of the tail and replayed it */
	uint64_t replayed; /* messages undone and applied again */
	size_t tail;       /* applied messages not yet stable */
	size_t held;       /* messages held back (not ready) */
};
void ledger_stats(const struct al_ledger *l, struct ledger_stats *out);

/* Before adding every message of a log to a new ledger (a rebuild), held[k]
 * says how many messages of member k's feed the log holds; NULL after. A
 * feed that can sign no more (its member left, its keys were replaced, or
 * it is not added yet) stops holding the stable point back once what is
 * held of it is in; a message of such a feed that comes later and sorts
 * before what is stable makes ledger_add answer LEDGER_REBUILD, and the
 * rebuild (knowing the whole feed) never does. 0, AL_E_INVAL (a replayed
 * ledger) or AL_E_NOMEM. */
int ledger_expect(struct al_ledger *l, const uint64_t *held);

/* Do a and b hold the same state, field by field (ignoring how each was
 * made)? true, or false with why naming the first difference. */
bool ledger_equal(const struct al_ledger *a, const struct al_ledger *b, char *why);

/* Would author's message b, signed at b->timestamp by a member holding all
 * of l, be legal? 0, or AL_E_INVAL with why naming the rule it breaks (the
 * same rules the replay counts violations by). */
int ledger_check(struct al_ledger *l, const al_key *author, const struct al_body *b, char *why);

/* How ledger_of_log reads a log (false and true keep their old meaning). */
enum al_ledger_check {
	AL_LEDGER_TRUSTED = 0, /* a store's own log, as the store holds it: no checks */
	AL_LEDGER_VERIFY = 1,  /* anyone's: every check, every signature (on every core) */
	AL_LEDGER_OWN = 2,     /* a home's own log read offline: every check but the
				* signatures, verified when the daemon admitted them */
};

/* The ledger of the log file at path, as of as_of. With check (VERIFY or
 * OWN), only the records that pass validation (feeds_check, in order)
 * count, and damage is skipped (the audit reports it); TRUSTED: the log is
 * a store's own. The records counted amend ro's members (roster_note; with
 * check only: a store's own roster knows its members already). */
int ledger_of_log(const char *path, struct al_roster *ro, int64_t as_of,
		  enum al_ledger_check check, struct al_ledger **out, char *why);

/* ledger_of_log, and with check (VERIFY or OWN) and index not NULL, the
 * index of the records it counted ((author, seq) -> offset in path) into
 * *index (the caller's: feeds_destroy): where the messages a ledger does
 * not keep (a commitment's text) are read again (query.h's al_msgs). */
struct al_feeds;
int ledger_of_log_index(const char *path, struct al_roster *ro, int64_t as_of,
			enum al_ledger_check check, struct al_ledger **out, struct al_feeds **index,
			char *why);

/* The ledger of the log at path as of each of n points (ascending), in
 * one pass: fn(arg, l, point, why) is called once a point, in order, with
 * l (borrowed for the call) equal to ledger_of_log's as of that point.
 * The log is read once (checked as ledger_of_log does, its amendments
 * noted in ro), then one incremental ledger takes the messages in
 * timestamp order: those signed at or before a point are a prefix of each
 * feed. 0, what fn returned (fn sets why), or AL_E_INVAL, AL_E_FAILED,
 * AL_E_NOMEM or the log's error, with why. */
typedef int ledger_point_fn(void *arg, const struct al_ledger *l, int64_t point, char *why);
int ledger_of_log_series(const char *path, struct al_roster *ro, enum al_ledger_check check,
			 const int64_t *points, size_t n, ledger_point_fn *fn, void *arg,
			 char *why);

/* The ledger of everything store s holds (reads every record). */
struct al_store;
int ledger_from_store(struct al_store *s, struct al_ledger **out, char *why);

/* The state of a commitment at time as_of (ms): overdue once its due time
 * passes undelivered, missed once the charter's grace passes too. */
enum al_cstate ledger_state_at(const struct al_ledger *l, const struct al_cstatus *s,
			       int64_t as_of);

/* When the delivery counts as made: its own timestamp, unless the first
 * message of another member that had seen it came more than the charter's
 * skew later (a delivery signed with a backdated clock); 0 if not
 * delivered. Before any other member has seen it, its own timestamp. */
int64_t ledger_delivered_at(const struct al_ledger *l, const struct al_cstatus *s);

/* Delivered after the due time (by ledger_delivered_at). */
bool ledger_late(const struct al_ledger *l, const struct al_cstatus *s);

const char *ledger_state_name(enum al_cstate s);

/* The al_ref of r, a message of l's charter. */
struct al_ref ledger_ref(const struct al_ledger *l, const struct al_mref *r);

/* Is member m in set s (a commitment's to or released) of ledger l? */
bool ledger_has(const struct al_ledger *l, const union al_mset *s, size_t m);

/* The number of members in s. */
size_t ledger_count(const struct al_ledger *l, const union al_mset *s);

void ledger_destroy(struct al_ledger **l);

#endif
