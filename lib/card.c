/* card.c: member cards; see card.h. */
#include "card.h"
#include "err.h"
#include "hex.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int card_check_name(const char *name, char *why)
{
	size_t n = strlen(name);
	if (n == 0 || n > AL_NAME_MAX || !isalnum((unsigned char)name[0]))
		goto bad;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!isalnum(c) && c != '.' && c != '_' && c != '-')
			goto bad;
	}
	return AL_OK;
bad:
	return al_errf(why, AL_E_INVAL,
		       "bad member name '%s' (use 1-%d letters, digits, '.', '_' or '-', "
		       "starting with a letter or digit)", name, AL_NAME_MAX);
}

int card_check_endpoint(const char *ep, char *why)
{
	const char *hint = "use tcp://HOST:PORT with a host the other partners can reach, "
			   "e.g. tcp://127.0.0.1:7001";
	if (strlen(ep) >= AL_ENDPOINT_MAX)
		return al_errf(why, AL_E_INVAL, "endpoint '%.40s...' is too long", ep);
	if (strncmp(ep, "tcp://", 6) != 0)
		return al_errf(why, AL_E_INVAL, "bad endpoint '%s' (%s)", ep, hint);
	const char *host = ep + 6;
	/* Printable ASCII only (a name with other characters goes in punycode):
	 * the endpoint is shown to people and put in JSON. */
	for (const char *p = host; *p; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
			return al_errf(why, AL_E_INVAL, "bad endpoint: byte 0x%02x at position %zu "
				       "is not a printable ASCII character (%s)",
				       (unsigned char)*p, (size_t)(p - ep), hint);
	const char *colon = strrchr(host, ':');
	if (!colon || colon == host || strchr(host, '*') || strpbrk(host, " \t/"))
		return al_errf(why, AL_E_INVAL, "bad endpoint '%s' (%s)", ep, hint);
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || colon[1] == '\0' || port < 1 || port > 65535)
		return al_errf(why, AL_E_INVAL, "bad port in endpoint '%s' (%s)", ep, hint);
	return AL_OK;
}

/* "<tag>=<64 hex>" into key; returns the text after it or NULL. */
static const char *parse_key(const char *p, const char *tag, al_key *key)
{
	size_t tlen = strlen(tag);
	if (strncmp(p, tag, tlen) != 0 || p[tlen] != '=')
		return NULL;
	p += tlen + 1;
	char hex[2 * AL_KEYLEN + 1];
	if (strlen(p) < 2 * AL_KEYLEN + 1 || p[2 * AL_KEYLEN] != ':')
		return NULL;
	memcpy(hex, p, 2 * AL_KEYLEN);
	hex[2 * AL_KEYLEN] = '\0';
	if (hex_decode(hex, key->b, AL_KEYLEN) < 0)
		return NULL;
	return p + 2 * AL_KEYLEN + 1;
}

int card_parse(const char *s, struct al_member *out, char *why)
{
	memset(out, 0, sizeof *out);
	while (isspace((unsigned char)*s))
		s++;
	size_t len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	const char *shape = "expected NAME:ed25519=HEX:x25519=HEX:tcp://HOST:PORT, "
			    "as the last line 'allianced init' printed";
	if (len >= AL_CARDLEN)
		return al_errf(why, AL_E_PARSE, "member card '%.40s...' is too long (%s)", s, shape);
	char card[AL_CARDLEN];
	memcpy(card, s, len);
	card[len] = '\0';

	char *colon = strchr(card, ':');
	if (!colon)
		return al_errf(why, AL_E_PARSE, "bad member card '%s' (%s)", card, shape);
	*colon = '\0';
	int rc = card_check_name(card, why);
	if (rc) {
		*colon = ':';
		return al_errf(why, AL_E_PARSE, "bad member card '%s': bad name (%s)", card, shape);
	}
	memcpy(out->name, card, (size_t)(colon - card) + 1); /* checked: fits */
	*colon = ':';
	const char *p = parse_key(colon + 1, "ed25519", &out->sign_key);
	if (p)
		p = parse_key(p, "x25519", &out->transport_key);
	if (!p)
		return al_errf(why, AL_E_PARSE, "bad member card '%s': bad keys (%s)", card, shape);
	char err[AL_ERRLEN];
	if (card_check_endpoint(p, err))
		return al_errf(why, AL_E_PARSE, "bad member card '%s': %s", card, err);
	if (memcmp(&out->sign_key, &out->transport_key, AL_KEYLEN) == 0)
		return al_errf(why, AL_E_PARSE,
			       "bad member card '%s': signing and transport keys must differ", card);
	snprintf(out->endpoint, sizeof out->endpoint, "%s", p);
	return AL_OK;
}

char *card_format(const struct al_member *m, char *buf)
{
	char sk[2 * AL_KEYLEN + 1], tk[2 * AL_KEYLEN + 1];
	snprintf(buf, AL_CARDLEN, "%s:ed25519=%s:x25519=%s:%s", m->name,
		 hex_encode(m->sign_key.b, AL_KEYLEN, sk),
		 hex_encode(m->transport_key.b, AL_KEYLEN, tk), m->endpoint);
	return buf;
}
