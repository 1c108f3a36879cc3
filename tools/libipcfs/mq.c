/* POSIX message queues (mq_*) over mqueue/named/ of the mount (docs/protocol.md, Message queues).
 *
 * An mqd_t is the file descriptor of the queue's file, opened as mq_open asks (O_CLOEXEC, as Linux's
 * queue descriptors always are). Sends go straight to it: a send leaves no answer. A receive leaves
 * its answer on the open file description that ran it, so receives never run on the mqd (shared by
 * fork, dup and every thread): each process keeps, per mqd, a small pool of private descriptors of
 * the same file (reopened through /proc/self/fd/MQD), and a receive takes one that no other thread
 * of the process is using (opening another when all are busy). Two threads, or a parent and its
 * child, can thus wait in receives on one mqd at once, each getting its own message, as on Linux.
 * After fork the child closes the parent's private descriptors (pthread_atfork) and makes its own.
 * mq_notify registers through a private descriptor too, so the registration ends with mq_close or
 * the process, as Linux's does, and a forked child never holds it.
 */
#define _GNU_SOURCE
#include "internal.h"
#include "ipcfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MQ_PRIO_MAX_LINUX 32768
#define POOL 8

struct pooled {
    int fd;        /* -1: none */
    int busy;      /* a thread of this process is receiving through it */
};

/* A SIGEV_THREAD registration: what to start when it fires. */
struct thread_reg {
    int active;
    void (*fn)(union sigval);
    union sigval value;
    size_t stacksize; /* from sigev_notify_attributes, 0 for the default */
};

