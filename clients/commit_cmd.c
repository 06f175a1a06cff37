/* commit_cmd.c: alliancectl commit: new commitments by this home's member. */
#include "ctl.h"
#include "err.h"
#include "grow.h"
#include "msg.h"
#include "text.h"
#include "when.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char commit_usage[] =
	"usage: alliancectl commit WHAT --to NAME[,NAME...] --due WHEN [--value N] [--task ID]\n"
	"                          [--key KEY] [--past]\n"
	"       alliancectl commit --batch FILE|- [--past]\n\n"
	"Promise WHAT to the named members by WHEN, signed by this home's member. The\n"
	"daemon acknowledges only once the commitment is on disk; the new id (acme/12)\n"
	"is printed. A due time already past is refused unless --past says it is meant\n"
	"(a commitment recorded overdue).\n\n"
	"--key KEY makes a retry safe: if the reply was lost (a timeout, a daemon\n"
	"killed), run the same command again with the same KEY and it prints the id\n"
	"of the commitment the first one made, signing nothing new. A KEY is 1 to 64\n"
	"characters of A-Z a-z 0-9 . _ : - chosen by you, once per commitment (a\n"
	"KEY used for another commitment is refused). It is a retry token, not a\n"
	"secret: it goes into the signed message and every partner sees it. With a\n"
	"KEY the due time is compared on a retry unless given from now (+14d).\n\n"
	"With --batch, FILE (or - for standard input) holds one JSON object per line:\n"
	"{\"what\": TEXT, \"to\": [NAMES] or \"a,b\", \"due\": WHEN, \"value\": N, \"task\": ID,\n"
	"\"key\": KEY, \"past\": true} (value, task, key, past optional; each JSON key\n"
	"once). Every line is checked before anything is sent; a bad line is named.\n"
	"The lines then go to the daemon in order, 256 at a time, and each id is\n"
	"printed, one per line in the file's order, as soon as it is on disk.\n"
	"What that guarantees: every printed id is committed. If the command stops\n"
	"early (the daemon refused a line, was killed, did not answer), the lines\n"
	"after the last printed id may or may not be committed. Give every line a\n"
	"key, and running the same batch again is safe: it commits only what is\n"
	"missing and prints every line's id.\n\n"
	"WHAT is signed and shown to every partner: it may hold newlines and tabs, but\n"
	"control characters (ESC, CR, DEL, C1), bidi controls (U+202A..U+202E,\n"
	"U+2066..U+2069, U+200E, U+200F, U+061C) and line separators (U+2028, U+2029)\n"
	"are refused, as in every text this home signs (notes, reasons, comments).\n\n"
	"  --to NAMES       beneficiaries, comma-separated member names\n"
	"  --due WHEN       ISO-8601 time (2026-12-01T17:00:00Z) or offset (+14d, +2h)\n"
	"  --value N        what it is worth, in the alliance's unit (default 0)\n"
	"  --task ID        the task it fulfils (acme/3)\n"
	"  --key KEY        idempotency key: a retry with it returns the same id\n"
	"  --past           the due time may be in the past (with --batch: every line)\n"
	"  --alliance ID    which alliance, when the daemon serves several\n"
	"  -H HOME          the home (default $ALLIANCE_HOME)\n";

/* Lines of a batch sent in one request: each reply (after the fsync) is
 * printed before the next goes, so an interruption loses at most one
 * request's worth of ids from the output, never from the log. */
#define BATCH_CHUNK 256

static char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d) {
		fputs("alliancectl: out of memory\n", stderr);
		exit(CTL_EXIT_FAIL);
	}
	return d;
}

static void add_to(struct al_commit_item *it, const char *name, size_t len)
{
	if (grow(&it->to, &it->cap_to, it->n_to + 1, sizeof *it->to) ||
	    !(it->to[it->n_to] = strndup(name, len))) {
		fputs("alliancectl: out of memory\n", stderr);
		exit(CTL_EXIT_FAIL);
	}
	it->n_to++;
}

