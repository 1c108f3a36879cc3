/* System V message queues (msgget, msgsnd, msgrcv, msgctl) over mqueue/sysv/ of the mount
 * (docs/protocol.md, System V message queues).
 *
 * A msqid names the file mqueue/sysv/MSQID. Each process keeps, per msqid it uses, a small pool of
 * descriptors of that file (O_RDWR, else O_WRONLY when only sending is allowed; close-on-exec):
 * a receive leaves its answer on the open file description that ran it, so a descriptor serves one
 * call at a time, and a call that finds all of them busy (threads) opens another. After fork the
 * child closes its copies (pthread_atfork) and opens its own, so a parent's and a child's answers
 * never mix. IPC_NOWAIT is the command's `nowait`: the descriptors never change flags.
 */
#define _GNU_SOURCE
#include "internal.h"
#include "ipcfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#define POOL 4
#define SAFE_MAX 9007199254740991LL /* the daemon's integers (2^53 - 1) */

struct msg_ent {
    int id; /* -1: free */
    int fd[POOL];
    int busy[POOL];
    int rdwr[POOL];
    dev_t dev[POOL]; /* each descriptor's file: the program may close the number and reuse it */
    ino_t ino[POOL];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct msg_ent *table;
static int table_len;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void close_all_locked(struct msg_ent *e) {
    for (int j = 0; j < POOL; j++) {
        if (e->fd[j] >= 0 && !e->busy[j]) ipcfs__close_if(e->fd[j], e->dev[j], e->ino[j]);
        e->fd[j] = e->busy[j] ? -2 - e->fd[j] : -1; /* a busy one is closed by its user */
        e->busy[j] = 0;
    }
}
static void prepare_fork(void) { pthread_mutex_lock(&lock); }
static void parent_after_fork(void) { pthread_mutex_unlock(&lock); }
/* The copies are the parent's open files (its answers): the child opens its own. */
static void child_after_fork(void) {
    pthread_mutex_init(&lock, NULL);
    for (int i = 0; i < table_len; i++) {
        for (int j = 0; j < POOL; j++) {
            if (table[i].fd[j] >= 0) ipcfs__close_if(table[i].fd[j], table[i].dev[j], table[i].ino[j]);
            table[i].fd[j] = -1, table[i].busy[j] = 0;
        }
        table[i].id = -1;
    }
}
static void init_once(void) { pthread_atfork(prepare_fork, parent_after_fork, child_after_fork); }

static struct msg_ent *find_locked(int id, int make) {
    struct msg_ent *free_one = NULL;
    for (int i = 0; i < table_len; i++) {
        if (table[i].id == id) return &table[i];
        if (table[i].id == -1 && !free_one) free_one = &table[i];
    }
    if (!make) return NULL;
    if (!free_one) {
        int n = table_len ? table_len * 2 : 16;
        struct msg_ent *t = realloc(table, (size_t)n * sizeof *t);
        if (!t) return NULL;
        for (int i = table_len; i < n; i++) {
            t[i].id = -1;
            for (int j = 0; j < POOL; j++) t[i].fd[j] = -1, t[i].busy[j] = 0;
        }
        free_one = &t[table_len];
        table = t, table_len = n;
    }
    free_one->id = id;
    return free_one;
}

/* A descriptor of msqid for one call (*slot: its pool place, -1 for one of its own); need_read for
 * a receive. -1 with errno: EINVAL for a msqid that does not exist (Linux's answer). */
static int take(int id, int need_read, int *slot) {
    pthread_once(&once, init_once);
    pthread_mutex_lock(&lock);
    struct msg_ent *e = find_locked(id, 1);
    if (!e) { pthread_mutex_unlock(&lock); errno = ENOMEM; return -1; }
    for (int j = 0; j < POOL; j++)
        if (e->fd[j] >= 0 && !e->busy[j] && !ipcfs__is_file(e->fd[j], e->dev[j], e->ino[j]))
            e->fd[j] = -1; /* the program closed it (closefrom): the number is not ours any more */
    for (int j = 0; j < POOL; j++)
        if (e->fd[j] >= 0 && !e->busy[j] && (e->rdwr[j] || !need_read)) {
            e->busy[j] = 1, *slot = j;
            pthread_mutex_unlock(&lock);
            return e->fd[j];
        }
    char path[PATH_MAX];
    int fd = -1, rdwr = 1;
    if (ipcfs__path(path, sizeof path, "mqueue/sysv/%d", id) == 0) {
        fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0 && errno == EACCES && !need_read) fd = open(path, O_WRONLY | O_CLOEXEC), rdwr = 0;
        if (fd < 0 && (errno == ENOENT || errno == ENAMETOOLONG)) errno = EINVAL;
    }
    *slot = -1;
    if (fd >= 0)
        for (int j = 0; j < POOL; j++)
            if (e->fd[j] == -1 && ipcfs__identify(fd, &e->dev[j], &e->ino[j]) == 0) {
                e->fd[j] = fd, e->busy[j] = 1, e->rdwr[j] = rdwr, *slot = j;
                break;
            }
    int saved = errno;
    pthread_mutex_unlock(&lock);
    errno = saved;
    return fd;
}

