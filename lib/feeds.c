/* feeds.c: the (author, seq) index and feeds_check(); see feeds.h. */
#include "feeds.h"
#include "checkpoint.h"
#include "roster.h"
#include "err.h"
#include "grow.h"
#include "log.h"
#include "when.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct feed {
	al_key author;
	size_t n, cap;
	struct al_feed_entry *e; /* e[i] is seq i + 1 */
};

struct al_feeds {
	size_t n, cap;
	struct feed *v;
	uint64_t count;
};

const char *feeds_reason_tag(enum al_reason r)
{
	static const char *const tags[AL_REASON_COUNT] = {
		"accepted", "duplicate", "oversize", "malformed", "bad-version",
		"wrong-alliance", "unknown-author", "bad-signature", "bad-frontier",
		"out-of-order", "broken-chain", "equivocation", "future-timestamp",
		"backwards-timestamp",
	};
	return (unsigned)r < AL_REASON_COUNT ? tags[r] : "unknown";
}

int feeds_new(struct al_feeds **out)
{
	*out = calloc(1, sizeof **out);
	return *out ? AL_OK : AL_E_NOMEM;
}

void feeds_destroy(struct al_feeds **fp)
{
	struct al_feeds *f = *fp;
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].e);
	free(f->v);
	free(f);
	*fp = NULL;
}

static struct feed *find(const struct al_feeds *f, const al_key *author)
{
	for (size_t i = 0; i < f->n; i++)
		if (!memcmp(&f->v[i].author, author, AL_KEYLEN))
			return &f->v[i];
	return NULL;
}

uint64_t feeds_head(const struct al_feeds *f, const al_key *author,
		    const struct al_feed_entry **last)
{
	struct feed *fd = find(f, author);
	if (last)
		*last = fd && fd->n ? &fd->e[fd->n - 1] : NULL;
	return fd ? fd->n : 0;
}

const struct al_feed_entry *feeds_get(const struct al_feeds *f, const al_key *author,
				      uint64_t seq)
{
	struct feed *fd = find(f, author);
	if (!fd || seq == 0 || seq > fd->n)
		return NULL;
	return &fd->e[seq - 1];
}

uint64_t feeds_count(const struct al_feeds *f)
{
	return f->count;
}

int feeds_add(struct al_feeds *f, const al_key *author, uint64_t seq,
	      const struct al_feed_entry *e)
{
	struct feed *fd = find(f, author);
	if (!fd) {
		if (grow(&f->v, &f->cap, f->n + 1, sizeof *f->v))
			return AL_E_NOMEM;
		fd = &f->v[f->n++];
		memset(fd, 0, sizeof *fd);
		fd->author = *author;
	}
	if (seq != fd->n + 1)
		return AL_E_INVAL;
	if (grow(&fd->e, &fd->cap, fd->n + 1, sizeof *fd->e))
		return AL_E_NOMEM;
	fd->e[fd->n++] = *e;
	f->count++;
	return AL_OK;
}

int feeds_truncate(struct al_feeds *f, const al_key *author, uint64_t seq)
{
	struct feed *fd = find(f, author);
	uint64_t n = fd ? fd->n : 0;
	if (seq > n)
		return AL_E_INVAL;
	if (fd) {
		f->count -= n - seq;
		fd->n = (size_t)seq;
	}
	return AL_OK;
}

static int cmp_entry(const void *a, const void *b)
{
	return memcmp(&((const struct al_frontier_entry *)a)->author,
		      &((const struct al_frontier_entry *)b)->author, AL_KEYLEN);
}

long feeds_frontier(const struct al_feeds *f, struct al_frontier_entry **out)
{
	*out = calloc(f->n ? f->n : 1, sizeof **out);
	if (!*out)
		return -1;
	long n = 0;
	for (size_t i = 0; i < f->n; i++) {
		if (!f->v[i].n)
			continue;
		struct al_frontier_entry *e = &(*out)[n++];
		e->author = f->v[i].author;
		e->seq = f->v[i].n;
		e->hash = f->v[i].e[f->v[i].n - 1].hash;
	}
	qsort(*out, (size_t)n, sizeof **out, cmp_entry);
	return n;
}

