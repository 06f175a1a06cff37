/* file.c: whole-file reads and durable writes; see file.h. */
#include "file.h"
#include "err.h"
#include "fault.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int file_fsync(int fd)
{
	if (fault_hit(AL_FAULT_FSYNC)) {
		errno = EIO;
		return -1;
	}
	return fsync(fd);
}

int file_err(int err)
{
	return err == ENOSPC || err == EDQUOT ? AL_E_NOSPC : AL_E_IO;
}

int file_probe_space(const char *dir, uint64_t bytes, char *why)
{
	char path[4096];
	if (snprintf(path, sizeof path, "%s/.space-probe.%ld", dir, (long)getpid()) >=
	    (int)sizeof path)
		return al_errf(why, AL_E_INVAL, "path too long: '%s'", dir);
	unlink(path); /* left by a crash of this pid's namesake */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return al_errf(why, file_err(errno), "cannot create '%s': %s", path, strerror(errno));
	int err = posix_fallocate(fd, 0, (off_t)bytes); /* an error number, not -1 */
	close(fd);
	unlink(path);
	if (err)
		return al_errf(why, file_err(err), "cannot allocate %llu bytes in '%s': %s",
			       (unsigned long long)bytes, dir, strerror(err));
	return AL_OK;
}

int file_open_regular(const char *path, int flags, int *fd, struct stat *st, char *why)
{
	/* O_NONBLOCK: opening a FIFO for reading would wait for a writer,
	 * forever; it is refused once open, like any file that is not regular. */
	*fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | flags);
	if (*fd < 0)
		return al_errf(why, errno == ENOENT ? AL_E_NOENT : AL_E_IO,
			       "cannot open '%s': %s", path, strerror(errno));
	int rc = AL_OK, fl;
	if (fstat(*fd, st) < 0)
		rc = al_errf(why, AL_E_IO, "cannot stat '%s': %s", path, strerror(errno));
	else if (!S_ISREG(st->st_mode))
		rc = al_errf(why, AL_E_INVAL, "'%s' is not a regular file", path);
	else if ((fl = fcntl(*fd, F_GETFL)) < 0 || fcntl(*fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		rc = al_errf(why, AL_E_IO, "cannot read '%s': %s", path, strerror(errno));
	if (rc) {
		close(*fd);
		*fd = -1;
	}
	return rc;
}

int file_read(const char *path, size_t max, uint8_t **buf, size_t *len, char *why)
{
	*buf = NULL;
	*len = 0;
	int fd;
	struct stat st;
	int rc = file_open_regular(path, 0, &fd, &st, why);
	if (rc)
		return rc;
	if ((uint64_t)st.st_size > max) {
		rc = al_errf(why, AL_E_INVAL, "'%s' is too large (%lld bytes, at most %zu)",
			     path, (long long)st.st_size, max);
		goto out;
	}
	uint8_t *b = malloc((size_t)st.st_size + 1);
	if (!b) {
		rc = AL_E_NOMEM;
		goto out;
	}
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, b + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(b);
			rc = al_errf(why, AL_E_IO, "cannot read '%s': %s", path,
				     n < 0 ? strerror(errno) : "file shrank while reading");
			goto out;
		}
		got += (size_t)n;
	}
	b[got] = 0;
	*buf = b;
	*len = got;
out:
	close(fd);
	return rc;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int file_sync_dir(const char *path, int is_dir, char *why)
{
	char *copy = strdup(path);
	if (!copy)
		return AL_E_NOMEM;
	const char *dir = is_dir ? copy : dirname(copy);
	int rc = AL_OK;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rc = al_errf(why, AL_E_IO, "cannot open directory '%s': %s", dir, strerror(errno));
	} else {
		if (file_fsync(fd) < 0)
			rc = al_errf(why, AL_E_FSYNC, "fsync of directory '%s' failed: %s",
				     dir, strerror(errno));
		close(fd);
	}
	free(copy);
	return rc;
}

static int create_at(const char *path, int flags, const void *buf, size_t len,
		     mode_t mode, char *why)
{
	int fd = open(path, flags | O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return al_errf(why, errno == EEXIST ? AL_E_EXIST : file_err(errno),
			       "cannot create '%s': %s", path, strerror(errno));
	int rc = AL_OK;
	if (write_all(fd, buf, len) < 0)
		rc = al_errf(why, file_err(errno), "cannot write '%s': %s", path, strerror(errno));
	else if (file_fsync(fd) < 0)
		rc = al_errf(why, AL_E_FSYNC, "fsync of '%s' failed: %s", path, strerror(errno));
	close(fd);
	if (rc)
		unlink(path);
	return rc;
}

int file_create(const char *path, const void *buf, size_t len, mode_t mode, char *why)
{
	int rc = create_at(path, O_EXCL, buf, len, mode, why);
	if (rc == AL_OK)
		rc = file_sync_dir(path, 0, why);
	return rc;
}

int file_replace(const char *path, const void *buf, size_t len, mode_t mode, char *why)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
		return al_errf(why, AL_E_INVAL, "path too long: '%s'", path);
	struct stat st;
	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777; /* keep the mode of the file we replace */
	int rc = create_at(tmp, O_TRUNC, buf, len, mode, why);
	if (rc)
		return rc;
	if (rename(tmp, path) < 0) {
		rc = al_errf(why, file_err(errno), "cannot rename '%s' to '%s': %s", tmp, path,
			     strerror(errno));
		unlink(tmp);
		return rc;
	}
	return file_sync_dir(path, 0, why);
}

int file_mkdirs(const char *path, mode_t mode, char *why)
{
	char buf[4096];
	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
		return al_errf(why, AL_E_INVAL, "path too long: '%s'", path);
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(buf, mode) == 0) {
				/* The new name is durable only once its parent is synced. */
				int rc = file_sync_dir(buf, 0, why);
				if (rc)
					return rc;
			} else if (errno != EEXIST) {
				return al_errf(why, file_err(errno), "cannot create directory "
					       "'%s': %s", buf, strerror(errno));
			}
			*p = c;
			if (!c)
				break;
		}
	}
	return AL_OK;
}

int file_remove_dir(const char *path, char *why)
{
	DIR *d = opendir(path);
	if (!d)
		return errno == ENOENT ? AL_OK
			: al_errf(why, AL_E_IO, "cannot open directory '%s': %s", path,
				  strerror(errno));
	int rc = AL_OK;
	struct dirent *de;
	while (rc == AL_OK && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    unlinkat(dirfd(d), de->d_name, 0) < 0)
			rc = al_errf(why, AL_E_IO, "cannot remove '%s/%s': %s", path, de->d_name,
				     strerror(errno));
	closedir(d);
	if (rc == AL_OK && rmdir(path) < 0)
		rc = al_errf(why, AL_E_IO, "cannot remove directory '%s': %s", path,
			     strerror(errno));
	return rc;
}
