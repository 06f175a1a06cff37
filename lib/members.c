/* members.c: the charter's members as amended; see members.h. */
#include "members.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card.h"
#include "err.h"

enum al_standing members_standing(const struct al_charter *c, size_t m)
{
	return c->standing ? c->standing[m] : AL_FOUNDER;
}

bool members_current(const struct al_charter *c, size_t m)
{
	return al_standing_current(members_standing(c, m));
}

int members_check_current(const struct al_charter *c, size_t m, char *why)
{
	if (members_current(c, m))
		return AL_OK;
	switch (members_standing(c, m)) {
	case AL_LEFT:
		return al_errf(why, AL_E_INVAL, "'%s' has left the alliance", c->members[m].name);
	case AL_REPLACED:
		return al_errf(why, AL_E_INVAL, "these keys of '%s' were replaced by an amendment "
			       "('alliancectl amend --replace'): they sign nothing more; the home "
			       "with the new keys acts for '%s'", c->members[m].name,
			       c->members[m].name);
	default:
		return al_errf(why, AL_E_INVAL, "'%s' is not a member yet: a member proposes "
			       "'alliancectl amend --add CARD' (or, for new keys of a member, "
			       "'amend --replace CARD') and the charter's quorum approves it",
			       c->members[m].name);
	}
}

const char *members_standing_name(enum al_standing s)
{
	static const char *const names[] = { "founder", "joined", "left", "candidate",
					      "replaced" };
	return names[s];
}

size_t members_party(const struct al_charter *c, size_t m)
{
	return c->party ? c->party[m] : m;
}

/* Give c the per-member arrays for n members (the first change from
 * all-founders, each its own party, first keys, never moved). */
static int own_arrays(struct al_charter *c, size_t n)
{
	size_t was = c->standing ? c->n_members : 0;
	enum al_standing *v = realloc(c->standing, n * sizeof *v);
	if (v)
		c->standing = v;
	size_t *p = v ? realloc(c->party, n * sizeof *p) : NULL;
	if (p)
		c->party = p;
	uint32_t *g = p ? realloc(c->generation, n * sizeof *g) : NULL;
	if (g)
		c->generation = g;
	struct al_move *mv = g ? realloc(c->moved, n * sizeof *mv) : NULL;
	if (!mv)
		return AL_E_NOMEM; /* the arrays grown so far are c's, and long enough */
	c->moved = mv;
	for (size_t i = was; i < n; i++) {
		v[i] = AL_FOUNDER;
		p[i] = i;
		g[i] = 1;
		mv[i].seq = 0;
		mv[i].endpoint[0] = '\0';
	}
	return AL_OK;
}

static long append(struct al_charter *c, const struct al_member *m, enum al_standing s)
{
	struct al_member *v = realloc(c->members, (c->n_members + 1) * sizeof *v);
	if (!v)
		return -1;
	c->members = v;
	if (own_arrays(c, c->n_members + 1))
		return -1;
	v[c->n_members] = *m;
	c->standing[c->n_members] = s;
	return (long)c->n_members++;
}

long members_candidate(struct al_charter *c, const struct al_member *self)
{
	long i = charter_index(c, &self->sign_key);
	return i >= 0 ? i : append(c, self, AL_CANDIDATE);
}

static struct al_motion *motion(struct al_charter *c, const struct al_ref *id)
{
	for (size_t i = 0; i < c->n_motions; i++)
		if (c->motions[i].id.seq == id->seq &&
		    !memcmp(&c->motions[i].id.author, &id->author, AL_KEYLEN))
			return &c->motions[i];
	struct al_motion *v = realloc(c->motions, (c->n_motions + 1) * sizeof *v);
	if (!v)
		return NULL;
	c->motions = v;
	memset(&v[c->n_motions], 0, sizeof *v);
	v[c->n_motions].id = *id;
	return &v[c->n_motions++];
}

