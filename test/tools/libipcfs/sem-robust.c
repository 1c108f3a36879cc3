/* Robustness proof for sem-robust.test.ts: takes a token of named semaphore argv[1] with
 * sem_wait_robust, says so, and waits to be killed. With argv[2] == "fork" it then forks a child
 * that only sleeps: the child must not keep the parent's token alive (libipcfs's fork handler).
 * With "inherited" it forks first and the child takes the token through the handle it inherited
 * from its parent (which never used undo): the parent, alive, must not keep it. With "calls" it first runs the other robust calls, which leave no adjustment on balance. */
#define _GNU_SOURCE
#include <ipcfs.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    sem_t *s = ipcfs_sem_open(argv[1], 0);
    if (s == SEM_FAILED) { printf("open: %s\n", strerror(errno)); return 1; }
    if (argc > 2 && strcmp(argv[2], "inherited") == 0) {
        int v;
        ipcfs_sem_getvalue(s, &v); /* the parent uses its handle, without undo */
        if (fork() > 0) { printf("parent %d\n", (int)getpid()); fflush(stdout); for (;;) pause(); }
    }
    if (argc > 2 && strcmp(argv[2], "calls") == 0) {
        struct timespec past = { 1, 0 };
        printf("trywait_robust: %d\n", sem_trywait_robust(s));
        printf("trywait_robust empty: %s\n", sem_trywait_robust(s) ? strerrorname_np(errno) : "ok");
        printf("timedwait_robust past: %s\n", sem_timedwait_robust(s, &past) ? strerrorname_np(errno) : "ok");
        past.tv_nsec = -1;
        printf("timedwait_robust bad nsec: %s\n", sem_timedwait_robust(s, &past) ? strerrorname_np(errno) : "ok");
        printf("post_robust: %d\n", sem_post_robust(s));
    }
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
