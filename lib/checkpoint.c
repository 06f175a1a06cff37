/* checkpoint.c: a store's derived state saved and checked; see checkpoint.h. */
#include "checkpoint.h"
#include "ledger.h"
#include "envelope.h"
#include "file.h"
#include "grow.h"
#include "key.h"
#include "log.h"
#include "roster.h"
#include "store.h"
#include "when.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* magic, u32 version, u32 reserved, alliance id, u64 records, u64 size,
 * u64 offset of the last record, its hash, i64 time written. */
#define HEADER_LEN (AL_CKPT_MAGIC_LEN + 4 + 4 + AL_HASHLEN + 8 + 8 + 8 + AL_HASHLEN + 8)
#define SUM_LEN 32
#define SECTION_HEAD (4 + 8)

/* ------------------------------------------------------------ bytes */

struct al_ckpt_writer {
	int fd; /* -1: only count the bytes */
	uint64_t bytes;
	crypto_generichash_state h;
	size_t n;
	uint8_t buf[1 << 16];
};

/* Write out the buffer as it is. */
static int flush(struct al_ckpt_writer *w)
{
	size_t done = 0;
	while (done < w->n) {
		ssize_t k = write(w->fd, w->buf + done, w->n - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return file_err(k < 0 ? errno : ENOSPC);
		done += (size_t)k;
	}
	w->n = 0;
	return AL_OK;
}

/* Hash the buffer and write it out. Hashing whole buffers, not each
 * field as it is put, keeps the per-field cost of a write to a memcpy: a
 * checkpoint puts five fields a record. */
static int drain(struct al_ckpt_writer *w)
{
	crypto_generichash_update(&w->h, w->buf, w->n);
	return flush(w);
}

int ckpt_put(struct al_ckpt_writer *w, const void *p, size_t n)
{
	w->bytes += n;
	if (w->fd < 0)
		return AL_OK;
	if (n < sizeof w->buf - w->n) { /* fits, and the buffer is not full after */
		memcpy(w->buf + w->n, p, n);
		w->n += n;
		return AL_OK;
	}
	const uint8_t *b = p;
	while (n) {
		size_t k = sizeof w->buf - w->n < n ? sizeof w->buf - w->n : n;
		memcpy(w->buf + w->n, b, k);
		w->n += k;
		b += k;
		n -= k;
		int rc = w->n == sizeof w->buf ? drain(w) : AL_OK;
		if (rc)
			return rc;
	}
	return AL_OK;
}

int ckpt_put_u32(struct al_ckpt_writer *w, uint32_t v)
{
	uint8_t b[4];
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> 8 * i);
	return ckpt_put(w, b, sizeof b);
}

int ckpt_put_u64(struct al_ckpt_writer *w, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> 8 * i);
	return ckpt_put(w, b, sizeof b);
}

void ckpt_get(struct al_ckpt_reader *r, void *out, size_t n)
{
	if (r->bad || r->left < n) {
		r->bad = true;
		r->left = 0;
		memset(out, 0, n);
		return;
	}
	memcpy(out, r->p, n);
	r->p += n;
	r->left -= n;
	if (r->map)
		log_drop_behind(r->map, (uint64_t)(r->p - r->map), &r->dropped);
}

