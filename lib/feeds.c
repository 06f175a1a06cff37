/* feeds.c: the (author, seq) index and feeds_check(); see feeds.h. */
#include "feeds.h"
#include "checkpoint.h"
#include "roster.h"
#include "err.h"
#include "grow.h"
#include "key.h"
#include "log.h"
#include "when.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What is kept of every message: 8 bytes, its record's offset << 24 | its
 * kind << 16 | the first FEEDS_PREFIX (2) bytes of its envelope's hash. */
struct slot {
	uint64_t v;
};

struct feed {
	al_key author;
	size_t n;                /* messages held: seq 1..n */
	struct slot **blk;       /* seq s is blk[(s - 1) / FEEDS_BLOCK][(s - 1) % FEEDS_BLOCK] */
	size_t n_blk, cap_blk;   /* blocks allocated; room in blk */
	size_t cap0;             /* room in blk[0], grown up to FEEDS_BLOCK */
	struct al_feed_entry head; /* seq n, whole (when n > 0) */
};

struct al_feeds {
	size_t n, cap;
	struct feed *v;
	uint64_t count;
	feeds_read_fn read;
	void *read_arg;
};

const char *feeds_reason_tag(enum al_reason r)
{
	static const char *const tags[AL_REASON_COUNT] = {
		"accepted", "duplicate", "oversize", "malformed", "bad-version",
		"wrong-alliance", "unknown-author", "bad-signature", "bad-frontier",
		"out-of-order", "broken-chain", "equivocation", "future-timestamp",
		"backwards-timestamp", "unreadable",
	};
	return (unsigned)r < AL_REASON_COUNT ? tags[r] : "unknown";
}

int feeds_new(struct al_feeds **out)
{
	*out = calloc(1, sizeof **out);
	return *out ? AL_OK : AL_E_NOMEM;
}

void feeds_reader(struct al_feeds *f, feeds_read_fn read, void *arg)
{
	f->read = read;
	f->read_arg = arg;
}

void feeds_destroy(struct al_feeds **fp)
{
	struct al_feeds *f = *fp;
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++) {
		for (size_t b = 0; b < f->v[i].n_blk; b++)
			free(f->v[i].blk[b]);
		free(f->v[i].blk);
	}
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

/* The slot of seq, which fd holds. */
static struct slot *slot(const struct feed *fd, uint64_t seq)
{
	return &fd->blk[(seq - 1) / FEEDS_BLOCK][(seq - 1) % FEEDS_BLOCK];
}

static uint64_t slot_offset(const struct slot *x)
{
	return x->v >> 24;
}

static enum al_kind slot_kind(const struct slot *x)
{
	return (enum al_kind)(x->v >> 16 & 0xff);
}

static unsigned slot_prefix(const struct slot *x)
{
	return (unsigned)(x->v & 0xffff);
}

/* A hash's first FEEDS_PREFIX bytes, as a slot keeps them. */
static unsigned hash_prefix(const uint8_t *h)
{
	return (unsigned)h[0] | (unsigned)h[1] << 8;
}

static uint64_t slot_value(uint64_t offset, enum al_kind kind, const uint8_t *hash)
{
	return offset << 24 | (uint64_t)kind << 16 | hash_prefix(hash);
}

/* fd's message seq, or NULL. */
static const struct slot *held(const struct al_feeds *f, const al_key *author, uint64_t seq,
			       const struct feed **fdp)
{
	const struct feed *fd = find(f, author);
	if (fdp)
		*fdp = fd;
	return fd && seq && seq <= fd->n ? slot(fd, seq) : NULL;
}

uint64_t feeds_head(const struct al_feeds *f, const al_key *author,
		    const struct al_feed_entry **last)
{
	struct feed *fd = find(f, author);
	if (last)
		*last = fd && fd->n ? &fd->head : NULL;
	return fd ? fd->n : 0;
}

uint64_t feeds_offset(const struct al_feeds *f, const al_key *author, uint64_t seq,
		      enum al_kind *kind)
{
	const struct slot *x = held(f, author, seq, NULL);
	if (kind)
		*kind = x ? slot_kind(x) : 0;
	return x ? slot_offset(x) : 0;
}

