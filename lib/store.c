/* store.c: one alliance's log, index and equivocation proofs. */
#include "store.h"
#include "err.h"
#include "file.h"
#include "grow.h"
#include "when.h"
#include "wire.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int path_in(char *buf, size_t n, const char *dir, const char *name)
{
	return snprintf(buf, n, "%s/%s", dir, name) >= (int)n ? AL_E_INVAL : AL_OK;
}

/* Apply an admitted message to the ledger. One it cannot take (the
 * membership changed: LEDGER_REBUILD; out of memory) drops it, to be
 * rebuilt from the log when asked (store_ledger): the log decides. */
static void ledger_note(struct al_store *s, const struct al_envelope *e)
{
	char err[AL_ERRLEN];
	if (s->ledger && ledger_add(s->ledger, e, err) != AL_OK)
		ledger_destroy(&s->ledger);
}

/* Index an envelope appended at record index, offset: its feed entry,
 * its idempotency key, what it changes in membership, its meaning (the
 * ledger). The two ways in (replaying the log, appending) share it, so
 * they index alike. */
static int admit(struct al_store *s, const struct al_envelope *e, uint64_t index, uint64_t off)
{
	struct al_feed_entry fe = { index, off, e->hash, e->b.timestamp, e->b.kind };
	int rc = feeds_add(s->feeds, &e->b.author, e->b.seq, &fe);
	if (rc == AL_OK && *e->b.key)
		rc = idem_add(s->keys, &e->b.author, e->b.key, e->b.seq);
	if (rc == AL_OK)
		rc = roster_note(s->roster, &e->b);
	if (rc == AL_OK)
		ledger_note(s, e);
	return rc;
}

struct replay {
	struct al_store *s;
	const char *path;
	char *why;
};

/* Replaying our own log: every record must extend its author's chain.
 * What the checkpoint covers is checked against it, not replayed. */
static int replay_record(void *arg, const struct al_log_rec *r)
{
	struct replay *rp = arg;
	struct al_envelope e;
	char err[AL_ERRLEN];
	int rc = checkpoint_record(rp->s, r);
	if (rc != 1)
		return rc;
	rc = envelope_open(r->data, r->len, &e, err);
	if (rc)
		return al_errf(rp->why, AL_E_CORRUPT, "log '%s' record %" PRIu64 " at offset %"
			       PRIu64 ": %s", rp->path, r->index, r->offset, err);
	const struct al_feed_entry *last;
	uint64_t head = feeds_head(rp->s->feeds, &e.b.author, &last);
	bool linked = e.b.seq == head + 1 &&
		      (head == 0 ? !e.b.has_prev
				 : e.b.has_prev && !memcmp(&e.b.prev, &last->hash, AL_HASHLEN));
	if (!linked) {
		envelope_clear(&e);
		return al_errf(rp->why, AL_E_CORRUPT,
			       "log '%s' record %" PRIu64 " at offset %" PRIu64 " does not extend "
			       "its author's chain (run 'alliancectl audit' on it)", rp->path,
			       r->index, r->offset);
	}
	rc = admit(rp->s, &e, r->index, r->offset);
	envelope_clear(&e);
	return rc;
}

static bool proven(const struct al_store *s, const al_key *author, uint64_t seq)
{
	for (size_t i = 0; i < s->n_proofs; i++)
		if (s->proven[i].seq == seq && !memcmp(&s->proven[i].author, author, AL_KEYLEN))
			return true;
	return false;
}

static int add_proven(struct al_store *s, const al_key *author, uint64_t seq)
{
	if (grow(&s->proven, &s->cap_proofs, s->n_proofs + 1, sizeof *s->proven))
		return AL_E_NOMEM;
	s->proven[s->n_proofs].author = *author;
	s->proven[s->n_proofs++].seq = seq;
	return AL_OK;
}

/* Remember which (author, seq) each stored proof covers. */
static int load_proof(void *arg, const struct al_log_rec *r)
{
	struct al_store *s = arg;
	uint8_t *a, *b;
	size_t al, bl;
	struct al_envelope e;
	int rc = wire_equivocation_unpack(r->data, r->len, &a, &al, &b, &bl, NULL);
	if (rc)
		return rc == AL_E_NOMEM ? rc : AL_OK; /* the audit reports bad proofs */
	rc = envelope_open(a, al, &e, NULL);
	if (rc == AL_OK) {
		rc = add_proven(s, &e.b.author, e.b.seq);
		envelope_clear(&e);
	} else if (rc != AL_E_NOMEM) {
		rc = AL_OK;
	}
	free(a);
	free(b);
	return rc;
}

