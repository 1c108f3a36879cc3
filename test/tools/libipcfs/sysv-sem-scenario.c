/* System V semaphore scenario for sysv-sem-scenario.test.ts: built once against the kernel (run in
 * a private IPC namespace) and once with -DUSE_IPCFS against libipcfs; both runs must print the
 * same lines: semget/semop/semtimedop/semctl errnos, values, EINTR and EIDRM of a blocked semop,
 * and SEM_UNDO's per-process meaning (a fork child starts with no adjustments; a process's
 * adjustments come back at its exit and at SIGKILL, even while a child it forked lives on). */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef USE_IPCFS
#include <ipcfs.h>
#define SEMGET ipcfs_semget
#define SEMOP ipcfs_semop
#define SEMTIMEDOP ipcfs_semtimedop
#define SEMCTL ipcfs_semctl
#else
#define SEMGET semget
#define SEMOP semop
#define SEMTIMEDOP semtimedop
#define SEMCTL semctl
#endif

union semun { int val; struct semid_ds *buf; unsigned short *array; };

#include "errno-name.h"
static void rc(const char *what, int r) { if (r < 0) printf("%s: %s\n", what, en(errno)); else printf("%s: %d\n", what, r); fflush(stdout); }
static int op(int id, unsigned short n, short o, short f) { struct sembuf b = { n, o, f }; return SEMOP(id, &b, 1); }
static void wait_ncnt(int id, int n, int want) { while (SEMCTL(id, n, GETNCNT) != want) usleep(1000); }
static void on_usr1(int s) { (void)s; }

/* ipcfs gives a dead process's adjustments back when the kernel releases its file (FUSE release,
 * sent after the exit): waitpid may return first. Waits until the set shows none of pid's. */
static void settle(int id, pid_t pid) {
#ifdef USE_IPCFS
    char path[4200], text[65536], want[48];
    snprintf(path, sizeof path, "%s/semaphores/sysv/%d", ipcfs_mount_dir(), id);
    snprintf(want, sizeof want, "undo: pid=%d ", (int)pid);
    for (int i = 0; i < 5000; i++) {
        FILE *f = fopen(path, "r");
        if (!f) return;
        size_t n = fread(text, 1, sizeof text - 1, f);
        fclose(f);
        text[n] = 0;
        if (!strstr(text, want)) return;
        usleep(1000);
    }
#else
    (void)id; (void)pid; /* the kernel undoes in exit, before the parent hears of it */
#endif
}

