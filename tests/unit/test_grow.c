/* test_grow.c: the one growable array (grow.h). */
#include "testutil.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "grow.h"

/* A huge request must fail with NULL, not stop the test: under ASan a
 * malloc beyond its limit aborts unless told to return NULL. Unused
 * without ASan. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

/* Appending one at a time: the contents stay, and the array is
 * reallocated a logarithmic number of times (doubling), never once per
 * element. */
static void doubles(void **state)
{
	(void)state;
	uint32_t *v = NULL;
	size_t n = 0, cap = 0, grown = 0;
	enum { N = 100000 };
	for (uint32_t i = 0; i < N; i++) {
		size_t was = cap;
		assert_int_equal(grow(&v, &cap, n + 1, sizeof *v), AL_OK);
		assert_true(cap >= n + 1);
		if (cap != was) {
			grown++;
			assert_true(was == 0 || cap == 2 * was); /* doubles */
		}
		v[n++] = i * 7u;
	}
	assert_true(grown <= 15); /* 8, 16, ... 131072: 15 allocations */
	assert_true(cap < 2 * N);
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(v[i], i * 7u);
	/* Room enough already: nothing moves. */
	uint32_t *same = v;
	size_t had = cap;
	assert_int_equal(grow(&v, &cap, cap, sizeof *v), AL_OK);
	assert_ptr_equal(v, same);
	assert_int_equal(cap, had);
	/* A jump past double: straight to the first doubling that fits. */
	assert_int_equal(grow(&v, &cap, 5 * had, sizeof *v), AL_OK);
	assert_int_equal(cap, 8 * had);
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(v[i], i * 7u);
	free(v);
}

/* A failure leaves the array, its contents and the capacity as they were. */
static void failure_changes_nothing(void **state)
{
	(void)state;
	uint64_t *v = NULL;
	size_t cap = 0;
	assert_int_equal(grow(&v, &cap, 3, sizeof *v), AL_OK);
	v[0] = 1, v[1] = 2, v[2] = 3;
	uint64_t *was = v;
	size_t had = cap;
	/* need * size wraps around a size_t, or passes the largest object */
	assert_int_equal(grow(&v, &cap, SIZE_MAX, sizeof *v), AL_E_NOMEM);
	assert_int_equal(grow(&v, &cap, SIZE_MAX / sizeof *v + 1, sizeof *v), AL_E_NOMEM);
	assert_int_equal(grow(&v, &cap, PTRDIFF_MAX / sizeof *v + 1, sizeof *v), AL_E_NOMEM);
	assert_ptr_equal(v, was);
	assert_int_equal(cap, had);
	/* fits in a size_t, but no realloc gives that much */
	assert_int_equal(grow(&v, &cap, SIZE_MAX / sizeof *v / 4, sizeof *v), AL_E_NOMEM);
	assert_ptr_equal(v, was);
	assert_int_equal(cap, had);
	assert_true(v[0] == 1 && v[1] == 2 && v[2] == 3);
	/* and it still grows after */
	assert_int_equal(grow(&v, &cap, had + 1, sizeof *v), AL_OK);
	assert_true(v[0] == 1 && v[1] == 2 && v[2] == 3);
	free(v);
}

/* Elements so large that the first capacity (8) would wrap cap * size:
 * refused, never a small allocation taken for a large one. */
static void capacity_never_wraps(void **state)
{
	(void)state;
	size_t size = SIZE_MAX / 8 + 2; /* 8 * size wraps to a few bytes */
	void *v = NULL;
	size_t cap = 0;
	assert_int_equal(grow(&v, &cap, 1, size), AL_E_NOMEM);
	assert_null(v);
	assert_int_equal(cap, 0);
}

/* Nothing needed, or elements of no size: no failure, nothing freed. */
static void zero_sizes(void **state)
{
	(void)state;
	int *v = NULL;
	size_t cap = 0;
	assert_int_equal(grow(&v, &cap, 0, sizeof *v), AL_OK);
	assert_null(v);
	assert_int_equal(cap, 0);
	char *z = NULL;
	size_t zc = 0;
	for (size_t need = 1; need <= 100; need++) {
		assert_int_equal(grow(&z, &zc, need, 0), AL_OK);
		assert_non_null(z);
		assert_true(zc >= need);
	}
	free(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(doubles),
		cmocka_unit_test(failure_changes_nothing),
		cmocka_unit_test(capacity_never_wraps),
		cmocka_unit_test(zero_sizes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
