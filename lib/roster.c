/* roster.c: the charter's members as amended; see roster.h. */
#include "roster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card.h"
#include "err.h"
#include "grow.h"
#include "hex.h"

int roster_new(const struct al_charter *c, struct al_roster **out)
{
	struct al_roster *r = calloc(1, sizeof *r);
	*out = NULL;
	if (!r || grow(&r->members, &r->cap_members, c->n_members, sizeof *r->members)) {
		free(r);
		return AL_E_NOMEM;
	}
	memcpy(r->members, c->members, c->n_members * sizeof *r->members);
	r->n_members = r->n_founders = c->n_members;
	r->c = c;
	*out = r;
	return AL_OK;
}

long roster_index(const struct al_roster *r, const al_key *k)
{
	for (size_t i = 0; i < r->n_members; i++)
		if (!memcmp(&r->members[i].sign_key, k, AL_KEYLEN))
			return (long)i;
	return -1;
}

const char *roster_card_endpoint(const struct al_roster *r, size_t m)
{
	return r->moved && m < r->n_owned ? r->moved[m].card : r->members[m].endpoint;
}

const struct al_member *roster_member(const struct al_roster *r, const al_key *k)
{
	long i = roster_index(r, k);
	return i < 0 ? NULL : &r->members[i];
}

const struct al_member *roster_member_named(const struct al_roster *r, const char *name)
{
	/* Two keys can carry one name only when two amendments raced
	 * (roster.h): then the current member, then the least key, so that
	 * every home means the same one. */
	/* A member's replaced keys carry its name too: then its latest keys. */
	const struct al_member *hit = NULL;
	int hit_rank = -1;
	for (size_t i = 0; i < r->n_members; i++) {
		const struct al_member *m = &r->members[i];
		enum al_standing st = roster_standing(r, i);
		int rank = roster_current(r, i) ? 2 : st == AL_REPLACED ? 0 : 1;
		if (strcmp(m->name, name) || st == AL_CANDIDATE)
			continue;
		if (!hit || rank > hit_rank ||
		    (rank == hit_rank && memcmp(&m->sign_key, &hit->sign_key, AL_KEYLEN) < 0)) {
			hit = m;
			hit_rank = rank;
		}
	}
	return hit;
}

static bool not_current(const void *arg, size_t i)
{
	return !roster_current(arg, i);
}

char *roster_member_list(const struct al_roster *r, char *buf, size_t n)
{
	return charter_list_names(r->members, r->n_members, not_current, r, buf, n);
}

const char *roster_name_of(const struct al_roster *r, const al_key *k, char *buf)
{
	const struct al_member *m = roster_member(r, k);
	if (m)
		return m->name;
	char hex[2 * AL_KEYLEN + 1];
	hex_encode(k->b, AL_KEYLEN, hex);
	snprintf(buf, AL_NAME_MAX + 1, "%.8s", hex);
	return buf;
}

char *roster_ref_name(const struct al_roster *r, const struct al_ref *ref, char *buf)
{
	long k = roster_index(r, &ref->author);
	char feed[AL_IDLEN];
	snprintf(buf, AL_IDLEN, "%s/%llu", k >= 0 ? roster_feed_name(r, (size_t)k, feed) : "?",
		 (unsigned long long)ref->seq);
	return buf;
}

char *roster_feed_name(const struct al_roster *r, size_t m, char *buf)
{
	uint32_t gen = r->generation ? r->generation[m] : 1;
	if (gen > 1)
		snprintf(buf, AL_IDLEN, "%s@%u", r->members[m].name, gen);
	else
		snprintf(buf, AL_IDLEN, "%s", r->members[m].name);
	return buf;
}

enum al_standing roster_standing(const struct al_roster *r, size_t m)
{
	return r->standing ? r->standing[m] : AL_FOUNDER;
}

bool roster_current(const struct al_roster *r, size_t m)
{
	return al_standing_current(roster_standing(r, m));
}

