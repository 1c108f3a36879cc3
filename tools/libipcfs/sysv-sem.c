/* System V semaphores on the mount (semaphores/sysv): semget through .new, semop/semtimedop as one
 * `op` command on a per-process handle, semctl from the status file and commands.
 *
 * SEM_UNDO keeps Linux's per-process meaning although the daemon records undo per open file
 * description: each process uses one handle per set, a fork child reopens the handles that
 * carried SEM_UNDO (it starts with no adjustments), and the interposer's exec wrappers keep those
 * handles open across execve (adjustments survive exec, as on Linux). */
#define _GNU_SOURCE
#include "internal.h"
#include "ipcfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
    struct seminfo *__buf;
};

struct handle {
    int semid;
    int fd;
    dev_t dev;         /* fd's file: the program may close the number and reuse it (closefrom) */
    ino_t ino;
    volatile int mark; /* MARK_*: whether fd carries SEM_UNDO, or is shared with the parent process */
    struct handle *volatile next;
};

/* A handle that has carried SEM_UNDO is reopened in a fork child (which starts with no
 * adjustments); the child's other handles are marked INHERITED and reopened before their first
 * SEM_UNDO operation, so that the child's adjustments are not recorded on its parent's description. */
enum { MARK_CLEAN, MARK_UNDO, MARK_INHERITED };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct handle *volatile handles;

static int set_path(char *buf, size_t cap, int semid) { return ipcfs__path(buf, cap, "semaphores/sysv/%d", semid); }

/* This process's handle of semid (opened on first use), under lock. NULL with Linux's errno. */
static struct handle *handle_of(int semid) {
    for (struct handle *volatile *p = &handles; *p; p = &(*p)->next) {
        struct handle *h = *p;
        if (h->semid != semid) continue;
        if (ipcfs__is_file(h->fd, h->dev, h->ino)) return h;
        /* The program closed our descriptor: the number is not ours to use or close. Opened
         * afresh below (the adjustments went with the closed description). */
        *p = h->next;
        free(h);
        break;
    }
    char path[PATH_MAX];
    if (semid < 0) { errno = EINVAL; return NULL; }
    if (set_path(path, sizeof path, semid) < 0) return NULL;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0 && errno == EACCES) fd = open(path, O_WRONLY | O_CLOEXEC); /* alter without read */
    if (fd < 0) {
        if (errno == ENOENT) errno = EINVAL; /* no such semid */
        return NULL;
    }
    struct handle *h = calloc(1, sizeof *h);
    if (!h || ipcfs__identify(fd, &h->dev, &h->ino) < 0) { free(h); close(fd); errno = ENOMEM; return NULL; }
    h->semid = semid;
    h->fd = fd;
    h->next = handles;
    handles = h;
    return h;
}

/* After IPC_RMID: the next call opens afresh and gets Linux's EINVAL for a gone semid. */
static void forget(int semid) {
    for (struct handle *volatile *p = &handles; *p; p = &(*p)->next) {
        if ((*p)->semid != semid) continue;
        struct handle *h = *p;
        *p = h->next;
        ipcfs__close_if(h->fd, h->dev, h->ino);
        free(h);
        return;
    }
}

int ipcfs_semget(key_t key, int nsems, int semflg) {
    char cmd[128], answer[64], keytext[32];
    if (key == IPC_PRIVATE) snprintf(keytext, sizeof keytext, "private");
    else snprintf(keytext, sizeof keytext, "0x%08x", (unsigned)key);
    snprintf(cmd, sizeof cmd, "semget %s %d mode=%o%s%s", keytext, nsems, semflg & 0777,
             (semflg & IPC_CREAT) ? " creat" : "", (semflg & IPC_EXCL) ? " excl" : "");
    if (ipcfs__create("semaphores/sysv", cmd, answer, sizeof answer) < 0) return -1;
    char *end;
    long id = strtol(answer, &end, 10);
    if (*end || end == answer || id < 0 || id > INT_MAX) { errno = EIO; return -1; }
    return (int)id;
}

