/* wire.c: the only code that touches the protobuf-c generated types.
 *
 * Packing builds protobuf-c structs that borrow the caller's data, so it
 * copies nothing but the output. Unpacking checks shape (lengths, unknown
 * fields, kind vs payload), copies into the project's structs and frees the
 * protobuf-c message in the same function. It never verifies signatures.
 */
#include "wire.h"
#include "text.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>

#include "alliance.pb-c.h"

/* ------------------------------------------------------------ helpers */

#define BIN(p, n) ((ProtobufCBinaryData){ .len = (n), .data = (uint8_t *)(p) })
#define STR(s) ((char *)((s) ? (s) : ""))
#define UNKNOWN(m) ((m) && (m)->base.n_unknown_fields)

static int pack_msg(const ProtobufCMessage *m, uint8_t **out, size_t *len)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf)
		return AL_E_NOMEM;
	protobuf_c_message_pack(m, buf);
	*out = buf;
	*len = n;
	return AL_OK;
}

/* A required 32-byte field. */
static int get32(const ProtobufCBinaryData *d, uint8_t *out, const char *what, char *why)
{
	if (d->len != 32)
		return al_errf(why, AL_E_PARSE, "%s is %zu bytes, not 32", what, d->len);
	memcpy(out, d->data, 32);
	return AL_OK;
}

/* An optional 32-byte field: empty or 32 bytes. */
static int opt32(const ProtobufCBinaryData *d, uint8_t *out, bool *has, const char *what,
		 char *why)
{
	*has = d->len != 0;
	if (!*has) {
		memset(out, 0, 32);
		return AL_OK;
	}
	return get32(d, out, what, why);
}

static char *dup_str(const char *s)
{
	return strdup(s ? s : "");
}

/* A malloc'd copy of a bytes field (never NULL on success, even when empty). */
static int dup_bin(const ProtobufCBinaryData *d, uint8_t **out, size_t *len)
{
	*out = malloc(d->len ? d->len : 1);
	if (!*out)
		return AL_E_NOMEM;
	if (d->len)
		memcpy(*out, d->data, d->len);
	*len = d->len;
	return AL_OK;
}

static void put_ref(Alliance__MsgRef *pb, const struct al_ref *r)
{
	alliance__msg_ref__init(pb);
	pb->author = BIN(r->author.b, AL_KEYLEN);
	pb->seq = r->seq;
}

/* A reference: absent means none (seq 0); present must be complete. */
static int get_ref(const Alliance__MsgRef *pb, struct al_ref *r, const char *what, char *why)
{
	memset(r, 0, sizeof *r);
	if (!pb)
		return AL_OK;
	if (UNKNOWN(pb))
		return al_errf(why, AL_E_PARSE, "%s has unknown fields", what);
	if (pb->seq == 0)
		return al_errf(why, AL_E_PARSE, "%s has sequence number 0", what);
	r->seq = pb->seq;
	return get32(&pb->author, r->author.b, what, why);
}

static void put_params(Alliance__TrustParams *pb, const struct al_params *p)
{
	alliance__trust_params__init(pb);
	pb->half_life = p->half_life;
	pb->grace = p->grace;
	pb->skew = p->skew;
	pb->w_on_time = p->w_on_time;
	pb->w_late = p->w_late;
	pb->w_missed = p->w_missed;
	pb->w_disputed = p->w_disputed;
	pb->w_rating = p->w_rating;
	pb->warn_trust = p->warn_trust;
	pb->warn_uncertainty = p->warn_uncertainty;
	pb->warn_misses = p->warn_misses;
	pb->warn_reciprocity = p->warn_reciprocity;
	pb->value_unit = p->value_unit;
}

static int get_params(const Alliance__TrustParams *pb, struct al_params *p, char *why)
{
	memset(p, 0, sizeof *p);
	if (!pb)
		return al_errf(why, AL_E_PARSE, "trust parameters are missing");
	if (UNKNOWN(pb))
		return al_errf(why, AL_E_PARSE, "trust parameters have unknown fields");
	p->half_life = pb->half_life;
	p->grace = pb->grace;
	p->skew = pb->skew;
	p->w_on_time = pb->w_on_time;
	p->w_late = pb->w_late;
	p->w_missed = pb->w_missed;
	p->w_disputed = pb->w_disputed;
	p->w_rating = pb->w_rating;
	p->warn_trust = pb->warn_trust;
	p->warn_uncertainty = pb->warn_uncertainty;
	p->warn_misses = pb->warn_misses;
	p->warn_reciprocity = pb->warn_reciprocity;
	p->value_unit = pb->value_unit;
	return AL_OK;
}

static void put_member(Alliance__Member *pb, const struct al_member *m)
{
	alliance__member__init(pb);
	pb->name = (char *)m->name;
	pb->sign_key = BIN(m->sign_key.b, AL_KEYLEN);
	pb->transport_key = BIN(m->transport_key.b, AL_KEYLEN);
	pb->endpoint = (char *)m->endpoint;
}

static int get_member(const Alliance__Member *pb, struct al_member *m, char *why)
{
	memset(m, 0, sizeof *m);
	if (UNKNOWN(pb))
		return al_errf(why, AL_E_PARSE, "member has unknown fields");
	if (strlen(pb->name) > AL_NAME_MAX || strlen(pb->endpoint) >= AL_ENDPOINT_MAX)
		return al_errf(why, AL_E_PARSE, "member name or endpoint is too long");
	strcpy(m->name, pb->name);
	strcpy(m->endpoint, pb->endpoint);
	int rc = get32(&pb->sign_key, m->sign_key.b, "member signing key", why);
	if (rc == AL_OK)
		rc = get32(&pb->transport_key, m->transport_key.b, "member transport key", why);
	return rc;
}

/* ------------------------------------------------------------ body */

/* Frontier entries as protobuf-c arrays; the caller frees *fe and *fep
 * (both NULL when n is 0). */
static int put_frontier(const struct al_frontier_entry *f, size_t n,
			Alliance__FrontierEntry **fe, Alliance__FrontierEntry ***fep)
{
	*fe = NULL;
	*fep = NULL;
	if (!n)
		return AL_OK;
	*fe = calloc(n, sizeof **fe);
	*fep = calloc(n, sizeof **fep);
	if (!*fe || !*fep)
		return AL_E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		Alliance__FrontierEntry *e = &(*fe)[i];
		alliance__frontier_entry__init(e);
		e->author = BIN(f[i].author.b, AL_KEYLEN);
		e->seq = f[i].seq;
		if (f[i].seq)
			e->hash = BIN(f[i].hash.b, AL_HASHLEN);
		(*fep)[i] = e;
	}
	return AL_OK;
}

