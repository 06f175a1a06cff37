/* report.c: the HTML report of an alliance, from the query answers' JSON
 * (report.h). Nothing here computes a figure but counts: every number on
 * the page is one of the answers', shown as the CLI's text views round it,
 * its data-value the digits --json prints, so that the page and
 * `alliancectl ...` never disagree. Charts are
 * inline SVG drawn from the same numbers; no script, nothing fetched.
 */
#include "report.h"
#include "ctl.h"
#include "text.h"
#include "when.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Restrained colours that stay apart in greyscale: the band is a light
 * fill, the trust line dark and solid, the reference lines dashed or
 * dotted; the outcome marks differ in shape, not only in colour. */
static const char style[] =
	":root{--ink:#1b1f24;--muted:#5b6570;--rule:#d5dae0;--band:#bcd4ec;--line:#1f4e8c;"
	"--warn:#b2182b}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;background:#fff;color:var(--ink);font:14px/1.45 system-ui,-apple-system,"
	"'Segoe UI',Roboto,'Helvetica Neue',Arial,'Liberation Sans',sans-serif}\n"
	"main{max-width:1120px;margin:0 auto;padding:28px 32px 40px}\n"
	"header.page{border-bottom:3px solid var(--line);padding-bottom:12px;margin-bottom:8px}\n"
	"header.page h1{font-size:26px;margin:0 0 4px;overflow-wrap:anywhere}\n"
	"header.page .sub{color:var(--muted)}\n"
	"h2{font-size:18px;margin:28px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--rule)}\n"
	"h3{font-size:14px;margin:14px 0 6px}\n"
	"p.note{color:var(--muted);font-size:12px;margin:4px 0 10px}\n"
	"dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}\n"
	"dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;overflow-wrap:anywhere}\n"
	"table{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:6px 0}\n"
	"th,td{padding:4px 10px;border-bottom:1px solid var(--rule);vertical-align:top;"
	"text-align:left}\n"
	"th{font-size:12px;color:var(--muted);font-weight:600;border-bottom:1.5px solid var(--ink)}\n"
	"tbody th{font-size:inherit;color:var(--ink);border-bottom:1px solid var(--rule)}\n"
	"td.n,th.n{text-align:right;white-space:nowrap}\n"
	"td small,.small{display:block;color:var(--muted);font-size:11px;white-space:normal;"
	"max-width:240px;margin-left:auto}\n.kv{white-space:nowrap}\n"
	"td.what{max-width:340px;overflow-wrap:anywhere}\n"
	".charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(480px,1fr));gap:8px 24px}\n"
	"figure{margin:0 0 8px}figure h3{margin:6px 0 2px}\n"
	"svg{display:block;width:100%;height:auto;font-family:inherit}\n"
	"svg text{font-size:13px;fill:var(--muted)}\nsvg.timeline text{font-size:12px}\n"
	"figure.timeline{max-width:900px}\n"
	"svg .axis{stroke:#8a939c;stroke-width:1}svg .grid{stroke:var(--rule);stroke-width:1}\n"
	"svg .half{stroke:#6b7580;stroke-width:1.2;stroke-dasharray:6 4}\n"
	"svg .warnl{stroke:var(--warn);stroke-width:1.2;stroke-dasharray:2 3}\n"
	"svg .band{fill:var(--band);stroke:none}\n"
	"svg .trust{fill:none;stroke:var(--line);stroke-width:2.5;stroke-linejoin:round}\n"
	"svg .now{stroke:var(--ink);stroke-width:1;stroke-dasharray:1 3}\n"
	".bar{display:inline-block;height:12px;background:var(--line);vertical-align:middle}\n"
	"td.bars{width:60%}\n"
	"ul.warnings{margin:4px 0;padding-left:20px}ul.warnings li{margin:3px 0}\n"
	"section#glance{display:flex;flex-wrap:wrap;gap:10px 40px;align-items:flex-start;"
	"margin:14px 0 4px}\n"
	"section#glance h2{flex-basis:100%;margin:0}\n"
	".figs{display:grid;grid-template-columns:max-content auto;gap:4px 14px;margin:0;"
	"align-items:baseline}\n"
	".figs dt{color:var(--muted)}.figs dd{margin:0}\n"
	".big{font-size:20px;font-weight:600;font-variant-numeric:tabular-nums}\n"
	"table.glance td{vertical-align:middle}\n"
	"svg.tbar{display:inline-block;width:130px;height:14px;vertical-align:middle}\n"
	"svg.tbar .track{fill:#f0f2f4}svg.tbar .tick{fill:var(--line)}\n"
	".warning,.warned{color:var(--warn)}\n"
	".ok{color:var(--muted)}\n"
	"footer{margin-top:32px;padding-top:10px;border-top:1px solid var(--rule);color:var(--muted);"
	"font-size:12px}\n"
	"footer code{font-size:11px;overflow-wrap:anywhere}\n"
	"@media print{@page{size:A4;margin:14mm}main{max-width:none;padding:0}"
	"body{font-size:11px}.charts{grid-template-columns:1fr 1fr}"
	"figure,tr,svg,dl,table,ul.warnings li,section#glance{break-inside:avoid}"
	"thead{display:table-header-group}"
	"h2,h3,p.note{break-after:avoid}section{break-inside:auto}}\n";

/* The outcomes of the timeline: how a commitment ended, or that it has
 * not; each its own shape. */
enum outcome { O_ONTIME, O_LATE, O_MISSED, O_OPEN, O_OTHER, O_COUNT };
static const char *const outcome_name[O_COUNT] = { "on time", "late", "missed", "open",
						   "other" };
static const char *const outcome_key[O_COUNT] = { "on_time", "late", "missed", "open",
						  "other" };