int ipcfs_semtimedop(int semid, struct sembuf *sops, size_t nsops, const struct timespec *timeout) {
    /* Linux's order: nsops, the timeout, then the set. */
    if (nsops < 1 || semid < 0) { errno = EINVAL; return -1; }
    if (nsops > 32000) { errno = E2BIG; return -1; } /* above any SEMOPM the daemon takes */
    /* As the kernel's copy_from_user: EFAULT, not a crash in here (the lock may be taken below). */
    if (ipcfs__readable(sops, nsops * sizeof *sops) < 0) return -1;
    struct timespec tcopy;
    if (timeout) {
        if (ipcfs__copy_in(&tcopy, timeout, sizeof tcopy) < 0) return -1;
        timeout = &tcopy;
    }
    char secs[48] = "";
    if (timeout && ipcfs__seconds(timeout, secs, sizeof secs) < 0) return -1;
    size_t cap = 8 + nsops * 32 + 64;
    char *cmd = malloc(cap);
    if (!cmd) { errno = ENOMEM; return -1; }
    size_t n = (size_t)snprintf(cmd, cap, "op");
    int undo = 0;
    for (size_t i = 0; i < nsops; i++) {
        short f = sops[i].sem_flg;
        n += (size_t)snprintf(cmd + n, cap - n, " %u:%d", sops[i].sem_num, sops[i].sem_op);
        if (f & (SEM_UNDO | IPC_NOWAIT))
            n += (size_t)snprintf(cmd + n, cap - n, ":%s%s%s", (f & SEM_UNDO) ? "undo" : "",
                                  (f & SEM_UNDO) && (f & IPC_NOWAIT) ? "," : "", (f & IPC_NOWAIT) ? "nowait" : "");
        if (f & SEM_UNDO) undo = 1;
    }
    if (timeout) n += (size_t)snprintf(cmd + n, cap - n, " timeout=%s", secs);
    cmd[n++] = '\n'; /* may be 4096 bytes or more: then it must end with a newline (Framing) */
    if (n > 262144) { free(cmd); errno = E2BIG; return -1; } /* past any SEMOPM; the daemon would say EMSGSIZE */
    pthread_mutex_lock(&lock);
    struct handle *h = handle_of(semid);
    int fd = h ? h->fd : -1;
    /* Marked before the command: a racing fork then reopens a handle with nothing to give back. */
    if (h && undo) {
        if (h->mark == MARK_INHERITED) ipcfs__reopen(h->fd); /* on failure: the shared description */
        h->mark = MARK_UNDO;
    }
    pthread_mutex_unlock(&lock);
    int r = fd < 0 ? -1 : ipcfs__command(fd, cmd, n);
    int e = errno;
    free(cmd);
    errno = e;
    return r;
}

int ipcfs_semop(int semid, struct sembuf *sops, size_t nsops) { return ipcfs_semtimedop(semid, sops, nsops, NULL); }

/* The set's status text (malloc'd: a set of 32000 semaphores has megabytes of it), or NULL. */
static char *status_of(int semid) {
    char path[PATH_MAX];
    if (semid < 0) { errno = EINVAL; return NULL; }
    if (set_path(path, sizeof path, semid) < 0) return NULL;
    for (size_t cap = 1 << 16; cap <= (size_t)64 << 20; cap *= 4) {
        char *buf = malloc(cap);
        if (!buf) { errno = ENOMEM; return NULL; }
        if (ipcfs__read_status(path, buf, cap) >= 0) return buf;
        int e = errno;
        free(buf);
        if (e != ERANGE) { errno = e == ENOENT ? EINVAL : e; return NULL; }
    }
    errno = ERANGE;
    return NULL;
}

