/* card.c: member cards; see card.h. */
#include "card.h"
#include "err.h"
#include "hex.h"
#include "text.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <net/if.h>
#include <netinet/in.h>
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

/* The host and port of tcp://HOST:PORT: host into buf (without the
 * brackets of an IPv6 literal), port returned; -1 when malformed. */
static long split_endpoint(const char *ep, char *host, size_t n)
{
	if (strncmp(ep, "tcp://", 6) != 0)
		return -1;
	const char *h = ep + 6, *colon = strrchr(h, ':');
	for (const char *p = h; *p; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
			return -1;
	if (!colon || colon == h || strpbrk(h, " \t/"))
		return -1;
	size_t len = (size_t)(colon - h);
	if (h[0] == '[') { /* [IPv6]:PORT */
		if (len < 3 || h[len - 1] != ']')
			return -1;
		h++, len -= 2;
	} else if (memchr(h, ':', len) || memchr(h, '[', len) || memchr(h, ']', len)) {
		return -1; /* an IPv6 literal goes in brackets */
	}
	if (len >= n)
		return -1;
	memcpy(host, h, len);
	host[len] = '\0';
	uint64_t port;
	if (!text_uint(colon + 1, 65535, &port) || port < 1)
		return -1;
	return (long)port;
}

/* An address that means "every interface", never one to dial. */
static bool wildcard_host(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (!strcmp(host, "*"))
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return a4.s_addr == htonl(INADDR_ANY);
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_UNSPECIFIED(&a6);
	return false;
}

int card_check_endpoint(const char *ep, char *why)
{
	const char *hint = "use tcp://HOST:PORT with a host name or address the other partners "
			   "can reach, e.g. tcp://alliance.acme.example:7001";
	char host[AL_ENDPOINT_MAX];
	if (strlen(ep) >= AL_ENDPOINT_MAX)
		return al_errf(why, AL_E_INVAL, "endpoint '%.40s...' is too long", ep);
	/* Printable ASCII only (a name with other characters goes in punycode):
	 * the endpoint is shown to people and put in JSON. */
	for (const char *p = ep; *p; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
			return al_errf(why, AL_E_INVAL, "bad endpoint: byte 0x%02x at position %zu "
				       "is not a printable ASCII character (%s)",
				       (unsigned char)*p, (size_t)(p - ep), hint);
	if (split_endpoint(ep, host, sizeof host) < 0)
		return al_errf(why, AL_E_INVAL, "bad endpoint '%s' (%s)", ep, hint);
	if (wildcard_host(host))
		return al_errf(why, AL_E_INVAL, "endpoint '%s' is a wildcard: partners cannot dial "
			       "it; bind it with --listen and put on the card, with --advertise, the "
			       "name or address they reach this daemon at (%s)", ep, hint);
	for (const char *p = host; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr(".-_:%", *p))
			return al_errf(why, AL_E_INVAL, "bad host '%s' in endpoint '%s' (%s)", host,
				       ep, hint);
	return AL_OK;
}

int card_check_listen(const char *ep, bool *concrete, char *why)
{
	char host[AL_ENDPOINT_MAX];
	struct in_addr a4;
	struct in6_addr a6;
	*concrete = false;
	if (strlen(ep) >= AL_ENDPOINT_MAX || split_endpoint(ep, host, sizeof host) < 0)
		return al_errf(why, AL_E_INVAL, "bad listen endpoint '%.64s' (use tcp://ADDRESS:PORT "
			       "with an address of this machine, or tcp://0.0.0.0:PORT or "
			       "tcp://*:PORT for all of them)", ep);
	if (wildcard_host(host))
		return AL_OK;
	if (inet_pton(AF_INET, host, &a4) == 1 || inet_pton(AF_INET6, host, &a6) == 1) {
		*concrete = true;
		return AL_OK;
	}
	if (if_nametoindex(host))
		return AL_OK; /* an interface of this machine, which ZeroMQ binds by name */
	return al_errf(why, AL_E_INVAL, "listen endpoint '%s': '%s' is neither an address nor an "
		       "interface of this machine (a DNS name cannot be bound); listen on "
		       "tcp://0.0.0.0:PORT or one of its addresses, and put the name on the card "
		       "with --advertise tcp://%s:PORT", ep, host, host);
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
