/* verify.h: checking many signatures at once, on every core.
 *
 * A pool of worker threads, made once, opens and verifies a batch of
 * envelopes in parallel (envelope_open, then envelope_check_sig: the
 * verdict is recorded in the opened envelope, which owns the bytes it was
 * computed on). The caller's thread takes a share of every batch, so a
 * pool on an n-core machine has n - 1 workers and never has more threads
 * busy than cores. The pool knows nothing of charters, feeds or stores:
 * deciding what enters a log stays with feeds_check_item, on the caller's
 * thread, in order. No sockets; pthreads only.
 *
 * verify_scan runs a log through a pool in bounded chunks and hands each
 * record back in file order, faults in place: what the audit and the
 * offline reads use.
 */
#ifndef AL_VERIFY_H
#define AL_VERIFY_H

#include "envelope.h"
#include "log.h"

#include <stddef.h>
#include <stdint.h>

/* One envelope of a batch. The caller sets buf and len (borrowed, read
 * only, valid during verify_batch); verify_batch sets rc and env. */
struct al_verify_item {
	const uint8_t *buf;
	size_t len;
	int rc;                 /* envelope_open's: 0, or env is zeroed */
	struct al_envelope env; /* opened, env.sig known; the caller's (envelope_clear) */
};

struct al_verify;

/* A pool of workers threads workers (0: one per online core less the
 * caller's; a machine of one core gets none, and every batch runs inline).
 * Its threads block every signal (the caller's thread gets them).
 * Returns 0 or AL_E_NOMEM (a thread could not be made); *out is the
 * caller's (verify_destroy). */
int verify_new(unsigned workers, struct al_verify **out);

/* Stop and join the workers, free the pool and null *p (NULL is fine).
 * Never while a verify_batch runs. */
void verify_destroy(struct al_verify **p);

/* Threads that work on a batch: the workers and the caller. */
unsigned verify_threads(const struct al_verify *p);

/* Whether an opened envelope need not be verified now (a copy of one held:
 * feeds_check calls it a duplicate before it would look at a signature).
 * Runs on the workers: it may only read what does not change while
 * verify_batch runs. Skipping leaves env.checked AL_SIG_UNCHECKED, so
 * whoever decides later verifies it then if it must: it opens no hole. */
typedef bool (*verify_skip_fn)(void *arg, const struct al_envelope *env);

/* Open and verify items[0..n) in parallel (pool may be NULL: inline), and
 * return when all are done; those skip (may be NULL) says need no check
 * are opened only. Below a small batch (VERIFY_INLINE items) it runs on
 * the caller's thread alone: waking a worker would cost more. One batch at
 * a time per pool (the pool serves one thread). */
void verify_batch(struct al_verify *pool, struct al_verify_item *items, size_t n,
		  verify_skip_fn skip, void *arg);

/* Each record of a verify_scan, in file order: r as log_scan gives it, it
 * the record opened and verified (env is still the pool's: take it with
 * *it->env and zero it to keep it, otherwise it is cleared after). */
typedef int (*verify_record_fn)(void *arg, const struct al_log_rec *r,
				struct al_verify_item *it);

/* log_scan(path) with each record pre-verified by pool, in chunks of at
 * most VERIFY_CHUNK records or VERIFY_CHUNK_BYTES bytes (bounded memory),
 * then on_record and on_fault called in file order on the caller's thread.
 * A non-zero return from either stops the scan and is returned. */
int verify_scan(struct al_verify *pool, const char *path, verify_record_fn on_record,
		log_fault_fn on_fault, void *arg, char *why);

#endif