/* "a,b,c" onto it->to; empty names are an error. */
static int split_names(struct al_commit_item *it, const char *s, const char *where)
{
	for (const char *p = s;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == 0)
			return ctl_error("%s: empty name in '%s' (use NAME[,NAME...])", where, s);
		add_to(it, p, len);
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static int parse_value(const char *s, uint64_t *v, const char *where)
{
	if (!text_uint(s, UINT64_MAX, v))
		return ctl_error("%s: bad value '%s' (a whole number from 0 to %" PRIu64
				 ", digits only)", where, s, UINT64_MAX);
	return 0;
}

/* WHEN into it->due (from now, or absolute), noting an offset: a retry
 * under a key reads an offset anew, so it is not compared then. */
static int parse_due(const char *s, int64_t now, struct al_commit_item *it, const char *where)
{
	char why[AL_ERRLEN];
	if (when_parse(s, now, &it->due, why))
		return ctl_error("%s: %s", where, why);
	it->due_offset = *s == '+' || *s == '-';
	return 0;
}

/* A due time already past, without past: refused here before anything is
 * sent. Only for an item without a key: one with a key may be a retry of a
 * commitment made before its due time passed, which only the daemon can
 * tell (it checks every new one again, against the clock that signs). */
static int check_past(const struct al_commit_item *it, int64_t now, const char *where,
		      bool batch)
{
	char t[AL_WHENLEN], n[AL_WHENLEN];
	if (it->past || *it->key || it->due >= now)
		return 0;
	return ctl_error("%s: --due %s is in the past (it is %s); give %s to record a "
			 "commitment already overdue", where, when_format(it->due, t),
			 when_format(now, n),
			 batch ? "\"past\": true on the line, or --past for the whole batch,"
			       : "--past");
}

/* The JSON value v as text, for an error message (caller frees). */
static char *json_text(const json_t *v)
{
	char *s = json_dumps(v, JSON_ENCODE_ANY);
	return s ? s : xstrdup("?");
}

/* One JSON line of a batch into it: every key known and once, every value
 * of its type and range. */
static int parse_line(const char *line, size_t n, int64_t now, bool past_all,
		      struct al_commit_item *it)
{
	char where[64], why[AL_ERRLEN];
	json_error_t jerr;
	snprintf(where, sizeof where, "--batch line %zu", n);
	it->line = (uint32_t)n;
	json_t *j = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
	int rc = CTL_EXIT_USAGE; /* a bad line is bad input: nothing was sent */
	if (!j && strstr(jerr.text, "duplicate object key")) {
		ctl_error("%s: %s (give each key once)", where, jerr.text);
		goto out;
	}
	if (!json_is_object(j)) {
		ctl_error("%s: not a JSON object (%s)", where, j ? "another JSON value" : jerr.text);
		goto out;
	}
	const char *key;
	json_t *v;
	json_object_foreach(j, key, v) {
		if (strcmp(key, "what") && strcmp(key, "to") && strcmp(key, "due") &&
		    strcmp(key, "value") && strcmp(key, "task") && strcmp(key, "key") &&
		    strcmp(key, "past")) {
			ctl_error("%s: unknown key '%s' (keys: what, to, due, value, task, key, "
				  "past)", where, key);
			goto out;
		}
	}
	json_t *what = json_object_get(j, "what"), *to = json_object_get(j, "to"),
	       *due = json_object_get(j, "due"), *value = json_object_get(j, "value"),
	       *task = json_object_get(j, "task"), *ikey = json_object_get(j, "key"),
	       *past = json_object_get(j, "past");
	if (!json_is_string(what) || !to || !json_is_string(due)) {
		ctl_error("%s: needs \"what\" (text), \"to\" and \"due\" (WHEN)", where);
		goto out;
	}
	it->what = xstrdup(json_string_value(what));
	if (json_is_string(to)) {
		if (split_names(it, json_string_value(to), where))
			goto out;
	} else if (json_is_array(to)) {
		size_t i;
		json_t *name;
		json_array_foreach(to, i, name) {
			if (!json_is_string(name)) {
				ctl_error("%s: \"to\" must hold member names", where);
				goto out;
			}
			add_to(it, json_string_value(name), strlen(json_string_value(name)));
		}
	} else {
		ctl_error("%s: \"to\" must be a list of names or \"a,b\"", where);
		goto out;
	}
	if (parse_due(json_string_value(due), now, it, where))
		goto out;
	/* A JSON integer, nothing else: not 1.5, not -1, not "7" (a string
	 * where a number belongs is a mistake somewhere upstream). */
	if (value && (!json_is_integer(value) || json_integer_value(value) < 0)) {
		char *got = json_text(value);
		ctl_error("%s: \"value\" must be a whole number from 0 to %" JSON_INTEGER_FORMAT
			  ": got %s", where, (json_int_t)INT64_MAX, got);
		free(got);
		goto out;
	}
	it->value = value ? (uint64_t)json_integer_value(value) : 0;
	if (task && !json_is_string(task)) {
		ctl_error("%s: \"task\" must be an id like acme/3", where);
		goto out;
	}
	it->task = xstrdup(task ? json_string_value(task) : "");
	if (ikey && (!json_is_string(ikey) ||
		     msg_check_idempotency_key(json_string_value(ikey), why))) {
		if (!json_is_string(ikey))
			ctl_error("%s: \"key\" must be a string of 1 to %d characters of A-Z a-z "
				  "0-9 . _ : -", where, AL_IDEMPOTENCY_KEY_MAX);
		else
			ctl_error("%s: %s", where, why);
		goto out;
	}
	it->key = xstrdup(ikey ? json_string_value(ikey) : "");
	if (past && !json_is_boolean(past)) {
		char *got = json_text(past);
		ctl_error("%s: \"past\" must be true or false: got %s", where, got);
		free(got);
		goto out;
	}
	it->past = past_all || json_is_true(past);
	rc = check_past(it, now, where, true) ? CTL_EXIT_USAGE : 0;
out:
	json_decref(j);
	return rc;
}

static int cmp_key(const void *x, const void *y)
{
	const struct al_commit_item *const *a = x, *const *b = y;
	int c = strcmp((*a)->key, (*b)->key);
	return c ? c : ((*a)->line > (*b)->line) - ((*a)->line < (*b)->line);
}

/* One key for one commitment: two lines with one key are refused, naming
 * both (sorted, not compared pairwise: a batch may be long). */
static int distinct_keys(const struct al_request *rq)
{
	const struct al_commit_item **v = calloc(rq->n_items ? rq->n_items : 1, sizeof *v);
	size_t n = 0;
	int rc = 0;
	if (!v)
		return ctl_error("out of memory");
	for (size_t i = 0; i < rq->n_items; i++)
		if (*rq->items[i].key)
			v[n++] = &rq->items[i];
	qsort(v, n, sizeof *v, cmp_key);
	for (size_t i = 1; i < n && !rc; i++)
		if (!strcmp(v[i - 1]->key, v[i]->key) && ctl_error("--batch lines %" PRIu32 " and %" PRIu32 " have the same key "
				       "'%s': a key names one commitment (give each line its own)",
				       v[i - 1]->line, v[i]->line, v[i]->key))
			rc = CTL_EXIT_USAGE;
	free(v);
	return rc;
}

static int read_batch(const char *file, bool past_all, struct al_request *rq)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	if (!f)
		return ctl_error("cannot open batch file '%s': %s", file, strerror(errno));
	char *line = NULL;
	size_t cap = 0, n = 0, room = 0; /* room: in rq->items */
	ssize_t len;
	int64_t now = when_now();
	int rc = 0;
	while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
		n++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (strspn(line, " \t") == (size_t)len)
			continue; /* blank lines are fine */
		if (n > UINT32_MAX) {
			rc = ctl_error("batch '%s' is longer than %" PRIu32 " lines", file, UINT32_MAX);
			break;
		}
		if (grow(&rq->items, &room, rq->n_items + 1, sizeof *rq->items)) {
			rc = ctl_error("out of memory");
			break;
		}
		memset(&rq->items[rq->n_items], 0, sizeof *rq->items);
		rc = parse_line(line, n, now, past_all, &rq->items[rq->n_items]);
		rq->n_items++;
	}
	if (rc == 0 && ferror(f))
		rc = ctl_error("cannot read batch file '%s': %s", file, strerror(errno));
	free(line);
	if (f != stdin)
		fclose(f);
	if (rc == 0 && rq->n_items == 0 && ctl_error("batch '%s' holds no commitment", file))
		rc = CTL_EXIT_USAGE;
	if (rc == 0)
		rc = distinct_keys(rq);
	return rc;
}

