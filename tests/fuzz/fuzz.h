/* fuzz.h: the contract between a fuzz target and its drivers.
 *
 * A target defines LLVMFuzzerTestOneInput (libFuzzer's entry point) and
 * fuzz_seeds(), which hands valid inputs to emit() so that mutation starts
 * from real messages. Two drivers run targets: libFuzzer (make fuzz, with
 * clang) and tests/fuzz/driver.c (the smoke in make test: seeds plus a
 * fixed number of deterministic mutations, with any compiler).
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "charter.h"
#include "key.h"
#include "roster.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void fuzz_seeds(void (*emit)(const uint8_t *data, size_t size));

/* A fixed, signed 3-member charter and its members' identities, built once. */
const struct al_charter *fuzz_charter(struct al_identity *const **ids);

/* Its roster before any amendment (the founders), built once. */
const struct al_roster *fuzz_roster(void);

#endif
