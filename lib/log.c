/* log.c: the append-only log file; see log.h for the contract.
 *
 * The scanner is shared by recovery (log_open) and the audit (log_scan), so
 * both agree on what a torn tail and what corruption is: at a damaged frame,
 * look for the next valid frame; if there is one, the stretch between is
 * corruption, otherwise everything from the damage on is a torn tail. A
 * damaged frame that holds zeros where a write never reached the disk is a
 * torn tail whatever follows (lost_write).
 */
#include "log.h"
#include "err.h"
#include "fault.h"
#include "file.h"
#include "grow.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <nmmintrin.h> /* _mm_crc32_u64, in functions built for SSE4.2 only */
#define CRC_HAVE_SSE42 1
#endif

struct al_log {
	int fd;
	char *path;
	uint64_t size;    /* end of the last appended record */
	uint64_t durable; /* end of the last record covered by a sync */
	uint64_t records;
	bool failed;
};

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* ------------------------------------------------------------ CRC-32C */

/* Opening a log checks every frame's CRC, so the CRC is most of what a
 * restart costs: on x86-64 the SSE4.2 crc32 instruction computes it 8
 * bytes at a time; elsewhere (or on a CPU without it) slicing-by-8 tables
 * do. Both are the same function bit for bit (reflected polynomial
 * 0x82F63B78, inverted before and after), which test_log checks. */

#define CRC32C_POLY 0x82F63B78u

/* crc_tab[0][b]: the CRC register after byte b; crc_tab[k][b]: the same
 * followed by k zero bytes. */
static uint32_t crc_tab[8][256];
static bool crc_hw; /* log_crc32c uses the crc32 instruction */

#ifdef CRC_HAVE_SSE42
__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42(uint32_t crc, const uint8_t *p, size_t n)
{
	uint64_t c = ~crc;
	for (; n >= 8; n -= 8, p += 8) {
		uint64_t w;
		memcpy(&w, p, 8); /* an unaligned load (x86 takes them at full speed) */
		c = _mm_crc32_u64(c, w);
	}
	for (; n; n--)
		c = _mm_crc32_u8((uint32_t)c, *p++);
	return ~(uint32_t)c;
}
#endif

/* Before main (and any thread): the tables, and which path to take. */
__attribute__((constructor))
static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ CRC32C_POLY : c >> 1;
		crc_tab[0][i] = c;
	}
	for (int k = 1; k < 8; k++)
		for (int i = 0; i < 256; i++)
			crc_tab[k][i] = crc_tab[0][crc_tab[k - 1][i] & 0xff] ^ (crc_tab[k - 1][i] >> 8);
#ifdef CRC_HAVE_SSE42
	__builtin_cpu_init(); /* needed in a constructor, before the check */
	crc_hw = __builtin_cpu_supports("sse4.2");
#endif
}