static void give_back(int id, int fd, int slot) {
    pthread_mutex_lock(&lock);
    struct msg_ent *e = find_locked(id, 0);
    if (slot >= 0 && e && e->fd[slot] == fd) e->busy[slot] = 0;
    else {
        close(fd);
        if (slot >= 0 && e && e->fd[slot] == -2 - fd) e->fd[slot] = -1;
    }
    pthread_mutex_unlock(&lock);
}

/* Forget msqid's descriptors (removed, or found removed). */
static void forget(int id) {
    pthread_mutex_lock(&lock);
    struct msg_ent *e = find_locked(id, 0);
    if (e) {
        close_all_locked(e);
        int busy = 0;
        for (int j = 0; j < POOL; j++) busy |= e->fd[j] != -1;
        if (!busy) e->id = -1;
    }
    pthread_mutex_unlock(&lock);
}

/* EIDRM through a descriptor kept from before: the queue was removed. A call that could not sleep
 * (IPC_NOWAIT) found it already gone, which Linux answers EINVAL (the id no longer exists). */
static void removed(int id, int nowait) {
    forget(id);
    if (nowait) errno = EINVAL;
}

int ipcfs_msgget(key_t key, int msgflg) {
    char cmd[96], answer[64];
    if (key == IPC_PRIVATE) snprintf(cmd, sizeof cmd, "msgget private mode=%o", (unsigned)(msgflg & 0777));
    else
        snprintf(cmd, sizeof cmd, "msgget 0x%x mode=%o%s%s", (unsigned)key, (unsigned)(msgflg & 0777), (msgflg & IPC_CREAT) ? " creat" : "",
                 (msgflg & IPC_EXCL) ? " excl" : "");
    if (ipcfs__create("mqueue/sysv", cmd, answer, sizeof answer) < 0) return -1;
    char *end;
    long id = strtol(answer, &end, 10);
    if (end == answer || id < 0 || id > INT_MAX) { errno = EIO; return -1; }
    return (int)id;
}

static long limit(const char *name);

int ipcfs_msgsnd(int msqid, const void *msgp, size_t msgsz, int msgflg) {
    /* Linux's order: the size, the type, then the id (the daemon checks the size against MSGMAX
     * first of all; a missing id is EINVAL too) */
    if ((long)msgsz < 0 || msqid < 0) { errno = EINVAL; return -1; }
    long mtype;
    if (ipcfs__copy_in(&mtype, msgp, sizeof mtype) < 0) return -1; /* EFAULT, as the kernel's get_user */
    if (mtype < 1) { errno = EINVAL; return -1; }
    if (mtype > SAFE_MAX) { errno = EINVAL; return -1; } /* documented: the daemon's integers */
    char head[64];
    int nowait = (msgflg & IPC_NOWAIT) != 0;
    int hl = snprintf(head, sizeof head, "send %ld%s\n", mtype, nowait ? " nowait" : "");
    char small[8192], *buf = small;
    if (hl + msgsz > sizeof small && !(buf = malloc(hl + msgsz))) { errno = ENOMEM; return -1; }
    memcpy(buf, head, hl);
    if (ipcfs__copy_in(buf + hl, (const char *)msgp + sizeof(long), msgsz) < 0) {
        /* The kernel checks the size against MSGMAX before it reads the text. */
        if (buf != small) free(buf);
        errno = (long)msgsz > limit("msgmax") ? EINVAL : EFAULT;
        return -1;
    }
    int slot, fd = take(msqid, 0, &slot), r = -1;
    if (fd >= 0) {
        r = ipcfs__command(fd, buf, hl + msgsz);
        int saved = errno;
        give_back(msqid, fd, slot);
        errno = saved;
        if (r < 0 && errno == EIDRM) removed(msqid, nowait);
    }
    int saved = errno;
    if (buf != small) free(buf);
    errno = saved;
    return r;
}