struct mq_ent {
    int used;
    struct thread_reg treg;
    dev_t dev;
    ino_t ino;
    long msgsize;      /* learned at the first receive or getattr; -1 until then */
    int notify_fd;     /* private descriptor that carries this process's registration, or -1 */
    struct pooled pool[POOL];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct mq_ent *table;
static int table_len;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* The child's copies of the private descriptors are its parent's open files: answers and the
 * notification registration on them are the parent's. Close them; the child opens its own. Only
 * the forking thread exists in the child, so no one else holds the lock or a descriptor. */
static int wake_pipe[2] = { -1, -1 }; /* notification signal -> notifier thread */
static int notifier_running;

static void child_after_fork(void) {
    pthread_mutex_init(&lock, NULL);
    /* the notifier thread is the parent's; registrations are not inherited (as on Linux) */
    if (wake_pipe[0] >= 0) close(wake_pipe[0]), close(wake_pipe[1]);
    wake_pipe[0] = wake_pipe[1] = -1;
    notifier_running = 0;
    for (int i = 0; i < table_len; i++) {
        struct mq_ent *e = &table[i];
        if (!e->used) continue;
        for (int j = 0; j < POOL; j++) {
            if (e->pool[j].fd >= 0) ipcfs__close_if(e->pool[j].fd, e->dev, e->ino);
            e->pool[j].fd = -1, e->pool[j].busy = 0;
        }
        if (e->notify_fd >= 0) ipcfs__close_if(e->notify_fd, e->dev, e->ino);
        e->notify_fd = -1;
        e->treg.active = 0;
    }
}
static void prepare_fork(void) { pthread_mutex_lock(&lock); }
static void parent_after_fork(void) { pthread_mutex_unlock(&lock); }
static void init_once(void) { pthread_atfork(prepare_fork, parent_after_fork, child_after_fork); }

/* Closes everything private to the entry (lock held). */
static void drop_locked(struct mq_ent *e) {
    for (int j = 0; j < POOL; j++)
        if (e->pool[j].fd >= 0 && !e->pool[j].busy) ipcfs__close_if(e->pool[j].fd, e->dev, e->ino);
    /* a busy one is closed by its receiver when it sees the entry gone (fd recorded -2) */
    for (int j = 0; j < POOL; j++) e->pool[j].fd = e->pool[j].busy ? -2 - e->pool[j].fd : -1, e->pool[j].busy = 0;
    if (e->notify_fd >= 0) ipcfs__close_if(e->notify_fd, e->dev, e->ino);
    e->notify_fd = -1;
    e->treg.active = 0;
    e->used = 0;
}

/* Records mqd as a queue this process opened (lock not held). 0, or -1 with ENOMEM. */
static int record(int mqd, const struct stat *st) {
    pthread_once(&once, init_once);
    pthread_mutex_lock(&lock);
    if (mqd >= table_len) {
        int n = table_len ? table_len : 64;
        while (n <= mqd) n *= 2;
        struct mq_ent *t = realloc(table, (size_t)n * sizeof *t);
        if (!t) { pthread_mutex_unlock(&lock); errno = ENOMEM; return -1; }
        memset(t + table_len, 0, (size_t)(n - table_len) * sizeof *t);
        table = t, table_len = n;
    }
    struct mq_ent *e = &table[mqd];
    if (e->used) drop_locked(e); /* a stale entry: the number was closed with close(2) and reused */
    e->treg.active = 0;
    e->used = 1, e->dev = st->st_dev, e->ino = st->st_ino, e->msgsize = -1, e->notify_fd = -1;
    for (int j = 0; j < POOL; j++) e->pool[j].fd = -1, e->pool[j].busy = 0;
    pthread_mutex_unlock(&lock);
    return 0;
}

/* The entry of mqd, with the lock held; NULL with EBADF (lock released) when mqd is not a queue
 * this process opened, or its number now belongs to another file (closed with close(2)). */
static struct mq_ent *entry_locked(mqd_t mqd) {
    pthread_mutex_lock(&lock);
    if (mqd >= 0 && mqd < table_len && table[mqd].used) {
        struct mq_ent *e = &table[mqd];
        if (ipcfs__is_file(mqd, e->dev, e->ino)) {
            /* The private descriptors too: the program may have closed them (closefrom) and
             * reused their numbers; they are then not ours to write into or close. */
            for (int j = 0; j < POOL; j++)
                if (e->pool[j].fd >= 0 && !e->pool[j].busy && !ipcfs__is_file(e->pool[j].fd, e->dev, e->ino)) e->pool[j].fd = -1;
            if (e->notify_fd >= 0 && !ipcfs__is_file(e->notify_fd, e->dev, e->ino)) e->notify_fd = -1;
            return e;
        }
        drop_locked(e);
    }
    pthread_mutex_unlock(&lock);
    errno = EBADF;
    return NULL;
}

static int reopen_private(mqd_t mqd, int flags) {
    char self[64];
    snprintf(self, sizeof self, "/proc/self/fd/%d", (int)mqd);
    return open(self, flags | O_CLOEXEC);
}

/* A private O_RDWR descriptor of mqd for one receive: a pool slot (*slot >= 0) or one of its own
 * (*slot == -1, closed after use). -1 with errno. Lock held on entry and on return. */
static int take_private(mqd_t mqd, struct mq_ent *e, int *slot) {
    for (int j = 0; j < POOL; j++)
        if (e->pool[j].fd >= 0 && !e->pool[j].busy) { e->pool[j].busy = 1; *slot = j; return e->pool[j].fd; }
    int fd = reopen_private(mqd, O_RDWR);
    if (fd < 0) return -1;
    *slot = -1;
    for (int j = 0; j < POOL; j++)
        if (e->pool[j].fd == -1) { e->pool[j].fd = fd, e->pool[j].busy = 1; *slot = j; break; }
    return fd;
}

static void give_back(mqd_t mqd, int fd, int slot) {
    pthread_mutex_lock(&lock);
    struct mq_ent *e = mqd < table_len ? &table[mqd] : NULL;
    if (slot >= 0 && e && e->used && e->pool[slot].fd == fd) e->pool[slot].busy = 0;
    else {
        close(fd); /* its own, or its entry was closed meanwhile */
        if (slot >= 0 && e && e->pool[slot].fd == -2 - fd) e->pool[slot].fd = -1;
    }
    pthread_mutex_unlock(&lock);
}

/* The queue's status lines through a fresh open (a read of an open file shows the status once). */
static int read_attr(mqd_t mqd, struct mq_attr *a) {
    char self[64], text[4096];
    snprintf(self, sizeof self, "/proc/self/fd/%d", (int)mqd);
    if (ipcfs__read_status(self, text, sizeof text) < 0) {
        if (errno == ERANGE) errno = EIO;
        return -1;
    }
    long long maxmsg, msgsize, cur;
    if (ipcfs__status_number(text, "maxmsg", &maxmsg) < 0 || ipcfs__status_number(text, "msgsize", &msgsize) < 0 ||
        ipcfs__status_number(text, "curmsgs", &cur) < 0) {
        errno = EIO;
        return -1;
    }
    memset(a, 0, sizeof *a);
    a->mq_maxmsg = maxmsg, a->mq_msgsize = msgsize, a->mq_curmsgs = cur;
    return 0;
}

/* The process's umask, without changing it (umask(2) cannot read it without a race with threads). */
static mode_t current_umask(void) {
    char text[4096];
    if (ipcfs__read_status("/proc/self/status", text, sizeof text) >= 0) {
        const char *u = strstr(text, "\nUmask:");
        if (u) return (mode_t)strtol(u + 7, NULL, 8) & 0777;
    }
    return 022;
}

/* glibc (a leading '/') and the kernel's lookup (mqueue's root): the name after the slash. */
static int check_name(const char *name) {
    if (name[0] != '/') return EINVAL;
    const char *n = name + 1;
    size_t len = strlen(n);
    if (len == 0) return ENOENT;
    if (len >= PATH_MAX) return ENAMETOOLONG;
    if (strchr(n, '/') || strcmp(n, ".") == 0 || strcmp(n, "..") == 0) return EACCES;
    if (len > NAME_MAX) return ENAMETOOLONG;
    return 0;
}

mqd_t ipcfs_mq_open(const char *name, int oflag, ...) {
    mode_t mode = 0;
    struct mq_attr *attr = NULL;
    if (oflag & O_CREAT) {
        va_list ap;
        va_start(ap, oflag);
        mode = (mode_t)va_arg(ap, unsigned int);
        attr = va_arg(ap, struct mq_attr *);
        va_end(ap);
    }
    int bad = check_name(name);
    if (bad) { errno = bad; return (mqd_t)-1; }
    char path[PATH_MAX];
    if (ipcfs__path(path, sizeof path, "mqueue/named/%s", name + 1) < 0) return (mqd_t)-1;
    int flags = (oflag & (O_ACCMODE | O_NONBLOCK | O_CREAT | O_EXCL)) | O_CLOEXEC;
    if (attr && !ipcfs__one_word(name + 1)) {
        /* .new's command cannot carry this name (a blank in it), and open(O_CREAT) cannot give
         * the attributes: an existing queue is opened (Linux ignores attr then); a new one is
         * refused with EINVAL, never made under another name. */
        int fd = open(path, flags & ~(O_CREAT | O_EXCL));
        if (fd >= 0 && (oflag & O_EXCL)) { close(fd); errno = EEXIST; return (mqd_t)-1; }
        if (fd < 0 && errno == ENOENT) errno = EINVAL;
        if (fd < 0) return (mqd_t)-1;
        close(fd);
        flags &= ~(O_CREAT | O_EXCL);
    } else if (attr) {
        /* .new takes the mode as given: apply the umask as the kernel does for open(O_CREAT).
         * Out-of-range sizes go as 0, which the daemon refuses (EINVAL) only when it creates: an
         * existing queue ignores them, as Linux's mq_open does. */
        long maxmsg = attr->mq_maxmsg > 0 ? attr->mq_maxmsg : 0, msgsize = attr->mq_msgsize > 0 ? attr->mq_msgsize : 0;
        if (maxmsg > 999999999999L) maxmsg = 999999999999L;
        if (msgsize > 999999999999L) msgsize = 999999999999L;
        char cmd[PATH_MAX + 128], answer[PATH_MAX];
        int n = snprintf(cmd, sizeof cmd, "create %s maxmsg=%ld msgsize=%ld mode=%o%s", name + 1, maxmsg, msgsize,
                         (unsigned)(mode & ~current_umask() & 0777), (oflag & O_EXCL) ? " excl" : "");
        if (n < 0 || (size_t)n >= sizeof cmd) { errno = ENAMETOOLONG; return (mqd_t)-1; }
        if (ipcfs__create("mqueue/named", cmd, answer, sizeof answer) < 0) {
            return (mqd_t)-1;
        }
        flags &= ~(O_CREAT | O_EXCL);
    }
    int fd = open(path, flags, mode);
    if (fd < 0) {
        if (errno == EISDIR || errno == ENOTDIR) errno = EACCES;
        return (mqd_t)-1;
    }
    struct stat st;
    if (ipcfs__identify(fd, &st.st_dev, &st.st_ino) < 0 || record(fd, &st) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return (mqd_t)-1;
    }
    return fd;
}

int ipcfs_mq_close(mqd_t mqd) {
    pthread_mutex_lock(&lock);
    if (mqd >= 0 && mqd < table_len && table[mqd].used) drop_locked(&table[mqd]);
    pthread_mutex_unlock(&lock);
    return close(mqd); /* glibc's mq_close is close(2): EBADF for a number that is not open */
}

int ipcfs_mq_unlink(const char *name) {
    int bad = check_name(name);
    if (bad) { errno = bad; return -1; }
    char path[PATH_MAX];
    if (ipcfs__path(path, sizeof path, "mqueue/named/%s", name + 1) < 0) return -1;
    if (unlink(path) == 0) return 0;
    if (errno == EPERM || errno == EISDIR) errno = EACCES; /* glibc turns the kernel's EPERM into EACCES */
    return -1;
}

/* Linux's prepare_timeout: EFAULT for a pointer it cannot read, EINVAL for a negative second or
 * nanoseconds out of range. *t then points at a copy (in copy). */
static int check_abstime(const struct timespec **t, struct timespec *copy) {
    if (!*t) return 0;
    if (ipcfs__copy_in(copy, *t, sizeof *copy) < 0) return -1;
    *t = copy;
    if (copy->tv_sec < 0 || copy->tv_nsec < 0 || copy->tv_nsec >= 1000000000L) { errno = EINVAL; return -1; }
    return 0;
}

int ipcfs_mq_timedsend(mqd_t mqd, const char *msg, size_t len, unsigned int prio, const struct timespec *abstime) {
    /* the kernel's order: the timeout, the priority, then the descriptor */
    struct timespec tcopy;
    if (check_abstime(&abstime, &tcopy) < 0) return -1;
    if (prio >= MQ_PRIO_MAX_LINUX) { errno = EINVAL; return -1; }
    struct mq_ent *e = entry_locked(mqd);
    if (!e) return -1;
    long msgsize = e->msgsize;
    pthread_mutex_unlock(&lock);
    char small[8192], *buf = small;
    if (len > sizeof small - 96) {
        /* Linux's order: EBADF for a queue not open for writing, then EMSGSIZE, before the message
         * is read (len may be anything: SIZE_MAX wrapped len + 96 and sent an empty message). */
        int fl = fcntl(mqd, F_GETFL);
        if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY) { errno = EBADF; return -1; }
        if (msgsize < 0) {
            struct mq_attr a;
            if (read_attr(mqd, &a) < 0) return -1;
            msgsize = a.mq_msgsize;
        }
        if (len > (size_t)msgsize) { errno = EMSGSIZE; return -1; }
        if (!(buf = malloc(len + 96))) { errno = ENOMEM; return -1; }
    }
    int r;
    do {
        char tmo[48] = "";
        if (abstime) {
            char s[32];
            if ((r = ipcfs__seconds_until(CLOCK_REALTIME, abstime, s, sizeof s)) < 0) break;
            snprintf(tmo, sizeof tmo, " timeout=%s", s);
        }
        /* command line and message in one write (Framing, rule 7) */
        int hl = snprintf(buf, 96, "send prio=%u%s\n", prio, tmo);
        if ((r = ipcfs__copy_in(buf + hl, msg, len)) < 0) break; /* EFAULT, as the kernel's copy */
        r = ipcfs__command(mqd, buf, hl + len);
    } while (0);
    int saved = errno;
    if (buf != small) free(buf);
    errno = saved;
    return r;
}

