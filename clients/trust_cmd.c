/* trust_cmd.c: alliancectl trust: the trust table, computed from the log
 * (offline, like commitments and audit) at an evaluation time; with a NAME,
 * the evidence behind that partner's score. */
#include "ctl.h"
#include "charter.h"
#include "err.h"
#include "ledger.h"
#include "members.h"
#include "trust.h"
#include "when.h"

#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char trust_usage[] =
	"usage: alliancectl trust [NAME] [HOME|LOG] [-H HOME] [--alliance ID|TITLE]\n"
	"                         [--charter FILE] [--as-of WHEN] [--verify] [--json]\n\n"
	"The trust table: per partner, trust and its uncertainty, commitments\n"
	"fulfilled, late, missed and disputed, value given and received, and\n"
	"reciprocity, with warnings that name their evidence. It is computed from\n"
	"the signed log and the evaluation time alone, with the charter's\n"
	"parameters, so every member and any auditor gets the same table for the\n"
	"same --as-of (docs/trust.md has the model).\n\n"
	"  NAME            explain one partner: every piece of evidence, its weight,\n"
	"                  age and decay, and the value exchanged with each partner\n"
	"  --as-of WHEN    evaluate at this time (ISO-8601 or +/-duration; default now)\n"
	"  --verify        verify every signature of a home's own log too (a bare log\n"
	"                  file always is; the home's were verified on admission)\n"
	"  --json          an array of {partner, trust, uncertainty, fulfilled, late,\n"
	"                  missed, disputed, given, received, reciprocity, warnings};\n"
	"                  with NAME, that object with \"evidence\" and \"pairs\"\n";

static json_t *num(double x)
{
	return json_real(trust_round(x));
}

static json_t *trust_row_json(const struct al_charter *c, const struct al_trust *t, size_t m)
{
	const struct al_trust_row *r = &t->rows[m];
	json_t *w = json_array();
	for (size_t i = 0; i < r->n_warnings; i++)
		json_array_append_new(w, json_string(r->warnings[i]));
	return json_pack("{s:s, s:o, s:o, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o}", "partner",
			 c->members[m].name, "trust", num(r->trust), "uncertainty",
			 num(r->uncertainty), "fulfilled", (json_int_t)r->fulfilled, "late",
			 (json_int_t)r->late, "missed", (json_int_t)r->missed, "disputed",
			 (json_int_t)r->disputed, "given", num(r->given), "received",
			 num(r->received), "reciprocity",
			 r->received > 0 ? num(r->given / r->received) : json_null(), "warnings", w);
}

json_t *ctl_trust_json(const struct al_charter *c, const struct al_trust *t)
{
	json_t *v = json_array();
	for (size_t i = 0; i < t->n_order; i++)
		if (json_array_append_new(v, trust_row_json(c, t, t->order[i]))) {
			json_decref(v); /* a row that cannot be shown: fail, never drop it */
			return NULL;
		}
	return v;
}

static json_t *explain(const struct al_charter *c, const struct al_trust *t, size_t m)
{
	json_t *j = trust_row_json(c, t, m), *ev = json_array(), *pairs = json_array();
	for (size_t i = 0; i < t->n_evidence; i++) {
		const struct al_evidence *e = &t->evidence[i];
		char id[AL_IDLEN], at[AL_WHENLEN];
		if (e->member != m)
			continue;
		charter_ref_name(c, &e->id, id);
		json_array_append_new(ev, json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "id",
			id, "outcome", e->outcome, "at", when_format(e->at, at), "age_days",
			num((double)(t->as_of - e->at) / 86400000.0), "weight", num(e->weight),
			"decay", num(e->decay), "positive", num(e->r), "negative", num(e->s)));
	}
	for (size_t i = 0; i < t->n_order; i++) {
		size_t b = t->order[i];
		if (b == m)
			continue;
		json_array_append_new(pairs, json_pack("{s:s, s:o, s:o}", "partner", c->members[b].name,
			"delivered_to", num(t->pair[m * t->n_rows + b]), "received_from",
			num(t->pair[b * t->n_rows + m])));
	}
	json_object_set_new(j, "evidence", ev);
	json_object_set_new(j, "pairs", pairs);
	return j;
}

/* trust NAME as text: from explain's JSON, escaped (names and ids are the
 * members' text). */
static int explain_print(const struct al_charter *c, const struct al_trust *t,
			 const struct al_member *m, size_t row, int64_t as_of)
{
	json_t *j = explain(c, t, row), *e;
	size_t i;
	char when[AL_WHENLEN], name[4 * AL_NAME_MAX + 1];
	if (!j || ctl_json_escape(j)) {
		json_decref(j);
		return ctl_error("out of memory");
	}
	printf("%s: trust %.4f, uncertainty %.4f (r %.4f, s %.4f) as of %s\n",
	       ctl_esc(m->name, name, sizeof name), trust_round(t->rows[row].trust),
	       trust_round(t->rows[row].uncertainty), trust_round(t->rows[row].r),
	       trust_round(t->rows[row].s), when_format(as_of, when));
	if (!json_array_size(json_object_get(j, "evidence")))
		printf("  no evidence yet: trust starts at 0.5 with full uncertainty\n");
	json_array_foreach(json_object_get(j, "evidence"), i, e)
		printf("  %-14s %-9s %s  age %7.2f d  weight %6.2f  decay %.4f  +%.4f -%.4f\n",
		       json_string_value(json_object_get(e, "id")),
		       json_string_value(json_object_get(e, "outcome")),
		       json_string_value(json_object_get(e, "at")),
		       json_real_value(json_object_get(e, "age_days")),
		       json_real_value(json_object_get(e, "weight")),
		       json_real_value(json_object_get(e, "decay")),
		       json_real_value(json_object_get(e, "positive")),
		       json_real_value(json_object_get(e, "negative")));
	json_array_foreach(json_object_get(j, "pairs"), i, e)
		printf("  with %-16s delivered to it %10.2f, received from it %10.2f\n",
		       json_string_value(json_object_get(e, "partner")),
		       json_real_value(json_object_get(e, "delivered_to")),
		       json_real_value(json_object_get(e, "received_from")));
	json_array_foreach(json_object_get(j, "warnings"), i, e)
		printf("  WARNING %s\n", json_string_value(e));
	json_decref(j);
	return 0;
}