int roster_check_current(const struct al_roster *r, size_t m, char *why)
{
	if (roster_current(r, m))
		return AL_OK;
	switch (roster_standing(r, m)) {
	case AL_LEFT:
		return al_errf(why, AL_E_INVAL, "'%s' has left the alliance", r->members[m].name);
	case AL_REPLACED:
		return al_errf(why, AL_E_INVAL, "these keys of '%s' were replaced by an amendment "
			       "('alliancectl amend --replace'): they sign nothing more; the home "
			       "with the new keys acts for '%s'", r->members[m].name,
			       r->members[m].name);
	default:
		return al_errf(why, AL_E_INVAL, "'%s' is not a member yet: a member proposes "
			       "'alliancectl amend --add CARD' (or, for new keys of a member, "
			       "'amend --replace CARD') and the charter's quorum approves it",
			       r->members[m].name);
	}
}

const char *roster_standing_name(enum al_standing s)
{
	static const char *const names[] = { "founder", "joined", "left", "candidate",
					      "replaced" };
	return names[s];
}

size_t roster_party(const struct al_roster *r, size_t m)
{
	return r->party ? r->party[m] : m;
}

uint64_t roster_feed_end(const struct al_roster *r, size_t m)
{
	return r->feed_end && m < r->n_owned ? r->feed_end[m] : UINT64_MAX;
}

uint64_t roster_seen(const struct al_body *b, const al_key *k)
{
	if (!memcmp(&b->author, k, AL_KEYLEN))
		return b->seq; /* its own feed, up to b itself */
	for (size_t i = 0; i < b->n_frontier; i++)
		if (!memcmp(&b->frontier[i].author, k, AL_KEYLEN))
			return b->frontier[i].seq;
	return 0;
}

enum roster_change roster_change_of(const struct al_amendment *am)
{
	bool moves = am->endpoint && *am->endpoint;
	int n = am->has_add + am->has_remove + am->has_replace + am->has_params + moves;
	if (am->approves.seq)
		return n ? ROSTER_BAD : ROSTER_APPROVE;
	if (n != 1)
		return ROSTER_BAD;
	return am->has_add ? ROSTER_ADD : am->has_remove ? ROSTER_REMOVE
	       : am->has_replace ? ROSTER_REPLACE : am->has_params ? ROSTER_PARAMS : ROSTER_MOVE;
}

/* Give r the per-member arrays for n members (the first change from
 * all-founders, each its own party, first keys, never moved). The five
 * share r->cap_owned: each grows from it, and the least new room is
 * recorded once all five have grown, so a failed grow leaves some longer
 * than recorded (harmless) and nothing half made. */
static int own_arrays(struct al_roster *r, size_t n)
{
	if (n <= r->n_owned)
		return AL_OK;
	size_t cap = r->cap_owned, k[5] = { cap, cap, cap, cap, cap };
	if (grow(&r->standing, &k[0], n, sizeof *r->standing) ||
	    grow(&r->party, &k[1], n, sizeof *r->party) ||
	    grow(&r->generation, &k[2], n, sizeof *r->generation) ||
	    grow(&r->moved, &k[3], n, sizeof *r->moved) ||
	    grow(&r->feed_end, &k[4], n, sizeof *r->feed_end))
		return AL_E_NOMEM;
	r->cap_owned = k[0];
	for (size_t i = 1; i < 5; i++)
		if (k[i] < r->cap_owned)
			r->cap_owned = k[i];
	for (size_t i = r->n_owned; i < n; i++) {
		r->standing[i] = AL_FOUNDER;
		r->party[i] = i;
		r->generation[i] = 1;
		r->moved[i].seq = 0;
		r->moved[i].endpoint[0] = '\0';
		memcpy(r->moved[i].card, r->members[i].endpoint, sizeof r->moved[i].card);
		r->feed_end[i] = UINT64_MAX;
	}
	r->n_owned = n;
	return AL_OK;
}

