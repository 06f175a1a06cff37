/* roster.h: who belongs to an alliance, as its log has amended the charter.
 *
 * The charter (charter.h) is the signed genesis document: it lists the
 * founders and never changes. The roster holds every member: the founders,
 * copied from the charter in its order, then the members amendments added.
 * The store owns one per alliance (store_roster); an audit makes one per
 * log. An amendment proposes to add a member
 * (with its card) or to remove one; members approve it by signing
 * approvals that name it. It takes effect once the proposer and the
 * approvers, counted once each, reach the charter's quorum.
 *
 * Two questions, two places. Who may author a feed, be linked to and be
 * let in (this file), must be answered on arrival, and arrival orders
 * differ from home to home; so it is decided on the set of messages held:
 * every key that was ever a member counts as a voter, and a motion in
 * effect stays so. That makes the answer only grow with the set, and the
 * same set gives the same answer in any order. What a message means (the
 * ledger, ledger.h) applies the same amendments in the canonical order
 * and counts only the votes of members at the time they signed. The two
 * agree unless former members keep signing (their messages are then
 * violations in the ledger), or two proposals race to give one name to
 * two keys (both keys may author; the ledger admits the first).
 *
 * A member's keys can be replaced the same way (a motion naming the old
 * signing key, where its feed ends, and a card with the same name and new
 * keys): the old keys become AL_REPLACED, the new ones get the next index,
 * the old keys' standing and the same party (roster_party), so that the
 * member keeps its name, its evidence and its trust row; what the old keys
 * signed after the end is void (roster_feed_end). A member moves its own
 * endpoint alone, at once: its latest move (by seq) holds.
 *
 * All of it is recomputed from the set of messages held at each change
 * (settle() in roster.c): the keys that may author (a least fixed point),
 * then the feeds' ends (greedily, in the order of the replacements' ids),
 * parties, standings, cards and endpoints.
 *
 * A member added here gets the next index and keeps it, so arrays indexed
 * by member (the daemon's links, a ledger) only ever need to grow. The
 * order of indices is the arrival order; whatever is shown in order uses
 * the ledger's.
 */
#ifndef AL_ROSTER_H
#define AL_ROSTER_H

#include "charter.h"

/* Where a member stands. */
enum al_standing {
	AL_FOUNDER,   /* listed in the charter */
	AL_JOINED,    /* added by an amendment that reached the quorum */
	AL_LEFT,      /* removed by one: its feed stays, it may not act */
	AL_CANDIDATE, /* this daemon's own member, before the amendment adding it */
	AL_REPLACED,  /* a member's former keys: replaced at the quorum, they sign nothing more */
};

/* A founder or a joined member: may act, is admitted to links. */
static inline bool al_standing_current(enum al_standing s)
{
	return s == AL_FOUNDER || s == AL_JOINED;
}

/* A membership amendment and its approvals, as held so far. */
struct al_motion {
	struct al_ref id;      /* the proposal */
	bool seen;             /* the proposal itself is held (approvals may come first) */
	bool add;              /* add member, or remove the member whose key is gone */
	bool replace;          /* give the member whose key is gone member's keys, */
	uint64_t upto;         /* ending the gone key's feed there */
	struct al_member member;
	al_key gone;
	al_key *approvers;     /* distinct, the proposer first */
	uint64_t *approver_seq; /* the seq of each one's (first) vote */
	size_t n_approvers, cap_approvers; /* the two arrays' room, shared */
};

/* The members as amended: members[0..n_founders) are the charter's own, in
 * its order; amendments held in the log append the rest. Member indices
 * never change once given. */
struct al_roster {
	const struct al_charter *c; /* borrowed: the founders, the quorum */
	size_t n_members, cap_members; /* cap: room known (grow.h) */
	struct al_member *members;
	size_t n_founders;
	enum al_standing *standing; /* per member; NULL: every one a founder */
	struct al_motion *motions;  /* membership amendments seen, with approvals */
	size_t n_motions, cap_motions;
	uint64_t member_changes;    /* members who joined, left, moved or changed keys
				     * since it was made */
	size_t *party;      /* per member: the index of the member's first keys, which
			     * its later keys act for (NULL: each its own) */
	uint32_t *generation; /* per member: 1 for first keys, 2 for their replacement...
			       * (NULL: all 1); ids of later keys read name@2/seq */
	struct al_move {     /* per member: its latest 'amend --endpoint' (seq 0: none) */
		uint64_t seq;
		char endpoint[AL_ENDPOINT_MAX];
		char card[AL_ENDPOINT_MAX]; /* its card's endpoint, before any move */
	} *moved;
	uint64_t *feed_end;  /* per member: the last seq of its feed that counts, set when its
			      * keys were replaced (UINT64_MAX: none) */
	size_t n_owned;      /* entries set in standing, party, generation, moved, feed_end */
	size_t cap_owned;    /* their room, shared (grow.h) */
};