int ipcfs_mq_send(mqd_t mqd, const char *msg, size_t len, unsigned int prio) {
    return ipcfs_mq_timedsend(mqd, msg, len, prio, NULL);
}

/* Reads the answer "prio=P size=N\n" + N bytes into msg. */
static ssize_t read_answer(int fd, char *msg, size_t len, unsigned int *prio) {
    char first[4096 + 64];
    ssize_t n;
    do n = read(fd, first, sizeof first); while (n < 0 && errno == EINTR);
    if (n < 0) return -1;
    char *nl = memchr(first, '\n', (size_t)n);
    unsigned p;
    unsigned long size;
    if (!nl || sscanf(first, "prio=%u size=%lu", &p, &size) != 2 || size > len) { errno = EIO; return -1; }
    size_t have = (size_t)(first + n - (nl + 1));
    if (have > size) have = size;
    if (ipcfs__writable(msg, size) < 0) { /* EFAULT: taken and lost, as Linux's */
        /* The answer is read to its end all the same: unread, it would make this descriptor's
         * next receive EBUSY. */
        char rest[4096];
        for (size_t left = size - have; left > 0;) {
            ssize_t k = read(fd, rest, left < sizeof rest ? left : sizeof rest);
            if (k <= 0 && !(k < 0 && errno == EINTR)) break;
            if (k > 0) left -= (size_t)k;
        }
        errno = EFAULT;
        return -1;
    }
    memcpy(msg, nl + 1, have);
    if (have < size && ipcfs__read_to_end(fd, msg + have, size - have) != (ssize_t)(size - have)) { errno = EIO; return -1; }
    if (prio) *prio = p;
    return (ssize_t)size;
}

