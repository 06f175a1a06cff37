/* idem.h: the index of idempotency keys: (author, key) -> seq.
 *
 * A message may carry an idempotency key (msg.h: a retry token its
 * author's client chose). The store adds every admitted message that has
 * one, whoever its author, when it appends it and when it replays its log
 * at open, so the index says exactly what the log holds: the key is
 * durable when its message is, with no file of its own to disagree after
 * a crash. The daemon asks it whether a request was already served.
 *
 * Entries hold a 64-bit keyed hash (SipHash-2-4, a random key per index, so
 * that no peer can choose keys that pile up in one place) and the seq, not
 * the key: 16 bytes a message at most half full. A hit is a candidate the
 * caller confirms by reading the message (store_keyed does). Memory and
 * time: O(1) per add and lookup; it grows by doubling.
 */
#ifndef AL_IDEM_H
#define AL_IDEM_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"

struct al_idem;

/* A new empty index (caller destroys). Returns 0 or AL_E_NOMEM. */
int idem_new(struct al_idem **out);
void idem_destroy(struct al_idem **ix);

/* Note that author's message seq (> 0) carries key (non-empty). Adding a
 * pair twice keeps both. Returns 0 or AL_E_NOMEM (the index is unchanged). */
int idem_add(struct al_idem *ix, const al_key *author, const char *key, uint64_t seq);

/* The candidates for (author, key), in no particular order: call with
 * *cursor = 0, then again with the same cursor until it returns 0. Each
 * return is a seq whose (author, key) hash matches; the caller checks
 * author's message at that seq (another pair may share the hash). */
uint64_t idem_next(const struct al_idem *ix, const al_key *author, const char *key,
		   size_t *cursor);

struct al_ckpt_writer;
struct al_ckpt_reader;

/* The index as a checkpoint section (checkpoint.h): its hash key, u64 n
 * and n pairs of u64 hash, u64 seq. The key is a secret of this home (it
 * keeps peers from choosing keys that collide): the file is 0600. Returns
 * 0 or the writer's error. */
int idem_save(const struct al_idem *ix, struct al_ckpt_writer *w);

/* Read such a section into the empty index ix (its key replaces ix's).
 * Returns 0, AL_E_PARSE with why, or AL_E_NOMEM. */
int idem_load(struct al_idem *ix, struct al_ckpt_reader *r, char *why);

/* Entries held. */
size_t idem_count(const struct al_idem *ix);

#endif
