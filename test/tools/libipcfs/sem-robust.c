/* Robustness proof for sem-robust.test.ts: takes a token of named semaphore argv[1] with
 * sem_wait_robust, says so, and waits to be killed. With argv[2] == "fork" it first forks a child
 * that only sleeps: the child must not keep the parent's token alive (libipcfs's fork handler). */
#include <ipcfs.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    sem_t *s = ipcfs_sem_open(argv[1], 0);
    if (s == SEM_FAILED) { printf("open: %s\n", strerror(errno)); return 1; }
    if (sem_wait_robust(s) < 0) { printf("wait: %s\n", strerror(errno)); return 1; }
    if (argc > 2 && strcmp(argv[2], "fork") == 0) {
        pid_t c = fork();
        if (c == 0) { for (;;) pause(); }
        printf("child %d\n", (int)c);
    }
    printf("holding %d\n", (int)getpid());
    fflush(stdout);
    for (;;) pause();
}