/* Send the items of rq in order, at most chunk per request, printing each
 * reply's ids (flushed) as it comes: they are durable by then. */
static int send_items(const char *home, const struct al_request *rq, size_t chunk)
{
	size_t done = 0;
	bool refused = false;
	while (done < rq->n_items) {
		struct al_request part = *rq; /* borrows rq's items */
		struct al_reply rp;
		part.items = rq->items + done;
		part.n_items = rq->n_items - done < chunk ? rq->n_items - done : chunk;
		int rc = ctl_call_refused(home, &part, &rp, &refused);
		if (rc == CTL_EXIT_USAGE)
			return rc; /* nothing was sent */
		if (rc)
			goto stopped;
		json_t *ids = json_loads(rp.json, 0, NULL);
		control_reply_clear(&rp);
		if (!json_is_array(ids) || json_array_size(ids) != part.n_items) {
			json_decref(ids);
			ctl_error("the daemon's answer does not hold %zu ids", part.n_items);
			goto stopped;
		}
		size_t i;
		json_t *id;
		json_array_foreach(ids, i, id)
			puts(json_string_value(id) ? json_string_value(id) : "?");
		json_decref(ids);
		if (fflush(stdout) == EOF)
			return ctl_error("cannot write the ids: %s", strerror(errno));
		done += part.n_items;
	}
	return 0;
stopped:
	if (rq->items[0].line && (done || !refused)) {
		/* What a person needs to finish the batch. A refused request
		 * changed nothing (its lines are all checked first); one not
		 * answered may have been carried out. */
		bool keyed = true;
		for (size_t i = done; i < rq->n_items; i++)
			keyed &= *rq->items[i].key != '\0';
		const char *rerun = keyed ? " (every line has a key: running the same batch "
					    "again is safe, it commits only what is missing)" : "";
		if (done)
			ctl_error("the ids printed (--batch lines up to %" PRIu32 ") are committed; "
				  "line %" PRIu32 " and after %s%s", rq->items[done - 1].line,
				  rq->items[done].line, refused ? "are not" : "may or may not be",
				  rerun);
		else
			ctl_error("no id was printed: the batch's lines may or may not be "
				  "committed%s", rerun);
	}
	return CTL_EXIT_FAIL;
}