/* The i-th number of the status line "key: a b c" (the per-semaphore lines). */
static int nth(const char *text, const char *key, int i, long long *out) {
    size_t klen = strlen(key);
    for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        if (strncmp(line, key, klen) || line[klen] != ':') continue;
        const char *p = line + klen + 1;
        for (int k = 0;; k++) {
            char *end;
            long long v = strtoll(p, &end, 10);
            if (end == p) return -1;
            if (k == i) { *out = v; return 0; }
            p = end;
        }
    }
    return -1;
}

static time_t iso_time(const char *text, const char *key) {
    char want[32];
    snprintf(want, sizeof want, "\n%s: ", key);
    const char *p = strstr(text, want);
    if (!p) return 0;
    struct tm tm = {0};
    if (!strptime(p + strlen(want), "%Y-%m-%dT%H:%M:%S", &tm)) return 0; /* "never" */
    return timegm(&tm);
}

static int fill_stat(const char *text, struct semid_ds *ds) {
    long long key = 0, owner, group, cuid, cgid, nsems;
    const char *k = strstr(text, "\nkey: ");
    if (k) key = strtoll(k + 6, NULL, 16);
    const char *perms = strstr(text, "\nperms: ");
    if (!perms || ipcfs__status_number(text, "owner", &owner) || ipcfs__status_number(text, "group", &group) ||
        ipcfs__status_number(text, "cuid", &cuid) || ipcfs__status_number(text, "cgid", &cgid) ||
        ipcfs__status_number(text, "nsems", &nsems)) {
        errno = EIO;
        return -1;
    }
    memset(ds, 0, sizeof *ds);
    ds->sem_perm.__key = (key_t)key;
    ds->sem_perm.uid = (uid_t)owner;
    ds->sem_perm.gid = (gid_t)group;
    ds->sem_perm.cuid = (uid_t)cuid;
    ds->sem_perm.cgid = (gid_t)cgid;
    ds->sem_perm.mode = (unsigned short)strtoul(perms + 8, NULL, 8);
    ds->sem_otime = iso_time(text, "otime");
    ds->sem_ctime = iso_time(text, "ctime");
    ds->sem_nsems = (unsigned long)nsems;
    return 0;
}

/* IPC_INFO / SEM_INFO: the daemon's limits, and for SEM_INFO what is in use (both in
 * limits/ipcfs), in Linux's fields; the answer is the highest semid in use (Linux: the highest
 * index), 0 when there is none. */
static int sem_info(int cmd, struct seminfo *si) {
    char text[16384], path[PATH_MAX];
    long long msl, mns, opm, mni, vmx, aem, sets = 0, sems = 0;
    if (ipcfs__path(path, sizeof path, "limits/ipcfs") < 0 || ipcfs__read_status(path, text, sizeof text) < 0) return -1;
    if (ipcfs__status_number(text, "semmsl", &msl) || ipcfs__status_number(text, "semmns", &mns) ||
        ipcfs__status_number(text, "semopm", &opm) || ipcfs__status_number(text, "semmni", &mni) ||
        ipcfs__status_number(text, "semvmx", &vmx)) {
        errno = EIO;
        return -1;
    }
    if (ipcfs__status_number(text, "semaem", &aem)) aem = vmx; /* Linux's SEMAEM is SEMVMX */
    if (cmd == SEM_INFO) {
        if (ipcfs__status_number(text, "sem-sets-used", &sets) || ipcfs__status_number(text, "semaphores-used", &sems)) {
            errno = EIO;
            return -1;
        }
    }
    memset(si, 0, sizeof *si);
    si->semmap = (int)mns;
    si->semmni = (int)mni;
    si->semmns = (int)mns;
    si->semmnu = (int)mns;
    si->semmsl = (int)msl;
    si->semopm = (int)opm;
    si->semume = (int)opm;
    si->semusz = cmd == SEM_INFO ? (int)sets : 20; /* Linux: SEMUSZ for IPC_INFO */
    si->semvmx = (int)vmx;
    si->semaem = cmd == SEM_INFO ? (int)sems : (int)aem;
    int max = 0;
    if (ipcfs__path(path, sizeof path, "semaphores/sysv") < 0) return -1;
    DIR *d = opendir(path);
    if (!d) return -1;
    for (struct dirent *e; (e = readdir(d));) {
        char *end;
        long id = strtol(e->d_name, &end, 10);
        if (!*end && end != e->d_name && id > max && id <= INT_MAX) max = (int)id;
    }
    closedir(d);
    return max;
}

