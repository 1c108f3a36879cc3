/* POSIX semaphores on the mount (semaphores/named, semaphores/unnamed) and the robust-semaphore
 * proposal's *_robust calls, which are the same commands with `undo`.
 *
 * A named semaphore is a library-allocated handle (one per object per process, as glibc's
 * mapping table: opening the same file twice gives the same pointer). An unnamed one lives in
 * the caller's sem_t as its 8-hex-digit ID; each process finds its own descriptor for that ID in
 * a lock-free table, so that sem_post from a signal handler neither allocates nor locks. */
#define _GNU_SOURCE
#include "internal.h"
#include "ipcfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NAMED_MAGIC 0x53454d4eu   /* "SEMN" */
#define UNNAMED_MAGIC 0x53454d55u /* "SEMU" */

struct named {
    uint32_t magic;
    _Atomic int fd;     /* replaced (never closed) when the program closed the number: sem_fd */
    int refs;           /* sem_open calls not yet closed; under named_lock */
    _Atomic int undo;   /* MARK_*: whether fd carries undo, or is shared with the parent process */
    dev_t dev;
    ino_t ino;
    char *path;         /* to find the same semaphore again after the program closed fd */
    struct named *next;
};

/* What sem_init leaves in the caller's sem_t (fits glibc's 32 bytes): the ID, not a descriptor,
 * so that every process sharing the memory finds its own. */
struct unnamed {
    uint32_t magic;
    uint32_t id;
    int pshared;
};
_Static_assert(sizeof(struct unnamed) <= sizeof(sem_t), "sem_t holds an unnamed semaphore");

/* A handle's undo mark. A handle that has carried undo is reopened in a fork child (which starts
 * with no adjustments); the child's other handles are marked INHERITED, and reopened before their
 * first robust call, so that the child's units are not recorded on its parent's description. */
enum { MARK_CLEAN, MARK_UNDO, MARK_INHERITED, MARK_REOPENING };

