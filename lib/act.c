/* act.c: composing and checking what this home's member signs.
 *
 * Pure: the store and ledger are read, never written; no daemon, no
 * socket, no clock (the caller passes now). The daemon's handlers (commit,
 * act) call these before anything is signed; unit tests reach them here.
 */
#include "act.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card.h"
#include "charter.h"
#include "envelope.h"
#include "err.h"
#include "feeds.h"
#include "roster.h"
#include "msg.h"
#include "text.h"
#include "when.h"

/* "name/seq" of a message held in s into *ref. */
int act_parse_id(const struct al_store *s, const char *id, struct al_ref *ref, char *why)
{
	const char *slash = strrchr(id, '/');
	char name[AL_NAME_MAX + 16], *at;
	uint64_t gen, seq;
	if (!slash || slash == id || (size_t)(slash - id) >= sizeof name)
		return al_errf(why, AL_E_INVAL, "bad id '%s' (ids look like acme/12)", id);
	memcpy(name, id, (size_t)(slash - id));
	name[slash - id] = '\0';
	const struct al_roster *ro = store_roster(s);
	const struct al_member *m = NULL;
	if ((at = strchr(name, '@'))) { /* name@2: the member's second keys */
		*at = '\0';
		bool number = text_uint(at + 1, UINT32_MAX, &gen);
		for (size_t k = 0; number && k < ro->n_members; k++)
			if (!strcmp(ro->members[k].name, name) && ro->generation &&
			    ro->generation[k] == gen)
				m = &ro->members[k];
	} else if ((m = roster_member_named(ro, name))) {
		/* name/seq: its first keys' message (name@2/seq for the second's) */
		m = &ro->members[roster_party(ro, (size_t)(m - ro->members))];
	}
	if (!m || !text_uint(slash + 1, UINT64_MAX, &seq) || !seq)
		return al_errf(why, AL_E_INVAL, "bad id '%s' (ids look like acme/12)", id);
	if (!feeds_offset(s->feeds, &m->sign_key, seq, NULL))
		return al_errf(why, AL_E_NOENT, "no message '%s' here", id);
	ref->author = m->sign_key;
	ref->seq = seq;
	return AL_OK;
}

/* What errors call item n of a commit request: its --batch line, or
 * "commitment n". */
const char *act_item_label(const struct al_commit_item *it, size_t n, char *buf, size_t len)
{
	if (it->line)
		snprintf(buf, len, "--batch line %" PRIu32, it->line);
	else
		snprintf(buf, len, "commitment %zu", n);
	return buf;
}

/* Check one commitment as stated; fill b (keys into *to, caller frees).
 * The due time is checked apart (due_ok): a retry of a commitment made
 * before its due time passed names a due time now past. */
