/* audit.c: offline verification of logs; see audit.h. */
#include "audit.h"
#include "envelope.h"
#include "err.h"
#include "grow.h"
#include "log.h"
#include "roster.h"
#include "verify.h"
#include "wire.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add_fault(struct al_audit *a, const char *log, uint64_t record, uint64_t offset,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int add_fault(struct al_audit *a, const char *log, uint64_t record, uint64_t offset,
		     const char *fmt, ...)
{
	char reason[AL_ERRLEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	if (grow(&a->faults, &a->cap_faults, a->n_faults + 1, sizeof *a->faults))
		return AL_E_NOMEM;
	struct al_audit_fault *f = &a->faults[a->n_faults];
	f->log = strdup(log);
	f->reason = strdup(reason);
	f->record = record;
	f->offset = offset;
	if (!f->log || !f->reason) {
		free(f->log);
		free(f->reason);
		return AL_E_NOMEM;
	}
	a->n_faults++;
	a->ok = false;
	return AL_OK;
}

struct scan {
	struct al_audit *a;
	struct al_roster *ro; /* the log's own: its amendments add members */
	struct al_audit_log *log;
	int64_t now;
	bool keep;   /* keep the valid records opened (the first log) */
	size_t kept; /* room in log->valid */
};

/* Keep e (its buffers move to the copy) among log's valid records. */
static int keep(struct al_audit_log *log, struct al_envelope *e, size_t *cap)
{
	struct al_envelope *copy = malloc(sizeof *copy);
	if (!copy || grow(&log->valid, cap, log->n_valid + 1, sizeof *log->valid)) {
		free(copy);
		envelope_clear(e);
		return AL_E_NOMEM;
	}
	*copy = *e;
	log->valid[log->n_valid++] = copy;
	return AL_OK;
}

/* Each record, in file order, its signature already checked by the pool
 * (verify_scan): the chain, the order and the rules are checked here, on
 * one thread, exactly as feeds_check would. */
static int on_record(void *arg, const struct al_log_rec *r, struct al_verify_item *it)
{
	struct scan *s = arg;
	struct al_envelope *e = &it->env;
	char why[AL_ERRLEN];
	s->a->records++;
	s->log->records++;
	enum al_reason verdict = feeds_check_item(s->ro, s->log->feeds, it, s->now, why);
	int rc = AL_OK;
	if (verdict == AL_ACCEPT) {
		struct al_feed_entry fe = { r->index, r->offset, e->hash, e->b.timestamp, e->b.kind };
		rc = feeds_add(s->log->feeds, &e->b.author, e->b.seq, &fe);
		if (rc == AL_OK)
			rc = roster_note(s->ro, &e->b);
		if (rc == AL_OK && s->keep) {
			rc = keep(s->log, e, &s->kept);
			memset(e, 0, sizeof *e); /* kept, or cleared by keep */
			return rc;
		}
	} else if (verdict == AL_DUPLICATE) {
		const struct al_feed_entry *first = feeds_get(s->log->feeds, &e->b.author, e->b.seq);
		rc = add_fault(s->a, s->log->label, r->index, r->offset,
			       "duplicate: %s (first stored as record %" PRIu64 ")", why,
			       first->index);
	} else {
		rc = add_fault(s->a, s->log->label, r->index, r->offset, "%s: %s",
			       feeds_reason_tag(verdict), why);
	}
	envelope_clear(e);
	return rc;
}

static int on_fault(void *arg, const struct al_log_fault *f)
{
	struct scan *s = arg;
	s->a->records++; /* the damaged stretch stands where a record was */
	s->log->records++;
	return add_fault(s->a, s->log->label, f->index, f->offset, "%s: %s",
			 f->kind == AL_LOG_TORN ? "torn" : "corrupt", f->reason);
}

/* Each proof: two validly signed envelopes, same author and seq, different
 * bodies. Different envelope bytes around one body are no proof: the author
 * signed only that one message. */
static int check_proof(void *arg, const struct al_log_rec *r)
{
	struct scan *s = arg;
	uint8_t *x, *y;
	size_t xl, yl;
	char why[AL_ERRLEN];
	struct al_envelope a, b;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	int rc = wire_equivocation_unpack(r->data, r->len, &x, &xl, &y, &yl, why);
	if (rc)
		return rc == AL_E_NOMEM ? rc
			: add_fault(s->a, s->log->label, r->index, r->offset,
				    "invalid equivocation proof: %s", why);
	if (envelope_open(x, xl, &a, why) || envelope_open(y, yl, &b, why) ||
	    !envelope_verify(&a) || !envelope_verify(&b) ||
	    memcmp(&a.b.author, &b.b.author, AL_KEYLEN) || a.b.seq != b.b.seq ||
	    memcmp(&a.b.alliance, &s->ro->c->id, AL_HASHLEN) ||
	    memcmp(&b.b.alliance, &s->ro->c->id, AL_HASHLEN) ||
	    (a.body_len == b.body_len && !memcmp(a.body, b.body, a.body_len))) {
		rc = add_fault(s->a, s->log->label, r->index, r->offset,
			       "invalid equivocation proof: not two different messages signed "
			       "by one member at one sequence number");
	} else {
		char nb[AL_NAME_MAX + 1], id[AL_IDLEN];
		const char *who = roster_name_of(s->ro, &a.b.author, nb); /* nb, or a name */
		if (roster_member(s->ro, &a.b.author)) /* acme/3, acme@2/3 */
			roster_ref_name(s->ro, &(struct al_ref){ a.b.author, a.b.seq }, id);
		else
			snprintf(id, sizeof id, "%s/%" PRIu64, who, a.b.seq);
		rc = add_fault(s->a, s->log->label, r->index, r->offset,
			       "equivocation: %s signed two different messages as %s", who, id);
	}
	envelope_clear(&a);
	envelope_clear(&b);
	free(x);
	free(y);
	return rc;
}

/* Shared (author, seq) must be the same envelope in every log: each log's
 * message is compared with the first log that holds that (author, seq). */
static int cross_check(struct al_audit *a)
{
	for (size_t k = 1; k < a->n_logs; k++) {
		struct al_audit_log *other = &a->logs[k];
		const struct al_roster *ro = other->roster;
		for (size_t m = 0; m < ro->n_members; m++) {
			const al_key *who = &ro->members[m].sign_key;
			uint64_t hk = feeds_head(other->feeds, who, NULL);
			for (uint64_t seq = 1; seq <= hk; seq++) {
				const struct al_feed_entry *y = feeds_get(other->feeds, who, seq), *x = NULL;
				size_t j = 0;
				for (; j < k && !x; j++)
					x = feeds_get(a->logs[j].feeds, who, seq);
				if (!x || !memcmp(&x->hash, &y->hash, AL_HASHLEN))
					continue;
				char id[AL_IDLEN];
				int rc = add_fault(a, other->label, y->index, y->offset,
						   "equivocation: '%s' and '%s' hold different "
						   "messages as %s", a->logs[j - 1].label,
						   other->label,
						   roster_ref_name(ro, &(struct al_ref){ *who, seq }, id));
				if (rc)
					return rc;
				break; /* later ones differ too: the chains split here */
			}
		}
	}
	return AL_OK;
}

int audit_run(const struct al_charter *c, const struct al_audit_source *src, size_t n,
	      int64_t now, struct al_audit *a, char *why)
{
	memset(a, 0, sizeof *a);
	a->ok = true;
	int rc = AL_OK;
	struct al_verify *pool = NULL;
	if (!(a->logs = calloc(n ? n : 1, sizeof *a->logs)))
		return AL_E_NOMEM;
	if (!charter_in_force(c)) {
		char missing[AL_ERRLEN - 64]; /* the whole reason fits in AL_ERRLEN */
		if ((rc = add_fault(a, "charter", 0, 0,
				    "the charter is not in force: not signed by %s",
				    charter_unsigned_list(c, missing, sizeof missing))))
			goto out;
	}
	/* Signatures on every core (verify.h); everything else in order here. */
	if ((rc = verify_new(0, &pool)))
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct al_audit_log *l = &a->logs[a->n_logs++];
		if (!(l->label = strdup(src[i].label)) || (rc = feeds_new(&l->feeds)) ||
		    (rc = roster_new(c, &l->roster))) {
			rc = rc ? rc : AL_E_NOMEM;
			goto out;
		}
		struct scan s = { a, l->roster, l, now, i == 0, 0 };
		if ((rc = verify_scan(pool, src[i].log, on_record, on_fault, &s, why)))
			goto out;
		if (src[i].proofs) {
			struct al_audit_log proofs = { .label = (char *)src[i].proofs };
			struct scan ps = { a, l->roster, &proofs, now, false, 0 };
			rc = log_scan(src[i].proofs, check_proof, on_fault, &ps, why);
			a->records -= proofs.records; /* proofs are not log records */
			if (rc == AL_E_NOENT)
				rc = AL_OK; /* no proofs kept: none found */
			if (rc)
				goto out;
		}
	}
	rc = cross_check(a);
out:
	verify_destroy(&pool);
	if (rc)
		audit_clear(a);
	return rc;
}

void audit_clear(struct al_audit *a)
{
	for (size_t i = 0; i < a->n_faults; i++) {
		free(a->faults[i].log);
		free(a->faults[i].reason);
	}
	free(a->faults);
	for (size_t i = 0; i < a->n_logs; i++) {
		free(a->logs[i].label);
		feeds_destroy(&a->logs[i].feeds);
		roster_destroy(&a->logs[i].roster);
		for (size_t k = 0; k < a->logs[i].n_valid; k++) {
			envelope_clear(a->logs[i].valid[k]);
			free(a->logs[i].valid[k]);
		}
		free(a->logs[i].valid);
	}
	free(a->logs);
	memset(a, 0, sizeof *a);
}