int main(void) {
    key_t key = 0x5e3a0001;
    rc("semget absent", SEMGET(key, 1, 0600));
    rc("semget create nsems 0", SEMGET(key, 0, IPC_CREAT | 0600));
    rc("semget create nsems -1", SEMGET(key, -1, IPC_CREAT | 0600));
    rc("semget create nsems 32001", SEMGET(key, 32001, IPC_CREAT | 0600));
    rc("semget private nsems 0", SEMGET(IPC_PRIVATE, 0, 0600));
    int id = SEMGET(key, 3, IPC_CREAT | IPC_EXCL | 0600);
    printf("semget create: %s\n", id >= 0 ? "ok" : en(errno));
    rc("semget excl again", SEMGET(key, 3, IPC_CREAT | IPC_EXCL | 0600));
    rc("semget more nsems", SEMGET(key, 4, 0600));
    printf("semget same: %d\n", SEMGET(key, 2, 0) == id);
    rc("semop nsops 0", SEMOP(id, NULL, 0));
    rc("semop bad semid", op(-1, 0, 1, 0));
    static struct sembuf lots[20000];
    for (int i = 0; i < 20000; i++) lots[i] = (struct sembuf){ (unsigned short)(i % 3), -1000, SEM_UNDO | IPC_NOWAIT };
    rc("semop 1000 ops", SEMOP(id, lots, 1000));
    rc("semop 20000 ops", SEMOP(id, lots, 20000));
    rc("semop sem_num out of range", op(id, 3, 1, 0));
    rc("semop nowait on 0", op(id, 0, -1, IPC_NOWAIT));
    struct timespec t = { 0, 50000000 };
    struct sembuf b = { 0, -1, 0 };
    rc("semtimedop 50ms", SEMTIMEDOP(id, &b, 1, &t));
    t.tv_nsec = 1000000000L;
    rc("semtimedop bad nsec", SEMTIMEDOP(id, &b, 1, &t));
    t.tv_sec = -1; t.tv_nsec = 0;
    rc("semtimedop negative", SEMTIMEDOP(id, &b, 1, &t));
    rc("op +32767", op(id, 1, 32767, 0));
    rc("op +1 past SEMVMX", op(id, 1, 1, 0));
    struct sembuf two[2] = { { 0, 2, 0 }, { 2, 5, 0 } };
    rc("semop two", SEMOP(id, two, 2));
    struct timespec forever = { LLONG_MAX, 0 };
    struct sembuf one = { 0, -1, 0 };
    rc("semtimedop forever, available", SEMTIMEDOP(id, &one, 1, &forever));
    one.sem_op = 1;
    rc("semop +1", SEMOP(id, &one, 1));
    unsigned short all[3];
    rc("GETALL", SEMCTL(id, 0, GETALL, (union semun){ .array = all }));
    printf("values: %u %u %u\n", all[0], all[1], all[2]);
    rc("GETVAL 1", SEMCTL(id, 1, GETVAL));
    rc("GETVAL 3", SEMCTL(id, 3, GETVAL));
    printf("GETPID is self: %d\n", SEMCTL(id, 2, GETPID) == getpid());
    rc("SETVAL 1 7", SEMCTL(id, 1, SETVAL, (union semun){ .val = 7 }));
    rc("SETVAL 1 40000", SEMCTL(id, 1, SETVAL, (union semun){ .val = 40000 }));
    rc("SETVAL 1 -1", SEMCTL(id, 1, SETVAL, (union semun){ .val = -1 }));
    unsigned short set[3] = { 1, 2, 3 };
    rc("SETALL", SEMCTL(id, 0, SETALL, (union semun){ .array = set }));
    rc("GETALL", SEMCTL(id, 0, GETALL, (union semun){ .array = all }));
    printf("values: %u %u %u\n", all[0], all[1], all[2]);
    struct semid_ds ds;
    rc("IPC_STAT", SEMCTL(id, 0, IPC_STAT, (union semun){ .buf = &ds }));
    printf("stat: nsems=%lu mode=%o key=%x uid-self=%d otime-set=%d ctime-set=%d\n", (unsigned long)ds.sem_nsems,
           ds.sem_perm.mode & 0777, ds.sem_perm.__key, ds.sem_perm.uid == getuid(), ds.sem_otime > 0, ds.sem_ctime > 0);
    ds.sem_perm.mode = 0640;
    rc("IPC_SET", SEMCTL(id, 0, IPC_SET, (union semun){ .buf = &ds }));
    SEMCTL(id, 0, IPC_STAT, (union semun){ .buf = &ds });
    printf("mode after IPC_SET: %o\n", ds.sem_perm.mode & 0777);
    rc("bad cmd", SEMCTL(id, 0, 12345));
    struct seminfo si;
    printf("IPC_INFO: %s\n", SEMCTL(0, 0, IPC_INFO, (union semun){ .buf = (struct semid_ds *)&si }) < 0 ? en(errno) : "ok");
    printf("limits: semmap=%d semmni=%d semmns=%d semmnu=%d semmsl=%d semopm=%d semume=%d semusz=%d semvmx=%d semaem=%d\n",
           si.semmap, si.semmni, si.semmns, si.semmnu, si.semmsl, si.semopm, si.semume, si.semusz, si.semvmx, si.semaem);
    printf("SEM_INFO: %s\n", SEMCTL(0, 0, SEM_INFO, (union semun){ .buf = (struct semid_ds *)&si }) < 0 ? en(errno) : "ok");
    printf("in use: sets=%d semaphores=%d\n", si.semusz, si.semaem);
    fflush(stdout);

    /* EINTR: a blocked semop interrupted by a signal (no SA_RESTART) */
    struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_handler = on_usr1; sigaction(SIGUSR1, &sa, NULL);
    SEMCTL(id, 0, SETVAL, (union semun){ .val = 0 });
    pid_t c = fork();
    if (c == 0) { rc("child semop interrupted", op(id, 0, -1, 0)); _exit(0); }
    wait_ncnt(id, 0, 1);
    rc("GETNCNT while waiting", SEMCTL(id, 0, GETNCNT));
    kill(c, SIGUSR1);
    waitpid(c, NULL, 0);
    rc("GETNCNT after", SEMCTL(id, 0, GETNCNT));
    /* a stop and continue: Linux's semop fails with EINTR although no handler ran (signal(7)) */
    c = fork();
    if (c == 0) { signal(SIGUSR1, SIG_DFL); rc("child semop across SIGSTOP/SIGCONT", op(id, 0, -1, 0)); _exit(0); }
    wait_ncnt(id, 0, 1);
    kill(c, SIGSTOP);
    waitpid(c, NULL, WUNTRACED);
    kill(c, SIGCONT);
    waitpid(c, NULL, WCONTINUED);
    usleep(50000);
    SEMCTL(id, 0, SETVAL, (union semun){ .val = 1 }); /* ends the wait if it was not ended */
    waitpid(c, NULL, 0);
    SEMCTL(id, 0, SETVAL, (union semun){ .val = 0 });
    c = fork();
    if (c == 0) { rc("child wait for zero", op(id, 1, 0, 0)); _exit(0); }
    while (SEMCTL(id, 1, GETZCNT) != 1) usleep(1000);
    rc("GETZCNT while waiting", SEMCTL(id, 1, GETZCNT));
    SEMCTL(id, 1, SETVAL, (union semun){ .val = 0 });
    waitpid(c, NULL, 0);

    /* SEM_UNDO */
    SEMCTL(id, 0, SETVAL, (union semun){ .val = 0 });
    rc("parent +2 undo", op(id, 0, 2, SEM_UNDO));
    c = fork();
    if (c == 0) _exit(0);
    waitpid(c, NULL, 0);
    rc("after a child exits (no adjustment inherited)", SEMCTL(id, 0, GETVAL));
    c = fork();
    if (c == 0) { op(id, 0, 1, SEM_UNDO); _exit(0); }
    waitpid(c, NULL, 0);
    settle(id, c);
    rc("after a child's +1 undo and exit", SEMCTL(id, 0, GETVAL));
    int pipefd[2];
    if (pipe(pipefd) < 0) return 1;
    c = fork();
    if (c == 0) { op(id, 0, -2, SEM_UNDO); if (write(pipefd[1], "x", 1) < 0) _exit(1); for (;;) pause(); }
    char x;
    if (read(pipefd[0], &x, 1) != 1) return 1;
    rc("while a child holds -2 undo", SEMCTL(id, 0, GETVAL));
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
    settle(id, c);
    rc("after it is SIGKILLed", SEMCTL(id, 0, GETVAL));
    int p2[2];
    if (pipe(p2) < 0) return 1;
    c = fork();
    if (c == 0) {
        op(id, 0, 1, SEM_UNDO);
        pid_t g = fork();
        if (g == 0) { for (;;) pause(); }
        dprintf(p2[1], "%d\n", (int)g);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    settle(id, c);
    char gbuf[32] = { 0 };
    if (read(p2[0], gbuf, sizeof gbuf - 1) <= 0) return 1;
    rc("after a child's +1 undo and exit, its own child alive", SEMCTL(id, 0, GETVAL));
    kill(atoi(gbuf), SIGKILL);
    waitpid(atoi(gbuf), NULL, 0);

    /* a child's SEM_UNDO on a set its parent used only without SEM_UNDO */
    int fresh = SEMGET(IPC_PRIVATE, 1, 0600);
    rc("parent +1 without undo", op(fresh, 0, 1, 0));
    c = fork();
    if (c == 0) { op(fresh, 0, 1, SEM_UNDO); _exit(0); }
    waitpid(c, NULL, 0);
    settle(fresh, c);
    rc("after a child's +1 undo on an inherited handle and exit", SEMCTL(fresh, 0, GETVAL));
    rc("IPC_RMID fresh", SEMCTL(fresh, 0, IPC_RMID));

    /* EIDRM for a blocked semop, EINVAL afterwards */
    SEMCTL(id, 2, SETVAL, (union semun){ .val = 0 });
    c = fork();
    if (c == 0) { rc("child semop when removed", op(id, 2, -1, 0)); _exit(0); }
    wait_ncnt(id, 2, 1);
    int removed = SEMCTL(id, 0, IPC_RMID);
    waitpid(c, NULL, 0);
    rc("IPC_RMID", removed);
    rc("semop after IPC_RMID", op(id, 0, 1, 0));
    rc("GETVAL after IPC_RMID", SEMCTL(id, 0, GETVAL));
    rc("IPC_RMID again", SEMCTL(id, 0, IPC_RMID));
    /* a big set: its status text is hundreds of KiB */
    int big = SEMGET(IPC_PRIVATE, 5000, 0600);
    static unsigned short many[5000], back[5000];
    for (int i = 0; i < 5000; i++) many[i] = (unsigned short)(i % 7);
    rc("big SETALL", SEMCTL(big, 0, SETALL, (union semun){ .array = many }));
    rc("big GETALL", SEMCTL(big, 0, GETALL, (union semun){ .array = back }));
    printf("big GETALL same: %d\n", memcmp(many, back, sizeof many) == 0);
    rc("big GETVAL 4999", SEMCTL(big, 4999, GETVAL));
    rc("big GETNCNT 4999", SEMCTL(big, 4999, GETNCNT));
    rc("big IPC_RMID", SEMCTL(big, 0, IPC_RMID));
    int priv = SEMGET(IPC_PRIVATE, 1, 0600);
    printf("private: %s\n", priv >= 0 ? "ok" : en(errno));
    rc("private IPC_RMID", SEMCTL(priv, 0, IPC_RMID));
    return 0;
}
