/* query.c: the answers of the read-only queries as one JSON shape (see
 * query.h). Never prints and never reads a file: what the daemon and
 * alliancectl offline both call, so that their answers are the same. */
#include "query.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charter.h"
#include "err.h"
#include "grow.h"
#include "hex.h"
#include "roster.h"
#include "when.h"

static json_t *num(double x)
{
	return json_real(trust_round(x));
}

static json_t *trust_row(const struct al_roster *ro, const struct al_trust *t, size_t m)
{
	const struct al_trust_row *r = &t->rows[m];
	json_t *w = json_array();
	for (size_t i = 0; i < r->n_warnings; i++)
		json_array_append_new(w, json_string(r->warnings[i]));
	return json_pack("{s:s, s:o, s:o, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o}", "partner",
			 ro->members[m].name, "trust", num(r->trust), "uncertainty",
			 num(r->uncertainty), "fulfilled", (json_int_t)r->fulfilled, "late",
			 (json_int_t)r->late, "missed", (json_int_t)r->missed, "disputed",
			 (json_int_t)r->disputed, "given", num(r->given), "received",
			 num(r->received), "reciprocity",
			 r->received > 0 ? num(r->given / r->received) : json_null(), "warnings", w);
}

json_t *query_trust_table(const struct al_roster *ro, const struct al_trust *t)
{
	json_t *v = json_array();
	for (size_t i = 0; i < t->n_order; i++)
		if (json_array_append_new(v, trust_row(ro, t, t->order[i]))) {
			json_decref(v); /* a row that cannot be shown: fail, never drop it */
			return NULL;
		}
	return v;
}

/* One partner's row (m: its party's) with the evidence behind it. */
static json_t *explain(const struct al_roster *ro, const struct al_trust *t, size_t m)
{
	json_t *j = trust_row(ro, t, m), *ev = json_array(), *pairs = json_array();
	char at[AL_WHENLEN];
	for (size_t i = 0; i < t->n_evidence; i++) {
		const struct al_evidence *e = &t->evidence[i];
		char id[AL_IDLEN];
		if (e->member != m)
			continue;
		roster_ref_name(ro, &e->id, id);
		json_array_append_new(ev, json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "id",
			id, "outcome", e->outcome, "at", when_format(e->at, at), "age_days",
			num((double)(t->as_of - e->at) / 86400000.0), "weight", num(e->weight),
			"decay", num(e->decay), "positive", num(e->r), "negative", num(e->s)));
	}
	for (size_t i = 0; i < t->n_order; i++) {
		size_t b = t->order[i];
		if (b == m)
			continue;
		json_array_append_new(pairs, json_pack("{s:s, s:o, s:o}", "partner", ro->members[b].name,
			"delivered_to", num(t->pair[m * t->n_rows + b]), "received_from",
			num(t->pair[b * t->n_rows + m])));
	}
	json_object_set_new(j, "as_of", json_string(when_format(t->as_of, at)));
	json_object_set_new(j, "positive", num(t->rows[m].r));
	json_object_set_new(j, "negative", num(t->rows[m].s));
	json_object_set_new(j, "evidence", ev);
	json_object_set_new(j, "pairs", pairs);
	return j;
}

int query_trust(const struct al_ledger *l, int64_t as_of, const char *name, json_t **out,
		char *why)
{
	const struct al_charter *c = l->c;
	const struct al_roster *ro = l->ro;
	const struct al_member *m = NULL;
	struct al_trust *t = NULL;
	*out = NULL;
	if (name && *name && !(m = roster_member_named(ro, name))) {
		char list[1024];
		return al_errf(why, AL_E_INVAL, "no member named '%s' in charter '%s' (members: %s)",
			       name, c->title, roster_member_list(ro, list, sizeof list));
	}
	if (trust_compute(l, as_of, &t))
		return al_errf(why, AL_E_NOMEM, "out of memory");
	/* A member's row is its party's: the evidence of all its keys. */
	*out = m ? explain(ro, t, roster_party(ro, (size_t)(m - ro->members)))
		 : query_trust_table(ro, t);
	trust_destroy(&t);
	return *out ? AL_OK : al_errf(why, AL_E_NOMEM, "out of memory");
}

