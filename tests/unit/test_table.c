/* test_table.c: alliancectl's text table (clients/table.h): widths from the
 * data as a terminal shows it, alignment, the gap and the indent, no
 * trailing spaces, shrinking only the free-text columns (widest first, not
 * below the minimum) to a width limit, and where that limit comes from. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "table.h"
#include "text.h"

#define R CTL_TABLE_RIGHT
#define S CTL_TABLE_SHRINK

/* The table's text, printed fitted to limit (the caller frees it). */
static char *printed(const struct ctl_table *t, size_t limit)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	assert_non_null(f);
	assert_int_equal(ctl_table_print(t, f, limit), 0);
	assert_int_equal(fclose(f), 0);
	return s;
}

static struct ctl_table *table(size_t gap, const char *indent, const char *const *heads,
			       const unsigned *flags, size_t n_cols, const char *const *cells,
			       size_t n_cells)
{
	struct ctl_table *t = ctl_table_new(gap, indent);
	assert_non_null(t);
	for (size_t i = 0; i < n_cols; i++)
		assert_int_equal(ctl_table_col(t, heads[i], flags[i]), 0);
	for (size_t i = 0; i < n_cells; i++)
		assert_int_equal(ctl_table_cell(t, cells[i]), 0);
	return t;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void widths_from_the_data(void **state)
{
	(void)state;
	static const char *const heads[] = { "NAME", "N", "WHAT" };
	static const unsigned flags[] = { 0, R, S };
	static const char *const cells[] = {
		"a", "5", "short",
		"0123456789abcdef0123456789abcdef", "12345", "x",
		/* CJK: two columns each; an accent: none; an escape: as printed. */
		"\xe6\xa0\xaa\xe5\xbc\x8f", "7", "Cafe\xcc\x81",
		"\\x1b", "", "",
	};
	struct ctl_table *t = table(2, "", heads, flags, N(heads), cells, N(cells));
	char *s = printed(t, 0);
	assert_string_equal(s,
		"NAME                                  N  WHAT\n"
		"a                                     5  short\n"
		"0123456789abcdef0123456789abcdef  12345  x\n"
		"\xe6\xa0\xaa\xe5\xbc\x8f                                  7  Cafe\xcc\x81\n"
		"\\x1b\n"); /* no trailing spaces */
	free(s);
	ctl_table_destroy(&t);
	assert_null(t);
}

static void shrink_to_the_limit(void **state)
{
	(void)state;
	static const char *const heads[] = { "ID", "A", "B" };
	static const unsigned flags[] = { 0, S, S };
	static const char *const cells[] = {
		"id-that-never-shrinks", "aaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbb",
		"x", "\xe6\xa0\xaa\xe5\xbc\x8f\xe4\xbc\x9a\xe7\xa4\xbe\xe3\x82\xb0\xe3\x83\xad", "b",
	};
	struct ctl_table *t = table(1, "", heads, flags, N(heads), cells, N(cells));
	/* 21 + 1 + 20 + 1 + 15 = 58 columns: no cut at 58 or without a limit. */
	char *whole = printed(t, 0), *s = printed(t, 58);
	assert_string_equal(whole, s);
	assert_non_null(strstr(whole, "aaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbb\n"));
	free(s);
	/* 50: A (the widest) loses 5 to 15, then one each in turn: A 13, B 14. */
	s = printed(t, 50);
	assert_string_equal(s,
		"ID" "                    " "A" "             " "B\n"
		"id-that-never-shrinks aaaaaaaaaaaa\xe2\x80\xa6 bbbbbbbbbbbbb\xe2\x80\xa6\n"
		"x                     " "\xe6\xa0\xaa\xe5\xbc\x8f\xe4\xbc\x9a\xe7\xa4\xbe\xe3\x82\xb0\xe3\x83\xad" "  b\n");
	free(s);
	/* 30: both at the minimum, the id whole: 39 columns, wider than 30. */
	s = printed(t, 30);
	assert_string_equal(s,
		"ID" "                    " "A" "        " "B\n"
		"id-that-never-shrinks aaaaaaa\xe2\x80\xa6 bbbbbbb\xe2\x80\xa6\n"
		"x                     " "\xe6\xa0\xaa\xe5\xbc\x8f\xe4\xbc\x9a\xe2\x80\xa6" "  b\n");
	free(s);
	free(whole);
	ctl_table_destroy(&t);
}

static void lists_without_headings(void **state)
{
	(void)state;
	static const char *const heads[] = { "", "", "" };
	static const unsigned flags[] = { 0, R, 0 };
	static const char *const cells[] = { "acme", "3", "signed", "initech", "12", "NOT SIGNED",
					     "globex" /* a short last row */ };
	struct ctl_table *t = table(2, "  member  ", heads, flags, N(heads), cells, N(cells));
	char *s = printed(t, 0);
	assert_string_equal(s,
		"  member  acme      3  signed\n"
		"  member  initech  12  NOT SIGNED\n"
		"  member  globex\n");
	free(s);
	ctl_table_destroy(&t);
	/* Nothing at all: nothing printed. */
	t = ctl_table_new(2, "");
	assert_non_null(t);
	assert_int_equal(ctl_table_col(t, "", 0), 0);
	s = printed(t, 0);
	assert_string_equal(s, "");
	free(s);
	/* Columns go before cells. */
	assert_int_equal(ctl_table_cellf(t, "%d", 42), 0);
	assert_int_equal(ctl_table_col(t, "LATE", 0), -1);
	ctl_table_destroy(&t);
	ctl_table_destroy(&t); /* NULL: nothing */
}

static void the_limit(void **state)
{
	(void)state;
	/* stdout is not a terminal under the test runner: COLUMNS or nothing. */
	setenv("COLUMNS", "60", 1);
	assert_int_equal(ctl_table_columns(), 60);
	static const char *const not_a_width[] = { "0", "-5", "abc", "80x", " 80", "", "99999999" };
	for (size_t i = 0; i < N(not_a_width); i++) {
		setenv("COLUMNS", not_a_width[i], 1);
		if (!isatty(1) && ctl_table_columns() != 0)
			fail_msg("COLUMNS='%s' taken as %zu", not_a_width[i], ctl_table_columns());
	}
	unsetenv("COLUMNS");
	if (!isatty(1))
		assert_int_equal(ctl_table_columns(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(widths_from_the_data),
		cmocka_unit_test(shrink_to_the_limit),
		cmocka_unit_test(lists_without_headings),
		cmocka_unit_test(the_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