/* The full hash of fd's message seq (held): the head's, or its record's. */
static int full_hash(const struct al_feeds *f, const struct feed *fd, uint64_t seq, al_hash *out,
		     char *why)
{
	if (seq == fd->n) {
		*out = fd->head.hash;
		return AL_OK;
	}
	uint64_t off = slot_offset(slot(fd, seq));
	if (!f->read)
		return al_errf(why, AL_E_INVAL, "no log to read the record at offset %" PRIu64
			       " from", off);
	uint8_t *buf;
	size_t len;
	int rc = f->read(f->read_arg, off, &buf, &len, why);
	if (rc)
		return rc;
	key_hash(buf, len, out);
	free(buf);
	return AL_OK;
}

int feeds_holds(const struct al_feeds *f, const al_key *author, uint64_t seq, const al_hash *h,
		char *why)
{
	const struct feed *fd;
	const struct slot *x = held(f, author, seq, &fd);
	if (!x || slot_prefix(x) != hash_prefix(h->b))
		return 0;
	al_hash full;
	int rc = full_hash(f, fd, seq, &full, why);
	return rc ? rc : !memcmp(&full, h, AL_HASHLEN);
}

int feeds_body(void *index, const al_key *author, uint64_t seq, struct al_body *out,
	       char *why)
{
	const struct al_feeds *f = index;
	const struct slot *x = held(f, author, seq, NULL);
	memset(out, 0, sizeof *out);
	if (!x)
		return al_errf(why, AL_E_NOENT, "no message %" PRIu64 " of that feed in the log", seq);
	if (!f->read)
		return al_errf(why, AL_E_INVAL, "no log to read the record at offset %" PRIu64
			       " from", slot_offset(x));
	uint8_t *buf;
	size_t len;
	int rc = f->read(f->read_arg, slot_offset(x), &buf, &len, why);
	if (rc == AL_OK) {
		rc = envelope_body(buf, len, out, why);
		free(buf);
	}
	return rc;
}

bool feeds_may_hold(const struct al_feeds *f, const al_key *author, uint64_t seq,
		    const al_hash *h)
{
	const struct slot *x = held(f, author, seq, NULL);
	return x && slot_prefix(x) == hash_prefix(h->b);
}

/* Do a and b hold the same message at seq (both hold it)? 1, 0 or an error. */
static int same(const struct al_feeds *a, const struct feed *x, const struct al_feeds *b,
		const struct feed *y, uint64_t seq, char *why)
{
	if (!seq)
		return 1;
	if (slot_prefix(slot(x, seq)) != slot_prefix(slot(y, seq)))
		return 0;
	al_hash hx, hy;
	int rc = full_hash(a, x, seq, &hx, why);
	if (rc == AL_OK)
		rc = full_hash(b, y, seq, &hy, why);
	return rc ? rc : !memcmp(&hx, &hy, AL_HASHLEN);
}

int feeds_diverge(const struct al_feeds *a, const struct al_feeds *b, const al_key *author,
		  uint64_t upto, uint64_t *seq, char *why)
{
	const struct feed *x = find(a, author), *y = find(b, author);
	*seq = 0;
	if (!upto)
		return AL_OK;
	if (!x || !y || upto > x->n || upto > y->n)
		return al_errf(why, AL_E_INVAL, "feeds: %" PRIu64 " messages are not held in both",
			       upto);
	/* The same message at s means the same at every seq before it: the
	 * first prefix that differs bounds the first difference, and the
	 * messages before it are the same if the one just before it is. */
	uint64_t hi = 1;
	while (hi <= upto && slot_prefix(slot(x, hi)) == slot_prefix(slot(y, hi)))
		hi++;
	/* Same through lo, different at hi (or none held differs: hi = upto + 1). */
	uint64_t lo = hi - 1;
	int rc = same(a, x, b, y, lo, why);
	if (rc < 0)
		return rc;
	if (!rc) { /* prefixes that collide: look for the first difference */
		hi = lo;
		lo = 0;
		while (hi - lo > 1) {
			uint64_t mid = lo + (hi - lo) / 2;
			if ((rc = same(a, x, b, y, mid, why)) < 0)
				return rc;
			*(rc ? &lo : &hi) = mid;
		}
	}
	*seq = hi <= upto ? hi : 0;
	return AL_OK;
}