int act_check_item(const struct al_store *s, const struct al_member *self,
		      const struct al_commit_item *it, const char *label, struct al_body *b,
		      al_key **to, char *why)
{
	char list[1024], err[AL_ERRLEN];
	const struct al_charter *c = s->charter;
	const struct al_roster *ro = store_roster(s);
	memset(b, 0, sizeof *b);
	*to = NULL;
	/* This home signs no text that could drive a partner's terminal
	 * (text_check); what peers signed is accepted as it is. */
	char field[96];
	snprintf(field, sizeof field, "%s: WHAT", label);
	if (text_check(field, it->what, why))
		return AL_E_INVAL;
	if (!*it->what || strlen(it->what) > 4096)
		return al_errf(why, AL_E_INVAL, "%s: say what you will deliver "
			       "(1 to 4096 characters)", label);
	if (*it->key && msg_check_idempotency_key(it->key, err))
		return al_errf(why, AL_E_INVAL, "%s: %s", label, err);
	if (it->n_to == 0)
		return al_errf(why, AL_E_INVAL, "%s: name at least one beneficiary "
			       "with --to (members: %s)", label, roster_member_list(ro, list, sizeof list));
	if (!(*to = calloc(it->n_to, sizeof **to)))
		return AL_E_NOMEM;
	for (size_t k = 0; k < it->n_to; k++) {
		const struct al_member *m = roster_member_named(ro, it->to[k]);
		if (!m)
			return al_errf(why, AL_E_INVAL, "%s: no member named '%s' in "
				       "charter '%s' (members: %s)", label, it->to[k], c->title,
				       roster_member_list(ro, list, sizeof list));
		if (m == self)
			return al_errf(why, AL_E_INVAL, "%s: '%s' cannot promise "
				       "something to itself", label, m->name);
		if (roster_check_current(ro, (size_t)(m - ro->members), err))
			return al_errf(why, AL_E_INVAL, "%s: %s", label, err);
		for (size_t j = 0; j < k; j++)
			if (!memcmp(&(*to)[j], &m->sign_key, AL_KEYLEN))
				return al_errf(why, AL_E_INVAL, "%s: '%s' is named "
					       "twice in --to", label, m->name);
		(*to)[k] = m->sign_key;
	}
	b->kind = AL_KIND_COMMITMENT;
	b->key = it->key;
	b->u.commitment.what = it->what;
	b->u.commitment.to = *to;
	b->u.commitment.n_to = it->n_to;
	b->u.commitment.due = it->due;
	b->u.commitment.value = it->value;
	if (*it->task && act_parse_id(s, it->task, &b->u.commitment.task, err))
		return al_errf(why, AL_E_INVAL, "%s: --task: %s", label, err);
	return AL_OK;
}

/* A due time for a new message signed now: in the years 0000 to 9999, and
 * not already past unless past says it is meant (a commitment or task
 * recorded overdue). batch: the item came from a --batch line. The client
 * checks first, for a whole batch before any of it goes; this check is
 * the one that counts, against the clock that signs. */
int act_due_ok(int64_t due, bool past, int64_t now, bool batch, const char *label,
		  const char *what, char *why)
{
	char t[AL_WHENLEN], n[AL_WHENLEN];
	if (!when_in_range(due))
		return al_errf(why, AL_E_INVAL, "%s%sthe due time %s is out of range (years 0000 "
			       "to 9999)", label, *label ? ": " : "", when_format(due, t));
	if (due < now && !past)
		return al_errf(why, AL_E_INVAL, "%s%s--due %s is in the past (it is %s); give "
			       "%s to record a %s already overdue", label, *label ? ": " : "",
			       when_format(due, t), when_format(now, n),
			       batch ? "\"past\": true on the line, or --past for the whole batch,"
				     : "--past", what);
	return AL_OK;
}

static bool same_refs(const struct al_ref *x, const struct al_ref *y)
{
	return x->seq == y->seq && !memcmp(&x->author, &y->author, AL_KEYLEN);
}

/* Two strings of bodies, NULL (a field the body being built leaves
 * unset) being "" as it is once signed. */
static bool same_text(const char *x, const char *y)
{
	return !strcmp(x ? x : "", y ? y : "");
}

/* Is b (not yet signed) the step that the held message orig states? What
 * matters is what the rules and the partners act on: the kind, the
 * commitment it is about, what is promised to whom, by when (unless the
 * due time was given from now, +14d, which a retry reads anew), for how
 * much, a verdict's ratings, a ruling, an amendment's change. Free text
 * (reasons, comments, notes) is not compared. params: the --param
 * KEY=VALUE changes of an amendment (n_params of them). */