int cmd_commit(int argc, char **argv)
{
	enum { O_TO = 256, O_DUE, O_VALUE, O_TASK, O_BATCH, O_ALLIANCE, O_KEY, O_PAST };
	static const struct option opts[] = {
		{ "to", required_argument, NULL, O_TO },
		{ "due", required_argument, NULL, O_DUE },
		{ "value", required_argument, NULL, O_VALUE },
		{ "task", required_argument, NULL, O_TASK },
		{ "batch", required_argument, NULL, O_BATCH },
		{ "alliance", required_argument, NULL, O_ALLIANCE },
		{ "key", required_argument, NULL, O_KEY },
		{ "past", no_argument, NULL, O_PAST },
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *home_opt = NULL, *to = NULL, *due = NULL, *value = NULL, *task = NULL,
		   *batch = NULL, *key = NULL;
	bool past = false;
	struct al_request rq = { .op = AL_OP_COMMIT };
	int opt, rc = CTL_EXIT_USAGE;
	char why[AL_ERRLEN];
	rq.alliance = xstrdup("");
	optind = 1;
	while ((opt = getopt_long(argc, argv, "hH:", opts, NULL)) != -1) {
		switch (opt) {
		case 'h': fputs(commit_usage, stdout); rc = 0; goto out;
		case 'H': home_opt = optarg; break;
		case O_TO: to = optarg; break;
		case O_DUE: due = optarg; break;
		case O_VALUE: value = optarg; break;
		case O_TASK: task = optarg; break;
		case O_BATCH: batch = optarg; break;
		case O_KEY: key = optarg; break;
		case O_PAST: past = true; break;
		case O_ALLIANCE: free(rq.alliance); rq.alliance = xstrdup(optarg); break;
		default: rc = ctl_usage("commit", "bad option"); goto out;
		}
	}
	if (batch) {
		if (optind != argc || to || due || value || task || key) {
			rc = ctl_usage("commit", "--batch takes its commitments (and their keys) from "
				       "the file only");
			goto out;
		}
		if ((rc = read_batch(batch, past, &rq)))
			goto out;
	} else {
		if (optind + 1 != argc) {
			rc = ctl_usage("commit", optind >= argc ? "commit needs WHAT (or --batch FILE)"
						: "commit takes one WHAT; quote it if it has spaces");
			goto out;
		}
		if (!to || !due) {
			rc = ctl_usage("commit", "commit needs --to NAME[,NAME...] and --due WHEN");
			goto out;
		}
		if (key && msg_check_idempotency_key(key, why)) {
			rc = ctl_usage("commit", "--key: %s", why);
			goto out;
		}
		if (!(rq.items = calloc(1, sizeof *rq.items)))
			goto out;
		rq.n_items = 1;
		struct al_commit_item *it = rq.items;
		int64_t now = when_now();
		it->what = xstrdup(argv[optind]);
		it->task = xstrdup(task);
		it->key = xstrdup(key);
		it->past = past;
		if (split_names(it, to, "--to") || (value && parse_value(value, &it->value, "--value")))
			goto out;
		if (when_parse(due, now, &it->due, why)) {
			rc = ctl_usage("commit", "--due: %s", why);
			goto out;
		}
		it->due_offset = *due == '+' || *due == '-';
		if (check_past(it, now, "commit", false))
			goto out;
	}
	const char *home = ctl_home(home_opt);
	if (!home)
		goto out;
	rc = send_items(home, &rq, batch ? BATCH_CHUNK : 1);
out:
	control_request_clear(&rq);
	return rc;
}
