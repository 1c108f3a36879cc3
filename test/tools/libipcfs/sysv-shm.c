/* System V shared memory scenario, built twice by sysv-shm.test.ts: with glibc (run in a private
 * IPC namespace, where the kernel answers) and against libipcfs (run on a fresh mount). One line
 * per call: its result and errno name, never an id or an address. Lines starting "differs:" are
 * where ipcfs differs from the kernel on purpose (nattch counts open files, which a forked child
 * shares: docs/protocol.md); the test compares every other line. */
#define _GNU_SOURCE
#if __has_include("ipcfs.h")
#include "ipcfs.h"
#define SHMGET ipcfs_shmget
#define SHMAT ipcfs_shmat
#define SHMDT ipcfs_shmdt
#define SHMCTL ipcfs_shmctl
#else
#define SHMGET shmget
#define SHMAT shmat
#define SHMDT shmdt
#define SHMCTL shmctl
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errno-name.h"

static int get(const char *label, key_t key, size_t size, int flg) {
    errno = 0;
    int id = SHMGET(key, size, flg);
    printf("shmget %s: %s\n", label, id >= 0 ? "ok" : en(errno));
    return id;
}

static char *at(const char *label, int id, const void *addr, int flg) {
    errno = 0;
    char *p = SHMAT(id, addr, flg);
    printf("shmat %s: %s\n", label, p != (void *)-1 ? "ok" : en(errno));
    return p;
}

static void dt(const char *label, const void *addr) {
    errno = 0;
    int r = SHMDT(addr);
    printf("shmdt %s: %s\n", label, r == 0 ? "ok" : en(errno));
}

static void ctl(const char *label, int id, int cmd, struct shmid_ds *ds) {
    errno = 0;
    int r = SHMCTL(id, cmd, ds);
    printf("shmctl %s: %s\n", label, r == 0 ? "ok" : en(errno));
}

static unsigned long nattch(int id) {
    struct shmid_ds ds;
    return SHMCTL(id, IPC_STAT, &ds) == 0 ? (unsigned long)ds.shm_nattch : 999;
}

/* threads attaching and detaching at once: the attach table must not lose or mix entries */
static int shared_id;
static void *churn(void *arg) {
    long failed = 0;
    for (int i = 0; i < 50; i++) {
        char *p = SHMAT(shared_id, NULL, 0);
        if (p == (void *)-1) { failed++; continue; }
        p[(long)arg] = 'x';
        if (SHMDT(p) != 0) failed++;
    }
    return (void *)failed;
}

