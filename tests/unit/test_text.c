/* test_text.c: free text: UTF-8, the escapes every text view prints
 * through, the JSON post-pass and the authoring policy; and whole numbers
 * read by the one strict parser (text_uint), so that " 5", "+5", "-1" and
 * "5s" are refused wherever the CLI or the daemon reads a number. */
#include "testutil.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "text.h"

static void utf8(void **state)
{
	(void)state;
	size_t bad = 99;
	assert_true(text_utf8("", NULL));
	assert_true(text_utf8("plain ascii", NULL));
	assert_true(text_utf8("Acme\xe2\x80\x93Globex caf\xc3\xa9 \xf0\x9f\x98\x80", NULL));
	assert_true(text_utf8("\x1b[2J\xe2\x80\xae", NULL)); /* dangerous, but UTF-8 */
	static const struct { const char *s; size_t bad; } no[] = {
		{ "\xff", 0 }, { "ab\x80", 2 }, { "\xc0\x80", 0 }, /* overlong NUL */
		{ "x\xe0\x80\xaf", 1 },                              /* overlong '/' */
		{ "\xed\xa0\x80", 0 },                               /* a surrogate */
		{ "\xf4\x90\x80\x80", 0 },                           /* past U+10FFFF */
		{ "ok\xe2\x80", 2 },                                 /* cut short */
	};
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
		if (text_utf8(no[i].s, &bad))
			fail_msg("case %zu taken for UTF-8", i);
		assert_int_equal(bad, no[i].bad);
	}
}

static void escapes(void **state)
{
	(void)state;
	static const struct { const char *in, *out; } cases[] = {
		{ "", "" },
		{ "plain text, 100% (a/b)", "plain text, 100% (a/b)" },
		/* Other text is kept: accents, CJK, emoji, no-break space. */
		{ "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80\xc2\xa0",
		  "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80\xc2\xa0" },
		/* Terminal commands: clear, retitle (OSC ... BEL), colour. */
		{ "\x1b[2J", "\\x1b[2J" },
		{ "\x1b]0;title\x07", "\\x1b]0;title\\x07" },
		{ "\x1b[31mred", "\\x1b[31mred" },
		/* Lines: a forged table row stays on its line. */
		{ "a\nacme/9  FORGED", "a\\nacme/9  FORGED" },
		{ "a\rb\tc", "a\\rb\\tc" },
		{ "\x01\x08\x0b\x0c\x1f\x7f", "\\x01\\x08\\x0b\\x0c\\x1f\\x7f" },
		/* C1 controls as code points (CSI, NEL, OSC). */
		{ "\xc2\x9b" "31m\xc2\x85\xc2\x9d\xc2\x80\xc2\x9f", "\\u009b31m\\u0085\\u009d\\u0080\\u009f" },
		/* Bidi: embeddings, overrides, isolates, marks; separators. */
		{ "\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad\xe2\x80\xae",
		  "\\u202a\\u202b\\u202c\\u202d\\u202e" },
		{ "\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9", "\\u2066\\u2067\\u2068\\u2069" },
		{ "\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", "\\u200e\\u200f\\u061c" },
		{ "\xe2\x80\xa8\xe2\x80\xa9", "\\u2028\\u2029" },
		/* Their neighbours are ordinary text. */
		{ "\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa\xe2\x80\x8d\xd8\x9b",
		  "\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa\xe2\x80\x8d\xd8\x9b" },
		/* Bytes that are not UTF-8, one escape each. */
		{ "\xff", "\\xff" },
		{ "a\xc0\x80z", "a\\xc0\\x80z" },
		{ "\xed\xa0\x80", "\\xed\\xa0\\x80" },
		{ "end\xe2\x80", "end\\xe2\\x80" },
		/* A backslash doubles: the text "\x1b" differs from ESC shown. */
		{ "\\x1b", "\\\\x1b" },
		{ "C:\\dir", "C:\\\\dir" },
	};
	char buf[256];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t len = text_escape(cases[i].in, buf, sizeof buf);
		if (strcmp(buf, cases[i].out))
			fail_msg("case %zu: got '%s', want '%s'", i, buf, cases[i].out);
		assert_int_equal(len, strlen(cases[i].out));
		char *m = text_escaped(cases[i].in);
		assert_non_null(m);
		assert_string_equal(m, cases[i].out);
		free(m);
	}
}