static void mark_undo(_Atomic int *mark, int fd) {
    for (;;) {
        int m = *mark;
        if (m == MARK_INHERITED) {
            if (!__atomic_compare_exchange_n(mark, &m, MARK_REOPENING, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) continue;
            ipcfs__reopen(fd); /* on failure the call still runs, on the shared description */
            *mark = MARK_UNDO;
            return;
        }
        if (m == MARK_REOPENING) { sched_yield(); continue; } /* another thread, for a moment */
        /* Marked before the command: a racing fork then reopens a handle with nothing to give back. */
        *mark = MARK_UNDO;
        return;
    }
}

static void mark_fork_child(_Atomic int *mark, int fd) {
    if (*mark == MARK_UNDO) *mark = ipcfs__reopen(fd) == 0 ? MARK_CLEAN : MARK_INHERITED;
    else if (*mark == MARK_CLEAN) *mark = MARK_INHERITED;
}

static pthread_mutex_t named_lock = PTHREAD_MUTEX_INITIALIZER;
static struct named *named_list;

/* ID -> descriptor, open addressing. A slot is (ID << 32) | (fd + 1), filled by CAS; sem_destroy
 * leaves a tombstone, which a later insert may fill. Two threads opening the same ID at once may
 * both get in (one each side of a tombstone): harmless, lookups take the first, and sem_destroy
 * closes every entry of its ID. */
#define SLOTS 4096
#define TOMB UINT64_MAX
static _Atomic uint64_t slots[SLOTS];
static _Atomic int slot_undo[SLOTS];
/* The device and inode of each slot's file, written by the insert that filled it just after its
 * CAS (0: not yet; trusted): a lookup checks the descriptor is still that file. */
static _Atomic ino_t slot_ino[SLOTS];
static _Atomic dev_t slot_dev[SLOTS];
/* sem_init's pshared == 0: the semaphore is this process's own. A fork child gets a copy of it
 * (as it gets a copy of the memory holding glibc's sem_t), not its parent's. */
static _Atomic unsigned char slot_private[SLOTS];
/* A fork child's copy of a private semaphore not made yet: the value it had at the fork, + 1 (0:
 * nothing pending; -1: a thread is making it). The fork handler does no I/O: the copy is made at
 * the child's first use of the semaphore, and never for one the child only destroys (Python
 * re-creates its locks in a forked child). A child sleeping in FUSE requests of its fork handler
 * would look, to a parent watching it (the Open POSIX test sem_timedwait/9-1 signals its child as
 * soon as it sleeps), as if it were already waiting in the program's own call. */
static _Atomic long long slot_pending[SLOTS];

static unsigned slot_home(uint32_t id) { return (id * 2654435761u) & (SLOTS - 1); }
static int slot_is(uint64_t w, uint32_t id) { return w != 0 && w != TOMB && (uint32_t)(w >> 32) == id; }

static int slot_find(uint32_t id) {
    unsigned h = slot_home(id);
    for (unsigned i = 0; i < SLOTS; i++, h = (h + 1) & (SLOTS - 1)) {
        uint64_t w = slots[h];
        if (w == 0) return -1;
        if (slot_is(w, id)) return (int)h;
    }
    return -1;
}

/* The slot of id holding fd, or the slot someone else filled first for id (fd is then closed). */
static int slot_insert(uint32_t id, int fd) {
    uint64_t mine = ((uint64_t)id << 32) | (uint32_t)(fd + 1);
    dev_t dev;
    ino_t ino;
    if (ipcfs__identify(fd, &dev, &ino) < 0) { int e = errno; close(fd); errno = e; return -1; }
    unsigned h = slot_home(id);
    for (unsigned i = 0; i < SLOTS; i++, h = (h + 1) & (SLOTS - 1)) {
        uint64_t w = slots[h];
        if (w == 0 || w == TOMB) {
            uint64_t expected = w;
            if (__atomic_compare_exchange_n(&slots[h], &expected, mine, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
                slot_dev[h] = dev;
                slot_ino[h] = ino;
                return (int)h;
            }
            w = expected;
        }
        if (slot_is(w, id)) { close(fd); return (int)h; }
    }
    close(fd);
    errno = ENOMEM;
    return -1;
}

static int slot_fd(int slot) { return (int)(uint32_t)slots[slot] - 1; }

/* Whether slot's descriptor is still its file (an insert that has not yet written the inode is
 * trusted: it is that moment's own descriptor). */
static int slot_intact(int slot, int fd) {
    ino_t ino = slot_ino[slot];
    return ino == 0 || ipcfs__is_file(fd, slot_dev[slot], ino);
}

/* The program closed slot's descriptor (and perhaps reused the number): open the semaphore again
 * and put the new descriptor in the slot, if it is still the same semaphore. Async-signal-safe. */
static int slot_readopt(uint32_t id, int slot, uint64_t old) {
    char path[PATH_MAX];
    if (ipcfs__path(path, sizeof path, "semaphores/unnamed/%08X", id) < 0) return -1;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0 || !ipcfs__is_file(fd, slot_dev[slot], slot_ino[slot])) {
        if (fd >= 0) close(fd);
        errno = EINVAL; /* destroyed (perhaps its ID given to another) */
        return -1;
    }
    uint64_t fresh = ((uint64_t)id << 32) | (uint32_t)(fd + 1);
    if (!__atomic_compare_exchange_n(&slots[slot], &old, fresh, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        close(fd); /* another thread did it first, or sem_destroy */
        if (!slot_is(old, id)) { errno = EINVAL; return -1; }
    }
    slot_undo[slot] = MARK_CLEAN; /* the closed description took its adjustments with it */
    return slot;
}

/* The slot of an unnamed semaphore in this process, opening it on first use. Async-signal-safe. */
static int slot_materialize(uint32_t id, int s);

static int unnamed_slot(const struct unnamed *u) {
    int s = slot_find(u->id);
    if (s >= 0) {
        if (slot_pending[s]) return slot_materialize(u->id, s);
        uint64_t w = slots[s];
        if (!slot_is(w, u->id) || slot_intact(s, (int)(uint32_t)w - 1)) return s;
        return slot_readopt(u->id, s, w);
    }
    char path[PATH_MAX];
    if (ipcfs__path(path, sizeof path, "semaphores/unnamed/%08X", u->id) < 0) return -1;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) errno = EINVAL; /* destroyed: not a semaphore any more */
        return -1;
    }
    return slot_insert(u->id, fd);
}

