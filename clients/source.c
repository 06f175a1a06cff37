/* source.c: what alliancectl reads offline: a home, an alliance directory
 * or a bare log file, resolved to the log (and the charter and proofs
 * beside it). Shared by audit and log. */
#include "ctl.h"
#include "charter.h"
#include "err.h"
#include "feeds.h"
#include "home.h"
#include "ledger.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool exists(const char *p)
{
	return access(p, F_OK) == 0;
}

/* Does the alliance directory dir match --alliance sel (id prefix or title)? */
static bool matches(const char *dir, const char *sel)
{
	const char *base = strrchr(dir, '/');
	base = base ? base + 1 : dir;
	if (strlen(sel) >= 4 && !strncmp(base, sel, strlen(sel)))
		return true;
	char path[4096], why[AL_ERRLEN];
	struct al_charter *c;
	if (snprintf(path, sizeof path, "%s/charter", dir) >= (int)sizeof path ||
	    charter_load(path, &c, why))
		return false;
	bool m = !strcmp(c->title, sel);
	charter_destroy(&c);
	return m;
}

/* Point s at the log that arg names. */
int ctl_resolve(const char *arg, const struct al_charter *c, const char *sel,
		struct ctl_source *s)
{
	char path[4096], why[AL_ERRLEN];
	memset(s, 0, sizeof *s);
	s->label = arg;
	if (!is_dir(arg)) {
		if (!exists(arg))
			return ctl_error("'%s' does not exist (give a home, an alliance directory "
					 "or a log file)", arg);
		snprintf(s->log, sizeof s->log, "%s", arg);
		return 0;
	}
	char dir[4096];
	snprintf(path, sizeof path, "%s/log", arg);
	if (exists(path)) {
		snprintf(dir, sizeof dir, "%s", arg);
	} else {
		al_hash *ids;
		size_t n;
		if (home_alliances(arg, &ids, &n, why))
			return ctl_error("%s", why);
		size_t pick = n, hits = 0;
		for (size_t i = 0; i < n; i++) {
			home_alliance_dir(arg, &ids[i], dir, sizeof dir);
			bool ok = c ? !memcmp(&ids[i], &c->id, AL_HASHLEN)
				    : sel ? matches(dir, sel) : true;
			if (ok)
				pick = i, hits++;
		}
		if (hits == 1)
			home_alliance_dir(arg, &ids[pick], dir, sizeof dir);
		free(ids);
		if (n == 0)
			return ctl_error("'%s' holds no alliance log (is it a home that has joined "
					 "an alliance?)", arg);
		if (hits == 0)
			return ctl_error("home '%s' has not joined %s", arg,
					 c ? "the alliance of that charter" : "that alliance");
		if (hits > 1)
			return ctl_error("home '%s' has joined %zu alliances: pick one with "
					 "--alliance ID|TITLE or --charter FILE", arg, n);
	}
	if (snprintf(s->log, sizeof s->log, "%s/log", dir) >= (int)sizeof s->log ||
	    snprintf(s->proofs, sizeof s->proofs, "%s/equivocations", dir) >= (int)sizeof s->proofs ||
	    snprintf(s->charter, sizeof s->charter, "%s/charter", dir) >= (int)sizeof s->charter)
		return ctl_error("path '%s' is too long", dir);
	s->has_proofs = true;
	/* A home's own: the alliance directory of a home (HOME/alliances/ID,
	 * HOME holding allianced.conf), which only its daemon writes. A copy of
	 * someone's alliance directory elsewhere is verified like any log. */
	char home[4200];
	s->own = snprintf(home, sizeof home, "%s/../../%s", dir, AL_CONFIG_FILE) <
			 (int)sizeof home && exists(home);
	return 0;
}

int ctl_open_log(const char *arg, const char *charter_path, const char *sel, bool need_charter,
		 struct ctl_source *src, struct al_charter **c)
{
	char why[AL_ERRLEN];
	*c = NULL;
	if (charter_path && charter_load(charter_path, c, why))
		return ctl_error("%s", why);
	if (ctl_resolve(arg, *c, sel, src)) {
		charter_destroy(c);
		return CTL_EXIT_FAIL;
	}
	if (!src->charter[0]) { /* a bare log file: a charter beside it names the members */
		const char *slash = strrchr(src->log, '/');
		snprintf(src->charter, sizeof src->charter, "%.*s/charter",
			 slash ? (int)(slash - src->log) : 1, slash ? src->log : ".");
	}
	if (!*c && access(src->charter, F_OK) == 0 && charter_load(src->charter, c, why))
		return ctl_error("%s", why);
	if (!*c && need_charter)
		return ctl_error("no charter beside '%s': give it with --charter FILE", src->log);
	return 0;
}

/* The index's reader (feeds_reader): the log opened to read. */
static int read_log(void *arg, uint64_t offset, uint8_t **buf, size_t *len, char *why)
{
	return log_read(arg, offset, buf, len, why);
}

void ctl_log_msgs_close(struct ctl_log_msgs *m)
{
	feeds_destroy(&m->index);
	log_close(&m->log);
}

int ctl_load_ledger(const char *arg, const char *charter_path, const char *sel, int64_t as_of,
		    bool verify, struct al_charter **c, struct al_roster **ro,
		    struct al_ledger **l, struct ctl_log_msgs *msgs)
{
	struct ctl_source src;
	char why[AL_ERRLEN];
	*l = NULL;
	*ro = NULL;
	if (msgs)
		memset(msgs, 0, sizeof *msgs);
	if (ctl_open_log(arg, charter_path, sel, true, &src, c))
		return CTL_EXIT_FAIL;
	if (roster_new(*c, ro)) {
		charter_destroy(c);
		return ctl_error("out of memory");
	}
	/* A home's own log: its signatures were verified when the daemon
	 * admitted each record (this trusts the files of one's own home). */
	enum al_ledger_check check = src.own && !verify ? AL_LEDGER_OWN : AL_LEDGER_VERIFY;
	if (ledger_of_log_index(src.log, *ro, as_of, check, l, msgs ? &msgs->index : NULL, why) ||
	    (msgs && log_open_read(src.log, &msgs->log, why))) {
		ledger_destroy(l);
		if (msgs)
			ctl_log_msgs_close(msgs);
		roster_destroy(ro);
		charter_destroy(c);
		return ctl_error("%s", why);
	}
	if (msgs)
		feeds_reader(msgs->index, read_log, msgs->log);
	return 0;
}

const char *ctl_log_arg(const char *cmd, const char *arg, const char *home_opt)
{
	if (arg && home_opt) {
		ctl_usage(cmd, "give either HOME|LOG or -H HOME, not both");
		return NULL;
	}
	return arg ? arg : ctl_home(home_opt);
}

int ctl_name_and_log(const char *cmd, int argc, char **argv, int first, const char **name,
		     const char **arg)
{
	*name = *arg = NULL;
	for (int i = first; i < argc; i++) {
		if (!*name && !strchr(argv[i], '/') && !*arg)
			*name = argv[i];
		else if (!*arg)
			*arg = argv[i];
		else
			return ctl_usage(cmd, "unexpected argument '%s'", argv[i]);
	}
	return 0;
}
