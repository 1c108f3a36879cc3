/* Run unchanged through `ipcfs exec`: a System V semaphore guarding one resource, taken with
 * SEM_UNDO by a child that is then SIGKILLed while holding it. The undo gives it back, so the
 * parent's blocking semop succeeds: the same program behaves the same on the kernel and on ipcfs,
 * and on ipcfs `cat semaphores/sysv/ID` shows the holder while it holds.
 * Build: cc -o sem-sysv-undo sem-sysv-undo.c
 * Usage: ipcfs exec [--mount MOUNT] -- ./sem-sysv-undo */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <unistd.h>

union semun { int val; struct semid_ds *buf; unsigned short *array; };

int main(void) {
    int id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);  /* a set no other program can find */
    if (id < 0 || semctl(id, 0, SETVAL, (union semun){ .val = 1 }) < 0) { perror("semget"); return 1; }
    struct sembuf take = { 0, -1, SEM_UNDO }, take_now = { 0, -1, SEM_UNDO | IPC_NOWAIT };

    int ready[2], hold[2];
    char c;
    if (pipe(ready) < 0 || pipe(hold) < 0) return 1;
    pid_t child = fork();
    if (child == 0) {
        close(hold[1]);
        if (semop(id, &take, 1) < 0) _exit(1);
        if (write(ready[1], "", 1) != 1) _exit(1);      /* tell the parent it holds the resource */
        _exit(read(hold[0], &c, 1) != 0);                /* until SIGKILLed, never releasing (EOF: orphaned) */
    }
    if (read(ready[0], &c, 1) != 1) return 1;
    if (semop(id, &take_now, 1) < 0 && errno == EAGAIN)
        printf("held by the child: GETVAL=%d, GETPID is the child: %s\n",
               semctl(id, 0, GETVAL), semctl(id, 0, GETPID) == child ? "yes" : "no");
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    if (semop(id, &take, 1) < 0) { perror("semop"); return 1; } /* the child's undo gave it back */
    printf("the child was killed holding it; SEM_UNDO gave it back and the parent took it\n");
    return semctl(id, 0, IPC_RMID) < 0;                  /* removes the set (and the parent's undo) */
}