/* Checked copies of frontier entries into *out (the caller frees it). */
static int get_frontier(Alliance__FrontierEntry **pe, size_t n, struct al_frontier_entry **out,
			size_t *n_out, char *why)
{
	int rc = AL_OK;
	*out = NULL;
	*n_out = 0;
	if (!n)
		return AL_OK;
	if (!(*out = calloc(n, sizeof **out)))
		return AL_E_NOMEM;
	*n_out = n;
	for (size_t i = 0; i < n && rc == AL_OK; i++) {
		const Alliance__FrontierEntry *e = pe[i];
		struct al_frontier_entry *o = &(*out)[i];
		bool has_hash;
		if (UNKNOWN(e))
			return al_errf(why, AL_E_PARSE, "frontier entry has unknown fields");
		o->seq = e->seq;
		rc = get32(&e->author, o->author.b, "frontier author", why);
		if (rc == AL_OK)
			rc = opt32(&e->hash, o->hash.b, &has_hash, "frontier hash", why);
		if (rc == AL_OK && has_hash != (e->seq != 0))
			rc = al_errf(why, AL_E_PARSE,
				     "frontier entry must have a hash exactly when seq > 0");
	}
	return rc;
}

/* Kind <-> oneof case: the proto numbers payloads 15 + kind. */
static Alliance__Body__PayloadCase case_of(enum al_kind k)
{
	return (Alliance__Body__PayloadCase)(15 + (int)k);
}

int wire_body_pack(const struct al_body *b, uint8_t **out, size_t *len)
{
	Alliance__Body pb = ALLIANCE__BODY__INIT;
	Alliance__FrontierEntry *fe = NULL, **fep = NULL;
	Alliance__MsgRef refs[2], *deps = NULL, **depp = NULL;
	ProtobufCBinaryData *to = NULL;
	Alliance__Task task;
	Alliance__Commitment com;
	Alliance__Response resp;
	Alliance__Delivery del;
	Alliance__Verdict ver;
	Alliance__Release rel;
	Alliance__Feedback fb;
	Alliance__Escalation esc;
	Alliance__Resolution res;
	Alliance__Receipt rec;
	Alliance__Amendment am;
	Alliance__Member member, replacement;
	Alliance__TrustParams params;
	int rc = AL_E_NOMEM;

	pb.version = b->version;
	pb.alliance = BIN(b->alliance.b, AL_HASHLEN);
	pb.author = BIN(b->author.b, AL_KEYLEN);
	pb.seq = b->seq;
	if (b->has_prev)
		pb.prev = BIN(b->prev.b, AL_HASHLEN);
	pb.timestamp = b->timestamp;
	if (put_frontier(b->frontier, b->n_frontier, &fe, &fep))
		goto out;
	pb.n_frontier = b->n_frontier;
	pb.frontier = fep;
	pb.kind = (Alliance__Kind)b->kind;
	pb.key = STR(b->key); /* "" is absent: not written at all */
	if (b->kind > AL_KIND_NONE && b->kind < AL_KIND_COUNT)
		pb.payload_case = case_of(b->kind);

	switch (b->kind) {
	case AL_KIND_TASK: {
		const struct al_task *t = &b->u.task;
		alliance__task__init(&task);
		task.title = STR(t->title);
		task.owner = BIN(t->owner.b, AL_KEYLEN);
		task.due = t->due;
		task.deliverable = STR(t->deliverable);
		if (t->n_depends) {
			deps = calloc(t->n_depends, sizeof *deps);
			depp = calloc(t->n_depends, sizeof *depp);
			if (!deps || !depp)
				goto out;
			for (size_t i = 0; i < t->n_depends; i++) {
				put_ref(&deps[i], &t->depends[i]);
				depp[i] = &deps[i];
			}
			task.n_depends = t->n_depends;
			task.depends = depp;
		}
		pb.task = &task;
		break;
	}
	case AL_KIND_COMMITMENT: {
		const struct al_commitment *c = &b->u.commitment;
		alliance__commitment__init(&com);
		com.what = STR(c->what);
		if (c->n_to) {
			to = calloc(c->n_to, sizeof *to);
			if (!to)
				goto out;
			for (size_t i = 0; i < c->n_to; i++)
				to[i] = BIN(c->to[i].b, AL_KEYLEN);
			com.n_to = c->n_to;
			com.to = to;
		}
		com.due = c->due;
		com.value = c->value;
		if (c->task.seq) {
			put_ref(&refs[0], &c->task);
			com.task = &refs[0];
		}
		pb.commitment = &com;
		break;
	}
	case AL_KIND_RESPONSE: {
		const struct al_response *r = &b->u.response;
		alliance__response__init(&resp);
		put_ref(&refs[0], &r->commitment);
		resp.commitment = &refs[0];
		resp.answer = (Alliance__Answer)r->answer;
		resp.reason = STR(r->reason);
		resp.counter_due = r->counter_due;
		resp.counter_value = r->counter_value;
		pb.response = &resp;
		break;
	}
	case AL_KIND_DELIVERY: {
		const struct al_delivery *d = &b->u.delivery;
		alliance__delivery__init(&del);
		put_ref(&refs[0], &d->commitment);
		del.commitment = &refs[0];
		if (d->has_evidence)
			del.evidence_hash = BIN(d->evidence_hash.b, AL_HASHLEN);
		del.evidence_ref = STR(d->evidence_ref);
		del.note = STR(d->note);
		pb.delivery = &del;
		break;
	}
	case AL_KIND_VERDICT: {
		const struct al_verdict *v = &b->u.verdict;
		alliance__verdict__init(&ver);
		put_ref(&refs[0], &v->commitment);
		ver.commitment = &refs[0];
		ver.outcome = (Alliance__Outcome)v->outcome;
		ver.quality = v->quality;
		ver.timeliness = v->timeliness;
		ver.comment = STR(v->comment);
		pb.verdict = &ver;
		break;
	}
	case AL_KIND_RELEASE:
		alliance__release__init(&rel);
		put_ref(&refs[0], &b->u.release.commitment);
		rel.commitment = &refs[0];
		rel.reason = STR(b->u.release.reason);
		pb.release = &rel;
		break;
	case AL_KIND_FEEDBACK:
		alliance__feedback__init(&fb);
		fb.about = BIN(b->u.feedback.about.b, AL_KEYLEN);
		fb.rating = b->u.feedback.rating;
		fb.comment = STR(b->u.feedback.comment);
		pb.feedback = &fb;
		break;
	case AL_KIND_ESCALATION:
		alliance__escalation__init(&esc);
		put_ref(&refs[0], &b->u.escalation.subject);
		esc.subject = &refs[0];
		esc.reason = STR(b->u.escalation.reason);
		pb.escalation = &esc;
		break;
	case AL_KIND_RESOLUTION:
		alliance__resolution__init(&res);
		put_ref(&refs[0], &b->u.resolution.subject);
		res.subject = &refs[0];
		res.ruling = (Alliance__Ruling)b->u.resolution.ruling;
		res.comment = STR(b->u.resolution.comment);
		pb.resolution = &res;
		break;
	case AL_KIND_RECEIPT:
		alliance__receipt__init(&rec);
		pb.receipt = &rec;
		break;
	case AL_KIND_AMENDMENT: {
		const struct al_amendment *a = &b->u.amendment;
		alliance__amendment__init(&am);
		if (a->approves.seq) {
			put_ref(&refs[1], &a->approves);
			am.approves = &refs[1];
		}
		if (a->has_add) {
			put_member(&member, &a->add);
			am.add = &member;
		}
		if (a->has_remove)
			am.remove = BIN(a->remove.b, AL_KEYLEN);
		if (a->has_params) {
			put_params(&params, &a->params);
			am.params = &params;
		}
		am.reason = STR(a->reason);
		am.endpoint = STR(a->endpoint);
		if (a->has_replace) {
			put_member(&replacement, &a->replace);
			am.replace = &replacement;
			am.replaces = BIN(a->replaces.b, AL_KEYLEN);
			am.replaces_upto = a->replaces_upto;
		}
		pb.amendment = &am;
		break;
	}
	default:
		break;
	}
	rc = pack_msg(&pb.base, out, len);
out:
	free(fe);
	free(fep);
	free(deps);
	free(depp);
	free(to);
	return rc;
}