/* Build a new store in DIR.tmp (a stale one from a crash is removed
 * first), every file and the directory synced, then rename it to DIR (which
 * may exist, empty) and sync the parent: after a crash there is either no
 * store or a whole one, never a directory lacking its charter or log. */
static int create_dir(const char *dir, const struct al_charter *c, char *why)
{
	char tmp[4096], path[4096];
	int rc;
	if (snprintf(tmp, sizeof tmp, "%s.tmp", dir) >= (int)sizeof tmp)
		return al_errf(why, AL_E_INVAL, "path too long: '%s'", dir);
	if ((rc = file_remove_dir(tmp, why)))
		return rc;
	if (mkdir(tmp, 0700) < 0)
		return al_errf(why, AL_E_IO, "cannot create directory '%s': %s", tmp,
			       strerror(errno));
	if ((rc = path_in(path, sizeof path, tmp, "charter")) ||
	    (rc = charter_save(c, path, true, why)) ||
	    (rc = path_in(path, sizeof path, tmp, "log")) || (rc = log_create(path, why)) ||
	    (rc = path_in(path, sizeof path, tmp, "equivocations")) ||
	    (rc = log_create(path, why)))
		goto fail;
	if (rename(tmp, dir) < 0) {
		rc = al_errf(why, errno == ENOTEMPTY || errno == EEXIST ? AL_E_EXIST : AL_E_IO,
			     "cannot create the store '%s': %s", dir,
			     errno == ENOTEMPTY ? "it exists and is not empty" : strerror(errno));
		goto fail;
	}
	return file_sync_dir(dir, 0, why);
fail:
	file_remove_dir(tmp, NULL);
	return rc == AL_E_INVAL ? al_errf(why, rc, "path too long: '%s'", dir) : rc;
}

/* How the feeds index reads a record it holds (feeds_reader). */
static int read_record(void *arg, uint64_t offset, uint8_t **buf, size_t *len, char *why)
{
	struct al_store *s = arg;
	if (!s->log)
		return al_errf(why, AL_E_INVAL, "no log open in '%s'", s->dir);
	return log_read(s->log, offset, buf, len, why);
}

/* The indexes (and, when members, the roster) as the charter alone
 * makes them: empty. */
static int derive_anew(struct al_store *s, bool members, char *why)
{
	char path[4096];
	checkpoint_forget(s);
	feeds_destroy(&s->feeds);
	idem_destroy(&s->keys);
	ledger_destroy(&s->ledger); /* it borrows the roster */
	if (members)
		roster_destroy(&s->roster);
	int rc = feeds_new(&s->feeds);
	if (rc == AL_OK) {
		feeds_reader(s->feeds, read_record, s);
		rc = idem_new(&s->keys);
	}
	if (rc == AL_OK && !s->charter && !(rc = path_in(path, sizeof path, s->dir, "charter")))
		rc = charter_load(path, &s->charter, why);
	if (rc == AL_OK && members)
		rc = roster_new(s->charter, &s->roster);
	if (rc == AL_OK)
		rc = ledger_new(s->roster, &s->ledger);
	return rc;
}

/* Replay the log into the indexes: after the checkpoint when there is a
 * usable one, otherwise (with a warning in s->ckpt) all of it. */
static int replay(struct al_store *s, struct al_log_recovery *recovery, char *why)
{
	char path[4096], err[AL_ERRLEN];
	int rc = derive_anew(s, true, why);
	if (rc || (rc = path_in(path, sizeof path, s->dir, "log")))
		return rc;
	rc = checkpoint_load(s, err);
	if (rc == AL_OK) /* what it covers is not replayed: its ledger section is loaded once the
			  * scan has passed it (checkpoint_record), or store_ledger rebuilds */
		ledger_destroy(&s->ledger);
	if (rc != AL_OK && rc != AL_E_NOENT)
		snprintf(s->ckpt.warning, sizeof s->ckpt.warning, "%s", err);
	/* A checkpoint that did not load noted no member yet. */
	if (rc != AL_OK && rc != AL_E_NOENT && (rc = derive_anew(s, false, why)))
		return rc;
	struct replay rp = { s, path, why };
	rc = log_open(path, false, replay_record, &rp, recovery, &s->log, why);
	if (rc == AL_OK)
		rc = checkpoint_check(s);
	if (rc != AL_OK && rc != AL_E_NOMEM && s->ckpt_scan) {
		/* Not this log's, or the log after it fails: start again from
		 * nothing, which decides. A torn tail the first open cut stays
		 * reported. */
		if (!*s->ckpt.warning)
			snprintf(s->ckpt.warning, sizeof s->ckpt.warning, "checkpoint '%s/%s' not "
				 "used: replaying after it failed: %.300s", s->dir, AL_CKPT_FILE, why ? why : "");
		struct al_log_recovery again;
		log_close(&s->log);
		if ((rc = derive_anew(s, true, why)))
			return rc;
		rc = log_open(path, false, replay_record, &rp, &again, &s->log, why);
		if (recovery && again.cut_bytes)
			*recovery = again;
	}
	if (rc == AL_OK) {
		s->ckpt.used = s->ckpt_scan != NULL;
		s->ckpt.replayed = log_records(s->log) - (s->ckpt.used ? s->ckpt.covered : 0);
		if (!s->ckpt.used) {
			s->ckpt.covered = s->ckpt.written = 0;
			s->ckpt.ledger = false;
		}
		if (!s->ckpt.written_at)
			s->ckpt.written_at = when_now();
	}
	checkpoint_forget(s);
	return rc;
}