bool act_same_step(const struct al_body *orig, const struct al_body *b, bool due_offset,
		      char **params, size_t n_params)
{
	if (orig->kind != b->kind)
		return false;
	switch (b->kind) {
	case AL_KIND_COMMITMENT: {
		const struct al_commitment *x = &orig->u.commitment, *y = &b->u.commitment;
		return same_text(x->what, y->what) && x->n_to == y->n_to &&
		       (!x->n_to || !memcmp(x->to, y->to, x->n_to * sizeof *x->to)) &&
		       (due_offset || x->due == y->due) && x->value == y->value &&
		       same_refs(&x->task, &y->task);
	}
	case AL_KIND_TASK: {
		const struct al_task *x = &orig->u.task, *y = &b->u.task;
		if (!same_text(x->title, y->title) || memcmp(&x->owner, &y->owner, AL_KEYLEN) ||
		    (!due_offset && x->due != y->due) || x->n_depends != y->n_depends ||
		    !same_text(x->deliverable, y->deliverable))
			return false;
		for (size_t i = 0; i < x->n_depends; i++)
			if (!same_refs(&x->depends[i], &y->depends[i]))
				return false;
		return true;
	}
	case AL_KIND_RESPONSE:
		return same_refs(&orig->u.response.commitment, &b->u.response.commitment) &&
		       orig->u.response.answer == b->u.response.answer;
	case AL_KIND_DELIVERY:
		return same_refs(&orig->u.delivery.commitment, &b->u.delivery.commitment) &&
		       orig->u.delivery.has_evidence == b->u.delivery.has_evidence &&
		       !memcmp(&orig->u.delivery.evidence_hash, &b->u.delivery.evidence_hash,
			       AL_HASHLEN);
	case AL_KIND_VERDICT:
		return same_refs(&orig->u.verdict.commitment, &b->u.verdict.commitment) &&
		       orig->u.verdict.outcome == b->u.verdict.outcome &&
		       orig->u.verdict.quality == b->u.verdict.quality &&
		       orig->u.verdict.timeliness == b->u.verdict.timeliness;
	case AL_KIND_RELEASE:
		return same_refs(&orig->u.release.commitment, &b->u.release.commitment);
	case AL_KIND_FEEDBACK:
		return !memcmp(&orig->u.feedback.about, &b->u.feedback.about, AL_KEYLEN) &&
		       orig->u.feedback.rating == b->u.feedback.rating;
	case AL_KIND_ESCALATION:
		return same_refs(&orig->u.escalation.subject, &b->u.escalation.subject);
	case AL_KIND_RESOLUTION:
		return same_refs(&orig->u.resolution.subject, &b->u.resolution.subject) &&
		       orig->u.resolution.ruling == b->u.resolution.ruling;
	case AL_KIND_AMENDMENT: {
		const struct al_amendment *x = &orig->u.amendment, *y = &b->u.amendment;
		if (!same_refs(&x->approves, &y->approves) || x->has_add != y->has_add ||
		    x->has_remove != y->has_remove || x->has_params != y->has_params ||
		    x->has_replace != y->has_replace || !same_text(x->endpoint, y->endpoint) ||
		    (x->has_add && memcmp(&x->add.sign_key, &y->add.sign_key, AL_KEYLEN)) ||
		    (x->has_remove && memcmp(&x->remove, &y->remove, AL_KEYLEN)) ||
		    (x->has_replace && memcmp(&x->replace.sign_key, &y->replace.sign_key, AL_KEYLEN)))
			return false;
		/* New parameters: the held ones already have every value asked
		 * for (the others were those in effect then, perhaps not now). */
		struct al_params p = x->params;
		for (size_t i = 0; x->has_params && i < n_params; i++)
			if (charter_set_param(&p, params[i], NULL))
				return false;
		return !x->has_params || charter_params_equal(&p, &x->params);
	}
	default:
		return false;
	}
}

/* Has this member (me) used key already? *seq: 0 when not; the held
 * message's seq when it states the same step as b (same_step). A key used
 * for something else is refused, naming what it was used for. label
 * ("" for none) begins an error. */