/* The roster of charter c (borrowed: it must outlive the roster) before
 * any amendment: its founders. The caller owns *out (roster_destroy).
 * Returns 0 or AL_E_NOMEM. */
int roster_new(const struct al_charter *c, struct al_roster **out);

/* Free everything and null *r. */
void roster_destroy(struct al_roster **r);

/* The index of the member with this signing key, or -1. */
long roster_index(const struct al_roster *r, const al_key *sign_key);

/* The endpoint on member m's card, as the charter or the amendment
 * bringing its keys in gave it: members[m].endpoint before any 'amend
 * --endpoint' (a move changes where the member is dialled, nothing the
 * ledger judges: the ledger replays moves itself). */
const char *roster_card_endpoint(const struct al_roster *r, size_t m);

/* Members by signing key or by name; NULL when none. By name: of keys
 * carrying the same name (a member's replaced keys, or two amendments that
 * raced) the current member's, then the least key; never a candidate. */
const struct al_member *roster_member(const struct al_roster *r, const al_key *sign_key);
const struct al_member *roster_member_named(const struct al_roster *r, const char *name);

/* A message's id as people see it, "acme/12" ("?/12" for a non-member;
 * "acme@2/12" for a member's second keys, after a replacement), in buf
 * (AL_IDLEN bytes). Returns buf. */
#define AL_IDLEN (AL_NAME_MAX + 36)
char *roster_ref_name(const struct al_roster *r, const struct al_ref *ref, char *buf);

/* The name of member m's feed as ids show it: "acme", or "acme@2" for a
 * member's second keys, in buf (AL_IDLEN bytes). Returns buf. */
char *roster_feed_name(const struct al_roster *r, size_t m, char *buf);

/* "acme, globex, initech": the current members, into buf of size n (for
 * error messages): whole names, ending in "..." when they do not all fit.
 * Returns buf. */
char *roster_member_list(const struct al_roster *r, char *buf, size_t n);

/* Name of the member with this key, or its first 8 hex digits if none
 * (buf: AL_NAME_MAX + 1 bytes). */
const char *roster_name_of(const struct al_roster *r, const al_key *k, char *buf);

/* What an amendment does. An approval carries nothing else, and a
 * proposal one change: anything else is ROSTER_BAD (a violation in the
 * ledger, nothing here). */
enum roster_change {
	ROSTER_BAD,
	ROSTER_APPROVE,
	ROSTER_ADD,
	ROSTER_REMOVE,
	ROSTER_REPLACE,
	ROSTER_PARAMS,
	ROSTER_MOVE,
};
enum roster_change roster_change_of(const struct al_amendment *am);

/* The last seq of member m's feed that counts: where the replacement of
 * its keys in effect ended it (replaces_upto), UINT64_MAX otherwise. Later
 * messages of those keys are refused on arrival and void in the ledger,
 * wherever the canonical order puts them: a stolen key cannot backdate
 * its way past the replacement. */
uint64_t roster_feed_end(const struct al_roster *r, size_t m);

/* The last seq of k's feed that b's author had seen when it signed b: b's
 * own seq when k is its author, its frontier's entry otherwise (0: none). */
uint64_t roster_seen(const struct al_body *b, const al_key *k);

/* Where member m stands. */
enum al_standing roster_standing(const struct al_roster *r, size_t m);

/* A founder or a joined member: may act, is admitted to links. */
bool roster_current(const struct al_roster *r, size_t m);

/* 0 when member m may act and be named in commitments, tasks and
 * amendments now; AL_E_INVAL with why ("'delta' has left the alliance",
 * "'delta' is not a member yet ...") otherwise. */
int roster_check_current(const struct al_roster *r, size_t m, char *why);

/* "founder", "joined", "left", "candidate", "replaced". */
const char *roster_standing_name(enum al_standing s);

/* The member that member m's keys act for: the index of its first keys
 * (m itself unless m's keys replaced others). Everything a member is
 * credited or blamed for (evidence, trust rows, votes) is its party's. */
size_t roster_party(const struct al_roster *r, size_t m);

/* Note one message held in the log (any kind; only membership amendments
 * matter). r->member_changes counts the members who joined or left.
 * Returns 0 or AL_E_NOMEM. */
int roster_note(struct al_roster *r, const struct al_body *b);

/* This daemon's own member, not in the charter: give it an index now, as a
 * candidate, so it can link to the founders and wait for the amendment
 * that adds it. Returns its index, or -1 when out of memory. */
long roster_candidate(struct al_roster *r, const struct al_member *self);

/* 0 when a and b hold the same amended membership, field by field
 * (members and their indices, standing, parties, generations, moves, feed
 * ends, motions and their votes, the change count), otherwise AL_E_INVAL
 * with why naming the first difference. */
int roster_compare(const struct al_roster *a, const struct al_roster *b, char *why);

#endif
