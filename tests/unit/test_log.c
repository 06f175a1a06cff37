/* test_log.c: the append-only log file. Round trips through close and
 * reopen, the durability accounting of group commit, recovery from a torn
 * tail cut at every possible length, a write lost before later ones (a
 * power loss) cut with them, detection of every flipped bit, the fatal
 * fsync, the taken-back short write and a full disk at every byte of a
 * record (through fault injection), taking back unsynced records,
 * known answers for CRC-32C and the frame layout, and both CRC-32C
 * implementations (the CPU's instruction, the portable tables) against a
 * bitwise reference at every length, alignment and split. */
#include "testutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fault.h"
#include "log.h"

#define MAXREC 16

/* ------------------------------------------------------------ helpers */

/* Deterministic, structureless payload bytes (no accidental valid frames). */
static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)(x >> 11);
	}
}

/* What a scan or an open delivered. */
struct seen {
	size_t n;
	struct {
		uint64_t index, offset;
		size_t len;
		uint8_t *data;
	} rec[MAXREC];
	size_t nf;
	struct al_log_fault fault[MAXREC];
	int stop_at; /* return 42 from on_record at this index (-1: never) */
};

static void seen_init(struct seen *s)
{
	memset(s, 0, sizeof *s);
	s->stop_at = -1;
}

static void seen_free(struct seen *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->rec[i].data);
	seen_init(s);
}

static int on_rec(void *arg, const struct al_log_rec *r)
{
	struct seen *s = arg;
	if (s->stop_at >= 0 && r->index == (uint64_t)s->stop_at)
		return 42;
	assert_true(s->n < MAXREC);
	s->rec[s->n].index = r->index;
	s->rec[s->n].offset = r->offset;
	s->rec[s->n].len = r->len;
	s->rec[s->n].data = malloc(r->len);
	assert_non_null(s->rec[s->n].data);
	memcpy(s->rec[s->n].data, r->data, r->len);
	s->n++;
	return 0;
}

static int on_fault(void *arg, const struct al_log_fault *f)
{
	struct seen *s = arg;
	assert_true(s->nf < MAXREC);
	s->fault[s->nf++] = *f;
	return 0;
}

static uint64_t file_size(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_size;
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* A log of n records of the given lengths (payload i filled from seed i),
 * synced and closed. off[i] receives record i's frame offset. */
static void make_log(const char *path, size_t n, const size_t *lens, uint64_t *off)
{
	struct al_log *l;
	char why[AL_ERRLEN];
	uint8_t buf[1024];
	assert_int_equal(log_open(path, true, NULL, NULL, NULL, &l, why), 0);
	for (size_t i = 0; i < n; i++) {
		assert_true(lens[i] <= sizeof buf);
		fill(buf, lens[i], (uint32_t)i);
		assert_int_equal(log_append(l, buf, lens[i], &off[i], why), 0);
	}
	assert_int_equal(log_sync(l, why), 0);
	log_close(&l);
	assert_null(l);
}

/* Delivered record j is record i of make_log(lens, off). */
static void assert_record(const struct seen *s, size_t j, size_t i, const size_t *lens,
			  const uint64_t *off)
{
	uint8_t buf[1024];
	assert_true(j < s->n);
	fill(buf, lens[i], (uint32_t)i);
	assert_int_equal(s->rec[j].index, i);
	assert_int_equal(s->rec[j].offset, off[i]);
	assert_int_equal(s->rec[j].len, lens[i]);
	assert_memory_equal(s->rec[j].data, buf, lens[i]);
}

/* The records delivered are exactly records idx[0..k) of make_log(lens, off). */
static void assert_records(const struct seen *s, const size_t *idx, size_t k, const size_t *lens,
			   const uint64_t *off)
{
	assert_int_equal(s->n, k);
	for (size_t j = 0; j < k; j++)
		assert_record(s, j, idx[j], lens, off);
}

struct fx {
	char *dir;
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof *x);
	assert_non_null(x);
	x->dir = tu_tmpdir();
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	fault_arm(AL_FAULT_FSYNC, 0);
	fault_arm(AL_FAULT_WRITE, 0);
	fault_arm(AL_FAULT_NOSPC, 0);
	tu_rmdir(x->dir);
	free(x);
	return 0;
}

/* ------------------------------------------------------------ round trip */

static void append_sync_reopen(void **state)
{
	struct fx *x = *state;
	const char *path = tu_path(0, x->dir, "log");
	const size_t lens[] = { 1, 37, 300, 8, 64 };
	const size_t n = sizeof lens / sizeof *lens;
	uint64_t off[5];
	struct al_log *l;
	char why[AL_ERRLEN];
	uint8_t buf[1024];

	assert_int_equal(log_open(path, true, NULL, NULL, NULL, &l, why), 0);
	assert_int_equal(log_records(l), 0);
	assert_int_equal(log_size(l), AL_LOG_HEADER_LEN);
	assert_string_equal(log_path(l), path);
	uint64_t expect = AL_LOG_HEADER_LEN;
	for (size_t i = 0; i < n; i++) {
		fill(buf, lens[i], (uint32_t)i);
		assert_int_equal(log_append(l, buf, lens[i], &off[i], why), 0);
		assert_int_equal(off[i], expect);
		expect += AL_LOG_FRAME + lens[i];
		assert_int_equal(log_records(l), i + 1);
		assert_int_equal(log_size(l), expect);
	}
	assert_int_equal(log_sync(l, why), 0);
	assert_int_equal(log_durable(l), expect);
	/* Readable before close too. */
	for (size_t i = 0; i < n; i++) {
		uint8_t *d;
		size_t len;
		fill(buf, lens[i], (uint32_t)i);
		assert_int_equal(log_read(l, off[i], &d, &len, why), 0);
		assert_int_equal(len, lens[i]);
		assert_memory_equal(d, buf, len);
		free(d);
	}
	log_close(&l);
	assert_null(l);
	assert_int_equal(file_size(path), expect);

	struct seen s;
	struct al_log_recovery rec;
	const size_t all[] = { 0, 1, 2, 3, 4 };
	seen_init(&s);
	memset(&rec, 0xff, sizeof rec);
	assert_int_equal(log_open(path, false, on_rec, &s, &rec, &l, why), 0);
	assert_int_equal(rec.cut_bytes, 0);
	assert_records(&s, all, n, lens, off);
	assert_int_equal(log_records(l), n);
	assert_int_equal(log_size(l), expect);
	assert_int_equal(log_durable(l), expect);
	for (size_t i = 0; i < n; i++) {
		uint8_t *d;
		size_t len;
		fill(buf, lens[i], (uint32_t)i);
		assert_int_equal(log_read(l, off[i], &d, &len, why), 0);
		assert_int_equal(len, lens[i]);
		assert_memory_equal(d, buf, len);
		free(d);
	}
	/* No record at the header, inside a frame, or at the end. */
	uint8_t *d = (uint8_t *)"x";
	size_t len = 1;
	assert_int_equal(log_read(l, 0, &d, &len, why), AL_E_INVAL);
	assert_null(d);
	assert_int_equal(len, 0);
	assert_int_equal(log_read(l, expect, &d, &len, why), AL_E_INVAL);
	assert_int_not_equal(log_read(l, off[2] + 1, &d, &len, why), 0);
	assert_null(d);
	/* Appending after a reopen continues the file. */
	fill(buf, 10, 99);
	uint64_t o;
	assert_int_equal(log_append(l, buf, 10, &o, why), 0);
	assert_int_equal(o, expect);
	assert_int_equal(log_records(l), n + 1);
	log_close(&l);
	seen_free(&s);

	/* log_scan sees the same, plus the unsynced-but-written sixth. */
	seen_init(&s);
	assert_int_equal(log_scan(path, on_rec, on_fault, &s, why), 0);
	assert_int_equal(s.nf, 0);
	assert_int_equal(s.n, n + 1);
	for (size_t i = 0; i < n; i++)
		assert_record(&s, i, i, lens, off);
	assert_int_equal(s.rec[n].offset, expect);
	assert_memory_equal(s.rec[n].data, buf, 10);
	seen_free(&s);
}

