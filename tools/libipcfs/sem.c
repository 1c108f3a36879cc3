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
    int fd;
    int refs;           /* sem_open calls not yet closed; under named_lock */
    _Atomic int undo;   /* MARK_*: whether fd carries undo, or is shared with the parent process */
    dev_t dev;
    ino_t ino;
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
/* The sem_t of a pshared=0 semaphore sem_init made in this process, by its slot (under named_lock),
 * and its value read just before a fork: the fork child gives that sem_t a copy of its own. */
static sem_t *slot_private[SLOTS];
static long long slot_fork_value[SLOTS];

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
    unsigned h = slot_home(id);
    for (unsigned i = 0; i < SLOTS; i++, h = (h + 1) & (SLOTS - 1)) {
        uint64_t w = slots[h];
        if (w == 0 || w == TOMB) {
            uint64_t expected = w;
            if (__atomic_compare_exchange_n(&slots[h], &expected, mine, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) return (int)h;
            w = expected;
        }
        if (slot_is(w, id)) { close(fd); return (int)h; }
    }
    close(fd);
    errno = ENOMEM;
    return -1;
}

static int slot_fd(int slot) { return (int)(uint32_t)slots[slot] - 1; }

/* The slot of an unnamed semaphore in this process, opening it on first use. Async-signal-safe. */
static int unnamed_slot(const struct unnamed *u) {
    int s = slot_find(u->id);
    if (s >= 0) return s;
    char path[PATH_MAX];
    if (ipcfs__path(path, sizeof path, "semaphores/unnamed/%08X", u->id) < 0) return -1;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) errno = EINVAL; /* destroyed: not a semaphore any more */
        return -1;
    }
    return slot_insert(u->id, fd);
}

