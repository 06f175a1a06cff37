/* grow.h: the one growable array. An array is a pointer, a count and a
 * capacity kept by the owner; grow() makes room for need elements,
 * doubling, and leaves the contents and the pointer alone on failure:
 *
 *	if (grow(&l->items, &l->cap_items, l->n_items + 1, sizeof *l->items))
 *		return AL_E_NOMEM;
 *	l->items[l->n_items++] = item;
 *
 * Appending one at a time thus costs amortised O(1), never a realloc per
 * element. The owner frees the array with free().
 */
#ifndef AL_GROW_H
#define AL_GROW_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

/* arrp: the address of the array pointer (T **, passed as void *). Returns
 * AL_OK or AL_E_NOMEM (the array and *cap unchanged): when need elements of
 * size bytes would exceed the largest object (PTRDIFF_MAX bytes), or realloc
 * fails. The capacity never exceeds that either (so *cap * size never
 * wraps), and a size of 0 still gets a real allocation (realloc(p, 0) may
 * free p). */
static inline int grow(void *arrp, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return AL_OK;
	size_t max = (size_t)PTRDIFF_MAX / (size ? size : 1);
	if (need > max)
		return AL_E_NOMEM;
	size_t nc = *cap ? *cap : 8;
	while (nc < need)
		nc = nc > max / 2 ? max : 2 * nc;
	if (nc > max)
		nc = max;
	void *old;
	memcpy(&old, arrp, sizeof old);
	void *v = realloc(old, size ? nc * size : 1);
	if (!v)
		return AL_E_NOMEM;
	memcpy(arrp, &v, sizeof v);
	*cap = nc;
	return AL_OK;
}

#endif
