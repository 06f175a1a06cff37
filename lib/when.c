/* when.c: parsing and printing times and durations (see when.h). */
#include "when.h"
#include "err.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The times this code reads and prints: years 0000 to 9999, the ones an
 * ISO-8601 date of four digits can name. Outside them the arithmetic could
 * overflow and gmtime_r fail. */
#define WHEN_MIN (-62167219200000LL) /* 0000-01-01T00:00:00Z */
#define WHEN_MAX 253402300799999LL   /* 9999-12-31T23:59:59.999Z */

bool when_in_range(int64_t ms)
{
	return ms >= WHEN_MIN && ms <= WHEN_MAX;
}

int64_t when_after(int64_t ms, uint64_t secs)
{
	if (secs > (uint64_t)INT64_MAX / 1000)
		return INT64_MAX;
	int64_t d = (int64_t)secs * 1000;
	return ms > INT64_MAX - d ? INT64_MAX : ms + d;
}

int64_t when_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "<digits><unit>" with unit s, m, h, d, w or none (seconds). Returns 0,
 * -1 (not that form) or -2 (too large for int64 milliseconds). */
static int parse_units(const char *s, uint64_t *out_s)
{
	char *end;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	unsigned long long n = strtoull(s, &end, 10);
	bool huge = errno == ERANGE;
	uint64_t mul;
	switch (*end) {
	case '\0': case 's': mul = 1; break;
	case 'm': mul = 60; break;
	case 'h': mul = 3600; break;
	case 'd': mul = 86400; break;
	case 'w': mul = 7 * 86400; break;
	default: return -1;
	}
	if (*end && end[1])
		return -1;
	/* Keep the result within int64 milliseconds. */
	if (huge || n > (uint64_t)INT64_MAX / 1000 / mul)
		return -2;
	*out_s = n * mul;
	return 0;
}

int duration_parse(const char *s, uint64_t *out_s, char *why)
{
	int rc = parse_units(s, out_s);
	if (rc == -2)
		return al_errf(why, AL_E_PARSE, "duration '%s' is out of range", s);
	if (rc < 0)
		return al_errf(why, AL_E_PARSE,
			       "bad duration '%s' (use a number with s, m, h, d or w, e.g. 72h or 14d)", s);
	return 0;
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int parse_iso(const char *s, int64_t *out_ms)
{
	struct tm tm = { 0 };
	int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0, off = 0;
	size_t len = strlen(s);
	if (len < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d))
		return -1;
	const char *p = s + 10;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(p, 2, &h) || p[2] != ':' || digits(p + 3, 2, &mi))
			return -1;
		p += 5;
		if (*p == ':') {
			if (digits(p + 1, 2, &sec))
				return -1;
			p += 3;
			if (*p == '.') {
				int n = 0, frac = 0;
				p++;
				while (isdigit((unsigned char)*p)) {
					if (n < 3)
						frac = frac * 10 + (*p - '0'), n++;
					p++;
				}
				if (n == 0)
					return -1;
				while (n < 3)
					frac *= 10, n++;
				ms = frac;
			}
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int oh, om;
			int sign = *p == '-' ? -1 : 1;
			if (digits(p + 1, 2, &oh))
				return -1;
			if (p[3] == ':') {
				if (digits(p + 4, 2, &om))
					return -1;
				p += 6;
			} else if (digits(p + 3, 2, &om) == 0) {
				p += 5;
			} else {
				return -1;
			}
			if (oh > 23 || om > 59)
				return -1;
			off = sign * (oh * 3600 + om * 60);
		} else {
			return -1; /* a local time would not be reproducible */
		}
	}
	if (*p)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	time_t t = timegm(&tm);
	/* timegm normalises 31 February into March: refuse it. */
	struct tm back;
	gmtime_r(&t, &back);
	if (back.tm_mday != d || back.tm_mon != mo - 1)
		return -1;
	*out_ms = ((int64_t)t - off) * 1000 + ms;
	return 0;
}

