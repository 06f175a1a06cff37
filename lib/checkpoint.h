/* checkpoint.h: a validated cache of a store's derived state.
 *
 * Opening a store replays its whole log to rebuild what it derives: the
 * feeds index, the idempotency keys, the members as the log amended them.
 * A checkpoint (DIR/checkpoint, docs/log-format.md) saves the first two
 * as they stood after the log's first R records, so that store_open
 * replays only the records after them. It is a cache, never a source of
 * truth: opening checks it against the log (its alliance, the log holds
 * its R records, and the last one and every feed's head are at the
 * offsets it names and hash as it records; every amendment it covers is
 * at its offset, by its author at its seq, with the 8-byte hash prefix
 * the feeds index keeps), and
 * anything wrong with it (torn, corrupt, foreign, another version, newer
 * than the log after a restore from backup) is a warning and a full
 * replay, never a wrong state. An older checkpoint is fine: more is
 * replayed. The audit never reads one.
 *
 * Membership is not saved as such: the amendments the checkpoint covers
 * are read back from the log while it is scanned (they are few, the feeds
 * index says which records they are) and noted again in log order, so it
 * is what a full replay makes by construction (member indices included).
 *
 * File: a header (magic, version, alliance id, records and bytes of the
 * log covered, offset and hash of the last record covered, time written),
 * sections (tag, length, payload: feeds, idempotency keys; unknown tags are
 * skipped, which is the extension point for the ledger's state), and a
 * BLAKE2b-256 checksum of everything before it. Written to
 * DIR/checkpoint.tmp, fsynced, renamed, the directory fsynced.
 *
 * Cost: about 16 bytes a record on disk and in the write (feeds) plus 16
 * a keyed message (and the ledger's section); the daemon writes one after a group commit once
 * AL_CKPT_EVERY_RECORDS records or AL_CKPT_EVERY_MS have passed, and at a
 * clean stop. Loading one holds at most about 4 MB of the file at a time
 * (its checksum and sections read through a mapping whose passed pages are
 * dropped: log_drop_behind), and the ledger section is not copied: the
 * file stays open until the scan has passed what it covers, when that
 * section alone is mapped and the ledger built from it in place. So a
 * restart peaks a few MB over what the daemon then holds (84 MB against
 * 78 at 1M messages; 147 when the section was copied).
 */
#ifndef AL_CHECKPOINT_H
#define AL_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define AL_CKPT_FILE "checkpoint"
#define AL_CKPT_MAGIC "alliance-ckpt\n\0\0"
#define AL_CKPT_MAGIC_LEN 16
#define AL_CKPT_VERSION 3

/* Sections. A reader skips a tag it does not know; a section whose
 * meaning changes gets a new tag. The ledger's state (issue 11, point 1)
 * goes in AL_CKPT_LEDGER, whose payload begins with its own u32 version:
 * a reader that finds none, or a version it does not know, replays the
 * ledger from the log. */
enum al_ckpt_tag {
	AL_CKPT_FEEDS = 1, /* feeds_save */
	AL_CKPT_IDEM = 2,  /* idem_save */
	AL_CKPT_LEDGER = 3 /* ledger_save: the incremental ledger's whole state */
};

/* The daemon's policy: a checkpoint after a group commit once this many
 * records were added since the last one, or this long passed with any
 * added (constants, not configuration). */
#define AL_CKPT_EVERY_RECORDS 20000
#define AL_CKPT_EVERY_MS (60 * 1000)

/* What happened to the checkpoint at open, and since (for status). */
struct al_ckpt_status {
	bool used;            /* the store was opened from it */
	uint64_t covered;     /* records it covered (used) */
	uint64_t replayed;    /* records replayed at open */
	char warning[AL_ERRLEN]; /* why it was not used ("" when used or absent) */
	bool ledger;          /* the ledger came from it too (used) */
	char ledger_why[AL_ERRLEN]; /* why its ledger section was not used ("" if it was,
				     * or there was none: the log was replayed for it) */
	uint64_t written;     /* records the last one written here covers (or loaded) */
	int64_t written_at;   /* ms, when it was written or loaded */
};

/* A writer of a checkpoint's bytes (sections call ckpt_put*). */
struct al_ckpt_writer;
int ckpt_put(struct al_ckpt_writer *w, const void *p, size_t n);
int ckpt_put_u32(struct al_ckpt_writer *w, uint32_t v);
int ckpt_put_u64(struct al_ckpt_writer *w, uint64_t v);

/* For tests and fuzz seeds: run fn with a writer into memory and give what
 * it wrote in *out (malloc'd, the caller's) and *len. Returns fn's error,
 * AL_E_NOMEM or AL_E_IO. */
int ckpt_write_mem(int (*fn)(void *arg, struct al_ckpt_writer *w), void *arg, uint8_t **out,
		   size_t *len);

/* A reader over a section's bytes: a short read sets bad and yields zeros.
 * Over memory, map is NULL and dropped 0 ({ p, left, false, NULL, 0 }). Over a
 * read-only private mapping of the checkpoint file (map: its start), the
 * pages the reader has passed are dropped as it goes (log_drop_behind,
 * dropped: how far), so that loading a section of any size holds at most
 * about 4 MB of the file's pages, not the section. */
struct al_ckpt_reader {
	const uint8_t *p;
	size_t left;
	bool bad;
	const uint8_t *map;
	uint64_t dropped;
};
void ckpt_get(struct al_ckpt_reader *r, void *out, size_t n);
uint32_t ckpt_get_u32(struct al_ckpt_reader *r);
uint64_t ckpt_get_u64(struct al_ckpt_reader *r);

struct al_store;
struct al_log_rec;

/* Write s's checkpoint (every record it holds must be durable: call after
 * store_sync). Returns 0, AL_E_INVAL (records not yet durable), AL_E_NOSPC,
 * AL_E_IO, AL_E_FSYNC (the checkpoint only: not fatal) or AL_E_NOMEM; on
 * any failure the previous checkpoint stays. */
int checkpoint_write(struct al_store *s, int64_t now, char *why);

/* The daemon's hook after a group commit (replies sent): write a
 * checkpoint when the policy above says so. Returns what checkpoint_write
 * returned (0 when none was due). */
int checkpoint_due(struct al_store *s, int64_t now, char *why);

/* For store_open: load DIR/checkpoint into s's empty feeds and keys.
 * Returns 0 (loaded: call checkpoint_record for every record of the log,
 * then checkpoint_check), AL_E_NOENT (none: replay everything), or
 * another error with why (unusable: warn, replay everything; s's feeds
 * and keys may hold part of it and must be made anew). */
int checkpoint_load(struct al_store *s, char *why);

/* For store_open's scan of the log, for each record r in order: 0 when
 * the checkpoint covers r (nothing more to do with it; an amendment is
 * noted into s->charter here), 1 when r comes after it (replay it),
 * AL_E_CORRUPT with s->ckpt.warning set when r shows that the checkpoint
 * does not fit the log (replay everything), or AL_E_NOMEM. */
int checkpoint_record(struct al_store *s, const struct al_log_rec *r);

/* After the scan: 0 when the log held everything the checkpoint covers,
 * otherwise AL_E_CORRUPT with s->ckpt.warning set. */
int checkpoint_check(struct al_store *s);

/* Free what checkpoint_load kept for the scan (store_close does). */
void checkpoint_forget(struct al_store *s);

/* Are a and b the same derived state (feeds, idempotency keys, members)?
 * 0, or AL_E_INVAL with why naming the first difference. For tests: it
 * reads every record of a's log. */
int checkpoint_compare(struct al_store *a, struct al_store *b, char *why);

#endif
