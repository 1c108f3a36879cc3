/* Another user's semaphores, for sem-access.test.ts (run as root to create, as nobody to try):
 * built against glibc/the kernel and with -DUSE_IPCFS; both must print the same lines.
 * argv[1]: create | try | remove; argv[2]: a named-semaphore name; argv[3]: a System V key. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sem.h>
#ifdef USE_IPCFS
#include <ipcfs.h>
#define S(f) ipcfs_sem_##f
#define SEMGET ipcfs_semget
#define SEMOP ipcfs_semop
#define SEMCTL ipcfs_semctl
#else
#define S(f) sem_##f
#define SEMGET semget
#define SEMOP semop
#define SEMCTL semctl
#endif

static void rc(const char *what, int r) { printf("%s: %s\n", what, r < 0 ? strerrorname_np(errno) : "ok"); }

int main(int argc, char **argv) {
    if (argc < 4) return 2;
    key_t key = (key_t)strtol(argv[3], NULL, 0);
    if (strcmp(argv[1], "create") == 0) {
        sem_t *s = S(open)(argv[2], O_CREAT | O_EXCL, 0600, 1);
        rc("create named", s == SEM_FAILED ? -1 : 0);
        rc("create set", SEMGET(key, 1, IPC_CREAT | IPC_EXCL | 0600));
    } else if (strcmp(argv[1], "try") == 0) {
        sem_t *s = S(open)(argv[2], 0);
        rc("open", s == SEM_FAILED ? -1 : 0);
        s = S(open)(argv[2], O_CREAT, 0600, 0);
        rc("open O_CREAT", s == SEM_FAILED ? -1 : 0);
        rc("unlink", S(unlink)(argv[2]));
        int id = SEMGET(key, 0, 0);
        rc("semget", id);
        id = SEMGET(key, 0, 0600 | IPC_CREAT);
        rc("semget IPC_CREAT", id);
        id = SEMGET(key, 0, 0);
        struct sembuf b = { 0, 1, 0 };
        rc("semop", SEMOP(id, &b, 1));
        rc("GETVAL", SEMCTL(id, 0, GETVAL));
        struct semid_ds ds;
        rc("IPC_STAT", SEMCTL(id, 0, IPC_STAT, &ds));
        rc("IPC_RMID", SEMCTL(id, 0, IPC_RMID));
    } else {
        rc("unlink", S(unlink)(argv[2]));
        rc("IPC_RMID", SEMCTL(SEMGET(key, 0, 0), 0, IPC_RMID));
    }
    return 0;
}