/* Every text field of a body must be UTF-8 (text.h): a message that is
 * not cannot be shown or put in JSON, so it is malformed. */
static int check_body_text(const struct al_body *b, char *why)
{
	const char *t[6] = { NULL };
	switch (b->kind) {
	case AL_KIND_TASK: t[0] = b->u.task.title, t[1] = b->u.task.deliverable; break;
	case AL_KIND_COMMITMENT: t[0] = b->u.commitment.what; break;
	case AL_KIND_RESPONSE: t[0] = b->u.response.reason; break;
	case AL_KIND_DELIVERY: t[0] = b->u.delivery.note, t[1] = b->u.delivery.evidence_ref; break;
	case AL_KIND_VERDICT: t[0] = b->u.verdict.comment; break;
	case AL_KIND_RELEASE: t[0] = b->u.release.reason; break;
	case AL_KIND_FEEDBACK: t[0] = b->u.feedback.comment; break;
	case AL_KIND_ESCALATION: t[0] = b->u.escalation.reason; break;
	case AL_KIND_RESOLUTION: t[0] = b->u.resolution.comment; break;
	case AL_KIND_AMENDMENT: t[0] = b->u.amendment.reason, t[1] = b->u.amendment.add.name;
		t[2] = b->u.amendment.add.endpoint, t[3] = b->u.amendment.endpoint;
		t[4] = b->u.amendment.replace.name, t[5] = b->u.amendment.replace.endpoint; break;
	default: break;
	}
	for (int i = 0; i < 6; i++)
		if (t[i] && !text_utf8(t[i], NULL))
			return al_errf(why, AL_E_PARSE, "a text field of the %s is not valid UTF-8",
				       msg_kind_name(b->kind));
	return AL_OK;
}