/* The program closed a named semaphore's descriptor: open its name again, if the name still is
 * that semaphore (otherwise the handle has lost it: EINVAL). Async-signal-safe. */
static int named_readopt(struct named *n, int old) {
    int fd = open(n->path, O_NOFOLLOW | O_RDWR | O_CLOEXEC);
    if (fd < 0 || !ipcfs__is_file(fd, n->dev, n->ino)) {
        if (fd >= 0) close(fd);
        errno = EINVAL;
        return -1;
    }
    if (!__atomic_compare_exchange_n(&n->fd, &old, fd, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        close(fd); /* another thread did it first */
        return old;
    }
    n->undo = MARK_CLEAN;
    return fd;
}

/* The descriptor of sem, and where its undo mark lives. Async-signal-safe. */
static int sem_fd(sem_t *sem, _Atomic int **undo) {
    if (!sem) { errno = EINVAL; return -1; }
    uint32_t magic = *(const uint32_t *)sem;
    if (magic == NAMED_MAGIC) {
        struct named *n = (struct named *)sem;
        if (undo) *undo = &n->undo;
        int fd = n->fd;
        return ipcfs__is_file(fd, n->dev, n->ino) ? fd : named_readopt(n, fd);
    }
    if (magic == UNNAMED_MAGIC) {
        int s = unnamed_slot((const struct unnamed *)sem);
        if (s < 0) return -1;
        if (undo) *undo = &slot_undo[s];
        return slot_fd(s);
    }
    errno = EINVAL;
    return -1;
}

static int run(sem_t *sem, const char *cmd, int with_undo) {
    _Atomic int *undo = NULL;
    int fd = sem_fd(sem, &undo);
    if (fd < 0) return -1;
    if (with_undo) mark_undo(undo, fd);
    return ipcfs__command(fd, cmd, strlen(cmd));
}

/* After EINTR: would glibc's futex wait have been restarted? The kernel restarts an untimed
 * futex wait when no handler ran (a stop signal, SIGCONT) or the handler has SA_RESTART, and a
 * timed one only when no handler ran; FUSE fails the write with EINTR for any pending signal.
 * Which signal it was is unknown, so judge by every signal's disposition: restart when none has
 * a handler (timed), or when every handler has SA_RESTART (untimed). */
static int restarts(int timed) {
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction sa;
        if (sigaction(sig, NULL, &sa) < 0) continue;
        int handled = (sa.sa_flags & SA_SIGINFO) ? sa.sa_sigaction != NULL
                                                 : sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN;
        if (handled && (timed || !(sa.sa_flags & SA_RESTART))) return 0;
    }
    return 1;
}

/* glibc's __shm_get_name (2.36): leading slashes skipped; empty, containing '/', or too long for
 * its buffer (256 bytes or more) is EINVAL (-2: sem_unlink says ENOENT); too long for "sem." +
 * name in one path component is the file system's ENAMETOOLONG (-1). */
static int sem_name(const char *name, char *path, size_t cap) {
    while (*name == '/') name++;
    size_t len = strlen(name);
    if (len == 0 || len >= 256 || strchr(name, '/')) { errno = EINVAL; return -2; }
    /* Not semaphores on the mount (glibc would make files "sem.", "sem.." and "sem..new"). */
    if (!strcmp(name, ".") || !strcmp(name, "..") || !strcmp(name, ".new")) { errno = EINVAL; return -2; }
    if (len + 4 > NAME_MAX) { errno = ENAMETOOLONG; return -1; }
    return ipcfs__path(path, cap, "semaphores/named/%s", name);
}

static mode_t current_umask(void) {
    /* umask(2) cannot be read without setting it, which races with other threads. */
    char buf[2048];
    if (ipcfs__read_status("/proc/self/status", buf, sizeof buf) < 0) return 022;
    const char *p = strstr(buf, "\nUmask:");
    return p ? (mode_t)strtoul(p + 7, NULL, 8) : 022;
}