uint32_t ckpt_get_u32(struct al_ckpt_reader *r)
{
	uint8_t b[4];
	ckpt_get(r, b, sizeof b);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

uint64_t ckpt_get_u64(struct al_ckpt_reader *r)
{
	uint8_t b[8];
	uint64_t v = 0;
	ckpt_get(r, b, sizeof b);
	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

/* ------------------------------------------------------------ writing */

static int path_of(const struct al_store *s, const char *suffix, char *buf, size_t n)
{
	return snprintf(buf, n, "%s/%s%s", s->dir, AL_CKPT_FILE, suffix) >= (int)n ? AL_E_INVAL
										    : AL_OK;
}

/* The head whose record is the log's last (the last appended is its
 * author's latest). */
struct last {
	uint64_t index;
	const struct al_feed_entry *e;
};

static int find_last(void *arg, const al_key *author, uint64_t seq, uint64_t offset,
		     enum al_kind kind, const uint8_t *prefix, const struct al_feed_entry *head)
{
	(void)author;
	(void)seq;
	(void)offset;
	(void)kind;
	(void)prefix;
	struct last *l = arg;
	if (head && head->index == l->index)
		l->e = head;
	return l->e != NULL; /* found: stop */
}

static int save(enum al_ckpt_tag tag, const struct al_store *s, struct al_ckpt_writer *w)
{
	switch (tag) {
	case AL_CKPT_FEEDS: return feeds_save(s->feeds, w);
	case AL_CKPT_IDEM: return idem_save(s->keys, w);
	case AL_CKPT_LEDGER: return ledger_save(s->ledger, w);
	}
	return AL_E_INVAL;
}

static int section(struct al_ckpt_writer *w, enum al_ckpt_tag tag, const struct al_store *s)
{
	/* The length first: count the payload, then write it. */
	struct al_ckpt_writer *counter = calloc(1, sizeof *counter);
	if (!counter)
		return AL_E_NOMEM;
	counter->fd = -1;
	int rc = save(tag, s, counter);
	uint64_t len = counter->bytes;
	free(counter);
	if (rc == AL_E_INVAL && tag == AL_CKPT_LEDGER)
		return AL_OK; /* a ledger that cannot be saved (made for other members): none */
	if (rc == AL_OK)
		rc = ckpt_put_u32(w, tag);
	if (rc == AL_OK)
		rc = ckpt_put_u64(w, len);
	if (rc == AL_OK)
		rc = save(tag, s, w);
	return rc;
}

int checkpoint_write(struct al_store *s, int64_t now, char *why)
{
	char path[4096], tmp[4096];
	uint64_t records = log_records(s->log), size = log_size(s->log);
	if (log_durable(s->log) != size)
		return al_errf(why, AL_E_INVAL, "no checkpoint of '%s': records not yet durable",
			       s->dir);
	if (records == 0)
		return AL_OK;
	struct last last = { records - 1, NULL };
	feeds_each(s->feeds, find_last, &last);
	if (!last.e)
		return al_errf(why, AL_E_INVAL, "no checkpoint of '%s': record %" PRIu64 " is not "
			       "indexed", s->dir, records - 1);
	if (path_of(s, "", path, sizeof path) || path_of(s, ".tmp", tmp, sizeof tmp))
		return al_errf(why, AL_E_INVAL, "path too long: '%s'", s->dir);
	/* The ledger of everything, rebuilt now if it was dropped (a change of
	 * membership): the next query would rebuild it anyway. Without one
	 * (the log unreadable), the checkpoint goes without it. */
	struct al_ledger *l;
	char err[AL_ERRLEN];
	(void)store_ledger(s, &l, err);
	struct al_ckpt_writer *w = calloc(1, sizeof *w);
	if (!w)
		return AL_E_NOMEM;
	int rc = AL_OK;
	w->fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (w->fd < 0) {
		rc = al_errf(why, file_err(errno), "cannot write '%s': %s", tmp, strerror(errno));
		free(w);
		return rc;
	}
	crypto_generichash_init(&w->h, NULL, 0, SUM_LEN);
	uint8_t sum[SUM_LEN];
	if ((rc = ckpt_put(w, AL_CKPT_MAGIC, AL_CKPT_MAGIC_LEN)) ||
	    (rc = ckpt_put_u32(w, AL_CKPT_VERSION)) || (rc = ckpt_put_u32(w, 0)) ||
	    (rc = ckpt_put(w, s->charter->id.b, AL_HASHLEN)) || (rc = ckpt_put_u64(w, records)) ||
	    (rc = ckpt_put_u64(w, size)) || (rc = ckpt_put_u64(w, last.e->offset)) ||
	    (rc = ckpt_put(w, last.e->hash.b, AL_HASHLEN)) ||
	    (rc = ckpt_put_u64(w, (uint64_t)now)) || (rc = section(w, AL_CKPT_FEEDS, s)) ||
	    (rc = section(w, AL_CKPT_IDEM, s)) ||
	    /* The ledger when the store holds one of everything (not while
	     * one dropped waits to be rebuilt): a start then replays it too. */
	    (s->ledger && (rc = section(w, AL_CKPT_LEDGER, s))))
		goto fail;
	if ((rc = drain(w)))
		goto fail;
	crypto_generichash_final(&w->h, sum, SUM_LEN);
	/* The checksum is not part of what it sums: written, not hashed. */
	memcpy(w->buf, sum, SUM_LEN);
	w->n = SUM_LEN;
	if ((rc = flush(w)))
		goto fail;
	if (file_fsync(w->fd) < 0) {
		rc = AL_E_FSYNC;
		goto fail;
	}
	if (close(w->fd) < 0) {
		w->fd = -1;
		rc = file_err(errno);
		goto fail;
	}
	w->fd = -1;
	if (rename(tmp, path) < 0) {
		rc = file_err(errno);
		goto fail;
	}
	free(w);
	if ((rc = file_sync_dir(path, 0, why)))
		return rc;
	s->ckpt.written = records;
	s->ckpt.written_at = now;
	return AL_OK;
fail:
	al_errf(why, rc, "cannot write the checkpoint '%s': %s (the previous one stays)", tmp,
		rc == AL_E_NOMEM ? "out of memory" : errno ? strerror(errno) : al_strerror(rc));
	if (w->fd >= 0)
		close(w->fd);
	unlink(tmp);
	free(w);
	return rc;
}

int checkpoint_due(struct al_store *s, int64_t now, char *why)
{
	uint64_t n = log_records(s->log);
	if (n <= s->ckpt.written || log_durable(s->log) != log_size(s->log))
		return AL_OK;
	if (n - s->ckpt.written < AL_CKPT_EVERY_RECORDS && now - s->ckpt.written_at < AL_CKPT_EVERY_MS)
		return AL_OK;
	int rc = checkpoint_write(s, now, why);
	if (rc)
		s->ckpt.written_at = now; /* try again after the interval, not at once */
	return rc;
}

/* ------------------------------------------------------------ loading */

/* A record of the log the checkpoint vouches for, checked as the log is
 * scanned: every amendment (noted again into the roster), every feed's
 * head, the last record covered. By offset (records are in offset order):
 * the index keeps no record number but the heads'. A head's and the last
 * record's full hash is known; an older amendment's, only the prefix the
 * index keeps, with its author and seq (checked in the record itself). */
struct check {
	uint64_t offset;
	al_hash hash;
	size_t hash_len; /* AL_HASHLEN, or FEEDS_PREFIX */
	bool amendment;
	al_key author;
	uint64_t seq;
};

struct al_ckpt_scan {
	uint64_t records, size;
	struct check *v;
	size_t n, cap, next;
	/* The ledger section, read once the scan has noted every amendment
	 * it covers (ledger_from_checkpoint): where it is in the file, which
	 * stays open until then (fd; -1 once read, or with no ledger section).
	 * Not copied: a copy would be held beside the ledger built from it. */
	bool ledger;
	uint64_t ledger_at, ledger_len, file_size;
	int fd;
};

static int plan_entry(void *arg, const al_key *author, uint64_t seq, uint64_t offset,
		      enum al_kind kind, const uint8_t *prefix, const struct al_feed_entry *head)
{
	struct al_ckpt_scan *sc = arg;
	bool amendment = kind == AL_KIND_AMENDMENT;
	if (!head && !amendment)
		return AL_OK;
	if (grow(&sc->v, &sc->cap, sc->n + 1, sizeof *sc->v))
		return AL_E_NOMEM;
	struct check *c = &sc->v[sc->n++];
	memset(c, 0, sizeof *c);
	c->offset = offset;
	if (head)
		c->hash = head->hash;
	else
		memcpy(c->hash.b, prefix, FEEDS_PREFIX);
	c->hash_len = head ? AL_HASHLEN : FEEDS_PREFIX;
	c->amendment = amendment;
	c->author = *author;
	c->seq = seq;
	return AL_OK;
}

static int by_offset(const void *a, const void *b)
{
	const struct check *x = a, *y = b;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* m: a read-only private mapping of the file (its pages are dropped as
 * they are passed), size bytes. */
static int parse(struct al_store *s, const uint8_t *m, size_t size, struct al_ckpt_scan *sc,
		 char *why)
{
	uint8_t sum[SUM_LEN];
	if (size < HEADER_LEN + SUM_LEN)
		return al_errf(why, AL_E_PARSE, "it is cut short (%zu bytes)", size);
	crypto_generichash_state h;
	uint64_t dropped = 0;
	crypto_generichash_init(&h, NULL, 0, SUM_LEN);
	for (size_t at = 0, k; at < size - SUM_LEN; at += k) {
		k = size - SUM_LEN - at < ((size_t)1 << 20) ? size - SUM_LEN - at : (size_t)1 << 20;
		crypto_generichash_update(&h, m + at, k);
		log_drop_behind(m, at + k, &dropped);
	}
	crypto_generichash_final(&h, sum, SUM_LEN);
	if (memcmp(sum, m + size - SUM_LEN, SUM_LEN))
		return al_errf(why, AL_E_PARSE, "its checksum does not match (torn or corrupt)");
	struct al_ckpt_reader r = { m, size - SUM_LEN, false, m, 0 };
	uint8_t magic[AL_CKPT_MAGIC_LEN];
	al_hash id, last_hash;
	ckpt_get(&r, magic, sizeof magic);
	uint32_t version = ckpt_get_u32(&r);
	ckpt_get_u32(&r);
	ckpt_get(&r, id.b, AL_HASHLEN);
	sc->records = ckpt_get_u64(&r);
	sc->size = ckpt_get_u64(&r);
	uint64_t last_offset = ckpt_get_u64(&r);
	ckpt_get(&r, last_hash.b, AL_HASHLEN);
	int64_t written_at = (int64_t)ckpt_get_u64(&r);
	if (memcmp(magic, AL_CKPT_MAGIC, sizeof magic))
		return al_errf(why, AL_E_PARSE, "it is not a checkpoint (bad magic)");
	if (version != AL_CKPT_VERSION)
		return al_errf(why, AL_E_PARSE, "it has format version %" PRIu32 "; this build reads "
			       "version %d", version, AL_CKPT_VERSION);
	if (memcmp(&id, &s->charter->id, AL_HASHLEN))
		return al_errf(why, AL_E_PARSE, "it is another alliance's");
	if (sc->records == 0 || sc->size <= AL_LOG_HEADER_LEN)
		return al_errf(why, AL_E_PARSE, "it covers no record");
	bool feeds = false, keys = false;
	while (r.left) {
		uint32_t tag = ckpt_get_u32(&r);
		uint64_t len = ckpt_get_u64(&r);
		if (r.bad || len > r.left)
			return al_errf(why, AL_E_PARSE, "section %" PRIu32 " is cut short", tag);
		struct al_ckpt_reader sub = { r.p, (size_t)len, false, m, r.dropped };
		uint64_t at = (uint64_t)(r.p - m);
		r.p += len;
		r.left -= len;
		int rc = AL_OK;
		if (tag == AL_CKPT_FEEDS && !feeds) {
			feeds = true;
			rc = feeds_load(s->feeds, &sub, sc->records, sc->size, why);
		} else if (tag == AL_CKPT_IDEM && !keys) {
			keys = true;
			rc = idem_load(s->keys, &sub, why);
		} else if (tag == AL_CKPT_LEDGER && !sc->ledger) {
			/* Read once the members are as it covers them (checkpoint_record). */
			sc->ledger = true;
			sc->ledger_at = at;
			sc->ledger_len = len;
			continue;
		} else if (tag == AL_CKPT_FEEDS || tag == AL_CKPT_IDEM || tag == AL_CKPT_LEDGER) {
			return al_errf(why, AL_E_PARSE, "section %" PRIu32 " comes twice", tag);
		} else {
			continue; /* not this version's (the ledger's, say): skipped */
		}
		if (sub.dropped > r.dropped)
			r.dropped = sub.dropped;
		if (rc)
			return rc;
		if (sub.bad || sub.left)
			return al_errf(why, AL_E_PARSE, "section %" PRIu32 " has %zu bytes too many", tag,
				       sub.left);
	}
	if (!feeds || !keys)
		return al_errf(why, AL_E_PARSE, "it lacks its %s section", feeds ? "keys" : "feeds");
	int rc = feeds_each(s->feeds, plan_entry, sc);
	if (rc == AL_OK && grow(&sc->v, &sc->cap, sc->n + 1, sizeof *sc->v))
		rc = AL_E_NOMEM;
	if (rc)
		return rc;
	sc->v[sc->n++] = (struct check){ .offset = last_offset, .hash = last_hash,
					 .hash_len = AL_HASHLEN };
	qsort(sc->v, sc->n, sizeof *sc->v, by_offset);
	s->ckpt.covered = sc->records;
	s->ckpt.written = sc->records;
	s->ckpt.written_at = written_at;
	sc->file_size = size;
	return AL_OK;
}

static void scan_free(struct al_ckpt_scan *sc)
{
	if (sc) {
		free(sc->v);
		if (sc->fd >= 0)
			close(sc->fd);
	}
	free(sc);
}

int checkpoint_load(struct al_store *s, char *why)
{
	char path[4096], err[AL_ERRLEN] = "";
	if (path_of(s, "", path, sizeof path))
		return al_errf(why, AL_E_INVAL, "path too long: '%s'", s->dir);
	int fd;
	struct stat st;
	int rc = file_open_regular(path, O_NOFOLLOW, &fd, &st, err);
	if (rc == AL_E_NOENT)
		return rc;
	struct al_ckpt_scan *sc = NULL;
	const uint8_t *m = MAP_FAILED;
	size_t size = rc ? 0 : (size_t)st.st_size;
	if (rc == AL_OK && size &&
	    (m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED)
		rc = al_errf(err, AL_E_IO, "cannot map it: %s", strerror(errno));
	if (rc == AL_OK && !(sc = calloc(1, sizeof *sc)))
		rc = AL_E_NOMEM;
	if (sc)
		sc->fd = -1;
	if (rc == AL_OK)
		rc = parse(s, m == MAP_FAILED ? (const uint8_t *)"" : m, size, sc, err);
	if (m != MAP_FAILED)
		munmap((void *)m, size);
	/* Kept open for the ledger section: this very file is read later,
	 * whatever replaces it by then (a checkpoint is written by rename). */
	if (rc == AL_OK && sc->ledger) {
		sc->fd = fd;
		fd = -1;
	}
	if (fd >= 0)
		close(fd);
	if (rc) {
		scan_free(sc);
		s->ckpt.covered = s->ckpt.written = 0;
		return al_errf(why, rc, "checkpoint '%s' not used: %s", path,
			       rc == AL_E_NOMEM ? "out of memory" : err);
	}
	s->ckpt_scan = sc;
	return AL_OK;
}

static int misfit(struct al_store *s, const char *fmt, uint64_t index, uint64_t offset)
{
	char what[200];
	snprintf(what, sizeof what, fmt, index, offset);
	al_errf(s->ckpt.warning, AL_E_CORRUPT, "checkpoint '%s/%s' not used: %s (a log restored "
		"from an older backup, or replaced?)", s->dir, AL_CKPT_FILE, what);
	return AL_E_CORRUPT;
}

/* Once the scan has reached the last record the checkpoint covers (its
 * amendments noted: the members are as the ledger was saved with them),
 * the ledger it holds, read from the file checkpoint_load checked and kept
 * open, through a mapping of its section alone whose pages are dropped as
 * they are read: the ledger is built holding about 4 MB of the section.
 * One that does not load (another format version, damage the checksum
 * missed, members that differ, the file cut since) leaves s->ledger NULL:
 * store_ledger rebuilds it from the log, and the reason is kept. */
static void ledger_from_checkpoint(struct al_store *s)
{
	struct al_ckpt_scan *sc = s->ckpt_scan;
	char why[AL_ERRLEN];
	if (!sc->ledger || sc->fd < 0)
		return;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), start = sc->ledger_at / page * page;
	size_t len = (size_t)(sc->ledger_at - start + sc->ledger_len);
	struct stat st;
	void *m = MAP_FAILED;
	int rc = AL_OK;
	ledger_destroy(&s->ledger);
	/* The section is followed by at least the checksum: len > 0, and a
	 * file cut since (by hand: a new one is renamed in) is not mapped. */
	if (fstat(sc->fd, &st) < 0 || (uint64_t)st.st_size != sc->file_size)
		rc = al_errf(why, AL_E_IO, "the file changed size since it was checked");
	else if ((m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, sc->fd, (off_t)start)) == MAP_FAILED)
		rc = al_errf(why, AL_E_IO, "cannot map its ledger section: %s", strerror(errno));
	if (rc == AL_OK) {
		struct al_ckpt_reader r = { (const uint8_t *)m + (sc->ledger_at - start),
					    (size_t)sc->ledger_len, false, m, 0 };
		rc = ledger_load(store_roster(s), &r, &s->ledger, why);
		if (rc == AL_OK && (r.bad || r.left))
			rc = al_errf(why, AL_E_PARSE, "the ledger section has %zu bytes too many",
				     r.left);
	}
	if (m != MAP_FAILED)
		munmap(m, len);
	close(sc->fd);
	sc->fd = -1;
	if (rc == AL_OK) {
		s->ckpt.ledger = true;
	} else {
		ledger_destroy(&s->ledger);
		snprintf(s->ckpt.ledger_why, sizeof s->ckpt.ledger_why, "%s", why);
	}
}

int checkpoint_record(struct al_store *s, const struct al_log_rec *r)
{
	struct al_ckpt_scan *sc = s->ckpt_scan;
	if (!sc || r->index >= sc->records)
		return 1;
	if (sc->next < sc->n && sc->v[sc->next].offset < r->offset)
		return misfit(s, "no record starts where it covers one (before record %" PRIu64
			      " at offset %" PRIu64 ")", r->index, r->offset);
	for (; sc->next < sc->n && sc->v[sc->next].offset == r->offset; sc->next++) {
		const struct check *c = &sc->v[sc->next];
		al_hash h;
		key_hash(r->data, r->len, &h);
		if (memcmp(&h, &c->hash, c->hash_len))
			return misfit(s, "record %" PRIu64 " at offset %" PRIu64 " is not the one it "
				      "covers", r->index, r->offset);
		if (!c->amendment)
			continue;
		struct al_envelope e;
		if (envelope_open(r->data, r->len, &e, NULL))
			return misfit(s, "record %" PRIu64 " at offset %" PRIu64 " does not open",
				      r->index, r->offset);
		if (memcmp(&e.b.author, &c->author, AL_KEYLEN) || e.b.seq != c->seq ||
		    e.b.kind != AL_KIND_AMENDMENT) {
			envelope_clear(&e);
			return misfit(s, "record %" PRIu64 " at offset %" PRIu64 " is not the "
				      "amendment it covers", r->index, r->offset);
		}
		int rc = roster_note(store_roster(s), &e.b);
		envelope_clear(&e);
		if (rc)
			return rc;
	}
	if (r->index == sc->records - 1 && r->offset + AL_LOG_FRAME + r->len != sc->size)
		return misfit(s, "record %" PRIu64 " at offset %" PRIu64 " does not end where it "
			      "covers", r->index, r->offset);
	if (r->index == sc->records - 1)
		ledger_from_checkpoint(s);
	return 0;
}

int checkpoint_check(struct al_store *s)
{
	struct al_ckpt_scan *sc = s->ckpt_scan;
	if (sc && (sc->next < sc->n || log_records(s->log) < sc->records))
		return misfit(s, "the log holds %" PRIu64 " records, fewer than it covers (%" PRIu64
			      ")", log_records(s->log), sc->records);
	return AL_OK;
}

void checkpoint_forget(struct al_store *s)
{
	scan_free(s->ckpt_scan);
	s->ckpt_scan = NULL;
}

/* ------------------------------------------------------------ equality */

struct keyed {
	struct al_store *a, *b;
	char *why;
	int rc;
};

static bool finds(const struct al_idem *ix, const al_key *author, const char *key, uint64_t seq)
{
	size_t cursor = 0;
	uint64_t q;
	while ((q = idem_next(ix, author, key, &cursor)))
		if (q == seq)
			return true;
	return false;
}

static int each_keyed(void *arg, const struct al_log_rec *r)
{
	struct keyed *k = arg;
	struct al_envelope e;
	int rc = envelope_open(r->data, r->len, &e, k->why);
	if (rc)
		return rc;
	if (*e.b.key && !(finds(k->a->keys, &e.b.author, e.b.key, e.b.seq) &&
			  finds(k->b->keys, &e.b.author, e.b.key, e.b.seq)))
		rc = al_errf(k->why, AL_E_INVAL, "keys: record %" PRIu64 "'s key '%s' is not found "
			     "in both", r->index, e.b.key);
	envelope_clear(&e);
	return rc;
}

int checkpoint_compare(struct al_store *a, struct al_store *b, char *why)
{
	int rc = feeds_compare(a->feeds, b->feeds, why);
	if (rc == AL_OK)
		rc = roster_compare(store_roster(a), store_roster(b), why);
	if (rc == AL_OK && idem_count(a->keys) != idem_count(b->keys))
		rc = al_errf(why, AL_E_INVAL, "keys: %zu against %zu", idem_count(a->keys),
			     idem_count(b->keys));
	if (rc == AL_OK && (log_records(a->log) != log_records(b->log) ||
			    log_size(a->log) != log_size(b->log)))
		rc = al_errf(why, AL_E_INVAL, "logs: %" PRIu64 " records against %" PRIu64,
			     log_records(a->log), log_records(b->log));
	/* The keys are hashed under each index's own secret: compare what
	 * they answer for every keyed message of the log. */
	struct keyed k = { a, b, why, AL_OK };
	if (rc == AL_OK)
		rc = log_scan(log_path(a->log), each_keyed, NULL, &k, why);
	return rc;
}

/* ------------------------------------------------------------ in memory */

int ckpt_write_mem(int (*fn)(void *arg, struct al_ckpt_writer *w), void *arg, uint8_t **out,
		   size_t *len)
{
	struct al_ckpt_writer *w = calloc(1, sizeof *w);
	int rc = AL_OK;
	*out = NULL;
	*len = 0;
	if (!w)
		return AL_E_NOMEM;
	if ((w->fd = memfd_create("ckpt", MFD_CLOEXEC)) < 0) {
		rc = file_err(errno);
		free(w);
		return rc;
	}
	crypto_generichash_init(&w->h, NULL, 0, SUM_LEN);
	if ((rc = fn(arg, w)) == AL_OK && (rc = drain(w)) == AL_OK &&
	    !(*out = malloc(w->bytes ? w->bytes : 1)))
		rc = AL_E_NOMEM;
	for (size_t done = 0; rc == AL_OK && done < w->bytes;) {
		ssize_t k = pread(w->fd, *out + done, w->bytes - done, (off_t)done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			rc = file_err(k < 0 ? errno : EIO);
		else
			done += (size_t)k;
	}
	if (rc == AL_OK) {
		*len = w->bytes;
	} else {
		free(*out);
		*out = NULL;
	}
	close(w->fd);
	free(w);
	return rc;
}