/* Cut only between escapes; the result says the whole length. */
static void cut(void **state)
{
	(void)state;
	char buf[16];
	assert_int_equal(text_escape("\x1b\x1b", NULL, 0), 8);
	memset(buf, 'z', sizeof buf);
	assert_int_equal(text_escape("\x1b\x1b", buf, 1), 8);
	assert_string_equal(buf, "");
	assert_int_equal(text_escape("\x1b\x1b", buf, 7), 8);
	assert_string_equal(buf, "\\x1b"); /* never "\x1b\x" */
	assert_int_equal(text_escape("\x1b\x1b", buf, 9), 8);
	assert_string_equal(buf, "\\x1b\\x1b");
	/* Nothing after the first piece that did not fit, even if later ones would. */
	assert_int_equal(text_escape("\xe2\x80\xae" "ab", buf, 6), 8);
	assert_string_equal(buf, "");
	/* A character of several bytes goes in whole. */
	assert_int_equal(text_escape("a\xc3\xa9", buf, 3), 3);
	assert_string_equal(buf, "a");
}

/* Columns on a terminal, as Unicode 14.0 and the common combining blocks
 * say, whatever the locale. */
static void width(void **state)
{
	(void)state;
	static const struct { const char *s; size_t w; } cases[] = {
		{ "", 0 },
		{ "acme", 4 },
		{ "0123456789abcdef0123456789abcdef", 32 },
		/* CJK and kana: two columns each (株式会社グローバル: 9 characters). */
		{ "\xe6\xa0\xaa\xe5\xbc\x8f\xe4\xbc\x9a\xe7\xa4\xbe\xe3\x82\xb0\xe3\x83\xad"
		  "\xe3\x83\xbc\xe3\x83\x90\xe3\x83\xab", 18 },
		{ "\xea\xb0\x80", 2 },                   /* Hangul 가 */
		{ "\xef\xbc\xa1", 2 },                   /* fullwidth A */
		{ "\xef\xbd\xb1", 1 },                   /* halfwidth katakana ｱ */
		{ "\xe3\x80\x80", 2 },                   /* ideographic space */
		{ "\xf0\xa0\x80\x80", 2 },               /* CJK extension B */
		/* Emoji: wide; a variation selector or a joiner takes nothing. */
		{ "\xf0\x9f\x98\x80", 2 },
		{ "\xf0\x9f\x9a\x80!", 3 },
		{ "\xe2\x9c\x85", 2 },                   /* U+2705, wide since Unicode 9 */
		{ "\xe2\x9d\xa4\xef\xb8\x8f", 1 },       /* U+2764 (narrow) + VS16 */
		/* Combining marks: nothing. e + U+0301, a + U+0308 + U+0323. */
		{ "Cafe\xcc\x81", 4 },
		{ "a\xcc\x88\xcc\xa3", 1 },
		{ "caf\xc3\xa9", 4 },                    /* precomposed: one column */
		{ "a\xe2\x80\x8b" "b", 2 },              /* zero width space */
		{ "\xe3\x81\x8b\xe3\x82\x99", 2 },       /* か + combining voiced mark */
		/* Latin, Greek, Cyrillic, Hebrew, the en dash, no-break space: one. */
		{ "\xc3\xbc\xce\xb1\xd0\x96\xd7\x90\xe2\x80\x93\xc2\xa0", 6 },
		/* Escapes are ASCII: counted as printed. */
		{ "\\x1b[2J", 7 },
		{ "a\\u202eb", 8 },
		{ "\\\\", 2 },
		/* A byte that is not UTF-8 (never in escaped text): one. */
		{ "\xff", 1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (text_width(cases[i].s) != cases[i].w)
			fail_msg("case %zu '%s': width %zu, want %zu", i, cases[i].s,
				 text_width(cases[i].s), cases[i].w);
}

#define MARK TEXT_CUT_MARK

/* Cut to N columns: whole pieces, a mark, never wider than N. */
static void cut_to_width(void **state)
{
	(void)state;
	static const struct { const char *s; size_t cols; const char *out; size_t w; } cases[] = {
		{ "working prototype", 20, "working prototype", 17 }, /* fits: whole */
		{ "working prototype", 17, "working prototype", 17 },
		{ "working prototype", 16, "working prototy" MARK, 16 },
		{ "working prototype", 8, "working" MARK, 8 },
		{ "working prototype", 1, MARK, 1 },
		{ "working prototype", 0, "", 0 },
		{ "", 0, "", 0 },
		/* A wide character that would straddle the edge stays out. */
		{ "\xe6\xa0\xaa\xe5\xbc\x8f\xe4\xbc\x9a\xe7\xa4\xbe", 6,
		  "\xe6\xa0\xaa\xe5\xbc\x8f" MARK, 5 },
		{ "\xe6\xa0\xaa\xe5\xbc\x8f\xe4\xbc\x9a\xe7\xa4\xbe", 5,
		  "\xe6\xa0\xaa\xe5\xbc\x8f" MARK, 5 },
		{ "\xe6\xa0\xaa\xe5\xbc\x8f\xe4\xbc\x9a\xe7\xa4\xbe", 8,
		  "\xe6\xa0\xaa\xe5\xbc\x8f\xe4\xbc\x9a\xe7\xa4\xbe", 8 },
		{ "a\xf0\x9f\x98\x80" "bc", 3, "a" MARK, 2 },
		/* A combining mark stays with its letter. */
		{ "Cafe\xcc\x81 noir", 5, "Cafe\xcc\x81" MARK, 5 },
		/* Escapes go whole or not at all. */
		{ "\\x1b[2J", 4, MARK, 1 }, /* never "\\x1" */
		{ "ab\\x1b[2J", 5, "ab" MARK, 3 },
		{ "ab\\x1b[2J", 7, "ab\\x1b" MARK, 7 },
		{ "a\\u202eb", 6, "a" MARK, 2 },
		{ "a\\u202ebc", 8, "a\\u202e" MARK, 8 },
		{ "a\\\\b", 2, "a" MARK, 2 },
		{ "a\\\\bc", 4, "a\\\\" MARK, 4 },
		{ "a\\nbc", 4, "a\\n" MARK, 4 },
	};
	char buf[64];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(buf, 'z', sizeof buf);
		size_t w = text_cut(cases[i].s, cases[i].cols, buf, sizeof buf);
		if (strcmp(buf, cases[i].out) || w != cases[i].w)
			fail_msg("case %zu: '%s' in %zu columns gave '%s' (%zu), want '%s' (%zu)", i,
				 cases[i].s, cases[i].cols, buf, w, cases[i].out, cases[i].w);
		assert_int_equal(text_width(buf), w);
		assert_true(w <= cases[i].cols);
		assert_true(text_utf8(buf, NULL));
	}
	/* strlen + sizeof MARK bytes suffice; fewer keep fewer whole pieces. */
	const char *cjk = "\xe6\xa0\xaa\xe5\xbc\x8f\xe4\xbc\x9a"; /* 9 bytes, 6 columns */
	assert_int_equal(text_cut(cjk, 4, buf, strlen(cjk) + sizeof MARK), 3);
	assert_string_equal(buf, "\xe6\xa0\xaa" MARK);
	assert_int_equal(text_cut(cjk, 6, buf, 10), 6);
	assert_string_equal(buf, cjk);
	assert_int_equal(text_cut(cjk, 6, buf, 9), 3); /* no room for the whole */
	assert_string_equal(buf, "\xe6\xa0\xaa" MARK);
	assert_int_equal(text_cut(cjk, 6, buf, 4), 1); /* only for the mark */
	assert_string_equal(buf, MARK);
	assert_int_equal(text_cut(cjk, 6, buf, 3), 0); /* not even for it */
	assert_string_equal(buf, "");
	assert_int_equal(text_cut(cjk, 6, NULL, 0), 0);
}

/* Reads text_escape's output back: the escapes name one text each. */
static size_t unescape(const char *s, char *out)
{
	size_t n = 0;
	while (*s) {
		if (*s != '\\') {
			out[n++] = *s++;
			continue;
		}
		s++;
		unsigned v;
		if (*s == '\\' || *s == 'n' || *s == 'r' || *s == 't') {
			out[n++] = *s == 'n' ? '\n' : *s == 'r' ? '\r' : *s == 't' ? '\t' : '\\';
			s++;
		} else if (*s == 'x' && sscanf(s + 1, "%2x", &v) == 1) {
			out[n++] = (char)v;
			s += 3;
		} else if (*s == 'u' && sscanf(s + 1, "%4x", &v) == 1) {
			if (v < 0x800) {
				out[n++] = (char)(0xc0 | v >> 6);
			} else {
				out[n++] = (char)(0xe0 | v >> 12);
				out[n++] = (char)(0x80 | (v >> 6 & 0x3f));
			}
			out[n++] = (char)(0x80 | (v & 0x3f));
			s += 5;
		} else {
			fail_msg("a lone backslash in '%s'", s - 1);
		}
	}
	out[n] = '\0';
	return n;
}

static bool bytes_safe(const char *s)
{
	/* No C0, DEL, nor the UTF-8 of C1 or of a bidi or separator mark. */
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
			return false;
		if (p[0] == 0xe2 && p[1] == 0x80 && ((p[2] >= 0xa8 && p[2] <= 0xae) ||
						     p[2] == 0x8e || p[2] == 0x8f))
			return false;
		if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
			return false;
		if (p[0] == 0xd8 && p[1] == 0x9c)
			return false;
	}
	return true;
}

