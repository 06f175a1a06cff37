/* test_key.c: identity keys, key files and their permissions, signatures. */
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "hex.h"
#include "key.h"

static void save_load_round_trip(void **state)
{
	(void)state;
	char *dir = tu_tmpdir(), why[AL_ERRLEN];
	struct al_identity *id = tu_identity(1), *back;
	const char *sk = tu_path(0, dir, "sign.key"), *tk = tu_path(1, dir, "transport.key");
	assert_int_equal(key_save(id, sk, tk, why), 0);
	struct stat st;
	assert_int_equal(stat(sk, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(tk, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(key_load(sk, tk, &back, why), 0);
	assert_memory_equal(&back->sign_pk, &id->sign_pk, AL_KEYLEN);
	assert_memory_equal(&back->transport_pk, &id->transport_pk, AL_KEYLEN);
	assert_memory_equal(back->sign_sk, id->sign_sk, 64);
	/* Never overwritten. */
	assert_int_equal(key_save(id, sk, tk, why), AL_E_EXIST);
	key_destroy(&back);
	assert_null(back);
	key_destroy(&id);
	tu_rmdir(dir);
}

static void refuses_readable_key(void **state)
{
	(void)state;
	char *dir = tu_tmpdir(), why[AL_ERRLEN];
	struct al_identity *id = tu_identity(2), *back = NULL;
	const char *sk = tu_path(0, dir, "sign.key"), *tk = tu_path(1, dir, "transport.key");
	assert_int_equal(key_save(id, sk, tk, why), 0);
	static const mode_t bad[] = { 0640, 0604, 0644, 0660, 0666, 0700 | 0004 };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(chmod(sk, bad[i]), 0);
		assert_int_equal(key_load(sk, tk, &back, why), AL_E_PERM);
		assert_null(back);
		assert_non_null(strstr(why, "chmod 600"));
		assert_non_null(strstr(why, sk));
	}
	assert_int_equal(chmod(sk, 0600), 0);
	assert_int_equal(chmod(tk, 0640), 0);
	assert_int_equal(key_load(sk, tk, &back, why), AL_E_PERM);
	assert_int_equal(chmod(tk, 0400), 0);
	assert_int_equal(key_load(sk, tk, &back, why), 0);
	key_destroy(&back);
	key_destroy(&id);
	tu_rmdir(dir);
}

static void refuses_malformed_key_file(void **state)
{
	(void)state;
	char *dir = tu_tmpdir(), why[AL_ERRLEN];
	struct al_identity *id = tu_identity(3), *back = NULL;
	const char *sk = tu_path(0, dir, "sign.key"), *tk = tu_path(1, dir, "transport.key");
	assert_int_equal(key_save(id, sk, tk, why), 0);
	size_t len;
	uint8_t *good = tu_read(sk, &len);
	assert_int_equal(len, 65);
	static const char *const bad[] = {
		"", "\n", "abc\n",
		/* one digit short, one long, a non-hex digit, trailing junk */
		"000000000000000000000000000000000000000000000000000000000000000\n",
		"00000000000000000000000000000000000000000000000000000000000000000\n",
		"g000000000000000000000000000000000000000000000000000000000000000\n",
		"0000000000000000000000000000000000000000000000000000000000000000\nx",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		unlink(sk);
		int fd = open(sk, O_WRONLY | O_CREAT | O_EXCL, 0600);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, bad[i], strlen(bad[i])), (ssize_t)strlen(bad[i]));
		close(fd);
		assert_int_equal(key_load(sk, tk, &back, why), AL_E_PARSE);
		assert_null(back);
	}
	/* Without the newline it is still exactly one key. */
	unlink(sk);
	int fd = open(sk, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_int_equal(write(fd, good, 64), 64);
	close(fd);
	assert_int_equal(key_load(sk, tk, &back, why), 0);
	assert_memory_equal(&back->sign_pk, &id->sign_pk, AL_KEYLEN);
	key_destroy(&back);
	/* A symlink is not followed. */
	unlink(sk);
	assert_int_equal(symlink(tk, sk), 0);
	assert_int_not_equal(key_load(sk, tk, &back, why), 0);
	free(good);
	key_destroy(&back);
	key_destroy(&id);
	tu_rmdir(dir);
}

static void missing_key_file(void **state)
{
	(void)state;
	char why[AL_ERRLEN];
	struct al_identity *back;
	assert_int_equal(key_load("/nonexistent/sign.key", "/nonexistent/t.key", &back, why),
			 AL_E_NOENT);
	assert_non_null(strstr(why, "/nonexistent/sign.key"));
}

/* A FIFO (or a directory) where a key file should be is refused at once:
 * opening a FIFO for reading used to wait forever for a writer. The alarm
 * turns such a hang into a failure. */
static void refuses_fifo_key(void **state)
{
	(void)state;
	char *dir = tu_tmpdir(), why[AL_ERRLEN];
	struct al_identity *id = tu_identity(1), *back = NULL;
	const char *sk = tu_path(0, dir, "sign.key"), *tk = tu_path(1, dir, "transport.key");
	assert_int_equal(key_save(id, sk, tk, why), 0);
	unlink(sk);
	assert_int_equal(mkfifo(sk, 0600), 0);
	alarm(10);
	assert_int_equal(key_load(sk, tk, &back, why), AL_E_INVAL);
	alarm(0);
	assert_null(back);
	assert_non_null(strstr(why, sk));
	assert_non_null(strstr(why, "not a regular file"));
	unlink(sk);
	assert_int_equal(mkdir(sk, 0700), 0);
	assert_int_equal(key_load(sk, tk, &back, why), AL_E_INVAL);
	assert_null(back);
	rmdir(sk);
	key_destroy(&id);
	tu_rmdir(dir);
}

static void signing_and_transport_keys_differ(void **state)
{
	(void)state;
	struct al_identity *a, *b;
	assert_int_equal(key_generate(NULL, NULL, &a), 0);
	assert_int_equal(key_generate(NULL, NULL, &b), 0);
	assert_memory_not_equal(&a->sign_pk, &a->transport_pk, AL_KEYLEN);
	assert_memory_not_equal(&a->sign_pk, &b->sign_pk, AL_KEYLEN);
	key_destroy(&a);
	key_destroy(&b);
}

static void sign_verify_with_context(void **state)
{
	(void)state;
	struct al_identity *id = tu_identity(0), *other = tu_identity(1);
	const uint8_t msg[] = "a promise";
	uint8_t sig[AL_SIGLEN];
	assert_int_equal(key_sign(id, "ctx/a", msg, sizeof msg, sig), 0);
	assert_true(key_verify(&id->sign_pk, "ctx/a", msg, sizeof msg, sig));
	/* Another context, message, key or signature does not verify. */
	assert_false(key_verify(&id->sign_pk, "ctx/b", msg, sizeof msg, sig));
	assert_false(key_verify(&id->sign_pk, "ctx/a", msg, sizeof msg - 1, sig));
	assert_false(key_verify(&other->sign_pk, "ctx/a", msg, sizeof msg, sig));
	sig[10] ^= 1;
	assert_false(key_verify(&id->sign_pk, "ctx/a", msg, sizeof msg, sig));
	key_destroy(&id);
	key_destroy(&other);
}

/* Fixed seeds give fixed keys: the identity is reproducible from its file. */
static void known_answer_keys(void **state)
{
	(void)state;
	struct al_identity *id = tu_identity(0);
	char hex[65];
	/* Ed25519 public key of the seed 32 x 0x10 and X25519 public key of
	 * the scalar 32 x 0x80, as OpenSSL (through Python's cryptography)
	 * computes them: an implementation other than libsodium agrees. */
	hex_encode(id->sign_pk.b, 32, hex);
	assert_string_equal(hex, "5c9c6df261c9cb840475776aaefcd944b405328fab28f9b3a95ef40490d3de84");
	hex_encode(id->transport_pk.b, 32, hex);
	assert_string_equal(hex, "c84a0f784d9723c28577272ff700d42b6c923c23f5bdd38e933ac77d6ceb9157");
	al_hash h;
	key_hash((const uint8_t *)"abc", 3, &h);
	hex_encode(h.b, 32, hex);
	/* BLAKE2b-256("abc") from RFC 7693's reference implementation. */
	assert_string_equal(hex, "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
	key_destroy(&id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(save_load_round_trip),
		cmocka_unit_test(refuses_readable_key),
		cmocka_unit_test(refuses_malformed_key_file),
		cmocka_unit_test(missing_key_file),
		cmocka_unit_test(refuses_fifo_key),
		cmocka_unit_test(signing_and_transport_keys_differ),
		cmocka_unit_test(sign_verify_with_context),
		cmocka_unit_test(known_answer_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
