/* test_text.c: what text people type must be: whole numbers read by the
 * one strict parser (text_uint), so that " 5", "+5", "-1" and "5s" are
 * refused wherever the CLI or the daemon reads a number. */
#include "testutil.h"

#include <inttypes.h>
#include <string.h>

#include "text.h"

static void whole_numbers(void **state)
{
	(void)state;
	static const struct { const char *in; uint64_t max, v; } ok[] = {
		{ "0", 5, 0 },
		{ "5", 5, 5 },
		{ "007", 10, 7 },
		{ "65535", 65535, 65535 },
		{ "18446744073709551615", UINT64_MAX, UINT64_MAX },
		{ "4294967295", UINT32_MAX, UINT32_MAX },
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		uint64_t v = 12345;
		if (!text_uint(ok[i].in, ok[i].max, &v))
			fail_msg("'%s' (max %" PRIu64 ") refused", ok[i].in, ok[i].max);
		assert_int_equal(v, ok[i].v);
	}
	static const struct { const char *in; uint64_t max; } bad[] = {
		{ "", 5 }, { " 5", 5 }, { "5 ", 5 }, { "+5", 5 }, { "-1", 5 }, { "-0", 5 },
		{ "6", 5 }, { "7", 5 }, { "10", 9 }, { "65536", 65535 }, { "0x10", 100 },
		{ "1e3", 5000 }, { "1.5", 5 }, { "5s", 5 }, { "\t5", 5 }, { "5\n", 5 },
		{ "18446744073709551616", UINT64_MAX }, { "99999999999999999999", UINT64_MAX },
		{ "4294967296", UINT32_MAX }, { "1", 0 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint64_t v = 12345;
		if (text_uint(bad[i].in, bad[i].max, &v))
			fail_msg("'%s' (max %" PRIu64 ") accepted as %" PRIu64, bad[i].in, bad[i].max, v);
		assert_int_equal(v, 12345); /* untouched */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(whole_numbers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
