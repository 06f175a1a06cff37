/* charter_cmd.c: alliancectl charter new | sign | show. */
#include "ctl.h"
#include "card.h"
#include "charter.h"
#include "err.h"
#include "grow.h"
#include "hex.h"
#include "home.h"
#include "table.h"
#include "text.h"
#include "when.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char charter_usage[] =
	"usage: alliancectl charter new FILE --title T --member CARD [--member CARD ...] [options]\n"
	"       alliancectl charter sign FILE -H HOME\n"
	"       alliancectl charter show FILE [--json]\n";

static const char new_usage[] =
	"usage: alliancectl charter new FILE --title T --member CARD [--member CARD ...]\n"
	"                               [--grace DUR] [--half-life DUR] [options]\n\n"
	"Write a new, unsigned charter to FILE (which must not exist). Each member then\n"
	"signs it with 'alliancectl charter sign FILE -H HOME'; it is in force when all have.\n\n"
	"  --title T            the alliance's name (required)\n"
	"  --member CARD        a member card, or a file holding one (at least two)\n"
	"  --objective TEXT     an objective (repeatable)\n"
	"  --scope TEXT         what the alliance covers\n"
	"  --resolver NAME      a member who may resolve disputes (repeatable; default: all)\n"
	"  --resolver-role T    what the resolvers are called (default: alliance manager,\n"
	"                       or review committee when several)\n"
	"  --quorum N           members needed to amend the charter (default: a majority)\n"
	"  --grace DUR          time after a due date before overdue becomes missed (3d)\n"
	"  --half-life DUR      evidence weight halves every DUR (90d)\n"
	"  --skew DUR           how far ahead a message's clock may be (300s)\n"
	"  --param KEY=VALUE    another trust parameter (see docs/trust.md): w_on_time,\n"
	"                       w_late, w_missed, w_disputed, w_rating (per-mille),\n"
	"                       warn_trust, warn_uncertainty, warn_reciprocity (per-mille),\n"
	"                       warn_misses, value_unit\n"
	"DUR is a number with s, m, h, d or w (72h, 14d). The title, objectives, scope\n"
	"and resolver role may not hold control characters, bidi controls or line\n"
	"separators (see 'alliancectl commit --help').\n";

static const char sign_usage[] =
	"usage: alliancectl charter sign FILE -H HOME\n\n"
	"Sign the charter in FILE as the member whose home is HOME (default:\n"
	"$ALLIANCE_HOME). FILE is replaced atomically with the signature added.\n";

static const char show_usage[] =
	"usage: alliancectl charter show FILE [--json]\n\n"
	"Print the charter in FILE, who has signed it, and whether it is in force.\n"
	"Every signature is verified; a tampered charter is an error.\n";

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d) {
		fprintf(stderr, "alliancectl: out of memory\n");
		exit(CTL_EXIT_FAIL);
	}
	return d;
}

/* A copy of s onto the list *v of *n strings, with room for *cap. */
static void push(char ***v, size_t *n, size_t *cap, const char *s)
{
	if (grow(v, cap, *n + 1, sizeof **v)) {
		fprintf(stderr, "alliancectl: out of memory\n");
		exit(CTL_EXIT_FAIL);
	}
	(*v)[(*n)++] = xstrdup(s);
}

/* --param KEY=VALUE onto p. */
static int set_param(struct al_params *p, const char *kv)
{
	char why[AL_ERRLEN];
	return charter_set_param(p, kv, why) ? ctl_usage("charter new", "%s", why) : 0;
}

/* Does text_check refuse s (may be NULL), valid UTF-8, as field? */
static bool refused_text(const char *field, const char *s, char *why)
{
	return s && text_utf8(s, NULL) && text_check(field, s, why);
}

