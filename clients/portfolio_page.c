/* portfolio_page.c: the portfolio page (portfolio_page.h): one section per
 * alliance (members, commitments, what this firm owes and is owed, the
 * partners' trust and warnings) and the partners across alliances, on the
 * report's page shell. Writes the document's numbers, shown as portfolio's
 * text view shows them; computes only the sums of the overview's counts. */
#include "portfolio_page.h"
#include "ctl.h"
#include "report.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ATTR="partner text" */
static void attr(FILE *f, const char *name, const char *value)
{
	fprintf(f, " %s=\"", name);
	report_text(f, value);
	fputc('"', f);
}

/* How the number of document key KEY ("totals.given": the last part) is
 * shown: as portfolio's text view shows it. */
static enum report_kind kind_of(const char *key)
{
	static const char *const values[] = { "owes", "owed", "given", "received", "owes_us",
					      "owed_by_us" };
	const char *k = strrchr(key, '.') ? strrchr(key, '.') + 1 : key;
	if (!strcmp(k, "trust") || !strcmp(k, "uncertainty"))
		return RK_TRUST;
	if (!strcmp(k, "reciprocity"))
		return RK_SCORE;
	if (!strcmp(k, "age_days"))
		return RK_DAYS;
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
		if (!strcmp(k, values[i]))
			return RK_VALUE;
	return RK_COUNT;
}

/* <TAG class="n" data-alliance=ID data-partner=P data-key=KEY
 * data-value=JSON>shown</TAG>: the hooks a test reads (ID or P may be
 * NULL: not written). */
static void num_el(FILE *f, const char *tag, const char *id, const char *partner,
		   const char *key, const json_t *v)
{
	fprintf(f, "<%s class=\"n\"", tag);
	if (id)
		attr(f, "data-alliance", id);
	if (partner)
		attr(f, "data-partner", partner);
	fprintf(f, " data-key=\"%s\"", key);
	report_value(f, v, kind_of(key));
	fprintf(f, "</%s>", tag);
}

static void num_td(FILE *f, const char *id, const char *partner, const char *key,
		   const json_t *v)
{
	num_el(f, "td", id, partner, key, v);
}

/* The figures read first: the alliances, their commitments summed, the
 * open warnings and whose, and each partner firm's trust in each alliance
 * (the same hooks as the partners table's). */
static void glance(FILE *f, const json_t *doc)
{
	static const char *const keys[] = { "total", "open", "overdue", "missed" };
	const json_t *alliances = json_object_get(doc, "alliances"), *a, *r, *p;
	json_int_t sum[4] = { 0 };
	size_t i, k, warnings = 0, named = 0;
	json_array_foreach(alliances, i, a) {
		const json_t *c = json_object_get(a, "commitments");
		for (k = 0; k < 4; k++)
			sum[k] += json_integer_value(json_object_get(c, keys[k]));
		json_array_foreach(json_object_get(a, "trust"), k, r)
			warnings += json_array_size(json_object_get(r, "warnings"));
	}
	report_section(f, "glance", "At a glance");
	fprintf(f, "<dl class=\"figs\">\n<dt>Alliances</dt><dd><span class=\"big\" "
		   "data-key=\"glance.alliances\">%zu</span></dd>\n<dt>Partner firms</dt><dd>"
		   "<span class=\"big\" data-key=\"glance.partners\">%zu</span></dd>\n"
		   "<dt>Commitments</dt><dd><span class=\"big\" data-key=\"glance.total\">%lld"
		   "</span> in all: <span data-key=\"glance.open\">%lld</span> open (of which "
		   "<span data-key=\"glance.overdue\">%lld</span> overdue) \u00b7 "
		   "<span data-key=\"glance.missed\">%lld</span> missed</dd>\n<dt>Open warnings"
		   "</dt><dd><span class=\"big%s\" data-key=\"glance.warnings\">%zu</span>",
		json_array_size(alliances), json_array_size(json_object_get(doc, "partners")),
		(long long)sum[0], (long long)sum[1], (long long)sum[2], (long long)sum[3],
		warnings ? " warned" : "", warnings);
	json_array_foreach(alliances, i, a)
		json_array_foreach(json_object_get(a, "trust"), k, r) {
			if (!json_array_size(json_object_get(r, "warnings")))
				continue;
			fputs(named++ ? ", " : " (", f);
			fputs("<span class=\"warned\">", f);
			report_text(f, ctl_jstr(r, "partner"));
			fputs("</span> in ", f);
			report_text(f, ctl_jstr(a, "title"));
		}
	fputs(named ? ")</dd>\n</dl>\n" : "</dd>\n</dl>\n", f);
	if (!json_array_size(json_object_get(doc, "partners"))) {
		report_section_end(f);
		return;
	}
	fputs("<table class=\"glance\">\n<thead><tr><th>Partner</th><th>Alliance</th>"
	      "<th class=\"n\">Trust</th><th>0 \u2013 trust and its uncertainty band \u2013 1</th>"
	      "<th class=\"n\">Uncertainty</th></tr></thead>\n<tbody>\n", f);
	json_array_foreach(json_object_get(doc, "partners"), i, p) {
		const char *key = ctl_jstr(p, "key");
		json_array_foreach(json_object_get(p, "alliances"), k, r) {
			fputs("<tr><td>", f);
			report_text(f, ctl_jstr(r, "partner"));
			fputs("</td><td>", f);
			report_text(f, ctl_jstr(r, "title"));
			fputs("</td>", f);
			num_td(f, ctl_jstr(r, "alliance"), key, "trust", json_object_get(r, "trust"));
			fputs("<td>", f);
			report_trust_bar(f, json_object_get(r, "trust"),
					 json_object_get(r, "uncertainty"), NULL);
			fputs("</td>", f);
			num_td(f, ctl_jstr(r, "alliance"), key, "uncertainty",
			       json_object_get(r, "uncertainty"));
			fputs("</tr>\n", f);
		}
	}
	fputs("</tbody>\n</table>\n", f);
	report_section_end(f);
}