static void frame_layout_known_answer(void **state)
{
	struct fx *x = *state;
	const char *path = tu_path(0, x->dir, "log");
	struct al_log *l;
	char why[AL_ERRLEN];
	assert_int_equal(log_open(path, true, NULL, NULL, NULL, &l, why), 0);
	assert_int_equal(log_append(l, (const uint8_t *)"123456789", 9, NULL, why), 0);
	assert_int_equal(log_sync(l, why), 0);
	log_close(&l);

	size_t len;
	uint8_t *m = tu_read(path, &len);
	assert_int_equal(len, AL_LOG_HEADER_LEN + AL_LOG_FRAME + 9);
	assert_memory_equal(m, AL_LOG_HEADER, AL_LOG_HEADER_LEN);
	const uint8_t lenle[4] = { 9, 0, 0, 0 };
	assert_memory_equal(m + 16, lenle, 4);
	uint32_t crc = log_crc32c(log_crc32c(0, lenle, 4), (const uint8_t *)"123456789", 9);
	const uint8_t crcle[4] = { (uint8_t)crc, (uint8_t)(crc >> 8), (uint8_t)(crc >> 16),
				   (uint8_t)(crc >> 24) };
	assert_memory_equal(m + 20, crcle, 4);
	assert_memory_equal(m + 24, "123456789", 9);
	free(m);
}

/* Both implementations: log_crc32c (the CPU's instruction where there is
 * one) and the portable tables every other CPU uses. */
typedef uint32_t (*crc_fn)(uint32_t, const uint8_t *, size_t);
static const struct {
	const char *name;
	crc_fn fn;
} crcs[] = { { "log_crc32c", log_crc32c }, { "portable", log_crc32c_portable } };
#define NCRC (sizeof crcs / sizeof crcs[0])

/* The reference: one bit at a time, straight from the definition. */
static uint32_t crc_ref(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
	}
	return ~crc;
}

static void crc32c_known_answer(void **state)
{
	(void)state;
	/* RFC 3720 B.4: 32 bytes of zeros, of 0xff, incrementing, decrementing;
	 * a SCSI Read (10) command PDU. */
	static const uint8_t pdu[48] = { 0x01, 0xc0, [16] = 0x14, [22] = 0x04, [27] = 0x14,
					 [31] = 0x18, [32] = 0x28, [40] = 0x02 };
	uint8_t zero[32], ones[32], inc[32], dec[32];
	for (int i = 0; i < 32; i++) {
		zero[i] = 0;
		ones[i] = 0xff;
		inc[i] = (uint8_t)i;
		dec[i] = (uint8_t)(31 - i);
	}
	const uint8_t *v = (const uint8_t *)"123456789";
	for (size_t i = 0; i < NCRC; i++) {
		crc_fn f = crcs[i].fn;
		assert_int_equal(f(0, v, 9), 0xE3069283u);
		assert_int_equal(f(f(0, v, 4), v + 4, 5), 0xE3069283u);
		assert_int_equal(f(0, v, 0), 0);
		assert_int_equal(f(0x12345678u, v, 0), 0x12345678u);
		assert_int_equal(f(0, zero, 32), 0x8A9136AAu);
		assert_int_equal(f(0, ones, 32), 0x62A8AB43u);
		assert_int_equal(f(0, inc, 32), 0x46DD794Eu);
		assert_int_equal(f(0, dec, 32), 0x113FDB5Cu);
		assert_int_equal(f(0, pdu, sizeof pdu), 0xD9963A56u);
		/* docs/log-format.md's example frame: length 3, payload 01 02 03. */
		const uint8_t frame[7] = { 3, 0, 0, 0, 1, 2, 3 };
		assert_int_equal(f(f(0, frame, 4), frame + 4, 3), 0x926F4E51u);
	}
	assert_int_equal(crc_ref(0, v, 9), 0xE3069283u);
}

/* The instruction is used where the CPU has it: opening a log checks every
 * frame, and the tables are several times slower. */
static void crc32c_uses_the_instruction(void **state)
{
	(void)state;
#if defined(__x86_64__) && defined(__GNUC__)
	assert_int_equal(log_crc32c_hw(), __builtin_cpu_supports("sse4.2") != 0);
	if (!log_crc32c_hw())
		print_message("note: no SSE4.2 here; only the portable CRC-32C is tested\n");
#else
	assert_false(log_crc32c_hw());
#endif
}

/* Every length 0..300 at every alignment 0..15, from 0 and from another
 * CRC: both implementations agree with the reference. */
static void crc32c_every_length_and_alignment(void **state)
{
	(void)state;
	uint8_t buf[300 + 16];
	fill(buf, sizeof buf, 11);
	size_t checked = 0;
	for (size_t len = 0; len <= 300; len++)
		for (size_t at = 0; at < 16; at++)
			for (uint32_t from = 0; from < 2; from++) {
				uint32_t init = from ? 0x9E3779B9u * (uint32_t)(len + 1) : 0;
				uint32_t want = crc_ref(init, buf + at, len);
				for (size_t i = 0; i < NCRC; i++) {
					uint32_t got = crcs[i].fn(init, buf + at, len);
					if (got != want)
						fail_msg("%s: length %zu at +%zu from %08" PRIx32
							 ": %08" PRIx32 ", want %08" PRIx32,
							 crcs[i].name, len, at, init, got, want);
					checked++;
				}
			}
	assert_int_equal(checked, 301 * 16 * 2 * NCRC);
	/* A record-sized buffer, past every short cut. */
	size_t big = 70001;
	uint8_t *b = malloc(big + 1);
	assert_non_null(b);
	fill(b, big + 1, 12);
	uint32_t want = crc_ref(0, b + 1, big);
	for (size_t i = 0; i < NCRC; i++)
		assert_int_equal(crcs[i].fn(0, b + 1, big), want);
	free(b);
}

/* The CRC of a then b is the CRC of b continuing from a's, at every split,
 * whichever implementation computed each part (a frame's CRC is computed in
 * two parts: its length, then its data). */