static const char *const states[] = { "proposed", "accepted", "declined", "delivered",
				      "confirmed", "disputed", "resolved", "released",
				      "overdue", "missed" };
#define N_STATES (sizeof states / sizeof states[0])

void report_text(FILE *f, const char *s)
{
	if (!s)
		return;
	char *e = text_escaped(s);
	for (const char *p = e ? e : "(out of memory)"; *p; p++) {
		switch (*p) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*p, f);
		}
	}
	free(e);
}

void report_num(FILE *f, const json_t *v)
{
	if (!json_is_number(v)) {
		fputs("\u2013", f);
		return;
	}
	/* The digits ctl_print_json writes: jansson's, at its precision. */
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(12));
	fputs(s ? s : "?", f);
	free(s);
}

/* A span of h hours as the text views show it (when_span). */
static void duration_show(FILE *f, double h)
{
	char buf[AL_WHENLEN];
	fputs(when_span_of(h * 3600.0 * 1000.0, buf), f);
}

void report_show(FILE *f, const json_t *v, enum report_kind k)
{
	if (!json_is_number(v)) {
		fputs("\u2013", f);
		return;
	}
	double x = json_number_value(v);
	switch (k) {
	case RK_TRUST: fprintf(f, "%.4f", x); break;
	case RK_SCORE:
	case RK_VALUE: fprintf(f, "%.2f", x); break;
	case RK_COUNT: fprintf(f, "%.0f", x); break;
	case RK_HOURS: duration_show(f, x); break;
	case RK_DAYS: duration_show(f, x * 24.0); break;
	}
}

void report_value(FILE *f, const json_t *v, enum report_kind k)
{
	fputs(" data-value=\"", f);
	if (json_is_number(v))
		report_num(f, v);
	else
		fputs("null", f);
	fputs("\">", f);
	report_show(f, v, k);
}

void report_trust_bar(FILE *f, const json_t *trust, const json_t *uncertainty,
		      const json_t *warn)
{
	double t = json_number_value(trust), u = json_number_value(uncertainty);
	double lo = t - u / 2, hi = t + u / 2;
	lo = lo < 0 ? 0 : lo;
	hi = hi > 1 ? 1 : hi;
	/* 0..1 over 120 units; the band light, trust a dark tick, 0.5 dashed. */
	fprintf(f, "<svg class=\"tbar\" viewBox=\"0 0 124 14\" aria-hidden=\"true\">"
		   "<rect class=\"track\" x=\"2\" y=\"3\" width=\"120\" height=\"8\"/>"
		   "<rect class=\"band\" x=\"%.1f\" y=\"3\" width=\"%.1f\" height=\"8\"/>"
		   "<line class=\"half\" x1=\"62\" y1=\"1\" x2=\"62\" y2=\"13\"/>",
		2 + 120 * lo, 120 * (hi - lo));
	if (json_is_number(warn))
		fprintf(f, "<line class=\"warnl\" x1=\"%.1f\" y1=\"1\" x2=\"%.1f\" y2=\"13\"/>",
			2 + 120 * json_number_value(warn), 2 + 120 * json_number_value(warn));
	if (json_is_number(trust))
		fprintf(f, "<rect class=\"tick\" x=\"%.1f\" y=\"0\" width=\"3\" height=\"14\"/>",
			0.5 + 120 * (t < 0 ? 0 : t > 1 ? 1 : t));
	fputs("</svg>", f);
}

/* <TAG class=CLS data-partner=P data-key=KEY data-value=JSON>shown</TAG>:
 * the hooks a test reads. */
static void num_cell(FILE *f, const char *tag, const char *cls, const char *partner,
		     const char *key, const json_t *v, enum report_kind k)
{
	fprintf(f, "<%s%s%s%s", tag, cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
	if (partner) {
		fputs(" data-partner=\"", f);
		report_text(f, partner);
		fputc('"', f);
	}
	fprintf(f, " data-key=\"%s\"", key);
	report_value(f, v, k);
	fprintf(f, "</%s>", tag);
}

void report_begin(FILE *f, const char *title, const char *subtitle_html)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>", f);
	report_text(f, title);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n"
		   "<header class=\"page\">\n<h1 id=\"title\">", style);
	report_text(f, title);
	fputs("</h1>\n", f);
	if (subtitle_html)
		fprintf(f, "<div class=\"sub\">%s</div>\n", subtitle_html);
	fputs("</header>\n", f);
}

void report_section(FILE *f, const char *id, const char *heading)
{
	fprintf(f, "<section id=\"%s\">\n<h2>%s</h2>\n", id, heading);
}

void report_section_end(FILE *f)
{
	fputs("</section>\n", f);
}

void report_end(FILE *f, const char *footer_html)
{
	fprintf(f, "<footer>\n%s\n</footer>\n</main>\n</body>\n</html>\n",
		footer_html ? footer_html : "");
}

/* An ISO-8601 time of an answer in ms; false when it is not one. */
static bool ms_of(const char *iso, int64_t *ms)
{
	char why[256];
	return *iso && when_parse(iso, 0, ms, why) == 0;
}

/* ms as a short date for an axis: the day, or the hour when the axis
 * spans little time. */
static void tick_label(int64_t ms, int64_t span, char *buf, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, n, span > 4 * 86400000LL ? "%Y-%m-%d" : span > 2 * 3600000LL ?
		 "%m-%d %H:%M" : "%H:%M:%S", &tm);
}

/* The geometry of a chart: its plot area inside a viewBox of w x h, and
 * the time span along x. */
struct plot {
	double x0, y0, w, h; /* plot area */
	int64_t t0, t1;
};

static double px(const struct plot *p, int64_t t)
{
	double span = (double)(p->t1 - p->t0);
	return p->x0 + (span > 0 ? (double)(t - p->t0) / span : 0.5) * p->w;
}