static long append(struct al_roster *r, const struct al_member *m, enum al_standing s)
{
	if (grow(&r->members, &r->cap_members, r->n_members + 1, sizeof *r->members))
		return -1;
	r->members[r->n_members] = *m; /* first: own_arrays takes its endpoint as the card's */
	if (own_arrays(r, r->n_members + 1))
		return -1;
	r->standing[r->n_members] = s;
	return (long)r->n_members++;
}

long roster_candidate(struct al_roster *r, const struct al_member *self)
{
	long i = roster_index(r, &self->sign_key);
	return i >= 0 ? i : append(r, self, AL_CANDIDATE);
}

static struct al_motion *motion(struct al_roster *r, const struct al_ref *id)
{
	for (size_t i = 0; i < r->n_motions; i++)
		if (r->motions[i].id.seq == id->seq &&
		    !memcmp(&r->motions[i].id.author, &id->author, AL_KEYLEN))
			return &r->motions[i];
	if (grow(&r->motions, &r->cap_motions, r->n_motions + 1, sizeof *r->motions))
		return NULL;
	struct al_motion *mo = &r->motions[r->n_motions++];
	memset(mo, 0, sizeof *mo);
	mo->id = *id;
	return mo;
}

static int approve(struct al_motion *mo, const al_key *who, uint64_t seq)
{
	for (size_t i = 0; i < mo->n_approvers; i++)
		if (!memcmp(&mo->approvers[i], who, AL_KEYLEN)) {
			if (seq < mo->approver_seq[i])
				mo->approver_seq[i] = seq; /* its first approval counts */
			return AL_OK;
		}
	/* The two share cap_approvers: the lesser room, once both have grown. */
	size_t k[2] = { mo->cap_approvers, mo->cap_approvers };
	if (grow(&mo->approvers, &k[0], mo->n_approvers + 1, sizeof *mo->approvers) ||
	    grow(&mo->approver_seq, &k[1], mo->n_approvers + 1, sizeof *mo->approver_seq))
		return AL_E_NOMEM;
	mo->cap_approvers = k[0] < k[1] ? k[0] : k[1];
	mo->approvers[mo->n_approvers] = *who;
	mo->approver_seq[mo->n_approvers++] = seq;
	return AL_OK;
}

/* Votes for mo: its proposer and approvers whose keys may author here (any
 * standing but candidate: one who left still counts, so that the count
 * only grows with the set), signed before their feed's end (a replaced
 * key's later messages are void). Keys are counted, not members: a member
 * that voted with its old keys and its new ones counts twice here, once in
 * the ledger, which judges what the votes mean. The keys a replacement
 * replaces vote for it only by proposing it (within its cut). */
static size_t votes(const struct al_roster *r, const struct al_motion *mo)
{
	size_t n = 0;
	for (size_t k = 0; k < mo->n_approvers; k++) {
		long m = roster_index(r, &mo->approvers[k]);
		uint64_t seq = mo->approver_seq[k];
		if (m < 0 || roster_standing(r, (size_t)m) == AL_CANDIDATE ||
		    seq > roster_feed_end(r, (size_t)m) ||
		    (mo->replace && !memcmp(&mo->approvers[k], &mo->gone, AL_KEYLEN) &&
		     seq > mo->upto))
			continue;
		n++;
	}
	return n;
}

/* Proposed (its proposal held and not void), with the quorum of votes. */
static bool in_effect(const struct al_roster *r, const struct al_motion *mo)
{
	long a = roster_index(r, &mo->id.author);
	return mo->seen && a >= 0 && mo->id.seq <= roster_feed_end(r, (size_t)a) &&
	       votes(r, mo) >= r->c->quorum;
}

static bool ref_less(const struct al_ref *x, const struct al_ref *y)
{
	int k = memcmp(&x->author, &y->author, AL_KEYLEN);
	return k < 0 || (k == 0 && x->seq < y->seq);
}

/* The index of the keys on card m, appended as a candidate when new; -1
 * when out of memory. */
