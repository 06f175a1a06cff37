/* when.h: the times and durations people type, and how times are printed.
 *
 * Internally a time is int64 milliseconds since 1970-01-01T00:00:00Z and a
 * duration is seconds. People write ISO-8601 times (2026-11-22T10:00:00Z,
 * 2026-11-22T12:00:00+02:00, 2026-11-22) or offsets from now (+30s, +2h,
 * +14d, -1h); durations are 30s, 90m, 72h, 14d, 2w (a bare number = seconds).
 */
#ifndef AL_WHEN_H
#define AL_WHEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AL_WHENLEN 32

/* Current wall-clock time in ms. */
int64_t when_now(void);

/* Parse WHEN relative to now_ms into *out_ms. Times must fall in the years
 * 0000 to 9999 (an offset that leaves them, or a now_ms outside them, is an
 * error). Returns 0 or AL_E_PARSE with why naming the bad value and the
 * accepted forms. */
int when_parse(const char *s, int64_t now_ms, int64_t *out_ms, char *why);

/* Does ms fall in the years 0000 to 9999, the times when_parse reads? */
bool when_in_range(int64_t ms);

/* ms plus a duration of secs seconds, saturating at INT64_MAX: a time a
 * partner signed (a due time) may be anything, and a deadline past the end
 * of time is never reached rather than wrapped into the past. */
int64_t when_after(int64_t ms, uint64_t secs);

/* Parse a duration (no sign) into seconds. Returns 0 or AL_E_PARSE. */
int duration_parse(const char *s, uint64_t *out_s, char *why);

/* Format ms as ISO-8601 UTC ("2026-11-22T10:00:00Z", with .mmm when the
 * milliseconds are not zero) into buf (AL_WHENLEN bytes); a time outside
 * the years 0000 to 9999 as its value ("-9223372036854775808ms"). Any ms is
 * safe. Returns buf. */
char *when_format(int64_t ms, char *buf);

/* Format seconds as the largest exact unit ("14d", "36h", "90s") into buf
 * (AL_WHENLEN bytes). Returns buf. */
char *duration_format(uint64_t s, char *buf);

/* Format a span of ms milliseconds (a delay, an age) as a person reads it
 * into buf (AL_WHENLEN bytes): "400 ms", "12 s", "4 min", "3.5 h",
 * "12 days". The unit is the largest that leaves at least 1 (but hours up
 * to 48, then days); one decimal below 10 of it, dropped when it is .0;
 * rounded to the nearest, so 59.97 s is "1 min", never "60 s". A
 * negative span gets a '-'. Any ms is safe. Returns buf. */
char *when_span(int64_t ms, char *buf);

/* when_span of a span computed in doubles (hours or days of a JSON
 * answer, times 3.6e6 or 8.64e7): past the int64 range, the largest span
 * of its sign, never an overflow. */
char *when_span_of(double ms, char *buf);

#endif
