/* test_when.c: the times and durations people type. */
#include "testutil.h"

#include <inttypes.h>
#include <string.h>

#include "err.h"
#include "when.h"

static const int64_t NOW = 1767225600000; /* 2026-01-01T00:00:00Z */

static void iso_times(void **state)
{
	(void)state;
	static const struct { const char *in; int64_t ms; } ok[] = {
		{ "2026-01-01T00:00:00Z", 1767225600000 },
		{ "2026-01-01", 1767225600000 },
		{ "2026-01-01T02:00:00+02:00", 1767225600000 },
		{ "2026-01-01T02:00:00+0200", 1767225600000 },
		{ "2025-12-31T19:00:00-05:00", 1767225600000 },
		{ "2026-01-01T00:00Z", 1767225600000 },
		{ "2026-01-01T00:00:00.250Z", 1767225600250 },
		{ "2026-01-01 00:00:01z", 1767225601000 },
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2028-02-29T00:00:00Z", 1835395200000 },
	};
	char why[AL_ERRLEN];
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		int64_t ms = -1;
		if (when_parse(ok[i].in, NOW, &ms, why))
			fail_msg("'%s' refused: %s", ok[i].in, why);
		assert_int_equal(ms, ok[i].ms);
	}
	static const char *const bad[] = {
		"", "yesterday", "2026-13-01", "2026-02-30", "2027-02-29T00:00:00Z",
		"2026-01-01T00:00:00", /* local time: not reproducible */
		"2026-01-01T25:00:00Z", "2026-01-01T00:00:00Zjunk", "2026-1-1", "+", "+5x", "++5s",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t ms;
		if (when_parse(bad[i], NOW, &ms, why) != AL_E_PARSE)
			fail_msg("'%s' accepted", bad[i]);
		assert_non_null(strstr(why, "ISO-8601"));
	}
}

static void offsets_from_now(void **state)
{
	(void)state;
	char why[AL_ERRLEN];
	int64_t ms;
	assert_int_equal(when_parse("+30s", NOW, &ms, why), 0);
	assert_int_equal(ms, NOW + 30000);
	assert_int_equal(when_parse("+2h", NOW, &ms, why), 0);
	assert_int_equal(ms, NOW + 7200000);
	assert_int_equal(when_parse("+14d", NOW, &ms, why), 0);
	assert_int_equal(ms, NOW + 14 * 86400000LL);
	assert_int_equal(when_parse("-1h", NOW, &ms, why), 0);
	assert_int_equal(ms, NOW - 3600000);
	assert_int_equal(when_parse("+90m", NOW, &ms, why), 0);
	assert_int_equal(ms, NOW + 5400000);
	assert_int_equal(when_parse("+1w", NOW, &ms, why), 0);
	assert_int_equal(ms, NOW + 7 * 86400000LL);
	assert_int_equal(when_parse("+99999999999999999999d", NOW, &ms, why), AL_E_PARSE);
}

/* Offsets that would leave int64 (or the calendar) are errors, not
 * overflows; any int64 formats without undefined behaviour (run under
 * SANITIZE=undefined to see the difference). */
static void extremes_are_safe(void **state)
{
	(void)state;
	char why[AL_ERRLEN], buf[AL_WHENLEN];
	int64_t ms = 42;
	static const char *const far[] = {
		"+99999999999999d", "-99999999999999d", "+1000000000w", "+9223372036854775s",
		"-9223372036854775s", "+3000000d",
	};
	for (size_t i = 0; i < sizeof far / sizeof far[0]; i++) {
		if (when_parse(far[i], NOW, &ms, why) != AL_E_PARSE)
			fail_msg("'%s' accepted as %" PRId64, far[i], ms);
		assert_non_null(strstr(why, far[i]));
		assert_non_null(strstr(why, "out of range"));
	}
	/* A now far outside the calendar is refused too. */
	assert_int_equal(when_parse("+1s", INT64_MAX, &ms, why), AL_E_PARSE);
	assert_int_equal(when_parse("-1s", INT64_MIN, &ms, why), AL_E_PARSE);
	/* The edges of the calendar. */
	assert_int_equal(when_parse("9999-12-31T23:59:59.999Z", NOW, &ms, why), 0);
	assert_string_equal(when_format(ms, buf), "9999-12-31T23:59:59.999Z");
	assert_int_equal(when_parse("0000-01-01T00:00:00Z", NOW, &ms, why), 0);
	assert_string_equal(when_format(ms, buf), "0000-01-01T00:00:00Z");
	assert_int_equal(when_parse("+2000000d", NOW, &ms, why), 0); /* year 7501 */
	/* Beyond them: the value, never garbage. */
	assert_string_equal(when_format(INT64_MIN, buf), "-9223372036854775808ms");
	assert_string_equal(when_format(INT64_MAX, buf), "9223372036854775807ms");
	assert_string_equal(when_format(253402300800000, buf), "253402300800000ms");
	assert_string_equal(when_format(-1, buf), "1969-12-31T23:59:59.999Z");
}