static int approve(struct al_motion *mo, const al_key *who)
{
	for (size_t i = 0; i < mo->n_approvers; i++)
		if (!memcmp(&mo->approvers[i], who, AL_KEYLEN))
			return AL_OK;
	al_key *v = realloc(mo->approvers, (mo->n_approvers + 1) * sizeof *v);
	if (!v)
		return AL_E_NOMEM;
	mo->approvers = v;
	v[mo->n_approvers++] = *who;
	return AL_OK;
}

/* Votes for mo: its proposer and approvers who are members here (any
 * standing but candidate: one who left still counts, so that the count
 * only grows), one per member whatever keys it signed with. */
static size_t votes(const struct al_charter *c, const struct al_motion *mo)
{
	size_t n = 0;
	for (size_t k = 0; k < mo->n_approvers; k++) {
		long m = charter_index(c, &mo->approvers[k]);
		if (m < 0 || members_standing(c, (size_t)m) == AL_CANDIDATE)
			continue;
		bool again = false; /* the same member, by its other keys */
		for (size_t j = 0; j < k && !again; j++) {
			long o = charter_index(c, &mo->approvers[j]);
			again = o >= 0 && members_standing(c, (size_t)o) != AL_CANDIDATE &&
				members_party(c, (size_t)o) == members_party(c, (size_t)m);
		}
		n += !again;
	}
	return n;
}

static bool ref_less(const struct al_ref *x, const struct al_ref *y)
{
	int k = memcmp(&x->author, &y->author, AL_KEYLEN);
	return k < 0 || (k == 0 && x->seq < y->seq);
}

/* A joined member's card is that of the motion in effect with the least
 * id (author key, seq) that adds its key: a card corrected by a second
 * proposal must not depend on which arrived first. */
static void choose_cards(struct al_charter *c)
{
	for (size_t m = c->n_founders; m < c->n_members; m++) {
		const struct al_motion *best = NULL;
		if (members_standing(c, m) == AL_CANDIDATE)
			continue;
		for (size_t i = 0; i < c->n_motions; i++) {
			const struct al_motion *mo = &c->motions[i];
			if (mo->seen && (mo->add || mo->replace) &&
			    !memcmp(&mo->member.sign_key, &c->members[m].sign_key, AL_KEYLEN) &&
			    votes(c, mo) >= c->quorum && (!best || ref_less(&mo->id, &best->id)))
				best = mo;
		}
		if (best)
			c->members[m] = best->member;
	}
	/* Then each member's latest move of its own endpoint. */
	for (size_t m = 0; c->moved && m < c->n_members; m++)
		if (c->moved[m].seq)
			memcpy(c->members[m].endpoint, c->moved[m].endpoint,
			       sizeof c->members[m].endpoint);
}

/* Does another motion in effect replace the same keys, with a lesser id?
 * Of two replacements that raced, that one wins in every home that holds
 * both before either takes effect. */
static bool outranked(const struct al_charter *c, const struct al_motion *mo)
{
	for (size_t i = 0; i < c->n_motions; i++) {
		const struct al_motion *o = &c->motions[i];
		if (o != mo && o->seen && o->replace && !memcmp(&o->gone, &mo->gone, AL_KEYLEN) &&
		    ref_less(&o->id, &mo->id) && votes(c, o) >= c->quorum)
			return true;
	}
	return false;
}

/* Put replacement mo into effect if it can be: the keys it replaces are a
 * current member's, under the same name, and its new keys are no one's
 * yet (or this home's own candidate). Returns 1 when it did, 0 when not,
 * or AL_E_NOMEM. */
static int replace(struct al_charter *c, const struct al_motion *mo)
{
	long old = charter_index(c, &mo->gone), m = charter_index(c, &mo->member.sign_key);
	if (old < 0 || !members_current(c, (size_t)old) ||
	    strcmp(c->members[old].name, mo->member.name) ||
	    (m >= 0 && members_standing(c, (size_t)m) != AL_CANDIDATE) || outranked(c, mo))
		return 0;
	if (m < 0 && (m = append(c, &mo->member, AL_CANDIDATE)) < 0)
		return AL_E_NOMEM;
	if (own_arrays(c, c->n_members))
		return AL_E_NOMEM;
	c->standing[m] = c->standing[old]; /* a founder's new keys stay a founder's */
	c->standing[old] = AL_REPLACED;
	c->party[m] = c->party[old];
	c->generation[m] = c->generation[old] + 1;
	return 1;
}

