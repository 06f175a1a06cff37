/* err.c: error strings and the why-buffer helper. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

const char *al_strerror(int err)
{
	switch (err) {
	case AL_OK: return "success";
	case AL_E_NOMEM: return "out of memory";
	case AL_E_IO: return "input/output error";
	case AL_E_FSYNC: return "fsync failed (fatal)";
	case AL_E_PERM: return "insecure permissions";
	case AL_E_EXIST: return "already exists";
	case AL_E_NOENT: return "not found";
	case AL_E_PARSE: return "malformed input";
	case AL_E_CRYPTO: return "cryptographic failure";
	case AL_E_INVAL: return "invalid value";
	case AL_E_CORRUPT: return "corrupt log";
	case AL_E_REJECT: return "message rejected";
	case AL_E_CHARTER: return "invalid charter";
	case AL_E_FAILED: return "log stopped after a fatal error";
	case AL_E_NOSPC: return "no space left on the device";
	}
	return "unknown error";
}

int al_errf(char *why, int err, const char *fmt, ...)
{
	if (why) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, AL_ERRLEN, fmt, ap);
		va_end(ap);
	}
	return err;
}
