/* when.c: parsing and printing times and durations (see when.h). */
#include "when.h"
#include "err.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t when_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "<digits><unit>" with unit s, m, h, d, w or none (seconds). */
static int parse_units(const char *s, uint64_t *out_s)
{
	char *end;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	unsigned long long n = strtoull(s, &end, 10);
	if (errno)
		return -1;
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
	if (n > (uint64_t)INT64_MAX / 1000 / mul)
		return -1;
	*out_s = n * mul;
	return 0;
}

int duration_parse(const char *s, uint64_t *out_s, char *why)
{
	if (parse_units(s, out_s) < 0)
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
		if (parse_units(s + 1, &secs) == 0) {
			int64_t delta = (int64_t)secs * 1000;
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
	int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
	int frac = (int)(ms - secs * 1000);
	time_t t = (time_t)secs;
	struct tm tm;
	gmtime_r(&t, &tm);
	size_t n = strftime(buf, AL_WHENLEN, "%Y-%m-%dT%H:%M:%S", &tm);
	if (frac)
		snprintf(buf + n, AL_WHENLEN - n, ".%03dZ", frac);
	else
		snprintf(buf + n, AL_WHENLEN - n, "Z");
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
