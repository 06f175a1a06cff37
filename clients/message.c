/* message.c: one signed message as people read it, in JSON and in one line
 * of text. Members are named by the roster; a key that is not a member's
 * (or without a roster) is shown as hex. */
#include "ctl.h"
#include "roster.h"
#include "envelope.h"
#include "hex.h"
#include "when.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static json_t *name_of(const struct al_roster *ro, const al_key *k)
{
	const struct al_member *m = ro ? roster_member(ro, k) : NULL;
	char hex[2 * AL_KEYLEN + 1];
	return json_string(m ? m->name : hex_encode(k->b, AL_KEYLEN, hex));
}

static json_t *id_of(const struct al_roster *ro, const struct al_ref *r)
{
	if (!r->seq)
		return json_null();
	char hex[2 * AL_KEYLEN + 1], buf[2 * AL_KEYLEN + 24];
	if (ro && roster_member(ro, &r->author))
		return json_string(roster_ref_name(ro, r, buf)); /* acme/3, acme@2/3 */
	snprintf(buf, sizeof buf, "%s/%" PRIu64, hex_encode(r->author.b, 8, hex), r->seq);
	return json_string(buf);
}

static json_t *time_of(int64_t ms)
{
	char t[AL_WHENLEN];
	return json_string(when_format(ms, t)); /* 0 is a time: 1970-01-01T00:00:00Z */
}

static json_t *str(const char *s)
{
	return json_string(s ? s : "");
}

json_t *ctl_message_json(const struct al_roster *ro, const struct al_envelope *e)
{
	const struct al_body *b = &e->b;
	char hex[2 * AL_HASHLEN + 1];
	struct al_ref self = { b->author, b->seq };
	json_t *j = json_object(), *to, *fr = json_object();
	json_object_set_new(j, "id", id_of(ro, &self));
	json_object_set_new(j, "author", name_of(ro, &b->author));
	json_object_set_new(j, "seq", json_integer((json_int_t)b->seq));
	json_object_set_new(j, "kind", json_string(msg_kind_name(b->kind)));
	json_object_set_new(j, "timestamp", time_of(b->timestamp));
	json_object_set_new(j, "hash", json_string(hex_encode(e->hash.b, AL_HASHLEN, hex)));
	for (size_t i = 0; i < b->n_frontier; i++) {
		/* Keyed by feed, as ids name them: a member's old and new keys
		 * are two feeds (initech, initech@2). */
		long m = ro ? roster_index(ro, &b->frontier[i].author) : -1;
		char k[2 * AL_KEYLEN + AL_IDLEN];
		json_object_set_new(fr, m >= 0 ? roster_feed_name(ro, (size_t)m, k)
					       : hex_encode(b->frontier[i].author.b, AL_KEYLEN, k),
				    json_integer((json_int_t)b->frontier[i].seq));
	}
	json_object_set_new(j, "frontier", fr);
	/* The retry token its author's client gave, or null. */
	json_object_set_new(j, "key", *b->key ? json_string(b->key) : json_null());
	switch (b->kind) {
	case AL_KIND_TASK: {
		const struct al_task *t = &b->u.task;
		json_t *deps = json_array();
		for (size_t i = 0; i < t->n_depends; i++)
			json_array_append_new(deps, id_of(ro, &t->depends[i]));
		json_object_set_new(j, "title", str(t->title));
		json_object_set_new(j, "owner", name_of(ro, &t->owner));
		json_object_set_new(j, "due", time_of(t->due));
		json_object_set_new(j, "depends", deps);
		json_object_set_new(j, "deliverable", str(t->deliverable));
		break;
	}
	case AL_KIND_COMMITMENT: {
		const struct al_commitment *m = &b->u.commitment;
		to = json_array();
		for (size_t i = 0; i < m->n_to; i++)
			json_array_append_new(to, name_of(ro, &m->to[i]));
		json_object_set_new(j, "what", str(m->what));
		json_object_set_new(j, "to", to);
		json_object_set_new(j, "due", time_of(m->due));
		json_object_set_new(j, "value", json_integer((json_int_t)m->value));
		json_object_set_new(j, "task", id_of(ro, &m->task));
		break;
	}
	case AL_KIND_RESPONSE: {
		static const char *const answers[] = { "none", "accept", "decline", "counter" };
		const struct al_response *r = &b->u.response;
		json_object_set_new(j, "commitment", id_of(ro, &r->commitment));
		json_object_set_new(j, "answer", json_string(answers[r->answer % 4]));
		json_object_set_new(j, "reason", str(r->reason));
		break;
	}
	case AL_KIND_DELIVERY: {
		const struct al_delivery *d = &b->u.delivery;
		json_object_set_new(j, "commitment", id_of(ro, &d->commitment));
		json_object_set_new(j, "evidence", d->has_evidence ? json_string(hex_encode(
			d->evidence_hash.b, AL_HASHLEN, hex)) : json_null());
		json_object_set_new(j, "note", str(d->note));
		break;
	}
	case AL_KIND_VERDICT: {
		const struct al_verdict *v = &b->u.verdict;
		json_object_set_new(j, "commitment", id_of(ro, &v->commitment));
		json_object_set_new(j, "outcome", json_string(v->outcome == AL_OUTCOME_CONFIRM ? "confirm"
							      : v->outcome == AL_OUTCOME_DISPUTE ? "dispute"
							      : "none"));
		json_object_set_new(j, "quality", json_integer(v->quality));
		json_object_set_new(j, "timeliness", json_integer(v->timeliness));
		json_object_set_new(j, "comment", str(v->comment));
		break;
	}
	case AL_KIND_RELEASE:
		json_object_set_new(j, "commitment", id_of(ro, &b->u.release.commitment));
		json_object_set_new(j, "reason", str(b->u.release.reason));
		break;
	case AL_KIND_FEEDBACK:
		json_object_set_new(j, "about", name_of(ro, &b->u.feedback.about));
		json_object_set_new(j, "rating", json_integer(b->u.feedback.rating));
		json_object_set_new(j, "comment", str(b->u.feedback.comment));
		break;
	case AL_KIND_ESCALATION:
		json_object_set_new(j, "subject", id_of(ro, &b->u.escalation.subject));
		json_object_set_new(j, "reason", str(b->u.escalation.reason));
		break;
	case AL_KIND_RESOLUTION:
		json_object_set_new(j, "subject", id_of(ro, &b->u.resolution.subject));
		json_object_set_new(j, "ruling", json_string(
			b->u.resolution.ruling == AL_RULING_UPHOLD ? "uphold"
			: b->u.resolution.ruling == AL_RULING_REJECT ? "reject" : "none"));
		json_object_set_new(j, "comment", str(b->u.resolution.comment));
		break;
	case AL_KIND_AMENDMENT: {
		const struct al_amendment *am = &b->u.amendment;
		json_object_set_new(j, "approves", id_of(ro, &am->approves));
		if (am->has_add)
			json_object_set_new(j, "add", json_pack("{s:s, s:s}", "name", am->add.name,
								"endpoint", am->add.endpoint));
		if (am->has_remove)
			json_object_set_new(j, "remove", name_of(ro, &am->remove));
		if (am->has_replace)
			json_object_set_new(j, "replace", json_pack("{s:o, s:s, s:s}", "keys_of",
				name_of(ro, &am->replaces), "name", am->replace.name, "endpoint",
				am->replace.endpoint));
		if (am->endpoint && *am->endpoint)
			json_object_set_new(j, "endpoint", str(am->endpoint));
		json_object_set_new(j, "params", json_boolean(am->has_params));
		json_object_set_new(j, "reason", str(am->reason));
		break;
	}
	default:
		break;
	}
	return j;
}

