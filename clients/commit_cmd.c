/* commit_cmd.c: alliancectl commit: new commitments by this home's member. */
#include "ctl.h"
#include "err.h"
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
	"       alliancectl commit --batch FILE|-\n\n"
	"Promise WHAT to the named members by WHEN, signed by this home's member. The\n"
	"daemon acknowledges only once the commitment is on disk; the new id (acme/12)\n"
	"is printed. With --batch, FILE (or - for standard input) holds one JSON object\n"
	"per line: {\"what\": ..., \"to\": [names] or \"a,b\", \"due\": WHEN, \"value\": N,\n"
	"\"task\": ID}; the ids are printed one per line, in order. Nothing is committed\n"
	"unless every line is valid.\n\n"
	"  --to NAMES       beneficiaries, comma-separated member names\n"
	"  --due WHEN       ISO-8601 time (2026-12-01T17:00:00Z) or offset (+14d, +2h)\n"
	"  --value N        what it is worth, in the alliance's unit (default 0)\n"
	"  --task ID        the task it fulfils (acme/3)\n"
	"  --alliance ID    which alliance, when the daemon serves several\n"
	"  -H HOME          the home (default $ALLIANCE_HOME)\n";

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
	char **v = realloc(it->to, (it->n_to + 1) * sizeof *v);
	if (!v || !(v[it->n_to] = strndup(name, len))) {
		fputs("alliancectl: out of memory\n", stderr);
		exit(CTL_EXIT_FAIL);
	}
	it->to = v;
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

/* One JSON line of a batch into it. */
static int parse_line(const char *line, size_t n, int64_t now, struct al_commit_item *it)
{
	char where[64], why[AL_ERRLEN];
	json_error_t jerr;
	snprintf(where, sizeof where, "--batch line %zu", n);
	json_t *j = json_loads(line, 0, &jerr);
	int rc = CTL_EXIT_FAIL;
	if (!json_is_object(j)) {
		ctl_error("%s: not a JSON object (%s)", where, j ? "another JSON value" : jerr.text);
		goto out;
	}
	const char *key;
	json_t *v;
	json_object_foreach(j, key, v) {
		if (strcmp(key, "what") && strcmp(key, "to") && strcmp(key, "due") &&
		    strcmp(key, "value") && strcmp(key, "task")) {
			ctl_error("%s: unknown key '%s' (keys: what, to, due, value, task)", where, key);
			goto out;
		}
	}
	json_t *what = json_object_get(j, "what"), *to = json_object_get(j, "to"),
	       *due = json_object_get(j, "due"), *value = json_object_get(j, "value"),
	       *task = json_object_get(j, "task");
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
	if (when_parse(json_string_value(due), now, &it->due, why)) {
		ctl_error("%s: %s", where, why);
		goto out;
	}
	if (value) {
		if (json_is_integer(value) && json_integer_value(value) >= 0)
			it->value = (uint64_t)json_integer_value(value);
		else if (!json_is_string(value) || parse_value(json_string_value(value), &it->value, where))
			goto out;
	}
	if (task && !json_is_string(task)) {
		ctl_error("%s: \"task\" must be an id like acme/3", where);
		goto out;
	}
	it->task = xstrdup(task ? json_string_value(task) : "");
	rc = 0;
out:
	json_decref(j);
	return rc;
}

static int read_batch(const char *file, struct al_request *rq)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	if (!f)
		return ctl_error("cannot open batch file '%s': %s", file, strerror(errno));
	char *line = NULL;
	size_t cap = 0, n = 0;
	ssize_t len;
	int64_t now = when_now();
	int rc = 0;
	while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
		n++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (strspn(line, " \t") == (size_t)len)
			continue; /* blank lines are fine */
		struct al_commit_item *v = realloc(rq->items, (rq->n_items + 1) * sizeof *v);
		if (!v)
			return ctl_error("out of memory");
		rq->items = v;
		memset(&v[rq->n_items], 0, sizeof *v);
		rc = parse_line(line, n, now, &v[rq->n_items]);
		rq->n_items++;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	if (rc == 0 && rq->n_items == 0)
		rc = ctl_error("batch '%s' holds no commitment", file);
	return rc;
}

int cmd_commit(int argc, char **argv)
{
	enum { O_TO = 256, O_DUE, O_VALUE, O_TASK, O_BATCH, O_ALLIANCE };
	static const struct option opts[] = {
		{ "to", required_argument, NULL, O_TO },
		{ "due", required_argument, NULL, O_DUE },
		{ "value", required_argument, NULL, O_VALUE },
		{ "task", required_argument, NULL, O_TASK },
		{ "batch", required_argument, NULL, O_BATCH },
		{ "alliance", required_argument, NULL, O_ALLIANCE },
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *home_opt = NULL, *to = NULL, *due = NULL, *value = NULL, *task = NULL,
		   *batch = NULL;
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
		case O_ALLIANCE: free(rq.alliance); rq.alliance = xstrdup(optarg); break;
		default: rc = ctl_usage("commit", "bad option"); goto out;
		}
	}
	if (batch) {
		if (optind != argc || to || due || value || task) {
			rc = ctl_usage("commit", "--batch takes its commitments from the file only");
			goto out;
		}
		if ((rc = read_batch(batch, &rq)))
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
		if (!(rq.items = calloc(1, sizeof *rq.items)))
			goto out;
		rq.n_items = 1;
		struct al_commit_item *it = rq.items;
		it->what = xstrdup(argv[optind]);
		it->task = xstrdup(task);
		rc = CTL_EXIT_USAGE;
		if (split_names(it, to, "--to") || (value && parse_value(value, &it->value, "--value")))
			goto out;
		if (when_parse(due, when_now(), &it->due, why)) {
			rc = ctl_usage("commit", "--due: %s", why);
			goto out;
		}
	}
	const char *home = ctl_home(home_opt);
	if (!home)
		goto out;
	struct al_reply rp;
	if ((rc = ctl_call(home, &rq, &rp)))
		goto out;
	json_t *ids = json_loads(rp.json, 0, NULL);
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id)
		puts(json_string_value(id));
	json_decref(ids);
	control_reply_clear(&rp);
	rc = 0;
out:
	control_request_clear(&rq);
	return rc;
}