static void crc32c_chains(void **state)
{
	(void)state;
	uint8_t buf[600];
	fill(buf, sizeof buf, 13);
	for (size_t n = 0; n <= sizeof buf; n += 37) {
		uint32_t whole = crc_ref(0, buf, n);
		for (size_t cut = 0; cut <= n; cut++)
			for (size_t i = 0; i < NCRC; i++)
				for (size_t j = 0; j < NCRC; j++) {
					uint32_t a = crcs[i].fn(0, buf, cut);
					uint32_t got = crcs[j].fn(a, buf + cut, n - cut);
					if (got != whole)
						fail_msg("%s then %s, %zu bytes cut at %zu: %08" PRIx32
							 ", want %08" PRIx32, crcs[i].name,
							 crcs[j].name, n, cut, got, whole);
				}
	}
}

/* ------------------------------------------------------------ durability */

static void durable_only_after_sync(void **state)
{
	struct fx *x = *state;
	const char *path = tu_path(0, x->dir, "log");
	struct al_log *l;
	char why[AL_ERRLEN];
	uint8_t buf[50];
	fill(buf, sizeof buf, 1);
	assert_int_equal(log_open(path, true, NULL, NULL, NULL, &l, why), 0);
	assert_int_equal(log_durable(l), AL_LOG_HEADER_LEN);
	assert_int_equal(log_append(l, buf, sizeof buf, NULL, why), 0);
	assert_true(log_durable(l) < log_size(l));
	assert_int_equal(log_durable(l), AL_LOG_HEADER_LEN);
	assert_int_equal(log_append(l, buf, 7, NULL, why), 0);
	assert_int_equal(log_durable(l), AL_LOG_HEADER_LEN);
	assert_int_equal(log_sync(l, why), 0);
	assert_int_equal(log_durable(l), log_size(l));
	assert_int_equal(log_size(l), AL_LOG_HEADER_LEN + 2 * AL_LOG_FRAME + 57);
	/* A sync with nothing new is a no-op that succeeds. */
	assert_int_equal(log_sync(l, why), 0);
	assert_int_equal(log_append(l, buf, 1, NULL, why), 0);
	assert_true(log_durable(l) < log_size(l));
	assert_int_equal(log_sync(l, why), 0);
	assert_int_equal(log_durable(l), log_size(l));
	log_close(&l);
}

/* What a log holds when it is opened may be only in the page cache (its
 * writer died before syncing): open syncs it before calling it durable, and
 * a failed sync there is fatal like any other. */
static void open_syncs_what_it_finds(void **state)
{
	struct fx *x = *state;
	const char *path = tu_path(0, x->dir, "log");
	struct al_log *l;
	char why[AL_ERRLEN];
	uint8_t buf[50];
	fill(buf, sizeof buf, 1);
	assert_int_equal(log_open(path, true, NULL, NULL, NULL, &l, why), 0);
	assert_int_equal(log_append(l, buf, sizeof buf, NULL, why), 0);
	uint64_t size = log_size(l);
	log_close(&l); /* never synced */

	fault_arm(AL_FAULT_FSYNC, 1);
	l = (struct al_log *)1;
	assert_int_equal(log_open(path, false, NULL, NULL, NULL, &l, why), AL_E_FSYNC);
	assert_null(l);
	assert_non_null(strstr(why, path));
	assert_non_null(strstr(why, "fsync"));
	fault_arm(AL_FAULT_FSYNC, 0);

	assert_int_equal(log_open(path, false, NULL, NULL, NULL, &l, why), 0);
	assert_int_equal(log_size(l), size);
	assert_int_equal(log_durable(l), size);
	log_close(&l);
}

/* ------------------------------------------------------------ torn tails */

static void torn_tail_every_length(void **state)
{
	struct fx *x = *state;
	char orig[4096], path[4096], broken[4200];
	snprintf(orig, sizeof orig, "%s/orig", x->dir);
	snprintf(path, sizeof path, "%s/log", x->dir);
	const size_t lens[] = { 20, 33, 100 };
	uint64_t off[3];
	make_log(orig, 3, lens, off);
	size_t full;
	uint8_t *m = tu_read(orig, &full);
	assert_int_equal(full, off[2] + AL_LOG_FRAME + lens[2]);
	snprintf(broken, sizeof broken, "%s.%" PRIu64 ".broken", path, off[2]);
	const size_t first2[] = { 0, 1 };
	char why[AL_ERRLEN];
	uint8_t extra[17];
	fill(extra, sizeof extra, 77);

	for (size_t cut = off[2] + 1; cut < full; cut++) {
		struct seen s;
		struct al_log_recovery rec;
		struct al_log *l;
		unlink(broken);
		tu_write(path, m, cut);

		/* The audit's view: two good records, one torn tail. */
		seen_init(&s);
		assert_int_equal(log_scan(path, on_rec, on_fault, &s, why), 0);
		assert_records(&s, first2, 2, lens, off);
		assert_int_equal(s.nf, 1);
		assert_int_equal(s.fault[0].kind, AL_LOG_TORN);
		assert_int_equal(s.fault[0].index, 2);
		assert_int_equal(s.fault[0].offset, off[2]);
		assert_int_equal(s.fault[0].length, cut - off[2]);
		seen_free(&s);
		/* Without a fault callback a torn tail is not an error. */
		assert_int_equal(log_scan(path, NULL, NULL, NULL, why), 0);

		/* Recovery cuts it and keeps what it cut. */
		seen_init(&s);
		assert_int_equal(log_open(path, false, on_rec, &s, &rec, &l, why), 0);
		assert_records(&s, first2, 2, lens, off);
		seen_free(&s);
		assert_int_equal(rec.cut_bytes, cut - off[2]);
		assert_int_equal(rec.cut_offset, off[2]);
		assert_string_equal(rec.broken_path, broken);
		size_t blen;
		uint8_t *b = tu_read(rec.broken_path, &blen);
		assert_int_equal(blen, cut - off[2]);
		assert_memory_equal(b, m + off[2], blen);
		free(b);
		assert_int_equal(file_size(path), off[2]);
		assert_int_equal(log_size(l), off[2]);
		assert_int_equal(log_durable(l), off[2]);
		assert_int_equal(log_records(l), 2);

		/* It takes a new record where the torn one stood. */
		uint64_t o;
		assert_int_equal(log_append(l, extra, sizeof extra, &o, why), 0);
		assert_int_equal(o, off[2]);
		assert_int_equal(log_sync(l, why), 0);
		log_close(&l);
		seen_init(&s);
		assert_int_equal(log_open(path, false, on_rec, &s, &rec, &l, why), 0);
		assert_int_equal(rec.cut_bytes, 0);
		assert_int_equal(s.n, 3);
		assert_int_equal(s.rec[2].index, 2);
		assert_int_equal(s.rec[2].offset, off[2]);
		assert_int_equal(s.rec[2].len, sizeof extra);
		assert_memory_equal(s.rec[2].data, extra, sizeof extra);
		assert_int_equal(log_records(l), 3);
		seen_free(&s);
		log_close(&l);
	}
	free(m);
}

/* A crash that extended the file with zeros (no data reached it). */
/* A tail torn again at the same offset (say after each of two crashes)
 * gets its own copy: the first .broken file is never overwritten. */
