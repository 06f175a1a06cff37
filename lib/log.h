/* log.h: the append-only log file: framed records, group commit, recovery.
 *
 * Format (docs/log-format.md): a 16-byte header "alliance-log-v1\n", then
 * records of [u32 length][u32 CRC-32C of length and payload][payload], little
 * endian. The payload is opaque here (an envelope, or an equivocation proof).
 *
 * Durability: log_append() writes but does not sync; log_sync() makes every
 * record appended so far durable with one fdatasync (group commit). Nothing
 * may be acknowledged before the log_sync() that covers it. A failed fsync
 * puts the log in a failed state (every later append or sync returns
 * AL_E_FAILED): the caller must stop, never retry and carry on. A full
 * disk before the fsync is not fatal: the append fails with AL_E_NOSPC and
 * leaves the file as it was.
 *
 * Recovery: a damaged tail after which no valid record follows is a torn
 * write; so is a damaged record holding zeros where a write never reached
 * the disk (a power loss lost it and kept later, unsynced ones), with all
 * that follows it. log_open() cuts a torn tail and keeps the cut bytes as
 * PATH.OFFSET.broken. Any other damaged record followed by valid ones is
 * corruption: log_open() fails naming the file, record and offset.
 * log_scan() reports both and goes on.
 */
#ifndef AL_LOG_H
#define AL_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AL_LOG_HEADER "alliance-log-v1\n"
#define AL_LOG_HEADER_LEN 16
#define AL_LOG_FRAME 8
#define AL_LOG_MAX_RECORD (256 * 1024)

struct al_log;

struct al_log_rec {
	uint64_t index;  /* 0-based ordinal of the record in the file */
	uint64_t offset; /* of its frame */
	const uint8_t *data;
	size_t len;
};

enum al_log_fault_kind { AL_LOG_TORN, AL_LOG_CORRUPT };

struct al_log_fault {
	enum al_log_fault_kind kind;
	uint64_t index;  /* the record that would have stood there */
	uint64_t offset;
	uint64_t length; /* bytes skipped (corrupt) or left at the tail (torn) */
	char reason[160];
};

/* Return 0 to go on, anything else to stop the scan with that value. */
typedef int (*log_record_fn)(void *arg, const struct al_log_rec *rec);
typedef int (*log_fault_fn)(void *arg, const struct al_log_fault *f);

/* Read every record of the file at path, calling on_record for each valid
 * one and on_fault for each fault (after a corrupt stretch it resumes at
 * the next valid frame). Without on_fault, a torn tail ends the scan quietly
 * and corruption stops it with AL_E_CORRUPT, why naming record and offset. Read-only. Returns 0, what a
 * callback returned, AL_E_CORRUPT, AL_E_NOENT, AL_E_IO or AL_E_NOMEM. */
int log_scan(const char *path, log_record_fn on_record, log_fault_fn on_fault, void *arg,
	     char *why);

/* Drop-behind for a reader moving forward through m, a read-only private
 * mapping of a file (never anonymous memory: it would be zeroed), now at
 * byte off: once it has passed 4 MB since *dropped (0 at the start), the
 * passed whole pages are given back (MADV_DONTNEED; touched again, they
 * are read from the page cache) and *dropped moves on. So reading a file
 * of any size holds at most about 4 MB of it. log_scan reads with it, and
 * so does the checkpoint's loading (checkpoint.c). */
void log_drop_behind(const uint8_t *m, uint64_t off, uint64_t *dropped);

struct al_log_recovery {
	uint64_t cut_bytes;     /* torn tail removed, 0 if none */
	uint64_t cut_offset;
	char broken_path[4096]; /* where the cut bytes were kept */
};

/* Open (creating it when create) the log at path for appending. Every valid
 * record is passed to on_record (NULL to skip); a non-zero return aborts.
 * A torn tail is cut (recovery says so); corruption is AL_E_CORRUPT with why
 * naming file, record and offset. The caller owns *out. */
int log_open(const char *path, bool create, log_record_fn on_record, void *arg,
	     struct al_log_recovery *recovery, struct al_log **out, char *why);