/* Random text, biased to the interesting pieces: the escaped text is safe,
 * valid UTF-8, and reads back to exactly the original. */
static void property(void **state)
{
	(void)state;
	static const char *const pieces[] = {
		"a", "\\", "\\x1b", "\x1b", "\n", "\r", "\t", "\x7f", "\xc2\x9b", "\xc2\xa0",
		"\xe2\x80\xae", "\xe2\x81\xa6", "\xe2\x80\xa8", "\xd8\x9c", "\xc3\xa9",
		"\xf0\x9f\x98\x80", "\xff", "\xc0", "\xe2\x80", "\xed\xa0\x80", "u202e",
	};
	const size_t np = sizeof pieces / sizeof pieces[0];
	size_t used[sizeof pieces / sizeof pieces[0]] = { 0 };
	unsigned seed = 20260101;
	char in[512], back[512], esc[2048];
	for (int round = 0; round < 5000; round++) {
		size_t len = 0;
		int k = (int)(rand_r(&seed) % 12);
		in[0] = '\0';
		for (int i = 0; i < k; i++) {
			size_t pi = (size_t)rand_r(&seed) % (np + 1);
			if (pi == np) { /* any byte but NUL */
				in[len++] = (char)(1 + rand_r(&seed) % 255);
			} else {
				memcpy(in + len, pieces[pi], strlen(pieces[pi]));
				len += strlen(pieces[pi]);
				used[pi]++;
			}
			in[len] = '\0';
		}
		size_t n = text_escape(in, esc, sizeof esc);
		assert_true(n < sizeof esc);
		assert_true(text_utf8(esc, NULL));
		if (!bytes_safe(esc))
			fail_msg("round %d: '%s' left a dangerous byte", round, esc);
		assert_int_equal(unescape(esc, back), len);
		assert_memory_equal(back, in, len);
	}
	for (size_t i = 0; i < np; i++) /* every interesting piece was tried */
		assert_true(used[i] > 100);
}

