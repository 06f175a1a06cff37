/* csv.c: JSON rows as CSV (csv.h): the one writer of trust --csv, trust
 * --series --csv and commitments --csv. */
#include "csv.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "text.h"

#include <unistd.h>

/* A number as --json prints it (ctl_print_json's precision), so that a
 * spreadsheet reads the same value. NULL when memory ran out. */
static char *number(const json_t *v)
{
	return json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(12));
}

/* Append s (len bytes) to the field being built in *f. */
static int put(FILE *f, const char *s, size_t len)
{
	return fwrite(s, 1, len, f) == len ? 0 : -1;
}

/* One scalar's text into f: a string as it is, a number as JSON prints
 * it, true/false, null as nothing. *text: it was a string. */
static int scalar(FILE *f, const json_t *v, bool *text)
{
	if (json_is_string(v)) {
		*text = true;
		return put(f, json_string_value(v), json_string_length(v));
	}
	if (json_is_number(v)) {
		char *s = number(v);
		int rc = s ? put(f, s, strlen(s)) : -1;
		free(s);
		return rc;
	}
	if (json_is_boolean(v))
		return put(f, json_is_true(v) ? "true" : "false", json_is_true(v) ? 4 : 5);
	return 0; /* null, or absent */
}

/* Write field s (len bytes) to out, guarded (text) and quoted as needed. */
static int field(FILE *out, const char *s, size_t len, bool text)
{
	bool quote = false;
	for (size_t i = 0; i < len && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
	if (quote && fputc('"', out) == EOF)
		return -1;
	if (text && len && strchr("=+-@\t\r", s[0]) && fputc('\'', out) == EOF)
		return -1;
	for (size_t i = 0; i < len; i++)
		if ((s[i] == '"' && quote && fputc('"', out) == EOF) || fputc(s[i], out) == EOF)
			return -1;
	return quote && fputc('"', out) == EOF ? -1 : 0;
}

/* Row r's value for column c into out; its text escaped when tty. */
static int cell(FILE *out, const json_t *r, const struct csv_col *c, bool tty)
{
	const json_t *v = json_object_get(r, c->key), *e;
	char *buf = NULL;
	size_t len = 0, i;
	bool text = false;
	FILE *f = open_memstream(&buf, &len);
	int rc = f ? 0 : -1;
	if (f && json_is_array(v)) {
		json_array_foreach(v, i, e)
			if ((i && put(f, c->join, strlen(c->join))) || scalar(f, e, &text))
				rc = -1;
	} else if (f) {
		rc = scalar(f, v, &text);
	}
	if (f && fclose(f))
		rc = -1;
	/* On a terminal, partner text is shown as every view shows it (an
	 * ESC drives nothing); the file or pipe gets the data as it is. */
	if (rc == 0 && text && tty) {
		char *esc = text_escaped(buf ? buf : "");
		free(buf);
		if (!(buf = esc))
			return -1;
		len = strlen(buf);
	}
	if (rc == 0)
		rc = field(out, buf ? buf : "", len, text);
	free(buf);
	return rc;
}

int csv_print(FILE *out, const json_t *rows, const struct csv_col *cols, size_t n)
{
	const json_t *r;
	size_t i;
	int rc = 0;
	bool tty = isatty(fileno(out));
	for (size_t k = 0; rc == 0 && k < n; k++)
		rc = fputs(k ? "," : "", out) == EOF ||
		     field(out, cols[k].key, strlen(cols[k].key), false) ? -1 : 0;
	if (rc == 0 && fputc('\n', out) == EOF)
		rc = -1;
	json_array_foreach(rows, i, r) {
		for (size_t k = 0; rc == 0 && k < n; k++)
			if ((k && fputc(',', out) == EOF) || cell(out, r, &cols[k], tty))
				rc = -1;
		if (rc == 0 && fputc('\n', out) == EOF)
			rc = -1;
		if (rc)
			break;
	}
	if (rc == 0 && fflush(out))
		rc = -1;
	return rc ? ctl_error("cannot write the CSV: out of memory, or the output failed") : 0;
}