/* A command on this process's handle (IPC_SET, IPC_RMID, SETVAL, SETALL). */
static int command(int semid, const char *cmd, size_t len, int owner_only) {
    pthread_mutex_lock(&lock);
    struct handle *h = handle_of(semid);
    int fd = h ? h->fd : -1;
    pthread_mutex_unlock(&lock);
    /* IPC_SET/IPC_RMID check ownership, not the mode: a set the caller cannot open is not its own
     * (an owner who took every bit away from itself differs: documented). */
    if (fd < 0 && owner_only && errno == EACCES) errno = EPERM;
    return fd < 0 ? -1 : ipcfs__command(fd, cmd, len);
}

static int per_sem(const char *text, int semnum, const char *key, int *out) {
    long long nsems, v;
    if (ipcfs__status_number(text, "nsems", &nsems) < 0) { errno = EIO; return -1; }
    if (semnum < 0 || semnum >= nsems) { errno = EINVAL; return -1; }
    if (nth(text, key, semnum, &v) < 0) { errno = EIO; return -1; }
    *out = (int)v;
    return 0;
}

/* GET* and IPC_STAT from the set's status text. */
static int from_status(const char *text, int semid, int semnum, int cmd, union semun arg) {
    int v;
    switch (cmd) {
    case GETVAL: case GETNCNT: case GETZCNT: case GETPID: {
        const char *key = cmd == GETVAL ? "value" : cmd == GETNCNT ? "ncnt" : cmd == GETZCNT ? "zcnt" : "pid";
        if (cmd == GETNCNT || cmd == GETZCNT) {
            /* Per semaphore only on the "sem N:" lines of sets of more than one. */
            long long nsems;
            if (ipcfs__status_number(text, "nsems", &nsems) < 0) { errno = EIO; return -1; }
            if (semnum < 0 || semnum >= nsems) { errno = EINVAL; return -1; }
            if (nsems == 1) return per_sem(text, 0, key, &v) < 0 ? -1 : v;
            char want[64];
            snprintf(want, sizeof want, "\nsem %d: ", semnum);
            const char *p = strstr(text, want);
            char field[16];
            snprintf(field, sizeof field, " %s=", key);
            const char *f = p ? strstr(p + 1, field) : NULL;
            if (!f) { errno = EIO; return -1; }
            return atoi(f + strlen(field));
        }
        return per_sem(text, semnum, key, &v) < 0 ? -1 : v;
    }
    case GETALL: {
        long long nsems;
        if (ipcfs__status_number(text, "nsems", &nsems) < 0) { errno = EIO; return -1; }
        const char *p = strstr(text, "\nvalue:");
        if (!p) { errno = EIO; return -1; }
        if (ipcfs__writable(arg.array, (size_t)nsems * sizeof *arg.array) < 0) return -1;
        p += 7;
        for (int i = 0; i < nsems; i++) { /* one pass: the line has one value per semaphore */
            char *end;
            long x = strtol(p, &end, 10);
            if (end == p) { errno = EIO; return -1; }
            arg.array[i] = (unsigned short)x;
            p = end;
        }
        return 0;
    }
    default: /* IPC_STAT, SEM_STAT, SEM_STAT_ANY */
        if (ipcfs__writable(arg.buf, sizeof *arg.buf) < 0 || fill_stat(text, arg.buf) < 0) return -1;
        return cmd == IPC_STAT ? 0 : semid;
    }
}

