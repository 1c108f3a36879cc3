/* Run unchanged through `ipcfs exec`: two processes sharing a System V segment. The child
 * attaches it (shmat), writes, detaches; the parent, attached before the fork, sees the bytes in
 * its own mapping. IPC_STAT gives the segment's size and its creator.
 * Build: cc -o shm-sysv shm-sysv.c
 * Usage: ipcfs exec [--mount MOUNT] -- ./shm-sysv */
#include <stdio.h>
#include <string.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);  /* a segment no other program can find */
    char *mine = id < 0 ? (char *)-1 : shmat(id, NULL, 0);
    if (mine == (char *)-1) { perror("shmget/shmat"); return 1; }

    pid_t child = fork();
    if (child == 0) {
        char *p = shmat(id, NULL, 0);                   /* a second attach, the child's own */
        if (p == (char *)-1) _exit(1);
        strcpy(p, "written by the child");
        _exit(shmdt(p) < 0);
    }
    int status;
    waitpid(child, &status, 0);
    struct shmid_ds ds;
    shmctl(id, IPC_STAT, &ds);
    printf("parent reads: %s (child exited %d)\n", mine, WEXITSTATUS(status));
    printf("IPC_STAT: %zu bytes, created by this process: %s\n", ds.shm_segsz, ds.shm_cpid == getpid() ? "yes" : "no");
    shmdt(mine);
    return shmctl(id, IPC_RMID, NULL) < 0;
}
