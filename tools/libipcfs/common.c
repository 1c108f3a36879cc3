/* libipcfs's shared plumbing (see internal.h). No allocation and no locks, so that the paths a
 * signal handler may take (sem_post) stay async-signal-safe. */
#define _GNU_SOURCE
#include "internal.h"
#include "ipcfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static char mount_dir[PATH_MAX] = "/mnt/ipc";

/* Read once at load: no getenv on the calls' paths (getenv is not async-signal-safe against
 * setenv), and nothing else at load, so a program that makes no IPC call pays nothing. */
__attribute__((constructor)) static void read_mount_env(void) {
    const char *env = getenv("IPCFS_MOUNT");
    if (env && *env && strlen(env) < sizeof mount_dir) strcpy(mount_dir, env);
}

int ipcfs_set_mount(const char *dir) {
    if (!dir || !*dir) { errno = EINVAL; return -1; }
    if (strlen(dir) >= sizeof mount_dir) { errno = ENAMETOOLONG; return -1; }
    strcpy(mount_dir, dir);
    return 0;
}

const char *ipcfs_mount_dir(void) { return mount_dir; }

const char *ipcfs__mount(void) { return mount_dir; }

int ipcfs__path(char *buf, size_t cap, const char *fmt, ...) {
    int n = snprintf(buf, cap, "%s/", mount_dir);
    if (n < 0 || (size_t)n >= cap) { errno = ENAMETOOLONG; return -1; }
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(buf + n, cap - n, fmt, ap);
    va_end(ap);
    if (m < 0 || (size_t)m >= cap - n) { errno = ENAMETOOLONG; return -1; }
    return 0;
}

int ipcfs__command(int fd, const char *cmd, size_t len) {
    ssize_t n = write(fd, cmd, len);
    if (n < 0) return -1;
    if ((size_t)n != len) { errno = EIO; return -1; } /* a command is taken whole or refused */
    return 0;
}

ssize_t ipcfs__read_to_end(int fd, char *buf, size_t cap) {
    size_t got = 0;
    while (got < cap) {
        ssize_t n = read(fd, buf + got, cap - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (n == 0) break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

ssize_t ipcfs__read_status(const char *path, char *buf, size_t cap) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = ipcfs__read_to_end(fd, buf, cap - 1);
    int saved = errno;
    if (n >= 0 && (size_t)n == cap - 1) {
        char extra;
        if (read(fd, &extra, 1) > 0) { n = -1; saved = ERANGE; }
    }
    close(fd);
    if (n < 0) { errno = saved; return -1; }
    buf[n] = 0;
    return n;
}

int ipcfs__create(const char *kinddir, const char *cmd, char *answer, size_t cap) {
    char path[PATH_MAX];
    if (ipcfs__path(path, sizeof path, "%s/.new", kinddir) < 0) return -1;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) return -1;
    if (ipcfs__command(fd, cmd, strlen(cmd)) < 0) { int e = errno; close(fd); errno = e; return -1; }
    ssize_t n = ipcfs__read_to_end(fd, answer, cap - 1);
    int e = errno;
    close(fd);
    if (n < 0) { errno = e; return -1; }
    while (n > 0 && (answer[n - 1] == '\n' || answer[n - 1] == ' ')) n--;
    answer[n] = 0;
    return 0;
}

int ipcfs__status_number(const char *text, const char *key, long long *out) {
    size_t klen = strlen(key);
    for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ':' && line[klen + 1] == ' ') {
            char *end;
            errno = 0;
            long long v = strtoll(line + klen + 2, &end, 10);
            if (errno || end == line + klen + 2 || (*end != '\n' && *end != 0 && *end != ' ')) return -1;
            *out = v;
            return 0;
        }
    }
    return -1;
}

/* Past this a deadline is "never" in practice (the daemon waits any length: tree/long-timer.ts);
 * capping keeps sec * 1000 from overflowing for deadlines such as TIME_T_MAX. */
#define LONGEST_WAIT_S 1000000000000LL /* about 31,700 years */

static int format_seconds(long long sec, long nsec, char *out, size_t cap) {
    if (sec < 0) sec = 0, nsec = 0;
    if (sec >= LONGEST_WAIT_S) sec = LONGEST_WAIT_S, nsec = 0;
    long long ms = sec * 1000 + (nsec + 999999) / 1000000; /* up: never before the deadline */
    int n = snprintf(out, cap, "%lld.%03lld", ms / 1000, ms % 1000);
    if (n < 0 || (size_t)n >= cap) { errno = EINVAL; return -1; }
    return 0;
}