static int charter_new(int argc, char **argv)
{
	enum { O_TITLE = 256, O_MEMBER, O_GRACE, O_HALF, O_OBJ, O_SCOPE, O_RESOLVER, O_ROLE,
	       O_QUORUM, O_SKEW, O_PARAM };
	static const struct option opts[] = {
		{ "title", required_argument, NULL, O_TITLE },
		{ "member", required_argument, NULL, O_MEMBER },
		{ "grace", required_argument, NULL, O_GRACE },
		{ "half-life", required_argument, NULL, O_HALF },
		{ "objective", required_argument, NULL, O_OBJ },
		{ "scope", required_argument, NULL, O_SCOPE },
		{ "resolver", required_argument, NULL, O_RESOLVER },
		{ "resolver-role", required_argument, NULL, O_ROLE },
		{ "quorum", required_argument, NULL, O_QUORUM },
		{ "skew", required_argument, NULL, O_SKEW },
		{ "param", required_argument, NULL, O_PARAM },
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct al_charter *c = calloc(1, sizeof *c);
	char why[AL_ERRLEN];
	int rc = CTL_EXIT_FAIL, opt;
	const char *quorum_arg = NULL;
	size_t cap_objectives = 0, cap_resolvers = 0; /* room in c's lists */
	if (!c)
		return ctl_error("out of memory");
	c->version = AL_FORMAT_VERSION;
	charter_default_params(&c->params);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "hH:", opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(new_usage, stdout);
			rc = 0;
			goto out;
		case 'H':
			break; /* not needed to write a charter */
		case O_TITLE:
			free(c->title);
			c->title = xstrdup(optarg);
			break;
		case O_MEMBER: {
			struct al_member m;
			if (ctl_read_card(optarg, &m))
				goto out;
			if (grow(&c->members, &c->cap_members, c->n_members + 1, sizeof *c->members))
				goto out;
			c->members[c->n_members++] = m;
			break;
		}
		case O_GRACE:
		case O_HALF:
		case O_SKEW: {
			uint64_t *dst = opt == O_GRACE ? &c->params.grace :
					opt == O_HALF ? &c->params.half_life : &c->params.skew;
			if (duration_parse(optarg, dst, why)) {
				rc = ctl_usage("charter new", "%s", why);
				goto out;
			}
			break;
		}
		case O_OBJ:
			push(&c->objectives, &c->n_objectives, &cap_objectives, optarg);
			break;
		case O_SCOPE:
			free(c->scope);
			c->scope = xstrdup(optarg);
			break;
		case O_RESOLVER:
			push(&c->resolvers, &c->n_resolvers, &cap_resolvers, optarg);
			break;
		case O_ROLE:
			free(c->resolver_role);
			c->resolver_role = xstrdup(optarg);
			break;
		case O_QUORUM:
			quorum_arg = optarg; /* checked once the members are known */
			break;
		case O_PARAM:
			if ((rc = set_param(&c->params, optarg)))
				goto out;
			rc = CTL_EXIT_FAIL;
			break;
		default:
			rc = ctl_usage("charter new", "bad option");
			goto out;
		}
	}
	if (optind + 1 != argc) {
		rc = ctl_usage("charter new", optind >= argc ? "charter new needs FILE"
							       : "unexpected argument '%s'",
			       optind < argc ? argv[optind + 1] : "");
		goto out;
	}
	const char *file = argv[optind];
	if (!c->title) {
		rc = ctl_usage("charter new", "charter new needs --title");
		goto out;
	}
	if (c->n_members < 2) {
		rc = ctl_usage("charter new", "an alliance needs at least two --member CARD");
		goto out;
	}
	/* The members sign this text and show it: no control, bidi or
	 * separator characters (text_check; tabs and newlines are fine).
	 * Text that is not UTF-8 is charter_build's to refuse, naming the
	 * charter's field and the byte. */
	if (refused_text("--title", c->title, why) || refused_text("--scope", c->scope, why) ||
	    refused_text("--resolver-role", c->resolver_role, why)) {
		rc = ctl_usage("charter new", "%s", why);
		goto out;
	}
	for (size_t i = 0; i < c->n_objectives; i++) {
		char what[48];
		snprintf(what, sizeof what, "--objective %zu", i + 1);
		if (refused_text(what, c->objectives[i], why)) {
			rc = ctl_usage("charter new", "%s", why);
			goto out;
		}
	}
	if (c->n_resolvers == 0)
		for (size_t i = 0; i < c->n_members; i++)
			push(&c->resolvers, &c->n_resolvers, &cap_resolvers, c->members[i].name);
	if (!c->resolver_role)
		c->resolver_role = xstrdup(c->n_resolvers == 1 ? "alliance manager" : "review committee");
	if (!c->scope)
		c->scope = xstrdup("");
	c->quorum = (uint32_t)(c->n_members / 2 + 1);
	if (quorum_arg) {
		/* Digits only, and at most the members: never wrapped or cut to fit. */
		uint64_t q;
		if (!text_uint(quorum_arg, c->n_members, &q) || q < 1) {
			rc = ctl_usage("charter new", "bad --quorum '%s': give a number of members "
				       "from 1 to %zu (this charter has %zu members)", quorum_arg,
				       c->n_members, c->n_members);
			goto out;
		}
		c->quorum = (uint32_t)q;
	}
	c->created = when_now();
	randombytes_buf(c->nonce, sizeof c->nonce);
	if (charter_build(c, why)) {
		rc = ctl_error("%s", why);
		goto out;
	}
	if (charter_save(c, file, true, why)) {
		rc = ctl_error("%s%s", why, strstr(why, "File exists") ? " (choose a new file; "
				"a charter is never overwritten)" : "");
		goto out;
	}
	char hex[2 * AL_HASHLEN + 1];
	printf("wrote charter '%s' to %s: %zu members, unsigned\n", c->title, file, c->n_members);
	printf("next: each member signs it with 'alliancectl charter sign %s -H HOME'\n", file);
	printf("alliance id %s\n", hex_encode(c->id.b, AL_HASHLEN, hex));
	rc = 0;