/* Open the log at path only to read records where an index says they are
 * (log_read): no scan, no recovery, nothing ever written (log_append
 * refuses). Its size is the file's now. Returns 0, AL_E_NOENT or AL_E_IO.
 * The caller owns *out (log_close). */
int log_open_read(const char *path, struct al_log **out, char *why);

/* Create an empty log (its header only) at path, exclusively and durably
 * (the file and its directory synced). Returns 0, AL_E_EXIST, AL_E_IO or
 * AL_E_FSYNC. */
int log_create(const char *path, char *why);

/* Append one record; *offset (may be NULL) receives its frame offset.
 * Not durable until log_sync(). A write that fails part way is taken back:
 * the file ends again at the last good record. Returns 0, AL_E_INVAL
 * (empty or too large), AL_E_NOSPC (no space or quota left: nothing
 * appended, the log usable; retry when there is space), AL_E_IO (another
 * write error: nothing appended) or AL_E_FAILED (the partial record could
 * not be taken back: the log is failed). */
int log_append(struct al_log *l, const uint8_t *data, size_t len, uint64_t *offset, char *why);

/* Take back the records appended after the log held size bytes and
 * records records (log_size and log_records then), which must not have
 * been synced: they were never durable, so nothing may have been sent or
 * acknowledged from them. Returns 0, AL_E_INVAL (not such a point, or
 * behind log_durable) or AL_E_FAILED (the cut failed: the log is failed). */
int log_rewind(struct al_log *l, uint64_t size, uint64_t records, char *why);

/* Make everything appended durable. Returns 0, AL_E_FSYNC (the log is now
 * failed) or AL_E_FAILED. */
int log_sync(struct al_log *l, char *why);

/* Read the record whose frame is at offset into a new buffer (caller frees).
 * Returns 0, AL_E_INVAL (no record there), AL_E_CORRUPT or AL_E_IO. */
int log_read(struct al_log *l, uint64_t offset, uint8_t **data, size_t *len, char *why);

/* log_read from the log file at path open (read-only, say) as fd, of which
 * the first size bytes are read: the audit's logs, which it does not open
 * for appending. */
int log_read_fd(int fd, const char *path, uint64_t size, uint64_t offset, uint8_t **data,
		size_t *len, char *why);

uint64_t log_records(const struct al_log *l);
uint64_t log_size(const struct al_log *l);      /* bytes appended */
uint64_t log_durable(const struct al_log *l);   /* bytes covered by a sync */
const char *log_path(const struct al_log *l);

/* Close (does not sync) and null *l. */
void log_close(struct al_log **l);

/* Following a log as it grows (alliancectl log --follow): each
 * log_tail_read() reads only what was appended since the one before (pread
 * from the offset reached), and calls on_record for each whole valid
 * record, with its index in the file. A record still being written at the
 * end is left for the next call. A file replaced at path (another inode)
 * or cut shorter than what was read is read again from its start: that
 * call reads nothing and sets *restarted; the next one begins at record 0.
 * Read-only.
 * log_tail_open: 0, AL_E_NOENT, AL_E_IO or AL_E_NOMEM; log_tail_read: 0,
 * what a callback returned, AL_E_CORRUPT (damage followed by more
 * records, or not a log), AL_E_NOENT, AL_E_IO or AL_E_NOMEM. */
struct al_log_tail;
int log_tail_open(const char *path, struct al_log_tail **out, char *why);
int log_tail_read(struct al_log_tail *t, log_record_fn on_record, void *arg, bool *restarted,
		  char *why);
void log_tail_close(struct al_log_tail **t);

/* CRC-32C (Castagnoli) of data, continuing from crc (0 to start):
 * log_crc32c(log_crc32c(0, a, n), b, m) is the CRC of a then b. Uses the
 * CPU's crc32 instruction when it has one (x86-64 with SSE4.2). */
uint32_t log_crc32c(uint32_t crc, const uint8_t *data, size_t len);

/* For tests: the same CRC by the portable table method whatever the CPU,
 * and whether log_crc32c uses the instruction instead. */
uint32_t log_crc32c_portable(uint32_t crc, const uint8_t *data, size_t len);
bool log_crc32c_hw(void);

#endif
