/* driver.c: runs a fuzz target without libFuzzer (the smoke in make test).
 *
 *   fuzz_X [-runs=N] [-seed=S] [FILE ...]   run the seeds, the files, then N
 *                                            deterministic mutations of them
 *   fuzz_X -write-seeds DIR                  write the seeds as a corpus
 *
 * Mutations: bit flips, byte changes, truncation, insertion, duplication of
 * a slice, splicing two inputs. A crash or abort is the failure; the
 * process prints one TAP line so tests/run counts it.
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INPUTS 64
#define MAX_LEN (256 * 1024)

static uint8_t *inputs[MAX_INPUTS];
static size_t lens[MAX_INPUTS], n_inputs;
static const char *seed_dir;
static int seed_count;

static void keep(const uint8_t *d, size_t n)
{
	if (seed_dir) {
		char path[4096];
		snprintf(path, sizeof path, "%s/seed-%d", seed_dir, seed_count++);
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(d, 1, n, f) != n)
			abort();
		fclose(f);
		return;
	}
	if (n_inputs == MAX_INPUTS || n > MAX_LEN)
		return;
	inputs[n_inputs] = malloc(n ? n : 1);
	memcpy(inputs[n_inputs], d, n);
	lens[n_inputs++] = n;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return rng;
}

int main(int argc, char **argv)
{
	long runs = 10000;
	int first_file = 1;
	for (; first_file < argc && argv[first_file][0] == '-'; first_file++) {
		if (!strncmp(argv[first_file], "-runs=", 6))
			runs = atol(argv[first_file] + 6);
		else if (!strncmp(argv[first_file], "-seed=", 6))
			rng = strtoull(argv[first_file] + 6, NULL, 10) | 1;
		else if (!strcmp(argv[first_file], "-write-seeds") && first_file + 1 < argc)
			seed_dir = argv[++first_file];
	}
	fuzz_seeds(keep);
	if (seed_dir)
		return 0;
	for (int i = first_file; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f)
			continue;
		uint8_t *buf = malloc(MAX_LEN);
		size_t n = fread(buf, 1, MAX_LEN, f);
		fclose(f);
		keep(buf, n);
		free(buf);
	}
	for (size_t i = 0; i < n_inputs; i++)
		LLVMFuzzerTestOneInput(inputs[i], lens[i]);
	uint8_t *buf = malloc(2 * MAX_LEN);
	for (long r = 0; r < runs && n_inputs; r++) {
		size_t k = next() % n_inputs, n = lens[k];
		memcpy(buf, inputs[k], n);
		int steps = 1 + (int)(next() % 4);
		for (int s = 0; s < steps; s++) {
			switch (next() % 6) {
			case 0: if (n) buf[next() % n] ^= (uint8_t)(1u << (next() % 8)); break;
			case 1: if (n) buf[next() % n] = (uint8_t)next(); break;
			case 2: if (n) n = next() % n; break;
			case 3: if (n < MAX_LEN) { size_t at = next() % (n + 1);
				memmove(buf + at + 1, buf + at, n - at); buf[at] = (uint8_t)next(); n++; }
				break;
			case 4: if (n > 1 && n < MAX_LEN / 2) { size_t a = next() % n, l = 1 + next() % (n - a);
				memmove(buf + a + l, buf + a, n - a); n += l; }
				break;
			case 5: { size_t o = next() % n_inputs, cut = n ? next() % n : 0,
				from = lens[o] ? next() % lens[o] : 0, l = lens[o] - from;
				if (cut + l <= MAX_LEN) { memcpy(buf + cut, inputs[o] + from, l); n = cut + l; } }
				break;
			}
		}
		LLVMFuzzerTestOneInput(buf, n);
	}
	printf("ok - %s: %zu seeds and %ld mutations, no crash\n", argv[0], n_inputs, runs);
	free(buf);
	for (size_t i = 0; i < n_inputs; i++)
		free(inputs[i]);
	return 0;
}