static long index_of(struct al_roster *r, const struct al_member *m)
{
	long k = roster_index(r, &m->sign_key);
	return k >= 0 ? k : append(r, m, AL_CANDIDATE);
}

/* Of the motions bringing keys k in (additions, or replacements only;
 * in effect, or all that are held), the one with the least id: a card
 * corrected by a second proposal must not depend on which arrived first. */
static const struct al_motion *least_bringing(const struct al_roster *r, size_t k,
					      bool replacements_only, bool effective)
{
	const struct al_motion *best = NULL;
	for (size_t i = 0; i < r->n_motions; i++) {
		const struct al_motion *mo = &r->motions[i];
		long old = mo->replace ? roster_index(r, &mo->gone) : -1;
		if (!(mo->replace || (mo->add && !replacements_only)) ||
		    memcmp(&mo->member.sign_key, &r->members[k].sign_key, AL_KEYLEN) ||
		    (mo->replace && (old < 0 || (size_t)old == k ||
				     roster_standing(r, (size_t)old) == AL_CANDIDATE)) ||
		    !mo->seen || (effective && !in_effect(r, mo)) ||
		    (best && !ref_less(&mo->id, &best->id)))
			continue;
		best = mo;
	}
	return best;
}

/* Which keys may author: the founders', and those that motions in effect
 * bring in (an addition; a replacement of keys that may author). Votes
 * only grow with the keys, so going round until nothing changes reaches
 * the one least fixed point of the set of motions held, in whatever order
 * they came. Marks them AL_JOINED for now. */
static int admit(struct al_roster *r)
{
	for (bool again = true; again;) {
		again = false;
		for (size_t i = 0; i < r->n_motions; i++) {
			const struct al_motion *mo = &r->motions[i];
			long old = mo->replace ? roster_index(r, &mo->gone) : -1;
			if (!(mo->add || mo->replace) || !in_effect(r, mo) ||
			    (mo->replace && (old < 0 || roster_standing(r, (size_t)old) ==
							    AL_CANDIDATE)))
				continue;
			long k = index_of(r, &mo->member);
			if (k < 0)
				return AL_E_NOMEM;
			if (r->standing[k] == AL_CANDIDATE) {
				r->standing[k] = AL_JOINED;
				again = true;
			}
		}
	}
	return AL_OK;
}

/* Each member's endpoint: its latest move, or its card's. Replaced keys
 * keep their card's: a move of theirs may be void, and who dials them? */
static void endpoints(struct al_roster *r)
{
	for (size_t m = 0; m < r->n_owned && m < r->n_members; m++) {
		const struct al_move *mv = &r->moved[m];
		memcpy(r->members[m].endpoint,
		       mv->seq && r->feed_end[m] == UINT64_MAX ? mv->endpoint : mv->card,
		       AL_ENDPOINT_MAX);
	}
}