uint32_t log_crc32c_portable(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	for (; n >= 8; n -= 8, p += 8) {
		uint32_t lo = crc ^ get_u32(p), hi = get_u32(p + 4);
		crc = crc_tab[7][lo & 0xff] ^ crc_tab[6][(lo >> 8) & 0xff] ^
		      crc_tab[5][(lo >> 16) & 0xff] ^ crc_tab[4][lo >> 24] ^
		      crc_tab[3][hi & 0xff] ^ crc_tab[2][(hi >> 8) & 0xff] ^
		      crc_tab[1][(hi >> 16) & 0xff] ^ crc_tab[0][hi >> 24];
	}
	for (; n; n--)
		crc = crc_tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

bool log_crc32c_hw(void)
{
	return crc_hw;
}

uint32_t log_crc32c(uint32_t crc, const uint8_t *p, size_t n)
{
#ifdef CRC_HAVE_SSE42
	if (crc_hw)
		return crc32c_sse42(crc, p, n);
#endif
	return log_crc32c_portable(crc, p, n);
}

/* The checksum covers the length too, so a damaged length is caught. */
static uint32_t frame_crc(const uint8_t *lenbytes, const uint8_t *data, size_t len)
{
	return log_crc32c(log_crc32c(0, lenbytes, 4), data, len);
}

/* ------------------------------------------------------------ scanning */

/* Is there a whole, valid frame at off? Sets *why_bad when not. */
static bool frame_ok(const uint8_t *m, uint64_t size, uint64_t off, const char **why_bad)
{
	if (size - off < AL_LOG_FRAME) {
		*why_bad = "partial record header";
		return false;
	}
	uint32_t len = get_u32(m + off);
	if (len == 0 || len > AL_LOG_MAX_RECORD) {
		*why_bad = "impossible record length";
		return false;
	}
	if (size - off - AL_LOG_FRAME < len) {
		*why_bad = "record extends past the end of the file";
		return false;
	}
	if (get_u32(m + off + 4) != frame_crc(m + off, m + off + AL_LOG_FRAME, len)) {
		*why_bad = "checksum mismatch";
		return false;
	}
	return true;
}

/* Checksum work allowed to the search for valid frames after damage, on
 * top of the file's size: a scan never does more than linear work. */
#define RESYNC_WORK (64 * 1024 * 1024)
#define GAVE_UP UINT64_MAX

/* The offset of the next valid frame at or after from, size when there is
 * none, or GAVE_UP when checking the next candidate would overdraw *budget
 * (payload bytes checksummed so far). Crafted bytes can make almost every
 * offset a candidate whose long payload must be checksummed: without the
 * budget the search is quadratic in the file's size. */
static uint64_t next_valid_frame(const uint8_t *m, uint64_t size, uint64_t from,
				 uint64_t *budget)
{
	const char *ignored;
	for (uint64_t off = from; off + AL_LOG_FRAME <= size; off++) {
		uint32_t len = get_u32(m + off);
		if (len == 0 || len > AL_LOG_MAX_RECORD || size - off - AL_LOG_FRAME < len)
			continue; /* not a candidate: no checksum needed */
		if (*budget < len)
			return GAVE_UP;
		*budget -= len;
		if (frame_ok(m, size, off, &ignored))
			return off;
	}
	return size;
}

/* A power loss may lose any write not yet synced while later ones reach
 * the disk (writeback is not in order): the file then holds zeros where the
 * lost write was (the filesystem's hole, or the sector as it was before),
 * and valid records after them, none of them synced, so none acknowledged.
 * Is the damaged frame at off such a hole? Its length field is zero (a
 * real frame's never is), or its extent (by a plausible length) holds a
 * whole zero sector, or ends with zeros from a sector boundary on (a real
 * record ends with its 64 signature bytes, never 8 zeros). Only a damaged
 * frame is asked: a valid one is never taken for a hole. */
#define SECTOR 512
static bool zeros(const uint8_t *p, uint64_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

static bool lost_write(const uint8_t *m, uint64_t size, uint64_t off)
{
	if (size - off < 4)
		return false; /* a partial header: a torn tail anyway */
	uint32_t len = get_u32(m + off);
	if (len == 0)
		return true;
	if (size - off < AL_LOG_FRAME || len > AL_LOG_MAX_RECORD ||
	    size - off - AL_LOG_FRAME < len)
		return false;
	uint64_t end = off + AL_LOG_FRAME + len;
	for (uint64_t s = (off / SECTOR + 1) * SECTOR; s + 8 <= end; s += SECTOR) {
		uint64_t n = end - s < SECTOR ? end - s : SECTOR;
		if (zeros(m + s, n))
			return true;
	}
	return false;
}

/* The pages of the mapping a scan has passed are dropped every
 * SCAN_DROP bytes (MADV_DONTNEED: a read-only private mapping of the file
 * reads them again from the page cache if touched), so that reading a log
 * of any size costs at most that much resident memory, not the file's
 * size (a 1M-message log is about 400 MB). Shared: see log.h. */
#define SCAN_DROP ((uint64_t)4 << 20)

void log_drop_behind(const uint8_t *m, uint64_t off, uint64_t *dropped)
{
	if (off - *dropped < SCAN_DROP)
		return; /* the common case, before the page size is asked */
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), end = off / page * page;
	if (end - *dropped < SCAN_DROP)
		return;
	madvise((void *)(m + *dropped), (size_t)(end - *dropped), MADV_DONTNEED);
	*dropped = end; /* advice only: on failure the pages merely stay */
}

/* Scan mapped bytes m[0..size). Without on_fault, *stop gets the fault
 * that ends the scan with AL_E_CORRUPT. */
static int scan_mem(const uint8_t *m, uint64_t size, log_record_fn on_record,
		    log_fault_fn on_fault, void *arg, struct al_log_fault *stop)
{
	struct al_log_fault f;
	int rc;
	if (size < AL_LOG_HEADER_LEN || memcmp(m, AL_LOG_HEADER, AL_LOG_HEADER_LEN) != 0) {
		memset(&f, 0, sizeof f);
		/* A header cut short at creation is a torn tail, not corruption. */
		bool torn = size < AL_LOG_HEADER_LEN && memcmp(m, AL_LOG_HEADER, size) == 0;
		f.kind = torn ? AL_LOG_TORN : AL_LOG_CORRUPT;
		f.length = size;
		snprintf(f.reason, sizeof f.reason, torn ? "file header cut short" :
			 "not an alliance log (bad file header)");
		if (on_fault)
			return on_fault(arg, &f);
		*stop = f;
		return torn ? AL_OK : AL_E_CORRUPT;
	}
	uint64_t off = AL_LOG_HEADER_LEN, index = 0, budget = RESYNC_WORK + size, dropped = 0;
	while (off < size) {
		const char *why_bad;
		log_drop_behind(m, off, &dropped);
		if (frame_ok(m, size, off, &why_bad)) {
			uint32_t len = get_u32(m + off);
			struct al_log_rec r = { index, off, m + off + AL_LOG_FRAME, len };
			if (on_record && (rc = on_record(arg, &r)))
				return rc;
			off += AL_LOG_FRAME + len;
			index++;
			continue;
		}
		/* A lost write: what follows was not synced either, so all of
		 * it is the torn tail, valid records too. */
		bool hole = lost_write(m, size, off);
		uint64_t next = hole ? size : next_valid_frame(m, size, off + 1, &budget);
		memset(&f, 0, sizeof f);
		f.index = index;
		f.offset = off;
		f.length = (next == GAVE_UP ? size : next) - off;
		if (next == GAVE_UP) {
			/* Whether valid records follow is unknown: corruption, not a
			 * torn tail to cut, and the rest is reported, not skipped. */
			f.kind = AL_LOG_CORRUPT;
			snprintf(f.reason, sizeof f.reason,
				 "%s; gave up looking for the next valid record (too much to "
				 "check): %" PRIu64 " bytes not checked", why_bad, f.length);
			if (!on_fault) {
				*stop = f;
				return AL_E_CORRUPT;
			}
			return on_fault(arg, &f);
		}
		if (next < size) {
			f.kind = AL_LOG_CORRUPT;
			snprintf(f.reason, sizeof f.reason,
				 "%s; %" PRIu64 " bytes skipped to the next valid record", why_bad,
				 f.length);
		} else {
			f.kind = AL_LOG_TORN;
			snprintf(f.reason, sizeof f.reason, hole ?
				 "torn tail: %s, zeros where a write never reached the disk, and "
				 "what follows (%" PRIu64 " bytes)" : "torn tail: %s (%" PRIu64 " bytes)",
				 why_bad, f.length);
		}
		if (!on_fault) {
			*stop = f;
			return f.kind == AL_LOG_TORN ? 0 : AL_E_CORRUPT;
		}
		if ((rc = on_fault(arg, &f)))
			return rc;
		off = next;
		index++;
	}
	return AL_OK;
}

/* Map the file read-only (an empty file maps to an empty buffer). */
static int map_file(int fd, const char *path, const uint8_t **m, uint64_t *size, char *why)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return al_errf(why, AL_E_IO, "cannot stat '%s': %s", path, strerror(errno));
	*size = (uint64_t)st.st_size;
	*m = (const uint8_t *)"";
	if (*size == 0)
		return AL_OK;
	void *p = mmap(NULL, (size_t)*size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return al_errf(why, AL_E_IO, "cannot map '%s': %s", path, strerror(errno));
	*m = p;
	return AL_OK;
}

static void unmap(const uint8_t *m, uint64_t size)
{
	if (size)
		munmap((void *)m, (size_t)size);
}

int log_scan(const char *path, log_record_fn on_record, log_fault_fn on_fault, void *arg,
	     char *why)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return al_errf(why, errno == ENOENT ? AL_E_NOENT : AL_E_IO,
			       "cannot open log '%s': %s", path, strerror(errno));
	const uint8_t *m;
	uint64_t size;
	int rc = map_file(fd, path, &m, &size, why);
	close(fd);
	if (rc)
		return rc;
	struct al_log_fault stop;
	rc = scan_mem(m, size, on_record, on_fault, arg, &stop);
	unmap(m, size);
	if (rc == AL_E_CORRUPT && !on_fault)
		al_errf(why, rc, "log '%s' is corrupt at record %" PRIu64 ", offset %" PRIu64 ": %s "
			"('alliancectl audit' names every fault)", path, stop.index, stop.offset,
			stop.reason);
	return rc;
}

