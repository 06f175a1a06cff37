/* home.c: creating and opening a partner's home; see home.h. */
#include "home.h"
#include "card.h"
#include "err.h"
#include "file.h"
#include "grow.h"
#include "hex.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int home_path(const char *dir, const char *rel, char *buf, size_t n)
{
	return snprintf(buf, n, "%s/%s", dir, rel) >= (int)n ? AL_E_INVAL : AL_OK;
}

int home_alliance_dir(const char *dir, const al_hash *id, char *buf, size_t n)
{
	char hex[2 * AL_HASHLEN + 1];
	return snprintf(buf, n, "%s/alliances/%s", dir, hex_encode(id->b, AL_HASHLEN, hex)) >=
			       (int)n ? AL_E_INVAL : AL_OK;
}

static int write_config(const char *path, const struct al_member *m, const char *listen,
			char *why)
{
	char sk[2 * AL_KEYLEN + 1], tk[2 * AL_KEYLEN + 1], buf[2048];
	int n = snprintf(buf, sizeof buf,
			 "# allianced configuration: see docs/config.md\n"
			 "[member]\n"
			 "# this partner's name in every charter it signs\n"
			 "name = %s\n"
			 "# what the daemon binds: an address of this machine, or\n"
			 "# tcp://0.0.0.0:PORT / tcp://*:PORT for all of them\n"
			 "listen = %s\n"
			 "# the endpoint on the member card, which partners dial: a DNS name\n"
			 "# or an address they reach (a NAT's or load balancer's); it changes\n"
			 "# in the alliance only by 'alliancectl amend --endpoint'\n"
			 "advertise = %s\n"
			 "# public keys of sign.key and transport.key (checked at start)\n"
			 "sign_public = %s\n"
			 "transport_public = %s\n"
			 "\n"
			 "[daemon]\n"
			 "# a group whose members may use the control socket (mode 0660);\n"
			 "# unset, only this user may\n"
			 "#control_group = allianced\n"
			 "# error, warn, info or debug (re-read on SIGHUP)\n"
			 "log_level = info\n"
			 "# after a start, authoring waits for a peer to confirm this member's\n"
			 "# feed head, so that it never forks; with no peer answering for this\n"
			 "# many seconds, author alone anyway (unset: wait for a peer)\n"
			 "#author_alone_after = 600\n",
			 m->name, listen, m->endpoint, hex_encode(m->sign_key.b, AL_KEYLEN, sk),
			 hex_encode(m->transport_key.b, AL_KEYLEN, tk));
	return file_create(path, buf, (size_t)n, 0600, why);
}

int home_check_addresses(const char *listen, const char *advertise, char *card_endpoint,
			 char *why)
{
	bool concrete;
	char err[AL_ERRLEN];
	int rc = card_check_listen(listen, &concrete, why);
	if (rc)
		return rc;
	if (!advertise && !concrete)
		return al_errf(why, AL_E_INVAL, "listen endpoint '%s' is not one address partners can "
			       "dial: give the card's endpoint with --advertise tcp://HOST:PORT (in "
			       "allianced.conf: advertise = ...), HOST a DNS name or an address "
			       "they reach", listen);
	if (advertise && card_check_endpoint(advertise, err))
		return al_errf(why, AL_E_INVAL, "--advertise: %s", err);
	const char *ep = advertise ? advertise : listen;
	if (ep != card_endpoint)
		memmove(card_endpoint, ep, strlen(ep) + 1); /* checked: it fits */
	return AL_OK;
}

