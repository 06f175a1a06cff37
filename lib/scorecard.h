/* scorecard.h: each partner's record on several dimensions, each score
 * citing its evidence.
 *
 * A pure function of the ledger and an evaluation time, built on the
 * trust table (trust.h): reliability and quality read trust's evidence
 * (so their counts are trust's), reciprocity its pair matrix, and trust
 * and uncertainty are its row, unchanged. Responsiveness reads who
 * answered and who judged each commitment, and when (the ledger's
 * proposed_at, answered_at, verdict_at). docs/trust.md section 7 has every
 * formula and a worked example.
 */
#ifndef AL_SCORECARD_H
#define AL_SCORECARD_H

#include "ledger.h"
#include "trust.h"

enum al_dimension {
	AL_DIM_RELIABILITY,
	AL_DIM_QUALITY,
	AL_DIM_RESPONSIVENESS,
	AL_DIM_RECIPROCITY,
	AL_DIM_COUNT
};

/* One piece of evidence of one partner's scorecard. */
struct al_score_item {
	size_t member;          /* whose scorecard (a party) */
	enum al_dimension dim;
	struct al_ref id;       /* the commitment */
	const char *outcome;    /* reliability: "on-time", "late", "missed"; quality:
				 * "confirmed", "disputed", "upheld"; responsiveness:
				 * "accepted", "declined", "confirmed", "disputed", "waiting";
				 * reciprocity: "given", "received" */
	int64_t at;             /* when it happened (ms; waiting: the proposal) */
	double score;           /* what it scores, 0..1 (reciprocity: the value) */
	double hours;           /* responsiveness: the delay */
	uint8_t quality, timeliness; /* quality, confirmed: the ratings */
	size_t other;           /* reciprocity: the other party */
};

/* A partner's scorecard. A score with nothing to count is NAN (shown as
 * null). */
struct al_score_row {
	size_t member;
	uint64_t on_time, late, missed;        /* trust's outcomes as promisor */
	double reliability;
	uint64_t confirmed, disputed;          /* disputed: and upheld */
	double quality, mean_quality, mean_timeliness;
	uint64_t answers, verdicts, waiting;   /* as a beneficiary */
	double responsiveness, answer_hours, verdict_hours; /* hours: medians */
};

struct al_scorecard {
	struct al_trust *t;          /* the trust table it is built on (its own) */
	struct al_score_row *rows;   /* one per member, by member index (t->rows') */
	struct al_score_item *items; /* in dimension order, then the ledger's */
	size_t n_items, cap_items;
};

/* The scorecards of ledger l (built as of as_of) at time as_of into *out
 * (the caller's: scorecard_destroy). 0 or AL_E_NOMEM. */
int scorecard_compute(const struct al_ledger *l, int64_t as_of, struct al_scorecard **out);

void scorecard_destroy(struct al_scorecard **sc);

/* "reliability", "quality", "responsiveness", "reciprocity". */
const char *scorecard_dimension_name(enum al_dimension d);

#endif