static sem_t *named_handle(int fd, const char *path) {
    struct stat st;
    if (ipcfs__identify(fd, &st.st_dev, &st.st_ino) < 0) { int e = errno; close(fd); errno = e; return SEM_FAILED; }
    pthread_mutex_lock(&named_lock);
    for (struct named *n = named_list; n; n = n->next) {
        if (n->dev == st.st_dev && n->ino == st.st_ino) {
            n->refs++;
            pthread_mutex_unlock(&named_lock);
            close(fd);
            return (sem_t *)n;
        }
    }
    struct named *n = calloc(1, sizeof *n);
    char *copy = strdup(path);
    if (!n || !copy) { pthread_mutex_unlock(&named_lock); free(n); free(copy); close(fd); errno = ENOMEM; return SEM_FAILED; }
    n->path = copy;
    n->magic = NAMED_MAGIC;
    n->fd = fd;
    n->refs = 1;
    n->dev = st.st_dev;
    n->ino = st.st_ino;
    n->next = named_list;
    named_list = n;
    pthread_mutex_unlock(&named_lock);
    return (sem_t *)n;
}

/* A name .new's command cannot carry (a blank in it): made by open(O_CREAT), which gives value 0
 * and applies the umask itself. A value is set before anyone else can use it: the semaphore is
 * made with only its owner's write bit (which `set` needs), set, then given its mode (meanwhile
 * another user's open is EACCES, and root's sees value 0, where glibc's creation is atomic). */
static sem_t *create_by_open(const char *path, int oflag, mode_t mode, unsigned value) {
    int flags = O_NOFOLLOW | O_RDWR | O_CLOEXEC;
    int fd = open(path, flags | O_CREAT | O_EXCL, value ? S_IWUSR : mode & 0777);
    if (fd < 0) {
        if (errno != EEXIST || (oflag & O_EXCL)) return SEM_FAILED;
        fd = open(path, flags); /* made since our first open: returned unchanged, as glibc's retry */
        return fd < 0 ? SEM_FAILED : named_handle(fd, path);
    }
    if (value) {
        char cmd[32];
        int n = snprintf(cmd, sizeof cmd, "set %u", value);
        if (ipcfs__command(fd, cmd, (size_t)n) < 0 || fchmod(fd, mode & ~current_umask() & 0777) < 0) {
            int e = errno;
            unlink(path);
            close(fd);
            errno = e;
            return SEM_FAILED;
        }
    }
    return named_handle(fd, path);
}

sem_t *ipcfs_sem_open(const char *name, int oflag, ...) {
    char path[PATH_MAX];
    if (sem_name(name, path, sizeof path) < 0) return SEM_FAILED;
    /* As glibc: the semaphore is opened for reading and writing whatever oflag's access mode. */
    int open_flags = O_NOFOLLOW | O_RDWR | O_CLOEXEC; /* oflag's O_NONBLOCK would make waits trywaits */
    if (!(oflag & O_CREAT) || !(oflag & O_EXCL)) {
        int fd = open(path, open_flags);
        if (fd >= 0) return named_handle(fd, path);
        if (!(oflag & O_CREAT) || errno != ENOENT) return SEM_FAILED;
    }
    va_list ap;
    va_start(ap, oflag);
    mode_t mode = va_arg(ap, mode_t);
    unsigned value = va_arg(ap, unsigned);
    va_end(ap);
    if (value > SEM_VALUE_MAX) { errno = EINVAL; return SEM_FAILED; }
    const char *base = name;
    while (*base == '/') base++;
    if (!ipcfs__one_word(base)) return create_by_open(path, oflag, mode, value);
    char cmd[PATH_MAX + 64], answer[PATH_MAX];
    /* .new takes the mode as given; glibc's open(O_CREAT) applies the umask. Without excl, an
     * existing semaphore (made since our open failed) is returned unchanged, as glibc's retry. */
    snprintf(cmd, sizeof cmd, "create %s value=%u mode=%o%s", base, value, mode & ~current_umask() & 0777,
             (oflag & O_EXCL) ? " excl" : "");
    if (ipcfs__create("semaphores/named", cmd, answer, sizeof answer) < 0) return SEM_FAILED;
    int fd = open(path, open_flags);
    if (fd < 0) return SEM_FAILED;
    return named_handle(fd, path);
}