/* ------------------------------------------------------------ checkpoints */

int feeds_save(const struct al_feeds *f, struct al_ckpt_writer *w)
{
	/* A feed emptied by store_rollback is not one a replay would make. */
	uint32_t n = 0;
	for (size_t i = 0; i < f->n; i++)
		n += f->v[i].n > 0;
	int rc = ckpt_put_u32(w, n);
	for (size_t i = 0; i < f->n && rc == AL_OK; i++) {
		const struct feed *fd = &f->v[i];
		if (!fd->n)
			continue;
		rc = ckpt_put(w, fd->author.b, AL_KEYLEN);
		if (rc == AL_OK)
			rc = ckpt_put_u64(w, fd->n);
		for (size_t k = 0; k < fd->n && rc == AL_OK; k++) {
			const struct al_feed_entry *e = &fd->e[k];
			if ((rc = ckpt_put_u64(w, e->index)) || (rc = ckpt_put_u64(w, e->offset)) ||
			    (rc = ckpt_put(w, e->hash.b, AL_HASHLEN)) ||
			    (rc = ckpt_put_u64(w, (uint64_t)e->timestamp)))
				break;
			rc = ckpt_put_u32(w, (uint32_t)e->kind);
		}
	}
	return rc;
}

#define ENTRY_BYTES (8 + 8 + AL_HASHLEN + 8 + 4)

int feeds_load(struct al_feeds *f, struct al_ckpt_reader *r, uint64_t records,
	       uint64_t size, char *why)
{
	uint32_t n = ckpt_get_u32(r);
	if (r->bad || n > r->left / (AL_KEYLEN + 8))
		return al_errf(why, AL_E_PARSE, "feeds section: %" PRIu32 " feeds do not fit", n);
	for (uint32_t i = 0; i < n; i++) {
		al_key author;
		ckpt_get(r, author.b, AL_KEYLEN);
		uint64_t len = ckpt_get_u64(r);
		if (r->bad || len == 0 || len > r->left / ENTRY_BYTES)
			return al_errf(why, AL_E_PARSE, "feeds section: feed %" PRIu32 " is cut short", i);
		if (find(f, &author))
			return al_errf(why, AL_E_PARSE, "feeds section: feed %" PRIu32 " twice", i);
		for (uint64_t k = 0; k < len; k++) {
			struct al_feed_entry e;
			e.index = ckpt_get_u64(r);
			e.offset = ckpt_get_u64(r);
			ckpt_get(r, e.hash.b, AL_HASHLEN);
			e.timestamp = (int64_t)ckpt_get_u64(r);
			uint32_t kind = ckpt_get_u32(r);
			if (e.index >= records || e.offset < AL_LOG_HEADER_LEN ||
			    e.offset + AL_LOG_FRAME >= size || kind >= AL_KIND_COUNT)
				return al_errf(why, AL_E_PARSE, "feeds section: entry %" PRIu64 " of feed %"
					       PRIu32 " is outside the log it covers", k + 1, i);
			e.kind = (enum al_kind)kind;
			int rc = feeds_add(f, &author, k + 1, &e);
			if (rc)
				return rc;
		}
	}
	if (f->count != records)
		return al_errf(why, AL_E_PARSE, "feeds section: %" PRIu64 " entries for %" PRIu64
			       " records", f->count, records);
	return AL_OK;
}