static void second_cut_keeps_first_copy(void **state)
{
	struct fx *x = *state;
	char path[4096], want[3][4400];
	snprintf(path, sizeof path, "%s/log", x->dir);
	const size_t lens[] = { 20, 33 };
	uint64_t off[2];
	make_log(path, 2, lens, off);
	size_t full;
	uint8_t *m = tu_read(path, &full);
	snprintf(want[0], sizeof want[0], "%s.%" PRIu64 ".broken", path, off[1]);
	snprintf(want[1], sizeof want[1], "%s.%" PRIu64 ".broken.1", path, off[1]);
	snprintf(want[2], sizeof want[2], "%s.%" PRIu64 ".broken.2", path, off[1]);
	for (int k = 0; k < 3; k++) {
		struct al_log_recovery rec;
		struct al_log *l;
		char why[AL_ERRLEN];
		size_t cut = off[1] + 5 + (size_t)k; /* a different tail each time */
		tu_write(path, m, cut);
		assert_int_equal(log_open(path, false, NULL, NULL, &rec, &l, why), 0);
		log_close(&l);
		assert_int_equal(rec.cut_offset, off[1]);
		assert_string_equal(rec.broken_path, want[k]);
		for (int j = 0; j <= k; j++) {
			size_t blen;
			uint8_t *b = tu_read(want[j], &blen);
			assert_int_equal(blen, 5 + (size_t)j); /* each still holds its own */
			assert_memory_equal(b, m + off[1], blen);
			free(b);
		}
	}
	free(m);
}

static int count_tail(void *arg, const struct al_log_rec *r)
{
	uint64_t *n = arg;
	assert_int_equal(r->index, *n); /* each once, in order */
	(*n)++;
	return 0;
}

/* Following a log whose last record is torn (its frame whole, its CRC
 * wrong): the records before it are delivered once, however often it is
 * read, and a record written after the tail is repaired comes next. */
static void follow_past_a_torn_tail(void **state)
{
	struct fx *x = *state;
	const char *path = tu_path(0, x->dir, "log");
	const size_t lens[] = { 12, 40, 9, 30 };
	uint64_t off[4];
	make_log(path, 4, lens, off);
	size_t len;
	uint8_t *m = tu_read(path, &len);
	m[len - 1] ^= 0xff; /* the last record's payload: its CRC no longer holds */
	tu_write(path, m, len);
	struct al_log_tail *t;
	char why[AL_ERRLEN];
	uint64_t n = 0;
	bool restarted = false;
	assert_int_equal(log_tail_open(path, &t, why), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(log_tail_read(t, count_tail, &n, &restarted, why), 0);
		assert_false(restarted);
	}
	assert_int_equal(n, 3);
	log_tail_close(&t);
	free(m);
}

static void zero_filled_tail_is_torn(void **state)
{
	struct fx *x = *state;
	const char *path = tu_path(0, x->dir, "log");
	const size_t lens[] = { 12, 40 };
	uint64_t off[2];
	make_log(path, 2, lens, off);
	size_t len;
	uint8_t *m = tu_read(path, &len);
	uint8_t *z = calloc(1, len + 4096);
	assert_non_null(z);
	memcpy(z, m, len);
	tu_write(path, z, len + 4096);
	struct al_log_recovery rec;
	struct al_log *l;
	char why[AL_ERRLEN];
	assert_int_equal(log_open(path, false, NULL, NULL, &rec, &l, why), 0);
	assert_int_equal(rec.cut_bytes, 4096);
	assert_int_equal(rec.cut_offset, len);
	assert_int_equal(log_records(l), 2);
	assert_int_equal(file_size(path), len);
	log_close(&l);
	free(z);
	free(m);
}

/* A power loss lost a write that was not synced while later ones reached
 * the disk (writeback is not in order): zeros where it was, valid records
 * after it. None of them was synced, so none was acknowledged: everything
 * from the hole on is a torn tail, reported by the scan and cut (kept in
 * .broken) at open, never refused as corruption. */
static void expect_hole_cut(const char *path, const uint8_t *img, size_t full, uint64_t at,
			    size_t records)
{
	struct seen s;
	struct al_log_recovery rec;
	struct al_log *l;
	char why[AL_ERRLEN];
	seen_init(&s);
	assert_int_equal(log_scan(path, on_rec, on_fault, &s, why), 0);
	assert_int_equal(s.n, records); /* the valid records after it are not passed on */
	assert_int_equal(s.nf, 1);
	assert_int_equal(s.fault[0].kind, AL_LOG_TORN);
	assert_int_equal(s.fault[0].offset, at);
	assert_int_equal(s.fault[0].length, full - at);
	if (!strstr(s.fault[0].reason, "never reached the disk"))
		fail_msg("the reason does not say what happened: '%s'", s.fault[0].reason);
	seen_free(&s);
	assert_int_equal(log_scan(path, NULL, NULL, NULL, why), 0);
	assert_int_equal(log_open(path, false, NULL, NULL, &rec, &l, why), 0);
	assert_int_equal(rec.cut_offset, at);
	assert_int_equal(rec.cut_bytes, full - at);
	assert_int_equal(log_records(l), records);
	assert_int_equal(file_size(path), at);
	log_close(&l);
	size_t blen;
	uint8_t *b = tu_read(rec.broken_path, &blen);
	assert_int_equal(blen, full - at);
	assert_memory_equal(b, img + at, blen);
	free(b);
}

static void lost_write_before_later_ones_is_torn(void **state)
{
	struct fx *x = *state;
	size_t full;
	uint64_t off[5];

	/* A whole frame lost (the first write after the last sync, its
	 * sector never written again): its length reads 0. */
	const char *path = tu_path(0, x->dir, "frame");
	const size_t lens1[] = { 100, 245, 281, 245 };
	make_log(path, 4, lens1, off);
	uint8_t *m = tu_read(path, &full);
	memset(m + off[1], 0, AL_LOG_FRAME + lens1[1]);
	tu_write(path, m, full);
	expect_hole_cut(path, m, full, off[1], 1);
	free(m);

	/* A sector lost from its boundary on: the end of record 3 (940 to
	 * 1248) and most of record 4 are zeros. */
	path = tu_path(1, x->dir, "sector");
	const size_t lens2[] = { 300, 300, 300, 300, 300 };
	make_log(path, 5, lens2, off);
	m = tu_read(path, &full);
	assert_true(off[3] < 1024 && off[4] > 1024 && full >= 1536);
	memset(m + 1024, 0, 512);
	tu_write(path, m, full);
	expect_hole_cut(path, m, full, off[3], 3);
	free(m);

	/* A whole sector lost inside a long record. */
	path = tu_path(2, x->dir, "inside");
	const size_t lens3[] = { 100, 1000, 100 };
	make_log(path, 3, lens3, off);
	m = tu_read(path, &full);
	assert_true(off[1] < 512 && off[2] > 1024);
	memset(m + 512, 0, 512);
	tu_write(path, m, full);
	expect_hole_cut(path, m, full, off[1], 1);
	free(m);
}

/* Zeros are a lost write only where a write could have been lost: damage
 * with a few zeros in a record, or fewer than 8 from a sector boundary to
 * its end, followed by valid records, is still corruption. */