int ipcfs_sem_close(sem_t *sem) {
    pthread_mutex_lock(&named_lock);
    for (struct named **p = &named_list; *p; p = &(*p)->next) {
        if ((sem_t *)*p != sem) continue;
        struct named *n = *p;
        if (--n->refs == 0) {
            *p = n->next;
            n->magic = 0;
            ipcfs__close_if(n->fd, n->dev, n->ino);
            free(n->path);
            free(n);
        }
        pthread_mutex_unlock(&named_lock);
        return 0;
    }
    pthread_mutex_unlock(&named_lock);
    errno = EINVAL;
    return -1;
}

int ipcfs_sem_unlink(const char *name) {
    char path[PATH_MAX];
    int bad = sem_name(name, path, sizeof path);
    if (bad == -2) errno = ENOENT; /* as glibc */
    if (bad < 0) return -1;
    if (unlink(path) < 0) {
        if (errno == EPERM) errno = EACCES; /* as glibc's sem_unlink (the sticky directory's EPERM) */
        return -1;
    }
    return 0;
}

/* .new's `transient`: the semaphore goes when its last open file does, so a program that never
 * calls sem_destroy leaks nothing. */
static int create_unnamed(unsigned value, char *answer, size_t cap, int *fd_out) {
    char path[PATH_MAX], cmd[96];
    if (ipcfs__path(path, sizeof path, "semaphores/unnamed/.new") < 0) return -1;
    int nfd = open(path, O_RDWR | O_CLOEXEC);
    if (nfd < 0) return -1;
    int n = snprintf(cmd, sizeof cmd, "create value=%u mode=600 transient", value);
    ssize_t got = ipcfs__command(nfd, cmd, (size_t)n) < 0 ? -1 : ipcfs__read_to_end(nfd, answer, cap - 1);
    if (got < 0) { int e = errno; close(nfd); errno = e; return -1; }
    while (got > 0 && (answer[got - 1] == '\n' || answer[got - 1] == ' ')) got--;
    answer[got] = 0;
    /* Opened before .new is closed, which would otherwise be the last open file on it. */
    char idpath[PATH_MAX];
    int fd = ipcfs__path(idpath, sizeof idpath, "semaphores/unnamed/%s", answer) < 0 ? -1 : open(idpath, O_RDWR | O_CLOEXEC);
    int e = errno;
    close(nfd);
    if (fd < 0) { errno = e; return -1; }
    *fd_out = fd;
    return 0;
}