/* A receiving thread cancelled (pthread_cancel: write and read are cancellation points): its
 * private descriptor is closed, not given back to the pool (an answer may be left unread on it,
 * and a pooled descriptor never given back was lost for good, one per cancelled receive). */
struct receiving { mqd_t mqd; int fd; int slot; };
static void cancelled(void *arg) {
    const struct receiving *c = arg;
    pthread_mutex_lock(&lock);
    struct mq_ent *e = c->mqd < table_len ? &table[c->mqd] : NULL;
    if (c->slot >= 0 && e && (e->pool[c->slot].fd == c->fd || e->pool[c->slot].fd == -2 - c->fd))
        e->pool[c->slot].fd = -1, e->pool[c->slot].busy = 0;
    pthread_mutex_unlock(&lock);
    close(c->fd);
}

/* The receive itself, where a cancellation may come. */
__attribute__((noinline)) static ssize_t receive_on(struct receiving *c, const char *cmd, char *msg, size_t len, unsigned int *prio) {
    volatile ssize_t r = -1;
    pthread_cleanup_push(cancelled, c);
    if (ipcfs__command(c->fd, cmd, strlen(cmd)) == 0) r = read_answer(c->fd, msg, len, prio);
    pthread_cleanup_pop(0);
    return r;
}

ssize_t ipcfs_mq_timedreceive(mqd_t mqd, char *msg, size_t len, unsigned int *prio, const struct timespec *abstime) {
    struct timespec tcopy;
    if (check_abstime(&abstime, &tcopy) < 0) return -1;
    struct mq_ent *e = entry_locked(mqd);
    if (!e) return -1;
    int fl = fcntl(mqd, F_GETFL);
    if (fl < 0 || (fl & O_ACCMODE) == O_WRONLY) { pthread_mutex_unlock(&lock); errno = EBADF; return -1; }
    int slot, fd = take_private(mqd, e, &slot);
    long msgsize = e->msgsize;
    pthread_mutex_unlock(&lock);
    if (fd < 0) return -1;
    ssize_t r = -1;
    if (msgsize < 0) {
        struct mq_attr a;
        if (read_attr(mqd, &a) < 0) goto out;
        msgsize = a.mq_msgsize;
        pthread_mutex_lock(&lock);
        if (mqd < table_len && table[mqd].used) table[mqd].msgsize = msgsize;
        pthread_mutex_unlock(&lock);
    }
    if ((long long)len < msgsize) { errno = EMSGSIZE; goto out; }
    /* the mqd's O_NONBLOCK (mq_setattr, fcntl) at this call decides whether this receive waits */
    int ffl = fcntl(fd, F_GETFL);
    if (ffl < 0 || fcntl(fd, F_SETFL, (fl & O_NONBLOCK) ? ffl | O_NONBLOCK : ffl & ~O_NONBLOCK) < 0) goto out;
    char cmd[64] = "receive";
    if (abstime) {
        char s[32];
        if (ipcfs__seconds_until(CLOCK_REALTIME, abstime, s, sizeof s) < 0) goto out;
        snprintf(cmd, sizeof cmd, "receive timeout=%s", s);
    }
    r = receive_on(&(struct receiving){ mqd, fd, slot }, cmd, msg, len, prio);
out:;
    int saved = errno;
    give_back(mqd, fd, slot);
    errno = saved;
    return r;
}