static void zeros_elsewhere_are_corruption(void **state)
{
	struct fx *x = *state;
	size_t full;
	uint64_t off[3];
	const size_t lens[] = { 100, 385, 100 }; /* record 1 ends at 517 */
	const char *path = tu_path(0, x->dir, "log");
	for (int k = 0; k < 2; k++) {
		make_log(path, 3, lens, off);
		uint8_t *m = tu_read(path, &full);
		assert_int_equal(off[2], 517);
		if (k == 0)
			memset(m + off[1] + AL_LOG_FRAME + 20, 0, 30); /* no sector boundary */
		else
			memset(m + 512, 0, 5); /* 5 zeros from the boundary to its end */
		tu_write(path, m, full);
		struct seen s;
		struct al_log_recovery rec;
		struct al_log *l;
		char why[AL_ERRLEN];
		seen_init(&s);
		assert_int_equal(log_scan(path, on_rec, on_fault, &s, why), 0);
		assert_int_equal(s.nf, 1);
		assert_int_equal(s.fault[0].kind, AL_LOG_CORRUPT);
		assert_int_equal(s.fault[0].offset, off[1]);
		assert_int_equal(s.n, 2);
		seen_free(&s);
		assert_int_equal(log_open(path, false, NULL, NULL, &rec, &l, why), AL_E_CORRUPT);
		assert_int_equal(file_size(path), full);
		free(m);
		unlink(path);
	}
}

static void torn_header_is_repaired(void **state)
{
	struct fx *x = *state;
	const char *path = tu_path(0, x->dir, "log");
	char why[AL_ERRLEN];
	for (size_t cut = 0; cut < AL_LOG_HEADER_LEN; cut++) {
		struct seen s;
		struct al_log_recovery rec;
		struct al_log *l;
		tu_write(path, (const uint8_t *)AL_LOG_HEADER, cut);

		seen_init(&s);
		assert_int_equal(log_scan(path, on_rec, on_fault, &s, why), 0);
		assert_int_equal(s.n, 0);
		assert_int_equal(s.nf, 1);
		assert_int_equal(s.fault[0].kind, AL_LOG_TORN);
		assert_int_equal(s.fault[0].offset, 0);
		assert_int_equal(s.fault[0].length, cut);

		for (int create = 0; create < 2; create++) {
			tu_write(path, (const uint8_t *)AL_LOG_HEADER, cut);
			assert_int_equal(log_open(path, create, on_rec, &s, &rec, &l, why), 0);
			assert_int_equal(s.n, 0);
			assert_int_equal(rec.cut_bytes, cut);
			assert_int_equal(rec.cut_offset, 0);
			if (cut > 0) {
				size_t blen;
				uint8_t *b = tu_read(rec.broken_path, &blen);
				assert_int_equal(blen, cut);
				assert_memory_equal(b, AL_LOG_HEADER, cut);
				free(b);
			}
			assert_int_equal(log_records(l), 0);
			assert_int_equal(log_size(l), AL_LOG_HEADER_LEN);
			size_t len;
			uint8_t *m = tu_read(path, &len);
			assert_int_equal(len, AL_LOG_HEADER_LEN);
			assert_memory_equal(m, AL_LOG_HEADER, AL_LOG_HEADER_LEN);
			free(m);
			uint64_t o;
			assert_int_equal(log_append(l, (const uint8_t *)"abc", 3, &o, why), 0);
			assert_int_equal(o, AL_LOG_HEADER_LEN);
			assert_int_equal(log_sync(l, why), 0);
			log_close(&l);
			assert_int_equal(log_open(path, false, on_rec, &s, &rec, &l, why), 0);
			assert_int_equal(rec.cut_bytes, 0);
			assert_int_equal(s.n, 1);
			assert_int_equal(s.rec[0].len, 3);
			assert_memory_equal(s.rec[0].data, "abc", 3);
			log_close(&l);
			seen_free(&s);
		}
	}
}

/* Without a fault callback log_scan() stops at corruption but passes over a
 * torn tail (0); a header cut short at creation is a torn tail too. */
static void torn_header_scan_without_callback(void **state)
{
	struct fx *x = *state;
	const char *path = tu_path(0, x->dir, "log");
	char why[AL_ERRLEN];
	for (size_t cut = 0; cut < AL_LOG_HEADER_LEN; cut++) {
		tu_write(path, (const uint8_t *)AL_LOG_HEADER, cut);
		int rc = log_scan(path, NULL, NULL, NULL, why);
		if (rc != 0)
			fail_msg("header cut at %zu: log_scan without on_fault returned %d, "
				 "as for corruption (a torn record tail returns 0)", cut, rc);
	}
}

/* ------------------------------------------------------------ flipped bits */

static void every_flipped_bit_is_noticed(void **state)
{
	struct fx *x = *state;
	char orig[4096], path[4096], pat[64];
	snprintf(orig, sizeof orig, "%s/orig", x->dir);
	snprintf(path, sizeof path, "%s/log", x->dir);
	const size_t lens[] = { 5, 9, 7 };
	uint64_t off[3];
	make_log(orig, 3, lens, off);
	size_t full;
	uint8_t *m = tu_read(orig, &full);
	assert_int_equal(full, off[2] + AL_LOG_FRAME + lens[2]);
	uint8_t *c = malloc(full);
	assert_non_null(c);
	char why[AL_ERRLEN];
	const size_t others[2][2] = { { 1, 2 }, { 0, 2 } };

	for (size_t at = 0; at < full; at++) {
		for (int bit = 0; bit < 8; bit++) {
			struct seen s;
			struct al_log *l;
			struct al_log_recovery rec;
			memcpy(c, m, full);
			c[at] ^= (uint8_t)(1u << bit);
			tu_write(path, c, full);

			seen_init(&s);
			int rc = log_scan(path, on_rec, on_fault, &s, why);
			assert_int_equal(rc, 0);
			if (s.nf == 0)
				fail_msg("flipping bit %d of byte %zu went unnoticed", bit, at);
			seen_free(&s);

			if (at < AL_LOG_HEADER_LEN) {
				/* A bad header is never recreated. */
				assert_int_equal(log_open(path, true, NULL, NULL, &rec, &l, why),
						 AL_E_CORRUPT);
				assert_null(l);
				assert_non_null(strstr(why, path));
				size_t len;
				uint8_t *after = tu_read(path, &len);
				assert_int_equal(len, full);
				assert_memory_equal(after, c, full);
				free(after);
			} else if (at < off[2]) {
				/* Damage followed by a valid record: corruption. */
				size_t r = at < off[1] ? 0 : 1;
				seen_init(&s);
				assert_int_equal(log_scan(path, on_rec, on_fault, &s, why), 0);
				assert_int_equal(s.nf, 1);
				assert_int_equal(s.fault[0].kind, AL_LOG_CORRUPT);
				assert_int_equal(s.fault[0].index, r);
				assert_int_equal(s.fault[0].offset, off[r]);
				assert_int_equal(s.fault[0].length, off[r + 1] - off[r]);
				assert_records(&s, others[r], 2, lens, off);
				seen_free(&s);
				why[0] = '\0';
				assert_int_equal(log_scan(path, NULL, NULL, NULL, why), AL_E_CORRUPT);
				snprintf(pat, sizeof pat, "offset %" PRIu64, off[r]);
				if (!strstr(why, pat) || !strstr(why, path))
					fail_msg("log_scan's error '%s' does not name %s of %s", why, pat,
						 path);

				why[0] = '\0';
				assert_int_equal(log_open(path, false, NULL, NULL, &rec, &l, why),
						 AL_E_CORRUPT);
				assert_null(l);
				assert_non_null(strstr(why, path));
				snprintf(pat, sizeof pat, "record %zu", r);
				if (!strstr(why, pat))
					fail_msg("'%s' does not name %s", why, pat);
				snprintf(pat, sizeof pat, "offset %" PRIu64, off[r]);
				if (!strstr(why, pat))
					fail_msg("'%s' does not name %s", why, pat);
				/* The file is left as it was for the operator. */
				size_t len;
				uint8_t *after = tu_read(path, &len);
				assert_int_equal(len, full);
				assert_memory_equal(after, c, full);
				free(after);
			} else {
				/* Damage in the last record: nothing valid follows. */
				assert_int_equal(log_open(path, false, NULL, NULL, &rec, &l, why), 0);
				assert_int_equal(rec.cut_offset, off[2]);
				assert_int_equal(rec.cut_bytes, full - off[2]);
				assert_int_equal(log_records(l), 2);
				log_close(&l);
			}
		}
	}
	free(c);
	free(m);
}

