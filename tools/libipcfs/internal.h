/* What every part of libipcfs shares: the mount, paths under it, one-write commands, answers,
 * timeouts as the daemon takes them, and replacing an inherited open file after fork. Hidden
 * from the library's exports. */
#ifndef IPCFS_INTERNAL_H
#define IPCFS_INTERNAL_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define IPCFS_HIDDEN __attribute__((visibility("hidden")))

/* The mount directory: ipcfs_set_mount's, else $IPCFS_MOUNT (read once, at load), else /mnt/ipc.
 * Async-signal-safe. */
IPCFS_HIDDEN const char *ipcfs__mount(void);

/* buf = MOUNT "/" + the formatted rest (fmt must not start with '/'). 0, or -1 with ENAMETOOLONG.
 * Async-signal-safe when fmt has only %s, %d, %u, %x, %X, %ld and %lu conversions. */
IPCFS_HIDDEN int ipcfs__path(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One write(2) of a command (Framing: a write shorter than 4096 bytes is a whole command; a longer
 * one must end with '\n'). 0, or -1 with the command's errno (EINTR when a signal interrupted a
 * wait: nothing was taken). Async-signal-safe. */
IPCFS_HIDDEN int ipcfs__command(int fd, const char *cmd, size_t len);

/* Whether name stays one word of a command: the daemon splits commands at JavaScript's \s (ASCII
 * blanks and the Unicode spaces, as UTF-8). A name that would not (a space, a tab, a newline, a
 * no-break space...) must not go into a `create NAME ...` command: it would name another object
 * ("/ lead" would create "lead") or carry options ("/x excl"). */
IPCFS_HIDDEN int ipcfs__one_word(const char *name);

/* The caller's pointers, checked as the kernel's copy_from_user/copy_to_user would (EFAULT rather
 * than a SIGSEGV inside the library, perhaps with a lock held), through process_vm_readv/writev on
 * this process. ipcfs__readable/writable look at one byte of each page; copy_in copies n bytes.
 * 0, or -1 with EFAULT. Where the system refuses those calls (seccomp), nothing is checked. */
IPCFS_HIDDEN int ipcfs__readable(const void *user, size_t n);
IPCFS_HIDDEN int ipcfs__writable(void *user, size_t n);
IPCFS_HIDDEN int ipcfs__copy_in(void *dst, const void *user, size_t n);

/* Reads until end of file or cap bytes; the length, or -1 with errno. */
IPCFS_HIDDEN ssize_t ipcfs__read_to_end(int fd, char *buf, size_t cap);

/* The whole text of a status file (opened O_RDONLY, read to end, closed), NUL-terminated;
 * the length, or -1 with errno (ENOENT, EACCES, ...; ERANGE if it does not fit). */
IPCFS_HIDDEN ssize_t ipcfs__read_status(const char *path, char *buf, size_t cap);

/* A create through KIND/.new (kinddir relative to the mount, e.g. "semaphores/sysv"): one write of
 * cmd, then the answer read back (its newline removed) into answer. 0, or -1 with errno. */
IPCFS_HIDDEN int ipcfs__create(const char *kinddir, const char *cmd, char *answer, size_t cap);

/* The value of a "key: N" line of a status text (a decimal, possibly negative). 0, or -1 when
 * the line is missing or not a number. */
IPCFS_HIDDEN int ipcfs__status_number(const char *text, const char *key, long long *out);

/* An absolute time on clock clk as the daemon's relative seconds "S.mmm" (rounded up to the
 * millisecond, so the wait never ends before the deadline; "0.000" once it has passed) into out.
 * 0, or -1 with EINVAL when tv_nsec is outside [0, 1e9). */
IPCFS_HIDDEN int ipcfs__seconds_until(clockid_t clk, const struct timespec *abs, char *out, size_t cap);

/* The same for a relative time (semtimedop). 0, or -1 with EINVAL. */
IPCFS_HIDDEN int ipcfs__seconds(const struct timespec *rel, char *out, size_t cap);

/* Gives fd a fresh open file description of the same file, with the same access mode, status
 * flags and FD_CLOEXEC (reopened through /proc/self/fd, then dup3'd over fd). Used in a fork
 * child for handles holding undo adjustments: the child must not keep its parent's handle (and
 * so its parent's adjustments) alive. 0, or -1 with errno (fd is then left as it was). */
IPCFS_HIDDEN int ipcfs__reopen(int fd);

/* Whether the library's descriptor fd is still open on the file (dev, ino) it was opened on. A
 * program may close descriptors it did not open (closefrom, close 3..1024) and reuse the numbers:
 * the library must then neither write a command into the program's file nor close it. Cached
 * attributes only (AT_STATX_DONT_SYNC: no request reaches the daemon). Async-signal-safe. */
IPCFS_HIDDEN int ipcfs__is_file(int fd, dev_t dev, ino_t ino);

/* fd's device and inode as ipcfs__is_file compares them. 0, or -1 with errno. */
IPCFS_HIDDEN int ipcfs__identify(int fd, dev_t *dev, ino_t *ino);

/* close(fd) when it is still open on (dev, ino); otherwise the number is someone else's now. */
IPCFS_HIDDEN void ipcfs__close_if(int fd, dev_t dev, ino_t ino);

/* Undo handles across execve (the interposer's exec-family wrappers): keep != 0 clears FD_CLOEXEC
 * on every handle of this process that has carried an undo operation, keep == 0 sets it back
 * (after a failed exec). Async-signal-safe: no locks, best-effort reads of the tables. */
/* The descriptors a keep_across_exec(1) made inheritable (the exec'd program is told them). */
#define IPCFS__KEPT_MAX 64
struct ipcfs__kept { int n; int fd[IPCFS__KEPT_MAX]; };
IPCFS_HIDDEN void ipcfs__sem_keep_across_exec(int keep, struct ipcfs__kept *kept);      /* sem.c: the *_robust calls */
IPCFS_HIDDEN void ipcfs__sysv_sem_keep_across_exec(int keep, struct ipcfs__kept *kept); /* sysv-sem.c: SEM_UNDO */

#endif
