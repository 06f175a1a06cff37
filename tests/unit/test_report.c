/* test_report.c: how the report's pages show a number (clients/report.h):
 * as the CLI's text views round its kind, a delay as people read it, none
 * as a dash, and the exact JSON digits kept in data-value. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* What report_show (or report_value, with value set) writes for v. */
static char *shown(json_t *v, enum report_kind k, bool value)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	assert_non_null(f);
	if (value)
		report_value(f, v, k);
	else
		report_show(f, v, k);
	assert_int_equal(fclose(f), 0);
	json_decref(v);
	return s;
}

static void expect(json_t *v, enum report_kind k, const char *want)
{
	char *s = shown(v, k, false);
	if (strcmp(s, want))
		fail_msg("shown '%s', expected '%s'", s, want);
	free(s);
}

static void decimals_per_kind(void **state)
{
	(void)state;
	/* trust's table: %.4f; scorecard's scores and the values: %.2f. */
	expect(json_real(1.0), RK_TRUST, "1.0000");
	expect(json_real(0.7915), RK_TRUST, "0.7915");
	expect(json_real(0.5), RK_SCORE, "0.50");
	expect(json_real(0.38461), RK_SCORE, "0.38");
	expect(json_real(500.0), RK_VALUE, "500.00");
	expect(json_integer(300), RK_VALUE, "300.00");
	expect(json_integer(3), RK_COUNT, "3");
	expect(json_integer(0), RK_COUNT, "0");
	/* None: a dash, whatever the kind. */
	expect(json_null(), RK_TRUST, "\u2013");
	expect(NULL, RK_HOURS, "\u2013");
	expect(json_string("0.5"), RK_SCORE, "\u2013");
}

static void delays_as_people_read_them(void **state)
{
	(void)state;
	expect(json_real(0.0002), RK_HOURS, "720 ms");
	expect(json_real(12 / 3600.0), RK_HOURS, "12 s");
	expect(json_real(0.0), RK_HOURS, "0 ms");
	expect(json_real(59.4 / 3600.0), RK_HOURS, "59 s");
	expect(json_real(60 / 3600.0), RK_HOURS, "1 min");
	expect(json_real(4 / 60.0), RK_HOURS, "4 min");
	expect(json_real(3.5), RK_HOURS, "3.5 h");
	expect(json_real(1.0), RK_HOURS, "1 h");
	expect(json_real(47.9), RK_HOURS, "2 days");
	expect(json_real(60.0), RK_HOURS, "2.5 days");
	expect(json_real(12 * 24.0), RK_HOURS, "12 days");
	/* An age in days: the same words. */
	expect(json_real(0.0002), RK_DAYS, "17 s");
	expect(json_real(12.0), RK_DAYS, "12 days");
	expect(json_real(0.0417), RK_DAYS, "1 h");
}

static void the_exact_value_in_the_hook(void **state)
{
	(void)state;
	char *s = shown(json_real(0.79151234), RK_TRUST, true);
	assert_string_equal(s, " data-value=\"0.79151234\">0.7915");
	free(s);
	s = shown(json_real(500.0), RK_VALUE, true);
	assert_string_equal(s, " data-value=\"500.0\">500.00");
	free(s);
	s = shown(json_real(0.0002), RK_HOURS, true);
	assert_string_equal(s, " data-value=\"0.0002\">720 ms");
	free(s);
	s = shown(json_null(), RK_SCORE, true);
	assert_string_equal(s, " data-value=\"null\">\u2013");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decimals_per_kind),
		cmocka_unit_test(delays_as_people_read_them),
		cmocka_unit_test(the_exact_value_in_the_hook),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