out:
	charter_destroy(&c);
	return rc;
}

static int parse_file_and_home(const char *cmd, const char *usage_text, int argc, char **argv,
			       const char **file, const char **home, int *json)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;
	*home = NULL;
	if (json)
		*json = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "hH:", opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		case 'H':
			*home = optarg;
			break;
		case 'j':
			if (!json)
				return ctl_usage(cmd, "%s has no --json", cmd);
			*json = 1;
			break;
		default:
			return ctl_usage(cmd, "bad option");
		}
	}
	if (optind + 1 != argc)
		return ctl_usage(cmd, optind >= argc ? "%s needs FILE" : "%s takes one FILE", cmd);
	*file = argv[optind];
	return 0;
}

static size_t n_signed(const struct al_charter *c)
{
	size_t k = 0;
	for (size_t i = 0; i < c->n_members; i++)
		k += charter_signed_by(c, &c->members[i].sign_key);
	return k;
}

static int charter_sign_cmd(int argc, char **argv)
{
	const char *file, *home_opt;
	int rc = parse_file_and_home("charter sign", sign_usage, argc, argv, &file, &home_opt, NULL);
	if (rc)
		return rc < 0 ? 0 : rc;
	const char *home_dir = ctl_home(home_opt);
	if (!home_dir)
		return CTL_EXIT_USAGE;
	char why[AL_ERRLEN];
	struct al_home *h = NULL;
	struct al_charter *c = NULL;
	rc = CTL_EXIT_FAIL;
	if (home_open(home_dir, &h, why)) {
		ctl_error("%s", why);
		goto out;
	}
	if (charter_load(file, &c, why)) {
		ctl_error("%s", why);
		goto out;
	}
	const struct al_member *m = charter_founder(c, &h->self.sign_key);
	if (m && (memcmp(&m->transport_key, &h->self.transport_key, AL_KEYLEN) ||
		  strcmp(m->endpoint, h->self.endpoint) || strcmp(m->name, h->self.name))) {
		ctl_error("charter '%s' lists this home's signing key as '%s' at %s, but this home "
			  "is '%s' at %s with another transport key or endpoint; ask for a charter "
			  "made from this home's current card (%s/member.card)", c->title, m->name,
			  m->endpoint, h->self.name, h->self.endpoint, home_dir);
		goto out;
	}
	if (charter_sign(c, h->id, why)) {
		ctl_error("%s", why);
		goto out;
	}
	if (charter_save(c, file, false, why)) {
		ctl_error("%s", why);
		goto out;
	}
	char waiting[1024], *title = text_escaped(c->title); /* another firm may have written it */
	if (!title) {
		ctl_error("out of memory");
		goto out;
	}
	charter_unsigned_list(c, waiting, sizeof waiting);
	if (charter_in_force(c))
		printf("%s signed charter '%s' (%zu of %zu): the charter is in force\n",
		       m->name, title, n_signed(c), c->n_members);
	else
		printf("%s signed charter '%s' (%zu of %zu); waiting for %s\n", m->name, title,
		       n_signed(c), c->n_members, waiting);
	free(title);
	rc = 0;
out:
	charter_destroy(&c);
	home_close(&h);
	return rc;
}

static json_t *member_json(const struct al_charter *c, const struct al_member *m)
{
	char sk[2 * AL_KEYLEN + 1], tk[2 * AL_KEYLEN + 1];
	return json_pack("{s:s, s:s, s:s, s:s, s:b}", "name", m->name, "sign_key",
			 hex_encode(m->sign_key.b, AL_KEYLEN, sk), "transport_key",
			 hex_encode(m->transport_key.b, AL_KEYLEN, tk), "endpoint", m->endpoint,
			 "signed", charter_signed_by(c, &m->sign_key));
}

static json_t *params_json(const struct al_params *p)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			 "half_life", (json_int_t)p->half_life, "grace", (json_int_t)p->grace,
			 "skew", (json_int_t)p->skew, "w_on_time", (json_int_t)p->w_on_time,
			 "w_late", (json_int_t)p->w_late, "w_missed", (json_int_t)p->w_missed,
			 "w_disputed", (json_int_t)p->w_disputed, "w_rating",
			 (json_int_t)p->w_rating, "warn_trust", (json_int_t)p->warn_trust,
			 "warn_uncertainty", (json_int_t)p->warn_uncertainty, "warn_misses",
			 (json_int_t)p->warn_misses, "warn_reciprocity",
			 (json_int_t)p->warn_reciprocity, "value_unit", (json_int_t)p->value_unit);
}