static void json_post_pass(void **state)
{
	(void)state;
	const char *orig = "caf\xc3\xa9 \x1b[2J\x7f\xc2\x9b" "1m\xe2\x80\xae\xe2\x81\xa6\xe2\x80\xa8"
			   "\xd8\x9c\xe2\x80\x8f\\ \"q\" \xe2\x80\x93";
	json_t *j = json_pack("{s:s, s:[s, i]}", "what", orig, "caf\xc3\xa9 \xe2\x80\xae", orig, 7);
	assert_non_null(j);
	char *dumped = json_dumps(j, JSON_COMPACT);
	assert_non_null(dumped);
	size_t n = text_escape_json(dumped, NULL, 0);
	char *safe = malloc(n + 1);
	assert_non_null(safe);
	assert_int_equal(text_escape_json(dumped, safe, n + 1), n);
	/* Only the dangerous characters changed: accents and the en dash stay. */
	assert_true(bytes_safe(safe));
	assert_non_null(strstr(safe, "caf\xc3\xa9 \\u001B[2J\\u007F\\u009B1m\\u202E\\u2066\\u2028"
				     "\\u061C\\u200F\\\\ \\\"q\\\" \xe2\x80\x93"));
	/* It parses back to the same document, keys and all. */
	json_t *back = json_loads(safe, 0, NULL);
	assert_non_null(back);
	assert_true(json_equal(j, back));
	assert_string_equal(json_string_value(json_object_get(back, "what")), orig);
	json_decref(back);
	json_decref(j);
	free(dumped);
	free(safe);
	char small[7];
	assert_int_equal(text_escape_json("\"\xe2\x80\xae\"", small, sizeof small), 8);
	assert_string_equal(small, "\""); /* cut between pieces */
}

