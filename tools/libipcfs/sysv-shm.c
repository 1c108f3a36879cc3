/* System V shared memory on the mount: shmget through shared-memory/sysv/.new; shmat is open +
 * fstat + mmap(MAP_SHARED) of shared-memory/sysv/ID, the descriptor kept (close-on-exec) until
 * shmdt: the daemon counts open files as attaches (nattch), and with FUSE passthrough a mapping
 * does not hold the FUSE open file, so closing it at once would count the attach as gone; shmdt
 * is munmap of what shmat mapped there and the close of its descriptor; shmctl reads shared-memory/status/sysv/ID (IPC_STAT), chmod/chown (IPC_SET)
 * and unlink (IPC_RMID). errno as Linux's for the same call.
 *
 * shmdt needs the length and descriptor of shmat's attach at an address: a per-process table, under a mutex that
 * fork cannot leave locked in the child (pthread_atfork, registered at the first shmat), since
 * a forked child inherits the attaches and may shmdt them. */
#define _GNU_SOURCE
#include "internal.h"
#include "ipcfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* dev and ino: the program may have closed the descriptor and reused its number (dup2 onto a
 * fixed number, a close of every descriptor): shmdt closes it only while it is still ours. */
struct attach { uintptr_t addr; size_t len; int fd; dev_t dev; ino_t ino; };

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct attach *table;
static size_t table_len, table_cap;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void lock_table(void) { pthread_mutex_lock(&table_lock); }
static void unlock_table(void) { pthread_mutex_unlock(&table_lock); }
/* The child is single-threaded: a fresh mutex, the table as the parent had it (the attaches
 * are inherited, as Linux's). */
static void child_table(void) { pthread_mutex_init(&table_lock, NULL); }
static void register_atfork(void) { pthread_atfork(lock_table, unlock_table, child_table); }

/* Records an attach (replacing a stale entry at the same address: a mapping the program
 * munmap'ed itself). 0, or -1 with ENOMEM. */
static void close_if_ours(const struct attach *a) {
    struct stat st;
    if (a->fd >= 0 && fstat(a->fd, &st) == 0 && st.st_dev == a->dev && st.st_ino == a->ino) close(a->fd);
}

static int remember(const struct attach *a) {
    int r = 0;
    struct attach stale = {.fd = -1};
    lock_table();
    size_t i;
    for (i = 0; i < table_len && table[i].addr != a->addr; i++) {}
    if (i == table_len) {
        if (table_len == table_cap) {
            size_t cap = table_cap ? table_cap * 2 : 16;
            struct attach *grown = realloc(table, cap * sizeof *grown);
            if (!grown) { r = -1; goto out; }
            table = grown, table_cap = cap;
        }
        table_len++;
    } else {
        stale = table[i];
    }
    table[i] = *a;
out:
    unlock_table();
    close_if_ours(&stale);
    if (r < 0) errno = ENOMEM;
    return r;
}

/* Takes the entry at addr out of the table into *out; 0, or -1 when there is none. */
static int forget(uintptr_t addr, struct attach *out) {
    int r = -1;
    lock_table();
    for (size_t i = 0; i < table_len; i++)
        if (table[i].addr == addr) {
            *out = table[i];
            table[i] = table[--table_len];
            r = 0;
            break;
        }
    unlock_table();
    return r;
}

int ipcfs_shmget(key_t key, size_t size, int shmflg) {
    char cmd[128], answer[64], keytext[16];
    if (key == IPC_PRIVATE) strcpy(keytext, "private");
    else snprintf(keytext, sizeof keytext, "0x%08x", (unsigned)key);
    snprintf(cmd, sizeof cmd, "shmget %s %zu mode=%o%s%s\n", keytext, size, shmflg & 0777,
             (shmflg & IPC_CREAT) ? " creat" : "", (shmflg & IPC_EXCL) ? " excl" : "");
    if (ipcfs__create("shared-memory/sysv", cmd, answer, sizeof answer) < 0) return -1;
    char *end;
    long id = strtol(answer, &end, 10);
    if (end == answer || *end || id < 0 || id > INT_MAX) { errno = EIO; return -1; }
    return (int)id;
}

void *ipcfs_shmat(int shmid, const void *shmaddr, int shmflg) {
    uintptr_t addr = (uintptr_t)shmaddr;
    long shmlba = sysconf(_SC_PAGESIZE);
    int flags = MAP_SHARED;
    /* Linux's do_shmat, in its order */
    if (shmid < 0) goto einval;
    if (addr) {
        if (addr & (shmlba - 1)) {
            if (!(shmflg & SHM_RND)) goto einval;
            addr &= ~(uintptr_t)(shmlba - 1);
            if (!addr && (shmflg & SHM_REMAP)) goto einval;
        }
        /* without SHM_REMAP an attach over an existing mapping is EINVAL, not a replacement */
        flags |= (shmflg & SHM_REMAP) ? MAP_FIXED : MAP_FIXED_NOREPLACE;
    } else if (shmflg & SHM_REMAP) {
        goto einval;
    }
    int prot = (shmflg & SHM_RDONLY) ? PROT_READ : PROT_READ | PROT_WRITE;
    if (shmflg & SHM_EXEC) prot |= PROT_EXEC;

    char path[PATH_MAX];
    if (ipcfs__path(path, sizeof path, "shared-memory/sysv/%d", shmid) < 0) return (void *)-1;
    int fd = open(path, ((shmflg & SHM_RDONLY) ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) goto einval; /* no such id is EINVAL for System V */
        return (void *)-1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) { int e = errno; close(fd); errno = e; return (void *)-1; }
    size_t len = (size_t)st.st_size;
    if (addr && addr + len < addr) { close(fd); goto einval; }
    pthread_once(&atfork_once, register_atfork);
    void *p = mmap((void *)addr, len, prot, flags, fd, 0);
    if (p == MAP_FAILED) {
        int e = errno;
        close(fd);
        errno = e == EEXIST ? EINVAL : e;
        return (void *)-1;
    }
    struct attach a = {(uintptr_t)p, len, fd, st.st_dev, st.st_ino};
    if ((addr && (uintptr_t)p != addr) /* a kernel without NOREPLACE */
        || remember(&a) < 0) {
        int e = (addr && (uintptr_t)p != addr) ? EINVAL : errno;
        munmap(p, len);
        close(fd);
        errno = e;
        return (void *)-1;
    }
    return p;
einval:
    errno = EINVAL;
    return (void *)-1;
}