/* A score, or null when there is nothing to count (NAN). */
static json_t *score(double x)
{
	return isnan(x) ? json_null() : num(x);
}

/* Member m's evidence on dimension d in one walk of the items: its ids,
 * each once, into *ids (a commitment answered and judged is cited once),
 * and by outcome into *by, every outcome of the dimension a key
 * (outcomes[0..n)), in this order: what the text view cites ("1 late
 * (acme/4)"). Each id's string is made once and shared by both. */
static void score_evidence(const struct al_roster *ro, const struct al_scorecard *sc, size_t m,
			   enum al_dimension d, const char *const *outcomes, size_t n,
			   json_t **ids, json_t **by)
{
	const struct al_ref *last = NULL;
	*ids = json_array();
	*by = json_object();
	for (size_t k = 0; k < n; k++)
		json_object_set_new(*by, outcomes[k], json_array());
	for (size_t i = 0; i < sc->n_items; i++) {
		const struct al_score_item *it = &sc->items[i];
		char id[AL_IDLEN];
		if (it->member != m || it->dim != d)
			continue;
		json_t *s = json_string(roster_ref_name(ro, &it->id, id));
		json_array_append(json_object_get(*by, it->outcome), s);
		if (!last || last->seq != it->id.seq ||
		    memcmp(&last->author, &it->id.author, AL_KEYLEN))
			json_array_append(*ids, s);
		json_decref(s);
		last = &it->id;
	}
}

static json_t *scorecard_row(const struct al_roster *ro, const struct al_scorecard *sc, size_t m)
{
	static const char *const rel[] = { "on-time", "late", "missed" },
		*const qual[] = { "confirmed", "disputed", "upheld" },
		*const resp[] = { "accepted", "declined", "confirmed", "disputed", "waiting" };
	const struct al_trust *t = sc->t;
	const struct al_trust_row *tr = &t->rows[m];
	const struct al_score_row *r = &sc->rows[m];
	json_t *w = json_array(), *pairs = json_array(), *ids[3], *by[3];
	score_evidence(ro, sc, m, AL_DIM_RELIABILITY, rel, 3, &ids[0], &by[0]);
	score_evidence(ro, sc, m, AL_DIM_QUALITY, qual, 3, &ids[1], &by[1]);
	score_evidence(ro, sc, m, AL_DIM_RESPONSIVENESS, resp, 5, &ids[2], &by[2]);
	for (size_t i = 0; i < tr->n_warnings; i++)
		json_array_append_new(w, json_string(tr->warnings[i]));
	for (size_t i = 0; i < t->n_order; i++) {
		size_t b = t->order[i];
		if (b != m)
			json_array_append_new(pairs, json_pack("{s:s, s:o, s:o}", "partner",
				ro->members[b].name, "given", num(t->pair[m * t->n_rows + b]),
				"received", num(t->pair[b * t->n_rows + m])));
	}
	return json_pack("{s:s, s:o, s:o, s:{s:o, s:I, s:I, s:I, s:o, s:o}, "
			 "s:{s:o, s:I, s:I, s:o, s:o, s:o, s:o}, "
			 "s:{s:o, s:I, s:o, s:I, s:o, s:I, s:o, s:o}, s:{s:o, s:o, s:o, s:o}, s:o}",
		"partner", ro->members[m].name, "trust", num(tr->trust), "uncertainty",
		num(tr->uncertainty),
		"reliability", "score", score(r->reliability), "on_time", (json_int_t)r->on_time,
		"late", (json_int_t)r->late, "missed", (json_int_t)r->missed, "evidence",
		ids[0], "by_outcome", by[0],
		"quality", "score", score(r->quality), "confirmed", (json_int_t)r->confirmed,
		"disputed", (json_int_t)r->disputed, "mean_quality", score(r->mean_quality),
		"mean_timeliness", score(r->mean_timeliness), "evidence",
		ids[1], "by_outcome", by[1],
		"responsiveness", "score", score(r->responsiveness), "answers",
		(json_int_t)r->answers, "answer_hours", score(r->answer_hours), "verdicts",
		(json_int_t)r->verdicts, "verdict_hours", score(r->verdict_hours), "waiting",
		(json_int_t)r->waiting, "evidence", ids[2],
		"by_outcome", by[2],
		"reciprocity", "given", num(tr->given), "received", num(tr->received), "ratio",
		tr->received > 0 ? num(tr->given / tr->received) : json_null(), "pairs", pairs,
		"warnings", w);
}