static void scan_resynchronises(void **state)
{
	struct fx *x = *state;
	const char *path = tu_path(0, x->dir, "log");
	const size_t lens[] = { 30, 30, 30 };
	uint64_t off[3];
	make_log(path, 3, lens, off);
	size_t len;
	uint8_t *m = tu_read(path, &len);
	/* Overwrite the middle record's payload wholesale. */
	memset(m + off[1] + AL_LOG_FRAME, 0xa5, lens[1]);
	tu_write(path, m, len);
	free(m);

	struct seen s;
	char why[AL_ERRLEN];
	const size_t ends[] = { 0, 2 };
	seen_init(&s);
	assert_int_equal(log_scan(path, on_rec, on_fault, &s, why), 0);
	assert_records(&s, ends, 2, lens, off);
	assert_int_equal(s.nf, 1);
	assert_int_equal(s.fault[0].kind, AL_LOG_CORRUPT);
	assert_int_equal(s.fault[0].index, 1);
	assert_int_equal(s.fault[0].offset, off[1]);
	assert_int_equal(s.fault[0].length, off[2] - off[1]);
	seen_free(&s);
}

/* Bytes crafted so that nearly every offset reads as a plausible frame
 * with a long payload to checksum: looking for the next valid frame at
 * every offset used to take time quadratic in the size (hours for these
 * 4 MiB). The search has a budget; when it runs out, the rest of the file
 * is reported as corruption (not cut as a torn tail, not skipped). This
 * test only has to finish. */
static void crafted_garbage_is_bounded(void **state)
{
	struct fx *x = *state;
	const char *path = tu_path(0, x->dir, "log");
	const size_t n = AL_LOG_HEADER_LEN + 4 * 1024 * 1024;
	uint8_t *m = malloc(n);
	assert_non_null(m);
	memcpy(m, AL_LOG_HEADER, AL_LOG_HEADER_LEN);
	/* 00 00 03 00 repeated: at three offsets in four the length is
	 * 196608, 768 or 3, all within the file; no checksum matches. */
	for (size_t i = AL_LOG_HEADER_LEN; i < n; i++)
		m[i] = (i - AL_LOG_HEADER_LEN) % 4 == 2 ? 3 : 0;
	tu_write(path, m, n);

	struct seen s;
	char why[AL_ERRLEN];
	seen_init(&s);
	assert_int_equal(log_scan(path, on_rec, on_fault, &s, why), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(s.nf, 1);
	assert_int_equal(s.fault[0].kind, AL_LOG_CORRUPT);
	assert_int_equal(s.fault[0].offset, AL_LOG_HEADER_LEN);
	assert_int_equal(s.fault[0].length, n - AL_LOG_HEADER_LEN);
	assert_non_null(strstr(s.fault[0].reason, "checksum mismatch"));
	assert_non_null(strstr(s.fault[0].reason, "gave up"));
	seen_free(&s);
	assert_int_equal(log_scan(path, on_rec, NULL, &s, why), AL_E_CORRUPT);
	seen_free(&s);

	/* Opening refuses it and leaves it as it was: it is not a torn tail. */
	struct al_log *l;
	struct al_log_recovery rec;
	assert_int_equal(log_open(path, false, NULL, NULL, &rec, &l, why), AL_E_CORRUPT);
	assert_null(l);
	assert_non_null(strstr(why, "gave up"));
	assert_int_equal(rec.cut_bytes, 0);
	assert_int_equal(file_size(path), n);
	free(m);
}

/* ------------------------------------------------------------ callbacks */

static void callback_return_stops(void **state)
{
	struct fx *x = *state;
	const char *path = tu_path(0, x->dir, "log");
	const size_t lens[] = { 3, 4, 5 };
	uint64_t off[3];
	make_log(path, 3, lens, off);
	struct seen s;
	struct al_log *l = (struct al_log *)&s;
	char why[AL_ERRLEN];
	seen_init(&s);
	s.stop_at = 1;
	assert_int_equal(log_scan(path, on_rec, on_fault, &s, why), 42);
	assert_int_equal(s.n, 1);
	seen_free(&s);
	s.stop_at = 1;
	assert_int_equal(log_open(path, false, on_rec, &s, NULL, &l, why), 42);
	assert_null(l);
	assert_int_equal(s.n, 1);
	seen_free(&s);
}

/* The resident file pages of this process, in kB (/proc/self/status). */
static long rss_file_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	assert_non_null(f);
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "RssFile: %ld", &kb) == 1)
			break;
	fclose(f);
	assert_true(kb >= 0);
	return kb;
}

struct rss_seen {
	uint64_t n, last;
	long before, at_end; /* kB */
	uint32_t sum;        /* of every record's first byte: the bytes are read */
};

static int rss_on_rec(void *arg, const struct al_log_rec *r)
{
	struct rss_seen *s = arg;
	s->sum += r->data[0];
	if (++s->n == s->last)
		s->at_end = rss_file_kb();
	return 0;
}

/* Reading a log costs a bounded window of resident memory, not the
 * file's size: a scan and an open of a 48 MB log, each at its last
 * record, hold far less than the 48 MB they have read. */
static void scan_memory_is_bounded(void **state)
{
	struct fx *x = *state;
	const char *path = tu_path(0, x->dir, "log");
	enum { N = 192, LEN = AL_LOG_MAX_RECORD - 64 };
	struct al_log *l;
	char why[AL_ERRLEN];
	uint8_t *buf = malloc(LEN);
	assert_non_null(buf);
	assert_int_equal(log_open(path, true, NULL, NULL, NULL, &l, why), 0);
	for (size_t i = 0; i < N; i++) {
		fill(buf, LEN, (uint32_t)i);
		assert_int_equal(log_append(l, buf, LEN, NULL, why), 0);
	}
	assert_int_equal(log_sync(l, why), 0);
	log_close(&l);
	free(buf);
	for (int open = 0; open < 2; open++) {
		struct rss_seen s = { .last = N, .before = rss_file_kb() };
		if (open) {
			assert_int_equal(log_open(path, false, rss_on_rec, &s, NULL, &l, why), 0);
			log_close(&l);
		} else {
			assert_int_equal(log_scan(path, rss_on_rec, NULL, &s, why), 0);
		}
		assert_int_equal(s.n, N);
		/* 48 MB read; at most the 4 MB window and the current record
		 * (and some read-ahead) stay mapped in. */
		if (s.at_end - s.before > 16 * 1024)
			fail_msg("%s: %ld kB of the log resident at its end (at most 16 MB)",
				 open ? "log_open" : "log_scan", s.at_end - s.before);
	}
}