int home_init(const char *dir, const char *name, const char *listen, const char *advertise,
	      struct al_home **out, char *why)
{
	char path[4096], sign[4096], transport[4096], endpoint[AL_ENDPOINT_MAX];
	*out = NULL;
	int rc;
	if ((rc = card_check_name(name, why)) ||
	    (rc = home_check_addresses(listen, advertise, endpoint, why)))
		return rc;
	if ((rc = home_path(dir, AL_CONFIG_FILE, path, sizeof path)) ||
	    (rc = home_path(dir, "sign.key", sign, sizeof sign)) ||
	    (rc = home_path(dir, "transport.key", transport, sizeof transport)))
		return al_errf(why, rc, "home path '%s' is too long", dir);
	if (access(path, F_OK) == 0 || access(sign, F_OK) == 0)
		return al_errf(why, AL_E_EXIST,
			       "'%s' is already a home (it has %s or sign.key); "
			       "choose another directory, keys are never overwritten",
			       dir, AL_CONFIG_FILE);
	if ((rc = file_mkdirs(dir, 0700, why)))
		return rc;
	/* A directory that existed (made by hand, or by systemd's
	 * StateDirectory=) becomes owner-only too: the keys go in it. */
	struct stat st;
	if (stat(dir, &st) < 0 || ((st.st_mode & 077) && chmod(dir, 0700) < 0))
		return al_errf(why, AL_E_IO, "cannot make '%s' owner-only (mode 0700): %s", dir,
			       strerror(errno));
	struct al_home *h = calloc(1, sizeof *h);
	if (!h || !(h->dir = strdup(dir))) {
		free(h);
		return AL_E_NOMEM;
	}
	if ((rc = key_generate(NULL, NULL, &h->id)))
		goto fail;
	snprintf(h->self.name, sizeof h->self.name, "%s", name);
	snprintf(h->self.endpoint, sizeof h->self.endpoint, "%s", endpoint);
	snprintf(h->listen, sizeof h->listen, "%s", listen);
	snprintf(h->log_level, sizeof h->log_level, "info");
	h->self.sign_key = h->id->sign_pk;
	h->self.transport_key = h->id->transport_pk;
	if ((rc = key_save(h->id, sign, transport, why)) ||
	    (rc = write_config(path, &h->self, listen, why)))
		goto fail;
	char card[AL_CARDLEN + 1];
	card_format(&h->self, card);
	strcat(card, "\n");
	if ((rc = home_path(dir, "member.card", path, sizeof path)) ||
	    (rc = file_create(path, card, strlen(card), 0644, why)) ||
	    (rc = home_path(dir, "alliances", path, sizeof path)) ||
	    (rc = file_mkdirs(path, 0700, why)) || (rc = file_sync_dir(dir, 1, why)))
		goto fail;
	*out = h;
	return AL_OK;
fail:
	home_close(&h);
	return rc;
}

struct conf {
	struct al_home *h;
	FILE *f;
	int line;     /* of the text inih is parsing */
	int err_line; /* of our first error (cf->rc) */
	char *why;
	int rc;
	bool has_sign, has_transport;
	al_key sign, transport;
};

static int conf_error(struct conf *cf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Only the first error counts: inih goes on after one, and its line number
 * is the first error's, so a later message must not replace this one. */
static int conf_error(struct conf *cf, const char *fmt, ...)
{
	if (cf->rc)
		return 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cf->why, AL_ERRLEN, fmt, ap);
	va_end(ap);
	cf->rc = AL_E_PARSE;
	cf->err_line = cf->line;
	return 0;
}

/* inih reads the file through this, so that we know the line it parses
 * (inih tells its handler nothing of lines) and see every section header
 * (inih calls the handler for keys only: an empty unknown section would
 * pass unseen). A line longer than inih's buffer would be split into two
 * "lines" and shift its numbering: refused. */
static char *read_line(char *buf, int n, void *arg)
{
	struct conf *cf = arg;
	if (cf->rc || !fgets(buf, n, cf->f))
		return NULL; /* after our first error, stop */
	cf->line++;
	size_t len = strlen(buf);
	if (len + 1 == (size_t)n && buf[len - 1] != '\n' && !feof(cf->f)) {
		conf_error(cf, "the line is too long (at most %d characters)", n - 2);
		return NULL;
	}
	const char *p = buf + strspn(buf, " \t\r\n");
	const char *end = *p == '[' ? strchr(p, ']') : NULL;
	if (end) { /* a section header, named exactly as inih names it */
		size_t k = (size_t)(end - p - 1);
		if (!(k == 6 && !strncmp(p + 1, "member", 6)) &&
		    !(k == 6 && !strncmp(p + 1, "daemon", 6))) {
			conf_error(cf, "unknown section [%.*s] (sections: [member], [daemon])",
				   (int)(k > 64 ? 64 : k), p + 1);
			return NULL;
		}
	}
	return buf;
}