ssize_t ipcfs_mq_receive(mqd_t mqd, char *msg, size_t len, unsigned int *prio) {
    return ipcfs_mq_timedreceive(mqd, msg, len, prio, NULL);
}

int ipcfs_mq_setattr(mqd_t mqd, const struct mq_attr *attr, struct mq_attr *old) {
    struct mq_attr acopy; /* the kernel's order: EFAULT for attr, then its flags */
    if (attr && ipcfs__copy_in(&acopy, attr, sizeof acopy) < 0) return -1;
    if (attr) attr = &acopy;
    if (attr && (attr->mq_flags & ~(long)O_NONBLOCK)) { errno = EINVAL; return -1; }
    struct mq_ent *e = entry_locked(mqd);
    if (!e) return -1;
    pthread_mutex_unlock(&lock);
    int fl = fcntl(mqd, F_GETFL);
    if (fl < 0) return -1;
    if (old) {
        if (ipcfs__writable(old, sizeof *old) < 0 || read_attr(mqd, old) < 0) return -1;
        old->mq_flags = fl & O_NONBLOCK;
        pthread_mutex_lock(&lock);
        if (mqd < table_len && table[mqd].used) table[mqd].msgsize = old->mq_msgsize;
        pthread_mutex_unlock(&lock);
    }
    if (attr && fcntl(mqd, F_SETFL, (attr->mq_flags & O_NONBLOCK) ? fl | O_NONBLOCK : fl & ~O_NONBLOCK) < 0) return -1;
    return 0;
}