/* Put into effect every motion that has the charter's quorum of votes.
 * Adding a member can only add votes and removing one takes none away,
 * so going round until nothing changes reaches the one fixed point of the
 * set of motions held, in whatever order they came. */
static int settle(struct al_charter *c)
{
	for (bool again = true; again;) {
		again = false;
		for (size_t i = 0; i < c->n_motions; i++) {
			struct al_motion *mo = &c->motions[i];
			if (!mo->seen || votes(c, mo) < c->quorum)
				continue;
			long m = charter_index(c, mo->add ? &mo->member.sign_key : &mo->gone);
			enum al_standing was = m < 0 ? AL_CANDIDATE : members_standing(c, (size_t)m);
			if (mo->replace) {
				int rc = replace(c, mo);
				if (rc < 0)
					return rc;
				if (!rc)
					continue;
			} else if (mo->add && was == AL_CANDIDATE) {
				if (m < 0 && (m = append(c, &mo->member, AL_JOINED)) < 0)
					return AL_E_NOMEM;
				c->standing[m] = AL_JOINED; /* its card: choose_cards */
			} else if (!mo->add && (was == AL_FOUNDER || was == AL_JOINED)) {
				if (own_arrays(c, c->n_members))
					return AL_E_NOMEM;
				c->standing[m] = AL_LEFT;
			} else {
				continue; /* in effect already, or waiting for its member */
			}
			c->member_changes++;
			again = true;
		}
	}
	choose_cards(c);
	return AL_OK;
}

/* The author of b moves its own endpoint: its latest move (by seq) holds,
 * whatever order the moves arrived in. A bad endpoint changes nothing (the
 * ledger counts it as a violation). */
static int move(struct al_charter *c, const struct al_body *b)
{
	long m = charter_index(c, &b->author);
	char why[AL_ERRLEN];
	if (m < 0 || card_check_endpoint(b->u.amendment.endpoint, why))
		return AL_OK;
	if (own_arrays(c, c->n_members))
		return AL_E_NOMEM;
	struct al_move *mv = &c->moved[m];
	if (b->seq <= mv->seq)
		return AL_OK;
	mv->seq = b->seq;
	snprintf(mv->endpoint, sizeof mv->endpoint, "%s", b->u.amendment.endpoint);
	if (strcmp(c->members[m].endpoint, mv->endpoint)) {
		memcpy(c->members[m].endpoint, mv->endpoint, sizeof mv->endpoint);
		c->member_changes++;
	}
	return AL_OK;
}

int members_note(struct al_charter *c, const struct al_body *b)
{
	if (b->kind != AL_KIND_AMENDMENT)
		return AL_OK;
	const struct al_amendment *am = &b->u.amendment;
	struct al_motion *mo;
	if (am->endpoint && *am->endpoint && !am->approves.seq) {
		return move(c, b);
	} else if (am->approves.seq) {
		if (!(mo = motion(c, &am->approves)))
			return AL_E_NOMEM;
	} else if (am->has_add || am->has_remove || am->has_replace) {
		if (!(mo = motion(c, &(struct al_ref){ b->author, b->seq })))
			return AL_E_NOMEM;
		mo->seen = true;
		mo->add = am->has_add;
		mo->replace = am->has_replace;
		mo->member = am->has_replace ? am->replace : am->add;
		mo->gone = am->has_replace ? am->replaces : am->remove;
	} else {
		return AL_OK; /* new parameters: the ledger's business */
	}
	if (approve(mo, &b->author))
		return AL_E_NOMEM;
	return mo->seen ? settle(c) : AL_OK;
}

void members_forget(struct al_charter *c)
{
	for (size_t i = 0; i < c->n_motions; i++)
		free(c->motions[i].approvers);
	free(c->motions);
	c->motions = NULL;
	c->n_motions = 0;
}