int feeds_compare(const struct al_feeds *a, const struct al_feeds *b, char *why)
{
	if (a->n != b->n || a->count != b->count)
		return al_errf(why, AL_E_INVAL, "feeds: %zu feeds, %" PRIu64 " entries against %zu, %"
			       PRIu64, a->n, a->count, b->n, b->count);
	for (size_t i = 0; i < a->n; i++) {
		const struct feed *x = &a->v[i], *y = &b->v[i];
		if (memcmp(&x->author, &y->author, AL_KEYLEN) || x->n != y->n)
			return al_errf(why, AL_E_INVAL, "feeds: feed %zu differs (author or length "
				       "%zu against %zu)", i, x->n, y->n);
		for (size_t k = 0; k < x->n; k++) {
			const struct al_feed_entry *e = &x->e[k], *g = &y->e[k];
			if (e->index != g->index || e->offset != g->offset ||
			    memcmp(&e->hash, &g->hash, AL_HASHLEN) || e->timestamp != g->timestamp ||
			    e->kind != g->kind)
				return al_errf(why, AL_E_INVAL, "feeds: feed %zu entry %zu differs", i,
					       k + 1);
		}
	}
	return AL_OK;
}

int feeds_each(const struct al_feeds *f,
	       int (*fn)(void *arg, const al_key *author, uint64_t seq,
			 const struct al_feed_entry *e),
	       void *arg)
{
	for (size_t i = 0; i < f->n; i++)
		for (size_t k = 0; k < f->v[i].n; k++) {
			int rc = fn(arg, &f->v[i].author, k + 1, &f->v[i].e[k]);
			if (rc)
				return rc;
		}
	return AL_OK;
}

/* ------------------------------------------------------------ validation */

static enum al_reason reject(char *why, enum al_reason r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum al_reason reject(char *why, enum al_reason r, const char *fmt, ...)
{
	if (why) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, AL_ERRLEN, fmt, ap);
		va_end(ap);
	}
	return r;
}

enum al_reason feeds_check(const struct al_roster *ro, const struct al_feeds *f,
			   const uint8_t *buf, size_t len, int64_t now,
			   struct al_envelope *env, char *why)
{
	char err[AL_ERRLEN];
	memset(env, 0, sizeof *env);
	if (len > AL_MAX_ENVELOPE)
		return reject(why, AL_R_OVERSIZE, "message of %zu bytes exceeds the %d-byte limit",
			      len, AL_MAX_ENVELOPE);
	int rc = envelope_open(buf, len, env, err);
	if (rc)
		return reject(why, AL_R_MALFORMED, "malformed message: %s",
			      rc == AL_E_NOMEM ? "out of memory" : err);
	return feeds_check_opened(ro, f, env, now, why);
}

enum al_reason feeds_check_item(const struct al_roster *ro, const struct al_feeds *f,
				struct al_verify_item *it, int64_t now, char *why)
{
	/* Not opened: the whole check again says why, as it always has. */
	if (it->rc)
		return feeds_check(ro, f, it->buf, it->len, now, &it->env, why);
	return feeds_check_opened(ro, f, &it->env, now, why);
}