uint64_t feeds_count(const struct al_feeds *f)
{
	return f->count;
}

uint64_t feeds_bytes(const struct al_feeds *f)
{
	uint64_t n = sizeof *f + f->cap * sizeof *f->v;
	for (size_t i = 0; i < f->n; i++) {
		const struct feed *fd = &f->v[i];
		n += fd->cap_blk * sizeof *fd->blk;
		if (fd->n_blk)
			n += (fd->cap0 + (fd->n_blk - 1) * (uint64_t)FEEDS_BLOCK) * sizeof(struct slot);
	}
	return n;
}

/* Room for fd's entry number i + 1 (0-based i = fd->n). */
static int room(struct feed *fd, size_t i)
{
	size_t b = i / FEEDS_BLOCK;
	if (b == 0) { /* the first block grows, so that a small feed stays small */
		if (!fd->n_blk && grow(&fd->blk, &fd->cap_blk, 1, sizeof *fd->blk))
			return AL_E_NOMEM;
		if (!fd->n_blk)
			fd->blk[fd->n_blk++] = NULL;
		return grow(&fd->blk[0], &fd->cap0, i + 1, sizeof **fd->blk);
	}
	if (b < fd->n_blk)
		return AL_OK;
	if (grow(&fd->blk, &fd->cap_blk, b + 1, sizeof *fd->blk) ||
	    !(fd->blk[b] = malloc(FEEDS_BLOCK * sizeof **fd->blk)))
		return AL_E_NOMEM;
	fd->n_blk++;
	return AL_OK;
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
	if (seq != fd->n + 1 || e->offset >= FEEDS_MAX_OFFSET || (unsigned)e->kind > 0xff)
		return AL_E_INVAL;
	if (room(fd, fd->n))
		return AL_E_NOMEM;
	struct slot *x = slot(fd, ++fd->n);
	x->v = slot_value(e->offset, e->kind, e->hash.b);
	fd->head = *e;
	f->count++;
	return AL_OK;
}

int feeds_truncate(struct al_feeds *f, const al_key *author, uint64_t seq,
		   const struct al_feed_entry *head)
{
	struct feed *fd = find(f, author);
	uint64_t n = fd ? fd->n : 0;
	if (seq > n || !seq != !head)
		return AL_E_INVAL;
	if (seq && slot(fd, seq)->v != slot_value(head->offset, head->kind, head->hash.b))
		return AL_E_INVAL;
	if (fd) {
		f->count -= n - seq;
		fd->n = (size_t)seq;
		if (head)
			fd->head = *head;
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
		e->hash = f->v[i].head.hash;
	}
	qsort(*out, (size_t)n, sizeof **out, cmp_entry);
	return n;
}

/* ------------------------------------------------------------ checkpoints */

static int save_head(struct al_ckpt_writer *w, const struct al_feed_entry *e)
{
	int rc;
	if ((rc = ckpt_put_u64(w, e->index)) || (rc = ckpt_put_u64(w, e->offset)) ||
	    (rc = ckpt_put(w, e->hash.b, AL_HASHLEN)) ||
	    (rc = ckpt_put_u64(w, (uint64_t)e->timestamp)))
		return rc;
	return ckpt_put_u32(w, (uint32_t)e->kind);
}

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
		for (size_t k = 1; k < fd->n && rc == AL_OK; k++)
			rc = ckpt_put_u64(w, slot(fd, k)->v);
		if (rc == AL_OK)
			rc = save_head(w, &fd->head);
	}
	return rc;
}

#define ENTRY_BYTES 8
#define HEAD_BYTES (8 + 8 + AL_HASHLEN + 8 + 4)