/* Steps 1 to 3, with the feeds' ends as they stand (choose_ends). */
static int shape(struct al_roster *r)
{
	long *rep = NULL;
	bool *gone = NULL;
	for (size_t m = 0; m < r->n_members; m++)
		r->standing[m] = m < r->n_founders ? AL_FOUNDER : AL_CANDIDATE;
	int rc = admit(r);
	if (rc)
		return rc;
	size_t n = r->n_members;
	rc = AL_E_NOMEM;
	if (!(rep = malloc(n * sizeof *rep)) || !(gone = calloc(n, sizeof *gone)))
		goto out;
	for (size_t k = 0; k < n; k++) { /* 2. the keys each key replaces */
		const struct al_motion *mo = k < r->n_founders || r->standing[k] == AL_CANDIDATE
						     ? NULL : least_bringing(r, k, true, true);
		rep[k] = mo ? roster_index(r, &mo->gone) : -1;
	}
	for (size_t k = 0; k < n; k++) {
		size_t p = k, steps = 0;
		while (rep[p] >= 0 && steps++ < n) /* n: a cycle of hostile motions ends */
			p = (size_t)rep[p];
		r->party[k] = p;
		r->generation[k] = (uint32_t)steps + 1;
	}
	for (size_t k = 0; k < n; k++) /* 3. */
		if (r->standing[k] != AL_CANDIDATE)
			r->standing[k] = r->party[k] < r->n_founders ? AL_FOUNDER : AL_JOINED;
	for (size_t i = 0; i < r->n_motions; i++) {
		const struct al_motion *mo = &r->motions[i];
		long old = roster_index(r, &mo->gone), k = roster_index(r, &mo->member.sign_key);
		if (mo->add || old < 0 || r->standing[old] == AL_CANDIDATE || !in_effect(r, mo))
			continue;
		if (!mo->replace) {
			gone[r->party[old]] = true;
		} else if (k >= 0 && rep[k] == old) {
			r->standing[old] = AL_REPLACED; /* the least replacement of old */
		} else if (k >= 0 && (size_t)k >= r->n_founders) {
			r->standing[k] = AL_REPLACED; /* another replacement of the same keys */
		}
	}
	for (size_t k = 0; k < n; k++)
		if (r->standing[k] != AL_CANDIDATE && r->standing[k] != AL_REPLACED &&
		    gone[r->party[k]])
			r->standing[k] = AL_LEFT;
	rc = AL_OK;
out:
	free(rep);
	free(gone);
	return rc;
}

/* Every replacement choose_ends() has fixed (feed_end set to its upto) in effect
 * and winning for its keys, once shaped? */
static bool cuts_hold(struct al_roster *r)
{
	for (size_t i = 0; i < r->n_motions; i++) {
		const struct al_motion *mo = &r->motions[i];
		long old = mo->replace ? roster_index(r, &mo->gone) : -1;
		if (old >= 0 && r->feed_end[old] == mo->upto &&
		    (!in_effect(r, mo) || r->standing[old] != AL_REPLACED))
			return false;
	}
	return true;
}

/* The ends of replaced feeds, chosen greedily in the order of the
 * replacements' ids: the least replacement in effect whose keys have no
 * end yet ends them, unless the votes that end voids would take a
 * replacement chosen before out of effect (then it is passed over); again
 * until none is left. The result depends on the set of messages held
 * only: the void messages stay in the log (they are the evidence of a
 * stolen key), they just do not count. */
static int choose_ends(struct al_roster *r)
{
	size_t n_rep = 0;
	for (size_t i = 0; i < r->n_motions; i++)
		n_rep += r->motions[i].replace;
	bool *passed = calloc(r->n_motions ? r->n_motions : 1, sizeof *passed);
	if (!passed)
		return AL_E_NOMEM;
	/* Each round starts shaped (the state of the ends as they stand). */
	int rc = shape(r);
	for (size_t round = 0; round < n_rep && rc == AL_OK; round++) {
		const struct al_motion *pick = NULL;
		size_t pi = 0;
		for (size_t i = 0; i < r->n_motions; i++) {
			const struct al_motion *mo = &r->motions[i];
			long old = mo->replace ? roster_index(r, &mo->gone) : -1;
			if (passed[i] || old < 0 || r->feed_end[old] != UINT64_MAX ||
			    r->standing[old] != AL_REPLACED || !in_effect(r, mo) ||
			    (pick && !ref_less(&mo->id, &pick->id)))
				continue;
			long k = roster_index(r, &mo->member.sign_key);
			if (k < 0 || r->standing[k] == AL_REPLACED) /* another won these keys */
				continue;
			pick = mo;
			pi = i;
		}
		if (!pick)
			break;
		long old = roster_index(r, &pick->gone);
		r->feed_end[old] = pick->upto;
		if ((rc = shape(r)) || cuts_hold(r))
			continue;
		r->feed_end[old] = UINT64_MAX;
		passed[pi] = true;
		rc = shape(r);
	}
	free(passed);
	return rc;
}

