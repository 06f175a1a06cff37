/* text.h: what text people type must be. Everything people type ends up
 * shown to people and in JSON, which carries only valid UTF-8 (jansson
 * refuses anything else), so every parser of text checks it; and a number
 * typed as text is plain decimal digits, read by one strict parser. */
#ifndef AL_TEXT_H
#define AL_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when s is valid UTF-8 (no overlong forms, surrogates or code points
 * past U+10FFFF); otherwise *bad (may be NULL) is the offset of the first
 * byte that is not. */
bool text_utf8(const char *s, size_t *bad);

/* A whole number written as decimal digits only, from 0 to max: no sign,
 * no space (before, inside or after), no other base, nothing after it.
 * strtoull alone takes " 5", "+5" and "-1" (as a huge number). Returns
 * true with *out set, or false (*out untouched) for anything else,
 * including a number above max. */
bool text_uint(const char *s, uint64_t max, uint64_t *out);

#endif
