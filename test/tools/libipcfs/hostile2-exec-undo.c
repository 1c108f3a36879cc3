/* A jobserver-like client of a System V semaphore: a process takes a token with SEM_UNDO and
 * execs a relay (as a wrapper script would), which execs the real job, which starts a helper child
 * (fork + exec, or vfork + exec) and is then SIGKILLed while the helper lives on. On Linux the token comes back when the job dies (the adjustment is the
 * process's), whatever its children do. Prints each step's value; unmodified, run natively and
 * under the interposer.
 * Usage: hostile2-exec-undo fork|vfork   (the other modes are its own re-executions) */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int value(int id) { return semctl(id, 0, GETVAL); }

/* The value once it is `want`, or what it is after 10 s (undo at exit is a moment late on the
 * mount, documented). */
static int settled(int id, int want) {
    for (int i = 0; i < 1000 && value(id) != want; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return value(id);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc == 3 && strcmp(argv[1], "helper") == 0) { /* lives until its pipe's writer closes */
        char c;
        return (int)read(atoi(argv[2]), &c, 1);
    }
    if (argc == 5 && strcmp(argv[1], "relay") == 0) {
        execv("/proc/self/exe", (char *[]){"hostile2-exec-undo", "job", argv[2], argv[3], argv[4], NULL});
        return 127;
    }
    if (argc == 5 && strcmp(argv[1], "job") == 0) { /* the exec'd job: start a helper, say ready, wait */
        pid_t h = strcmp(argv[4], "vfork") == 0 ? vfork() : fork();
        if (h == 0) {
            execl("/proc/self/exe", "hostile2-exec-undo", "helper", argv[2], (char *)NULL);
            _exit(127);
        }
        if (write(atoi(argv[3]), "r", 1) != 1) return 1;
        pause();
        return 0;
    }
    if (argc != 2) return 2;
    const char *how = argv[1];
    int id = semget(IPC_PRIVATE, 1, 0600);
    if (id < 0 || semctl(id, 0, SETVAL, 2) < 0) { printf("setup: %s\n", strerror(errno)); return 1; }
    int life[2], ready[2];
    if (pipe(life) < 0 || pipe(ready) < 0) return 1;
    pid_t job = fork();
    if (job == 0) {
        close(life[1]);
        close(ready[0]);
        struct sembuf take = {0, -1, SEM_UNDO};
        if (semop(id, &take, 1) < 0) _exit(2);
        char a[16], b[16];
        snprintf(a, sizeof a, "%d", life[0]);
        snprintf(b, sizeof b, "%d", ready[1]);
        execl("/proc/self/exe", "hostile2-exec-undo", "relay", a, b, how, (char *)NULL);
        _exit(127);
    }
    close(life[0]);
    close(ready[1]);
    char r;
    if (read(ready[0], &r, 1) != 1) { printf("job did not start\n"); return 1; }
    printf("job holds a token: %d\n", value(id));
    kill(job, SIGKILL);
    waitpid(job, NULL, 0);
    printf("job killed, its helper alive: %d\n", settled(id, 2));
    close(life[1]);
    while (wait(NULL) > 0) {}
    printf("helper gone: %d\n", settled(id, 2));
    printf("rmid: %d\n", semctl(id, 0, IPC_RMID));
    return 0;
}