int act_key_held(struct al_store *s, const al_key *me, const char *key, const struct al_body *b,
		    bool due_offset, char **params, size_t n_params, const char *label,
		    uint64_t *seq, char *why)
{
	struct al_envelope e;
	char id[AL_IDLEN], err[AL_ERRLEN];
	*seq = 0;
	int rc = store_keyed(s, me, key, &e, err);
	if (rc == AL_E_NOENT)
		return AL_OK;
	const char *sep = *label ? ": " : "";
	if (rc)
		return al_errf(why, rc == AL_E_NOMEM || rc == AL_E_IO ? rc : AL_E_INVAL,
			       "%s%scannot read the message with key '%s': %s", label, sep, key, err);
	struct al_ref ref = { e.b.author, e.b.seq };
	roster_ref_name(store_roster(s), &ref, id);
	if (act_same_step(&e.b, b, due_offset, params, n_params))
		*seq = e.b.seq;
	else if (e.b.kind != b->kind)
		rc = al_errf(why, AL_E_INVAL, "%s%skey '%s' was used for %s, a %s, not a %s: use "
			     "a new key", label, sep, key, id, msg_kind_name(e.b.kind),
			     msg_kind_name(b->kind));
	else
		rc = al_errf(why, AL_E_INVAL, "%s%skey '%s' was used for %s, a different %s: use "
			     "a new key", label, sep, key, id, msg_kind_name(e.b.kind));
	envelope_clear(&e);
	return rc;
}

static int cmp_item_key(const void *x, const void *y)
{
	const struct al_commit_item *const *a = x, *const *b = y;
	int c = strcmp((*a)->key, (*b)->key);
	return c ? c : (*a < *b ? -1 : *a > *b);
}

/* Two items of one request with one key would be one commitment and
 * another: refused, naming both. Sorted, not compared pairwise: a request
 * may hold many items. */
int act_distinct_keys(const struct al_request *rq, char *why)
{
	const struct al_commit_item **v = calloc(rq->n_items, sizeof *v);
	size_t n = 0;
	int rc = AL_OK;
	if (!v)
		return AL_E_NOMEM;
	for (size_t i = 0; i < rq->n_items; i++)
		if (*rq->items[i].key)
			v[n++] = &rq->items[i];
	qsort(v, n, sizeof *v, cmp_item_key);
	for (size_t i = 1; i < n && rc == AL_OK; i++)
		if (!strcmp(v[i - 1]->key, v[i]->key)) {
			char x[64], y[64];
			rc = al_errf(why, AL_E_INVAL, "%s and %s have the same key '%s': a key names "
				     "one commitment (give each its own)",
				     act_item_label(v[i - 1], (size_t)(v[i - 1] - rq->items) + 1, x, sizeof x),
				     act_item_label(v[i], (size_t)(v[i] - rq->items) + 1, y, sizeof y),
				     v[i]->key);
		}
	free(v);
	return rc;
}

/* A step in a commitment's life: the body for the verb, checked against
 * the ledger's rules before it is signed. */