/* ------------------------------------------------------------ writing */

/* fdatasync, honouring fault injection. Returns 0 or -1 with errno. */
static int sync_data(int fd)
{
	if (fault_hit(AL_FAULT_FSYNC)) {
		errno = EIO;
		return -1;
	}
	return fdatasync(fd);
}

struct open_state {
	log_record_fn on_record;
	void *arg;
	struct al_log *l;
	bool torn, corrupt;
	struct al_log_fault fault;
};

static int open_on_record(void *arg, const struct al_log_rec *r)
{
	struct open_state *s = arg;
	s->l->records = r->index + 1;
	s->l->size = r->offset + AL_LOG_FRAME + r->len;
	return s->on_record ? s->on_record(s->arg, r) : 0;
}

static int open_on_fault(void *arg, const struct al_log_fault *f)
{
	struct open_state *s = arg;
	s->fault = *f;
	if (f->kind == AL_LOG_TORN) {
		s->torn = true;
		return 0; /* nothing valid follows: the scan ends here */
	}
	s->corrupt = true;
	return AL_E_CORRUPT;
}

/* Keep the torn bytes, then cut them off durably. */
static int cut_tail(struct al_log *l, const uint8_t *m, uint64_t size, uint64_t from,
		    struct al_log_recovery *rec, char *why)
{
	char broken[4096] = "";
	if (size > from) {
		/* Never over an earlier copy: a second cut at the same offset (the
		 * tail torn again after a restart) gets PATH.OFFSET.broken.1, .2 ... */
		int rc = AL_E_EXIST;
		for (unsigned k = 0; rc == AL_E_EXIST && k < 1000; k++) {
			int n = k ? snprintf(broken, sizeof broken, "%s.%" PRIu64 ".broken.%u",
					     l->path, from, k)
				  : snprintf(broken, sizeof broken, "%s.%" PRIu64 ".broken",
					     l->path, from);
			if (n >= (int)sizeof broken)
				return al_errf(why, AL_E_INVAL, "path too long: '%s'", l->path);
			rc = file_create(broken, m + from, (size_t)(size - from), 0600, why);
		}
		if (rc)
			return rc;
	}
	if (ftruncate(l->fd, (off_t)from) < 0)
		return al_errf(why, AL_E_IO, "cannot cut the torn tail of '%s': %s", l->path,
			       strerror(errno));
	if (file_fsync(l->fd) < 0)
		return al_errf(why, AL_E_FSYNC, "fsync of '%s' failed: %s", l->path,
			       strerror(errno));
	if (rec) {
		rec->cut_bytes = size - from;
		rec->cut_offset = from;
		snprintf(rec->broken_path, sizeof rec->broken_path, "%s", broken);
	}
	return AL_OK;
}