/* The fields worth a glance, after id and kind. */
void ctl_message_line(const json_t *j, char *buf, size_t n)
{
	const char *kind = json_string_value(json_object_get(j, "kind"));
	json_t *v;
	size_t used = 0;
#define PUT(...)                                                                          \
	do {                                                                              \
		if (used < n)                                                             \
			used += (size_t)snprintf(buf + used, n - used, __VA_ARGS__);      \
	} while (0)
#define S(k) (json_string_value(json_object_get(j, k)) ? json_string_value(json_object_get(j, k)) : "-")
	buf[0] = '\0';
	if (!strcmp(kind, "commitment")) {
		size_t i;
		PUT("\"%s\" to ", S("what"));
		json_array_foreach(json_object_get(j, "to"), i, v)
			PUT("%s%s", i ? "," : "", json_string_value(v));
		PUT(" by %s, value %lld", S("due"),
		    (long long)json_integer_value(json_object_get(j, "value")));
		if (json_is_string(json_object_get(j, "task")))
			PUT(", for %s", S("task"));
	} else if (!strcmp(kind, "task")) {
		PUT("\"%s\" owner %s by %s", S("title"), S("owner"), S("due"));
	} else if (!strcmp(kind, "response")) {
		PUT("%s %s", S("answer"), S("commitment"));
	} else if (!strcmp(kind, "delivery")) {
		PUT("%s delivered", S("commitment"));
		if (*S("note") && strcmp(S("note"), "-"))
			PUT(": %s", S("note"));
	} else if (!strcmp(kind, "verdict")) {
		PUT("%s %s, quality %lld, timeliness %lld", S("outcome"), S("commitment"),
		    (long long)json_integer_value(json_object_get(j, "quality")),
		    (long long)json_integer_value(json_object_get(j, "timeliness")));
	} else if (!strcmp(kind, "release") || !strcmp(kind, "escalation")) {
		PUT("%s", S(!strcmp(kind, "release") ? "commitment" : "subject"));
	} else if (!strcmp(kind, "resolution")) {
		PUT("%s %s", S("ruling"), S("subject"));
	} else if (!strcmp(kind, "feedback")) {
		PUT("about %s: rating %lld", S("about"),
		    (long long)json_integer_value(json_object_get(j, "rating")));
	} else if (!strcmp(kind, "amendment")) {
		if (json_is_string(json_object_get(j, "approves")))
			PUT("approves %s", S("approves"));
		else if (json_is_object(json_object_get(j, "add")))
			PUT("adds %s at %s",
			    json_string_value(json_object_get(json_object_get(j, "add"), "name")),
			    json_string_value(json_object_get(json_object_get(j, "add"), "endpoint")));
		else if (json_is_string(json_object_get(j, "remove")))
			PUT("removes %s", S("remove"));
		else if (json_is_object(json_object_get(j, "replace")))
			PUT("gives %s new keys, at %s",
			    json_string_value(json_object_get(json_object_get(j, "replace"), "name")),
			    json_string_value(json_object_get(json_object_get(j, "replace"),
							      "endpoint")));
		else if (json_is_string(json_object_get(j, "endpoint")))
			PUT("moves its endpoint to %s", S("endpoint"));
		else if (json_is_true(json_object_get(j, "params")))
			PUT("new trust parameters");
	} else if (!strcmp(kind, "receipt")) {
		const char *k;
		int first = 1;
		PUT("holds");
		json_object_foreach(json_object_get(j, "frontier"), k, v) {
			PUT("%s %s/%lld", first ? "" : ",", k, (long long)json_integer_value(v));
			first = 0;
		}
	}
	if (json_is_string(json_object_get(j, "key")))
		PUT(" (key %s)", S("key"));
#undef S
#undef PUT
}
