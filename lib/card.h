/* card.h: the member card, one line that introduces a partner:
 *
 *   NAME:ed25519=SIGNKEY:x25519=TRANSPORTKEY:ENDPOINT
 *   acme:ed25519=3b6a…(64 hex):x25519=9f1c…(64 hex):tcp://127.0.0.1:7001
 *
 * It has no spaces, so it survives being passed unquoted on a command line.
 * Names are 1-32 of [A-Za-z0-9._-] starting with a letter or digit (they
 * appear in ids like acme/12); endpoints are tcp://HOST:PORT that the other
 * partners can connect to.
 */
#ifndef AL_CARD_H
#define AL_CARD_H

#include "msg.h"

#define AL_CARDLEN (AL_NAME_MAX + 2 * (8 + 2 * AL_KEYLEN) + AL_ENDPOINT_MAX + 8)

/* Parse a card (surrounding white space is ignored). Returns 0 or AL_E_PARSE
 * with why quoting the bad part. */
int card_parse(const char *s, struct al_member *out, char *why);

/* Format m as a card into buf (AL_CARDLEN bytes). Returns buf. */
char *card_format(const struct al_member *m, char *buf);

/* Check a member name / a card's endpoint (one partners dial: a DNS name
 * or an address, never a wildcard). Returns 0 or AL_E_INVAL with why. */
int card_check_name(const char *name, char *why);
int card_check_endpoint(const char *endpoint, char *why);

/* Check an endpoint to bind (allianced.conf's listen): tcp://ADDR:PORT
 * with ADDR an IP address, a wildcard (*, 0.0.0.0, [::]) or an interface
 * name of this machine; never a DNS name, which ZeroMQ cannot bind.
 * *concrete tells whether it is one address, which may then go on the
 * card. Returns 0 or AL_E_INVAL with why. */
int card_check_listen(const char *endpoint, bool *concrete, char *why);

#endif
