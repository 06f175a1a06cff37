/* portfolio_page.h: the portfolio as one HTML page, in the report's page
 * style (report.h's shell).
 *
 * Pure: the portfolio document (lib/portfolio.h, what 'alliancectl
 * portfolio --json' prints) in, one self-contained page out on a FILE: no
 * script, nothing fetched. Nothing is computed here but the counts at a
 * glance: every number is the document's, shown as portfolio's text view
 * rounds it (report_show), on an element whose data-value holds the digits
 * its JSON has (report_num) and whose data-* hooks name where it came from (data-alliance: the
 * alliance id; data-partner: a member's name in an alliance's table, a
 * firm's key in the partners table; data-key: the document's key), so a
 * test can compare the page with the document. Partner text goes through
 * report_text.
 */
#ifndef CTL_PORTFOLIO_PAGE_H
#define CTL_PORTFOLIO_PAGE_H

#include <jansson.h>
#include <stdio.h>

/* The page of portfolio document doc (borrowed) on f. 0, or -1 when doc
 * is not a portfolio document (errno EINVAL), memory ran out (ENOMEM) or
 * f failed (check ferror). */
int portfolio_page_write(FILE *f, const json_t *doc);

#endif