int log_create(const char *path, char *why)
{
	return file_create(path, AL_LOG_HEADER, AL_LOG_HEADER_LEN, 0600, why);
}

static int create_log(const char *path, char *why)
{
	int rc = log_create(path, why);
	return rc == AL_E_EXIST ? AL_OK : rc; /* lost a race: fine, it exists */
}

int log_open(const char *path, bool create, log_record_fn on_record, void *arg,
	     struct al_log_recovery *rec, struct al_log **out, char *why)
{
	*out = NULL;
	if (rec)
		memset(rec, 0, sizeof *rec);
	int rc;
	if (create && access(path, F_OK) < 0 && errno == ENOENT && (rc = create_log(path, why)))
		return rc;
	struct al_log *l = calloc(1, sizeof *l);
	if (!l || !(l->path = strdup(path))) {
		free(l);
		return AL_E_NOMEM;
	}
	l->fd = open(path, O_RDWR | O_CLOEXEC);
	if (l->fd < 0) {
		rc = al_errf(why, errno == ENOENT ? AL_E_NOENT : AL_E_IO,
			     "cannot open log '%s': %s", path, strerror(errno));
		goto fail;
	}
	const uint8_t *m;
	uint64_t size;
	if ((rc = map_file(l->fd, path, &m, &size, why)))
		goto fail;
	struct open_state s = { on_record, arg, l, false, false, { 0 } };
	l->size = AL_LOG_HEADER_LEN;
	rc = scan_mem(m, size, open_on_record, open_on_fault, &s, NULL);
	if (rc == AL_E_CORRUPT && s.corrupt) {
		if (s.fault.offset == 0) /* the file header itself */
			al_errf(why, rc, "log '%s': %s", path, s.fault.reason);
		else
			al_errf(why, rc, "log '%s' is corrupt at record %" PRIu64 ", offset %" PRIu64
				": %s (this is not a torn tail; restore the file or audit it)",
				path, s.fault.index, s.fault.offset, s.fault.reason);
	} else if (rc == AL_OK && s.torn) {
		if (s.fault.offset == 0) {
			/* Even the header was torn: start the file again. */
			rc = cut_tail(l, m, size, 0, rec, why);
			if (rc == AL_OK && pwrite(l->fd, AL_LOG_HEADER, AL_LOG_HEADER_LEN, 0) !=
						   AL_LOG_HEADER_LEN)
				rc = al_errf(why, AL_E_IO, "cannot rewrite the header of '%s'", path);
			if (rc == AL_OK && file_fsync(l->fd) < 0)
				rc = al_errf(why, AL_E_FSYNC, "fsync of '%s' failed", path);
		} else {
			rc = cut_tail(l, m, size, s.fault.offset, rec, why);
		}
	}
	unmap(m, size);
	if (rc)
		goto fail;
	/* What the file holds may be only in the page cache (written by a
	 * process that died before its sync): make it durable before saying
	 * it is, and before anything new is acknowledged after it. */
	if (sync_data(l->fd) < 0) {
		rc = al_errf(why, AL_E_FSYNC, "fsync of log '%s' failed: %s (fatal)", path,
			     strerror(errno));
		goto fail;
	}
	l->durable = l->size;
	*out = l;
	return AL_OK;
fail:
	log_close(&l);
	return rc;
}