static double py(const struct plot *p, double v)
{
	return p->y0 + (1.0 - (v < 0 ? 0 : v > 1 ? 1 : v)) * p->h;
}

/* The dated x axis under the plot: five ticks, UTC. */
static void x_axis(FILE *f, const struct plot *p)
{
	double yb = p->y0 + p->h;
	fprintf(f, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
		p->x0, yb, p->x0 + p->w, yb);
	for (int i = 0; i <= 4; i++) {
		int64_t t = p->t0 + (p->t1 - p->t0) * i / 4;
		char lab[32];
		tick_label(t, p->t1 - p->t0, lab, sizeof lab);
		double x = px(p, t);
		fprintf(f, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s</text>\n",
			x, yb, x, yb + 4, x, yb + 16, i == 0 ? "start" : i == 4 ? "end" : "middle",
			lab);
	}
}

/* One partner's trust over time: the band [trust - u/2, trust + u/2], the
 * trust line, the 0.5 line and the warning threshold, with a legend. */
static void trust_chart(FILE *f, const json_t *series, const char *partner, int64_t t0,
			int64_t t1, const json_t *warn)
{
	struct plot p = { 40, 12, 590, 150, t0, t1 };
	size_t i, n = 0;
	const json_t *r;
	json_array_foreach(series, i, r)
		n += !strcmp(ctl_jstr(r, "partner"), partner);
	fputs("<figure class=\"chart\" data-partner=\"", f);
	report_text(f, partner);
	fprintf(f, "\" data-points=\"%zu\"><h3>", n);
	report_text(f, partner);
	fputs("</h3>\n<svg viewBox=\"0 0 640 222\" role=\"img\" aria-label=\"trust over time of ", f);
	report_text(f, partner);
	fputs("\">\n", f);
	for (int k = 0; k <= 4; k++)
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.2f</text>\n",
			p.x0, py(&p, k / 4.0), p.x0 + p.w, py(&p, k / 4.0), p.x0 - 5,
			py(&p, k / 4.0) + 4, k / 4.0);
	/* The band: upper edge forward, lower edge back. */
	fputs("<polygon class=\"band\" points=\"", f);
	json_array_foreach(series, i, r) {
		if (strcmp(ctl_jstr(r, "partner"), partner))
			continue;
		int64_t t;
		if (!ms_of(ctl_jstr(r, "as_of"), &t))
			continue;
		fprintf(f, "%.1f,%.1f ", px(&p, t), py(&p, ctl_jreal(r, "trust") + ctl_jreal(r, "uncertainty") / 2));
	}
	for (i = json_array_size(series); i-- > 0;) {
		int64_t t;
		r = json_array_get(series, i);
		if (strcmp(ctl_jstr(r, "partner"), partner) || !ms_of(ctl_jstr(r, "as_of"), &t))
			continue;
		fprintf(f, "%.1f,%.1f ", px(&p, t), py(&p, ctl_jreal(r, "trust") - ctl_jreal(r, "uncertainty") / 2));
	}
	fputs("\"/>\n", f);
	fprintf(f, "<line class=\"half\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", p.x0,
		py(&p, 0.5), p.x0 + p.w, py(&p, 0.5));
	if (json_is_number(warn))
		fprintf(f, "<line class=\"warnl\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
			p.x0, py(&p, json_number_value(warn)), p.x0 + p.w,
			py(&p, json_number_value(warn)));
	fputs("<polyline class=\"trust\" points=\"", f);
	json_array_foreach(series, i, r) {
		int64_t t;
		if (!strcmp(ctl_jstr(r, "partner"), partner) && ms_of(ctl_jstr(r, "as_of"), &t))
			fprintf(f, "%.1f,%.1f ", px(&p, t), py(&p, ctl_jreal(r, "trust")));
	}
	fputs("\"/>\n", f);
	x_axis(f, &p);
	/* The legend, under the axis. */
	double ly = 204;
	fprintf(f, "<rect class=\"band\" x=\"40\" y=\"%.0f\" width=\"18\" height=\"10\"/>"
		   "<text x=\"62\" y=\"%.0f\">uncertainty band</text>\n"
		   "<line class=\"trust\" x1=\"178\" y1=\"%.0f\" x2=\"198\" y2=\"%.0f\"/>"
		   "<text x=\"202\" y=\"%.0f\">trust</text>\n"
		   "<line class=\"half\" x1=\"250\" y1=\"%.0f\" x2=\"272\" y2=\"%.0f\"/>"
		   "<text x=\"276\" y=\"%.0f\">0.5: nothing known</text>\n",
		ly, ly + 9, ly + 5, ly + 5, ly + 9, ly + 5, ly + 5, ly + 9);
	if (json_is_number(warn)) {
		fprintf(f, "<line class=\"warnl\" x1=\"410\" y1=\"%.0f\" x2=\"432\" y2=\"%.0f\"/>"
			   "<text x=\"436\" y=\"%.0f\">warn_trust ", ly + 5, ly + 5, ly + 9);
		report_num(f, warn);
		fputs("</text>\n", f);
	}
	fputs("</svg>\n</figure>\n", f);
}