enum al_reason feeds_check_opened(const struct al_roster *ro, const struct al_feeds *f,
				  struct al_envelope *env, int64_t now, char *why)
{
	const struct al_charter *c = ro->c;
	const struct al_body *b = &env->b;
	if (b->version != AL_FORMAT_VERSION)
		return reject(why, AL_R_VERSION, "message format version %u is not %d",
			      b->version, AL_FORMAT_VERSION);
	if (memcmp(&b->alliance, &c->id, AL_HASHLEN) != 0)
		return reject(why, AL_R_ALLIANCE, "message is signed for another alliance");
	long k = roster_index(ro, &b->author);
	const struct al_member *m = k < 0 ? NULL : &ro->members[k];
	if (!m || roster_standing(ro, (size_t)k) == AL_CANDIDATE)
		return reject(why, AL_R_AUTHOR, "author of the message is not a member (or not yet "
			      "known here: the amendment adding it may still be on its way)");
	/* Its feed's name as ids show it: acme, or acme@2 for a member's
	 * second keys (formatted only then: this runs for every message). */
	char feed[AL_IDLEN];
	const char *name = ro->generation && ro->generation[k] > 1
				   ? roster_feed_name(ro, (size_t)k, feed) : m->name;
	/* Exactly the bytes already held (the hash covers the whole envelope):
	 * a relayed copy, harmless, and not worth a signature check. */
	const struct al_feed_entry *held = feeds_get(f, &b->author, b->seq);
	if (held && !memcmp(&held->hash, &env->hash, AL_HASHLEN))
		return reject(why, AL_DUPLICATE, "%s/%" PRIu64 " is already held", name, b->seq);
	if (!envelope_check_sig(env))
		return reject(why, AL_R_SIGNATURE, "%s/%" PRIu64 ": signature does not verify",
			      name, b->seq);
	if (b->seq == 0)
		return reject(why, AL_R_MALFORMED, "%s/0: sequence numbers start at 1", name);
	for (size_t i = 0; i < b->n_frontier; i++) {
		/* A feed we do not know yet: its author joined by an amendment
		 * whose approvals have not all reached us. Wait for them. */
		if (!roster_member(ro, &b->frontier[i].author))
			return reject(why, AL_R_AHEAD,
				      "%s/%" PRIu64 " names the feed of someone who is not a member "
				      "here (yet)", name, b->seq);
		for (size_t j = 0; j < i; j++)
			if (!memcmp(&b->frontier[i].author, &b->frontier[j].author, AL_KEYLEN))
				return reject(why, AL_R_FRONTIER,
					      "%s/%" PRIu64 ": frontier names a feed twice",
					      name, b->seq);
	}

	const struct al_feed_entry *last;
	uint64_t head = feeds_head(f, &b->author, &last);
	if (b->seq <= head)
		return reject(why, AL_R_EQUIVOCATION,
			      "%s/%" PRIu64 ": equivocation: a different message with this "
			      "author and sequence number is already held", name, b->seq);
	if (b->seq > head + 1)
		return reject(why, AL_R_AHEAD,
			      "%s/%" PRIu64 " arrived before %s/%" PRIu64 " (have up to %" PRIu64 ")",
			      name, b->seq, name, head + 1, head);
	if (b->seq == 1 ? b->has_prev
			: !b->has_prev || memcmp(&b->prev, &last->hash, AL_HASHLEN) != 0)
		return reject(why, AL_R_PREV,
			      b->seq == 1 ? "%s/%" PRIu64 ": the first message must not name a previous one"
					  : "%s/%" PRIu64 ": previous hash does not match the held chain",
			      name, b->seq);
	/* How far ahead the timestamp is, without overflow for any two int64
	 * (a peer signs what it likes); the charter bounds skew * 1000. */
	uint64_t ahead = b->timestamp > now ? (uint64_t)b->timestamp - (uint64_t)now : 0;
	if (ahead > c->params.skew * 1000) {
		char t[AL_WHENLEN], n[AL_WHENLEN];
		return reject(why, AL_R_FUTURE,
			      "%s/%" PRIu64 ": timestamp %s is ahead of %s by more than the "
			      "charter's %" PRIu64 "s skew window", name, b->seq,
			      when_format(b->timestamp, t), when_format(now, n), c->params.skew);
	}
	/* Nothing in an alliance happened before its charter (less the skew):
	 * a time before that is a forged clock, and would make arithmetic
	 * on ages overflow. */
	if (b->timestamp < c->created - (int64_t)(c->params.skew * 1000)) {
		char t[AL_WHENLEN], n[AL_WHENLEN];
		return reject(why, AL_R_BACKWARDS,
			      "%s/%" PRIu64 ": timestamp %s is before the charter was created (%s)",
			      name, b->seq, when_format(b->timestamp, t), when_format(c->created, n));
	}
	if (last && b->timestamp < last->timestamp)
		return reject(why, AL_R_BACKWARDS,
			      "%s/%" PRIu64 ": timestamp is earlier than %s/%" PRIu64 "'s",
			      name, b->seq, name, head);
	if (why)
		why[0] = '\0';
	return AL_ACCEPT;
}