/* The overview: a line per alliance. */
static void overview(FILE *f, const json_t *doc)
{
	static const char *const keys[] = { "open", "overdue", "missed" };
	const json_t *a, *r;
	size_t i, k;
	report_section(f, "overview", "Alliances");
	fputs("<p class=\"note\">Open commitments are those proposed, accepted or overdue. This "
	      "firm owes the value of the open commitments it promised, and is owed its share "
	      "(value divided by the number of beneficiaries) of those promised to it "
	      "(docs/portfolio.md).</p>\n<table class=\"overview\">\n<thead><tr><th>Alliance</th>"
	      "<th>This firm</th><th class=\"n\">Members</th><th class=\"n\">Open</th>"
	      "<th class=\"n\">Overdue</th><th class=\"n\">Missed</th><th class=\"n\">Owes</th>"
	      "<th class=\"n\">Owed</th><th class=\"n\">Warnings</th></tr></thead>\n<tbody>\n", f);
	json_array_foreach(json_object_get(doc, "alliances"), i, a) {
		const char *id = ctl_jstr(a, "id");
		const json_t *c = json_object_get(a, "commitments");
		json_int_t warnings = 0;
		json_array_foreach(json_object_get(a, "trust"), k, r)
			warnings += (json_int_t)json_array_size(json_object_get(r, "warnings"));
		fputs("<tr><td", f);
		attr(f, "data-alliance", id);
		fputs(" data-key=\"title\">", f);
		report_text(f, ctl_jstr(a, "title"));
		fputs("</td><td>", f);
		report_text(f, json_is_string(json_object_get(a, "me")) ? ctl_jstr(a, "me")
			    : "(not a member)");
		fputs("</td>", f);
		json_t *n = json_integer((json_int_t)json_array_size(json_object_get(a, "members")));
		num_td(f, id, NULL, "members", n);
		json_decref(n);
		for (k = 0; k < 3; k++) {
			char key[32];
			snprintf(key, sizeof key, "commitments.%s", keys[k]);
			num_td(f, id, NULL, key, json_object_get(c, keys[k]));
		}
		num_td(f, id, NULL, "owes", json_object_get(a, "owes"));
		num_td(f, id, NULL, "owed", json_object_get(a, "owed"));
		n = json_integer(warnings);
		num_td(f, id, NULL, "warnings", n);
		json_decref(n);
		fputs("</tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
	report_section_end(f);
}

/* One alliance's section: its facts, its trust table, its warnings. */
static int alliance_section(FILE *f, const json_t *a, size_t i)
{
	static const char *const cnt[] = { "total", "open", "proposed", "accepted", "overdue",
					   "missed" };
	static const char *const cnt_h[] = { "In all", "Open", "Proposed", "Accepted", "Overdue",
					     "Missed" };
	static const char *const cols[] = { "trust", "uncertainty", "fulfilled", "late",
					    "missed", "disputed", "given", "received",
					    "reciprocity" };
	static const char *const cols_h[] = { "Trust", "Uncertainty", "Fulfilled", "Late",
					      "Missed", "Disputed", "Given", "Received",
					      "Reciprocity" };
	const char *id = ctl_jstr(a, "id");
	const json_t *m, *r, *w, *c = json_object_get(a, "commitments");
	size_t k, j, nw = 0;
	char sid[32], *heading = NULL;
	size_t nh = 0;
	FILE *h = open_memstream(&heading, &nh); /* the title is partner text */
	if (!h)
		return -1;
	report_text(h, ctl_jstr(a, "title"));
	fclose(h);
	snprintf(sid, sizeof sid, "alliance-%zu", i + 1);
	report_section(f, sid, heading);
	free(heading);
	fputs("<dl class=\"facts\">\n<dt>Alliance id</dt><dd><code>", f);
	report_text(f, id);
	fputs("</code></dd>\n<dt>Age</dt><dd>", f);
	num_el(f, "span", id, NULL, "age_days", json_object_get(a, "age_days"));
	fputs("</dd>\n<dt>Members</dt><dd>", f);
	json_array_foreach(json_object_get(a, "members"), k, m) {
		fputs(k ? ", " : "", f);
		fputs("<span", f);
		attr(f, "data-member", ctl_jstr(m, "name"));
		fputs(">", f);
		report_text(f, ctl_jstr(m, "name"));
		fputs("</span>", f);
		if (json_is_true(json_object_get(m, "me")))
			fputs(" (this firm)", f);
	}
	fputs("</dd>\n</dl>\n<h3>Commitments</h3>\n<table class=\"commitments\">\n<thead><tr>", f);
	for (k = 0; k < sizeof cnt / sizeof cnt[0]; k++)
		fprintf(f, "<th class=\"n\">%s</th>", cnt_h[k]);
	fputs("<th class=\"n\">This firm owes</th><th class=\"n\">Is owed</th></tr></thead>\n"
	      "<tbody><tr>", f);
	for (k = 0; k < sizeof cnt / sizeof cnt[0]; k++) {
		char key[32];
		snprintf(key, sizeof key, "commitments.%s", cnt[k]);
		num_td(f, id, NULL, key, json_object_get(c, cnt[k]));
	}
	num_td(f, id, NULL, "owes", json_object_get(a, "owes"));
	num_td(f, id, NULL, "owed", json_object_get(a, "owed"));
	fputs("</tr></tbody>\n</table>\n<h3>Partners' trust</h3>\n<table class=\"trust\">\n"
	      "<thead><tr><th>Partner</th>", f);
	for (k = 0; k < sizeof cols / sizeof cols[0]; k++)
		fprintf(f, "<th class=\"n\">%s</th>", cols_h[k]);
	fputs("</tr></thead>\n<tbody>\n", f);
	json_array_foreach(json_object_get(a, "trust"), k, r) {
		if (json_is_true(json_object_get(r, "me")))
			continue;
		fputs("<tr><td>", f);
		report_text(f, ctl_jstr(r, "partner"));
		fputs("</td>", f);
		for (j = 0; j < sizeof cols / sizeof cols[0]; j++)
			num_td(f, id, ctl_jstr(r, "partner"), cols[j], json_object_get(r, cols[j]));
		fputs("</tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
	json_array_foreach(json_object_get(a, "trust"), k, r)
		json_array_foreach(json_object_get(r, "warnings"), j, w) {
			fputs(nw++ ? "" : "<ul class=\"warnings\">\n", f);
			fputs("<li", f);
			attr(f, "data-partner", ctl_jstr(r, "partner"));
			fputs("><strong>", f);
			report_text(f, ctl_jstr(r, "partner"));
			fputs("</strong>: <span class=\"warning\">", f);
			report_text(f, json_string_value(w));
			fputs("</span></li>\n", f);
		}
	fputs(nw ? "</ul>\n" : "<p class=\"ok\">No warnings.</p>\n", f);
	report_section_end(f);
	return 0;
}

/* The partners across alliances: a row per alliance, then the totals. */
static void partners_section(FILE *f, const json_t *doc)
{
	static const char *const cols[] = { "trust", "uncertainty", "fulfilled", "late",
					    "missed", "open", "overdue", "given", "received",
					    "owes_us", "owed_by_us" };
	static const char *const heads[] = { "Trust", "Uncertainty", "Fulfilled", "Late",
					     "Missed", "Open", "Overdue", "Given", "Received",
					     "Owes us", "We owe" };
	const json_t *p, *r;
	size_t i, k, j;
	report_section(f, "partners", "Partners across alliances");
	fputs("<p class=\"note\">Each partner firm, recognised by its signing keys, in every "
	      "alliance it shares with this firm: its trust row there, the open commitments it "
	      "promised, what it owes this firm and what this firm owes it; then its totals.</p>\n"
	      "<table class=\"partners\">\n<thead><tr><th>Partner</th><th>Alliance</th>", f);
	for (k = 0; k < sizeof heads / sizeof heads[0]; k++)
		fprintf(f, "<th class=\"n\">%s</th>", heads[k]);
	fputs("</tr></thead>\n<tbody>\n", f);
	json_array_foreach(json_object_get(doc, "partners"), i, p) {
		const char *key = ctl_jstr(p, "key");
		const json_t *t = json_object_get(p, "totals");
		json_array_foreach(json_object_get(p, "alliances"), k, r) {
			fputs("<tr><td", f);
			attr(f, "data-firm", key);
			fputs(">", f);
			report_text(f, ctl_jstr(r, "partner"));
			fputs("</td><td>", f);
			report_text(f, ctl_jstr(r, "title"));
			fputs("</td>", f);
			for (j = 0; j < sizeof cols / sizeof cols[0]; j++)
				num_td(f, ctl_jstr(r, "alliance"), key, cols[j], json_object_get(r, cols[j]));
			fputs("</tr>\n", f);
		}
		fputs("<tr class=\"total\"><th>", f);
		json_array_foreach(json_object_get(p, "names"), k, r) {
			fputs(k ? ", " : "", f);
			report_text(f, json_string_value(r));
		}
		fputs("</th><th>total</th>", f);
		for (j = 0; j < sizeof cols / sizeof cols[0]; j++) {
			char tk[32];
			snprintf(tk, sizeof tk, "totals.%s", cols[j]);
			if (json_object_get(t, cols[j]))
				num_td(f, NULL, key, tk, json_object_get(t, cols[j]));
			else
				fputs("<td></td>", f); /* trust is not summed */
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
	report_section_end(f);
}

int portfolio_page_write(FILE *f, const json_t *doc)
{
	const json_t *home = json_object_get(doc, "home"), *a;
	const json_t *alliances = json_object_get(doc, "alliances");
	size_t i;
	if (!json_is_object(home) || !json_is_array(alliances) ||
	    !json_is_array(json_object_get(doc, "partners"))) {
		errno = EINVAL;
		return -1;
	}
	char *title = NULL, *sub = NULL;
	size_t nt = 0, ns = 0;
	FILE *t = open_memstream(&title, &nt), *s = open_memstream(&sub, &ns);
	if (!t || !s) {
		if (t)
			fclose(t);
		free(title);
		errno = ENOMEM;
		return -1;
	}
	/* The title is partner text for report_begin (it escapes it); the
	 * subtitle is HTML, the home's name escaped here. */
	fprintf(t, "Portfolio of %s", ctl_jstr(home, "name"));
	fclose(t);
	fputs("As of <span data-key=\"as_of\">", s);
	report_text(s, ctl_jstr(doc, "as_of"));
	fprintf(s, "</span> \u00b7 %zu alliance%s \u00b7 %zu partner firm%s \u00b7 key <code>",
		json_array_size(alliances), json_array_size(alliances) == 1 ? "" : "s",
		json_array_size(json_object_get(doc, "partners")),
		json_array_size(json_object_get(doc, "partners")) == 1 ? "" : "s");
	report_text(s, ctl_jstr(home, "key"));
	fputs("</code>", s);
	fclose(s);
	report_begin(f, title, sub);
	free(title);
	free(sub);
	if (!json_array_size(alliances)) {
		fputs("<p class=\"ok\">This home has joined no alliance yet.</p>\n", f);
	} else {
		glance(f, doc);
		overview(f, doc);
		json_array_foreach(alliances, i, a)
			if (alliance_section(f, a, i)) {
				errno = ENOMEM;
				return -1;
			}
		partners_section(f, doc);
	}
	char *foot = NULL;
	size_t nf = 0;
	FILE *ft = open_memstream(&foot, &nf);
	if (!ft) {
		errno = ENOMEM;
		return -1;
	}
	fputs("<p>Generated by alliancectl from the signed logs of the home's alliances. Every "
	      "number here is what <code>alliancectl portfolio --json --as-of ", ft);
	report_text(ft, ctl_jstr(doc, "as_of"));
	fputs("</code> prints (shown as <code>alliancectl portfolio</code> rounds it: trust to 4 "
	      "decimals, values to 2; the exact value in each number's data-value), the "
	      "figures at a glance summed over the alliances; each alliance's trust is "
	      "<code>alliancectl trust --json --alliance ID</code> for the same time, identical "
	      "in every member's home (docs/portfolio.md).</p>", ft);
	fclose(ft);
	report_end(f, foot);
	free(foot);
	return ferror(f) ? -1 : 0;
}