/* A receiving thread cancelled (pthread_cancel: write and read are cancellation points): its
 * descriptor is closed, not given back to the pool (an answer may be left unread on it, and a
 * pooled descriptor never given back was lost for good, one per cancelled receive). */
struct receiving { int id; int fd; int slot; };
static void cancelled(void *arg) {
    const struct receiving *c = arg;
    pthread_mutex_lock(&lock);
    struct msg_ent *e = find_locked(c->id, 0);
    if (c->slot >= 0 && e && (e->fd[c->slot] == c->fd || e->fd[c->slot] == -2 - c->fd)) e->fd[c->slot] = -1, e->busy[c->slot] = 0;
    pthread_mutex_unlock(&lock);
    close(c->fd);
}

ssize_t ipcfs_msgrcv(int msqid, void *msgp, size_t msgsz, long msgtyp, int msgflg) {
    if (msqid < 0 || (long)msgsz < 0) { errno = EINVAL; return -1; }
    if (msgflg & MSG_COPY) {
        if ((msgflg & MSG_EXCEPT) || !(msgflg & IPC_NOWAIT)) { errno = EINVAL; return -1; }
        errno = ENOSYS; /* as a kernel built without checkpoint/restore: the mount has no copy command */
        return -1;
    }
    if (msgtyp > SAFE_MAX || msgtyp < -SAFE_MAX) { errno = EINVAL; return -1; }
    int nowait = (msgflg & IPC_NOWAIT) != 0;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "receive %ld%s%s%s size=%lld", msgtyp, (msgflg & MSG_EXCEPT) ? " except" : "",
             (msgflg & MSG_NOERROR) ? " noerror" : "", nowait ? " nowait" : "", (long long)msgsz > SAFE_MAX ? SAFE_MAX : (long long)msgsz);
    int slot, fd = take(msqid, 1, &slot);
    if (fd < 0) return -1;
    ssize_t r = -1;
    struct receiving c = { msqid, fd, slot };
    pthread_cleanup_push(cancelled, &c);
    if (ipcfs__command(fd, cmd, strlen(cmd)) == 0) {
        char first[4096 + 64];
        ssize_t n;
        do n = read(fd, first, sizeof first); while (n < 0 && errno == EINTR);
        char *nl = n > 0 ? memchr(first, '\n', (size_t)n) : NULL;
        long long type;
        unsigned long size;
        if (n < 0) {
            /* errno from read */
        } else if (!nl || sscanf(first, "type=%lld size=%lu", &type, &size) != 2 || size > msgsz) {
            errno = EIO;
        } else {
            char *text = (char *)msgp + sizeof(long);
            size_t have = (size_t)(first + n - (nl + 1));
            if (have > size) have = size;
            if (ipcfs__writable(msgp, sizeof(long) + size) < 0) { /* taken and lost, as Linux's */
                char rest[4096];
                for (size_t left = size - have; left > 0;) {
                    ssize_t k = read(fd, rest, left < sizeof rest ? left : sizeof rest);
                    if (k <= 0 && !(k < 0 && errno == EINTR)) break;
                    if (k > 0) left -= (size_t)k;
                }
                errno = EFAULT;
            } else if (memcpy(text, nl + 1, have), have == size || ipcfs__read_to_end(fd, text + have, size - have) == (ssize_t)(size - have)) {
                *(long *)msgp = (long)type;
                r = (ssize_t)size;
            } else errno = EIO;
        }
    }
    pthread_cleanup_pop(0);
    int saved = errno;
    give_back(msqid, fd, slot);
    errno = saved;
    if (r < 0 && errno == EIDRM) removed(msqid, nowait);
    return r;
}