static int unpack_payload(const Alliance__Body *pb, struct al_body *b, char *why)
{
	switch (b->kind) {
	case AL_KIND_TASK: {
		const Alliance__Task *t = pb->task;
		struct al_task *o = &b->u.task;
		if (UNKNOWN(t))
			return al_errf(why, AL_E_PARSE, "task has unknown fields");
		o->title = dup_str(t->title);
		o->deliverable = dup_str(t->deliverable);
		o->due = t->due;
		if (!o->title || !o->deliverable)
			return AL_E_NOMEM;
		if (t->n_depends) {
			o->depends = calloc(t->n_depends, sizeof *o->depends);
			if (!o->depends)
				return AL_E_NOMEM;
			o->n_depends = t->n_depends;
			for (size_t i = 0; i < t->n_depends; i++) {
				int rc = get_ref(t->depends[i], &o->depends[i], "task dependency", why);
				if (rc)
					return rc;
			}
		}
		return get32(&t->owner, o->owner.b, "task owner", why);
	}
	case AL_KIND_COMMITMENT: {
		const Alliance__Commitment *c = pb->commitment;
		struct al_commitment *o = &b->u.commitment;
		if (UNKNOWN(c))
			return al_errf(why, AL_E_PARSE, "commitment has unknown fields");
		o->what = dup_str(c->what);
		if (!o->what)
			return AL_E_NOMEM;
		o->due = c->due;
		o->value = c->value;
		if (c->n_to) {
			o->to = calloc(c->n_to, sizeof *o->to);
			if (!o->to)
				return AL_E_NOMEM;
			o->n_to = c->n_to;
			for (size_t i = 0; i < c->n_to; i++) {
				int rc = get32(&c->to[i], o->to[i].b, "beneficiary", why);
				if (rc)
					return rc;
			}
		}
		return get_ref(c->task, &o->task, "commitment task", why);
	}
	case AL_KIND_RESPONSE: {
		const Alliance__Response *r = pb->response;
		struct al_response *o = &b->u.response;
		if (UNKNOWN(r))
			return al_errf(why, AL_E_PARSE, "response has unknown fields");
		o->answer = (enum al_answer)r->answer;
		o->counter_due = r->counter_due;
		o->counter_value = r->counter_value;
		if (!(o->reason = dup_str(r->reason)))
			return AL_E_NOMEM;
		return get_ref(r->commitment, &o->commitment, "response commitment", why);
	}
	case AL_KIND_DELIVERY: {
		const Alliance__Delivery *d = pb->delivery;
		struct al_delivery *o = &b->u.delivery;
		if (UNKNOWN(d))
			return al_errf(why, AL_E_PARSE, "delivery has unknown fields");
		o->evidence_ref = dup_str(d->evidence_ref);
		o->note = dup_str(d->note);
		if (!o->evidence_ref || !o->note)
			return AL_E_NOMEM;
		int rc = opt32(&d->evidence_hash, o->evidence_hash.b, &o->has_evidence,
			       "evidence hash", why);
		if (rc)
			return rc;
		return get_ref(d->commitment, &o->commitment, "delivery commitment", why);
	}
	case AL_KIND_VERDICT: {
		const Alliance__Verdict *v = pb->verdict;
		struct al_verdict *o = &b->u.verdict;
		if (UNKNOWN(v))
			return al_errf(why, AL_E_PARSE, "verdict has unknown fields");
		o->outcome = (enum al_outcome)v->outcome;
		o->quality = v->quality;
		o->timeliness = v->timeliness;
		if (!(o->comment = dup_str(v->comment)))
			return AL_E_NOMEM;
		return get_ref(v->commitment, &o->commitment, "verdict commitment", why);
	}
	case AL_KIND_RELEASE: {
		const Alliance__Release *r = pb->release;
		if (UNKNOWN(r))
			return al_errf(why, AL_E_PARSE, "release has unknown fields");
		if (!(b->u.release.reason = dup_str(r->reason)))
			return AL_E_NOMEM;
		return get_ref(r->commitment, &b->u.release.commitment, "release commitment", why);
	}
	case AL_KIND_FEEDBACK: {
		const Alliance__Feedback *f = pb->feedback;
		if (UNKNOWN(f))
			return al_errf(why, AL_E_PARSE, "feedback has unknown fields");
		b->u.feedback.rating = f->rating;
		if (!(b->u.feedback.comment = dup_str(f->comment)))
			return AL_E_NOMEM;
		return get32(&f->about, b->u.feedback.about.b, "feedback subject", why);
	}
	case AL_KIND_ESCALATION: {
		const Alliance__Escalation *e = pb->escalation;
		if (UNKNOWN(e))
			return al_errf(why, AL_E_PARSE, "escalation has unknown fields");
		if (!(b->u.escalation.reason = dup_str(e->reason)))
			return AL_E_NOMEM;
		return get_ref(e->subject, &b->u.escalation.subject, "escalation subject", why);
	}
	case AL_KIND_RESOLUTION: {
		const Alliance__Resolution *r = pb->resolution;
		if (UNKNOWN(r))
			return al_errf(why, AL_E_PARSE, "resolution has unknown fields");
		b->u.resolution.ruling = (enum al_ruling)r->ruling;
		if (!(b->u.resolution.comment = dup_str(r->comment)))
			return AL_E_NOMEM;
		return get_ref(r->subject, &b->u.resolution.subject, "resolution subject", why);
	}
	case AL_KIND_RECEIPT:
		if (UNKNOWN(pb->receipt))
			return al_errf(why, AL_E_PARSE, "receipt has unknown fields");
		return AL_OK;
	case AL_KIND_AMENDMENT: {
		const Alliance__Amendment *a = pb->amendment;
		struct al_amendment *o = &b->u.amendment;
		if (UNKNOWN(a))
			return al_errf(why, AL_E_PARSE, "amendment has unknown fields");
		if (!(o->reason = dup_str(a->reason)) || !(o->endpoint = dup_str(a->endpoint)))
			return AL_E_NOMEM;
		int rc = get_ref(a->approves, &o->approves, "amendment approval", why);
		if (rc == AL_OK && a->replace) {
			o->has_replace = true;
			rc = get_member(a->replace, &o->replace, why);
			if (rc == AL_OK)
				rc = get32(&a->replaces, o->replaces.b, "replaced member", why);
			o->replaces_upto = a->replaces_upto;
		} else if (rc == AL_OK && (a->replaces.len || a->replaces_upto)) {
			rc = al_errf(why, AL_E_PARSE, "amendment names a replaced key without a card");
		}
		if (rc == AL_OK && a->add) {
			o->has_add = true;
			rc = get_member(a->add, &o->add, why);
		}
		if (rc == AL_OK)
			rc = opt32(&a->remove, o->remove.b, &o->has_remove, "removed member", why);
		if (rc == AL_OK && a->params) {
			o->has_params = true;
			rc = get_params(a->params, &o->params, why);
		}
		return rc;
	}
	default:
		return al_errf(why, AL_E_PARSE, "unknown message kind %d", (int)b->kind);
	}
}

int wire_body_unpack(const uint8_t *buf, size_t len, struct al_body *b, char *why)
{
	memset(b, 0, sizeof *b);
	Alliance__Body *pb = alliance__body__unpack(NULL, len, buf);
	if (!pb)
		return al_errf(why, AL_E_PARSE, "body is not a valid protobuf message");
	int rc;
	if (UNKNOWN(pb)) {
		rc = al_errf(why, AL_E_PARSE, "body has unknown fields");
		goto out;
	}
	b->version = pb->version;
	b->seq = pb->seq;
	b->timestamp = pb->timestamp;
	rc = get32(&pb->alliance, b->alliance.b, "alliance id", why);
	if (rc == AL_OK)
		rc = get32(&pb->author, b->author.b, "author", why);
	if (rc == AL_OK)
		rc = opt32(&pb->prev, b->prev.b, &b->has_prev, "previous hash", why);
	if (rc)
		goto out;
	if ((rc = get_frontier(pb->frontier, pb->n_frontier, &b->frontier, &b->n_frontier, why)))
		goto out;
	/* The key is shown and indexed: its form is part of the format (a
	 * log before keys has none, which reads as ""). */
	if (!(b->key = dup_str(pb->key))) {
		rc = AL_E_NOMEM;
		goto out;
	}
	if (*b->key && msg_check_idempotency_key(b->key, NULL)) {
		rc = al_errf(why, AL_E_PARSE, "the idempotency key is not 1 to %d characters of "
			     "A-Z a-z 0-9 . _ : -", AL_IDEMPOTENCY_KEY_MAX);
		goto out;
	}
	/* The kind is signed twice: as a field and as the payload's number.
	 * They must agree, so a message cannot be read as another kind. */
	if (pb->kind <= ALLIANCE__KIND__KIND_UNSPECIFIED || (int)pb->kind >= AL_KIND_COUNT) {
		rc = al_errf(why, AL_E_PARSE, "unknown message kind %d", (int)pb->kind);
		goto out;
	}
	if (pb->payload_case != case_of((enum al_kind)pb->kind)) {
		rc = al_errf(why, AL_E_PARSE, "kind says %s but the payload is another kind",
			     msg_kind_name((enum al_kind)pb->kind));
		goto out;
	}
	b->kind = (enum al_kind)pb->kind;
	rc = unpack_payload(pb, b, why);
	if (rc == AL_OK)
		rc = check_body_text(b, why);
out:
	alliance__body__free_unpacked(pb, NULL);
	if (rc)
		msg_body_clear(b);
	return rc;
}