static void alliance_section(FILE *f, const struct report_in *in)
{
	const json_t *a = in->alliance, *v;
	size_t i;
	report_section(f, "alliance", "The alliance");
	fputs("<dl class=\"facts\">\n<dt>Objectives</dt><dd><ul class=\"warnings\">", f);
	json_array_foreach(json_object_get(a, "objectives"), i, v) {
		fputs("<li>", f);
		report_text(f, json_string_value(v));
		fputs("</li>", f);
	}
	fputs("</ul></dd>\n<dt>Scope</dt><dd>", f);
	report_text(f, *ctl_jstr(a, "scope") ? ctl_jstr(a, "scope") : "\u2013");
	fputs("</dd>\n<dt>Created</dt><dd><span data-key=\"created\">", f);
	report_text(f, ctl_jstr(a, "created"));
	fputs("</span> (<span data-key=\"age_days\"", f);
	report_value(f, json_object_get(a, "age_days"), RK_DAYS);
	fputs("</span> before the evaluation time)</dd>\n<dt>Evaluated as of</dt>"
	      "<dd data-key=\"as_of\">", f);
	report_text(f, ctl_jstr(a, "as_of"));
	fputs("</dd>\n<dt>Period shown</dt><dd>from <span data-key=\"since\">", f);
	report_text(f, in->since);
	fputs("</span> to the evaluation time, every <span data-key=\"step\">", f);
	report_text(f, in->step);
	fputs("</span></dd>\n<dt>Alliance id</dt><dd><code>", f);
	report_text(f, ctl_jstr(a, "id"));
	fputs("</code></dd>\n</dl>\n<h3>Members</h3>\n<table>\n<thead><tr><th>Member</th>"
	      "<th>Standing</th><th>Founder</th></tr></thead>\n<tbody>\n", f);
	json_array_foreach(json_object_get(a, "members"), i, v) {
		fputs("<tr><td data-member=\"", f);
		report_text(f, ctl_jstr(v, "name"));
		fputs("\">", f);
		report_text(f, ctl_jstr(v, "name"));
		fputs("</td><td>", f);
		report_text(f, ctl_jstr(v, "standing"));
		fprintf(f, "</td><td>%s</td></tr>\n",
			json_is_true(json_object_get(v, "founder")) ? "yes" : "no (by amendment)");
	}
	fputs("</tbody>\n</table>\n", f);
	report_section_end(f);
}

static void trust_section(FILE *f, const struct report_in *in)
{
	const json_t *r;
	size_t i;
	int64_t t0, t1;
	if (!ms_of(in->since, &t0) || !ms_of(ctl_jstr(in->alliance, "as_of"), &t1))
		t0 = t1 = 0;
	report_section(f, "trust", "Trust over time");
	fputs("<p class=\"note\">Each partner's trust (the line) and its uncertainty band: what "
	      "trust could become if what is still uncertain resolved wholly one way or the other "
	      "(docs/trust.md \u00a72). 0.5 is what is believed of a partner nothing is known about. "
	      "The dotted line is the charter's warn_trust: below it, on solid evidence (low "
	      "uncertainty), a partner is warned about (docs/trust.md \u00a74).</p>\n"
	      "<div class=\"charts\">\n", f);
	json_array_foreach(in->trust, i, r)
		trust_chart(f, in->series, ctl_jstr(r, "partner"), t0, t1,
			    json_object_get(in->alliance, "warn_trust"));
	fputs("</div>\n", f);
	report_section_end(f);
}

/* One part of a dimension's cell, "3 on time", with its count's hook;
 * nothing when the count is 0 (a row of zeros is noise). The label takes
 * an s for more than one when plural is set. Returns whether it wrote. */
static bool part(FILE *f, const char *partner, const char *dim, const json_t *d,
		 const char *key, const char *label, bool plural, bool *first)
{
	const json_t *v = json_object_get(d, key);
	char hook[64];
	if (!json_number_value(v))
		return false;
	snprintf(hook, sizeof hook, "%s.%s", dim, key);
	fputs(*first ? "<span class=\"kv\">" : " \u00b7 <span class=\"kv\">", f);
	num_cell(f, "span", NULL, partner, hook, v, RK_COUNT);
	fprintf(f, " %s%s</span>", label, plural && json_number_value(v) != 1 ? "s" : "");
	*first = false;
	return true;
}

/* ", median 3.5 h" after a part: the delay's hook, shown as people read
 * it, the exact hours in data-value. */
static void median(FILE *f, const char *partner, const char *dim, const json_t *d,
		   const char *key)
{
	char hook[64];
	snprintf(hook, sizeof hook, "%s.%s", dim, key);
	fputs(", <span class=\"kv\">median ", f);
	num_cell(f, "span", NULL, partner, hook, json_object_get(d, key), RK_HOURS);
	fputs("</span>", f);
}

/* A dimension's cell: its score, then what is behind it in small type,
 * only the parts there are (as scorecard's text view says them), or
 * what nothing means. */
static void dim_open(FILE *f, const char *partner, const char *dim, const json_t *d)
{
	char hook[64];
	snprintf(hook, sizeof hook, "%s.score", dim);
	fputs("<td class=\"n\">", f);
	num_cell(f, "span", NULL, partner, hook, json_object_get(d, "score"), RK_SCORE);
	fputs("<small>", f);
}

static void dim_close(FILE *f, bool first, const char *none)
{
	if (first)
		fputs(none, f);
	fputs("</small></td>", f);
}

