/* err.h: the one error table of the core library.
 *
 * Every core function that can fail returns int: 0 (AL_OK) or one of the
 * negative codes below. Context for people (which file, which value, what to
 * do) goes into a caller-provided buffer of AL_ERRLEN bytes, named `why`;
 * `why` may be NULL when the caller does not want it. The core never exits.
 */
#ifndef AL_ERR_H
#define AL_ERR_H

#include <stddef.h>

#define AL_ERRLEN 512

enum al_err {
	AL_OK = 0,
	AL_E_NOMEM = -1,    /* out of memory */
	AL_E_IO = -2,       /* a read or write failed (errno in why) */
	AL_E_FSYNC = -3,    /* fsync failed: fatal, the process must stop */
	AL_E_PERM = -4,     /* a secret key file is readable by others */
	AL_E_EXIST = -5,    /* refusing to overwrite */
	AL_E_NOENT = -6,    /* no such file, member, message */
	AL_E_PARSE = -7,    /* malformed input */
	AL_E_CRYPTO = -8,   /* libsodium failed, or a signature did not verify */
	AL_E_INVAL = -9,    /* a bad value from the caller */
	AL_E_CORRUPT = -10, /* a log is corrupt (not merely a torn tail) */
	AL_E_REJECT = -11,  /* a message was rejected (see enum al_reason) */
	AL_E_CHARTER = -12, /* a charter is invalid, tampered or not in force */
	AL_E_FAILED = -13,  /* a log stopped after a fatal error */
	AL_E_NOSPC = -14,   /* no space left (ENOSPC, EDQUOT): nothing was written; not fatal */
};

/* Static description of an error code; never NULL. */
const char *al_strerror(int err);

/* Write a formatted message into why (AL_ERRLEN bytes, may be NULL) and
 * return err, so that failures read `return al_errf(why, AL_E_PARSE, ...)`. */
int al_errf(char *why, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