int store_open(const char *dir, bool create, const struct al_charter *c,
	       struct al_log_recovery *recovery, struct al_store **out, char *why)
{
	char path[4096];
	*out = NULL;
	struct al_store *s = calloc(1, sizeof *s);
	if (!s || !(s->dir = strdup(dir))) {
		free(s);
		return AL_E_NOMEM;
	}
	int rc = AL_OK;
	if (create && (rc = create_dir(dir, c, why)))
		goto fail;
	if ((rc = replay(s, recovery, why)))
		goto fail;
	if ((rc = path_in(path, sizeof path, dir, "equivocations")) ||
	    (rc = log_open(path, true, load_proof, s, NULL, &s->equivocations, why)))
		goto fail;
	*out = s;
	return AL_OK;
fail:
	store_close(&s);
	return rc;
}

void store_close(struct al_store **sp)
{
	struct al_store *s = *sp;
	if (!s)
		return;
	log_close(&s->log);
	log_close(&s->equivocations);
	checkpoint_forget(s);
	feeds_destroy(&s->feeds);
	idem_destroy(&s->keys);
	ledger_destroy(&s->ledger);
	roster_destroy(&s->roster); /* it borrows the charter */
	charter_destroy(&s->charter);
	free(s->proven);
	free(s->dir);
	free(s);
	*sp = NULL;
}

int store_get(struct al_store *s, const al_key *author, uint64_t seq, uint8_t **buf,
	      size_t *len, char *why)
{
	uint64_t off = feeds_offset(s->feeds, author, seq, NULL);
	if (!off)
		return al_errf(why, AL_E_NOENT, "no message %" PRIu64 " in that feed", seq);
	return log_read(s->log, off, buf, len, why);
}

int store_keyed(struct al_store *s, const al_key *author, const char *key,
		struct al_envelope *out, char *why)
{
	size_t cursor = 0;
	uint64_t seq, best = 0;
	memset(out, 0, sizeof *out);
	/* Candidates share the hash; the message itself says its key. */
	while ((seq = idem_next(s->keys, author, key, &cursor))) {
		struct al_envelope e;
		uint8_t *buf;
		size_t len;
		if (best && seq > best)
			continue;
		int rc = store_get(s, author, seq, &buf, &len, why);
		if (rc == AL_E_NOENT)
			continue; /* another author's seq */
		if (rc)
			return rc;
		rc = envelope_open(buf, len, &e, why);
		free(buf);
		if (rc)
			return rc;
		if (!strcmp(e.b.key, key)) {
			envelope_clear(out);
			*out = e;
			best = seq;
		} else {
			envelope_clear(&e);
		}
	}
	return best ? AL_OK : al_errf(why, AL_E_NOENT, "no message with key '%s'", key);
}

/* Keep the proof that e's author signed two messages at one sequence number. */
static int keep_proof(struct al_store *s, const struct al_envelope *e, char *why)
{
	uint8_t *held, *proof;
	size_t held_len, proof_len;
	if (proven(s, &e->b.author, e->b.seq))
		return AL_OK;
	int rc = store_get(s, &e->b.author, e->b.seq, &held, &held_len, why);
	if (rc)
		return rc;
	/* The held body under another signature of its author is no proof of
	 * two messages (the audit would call it invalid): keep nothing. */
	uint8_t *body, sig[AL_SIGLEN];
	size_t body_len;
	if (wire_envelope_unpack(held, held_len, &body, &body_len, sig, NULL) == AL_OK) {
		bool same = body_len == e->body_len && !memcmp(body, e->body, body_len);
		free(body);
		if (same) {
			free(held);
			return AL_OK;
		}
	}
	rc = wire_equivocation_pack(held, held_len, e->bytes, e->len, &proof, &proof_len);
	free(held);
	if (rc)
		return rc;
	rc = log_append(s->equivocations, proof, proof_len, NULL, why);
	free(proof);
	if (rc == AL_OK)
		rc = log_sync(s->equivocations, why);
	if (rc == AL_OK)
		rc = add_proven(s, &e->b.author, e->b.seq);
	return rc;
}

