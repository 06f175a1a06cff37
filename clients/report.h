/* report.h: the HTML report, rendered from the query answers' JSON.
 *
 * Pure: JSON documents in (the same ones alliancectl trust, scorecard,
 * commitments ... --json print), one self-contained HTML page out on a
 * FILE: inline CSS and inline SVG, no script, nothing fetched, printable
 * on A4. Every number is shown as the CLI's text views show it (trust to
 * 4 decimals, scores and values to 2, counts whole, delays as "3.5 h"), on
 * an element whose data-* hooks name where it came from and whose
 * data-value holds it as the CLI's JSON writes it (the same digits), so
 * that a test can compare the page with the CLI. Every string
 * that came from a log or a charter is partner text: it goes through
 * text_escape (no bidi override reorders the page) and then HTML escaping.
 *
 * The page shell (report_begin, report_section, report_end, report_text)
 * is what any other page (the portfolio) builds on.
 */
#ifndef CTL_REPORT_H
#define CTL_REPORT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

/* What one alliance's report is made of: the answers of the queries, all
 * for the same evaluation time. Borrowed, only read. */
struct report_in {
	const json_t *alliance;    /* query "alliance" */
	const json_t *trust;       /* query "trust": the table */
	const json_t *explain;     /* array of query "trust" NAME, in the table's order */
	const json_t *scorecard;   /* query "scorecard" */
	const json_t *series;      /* query "series" */
	const json_t *commitments; /* query "commitments" */
	const char *since;         /* the series' start (ISO-8601, as given to it) */
	const char *step;          /* the series' step, as given to it ("2h") */
};

/* The whole report of one alliance on f. 0, or -1 when a document lacks
 * what the page needs (errno EINVAL) or f failed (check ferror). */
int report_write(FILE *f, const struct report_in *in);

/* The page shell. report_begin writes the document head (the style sheet)
 * and the page header: the title (partner text) and a subtitle (ours,
 * already HTML, may be NULL). report_section opens <section id=ID> with
 * a heading (ours); report_section_end closes it. report_end writes the
 * footer (ours, already HTML) and closes the document. */
void report_begin(FILE *f, const char *title, const char *subtitle_html);
void report_section(FILE *f, const char *id, const char *heading);
void report_section_end(FILE *f);
void report_end(FILE *f, const char *footer_html);

/* Partner text s (may be NULL: nothing) as safe HTML: escaped for a
 * terminal first (text_escape), then & < > " ' as entities; usable in an
 * attribute value as well as in text. */
void report_text(FILE *f, const char *s);

/* A number of a query answer as the CLI's --json prints it (jansson,
 * 12 significant digits: 0.6154, 1.0, 3); null (or absent) as "–". What
 * the data-value hooks hold. */
void report_num(FILE *f, const json_t *v);

/* What kind of number a figure is, which says how it is shown: as the
 * CLI's text views show that kind. */
enum report_kind {
	RK_TRUST, /* trust, uncertainty: 4 decimals (trust's table) */
	RK_SCORE, /* a scorecard score, ratio or mean rating: 2 decimals */
	RK_VALUE, /* a value, given, received, owed: 2 decimals */
	RK_COUNT, /* a count: a whole number */
	RK_HOURS, /* a delay in hours: "12 s", "4 min", "3.5 h", "12 days" */
	RK_DAYS,  /* an age in days: as RK_HOURS */
};

/* v as a person reads a number of kind k; null (or absent) as "–". */
void report_show(FILE *f, const json_t *v, enum report_kind k);

/* ` data-value="JSON">shown`: the end of a number's opening tag (its
 * other hooks written before), then the number shown. */
void report_value(FILE *f, const json_t *v, enum report_kind k);

/* The style sheet's inline bar of a trust (0..1) and its uncertainty band
 * (trust +/- u/2), the warning threshold warn (a number or NULL) marked:
 * a small SVG, drawn from the same numbers. */
void report_trust_bar(FILE *f, const json_t *trust, const json_t *uncertainty,
		      const json_t *warn);

#endif