/* Everything roster.h promises, recomputed from the set of motions and
 * moves held (so that the order they came in never matters):
 *  1. the keys that may author (admit);
 *  2. each key's party and generation: keys that a replacement in effect
 *     brings in act for the party of the keys it replaces (of several, the
 *     replacement with the least id decides);
 *  3. standing: a party's keys are founders' when its first keys are in the
 *     charter, joined otherwise; keys that a replacement in effect names are
 *     replaced, and so are the new keys of every replacement of the same
 *     keys but the least; every key of a party a removal in effect names has
 *     left (but replaced ones); the ends of replaced feeds (choose_ends);
 *  4. cards (the least motion bringing the keys in), then moves.
 * r->member_changes counts the members whose standing or endpoint changed. */
static int settle(struct al_roster *r)
{
	size_t n0 = r->n_members;
	if (own_arrays(r, n0))
		return AL_E_NOMEM;
	enum al_standing *was = malloc((n0 ? n0 : 1) * sizeof *was);
	char (*ep)[AL_ENDPOINT_MAX] = malloc((n0 ? n0 : 1) * sizeof *ep);
	int rc = AL_E_NOMEM;
	if (!was || !ep)
		goto out;
	for (size_t m = 0; m < n0; m++) {
		r->feed_end[m] = UINT64_MAX;
		was[m] = r->standing[m];
		memcpy(ep[m], r->members[m].endpoint, AL_ENDPOINT_MAX);
	}
	if ((rc = choose_ends(r)))
		goto out;
	size_t n = r->n_members;
	for (size_t k = r->n_founders; k < n; k++) { /* 4. */
		/* A candidate's too (the least motion naming its keys, in effect
		 * or not): its card must not depend on which arrived first. */
		const struct al_motion *mo = least_bringing(r, k, false,
							    r->standing[k] != AL_CANDIDATE);
		if (mo) {
			r->members[k] = mo->member;
			memcpy(r->moved[k].card, mo->member.endpoint, AL_ENDPOINT_MAX);
		}
	}
	endpoints(r);
	for (size_t m = 0; m < n; m++)
		r->member_changes += m >= n0 ? r->standing[m] != AL_CANDIDATE
				     : was[m] != r->standing[m] || strcmp(ep[m], r->members[m].endpoint);
	rc = AL_OK;
out:
	free(was);
	free(ep);
	return rc;
}

/* The author of b moves its own endpoint: its latest move (by seq) holds,
 * whatever order the moves arrived in. A bad endpoint changes nothing (the
 * ledger counts it as a violation). */
static int move(struct al_roster *r, const struct al_body *b)
{
	long m = roster_index(r, &b->author);
	char why[AL_ERRLEN];
	if (m < 0 || card_check_endpoint(b->u.amendment.endpoint, why))
		return AL_OK;
	if (own_arrays(r, r->n_members))
		return AL_E_NOMEM;
	struct al_move *mv = &r->moved[m];
	if (b->seq <= mv->seq)
		return AL_OK;
	mv->seq = b->seq;
	snprintf(mv->endpoint, sizeof mv->endpoint, "%s", b->u.amendment.endpoint);
	char was[AL_ENDPOINT_MAX];
	memcpy(was, r->members[m].endpoint, sizeof was);
	endpoints(r);
	r->member_changes += strcmp(was, r->members[m].endpoint) != 0;
	return AL_OK;
}

