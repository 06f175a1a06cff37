/* testutil.h: fixtures shared by the unit tests (cmocka). */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "charter.h"
#include "key.h"
#include "store.h"

/* A fresh temporary directory (removed by tu_rmdir). Caller frees. */
char *tu_tmpdir(void);
void tu_rmdir(char *dir);

/* Identity number i (0..7) from fixed seeds: the same keys every run. */
struct al_identity *tu_identity(int i);

/* A charter of n members (0..n-1 named m0, m1, ...) with fixed fields,
 * built and signed by all (when sign). Deterministic: the same bytes and
 * id every run. ids[i] receives member i's identity (caller destroys). */
struct al_charter *tu_charter(int n, bool sign, struct al_identity **ids);

/* An unsigned charter of n members with 32-character names (the longest
 * allowed) and made-up keys: for lists too long for a message buffer. */
struct al_charter *tu_crowd_charter(int n);

/* Author a commitment by id into s at time now; returns its seq. */
uint64_t tu_commit(struct al_store *s, const struct al_identity *id, int64_t now);

/* b (its kind and payload set) as id's message seq of charter c's
 * alliance, after prev (seq > 1), signed at t, having seen fr[0..nf):
 * the header filled in, sealed into a new envelope (the caller's). */
struct al_envelope *tu_seal(const struct al_charter *c, const struct al_identity *id,
			    struct al_body *b, uint64_t seq, const al_hash *prev, int64_t t,
			    struct al_frontier_entry *fr, size_t nf);

/* Read a whole file / write one. */
uint8_t *tu_read(const char *path, size_t *len);
void tu_write(const char *path, const uint8_t *buf, size_t len);

/* path = dir/name (static buffer, one at a time per slot 0..3). */
const char *tu_path(int slot, const char *dir, const char *name);

#endif