/* Write the first limit bytes of iov[0..1] at off, going on after short
 * writes and EINTR. Returns the bytes written; fewer than limit with errno
 * set when a write failed. */
static size_t write_upto(int fd, const struct iovec *iov, size_t limit, off_t off)
{
	size_t done = 0;
	while (done < limit) {
		struct iovec w[2];
		int k = 0;
		size_t skip = done, room = limit - done;
		for (int i = 0; i < 2 && room; i++) {
			if (skip >= iov[i].iov_len) {
				skip -= iov[i].iov_len;
				continue;
			}
			size_t n = iov[i].iov_len - skip < room ? iov[i].iov_len - skip : room;
			w[k].iov_base = (uint8_t *)iov[i].iov_base + skip;
			w[k++].iov_len = n;
			skip = 0;
			room -= n;
		}
		ssize_t n = pwritev(fd, w, k, off + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ENOSPC; /* a regular file takes nothing: it is full */
			break;
		}
		done += (size_t)n;
	}
	return done;
}

int log_append(struct al_log *l, const uint8_t *data, size_t len, uint64_t *offset, char *why)
{
	if (l->failed)
		return al_errf(why, AL_E_FAILED, "log '%s' stopped after a fatal error", l->path);
	if (len == 0 || len > AL_LOG_MAX_RECORD)
		return al_errf(why, AL_E_INVAL, "record of %zu bytes (1 to %d allowed)", len,
			       AL_LOG_MAX_RECORD);
	uint8_t frame[AL_LOG_FRAME];
	put_u32(frame, (uint32_t)len);
	put_u32(frame + 4, frame_crc(frame, data, len));
	const struct iovec iov[2] = { { frame, sizeof frame }, { (void *)data, len } };
	size_t total = sizeof frame + len, limit = total;
	int injected = 0;
	if (fault_hit(AL_FAULT_WRITE)) {
		limit = sizeof frame + len / 2;
		injected = EIO;
	} else if (fault_hit(AL_FAULT_NOSPC)) {
		limit = fault_bytes(AL_FAULT_NOSPC) < total ? fault_bytes(AL_FAULT_NOSPC) : total - 1;
		injected = ENOSPC;
	}
	size_t n = write_upto(l->fd, iov, limit, (off_t)l->size);
	if (n != total) {
		int err = n < limit ? errno : injected;
		/* Take back a partial record: the file is again exactly what it
		 * was after the last good record, so the next append (this one
		 * again, when there is space) lands where this one would have.
		 * Shrinking a file needs no space; if even that fails, stop. */
		if (ftruncate(l->fd, (off_t)l->size) < 0)
			l->failed = true;
		return al_errf(why, l->failed ? AL_E_FAILED : file_err(err),
			       "cannot append to log '%s': %s%s", l->path, strerror(err),
			       l->failed ? " (and cannot cut the partial record: fatal)" : "");
	}
	if (offset)
		*offset = l->size;
	l->size += total;
	l->records++;
	return AL_OK;
}