int act_body(const struct al_store *s, const struct al_ledger *l, const struct al_act *act,
		    const al_key *self, struct al_body *b, struct al_ref **deps, char *why)
{
	const struct al_roster *ro = store_roster(s);
	bool about_commitment = strcmp(act->verb, "task") && strcmp(act->verb, "feedback") &&
				strcmp(act->verb, "amend") && strcmp(act->verb, "approve");
	struct al_ref r, *ref = &r;
	char list[1024];
	memset(b, 0, sizeof *b);
	*deps = NULL;
	/* As for commitments (check_item): named by the option it came in. */
	const char *opt = !strcmp(act->verb, "task") ? "the task's TITLE"
			  : !strcmp(act->verb, "deliver") ? "--note"
			  : !strcmp(act->verb, "confirm") || !strcmp(act->verb, "resolve") ||
				    !strcmp(act->verb, "feedback") ? "--comment" : "--reason";
	if (text_check(opt, act->text, why) || text_check("--deliverable", act->deliverable, why) ||
	    text_check("the name of the --evidence file", act->evidence_ref, why))
		return AL_E_INVAL;
	if (strlen(act->text) > 4096 || strlen(act->deliverable) > 4096)
		return al_errf(why, AL_E_INVAL, "the text is longer than 4096 characters");
	if (about_commitment && act_parse_id(s, act->id, ref, why))
		return AL_E_INVAL;
	if (!strcmp(act->verb, "task")) {
		const struct al_member *owner = roster_member_named(ro, act->name);
		if (!*act->text)
			return al_errf(why, AL_E_INVAL, "give the task a title");
		if (!owner)
			return al_errf(why, AL_E_INVAL, "no member named '%s' to own the task "
				       "(members: %s)", act->name, roster_member_list(ro, list, sizeof list));
		if (roster_check_current(ro, (size_t)(owner - ro->members), why))
			return AL_E_INVAL;
		if (act->n_depends && !(*deps = calloc(act->n_depends, sizeof **deps)))
			return AL_E_NOMEM;
		for (size_t i = 0; i < act->n_depends; i++)
			if (act_parse_id(s, act->depends[i], &(*deps)[i], why))
				return AL_E_INVAL;
		b->kind = AL_KIND_TASK;
		b->u.task.title = act->text;
		b->u.task.owner = owner->sign_key;
		b->u.task.due = act->due;
		b->u.task.depends = *deps;
		b->u.task.n_depends = act->n_depends;
		b->u.task.deliverable = act->deliverable;
	} else if (!strcmp(act->verb, "feedback")) {
		const struct al_member *about = roster_member_named(ro, act->name);
		if (!about)
			return al_errf(why, AL_E_INVAL, "no member named '%s' (members: %s)", act->name,
				       roster_member_list(ro, list, sizeof list));
		b->kind = AL_KIND_FEEDBACK;
		b->u.feedback.about = about->sign_key;
		b->u.feedback.rating = act->quality;
		b->u.feedback.comment = act->text;
	} else if (!strcmp(act->verb, "amend") && *act->endpoint) {
		char err[AL_ERRLEN];
		if (card_check_endpoint(act->endpoint, err))
			return al_errf(why, AL_E_INVAL, "--endpoint: %s", err);
		b->kind = AL_KIND_AMENDMENT;
		b->u.amendment.endpoint = act->endpoint;
		b->u.amendment.reason = act->text;
	} else if (!strcmp(act->verb, "amend") && *act->replace) {
		char err[AL_ERRLEN];
		b->kind = AL_KIND_AMENDMENT;
		b->u.amendment.has_replace = true;
		b->u.amendment.reason = act->text;
		if (card_parse(act->replace, &b->u.amendment.replace, err))
			return al_errf(why, AL_E_INVAL, "--replace: %s (give the last line 'allianced "
				       "init' printed for the member's new home)", err);
		const struct al_member *m = roster_member_named(ro, b->u.amendment.replace.name);
		if (!m)
			return al_errf(why, AL_E_INVAL, "--replace: no member named '%s': a "
				       "replacement card keeps the name of the member whose keys it "
				       "replaces (members: %s)", b->u.amendment.replace.name,
				       roster_member_list(ro, list, sizeof list));
		if (roster_check_current(ro, (size_t)(m - ro->members), err))
			return al_errf(why, AL_E_INVAL, "--replace: %s", err);
		b->u.amendment.replaces = m->sign_key;
		/* The old keys' feed ends with what this home holds of it (and
		 * this proposal, when the old keys sign it themselves): later
		 * messages of theirs (a thief's) are void. */
		b->u.amendment.replaces_upto = feeds_head(s->feeds, &m->sign_key, NULL) +
			!memcmp(&m->sign_key, self, AL_KEYLEN);
	} else if (!strcmp(act->verb, "amend") && *act->card) {
		char err[AL_ERRLEN];
		b->kind = AL_KIND_AMENDMENT;
		b->u.amendment.has_add = true;
		b->u.amendment.reason = act->text;
		if (card_parse(act->card, &b->u.amendment.add, err))
			return al_errf(why, AL_E_INVAL, "--add: %s (give the last line 'allianced "
				       "init' printed for the new member)", err);
	} else if (!strcmp(act->verb, "amend") && *act->remove) {
		const struct al_member *m = roster_member_named(ro, act->remove);
		if (!m)
			return al_errf(why, AL_E_INVAL, "--remove: no member named '%s' (members: "
				       "%s)", act->remove, roster_member_list(ro, list, sizeof list));
		b->kind = AL_KIND_AMENDMENT;
		b->u.amendment.has_remove = true;
		b->u.amendment.remove = m->sign_key;
		b->u.amendment.reason = act->text;
	} else if (!strcmp(act->verb, "amend")) {
		/* New trust parameters: the ones in effect, with these changed. */
		b->u.amendment.params = l->params;
		if (!act->n_params)
			return al_errf(why, AL_E_INVAL, "say what to change: --param KEY=VALUE, "
				       "--add CARD, --remove NAME, --replace CARD or --endpoint "
				       "ENDPOINT");
		for (size_t i = 0; i < act->n_params; i++)
			if (charter_set_param(&b->u.amendment.params, act->params[i], why))
				return AL_E_INVAL;
		if (charter_check_params(&b->u.amendment.params, why))
			return AL_E_INVAL;
		b->kind = AL_KIND_AMENDMENT;
		b->u.amendment.has_params = true;
		b->u.amendment.reason = act->text;
	} else if (!strcmp(act->verb, "approve")) {
		b->kind = AL_KIND_AMENDMENT;
		if (act_parse_id(s, act->id, &b->u.amendment.approves, why))
			return AL_E_INVAL;
		b->u.amendment.reason = act->text;
	} else if (!strcmp(act->verb, "escalate")) {
		if (!*act->text)
			return al_errf(why, AL_E_INVAL, "say why you escalate it (--reason TEXT)");
		b->kind = AL_KIND_ESCALATION;
		b->u.escalation.subject = *ref;
		b->u.escalation.reason = act->text;
	} else if (!strcmp(act->verb, "resolve")) {
		if (act->ruling != AL_RULING_UPHOLD && act->ruling != AL_RULING_REJECT)
			return al_errf(why, AL_E_INVAL, "rule on it: --uphold or --reject the dispute");
		b->kind = AL_KIND_RESOLUTION;
		b->u.resolution.subject = *ref;
		b->u.resolution.ruling = (enum al_ruling)act->ruling;
		b->u.resolution.comment = act->text;
	} else if (!strcmp(act->verb, "release")) {
		b->kind = AL_KIND_RELEASE;
		b->u.release.commitment = *ref;
		b->u.release.reason = act->text;
	} else if (!strcmp(act->verb, "accept") || !strcmp(act->verb, "decline")) {
		b->kind = AL_KIND_RESPONSE;
		b->u.response.commitment = *ref;
		b->u.response.answer = act->verb[0] == 'a' ? AL_ANSWER_ACCEPT : AL_ANSWER_DECLINE;
		b->u.response.reason = act->text;
	} else if (!strcmp(act->verb, "deliver")) {
		b->kind = AL_KIND_DELIVERY;
		b->u.delivery.commitment = *ref;
		b->u.delivery.has_evidence = act->has_evidence;
		memcpy(b->u.delivery.evidence_hash.b, act->evidence, AL_HASHLEN);
		b->u.delivery.evidence_ref = act->evidence_ref;
		b->u.delivery.note = act->text;
	} else if (!strcmp(act->verb, "confirm") || !strcmp(act->verb, "dispute")) {
		bool confirm = act->verb[0] == 'c';
		if (confirm && (act->quality < 1 || act->quality > 5 || act->timeliness < 1 ||
				act->timeliness > 5))
			return al_errf(why, AL_E_INVAL, "a confirmation rates quality and timeliness "
				       "from 1 to 5 (--rating)");
		if (!confirm && !*act->text)
			return al_errf(why, AL_E_INVAL, "say why you dispute it (--reason TEXT)");
		b->kind = AL_KIND_VERDICT;
		b->u.verdict.commitment = *ref;
		b->u.verdict.outcome = confirm ? AL_OUTCOME_CONFIRM : AL_OUTCOME_DISPUTE;
		b->u.verdict.quality = act->quality;
		b->u.verdict.timeliness = act->timeliness;
		b->u.verdict.comment = act->text;
	} else {
		return al_errf(why, AL_E_INVAL, "unknown step '%s' (accept, decline, deliver, "
			       "confirm, dispute, release, escalate, resolve, task, feedback, amend, "
			       "approve)", act->verb);
	}
	return AL_OK;
}

