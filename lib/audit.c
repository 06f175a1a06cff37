/* audit.c: offline verification of logs; see audit.h. */
#include "audit.h"
#include "envelope.h"
#include "err.h"
#include "grow.h"
#include "log.h"
#include "roster.h"
#include "verify.h"
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* How a log's feeds read a record they hold (feeds_reader): the file,
 * opened read-only when first needed. */
static int read_record(void *arg, uint64_t offset, uint8_t **buf, size_t *len, char *why)
{
	struct al_audit_log *l = arg;
	if (l->fd < 0) {
		struct stat st;
		int fd = open(l->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0) {
			int rc = al_errf(why, AL_E_IO, "cannot read '%s': %s", l->path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return rc;
		}
		l->fd = fd;
		l->fd_size = (uint64_t)st.st_size;
	}
	struct stat st; /* a log still growing (a daemon's): its size now */
	if (fstat(l->fd, &st) == 0)
		l->fd_size = (uint64_t)st.st_size;
	return log_read_fd(l->fd, l->path, l->fd_size, offset, buf, len, why);
}

/* The index of the valid record at offset in l (one it holds). */
static uint64_t index_at(const struct al_audit_log *l, uint64_t offset)
{
	size_t lo = 0, hi = l->n_places;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->places[mid].offset <= offset)
			lo = mid;
		else
			hi = mid;
	}
	return l->n_places ? l->places[lo].index : 0;
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
		if (rc == AL_OK && grow(&s->log->places, &s->log->cap_places, s->log->n_places + 1,
					sizeof *s->log->places))
			rc = AL_E_NOMEM;
		if (rc == AL_OK) {
			s->log->places[s->log->n_places++] = (struct al_audit_place){ r->offset,
										     r->index };
			rc = roster_note(s->ro, &e->b);
		}
		if (rc == AL_OK && s->keep) {
			rc = keep(s->log, e, &s->kept);
			memset(e, 0, sizeof *e); /* kept, or cleared by keep */
			return rc;
		}
	} else if (verdict == AL_DUPLICATE) {
		uint64_t first = feeds_offset(s->log->feeds, &e->b.author, e->b.seq, NULL);
		rc = add_fault(s->a, s->log->label, r->index, r->offset,
			       "duplicate: %s (first stored as record %" PRIu64 ")", why,
			       index_at(s->log, first));
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
 * message is compared with the first log that holds that (author, seq).
 * The first log holding seq changes only where a longer feed begins, so
 * each log's feed is compared in stretches, each with one earlier log's:
 * feeds_diverge finds where the two first differ (a chain differs from
 * there on). */
static int cross_check(struct al_audit *a, char *why)
{
	for (size_t k = 1; k < a->n_logs; k++) {
		struct al_audit_log *other = &a->logs[k];
		const struct al_roster *ro = other->roster;
		for (size_t m = 0; m < ro->n_members; m++) {
			const al_key *who = &ro->members[m].sign_key;
			uint64_t hk = feeds_head(other->feeds, who, NULL), done = 0, seq = 0;
			size_t j = 0;
			for (; j < k && done < hk && !seq; j++) {
				uint64_t hj = feeds_head(a->logs[j].feeds, who, NULL);
				if (hj <= done)
					continue;
				uint64_t upto = hj < hk ? hj : hk;
				int rc = feeds_diverge(a->logs[j].feeds, other->feeds, who, upto, &seq,
						       why);
				if (rc)
					return rc;
				if (seq && seq <= done) /* they differed before this stretch */
					seq = done + 1;
				done = upto;
			}
			if (!seq)
				continue;
			char id[AL_IDLEN];
			uint64_t off = feeds_offset(other->feeds, who, seq, NULL);
			int rc = add_fault(a, other->label, index_at(other, off), off,
					   "equivocation: '%s' and '%s' hold different messages as %s",
					   a->logs[j - 1].label, other->label,
					   roster_ref_name(ro, &(struct al_ref){ *who, seq }, id));
			if (rc)
				return rc;
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
		l->fd = -1;
		if (!(l->label = strdup(src[i].label)) || !(l->path = strdup(src[i].log)) ||
		    (rc = feeds_new(&l->feeds)) ||
		    (rc = roster_new(c, &l->roster))) {
			rc = rc ? rc : AL_E_NOMEM;
			goto out;
		}
		feeds_reader(l->feeds, read_record, l);
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
	rc = cross_check(a, why);
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
		if (a->logs[i].fd >= 0)
			close(a->logs[i].fd);
		free(a->logs[i].places);
		free(a->logs[i].path);
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