static void scorecard_section(FILE *f, const struct report_in *in)
{
	const json_t *r;
	size_t i;
	report_section(f, "scorecard", "Scorecard");
	fputs("<p class=\"note\">Per partner, one score per dimension (0 to 1; \u2013 where there "
	      "is no evidence yet), with what it counts. Reliability and quality judge the "
	      "partner as promisor, responsiveness as beneficiary (how soon it answers proposals "
	      "and judges deliveries; waiting: proposals to it unanswered past the grace period), "
	      "reciprocity is value given over value received. docs/trust.md \u00a77 gives every "
	      "formula; <code>alliancectl scorecard NAME</code> lists the evidence.</p>\n"
	      "<table class=\"scorecard\">\n<thead><tr><th>Partner</th><th class=\"n\">Trust</th>"
	      "<th class=\"n\">Uncertainty</th><th class=\"n\">Reliability</th>"
	      "<th class=\"n\">Quality</th><th class=\"n\">Responsiveness</th>"
	      "<th class=\"n\">Reciprocity</th></tr></thead>\n<tbody>\n", f);
	json_array_foreach(in->scorecard, i, r) {
		const char *p = ctl_jstr(r, "partner");
		const json_t *rc = json_object_get(r, "reciprocity");
		const json_t *rel = json_object_get(r, "reliability");
		const json_t *q = json_object_get(r, "quality");
		const json_t *resp = json_object_get(r, "responsiveness");
		bool first;
		fputs("<tr><td>", f);
		report_text(f, p);
		fputs("</td>", f);
		num_cell(f, "td", "n", p, "trust", json_object_get(r, "trust"), RK_TRUST);
		num_cell(f, "td", "n", p, "uncertainty", json_object_get(r, "uncertainty"),
			 RK_TRUST);

		dim_open(f, p, "reliability", rel);
		first = true;
		part(f, p, "reliability", rel, "on_time", "on time", false, &first);
		part(f, p, "reliability", rel, "late", "late", false, &first);
		part(f, p, "reliability", rel, "missed", "missed", false, &first);
		dim_close(f, first, "nothing due yet");

		dim_open(f, p, "quality", q);
		first = true;
		if (part(f, p, "quality", q, "confirmed", "confirmed", false, &first)) {
			fputs(", <span class=\"kv\">rated ", f);
			num_cell(f, "span", NULL, p, "quality.mean_quality",
				 json_object_get(q, "mean_quality"), RK_SCORE);
			fputs(" for quality</span>, <span class=\"kv\">", f);
			num_cell(f, "span", NULL, p, "quality.mean_timeliness",
				 json_object_get(q, "mean_timeliness"), RK_SCORE);
			fputs(" for timeliness</span> (1 to 5)", f);
		}
		part(f, p, "quality", q, "disputed", "disputed", false, &first);
		dim_close(f, first, "nothing judged yet");

		dim_open(f, p, "responsiveness", resp);
		first = true;
		if (part(f, p, "responsiveness", resp, "answers", "answer", true, &first))
			median(f, p, "responsiveness", resp, "answer_hours");
		if (part(f, p, "responsiveness", resp, "verdicts", "verdict", true, &first))
			median(f, p, "responsiveness", resp, "verdict_hours");
		part(f, p, "responsiveness", resp, "waiting", "waiting", false, &first);
		dim_close(f, first, "nothing asked yet");

		fputs("<td class=\"n\">", f);
		num_cell(f, "span", NULL, p, "reciprocity.ratio", json_object_get(rc, "ratio"),
			 RK_SCORE);
		fputs("<small><span class=\"kv\">given ", f);
		num_cell(f, "span", NULL, p, "reciprocity.given", json_object_get(rc, "given"),
			 RK_VALUE);
		fputs("</span> \u00b7 <span class=\"kv\">received ", f);
		num_cell(f, "span", NULL, p, "reciprocity.received", json_object_get(rc, "received"),
			 RK_VALUE);
		fputs("</span></small></td></tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
	report_section_end(f);
}

static enum outcome outcome_of(const json_t *c)
{
	const char *s = ctl_jstr(c, "state");
	if (!strcmp(s, "missed"))
		return O_MISSED;
	if (json_is_true(json_object_get(c, "late")))
		return O_LATE;
	if (!strcmp(s, "delivered") || !strcmp(s, "confirmed") || !strcmp(s, "resolved"))
		return O_ONTIME;
	if (!strcmp(s, "proposed") || !strcmp(s, "accepted") || !strcmp(s, "overdue"))
		return O_OPEN;
	return O_OTHER;
}

/* The mark of an outcome at (x, y): filled circle, triangle, cross,
 * hollow circle, hollow square. */
static void mark(FILE *f, enum outcome o, double x, double y)
{
	switch (o) {
	case O_ONTIME:
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"#2b7a3d\"/>", x, y);
		break;
	case O_LATE:
		fprintf(f, "<path d=\"M%.1f %.1fl6 10h-12z\" fill=\"#d08a00\" stroke=\"#6b4700\" "
			   "stroke-width=\"0.8\"/>", x, y - 6);
		break;
	case O_MISSED:
		fprintf(f, "<path d=\"M%.1f %.1fl10 10m0 -10l-10 10\" stroke=\"#b2182b\" "
			   "stroke-width=\"2.5\"/>", x - 5, y - 5);
		break;
	case O_OPEN:
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"#fff\" stroke=\"#1f4e8c\" "
			   "stroke-width=\"1.8\"/>", x, y);
		break;
	default:
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"9\" height=\"9\" fill=\"#fff\" "
			   "stroke=\"#6b7580\" stroke-width=\"1.5\"/>", x - 4.5, y - 4.5);
	}
}