/* Act on feeds_check's verdict on e: append, keep a proof, count. */
static int settle(struct al_store *s, struct al_envelope *e, enum al_reason *reason,
		  struct al_ref *id, char *why)
{
	int rc = AL_OK;
	if (*reason == AL_R_EQUIVOCATION) {
		/* why says what was rejected; a failure to keep the proof (a
		 * failed fsync is fatal) must say what went wrong instead. */
		char err[AL_ERRLEN] = "";
		if ((rc = keep_proof(s, e, err)))
			al_errf(why, rc, "cannot keep the proof of an equivocation: %s",
				err[0] ? err : al_strerror(rc));
	} else if (*reason == AL_ACCEPT) {
		uint64_t off;
		if (log_size(s->log) >= FEEDS_MAX_OFFSET)
			rc = al_errf(why, AL_E_NOSPC, "'%s/log' has reached %" PRIu64 " bytes, the most "
				     "its index can address: nothing more can be appended", s->dir,
				     FEEDS_MAX_OFFSET);
		else
			rc = log_append(s->log, e->bytes, e->len, &off, why);
		if (rc == AL_OK)
			rc = admit(s, e, log_records(s->log) - 1, off);
		if (rc == AL_OK && id) {
			id->author = e->b.author;
			id->seq = e->b.seq;
		}
	}
	if (id && (*reason == AL_R_EQUIVOCATION || *reason == AL_R_PREV)) {
		id->author = e->b.author; /* signed by it, and against its held chain */
		id->seq = e->b.seq;
	}
	/* Counted once decided: an envelope that did not fit on the disk
	 * was not accepted (it comes again). */
	if (!(rc == AL_E_NOSPC && *reason == AL_ACCEPT))
		s->counts[*reason]++;
	return rc;
}

int store_offer(struct al_store *s, const uint8_t *buf, size_t len, int64_t now,
		enum al_reason *reason, struct al_ref *id, char *why)
{
	struct al_envelope e;
	*reason = feeds_check(s->roster, s->feeds, buf, len, now, &e, why);
	int rc = settle(s, &e, reason, id, why);
	envelope_clear(&e);
	return rc;
}

int store_offer_item(struct al_store *s, struct al_verify_item *it, int64_t now,
		     enum al_reason *reason, struct al_ref *id, char *why)
{
	*reason = feeds_check_item(s->roster, s->feeds, it, now, why);
	int rc = settle(s, &it->env, reason, id, why);
	envelope_clear(&it->env);
	return rc;
}

int store_author(struct al_store *s, const struct al_identity *id, struct al_body *b,
		 int64_t now, struct al_ref *out_id, char *why)
{
	const struct al_feed_entry *last;
	struct al_envelope e;
	struct al_frontier_entry *fr = NULL;
	b->version = AL_FORMAT_VERSION;
	b->alliance = s->charter->id;
	b->author = id->sign_pk;
	b->seq = feeds_head(s->feeds, &id->sign_pk, &last) + 1;
	b->has_prev = last != NULL;
	if (last)
		b->prev = last->hash;
	b->timestamp = last && last->timestamp > now ? last->timestamp : now;
	long n = feeds_frontier(s->feeds, &fr);
	if (n < 0)
		return AL_E_NOMEM;
	/* The frontier tells what the author held of the other feeds. */
	long k = 0;
	for (long i = 0; i < n; i++)
		if (memcmp(&fr[i].author, &id->sign_pk, AL_KEYLEN))
			fr[k++] = fr[i];
	b->frontier = fr;
	b->n_frontier = (size_t)k;
	char err[AL_ERRLEN];
	int rc = envelope_seal(id, b, &e);
	b->frontier = NULL;
	b->n_frontier = 0;
	free(fr);
	if (rc)
		return rc;
	/* Offered as sealed: e's signature was made here over these bytes
	 * (AL_SIG_VALID), so it is not verified again. */
	enum al_reason r = feeds_check_opened(s->roster, s->feeds, &e, now, err);
	rc = settle(s, &e, &r, out_id, err);
	envelope_clear(&e);
	if (rc == AL_OK && r != AL_ACCEPT)
		rc = al_errf(why, AL_E_REJECT, "%s", err);
	else if (rc)
		al_errf(why, rc, "%s", err);
	return rc;
}