int log_rewind(struct al_log *l, uint64_t size, uint64_t records, char *why)
{
	if (l->failed)
		return al_errf(why, AL_E_FAILED, "log '%s' stopped after a fatal error", l->path);
	if (size < l->durable || size > l->size || records > l->records ||
	    (size == l->size) != (records == l->records))
		return al_errf(why, AL_E_INVAL, "log '%s': cannot go back to offset %" PRIu64
			       " (%" PRIu64 " records): it holds %" PRIu64 " bytes, %" PRIu64
			       " of them durable", l->path, size, records, l->size, l->durable);
	if (size == l->size)
		return AL_OK;
	if (ftruncate(l->fd, (off_t)size) < 0) {
		l->failed = true;
		return al_errf(why, AL_E_FAILED, "cannot cut log '%s' back to %" PRIu64 " bytes: %s "
			       "(fatal)", l->path, size, strerror(errno));
	}
	l->size = size;
	l->records = records;
	return AL_OK;
}

int log_sync(struct al_log *l, char *why)
{
	if (l->failed)
		return al_errf(why, AL_E_FAILED, "log '%s' stopped after a fatal error", l->path);
	if (l->durable == l->size)
		return AL_OK;
	/* The logsync fault is the group commit's only, not opening's. */
	int rc = fault_hit(AL_FAULT_LOGSYNC) ? (errno = EIO, -1) : sync_data(l->fd);
	if (rc < 0) {
		/* After a failed fsync the kernel may have dropped the dirty
		 * pages: nothing since the last sync can be trusted. */
		l->failed = true;
		return al_errf(why, AL_E_FSYNC, "fsync of log '%s' failed: %s (fatal)", l->path,
			       strerror(errno));
	}
	l->durable = l->size;
	return AL_OK;
}

int log_read(struct al_log *l, uint64_t offset, uint8_t **data, size_t *len, char *why)
{
	return log_read_fd(l->fd, l->path, l->size, offset, data, len, why);
}