/* ------------------------------------------------------------ envelope */

int wire_envelope_pack(const uint8_t *body, size_t body_len, const uint8_t sig[AL_SIGLEN],
		       uint8_t **out, size_t *len)
{
	Alliance__Envelope pb = ALLIANCE__ENVELOPE__INIT;
	pb.body = BIN(body, body_len);
	pb.signature = BIN(sig, AL_SIGLEN);
	return pack_msg(&pb.base, out, len);
}

/* The one encoding of an envelope that is accepted, exactly what
 * wire_envelope_pack writes:
 *
 *   0x0a varint(len(body)) body 0x12 0x40 signature[64]
 *
 * with the shortest varint. The message hash covers the whole envelope but
 * the signature covers only the body, so if other encodings of the same body
 * and signature were accepted (fields swapped, a field repeated, a padded
 * varint, bytes after the end: protobuf-c takes them all), a relay could
 * re-wrap a message into one with another hash: a forged equivocation, and a
 * broken chain for the author's next message. So this is parsed by hand,
 * not by protobuf-c. */
int wire_envelope_unpack(const uint8_t *buf, size_t len, uint8_t **body, size_t *body_len,
			 uint8_t sig[AL_SIGLEN], char *why)
{
	*body = NULL;
	*body_len = 0;
	if (len == 0)
		return al_errf(why, AL_E_PARSE, "not a valid envelope: it is empty");
	if (buf[0] != 0x0a)
		return al_errf(why, AL_E_PARSE, "not a canonical envelope: it must start with "
			       "its body (field 1, byte 0x0a), not byte 0x%02x", buf[0]);
	size_t pos = 1;
	uint64_t n = 0;
	for (unsigned shift = 0;; shift += 7) {
		/* Five bytes hold any length a buffer of this size can have. */
		if (pos == len || shift > 28)
			return al_errf(why, AL_E_PARSE, "not a valid envelope: the body's length "
				       "is cut short or too long");
		uint8_t c = buf[pos++];
		n |= (uint64_t)(c & 0x7f) << shift;
		if (c & 0x80)
			continue;
		if (c == 0 && shift)
			return al_errf(why, AL_E_PARSE, "not a canonical envelope: the body's "
				       "length is not in its shortest encoding");
		break;
	}
	if (n == 0)
		return al_errf(why, AL_E_PARSE, "envelope has an empty body");
	if (n > len - pos)
		return al_errf(why, AL_E_PARSE, "not a valid envelope: its body of %llu "
			       "bytes runs past its end (%zu bytes left)", (unsigned long long)n,
			       len - pos);
	const uint8_t *b = buf + pos, *s = b + n;
	size_t rest = len - pos - (size_t)n;
	if (rest < 2 || s[0] != 0x12 || s[1] != AL_SIGLEN)
		return al_errf(why, AL_E_PARSE, "not a canonical envelope: the body must be "
			       "followed by its %d-byte signature (bytes 0x12 0x%02x) and "
			       "nothing else", AL_SIGLEN, AL_SIGLEN);
	if (rest - 2 != AL_SIGLEN)
		return al_errf(why, AL_E_PARSE, rest - 2 < AL_SIGLEN
			       ? "not a valid envelope: its signature is cut short (%zu of 64 bytes)"
			       : "not a canonical envelope: %zu bytes where the 64-byte signature "
				 "should end it", rest - 2);
	if (!(*body = malloc((size_t)n)))
		return AL_E_NOMEM;
	memcpy(*body, b, (size_t)n);
	*body_len = (size_t)n;
	memcpy(sig, s + 2, AL_SIGLEN);
	return AL_OK;
}

/* ------------------------------------------------------------ charter */

int wire_charter_pack(const struct al_charter *c, uint8_t **out, size_t *len)
{
	Alliance__Charter pb = ALLIANCE__CHARTER__INIT;
	Alliance__TrustParams params;
	int rc = AL_E_NOMEM;
	Alliance__Member *mem = calloc(c->n_members ? c->n_members : 1, sizeof *mem);
	Alliance__Member **memp = calloc(c->n_members ? c->n_members : 1, sizeof *memp);
	if (!mem || !memp)
		goto out;
	pb.version = c->version;
	pb.title = STR(c->title);
	pb.n_objectives = c->n_objectives;
	pb.objectives = c->objectives;
	pb.scope = STR(c->scope);
	for (size_t i = 0; i < c->n_members; i++) {
		put_member(&mem[i], &c->members[i]);
		memp[i] = &mem[i];
	}
	pb.n_members = c->n_members;
	pb.members = memp;
	pb.n_resolvers = c->n_resolvers;
	pb.resolvers = c->resolvers;
	pb.resolver_role = STR(c->resolver_role);
	pb.quorum = c->quorum;
	put_params(&params, &c->params);
	pb.params = &params;
	pb.created = c->created;
	pb.nonce = BIN(c->nonce, AL_NONCELEN);
	rc = pack_msg(&pb.base, out, len);
out:
	free(mem);
	free(memp);
	return rc;
}

static char **dup_strv(char **v, size_t n)
{
	char **out = calloc(n ? n : 1, sizeof *out);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (!(out[i] = strdup(v[i]))) {
			while (i--)
				free(out[i]);
			free(out);
			return NULL;
		}
	}
	return out;
}