int when_parse(const char *s, int64_t now_ms, int64_t *out_ms, char *why)
{
	if (*s == '+' || *s == '-') {
		uint64_t secs;
		int rc = parse_units(s + 1, &secs);
		if (rc != -1) {
			/* secs * 1000 fits (parse_units); within the range, neither
			 * the room left nor the sum can overflow. */
			int64_t delta = rc ? 0 : (int64_t)secs * 1000;
			if (rc || now_ms < WHEN_MIN || now_ms > WHEN_MAX ||
			    delta > (*s == '+' ? WHEN_MAX - now_ms : now_ms - WHEN_MIN))
				return al_errf(why, AL_E_PARSE, "time '%s' is out of range (it must "
					       "fall in the years 0000 to 9999)", s);
			*out_ms = *s == '+' ? now_ms + delta : now_ms - delta;
			return 0;
		}
	} else if (parse_iso(s, out_ms) == 0) {
		return 0;
	}
	return al_errf(why, AL_E_PARSE,
		       "bad time '%s' (use ISO-8601 UTC like 2026-11-22T10:00:00Z, "
		       "or an offset from now like +2h, +14d, -1h)", s);
}

char *when_format(int64_t ms, char *buf)
{
	if (ms < WHEN_MIN || ms > WHEN_MAX) {
		/* No calendar date: the raw value (a peer may sign anything). */
		snprintf(buf, AL_WHENLEN, "%" PRId64 "ms", ms);
		return buf;
	}
	int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
	int frac = (int)(ms - secs * 1000);
	time_t t = (time_t)secs;
	struct tm tm;
	gmtime_r(&t, &tm);
	/* Not strftime: its %Y does not pad years before 1000 to four digits. */
	int n = snprintf(buf, AL_WHENLEN, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (frac)
		snprintf(buf + n, AL_WHENLEN - (size_t)n, ".%03dZ", frac);
	else
		snprintf(buf + n, AL_WHENLEN - (size_t)n, "Z");
	return buf;
}

char *duration_format(uint64_t s, char *buf)
{
	if (s && s % (7 * 86400) == 0)
		snprintf(buf, AL_WHENLEN, "%" PRIu64 "w", s / (7 * 86400));
	else if (s && s % 86400 == 0)
		snprintf(buf, AL_WHENLEN, "%" PRIu64 "d", s / 86400);
	else if (s && s % 3600 == 0)
		snprintf(buf, AL_WHENLEN, "%" PRIu64 "h", s / 3600);
	else if (s && s % 60 == 0)
		snprintf(buf, AL_WHENLEN, "%" PRIu64 "m", s / 60);
	else
		snprintf(buf, AL_WHENLEN, "%" PRIu64 "s", s);
	return buf;
}

char *when_span(int64_t ms, char *buf)
{
	/* Each unit, and how many of it make the next (0: the last). */
	static const struct { uint64_t ms; uint64_t next; const char *one, *many; } units[] = {
		{ 1000, 60, "s", "s" },
		{ 60 * 1000, 60, "min", "min" },
		{ 3600 * 1000, 48, "h", "h" },
		{ 86400 * 1000, 0, "day", "days" },
	};
	const char *sign = ms < 0 ? "-" : "";
	uint64_t u = ms < 0 ? -(uint64_t)ms : (uint64_t)ms; /* INT64_MIN too */
	if (u < 1000) {
		snprintf(buf, AL_WHENLEN, "%s%" PRIu64 " ms", sign, u);
		return buf;
	}
	for (size_t i = 0;; i++) {
		uint64_t unit = units[i].ms;
		/* Rounded tenths and wholes; unit / 20 is exact for every unit,
		 * and u + unit does not overflow (u <= 2^63). */
		uint64_t tenths = (u + unit / 20) / (unit / 10), whole = (u + unit / 2) / unit;
		if (tenths < 100) {
			const char *name = tenths == 10 ? units[i].one : units[i].many;
			if (tenths % 10)
				snprintf(buf, AL_WHENLEN, "%s%" PRIu64 ".%" PRIu64 " %s", sign,
					 tenths / 10, tenths % 10, name);
			else
				snprintf(buf, AL_WHENLEN, "%s%" PRIu64 " %s", sign, tenths / 10,
					 name);
			return buf;
		}
		if (!units[i].next || whole < units[i].next) {
			snprintf(buf, AL_WHENLEN, "%s%" PRIu64 " %s", sign, whole, units[i].many);
			return buf;
		}
	}
}

char *when_span_of(double ms, char *buf)
{
	return when_span(ms >= 9.2e18 ? INT64_MAX : ms <= -9.2e18 ? -INT64_MAX : llround(ms), buf);
}
