/* table.c: see table.h. The table keeps copies of its headers and cells;
 * widths are measured and cuts made only when it is printed, so that a
 * table is printed whole or not at all. */
#include "table.h"
#include "grow.h"
#include "text.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct column {
	char *header;
	unsigned flags;
};

struct ctl_table {
	size_t gap;
	const char *indent;
	struct column *cols;
	size_t n_cols, cap_cols;
	char **cells; /* row by row */
	size_t n_cells, cap_cells;
	bool bad; /* memory ran out: printing fails */
};

struct ctl_table *ctl_table_new(size_t gap, const char *indent)
{
	struct ctl_table *t = calloc(1, sizeof *t);
	if (t) {
		t->gap = gap;
		t->indent = indent ? indent : "";
	}
	return t;
}

int ctl_table_col(struct ctl_table *t, const char *header, unsigned flags)
{
	char *h = strdup(header ? header : "");
	if (!h || t->n_cells || grow(&t->cols, &t->cap_cols, t->n_cols + 1, sizeof *t->cols)) {
		free(h);
		t->bad = true;
		return -1;
	}
	t->cols[t->n_cols++] = (struct column){ h, flags };
	return 0;
}

int ctl_table_cell(struct ctl_table *t, const char *text)
{
	char *c = strdup(text ? text : "");
	if (!c || !t->n_cols || grow(&t->cells, &t->cap_cells, t->n_cells + 1, sizeof *t->cells)) {
		free(c);
		t->bad = true;
		return -1;
	}
	t->cells[t->n_cells++] = c;
	return 0;
}

int ctl_table_cellf(struct ctl_table *t, const char *fmt, ...)
{
	char *c = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&c, fmt, ap);
	va_end(ap);
	if (n < 0) {
		t->bad = true;
		return -1;
	}
	int rc = ctl_table_cell(t, c);
	free(c);
	return rc;
}

/* The cell at (row, col): "" past the last one given. */
static const char *cell(const struct ctl_table *t, size_t row, size_t col)
{
	size_t i = row * t->n_cols + col;
	return i < t->n_cells ? t->cells[i] : "";
}

/* The printed text, grown as it is written. */
struct buf {
	char *s;
	size_t len, cap;
	bool bad;
};

static void put(struct buf *b, const char *s, size_t len)
{
	if (b->bad || grow(&b->s, &b->cap, b->len + len + 1, 1)) {
		b->bad = true;
		return;
	}
	memcpy(b->s + b->len, s, len);
	b->len += len;
	b->s[b->len] = '\0';
}

static void spaces(struct buf *b, size_t n)
{
	static const char sp[] = "                                ";
	while (n) {
		size_t k = n < sizeof sp - 1 ? n : sizeof sp - 1;
		put(b, sp, k);
		n -= k;
	}
}

/* One line: the texts of the n_cols cells, fitted to the widths w. */
static void line(struct buf *b, const struct ctl_table *t, const char *const *text,
		 const size_t *w)
{
	size_t start = b->len;
	put(b, t->indent, strlen(t->indent));
	for (size_t c = 0; c < t->n_cols && !b->bad; c++) {
		const char *s = text[c];
		char *cut = NULL;
		size_t sw = text_width(s);
		if (sw > w[c]) { /* a shrunk column's long cell */
			size_t n = strlen(s) + sizeof TEXT_CUT_MARK;
			if (!(cut = malloc(n))) {
				b->bad = true;
				return;
			}
			sw = text_cut(s, w[c], cut, n);
			s = cut;
		}
		if (c)
			spaces(b, t->gap);
		if (t->cols[c].flags & CTL_TABLE_RIGHT)
			spaces(b, w[c] - sw);
		put(b, s, strlen(s));
		if (!(t->cols[c].flags & CTL_TABLE_RIGHT))
			spaces(b, w[c] - sw);
		free(cut);
	}
	/* No trailing spaces (the last column's padding, empty cells). */
	while (!b->bad && b->len > start && b->s[b->len - 1] == ' ')
		b->s[--b->len] = '\0';
	put(b, "\n", 1);
}

int ctl_table_print(const struct ctl_table *t, FILE *f, size_t limit)
{
	size_t rows = t->n_cols ? (t->n_cells + t->n_cols - 1) / t->n_cols : 0;
	size_t *w = calloc(t->n_cols ? t->n_cols : 1, sizeof *w);
	const char **text = calloc(t->n_cols ? t->n_cols : 1, sizeof *text);
	struct buf b = { 0 };
	bool headers = false;
	int rc = -1;
	if (!w || !text || t->bad)
		goto out;
	size_t total = text_width(t->indent);
	for (size_t c = 0; c < t->n_cols; c++) {
		w[c] = text_width(t->cols[c].header);
		headers |= *t->cols[c].header != '\0';
		for (size_t r = 0; r < rows; r++) {
			size_t cw = text_width(cell(t, r, c));
			if (cw > w[c])
				w[c] = cw;
		}
		total += w[c] + (c ? t->gap : 0);
	}
	/* Too wide: a column off the widest shrinking one, until it fits or
	 * none may shrink further. */
	while (limit && total > limit) {
		size_t widest = SIZE_MAX;
		for (size_t c = 0; c < t->n_cols; c++)
			if ((t->cols[c].flags & CTL_TABLE_SHRINK) && w[c] > CTL_TABLE_MIN_SHRINK &&
			    (widest == SIZE_MAX || w[c] > w[widest]))
				widest = c;
		if (widest == SIZE_MAX)
			break;
		w[widest]--;
		total--;
	}
	if (headers) {
		for (size_t c = 0; c < t->n_cols; c++)
			text[c] = t->cols[c].header;
		line(&b, t, text, w);
	}
	for (size_t r = 0; r < rows; r++) {
		for (size_t c = 0; c < t->n_cols; c++)
			text[c] = cell(t, r, c);
		line(&b, t, text, w);
	}
	if (!b.bad) {
		if (b.len)
			fwrite(b.s, 1, b.len, f);
		rc = 0;
	}
out:
	free(b.s);
	free(text);
	free(w);
	return rc;
}

size_t ctl_table_columns(void)
{
	const char *env = getenv("COLUMNS");
	uint64_t v;
	struct winsize ws;
	if (env && text_uint(env, 1u << 20, &v) && v > 0)
		return (size_t)v;
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 0;
}

void ctl_table_destroy(struct ctl_table **t)
{
	if (!*t)
		return;
	for (size_t c = 0; c < (*t)->n_cols; c++)
		free((*t)->cols[c].header);
	for (size_t i = 0; i < (*t)->n_cells; i++)
		free((*t)->cells[i]);
	free((*t)->cols);
	free((*t)->cells);
	free(*t);
	*t = NULL;
}