void ctl_trust_print(const struct al_charter *c, const struct al_trust *t)
{
	printf("%-16s %7s %7s %5s %5s %6s %8s %10s %10s %7s\n", "PARTNER", "TRUST", "UNCERT",
	       "FULF", "LATE", "MISSED", "DISPUTED", "GIVEN", "RECEIVED", "RECIP");
	for (size_t i = 0; i < t->n_order; i++) {
		size_t m = t->order[i];
		const struct al_trust_row *r = &t->rows[m];
		char recip[16] = "-", name[4 * AL_NAME_MAX + 1];
		if (r->received > 0)
			snprintf(recip, sizeof recip, "%.2f", trust_round(r->given / r->received));
		printf("%-16s %7.4f %7.4f %5" PRIu64 " %5" PRIu64 " %6" PRIu64 " %8" PRIu64
		       " %10.2f %10.2f %7s\n", ctl_esc(c->members[m].name, name, sizeof name),
		       trust_round(r->trust),
		       trust_round(r->uncertainty), r->fulfilled, r->late, r->missed, r->disputed,
		       r->given, r->received, recip);
	}
	for (size_t i = 0; i < t->n_order; i++)
		for (size_t k = 0; k < t->rows[t->order[i]].n_warnings; k++) {
			/* A warning names members and ids: their text, escaped. */
			char name[4 * AL_NAME_MAX + 1], w[4 * 1024 + 1];
			printf("WARNING %s: %s\n", ctl_esc(c->members[t->order[i]].name, name,
							   sizeof name),
			       ctl_esc(t->rows[t->order[i]].warnings[k], w, sizeof w));
		}
}

int cmd_trust(int argc, char **argv)
{
	enum { O_JSON = 256, O_ASOF, O_ALLIANCE, O_CHARTER, O_VERIFY };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, O_JSON },
		{ "as-of", required_argument, NULL, O_ASOF },
		{ "alliance", required_argument, NULL, O_ALLIANCE },
		{ "charter", required_argument, NULL, O_CHARTER },
		{ "verify", no_argument, NULL, O_VERIFY },
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *home_opt = NULL, *sel = NULL, *charter_path = NULL, *name = NULL, *arg = NULL;
	int opt, json = 0, verify = 0;
	int64_t as_of = when_now();
	char why[AL_ERRLEN];
	optind = 1;
	while ((opt = getopt_long(argc, argv, "hH:", opts, NULL)) != -1) {
		switch (opt) {
		case 'h': fputs(trust_usage, stdout); return 0;
		case 'H': home_opt = optarg; break;
		case O_JSON: json = 1; break;
		case O_ALLIANCE: sel = optarg; break;
		case O_CHARTER: charter_path = optarg; break;
		case O_VERIFY: verify = 1; break;
		case O_ASOF:
			if (when_parse(optarg, when_now(), &as_of, why))
				return ctl_usage("trust", "--as-of: %s", why);
			break;
		default: return ctl_usage("trust", "bad option");
		}
	}
	/* NAME, then an optional HOME|LOG (a path: it has a '/'). */
	for (int i = optind; i < argc; i++) {
		if (!name && !strchr(argv[i], '/') && !arg)
			name = argv[i];
		else if (!arg)
			arg = argv[i];
		else
			return ctl_usage("trust", "unexpected argument '%s'", argv[i]);
	}
	if (!(arg = ctl_log_arg("trust", arg, home_opt)))
		return CTL_EXIT_USAGE;
	struct al_charter *c;
	struct al_ledger *l;
	struct al_trust *t = NULL;
	if (ctl_load_ledger(arg, charter_path, sel, as_of, verify, &c, &l))
		return CTL_EXIT_FAIL;
	int rc = 0;
	const struct al_member *m = name ? charter_member_named(c, name) : NULL;
	/* Its row is its party's: the evidence of all its keys. */
	size_t row = m ? members_party(c, (size_t)(m - c->members)) : 0;
	if (name && !m) {
		char list[1024];
		rc = ctl_error("no member named '%s' in charter '%s' (members: %s)%s", name, c->title,
			       charter_member_list(c, list, sizeof list),
			       access(name, F_OK) == 0 ? "; to read a home or log by that name, write "
			       "it as a path (./NAME) or use -H" : "");
	} else if (trust_compute(l, as_of, &t)) {
		rc = ctl_error("out of memory");
	} else if (json) {
		rc = ctl_print_json(m ? explain(c, t, row) : ctl_trust_json(c, t));
	} else if (!m) {
		ctl_trust_print(c, t);
	} else {
		rc = explain_print(c, t, m, row, as_of);
	}
	trust_destroy(&t);
	ledger_destroy(&l);
	charter_destroy(&c);
	return rc;
}
