/* portfolio.h: every alliance a home has joined, and every partner firm
 * across them, as one JSON document made from the answers of the queries
 * (query.h) about each alliance.
 *
 * Pure: JSON documents in, one JSON document out; no clock, no I/O, and
 * nothing recomputed from a ledger. Trust, uncertainty and the counts
 * are copied from the trust answer; the commitment counts and what is
 * owed are summed from the commitments answer, so every number can be
 * checked against 'alliancectl trust --json' and 'commitments --json' for
 * the same --as-of. alliancectl portfolio prints the document, and a
 * portfolio page renders the same one. docs/portfolio.md has its keys
 * and rules.
 */
#ifndef AL_PORTFOLIO_H
#define AL_PORTFOLIO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* One alliance, as the queries answered about it for the same as_of
 * (borrowed: only read). */
struct al_portfolio_in {
	const json_t *alliance;    /* query "alliance": {id, title, ..., members} */
	const json_t *commitments; /* query "commitments": [{id, promisor, to, ...}] */
	const json_t *trust;       /* query "trust": [{partner, trust, ...}] */
};

/* The portfolio of the home whose member is named home_name with the hex
 * signing key home_key (it is "this firm" in each alliance where a
 * member's keys meet the firm's: home_key and, across alliances, every
 * key of a member holding one of those, as partner firms are recognised),
 * as of as_of (ISO-8601, as given), over
 * the n alliances of in (any order: they are shown by title, then id):
 *   {"as_of", "home": {"name", "key"}, "alliances": [...], "partners": [...]}
 * (docs/portfolio.md). The caller's (json_decref), or NULL when memory ran
 * out or an answer lacks what the document needs (a trust row whose member
 * the alliance answer does not list, or lists without keys). */
json_t *portfolio_build(const char *as_of, const char *home_name, const char *home_key,
			const struct al_portfolio_in *in, size_t n);

/* Is a commitment in this state (commitments --json's "state") open:
 * still owed by its promisor (proposed, accepted, overdue)? */
bool portfolio_open_state(const char *state);

#endif
