/* table.h: a text table, as alliancectl's views print one (trust,
 * commitments, charter show's members): columns with a header, rows of
 * cells, each column as wide as its widest cell on a terminal.
 *
 * The rules:
 * - Cells are shown as given: the caller escapes other firms' text first
 *   (ctl_json_escape, ctl_esc), as every text view does, and the table
 *   measures the escaped text (text_width: wide characters take two
 *   columns, combining marks none, \x1b four).
 * - A column is as wide as its widest cell or its header; cells are
 *   padded with spaces to it, on the right or (CTL_TABLE_RIGHT: numbers)
 *   on the left. Columns are separated by the gap given to
 *   ctl_table_new; the last column is not padded, and no line ends in a
 *   space.
 * - The width limit (ctl_table_columns: $COLUMNS, else the terminal's,
 *   else none): when the lines would be wider, the columns marked
 *   CTL_TABLE_SHRINK (free text, such as what a commitment promises)
 *   lose columns, the widest first, down to CTL_TABLE_MIN_SHRINK each,
 *   and their longer cells are cut with text_cut's mark. Other columns
 *   (names, ids, times, numbers) never shrink: a name of up to 32
 *   characters stays whole and aligned, and the line may then stay wider
 *   than the limit.
 * - With no limit (output to a pipe or a file, COLUMNS unset), nothing is
 *   cut: scripts get the whole text.
 * - No header line when every header is "" (a list without headings).
 */
#ifndef CTL_TABLE_H
#define CTL_TABLE_H

#include <stddef.h>
#include <stdio.h>

#define CTL_TABLE_RIGHT 1u  /* align right (numbers) */
#define CTL_TABLE_SHRINK 2u /* may lose columns to fit the width limit */

/* A shrinking column keeps at least this many columns (or its widest
 * cell's, when narrower). */
#define CTL_TABLE_MIN_SHRINK 8

struct ctl_table;

/* A table with no columns yet, gap spaces between columns, printed after
 * indent (a string the caller keeps; "" for none) on every line. NULL when
 * memory ran out. */
struct ctl_table *ctl_table_new(size_t gap, const char *indent);

/* Add a column (before any cell) with header (copied) and flags
 * (CTL_TABLE_*). 0, or -1 when memory ran out or cells were added. */
int ctl_table_col(struct ctl_table *t, const char *header, unsigned flags);

/* The next cell, filled row by row from the first column (text copied;
 * NULL is ""). ctl_table_cellf formats it as printf does. 0, or -1 when
 * memory ran out: then ctl_table_print fails too, so that callers may
 * check only that. */
int ctl_table_cell(struct ctl_table *t, const char *text);
int ctl_table_cellf(struct ctl_table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print the header line (unless every header is "") and the rows to f,
 * fitted to limit columns (0: no limit) by the rules above. A last row
 * left short is printed with empty cells. 0, or -1 (nothing printed) when
 * memory ran out building or printing the table. */
int ctl_table_print(const struct ctl_table *t, FILE *f, size_t limit);

/* The width limit of tables printed to stdout: $COLUMNS when it is a
 * positive whole number (the user's or the shell's word); else the
 * terminal's width when stdout is a terminal; else 0, no limit. */
size_t ctl_table_columns(void);

/* Free the table and its cells; *t becomes NULL. */
void ctl_table_destroy(struct ctl_table **t);

#endif
