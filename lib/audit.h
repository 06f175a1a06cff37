/* audit.h: verify logs offline with nothing but the charter.
 *
 * Every record of every log is framed, parsed and run through feeds_check()
 * from an empty index, so each signature, chain link, sequence gap,
 * duplicate and equivocation is found; torn tails and corruption are
 * reported where they are. Equivocation proofs kept beside a log are
 * checked and reported. Given several logs, every (author, seq) they share
 * must be the same envelope. The audit never changes a file.
 *
 * The signatures are checked on every core (verify_scan: a pool of one
 * thread per core, in chunks of records); the chain, the order and the
 * rules on one thread, in file order: the findings are those of a scan on
 * one thread, in the same order. It trusts no checkpoint and no earlier
 * verdict: every record's signature is verified.
 */
#ifndef AL_AUDIT_H
#define AL_AUDIT_H

#include "charter.h"
#include "roster.h"
#include "envelope.h"
#include "feeds.h"

struct al_audit_source {
	const char *label;  /* how faults name it (the path the user gave) */
	const char *log;    /* log file */
	const char *proofs; /* equivocation proofs file, or NULL */
};

struct al_audit_fault {
	char *log;        /* label of the source; for a fault in a proofs file,
			   * that file's path (record and offset are in it) */
	uint64_t record;  /* 0-based record index in that file */
	uint64_t offset;  /* byte offset of the record's frame */
	char *reason;
};

struct al_audit_log {
	char *label;
	uint64_t records;
	struct al_feeds *feeds; /* what the log holds */
	struct al_roster *roster; /* the members this log admits (borrows the charter) */
	struct al_envelope **valid; /* the first log only: its valid records, opened */
	size_t n_valid;
	char *path;                 /* the log file */
	int fd;                     /* it, read back by its feeds (feeds_reader): -1 until */
	uint64_t fd_size;           /* then, and its size then */
	struct al_audit_place {     /* each valid record's place, in file order: which */
		uint64_t offset, index; /* record a feed's entry (an offset) is, for faults */
	} *places;
	size_t n_places, cap_places;
};

struct al_audit {
	bool ok;
	uint64_t records; /* records read, all logs */
	size_t n_faults, cap_faults;
	struct al_audit_fault *faults;
	size_t n_logs;
	struct al_audit_log *logs;
};

/* Audit sources[0..n) against charter c (borrowed by each log's roster: it
 * must outlive *out); now (ms) bounds timestamps. The
 * first log's valid records stay opened in logs[0].valid (for its ledger:
 * ledger_build with logs[0].roster), so that no signature is checked twice.
 * Faults are findings, not errors: the return value is 0 unless the audit
 * itself could not run (a log that cannot be opened: AL_E_NOENT/AL_E_IO,
 * AL_E_NOMEM). The caller clears *out with audit_clear. */
int audit_run(const struct al_charter *c, const struct al_audit_source *sources, size_t n,
	      int64_t now, struct al_audit *out, char *why);

void audit_clear(struct al_audit *a);

#endif