int ipcfs_semctl(int semid, int semnum, int cmd, ...) {
    union semun arg = {0};
    va_list ap;
    va_start(ap, cmd);
    switch (cmd) {
    case SETVAL: case SETALL: case GETALL: case IPC_STAT: case SEM_STAT: case SEM_STAT_ANY: case IPC_SET:
    case IPC_INFO: case SEM_INFO:
        arg = va_arg(ap, union semun);
        break;
    }
    va_end(ap);
    switch (cmd) {
    case GETVAL: case GETNCNT: case GETZCNT: case GETPID: case GETALL: case IPC_STAT: case SEM_STAT: case SEM_STAT_ANY: {
        char *text = status_of(semid);
        if (!text) return -1;
        int r = from_status(text, semid, semnum, cmd, arg);
        int e = errno;
        free(text);
        errno = e;
        return r;
    }
    case SETVAL: {
        char c[64];
        int n = snprintf(c, sizeof c, "setval %d %d", semnum, arg.val);
        return command(semid, c, (size_t)n, 0);
    }
    case SETALL: {
        char *text = status_of(semid);
        if (!text) return -1;
        long long nsems;
        int bad = ipcfs__status_number(text, "nsems", &nsems);
        free(text);
        if (bad) { errno = EIO; return -1; }
        if (ipcfs__readable(arg.array, (size_t)nsems * sizeof *arg.array) < 0) return -1;
        char *c = malloc((size_t)nsems * 8 + 16);
        if (!c) { errno = ENOMEM; return -1; }
        size_t n = (size_t)sprintf(c, "setall");
        for (int i = 0; i < nsems; i++) n += (size_t)sprintf(c + n, " %u", arg.array[i]);
        c[n++] = '\n';
        int r = command(semid, c, n, 0);
        int e = errno;
        free(c);
        errno = e;
        return r;
    }
    case IPC_SET: {
        if (ipcfs__readable(arg.buf, sizeof *arg.buf) < 0) return -1;
        char c[128];
        int n = snprintf(c, sizeof c, "ipc_set uid=%u gid=%u mode=%o", (unsigned)arg.buf->sem_perm.uid,
                         (unsigned)arg.buf->sem_perm.gid, arg.buf->sem_perm.mode & 0777);
        return command(semid, c, (size_t)n, 1);
    }
    case IPC_RMID: {
        int r = command(semid, "rmid", 4, 1);
        int e = errno;
        pthread_mutex_lock(&lock);
        forget(semid);
        pthread_mutex_unlock(&lock);
        errno = e;
        return r;
    }
    case IPC_INFO: case SEM_INFO:
        if (ipcfs__writable(arg.__buf, sizeof *arg.__buf) < 0) return -1;
        return sem_info(cmd, arg.__buf);
    default:
        errno = EINVAL;
        return -1;
    }
}

/* A fork child starts with no adjustments: the handles that carried SEM_UNDO get fresh open file
 * descriptions (the parent's stay the parent's). */
static void lock_all(void) { pthread_mutex_lock(&lock); }
static void unlock_all(void) { pthread_mutex_unlock(&lock); }
static void fork_child(void) {
    for (struct handle *h = handles; h; h = h->next)
        if (!ipcfs__is_file(h->fd, h->dev, h->ino)) continue; /* not ours any more: handle_of drops it */
        else if (h->mark == MARK_UNDO) h->mark = ipcfs__reopen(h->fd) == 0 ? MARK_CLEAN : MARK_INHERITED;
        else if (h->mark == MARK_CLEAN) h->mark = MARK_INHERITED;
    pthread_mutex_unlock(&lock);
}

__attribute__((constructor)) static void register_fork(void) { pthread_atfork(lock_all, unlock_all, fork_child); }

void ipcfs__sysv_sem_keep_across_exec(int keep, struct ipcfs__kept *kept) {
    for (struct handle *h = handles; h; h = h->next)
        if (h->mark == MARK_UNDO && ipcfs__is_file(h->fd, h->dev, h->ino) && fcntl(h->fd, F_SETFD, keep ? 0 : FD_CLOEXEC) == 0 && keep && kept &&
            kept->n < IPCFS__KEPT_MAX)
            kept->fd[kept->n++] = h->fd;
}