int wire_charter_unpack(const uint8_t *buf, size_t len, struct al_charter *c, char *why)
{
	Alliance__Charter *pb = alliance__charter__unpack(NULL, len, buf);
	if (!pb)
		return al_errf(why, AL_E_PARSE, "charter is not a valid protobuf message");
	int rc = AL_E_NOMEM;
	if (UNKNOWN(pb)) {
		rc = al_errf(why, AL_E_PARSE, "charter has unknown fields");
		goto out;
	}
	c->version = pb->version;
	c->quorum = pb->quorum;
	c->created = pb->created;
	if (!(c->title = dup_str(pb->title)) || !(c->scope = dup_str(pb->scope)) ||
	    !(c->resolver_role = dup_str(pb->resolver_role)))
		goto out;
	if (!(c->objectives = dup_strv(pb->objectives, pb->n_objectives)))
		goto out;
	c->n_objectives = pb->n_objectives;
	if (!(c->resolvers = dup_strv(pb->resolvers, pb->n_resolvers)))
		goto out;
	c->n_resolvers = pb->n_resolvers;
	if (!(c->members = calloc(pb->n_members ? pb->n_members : 1, sizeof *c->members)))
		goto out;
	c->n_members = pb->n_members;
	for (size_t i = 0; i < pb->n_members; i++)
		if ((rc = get_member(pb->members[i], &c->members[i], why)))
			goto out;
	if ((rc = get_params(pb->params, &c->params, why)))
		goto out;
	if (pb->nonce.len != AL_NONCELEN) {
		rc = al_errf(why, AL_E_PARSE, "charter nonce is %zu bytes, not %d", pb->nonce.len,
			     AL_NONCELEN);
		goto out;
	}
	memcpy(c->nonce, pb->nonce.data, AL_NONCELEN);
	rc = AL_OK;
out:
	alliance__charter__free_unpacked(pb, NULL);
	return rc;
}

int wire_signed_charter_pack(const struct al_charter *c, uint8_t **out, size_t *len)
{
	Alliance__SignedCharter pb = ALLIANCE__SIGNED_CHARTER__INIT;
	size_t n = c->n_sigs ? c->n_sigs : 1;
	Alliance__CharterSignature *s = calloc(n, sizeof *s);
	Alliance__CharterSignature **sp = calloc(n, sizeof *sp);
	int rc = AL_E_NOMEM;
	if (!s || !sp)
		goto out;
	pb.charter = BIN(c->bytes, c->len);
	for (size_t i = 0; i < c->n_sigs; i++) {
		alliance__charter_signature__init(&s[i]);
		s[i].signer = BIN(c->sigs[i].signer.b, AL_KEYLEN);
		s[i].signature = BIN(c->sigs[i].sig, AL_SIGLEN);
		sp[i] = &s[i];
	}
	pb.n_signatures = c->n_sigs;
	pb.signatures = sp;
	rc = pack_msg(&pb.base, out, len);
out:
	free(s);
	free(sp);
	return rc;
}

int wire_signed_charter_unpack(const uint8_t *buf, size_t len, struct al_charter *c, char *why)
{
	Alliance__SignedCharter *pb = alliance__signed_charter__unpack(NULL, len, buf);
	if (!pb)
		return al_errf(why, AL_E_PARSE, "not a charter file");
	int rc = AL_E_NOMEM;
	if (UNKNOWN(pb)) {
		rc = al_errf(why, AL_E_PARSE, "charter file has unknown fields");
		goto out;
	}
	if (pb->charter.len == 0) {
		rc = al_errf(why, AL_E_PARSE, "not a charter file (no charter inside)");
		goto out;
	}
	if (dup_bin(&pb->charter, &c->bytes, &c->len))
		goto out;
	if (!(c->sigs = calloc(pb->n_signatures ? pb->n_signatures : 1, sizeof *c->sigs)))
		goto out;
	c->n_sigs = pb->n_signatures;
	for (size_t i = 0; i < pb->n_signatures; i++) {
		const Alliance__CharterSignature *s = pb->signatures[i];
		if (UNKNOWN(s) || s->signature.len != AL_SIGLEN) {
			rc = al_errf(why, AL_E_PARSE, "charter signature %zu is malformed", i + 1);
			goto out;
		}
		if ((rc = get32(&s->signer, c->sigs[i].signer.b, "charter signer", why)))
			goto out;
		memcpy(c->sigs[i].sig, s->signature.data, AL_SIGLEN);
	}
	rc = AL_OK;
out:
	alliance__signed_charter__free_unpacked(pb, NULL);
	return rc;
}

/* ------------------------------------------------------------ equivocation */

int wire_equivocation_pack(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
			   uint8_t **out, size_t *len)
{
	Alliance__Equivocation pb = ALLIANCE__EQUIVOCATION__INIT;
	pb.first = BIN(a, alen);
	pb.second = BIN(b, blen);
	return pack_msg(&pb.base, out, len);
}

int wire_equivocation_unpack(const uint8_t *buf, size_t len, uint8_t **a, size_t *alen,
			     uint8_t **b, size_t *blen, char *why)
{
	*a = *b = NULL;
	Alliance__Equivocation *pb = alliance__equivocation__unpack(NULL, len, buf);
	if (!pb)
		return al_errf(why, AL_E_PARSE, "not a valid equivocation proof");
	int rc = AL_E_NOMEM;
	if (pb->first.len == 0 || pb->second.len == 0) {
		rc = al_errf(why, AL_E_PARSE, "equivocation proof lacks an envelope");
		goto out;
	}
	if (dup_bin(&pb->first, a, alen) || dup_bin(&pb->second, b, blen)) {
		free(*a);
		*a = NULL;
		goto out;
	}
	rc = AL_OK;
out:
	alliance__equivocation__free_unpacked(pb, NULL);
	return rc;
}

/* ------------------------------------------------------------ control */

