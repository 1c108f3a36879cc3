/* The interposer (libipcfs-preload.so, used by `ipcfs exec`): defines libc's POSIX and System V
 * IPC calls as one-line forwards to libipcfs, so an unmodified program's semaphores, queues and
 * shared memory are the mount's files. Nothing else of libc is defined here except the exec
 * family, which lets SEM_UNDO and *_robust adjustments survive execve as on Linux (the undo
 * handles are kept open across the exec, and closed again if it fails; their numbers go to the
 * new program in IPCFS_UNDO_FDS). The one constructor notes the process id, registers a fork
 * handler and reads that variable: nothing more for a program that makes no IPC call.
 *
 * The definitions are unversioned: they satisfy a program's versioned references (semop@GLIBC_2.2.5)
 * ahead of libc's. */
#define _GNU_SOURCE
#include "internal.h"
#include "ipcfs.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

/* glibc's semctl reads its fourth argument only for these commands (sysdeps/unix/sysv/linux/semctl.c) */
union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
    struct seminfo *__buf;
};

/* POSIX semaphores. glibc's sem_open reads mode and value only with O_CREAT. */
EXPORT sem_t *sem_open(const char *name, int oflag, ...) {
    mode_t mode = 0;
    unsigned int value = 0;
    if (oflag & O_CREAT) {
        va_list ap;
        va_start(ap, oflag);
        mode = va_arg(ap, mode_t);
        value = va_arg(ap, unsigned int);
        va_end(ap);
    }
    return ipcfs_sem_open(name, oflag, mode, value);
}
EXPORT int sem_close(sem_t *sem) { return ipcfs_sem_close(sem); }
EXPORT int sem_unlink(const char *name) { return ipcfs_sem_unlink(name); }
EXPORT int sem_init(sem_t *sem, int pshared, unsigned int value) { return ipcfs_sem_init(sem, pshared, value); }
EXPORT int sem_destroy(sem_t *sem) { return ipcfs_sem_destroy(sem); }
EXPORT int sem_post(sem_t *sem) { return ipcfs_sem_post(sem); }
EXPORT int sem_wait(sem_t *sem) { return ipcfs_sem_wait(sem); }
EXPORT int sem_trywait(sem_t *sem) { return ipcfs_sem_trywait(sem); }
EXPORT int sem_timedwait(sem_t *sem, const struct timespec *abstime) { return ipcfs_sem_timedwait(sem, abstime); }
EXPORT int sem_clockwait(sem_t *sem, clockid_t clock, const struct timespec *abstime) { return ipcfs_sem_clockwait(sem, clock, abstime); }
EXPORT int sem_getvalue(sem_t *sem, int *sval) { return ipcfs_sem_getvalue(sem, sval); }

/* POSIX message queues. glibc's mq_open reads mode and attr only with O_CREAT. */
EXPORT mqd_t mq_open(const char *name, int oflag, ...) {
    mode_t mode = 0;
    struct mq_attr *attr = NULL;
    if (oflag & O_CREAT) {
        va_list ap;
        va_start(ap, oflag);
        mode = va_arg(ap, mode_t);
        attr = va_arg(ap, struct mq_attr *);
        va_end(ap);
    }
    return ipcfs_mq_open(name, oflag, mode, attr);
}
EXPORT int mq_close(mqd_t mqdes) { return ipcfs_mq_close(mqdes); }
EXPORT int mq_unlink(const char *name) { return ipcfs_mq_unlink(name); }
EXPORT int mq_send(mqd_t mqdes, const char *msg, size_t len, unsigned int prio) { return ipcfs_mq_send(mqdes, msg, len, prio); }
EXPORT int mq_timedsend(mqd_t mqdes, const char *msg, size_t len, unsigned int prio, const struct timespec *abstime) {
    return ipcfs_mq_timedsend(mqdes, msg, len, prio, abstime);
}
EXPORT ssize_t mq_receive(mqd_t mqdes, char *msg, size_t len, unsigned int *prio) { return ipcfs_mq_receive(mqdes, msg, len, prio); }
EXPORT ssize_t mq_timedreceive(mqd_t mqdes, char *msg, size_t len, unsigned int *prio, const struct timespec *abstime) {
    return ipcfs_mq_timedreceive(mqdes, msg, len, prio, abstime);
}
EXPORT int mq_getattr(mqd_t mqdes, struct mq_attr *attr) { return ipcfs_mq_getattr(mqdes, attr); }
EXPORT int mq_setattr(mqd_t mqdes, const struct mq_attr *attr, struct mq_attr *oldattr) { return ipcfs_mq_setattr(mqdes, attr, oldattr); }
EXPORT int mq_notify(mqd_t mqdes, const struct sigevent *sev) { return ipcfs_mq_notify(mqdes, sev); }

