/* trust.c: see trust.h and docs/trust.md. */
#include "trust.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "grow.h"
#include "when.h"

double trust_round(double x)
{
	return round(x * 10000.0) / 10000.0;
}

/* A commitment's weight: its value in charter units, square-rooted, at
 * least 1 and at most TRUST_MAX_WEIGHT. Bigger promises count more, but
 * one large promise does not drown a long record of smaller ones, nor
 * make one outcome look like a long record (docs/trust.md says why). */
#define TRUST_MAX_WEIGHT 10.0

static double value_weight(const struct al_params *p, uint64_t value)
{
	double unit = p->value_unit ? (double)p->value_unit : 1.0;
	double v = (double)value / unit;
	return v <= 1.0 ? 1.0 : v >= TRUST_MAX_WEIGHT * TRUST_MAX_WEIGHT ? TRUST_MAX_WEIGHT : sqrt(v);
}

static double decay(const struct al_params *p, int64_t as_of, int64_t at)
{
	/* In doubles: no overflow whatever the timestamps. */
	double age = as_of > at ? (double)as_of - (double)at : 0.0;
	return exp2(-age / ((double)p->half_life * 1000.0));
}

static int add_evidence(struct al_trust *t, const struct al_evidence *e)
{
	if (grow(&t->evidence, &t->cap_evidence, t->n_evidence + 1, sizeof *t->evidence))
		return AL_E_NOMEM;
	t->evidence[t->n_evidence++] = *e;
	t->rows[e->member].r += e->r;
	t->rows[e->member].s += e->s;
	return AL_OK;
}

static int warn(struct al_trust_row *row, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int warn(struct al_trust_row *row, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	if (grow(&row->warnings, &row->cap_warnings, row->n_warnings + 1, sizeof *row->warnings))
		return AL_E_NOMEM;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (!(row->warnings[row->n_warnings] = strdup(buf)))
		return AL_E_NOMEM;
	row->n_warnings++;
	return AL_OK;
}

/* The ids of a member's evidence with this outcome, "acme/3, acme/7". */
static void ids_of(const struct al_trust *t, const struct al_roster *ro, size_t m,
		   const char *outcome, char *buf, size_t n)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < t->n_evidence && used < n; i++) {
		const struct al_evidence *e = &t->evidence[i];
		if (e->member != m || strcmp(e->outcome, outcome))
			continue;
		char id[AL_IDLEN];
		used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? ", " : "",
					 roster_ref_name(ro, &e->id, id));
	}
}

/* Evidence from one commitment at as_of. */
static int judge(struct al_trust *t, const struct al_ledger *l, const struct al_cstatus *cs)
{
	const struct al_params *p = &l->params;
	struct al_trust_row *row = &t->rows[cs->promisor];
	enum al_cstate st = ledger_state_at(l, cs, t->as_of);
	double w = value_weight(p, cs->value);
	bool late = ledger_late(l, cs), stands = false;
	int64_t delivered = ledger_delivered_at(l, cs);
	struct al_evidence e = { cs->promisor, ledger_ref(l, &cs->id), NULL, 0, w, 0, 0, 0 };
	int rc = AL_OK;
	/* A resolved dispute is what the ruling says: upheld, it stands as
	 * disputed (dated by the ruling); rejected, the delivery stands. */
	if (st == AL_C_RESOLVED) {
		st = cs->ruling == AL_RULING_UPHOLD ? AL_C_DISPUTED : AL_C_DELIVERED;
		stands = cs->ruling == AL_RULING_REJECT;
	}
	/* A delivery earns credit only with the beneficiaries' agreement: a
	 * confirmation, a rejected dispute, or an accepted commitment whose
	 * delivery another member has seen and nobody disputed within the
	 * grace period. A promise nobody took up earns nothing by itself. */
	if (st == AL_C_DELIVERED && !stands &&
	    !(cs->accepted && cs->acked_at && t->as_of >= when_after(delivered, p->grace)))
		return AL_OK;
	switch (st) {
	case AL_C_DELIVERED:
	case AL_C_CONFIRMED:
		/* Fulfilled: positive, partly negative when late. */
		e.at = delivered;
		e.decay = decay(p, t->as_of, e.at);
		e.outcome = late ? "late" : "on-time";
		e.r = w * e.decay * p->w_on_time / 1000.0 * (late ? 1.0 - p->w_late / 1000.0 : 1.0);
		e.s = late ? w * e.decay * p->w_late / 1000.0 : 0.0;
		row->fulfilled++;
		row->late += late;
		row->given += (double)cs->value;
		size_t n_to = ledger_count(l, &cs->to);
		for (size_t b = 0; b < l->n_members; b++) {
			if (!ledger_has(l, &cs->to, b))
				continue; /* (each its own cells: the order is not the sum's) */
			t->rows[b].received += (double)cs->value / (double)n_to;
			t->pair[cs->promisor * t->n_rows + b] += (double)cs->value / (double)n_to;
		}
		if ((rc = add_evidence(t, &e)) || st != AL_C_CONFIRMED)
			return rc;
		/* The beneficiary's ratings: graded evidence, 1 = all negative,
		 * 5 = all positive. */
		double x = (cs->quality + cs->timeliness) / 2.0;
		e.at = cs->verdict_at;
		e.decay = decay(p, t->as_of, e.at);
		e.outcome = "rating";
		e.r = w * e.decay * p->w_rating / 1000.0 * (x - 1.0) / 4.0;
		e.s = w * e.decay * p->w_rating / 1000.0 * (5.0 - x) / 4.0;
		return add_evidence(t, &e);
	case AL_C_DISPUTED:
		e.at = cs->resolved_at ? cs->resolved_at : cs->verdict_at;
		e.decay = decay(p, t->as_of, e.at);
		e.outcome = cs->resolved_at ? "upheld" : "disputed";
		e.s = w * e.decay * p->w_disputed / 1000.0;
		row->disputed++;
		return add_evidence(t, &e);
	case AL_C_MISSED:
		e.at = when_after(cs->due, p->grace);
		e.decay = decay(p, t->as_of, e.at);
		e.outcome = "missed";
		e.s = w * e.decay * p->w_missed / 1000.0;
		row->missed++;
		return add_evidence(t, &e);
	default: /* proposed, accepted, overdue (within grace), declined, released */
		return AL_OK;
	}
}

