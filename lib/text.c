/* text.c: see text.h. */
#include "text.h"

bool text_utf8(const char *s, size_t *bad)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		const unsigned char *start = p;
		unsigned c = *p++, cp, min;
		int more;
		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf)
			more = 1, cp = c & 0x1f, min = 0x80;
		else if ((c & 0xf0) == 0xe0)
			more = 2, cp = c & 0x0f, min = 0x800;
		else if (c >= 0xf0 && c <= 0xf4)
			more = 3, cp = c & 0x07, min = 0x10000;
		else
			goto no;
		while (more--) {
			if ((*p & 0xc0) != 0x80) /* also stops at the NUL */
				goto no;
			cp = cp << 6 | (*p++ & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			goto no;
		continue;
no:
		if (bad)
			*bad = (size_t)(start - (const unsigned char *)s);
		return false;
	}
	return true;
}

bool text_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (!*s)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		unsigned d = (unsigned)(*p - '0');
		if (d > max || v > (max - d) / 10)
			return false; /* above max (and never wraps) */
		v = v * 10 + d;
	}
	*out = v;
	return true;
}
