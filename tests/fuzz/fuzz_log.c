/* fuzz_log.c: log_scan() over an arbitrary log file: every byte is either
 * a valid record or inside a reported fault. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "err.h"
#include "log.h"

struct tally {
	uint64_t end;  /* where the last record or fault ended */
	size_t size;
};

static int on_record(void *arg, const struct al_log_rec *r)
{
	struct tally *t = arg;
	if (r->offset < t->end || r->offset + AL_LOG_FRAME + r->len > t->size)
		abort();
	t->end = r->offset + AL_LOG_FRAME + r->len;
	return 0;
}

static int on_fault(void *arg, const struct al_log_fault *f)
{
	struct tally *t = arg;
	if (f->offset + f->length > t->size)
		abort();
	t->end = f->offset + f->length;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("fuzz-log", 0);
		if (fd < 0)
			abort();
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	struct tally t = { AL_LOG_HEADER_LEN, size };
	char why[AL_ERRLEN];
	if (log_scan(path, on_record, on_fault, &t, why))
		abort();
	/* The scan accounts for the whole file (or it had no valid header). */
	if (size >= AL_LOG_HEADER_LEN && !memcmp(data, AL_LOG_HEADER, AL_LOG_HEADER_LEN) &&
	    t.end != (size > AL_LOG_HEADER_LEN ? size : AL_LOG_HEADER_LEN))
		abort();
	return 0;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

void fuzz_seeds(void (*emit)(const uint8_t *, size_t))
{
	uint8_t buf[256];
	size_t n = AL_LOG_HEADER_LEN;
	memcpy(buf, AL_LOG_HEADER, AL_LOG_HEADER_LEN);
	for (int r = 0; r < 3; r++) {
		uint8_t payload[40];
		memset(payload, 'a' + r, sizeof payload);
		put_u32(buf + n, sizeof payload);
		put_u32(buf + n + 4, log_crc32c(log_crc32c(0, buf + n, 4), payload, sizeof payload));
		memcpy(buf + n + 8, payload, sizeof payload);
		n += 8 + sizeof payload;
	}
	emit(buf, n);
}
