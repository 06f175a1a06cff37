/* ledger.c: replay messages in canonical causal order into commitment
 * states. See ledger.h for the order and the rules. */
#include "ledger.h"

#include <stdlib.h>
#include <string.h>

#include "card.h"
#include "checkpoint.h"
#include "err.h"
#include "grow.h"
#include "roster.h"
#include "store.h"
#include "verify.h"
#include "when.h"
#include "wire.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

/* Where seq is, or would go, in member m's ascending list. */
static size_t index_at(const struct al_seqindex *x, uint64_t seq)
{
	size_t lo = 0, hi = x->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (x->v[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* (member m, seq) -> index + 1, in m's list (messages come in seq order
 * within a feed, so this appends; anything else is inserted). */
static int index_put(struct al_seqindex *tab, size_t m, uint64_t seq, size_t value)
{
	struct al_seqindex *x = &tab[m];
	if (value > UINT32_MAX || grow(&x->v, &x->cap, x->n + 1, sizeof *x->v))
		return AL_E_NOMEM; /* or more than 4 billion commitments or tasks */
	size_t i = x->n && x->v[x->n - 1].seq < seq ? x->n : index_at(x, seq);
	if (i < x->n && x->v[i].seq == seq) {
		x->v[i].at = (uint32_t)value;
		return AL_OK;
	}
	memmove(&x->v[i + 1], &x->v[i], (x->n - i) * sizeof *x->v);
	x->v[i] = (struct al_seqpos){ seq, (uint32_t)value };
	x->n++;
	return AL_OK;
}

/* Forget (member m, seq) (undone: usually m's last). */
static void index_drop(struct al_seqindex *tab, size_t m, uint64_t seq)
{
	struct al_seqindex *x = &tab[m];
	size_t i = x->n && x->v[x->n - 1].seq == seq ? x->n - 1 : index_at(x, seq);
	if (i < x->n && x->v[i].seq == seq) {
		memmove(&x->v[i], &x->v[i + 1], (x->n - i - 1) * sizeof *x->v);
		x->n--;
	}
}

static size_t index_find(const struct al_seqindex *tab, size_t m, uint64_t seq)
{
	size_t i = index_at(&tab[m], seq);
	return i < tab[m].n && tab[m].v[i].seq == seq ? tab[m].v[i].at : 0;
}

static size_t index_get(const struct al_ledger *l, const struct al_seqindex *tab,
			const struct al_ref *r)
{
	long m = roster_index(l->ro, &r->author);
	return m >= 0 ? index_find(tab, (size_t)m, r->seq) : 0;
}

static struct al_cstatus *find(struct al_ledger *l, const struct al_ref *r)
{
	size_t k = index_get(l, l->item_of, r);
	return k ? &l->items[k - 1] : NULL;
}

/* find, by (member, seq) (member UINT32_MAX: not a member's). */
static struct al_cstatus *find_m(struct al_ledger *l, const struct al_mref *r)
{
	size_t k = r->member < l->n_members ? index_find(l->item_of, r->member, r->seq) : 0;
	return k ? &l->items[k - 1] : NULL;
}

/* The (member, seq) of message (author, seq) (UINT32_MAX: not a member's). */
static struct al_mref mref_of(const struct al_ledger *l, const al_key *author, uint64_t seq)
{
	long m = roster_index(l->ro, author);
	return (struct al_mref){ seq, m < 0 ? UINT32_MAX : (uint32_t)m };
}

struct al_ref ledger_ref(const struct al_ledger *l, const struct al_mref *r)
{
	struct al_ref v = { .seq = r->seq };
	if (r->member < l->ro->n_members)
		v.author = l->ro->members[r->member].sign_key;
	return v;
}

/* Member sets (union al_mset): inline bits up to 64 members. */
static bool mset_inline(const struct al_ledger *l)
{
	return l->n_members <= 64;
}

static int mset_new(const struct al_ledger *l, union al_mset *s)
{
	memset(s, 0, sizeof *s);
	if (!mset_inline(l) && !(s->words = calloc((l->n_members + 63) / 64, sizeof *s->words)))
		return AL_E_NOMEM;
	return AL_OK;
}

static void mset_free(const struct al_ledger *l, union al_mset *s)
{
	if (!mset_inline(l))
		free(s->words);
	memset(s, 0, sizeof *s);
}

static uint64_t *mset_word(const struct al_ledger *l, union al_mset *s, size_t m)
{
	return mset_inline(l) ? &s->bits : &s->words[m / 64];
}

static void mset_put(const struct al_ledger *l, union al_mset *s, size_t m, bool v)
{
	uint64_t *w = mset_word(l, s, m), bit = (uint64_t)1 << (m % 64);
	*w = v ? *w | bit : *w & ~bit;
}

bool ledger_has(const struct al_ledger *l, const union al_mset *s, size_t m)
{
	if (m >= l->n_members)
		return false;
	const uint64_t *w = mset_inline(l) ? &s->bits : &s->words[m / 64];
	return *w >> (m % 64) & 1;
}

size_t ledger_count(const struct al_ledger *l, const union al_mset *s)
{
	size_t n = 0;
	for (size_t m = 0; m < l->n_members; m++)
		n += ledger_has(l, s, m);
	return n;
}

static bool mset_equal(const struct al_ledger *l, const union al_mset *x, const union al_mset *y)
{
	if (mset_inline(l))
		return x->bits == y->bits;
	return !memcmp(x->words, y->words, (l->n_members + 63) / 64 * sizeof *x->words);
}

static const struct al_task_status *find_task(const struct al_ledger *l, const struct al_ref *r)
{
	size_t k = index_get(l, l->task_of, r);
	return k ? &l->tasks[k - 1] : NULL;
}

static struct al_proposal *find_proposal(struct al_ledger *l, const struct al_ref *r)
{
	for (size_t i = 0; i < l->n_proposals; i++) /* amendments are few */
		if (l->proposals[i].id.seq == r->seq &&
		    !memcmp(&l->proposals[i].id.author, &r->author, AL_KEYLEN))
			return &l->proposals[i];
	return NULL;
}

/* Had the author of b seen message r when it signed b (its frontier)? */
static bool saw(const struct al_body *b, const struct al_ref *r)
{
	if (!memcmp(&b->author, &r->author, AL_KEYLEN))
		return b->seq > r->seq;
	for (size_t i = 0; i < b->n_frontier; i++)
		if (!memcmp(&b->frontier[i].author, &r->author, AL_KEYLEN))
			return b->frontier[i].seq >= r->seq;
	return false;
}

static bool beneficiary(const struct al_ledger *l, const struct al_cstatus *s, size_t m)
{
	return ledger_has(l, &s->to, m);
}

/* saw, of a message of l's charter. */
static bool saw_m(const struct al_ledger *l, const struct al_body *b, const struct al_mref *r)
{
	struct al_ref ref = ledger_ref(l, r);
	return saw(b, &ref);
}

/* The party (roster_party) of the member with key k, or -1. */
static long party_of(const struct al_ledger *l, const al_key *k)
{
	long m = roster_index(l->ro, k);
	return m < 0 ? -1 : (long)l->party[m];
}

static int add_commitment(struct al_ledger *l, const struct al_body *b, size_t k, size_t author)
{
	const struct al_commitment *cm = &b->u.commitment;
	union al_mset to, released;
	if (mset_new(l, &to))
		return AL_E_NOMEM;
	if (mset_new(l, &released) ||
	    grow(&l->items, &l->cap_items, l->n_items + 1, sizeof *l->items) ||
	    index_put(l->item_of, k, b->seq, l->n_items + 1)) {
		mset_free(l, &to);
		mset_free(l, &released);
		return AL_E_NOMEM;
	}
	for (size_t i = 0; i < cm->n_to; i++)
		mset_put(l, &to, (size_t)party_of(l, &cm->to[i]), true); /* checked by allowed() */
	struct al_cstatus *s = &l->items[l->n_items++];
	memset(s, 0, sizeof *s);
	s->id = s->changed = (struct al_mref){ b->seq, (uint32_t)k };
	s->promisor = (uint32_t)author;
	s->to = to;
	s->due = cm->due;
	s->value = cm->value;
	s->proposed_at = b->timestamp;
	if (cm->task.seq) /* a task's: checked by allowed() */
		s->task = mref_of(l, &cm->task.author, cm->task.seq);
	s->released = released;
	s->state = AL_C_PROPOSED;
	return AL_OK;
}

static bool is_active(const struct al_ledger *l, size_t m)
{
	return al_standing_current(l->standing[m]);
}

/* Is the member with key k a member at this point of the replay? */
static bool active(const struct al_ledger *l, const al_key *k)
{
	long m = roster_index(l->ro, k);
	return m >= 0 && is_active(l, (size_t)m);
}

static size_t n_active(const struct al_ledger *l)
{
	size_t n = 0;
	for (size_t m = 0; m < l->n_members; m++)
		n += is_active(l, m);
	return n;
}

static bool same_card(const struct al_member *x, const struct al_member *y)
{
	return !strcmp(x->name, y->name) && !strcmp(x->endpoint, y->endpoint) &&
	       !memcmp(&x->sign_key, &y->sign_key, AL_KEYLEN) &&
	       !memcmp(&x->transport_key, &y->transport_key, AL_KEYLEN);
}

/* Member k's card as ro was given it, before any move (roster_card_endpoint):
 * what a ledger starts from, replaying the moves itself. */
static void card_of(const struct al_roster *ro, size_t k, struct al_member *out)
{
	*out = ro->members[k];
	snprintf(out->endpoint, sizeof out->endpoint, "%s", roster_card_endpoint(ro, k));
}

/* Is x member k's card in ro, as card_of makes it? */
static bool is_card_of(const struct al_roster *ro, size_t k, const struct al_member *x)
{
	const struct al_member *m = &ro->members[k];
	return !strcmp(m->name, x->name) && !strcmp(roster_card_endpoint(ro, k), x->endpoint) &&
	       !memcmp(&m->sign_key, &x->sign_key, AL_KEYLEN) &&
	       !memcmp(&m->transport_key, &x->transport_key, AL_KEYLEN);
}

/* A proposal not in effect yet that adds the same card, or removes the
 * same member, as am would. */
static const struct al_proposal *pending_twin(const struct al_ledger *l,
					      const struct al_amendment *am)
{
	for (size_t i = 0; i < l->n_proposals; i++) {
		const struct al_proposal *p = &l->proposals[i];
		if (p->effective_at || p->change == AL_AMEND_PARAMS)
			continue;
		if (am->has_replace && p->change == AL_AMEND_REPLACE && p->old >= 0 &&
		    !memcmp(&l->ro->members[p->old].sign_key, &am->replaces, AL_KEYLEN))
			return p; /* new keys for the same keys */
		if (p->change == AL_AMEND_REPLACE || am->has_replace ||
		    (p->change == AL_AMEND_ADD) != am->has_add)
			continue;
		if (am->has_remove && !memcmp(&p->card.sign_key, &am->remove, AL_KEYLEN))
			return p;
		if (am->has_add && same_card(&p->card, &am->add))
			return p; /* the same card (a corrected one may race it) */
	}
	return NULL;
}

/* May this card join now? Not a member's or a former member's key, and a
 * name and keys no member or former member has (as the ledger admitted
 * them: the cards of its own replay). */
static bool card_clash(const struct al_ledger *l, const struct al_member *card, char *why)
{
	for (size_t m = 0; m < l->n_members; m++) {
		const struct al_member *o = &l->card[m];
		const char *shared;
		if (l->standing[m] == AL_CANDIDATE)
			continue; /* not added (yet) */
		if (!memcmp(&o->sign_key, &card->sign_key, AL_KEYLEN))
			return snprintf(why, AL_ERRLEN, "'%s' %s", o->name, is_active(l, m)
					? "is already a member" : "left the alliance: its key cannot "
					  "join again"), true;
		if ((shared = charter_clash(o, card)))
			return snprintf(why, AL_ERRLEN, "'%s' has that %s", o->name, shared), true;
	}
	return false;
}

/* May card replace the keys of member old now? The same name as old's,
 * and keys no member or former member has ever had. */
static bool replace_clash(const struct al_ledger *l, size_t old, const struct al_member *card,
			  char *why)
{
	if (strcmp(l->card[old].name, card->name))
		return snprintf(why, AL_ERRLEN, "a replacement card keeps the member's name ('%s', "
				"not '%s')", l->card[old].name, card->name), true;
	for (size_t m = 0; m < l->n_members; m++) {
		const struct al_member *o = &l->card[m];
		if (l->standing[m] == AL_CANDIDATE)
			continue;
		struct al_member renamed = *card; /* the name is old's: only keys may clash */
		snprintf(renamed.name, sizeof renamed.name, "%s", l->party[m] == l->party[old]
			 ? "" : card->name);
		const char *shared = charter_clash(o, &renamed);
		if (shared)
			return snprintf(why, AL_ERRLEN, "'%s' has that %s%s", o->name, shared,
					!strcmp(shared, "key") ? " (a replacement needs new keys)"
							       : ""), true;
	}
	return false;
}

/* What one applied message changed, to undo it (ledger_add's tail; see
 * ledger.h). */
struct inc_msg;
struct undo {
	struct inc_msg *m; /* the message (in its feed's queue) */
	size_t n_items, n_tasks, n_feedback, n_proposals, n_broken, n_order; /* before it */
	long violator;     /* the party whose violations it counted, or -1 */
	long item;         /* the commitment it may have changed, or -1 ... */
	struct al_cstatus was; /* ... as it was */
	long released;     /* the released[] entry it set, or -1 ... */
	bool released_was;
	long prop;         /* the proposal it approved, or -1 ... */
	struct al_proposal pwas; /* ... as it was */
	long approved;     /* its approved[] entry, or -1 */
	bool approved_was;
	struct msnap *snap; /* an amendment: the member arrays and parameters before it */
};

/* The verdict of the rules on one message. */
enum rule { OK, BROKEN, RACE };

static enum rule refuse(char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static enum rule refuse(char *why, const char *fmt, ...)
{
	if (why) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, AL_ERRLEN, fmt, ap);
		va_end(ap);
	}
	return BROKEN;
}

/* The rules: may the keys of member k send b, given the ledger so far?
 * BROKEN: why (may be NULL) says which rule b breaks. RACE: b answers a
 * state that another member changed without b's author having seen it
 * (two beneficiaries answering at once): b changes nothing, and is no
 * one's fault. *target is the commitment b is about (NULL for other
 * kinds). What b's author may do is its party's (roster_party): keys
 * that replaced others act for the same member. */
static enum rule allowed(struct al_ledger *l, size_t k, const struct al_body *b, bool live,
			 struct al_cstatus **target, char *why)
{
	const struct al_charter *c = l->c;
	const struct al_roster *ro = l->ro;
	const struct al_ref *ref = NULL;
	size_t a = l->party[k];
	char idbuf[AL_IDLEN];
	*target = NULL;
	if (!is_active(l, k) && b->kind != AL_KIND_RECEIPT)
		return refuse(why, "%s is not a member%s", ro->members[k].name,
			      l->standing[k] == AL_LEFT ? " any more: it left the alliance"
			      : l->standing[k] == AL_REPLACED ? " by these keys any more: they were "
								"replaced"
			      : " yet: no amendment adding it is in effect");
	switch (b->kind) {
	case AL_KIND_TASK:
		if (!active(l, &b->u.task.owner))
			return refuse(why, "a task's owner must be a member");
		for (size_t i = 0; i < b->u.task.n_depends; i++)
			if (!find_task(l, &b->u.task.depends[i]))
				return refuse(why, "a task depends only on tasks");
		return OK;
	case AL_KIND_COMMITMENT:
		if (b->u.commitment.task.seq && !find_task(l, &b->u.commitment.task))
			return refuse(why, "a commitment's task must be a task");
		if (!b->u.commitment.n_to)
			return refuse(why, "a commitment is to at least one other member");
		for (size_t i = 0; i < b->u.commitment.n_to; i++) {
			long m = party_of(l, &b->u.commitment.to[i]);
			if (!active(l, &b->u.commitment.to[i]) || (size_t)m == a)
				return refuse(why, "a commitment must be to other members");
			for (size_t k = 0; k < i; k++)
				if (!memcmp(&b->u.commitment.to[k], &b->u.commitment.to[i], AL_KEYLEN))
					return refuse(why, "a commitment names each beneficiary once");
		}
		return OK;
	case AL_KIND_RESPONSE: ref = &b->u.response.commitment; break;
	case AL_KIND_DELIVERY: ref = &b->u.delivery.commitment; break;
	case AL_KIND_VERDICT: ref = &b->u.verdict.commitment; break;
	case AL_KIND_RELEASE: ref = &b->u.release.commitment; break;
	case AL_KIND_ESCALATION: ref = &b->u.escalation.subject; break;
	case AL_KIND_RESOLUTION: ref = &b->u.resolution.subject; break;
	case AL_KIND_FEEDBACK: {
		long about = roster_index(ro, &b->u.feedback.about);
		if (about < 0 || l->standing[about] == AL_CANDIDATE || l->party[about] == a)
			return refuse(why, "feedback is about another member");
		if (b->u.feedback.rating < 1 || b->u.feedback.rating > 5)
			return refuse(why, "a rating is from 1 to 5, not %u", b->u.feedback.rating);
		return OK;
	}
	case AL_KIND_AMENDMENT: {
		const struct al_amendment *am = &b->u.amendment;
		char err[AL_ERRLEN];
		enum roster_change change = roster_change_of(am);
		if (change == ROSTER_BAD)
			return refuse(why, "an amendment proposes one change (new parameters, a "
				      "member to add, one to remove, new keys for one, or its "
				      "author's new endpoint) or approves one, and nothing else");
		if (change == ROSTER_APPROVE) {
			const struct al_proposal *p = find_proposal(l, &am->approves);
			if (!p)
				return refuse(why, "an approval names a proposed amendment");
			if (p->effective_at)
				return !live && !saw(b, &p->enacted_by)
					       ? RACE /* approved as another approval made it */
					       : refuse(why, "that amendment is already in effect");
			if (p->approved[a])
				return refuse(why, "%s has already approved that amendment",
					      ro->members[a].name);
			/* Its approval would come after the feed's end the proposal set. */
			if (p->change == AL_AMEND_REPLACE && p->old == (long)k)
				return refuse(why, "keys vote for their own replacement only by "
					      "proposing it: their feed ends where the proposal said");
			return OK;
		}
		if (change == ROSTER_MOVE)
			return card_check_endpoint(am->endpoint, err) ? refuse(why, "%s", err)
								       : OK; /* its author's own, at once */
		if (am->has_add && card_clash(l, &am->add, err))
			return refuse(why, "%s", err);
		if (am->has_replace) {
			long old = roster_index(ro, &am->replaces);
			if (old < 0 || !is_active(l, (size_t)old))
				return refuse(why, "only a member's current keys can be replaced");
			if (am->replaces_upto < roster_seen(b, &am->replaces))
				return refuse(why, "a replacement ends the old keys' feed at %llu, before "
					      "messages of theirs its proposer had seen (to %llu)",
					      (unsigned long long)am->replaces_upto,
					      (unsigned long long)roster_seen(b, &am->replaces));
			if (replace_clash(l, (size_t)old, &am->replace, err))
				return refuse(why, "%s", err);
		}
		if (am->has_remove && !active(l, &am->remove))
			return refuse(why, "only a member can be removed");
		if (am->has_remove && n_active(l) < 2)
			return refuse(why, "the last member cannot be removed");
		const struct al_proposal *twin = pending_twin(l, am);
		/* Two members may propose the same at once: each proposal then
		 * stands, and the first to take effect makes the other void. */
		if (twin && (live || saw(b, &twin->id)))
			return refuse(why, "%s is already proposed and waiting for approvals: approve "
				      "it instead", roster_ref_name(ro, &twin->id, idbuf));
		if (am->has_params && charter_check_params(&am->params, err))
			return refuse(why, "%s", err);
		return OK;
	}
	default: return OK; /* receipts */
	}
	struct al_cstatus *s = find(l, ref);
	roster_ref_name(ro, ref, idbuf);
	if (!s)
		return refuse(why, "%s is not a commitment", idbuf);
	*target = s;
	const char *state = ledger_state_name(s->state), *who = ro->members[a].name;
	/* Replaying, b answers a state its author had not seen: a race. */
	bool stale = !live && !saw_m(l, b, &s->changed);
	int64_t missed_at = when_after(s->due, l->params.grace);
	switch (b->kind) {
	case AL_KIND_RESPONSE:
		if (!beneficiary(l, s, a))
			return refuse(why, "only a beneficiary of %s may accept or decline it, and %s "
				      "is not one", idbuf, who);
		if (s->state != AL_C_PROPOSED) {
			if (stale)
				return RACE; /* another answered first, or it was withdrawn */
			return refuse(why, "%s is %s: only a proposed commitment can be accepted or "
				      "declined", idbuf, state);
		}
		return OK;
	case AL_KIND_DELIVERY:
		if (s->promisor != a)
			return refuse(why, "only %s, the promisor, may deliver %s",
				      ro->members[s->promisor].name, idbuf);
		if (s->state != AL_C_PROPOSED && s->state != AL_C_ACCEPTED) {
			if (stale)
				return RACE; /* declined or released while it was being delivered */
			return refuse(why, "%s is %s: only a proposed or accepted commitment can be "
				      "delivered", idbuf, state);
		}
		if (b->timestamp > missed_at)
			return refuse(why, "%s was missed (due, then the grace period, passed): a "
				      "delivery no longer changes that; release it by mutual "
				      "agreement instead", idbuf);
		return OK;
	case AL_KIND_RELEASE:
		if (s->promisor != a && !beneficiary(l, s, a))
			return refuse(why, "only the parties to %s may release it, and %s is not one",
				      idbuf, who);
		if (s->state != AL_C_PROPOSED && s->state != AL_C_ACCEPTED) {
			if (stale)
				return RACE; /* delivered or declined while it was being released */
			return refuse(why, "%s is %s: only a proposed or accepted commitment can be "
				      "released", idbuf, state);
		}
		if (ledger_has(l, &s->released, a))
			return refuse(why, "%s has already released %s", who, idbuf);
		return OK;
	case AL_KIND_ESCALATION:
		if ((s->state != AL_C_DISPUTED || s->escalated) && stale)
			return RACE; /* escalated or resolved meanwhile */
		if (s->state != AL_C_DISPUTED)
			return refuse(why, "%s is %s: only a disputed commitment can be escalated",
				      idbuf, state);
		if (s->escalated)
			return refuse(why, "%s is already escalated", idbuf);
		return OK;
	case AL_KIND_RESOLUTION: {
		bool resolver = false;
		for (size_t i = 0; i < c->n_resolvers; i++)
			resolver |= !strcmp(c->resolvers[i], who);
		if (!resolver)
			return refuse(why, "only the charter's resolver%s (%s) may resolve a dispute, "
				      "and %s is not one", c->n_resolvers == 1 ? "" : "s",
				      c->n_resolvers ? c->resolvers[0] : "none named", who);
		if (s->promisor == a || beneficiary(l, s, a))
			return refuse(why, "%s is a party to %s: a resolver may not rule in its own "
				      "case", who, idbuf);
		if (s->state == AL_C_RESOLVED && stale)
			return RACE; /* another resolver ruled first */
		if (s->state != AL_C_DISPUTED || !s->escalated)
			return refuse(why, "%s is %s%s: only an escalated dispute can be resolved",
				      idbuf, state, s->state == AL_C_DISPUTED ? ", not escalated" : "");
		if (b->u.resolution.ruling != AL_RULING_UPHOLD &&
		    b->u.resolution.ruling != AL_RULING_REJECT)
			return refuse(why, "a ruling upholds or rejects the dispute");
		return OK;
	}
	default: /* verdict */
		if (!beneficiary(l, s, a))
			return refuse(why, "only a beneficiary of %s may confirm or dispute it, and %s "
				      "is not one", idbuf, who);
		if (s->state != AL_C_DELIVERED) {
			if (stale)
				return RACE; /* another beneficiary judged first */
			return refuse(why, "%s is %s: only a delivered commitment can be confirmed or "
				      "disputed", idbuf, state);
		}
		if (b->u.verdict.outcome != AL_OUTCOME_CONFIRM &&
		    b->u.verdict.outcome != AL_OUTCOME_DISPUTE)
			return refuse(why, "a verdict confirms or disputes");
		if (b->u.verdict.outcome == AL_OUTCOME_CONFIRM &&
		    (b->u.verdict.quality < 1 || b->u.verdict.quality > 5 ||
		     b->u.verdict.timeliness < 1 || b->u.verdict.timeliness > 5))
			return refuse(why, "a confirmation rates quality and timeliness from 1 to 5");
		return OK;
	}
}

int ledger_check(struct al_ledger *l, const al_key *author, const struct al_body *b, char *why)
{
	struct al_cstatus *s;
	long k = roster_index(l->ro, author);
	if (k < 0)
		return al_errf(why, AL_E_INVAL, "the author is not a member");
	/* live: the author holds all of this ledger, so it has seen it all */
	return allowed(l, (size_t)k, b, true, &s, why) == OK ? AL_OK : AL_E_INVAL;
}

/* A violation by the keys of member k: its party's. */
static int violation(struct al_ledger *l, long k, const struct al_body *b, const char *why,
		     struct undo *u)
{
	size_t a = l->party[k];
	if (grow(&l->broken, &l->cap_broken, l->n_broken + 1, sizeof *l->broken))
		return AL_E_NOMEM;
	struct al_violation *v = l->broken;
	if (u)
		u->violator = (long)a;
	v[l->n_broken].id = (struct al_ref){ b->author, b->seq };
	snprintf(v[l->n_broken++].why, sizeof v->why, "%s", why);
	l->violations[a]++;
	return AL_OK;
}

/* Put p into effect: new parameters for everything evaluated after, a
 * member added or removed for every message applied after. What can no
 * longer be done is void: adding a card whose name or keys another
 * proposal gave a member meanwhile (two proposals raced), removing the
 * last member. */
static void enact(struct al_ledger *l, struct al_proposal *p, const struct al_body *b)
{
	char why[AL_ERRLEN];
	p->effective_at = b->timestamp;
	p->enacted_by = (struct al_ref){ b->author, b->seq };
	if (p->change == AL_AMEND_PARAMS) {
		l->params = p->params;
	} else if (p->change == AL_AMEND_REMOVE) {
		if (p->member >= 0 && is_active(l, (size_t)p->member) && n_active(l) > 1)
			l->standing[p->member] = AL_LEFT;
	} else if (p->change == AL_AMEND_REPLACE) {
		/* Void when its keys were replaced or removed meanwhile, or
		 * another replacement gave its new keys out first. */
		if (p->member >= 0 && p->old >= 0 && is_active(l, (size_t)p->old) &&
		    l->standing[p->member] == AL_CANDIDATE &&
		    !replace_clash(l, (size_t)p->old, &p->card, why)) {
			l->standing[p->member] = l->standing[p->old];
			l->standing[p->old] = AL_REPLACED;
			l->party[p->member] = l->party[p->old];
			l->card[p->member] = p->card;
		}
	} else if (p->member >= 0 && !card_clash(l, &p->card, why) && l->n_order < l->n_members) {
		/* (n_order: each member joins once; a loaded state could say otherwise) */
		l->standing[p->member] = AL_JOINED;
		l->card[p->member] = p->card;
		l->order[l->n_order++] = (size_t)p->member;
	}
}

/* A proposal (the proposer approves it) or an approval; at the charter's
 * quorum of members' signatures (each counted when it was a member) it
 * takes effect. */
static int amend(struct al_ledger *l, size_t k, const struct al_body *b, struct undo *u)
{
	const struct al_amendment *am = &b->u.amendment;
	struct al_proposal *p = NULL;
	size_t a = l->party[k];
	if (roster_change_of(am) == ROSTER_MOVE) { /* its author's own, at once */
		snprintf(l->card[k].endpoint, sizeof l->card[k].endpoint, "%s", am->endpoint);
		return AL_OK;
	}
	if (am->approves.seq) {
		p = find_proposal(l, &am->approves);
		if (u) {
			u->prop = p - l->proposals;
			u->pwas = *p;
			u->approved = (long)a;
			u->approved_was = p->approved[a];
		}
	} else {
		if (grow(&l->proposals, &l->cap_proposals, l->n_proposals + 1, sizeof *l->proposals))
			return AL_E_NOMEM;
		p = &l->proposals[l->n_proposals];
		memset(p, 0, sizeof *p);
		if (!(p->approved = calloc(l->n_members, sizeof *p->approved)))
			return AL_E_NOMEM;
		l->n_proposals++;
		p->id = (struct al_ref){ b->author, b->seq };
		p->change = am->has_add ? AL_AMEND_ADD : am->has_remove ? AL_AMEND_REMOVE
			  : am->has_replace ? AL_AMEND_REPLACE : AL_AMEND_PARAMS;
		p->params = am->params;
		p->card = am->has_replace ? am->replace : am->add;
		if (am->has_remove)
			p->card.sign_key = am->remove;
		p->member = roster_index(l->ro, &p->card.sign_key);
		p->old = am->has_replace ? roster_index(l->ro, &am->replaces) : -1;
	}
	p->approved[a] = true;
	if (++p->approvals >= l->c->quorum && !p->effective_at)
		enact(l, p, b);
	return AL_OK;
}

static int64_t ack_lookup(const struct al_ledger *l, const struct al_mref *delivery);
static int snap_members(struct al_ledger *l, struct undo *u);

/* Apply one message; a rule it breaks is its author's violation. With u,
 * record what it changes there (ledger_add). */
static int apply(struct al_ledger *l, const struct al_body *b, struct undo *u)
{
	long k = roster_index(l->ro, &b->author), a;
	struct al_cstatus *s;
	char why[AL_ERRLEN];
	if (k < 0)
		return AL_OK; /* cannot happen in a validated log */
	a = (long)l->party[k]; /* the member it acts for */
	switch (allowed(l, (size_t)k, b, false, &s, why)) {
	case BROKEN: return violation(l, k, b, why, u);
	case RACE: return AL_OK;
	default: break;
	}
	if (u && s) {
		u->item = s - l->items;
		u->was = *s;
	}
	/* What b moves (the commitment it is about), to remember b as its
	 * latest move: see "changed". */
	enum al_cstate was = s ? s->state : AL_C_PROPOSED;
	bool was_escalated = s && s->escalated;
	switch (b->kind) {
	case AL_KIND_COMMITMENT:
		return add_commitment(l, b, (size_t)k, (size_t)a);
	case AL_KIND_RESPONSE:
		if (b->u.response.answer == AL_ANSWER_ACCEPT) {
			s->state = AL_C_ACCEPTED;
			s->accepted = true;
		} else if (b->u.response.answer == AL_ANSWER_DECLINE) {
			s->state = AL_C_DECLINED;
		}
		if (s->state != was) { /* who answered, and when: the scorecard's responsiveness */
			s->answered_at = b->timestamp;
			s->answered_by = (uint32_t)a;
		}
		break;
	case AL_KIND_DELIVERY:
		s->state = AL_C_DELIVERED;
		s->delivered_at = b->timestamp;
		s->delivery = (struct al_mref){ b->seq, (uint32_t)k };
		if (l->inc) /* a full replay finds them all at the end (find_acks) */
			s->acked_at = ack_lookup(l, &s->delivery);
		break;
	case AL_KIND_VERDICT:
		s->state = b->u.verdict.outcome == AL_OUTCOME_CONFIRM ? AL_C_CONFIRMED
								     : AL_C_DISPUTED;
		s->verdict_at = b->timestamp;
		s->judged_by = (uint32_t)a;
		/* 1..5 in a confirmation (allowed); a dispute's are never read */
		s->quality = (uint8_t)b->u.verdict.quality;
		s->timeliness = (uint8_t)b->u.verdict.timeliness;
		break;
	case AL_KIND_TASK: {
		if (grow(&l->tasks, &l->cap_tasks, l->n_tasks + 1, sizeof *l->tasks) ||
		    index_put(l->task_of, (size_t)k, b->seq, l->n_tasks + 1))
			return AL_E_NOMEM;
		l->tasks[l->n_tasks++] = (struct al_task_status){ { b->author, b->seq },
			(size_t)party_of(l, &b->u.task.owner) };
		break;
	}
	case AL_KIND_RELEASE: {
		/* By mutual agreement: released once the promisor and every
		 * beneficiary have released it; or withdrawn by the promisor
		 * alone before anyone accepted it and before it fell due. */
		bool all = true;
		if (u) {
			u->released = a;
			u->released_was = ledger_has(l, &s->released, (size_t)a);
		}
		mset_put(l, &s->released, (size_t)a, true);
		all = ledger_has(l, &s->released, s->promisor);
		for (size_t m = 0; m < l->n_members; m++)
			all = all && (!ledger_has(l, &s->to, m) || ledger_has(l, &s->released, m));
		if (all || ((size_t)a == s->promisor && !s->accepted &&
			    s->state == AL_C_PROPOSED && b->timestamp <= s->due))
			s->state = AL_C_RELEASED;
		break;
	}
	case AL_KIND_AMENDMENT:
		if (u && snap_members(l, u))
			return AL_E_NOMEM;
		return amend(l, (size_t)k, b, u);
	case AL_KIND_ESCALATION:
		s->escalated = true;
		break;
	case AL_KIND_RESOLUTION:
		s->state = AL_C_RESOLVED;
		s->ruling = (uint8_t)b->u.resolution.ruling;
		s->resolved_at = b->timestamp;
		break;
	case AL_KIND_FEEDBACK: {
		if (grow(&l->feedback, &l->cap_feedback, l->n_feedback + 1, sizeof *l->feedback))
			return AL_E_NOMEM;
		l->feedback[l->n_feedback++] = (struct al_rating){ b->timestamp,
			{ b->seq, (uint32_t)k }, (uint32_t)a,
			(uint32_t)party_of(l, &b->u.feedback.about),
			(uint8_t)b->u.feedback.rating /* 1..5: allowed() */ };
		break;
	}
	default:
		break;
	}
	if (s && (s->state != was || s->escalated != was_escalated))
		s->changed = (struct al_mref){ b->seq, (uint32_t)k };
	return AL_OK;
}

/* Has everything e's author had seen (its frontier) been applied? */
static bool ready(const struct al_roster *ro, const struct al_body *b, const uint64_t *done)
{
	for (size_t i = 0; i < b->n_frontier; i++) {
		long m = roster_index(ro, &b->frontier[i].author);
		uint64_t seen = b->frontier[i].seq;
		if (m >= 0 && seen > roster_feed_end(ro, (size_t)m))
			seen = roster_feed_end(ro, (size_t)m); /* what is void is never applied */
		if (m >= 0 && done[m] < seen)
			return false;
	}
	return true;
}

static bool earlier(const struct al_body *x, const struct al_body *y)
{
	if (x->timestamp != y->timestamp)
		return x->timestamp < y->timestamp;
	return memcmp(&x->author, &y->author, AL_KEYLEN) < 0;
}

static int by_seq(const void *pa, const void *pb)
{
	const struct al_envelope *a = *(struct al_envelope *const *)pa;
	const struct al_envelope *b = *(struct al_envelope *const *)pb;
	return a->b.seq < b->b.seq ? -1 : a->b.seq > b->b.seq;
}

/* The message of member k's feed with sequence q, or NULL. */
static const struct al_envelope *held(struct al_envelope ***feed, const size_t *len, size_t k,
				      uint64_t q)
{
	return q >= 1 && q <= len[k] && feed[k][q - 1]->b.seq == q ? feed[k][q - 1] : NULL;
}

static bool backdated_why(const struct al_roster *ro, size_t k, uint64_t seq, int64_t at,
			  const struct al_body *b, char *why)
{
	snprintf(why, AL_ERRLEN, "dated %.0f s before %s/%llu, which its author had seen: a "
		 "backdated clock", (at - b->timestamp) / 1000.0, ro->members[k].name,
		 (unsigned long long)seq);
	return true;
}

/* A message dated well before something its author had seen was signed
 * with a backdated clock: it may not rewrite the past. */
static bool backdated(const struct al_roster *ro, struct al_envelope ***feed, const size_t *len,
		      const struct al_envelope *e, char *why)
{
	int64_t skew = (int64_t)ro->c->params.skew * 1000;
	for (size_t i = 0; i < e->b.n_frontier; i++) {
		long k = roster_index(ro, &e->b.frontier[i].author);
		const struct al_envelope *seen = k < 0 ? NULL : held(feed, len, (size_t)k,
								     e->b.frontier[i].seq);
		if (seen && seen->b.timestamp - skew > e->b.timestamp)
			return backdated_why(ro, (size_t)k, seen->b.seq, seen->b.timestamp, &e->b, why);
	}
	return false;
}

struct ack {
	uint64_t seq; /* a frontier entry's seq ... */
	int64_t at;   /* ... and the time of the message that named it */
};

static int by_ack_seq(const void *pa, const void *pb)
{
	const struct ack *a = pa, *b = pb;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* When did another member first sign a message that had seen each
 * delivery? For each feed k: the (seq, time) pairs of the frontier entries
 * of every other member's applied messages, sorted by seq, with the least
 * time over all entries at or above each seq. */
static int find_acks(struct al_ledger *l, struct al_envelope ***feed, const size_t *done_len)
{
	const struct al_roster *ro = l->ro;
	size_t m = ro->n_members;
	int rc = AL_OK;
	for (size_t k = 0; k < m && rc == AL_OK; k++) {
		struct ack *v = NULL;
		size_t n = 0, cap = 0;
		for (size_t j = 0; j < m && rc == AL_OK; j++) {
			if (l->party[j] == l->party[k])
				continue; /* another member's: not the same member's other keys */
			for (size_t i = 0; i < done_len[j] && rc == AL_OK; i++) {
				const struct al_body *b = &feed[j][i]->b;
				for (size_t f = 0; f < b->n_frontier; f++) {
					if (memcmp(&b->frontier[f].author, &ro->members[k].sign_key,
						   AL_KEYLEN) || !b->frontier[f].seq)
						continue;
					if (n == cap) {
						struct ack *nv = realloc(v, (cap = cap ? 2 * cap : 64) *
									    sizeof *v);
						if (!nv) {
							rc = AL_E_NOMEM;
							break;
						}
						v = nv;
					}
					v[n++] = (struct ack){ b->frontier[f].seq, b->timestamp };
				}
			}
		}
		if (rc == AL_OK && n) {
			qsort(v, n, sizeof *v, by_ack_seq);
			for (size_t i = n - 1; i-- > 0;)
				if (v[i + 1].at < v[i].at)
					v[i].at = v[i + 1].at;
			for (size_t i = 0; i < l->n_items; i++) {
				struct al_cstatus *s = &l->items[i];
				if (!s->delivery.seq || s->delivery.member != k)
					continue;
				size_t lo = 0, hi = n; /* the first entry with seq >= the delivery's */
				while (lo < hi) {
					size_t mid = (lo + hi) / 2;
					if (v[mid].seq < s->delivery.seq)
						lo = mid + 1;
					else
						hi = mid;
				}
				s->acked_at = lo < n ? v[lo].at : 0;
			}
		}
		free(v);
	}
	return rc;
}

/* The member whose feed e is replayed in, or -1: e is not (signed after
 * as_of; or after the end of its feed that the replacement of its keys set,
 * roster_feed_end: void, wherever its timestamp would put it). */
static long replayed(const struct al_roster *ro, const struct al_envelope *e, int64_t as_of)
{
	long k = roster_index(ro, &e->b.author);
	return k >= 0 && e->b.timestamp <= as_of && e->b.seq <= roster_feed_end(ro, (size_t)k)
		       ? k : -1;
}

/* The ledger of c before any message, or NULL (out of memory). */
static struct al_ledger *ledger_alloc(const struct al_roster *ro)
{
	size_t m = ro->n_members;
	struct al_ledger *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	l->c = ro->c; /* first: ledger_destroy needs c */
	l->ro = ro;
	l->n_members = m;
	l->params = ro->c->params;
	if (!(l->violations = calloc(m, sizeof(uint64_t))) ||
	    !(l->standing = calloc(m, sizeof *l->standing)) ||
	    !(l->party = calloc(m, sizeof *l->party)) ||
	    !(l->card = calloc(m, sizeof *l->card)) ||
	    !(l->order = calloc(m, sizeof *l->order)) ||
	    !(l->item_of = calloc(m, sizeof *l->item_of)) ||
	    !(l->task_of = calloc(m, sizeof *l->task_of))) {
		ledger_destroy(&l);
		return NULL;
	}
	for (size_t k = 0; k < m; k++) {
		l->standing[k] = k < ro->n_founders ? AL_FOUNDER : AL_CANDIDATE;
		l->party[k] = k;
		card_of(ro, k, &l->card[k]); /* a joined member's: its amendment's, once in
					      * effect; moves are replayed (amend) */
		if (k < ro->n_founders)
			l->order[l->n_order++] = k;
	}
	return l;
}

int ledger_build(const struct al_roster *ro, struct al_envelope *const *env, size_t n,
		 int64_t as_of, struct al_ledger **out)
{
	size_t m = ro->n_members;
	struct al_ledger *l = ledger_alloc(ro);
	struct al_envelope ***feed = calloc(m, sizeof *feed);
	size_t *len = calloc(m, sizeof *len), *next = calloc(m, sizeof *next);
	uint64_t *done = calloc(m, sizeof *done);
	int rc = AL_E_NOMEM;
	*out = NULL;
	if (!l || !feed || !len || !next || !done)
		goto out;
	/* Each member's feed, in sequence (timestamps never go back within a
	 * feed, so the messages signed by as_of are a prefix of it). */
	for (size_t i = 0; i < n; i++) {
		long k = replayed(ro, env[i], as_of);
		if (k >= 0)
			len[k]++;
	}
	for (size_t k = 0; k < m; k++)
		if (!(feed[k] = calloc(len[k] ? len[k] : 1, sizeof **feed)))
			goto out;
	for (size_t i = 0; i < n; i++) {
		long k = replayed(ro, env[i], as_of);
		if (k >= 0)
			feed[k][next[k]++] = env[i];
	}
	for (size_t k = 0; k < m; k++) {
		qsort(feed[k], len[k], sizeof **feed, by_seq);
		next[k] = 0;
	}
	/* Merge: at each step, the earliest feed head that is ready. A head
	 * that never becomes ready names a message this log lacks (or one
	 * signed after as_of): it and its feed's later messages are held
	 * back, neither applied nor counted against anyone. */
	for (;;) {
		long pick = -1;
		for (size_t k = 0; k < m; k++) {
			if (next[k] >= len[k])
				continue;
			const struct al_envelope *e = feed[k][next[k]];
			if (ready(ro, &e->b, done) &&
			    (pick < 0 || earlier(&e->b, &feed[pick][next[pick]]->b)))
				pick = (long)k;
		}
		if (pick < 0)
			break;
		const struct al_envelope *e = feed[pick][next[pick]++];
		char why[AL_ERRLEN];
		done[pick] = e->b.seq;
		if (backdated(ro, feed, len, e, why)) {
			rc = violation(l, pick, &e->b, why, NULL);
		} else {
			rc = apply(l, &e->b, NULL);
		}
		if (rc)
			goto out;
	}
	if ((rc = find_acks(l, feed, next)))
		goto out;
	rc = AL_OK;
	*out = l;
	l = NULL;
out:
	ledger_destroy(&l);
	for (size_t k = 0; feed && k < m; k++)
		free(feed[k]);
	free(feed);
	free(len);
	free(next);
	free(done);
	return rc;
}

/* The incremental ledger (ledger.h). */

/* A message not yet stable: applied in the tail, or held back. */
struct inc_msg {
	uint64_t pos;      /* its step in the canonical order, once applied */
	struct al_body b;  /* a copy */
};

/* The member arrays and parameters an amendment may change. */
struct msnap {
	struct al_params params;
	enum al_standing *standing;
	size_t *party;
	struct al_member *card;
};

/* Per feed: its messages not yet stable, in sequence: q[lo..next) applied
 * (in the tail), q[next..n) held back. */
struct inc_feed {
	struct inc_msg **q;
	size_t lo, next, n, cap;
	/* The timestamp of every message added (backdated() may ask for any):
	 * per block of TS_BLOCK messages the first one's, and per message its
	 * offset from it, or UINT32_MAX when it is 49 days or more later (its
	 * timestamp in far[], by index). n_ts: how many (the last seq added). */
	int64_t *ts_base;
	size_t base_cap;
	uint32_t *ts_off;
	size_t n_ts, ts_cap;
	struct inc_far {
		size_t i;
		int64_t t;
	} *far;
	size_t n_far, far_cap;
	struct inc_delivery { /* every delivery message added, in sequence */
		uint64_t seq;
		struct al_mref commitment; /* as named (member UINT32_MAX: not a member's) */
	} *dl;
	size_t n_dl, dl_cap;
	int64_t *dl_min;   /* n_dl x n_members: per delivery and author feed j, the least
			    * timestamp of j's applied messages that had seen it (0: none) */
	size_t dl_min_cap;
};

enum { TS_BLOCK = 64 };

/* The timestamp of message i (seq - 1) of feed f. */
static int64_t ts_at(const struct inc_feed *f, size_t i)
{
	if (f->ts_off[i] != UINT32_MAX)
		return f->ts_base[i / TS_BLOCK] + (int64_t)f->ts_off[i];
	size_t lo = 0, hi = f->n_far;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (f->far[mid].i < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	return f->far[lo].t; /* there: ts_put put it */
}

/* Does t, the next timestamp of f (never before the last), need far[]? */
static bool ts_far(const struct inc_feed *f, int64_t t)
{
	return f->n_ts % TS_BLOCK &&
	       (uint64_t)t - (uint64_t)f->ts_base[f->n_ts / TS_BLOCK] >= UINT32_MAX;
}

/* Room for t, the next timestamp of f: 0 or AL_E_NOMEM (f unchanged). */
static int ts_room(struct inc_feed *f, int64_t t)
{
	if (grow(&f->ts_off, &f->ts_cap, f->n_ts + 1, sizeof *f->ts_off) ||
	    grow(&f->ts_base, &f->base_cap, f->n_ts / TS_BLOCK + 1, sizeof *f->ts_base) ||
	    (ts_far(f, t) && grow(&f->far, &f->far_cap, f->n_far + 1, sizeof *f->far)))
		return AL_E_NOMEM;
	return AL_OK;
}

/* Append t (ts_room first; never before the last). */
static void ts_put(struct inc_feed *f, int64_t t)
{
	bool far = ts_far(f, t);
	size_t i = f->n_ts++;
	if (i % TS_BLOCK == 0)
		f->ts_base[i / TS_BLOCK] = t;
	if (far)
		f->far[f->n_far++] = (struct inc_far){ i, t };
	f->ts_off[i] = far ? UINT32_MAX : (uint32_t)((uint64_t)t - (uint64_t)f->ts_base[i / TS_BLOCK]);
}

struct al_ledger_inc {
	struct al_member *cards; /* c's members when made: a change means rebuild */
	uint64_t *feed_end;
	uint64_t *done;          /* per feed: the last seq applied */
	struct inc_feed *feed;
	struct undo *tail;       /* tail[lo..n): the applied messages not yet stable */
	size_t tail_lo, tail_n, tail_cap;
	uint64_t n_stable;       /* steps before the tail */
	uint64_t n_applied;      /* steps */
	bool have_last;
	struct al_body last;     /* the latest key applied (timestamp, author) */
	bool have_stable_max;
	struct al_body stable_max; /* the latest key among the stable messages */
	uint64_t *expect;        /* while rebuilding from a log (ledger_expect): per feed,
				  * how many messages the log holds; NULL otherwise */
	bool party_moved;        /* this add moved a party: acked_at to recompute */
	bool failed;             /* out of memory mid-way: take no more adds */
	struct ledger_stats st;
};

static void snap_free(struct msnap *s)
{
	if (s) {
		free(s->standing);
		free(s->party);
		free(s->card);
		free(s);
	}
}

static int snap_members(struct al_ledger *l, struct undo *u)
{
	size_t m = l->n_members;
	struct msnap *s = calloc(1, sizeof *s);
	if (!s || !(s->standing = malloc(m * sizeof *s->standing)) ||
	    !(s->party = malloc(m * sizeof *s->party)) || !(s->card = malloc(m * sizeof *s->card))) {
		snap_free(s);
		return AL_E_NOMEM;
	}
	s->params = l->params;
	memcpy(s->standing, l->standing, m * sizeof *s->standing);
	memcpy(s->party, l->party, m * sizeof *s->party);
	memcpy(s->card, l->card, m * sizeof *s->card);
	u->snap = s;
	return AL_OK;
}

static void inc_msg_free(struct inc_msg *x)
{
	if (x) {
		msg_body_clear(&x->b);
		free(x);
	}
}

/* The delivery entry of feed k with sequence seq, or -1. */
static long dl_find(const struct inc_feed *f, uint64_t seq)
{
	size_t lo = 0, hi = f->n_dl;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (f->dl[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < f->n_dl && f->dl[lo].seq == seq ? (long)lo : -1;
}

/* find_acks for one delivery, from the minima: the least over the author
 * feeds of other parties. */
static int64_t ack_lookup(const struct al_ledger *l, const struct al_mref *delivery)
{
	size_t k = delivery->member;
	const struct inc_feed *f = k < l->n_members ? &l->inc->feed[k] : NULL;
	long i = f ? dl_find(f, delivery->seq) : -1;
	int64_t at = 0;
	for (size_t j = 0; i >= 0 && j < l->n_members; j++) {
		int64_t t = f->dl_min[(size_t)i * l->n_members + j];
		if (t && l->party[j] != l->party[k] && (!at || t < at))
			at = t;
	}
	return at;
}

/* Message b of feed j was applied: every delivery it had seen (its
 * frontier) was seen by j at b's time. Within a feed the minima only grow
 * with the delivery's seq, so the walk down stops at the first that is
 * already as early. */
static void ack_note(struct al_ledger *l, size_t j, const struct al_body *b)
{
	size_t m = l->n_members;
	for (size_t e = 0; e < b->n_frontier; e++) {
		long k = roster_index(l->ro, &b->frontier[e].author);
		if (k < 0 || !b->frontier[e].seq)
			continue;
		struct inc_feed *f = &l->inc->feed[k];
		size_t lo = 0, hi = f->n_dl; /* the first delivery after what b had seen */
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (f->dl[mid].seq <= b->frontier[e].seq)
				lo = mid + 1;
			else
				hi = mid;
		}
		while (lo-- > 0) {
			int64_t *t = &f->dl_min[lo * m + j];
			if (*t && *t <= b->timestamp)
				break;
			*t = b->timestamp;
			if (l->party[j] == l->party[k])
				continue;
			struct al_cstatus *s = find_m(l, &f->dl[lo].commitment);
			if (s && s->delivery.seq == f->dl[lo].seq && s->delivery.member == (uint32_t)k &&
			    (!s->acked_at || b->timestamp < s->acked_at))
				s->acked_at = b->timestamp;
		}
	}
}

static bool same_party(const struct al_ledger *l, const size_t *was)
{
	return !memcmp(l->party, was, l->n_members * sizeof *was);
}

/* Apply the held-back head of feed k: the next step of the merge. */
static int inc_step(struct al_ledger *l, size_t k)
{
	struct al_ledger_inc *in = l->inc;
	struct inc_feed *f = &in->feed[k];
	struct inc_msg *x = f->q[f->next];
	char why[AL_ERRLEN];
	int rc;
	if (grow(&in->tail, &in->tail_cap, in->tail_n + 1, sizeof *in->tail))
		return AL_E_NOMEM;
	struct undo *u = &in->tail[in->tail_n];
	memset(u, 0, sizeof *u);
	*u = (struct undo){ .m = x, .n_items = l->n_items, .n_tasks = l->n_tasks,
			    .n_feedback = l->n_feedback, .n_proposals = l->n_proposals,
			    .n_broken = l->n_broken, .n_order = l->n_order, .violator = -1,
			    .item = -1, .released = -1, .prop = -1, .approved = -1 };
	in->done[k] = x->b.seq;
	/* backdated(), from the timestamps of every message added */
	int64_t skew = (int64_t)l->c->params.skew * 1000;
	bool back = false;
	for (size_t i = 0; i < x->b.n_frontier && !back; i++) {
		long s = roster_index(l->ro, &x->b.frontier[i].author);
		uint64_t q = x->b.frontier[i].seq;
		if (s >= 0 && q >= 1 && q <= in->feed[s].n_ts &&
		    ts_at(&in->feed[s], q - 1) - skew > x->b.timestamp)
			back = backdated_why(l->ro, (size_t)s, q, ts_at(&in->feed[s], q - 1), &x->b,
					     why);
	}
	rc = back ? violation(l, (long)k, &x->b, why, u) : apply(l, &x->b, u);
	if (u->snap && !same_party(l, u->snap->party))
		in->party_moved = true;
	in->tail_n++; /* even on failure: undo_one undoes what was done */
	f->next++;
	x->pos = in->n_applied++;
	if (rc)
		return rc;
	ack_note(l, k, &x->b);
	if (!in->have_last || earlier(&in->last, &x->b)) {
		in->last.timestamp = x->b.timestamp;
		in->last.author = x->b.author;
		in->have_last = true;
	}
	return AL_OK;
}

/* Undo the last step of the tail: its message is held back again. */
static void undo_one(struct al_ledger *l)
{
	struct al_ledger_inc *in = l->inc;
	struct undo *u = &in->tail[--in->tail_n];
	while (l->n_items > u->n_items) {
		struct al_cstatus *s = &l->items[--l->n_items];
		index_drop(l->item_of, s->id.member, s->id.seq);
		mset_free(l, &s->to);
		mset_free(l, &s->released);
	}
	if (u->item >= 0) {
		struct al_cstatus *s = &l->items[u->item];
		/* acked_at is not the message's: it only falls as messages are
		 * added (the tail is applied again), and is 0 while undelivered */
		int64_t acked = u->was.delivery.seq ? s->acked_at : 0;
		/* The sets are not the message's either: only the one release
		 * bit below (a loaded record's copy holds them as saved, which
		 * with inline bits is not as they were before it) */
		union al_mset released = s->released;
		*s = u->was;
		s->acked_at = acked;
		s->released = released;
		if (u->released >= 0)
			mset_put(l, &s->released, (size_t)u->released, u->released_was);
	}
	while (l->n_tasks > u->n_tasks) {
		struct al_task_status *t = &l->tasks[--l->n_tasks];
		index_drop(l->task_of, (size_t)roster_index(l->ro, &t->id.author), t->id.seq);
	}
	l->n_feedback = u->n_feedback;
	while (l->n_proposals > u->n_proposals)
		free(l->proposals[--l->n_proposals].approved);
	if (u->prop >= 0) {
		struct al_proposal *p = &l->proposals[u->prop];
		*p = u->pwas;
		p->approved[u->approved] = u->approved_was;
	}
	l->n_broken = u->n_broken;
	if (u->violator >= 0)
		l->violations[u->violator]--;
	if (u->snap) {
		if (!same_party(l, u->snap->party))
			in->party_moved = true;
		l->params = u->snap->params;
		memcpy(l->standing, u->snap->standing, l->n_members * sizeof *l->standing);
		memcpy(l->party, u->snap->party, l->n_members * sizeof *l->party);
		memcpy(l->card, u->snap->card, l->n_members * sizeof *l->card);
		snap_free(u->snap);
	}
	l->n_order = u->n_order;
	long k = roster_index(l->ro, &u->m->b.author);
	in->feed[k].next--;
	in->done[k] = u->m->b.seq - 1;
	in->n_applied--;
}

/* The merge, from where the tail ends: the earliest ready head, until none
 * is ready (ledger_build's loop). */
static int inc_merge(struct al_ledger *l)
{
	struct al_ledger_inc *in = l->inc;
	for (;;) {
		long pick = -1;
		const struct al_body *best = NULL;
		for (size_t k = 0; k < l->n_members; k++) {
			struct inc_feed *f = &in->feed[k];
			if (f->next >= f->n)
				continue;
			const struct al_body *b = &f->q[f->next]->b;
			if (ready(l->ro, b, in->done) && (!best || earlier(b, best))) {
				pick = (long)k;
				best = b;
			}
		}
		if (pick < 0)
			return AL_OK;
		int rc = inc_step(l, (size_t)pick);
		if (rc)
			return rc;
	}
}

/* The step at which message (k, seq) was applied, or -1 when it is stable
 * (or none: seq 0). */
static int64_t inc_pos(const struct al_ledger *l, size_t k, uint64_t seq)
{
	const struct inc_feed *f = &l->inc->feed[k];
	if (!seq || f->lo >= f->n || seq < f->q[f->lo]->b.seq)
		return -1;
	return (int64_t)f->q[f->lo + (seq - f->q[f->lo]->b.seq)]->pos;
}

/* Drop from the tail what no message to come can sort before. */
static void inc_settle(struct al_ledger *l)
{
	struct al_ledger_inc *in = l->inc;
	const struct al_charter *c = l->c;
	const struct al_roster *ro = l->ro;
	struct al_body bound = { 0 };
	bool any = false;
	for (size_t k = 0; k < l->n_members; k++) {
		const struct inc_feed *f = &in->feed[k];
		if (f->n_ts >= in->feed_end[k])
			continue; /* its feed ended */
		/* Nor a member that left, whose keys were replaced or that is not
		 * added yet, once what the store holds of its feed is in: they sign
		 * nothing more (they would hold the bound for ever). One of their
		 * messages that still comes, late, and sorts before what is stable
		 * makes ledger_add ask for a rebuild; a rebuild knows the whole
		 * feed (ledger_expect), so it never asks again. */
		if ((l->standing[k] == AL_LEFT || l->standing[k] == AL_REPLACED ||
		     l->standing[k] == AL_CANDIDATE) && (!in->expect || f->n_ts >= in->expect[k]))
			continue;
		struct al_body b = { .author = ro->members[k].sign_key };
		b.timestamp = f->n_ts ? ts_at(f, f->n_ts - 1)
				      : c->created - (int64_t)(c->params.skew * 1000);
		if (!any || earlier(&b, &bound))
			bound = b;
		any = true;
	}
	while (in->tail_lo < in->tail_n && (!any || earlier(&in->tail[in->tail_lo].m->b, &bound))) {
		struct undo *u = &in->tail[in->tail_lo++];
		struct inc_feed *f = &in->feed[roster_index(ro, &u->m->b.author)];
		if (!in->have_stable_max || earlier(&in->stable_max, &u->m->b)) {
			in->stable_max.timestamp = u->m->b.timestamp;
			in->stable_max.author = u->m->b.author;
			in->have_stable_max = true;
		}
		snap_free(u->snap);
		inc_msg_free(f->q[f->lo++]); /* == u->m: a feed is applied in sequence */
		in->n_stable++;
		if (f->lo > 64 && f->lo * 2 > f->n) {
			memmove(f->q, f->q + f->lo, (f->n - f->lo) * sizeof *f->q);
			f->next -= f->lo;
			f->n -= f->lo;
			f->lo = 0;
		}
	}
	if (in->tail_lo > 64 && in->tail_lo * 2 > in->tail_n) {
		memmove(in->tail, in->tail + in->tail_lo, (in->tail_n - in->tail_lo) * sizeof *in->tail);
		in->tail_n -= in->tail_lo;
		in->tail_lo = 0;
	}
}

int ledger_expect(struct al_ledger *l, const uint64_t *held)
{
	struct al_ledger_inc *in = l->inc;
	if (!in)
		return AL_E_INVAL;
	if (!held) {
		free(in->expect);
		in->expect = NULL;
		if (!in->failed)
			inc_settle(l);
		return AL_OK;
	}
	if (!in->expect && !(in->expect = calloc(l->n_members ? l->n_members : 1,
						  sizeof *in->expect)))
		return AL_E_NOMEM;
	memcpy(in->expect, held, l->n_members * sizeof *held);
	return AL_OK;
}

int ledger_new(const struct al_roster *ro, struct al_ledger **out)
{
	size_t m = ro->n_members;
	struct al_ledger *l = ledger_alloc(ro);
	*out = NULL;
	if (!l || !(l->inc = calloc(1, sizeof *l->inc)) ||
	    !(l->inc->cards = malloc((m ? m : 1) * sizeof *l->inc->cards)) ||
	    !(l->inc->feed_end = calloc(m ? m : 1, sizeof *l->inc->feed_end)) ||
	    !(l->inc->done = calloc(m ? m : 1, sizeof *l->inc->done)) ||
	    !(l->inc->feed = calloc(m ? m : 1, sizeof *l->inc->feed))) {
		ledger_destroy(&l);
		return AL_E_NOMEM;
	}
	for (size_t k = 0; k < m; k++)
		card_of(ro, k, &l->inc->cards[k]);
	for (size_t k = 0; k < m; k++)
		l->inc->feed_end[k] = roster_feed_end(ro, k);
	*out = l;
	return AL_OK;
}

/* Has the roster changed since l was made? why says how. */
static bool members_moved(const struct al_ledger *l, char *why)
{
	const struct al_roster *ro = l->ro;
	if (ro->n_members != l->n_members)
		return al_errf(why, LEDGER_REBUILD, "the charter has %zu members, the ledger %zu: "
			       "rebuild it", ro->n_members, l->n_members), true;
	for (size_t k = 0; k < l->n_members; k++)
		if (roster_feed_end(ro, k) != l->inc->feed_end[k] ||
		    !is_card_of(ro, k, &l->inc->cards[k]))
			return al_errf(why, LEDGER_REBUILD, "member %s changed (its card, or the end "
				       "of its feed): rebuild the ledger", ro->members[k].name), true;
	return false;
}

static void acks_recompute(struct al_ledger *l)
{
	for (size_t i = 0; i < l->n_items; i++) {
		struct al_cstatus *s = &l->items[i];
		s->acked_at = s->delivery.seq ? ack_lookup(l, &s->delivery) : 0;
	}
}

/* Keep x, the next message of feed k: held back until applied. */
static int inc_hold(struct al_ledger *l, size_t k, struct inc_msg *x)
{
	struct inc_feed *f = &l->inc->feed[k];
	size_t m = l->n_members;
	if (grow(&f->q, &f->cap, f->n + 1, sizeof *f->q) || ts_room(f, x->b.timestamp))
		return AL_E_NOMEM;
	if (x->b.kind == AL_KIND_DELIVERY) {
		if (grow(&f->dl, &f->dl_cap, f->n_dl + 1, sizeof *f->dl) ||
		    grow(&f->dl_min, &f->dl_min_cap, (f->n_dl + 1) * m, sizeof *f->dl_min))
			return AL_E_NOMEM;
		const struct al_ref *cm = &x->b.u.delivery.commitment;
		f->dl[f->n_dl] = (struct inc_delivery){ x->b.seq, mref_of(l, &cm->author, cm->seq) };
		memset(&f->dl_min[f->n_dl * m], 0, m * sizeof *f->dl_min);
		f->n_dl++;
	}
	ts_put(f, x->b.timestamp);
	f->q[f->n++] = x;
	return AL_OK;
}

int ledger_add(struct al_ledger *l, const struct al_envelope *e, char *why)
{
	struct al_ledger_inc *in = l->inc;
	const struct al_charter *c = l->c;
	const struct al_roster *ro = l->ro;
	if (!in)
		return al_errf(why, AL_E_INVAL, "this ledger was built by a full replay: make one "
			       "with ledger_new to add messages to it");
	if (in->failed)
		return al_errf(why, LEDGER_REBUILD, "the ledger ran out of memory: rebuild it");
	if (members_moved(l, why))
		return LEDGER_REBUILD;
	long k = roster_index(ro, &e->b.author);
	if (k < 0)
		return al_errf(why, AL_E_INVAL, "the author of a message added to the ledger is not "
			       "a member");
	struct inc_feed *f = &in->feed[k];
	uint64_t seq = e->b.seq;
	if (seq > in->feed_end[k])
		return AL_OK; /* void */
	if (seq != f->n_ts + 1)
		return al_errf(why, AL_E_INVAL, "%s/%llu added after %s/%llu: a feed's messages are "
			       "added in sequence", ro->members[k].name, (unsigned long long)seq,
			       ro->members[k].name, (unsigned long long)f->n_ts);
	if ((f->n_ts && e->b.timestamp < ts_at(f, f->n_ts - 1)) ||
	    e->b.timestamp < c->created - (int64_t)(c->params.skew * 1000))
		return al_errf(why, AL_E_INVAL, "%s/%llu goes back in time (before its feed's previous "
			       "message or the charter): a ledger adds only validated messages",
			       ro->members[k].name, (unsigned long long)seq);
	struct inc_msg *x = calloc(1, sizeof *x);
	char err[AL_ERRLEN];
	if (!x || wire_body_unpack(e->body, e->body_len, &x->b, err) || inc_hold(l, (size_t)k, x)) {
		inc_msg_free(x);
		return al_errf(why, AL_E_NOMEM, "out of memory");
	}
	in->st.added++;
	in->party_moved = false;
	int rc = AL_OK;
	if (f->next == f->n - 1 && ready(ro, &x->b, in->done)) {
		/* It sorts after the step t0 at which it became ready (its
		 * feed's previous message and what it had seen applied), before
		 * the first later step that sorts after it. */
		size_t at = in->tail_n;
		if (in->have_last && earlier(&x->b, &in->last)) {
			int64_t t0 = inc_pos(l, (size_t)k, seq - 1);
			for (size_t i = 0; i < x->b.n_frontier; i++) {
				long s = roster_index(ro, &x->b.frontier[i].author);
				uint64_t q = x->b.frontier[i].seq;
				if (s < 0)
					continue;
				if (q > in->feed_end[s])
					q = in->feed_end[s];
				int64_t p = inc_pos(l, (size_t)s, q);
				if (p > t0)
					t0 = p;
			}
			/* Before a stable message after the step it became ready at:
			 * a late message of a feed the bound had left out (inc_settle).
			 * What is stable cannot be undone: rebuild. */
			if (in->have_stable_max && earlier(&x->b, &in->stable_max) &&
			    t0 + 1 < (int64_t)in->n_stable) {
				in->failed = true;
				return al_errf(why, LEDGER_REBUILD, "%s/%llu sorts before what is "
					       "stable: rebuild the ledger", ro->members[k].name,
					       (unsigned long long)seq);
			}
			size_t i = in->tail_lo;
			if (t0 >= (int64_t)in->n_stable)
				i += (size_t)(t0 + 1 - (int64_t)in->n_stable);
			while (i < in->tail_n && !earlier(&x->b, &in->tail[i].m->b))
				i++;
			at = i;
		}
		if (at < in->tail_n) {
			in->st.replays++;
			in->st.replayed += in->tail_n - at;
		} else {
			in->st.direct++;
		}
		while (in->tail_n > at)
			undo_one(l);
		rc = inc_merge(l);
	} else {
		in->st.direct++;
	}
	if (rc) {
		in->failed = true;
		return al_errf(why, rc, "out of memory");
	}
	if (in->party_moved)
		acks_recompute(l);
	inc_settle(l);
	return AL_OK;
}

void ledger_stats(const struct al_ledger *l, struct ledger_stats *out)
{
	memset(out, 0, sizeof *out);
	if (!l->inc)
		return;
	*out = l->inc->st;
	out->tail = l->inc->tail_n - l->inc->tail_lo;
	for (size_t k = 0; k < l->n_members; k++)
		out->held += l->inc->feed[k].n - l->inc->feed[k].next;
}

static void inc_destroy(struct al_ledger *l)
{
	struct al_ledger_inc *in = l->inc;
	if (!in)
		return;
	for (size_t i = in->tail_lo; i < in->tail_n; i++)
		snap_free(in->tail[i].snap);
	for (size_t k = 0; in->feed && k < l->n_members; k++) {
		struct inc_feed *f = &in->feed[k];
		for (size_t i = f->lo; i < f->n; i++)
			inc_msg_free(f->q[i]);
		free(f->q);
		free(f->ts_base);
		free(f->ts_off);
		free(f->far);
		free(f->dl);
		free(f->dl_min);
	}
	free(in->feed);
	free(in->tail);
	free(in->cards);
	free(in->feed_end);
	free(in->expect);
	free(in->done);
	free(in);
	l->inc = NULL;
}

enum al_cstate ledger_state_at(const struct al_ledger *l, const struct al_cstatus *s,
			       int64_t as_of)
{
	if ((s->state == AL_C_PROPOSED || s->state == AL_C_ACCEPTED) && as_of > s->due) {
		return as_of > when_after(s->due, l->params.grace) ? AL_C_MISSED : AL_C_OVERDUE;
	}
	return s->state;
}

int64_t ledger_delivered_at(const struct al_ledger *l, const struct al_cstatus *s)
{
	int64_t skew = (int64_t)l->c->params.skew * 1000;
	if (!s->delivered_at)
		return 0;
	return s->acked_at && s->acked_at - skew > s->delivered_at ? s->acked_at - skew
								   : s->delivered_at;
}

bool ledger_late(const struct al_ledger *l, const struct al_cstatus *s)
{
	return s->delivered_at && ledger_delivered_at(l, s) > s->due;
}

const char *ledger_state_name(enum al_cstate s)
{
	static const char *const names[AL_C_COUNT] = {
		"proposed", "accepted", "declined", "delivered", "confirmed",
		"disputed", "resolved", "released", "overdue",   "missed",
	};
	return s < AL_C_COUNT ? names[s] : "unknown";
}

void ledger_destroy(struct al_ledger **lp)
{
	struct al_ledger *l = *lp;
	if (!l)
		return;
	inc_destroy(l);
	for (size_t i = 0; i < l->n_items; i++) {
		mset_free(l, &l->items[i].to);
		mset_free(l, &l->items[i].released);
	}
	for (size_t k = 0; k < l->n_members; k++) {
		free(l->item_of ? l->item_of[k].v : NULL);
		free(l->task_of ? l->task_of[k].v : NULL);
	}
	free(l->item_of);
	free(l->task_of);
	free(l->items);
	free(l->tasks);
	free(l->feedback);
	for (size_t i = 0; i < l->n_proposals; i++)
		free(l->proposals[i].approved);
	free(l->proposals);
	free(l->broken);
	free(l->violations);
	free(l->standing);
	free(l->party);
	free(l->card);
	free(l->order);
	free(l);
	*lp = NULL;
}

/* The records of a log, opened: all of them (a store's own log, checked
 * when they entered it), or, with feeds, only those that pass validation
 * in order (feeds_check, as when entering a store; with own, the
 * signatures are taken as checked at admission). */
struct opened {
	struct al_roster *ro;
	struct al_feeds *feeds; /* NULL: no checks */
	bool own;               /* a home's own log: signatures not checked again */
	struct al_envelope **env;
	size_t n, cap;
};

/* Keep it->env among o's envelopes when the record counts (it->env is
 * then zeroed; otherwise it stays the caller's to clear). */
static int take(struct opened *o, const struct al_log_rec *r, struct al_verify_item *it)
{
	char why[AL_ERRLEN];
	if (grow(&o->env, &o->cap, o->n + 1, sizeof *o->env))
		return AL_E_NOMEM;
	if (o->own && it->rc == AL_OK)
		envelope_trust_own(&it->env);
	bool ok = o->feeds ? feeds_check_item(o->ro, o->feeds, it, when_now(), why) == AL_ACCEPT
			   : it->rc == AL_OK;
	struct al_envelope *e = &it->env;
	struct al_feed_entry fe = { r->index, r->offset, e->hash, e->b.timestamp, e->b.kind };
	int rc = ok && o->feeds ? feeds_add(o->feeds, &e->b.author, e->b.seq, &fe) : AL_OK;
	if (ok && rc == AL_OK && o->feeds) /* a store's own log: its roster knows */
		rc = roster_note(o->ro, &e->b);
	if (!ok || rc)
		return rc;
	if (!(o->env[o->n] = malloc(sizeof *e)))
		return AL_E_NOMEM;
	*o->env[o->n++] = *e;
	memset(e, 0, sizeof *e);
	return AL_OK;
}

/* Opened here, one at a time, the signature not checked. */
static int open_record(void *arg, const struct al_log_rec *r)
{
	struct al_verify_item it = { .buf = r->data, .len = r->len };
	it.rc = envelope_open(r->data, r->len, &it.env, NULL);
	int rc = take(arg, r, &it);
	envelope_clear(&it.env);
	return rc;
}

/* Opened and verified by the pool (verify_scan). */
static int verified_record(void *arg, const struct al_log_rec *r, struct al_verify_item *it)
{
	return take(arg, r, it);
}

/* Damage is the audit's to report: here it is skipped. */
static int skip_fault(void *arg, const struct al_log_fault *f)
{
	(void)arg;
	(void)f;
	return 0;
}

int ledger_of_log(const char *path, struct al_roster *ro, int64_t as_of,
		  enum al_ledger_check check, struct al_ledger **out, char *why)
{
	return ledger_of_log_index(path, ro, as_of, check, out, NULL, why);
}

/* Read the log at path into o: every record (TRUSTED), or those that pass
 * validation in order (with check; OWN: signatures taken as checked). */
static int open_log(const char *path, enum al_ledger_check check, struct opened *o, char *why)
{
	struct al_verify *pool = NULL;
	int rc = check != AL_LEDGER_TRUSTED ? feeds_new(&o->feeds) : AL_OK;
	if (rc == AL_OK && check == AL_LEDGER_VERIFY) /* every signature, on every core */
		rc = verify_new(0, &pool);
	if (rc == AL_OK)
		rc = pool ? verify_scan(pool, path, verified_record, skip_fault, o, why)
			  : log_scan(path, open_record, o->feeds ? skip_fault : NULL, o, why);
	verify_destroy(&pool);
	return rc == AL_E_NOMEM ? al_errf(why, rc, "out of memory") : rc;
}

static void opened_clear(struct opened *o)
{
	for (size_t i = 0; i < o->n; i++) {
		envelope_clear(o->env[i]);
		free(o->env[i]);
	}
	free(o->env);
	o->env = NULL;
	o->n = o->cap = 0;
	feeds_destroy(&o->feeds);
}

int ledger_of_log_index(const char *path, struct al_roster *ro, int64_t as_of,
			enum al_ledger_check check, struct al_ledger **out, struct al_feeds **index,
			char *why)
{
	struct opened o = { ro, NULL, check == AL_LEDGER_OWN, NULL, 0, 0 };
	*out = NULL;
	if (index)
		*index = NULL;
	int rc = open_log(path, check, &o, why);
	if (rc == AL_OK && (rc = ledger_build(ro, o.env, o.n, as_of, out)))
		al_errf(why, rc, "out of memory");
	if (rc == AL_OK && index) {
		*index = o.feeds;
		o.feeds = NULL;
	}
	opened_clear(&o);
	return rc;
}

/* A message of the series, where the merge of the feeds puts it. */
struct series_msg {
	int64_t at;
	const al_key *author;
	uint64_t seq;
	const struct al_envelope *e;
};

/* By timestamp, then author and seq: each feed stays in sequence (its
 * timestamps never decrease), and ties go in the canonical order, so the
 * incremental ledger applies nearly every message where it sorts last. */
static int by_time(const void *pa, const void *pb)
{
	const struct series_msg *a = pa, *b = pb;
	if (a->at != b->at)
		return a->at < b->at ? -1 : 1;
	int c = memcmp(a->author, b->author, sizeof *a->author);
	return c ? c : a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* A new incremental ledger of ro holding the first n messages of m
 * (held: each feed's whole length in the log, ledger_expect). A rebuild
 * that asks to be rebuilt again means the log cannot be replayed. */
static int series_ledger(const struct al_roster *ro, const uint64_t *held,
			 const struct series_msg *m, size_t n, struct al_ledger **out, char *why)
{
	int rc = ledger_new(ro, out);
	if (rc == AL_OK)
		rc = ledger_expect(*out, held);
	for (size_t i = 0; rc == AL_OK && i < n; i++)
		rc = ledger_add(*out, m[i].e, why);
	if (rc == AL_E_NOMEM)
		al_errf(why, rc, "out of memory");
	else if (rc == LEDGER_REBUILD)
		rc = al_errf(why, AL_E_FAILED, "the ledger of the log cannot be rebuilt: %s", why);
	if (rc)
		ledger_destroy(out);
	return rc;
}

int ledger_of_log_series(const char *path, struct al_roster *ro, enum al_ledger_check check,
			 const int64_t *points, size_t n_points, ledger_point_fn *fn, void *arg,
			 char *why)
{
	struct opened o = { ro, NULL, check == AL_LEDGER_OWN, NULL, 0, 0 };
	struct series_msg *m = NULL;
	uint64_t *held = NULL;
	struct al_ledger *l = NULL;
	size_t n = 0, next = 0;
	for (size_t p = 1; p < n_points; p++)
		if (points[p] < points[p - 1])
			return al_errf(why, AL_E_INVAL, "the points of a series must ascend");
	/* The whole log first: its amendments make the roster every point is
	 * evaluated over, as ledger_of_log's as_of is. */
	int rc = open_log(path, check, &o, why);
	if (rc)
		goto out;
	if (!(m = malloc((o.n ? o.n : 1) * sizeof *m)) ||
	    !(held = calloc(ro->n_members ? ro->n_members : 1, sizeof *held))) {
		rc = al_errf(why, AL_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < o.n; i++) {
		const struct al_body *b = &o.env[i]->b;
		long k = roster_index(ro, &b->author);
		if (k < 0 || b->seq > roster_feed_end(ro, (size_t)k))
			continue; /* not replayed (ledger_build's replayed()) */
		m[n++] = (struct series_msg){ b->timestamp, &b->author, b->seq, o.env[i] };
		held[k]++;
	}
	qsort(m, n, sizeof *m, by_time);
	if ((rc = series_ledger(ro, held, m, 0, &l, why)))
		goto out;
	for (size_t p = 0; p < n_points; p++) {
		/* Every message signed at or before the point, none after: a
		 * prefix of each feed, so the ledger is ledger_build's as of it. */
		for (; next < n && m[next].at <= points[p]; next++) {
			rc = ledger_add(l, m[next].e, why);
			if (rc == LEDGER_REBUILD) { /* out of memory, or its roster moved */
				ledger_destroy(&l);
				rc = series_ledger(ro, held, m, next + 1, &l, why);
			} else if (rc == AL_E_NOMEM) {
				al_errf(why, rc, "out of memory");
			}
			if (rc)
				goto out;
		}
		if ((rc = fn(arg, l, points[p], why)))
			goto out;
	}
out:
	ledger_destroy(&l);
	free(held);
	free(m);
	opened_clear(&o);
	return rc;
}

int ledger_from_store(struct al_store *st, struct al_ledger **out, char *why)
{
	/* One sequential read of the log: every record in it was validated
	 * when it entered the store. */
	return ledger_of_log(log_path(st->log), store_roster(st), INT64_MAX, AL_LEDGER_TRUSTED, out,
			     why);
}

/* ledger_equal's: name the first difference. */
#define DIFF(cond, ...) \
	do { \
		if (cond) { \
			if (why) \
				snprintf(why, AL_ERRLEN, __VA_ARGS__); \
			return false; \
		} \
	} while (0)
#define SAME(x, y) (!memcmp(&(x), &(y), sizeof(x)))

static bool ref_eq(const struct al_ref *x, const struct al_ref *y)
{
	return x->seq == y->seq && (!x->seq || !memcmp(&x->author, &y->author, AL_KEYLEN));
}

static bool mref_eq(const struct al_mref *x, const struct al_mref *y)
{
	return x->seq == y->seq && (!x->seq || x->member == y->member);
}

static bool item_equal(const struct al_ledger *a, const struct al_cstatus *x,
		       const struct al_cstatus *y, size_t i, char *why)
{
	DIFF(!mref_eq(&x->id, &y->id), "commitment %zu: a different message", i);
	DIFF(x->promisor != y->promisor, "commitment %zu: promisor %lu, not %lu", i,
	     (unsigned long)x->promisor, (unsigned long)y->promisor);
	DIFF(!mset_equal(a, &x->to, &y->to), "commitment %zu: other beneficiaries", i);
	DIFF(x->due != y->due || x->value != y->value || !mref_eq(&x->task, &y->task) ||
	     x->proposed_at != y->proposed_at, "commitment %zu: other terms", i);
	DIFF(x->state != y->state, "commitment %zu: %s, not %s", i,
	     ledger_state_name((enum al_cstate)x->state), ledger_state_name((enum al_cstate)y->state));
	DIFF(x->delivered_at != y->delivered_at, "commitment %zu: delivered at %lld, not %lld", i,
	     (long long)x->delivered_at, (long long)y->delivered_at);
	DIFF(x->acked_at != y->acked_at, "commitment %zu: acked at %lld, not %lld", i,
	     (long long)x->acked_at, (long long)y->acked_at);
	DIFF(x->verdict_at != y->verdict_at || x->quality != y->quality ||
	     x->timeliness != y->timeliness || x->judged_by != y->judged_by,
	     "commitment %zu: another verdict", i);
	DIFF(x->answered_at != y->answered_at || x->answered_by != y->answered_by,
	     "commitment %zu: answered at %lld by %lu, not at %lld by %lu", i,
	     (long long)x->answered_at, (unsigned long)x->answered_by, (long long)y->answered_at,
	     (unsigned long)y->answered_by);
	DIFF(!mref_eq(&x->delivery, &y->delivery), "commitment %zu: another delivery", i);
	DIFF(!mref_eq(&x->changed, &y->changed), "commitment %zu: last changed by /%llu, not /%llu",
	     i, (unsigned long long)x->changed.seq, (unsigned long long)y->changed.seq);
	DIFF(x->accepted != y->accepted, "commitment %zu: accepted %d, not %d", i, x->accepted,
	     y->accepted);
	DIFF(!mset_equal(a, &x->released, &y->released), "commitment %zu: released by others", i);
	DIFF(x->escalated != y->escalated || x->ruling != y->ruling ||
	     x->resolved_at != y->resolved_at, "commitment %zu: another escalation or ruling", i);
	return true;
}

static bool proposal_equal(const struct al_ledger *a, const struct al_proposal *x,
			   const struct al_proposal *y, size_t i, char *why)
{
	DIFF(!ref_eq(&x->id, &y->id) || x->change != y->change || !SAME(x->params, y->params) ||
	     !SAME(x->card, y->card) || x->member != y->member || x->old != y->old,
	     "proposal %zu: another proposal", i);
	DIFF(!ref_eq(&x->enacted_by, &y->enacted_by) || x->effective_at != y->effective_at,
	     "proposal %zu: in effect at %lld, not %lld", i, (long long)x->effective_at,
	     (long long)y->effective_at);
	DIFF(x->approvals != y->approvals ||
	     memcmp(x->approved, y->approved, a->n_members * sizeof *x->approved),
	     "proposal %zu: %zu approvals, not %zu (or others)", i, x->approvals, y->approvals);
	return true;
}

bool ledger_equal(const struct al_ledger *a, const struct al_ledger *b, char *why)
{
	size_t m = a->n_members;
	DIFF(a->c != b->c, "ledgers of different charters");
	DIFF(m != b->n_members, "%zu members, not %zu", m, b->n_members);
	for (size_t k = 0; k < m; k++) {
		const char *name = a->ro->members[k].name;
		DIFF(a->standing[k] != b->standing[k], "member %s: standing %d, not %d", name,
		     a->standing[k], b->standing[k]);
		DIFF(a->party[k] != b->party[k], "member %s: party %zu, not %zu", name, a->party[k],
		     b->party[k]);
		DIFF(!same_card(&a->card[k], &b->card[k]), "member %s: another card", name);
		DIFF(a->violations[k] != b->violations[k], "member %s: %llu violations, not %llu",
		     name, (unsigned long long)a->violations[k], (unsigned long long)b->violations[k]);
	}
	DIFF(a->n_order != b->n_order || memcmp(a->order, b->order, a->n_order * sizeof *a->order),
	     "another order of members");
	DIFF(!SAME(a->params, b->params), "other parameters in effect");
	DIFF(a->n_items != b->n_items, "%zu commitments, not %zu", a->n_items, b->n_items);
	for (size_t i = 0; i < a->n_items; i++)
		if (!item_equal(a, &a->items[i], &b->items[i], i, why))
			return false;
	DIFF(a->n_tasks != b->n_tasks, "%zu tasks, not %zu", a->n_tasks, b->n_tasks);
	for (size_t i = 0; i < a->n_tasks; i++)
		DIFF(!ref_eq(&a->tasks[i].id, &b->tasks[i].id) || a->tasks[i].owner != b->tasks[i].owner,
		     "task %zu: another task", i);
	DIFF(a->n_feedback != b->n_feedback, "%zu ratings, not %zu", a->n_feedback, b->n_feedback);
	for (size_t i = 0; i < a->n_feedback; i++) {
		const struct al_rating *x = &a->feedback[i], *y = &b->feedback[i];
		DIFF(x->author != y->author || x->about != y->about || x->rating != y->rating ||
		     x->at != y->at || !mref_eq(&x->id, &y->id), "rating %zu: another rating", i);
	}
	DIFF(a->n_proposals != b->n_proposals, "%zu proposals, not %zu", a->n_proposals,
	     b->n_proposals);
	for (size_t i = 0; i < a->n_proposals; i++)
		if (!proposal_equal(a, &a->proposals[i], &b->proposals[i], i, why))
			return false;
	DIFF(a->n_broken != b->n_broken, "%zu violations, not %zu", a->n_broken, b->n_broken);
	for (size_t i = 0; i < a->n_broken; i++)
		DIFF(!ref_eq(&a->broken[i].id, &b->broken[i].id) ||
		     strcmp(a->broken[i].why, b->broken[i].why), "violation %zu: /%llu (%.200s), "
		     "not /%llu (%.200s)", i, (unsigned long long)a->broken[i].id.seq, a->broken[i].why,
		     (unsigned long long)b->broken[i].id.seq, b->broken[i].why);
	return true;
}

/* ------------------------------------------------------------ saved state
 *
 * ledger_save writes every field of the ledger and of its incremental
 * part; ledger_load reads them back into a ledger_new of the same charter.
 * Pointers are not saved: the message of an undo record is the next
 * applied message of its feed, the position of an applied message is its
 * place in the tail, an undo record's saved commitment or proposal shares
 * the arrays of the current one (only their scalar fields change), and
 * the (member, seq) indexes are made again from the commitments and tasks.
 * A message not yet stable is saved as its body re-packed by the wire
 * module (ledger_add keeps the unpacked body, not the envelope).
 */

#define LEDGER_SAVE_VERSION 4

/* A writer whose first failure sticks (as the reader's bad flag does). */
struct sv {
	struct al_ckpt_writer *w;
	int rc;
};

static void sv_put(struct sv *s, const void *p, size_t n)
{
	if (!s->rc)
		s->rc = ckpt_put(s->w, p, n);
}

static void sv_u8(struct sv *s, bool v)
{
	uint8_t b = v;
	sv_put(s, &b, 1);
}

static void sv_u32(struct sv *s, uint32_t v)
{
	if (!s->rc)
		s->rc = ckpt_put_u32(s->w, v);
}

static void sv_u64(struct sv *s, uint64_t v)
{
	if (!s->rc)
		s->rc = ckpt_put_u64(s->w, v);
}

static void sv_str(struct sv *s, const char *v)
{
	size_t n = strlen(v);
	sv_u32(s, (uint32_t)n);
	sv_put(s, v, n);
}

static void sv_ref(struct sv *s, const struct al_ref *r)
{
	sv_put(s, r->author.b, AL_KEYLEN);
	sv_u64(s, r->seq);
}

/* (member, seq): u32, u64. */
static void sv_mref(struct sv *s, const struct al_mref *r)
{
	sv_u32(s, r->member);
	sv_u64(s, r->seq);
}

/* A set of members: (members + 63) / 64 words, low bit first. */
static void sv_mset(struct sv *s, const struct al_ledger *l, const union al_mset *v)
{
	for (size_t w = 0; w < (l->n_members + 63) / 64; w++)
		sv_u64(s, mset_inline(l) ? v->bits : v->words[w]);
}

static void sv_params(struct sv *s, const struct al_params *p)
{
	sv_u64(s, p->half_life);
	sv_u64(s, p->grace);
	sv_u64(s, p->skew);
	const uint32_t v[] = { p->w_on_time, p->w_late, p->w_missed, p->w_disputed, p->w_rating,
			       p->warn_trust, p->warn_uncertainty, p->warn_misses,
			       p->warn_reciprocity };
	for (size_t i = 0; i < sizeof v / sizeof *v; i++)
		sv_u32(s, v[i]);
	sv_u64(s, p->value_unit);
}

/* A card: its strings, then its keys (same_card compares them so). */
static void sv_card(struct sv *s, const struct al_member *m)
{
	/* The strings padded with zeros: the bytes after a NUL are whatever
	 * the memory held (never written out, never compared). */
	char name[sizeof m->name] = { 0 }, endpoint[sizeof m->endpoint] = { 0 };
	memcpy(name, m->name, strnlen(m->name, sizeof name - 1));
	memcpy(endpoint, m->endpoint, strnlen(m->endpoint, sizeof endpoint - 1));
	sv_put(s, name, sizeof name);
	sv_put(s, m->sign_key.b, AL_KEYLEN);
	sv_put(s, m->transport_key.b, AL_KEYLEN);
	sv_put(s, endpoint, sizeof endpoint);
}

/* The per-member arrays an amendment changes (the ledger's, a snapshot's). */
static void sv_members(struct sv *s, size_t m, const enum al_standing *standing,
		       const size_t *party, const struct al_member *card)
{
	for (size_t k = 0; k < m; k++) {
		sv_u32(s, standing[k]);
		sv_u64(s, party[k]);
		sv_card(s, &card[k]);
	}
}

/* What a message may change in a commitment (the rest is fixed when made). */
static void sv_item_moves(struct sv *s, const struct al_cstatus *x)
{
	sv_u32(s, x->state);
	sv_u64(s, (uint64_t)x->delivered_at);
	sv_u64(s, (uint64_t)x->acked_at);
	sv_u64(s, (uint64_t)x->verdict_at);
	sv_u32(s, x->quality);
	sv_u32(s, x->timeliness);
	sv_mref(s, &x->delivery);
	sv_mref(s, &x->changed);
	sv_u8(s, x->accepted);
	sv_u8(s, x->escalated);
	sv_u32(s, x->ruling);
	sv_u64(s, (uint64_t)x->resolved_at);
	sv_u64(s, (uint64_t)x->answered_at);
	sv_u64(s, x->answered_by);
	sv_u64(s, x->judged_by);
}

/* What a message may change in a proposal (besides approved[]). */
static void sv_prop_moves(struct sv *s, const struct al_proposal *p)
{
	sv_ref(s, &p->enacted_by);
	sv_u64(s, p->approvals);
	sv_u64(s, (uint64_t)p->effective_at);
}

static void sv_body(struct sv *s, const struct al_body *b)
{
	uint8_t *p = NULL;
	size_t n = 0;
	if (!s->rc && (s->rc = wire_body_pack(b, &p, &n)) == AL_OK) {
		sv_u32(s, (uint32_t)n);
		sv_put(s, p, n);
	}
	free(p);
}

int ledger_save(const struct al_ledger *l, struct al_ckpt_writer *w)
{
	const struct al_ledger_inc *in = l->inc;
	size_t m = l->n_members;
	struct sv s = { w, AL_OK };
	if (!in || in->failed || l->ro->n_members != m)
		return AL_E_INVAL;
	sv_u32(&s, LEDGER_SAVE_VERSION);
	/* The charter it was made of: the alliance, its members as the store
	 * amended them when the ledger was made, where their feeds end. */
	sv_put(&s, l->c->id.b, AL_HASHLEN);
	sv_u64(&s, m);
	for (size_t k = 0; k < m; k++) {
		sv_card(&s, &in->cards[k]);
		sv_u64(&s, in->feed_end[k]);
	}
	/* Per feed: the timestamps, the deliveries, the messages not stable. */
	for (size_t k = 0; k < m; k++) {
		const struct inc_feed *f = &in->feed[k];
		sv_u64(&s, f->n_ts);
		for (size_t i = 0; i < f->n_ts; i++)
			sv_u64(&s, (uint64_t)ts_at(f, i));
		sv_u64(&s, f->n_dl);
		for (size_t i = 0; i < f->n_dl; i++) {
			sv_u64(&s, f->dl[i].seq);
			sv_mref(&s, &f->dl[i].commitment);
			for (size_t j = 0; j < m; j++)
				sv_u64(&s, (uint64_t)f->dl_min[i * m + j]);
		}
		sv_u64(&s, f->n - f->lo);
		sv_u64(&s, f->next - f->lo);
		for (size_t i = f->lo; i < f->n; i++)
			sv_body(&s, &f->q[i]->b);
	}
	/* The ledger. */
	sv_members(&s, m, l->standing, l->party, l->card);
	for (size_t k = 0; k < m; k++)
		sv_u64(&s, l->violations[k]);
	sv_u64(&s, l->n_order);
	for (size_t i = 0; i < l->n_order; i++)
		sv_u64(&s, l->order[i]);
	sv_params(&s, &l->params);
	sv_u64(&s, l->n_items);
	for (size_t i = 0; i < l->n_items; i++) {
		const struct al_cstatus *x = &l->items[i];
		sv_mref(&s, &x->id);
		sv_u64(&s, x->promisor);
		sv_mset(&s, l, &x->to);
		sv_u64(&s, (uint64_t)x->due);
		sv_u64(&s, x->value);
		sv_u64(&s, (uint64_t)x->proposed_at);
		sv_mref(&s, &x->task);
		sv_item_moves(&s, x);
		sv_mset(&s, l, &x->released);
	}
	sv_u64(&s, l->n_feedback);
	for (size_t i = 0; i < l->n_feedback; i++) {
		const struct al_rating *x = &l->feedback[i];
		sv_u64(&s, x->author);
		sv_u64(&s, x->about);
		sv_u32(&s, x->rating);
		sv_u64(&s, (uint64_t)x->at);
		sv_mref(&s, &x->id);
	}
	sv_u64(&s, l->n_tasks);
	for (size_t i = 0; i < l->n_tasks; i++) {
		sv_ref(&s, &l->tasks[i].id);
		sv_u64(&s, l->tasks[i].owner);
	}
	sv_u64(&s, l->n_proposals);
	for (size_t i = 0; i < l->n_proposals; i++) {
		const struct al_proposal *p = &l->proposals[i];
		sv_ref(&s, &p->id);
		sv_u32(&s, (uint32_t)p->change);
		sv_params(&s, &p->params);
		sv_card(&s, &p->card);
		sv_u64(&s, (uint64_t)p->member);
		sv_u64(&s, (uint64_t)p->old);
		sv_prop_moves(&s, p);
		for (size_t k = 0; k < m; k++)
			sv_u8(&s, p->approved[k]);
	}
	sv_u64(&s, l->n_broken);
	for (size_t i = 0; i < l->n_broken; i++) {
		sv_ref(&s, &l->broken[i].id);
		sv_str(&s, l->broken[i].why);
	}
	/* The incremental part: the tail's undo records, in order. */
	sv_u64(&s, in->n_stable);
	sv_u8(&s, in->have_last);
	sv_u64(&s, (uint64_t)in->last.timestamp);
	sv_put(&s, in->last.author.b, AL_KEYLEN);
	sv_u8(&s, in->have_stable_max);
	sv_u64(&s, (uint64_t)in->stable_max.timestamp);
	sv_put(&s, in->stable_max.author.b, AL_KEYLEN);
	sv_u64(&s, in->st.added);
	sv_u64(&s, in->st.direct);
	sv_u64(&s, in->st.replays);
	sv_u64(&s, in->st.replayed);
	sv_u64(&s, in->tail_n - in->tail_lo);
	for (size_t i = in->tail_lo; i < in->tail_n; i++) {
		const struct undo *u = &in->tail[i];
		sv_u64(&s, (uint64_t)roster_index(l->ro, &u->m->b.author));
		const size_t n[] = { u->n_items, u->n_tasks, u->n_feedback, u->n_proposals,
				     u->n_broken, u->n_order };
		for (size_t j = 0; j < sizeof n / sizeof *n; j++)
			sv_u64(&s, n[j]);
		sv_u64(&s, (uint64_t)u->violator);
		sv_u64(&s, (uint64_t)u->item);
		if (u->item >= 0)
			sv_item_moves(&s, &u->was);
		sv_u64(&s, (uint64_t)u->released);
		sv_u8(&s, u->released_was);
		sv_u64(&s, (uint64_t)u->prop);
		if (u->prop >= 0)
			sv_prop_moves(&s, &u->pwas);
		sv_u64(&s, (uint64_t)u->approved);
		sv_u8(&s, u->approved_was);
		sv_u8(&s, u->snap != NULL);
		if (u->snap) {
			sv_params(&s, &u->snap->params);
			sv_members(&s, m, u->snap->standing, u->snap->party, u->snap->card);
		}
	}
	return s.rc;
}

/* A reader that notes the first value out of range (the ckpt reader notes
 * a short read): every value it returns is in range, so that reading on
 * after damage is safe, and the load fails at the next check. */
struct ld {
	struct al_ckpt_reader *r;
	const struct al_roster *ro;
	size_t m;
	const char *odd; /* the first value out of range, or NULL */
};

static void ld_odd(struct ld *x, const char *what)
{
	if (!x->odd)
		x->odd = what;
}

static uint64_t ld_u64(struct ld *x)
{
	return ckpt_get_u64(x->r);
}

static int64_t ld_i64(struct ld *x)
{
	return (int64_t)ckpt_get_u64(x->r);
}

static bool ld_bool(struct ld *x, const char *what)
{
	uint8_t b = 0;
	ckpt_get(x->r, &b, 1);
	if (b > 1)
		ld_odd(x, what);
	return b == 1;
}

/* A value below limit (else 0, noted). */
static uint64_t ld_below(struct ld *x, uint64_t limit, const char *what)
{
	uint64_t v = ckpt_get_u64(x->r);
	if (v < limit)
		return v;
	ld_odd(x, what);
	return 0;
}

static uint32_t ld_enum(struct ld *x, uint32_t last, const char *what)
{
	uint32_t v = ckpt_get_u32(x->r);
	if (v <= last)
		return v;
	ld_odd(x, what);
	return 0;
}

/* -1 or a value below limit (else -1, noted). */
static long ld_opt(struct ld *x, uint64_t limit, const char *what)
{
	int64_t v = ld_i64(x);
	if (v >= -1 && (v < 0 || (uint64_t)v < limit))
		return (long)v;
	ld_odd(x, what);
	return -1;
}

/* A count of elements of at least min bytes each, which must fit in what
 * is left: what is allocated for it is bounded by the payload's size. */
static size_t ld_count(struct ld *x, size_t min, const char *what)
{
	uint64_t n = ckpt_get_u64(x->r);
	if (n <= x->r->left / min)
		return (size_t)n;
	ld_odd(x, what);
	return 0;
}

static void ld_ref(struct ld *x, struct al_ref *ref)
{
	ckpt_get(x->r, ref->author.b, AL_KEYLEN);
	ref->seq = ld_u64(x);
}

/* (member, seq): a member's index (or, with none, UINT32_MAX: not a
 * member's message). */
static void ld_mref(struct ld *x, bool none, struct al_mref *ref)
{
	ref->member = ckpt_get_u32(x->r);
	ref->seq = ld_u64(x);
	if (ref->member >= x->m && !(none && ref->member == UINT32_MAX)) {
		ld_odd(x, "a message is not a member's");
		ref->member = 0;
	}
}

/* A set of members (sv_mset) into *v (mset_new's): every bit a member's. */
static void ld_mset(struct ld *x, const struct al_ledger *l, union al_mset *v)
{
	for (size_t w = 0; w < (x->m + 63) / 64; w++) {
		uint64_t bits = ld_u64(x);
		size_t left = x->m - w * 64; /* members in this word */
		if (left < 64 && bits >> left)
			ld_odd(x, "a set of members names one that is not");
		*(mset_inline(l) ? &v->bits : &v->words[w]) = bits;
	}
}

static void ld_params(struct ld *x, struct al_params *p)
{
	memset(p, 0, sizeof *p);
	p->half_life = ld_u64(x);
	p->grace = ld_u64(x);
	p->skew = ld_u64(x);
	uint32_t *v[] = { &p->w_on_time, &p->w_late, &p->w_missed, &p->w_disputed, &p->w_rating,
			  &p->warn_trust, &p->warn_uncertainty, &p->warn_misses,
			  &p->warn_reciprocity };
	for (size_t i = 0; i < sizeof v / sizeof *v; i++)
		*v[i] = ckpt_get_u32(x->r);
	p->value_unit = ld_u64(x);
}

static void ld_card(struct ld *x, struct al_member *m)
{
	ckpt_get(x->r, m->name, sizeof m->name);
	ckpt_get(x->r, m->sign_key.b, AL_KEYLEN);
	ckpt_get(x->r, m->transport_key.b, AL_KEYLEN);
	ckpt_get(x->r, m->endpoint, sizeof m->endpoint);
	const char *nul = memchr(m->name, 0, sizeof m->name), *end = memchr(m->endpoint, 0,
									 sizeof m->endpoint);
	if (!nul || !end) {
		ld_odd(x, "a card's name or endpoint is not terminated");
		m->name[0] = m->endpoint[0] = '\0';
		return;
	}
	/* As sv_card writes them: zeros after the NUL. */
	for (; nul < m->name + sizeof m->name; nul++)
		if (*nul) {
			ld_odd(x, "a card's name is not padded with zeros");
			return;
		}
	for (; end < m->endpoint + sizeof m->endpoint; end++)
		if (*end) {
			ld_odd(x, "a card's endpoint is not padded with zeros");
			return;
		}
}

/* A string of at most max bytes, without NUL, into buf (max + 1 bytes). */
static void ld_str(struct ld *x, char *buf, size_t max)
{
	uint32_t n = ckpt_get_u32(x->r);
	buf[0] = '\0';
	if (n > max || n > x->r->left) {
		ld_odd(x, "a string is too long");
		return;
	}
	ckpt_get(x->r, buf, n);
	buf[n] = '\0';
	if (strlen(buf) != n)
		ld_odd(x, "a string holds a NUL");
}

static void ld_members(struct ld *x, enum al_standing *standing, size_t *party,
		       struct al_member *card)
{
	for (size_t k = 0; k < x->m; k++) {
		standing[k] = (enum al_standing)ld_enum(x, AL_REPLACED, "a standing is unknown");
		party[k] = (size_t)ld_below(x, x->m, "a party is not a member");
		ld_card(x, &card[k]);
	}
}

static void ld_item_moves(struct ld *x, struct al_cstatus *s)
{
	s->state = (enum al_cstate)ld_enum(x, AL_C_RELEASED, "a commitment's state is unknown");
	s->delivered_at = ld_i64(x);
	s->acked_at = ld_i64(x);
	s->verdict_at = ld_i64(x);
	s->quality = (uint8_t)ld_enum(x, UINT8_MAX, "a rating is out of range");
	s->timeliness = (uint8_t)ld_enum(x, UINT8_MAX, "a rating is out of range");
	ld_mref(x, false, &s->delivery);
	ld_mref(x, false, &s->changed);
	s->accepted = ld_bool(x, "a commitment's accepted flag is neither 0 nor 1");
	s->escalated = ld_bool(x, "a commitment's escalated flag is neither 0 nor 1");
	s->ruling = (uint8_t)ld_enum(x, AL_RULING_REJECT, "a ruling is unknown");
	s->resolved_at = ld_i64(x);
	s->answered_at = ld_i64(x);
	s->answered_by = (uint32_t)ld_below(x, x->m, "an answer is not a member's");
	s->judged_by = (uint32_t)ld_below(x, x->m, "a verdict is not a member's");
}

static void ld_prop_moves(struct ld *x, struct al_proposal *p)
{
	ld_ref(x, &p->enacted_by);
	p->approvals = (size_t)ld_below(x, (uint64_t)x->m + 1, "a proposal has more approvals "
					"than members");
	p->effective_at = ld_i64(x);
}

/* (member, seq) of an applied message: its feed holds it. Returns the
 * member index, or -1 (noted). */
static long ld_id(struct ld *x, const struct al_ledger *l, const struct al_ref *id,
		  const char *what)
{
	long k = roster_index(x->ro, &id->author);
	if (k < 0 || !id->seq || id->seq > l->inc->feed[k].n_ts) {
		ld_odd(x, what);
		return -1;
	}
	return k;
}

/* ld_id of a (member, seq) (its member already checked by ld_mref). */
static long ld_mid(struct ld *x, const struct al_ledger *l, const struct al_mref *id,
		   const char *what)
{
	struct al_ref r = ledger_ref(l, id);
	return ld_id(x, l, &r, what);
}

/* Each feed's saved part: timestamps, deliveries, messages not stable. */
static int ld_feed(struct ld *x, struct al_ledger *l, size_t k, char *why)
{
	struct inc_feed *f = &l->inc->feed[k];
	const struct al_roster *ro = x->ro;
	size_t m = x->m;
	size_t n = ld_count(x, 8, "a feed's timestamps do not fit");
	if (n > l->inc->feed_end[k])
		ld_odd(x, "a feed holds messages past its end");
	if (x->odd || x->r->bad)
		return AL_E_PARSE;
	while (f->n_ts < n) {
		int64_t t = ld_i64(x);
		if (f->n_ts && t < ts_at(f, f->n_ts - 1)) {
			ld_odd(x, "a feed's timestamps go back");
			t = ts_at(f, f->n_ts - 1);
		}
		if (ts_room(f, t))
			return AL_E_NOMEM;
		ts_put(f, t);
	}
	n = ld_count(x, 8 + 4 + 8 + 8 * m, "a feed's deliveries do not fit");
	if (n > f->n_ts)
		ld_odd(x, "a feed has more deliveries than messages");
	if (x->odd || x->r->bad)
		return AL_E_PARSE;
	if (grow(&f->dl, &f->dl_cap, n, sizeof *f->dl) ||
	    grow(&f->dl_min, &f->dl_min_cap, n * m, sizeof *f->dl_min))
		return AL_E_NOMEM;
	for (; f->n_dl < n; f->n_dl++) {
		struct inc_delivery *d = &f->dl[f->n_dl];
		d->seq = ld_u64(x);
		if (d->seq < 1 || d->seq > f->n_ts || (f->n_dl && d->seq <= d[-1].seq))
			ld_odd(x, "a feed's deliveries are out of sequence");
		ld_mref(x, true, &d->commitment);
		for (size_t j = 0; j < m; j++)
			f->dl_min[f->n_dl * m + j] = ld_i64(x);
	}
	size_t held = ld_count(x, 4, "a feed's messages do not fit");
	uint64_t applied = ld_u64(x);
	if (held > f->n_ts || applied > held)
		ld_odd(x, "a feed's messages not stable are more than it has");
	if (x->odd || x->r->bad)
		return AL_E_PARSE;
	if (grow(&f->q, &f->cap, held, sizeof *f->q))
		return AL_E_NOMEM;
	while (f->n < held) {
		uint32_t len = ckpt_get_u32(x->r);
		uint64_t seq = f->n_ts - held + f->n + 1;
		char err[AL_ERRLEN];
		struct inc_msg *msg;
		if (x->r->bad || len > AL_MAX_ENVELOPE || len > x->r->left)
			return al_errf(why, AL_E_PARSE, "%s/%llu does not fit", ro->members[k].name,
				       (unsigned long long)seq);
		if (!(msg = calloc(1, sizeof *msg)))
			return AL_E_NOMEM;
		int rc = wire_body_unpack(x->r->p, len, &msg->b, err);
		if (rc) {
			free(msg);
			return rc == AL_E_NOMEM ? rc : al_errf(why, AL_E_PARSE, "%s/%llu: %s",
								ro->members[k].name,
								(unsigned long long)seq, err);
		}
		f->q[f->n++] = msg;
		/* What ledger_save writes: the canonical packing (so that a
		 * state saves again to the bytes it was read from). */
		uint8_t *again = NULL;
		size_t again_len = 0;
		if ((rc = wire_body_pack(&msg->b, &again, &again_len)))
			return rc == AL_E_NOMEM ? rc : al_errf(why, AL_E_PARSE, "%s/%llu cannot be "
								"packed again", ro->members[k].name,
								(unsigned long long)seq);
		bool canonical = again_len == len && !memcmp(again, x->r->p, len);
		free(again);
		x->r->p += len;
		x->r->left -= len;
		if (!canonical || memcmp(&msg->b.author, &ro->members[k].sign_key, AL_KEYLEN) ||
		    msg->b.seq != seq || msg->b.timestamp != ts_at(f, seq - 1))
			return al_errf(why, AL_E_PARSE, "%s/%llu is another message",
				       ro->members[k].name, (unsigned long long)seq);
	}
	f->next = (size_t)applied;
	l->inc->done[k] = f->n_ts - (held - applied);
	return AL_OK;
}

/* The counts before a message (struct undo): at most the ledger's, and
 * never fewer than the previous record's (each message adds). */
static bool ld_counts(struct ld *x, const struct al_ledger *l, const struct undo *prev,
		      struct undo *u)
{
	size_t *n[] = { &u->n_items, &u->n_tasks, &u->n_feedback, &u->n_proposals, &u->n_broken,
			&u->n_order };
	const size_t now[] = { l->n_items, l->n_tasks, l->n_feedback, l->n_proposals,
			       l->n_broken, l->n_order };
	const size_t least[] = { prev ? prev->n_items : 0, prev ? prev->n_tasks : 0,
				 prev ? prev->n_feedback : 0, prev ? prev->n_proposals : 0,
				 prev ? prev->n_broken : 0, prev ? prev->n_order : 0 };
	for (size_t i = 0; i < sizeof n / sizeof *n; i++) {
		uint64_t v = ld_u64(x);
		if (v < least[i] || v > now[i]) {
			ld_odd(x, "an undo record's counts are out of range");
			return false;
		}
		*n[i] = (size_t)v;
	}
	return true;
}

static int ld_tail_one(struct ld *x, struct al_ledger *l, size_t *cursor)
{
	struct al_ledger_inc *in = l->inc;
	size_t m = x->m;
	struct undo *u = &in->tail[in->tail_n];
	memset(u, 0, sizeof *u);
	size_t k = (size_t)ld_below(x, m, "an undo record's feed is not a member's");
	if (cursor[k] >= in->feed[k].next) {
		ld_odd(x, "the tail has more messages of a feed than it applied");
		return AL_E_PARSE;
	}
	u->m = in->feed[k].q[cursor[k]++];
	u->violator = u->item = u->released = u->prop = u->approved = -1;
	in->tail_n++;
	if (!ld_counts(x, l, in->tail_n > 1 ? &in->tail[in->tail_n - 2] : NULL, u))
		return AL_E_PARSE;
	u->violator = ld_opt(x, m, "an undo record's violator is not a member");
	u->item = ld_opt(x, u->n_items, "an undo record's commitment came after it");
	if (u->item >= 0) {
		u->was = l->items[u->item]; /* the arrays are shared: see above */
		ld_item_moves(x, &u->was);
	}
	u->released = ld_opt(x, m, "an undo record's release is not a member's");
	u->released_was = ld_bool(x, "an undo record's flag is neither 0 nor 1");
	u->prop = ld_opt(x, u->n_proposals, "an undo record's proposal came after it");
	if (u->prop >= 0) {
		u->pwas = l->proposals[u->prop];
		ld_prop_moves(x, &u->pwas);
	}
	u->approved = ld_opt(x, m, "an undo record's approval is not a member's");
	if (u->prop >= 0 && u->approved < 0)
		ld_odd(x, "an undo record's approval names no member");
	u->approved_was = ld_bool(x, "an undo record's flag is neither 0 nor 1");
	if (ld_bool(x, "an undo record's flag is neither 0 nor 1")) {
		struct msnap *s = calloc(1, sizeof *s);
		if (!s || !(s->standing = calloc(m ? m : 1, sizeof *s->standing)) ||
		    !(s->party = calloc(m ? m : 1, sizeof *s->party)) ||
		    !(s->card = calloc(m ? m : 1, sizeof *s->card))) {
			snap_free(s);
			return AL_E_NOMEM;
		}
		u->snap = s;
		ld_params(x, &s->params);
		ld_members(x, s->standing, s->party, s->card);
	}
	return x->odd || x->r->bad ? AL_E_PARSE : AL_OK;
}

/* The ledger part of the payload (after the feeds). */
static int ld_ledger(struct ld *x, struct al_ledger *l)
{
	size_t m = x->m, n;
	int rc;
	ld_members(x, l->standing, l->party, l->card);
	for (size_t k = 0; k < m; k++)
		l->violations[k] = ld_u64(x);
	n = ld_count(x, 8, "the members' order does not fit");
	if (n > m) {
		ld_odd(x, "the members' order names more than the members");
		n = 0;
	}
	for (l->n_order = 0; l->n_order < n; l->n_order++) {
		size_t k = (size_t)ld_below(x, m, "the members' order names a non-member");
		for (size_t i = 0; i < l->n_order; i++)
			if (l->order[i] == k)
				ld_odd(x, "the members' order names one twice");
		l->order[l->n_order] = k;
	}
	ld_params(x, &l->params);
	if (x->odd || x->r->bad)
		return AL_E_PARSE;

	size_t words = (m + 63) / 64;
	n = ld_count(x, 12 + 8 + 8 * words + 8 + 8 + 8 + 12 + 98 + 8 * words,
		     "the commitments do not fit");
	if (!(l->items = malloc((n ? n : 1) * sizeof *l->items)))
		return AL_E_NOMEM;
	while (l->n_items < n && !x->odd && !x->r->bad) {
		struct al_cstatus *s = &l->items[l->n_items];
		memset(s, 0, sizeof *s);
		ld_mref(x, false, &s->id);
		s->promisor = (uint32_t)ld_below(x, m, "a promisor is not a member");
		if ((rc = mset_new(l, &s->to)) || (rc = mset_new(l, &s->released))) {
			mset_free(l, &s->to);
			return rc;
		}
		l->n_items++; /* ledger_destroy frees it from here */
		ld_mset(x, l, &s->to);
		s->due = ld_i64(x);
		s->value = ld_u64(x);
		s->proposed_at = ld_i64(x);
		ld_mref(x, false, &s->task);
		ld_item_moves(x, s);
		ld_mset(x, l, &s->released);
		long k = ld_mid(x, l, &s->id, "a commitment is not an added message");
		if (k >= 0 && find_m(l, &s->id))
			ld_odd(x, "a commitment comes twice");
		else if (k >= 0 && l->item_of[k].n &&
			 l->item_of[k].v[l->item_of[k].n - 1].seq > s->id.seq)
			ld_odd(x, "a member's commitments are out of order");
		else if (k >= 0 && (rc = index_put(l->item_of, (size_t)k, s->id.seq, l->n_items)))
			return rc;
	}
	if (x->odd || x->r->bad)
		return AL_E_PARSE;

	n = ld_count(x, 8 + 8 + 4 + 8 + 4 + 8, "the ratings do not fit");
	if (!(l->feedback = malloc((n ? n : 1) * sizeof *l->feedback)))
		return AL_E_NOMEM;
	for (; l->n_feedback < n; l->n_feedback++) {
		struct al_rating *v = &l->feedback[l->n_feedback];
		memset(v, 0, sizeof *v);
		v->author = (uint32_t)ld_below(x, m, "a rating's author is not a member");
		v->about = (uint32_t)ld_below(x, m, "a rating is not about a member");
		v->rating = (uint8_t)ld_enum(x, UINT8_MAX, "a rating is out of range");
		v->at = ld_i64(x);
		ld_mref(x, false, &v->id);
	}

	n = ld_count(x, AL_KEYLEN + 8 + 8, "the tasks do not fit");
	if (!(l->tasks = malloc((n ? n : 1) * sizeof *l->tasks)))
		return AL_E_NOMEM;
	while (l->n_tasks < n && !x->odd && !x->r->bad) {
		struct al_task_status *t = &l->tasks[l->n_tasks++];
		memset(t, 0, sizeof *t);
		ld_ref(x, &t->id);
		t->owner = (size_t)ld_below(x, m, "a task's owner is not a member");
		long k = ld_id(x, l, &t->id, "a task is not an added message");
		if (k >= 0 && index_get(l, l->task_of, &t->id))
			ld_odd(x, "a task comes twice");
		else if (k >= 0 && l->task_of[k].n &&
			 l->task_of[k].v[l->task_of[k].n - 1].seq > t->id.seq)
			ld_odd(x, "a member's tasks are out of order");
		else if (k >= 0 && (rc = index_put(l->task_of, (size_t)k, t->id.seq, l->n_tasks)))
			return rc;
	}
	if (x->odd || x->r->bad)
		return AL_E_PARSE;

	n = ld_count(x, 400 + m, "the proposals do not fit");
	if (!(l->proposals = malloc((n ? n : 1) * sizeof *l->proposals)))
		return AL_E_NOMEM;
	while (l->n_proposals < n && !x->odd && !x->r->bad) {
		struct al_proposal *p = &l->proposals[l->n_proposals];
		memset(p, 0, sizeof *p);
		if (!(p->approved = calloc(m ? m : 1, sizeof *p->approved)))
			return AL_E_NOMEM;
		l->n_proposals++;
		ld_ref(x, &p->id);
		p->change = ld_enum(x, AL_AMEND_REPLACE, "a proposal's change is unknown");
		ld_params(x, &p->params);
		ld_card(x, &p->card);
		p->member = ld_opt(x, m, "a proposal's member is not one");
		p->old = ld_opt(x, m, "a proposal's replaced member is not one");
		ld_prop_moves(x, p);
		for (size_t k = 0; k < m; k++)
			p->approved[k] = ld_bool(x, "an approval flag is neither 0 nor 1");
	}
	if (x->odd || x->r->bad)
		return AL_E_PARSE;

	n = ld_count(x, AL_KEYLEN + 8 + 4, "the violations do not fit");
	if (!(l->broken = malloc((n ? n : 1) * sizeof *l->broken)))
		return AL_E_NOMEM;
	for (; l->n_broken < n; l->n_broken++) {
		struct al_violation *v = &l->broken[l->n_broken];
		ld_ref(x, &v->id);
		ld_str(x, v->why, sizeof v->why - 1);
	}
	return x->odd || x->r->bad ? AL_E_PARSE : AL_OK;
}

int ledger_load(const struct al_roster *ro, struct al_ckpt_reader *r, struct al_ledger **out,
		char *why)
{
	struct ld x = { r, ro, ro->n_members, NULL };
	struct al_ledger *l = NULL;
	size_t m = ro->n_members, *cursor = NULL;
	uint64_t added = 0, applied = 0;
	al_hash id;
	int rc;
	*out = NULL;
	if (why)
		*why = '\0';
	uint32_t version = ckpt_get_u32(r);
	if (!r->bad && version != LEDGER_SAVE_VERSION)
		return al_errf(why, AL_E_PARSE, "ledger state: version %" PRIu32 ", and this build "
			       "reads version %d: replay the log", version, LEDGER_SAVE_VERSION);
	ckpt_get(r, id.b, AL_HASHLEN);
	uint64_t n = ckpt_get_u64(r);
	if (r->bad)
		return al_errf(why, AL_E_PARSE, "ledger state: cut short");
	if (memcmp(&id, &ro->c->id, AL_HASHLEN))
		return al_errf(why, AL_E_INVAL, "ledger state of another alliance: replay the log");
	if (n != m)
		return al_errf(why, AL_E_INVAL, "ledger state: the members changed since it was "
			       "saved (%" PRIu64 " then, %zu now): replay the log", n, m);
	if ((rc = ledger_new(ro, &l)))
		goto out;
	for (size_t k = 0; k < m; k++) {
		struct al_member card;
		ld_card(&x, &card);
		uint64_t end = ld_u64(&x);
		if (r->bad || x.odd) {
			rc = AL_E_PARSE;
			goto out;
		}
		if (!is_card_of(ro, k, &card) || end != l->inc->feed_end[k]) {
			rc = al_errf(why, AL_E_INVAL, "ledger state: member %s changed since it was "
				     "saved (its card, or the end of its feed): replay the log",
				     ro->members[k].name);
			goto out;
		}
	}
	for (size_t k = 0; k < m; k++) {
		if ((rc = ld_feed(&x, l, k, why)))
			goto out;
		added += l->inc->feed[k].n_ts;
		applied += l->inc->feed[k].next;
	}
	if ((rc = ld_ledger(&x, l)))
		goto out;
	struct al_ledger_inc *in = l->inc;
	in->n_stable = ld_u64(&x);
	in->have_last = ld_bool(&x, "the last key's flag is neither 0 nor 1");
	in->last.timestamp = ld_i64(&x);
	ckpt_get(r, in->last.author.b, AL_KEYLEN);
	in->have_stable_max = ld_bool(&x, "the stable key's flag is neither 0 nor 1");
	in->stable_max.timestamp = ld_i64(&x);
	ckpt_get(r, in->stable_max.author.b, AL_KEYLEN);
	in->st.added = ld_u64(&x);
	in->st.direct = ld_u64(&x);
	in->st.replays = ld_u64(&x);
	in->st.replayed = ld_u64(&x);
	n = ld_count(&x, 8 * 10 + 4, "the tail does not fit");
	if (n != applied || in->n_stable > added - applied)
		ld_odd(&x, "the tail is not the feeds' applied messages");
	if (r->bad || x.odd) {
		rc = AL_E_PARSE;
		goto out;
	}
	if (!(cursor = calloc(m ? m : 1, sizeof *cursor)) ||
	    grow(&in->tail, &in->tail_cap, (size_t)n, sizeof *in->tail)) {
		rc = AL_E_NOMEM;
		goto out;
	}
	while (in->tail_n < n)
		if ((rc = ld_tail_one(&x, l, cursor)))
			goto out;
	for (size_t i = 0; i < in->tail_n; i++)
		in->tail[i].m->pos = in->n_stable + i;
	in->n_applied = in->n_stable + in->tail_n;
	*out = l;
	l = NULL;
out:
	if (rc == AL_E_NOMEM)
		al_errf(why, rc, "ledger state: out of memory");
	else if (rc && (r->bad || x.odd))
		al_errf(why, rc, "ledger state: %s: replay the log", r->bad ? "cut short" : x.odd);
	else if (rc && why && !*why)
		al_errf(why, rc, "ledger state: damaged: replay the log");
	free(cursor);
	ledger_destroy(&l);
	return rc;
}