/* POSIX shared memory */
EXPORT int shm_open(const char *name, int oflag, mode_t mode) { return ipcfs_shm_open(name, oflag, mode); }
EXPORT int shm_unlink(const char *name) { return ipcfs_shm_unlink(name); }

/* System V semaphores */
EXPORT int semget(key_t key, int nsems, int semflg) { return ipcfs_semget(key, nsems, semflg); }
EXPORT int semop(int semid, struct sembuf *sops, size_t nsops) { return ipcfs_semop(semid, sops, nsops); }
EXPORT int semtimedop(int semid, struct sembuf *sops, size_t nsops, const struct timespec *timeout) {
    return ipcfs_semtimedop(semid, sops, nsops, timeout);
}
EXPORT int semctl(int semid, int semnum, int cmd, ...) {
    union semun arg = {0};
    switch (cmd) {
    case SETVAL: case GETALL: case SETALL: case IPC_STAT: case SEM_STAT: case SEM_STAT_ANY:
    case IPC_SET: case IPC_INFO: case SEM_INFO: {
        va_list ap;
        va_start(ap, cmd);
        arg = va_arg(ap, union semun);
        va_end(ap);
        break;
    }
    }
    return ipcfs_semctl(semid, semnum, cmd, arg);
}

/* System V message queues */
EXPORT int msgget(key_t key, int msgflg) { return ipcfs_msgget(key, msgflg); }
EXPORT int msgsnd(int msqid, const void *msgp, size_t msgsz, int msgflg) { return ipcfs_msgsnd(msqid, msgp, msgsz, msgflg); }
EXPORT ssize_t msgrcv(int msqid, void *msgp, size_t msgsz, long msgtyp, int msgflg) { return ipcfs_msgrcv(msqid, msgp, msgsz, msgtyp, msgflg); }
EXPORT int msgctl(int msqid, int cmd, struct msqid_ds *buf) { return ipcfs_msgctl(msqid, cmd, buf); }

/* System V shared memory */
EXPORT int shmget(key_t key, size_t size, int shmflg) { return ipcfs_shmget(key, size, shmflg); }
EXPORT void *shmat(int shmid, const void *shmaddr, int shmflg) { return ipcfs_shmat(shmid, shmaddr, shmflg); }
EXPORT int shmdt(const void *shmaddr) { return ipcfs_shmdt(shmaddr); }
EXPORT int shmctl(int shmid, int cmd, struct shmid_ds *buf) { return ipcfs_shmctl(shmid, cmd, buf); }

/* The exec family. The undo handles lose FD_CLOEXEC just before the exec and get it back if the
 * exec fails. execve, execv, execl, execle and fexecve are the system calls themselves (as glibc's
 * are: async-signal-safe, usable after vfork); the PATH searches (execvp, execvpe, execlp) are
 * glibc's own execvpe, found with dlsym at the first call, whose internal execve does not come
 * back through here. */
/* The undo handles an exec'd program received. Its library does not know them (tables start
 * empty), so they were no longer close-on-exec there: every child it started held the dead
 * program's adjustments, and a jobserver token taken before the exec came back only when its last
 * child exited (on Linux, when the program itself dies). The exec passes their numbers in
 * IPCFS_UNDO_FDS; the program's preload takes them back as handles: close-on-exec, closed in a
 * fork child (which has no adjustments), and handed on at its own execs. */
#define HANDED_ENV "IPCFS_UNDO_FDS="
static int handed_fd[IPCFS__KEPT_MAX];
static dev_t handed_dev[IPCFS__KEPT_MAX];
static ino_t handed_ino[IPCFS__KEPT_MAX];
static int handed_n;