static int on_ini(void *user, const char *section, const char *key, const char *value)
{
	struct conf *cf = user;
	struct al_home *h = cf->h;
	char err[AL_ERRLEN];
	if (cf->rc)
		return 0;
	if (!strcmp(section, "member") && !strcmp(key, "name")) {
		if (card_check_name(value, err))
			return conf_error(cf, "%s", err);
		snprintf(h->self.name, sizeof h->self.name, "%s", value);
	} else if (!strcmp(section, "member") && !strcmp(key, "listen")) {
		bool concrete;
		if (card_check_listen(value, &concrete, err))
			return conf_error(cf, "%s", err);
		snprintf(h->listen, sizeof h->listen, "%s", value);
	} else if (!strcmp(section, "member") && !strcmp(key, "advertise")) {
		if (card_check_endpoint(value, err))
			return conf_error(cf, "advertise: %s", err);
		snprintf(h->self.endpoint, sizeof h->self.endpoint, "%s", value);
	} else if (!strcmp(section, "member") && !strcmp(key, "sign_public")) {
		if (hex_decode(value, cf->sign.b, AL_KEYLEN))
			goto badkey;
		cf->has_sign = true;
	} else if (!strcmp(section, "member") && !strcmp(key, "transport_public")) {
		if (hex_decode(value, cf->transport.b, AL_KEYLEN))
			goto badkey;
		cf->has_transport = true;
	} else if (!strcmp(section, "daemon") && !strcmp(key, "log_level")) {
		if (strcmp(value, "error") && strcmp(value, "warn") && strcmp(value, "info") &&
		    strcmp(value, "debug"))
			return conf_error(cf, "bad log_level '%s' (use error, warn, info or debug)",
					  value);
		snprintf(h->log_level, sizeof h->log_level, "%s", value);
	} else if (!strcmp(section, "daemon") && !strcmp(key, "control_group")) {
		if (!*value || strlen(value) >= sizeof h->control_group ||
		    strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
			    != strlen(value))
			return conf_error(cf, "bad control_group '%s' (a group name, e.g. allianced)",
					  value);
		snprintf(h->control_group, sizeof h->control_group, "%s", value);
	} else if (!strcmp(section, "daemon") && !strcmp(key, "author_alone_after")) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(value, &end, 10);
		if (!*value || *value < '0' || *value > '9' || *end || errno || v < 1 || v > 86400 * 365)
			return conf_error(cf, "bad author_alone_after '%s' (whole seconds from 1 to "
					  "31536000; remove the line to wait for a peer however long)",
					  value);
		h->author_alone_after_ms = (int64_t)v * 1000;
	} else {
		return conf_error(cf, "unknown setting '%s' in section [%s]", key, section);
	}
	return 1;
badkey:
	return conf_error(cf, "%s must be 64 hex digits", key);
}

/* Read and check dir's config into h (whose dir is set) and cf's public
 * keys. 0, AL_E_NOENT (no config), AL_E_PARSE or AL_E_IO with why. */
static int read_config(struct al_home *h, struct conf *cf, char *why)
{
	char path[4096], err[AL_ERRLEN] = "";
	int rc, fd;
	struct stat st;
	if ((rc = home_path(h->dir, AL_CONFIG_FILE, path, sizeof path)))
		return al_errf(why, rc, "home path '%s' is too long", h->dir);
	if ((rc = file_open_regular(path, 0, &fd, &st, why))) {
		if (rc != AL_E_NOENT)
			return rc;
		return al_errf(why, rc, "'%s' is not an alliance home (no %s: create one with "
			       "'allianced init %s --name NAME --listen tcp://HOST:PORT')",
			       h->dir, AL_CONFIG_FILE, h->dir);
	}
	FILE *f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return AL_E_NOMEM;
	}
	snprintf(h->log_level, sizeof h->log_level, "info");
	*cf = (struct conf){ .h = h, .f = f, .why = err, .rc = AL_OK };
	int line = ini_parse_stream(read_line, cf, on_ini, cf);
	fclose(f);
	/* The first error: inih's own (a line that is not INI) or ours. */
	if (line && (!cf->rc || line < cf->err_line))
		return al_errf(why, AL_E_PARSE, "'%s' line %d: not valid INI (expected [section], "
			       "key = value or a comment)", path, line);
	if (cf->rc)
		return al_errf(why, AL_E_PARSE, "'%s' line %d: %s", path, cf->err_line, err);
	if (!h->self.name[0] || !h->listen[0] || !cf->has_sign || !cf->has_transport)
		return al_errf(why, AL_E_PARSE, "'%s' lacks name, listen, sign_public or "
			       "transport_public in [member]", path);
	/* A home from before advertise existed: its card's endpoint is listen. */
	if (home_check_addresses(h->listen, h->self.endpoint[0] ? h->self.endpoint : NULL,
				 h->self.endpoint, err))
		return al_errf(why, AL_E_PARSE, "'%s': %s", path, err);
	return AL_OK;
}

