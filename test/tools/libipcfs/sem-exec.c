/* Robust units across execve, for sem-exec.test.ts (linked with libipcfs.a, which lets it call the
 * hidden hook the interposer's exec wrappers call). argv[1]: a named semaphore; argv[2]: "keep"
 * (ipcfs__sem_keep_across_exec(1) before exec: the units stay held by the exec'd program) or
 * "plain" (the handle is close-on-exec: the units come back at exec). Takes one unit with
 * sem_wait_robust and execs `sleep 1000` (the test kills it). "sysv-keep": argv[1] is a semid,
 * the unit is taken with semop(SEM_UNDO) and kept with ipcfs__sysv_sem_keep_across_exec(1). */
#include <ipcfs.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <stdlib.h>

void ipcfs__sem_keep_across_exec(int keep, void *kept);
void ipcfs__sysv_sem_keep_across_exec(int keep, void *kept);

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    if (strcmp(argv[2], "sysv-keep") == 0) {
        struct sembuf b = { 0, -1, SEM_UNDO };
        if (ipcfs_semop(atoi(argv[1]), &b, 1) < 0) { printf("error: %s\n", strerror(errno)); return 1; }
        ipcfs__sysv_sem_keep_across_exec(1, NULL);
        printf("exec %d\n", (int)getpid());
        fflush(stdout);
        execlp("sleep", "sleep", "1000", (char *)NULL);
        return 1;
    }
    sem_t *s = ipcfs_sem_open(argv[1], 0);
    if (s == SEM_FAILED || sem_wait_robust(s) < 0) { printf("error: %s\n", strerror(errno)); return 1; }
    if (strcmp(argv[2], "keep") == 0) ipcfs__sem_keep_across_exec(1, NULL);
    printf("exec %d\n", (int)getpid());
    fflush(stdout);
    execlp("sleep", "sleep", "1000", (char *)NULL);
    ipcfs__sem_keep_across_exec(0, NULL);
    return 1;
}