static void missing_and_wrong_files(void **state)
{
	struct fx *x = *state;
	const char *path = tu_path(0, x->dir, "log");
	struct al_log *l;
	char why[AL_ERRLEN];
	assert_int_equal(log_scan(path, NULL, NULL, NULL, why), AL_E_NOENT);
	assert_int_equal(log_open(path, false, NULL, NULL, NULL, &l, why), AL_E_NOENT);
	assert_null(l);
	assert_false(exists(path));

	/* Another format's header (same length) is not silently recreated. */
	const char other[] = "alliance-log-v2\nsomething after";
	tu_write(path, (const uint8_t *)other, sizeof other - 1);
	struct seen s;
	seen_init(&s);
	assert_int_equal(log_scan(path, on_rec, on_fault, &s, why), 0);
	assert_int_equal(s.nf, 1);
	assert_int_equal(s.fault[0].kind, AL_LOG_CORRUPT);
	seen_free(&s);
	assert_int_equal(log_open(path, true, NULL, NULL, NULL, &l, why), AL_E_CORRUPT);
	assert_null(l);
	assert_non_null(strstr(why, path));
	size_t len;
	uint8_t *m = tu_read(path, &len);
	assert_int_equal(len, sizeof other - 1);
	assert_memory_equal(m, other, len);
	free(m);

	/* Short, and not a prefix of the header: not a torn creation. */
	tu_write(path, (const uint8_t *)"hello", 5);
	assert_int_equal(log_open(path, true, NULL, NULL, NULL, &l, why), AL_E_CORRUPT);
	assert_null(l);
	assert_int_equal(file_size(path), 5);
}

/* ------------------------------------------------------------ appends */

static void append_rejects_bad_lengths(void **state)
{
	struct fx *x = *state;
	const char *path = tu_path(0, x->dir, "log");
	struct al_log *l;
	char why[AL_ERRLEN];
	uint8_t *big = malloc(AL_LOG_MAX_RECORD + 1);
	assert_non_null(big);
	fill(big, AL_LOG_MAX_RECORD + 1, 5);
	assert_int_equal(log_open(path, true, NULL, NULL, NULL, &l, why), 0);
	assert_int_equal(log_append(l, big, 0, NULL, why), AL_E_INVAL);
	assert_int_equal(log_append(l, big, AL_LOG_MAX_RECORD + 1, NULL, why), AL_E_INVAL);
	assert_int_equal(log_records(l), 0);
	assert_int_equal(log_size(l), AL_LOG_HEADER_LEN);
	assert_int_equal(file_size(path), AL_LOG_HEADER_LEN);
	/* The largest record allowed goes in and comes back. */
	uint64_t o;
	assert_int_equal(log_append(l, big, AL_LOG_MAX_RECORD, &o, why), 0);
	assert_int_equal(log_sync(l, why), 0);
	log_close(&l);
	struct seen s;
	seen_init(&s);
	assert_int_equal(log_open(path, false, NULL, NULL, NULL, &l, why), 0);
	assert_int_equal(log_records(l), 1);
	uint8_t *d;
	size_t len;
	assert_int_equal(log_read(l, o, &d, &len, why), 0);
	assert_int_equal(len, AL_LOG_MAX_RECORD);
	assert_memory_equal(d, big, len);
	free(d);
	log_close(&l);
	free(big);
}

static void failed_fsync_is_fatal(void **state)
{
	struct fx *x = *state;
	const char *path = tu_path(0, x->dir, "log");
	struct al_log *l;
	char why[AL_ERRLEN];
	assert_int_equal(log_open(path, true, NULL, NULL, NULL, &l, why), 0);
	assert_int_equal(log_append(l, (const uint8_t *)"one", 3, NULL, why), 0);
	assert_int_equal(log_sync(l, why), 0);
	uint64_t durable = log_durable(l);

	fault_arm(AL_FAULT_FSYNC, 1);
	assert_int_equal(log_append(l, (const uint8_t *)"two", 3, NULL, why), 0);
	assert_int_equal(log_sync(l, why), AL_E_FSYNC);
	assert_non_null(strstr(why, path));
	assert_int_equal(log_durable(l), durable);
	/* Never retried: everything after is refused. */
	uint64_t size = log_size(l);
	assert_int_equal(log_append(l, (const uint8_t *)"three", 5, NULL, why), AL_E_FAILED);
	assert_int_equal(log_sync(l, why), AL_E_FAILED);
	assert_int_equal(log_sync(l, why), AL_E_FAILED);
	assert_int_equal(log_size(l), size);
	assert_int_equal(file_size(path), size);
	log_close(&l);
	fault_arm(AL_FAULT_FSYNC, 0);
}

static void nth_fsync_fails(void **state)
{
	struct fx *x = *state;
	const char *path = tu_path(0, x->dir, "log");
	struct al_log *l;
	char why[AL_ERRLEN];
	assert_int_equal(log_open(path, true, NULL, NULL, NULL, &l, why), 0);
	fault_arm(AL_FAULT_FSYNC, 2);
	assert_int_equal(log_append(l, (const uint8_t *)"a", 1, NULL, why), 0);
	assert_int_equal(log_sync(l, why), 0);
	assert_int_equal(log_append(l, (const uint8_t *)"b", 1, NULL, why), 0);
	assert_int_equal(log_sync(l, why), AL_E_FSYNC);
	assert_int_equal(log_append(l, (const uint8_t *)"c", 1, NULL, why), AL_E_FAILED);
	log_close(&l);
	fault_arm(AL_FAULT_FSYNC, 0);
}

static void short_write_is_taken_back(void **state)
{
	struct fx *x = *state;
	const char *path = tu_path(0, x->dir, "log");
	struct al_log *l;
	char why[AL_ERRLEN];
	uint8_t a[40], b[100], c[25];
	fill(a, sizeof a, 1);
	fill(b, sizeof b, 2);
	fill(c, sizeof c, 3);
	assert_int_equal(log_open(path, true, NULL, NULL, NULL, &l, why), 0);
	assert_int_equal(log_append(l, a, sizeof a, NULL, why), 0);
	assert_int_equal(log_sync(l, why), 0);
	uint64_t size = log_size(l);
	assert_int_equal(file_size(path), size);

	fault_arm(AL_FAULT_WRITE, 1);
	uint64_t o = 12345;
	assert_int_equal(log_append(l, b, sizeof b, &o, why), AL_E_IO);
	assert_int_equal(o, 12345); /* no offset for a record that is not there */
	assert_int_equal(file_size(path), size);
	assert_int_equal(log_size(l), size);
	assert_int_equal(log_records(l), 1);
	/* Not fatal: the next append lands where the failed one would have. */
	assert_int_equal(log_append(l, c, sizeof c, &o, why), 0);
	assert_int_equal(o, size);
	assert_int_equal(log_sync(l, why), 0);
	log_close(&l);
	fault_arm(AL_FAULT_WRITE, 0);

	struct seen s;
	struct al_log_recovery rec;
	seen_init(&s);
	assert_int_equal(log_open(path, false, on_rec, &s, &rec, &l, why), 0);
	assert_int_equal(rec.cut_bytes, 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.rec[0].len, sizeof a);
	assert_memory_equal(s.rec[0].data, a, sizeof a);
	assert_int_equal(s.rec[1].offset, size);
	assert_int_equal(s.rec[1].len, sizeof c);
	assert_memory_equal(s.rec[1].data, c, sizeof c);
	assert_int_equal(log_records(l), 2);
	seen_free(&s);
	log_close(&l);
	seen_init(&s);
	assert_int_equal(log_scan(path, NULL, on_fault, &s, why), 0);
	assert_int_equal(s.nf, 0);
}