/* The status file's times: ISO 8601 in UTC ("never" is 0). */
static time_t iso_time(const char *text, const char *key) {
    size_t klen = strlen(key);
    for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
        if (strncmp(l, key, klen) || l[klen] != ':') continue;
        struct tm tm = {0};
        if (sscanf(l + klen + 2, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6) return 0;
        tm.tm_year -= 1900, tm.tm_mon -= 1;
        return timegm(&tm);
    }
    return 0;
}

static int msg_stat(int msqid, struct msqid_ds *buf) {
    char path[PATH_MAX], text[8192];
    if (ipcfs__path(path, sizeof path, "mqueue/sysv/%d", msqid) < 0) { errno = EINVAL; return -1; }
    if (ipcfs__read_status(path, text, sizeof text) < 0) {
        if (errno == ENOENT) errno = EINVAL;
        else if (errno == ERANGE) errno = EIO; /* very many held lines: not expected */
        return -1;
    }
    long long v[11];
    static const char *keys[] = { "owner", "group", "cuid", "cgid", "cbytes", "qnum", "qbytes", "lspid", "lrpid", "msqid", "removed" };
    for (int i = 0; i < 10; i++)
        if (ipcfs__status_number(text, keys[i], &v[i]) < 0) { errno = EIO; return -1; }
    if (strstr(text, "\nremoved: yes")) { errno = EINVAL; return -1; }
    const char *perms = strstr(text, "\nperms: "), *key = strstr(text, "\nkey: ");
    memset(buf, 0, sizeof *buf);
    buf->msg_perm.uid = (uid_t)v[0], buf->msg_perm.gid = (gid_t)v[1];
    buf->msg_perm.cuid = (uid_t)v[2], buf->msg_perm.cgid = (gid_t)v[3];
    buf->msg_perm.mode = perms ? (unsigned short)strtoul(perms + 8, NULL, 8) : 0;
    buf->msg_perm.__key = key ? (key_t)strtoul(key + 6, NULL, 16) : 0;
    buf->msg_perm.__seq = (unsigned short)(v[9] / 32768); /* ids are slot + 32768 * seq, as Linux's */
    buf->__msg_cbytes = (unsigned long)v[4], buf->msg_qnum = (msgqnum_t)v[5], buf->msg_qbytes = (msglen_t)v[6];
    buf->msg_lspid = (pid_t)v[7], buf->msg_lrpid = (pid_t)v[8];
    buf->msg_stime = iso_time(text, "stime"), buf->msg_rtime = iso_time(text, "rtime"), buf->msg_ctime = iso_time(text, "ctime");
    return 0;
}

static long limit(const char *name) {
    char path[PATH_MAX], text[64];
    if (ipcfs__path(path, sizeof path, "limits/%s", name) < 0 || ipcfs__read_status(path, text, sizeof text) < 0) return -1;
    return strtol(text, NULL, 10);
}

/* Every msqid of the mount (readdir of mqueue/sysv): calls fn for each; the highest index (id %
 * 32768, Linux's slot) seen, or -1 when there is none. */
static int each_queue(void (*fn)(int id, void *arg), void *arg) {
    char path[PATH_MAX];
    if (ipcfs__path(path, sizeof path, "mqueue/sysv") < 0) return -1;
    DIR *d = opendir(path);
    if (!d) return -1;
    int max = -1;
    struct dirent *de;
    while ((de = readdir(d))) {
        char *end;
        long id = strtol(de->d_name, &end, 10);
        if (end == de->d_name || *end || id < 0) continue;
        if (id % 32768 > max) max = (int)(id % 32768);
        if (fn) fn((int)id, arg);
    }
    closedir(d);
    return max;
}

