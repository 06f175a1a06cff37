/* act.h: composing and checking what this home's member signs.
 *
 * A request from alliancectl (control.h: a commit item, an act) becomes
 * a message body here, checked as far as it can be before signing: names
 * resolve to members, ids to held messages, text is safe to show, a due
 * time is in range and not past unless meant. The ledger's rules
 * (ledger_check) are the last check, the caller's. Nothing here writes,
 * signs, reads a clock or touches a socket: the daemon calls these from
 * its handlers (daemon/control.c), and tests/unit/test_act.c reaches them.
 * Errors: AL_E_INVAL (bad input, named in why with the fix), AL_E_NOENT
 * (an id not held), AL_E_NOMEM; why holds AL_ERRLEN bytes.
 */
#ifndef AL_ACT_H
#define AL_ACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control.h"
#include "ledger.h"
#include "msg.h"
#include "store.h"

/* "name/seq" (or "name@GEN/seq" for a member's GEN-th keys) of a message
 * held in s into *ref. */
int act_parse_id(const struct al_store *s, const char *id, struct al_ref *ref, char *why);

/* What errors call item n (from 1) of a commit request: "--batch line L"
 * or "commitment n", into buf (len bytes); returns buf. */
const char *act_item_label(const struct al_commit_item *it, size_t n, char *buf, size_t len);

/* One commitment as stated by self (may be NULL: a newcomer) into b,
 * whose strings are it's (borrowed); the beneficiaries' keys go into *to,
 * which the caller frees (also on failure). label begins every error. The
 * due time is checked apart (act_due_ok): a retry of a commitment made
 * before its due time passed names a due time now past. */
int act_check_item(const struct al_store *s, const struct al_member *self,
		   const struct al_commit_item *it, const char *label, struct al_body *b,
		   al_key **to, char *why);

/* A due time for a message signed at now: in the years 0000 to 9999, and
 * not before now unless past. batch: the item came from a --batch line
 * (the fix named differs); label ("" for none) begins the error, what
 * names the kind ("commitment", "task"). */
int act_due_ok(int64_t due, bool past, int64_t now, bool batch, const char *label,
	       const char *what, char *why);

/* Is b (not yet signed) the step the held message orig states? The kind,
 * what it is about, what is promised to whom, by when (unless due_offset:
 * a due time given from now, which a retry reads anew), for how much,
 * ratings, rulings, an amendment's change; free text is not compared.
 * params: an amendment's --param KEY=VALUE changes (n_params). */
bool act_same_step(const struct al_body *orig, const struct al_body *b, bool due_offset,
		   char **params, size_t n_params);

/* Has member me used idempotency key in s? *seq: 0 when not, or the held
 * message's seq when it states the same step as b (act_same_step). A key
 * used for something else is refused (AL_E_INVAL), naming that message.
 * label ("" for none) begins an error. */
int act_key_held(struct al_store *s, const al_key *me, const char *key, const struct al_body *b,
		 bool due_offset, char **params, size_t n_params, const char *label,
		 uint64_t *seq, char *why);

/* Two items of one commit request with one key: refused, naming both. */
int act_distinct_keys(const struct al_request *rq, char *why);

/* The body of a step (act->verb: accept, decline, deliver, confirm,
 * dispute, release, escalate, resolve, task, feedback, amend, approve) by
 * self, from s's members and messages and l's parameters. b's strings are
 * act's; a task's dependencies go into *deps (the caller frees it, also
 * on failure). b->key and b->timestamp are the caller's to set; then
 * ledger_check(l, self, b) applies the rules. */
int act_body(const struct al_store *s, const struct al_ledger *l, const struct al_act *act,
	     const al_key *self, struct al_body *b, struct al_ref **deps, char *why);

#endif