int log_read_fd(int fd, const char *path, uint64_t size, uint64_t offset, uint8_t **data,
		size_t *len, char *why)
{
	*data = NULL;
	*len = 0;
	uint8_t frame[AL_LOG_FRAME];
	if (offset < AL_LOG_HEADER_LEN || offset + AL_LOG_FRAME > size)
		return al_errf(why, AL_E_INVAL, "no record at offset %" PRIu64, offset);
	if (pread(fd, frame, sizeof frame, (off_t)offset) != (ssize_t)sizeof frame)
		return al_errf(why, AL_E_IO, "cannot read '%s': %s", path, strerror(errno));
	uint32_t n = get_u32(frame);
	if (n == 0 || n > AL_LOG_MAX_RECORD || offset + AL_LOG_FRAME + n > size)
		return al_errf(why, AL_E_CORRUPT, "log '%s': bad record length at offset %" PRIu64,
			       path, offset);
	uint8_t *buf = malloc(n);
	if (!buf)
		return AL_E_NOMEM;
	if (pread(fd, buf, n, (off_t)(offset + AL_LOG_FRAME)) != (ssize_t)n) {
		free(buf);
		return al_errf(why, AL_E_IO, "cannot read '%s': %s", path, strerror(errno));
	}
	if (get_u32(frame + 4) != frame_crc(frame, buf, n)) {
		free(buf);
		return al_errf(why, AL_E_CORRUPT, "log '%s': checksum mismatch at offset %" PRIu64,
			       path, offset);
	}
	*data = buf;
	*len = n;
	return AL_OK;
}

