/* POSIX shared memory scenario, built twice by shm-posix.test.ts: with glibc (run in a private IPC
 * and mount namespace, on a private /dev/shm) and against libipcfs (on a fresh mount). Prints one
 * line per call: its result and errno name, nothing that differs between runs (no fds, no
 * addresses), so the two outputs compare equal where ipcfs behaves as glibc + Linux. */
#define _GNU_SOURCE
#if __has_include("ipcfs.h")
#include "ipcfs.h"
#define SHM_OPEN ipcfs_shm_open
#define SHM_UNLINK ipcfs_shm_unlink
#else
#define SHM_OPEN shm_open
#define SHM_UNLINK shm_unlink
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errno-name.h"

/* open: "ok" or the errno; the fd is kept in *out when asked, else closed */
static void try_open(const char *label, const char *name, int oflag, mode_t mode, int *out) {
    errno = 0;
    int fd = SHM_OPEN(name, oflag, mode);
    printf("shm_open %s: %s\n", label, fd >= 0 ? "ok" : en(errno));
    if (fd >= 0) {
        if (out) *out = fd;
        else close(fd);
    }
}

static void try_unlink(const char *label, const char *name) {
    errno = 0;
    int r = SHM_UNLINK(name);
    printf("shm_unlink %s: %s\n", label, r == 0 ? "ok" : en(errno));
}

int main(void) {
    char name[64], long255[300], long256[300], long300[320];
    snprintf(name, sizeof name, "/shm-posix-%d", (int)getpid());
    umask(022);

    /* glibc's name rules */
    try_open("empty", "", O_RDWR | O_CREAT, 0600, NULL);
    try_open("slash only", "/", O_RDWR | O_CREAT, 0600, NULL);
    try_open("slash inside", "/a/b", O_RDWR | O_CREAT, 0600, NULL);
    try_open("dot", ".", O_RDWR, 0600, NULL);
    try_open("dotdot", "..", O_RDWR, 0600, NULL);
    memset(long255, 'x', 255), long255[255] = 0;
    memset(long256, 'y', 256), long256[256] = 0;
    memset(long300, 'z', 300), long300[300] = 0;
    try_open("255 bytes", long255, O_RDWR | O_CREAT, 0600, NULL);
    try_unlink("255 bytes", long255);
    try_open("256 bytes", long256, O_RDWR | O_CREAT, 0600, NULL);
    try_open("300 bytes", long300, O_RDWR | O_CREAT, 0600, NULL);
    try_unlink("256 bytes", long256);
    try_unlink("empty", "");
    try_unlink("slash inside", "/a/b");

    /* flags */
    try_open("absent", name, O_RDWR, 0, NULL);
    int fd = -1;
    try_open("create", name, O_RDWR | O_CREAT | O_EXCL, 0666, &fd);
    struct stat st;
    fstat(fd, &st);
    printf("mode after umask 022: %o, size %lld\n", st.st_mode & 07777, (long long)st.st_size);
    printf("close-on-exec: %s\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) ? "yes" : "no");
    try_open("create excl again", name, O_RDWR | O_CREAT | O_EXCL, 0600, NULL);
    try_open("create without excl", name, O_RDWR | O_CREAT, 0600, NULL);
    try_open("leading slashes", "///shm-posix-x-absent", O_RDONLY, 0, NULL);

    /* ftruncate + mmap across fork */
    printf("ftruncate 8192: %s\n", ftruncate(fd, 8192) == 0 ? "ok" : en(errno));
    char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("mmap: %s\n", p != MAP_FAILED ? "ok" : en(errno));
    pid_t child = fork();
    if (child == 0) {
        int cfd = SHM_OPEN(name, O_RDWR, 0);
        char *q = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
        strcpy(q + 4096, "from the child, another open");
        strcpy(p, "from the child, inherited mapping");
        _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
    printf("parent sees: '%s' / '%s'\n", p, p + 4096);
    char buf[40] = "";
    int rfd = -1;
    try_open("read only", name, O_RDONLY, 0, &rfd);
    printf("read: %zd '%.14s'\n", read(rfd, buf, 14), buf);
    errno = 0;
    printf("ftruncate read-only: %s\n", ftruncate(rfd, 100) == 0 ? "ok" : en(errno));
    errno = 0;
    printf("mmap write read-only: %s\n", mmap(NULL, 4096, PROT_WRITE, MAP_SHARED, rfd, 0) != MAP_FAILED ? "ok" : en(errno));
    close(rfd);
    try_open("truncate", name, O_RDWR | O_TRUNC, 0, &rfd);
    fstat(rfd, &st);
    printf("size after O_TRUNC: %lld\n", (long long)st.st_size);
    close(rfd);

    /* unlink: the name goes, the memory stays with its opens */
    try_unlink("existing", name);
    try_unlink("again", name);
    try_open("after unlink", name, O_RDWR, 0, NULL);
    printf("ftruncate after unlink: %s\n", ftruncate(fd, 4096) == 0 ? "ok" : en(errno));
    munmap(p, 8192);
    close(fd);
    return 0;
}