int ipcfs_mq_getattr(mqd_t mqd, struct mq_attr *attr) { return ipcfs_mq_setattr(mqd, NULL, attr); }

/* SIGEV_THREAD. The daemon can only signal the registrant, so a SIGEV_THREAD registration is a
 * signal registration with a real-time signal the library takes for itself: the highest one whose
 * disposition is the default when the first SIGEV_THREAD registration is made. Its handler writes a
 * byte to a pipe; a notifier thread reads it, finds which of this process's SIGEV_THREAD
 * registrations have fired (the queue's status no longer shows this process with that signal) and
 * starts a detached thread running sigev_notify_function(sigev_value) for each, as glibc does.
 * The signal carries sigev_value (SI_MESGQ), but a token in it naming the registration would not
 * make this simpler: a wake-up byte may be dropped when the pipe is full, a token must not be, so
 * the status would still be the fallback; the byte plus the status look is the one path. A
 * registration that fired before the notifier looked is started by the mq_notify that replaces
 * or removes it. */
static int notify_sig;

static void on_notify_signal(int sig) {
    (void)sig;
    int saved = errno;
    char c = 0;
    if (wake_pipe[1] >= 0 && write(wake_pipe[1], &c, 1) < 0) { /* full: a wake-up is pending anyway */ }
    errno = saved;
}

struct thread_call { void (*fn)(union sigval); union sigval value; };
static void *run_notification(void *arg) {
    struct thread_call c = *(struct thread_call *)arg;
    free(arg);
    c.fn(c.value);
    return NULL;
}

/* Whether mqd's queue still holds this process's registration with notify_sig. */
static int still_registered(int mqd) {
    char self[64], text[4096];
    snprintf(self, sizeof self, "/proc/self/fd/%d", mqd);
    if (ipcfs__read_status(self, text, sizeof text) < 0) return 0;
    const char *p = strstr(text, "SIGNO:"), *q = strstr(text, "NOTIFY_PID:");
    return p && q && atoi(p + 6) == notify_sig && atoi(q + 11) == (int)getpid();
}

/* sigev_notify_function(sigev_value) of a fired registration, on a detached thread */
static void start_call(const struct thread_reg *r) {
    struct thread_call *c = malloc(sizeof *c);
    if (!c) return;
    c->fn = r->fn, c->value = r->value;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    if (r->stacksize) pthread_attr_setstacksize(&a, r->stacksize);
    pthread_t t;
    if (pthread_create(&t, &a, run_notification, c) != 0) free(c);
    pthread_attr_destroy(&a);
}

static void dispatch(void) {
    for (int i = 0;; i++) {
        pthread_mutex_lock(&lock);
        while (i < table_len && !(table[i].used && table[i].treg.active)) i++;
        if (i >= table_len) { pthread_mutex_unlock(&lock); return; }
        struct thread_reg r = table[i].treg;
        int fired = !still_registered(i);
        if (fired) table[i].treg.active = 0;
        pthread_mutex_unlock(&lock);
        if (fired) start_call(&r);
    }
}

static void *notifier(void *arg) {
    int fd = (int)(intptr_t)arg;
    for (;;) {
        char c[64];
        ssize_t n = read(fd, c, sizeof c);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return NULL;
        dispatch();
    }
}