/* One line per piece of member m's evidence, by dimension. */
static json_t *score_details(const struct al_roster *ro, const struct al_scorecard *sc, size_t m)
{
	json_t *v = json_array();
	for (size_t i = 0; i < sc->n_items; i++) {
		const struct al_score_item *it = &sc->items[i];
		char id[AL_IDLEN], at[AL_WHENLEN];
		if (it->member != m)
			continue;
		json_t *d = json_pack("{s:s, s:s, s:s, s:s}", "dimension",
				      scorecard_dimension_name(it->dim), "id",
				      roster_ref_name(ro, &it->id, id), "outcome", it->outcome, "at",
				      when_format(it->at, at));
		if (it->dim == AL_DIM_RECIPROCITY) {
			json_object_set_new(d, "partner", json_string(ro->members[it->other].name));
			json_object_set_new(d, "value", num(it->score));
		} else {
			json_object_set_new(d, "score", num(it->score));
		}
		if (it->dim == AL_DIM_QUALITY && it->quality) {
			json_object_set_new(d, "quality", json_integer(it->quality));
			json_object_set_new(d, "timeliness", json_integer(it->timeliness));
		}
		if (it->dim == AL_DIM_RESPONSIVENESS)
			json_object_set_new(d, "hours", num(it->hours));
		if (json_array_append_new(v, d)) {
			json_decref(v);
			return NULL;
		}
	}
	return v;
}

json_t *query_scorecard_table(const struct al_roster *ro, const struct al_scorecard *sc)
{
	json_t *v = json_array();
	for (size_t i = 0; i < sc->t->n_order; i++)
		if (json_array_append_new(v, scorecard_row(ro, sc, sc->t->order[i]))) {
			json_decref(v); /* a row that cannot be shown: fail, never drop it */
			return NULL;
		}
	return v;
}

int query_scorecard(const struct al_ledger *l, int64_t as_of, const char *name, json_t **out,
		    char *why)
{
	const struct al_roster *ro = l->ro;
	const struct al_member *m = NULL;
	struct al_scorecard *sc = NULL;
	char at[AL_WHENLEN];
	*out = NULL;
	if (name && *name && !(m = roster_member_named(ro, name))) {
		char list[1024];
		return al_errf(why, AL_E_INVAL, "no member named '%s' in charter '%s' (members: %s)",
			       name, l->c->title, roster_member_list(ro, list, sizeof list));
	}
	if (scorecard_compute(l, as_of, &sc))
		return al_errf(why, AL_E_NOMEM, "out of memory");
	if (m) { /* a member's scorecard is its party's, as its trust row */
		size_t p = roster_party(ro, (size_t)(m - ro->members));
		json_t *d = score_details(ro, sc, p);
		if ((*out = scorecard_row(ro, sc, p)) && d) {
			json_object_set_new(*out, "as_of", json_string(when_format(as_of, at)));
			json_object_set_new(*out, "details", d);
		} else {
			json_decref(*out);
			json_decref(d);
			*out = NULL;
		}
	} else {
		*out = query_scorecard_table(ro, sc);
	}
	scorecard_destroy(&sc);
	return *out ? AL_OK : al_errf(why, AL_E_NOMEM, "out of memory");
}

/* 0 when state is empty or a state's name, otherwise AL_E_INVAL naming
 * it and the choices. */
static int state_ok(const char *state, char *why)
{
	if (state && *state) {
		int s = 0;
		while (s < AL_C_COUNT && strcmp(ledger_state_name((enum al_cstate)s), state))
			s++;
		if (s == AL_C_COUNT)
			return al_errf(why, AL_E_INVAL, "--state: no state '%s' (proposed, accepted, "
				       "declined, delivered, confirmed, disputed, resolved, released, "
				       "overdue, missed)", state);
	}
	return AL_OK;
}