int wire_request_pack(const struct al_request *r, uint8_t **out, size_t *len)
{
	Alliance__Request pb = ALLIANCE__REQUEST__INIT;
	Alliance__StatusRequest st = ALLIANCE__STATUS_REQUEST__INIT;
	Alliance__JoinRequest jn = ALLIANCE__JOIN_REQUEST__INIT;
	Alliance__CommitRequest cm = ALLIANCE__COMMIT_REQUEST__INIT;
	Alliance__ActRequest act = ALLIANCE__ACT_REQUEST__INIT;
	Alliance__QueryRequest qr = ALLIANCE__QUERY_REQUEST__INIT;
	Alliance__CommitItem *it = NULL, **itp = NULL;
	int rc;
	pb.alliance = STR(r->alliance);
	switch (r->op) {
	case AL_OP_STATUS:
		pb.op_case = ALLIANCE__REQUEST__OP_STATUS;
		pb.status = &st;
		break;
	case AL_OP_JOIN:
		pb.op_case = ALLIANCE__REQUEST__OP_JOIN;
		jn.signed_charter = BIN(r->charter, r->charter_len);
		pb.join = &jn;
		break;
	case AL_OP_COMMIT:
		pb.op_case = ALLIANCE__REQUEST__OP_COMMIT;
		it = calloc(r->n_items ? r->n_items : 1, sizeof *it);
		itp = calloc(r->n_items ? r->n_items : 1, sizeof *itp);
		if (!it || !itp) {
			rc = AL_E_NOMEM;
			goto out;
		}
		for (size_t i = 0; i < r->n_items; i++) {
			alliance__commit_item__init(&it[i]);
			it[i].what = STR(r->items[i].what);
			it[i].n_to = r->items[i].n_to;
			it[i].to = r->items[i].to;
			it[i].due = r->items[i].due;
			it[i].value = r->items[i].value;
			it[i].task = STR(r->items[i].task);
			it[i].key = STR(r->items[i].key);
			it[i].past = r->items[i].past;
			it[i].due_offset = r->items[i].due_offset;
			it[i].line = r->items[i].line;
			itp[i] = &it[i];
		}
		cm.n_items = r->n_items;
		cm.items = itp;
		pb.commit = &cm;
		break;
	case AL_OP_ACT:
		pb.op_case = ALLIANCE__REQUEST__OP_ACT;
		act.verb = STR(r->act.verb);
		act.id = STR(r->act.id);
		act.text = STR(r->act.text);
		if (r->act.has_evidence)
			act.evidence = BIN(r->act.evidence, 32);
		act.evidence_ref = STR(r->act.evidence_ref);
		act.quality = r->act.quality;
		act.timeliness = r->act.timeliness;
		act.name = STR(r->act.name);
		act.due = r->act.due;
		act.n_depends = r->act.n_depends;
		act.depends = r->act.depends;
		act.deliverable = STR(r->act.deliverable);
		act.ruling = r->act.ruling;
		act.n_params = r->act.n_params;
		act.params = r->act.params;
		act.card = STR(r->act.card);
		act.remove = STR(r->act.remove);
		act.endpoint = STR(r->act.endpoint);
		act.replace = STR(r->act.replace);
		act.key = STR(r->act.key);
		act.past = r->act.past;
		act.due_offset = r->act.due_offset;
		pb.act = &act;
		break;
	case AL_OP_QUERY:
		pb.op_case = ALLIANCE__REQUEST__OP_QUERY;
		qr.what = STR(r->query.what);
		qr.as_of = r->query.as_of;
		qr.now = r->query.now;
		qr.name = STR(r->query.name);
		qr.state = STR(r->query.state);
		qr.step = r->query.step;
		qr.since = r->query.since;
		pb.query = &qr;
		break;
	default:
		break;
	}
	rc = pack_msg(&pb.base, out, len);
out:
	free(it);
	free(itp);
	return rc;
}

int wire_request_unpack(const uint8_t *buf, size_t len, struct al_request *r, char *why)
{
	memset(r, 0, sizeof *r);
	Alliance__Request *pb = alliance__request__unpack(NULL, len, buf);
	if (!pb)
		return al_errf(why, AL_E_PARSE, "not a valid control request");
	int rc = AL_OK;
	if (!(r->alliance = dup_str(pb->alliance))) {
		rc = AL_E_NOMEM;
		goto out;
	}
	switch (pb->op_case) {
	case ALLIANCE__REQUEST__OP_STATUS:
		r->op = AL_OP_STATUS;
		break;
	case ALLIANCE__REQUEST__OP_JOIN:
		r->op = AL_OP_JOIN;
		rc = dup_bin(&pb->join->signed_charter, &r->charter, &r->charter_len);
		break;
	case ALLIANCE__REQUEST__OP_COMMIT: {
		const Alliance__CommitRequest *cm = pb->commit;
		r->op = AL_OP_COMMIT;
		if (!(r->items = calloc(cm->n_items ? cm->n_items : 1, sizeof *r->items))) {
			rc = AL_E_NOMEM;
			break;
		}
		r->n_items = cm->n_items;
		for (size_t i = 0; i < cm->n_items && rc == AL_OK; i++) {
			struct al_commit_item *o = &r->items[i];
			o->due = cm->items[i]->due;
			o->value = cm->items[i]->value;
			o->past = cm->items[i]->past;
			o->due_offset = cm->items[i]->due_offset;
			o->line = cm->items[i]->line;
			if (!(o->what = dup_str(cm->items[i]->what)) ||
			    !(o->task = dup_str(cm->items[i]->task)) ||
			    !(o->key = dup_str(cm->items[i]->key)) ||
			    !(o->to = calloc(cm->items[i]->n_to ? cm->items[i]->n_to : 1, sizeof *o->to))) {
				rc = AL_E_NOMEM;
				break;
			}
			for (size_t k = 0; k < cm->items[i]->n_to; k++, o->n_to++)
				if (!(o->to[k] = dup_str(cm->items[i]->to[k]))) {
					rc = AL_E_NOMEM;
					break;
				}
		}
		break;
	}
	case ALLIANCE__REQUEST__OP_ACT: {
		const Alliance__ActRequest *a = pb->act;
		bool has;
		r->op = AL_OP_ACT;
		r->act.quality = a->quality;
		r->act.timeliness = a->timeliness;
		if (!(r->act.verb = dup_str(a->verb)) || !(r->act.id = dup_str(a->id)) ||
		    !(r->act.text = dup_str(a->text)) ||
		    !(r->act.evidence_ref = dup_str(a->evidence_ref)))
			rc = AL_E_NOMEM;
		else if ((rc = opt32(&a->evidence, r->act.evidence, &has, "evidence hash", why)) == AL_OK)
			r->act.has_evidence = has;
		r->act.due = a->due;
		r->act.ruling = a->ruling;
		r->act.past = a->past;
		r->act.due_offset = a->due_offset;
		if (rc == AL_OK && (!(r->act.name = dup_str(a->name)) ||
				    !(r->act.deliverable = dup_str(a->deliverable)) ||
				    !(r->act.card = dup_str(a->card)) ||
				    !(r->act.remove = dup_str(a->remove)) ||
				    !(r->act.endpoint = dup_str(a->endpoint)) ||
				    !(r->act.replace = dup_str(a->replace)) ||
				    !(r->act.key = dup_str(a->key)) ||
				    !(r->act.depends = dup_strv(a->depends, a->n_depends)) ||
				    !(r->act.params = dup_strv(a->params, a->n_params))))
			rc = AL_E_NOMEM;
		if (r->act.depends)
			r->act.n_depends = a->n_depends;
		if (r->act.params)
			r->act.n_params = a->n_params;
		break;
	}
	case ALLIANCE__REQUEST__OP_QUERY:
		r->op = AL_OP_QUERY;
		r->query.as_of = pb->query->as_of;
		r->query.now = pb->query->now;
		r->query.step = pb->query->step;
		r->query.since = pb->query->since;
		if (!(r->query.what = dup_str(pb->query->what)) ||
		    !(r->query.name = dup_str(pb->query->name)) ||
		    !(r->query.state = dup_str(pb->query->state)))
			rc = AL_E_NOMEM;
		break;
	default:
		rc = al_errf(why, AL_E_PARSE, AL_CONTROL_UNKNOWN_OP " (is alliancectl newer "
			     "than allianced?)");
	}
out:
	alliance__request__free_unpacked(pb, NULL);
	if (rc)
		control_request_clear(r);
	return rc;
}