/* The process whose adjustments the tables hold: a vfork child (no fork handler runs) that execs
 * has none, as on Linux, and must not hand its parent's on (the exec'd program would keep the
 * parent's token after the parent's death). */
static pid_t owner;

static void fork_child(void) {
    owner = (pid_t)syscall(SYS_getpid);
    for (int i = 0; i < handed_n; i++) ipcfs__close_if(handed_fd[i], handed_dev[i], handed_ino[i]);
    handed_n = 0;
}

__attribute__((constructor)) static void take_handed(void) {
    owner = (pid_t)syscall(SYS_getpid);
    pthread_atfork(NULL, NULL, fork_child);
    const char *list = getenv("IPCFS_UNDO_FDS");
    if (!list) return;
    const char *mount = getenv("IPCFS_MOUNT");
    struct stat m;
    if (stat(mount && *mount ? mount : "/mnt/ipc", &m) < 0) m.st_dev = 0;
    for (const char *p = list; *p && handed_n < IPCFS__KEPT_MAX;) {
        char *end;
        long fd = strtol(p, &end, 10);
        if (end == p) break;
        p = *end == ',' ? end + 1 : end;
        int fl = fd < 0 || fd > INT_MAX ? -1 : fcntl((int)fd, F_GETFD);
        /* still inheritable and a file of the mount: the exec's own handle, not a reused number
         * (the variable may have come through a program without the preload) */
        if (fl < 0 || (fl & FD_CLOEXEC) || ipcfs__identify((int)fd, &handed_dev[handed_n], &handed_ino[handed_n]) < 0 ||
            handed_dev[handed_n] != m.st_dev)
            continue;
        fcntl((int)fd, F_SETFD, fl | FD_CLOEXEC);
        handed_fd[handed_n++] = (int)fd;
    }
    unsetenv("IPCFS_UNDO_FDS");
}

static void keep_undo(int keep, struct ipcfs__kept *kept) {
    if (keep && (pid_t)syscall(SYS_getpid) != owner) return;
    ipcfs__sem_keep_across_exec(keep, kept);
    ipcfs__sysv_sem_keep_across_exec(keep, kept);
    for (int i = 0; i < handed_n; i++)
        if (ipcfs__is_file(handed_fd[i], handed_dev[i], handed_ino[i]) && fcntl(handed_fd[i], F_SETFD, keep ? 0 : FD_CLOEXEC) == 0 && keep &&
            kept->n < IPCFS__KEPT_MAX)
            kept->fd[kept->n++] = handed_fd[i];
}

static int exec_failed(void) {
    int e = errno;
    keep_undo(0, NULL);
    errno = e;
    return -1;
}

static size_t env_count(char *const envp[]) {
    size_t n = 0;
    if (envp)
        while (envp[n]) n++;
    return n;
}

/* envp without any IPCFS_UNDO_FDS, plus ours naming the kept descriptors (into out, room for
 * env_count + 2; text for the entry); envp itself when none is kept (the preload removed the
 * variable from environ at load). Async-signal-safe. */
static char *const *with_handed(char *const envp[], const struct ipcfs__kept *kept, char **out, char *text) {
    if (kept->n == 0) return envp;
    size_t n = 0, len = sizeof HANDED_ENV - 1;
    for (size_t i = 0; envp && envp[i]; i++) {
        const char *e = envp[i], *h = HANDED_ENV;
        while (*h && *e == *h) e++, h++;
        if (*h) out[n++] = envp[i];
    }
    for (size_t i = 0; i < len; i++) text[i] = HANDED_ENV[i];
    for (int k = 0; k < kept->n; k++) {
        char digits[12];
        int d = 0;
        unsigned v = (unsigned)kept->fd[k];
        do digits[d++] = (char)('0' + v % 10); while ((v /= 10));
        if (k) text[len++] = ',';
        while (d) text[len++] = digits[--d];
    }
    text[len] = 0;
    out[n++] = text;
    out[n] = NULL;
    return out;
}

#define HANDED_TEXT (sizeof HANDED_ENV + IPCFS__KEPT_MAX * 12)

