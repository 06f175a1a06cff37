/* roster.h: who belongs to an alliance, as its log has amended the charter.
 *
 * The charter lists the founders. An amendment proposes to add a member
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
 * the old keys' standing and the same party (members_party), so that the
 * member keeps its name, its evidence and its trust row; what the old keys
 * signed after the end is void (members_feed_end). A member moves its own
 * endpoint alone, at once: its latest move (by seq) holds.
 *
 * All of it is recomputed from the set of messages held at each change
 * (settle() in members.c): the keys that may author (a least fixed point),
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

/* What an amendment does. An approval carries nothing else, and a
 * proposal one change: anything else is MEMBERS_BAD (a violation in the
 * ledger, nothing here). */
enum members_change {
	MEMBERS_BAD,
	MEMBERS_APPROVE,
	MEMBERS_ADD,
	MEMBERS_REMOVE,
	MEMBERS_REPLACE,
	MEMBERS_PARAMS,
	MEMBERS_MOVE,
};
enum members_change members_change_of(const struct al_amendment *am);

/* The last seq of member m's feed that counts: where the replacement of
 * its keys in effect ended it (replaces_upto), UINT64_MAX otherwise. Later
 * messages of those keys are refused on arrival and void in the ledger,
 * wherever the canonical order puts them: a stolen key cannot backdate
 * its way past the replacement. */
uint64_t members_feed_end(const struct al_charter *c, size_t m);

/* The last seq of k's feed that b's author had seen when it signed b: b's
 * own seq when k is its author, its frontier's entry otherwise (0: none). */
uint64_t members_seen(const struct al_body *b, const al_key *k);

/* Where member m stands. */
enum al_standing members_standing(const struct al_charter *c, size_t m);

/* A founder or a joined member: may act, is admitted to links. */
bool members_current(const struct al_charter *c, size_t m);

/* 0 when member m may act and be named in commitments, tasks and
 * amendments now; AL_E_INVAL with why ("'delta' has left the alliance",
 * "'delta' is not a member yet ...") otherwise. */
int members_check_current(const struct al_charter *c, size_t m, char *why);

/* "founder", "joined", "left", "candidate", "replaced". */
const char *members_standing_name(enum al_standing s);

/* The member that member m's keys act for: the index of its first keys
 * (m itself unless m's keys replaced others). Everything a member is
 * credited or blamed for (evidence, trust rows, votes) is its party's. */
size_t members_party(const struct al_charter *c, size_t m);

/* Note one message held in the log (any kind; only membership amendments
 * matter). c->member_changes counts the members who joined or left.
 * Returns 0 or AL_E_NOMEM. */
int members_note(struct al_charter *c, const struct al_body *b);

/* This daemon's own member, not in the charter: give it an index now, as a
 * candidate, so it can link to the founders and wait for the amendment
 * that adds it. Returns its index, or -1 when out of memory. */
long members_candidate(struct al_charter *c, const struct al_member *self);

/* 0 when a and b hold the same amended membership, field by field
 * (members and their indices, standing, parties, generations, moves, feed
 * ends, motions and their votes, the change count), otherwise AL_E_INVAL
 * with why naming the first difference. */
int members_compare(const struct al_charter *a, const struct al_charter *b, char *why);

/* Free the motions (charter_destroy does). */
void members_forget(struct al_charter *c);

#endif