/* The signal and the notifier thread (lock held). 0, or -1 with ENOSYS (no free real-time
 * signal: glibc's errno when it cannot serve SIGEV_THREAD) or EAGAIN. */
static int start_notifier(void) {
    if (notifier_running) return 0;
    if (!notify_sig) {
        for (int s = SIGRTMAX; s > SIGRTMIN; s--) {
            struct sigaction old;
            if (sigaction(s, NULL, &old) == 0 && !(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL) { notify_sig = s; break; }
        }
        if (!notify_sig) { errno = ENOSYS; return -1; }
        struct sigaction sa = { .sa_handler = on_notify_signal, .sa_flags = SA_RESTART };
        sigemptyset(&sa.sa_mask);
        sigaction(notify_sig, &sa, NULL);
    }
    if (wake_pipe[0] < 0 && pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0) return -1;
    int rfl = fcntl(wake_pipe[0], F_GETFL);
    fcntl(wake_pipe[0], F_SETFL, rfl & ~O_NONBLOCK); /* the notifier sleeps in read */
    /* the notifier takes no signal but its own, so the program's signals go where they went */
    sigset_t all, old;
    sigfillset(&all);
    sigdelset(&all, notify_sig);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    int rc = pthread_create(&t, &a, notifier, (void *)(intptr_t)wake_pipe[0]);
    pthread_attr_destroy(&a);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) { errno = EAGAIN; return -1; }
    notifier_running = 1;
    return 0;
}

int ipcfs_mq_notify(mqd_t mqd, const struct sigevent *sev) {
    if (sev) {
        if (sev->sigev_notify != SIGEV_NONE && sev->sigev_notify != SIGEV_SIGNAL && sev->sigev_notify != SIGEV_THREAD) { errno = EINVAL; return -1; }
        if (sev->sigev_notify == SIGEV_SIGNAL && (unsigned)sev->sigev_signo > 64) { errno = EINVAL; return -1; }
    }
    struct mq_ent *e = entry_locked(mqd);
    if (!e) return -1;
    int r;
    if (!sev) {
        /* Linux: only the registrant's mq_notify(NULL) removes it; anyone else's does nothing */
        /* a SIGEV_THREAD registration that fired unseen by the notifier still runs, as glibc's
         * (a fire between this look and the unnotify is still lost: the answer cannot tell) */
        if (e->treg.active && !still_registered(mqd)) {
            start_call(&e->treg);
            e->treg.active = 0;
        }
        r = e->notify_fd >= 0 ? ipcfs__command(e->notify_fd, "unnotify", 8) : 0;
        if (r == 0) e->treg.active = 0;
    } else {
        int sig = sev->sigev_signo;
        if (sev->sigev_notify == SIGEV_THREAD) {
            if (start_notifier() < 0) { int saved = errno; pthread_mutex_unlock(&lock); errno = saved; return -1; }
            sig = notify_sig;
        }
        if (e->notify_fd < 0 && (e->notify_fd = reopen_private(mqd, O_WRONLY)) < 0) { pthread_mutex_unlock(&lock); return -1; }
        char cmd[64];
        /* the whole sigval word, as the kernel copies it: sival_int or sival_ptr, whichever was set */
        if (sev->sigev_notify == SIGEV_NONE) strcpy(cmd, "notify none");
        else snprintf(cmd, sizeof cmd, "notify signal=%d value=%lld", sig, (long long)(intptr_t)sev->sigev_value.sival_ptr);
        r = ipcfs__command(e->notify_fd, cmd, strlen(cmd));
        /* Accepted while a SIGEV_THREAD registration of ours looked active: it has fired (only
         * firing ends one behind our back) and the notifier has not seen it yet, and now it never
         * would (the status shows the new one): its function starts here, as glibc's would. */
        if (r == 0 && e->treg.active) start_call(&e->treg);
        if (r == 0) e->treg.active = 0;
        if (r == 0 && sev->sigev_notify == SIGEV_THREAD) {
            size_t stack = 0;
            if (sev->sigev_notify_attributes) pthread_attr_getstacksize(sev->sigev_notify_attributes, &stack);
            e->treg = (struct thread_reg){ .active = 1, .fn = sev->sigev_notify_function, .value = sev->sigev_value, .stacksize = stack };
        }
    }
    int saved = errno;
    pthread_mutex_unlock(&lock);
    errno = saved;
    return r;
}
