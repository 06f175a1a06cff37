/* scorecard.c: see scorecard.h and docs/trust.md section 7. */
#include "scorecard.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "grow.h"
#include "when.h"

const char *scorecard_dimension_name(enum al_dimension d)
{
	static const char *const names[AL_DIM_COUNT] = { "reliability", "quality",
							 "responsiveness", "reciprocity" };
	return d < AL_DIM_COUNT ? names[d] : "?";
}

static int add(struct al_scorecard *sc, const struct al_score_item *it)
{
	if (grow(&sc->items, &sc->cap_items, sc->n_items + 1, sizeof *sc->items))
		return AL_E_NOMEM;
	sc->items[sc->n_items++] = *it;
	return AL_OK;
}

static bool same_ref(const struct al_ref *x, const struct al_ref *y)
{
	return x->seq == y->seq && !memcmp(&x->author, &y->author, AL_KEYLEN);
}

/* Reliability, quality and reciprocity: trust's evidence about each
 * commitment, with the commitment it is about. trust_compute judges the
 * commitments in the ledger's order and adds each one's evidence together,
 * so one walk pairs them (the feedback after them is about no commitment). */
static int from_evidence(struct al_scorecard *sc, const struct al_ledger *l, enum al_dimension d)
{
	const struct al_trust *t = sc->t;
	double w_late = l->params.w_late / 1000.0;
	size_t k = 0;
	int rc = AL_OK;
	for (size_t i = 0; rc == AL_OK && i < l->n_items; i++) {
		const struct al_cstatus *cs = &l->items[i];
		struct al_ref ref = ledger_ref(l, &cs->id);
		for (; rc == AL_OK && k < t->n_evidence && same_ref(&t->evidence[k].id, &ref); k++) {
			const struct al_evidence *e = &t->evidence[k];
			struct al_score_row *row = &sc->rows[e->member];
			struct al_score_item it = { e->member, d, e->id, e->outcome, e->at, 0, 0, 0, 0,
						    e->member };
			bool fulfilled = !strcmp(e->outcome, "on-time") || !strcmp(e->outcome, "late");
			if (d == AL_DIM_RELIABILITY && fulfilled) {
				bool late = !strcmp(e->outcome, "late");
				it.score = late ? 1.0 - w_late : 1.0;
				row->on_time += !late;
				row->late += late;
				rc = add(sc, &it);
			} else if (d == AL_DIM_RELIABILITY && !strcmp(e->outcome, "missed")) {
				row->missed++;
				rc = add(sc, &it);
			} else if (d == AL_DIM_QUALITY && !strcmp(e->outcome, "rating")) {
				/* the confirmation: its ratings are the commitment's */
				it.outcome = "confirmed";
				it.quality = cs->quality;
				it.timeliness = cs->timeliness;
				it.score = ((cs->quality + cs->timeliness) / 2.0 - 1.0) / 4.0;
				row->confirmed++;
				row->quality += it.score;
				row->mean_quality += cs->quality;
				row->mean_timeliness += cs->timeliness;
				rc = add(sc, &it);
			} else if (d == AL_DIM_QUALITY && (!strcmp(e->outcome, "disputed") ||
							   !strcmp(e->outcome, "upheld"))) {
				row->disputed++;
				rc = add(sc, &it);
			} else if (d == AL_DIM_RECIPROCITY && fulfilled) {
				/* the value trust's given, received and pairs count */
				size_t n_to = ledger_count(l, &cs->to);
				it.outcome = "given"; /* a share to each beneficiary, as pair */
				it.score = (double)cs->value / (double)n_to;
				for (size_t b = 0; rc == AL_OK && b < l->n_members; b++) {
					if (!ledger_has(l, &cs->to, b))
						continue;
					it.other = b;
					rc = add(sc, &it);
				}
				struct al_score_item got = it;
				got.outcome = "received";
				got.other = e->member;
				for (size_t b = 0; rc == AL_OK && b < l->n_members; b++) {
					if (!ledger_has(l, &cs->to, b))
						continue;
					got.member = b;
					rc = add(sc, &got);
				}
			}
		}
	}
	return rc;
}

/* One response of a beneficiary: delay ms after since, scored by halving
 * every h ms. */
static int respond(struct al_scorecard *sc, const struct al_ledger *l, const struct al_cstatus *cs,
		   size_t b, const char *outcome, int64_t at, int64_t since, double h)
{
	/* In doubles, never negative: a clock a little behind the other's
	 * (within the skew) answers at once, not before. */
	double delay = at > since ? (double)at - (double)since : 0.0;
	struct al_score_item it = { b, AL_DIM_RESPONSIVENESS, ledger_ref(l, &cs->id), outcome, at,
				    exp2(-delay / h), delay / 3600000.0, 0, 0, b };
	sc->rows[b].responsiveness += it.score;
	return add(sc, &it);
}

/* Responsiveness: each beneficiary's answers and verdicts, and the
 * proposals to it it has left unanswered past the grace period. */