int log_open_read(const char *path, struct al_log **out, char *why)
{
	struct stat st;
	struct al_log *l = calloc(1, sizeof *l);
	*out = NULL;
	if (!l || !(l->path = strdup(path))) {
		free(l);
		return al_errf(why, AL_E_NOMEM, "out of memory");
	}
	l->failed = true; /* read only: log_append refuses */
	if ((l->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(l->fd, &st)) {
		int rc = al_errf(why, errno == ENOENT ? AL_E_NOENT : AL_E_IO, "cannot open log "
				 "'%s': %s", path, strerror(errno));
		log_close(&l);
		return rc;
	}
	l->size = l->durable = (uint64_t)st.st_size;
	*out = l;
	return AL_OK;
}

uint64_t log_records(const struct al_log *l) { return l->records; }
uint64_t log_size(const struct al_log *l) { return l->size; }
uint64_t log_durable(const struct al_log *l) { return l->durable; }
const char *log_path(const struct al_log *l) { return l->path; }

void log_close(struct al_log **lp)
{
	struct al_log *l = *lp;
	if (!l)
		return;
	if (l->fd >= 0)
		close(l->fd);
	free(l->path);
	free(l);
	*lp = NULL;
}

/* ------------------------------------------------------------ following */

/* Bytes read at a time while following (more when one record is larger). */
#define TAIL_CHUNK (1024 * 1024)

struct al_log_tail {
	char *path;
	int fd;
	dev_t dev;
	ino_t ino;
	uint64_t off;   /* the first byte not yet taken: a frame, or 0 (the header) */
	uint64_t index; /* the record that starts there */
	uint8_t *buf;
	size_t cap;
};

static int tail_reopen(struct al_log_tail *t, char *why)
{
	struct stat st;
	int fd = open(t->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return al_errf(why, errno == ENOENT ? AL_E_NOENT : AL_E_IO,
			       "cannot open log '%s': %s", t->path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		close(fd);
		return al_errf(why, AL_E_IO, "cannot stat '%s': %s", t->path, strerror(errno));
	}
	if (t->fd >= 0)
		close(t->fd);
	t->fd = fd;
	t->dev = st.st_dev;
	t->ino = st.st_ino;
	t->off = t->index = 0;
	return AL_OK;
}

int log_tail_open(const char *path, struct al_log_tail **out, char *why)
{
	struct al_log_tail *t = calloc(1, sizeof *t);
	*out = NULL;
	if (!t || !(t->path = strdup(path))) {
		free(t);
		return al_errf(why, AL_E_NOMEM, "out of memory");
	}
	t->fd = -1;
	int rc = tail_reopen(t, why);
	if (rc)
		log_tail_close(&t);
	*out = t;
	return rc;
}

/* Bytes [off, off + n) of the file into t->buf; fewer when it ends first. */
static int tail_pread(struct al_log_tail *t, uint64_t off, size_t n, size_t *got, char *why)
{
	*got = 0;
	if (grow(&t->buf, &t->cap, n, 1))
		return al_errf(why, AL_E_NOMEM, "out of memory");
	while (*got < n) {
		ssize_t r = pread(t->fd, t->buf + *got, n - *got, (off_t)(off + *got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return al_errf(why, AL_E_IO, "cannot read log '%s': %s", t->path,
				       strerror(errno));
		if (r == 0)
			break;
		*got += (size_t)r;
	}
	return AL_OK;
}

int log_tail_read(struct al_log_tail *t, log_record_fn on_record, void *arg, bool *restarted,
		  char *why)
{
	struct stat by_path, held;
	*restarted = false;
	/* Replaced (a restore, a new file renamed over it) or cut shorter than
	 * what was read: what was read may not be there any more. */
	if (fstat(t->fd, &held) < 0)
		return al_errf(why, AL_E_IO, "cannot stat '%s': %s", t->path, strerror(errno));
	if (stat(t->path, &by_path) == 0 && (by_path.st_dev != t->dev || by_path.st_ino != t->ino)) {
		int rc = tail_reopen(t, why);
		*restarted = rc == AL_OK;
		return rc; /* nothing read: the next call starts from its start */
	}
	if ((uint64_t)held.st_size < t->off) {
		t->off = t->index = 0;
		*restarted = true;
		return AL_OK;
	}
	uint64_t size = (uint64_t)held.st_size;
	size_t got;
	int rc;
	if (t->off == 0) {
		if (size < AL_LOG_HEADER_LEN)
			return AL_OK; /* being created: its header comes */
		if ((rc = tail_pread(t, 0, AL_LOG_HEADER_LEN, &got, why)))
			return rc;
		if (got < AL_LOG_HEADER_LEN)
			return AL_OK;
		if (memcmp(t->buf, AL_LOG_HEADER, AL_LOG_HEADER_LEN))
			return al_errf(why, AL_E_CORRUPT, "'%s' is not an alliance log (bad file "
				       "header)", t->path);
		t->off = AL_LOG_HEADER_LEN;
	}
	size_t need = 0; /* one record larger than a chunk: read it whole */
	while (t->off < size) {
		size_t want = size - t->off < TAIL_CHUNK ? (size_t)(size - t->off) : TAIL_CHUNK;
		if ((rc = tail_pread(t, t->off, want < need ? need : want, &got, why)))
			return rc;
		uint64_t pos = 0; /* in t->buf */
		while (pos + AL_LOG_FRAME <= got) {
			const char *why_bad;
			uint32_t len = get_u32(t->buf + pos);
			if (len > 0 && len <= AL_LOG_MAX_RECORD && pos + AL_LOG_FRAME + len > got)
				break; /* not all in this chunk (or not yet written) */
			if (!frame_ok(t->buf, got, pos, &why_bad)) {
				/* Last in the file: a write in progress (or a torn
				 * tail, which log_scan passes over quietly too). */
				if (len > 0 && len <= AL_LOG_MAX_RECORD &&
				    t->off + pos + AL_LOG_FRAME + len >= size) {
					t->off += pos; /* what was delivered is not again */
					return AL_OK;
				}
				return al_errf(why, AL_E_CORRUPT, "log '%s' is corrupt at record %"
					       PRIu64 ", offset %" PRIu64 ": %s ('alliancectl audit' "
					       "names every fault)", t->path, t->index, t->off + pos,
					       why_bad);
			}
			struct al_log_rec r = { t->index, t->off + pos, t->buf + pos + AL_LOG_FRAME,
						len };
			pos += AL_LOG_FRAME + len;
			t->index++;
			if (on_record && (rc = on_record(arg, &r))) {
				t->off += pos;
				return rc;
			}
		}
		if (pos == 0) {
			uint32_t len = got >= AL_LOG_FRAME ? get_u32(t->buf) : 0;
			if (got < AL_LOG_FRAME || t->off + AL_LOG_FRAME + len > size ||
			    need >= AL_LOG_FRAME + (size_t)len)
				return AL_OK; /* still being written: the next call takes it */
			need = AL_LOG_FRAME + (size_t)len;
			continue;
		}
		need = 0;
		t->off += pos;
	}
	return AL_OK;
}

void log_tail_close(struct al_log_tail **t)
{
	if (!*t)
		return;
	if ((*t)->fd >= 0)
		close((*t)->fd);
	free((*t)->path);
	free((*t)->buf);
	free(*t);
	*t = NULL;
}