/* Every slot of id becomes a tombstone, its descriptor closed. */
static void slot_forget(uint32_t id) {
    for (unsigned i = 0, h = slot_home(id); i < SLOTS && slots[h] != 0; i++, h = (h + 1) & (SLOTS - 1)) {
        uint64_t w = slots[h];
        if (!slot_is(w, id)) continue;
        slot_undo[h] = MARK_CLEAN; /* before the tombstone: the next insert here starts clean */
        slot_private[h] = 0;
        if (slot_pending[h]) { /* a fork child's copy never made: its inherited descriptor is closed */
            slot_pending[h] = 0;
            slot_ino[h] = 0;
            __atomic_compare_exchange_n(&slots[h], &w, TOMB, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
            continue;
        }
        dev_t dev = slot_dev[h];
        ino_t ino = slot_ino[h];
        slot_ino[h] = 0;
        if (__atomic_compare_exchange_n(&slots[h], &w, TOMB, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            ipcfs__close_if((int)(uint32_t)w - 1, dev, ino);
    }
}

int ipcfs_sem_init(sem_t *sem, int pshared, unsigned int value) {
    if (!sem || value > SEM_VALUE_MAX) { errno = EINVAL; return -1; }
    char answer[64];
    int fd;
    if (create_unnamed(value, answer, sizeof answer, &fd) < 0) return -1;
    char *end;
    unsigned long id = strtoul(answer, &end, 16);
    if (*end || end == answer || id > UINT32_MAX) { close(fd); errno = EIO; return -1; }
    slot_forget((uint32_t)id); /* the ID is new: a slot still holding it is a fork child's copy of a gone one */
    int s = slot_insert((uint32_t)id, fd);
    if (s < 0) return -1;
    slot_private[s] = pshared == 0;
    struct unnamed u = { UNNAMED_MAGIC, (uint32_t)id, pshared != 0 };
    memset(sem, 0, sizeof *sem);
    memcpy(sem, &u, sizeof u);
    return 0;
}

int ipcfs_sem_destroy(sem_t *sem) {
    if (!sem || *(const uint32_t *)sem != UNNAMED_MAGIC) { errno = EINVAL; return -1; }
    struct unnamed *u = (struct unnamed *)sem;
    int p = slot_find(u->id);
    if (p >= 0 && slot_pending[p] > 0) { /* a fork child's copy never used: nothing to remove */
        u->magic = 0;
        slot_forget(u->id);
        return 0;
    }
    int s = unnamed_slot(u);
    if (s < 0) return -1;
    if (ipcfs__command(slot_fd(s), "rmid", 4) < 0 && errno != EIDRM) return -1;
    u->magic = 0;
    slot_forget(u->id);
    return 0;
}

int ipcfs_sem_post(sem_t *sem) { return run(sem, "post", 0); }
static int untimed_wait(sem_t *sem, const char *cmd, int with_undo) {
    for (;;) {
        int r = run(sem, cmd, with_undo);
        if (r == 0 || errno != EINTR || !restarts(0)) return r;
    }
}

int ipcfs_sem_wait(sem_t *sem) { return untimed_wait(sem, "wait", 0); }
int ipcfs_sem_trywait(sem_t *sem) { return run(sem, "trywait", 0); }
int sem_post_robust(sem_t *sem) { return run(sem, "post undo", 1); }
int sem_wait_robust(sem_t *sem) { return untimed_wait(sem, "wait undo", 1); }
int sem_trywait_robust(sem_t *sem) { return run(sem, "trywait undo", 1); }

static int timed(sem_t *sem, clockid_t clk, const struct timespec *abstime, int with_undo) {
    /* glibc checks the clock, then tv_nsec, before looking at the semaphore. */
    if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC) { errno = EINVAL; return -1; }
    char secs[48], cmd[80];
    for (;;) { /* again, with what is left of the time, after a signal glibc would not see */
        if (ipcfs__seconds_until(clk, abstime, secs, sizeof secs) < 0) return -1;
        snprintf(cmd, sizeof cmd, "wait%s timeout=%s", with_undo ? " undo" : "", secs);
        int r = run(sem, cmd, with_undo);
        if (r == 0 || errno != EINTR || !restarts(1)) return r;
    }
}

int ipcfs_sem_timedwait(sem_t *sem, const struct timespec *abstime) { return timed(sem, CLOCK_REALTIME, abstime, 0); }
int ipcfs_sem_clockwait(sem_t *sem, clockid_t clock, const struct timespec *abstime) { return timed(sem, clock, abstime, 0); }
int sem_timedwait_robust(sem_t *sem, const struct timespec *abstime) { return timed(sem, CLOCK_REALTIME, abstime, 1); }

int ipcfs_sem_getvalue(sem_t *sem, int *sval) {
    int fd = sem_fd(sem, NULL);
    if (fd < 0) return -1;
    /* A fresh description: reads of the shared handle continue or end its status text. */
    char self[64], text[4096];
    snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
    if (ipcfs__read_status(self, text, sizeof text) < 0) return -1;
    long long v;
    if (ipcfs__status_number(text, "value", &v) < 0) { errno = EIO; return -1; }
    *sval = (int)v;
    return 0;
}

/* The value of each private semaphore just before a fork (-1: unknown), read in the prepare
 * handler through this process's own descriptor: read in the child, it would include what the
 * parent's threads did after the fork, and by ID it would be the first process's semaphore, not a
 * fork child's copy (whose ID is its parent's). */
static long long slot_fork_value[SLOTS];

static void read_private_values(void) {
    for (int s = 0; s < SLOTS; s++) {
        uint64_t w = slots[s];
        slot_fork_value[s] = -1;
        if (!w || w == TOMB || !slot_private[s]) continue;
        long long pending = slot_pending[s];
        if (pending) { /* still the value of our own fork: this process never used it since */
            slot_fork_value[s] = pending > 0 ? pending - 1 : -1;
            continue;
        }
        if (!slot_intact(s, slot_fd(s))) continue;
        char self[64], text[4096];
        snprintf(self, sizeof self, "/proc/self/fd/%d", slot_fd(s));
        if (ipcfs__read_status(self, text, sizeof text) >= 0) ipcfs__status_number(text, "value", &slot_fork_value[s]);
    }
}

/* In a fork child: a semaphore of the parent's own (pshared == 0) is to become the child's own
 * copy, with the value it had at the fork, under the same ID in this process's table (the child's
 * sem_t holds that ID). Python's thread locks are such semaphores: a child that released or
 * destroyed its copy of a lock acted on its parent's. Here only the parent's descriptor goes; the
 * copy is made at the first use (slot_materialize). Best effort: if the value could not be read,
 * the child shares the parent's semaphore. */
static void copy_private(int s, uint64_t w) {
    if (slot_pending[s]) return; /* inherited still pending: the same value, made at first use */
    long long v = slot_fork_value[s];
    if (v < 0) return;
    ipcfs__close_if((int)(uint32_t)w - 1, slot_dev[s], slot_ino[s]);
    slot_undo[s] = MARK_CLEAN;
    slot_pending[s] = v + 1;
}

/* The fork child's copy of slot s, made now: a transient semaphore with the value of the fork.
 * One thread makes it; others wait the moment it takes. */
static int slot_materialize(uint32_t id, int s) {
    for (;;) {
        long long p = slot_pending[s];
        if (p == 0) return s;
        if (p < 0 || !__atomic_compare_exchange_n(&slot_pending[s], &p, -1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
            sched_yield();
            continue;
        }
        char answer[64];
        int fd;
        dev_t dev;
        ino_t ino;
        if (create_unnamed((unsigned)(p - 1), answer, sizeof answer, &fd) < 0 || ipcfs__identify(fd, &dev, &ino) < 0) {
            int e = errno;
            slot_pending[s] = p; /* tried again at the next use */
            errno = e;
            return -1;
        }
        slot_ino[s] = 0;
        slots[s] = ((uint64_t)id << 32) | (uint32_t)(fd + 1);
        slot_dev[s] = dev;
        slot_ino[s] = ino;
        slot_pending[s] = 0;
        return s;
    }
}

/* A fork child must not keep its parent's adjustments alive through a shared handle. */
static void lock_named(void) { pthread_mutex_lock(&named_lock); read_private_values(); }
static void unlock_named(void) { pthread_mutex_unlock(&named_lock); }
static void fork_child(void) {
    for (struct named *n = named_list; n; n = n->next)
        if (ipcfs__is_file(n->fd, n->dev, n->ino)) mark_fork_child(&n->undo, n->fd);
    for (int s = 0; s < SLOTS; s++) {
        uint64_t w = slots[s];
        if (!w || w == TOMB || !slot_intact(s, slot_fd(s))) continue;
        if (slot_private[s]) copy_private(s, w);
        else mark_fork_child(&slot_undo[s], slot_fd(s));
    }
    pthread_mutex_unlock(&named_lock);
}

__attribute__((constructor)) static void register_fork(void) { pthread_atfork(lock_named, unlock_named, fork_child); }

static void keep_fd(int fd, int keep, struct ipcfs__kept *kept) {
    if (fcntl(fd, F_SETFD, keep ? 0 : FD_CLOEXEC) == 0 && keep && kept && kept->n < IPCFS__KEPT_MAX) kept->fd[kept->n++] = fd;
}

void ipcfs__sem_keep_across_exec(int keep, struct ipcfs__kept *kept) {
    for (struct named *n = named_list; n; n = n->next)
        if (n->undo == MARK_UNDO && ipcfs__is_file(n->fd, n->dev, n->ino)) keep_fd(n->fd, keep, kept);
    for (int s = 0; s < SLOTS; s++) {
        uint64_t w = slots[s];
        if (w && w != TOMB && slot_undo[s] == MARK_UNDO && slot_intact(s, slot_fd(s))) keep_fd(slot_fd(s), keep, kept);
    }
}