int trust_compute(const struct al_ledger *l, int64_t as_of, struct al_trust **out)
{
	const struct al_roster *ro = l->ro;
	const struct al_params *p = &l->params; /* the charter's, as amended */
	size_t n = l->n_members;
	struct al_trust *t = calloc(1, sizeof *t);
	int rc = AL_E_NOMEM;
	*out = NULL;
	if (!t || !(t->rows = calloc(n, sizeof *t->rows)) ||
	    !(t->pair = calloc(n * n, sizeof *t->pair)) ||
	    !(t->order = calloc(n ? n : 1, sizeof *t->order)))
		goto out;
	memcpy(t->order, l->order, l->n_order * sizeof *t->order);
	t->n_order = l->n_order;
	t->as_of = as_of;
	t->n_rows = n;
	for (size_t m = 0; m < n; m++)
		t->rows[m].member = m;
	for (size_t i = 0; i < l->n_items; i++)
		if ((rc = judge(t, l, &l->items[i])))
			goto out;
	for (size_t i = 0; i < l->n_feedback; i++) {
		const struct al_rating *f = &l->feedback[i];
		/* Only each rater's latest rating of each member counts: rating
		 * someone again replaces, never adds. */
		bool superseded = false;
		for (size_t k = i + 1; k < l->n_feedback && !superseded; k++)
			superseded = l->feedback[k].author == f->author && l->feedback[k].about == f->about;
		if (superseded)
			continue;
		struct al_evidence e = { f->about, ledger_ref(l, &f->id), "feedback", f->at, 1.0,
					 decay(p, as_of, f->at), 0, 0 };
		e.r = e.decay * p->w_rating / 1000.0 * (f->rating - 1.0) / 4.0;
		e.s = e.decay * p->w_rating / 1000.0 * (5.0 - f->rating) / 4.0;
		if ((rc = add_evidence(t, &e)))
			goto out;
	}
	for (size_t m = 0; m < n; m++) {
		struct al_trust_row *row = &t->rows[m];
		char ids[512];
		row->trust = (row->r + 1.0) / (row->r + row->s + 2.0);
		row->uncertainty = 2.0 / (row->r + row->s + 2.0);
		rc = AL_OK;
		if (row->trust < p->warn_trust / 1000.0 &&
		    row->uncertainty < p->warn_uncertainty / 1000.0)
			rc = warn(row, "low trust %.4f on solid evidence (uncertainty %.4f)",
				  trust_round(row->trust), trust_round(row->uncertainty));
		if (rc == AL_OK && p->warn_misses && row->missed >= p->warn_misses) {
			ids_of(t, ro, m, "missed", ids, sizeof ids);
			rc = warn(row, "missed %" PRIu64 " commitments: %s", row->missed, ids);
		}
		if (rc == AL_OK && row->received > 0 &&
		    row->given / row->received < p->warn_reciprocity / 1000.0)
			rc = warn(row, "one-sided reciprocity: delivered %.2f, received %.2f",
				  row->given, row->received);
		if (rc)
			goto out;
	}
	*out = t;
	t = NULL;
	rc = AL_OK;
out:
	trust_destroy(&t);
	return rc;
}

void trust_destroy(struct al_trust **tp)
{
	struct al_trust *t = *tp;
	if (!t)
		return;
	for (size_t m = 0; t->rows && m < t->n_rows; m++) {
		for (size_t i = 0; i < t->rows[m].n_warnings; i++)
			free(t->rows[m].warnings[i]);
		free(t->rows[m].warnings);
	}
	free(t->rows);
	free(t->order);
	free(t->evidence);
	free(t->pair);
	free(t);
	*tp = NULL;
}