int home_open(const char *dir, struct al_home **out, char *why)
{
	char path[4096], sign[4096], transport[4096];
	*out = NULL;
	int rc;
	if ((rc = home_path(dir, AL_CONFIG_FILE, path, sizeof path)) ||
	    (rc = home_path(dir, "sign.key", sign, sizeof sign)) ||
	    (rc = home_path(dir, "transport.key", transport, sizeof transport)))
		return al_errf(why, rc, "home path '%s' is too long", dir);
	struct al_home *h = calloc(1, sizeof *h);
	if (!h || !(h->dir = strdup(dir))) {
		free(h);
		return AL_E_NOMEM;
	}
	struct conf cf;
	if ((rc = read_config(h, &cf, why)) || (rc = key_load(sign, transport, &h->id, why)))
		goto fail;
	if (memcmp(&h->id->sign_pk, &cf.sign, AL_KEYLEN) ||
	    memcmp(&h->id->transport_pk, &cf.transport, AL_KEYLEN)) {
		rc = al_errf(why, AL_E_CRYPTO, "the keys in '%s' do not match the public keys in "
			     "'%s' (a key file was replaced?)", dir, path);
		goto fail;
	}
	h->self.sign_key = h->id->sign_pk;
	h->self.transport_key = h->id->transport_pk;
	*out = h;
	return AL_OK;
fail:
	home_close(&h);
	return rc;
}

int home_reload(struct al_home *h, char *why)
{
	struct al_home fresh = { .dir = h->dir };
	struct conf cf;
	int rc = read_config(&fresh, &cf, why);
	if (rc)
		return rc;
	snprintf(h->log_level, sizeof h->log_level, "%s", fresh.log_level);
	return AL_OK;
}

void home_close(struct al_home **hp)
{
	struct al_home *h = *hp;
	if (!h)
		return;
	key_destroy(&h->id);
	free(h->dir);
	free(h);
	*hp = NULL;
}

/* True for a directory with nothing in it. */
static bool empty_dir(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return false;
	struct dirent *de;
	bool empty = true;
	while (empty && (de = readdir(d)))
		empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
	closedir(d);
	return empty;
}

int home_alliances(const char *dir, al_hash **ids, size_t *n, char *why)
{
	char path[4096];
	*ids = NULL;
	*n = 0;
	if (home_path(dir, "alliances", path, sizeof path))
		return al_errf(why, AL_E_INVAL, "home path '%s' is too long", dir);
	DIR *d = opendir(path);
	if (!d) {
		if (errno == ENOENT)
			return AL_OK;
		return al_errf(why, AL_E_IO, "cannot list '%s': %s", path, strerror(errno));
	}
	struct dirent *de;
	int rc = AL_OK;
	size_t cap = 0;
	while ((de = readdir(d))) {
		al_hash id;
		char sub[sizeof path + sizeof de->d_name + 1];
		if (hex_decode(de->d_name, id.b, AL_HASHLEN))
			continue; /* also ID.tmp: a store being built, or left by a crash */
		/* A store is built elsewhere and renamed into place whole, so an
		 * empty ID directory is a join that crashed before that rename
		 * (the directory was made first): nothing was joined there. */
		snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
		if (empty_dir(sub))
			continue;
		if (grow(ids, &cap, *n + 1, sizeof **ids)) {
			rc = AL_E_NOMEM;
			break;
		}
		(*ids)[(*n)++] = id;
	}
	closedir(d);
	return rc;
}

/* ------------------------------------------------------------ modes */

/* "alice", or the uid as a number when it has no name. */
static const char *user_name(uid_t uid, char *buf, size_t n)
{
	struct passwd *pw = getpwuid(uid);
	if (pw)
		snprintf(buf, n, "%s", pw->pw_name);
	else
		snprintf(buf, n, "%u", (unsigned)uid);
	return buf;
}

/* One path of the home (above: a directory above it): its owner and its
 * write bits. */
