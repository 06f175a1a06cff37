/* hex.h: lowercase hexadecimal, the text form of keys, hashes and ids. */
#ifndef AL_HEX_H
#define AL_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Write 2*n hex digits and a NUL to out (2*n+1 bytes). Returns out. */
char *hex_encode(const uint8_t *in, size_t n, char *out);

/* Decode exactly 2*n hex digits (either case) from s into out.
 * Returns 0, or -1 when s is not exactly 2*n hex digits (out is zeroed). */
int hex_decode(const char *s, uint8_t *out, size_t n);

#endif
