/* test_home.c: a partner's home: the config file's errors name the right
 * line, unknown sections are refused even when empty. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "home.h"

struct fx {
	char *dir;
	char *good; /* the config init wrote */
	size_t len;
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof *x);
	struct al_home *h;
	char why[AL_ERRLEN];
	assert_non_null(x);
	assert_int_equal(key_init(), 0);
	x->dir = tu_tmpdir();
	assert_int_equal(home_init(x->dir, "acme", "tcp://127.0.0.1:7001", NULL, &h, why), 0);
	home_close(&h);
	x->good = (char *)tu_read(tu_path(0, x->dir, AL_CONFIG_FILE), &x->len);
	x->good[x->len] = '\0'; /* tu_read leaves room for it */
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	free(x->good);
	tu_rmdir(x->dir);
	free(x);
	return 0;
}

/* The config init wrote, with text added after its line n (0: before all). */
static void write_config(struct fx *x, int n, const char *add)
{
	char buf[8192];
	size_t at = 0;
	for (int i = 0; i < n; i++) {
		const char *nl = strchr(x->good + at, '\n');
		assert_non_null(nl); /* the config has at least n lines */
		at = (size_t)(nl - x->good) + 1;
	}
	snprintf(buf, sizeof buf, "%.*s%s%s", (int)at, x->good, add, x->good + at);
	tu_write(tu_path(0, x->dir, AL_CONFIG_FILE), (const uint8_t *)buf, strlen(buf));
}

/* home_open fails with a message naming line and saying what. */
static void expect_error(struct fx *x, int line, const char *what)
{
	struct al_home *h = NULL;
	char why[AL_ERRLEN], want[64];
	assert_int_equal(home_open(x->dir, &h, why), AL_E_PARSE);
	assert_null(h);
	snprintf(want, sizeof want, "line %d: ", line);
	if (!strstr(why, want) || !strstr(why, what))
		fail_msg("'%s' lacks '%s' or '%s'", why, want, what);
}

static void good_config_opens(void **state)
{
	struct fx *x = *state;
	struct al_home *h;
	char why[AL_ERRLEN];
	assert_int_equal(home_open(x->dir, &h, why), 0);
	assert_string_equal(h->self.name, "acme");
	home_close(&h);
	/* Known sections may repeat, with comments and blank lines around. */
	write_config(x, 0, "; a comment\n\n[daemon]\n");
	assert_int_equal(home_open(x->dir, &h, why), 0);
	home_close(&h);
}

/* The line of the first error and that error's message, even when more
 * errors follow (their messages used to replace the first one's while the
 * line stayed the first one's). */
static void first_error_named_by_its_line(void **state)
{
	struct fx *x = *state;
	/* init writes 18 lines; the last is "log_level = info". */
	write_config(x, 18, "log_level = loud\ncolour = red\nsign_public = nothex\n");
	expect_error(x, 19, "bad log_level 'loud'");
	/* A line that is not INI, then one of ours. */
	write_config(x, 3, "this is not ini\n");
	expect_error(x, 4, "not valid INI");
	write_config(x, 18, "this is not ini\ncolour = red\n");
	expect_error(x, 19, "not valid INI");
	write_config(x, 18, "colour = red\nthis is not ini\n");
	expect_error(x, 19, "unknown setting 'colour' in section [daemon]");
	write_config(x, 2, "name = bad/name\n");
	expect_error(x, 3, "bad member name 'bad/name'");
}

/* inih tells its handler only of keys; a section with none used to pass. */
static void unknown_sections_refused(void **state)
{
	struct fx *x = *state;
	write_config(x, 18, "[foo]\n");
	expect_error(x, 19, "unknown section [foo]");
	write_config(x, 18, "\n  [Member]   ; comment\n");
	expect_error(x, 20, "unknown section [Member]");
	write_config(x, 0, "[foo]\nx = 1\n");
	expect_error(x, 1, "unknown section [foo]");
	write_config(x, 18, "[ daemon ]\n");
	expect_error(x, 19, "unknown section [ daemon ]");
}

/* A line longer than the parser's buffer would be split and shift every
 * line number after it: refused, by its own number. */
static void long_line_refused(void **state)
{
	struct fx *x = *state;
	char add[600];
	snprintf(add, sizeof add, "# %0500d\n", 7);
	write_config(x, 4, add);
	expect_error(x, 5, "too long");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(good_config_opens, setup, teardown),
		cmocka_unit_test_setup_teardown(first_error_named_by_its_line, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_sections_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(long_line_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