struct usage { int queues; long long msgs, bytes; };
static void add_usage(int id, void *arg) {
    struct usage *u = arg;
    char path[PATH_MAX], text[8192];
    long long qnum, cbytes;
    if (ipcfs__path(path, sizeof path, "mqueue/sysv/%d", id) < 0 || ipcfs__read_status(path, text, sizeof text) < 0) return;
    if (ipcfs__status_number(text, "qnum", &qnum) < 0 || ipcfs__status_number(text, "cbytes", &cbytes) < 0) return;
    u->queues++, u->msgs += qnum, u->bytes += cbytes;
}

struct find_index { int index, id; };
static void match_index(int id, void *arg) {
    struct find_index *f = arg;
    if (id % 32768 == f->index) f->id = id;
}

/* IPC_INFO and MSG_INFO as Linux's msgctl_info: the limits (with ipc/msg.c's constants for the
 * fields that have no sysctl), or for MSG_INFO the usage; returns the highest index in use. */
static int msg_info(int cmd, struct msginfo *mi) {
    long mni = limit("msgmni"), max = limit("msgmax"), mnb = limit("msgmnb");
    if (mni < 0 || max < 0 || mnb < 0) { errno = EINVAL; return -1; }
    struct usage u = {0};
    int top = each_queue(cmd == MSG_INFO ? add_usage : NULL, &u);
    memset(mi, 0, sizeof *mi);
    mi->msgmni = (int)mni, mi->msgmax = (int)max, mi->msgmnb = (int)mnb;
    mi->msgssz = 16, mi->msgseg = 0xffff; /* MSGSSZ, MSGSEG */
    if (cmd == MSG_INFO) mi->msgpool = u.queues, mi->msgmap = (int)u.msgs, mi->msgtql = (int)u.bytes;
    else mi->msgpool = 32000 * 16384 / 1024, mi->msgmap = 16384, mi->msgtql = 16384; /* MSGPOOL, MSGMAP, MSGTQL */
    return top < 0 ? 0 : top;
}

int ipcfs_msgctl(int msqid, int cmd, struct msqid_ds *buf) {
    if ((cmd == IPC_INFO || cmd == MSG_INFO || cmd == MSG_STAT || cmd == MSG_STAT_ANY) &&
        ipcfs__writable(buf, cmd == IPC_INFO || cmd == MSG_INFO ? sizeof(struct msginfo) : sizeof *buf) < 0) return -1;
    if (cmd == IPC_INFO || cmd == MSG_INFO) return msg_info(cmd, (struct msginfo *)buf);
    if (cmd == MSG_STAT || cmd == MSG_STAT_ANY) {
        /* msqid is an index (slot): the queue there, and its id as the result */
        struct find_index f = { msqid, -1 };
        if (msqid >= 0) each_queue(match_index, &f);
        if (f.id < 0) { errno = EINVAL; return -1; }
        return msg_stat(f.id, buf) < 0 ? -1 : f.id;
    }
    if (msqid < 0) { errno = EINVAL; return -1; }
    switch (cmd) {
    case IPC_STAT:
        if (ipcfs__writable(buf, sizeof *buf) < 0) return -1;
        return msg_stat(msqid, buf);
    case IPC_SET: {
        if (ipcfs__readable(buf, sizeof *buf) < 0) return -1;
        char c[160];
        snprintf(c, sizeof c, "ipc_set uid=%u gid=%u mode=%o qbytes=%llu", (unsigned)buf->msg_perm.uid, (unsigned)buf->msg_perm.gid,
                 (unsigned)(buf->msg_perm.mode & 0777), (unsigned long long)buf->msg_qbytes);
        int slot, fd = take(msqid, 0, &slot);
        if (fd < 0) return -1;
        int r = ipcfs__command(fd, c, strlen(c));
        int saved = errno;
        give_back(msqid, fd, slot);
        errno = saved;
        if (r < 0 && errno == EIDRM) removed(msqid, 1);
        return r;
    }
    case IPC_RMID: {
        char path[PATH_MAX];
        if (ipcfs__path(path, sizeof path, "mqueue/sysv/%d", msqid) < 0) { errno = EINVAL; return -1; }
        int r = unlink(path);
        if (r < 0 && errno == ENOENT) errno = EINVAL;
        if (r == 0) forget(msqid);
        return r;
    }
    default:
        errno = EINVAL;
        return -1;
    }
}
