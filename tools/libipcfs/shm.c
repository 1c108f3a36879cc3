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

/* glibc's __shm_get_name (2.34-2.36): leading slashes skipped; a name that is empty, has
 * another '/', or does not fit "/dev/shm/" + "sem." + NAME_MAX (more than 260 bytes) is refused
 * before any system call (shm_open: EINVAL, shm_unlink: ENOENT); one of 256-260 bytes fits and
 * gets ENAMETOOLONG from open(2) in /dev/shm. The mount would take longer components (FUSE allows
 * 1024), so that last bound is ours to give. 0, or -1 with refused (or ENAMETOOLONG) in errno. */
static int shm_path(const char *name, char *path, size_t cap, int refused) {
    while (*name == '/') name++;
    size_t len = strlen(name);
    if (len == 0 || memchr(name, '/', len) || len > NAME_MAX + 5) { errno = refused; return -1; }
    if (len > NAME_MAX) { errno = ENAMETOOLONG; return -1; }
    return ipcfs__path(path, cap, "shared-memory/named/%s", name);
}

int ipcfs_shm_open(const char *name, int oflag, mode_t mode) {
    char path[PATH_MAX];
    if (shm_path(name, path, sizeof path, EINVAL) < 0) return -1;
    int fd = open(path, oflag | O_NOFOLLOW | O_CLOEXEC, mode);
    /* glibc: a directory is one more unsuitable name */
    if (fd < 0 && errno == EISDIR) errno = EINVAL;
    return fd;
}

int ipcfs_shm_unlink(const char *name) {
    char path[PATH_MAX];
    if (shm_path(name, path, sizeof path, ENOENT) < 0) return -1;
    int r = unlink(path);
    /* glibc: POSIX says EACCES for a name the caller may not remove */
    if (r < 0 && errno == EPERM) errno = EACCES;
    return r;
}