static int sys_execve(const char *path, char *const argv[], char *const envp[]) {
    struct ipcfs__kept kept = {0};
    keep_undo(1, &kept);
    /* a copy of envp on the stack only when something is handed over (a thread's stack is small) */
    char *out[kept.n ? env_count(envp) + 2 : 1], text[kept.n ? HANDED_TEXT : 1];
    syscall(SYS_execve, path, argv, with_handed(envp, &kept, out, text));
    return exec_failed();
}

typedef int execvpe_fn(const char *, char *const[], char *const[]);

static int real_execvpe(const char *file, char *const argv[], char *const envp[]) {
    static execvpe_fn *next;
    execvpe_fn *fn = __atomic_load_n(&next, __ATOMIC_ACQUIRE);
    if (!fn) {
        fn = (execvpe_fn *)dlsym(RTLD_NEXT, "execvpe");
        if (!fn) { errno = ENOSYS; return -1; }
        __atomic_store_n(&next, fn, __ATOMIC_RELEASE);
    }
    struct ipcfs__kept kept = {0};
    keep_undo(1, &kept);
    /* a copy of envp on the stack only when something is handed over (a thread's stack is small) */
    char *out[kept.n ? env_count(envp) + 2 : 1], text[kept.n ? HANDED_TEXT : 1];
    fn(file, argv, with_handed(envp, &kept, out, text));
    return exec_failed();
}

EXPORT int execve(const char *path, char *const argv[], char *const envp[]) { return sys_execve(path, argv, envp); }
EXPORT int execv(const char *path, char *const argv[]) { return sys_execve(path, argv, environ); }
EXPORT int execvp(const char *file, char *const argv[]) { return real_execvpe(file, argv, environ); }
EXPORT int execvpe(const char *file, char *const argv[], char *const envp[]) { return real_execvpe(file, argv, envp); }

EXPORT int fexecve(int fd, char *const argv[], char *const envp[]) {
    /* glibc's checks; through volatile copies, since the header declares them nonnull */
    char *const *volatile a = argv, *const *volatile e = envp;
    if (fd < 0 || !a || !e) { errno = EINVAL; return -1; }
    struct ipcfs__kept kept = {0};
    keep_undo(1, &kept);
    /* a copy of envp on the stack only when something is handed over (a thread's stack is small) */
    char *out[kept.n ? env_count(envp) + 2 : 1], text[kept.n ? HANDED_TEXT : 1];
    envp = with_handed(envp, &kept, out, text);
    syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
    if (errno == ENOSYS) { /* glibc's fallback for kernels before 3.19 */
        char self[32];
        int n = 0;
        char digits[12];
        unsigned v = (unsigned)fd;
        do digits[n++] = (char)('0' + v % 10); while ((v /= 10));
        const char *prefix = "/proc/self/fd/";
        size_t i = 0;
        while (*prefix) self[i++] = *prefix++;
        while (n) self[i++] = digits[--n];
        self[i] = 0;
        syscall(SYS_execve, self, argv, envp);
    }
    return exec_failed();
}

/* The l-forms, as glibc's execl: the arguments up to and including the NULL as an argv on the
 * stack (execle's envp follows the NULL). */
#define STACK_ARGV(argv, arg)                                                       \
    ptrdiff_t argc;                                                                 \
    va_list ap;                                                                     \
    va_start(ap, arg);                                                              \
    for (argc = 1; va_arg(ap, const char *); argc++) {}                             \
    va_end(ap);                                                                     \
    char *argv[argc + 1];                                                           \
    va_start(ap, arg);                                                              \
    argv[0] = (char *)arg;                                                          \
    for (ptrdiff_t i = 1; i <= argc; i++) argv[i] = va_arg(ap, char *)

EXPORT int execl(const char *path, const char *arg, ...) {
    STACK_ARGV(argv, arg);
    va_end(ap);
    return sys_execve(path, argv, environ);
}

EXPORT int execlp(const char *file, const char *arg, ...) {
    STACK_ARGV(argv, arg);
    va_end(ap);
    return real_execvpe(file, argv, environ);
}

EXPORT int execle(const char *path, const char *arg, ...) {
    STACK_ARGV(argv, arg);
    char *const *envp = va_arg(ap, char *const *);
    va_end(ap);
    return sys_execve(path, argv, envp);
}
