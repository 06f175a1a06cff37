/* csv.h: a JSON answer (an array of objects) as CSV, for spreadsheets.
 *
 * RFC 4180: a header line of the column names, then one line a row, "\n"
 * line ends; a field holding a comma, a double quote, CR or LF is quoted,
 * its quotes doubled. Values are the JSON's: numbers with the digits
 * --json prints, true/false, null as an empty field, an array's elements
 * joined. Partner text is data here when it goes to a file or a pipe: it
 * is not escaped, but a text field starting with =, +, -, @, TAB or CR
 * gets a leading single quote (') so that no spreadsheet runs it as a
 * formula (CSV injection). Written to a terminal, text fields are escaped
 * (text_escape) as in every other view: a partner's ESC or bidi override
 * reaches no terminal raw.
 */
#ifndef CTL_CSV_H
#define CTL_CSV_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

struct csv_col {
	const char *key;  /* the field of each row, and the column's name */
	const char *join; /* an array field: its elements joined with this */
};

/* rows (an array of objects; borrowed) as CSV of the n columns cols to f.
 * 0, or CTL_EXIT_FAIL after printing the error (out of memory, a write
 * that failed). */
int csv_print(FILE *f, const json_t *rows, const struct csv_col *cols, size_t n);

#endif