int main(void) {
    key_t key = 0x5000000 | (getpid() & 0xffff);
    long page = sysconf(_SC_PAGESIZE);

    get("private size 0", IPC_PRIVATE, 0, IPC_CREAT | 0600);
    get("absent key", key, 4096, 0600);
    int id = get("create", key, 5000, IPC_CREAT | IPC_EXCL | 0640);
    get("create excl again", key, 5000, IPC_CREAT | IPC_EXCL | 0640);
    get("larger than the segment", key, 8000, 0);
    printf("same id by key, size 0: %s\n", SHMGET(key, 0, 0) == id ? "yes" : "no");

    struct shmid_ds ds;
    ctl("IPC_STAT", id, IPC_STAT, &ds);
    printf("segsz %zu mode %o key-ok %d cpid-ok %d lpid %d nattch %lu atime %d dtime %d ctime-set %d uid-ok %d cuid-ok %d\n",
           ds.shm_segsz, ds.shm_perm.mode, ds.shm_perm.__key == key, ds.shm_cpid == getpid(), (int)ds.shm_lpid,
           (unsigned long)ds.shm_nattch, ds.shm_atime != 0, ds.shm_dtime != 0, ds.shm_ctime != 0,
           ds.shm_perm.uid == getuid(), ds.shm_perm.cuid == getuid());
    ctl("IPC_STAT of -1", -1, IPC_STAT, &ds);
    ctl("IPC_STAT of INT_MAX", INT_MAX, IPC_STAT, &ds);
    ctl("unknown command", id, 12345, &ds);

    at("of -1", -1, NULL, 0);
    at("of INT_MAX", INT_MAX, NULL, 0);
    at("SHM_REMAP without an address", id, NULL, SHM_REMAP);
    char *p = at("read-write", id, NULL, 0);
    strcpy(p, "hello");
    ctl("IPC_STAT attached", id, IPC_STAT, &ds);
    printf("nattch %lu lpid-ok %d atime-set %d\n", (unsigned long)ds.shm_nattch, ds.shm_lpid == getpid(), ds.shm_atime != 0);
    char *r = at("SHM_RDONLY", id, NULL, SHM_RDONLY);
    printf("read-only sees: %s\n", r);
    printf("nattch after two attaches: %lu\n", nattch(id));

    /* addresses: a free range of four pages */
    char *range = mmap(NULL, 4 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(range, 4 * page);
    at("misaligned address", id, range + 1, 0);
    char *q = at("misaligned address, SHM_RND", id, range + 1, SHM_RND);
    printf("rounded down: %s, same memory: %s\n", q == range ? "yes" : "no", q != (void *)-1 && strcmp(q, "hello") == 0 ? "yes" : "no");
    at("over an existing attach", id, range, 0);
    char *blocker = mmap(range + 2 * page, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    at("over another mapping", id, range + 2 * page, 0);
    char *remapped = at("over another mapping, SHM_REMAP", id, blocker, SHM_REMAP);
    printf("SHM_REMAP at the address: %s, same memory: %s\n", remapped == blocker ? "yes" : "no",
           remapped != (void *)-1 && strcmp(remapped, "hello") == 0 ? "yes" : "no");
    dt("misaligned", q + 1);
    dt("never attached", &ds);
    dt("SHM_RND attach", q);
    dt("SHM_RND attach again", q);
    dt("SHM_REMAP attach", remapped);
    munmap(range, 4 * page);

    /* fork: the child inherits the attaches and may detach them */
    fflush(stdout); /* or the child's exit writes the parent's buffered lines again */
    pid_t child = fork();
    if (child == 0) {
        printf("differs: child sees nattch %lu\n", nattch(id));
        strcpy(p, "from the child");
        dt("child, inherited", p);
        printf("differs: child after shmdt sees nattch %lu\n", nattch(id));
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
    printf("parent sees: %s\n", r);
    printf("nattch after the child: %lu\n", nattch(id));

    /* IPC_SET */
    ds.shm_perm.mode = 0600;
    ctl("IPC_SET mode 600", id, IPC_SET, &ds);
    ctl("IPC_STAT after IPC_SET", id, IPC_STAT, &ds);
    printf("mode %o\n", ds.shm_perm.mode);

    /* IPC_RMID while attached: dest, private, still attachable by id, gone at the last detach */
    ctl("IPC_RMID attached", id, IPC_RMID, NULL);
    ctl("IPC_STAT removed", id, IPC_STAT, &ds);
    printf("mode %o key %d nattch %lu\n", ds.shm_perm.mode, (int)ds.shm_perm.__key, (unsigned long)ds.shm_nattch);
    get("by key after IPC_RMID", key, 0, 0);
    char *late = at("by id after IPC_RMID", id, NULL, 0);
    printf("late attach sees: %s\n", late);
    dt("read-write", p);
    dt("read-only", r);
    ctl("IPC_STAT one attach left", id, IPC_STAT, &ds);
    dt("late", late);
    ctl("IPC_STAT after the last detach", id, IPC_STAT, &ds);
    ctl("IPC_RMID again", id, IPC_RMID, NULL);

    shared_id = get("for threads", IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    pthread_t th[4];
    long failures = 0;
    for (long i = 0; i < 4; i++) pthread_create(&th[i], NULL, churn, (void *)i);
    for (int i = 0; i < 4; i++) {
        void *f;
        pthread_join(th[i], &f);
        failures += (long)f;
    }
    printf("4 threads x 50 shmat+shmdt: %ld failed, nattch %lu\n", failures, nattch(shared_id));
    ctl("IPC_RMID for threads", shared_id, IPC_RMID, NULL);

    int other = get("private", IPC_PRIVATE, 100, IPC_CREAT | 0600);
    ctl("IPC_STAT private", other, IPC_STAT, &ds);
    printf("key %d segsz %zu\n", (int)ds.shm_perm.__key, ds.shm_segsz);
    ctl("IPC_RMID unattached", other, IPC_RMID, NULL);
    ctl("IPC_STAT after IPC_RMID", other, IPC_STAT, &ds);
    at("after IPC_RMID", other, NULL, 0);

    /* a program that closes every descriptor after shmat (a daemon's habit) and opens others:
     * shmdt must not close them */
    int last = get("last", IPC_PRIVATE, 100, IPC_CREAT | 0600);
    char *c = at("before closing every descriptor", last, NULL, 0);
    for (int fd = 3; fd < 256; fd++) close(fd);
    int fds[8], alive = 0;
    for (int i = 0; i < 8; i++) fds[i] = open("/dev/null", O_RDONLY);
    dt("after closing every descriptor", c);
    for (int i = 0; i < 8; i++) alive += fcntl(fds[i], F_GETFD) >= 0;
    printf("the program's descriptors still open after shmdt: %d of 8\n", alive);
    ctl("IPC_RMID last", last, IPC_RMID, NULL);
    return 0;
}