/* NULL (not an array with a gap) when an element cannot be made. */
static json_t *strv_json(char **v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(v[i]))) {
			json_decref(a);
			a = NULL;
		}
	return a;
}

/* One line: prefix, then text escaped (text.h). */
static void put_line(const char *prefix, const char *text)
{
	char *e = text_escaped(text);
	printf("%s%s\n", prefix, e ? e : "? (out of memory)");
	free(e);
}

static int charter_show_cmd(int argc, char **argv)
{
	const char *file, *home_opt;
	int json;
	int rc = parse_file_and_home("charter show", show_usage, argc, argv, &file, &home_opt, &json);
	if (rc)
		return rc < 0 ? 0 : rc;
	char why[AL_ERRLEN], hex[2 * AL_HASHLEN + 1], t[AL_WHENLEN], d[AL_WHENLEN];
	struct al_charter *c = NULL;
	if (charter_load(file, &c, why))
		return ctl_error("%s", why);
	hex_encode(c->id.b, AL_HASHLEN, hex);
	if (json) {
		json_t *members = json_array();
		for (size_t i = 0; members && i < c->n_members; i++)
			if (json_array_append_new(members, member_json(c, &c->members[i]))) {
				json_decref(members);
				members = NULL; /* then json_pack fails: an error, no gap */
			}
		json_t *j = json_pack("{s:s, s:i, s:s, s:o, s:s, s:o, s:o, s:s, s:i, s:o, s:s, s:i, s:b}",
				      "id", hex, "version", (int)c->version, "title", c->title,
				      "objectives", strv_json(c->objectives, c->n_objectives),
				      "scope", c->scope, "members", members, "resolvers",
				      strv_json(c->resolvers, c->n_resolvers), "resolver_role",
				      c->resolver_role, "quorum", (int)c->quorum, "params",
				      params_json(&c->params), "created", when_format(c->created, t),
				      "signatures", (int)n_signed(c), "in_force", charter_in_force(c));
		if (ctl_print_json(j)) {
			charter_destroy(&c);
			return CTL_EXIT_FAIL;
		}
	} else {
		/* The charter's text is its author's: shown escaped (text.h). */
		char name[4 * AL_NAME_MAX + 1], ep[4 * AL_ENDPOINT_MAX + 1];
		put_line("charter   ", c->title);
		printf("id        %s\n", hex);
		printf("created   %s\n", when_format(c->created, t));
		for (size_t i = 0; i < c->n_objectives; i++)
			put_line("objective ", c->objectives[i]);
		if (*c->scope)
			put_line("scope     ", c->scope);
		printf("members   %zu\n", c->n_members);
		struct ctl_table *tbl = ctl_table_new(2, "  "); /* name, endpoint, signed */
		for (int k = 0; tbl && k < 3; k++)
			ctl_table_col(tbl, "", 0);
		for (size_t i = 0; tbl && i < c->n_members; i++) {
			const struct al_member *m = &c->members[i];
			ctl_table_cell(tbl, ctl_esc(m->name, name, sizeof name));
			ctl_table_cell(tbl, ctl_esc(m->endpoint, ep, sizeof ep));
			ctl_table_cell(tbl, charter_signed_by(c, &m->sign_key) ? "signed" : "NOT SIGNED");
		}
		if (!tbl || ctl_table_print(tbl, stdout, ctl_table_columns()))
			ctl_error("out of memory");
		ctl_table_destroy(&tbl);
		char *role = text_escaped(c->resolver_role);
		printf("disputes  resolved by the %s: ", role ? role : "?");
		free(role);
		for (size_t i = 0; i < c->n_resolvers; i++)
			printf("%s%s", i ? ", " : "", ctl_esc(c->resolvers[i], name, sizeof name));
		printf("\namendments need %u of %zu members\n", c->quorum, c->n_members);
		printf("trust     half-life %s, grace %s, clock skew %s\n",
		       duration_format(c->params.half_life, t), duration_format(c->params.grace, d),
		       duration_format(c->params.skew, hex));
		char waiting[1024];
		charter_unsigned_list(c, waiting, sizeof waiting);
		if (charter_in_force(c))
			printf("status    in force: signed by all %zu members\n", c->n_members);
		else
			printf("status    not in force: %zu of %zu signatures; waiting for %s\n",
			       n_signed(c), c->n_members, waiting);
	}
	charter_destroy(&c);
	return 0;
}

int cmd_charter(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(charter_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? CTL_EXIT_USAGE : 0;
	}
	if (!strcmp(argv[1], "new"))
		return charter_new(argc - 1, argv + 1);
	if (!strcmp(argv[1], "sign"))
		return charter_sign_cmd(argc - 1, argv + 1);
	if (!strcmp(argv[1], "show"))
		return charter_show_cmd(argc - 1, argv + 1);
	return ctl_usage("charter", "unknown charter command '%s' (new, sign or show)", argv[1]);
}
