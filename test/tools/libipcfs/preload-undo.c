/* An unmodified System V program (plain glibc calls, built without libipcfs) for the interposer's
 * undo tests (preload-robust.test.ts, preload-exec.test.ts). Modes:
 *   hold KEY                take one unit of set KEY with SEM_UNDO, say so, wait to be killed
 *   exec KEY VARIANT        take one unit with SEM_UNDO, then exec this program as "held" through
 *                           VARIANT (execv execve execvp execvpe execl execle execlp fexecve)
 *   failed KEY              take one unit with SEM_UNDO, fail an execv, then posix_spawn this
 *                           program as "sleeper" (glibc's own exec: no hand-over) and wait
 *   held | sleeper          say so with the pid, wait to be killed
 * Every line ends with the pid that printed it, and is flushed at once (the test's handshake). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sem.h>
#include <unistd.h>

extern char **environ;

static void say(const char *what) {
    printf("%s pid=%d\n", what, (int)getpid());
    fflush(stdout);
}

static int take(const char *keytext) {
    key_t key = (key_t)strtoul(keytext, NULL, 16);
    int id = semget(key, 1, 0);
    struct sembuf op = {0, -1, SEM_UNDO};
    if (id < 0 || semop(id, &op, 1) < 0) {
        printf("semop: %s\n", strerrorname_np(errno));
        exit(1);
    }
    return id;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "held") || !strcmp(mode, "sleeper")) {
        say(mode);
        for (;;) pause();
    }
    if (argc < 3) return 2;
    take(argv[2]);
    if (!strcmp(mode, "hold")) {
        say("holding");
        for (;;) pause();
    }
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0) return 2;
    self[n] = 0;
    char *held[] = {self, "held", NULL};
    if (!strcmp(mode, "exec")) {
        const char *v = argc > 3 ? argv[3] : "execv";
        const char *file = strrchr(self, '/') + 1; /* the p-forms search PATH (the test puts our directory in it) */
        say("took");
        if (!strcmp(v, "execv")) execv(self, held);
        else if (!strcmp(v, "execve")) execve(self, held, environ);
        else if (!strcmp(v, "execvp")) execvp(file, held);
        else if (!strcmp(v, "execvpe")) execvpe(file, held, environ);
        else if (!strcmp(v, "execl")) execl(self, self, "held", (char *)NULL);
        else if (!strcmp(v, "execle")) execle(self, self, "held", (char *)NULL, environ);
        else if (!strcmp(v, "execlp")) execlp(file, self, "held", (char *)NULL);
        else if (!strcmp(v, "fexecve")) {
            int fd = open(self, O_RDONLY | O_CLOEXEC);
            fexecve(fd, held, environ);
        }
        printf("%s: %s\n", v, strerrorname_np(errno));
        return 1;
    }
    if (!strcmp(mode, "failed")) {
        char *missing[] = {"/nonexistent/program", NULL};
        execv(missing[0], missing);
        printf("execv: %s\n", strerrorname_np(errno));
        char *sleeper[] = {self, "sleeper", NULL};
        pid_t child;
        if (posix_spawn(&child, self, NULL, NULL, sleeper, environ) != 0) return 1;
        say("spawned");
        for (;;) pause();
    }
    return 2;
}
