/* home.h: a partner's home directory, like a database's data directory.
 *
 *   HOME/allianced.conf         config (INI, docs/config.md)
 *   HOME/sign.key               Ed25519 seed, hex, mode 0600
 *   HOME/transport.key          X25519 secret, hex, mode 0600
 *   HOME/member.card            this partner's member card
 *   HOME/alliances/ID/          one store per alliance joined (store.h)
 *
 * The home directory is created mode 0700 (an existing one is made so).
 * home_open() refuses a home whose keys are readable by others or do not
 * match the config; home_check_modes() one that others could write.
 */
#ifndef AL_HOME_H
#define AL_HOME_H

#include "key.h"
#include "msg.h"

#define AL_CONFIG_FILE "allianced.conf"

struct al_home {
	char *dir;
	struct al_member self; /* name, keys, endpoint (advertise: the card's) */
	char listen[AL_ENDPOINT_MAX]; /* what the daemon binds */
	char log_level[16];
	char control_group[64];       /* "" : the control socket is owner-only */
	/* After a start, authoring waits for a peer to confirm this member's
	 * feed head; with no peer answering for this long (ms), it opens
	 * anyway. 0: wait for a peer however long it takes. */
	int64_t author_alone_after_ms;
	struct al_identity *id;
};

/* Create a new home in dir (which may exist but must not hold a config or
 * keys), with fresh keys. listen is what the daemon binds, advertise the
 * endpoint on the card (NULL: listen, when that is one concrete address).
 * Returns 0, AL_E_EXIST, AL_E_INVAL (bad name or endpoint, why says
 * which), AL_E_IO, AL_E_FSYNC. */
int home_init(const char *dir, const char *name, const char *listen, const char *advertise,
	      struct al_home **out, char *why);

/* Pick the card's endpoint: advertise, or listen when that is concrete.
 * Checks both. 0 or AL_E_INVAL with why naming --advertise. */
int home_check_addresses(const char *listen, const char *advertise, char *card_endpoint,
			 char *why);

/* Re-read only what may change while the daemon runs (log_level) from the
 * config of h. 0, or an error with why (h unchanged). */
int home_reload(struct al_home *h, char *why);

/* Open an existing home: config and keys. Returns 0, AL_E_NOENT (no home
 * there: why says to run 'allianced init'), AL_E_PARSE (bad config),
 * AL_E_PERM (unsafe key file), AL_E_CRYPTO (keys do not match the config). */
int home_open(const char *dir, struct al_home **out, char *why);

void home_close(struct al_home **h);

/* Is the home at dir safe to run from, as sshd's StrictModes asks? The
 * home directory, its config, its key files and everything under
 * alliances/ must belong to this process's user (or root) and be writable
 * by no one else (group and other may read or search: control_group makes
 * the home 0710); every directory above the home must belong to this user
 * or root and be writable by no one else, unless it is root's and sticky
 * (/tmp). A path that does not exist is not judged (home_open says what is
 * missing). Returns 0, AL_E_PERM with why naming the first offending path,
 * its mode or owner and the command that fixes it, or AL_E_IO. */
int home_check_modes(const char *dir, char *why);

/* dir/rel into buf. Returns 0 or AL_E_INVAL when it does not fit. */
int home_path(const char *dir, const char *rel, char *buf, size_t n);

/* HOME/alliances/<hex id> into buf. */
int home_alliance_dir(const char *dir, const al_hash *id, char *buf, size_t n);

/* The alliance ids joined in dir (the HOME/alliances folders), caller frees *ids.
 * Returns 0 (possibly *n = 0), AL_E_IO or AL_E_NOMEM. */
int home_alliances(const char *dir, al_hash **ids, size_t *n, char *why);

#endif