int ipcfs__seconds_until(clockid_t clk, const struct timespec *abs, char *out, size_t cap) {
    if (abs->tv_nsec < 0 || abs->tv_nsec >= 1000000000L) { errno = EINVAL; return -1; }
    struct timespec now;
    if (clock_gettime(clk, &now) < 0) return -1;
    if (abs->tv_sec < now.tv_sec) return format_seconds(-1, 0, out, cap); /* passed (no underflow) */
    long long sec = (long long)abs->tv_sec - now.tv_sec;
    long nsec = abs->tv_nsec - now.tv_nsec;
    if (nsec < 0) nsec += 1000000000L, sec--;
    return format_seconds(sec, nsec, out, cap);
}

int ipcfs__seconds(const struct timespec *rel, char *out, size_t cap) {
    if (rel->tv_nsec < 0 || rel->tv_nsec >= 1000000000L || rel->tv_sec < 0) { errno = EINVAL; return -1; }
    return format_seconds(rel->tv_sec, rel->tv_nsec, out, cap);
}

int ipcfs__reopen(int fd) {
    int fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);
    if (fl < 0 || fdfl < 0) return -1;
    char self[64];
    snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
    /* O_NOFOLLOW stays in F_GETFL's flags but would refuse the /proc magic link (ELOOP). */
    int fresh = open(self, (fl & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOFOLLOW)) | O_CLOEXEC);
    if (fresh < 0) return -1;
    if (dup3(fresh, fd, (fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0) { int e = errno; close(fresh); errno = e; return -1; }
    close(fresh);
    return 0;
}

int ipcfs__identify(int fd, dev_t *dev, ino_t *ino) {
    struct statx sx;
    if (fd < 0) { errno = EBADF; return -1; }
    if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_INO, &sx) < 0) return -1;
    *dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
    *ino = (ino_t)sx.stx_ino;
    return 0;
}

int ipcfs__is_file(int fd, dev_t dev, ino_t ino) {
    int saved = errno;
    dev_t d;
    ino_t i;
    int same = ipcfs__identify(fd, &d, &i) == 0 && d == dev && i == ino;
    errno = saved;
    return same;
}

void ipcfs__close_if(int fd, dev_t dev, ino_t ino) {
    if (ipcfs__is_file(fd, dev, ino)) close(fd);
}

int ipcfs__one_word(const char *name) {
    static const char *const spaces[] = { /* JavaScript's \s beyond ASCII, in UTF-8 */
        "\xc2\xa0", "\xe1\x9a\x80", "\xe2\x80\xa8", "\xe2\x80\xa9", "\xe2\x80\xaf", "\xe2\x81\x9f",
        "\xe3\x80\x80", "\xef\xbb\xbf",
    };
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p == ' ' || (*p >= '\t' && *p <= '\r')) return 0;
        if (p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0x80 && p[2] <= 0x8a) return 0; /* U+2000..U+200A */
        for (size_t i = 0; i < sizeof spaces / sizeof *spaces; i++)
            if (!strncmp((const char *)p, spaces[i], strlen(spaces[i]))) return 0;
    }
    return 1;
}

/* -1: the call is refused here (seccomp, ENOSYS): no checks. */
static int vm_usable(ssize_t r) { return !(r < 0 && (errno == ENOSYS || errno == EPERM)); }

int ipcfs__copy_in(void *dst, const void *user, size_t n) {
    if (n == 0) return 0;
    int saved = errno;
    struct iovec local = { dst, n }, remote = { (void *)user, n };
    ssize_t r = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
    if (r == (ssize_t)n) { errno = saved; return 0; }
    if (!vm_usable(r)) { memcpy(dst, user, n); errno = saved; return 0; }
    errno = EFAULT;
    return -1;
}

/* One byte of each page of [user, user + n): read, and if write, written back as it was. */
static int probe(void *user, size_t n, int write) {
    if (n == 0) return 0;
    int saved = errno;
    enum { BATCH = 64 };
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t start = (uintptr_t)user, end = start + n;
    if (end < start) { errno = EFAULT; return -1; }
    uintptr_t at = start;
    while (at < end) {
        char bytes[BATCH];
        struct iovec local[BATCH], remote[BATCH];
        int k = 0;
        for (; k < BATCH && at < end; k++) {
            local[k] = (struct iovec){ &bytes[k], 1 };
            remote[k] = (struct iovec){ (void *)at, 1 };
            at = (at | (uintptr_t)(page - 1)) + 1; /* the next page's first byte */
        }
        ssize_t r = process_vm_readv(getpid(), local, (unsigned long)k, remote, (unsigned long)k, 0);
        if (r >= 0 && r == k && write) r = process_vm_writev(getpid(), local, (unsigned long)k, remote, (unsigned long)k, 0);
        if (r < 0 && !vm_usable(r)) break;
        if (r != k) { errno = EFAULT; return -1; }
    }
    errno = saved;
    return 0;
}

int ipcfs__readable(const void *user, size_t n) { return probe((void *)user, n, 0); }
int ipcfs__writable(void *user, size_t n) { return probe(user, n, 1); }