static void authoring_policy(void **state)
{
	(void)state;
	char why[AL_ERRLEN];
	static const char *const fine[] = {
		"", "plain", "two\nlines\tand a tab", "caf\xc3\xa9 \xe2\x80\x93 \xf0\x9f\x98\x80",
		"a backslash \\x1b is text", "\xc2\xa0\xe2\x80\x8d",
	};
	for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++)
		if (text_check("--note", fine[i], why))
			fail_msg("'%s' refused: %s", fine[i], why);
	static const struct { const char *s, *want[3]; } no[] = {
		{ "\x1b[2J", { "--note holds U+001B ESCAPE at character 1", "control" } },
		{ "ab\xe2\x80\xae" "cd", { "U+202E RIGHT-TO-LEFT OVERRIDE at character 3", "bidi" } },
		{ "\xc3\xa9\xc3\xa9\r", { "U+000D CARRIAGE RETURN at character 3" } },
		{ "x\x7f", { "U+007F DELETE at character 2" } },
		{ "\xc2\x9b" "31m", { "U+009B CONTROL SEQUENCE INTRODUCER at character 1" } },
		{ "\xc2\x81", { "U+0081 C1 CONTROL" } },
		{ "a\xe2\x80\xa8", { "U+2028 LINE SEPARATOR", "line separator" } },
		{ "\xe2\x81\xa9", { "U+2069 POP DIRECTIONAL ISOLATE" } },
		{ "\xd8\x9c", { "U+061C ARABIC LETTER MARK" } },
		{ "\xe2\x80\x8e", { "U+200E LEFT-TO-RIGHT MARK" } },
		{ "\x07", { "U+0007 BELL" } },
		{ "ok\xff", { "--note is not valid UTF-8 (byte 0xff at character 3)" } },
	};
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
		memset(why, 0, sizeof why);
		if (text_check("--note", no[i].s, why) != AL_E_INVAL)
			fail_msg("case %zu accepted", i);
		for (int k = 0; k < 3 && no[i].want[k]; k++)
			if (!strstr(why, no[i].want[k]))
				fail_msg("case %zu: '%s' not in '%s'", i, no[i].want[k], why);
		/* The message itself is safe to print, and says what to do. */
		assert_true(bytes_safe(why));
		assert_non_null(strstr(why, "--note"));
		if (!strstr(why, "UTF-8"))
			assert_non_null(strstr(why, "remove it"));
	}
	assert_int_equal(text_check("the title", "fine", NULL), AL_OK);
	assert_int_equal(text_check("the title", "\x1b", NULL), AL_E_INVAL);
}

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
		cmocka_unit_test(utf8),
		cmocka_unit_test(escapes),
		cmocka_unit_test(cut),
		cmocka_unit_test(width),
		cmocka_unit_test(cut_to_width),
		cmocka_unit_test(property),
		cmocka_unit_test(json_post_pass),
		cmocka_unit_test(authoring_policy),
		cmocka_unit_test(whole_numbers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