static int check_mode(const char *path, const struct stat *st, bool above, char *why)
{
	uid_t me = geteuid();
	char owner[64], mine[64];
	if (st->st_uid != me && st->st_uid != 0)
		return al_errf(why, AL_E_PERM, "'%s' belongs to user %s (uid %u), not to this "
			       "daemon's user %s (uid %u)%s: whoever owns it can replace what the daemon "
			       "trusts; run 'chown %s %s'", path,
			       user_name(st->st_uid, owner, sizeof owner), (unsigned)st->st_uid,
			       user_name(me, mine, sizeof mine), (unsigned)me, me ? " nor root" : "",
			       mine, path);
	if (!(st->st_mode & 022))
		return AL_OK;
	/* Others may write in a sticky directory of root's (/tmp), but not
	 * rename or remove what they do not own: safe above a home. */
	if (above && S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX) && st->st_uid == 0)
		return AL_OK;
	return al_errf(why, AL_E_PERM, above
		       ? "'%s', a directory above the home, is writable by its group or others "
			 "(mode %04o): they could put another home in its place; run 'chmod go-w %s'"
		       : "'%s' is writable by its group or others (mode %04o): they could change what "
			 "the daemon trusts; run 'chmod go-w %s'", path,
		       (unsigned)(st->st_mode & 07777), path);
}

/* path, then (when a directory, depth levels down) everything in it. */
static int check_tree(const char *path, int depth, char *why)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return errno == ENOENT ? AL_OK /* gone meanwhile, or a dangling link */
			: al_errf(why, AL_E_IO, "cannot stat '%s': %s", path, strerror(errno));
	int rc = check_mode(path, &st, false, why);
	if (rc || !S_ISDIR(st.st_mode) || depth == 0)
		return rc;
	DIR *d = opendir(path);
	if (!d)
		return al_errf(why, AL_E_IO, "cannot list '%s': %s", path, strerror(errno));
	struct dirent *de;
	while (rc == AL_OK && (de = readdir(d))) {
		char sub[PATH_MAX];
		struct stat lst;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(sub, sizeof sub, "%s/%s", path, de->d_name) >= (int)sizeof sub) {
			rc = al_errf(why, AL_E_INVAL, "path too long: '%s/%s'", path, de->d_name);
			break;
		}
		/* Into real directories only: a link is judged by its target,
		 * never followed down (no loops). */
		bool dir = fstatat(dirfd(d), de->d_name, &lst, AT_SYMLINK_NOFOLLOW) == 0 &&
			   S_ISDIR(lst.st_mode);
		rc = check_tree(sub, dir ? depth - 1 : 0, why);
	}
	closedir(d);
	return rc;
}

int home_check_modes(const char *dir, char *why)
{
	char abs[PATH_MAX], path[PATH_MAX];
	static const char *const files[] = { AL_CONFIG_FILE, "sign.key", "transport.key" };
	struct stat st;
	int rc;
	if (!realpath(dir, abs))
		return errno == ENOENT || errno == ENOTDIR ? AL_OK
			: al_errf(why, AL_E_IO, "cannot resolve '%s': %s", dir, strerror(errno));
	/* Every directory above the home, from the root down (where the
	 * home really is: links resolved). */
	if (stat("/", &st) == 0 && (rc = check_mode("/", &st, true, why)))
		return rc;
	for (char *p = abs + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		rc = stat(abs, &st) < 0 ? al_errf(why, AL_E_IO, "cannot stat '%s': %s", abs,
						   strerror(errno))
					 : check_mode(abs, &st, true, why);
		*p = '/';
		if (rc)
			return rc;
	}
	/* The home and what the daemon trusts in it, named as given. */
	if (stat(dir, &st) < 0)
		return al_errf(why, AL_E_IO, "cannot stat '%s': %s", dir, strerror(errno));
	if ((rc = check_mode(dir, &st, false, why)))
		return rc;
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		if (home_path(dir, files[i], path, sizeof path))
			return al_errf(why, AL_E_INVAL, "home path '%s' is too long", dir);
		if ((rc = check_tree(path, 0, why)))
			return rc;
	}
	if (home_path(dir, "alliances", path, sizeof path))
		return al_errf(why, AL_E_INVAL, "home path '%s' is too long", dir);
	return check_tree(path, 3, why); /* alliances/ID/file, ID.tmp/file */
}
