/* text.h: what free text must be. Everything people type ends up shown to
 * people and in JSON, which carries only valid UTF-8 (jansson refuses
 * anything else), so every parser of text checks it. */
#ifndef AL_TEXT_H
#define AL_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* True when s is valid UTF-8 (no overlong forms, surrogates or code points
 * past U+10FFFF); otherwise *bad (may be NULL) is the offset of the first
 * byte that is not. */
bool text_utf8(const char *s, size_t *bad);

#endif
