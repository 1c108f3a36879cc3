/* libipcfs: a pool of 2 tokens whose tokens survive SIGKILL. Two workers take a token each with
 * sem_wait_robust and are killed while holding it (as a crashed worker would be); the mount
 * gives both back, so the parent can take them: with glibc's sem_wait they would be lost.
 * Build (in the package): cc -o robust-pool examples/libipcfs/robust-pool.c -I tools/libipcfs -L tools/libipcfs/build -lipcfs
 * Usage: LD_LIBRARY_PATH=tools/libipcfs/build ./robust-pool [MOUNT]   (default $IPCFS_MOUNT, else /mnt/ipc) */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ipcfs.h"

enum { TOKENS = 2 };

int main(int argc, char **argv) {
    if (argc > 1) ipcfs_set_mount(argv[1]);
    char name[64];
    snprintf(name, sizeof name, "/example-robust-%d", (int)getpid()); /* no other program's name */
    sem_t *pool = ipcfs_sem_open(name, O_CREAT | O_EXCL, 0600, TOKENS);
    if (pool == SEM_FAILED) { perror("ipcfs_sem_open"); return 1; }

    int ready[2], hold[2];
    pid_t workers[TOKENS];
    if (pipe(ready) < 0 || pipe(hold) < 0) return 1;
    for (int w = 0; w < TOKENS; w++) {
        if ((workers[w] = fork()) != 0) continue;
        char c;
        close(hold[1]);
        if (sem_wait_robust(pool) < 0 || write(ready[1], "", 1) != 1) _exit(1);
        _exit(read(hold[0], &c, 1) != 0);                /* "working" until SIGKILLed (or orphaned: EOF) */
    }
    char c;
    for (int w = 0; w < TOKENS; w++)
        if (read(ready[0], &c, 1) != 1) return 1;       /* both hold a token */
    if (ipcfs_sem_trywait(pool) < 0 && errno == EAGAIN) printf("both workers hold a token; the pool is empty\n");

    for (int w = 0; w < TOKENS; w++) {
        kill(workers[w], SIGKILL);
        waitpid(workers[w], NULL, 0);
    }
    for (int w = 0; w < TOKENS; w++)                     /* blocks until the mount gives them back */
        if (sem_wait_robust(pool) < 0) { perror("sem_wait_robust"); return 1; }
    printf("both workers were killed holding a token; the parent took both tokens back\n");
    for (int w = 0; w < TOKENS; w++) sem_post_robust(pool);
    int value;
    ipcfs_sem_getvalue(pool, &value);
    printf("tokens in the pool: %d\n", value);
    ipcfs_sem_close(pool);
    return ipcfs_sem_unlink(name) < 0;
}
