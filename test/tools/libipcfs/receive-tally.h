/* The concurrent-receive scenarios (mq-scenario, sysv-msg-scenario): two threads and a forked
 * child receive n messages from one queue; the child writes each id it got (-1 for a message that
 * arrived broken) to fd. One line says whether every message arrived exactly once, whole. */
#ifndef RECEIVE_TALLY_H
#define RECEIVE_TALLY_H
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static void report_once(int fd, pid_t child, int *got, int n) {
    int id, broken = 0;
    while (read(fd, &id, sizeof id) == sizeof id) {
        if (id < 0) broken++;
        else got[id]++;
    }
    int status;
    waitpid(child, &status, 0);
    int once = 0;
    for (int i = 0; i < n; i++) once += got[i] == 1;
    printf("concurrent: %d of %d received exactly once, %d broken, child status %d\n", once, n, broken, status);
}
#endif