int ipcfs_shmdt(const void *shmaddr) {
    struct attach a;
    if (forget((uintptr_t)shmaddr, &a) < 0) { errno = EINVAL; return -1; }
    int r = munmap((void *)shmaddr, a.len);
    close_if_ours(&a);
    return r;
}

/* "2026-11-24T06:33:39.905Z" as seconds; "never" (or anything else) as 0. */
static time_t iso_seconds(const char *text, const char *key) {
    size_t klen = strlen(key);
    for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        if (strncmp(line, key, klen) || line[klen] != ':' || line[klen + 1] != ' ') continue;
        struct tm tm = {0};
        const char *end = strptime(line + klen + 2, "%Y-%m-%dT%H:%M:%S", &tm);
        return end ? timegm(&tm) : 0;
    }
    return 0;
}

static int stat_segment(int shmid, struct shmid_ds *buf) {
    char path[PATH_MAX], text[2048];
    if (ipcfs__path(path, sizeof path, "shared-memory/status/sysv/%d", shmid) < 0) return -1;
    if (ipcfs__read_status(path, text, sizeof text) < 0) {
        if (errno == ENOENT) errno = EINVAL;
        return -1;
    }
    long long v;
    struct shmid_ds ds;
    memset(&ds, 0, sizeof ds);
    if (ipcfs__status_number(text, "owner", &v) == 0) ds.shm_perm.uid = (uid_t)v;
    if (ipcfs__status_number(text, "group", &v) == 0) ds.shm_perm.gid = (gid_t)v;
    if (ipcfs__status_number(text, "cuid", &v) == 0) ds.shm_perm.cuid = (uid_t)v;
    if (ipcfs__status_number(text, "cgid", &v) == 0) ds.shm_perm.cgid = (gid_t)v;
    const char *perms = strstr(text, "\nperms: ");
    if (perms) ds.shm_perm.mode = (unsigned short)strtoul(perms + 8, NULL, 8);
    if (strstr(text, "\nstatus: dest")) ds.shm_perm.mode |= SHM_DEST;
    const char *key = strstr(text, "\nkey: ");
    if (key) ds.shm_perm.__key = (key_t)strtoul(key + 6, NULL, 16);
    if (ipcfs__status_number(text, "segsz", &v) == 0) ds.shm_segsz = (size_t)v;
    if (ipcfs__status_number(text, "cpid", &v) == 0) ds.shm_cpid = (pid_t)v;
    if (ipcfs__status_number(text, "lpid", &v) == 0) ds.shm_lpid = (pid_t)v;
    if (ipcfs__status_number(text, "nattch", &v) == 0) ds.shm_nattch = (shmatt_t)v;
    ds.shm_atime = iso_seconds(text, "atime");
    ds.shm_dtime = iso_seconds(text, "dtime");
    ds.shm_ctime = iso_seconds(text, "ctime");
    *buf = ds;
    return 0;
}

static int set_segment(const char *path, const struct shmid_ds *buf) {
    struct stat st;
    if (stat(path, &st) < 0) return -1;
    /* the mode first: a chown away from the caller would leave it no right to chmod */
    if (chmod(path, buf->shm_perm.mode & 0777) < 0) return -1;
    uid_t uid = buf->shm_perm.uid == st.st_uid ? (uid_t)-1 : buf->shm_perm.uid;
    gid_t gid = buf->shm_perm.gid == st.st_gid ? (gid_t)-1 : buf->shm_perm.gid;
    if ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(path, uid, gid) < 0) return -1;
    return 0;
}

int ipcfs_shmctl(int shmid, int cmd, struct shmid_ds *buf) {
    if (shmid < 0) { errno = EINVAL; return -1; }
    char path[PATH_MAX];
    if (ipcfs__path(path, sizeof path, "shared-memory/sysv/%d", shmid) < 0) return -1;
    int r;
    switch (cmd) {
    case IPC_STAT:
        if (!buf) { errno = EFAULT; return -1; }
        return stat_segment(shmid, buf);
    case IPC_SET:
        if (!buf) { errno = EFAULT; return -1; }
        r = set_segment(path, buf);
        break;
    case IPC_RMID:
        r = unlink(path);
        break;
    default:
        /* SHM_LOCK, SHM_UNLOCK, SHM_STAT, IPC_INFO, SHM_INFO: not offered (docs/protocol.md) */
        errno = EINVAL;
        return -1;
    }
    if (r < 0 && errno == ENOENT) errno = EINVAL;
    return r;
}
