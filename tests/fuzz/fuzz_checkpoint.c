/* fuzz_checkpoint.c: store_open with an arbitrary DIR/checkpoint beside a
 * real log: whatever the file holds, the store opens, and its state is
 * the one a full replay makes (checkpoint_compare), with a warning when
 * the file was not used. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "err.h"
#include "store.h"

static char top[64], dir[80], ckpt[128];

static void remove_fixture(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
	if (system(cmd))
		fprintf(stderr, "fuzz_checkpoint: cannot remove %s\n", top);
}

/* A store of 16 records by the fuzz charter's members, made
 * once, and its full replay, kept open to compare against. */
static struct al_store *fixture(void)
{
	static struct al_store *full;
	if (full)
		return full;
	struct al_identity *const *ids;
	const struct al_charter *c = fuzz_charter(&ids);
	/* On tmpfs when there is one: opening a store syncs its log. */
	char why[AL_ERRLEN], tmpl[] = "/dev/shm/fuzz-ckpt.XXXXXX", alt[] = "/tmp/fuzz-ckpt.XXXXXX";
	const char *made = mkdtemp(tmpl) ? tmpl : mkdtemp(alt);
	if (!made)
		abort();
	snprintf(top, sizeof top, "%s", made);
	atexit(remove_fixture);
	snprintf(dir, sizeof dir, "%s/s", made);
	snprintf(ckpt, sizeof ckpt, "%s/%s", dir, AL_CKPT_FILE);
	struct al_store *s;
	if (store_open(dir, true, c, NULL, &s, why))
		abort();
	for (int i = 0; i < 16; i++) {
		struct al_body b;
		struct al_ref id;
		al_key to = ids[(i + 1) % 3]->sign_pk;
		char key[16];
		memset(&b, 0, sizeof b);
		b.kind = AL_KIND_COMMITMENT;
		b.u.commitment.what = (char *)"a widget";
		b.u.commitment.to = &to;
		b.u.commitment.n_to = 1;
		b.u.commitment.due = c->created + 86400000;
		b.u.commitment.value = 1;
		snprintf(key, sizeof key, "k%d", i);
		b.key = i % 2 ? key : NULL;
		if (store_author(s, ids[i % 3], &b, c->created + 1000 + i, &id, why))
			abort();
	}
	if (store_sync(s, why))
		abort();
	store_close(&s);
	if (store_open(dir, false, NULL, NULL, &full, why) || full->ckpt.used)
		abort();
	return full;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct al_store *full = fixture(), *s;
	char why[AL_ERRLEN];
	FILE *f = fopen(ckpt, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f))
		abort();
	if (store_open(dir, false, NULL, NULL, &s, why))
		abort();
	if (checkpoint_compare(s, full, why) || (!s->ckpt.used && !*s->ckpt.warning)) {
		fprintf(stderr, "fuzz_checkpoint: %s\n", s->ckpt.used ? why : "no warning");
		abort();
	}
	store_close(&s);
	return 0;
}

void fuzz_seeds(void (*emit)(const uint8_t *, size_t))
{
	struct al_store *full = fixture();
	char why[AL_ERRLEN];
	if (checkpoint_write(full, 0, why))
		abort();
	FILE *f = fopen(ckpt, "rb");
	uint8_t *buf = malloc(1 << 20);
	if (!f || !buf)
		abort();
	size_t len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	emit(buf, len);
	free(buf);
}
