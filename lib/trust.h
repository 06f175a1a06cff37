/* trust.h: evidence about each partner, and the trust it earns.
 *
 * A pure function of the ledger and an evaluation time (docs/trust.md has
 * every formula): each outcome of a commitment is evidence about its
 * promisor, positive (r) or negative (s), weighted by the commitment's
 * value and decayed by the charter's half-life; ratings add graded
 * evidence. trust = (r + 1) / (r + s + 2), uncertainty = 2 / (r + s + 2).
 * Reciprocity compares the value each partner delivered with the value
 * delivered to it. Warnings name the evidence that raised them.
 */
#ifndef AL_TRUST_H
#define AL_TRUST_H

#include "ledger.h"

/* One piece of evidence about a member. */
struct al_evidence {
	size_t member;        /* about whom */
	struct al_ref id;     /* the commitment, or the feedback message */
	const char *outcome;  /* "on-time", "late", "missed", "disputed", "upheld", "rating",
			       * "feedback" */
	int64_t at;           /* when it happened (ms) */
	double weight;        /* of the commitment's value (1 for feedback) */
	double decay;         /* 2^-(age / half-life) */
	double r, s;          /* what it adds, weight and decay included */
};

struct al_trust_row {
	size_t member;
	double r, s, trust, uncertainty;
	uint64_t fulfilled, late, missed, disputed;
	double given, received; /* value delivered by and to the member */
	char **warnings;        /* sentences naming the evidence */
	size_t n_warnings, cap_warnings;
};

struct al_trust {
	int64_t as_of;
	struct al_trust_row *rows; /* one per member, by member index */
	size_t n_rows;
	size_t *order;             /* the members to list, in order (the ledger's: */
	size_t n_order;            /* founders, then the others as they joined) */
	struct al_evidence *evidence;
	size_t n_evidence, cap_evidence;
	double *pair;              /* pair[a * n + b]: value delivered by a to b */
};

/* The trust table of ledger l (built as of as_of) at time as_of. Returns 0
 * or AL_E_NOMEM. */
int trust_compute(const struct al_ledger *l, int64_t as_of, struct al_trust **out);

void trust_destroy(struct al_trust **t);

/* x rounded to 4 decimals: what is printed, identically everywhere. */
double trust_round(double x);

#endif