int wire_reply_pack(const struct al_reply *r, uint8_t **out, size_t *len)
{
	Alliance__Reply pb = ALLIANCE__REPLY__INIT;
	pb.ok = r->ok != 0;
	pb.error = STR(r->error);
	pb.json = STR(r->json);
	return pack_msg(&pb.base, out, len);
}

int wire_reply_unpack(const uint8_t *buf, size_t len, struct al_reply *r, char *why)
{
	memset(r, 0, sizeof *r);
	Alliance__Reply *pb = alliance__reply__unpack(NULL, len, buf);
	if (!pb)
		return al_errf(why, AL_E_PARSE, "not a valid control reply");
	r->ok = pb->ok;
	r->error = dup_str(pb->error);
	r->json = dup_str(pb->json);
	alliance__reply__free_unpacked(pb, NULL);
	if (!r->error || !r->json) {
		control_reply_clear(r);
		return AL_E_NOMEM;
	}
	return AL_OK;
}

/* ------------------------------------------------------------ peers */

int wire_peer_pack(const struct al_peer_msg *m, uint8_t **out, size_t *len)
{
	Alliance__PeerMessage pb = ALLIANCE__PEER_MESSAGE__INIT;
	Alliance__Have have = ALLIANCE__HAVE__INIT;
	Alliance__Batch batch = ALLIANCE__BATCH__INIT;
	Alliance__FrontierEntry *fe = NULL, **fep = NULL;
	ProtobufCBinaryData *env = NULL;
	int rc = AL_E_NOMEM;
	pb.alliance = BIN(m->alliance.b, AL_HASHLEN);
	if (m->op == AL_PEER_HAVE) {
		if (put_frontier(m->have, m->n_have, &fe, &fep))
			goto out;
		have.n_frontier = m->n_have;
		have.frontier = fep;
		have.rewind = m->rewind;
		pb.op_case = ALLIANCE__PEER_MESSAGE__OP_HAVE;
		pb.have = &have;
	} else if (m->op == AL_PEER_BATCH) {
		if (m->n_env && !(env = calloc(m->n_env, sizeof *env)))
			goto out;
		for (size_t i = 0; i < m->n_env; i++)
			env[i] = BIN(m->env[i], m->env_len[i]);
		batch.n_envelopes = m->n_env;
		batch.envelopes = env;
		pb.op_case = ALLIANCE__PEER_MESSAGE__OP_BATCH;
		pb.batch = &batch;
	}
	rc = pack_msg(&pb.base, out, len);
out:
	free(fe);
	free(fep);
	free(env);
	return rc;
}

int wire_peer_unpack(const uint8_t *buf, size_t len, struct al_peer_msg *m, char *why)
{
	memset(m, 0, sizeof *m);
	Alliance__PeerMessage *pb = alliance__peer_message__unpack(NULL, len, buf);
	if (!pb)
		return al_errf(why, AL_E_PARSE, "not a valid peer message");
	int rc = UNKNOWN(pb) ? al_errf(why, AL_E_PARSE, "peer message has unknown fields")
			     : get32(&pb->alliance, m->alliance.b, "alliance id", why);
	if (rc)
		goto out;
	switch (pb->op_case) {
	case ALLIANCE__PEER_MESSAGE__OP_HAVE:
		m->op = AL_PEER_HAVE;
		m->rewind = pb->have->rewind;
		rc = UNKNOWN(pb->have) ? al_errf(why, AL_E_PARSE, "Have has unknown fields") : get_frontier(pb->have->frontier, pb->have->n_frontier, &m->have, &m->n_have,
				  why);
		break;
	case ALLIANCE__PEER_MESSAGE__OP_BATCH: {
		const Alliance__Batch *b = pb->batch;
		m->op = AL_PEER_BATCH;
		if (!b->n_envelopes)
			break;
		m->env = calloc(b->n_envelopes, sizeof *m->env);
		m->env_len = calloc(b->n_envelopes, sizeof *m->env_len);
		if (!m->env || !m->env_len) {
			rc = AL_E_NOMEM;
			break;
		}
		for (; m->n_env < b->n_envelopes && rc == AL_OK; m->n_env++)
			rc = dup_bin(&b->envelopes[m->n_env], &m->env[m->n_env],
				     &m->env_len[m->n_env]);
		break;
	}
	default:
		rc = al_errf(why, AL_E_PARSE, "unknown peer message (is the peer's allianced newer?)");
	}
out:
	alliance__peer_message__free_unpacked(pb, NULL);
	if (rc)
		wire_peer_clear(m);
	return rc;
}

void wire_peer_clear(struct al_peer_msg *m)
{
	free(m->have);
	for (size_t i = 0; i < m->n_env; i++)
		free(m->env[i]);
	free(m->env);
	free(m->env_len);
	memset(m, 0, sizeof *m);
}