/* Commitment s's row into *row (NULL when it is not in state, not NULL or
 * ""): its text and its beneficiaries, in the order it names them, from
 * its message (msgs). 0, AL_E_NOMEM, or what msgs returned (with why). */
static int commitment_row(const struct al_ledger *l, const struct al_msgs *msgs,
			  const struct al_cstatus *s, int64_t as_of, const char *state,
			  json_t **row, char *why)
{
	const struct al_roster *ro = l->ro;
	const char *st = ledger_state_name(ledger_state_at(l, s, as_of));
	char id[AL_IDLEN], t[AL_WHENLEN], task[AL_IDLEN];
	struct al_ref ref = ledger_ref(l, &s->id), task_ref = ledger_ref(l, &s->task);
	struct al_body e;
	*row = NULL;
	if (state && *state && strcmp(st, state))
		return AL_OK;
	roster_ref_name(ro, &ref, id);
	int rc = msgs->body(msgs->arg, &ref.author, ref.seq, &e, why);
	if (rc)
		return rc;
	if (e.kind != AL_KIND_COMMITMENT) {
		msg_body_clear(&e);
		return al_errf(why, AL_E_CORRUPT, "%s is not the commitment the ledger holds: the "
			       "log changed under it", id);
	}
	const struct al_commitment *cm = &e.u.commitment;
	json_t *to = json_array();
	for (size_t b = 0; b < cm->n_to; b++) {
		long k = roster_index(ro, &cm->to[b]); /* its party's name: the ledger's to */
		json_array_append_new(to, json_string(k < 0 ? "?" : ro->members[l->party[k]].name));
	}
	*row = json_pack("{s:s, s:s, s:o, s:s, s:s, s:I, s:s, s:b, s:o}",
		"id", id, "promisor", ro->members[s->promisor].name, "to", to, "what",
		cm->what ? cm->what : "", "due", when_format(s->due, t), "value",
		(json_int_t)s->value, "state", st, "late", ledger_late(l, s), "task",
		s->task.seq ? json_string(roster_ref_name(ro, &task_ref, task)) : json_null());
	msg_body_clear(&e);
	return *row ? AL_OK : al_errf(why, AL_E_NOMEM, "out of memory");
}

int query_commitments(const struct al_ledger *l, const struct al_msgs *msgs, int64_t as_of,
		      const char *state, json_t **out, char *why)
{
	*out = NULL;
	int rc = state_ok(state, why);
	if (rc)
		return rc;
	json_t *all = json_array();
	if (!all)
		return al_errf(why, AL_E_NOMEM, "out of memory");
	for (size_t i = 0; rc == AL_OK && i < l->n_items; i++) {
		json_t *row;
		rc = commitment_row(l, msgs, &l->items[i], as_of, state, &row, why);
		if (rc == AL_OK && row && json_array_append_new(all, row))
			rc = al_errf(why, AL_E_NOMEM, "out of memory");
	}
	if (rc) {
		json_decref(all); /* never a list with one missing */
		return rc;
	}
	*out = all;
	return AL_OK;
}

/* Append json's compact text (after sep, when not 0) to *buf. */
static int put_text(char **buf, size_t *n, size_t *cap, char sep, const json_t *json)
{
	size_t len = json_dumpb(json, NULL, 0, JSON_COMPACT);
	if (!len || grow(buf, cap, *n + len + 2, 1))
		return AL_E_NOMEM;
	if (sep)
		(*buf)[(*n)++] = sep;
	*n += json_dumpb(json, *buf + *n, len, JSON_COMPACT);
	return AL_OK;
}

