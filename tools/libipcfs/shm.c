/* POSIX shared memory on the mount: shm_open and shm_unlink are open(2) and unlink(2) of
 * shared-memory/named/NAME, with glibc's name rules (__shm_get_name) and its errno fix-ups, so a
 * program sees what glibc's /dev/shm gives it. The descriptor is the object's file: ftruncate,
 * mmap(MAP_SHARED), read and write work on it as on a file in /dev/shm. */
#define _GNU_SOURCE
#include "internal.h"
#include "ipcfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

/* glibc's __shm_get_name: leading slashes skipped; empty or another '/' is EINVAL; a name that
 * does not fit "/dev/shm/" + NAME_MAX + the "sem." room is ENAMETOOLONG, and one that fits but is
 * longer than a file name is ENAMETOOLONG from open(2) in /dev/shm. The mount would take longer
 * components (FUSE allows 1024), so the last bound is ours to give. */
static int shm_path(const char *name, char *path, size_t cap) {
    while (*name == '/') name++;
    size_t len = strlen(name);
    if (len == 0 || memchr(name, '/', len)) { errno = EINVAL; return -1; }
    if (len > NAME_MAX) { errno = ENAMETOOLONG; return -1; }
    return ipcfs__path(path, cap, "shared-memory/named/%s", name);
}

int ipcfs_shm_open(const char *name, int oflag, mode_t mode) {
    char path[PATH_MAX];
    if (shm_path(name, path, sizeof path) < 0) return -1;
    int fd = open(path, oflag | O_NOFOLLOW | O_CLOEXEC, mode);
    /* glibc: a directory is one more unsuitable name */
    if (fd < 0 && errno == EISDIR) errno = EINVAL;
    return fd;
}

int ipcfs_shm_unlink(const char *name) {
    char path[PATH_MAX];
    if (shm_path(name, path, sizeof path) < 0) return -1;
    int r = unlink(path);
    /* glibc: POSIX says EACCES for a name the caller may not remove */
    if (r < 0 && errno == EPERM) errno = EACCES;
    return r;
}