int feeds_load(struct al_feeds *f, struct al_ckpt_reader *r, uint64_t records,
	       uint64_t size, char *why)
{
	uint32_t n = ckpt_get_u32(r);
	if (r->bad || n > r->left / (AL_KEYLEN + 8 + HEAD_BYTES))
		return al_errf(why, AL_E_PARSE, "feeds section: %" PRIu32 " feeds do not fit", n);
	for (uint32_t i = 0; i < n; i++) {
		al_key author;
		ckpt_get(r, author.b, AL_KEYLEN);
		uint64_t len = ckpt_get_u64(r);
		if (r->bad || len == 0 || r->left < HEAD_BYTES ||
		    len - 1 > (r->left - HEAD_BYTES) / ENTRY_BYTES)
			return al_errf(why, AL_E_PARSE, "feeds section: feed %" PRIu32 " is cut short", i);
		if (find(f, &author))
			return al_errf(why, AL_E_PARSE, "feeds section: feed %" PRIu32 " twice", i);
		for (uint64_t k = 1; k <= len; k++) {
			struct al_feed_entry e;
			memset(&e, 0, sizeof e);
			uint64_t kind;
			if (k < len) {
				struct slot x = { ckpt_get_u64(r) };
				e.offset = slot_offset(&x);
				kind = slot_kind(&x);
				e.hash.b[0] = (uint8_t)slot_prefix(&x);
				e.hash.b[1] = (uint8_t)(slot_prefix(&x) >> 8);
			} else {
				e.index = ckpt_get_u64(r);
				e.offset = ckpt_get_u64(r);
				ckpt_get(r, e.hash.b, AL_HASHLEN);
				e.timestamp = (int64_t)ckpt_get_u64(r);
				kind = ckpt_get_u32(r);
			}
			if (e.index >= records || e.offset < AL_LOG_HEADER_LEN ||
			    e.offset + AL_LOG_FRAME >= size || kind >= AL_KIND_COUNT)
				return al_errf(why, AL_E_PARSE, "feeds section: entry %" PRIu64 " of feed %"
					       PRIu32 " is outside the log it covers", k, i);
			e.kind = (enum al_kind)kind;
			int rc = feeds_add(f, &author, k, &e);
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
		for (size_t k = 1; k <= x->n; k++) {
			const struct slot *e = slot(x, k), *g = slot(y, k);
			if (e->v != g->v)
				return al_errf(why, AL_E_INVAL, "feeds: feed %zu entry %zu differs", i, k);
		}
		const struct al_feed_entry *e = &x->head, *g = &y->head;
		if (x->n && (e->index != g->index || e->offset != g->offset ||
			     memcmp(&e->hash, &g->hash, AL_HASHLEN) || e->timestamp != g->timestamp ||
			     e->kind != g->kind))
			return al_errf(why, AL_E_INVAL, "feeds: feed %zu head %zu differs", i, x->n);
	}
	return AL_OK;
}

int feeds_each(const struct al_feeds *f,
	       int (*fn)(void *arg, const al_key *author, uint64_t seq, uint64_t offset,
			 enum al_kind kind, const uint8_t *prefix,
			 const struct al_feed_entry *head),
	       void *arg)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct feed *fd = &f->v[i];
		for (size_t k = 1; k <= fd->n; k++) {
			const struct slot *x = slot(fd, k);
			uint8_t prefix[FEEDS_PREFIX] = { (uint8_t)slot_prefix(x),
							 (uint8_t)(slot_prefix(x) >> 8) };
			int rc = fn(arg, &fd->author, k, slot_offset(x), slot_kind(x), prefix,
				    k == fd->n ? &fd->head : NULL);
			if (rc)
				return rc;
		}
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
	 * a relayed copy, harmless, and not worth a signature check. Held
	 * before the head, its stored prefix is confirmed from the log
	 * (feeds_holds); not confirmed (no log, a read error): neither a
	 * duplicate nor an equivocation (below). */
	char err[AL_ERRLEN] = "";
	int held = feeds_holds(f, &b->author, b->seq, &env->hash, err);
	if (held == 1)
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
	if (b->seq <= head && held < 0)
		return reject(why, AL_R_UNREADABLE,
			      "%s/%" PRIu64 ": a message with this author and sequence number is held, "
			      "but could not be read to compare: %s", name, b->seq, err);
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