int query_dump(const struct al_ledger *l, const struct al_msgs *msgs, const struct al_query *q,
	       char **out, char *why)
{
	*out = NULL;
	if (strcmp(q->what, "commitments")) {
		json_t *j;
		int rc = query_answer(l, msgs, q, &j, why);
		if (rc)
			return rc;
		*out = json_dumps(j, JSON_COMPACT);
		json_decref(j);
		return *out ? AL_OK : al_errf(why, AL_E_NOMEM, "out of memory");
	}
	int rc = state_ok(q->state, why);
	if (rc)
		return rc;
	char *buf = NULL;
	size_t n = 0, cap = 0, rows = 0;
	if (grow(&buf, &cap, 2, 1))
		return al_errf(why, AL_E_NOMEM, "out of memory");
	buf[n++] = '[';
	for (size_t i = 0; rc == AL_OK && i < l->n_items; i++) {
		json_t *row;
		rc = commitment_row(l, msgs, &l->items[i], q->as_of, q->state, &row, why);
		if (rc == AL_OK && row && put_text(&buf, &n, &cap, rows++ ? ',' : 0, row))
			rc = al_errf(why, AL_E_NOMEM, "out of memory");
		json_decref(row);
	}
	if (rc) {
		free(buf);
		return rc;
	}
	buf[n++] = ']';
	buf[n] = 0;
	*out = buf;
	return AL_OK;
}

int query_alliance(const struct al_ledger *l, int64_t as_of, json_t **out, char *why)
{
	const struct al_charter *c = l->c;
	const struct al_roster *ro = l->ro;
	char id[2 * AL_HASHLEN + 1], at[AL_WHENLEN], created[AL_WHENLEN];
	json_t *objectives = json_array(), *members = json_array();
	for (size_t i = 0; i < c->n_objectives; i++)
		json_array_append_new(objectives, json_string(c->objectives[i]));
	for (size_t i = 0; i < l->n_order; i++) {
		size_t m = l->order[i];
		json_t *keys = json_array();
		char key[2 * AL_KEYLEN + 1];
		/* Every key that acted for this member: its first, then each
		 * replacement in the order the roster holds them. */
		for (size_t k = 0; k < l->n_members; k++)
			if (l->party[k] == m)
				json_array_append_new(keys, json_string(hex_encode(
					ro->members[k].sign_key.b, AL_KEYLEN, key)));
		json_array_append_new(members, json_pack("{s:s, s:s, s:o, s:s, s:b}", "name",
			ro->members[m].name, "key", json_string_value(json_array_get(keys, 0)), "keys",
			keys, "standing", roster_standing_name(l->standing[m]), "founder",
			m < c->n_members));
	}
	/* warn_trust: the threshold of the trust warning then in effect (the
	 * charter's, as amended), which a report's trust chart marks. */
	*out = json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:o, s:o, s:o}", "id",
			 hex_encode(c->id.b, AL_HASHLEN, id), "title", c->title, "objectives",
			 objectives, "scope", c->scope ? c->scope : "", "created",
			 when_format(c->created, created), "as_of", when_format(as_of, at),
			 "age_days", num((double)(as_of - c->created) / 86400000.0), "members",
			 members, "warn_trust", num(l->params.warn_trust / 1000.0));
	return *out ? AL_OK : al_errf(why, AL_E_NOMEM, "out of memory");
}

/* The points of a series over span ms by step ms: every step from the
 * start, and the end when it is not on one. */
static uint64_t series_count(uint64_t span, uint64_t step)
{
	return span / step + 1 + (span % step != 0);
}