static void timeline(FILE *f, const struct report_in *in)
{
	const json_t *cs = in->commitments, *c, *m;
	const json_t *members = json_object_get(in->alliance, "members");
	size_t i, j, rows = json_array_size(members);
	int64_t t0, t1, t;
	if (!ms_of(ctl_jstr(in->alliance, "created"), &t0) || !ms_of(ctl_jstr(in->alliance, "as_of"), &t1))
		return;
	int64_t now = t1;
	json_array_foreach(cs, i, c) {
		if (!ms_of(ctl_jstr(c, "due"), &t))
			continue;
		if (t < t0)
			t0 = t;
		if (t > t1)
			t1 = t;
	}
	if (t1 == t0)
		t1 = t0 + 1000;
	/* A little room at both ends, so that no mark sits on the frame. */
	int64_t pad = (t1 - t0) / 40;
	struct plot p = { 110, 22, 760, 28.0 * (double)(rows ? rows : 1), t0 - pad, t1 + pad };
	double h = p.y0 + p.h + 56;
	fprintf(f, "<figure class=\"chart timeline\"><h3>Due dates by promisor</h3>\n"
		   "<svg class=\"timeline\" viewBox=\"0 0 900 %.0f\" role=\"img\" "
		   "aria-label=\"due dates\">\n", h);
	json_array_foreach(members, j, m) {
		double y = p.y0 + 28.0 * (double)j + 14;
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", p.x0, y, p.x0 + p.w, y,
			p.x0 - 8, y + 4);
		report_text(f, ctl_jstr(m, "name"));
		fputs("</text>\n", f);
		json_array_foreach(cs, i, c) {
			if (strcmp(ctl_jstr(c, "promisor"), ctl_jstr(m, "name")) || !ms_of(ctl_jstr(c, "due"), &t))
				continue;
			enum outcome o = outcome_of(c);
			fprintf(f, "<g data-id=\"");
			report_text(f, ctl_jstr(c, "id"));
			fprintf(f, "\" data-outcome=\"%s\"><title>", outcome_key[o]);
			report_text(f, ctl_jstr(c, "id"));
			fputs(": ", f);
			report_text(f, ctl_jstr(c, "what"));
			fprintf(f, " (%s)</title>", outcome_name[o]);
			mark(f, o, px(&p, t), y);
			fputs("</g>\n", f);
		}
	}
	fprintf(f, "<line class=\"now\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
		   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">as of</text>\n",
		px(&p, now), p.y0, px(&p, now), p.y0 + p.h, px(&p, now), p.y0 - 6);
	x_axis(f, &p);
	double ly = p.y0 + p.h + 34, lx = p.x0;
	for (int o = 0; o < O_COUNT; o++) {
		mark(f, (enum outcome)o, lx + 6, ly);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", lx + 16, ly + 4, outcome_name[o]);
		lx += 110;
	}
	fputs("</svg>\n</figure>\n", f);
}

/* The commitments whose outcome is a or b, one row each, or "None.". */
static void commit_table(FILE *f, const json_t *cs, enum outcome a, enum outcome b,
			 const char *cls)
{
	const json_t *c;
	size_t i, listed = 0;
	json_array_foreach(cs, i, c) {
		enum outcome o = outcome_of(c);
		if (o != a && o != b)
			continue;
		if (!listed++)
			fprintf(f, "<table class=\"%s\">\n<thead><tr><th>Id</th><th>Promisor</th>"
				   "<th>What</th><th>Due</th><th class=\"n\">Value</th><th>State</th>"
				   "<th>Outcome</th></tr></thead>\n<tbody>\n", cls);
		fputs("<tr data-id=\"", f);
		report_text(f, ctl_jstr(c, "id"));
		fputs("\"><td>", f);
		report_text(f, ctl_jstr(c, "id"));
		fputs("</td><td>", f);
		report_text(f, ctl_jstr(c, "promisor"));
		fputs("</td><td class=\"what\">", f);
		report_text(f, ctl_jstr(c, "what"));
		fputs("</td><td>", f);
		report_text(f, ctl_jstr(c, "due"));
		fputs("</td><td class=\"n\" data-id=\"", f);
		report_text(f, ctl_jstr(c, "id"));
		fputs("\" data-key=\"value\"", f);
		report_value(f, json_object_get(c, "value"), RK_VALUE);
		fputs("</td><td>", f);
		report_text(f, ctl_jstr(c, "state"));
		fprintf(f, "</td><td>%s</td></tr>\n", outcome_name[o]);
	}
	fputs(listed ? "</tbody>\n</table>\n" : "<p class=\"ok\">None.</p>\n", f);
}

static void commitments_section(FILE *f, const struct report_in *in)
{
	const json_t *cs = in->commitments, *c;
	size_t i, count[N_STATES] = { 0 }, most = 1;
	json_array_foreach(cs, i, c)
		for (size_t s = 0; s < N_STATES; s++)
			if (!strcmp(ctl_jstr(c, "state"), states[s]))
				count[s]++;
	for (size_t s = 0; s < N_STATES; s++)
		if (count[s] > most)
			most = count[s];
	report_section(f, "commitments", "Commitments");
	fprintf(f, "<p class=\"note\"><span data-key=\"commitments\">%zu</span> commitments, by "
		   "state as of the evaluation time.</p>\n<table class=\"states\">\n<thead><tr>"
		   "<th>State</th><th class=\"n\">Count</th><th></th></tr></thead>\n<tbody>\n",
		json_array_size(cs));
	for (size_t s = 0; s < N_STATES; s++)
		fprintf(f, "<tr><td>%s</td><td class=\"n\" data-key=\"state.%s\">%zu</td>"
			   "<td class=\"bars\"><span class=\"bar\" style=\"width:%.1f%%\"></span></td>"
			   "</tr>\n", states[s], states[s], count[s], 100.0 * (double)count[s] /
			   (double)most);
	fputs("</tbody>\n</table>\n", f);
	timeline(f, in);
	fputs("<h3>Missed or late</h3>\n", f);
	commit_table(f, cs, O_MISSED, O_LATE, "late");
	fputs("<h3>Open (proposed, accepted or overdue)</h3>\n", f);
	commit_table(f, cs, O_OPEN, O_OPEN, "open");
	report_section_end(f);
}

/* The value of a pair in explain (trust NAME's answer): what "from" delivered
 * to "to". */