void store_mark(const struct al_store *s, const al_key *author, struct al_store_mark *m)
{
	m->log_size = log_size(s->log);
	m->log_records = log_records(s->log);
	m->author = *author;
	const struct al_feed_entry *last;
	m->head = feeds_head(s->feeds, author, &last);
	if (last)
		m->last = *last;
}

int store_rollback(struct al_store *s, const struct al_store_mark *m, char *why)
{
	uint64_t head = feeds_head(s->feeds, &m->author, NULL), n = log_records(s->log);
	/* Only m's author's messages since m, none of them an amendment
	 * (roster_note would have to be undone too). */
	bool ok = head >= m->head && n >= m->log_records && n - m->log_records == head - m->head;
	for (uint64_t q = m->head + 1; ok && q <= head; q++) {
		enum al_kind kind;
		feeds_offset(s->feeds, &m->author, q, &kind);
		ok = kind != AL_KIND_AMENDMENT;
	}
	if (!ok)
		return al_errf(why, AL_E_INVAL, "cannot take back what '%s/log' holds since the mark: "
			       "not only its author's own messages", s->dir);
	int rc = log_rewind(s->log, m->log_size, m->log_records, why);
	if (rc)
		return rc;
	ledger_destroy(&s->ledger); /* it applied what was taken back */
	s->counts[AL_ACCEPT] -= head - m->head;
	return feeds_truncate(s->feeds, &m->author, m->head, m->head ? &m->last : NULL);
}

long store_candidate(struct al_store *s, const struct al_member *self)
{
	size_t n = s->roster->n_members;
	long i = roster_candidate(s->roster, self);
	if (i >= 0 && (size_t)i >= n)
		ledger_destroy(&s->ledger); /* made for the members before it */
	return i;
}

/* Rebuilding: every record of the log, in log order, as admission did. */
struct rebuild {
	struct al_ledger *l;
	char *why;
};

static int rebuild_record(void *arg, const struct al_log_rec *r)
{
	struct rebuild *rb = arg;
	struct al_envelope e;
	int rc = envelope_open(r->data, r->len, &e, rb->why);
	if (rc == AL_OK)
		rc = ledger_add(rb->l, &e, rb->why);
	envelope_clear(&e);
	return rc;
}

int store_ledger(struct al_store *s, struct al_ledger **out, char *why)
{
	if (!s->ledger) {
		struct rebuild rb = { NULL, why };
		const struct al_roster *ro = s->roster;
		uint64_t *held = calloc(ro->n_members ? ro->n_members : 1, sizeof *held);
		int rc = held ? ledger_new(ro, &rb.l) : AL_E_NOMEM;
		for (size_t k = 0; rc == AL_OK && k < ro->n_members; k++)
			held[k] = feeds_head(s->feeds, &ro->members[k].sign_key, NULL);
		if (rc == AL_OK)
			rc = ledger_expect(rb.l, held);
		free(held);
		if (rc == AL_OK)
			rc = log_scan(log_path(s->log), rebuild_record, NULL, &rb, why);
		if (rc == AL_OK)
			rc = ledger_expect(rb.l, NULL);
		if (rc) {
			ledger_destroy(&rb.l);
			return rc == LEDGER_REBUILD ? al_errf(why, AL_E_FAILED, "the ledger of '%s' "
					"cannot be rebuilt: %s", s->dir, why) : rc;
		}
		s->ledger = rb.l;
		s->ledger_rebuilds++;
	}
	*out = s->ledger;
	return AL_OK;
}

int store_ledger_check(struct al_store *s, char *why)
{
	struct al_ledger *l, *full;
	char diff[AL_ERRLEN];
	int rc = store_ledger(s, &l, why);
	if (rc == AL_OK)
		rc = ledger_of_log(log_path(s->log), s->roster, INT64_MAX, AL_LEDGER_TRUSTED, &full,
				   why);
	if (rc)
		return rc;
	if (!ledger_equal(l, full, diff))
		rc = al_errf(why, AL_E_CORRUPT, "the ledger of '%s' kept as messages came differs "
			     "from a replay of its log: %s", s->dir, diff);
	ledger_destroy(&full);
	return rc;
}

int store_sync(struct al_store *s, char *why)
{
	return log_sync(s->log, why);
}