static int responses(struct al_scorecard *sc, const struct al_ledger *l, int64_t as_of)
{
	const struct al_params *p = &l->params;
	double h = p->grace ? (double)p->grace * 1000.0 : 3600000.0;
	int rc = AL_OK;
	for (size_t i = 0; rc == AL_OK && i < l->n_items; i++) {
		const struct al_cstatus *cs = &l->items[i];
		enum al_cstate st = ledger_state_at(l, cs, as_of);
		bool waiting = !cs->answered_at &&
			       (st == AL_C_PROPOSED || st == AL_C_OVERDUE || st == AL_C_MISSED) &&
			       as_of > when_after(cs->proposed_at, p->grace);
		for (size_t b = 0; rc == AL_OK && b < l->n_members; b++) {
			if (!ledger_has(l, &cs->to, b))
				continue;
			struct al_score_row *row = &sc->rows[b];
			if (cs->answered_at && cs->answered_by == b) {
				row->answers++;
				rc = respond(sc, l, cs, b, cs->accepted ? "accepted" : "declined",
					     cs->answered_at, cs->proposed_at, h);
			}
			if (rc == AL_OK && cs->verdict_at && cs->judged_by == b) {
				row->verdicts++;
				rc = respond(sc, l, cs, b, cs->state == AL_C_CONFIRMED ? "confirmed"
					     : "disputed", cs->verdict_at, cs->delivered_at, h);
			}
			if (rc == AL_OK && waiting) {
				row->waiting++;
				rc = respond(sc, l, cs, b, "waiting", as_of, cs->proposed_at, h);
				sc->items[sc->n_items - 1].at = cs->proposed_at;
			}
		}
	}
	return rc;
}

static int by_value(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;
	return a < b ? -1 : a > b;
}

/* The median hours of member m's responses with these outcomes (the
 * mean of the middle two of an even count), NAN when none. */
static int median(const struct al_scorecard *sc, size_t m, const char *o1, const char *o2,
		  double *out)
{
	double *v = NULL;
	size_t n = 0, cap = 0;
	*out = NAN;
	for (size_t i = 0; i < sc->n_items; i++) {
		const struct al_score_item *it = &sc->items[i];
		if (it->dim != AL_DIM_RESPONSIVENESS || it->member != m ||
		    (strcmp(it->outcome, o1) && strcmp(it->outcome, o2)))
			continue;
		if (grow(&v, &cap, n + 1, sizeof *v)) {
			free(v);
			return AL_E_NOMEM;
		}
		v[n++] = it->hours;
	}
	if (n) {
		qsort(v, n, sizeof *v, by_value);
		*out = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
	}
	free(v);
	return AL_OK;
}

int scorecard_compute(const struct al_ledger *l, int64_t as_of, struct al_scorecard **out)
{
	struct al_scorecard *sc = calloc(1, sizeof *sc);
	size_t n = l->n_members;
	int rc = AL_E_NOMEM;
	*out = NULL;
	if (!sc || !(sc->rows = calloc(n ? n : 1, sizeof *sc->rows)) ||
	    (rc = trust_compute(l, as_of, &sc->t)))
		goto out;
	for (size_t m = 0; m < n; m++)
		sc->rows[m].member = m;
	if ((rc = from_evidence(sc, l, AL_DIM_RELIABILITY)) ||
	    (rc = from_evidence(sc, l, AL_DIM_QUALITY)) || (rc = responses(sc, l, as_of)) ||
	    (rc = from_evidence(sc, l, AL_DIM_RECIPROCITY)))
		goto out;
	double w_late = l->params.w_late / 1000.0;
	for (size_t m = 0; m < n; m++) {
		struct al_score_row *r = &sc->rows[m];
		uint64_t done = r->on_time + r->late + r->missed;
		uint64_t judged = r->confirmed + r->disputed;
		uint64_t responses = r->answers + r->verdicts + r->waiting;
		r->reliability = done ? (r->on_time + r->late * (1.0 - w_late)) / (double)done : NAN;
		r->quality = judged ? r->quality / (double)judged : NAN;
		r->mean_quality = r->confirmed ? r->mean_quality / (double)r->confirmed : NAN;
		r->mean_timeliness = r->confirmed ? r->mean_timeliness / (double)r->confirmed : NAN;
		r->responsiveness = responses ? r->responsiveness / (double)responses : NAN;
		if ((rc = median(sc, m, "accepted", "declined", &r->answer_hours)) ||
		    (rc = median(sc, m, "confirmed", "disputed", &r->verdict_hours)))
			goto out;
	}
	*out = sc;
	sc = NULL;
	rc = AL_OK;
out:
	scorecard_destroy(&sc);
	return rc;
}

void scorecard_destroy(struct al_scorecard **scp)
{
	struct al_scorecard *sc = *scp;
	if (!sc)
		return;
	trust_destroy(&sc->t);
	free(sc->rows);
	free(sc->items);
	free(sc);
	*scp = NULL;
}