int query_series_points(const struct al_charter *c, const struct al_query *q, int64_t **points,
			size_t *n, char *why)
{
	char a[AL_WHENLEN], b[AL_WHENLEN], d[AL_WHENLEN], e[AL_WHENLEN];
	int64_t since = q->since ? q->since : c->created;
	*points = NULL;
	*n = 0;
	if (!q->step)
		return al_errf(why, AL_E_INVAL, "--series: the step must be a positive duration, "
			       "not 0 (e.g. --series 1d)");
	if (since > q->as_of)
		return al_errf(why, AL_E_INVAL, "%s %s is after --as-of %s: give a --since at or "
			       "before it", q->since ? "--since" : "the charter's creation (the "
			       "default --since)", when_format(since, a), when_format(q->as_of, b));
	/* In unsigned arithmetic: a span of the years 0 to 9999 fits, a step
	 * past the end of time is one point and as_of. */
	uint64_t span = (uint64_t)q->as_of - (uint64_t)since;
	uint64_t step = q->step > UINT64_MAX / 1000 ? UINT64_MAX : q->step * 1000;
	uint64_t count = series_count(span, step);
	if (count > QUERY_SERIES_MAX) {
		/* The least whole seconds that fit, counted in milliseconds (a
		 * span's fraction of a second is a point too), then whole
		 * minutes, hours or days; checked, so that the step suggested
		 * is never one refused. */
		uint64_t fit = (span + (QUERY_SERIES_MAX - 1) * 1000ULL - 1) /
			       ((QUERY_SERIES_MAX - 1) * 1000ULL);
		uint64_t unit = fit > 86400 ? 86400 : fit > 3600 ? 3600 : fit > 60 ? 60 : 1;
		fit = (fit + unit - 1) / unit * unit;
		while (series_count(span, fit * 1000) > QUERY_SERIES_MAX)
			fit += unit;
		return al_errf(why, AL_E_INVAL, "--series %s from %s to %s makes %llu points, more "
			       "than %d: give a larger step (e.g. --series %s) or a later --since",
			       duration_format(q->step, d), when_format(since, a),
			       when_format(q->as_of, b), (unsigned long long)count,
			       QUERY_SERIES_MAX, duration_format(fit, e));
	}
	if (!(*points = malloc(count * sizeof **points)))
		return al_errf(why, AL_E_NOMEM, "out of memory");
	for (uint64_t i = 0; i <= span / step; i++) /* i x step never passes span */
		(*points)[(*n)++] = (int64_t)((uint64_t)since + i * step);
	if (span % step)
		(*points)[(*n)++] = q->as_of;
	return AL_OK;
}

/* ledger_of_log_series' call at each point: its table, as query_trust
 * gives it, each row with "as_of", appended to the array arg. */
static int series_point(void *arg, const struct al_ledger *l, int64_t point, char *why)
{
	char at[AL_WHENLEN];
	json_t *rows, *row;
	size_t i;
	int rc = query_trust(l, point, "", &rows, why);
	if (rc)
		return rc;
	json_array_foreach(rows, i, row)
		if (json_object_set_new(row, "as_of", json_string(when_format(point, at))))
			rc = AL_E_NOMEM;
	if (rc || json_array_extend(arg, rows))
		rc = al_errf(why, AL_E_NOMEM, "out of memory");
	json_decref(rows);
	return rc;
}

int query_series(const char *path, struct al_roster *ro, enum al_ledger_check check,
		 const struct al_query *q, json_t **out, char *why)
{
	int64_t *points;
	size_t n;
	*out = NULL;
	int rc = query_series_points(ro->c, q, &points, &n, why);
	if (rc)
		return rc;
	json_t *all = json_array();
	rc = all ? ledger_of_log_series(path, ro, check, points, n, series_point, all, why)
		 : al_errf(why, AL_E_NOMEM, "out of memory");
	free(points);
	if (rc) {
		json_decref(all); /* never a series with a point missing */
		return rc;
	}
	*out = all;
	return AL_OK;
}

int query_answer(const struct al_ledger *l, const struct al_msgs *msgs, const struct al_query *q,
		 json_t **out, char *why)
{
	*out = NULL;
	if (!strcmp(q->what, "trust"))
		return query_trust(l, q->as_of, q->name, out, why);
	if (!strcmp(q->what, "commitments"))
		return query_commitments(l, msgs, q->as_of, q->state, out, why);
	if (!strcmp(q->what, "alliance"))
		return query_alliance(l, q->as_of, out, why);
	if (!strcmp(q->what, "scorecard"))
		return query_scorecard(l, q->as_of, q->name, out, why);
	if (!strcmp(q->what, "series"))
		return al_errf(why, AL_E_INVAL, "the series is answered from the log, not a ledger: "
			       "query_series");
	return al_errf(why, AL_E_INVAL, "no query '%s' (trust, commitments, alliance, scorecard, "
		       "series)", q->what);
}