static const json_t *pair_value(const json_t *explain, const char *from, const char *to)
{
	const json_t *e, *pr;
	size_t i, k;
	json_array_foreach(explain, i, e) {
		if (strcmp(ctl_jstr(e, "partner"), from))
			continue;
		json_array_foreach(json_object_get(e, "pairs"), k, pr)
			if (!strcmp(ctl_jstr(pr, "partner"), to))
				return json_object_get(pr, "delivered_to");
	}
	return NULL;
}

static void reciprocity_section(FILE *f, const struct report_in *in)
{
	const json_t *r, *c;
	size_t i, k;
	report_section(f, "reciprocity", "Reciprocity");
	fputs("<p class=\"note\">Value delivered and agreed (docs/trust.md \u00a73: counted once a "
	      "beneficiary agrees to the delivery, neither decayed nor weighted), a commitment to "
	      "several partners split equally between them: rows gave, columns received. Ratio is "
	      "given / received. <code>alliancectl trust NAME</code> prints each row's pairs.</p>\n"
	      "<table class=\"matrix\">\n<thead><tr><th>gave \u2193 / to \u2192</th>", f);
	json_array_foreach(in->trust, k, c) {
		fputs("<th class=\"n\">", f);
		report_text(f, ctl_jstr(c, "partner"));
		fputs("</th>", f);
	}
	fputs("<th class=\"n\">Given</th><th class=\"n\">Received</th><th class=\"n\">Ratio</th>"
	      "</tr></thead>\n<tbody>\n", f);
	json_array_foreach(in->trust, i, r) {
		const char *from = ctl_jstr(r, "partner");
		fputs("<tr><th>", f);
		report_text(f, from);
		fputs("</th>", f);
		json_array_foreach(in->trust, k, c) {
			const char *to = ctl_jstr(c, "partner");
			if (!strcmp(from, to)) {
				fputs("<td class=\"n ok\">\u00b7</td>", f);
				continue;
			}
			fputs("<td class=\"n\" data-from=\"", f);
			report_text(f, from);
			fputs("\" data-to=\"", f);
			report_text(f, to);
			fputc('"', f);
			report_value(f, pair_value(in->explain, from, to), RK_VALUE);
			fputs("</td>", f);
		}
		num_cell(f, "td", "n", from, "given", json_object_get(r, "given"), RK_VALUE);
		num_cell(f, "td", "n", from, "received", json_object_get(r, "received"), RK_VALUE);
		num_cell(f, "td", "n", from, "reciprocity", json_object_get(r, "reciprocity"),
			 RK_SCORE);
		fputs("</tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
	report_section_end(f);
}

static void warnings_section(FILE *f, const struct report_in *in)
{
	const json_t *r, *w;
	size_t i, k, n = 0;
	report_section(f, "warnings", "Open warnings");
	json_array_foreach(in->trust, i, r) {
		if (!json_array_size(json_object_get(r, "warnings")))
			continue;
		if (!n++)
			fputs("<ul class=\"warnings\">\n", f);
		json_array_foreach(json_object_get(r, "warnings"), k, w) {
			fputs("<li data-partner=\"", f);
			report_text(f, ctl_jstr(r, "partner"));
			fputs("\"><strong>", f);
			report_text(f, ctl_jstr(r, "partner"));
			fputs("</strong>: <span class=\"warning\">", f);
			report_text(f, json_string_value(w));
			fputs("</span></li>\n", f);
		}
	}
	/* The evidence behind a partner that has warnings: its ids and outcomes. */
	if (n) {
		fputs("</ul>\n<h3>Their evidence</h3>\n<table class=\"evidence\">\n<thead><tr>"
		      "<th>Partner</th><th>Evidence (id: outcome)</th></tr></thead>\n<tbody>\n", f);
		json_array_foreach(in->explain, i, r) {
			const json_t *ev = json_object_get(r, "evidence"), *e;
			if (!json_array_size(json_object_get(r, "warnings")))
				continue;
			fputs("<tr><td>", f);
			report_text(f, ctl_jstr(r, "partner"));
			fputs("</td><td>", f);
			json_array_foreach(ev, k, e) {
				fputs(k ? ", " : "", f);
				fputs("<span class=\"ev\">", f);
				report_text(f, ctl_jstr(e, "id"));
				fputs(": ", f);
				report_text(f, ctl_jstr(e, "outcome"));
				fputs("</span>", f);
			}
			fputs("</td></tr>\n", f);
		}
		fputs("</tbody>\n</table>\n", f);
	} else {
		fputs("<p class=\"ok\">No warnings.</p>\n", f);
	}
	report_section_end(f);
}

/* The figures a steering committee reads first, each the same number
 * (and hook) as in the section below that details it: members,
 * commitments by what became of them, the open warnings and who has
 * them, each partner's trust. */
static void glance_section(FILE *f, const struct report_in *in)
{
	static const char *const open_states[] = { "proposed", "accepted", "overdue" };
	const json_t *cs = in->commitments, *c, *r;
	const json_t *warn = json_object_get(in->alliance, "warn_trust");
	size_t i, k, open = 0, overdue = 0, missed = 0, warnings = 0, named = 0;
	json_int_t fulfilled = 0;
	json_array_foreach(cs, i, c) {
		for (k = 0; k < 3; k++)
			open += !strcmp(ctl_jstr(c, "state"), open_states[k]);
		overdue += !strcmp(ctl_jstr(c, "state"), "overdue");
		missed += !strcmp(ctl_jstr(c, "state"), "missed");
	}
	/* Fulfilled as trust counts it (docs/trust.md §2: delivered and
	 * agreed), each commitment in its promisor's row once. */
	json_array_foreach(in->trust, i, r) {
		fulfilled += json_integer_value(json_object_get(r, "fulfilled"));
		warnings += json_array_size(json_object_get(r, "warnings"));
	}
	report_section(f, "glance", "At a glance");
	fprintf(f, "<dl class=\"figs\">\n<dt>Members</dt><dd><span class=\"big\" "
		   "data-key=\"glance.members\">%zu</span></dd>\n"
		   "<dt>Commitments</dt><dd><span class=\"big\" data-key=\"glance.commitments\">"
		   "%zu</span> in all</dd>\n"
		   "<dt></dt><dd><span data-key=\"glance.open\">%zu</span> open (of which "
		   "<span data-key=\"glance.overdue\">%zu</span> overdue) \u00b7 "
		   "<span data-key=\"glance.missed\">%zu</span> missed \u00b7 "
		   "<span data-key=\"glance.fulfilled\">%lld</span> fulfilled</dd>\n"
		   "<dt>Open warnings</dt><dd><span class=\"big%s\" data-key=\"glance.warnings\">"
		   "%zu</span>",
		json_array_size(json_object_get(in->alliance, "members")), json_array_size(cs),
		open, overdue, missed, (long long)fulfilled, warnings ? " warned" : "", warnings);
	json_array_foreach(in->trust, i, r) {
		size_t n = json_array_size(json_object_get(r, "warnings"));
		if (!n)
			continue;
		fputs(named++ ? ", " : " (", f);
		fputs("<span class=\"warned\" data-warned=\"", f);
		report_text(f, ctl_jstr(r, "partner"));
		fputs("\">", f);
		report_text(f, ctl_jstr(r, "partner"));
		fputs("</span>", f);
		if (n > 1)
			fprintf(f, " \u00d7%zu", n);
	}
	fputs(named ? ")</dd>\n</dl>\n" : "</dd>\n</dl>\n", f);
	fputs("<table class=\"glance\">\n<thead><tr><th>Partner</th><th class=\"n\">Trust</th>"
	      "<th>0 \u2013 trust and its uncertainty band \u2013 1</th>"
	      "<th class=\"n\">Uncertainty</th></tr></thead>\n<tbody>\n", f);
	json_array_foreach(in->trust, i, r) {
		const char *p = ctl_jstr(r, "partner");
		fputs("<tr><td>", f);
		report_text(f, p);
		fputs("</td>", f);
		num_cell(f, "td", "n", p, "trust", json_object_get(r, "trust"), RK_TRUST);
		fputs("<td>", f);
		report_trust_bar(f, json_object_get(r, "trust"), json_object_get(r, "uncertainty"),
				 warn);
		fputs("</td>", f);
		num_cell(f, "td", "n", p, "uncertainty", json_object_get(r, "uncertainty"),
			 RK_TRUST);
		fputs("</tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
	report_section_end(f);
}

int report_write(FILE *f, const struct report_in *in)
{
	if (!json_is_object(in->alliance) || !json_is_array(in->trust) ||
	    !json_is_array(in->explain) || !json_is_array(in->scorecard) ||
	    !json_is_array(in->series) || !json_is_array(in->commitments)) {
		errno = EINVAL;
		return -1;
	}
	const json_t *a = in->alliance;
	const char *as_of = ctl_jstr(a, "as_of");
	size_t i;
	const json_t *m;
	/* The subtitle and the footer are ours; the title and names are
	 * partner text, written through report_text. */
	char *sub = NULL, *foot = NULL;
	size_t ns = 0, nf = 0;
	FILE *s = open_memstream(&sub, &ns), *ft = open_memstream(&foot, &nf);
	if (!s || !ft) {
		if (s)
			fclose(s);
		free(sub);
		errno = ENOMEM;
		return -1;
	}
	fputs("Alliance report as of <span data-key=\"as_of\">", s);
	report_text(s, as_of);
	fputs("</span> \u00b7 members: ", s);
	json_array_foreach(json_object_get(a, "members"), i, m) {
		fputs(i ? ", " : "", s);
		report_text(s, ctl_jstr(m, "name"));
	}
	fclose(s);
	fputs("<p>Generated by alliancectl from the alliance's signed log. Alliance <code>", ft);
	report_text(ft, ctl_jstr(a, "id"));
	fputs("</code>, as of <code>", ft);
	report_text(ft, as_of);
	fputs("</code>.</p>\n<p>Every number here is what <code>alliancectl scorecard/trust/"
	      "commitments --as-of ", ft);
	report_text(ft, as_of);
	fputs("</code> prints, rounded as their text views round it (trust and uncertainty to 4 "
	      "decimals, scores and values to 2); with <code>--json</code> they print the exact "
	      "values, which each number on this page also carries (data-value). To recompute "
	      "it from any member's home or from a copy of the log:"
	      "</p>\n<p><code>alliancectl scorecard --as-of ", ft);
	report_text(ft, as_of);
	fputs(" --json</code><br><code>alliancectl trust --as-of ", ft);
	report_text(ft, as_of);
	fputs(" --json</code><br><code>alliancectl trust --series ", ft);
	report_text(ft, in->step);
	fputs(" --since ", ft);
	report_text(ft, in->since);
	fputs(" --as-of ", ft);
	report_text(ft, as_of);
	fputs(" --json</code><br><code>alliancectl commitments --as-of ", ft);
	report_text(ft, as_of);
	fputs(" --json</code><br><code>alliancectl report -o FILE.html --since ", ft);
	report_text(ft, in->since);
	fputs(" --as-of ", ft);
	report_text(ft, as_of);
	fputs("</code></p>", ft);
	fclose(ft);

	report_begin(f, ctl_jstr(a, "title"), sub);
	glance_section(f, in);
	trust_section(f, in);
	alliance_section(f, in);
	scorecard_section(f, in);
	commitments_section(f, in);
	reciprocity_section(f, in);
	warnings_section(f, in);
	report_end(f, foot);
	free(sub);
	free(foot);
	return ferror(f) ? -1 : 0;
}