static void deadlines_saturate(void **state)
{
	(void)state;
	assert_int_equal(when_after(1000, 2), 3000);
	assert_int_equal(when_after(-5000, 3), -2000);
	assert_int_equal(when_after(INT64_MAX - 5, 1), INT64_MAX);
	assert_int_equal(when_after(INT64_MAX, 0), INT64_MAX);
	assert_int_equal(when_after(0, UINT64_MAX), INT64_MAX);
	assert_int_equal(when_after(INT64_MIN, UINT64_MAX), INT64_MAX);
	assert_int_equal(when_after(INT64_MIN, 1), INT64_MIN + 1000);
}

static void durations(void **state)
{
	(void)state;
	char why[AL_ERRLEN], buf[AL_WHENLEN];
	uint64_t s;
	assert_int_equal(duration_parse("72h", &s, why), 0);
	assert_int_equal(s, 72 * 3600);
	assert_int_equal(duration_parse("300", &s, why), 0);
	assert_int_equal(s, 300);
	assert_int_equal(duration_parse("-3d", &s, why), AL_E_PARSE);
	assert_int_equal(duration_parse("3 days", &s, why), AL_E_PARSE);
	assert_non_null(strstr(why, "'3 days'"));
	assert_string_equal(duration_format(90 * 86400, buf), "90d");
	assert_string_equal(duration_format(14 * 86400, buf), "2w");
	assert_string_equal(duration_format(36 * 3600, buf), "36h");
	assert_string_equal(duration_format(300, buf), "5m");
	assert_string_equal(duration_format(61, buf), "61s");
}

static void formatting(void **state)
{
	(void)state;
	char buf[AL_WHENLEN], why[AL_ERRLEN];
	assert_string_equal(when_format(NOW, buf), "2026-01-01T00:00:00Z");
	assert_string_equal(when_format(NOW + 5, buf), "2026-01-01T00:00:00.005Z");
	assert_string_equal(when_format(-1500, buf), "1969-12-31T23:59:58.500Z");
	/* Whatever is printed parses back to the same instant. */
	for (int64_t t = -86400000; t < 4102444800000; t += 123456789011) {
		int64_t back;
		assert_int_equal(when_parse(when_format(t, buf), NOW, &back, why), 0);
		assert_int_equal(back, t);
	}
}

/* Spans as people read them: the largest unit that leaves at least 1
 * (hours up to 48), a decimal below 10, rounded without ever showing 60 s
 * or 48 h. */
static void spans(void **state)
{
	(void)state;
	char buf[AL_WHENLEN];
	static const struct { int64_t ms; const char *want; } cases[] = {
		{ 0, "0 ms" },
		{ 400, "400 ms" },
		{ 999, "999 ms" },
		{ 1000, "1 s" },
		{ 1049, "1 s" },
		{ 1050, "1.1 s" },
		{ 9949, "9.9 s" },
		{ 9950, "10 s" },
		{ 12000, "12 s" },
		{ 59499, "59 s" },
		{ 59500, "1 min" },   /* never "60 s" */
		{ 240000, "4 min" },
		{ 90000, "1.5 min" },
		{ 3600000 - 30000, "1 h" }, /* 59.5 min */
		{ 3600000 * 7 / 2, "3.5 h" },
		{ 3600000LL * 47, "47 h" },
		{ 3600000LL * 47 + 1800000, "2 days" }, /* 47.5 h: never "48 h" */
		{ 86400000LL * 5 / 2, "2.5 days" },
		{ 86400000LL * 12, "12 days" },
		{ 86400000LL * 400, "400 days" },
		{ -12000, "-12 s" },
		{ INT64_MAX, "106751991167 days" },
		{ INT64_MIN, "-106751991167 days" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		assert_string_equal(when_span(cases[i].ms, buf), cases[i].want);
	/* From doubles (hours or days of a JSON answer): rounded to the ms,
	 * and past the int64 range the largest span, not an overflow. */
	assert_string_equal(when_span_of(0.0002 * 3600.0 * 1000.0, buf), "720 ms");
	assert_string_equal(when_span_of(1e300, buf), "106751991167 days");
	assert_string_equal(when_span_of(-1e300, buf), "-106751991167 days");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(iso_times),
		cmocka_unit_test(offsets_from_now),
		cmocka_unit_test(extremes_are_safe),
		cmocka_unit_test(deadlines_saturate),
		cmocka_unit_test(durations),
		cmocka_unit_test(formatting),
		cmocka_unit_test(spans),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