/* The descriptor of sem, and where its undo mark lives. Async-signal-safe. */
static int sem_fd(sem_t *sem, _Atomic int **undo) {
    if (!sem) { errno = EINVAL; return -1; }
    uint32_t magic = *(const uint32_t *)sem;
    if (magic == NAMED_MAGIC) {
        struct named *n = (struct named *)sem;
        if (undo) *undo = &n->undo;
        return n->fd;
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

static sem_t *named_handle(int fd) {
    struct stat st;
    if (fstat(fd, &st) < 0) { int e = errno; close(fd); errno = e; return SEM_FAILED; }
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
    if (!n) { pthread_mutex_unlock(&named_lock); close(fd); errno = ENOMEM; return SEM_FAILED; }
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

sem_t *ipcfs_sem_open(const char *name, int oflag, ...) {
    char path[PATH_MAX];
    if (sem_name(name, path, sizeof path) < 0) return SEM_FAILED;
    /* As glibc: the semaphore is opened for reading and writing whatever oflag's access mode. */
    int open_flags = O_NOFOLLOW | O_RDWR | O_CLOEXEC; /* oflag's O_NONBLOCK would make waits trywaits */
    if (!(oflag & O_CREAT) || !(oflag & O_EXCL)) {
        int fd = open(path, open_flags);
        if (fd >= 0) return named_handle(fd);
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
    char cmd[PATH_MAX + 64], answer[PATH_MAX];
    /* .new takes the mode as given; glibc's open(O_CREAT) applies the umask. Without excl, an
     * existing semaphore (made since our open failed) is returned unchanged, as glibc's retry. */
    snprintf(cmd, sizeof cmd, "create %s value=%u mode=%o%s", base, value, mode & ~current_umask() & 0777,
             (oflag & O_EXCL) ? " excl" : "");
    if (ipcfs__create("semaphores/named", cmd, answer, sizeof answer) < 0) return SEM_FAILED;
    int fd = open(path, open_flags);
    if (fd < 0) return SEM_FAILED;
    return named_handle(fd);
}

int ipcfs_sem_close(sem_t *sem) {
    pthread_mutex_lock(&named_lock);
    for (struct named **p = &named_list; *p; p = &(*p)->next) {
        if ((sem_t *)*p != sem) continue;
        struct named *n = *p;
        if (--n->refs == 0) {
            *p = n->next;
            n->magic = 0;
            close(n->fd);
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

int ipcfs_sem_init(sem_t *sem, int pshared, unsigned int value) {
    if (!sem || value > SEM_VALUE_MAX) { errno = EINVAL; return -1; }
    char answer[64];
    int fd;
    if (create_unnamed(value, answer, sizeof answer, &fd) < 0) return -1;
    char *end;
    unsigned long id = strtoul(answer, &end, 16);
    if (*end || end == answer || id > UINT32_MAX) { close(fd); errno = EIO; return -1; }
    pthread_mutex_lock(&named_lock);
    int s = slot_insert((uint32_t)id, fd);
    if (s >= 0 && !pshared) slot_private[s] = sem;
    pthread_mutex_unlock(&named_lock);
    if (s < 0) return -1;
    struct unnamed u = { UNNAMED_MAGIC, (uint32_t)id, pshared != 0 };
    memset(sem, 0, sizeof *sem);
    memcpy(sem, &u, sizeof u);
    return 0;
}

int ipcfs_sem_destroy(sem_t *sem) {
    if (!sem || *(const uint32_t *)sem != UNNAMED_MAGIC) { errno = EINVAL; return -1; }
    struct unnamed *u = (struct unnamed *)sem;
    int s = unnamed_slot(u);
    if (s < 0) return -1;
    if (ipcfs__command(slot_fd(s), "rmid", 4) < 0 && errno != EIDRM) return -1;
    u->magic = 0;
    pthread_mutex_lock(&named_lock);
    for (unsigned i = 0, h = slot_home(u->id); i < SLOTS && slots[h] != 0; i++, h = (h + 1) & (SLOTS - 1)) {
        uint64_t w = slots[h];
        if (!slot_is(w, u->id)) continue;
        slot_undo[h] = MARK_CLEAN; /* before the tombstone: the next insert here starts clean */
        slot_private[h] = NULL;
        if (__atomic_compare_exchange_n(&slots[h], &w, TOMB, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) close((int)(uint32_t)w - 1);
    }
    pthread_mutex_unlock(&named_lock);
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

/* pshared=0 semaphores across fork. glibc's child has its own copy of the sem_t, and so an
 * independent semaphore with the value it had at the fork; here the sem_t names a daemon object,
 * so the child makes itself a new one. The value is read in the parent just before the fork (the
 * prepare handler: the closest to "the value at the fork"; other threads may still move it until
 * the fork itself), the copy made in the child handler. Both run under named_lock, which sem_init
 * and sem_destroy take to change the registry, so it does not change in between.
 *
 * The child handler must be async-signal-safe (fork from a signal handler): it uses open, read,
 * write, close, dup3 and glibc's snprintf/strtoul with integer conversions only (which do not
 * allocate), and static buffers. */
static int private_list[SLOTS]; /* slots of pshared=0 semaphores, gathered in prepare */
static int private_count;

static void fork_prepare(void) {
    pthread_mutex_lock(&named_lock);
    private_count = 0;
    for (int s = 0; s < SLOTS; s++) {
        uint64_t w = slots[s];
        if (!slot_private[s] || w == 0 || w == TOMB) continue;
        char path[PATH_MAX], text[4096];
        slot_fork_value[s] = -1;
        if (ipcfs__path(path, sizeof path, "semaphores/unnamed/%08X", (unsigned)(w >> 32)) == 0 &&
            ipcfs__read_status(path, text, sizeof text) >= 0)
            ipcfs__status_number(text, "value", &slot_fork_value[s]);
        private_list[private_count++] = s;
    }
}

/* Which of the gathered sem_t are in private writable memory (the child's own copy-on-write
 * copy), from /proc/self/maps: 1 private, 0 shared (a pshared=0 semaphore used across processes
 * is undefined in POSIX; it is left shared rather than the child rewriting the parent's sem_t),
 * -1 not mapped (memory freed without sem_destroy). Read with a static buffer: no allocation. */
static signed char private_kind[SLOTS];
static char maps_buf[8192];

static unsigned long hex_at(const char **p) {
    unsigned long v = 0;
    for (;; (*p)++) {
        char c = **p;
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) return v;
        v = v * 16 + (unsigned long)d;
    }
}

static void maps_line(const char *line) {
    const char *p = line;
    unsigned long start = hex_at(&p);
    if (*p++ != '-') return;
    unsigned long end = hex_at(&p);
    if (*p++ != ' ' || p[0] != 'r' || p[1] != 'w') return;
    int shared = p[3] == 's';
    for (int i = 0; i < private_count; i++) {
        unsigned long a = (unsigned long)slot_private[private_list[i]];
        if (a >= start && a + sizeof(struct unnamed) <= end) private_kind[i] = shared ? 0 : 1;
    }
}

static void classify_private(void) {
    for (int i = 0; i < private_count; i++) private_kind[i] = -1;
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) { /* cannot tell: trust the addresses (the memory is the child's own copy) */
        for (int i = 0; i < private_count; i++) private_kind[i] = 1;
        return;
    }
    size_t have = 0;
    for (;;) {
        ssize_t n = read(fd, maps_buf + have, sizeof maps_buf - 1 - have);
        if (n <= 0) break;
        have += (size_t)n;
        maps_buf[have] = 0;
        char *line = maps_buf, *nl;
        while ((nl = strchr(line, '\n'))) { *nl = 0; maps_line(line); line = nl + 1; }
        have = strlen(line);
        memmove(maps_buf, line, have);
        if (have == sizeof maps_buf - 1) have = 0; /* a line longer than the buffer: its start was seen */
    }
    close(fd);
}

static void copy_failed(uint32_t id) {
    char msg[128];
    int n = snprintf(msg, sizeof msg, "libipcfs: fork child: no copy of unnamed semaphore %08X: %s\n", id,
                     strerrorname_np(errno) ? strerrorname_np(errno) : "?");
    if (n > 0) (void)!write(2, msg, (size_t)n);
}

/* The child's own copy of each pshared=0 semaphore. When one cannot be made (EMFILE, the daemon's
 * limits, the mount gone), its sem_t is made invalid (EINVAL from then on, as a destroyed one)
 * rather than left naming the parent's semaphore, and a line goes to stderr. */
static void copy_private(void) {
    classify_private();
    for (int i = 0; i < private_count; i++) {
        int s = private_list[i];
        sem_t *sem = slot_private[s];
        uint64_t w = slots[s];
        uint32_t id = (uint32_t)(w >> 32);
        struct unnamed *u = (struct unnamed *)sem;
        slot_private[s] = NULL;
        if (private_kind[i] == 0) continue;
        /* The handle on the parent's semaphore: this process no longer names it. */
        slots[s] = TOMB;
        slot_undo[s] = MARK_CLEAN;
        close((int)(uint32_t)w - 1);
        if (private_kind[i] < 0 || u->magic != UNNAMED_MAGIC || u->id != id || u->pshared) continue;
        char answer[64];
        int fd, e = EIO;
        long long v = slot_fork_value[s];
        if (v < 0 || create_unnamed((unsigned)v, answer, sizeof answer, &fd) < 0) { e = v < 0 ? EIO : errno; goto failed; }
        char *end;
        unsigned long nid = strtoul(answer, &end, 16);
        if (*end || end == answer || nid > UINT32_MAX) { close(fd); goto failed; }
        int ns = slot_insert((uint32_t)nid, fd);
        if (ns < 0) { e = errno; goto failed; }
        slot_private[ns] = sem;
        u->id = (uint32_t)nid;
        continue;
    failed:
        u->magic = 0;
        errno = e;
        copy_failed(id);
    }
}

/* A fork child must not keep its parent's adjustments alive through a shared handle. */
static void fork_parent(void) { pthread_mutex_unlock(&named_lock); }
static void fork_child(void) {
    copy_private();
    for (struct named *n = named_list; n; n = n->next)
        mark_fork_child(&n->undo, n->fd);
    for (int s = 0; s < SLOTS; s++) {
        uint64_t w = slots[s];
        if (w && w != TOMB) mark_fork_child(&slot_undo[s], slot_fd(s));
    }
    pthread_mutex_unlock(&named_lock);
}

__attribute__((constructor)) static void register_fork(void) { pthread_atfork(fork_prepare, fork_parent, fork_child); }

void ipcfs__sem_keep_across_exec(int keep) {
    for (struct named *n = named_list; n; n = n->next)
        if (n->undo == MARK_UNDO) fcntl(n->fd, F_SETFD, keep ? 0 : FD_CLOEXEC);
    for (int s = 0; s < SLOTS; s++) {
        uint64_t w = slots[s];
        if (w && w != TOMB && slot_undo[s] == MARK_UNDO) fcntl(slot_fd(s), F_SETFD, keep ? 0 : FD_CLOEXEC);
    }
}
