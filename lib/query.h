/* query.h: the answers of the read-only queries (trust, commitments,
 * scorecard), as one JSON document built from a ledger.
 *
 * One shape whoever computes it: the daemon answers a query from the
 * ledger it holds (daemon/control.c), alliancectl offline from the ledger
 * of a log it reads (clients/), and both print the same text from this
 * JSON. Pure: no clock (as_of is given), no I/O but through the caller's
 * al_msgs; the ledger and its charter (l->c) are only read. docs/protocol.md has the control op.
 */
#ifndef AL_QUERY_H
#define AL_QUERY_H

#include <jansson.h>
#include <stdint.h>

#include "control.h"
#include "ledger.h"
#include "scorecard.h"
#include "trust.h"

/* Where a commitment's own message is read when it is shown: the ledger
 * keeps what the rules need, and a commitment's text and its beneficiaries
 * in the order it names them stay in the log. body reads the body of
 * message (author, seq) of the ledger's log into *out (the caller's:
 * msg_body_clear; envelope_body, nothing checked again): 0, or an error
 * with why. feeds_body reads it where a feeds index says: the daemon's
 * store's, or the one alliancectl built offline from the log file it
 * read the ledger from (ctl_load_ledger). */
struct al_msgs {
	int (*body)(void *arg, const al_key *author, uint64_t seq, struct al_body *out,
		    char *why);
	void *arg;
};

/* The answer to q (q->what: "trust", "commitments", "alliance" or "scorecard") from
 * ledger l and
 * the messages it was built from (msgs), as of q->as_of, into *out (the
 * caller's, json_decref it). 0, or AL_E_INVAL with why naming the bad
 * value and the choices (an unknown query, member or state), AL_E_NOMEM,
 * or what msgs->body returned (with why). */
int query_answer(const struct al_ledger *l, const struct al_msgs *msgs, const struct al_query *q,
		 json_t **out, char *why);

/* query_answer's document as compact JSON text (json_dumps, JSON_COMPACT)
 * into *out (the caller's, free it), the same bytes: commitments are
 * built and written one at a time, so that the peak is the text, not the
 * whole document as jansson values (about 7 times its size). 0, or what
 * query_answer returns. */
int query_dump(const struct al_ledger *l, const struct al_msgs *msgs, const struct al_query *q,
	       char **out, char *why);

/* trust: the table, an array of {partner, trust, uncertainty, fulfilled,
 * late, missed, disputed, given, received, reciprocity, warnings} in the
 * ledger's order; with name, that partner's row with "as_of", "positive",
 * "negative", "evidence" and "pairs". */
int query_trust(const struct al_ledger *l, int64_t as_of, const char *name, json_t **out,
		char *why);

/* The table of t (computed over a ledger of roster ro) alone, as above;
 * NULL when memory ran out. */
json_t *query_trust_table(const struct al_roster *ro, const struct al_trust *t);

/* scorecard: an array, in the ledger's order, of {partner, trust,
 * uncertainty (trust's), reliability {score, on_time, late, missed,
 * evidence}, quality {score, confirmed, disputed, mean_quality,
 * mean_timeliness, evidence}, responsiveness {score, answers, answer_hours,
 * verdicts, verdict_hours, waiting, evidence}, reciprocity {given,
 * received, ratio, pairs [{partner, given, received}]}, warnings} (a score
 * or mean with nothing to count: null; evidence: commitment ids, and
 * by_outcome: {outcome: [ids]} for each of the dimension's outcomes); with
 * name, that partner's object with "as_of" and "details", one {dimension,
 * id, outcome, at, ...} per piece of evidence (docs/trust.md section 7). */
int query_scorecard(const struct al_ledger *l, int64_t as_of, const char *name, json_t **out,
		    char *why);

/* The table of sc (computed over a ledger of roster ro) alone, as above;
 * NULL when memory ran out. */
json_t *query_scorecard_table(const struct al_roster *ro, const struct al_scorecard *sc);

/* commitments: an array of {id, promisor, to, what, due, value, state,
 * late, task}, in the ledger's order; with state (not NULL or ""), only
 * those in it ("what" and "to" from each one's message: msgs->body). */
int query_commitments(const struct al_ledger *l, const struct al_msgs *msgs, int64_t as_of,
		      const char *state, json_t **out, char *why);

/* alliance: what the alliance is, as of as_of: {id (hex), title,
 * objectives, scope, created, as_of, age_days, members: [{name, key (the
 * hex signing key of its first keys), keys (every key that acted for it),
 * standing, founder}]} in the ledger's order, warn_trust (the trust
 * warning's threshold in effect, 0..1). What a report's header and the
 * portfolio show; a partner firm is recognised across alliances by its
 * keys. */
int query_alliance(const struct al_ledger *l, int64_t as_of, json_t **out, char *why);

/* series: the trust table at every point of q (query_series_points), as
 * one flat array ordered by point, then the table's order: each row the
 * one query_trust gives as of that point (trust --as-of POINT), with
 * "as_of" (ISO) added. The one query that reads a log, and needs no
 * ledger: it makes its own, in one pass over the log at path
 * (ledger_of_log_series, with check; ro as ledger_of_log takes it). 0, or
 * AL_E_INVAL with why (query_series_points'), or the log's error. */
int query_series(const char *path, struct al_roster *ro, enum al_ledger_check check,
		 const struct al_query *q, json_t **out, char *why);

/* The points of series q over charter c: q->since (0: c->created), then
 * every q->step seconds, up to and including q->as_of (the last point is
 * q->as_of when it is not on a step), into *points (the caller's, free
 * it; *n of them). 0, or AL_E_INVAL with why naming the bad value and the
 * fix (a step of 0, since after as_of, more than QUERY_SERIES_MAX points),
 * or AL_E_NOMEM. */
#define QUERY_SERIES_MAX 10000
int query_series_points(const struct al_charter *c, const struct al_query *q, int64_t **points,
			size_t *n, char *why);

#endif