/* A full disk (ENOSPC) at every byte of a record: the append fails with
 * AL_E_NOSPC, the file is exactly as it was (a record appended before and
 * not yet synced included), the log stays usable, the same record appended
 * again lands where the failed one would have, and a reopened log holds
 * exactly the good records, with no torn tail to cut. */
static void full_disk_at_every_byte(void **state)
{
	struct fx *x = *state;
	uint8_t a[40], b[100], c[57];
	fill(a, sizeof a, 1);
	fill(b, sizeof b, 2);
	fill(c, sizeof c, 3);
	for (size_t k = 0; k < AL_LOG_FRAME + sizeof c; k++) {
		char name[32], why[AL_ERRLEN];
		snprintf(name, sizeof name, "log.%zu", k);
		const char *path = tu_path(0, x->dir, name);
		struct al_log *l;
		uint64_t oa, ob, oc = 777;
		assert_int_equal(log_open(path, true, NULL, NULL, NULL, &l, why), 0);
		assert_int_equal(log_append(l, a, sizeof a, &oa, why), 0);
		assert_int_equal(log_sync(l, why), 0);
		assert_int_equal(log_append(l, b, sizeof b, &ob, why), 0); /* not synced */
		uint64_t size = log_size(l), durable = log_durable(l);
		assert_int_equal(file_size(path), size);

		fault_arm_bytes(AL_FAULT_NOSPC, 1, k);
		assert_int_equal(log_append(l, c, sizeof c, &oc, why), AL_E_NOSPC);
		assert_non_null(strstr(why, "No space left on device"));
		assert_non_null(strstr(why, path));
		assert_int_equal(oc, 777);
		assert_int_equal(file_size(path), size);
		assert_int_equal(log_size(l), size);
		assert_int_equal(log_durable(l), durable);
		assert_int_equal(log_records(l), 2);
		/* Space again: the same record, where it would have gone. */
		assert_int_equal(log_append(l, c, sizeof c, &oc, why), 0);
		assert_int_equal(oc, size);
		assert_int_equal(log_sync(l, why), 0);
		log_close(&l);

		struct seen s;
		struct al_log_recovery rec;
		seen_init(&s);
		assert_int_equal(log_open(path, false, on_rec, &s, &rec, &l, why), 0);
		assert_int_equal(rec.cut_bytes, 0);
		assert_int_equal(s.n, 3);
		assert_int_equal(s.rec[0].offset, oa);
		assert_memory_equal(s.rec[0].data, a, sizeof a);
		assert_int_equal(s.rec[1].offset, ob);
		assert_memory_equal(s.rec[1].data, b, sizeof b);
		assert_int_equal(s.rec[2].offset, size);
		assert_int_equal(s.rec[2].len, sizeof c);
		assert_memory_equal(s.rec[2].data, c, sizeof c);
		seen_free(&s);
		/* ...and it goes on. */
		assert_int_equal(log_append(l, a, sizeof a, NULL, why), 0);
		assert_int_equal(log_sync(l, why), 0);
		log_close(&l);
	}
	fault_arm(AL_FAULT_NOSPC, 0);
}

/* log_rewind takes back unsynced records, never synced ones. */
static void rewind_unsynced(void **state)
{
	struct fx *x = *state;
	const char *path = tu_path(0, x->dir, "log");
	struct al_log *l;
	char why[AL_ERRLEN];
	assert_int_equal(log_open(path, true, NULL, NULL, NULL, &l, why), 0);
	assert_int_equal(log_append(l, (const uint8_t *)"one", 3, NULL, why), 0);
	assert_int_equal(log_sync(l, why), 0);
	uint64_t size = log_size(l);
	assert_int_equal(log_append(l, (const uint8_t *)"two", 3, NULL, why), 0);
	assert_int_equal(log_append(l, (const uint8_t *)"three", 5, NULL, why), 0);
	assert_int_equal(log_rewind(l, log_size(l) + 1, 3, why), AL_E_INVAL); /* past the end */
	assert_int_equal(log_rewind(l, AL_LOG_HEADER_LEN, 0, why), AL_E_INVAL); /* synced */
	assert_non_null(strstr(why, "durable"));
	assert_int_equal(log_rewind(l, size, 1, why), 0);
	assert_int_equal(log_size(l), size);
	assert_int_equal(log_records(l), 1);
	assert_int_equal(file_size(path), size);
	uint64_t o;
	assert_int_equal(log_append(l, (const uint8_t *)"four", 4, &o, why), 0);
	assert_int_equal(o, size);
	assert_int_equal(log_sync(l, why), 0);
	log_close(&l);
	struct seen s;
	seen_init(&s);
	assert_int_equal(log_open(path, false, on_rec, &s, NULL, &l, why), 0);
	assert_int_equal(s.n, 2);
	assert_memory_equal(s.rec[1].data, "four", 4);
	seen_free(&s);
	log_close(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(append_sync_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(frame_layout_known_answer, setup, teardown),
		cmocka_unit_test(crc32c_known_answer),
		cmocka_unit_test(crc32c_uses_the_instruction),
		cmocka_unit_test(crc32c_every_length_and_alignment),
		cmocka_unit_test(crc32c_chains),
		cmocka_unit_test_setup_teardown(durable_only_after_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(open_syncs_what_it_finds, setup, teardown),
		cmocka_unit_test_setup_teardown(torn_tail_every_length, setup, teardown),
		cmocka_unit_test_setup_teardown(follow_past_a_torn_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(zero_filled_tail_is_torn, setup, teardown),
		cmocka_unit_test_setup_teardown(lost_write_before_later_ones_is_torn, setup, teardown),
		cmocka_unit_test_setup_teardown(zeros_elsewhere_are_corruption, setup, teardown),
		cmocka_unit_test_setup_teardown(second_cut_keeps_first_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(torn_header_is_repaired, setup, teardown),
		cmocka_unit_test_setup_teardown(torn_header_scan_without_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(every_flipped_bit_is_noticed, setup, teardown),
		cmocka_unit_test_setup_teardown(scan_resynchronises, setup, teardown),
		cmocka_unit_test_setup_teardown(crafted_garbage_is_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(callback_return_stops, setup, teardown),
		cmocka_unit_test_setup_teardown(scan_memory_is_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_and_wrong_files, setup, teardown),
		cmocka_unit_test_setup_teardown(append_rejects_bad_lengths, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_fsync_is_fatal, setup, teardown),
		cmocka_unit_test_setup_teardown(nth_fsync_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(short_write_is_taken_back, setup, teardown),
		cmocka_unit_test_setup_teardown(full_disk_at_every_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(rewind_unsynced, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
