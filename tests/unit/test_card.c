/* test_card.c: member cards, names and endpoints. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "card.h"
#include "err.h"

static struct al_member sample(void)
{
	struct al_member m;
	memset(&m, 0, sizeof m);
	strcpy(m.name, "globex");
	memset(m.sign_key.b, 0x11, AL_KEYLEN);
	memset(m.transport_key.b, 0x22, AL_KEYLEN);
	strcpy(m.endpoint, "tcp://127.0.0.1:7002");
	return m;
}

static void round_trip(void **state)
{
	(void)state;
	struct al_member m = sample(), back;
	char card[AL_CARDLEN], why[AL_ERRLEN];
	card_format(&m, card);
	assert_string_equal(card, "globex:ed25519=1111111111111111111111111111111111111111111111111111111111111111"
				  ":x25519=2222222222222222222222222222222222222222222222222222222222222222"
				  ":tcp://127.0.0.1:7002");
	assert_null(strchr(card, ' '));
	assert_int_equal(card_parse(card, &back, why), 0);
	assert_memory_equal(&back, &m, sizeof m);
	/* Surrounding white space (a line read from a file) is fine. */
	char padded[AL_CARDLEN + 8];
	snprintf(padded, sizeof padded, "  %s\n", card);
	assert_int_equal(card_parse(padded, &back, why), 0);
	assert_memory_equal(&back, &m, sizeof m);
}

static void malformed_cards(void **state)
{
	(void)state;
	struct al_member m = sample(), back;
	char card[AL_CARDLEN], bad[AL_CARDLEN + 64], why[AL_ERRLEN];
	card_format(&m, card);
	const char *keys = strchr(card, ':');
	const char *cases[16];
	size_t n = 0;
	static char store[16][AL_CARDLEN + 64];
	/* no name, bad name, wrong tags, short key, non-hex, bad endpoints */
	snprintf(store[n], sizeof store[n], "%s", keys), cases[n] = store[n], n++;
	snprintf(store[n], sizeof store[n], "glo bex%s", keys), cases[n] = store[n], n++;
	snprintf(store[n], sizeof store[n], "-globex%s", keys), cases[n] = store[n], n++;
	snprintf(store[n], sizeof store[n], "glo/bex%s", keys), cases[n] = store[n], n++;
	cases[n++] = "globex:x25519=1111111111111111111111111111111111111111111111111111111111111111:ed25519=2222222222222222222222222222222222222222222222222222222222222222:tcp://127.0.0.1:1";
	cases[n++] = "globex:ed25519=111111111111111111111111111111111111111111111111111111111111111:x25519=2222222222222222222222222222222222222222222222222222222222222222:tcp://127.0.0.1:1";
	cases[n++] = "globex:ed25519=111111111111111111111111111111111111111111111111111111111111111z:x25519=2222222222222222222222222222222222222222222222222222222222222222:tcp://127.0.0.1:1";
	cases[n++] = "globex:ed25519=1111111111111111111111111111111111111111111111111111111111111111:x25519=2222222222222222222222222222222222222222222222222222222222222222:udp://127.0.0.1:1";
	cases[n++] = "globex:ed25519=1111111111111111111111111111111111111111111111111111111111111111:x25519=2222222222222222222222222222222222222222222222222222222222222222:tcp://*:7000";
	cases[n++] = "globex:ed25519=1111111111111111111111111111111111111111111111111111111111111111:x25519=2222222222222222222222222222222222222222222222222222222222222222:tcp://host:99999";
	cases[n++] = "globex:ed25519=1111111111111111111111111111111111111111111111111111111111111111:x25519=2222222222222222222222222222222222222222222222222222222222222222:tcp://host";
	/* the same key twice */
	cases[n++] = "globex:ed25519=1111111111111111111111111111111111111111111111111111111111111111:x25519=1111111111111111111111111111111111111111111111111111111111111111:tcp://h:1";
	cases[n++] = "";
	for (size_t i = 0; i < n; i++) {
		why[0] = '\0';
		if (card_parse(cases[i], &back, why) != AL_E_PARSE)
			fail_msg("card %zu was accepted: %s", i, cases[i]);
		assert_true(strlen(why) > 0);
	}
	(void)bad;
}

static void names_and_endpoints(void **state)
{
	(void)state;
	char why[AL_ERRLEN];
	assert_int_equal(card_check_name("acme", why), 0);
	assert_int_equal(card_check_name("Acme_Corp-2.eu", why), 0);
	assert_int_equal(card_check_name("a23456789012345678901234567890ab", why), 0);
	assert_int_equal(card_check_name("a23456789012345678901234567890abc", why), AL_E_INVAL);
	assert_int_equal(card_check_name("", why), AL_E_INVAL);
	assert_int_equal(card_check_name("a:b", why), AL_E_INVAL);
	assert_int_equal(card_check_name(".acme", why), AL_E_INVAL);
	assert_non_null(strstr(why, "'.acme'"));
	assert_int_equal(card_check_endpoint("tcp://127.0.0.1:7001", why), 0);
	assert_int_equal(card_check_endpoint("tcp://[::1]:7001", why), 0);
	assert_int_equal(card_check_endpoint("tcp://partner.example:65535", why), 0);
	assert_int_equal(card_check_endpoint("tcp://127.0.0.1:0", why), AL_E_INVAL);
	assert_int_equal(card_check_endpoint("127.0.0.1:7001", why), AL_E_INVAL);
	assert_non_null(strstr(why, "tcp://HOST:PORT"));
	/* Hosts are printable ASCII (punycode for other names): an endpoint is
	 * shown and put in JSON, which takes only UTF-8. */
	assert_int_equal(card_check_endpoint("tcp://h\xffst:7001", why), AL_E_INVAL);
	assert_non_null(strstr(why, "byte 0xff at position 7"));
	assert_int_equal(card_check_endpoint("tcp://h\xc3\xa9st:7001", why), AL_E_INVAL);
	assert_int_equal(card_check_endpoint("tcp://h\x01st:7001", why), AL_E_INVAL);
	struct al_member back;
	assert_int_equal(card_parse("globex:ed25519=1111111111111111111111111111111111111111111111111111111111111111:x25519=2222222222222222222222222222222222222222222222222222222222222222:tcp://\xfe:1", &back, why), AL_E_PARSE);
	assert_non_null(strstr(why, "0xfe"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(malformed_cards),
		cmocka_unit_test(names_and_endpoints),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