int roster_note(struct al_roster *r, const struct al_body *b)
{
	if (b->kind != AL_KIND_AMENDMENT)
		return AL_OK;
	const struct al_amendment *am = &b->u.amendment;
	struct al_motion *mo;
	switch (roster_change_of(am)) {
	case ROSTER_MOVE:
		return move(r, b);
	case ROSTER_APPROVE:
		if (!(mo = motion(r, &am->approves)))
			return AL_E_NOMEM;
		break;
	case ROSTER_REPLACE:
		/* Ending the old feed before what its proposer had seen would
		 * void a member's history: the ledger's violation, nothing here. */
		if (am->replaces_upto < roster_seen(b, &am->replaces))
			return AL_OK;
		/* fall through */
	case ROSTER_ADD:
	case ROSTER_REMOVE:
		if (!(mo = motion(r, &(struct al_ref){ b->author, b->seq })))
			return AL_E_NOMEM;
		mo->seen = true;
		mo->add = am->has_add;
		mo->replace = am->has_replace;
		mo->member = am->has_replace ? am->replace : am->add;
		mo->gone = am->has_replace ? am->replaces : am->remove;
		mo->upto = am->replaces_upto;
		break;
	default:
		return AL_OK; /* new parameters are the ledger's business; a malformed
			       * amendment (the ledger's violation) changes nothing */
	}
	if (approve(mo, &b->author, b->seq))
		return AL_E_NOMEM;
	return mo->seen ? settle(r) : AL_OK;
}

static bool same_member(const struct al_member *x, const struct al_member *y)
{
	return !strcmp(x->name, y->name) && !memcmp(&x->sign_key, &y->sign_key, AL_KEYLEN) &&
	       !memcmp(&x->transport_key, &y->transport_key, AL_KEYLEN) &&
	       !strcmp(x->endpoint, y->endpoint);
}

int roster_compare(const struct al_roster *a, const struct al_roster *b, char *why)
{
	if (a->n_members != b->n_members || a->n_founders != b->n_founders ||
	    a->n_owned != b->n_owned || a->n_motions != b->n_motions ||
	    a->member_changes != b->member_changes)
		return al_errf(why, AL_E_INVAL, "members: %zu members, %zu motions, %llu changes "
			       "against %zu, %zu, %llu", a->n_members, a->n_motions,
			       (unsigned long long)a->member_changes, b->n_members, b->n_motions,
			       (unsigned long long)b->member_changes);
	for (size_t m = 0; m < a->n_members; m++) {
		bool same = same_member(&a->members[m], &b->members[m]) &&
			    roster_standing(a, m) == roster_standing(b, m) &&
			    roster_party(a, m) == roster_party(b, m) &&
			    roster_feed_end(a, m) == roster_feed_end(b, m);
		if (same && m < a->n_owned) {
			const struct al_move *x = &a->moved[m], *y = &b->moved[m];
			same = a->generation[m] == b->generation[m] && x->seq == y->seq &&
			       !strcmp(x->endpoint, y->endpoint) && !strcmp(x->card, y->card);
		}
		if (!same)
			return al_errf(why, AL_E_INVAL, "members: member %zu ('%s') differs", m,
				       a->members[m].name);
	}
	for (size_t i = 0; i < a->n_motions; i++) {
		const struct al_motion *x = &a->motions[i], *y = &b->motions[i];
		bool same = x->id.seq == y->id.seq &&
			    !memcmp(&x->id.author, &y->id.author, AL_KEYLEN) && x->seen == y->seen &&
			    x->add == y->add && x->replace == y->replace && x->upto == y->upto &&
			    same_member(&x->member, &y->member) &&
			    !memcmp(&x->gone, &y->gone, AL_KEYLEN) && x->n_approvers == y->n_approvers;
		for (size_t k = 0; same && k < x->n_approvers; k++)
			same = !memcmp(&x->approvers[k], &y->approvers[k], AL_KEYLEN) &&
			       x->approver_seq[k] == y->approver_seq[k];
		if (!same)
			return al_errf(why, AL_E_INVAL, "members: motion %zu differs", i);
	}
	return AL_OK;
}

void roster_destroy(struct al_roster **rp)
{
	struct al_roster *r = *rp;
	if (!r)
		return;
	for (size_t i = 0; i < r->n_motions; i++) {
		free(r->motions[i].approvers);
		free(r->motions[i].approver_seq);
	}
	free(r->motions);
	free(r->members);
	free(r->standing);
	free(r->party);
	free(r->generation);
	free(r->moved);
	free(r->feed_end);
	free(r);
	*rp = NULL;
}
