/* libipcfs: the three System V kinds together, found by one key as unrelated programs would. A
 * worker fills a shared memory segment and says so on a semaphore; the parent, blocked in semop
 * until then, reads the segment and answers on a message queue.
 * Build (in the package): cc -o sysv examples/libipcfs/sysv.c -I tools/libipcfs -L tools/libipcfs/build -lipcfs
 * Usage: LD_LIBRARY_PATH=tools/libipcfs/build ./sysv [MOUNT]   (default $IPCFS_MOUNT, else /mnt/ipc) */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ipcfs.h"

struct reply { long type; char text[32]; };

static void worker(key_t key) {
    int shm = ipcfs_shmget(key, 0, 0), sem = ipcfs_semget(key, 0, 0), msq = ipcfs_msgget(key, 0);
    char *p = shm < 0 ? (char *)-1 : ipcfs_shmat(shm, NULL, 0);
    if (p == (char *)-1 || sem < 0 || msq < 0) _exit(1);
    strcpy(p, "42 rows processed");
    struct sembuf done = { 0, 1, 0 };
    struct reply r;
    if (ipcfs_semop(sem, &done, 1) < 0 || ipcfs_msgrcv(msq, &r, sizeof r.text, 1, 0) < 0) _exit(1);
    printf("worker got the answer: %s\n", r.text);
    fflush(stdout);                                      /* _exit does not flush stdio */
    _exit(ipcfs_shmdt(p) < 0);
}

int main(int argc, char **argv) {
    if (argc > 1) ipcfs_set_mount(argv[1]);
    key_t key = 0x7e000000 | getpid();                   /* a key no other program uses */
    int shm = ipcfs_shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
    int sem = ipcfs_semget(key, 1, IPC_CREAT | IPC_EXCL | 0600);
    int msq = ipcfs_msgget(key, IPC_CREAT | IPC_EXCL | 0600);
    char *p = shm < 0 ? (char *)-1 : ipcfs_shmat(shm, NULL, SHM_RDONLY);
    if (p == (char *)-1 || sem < 0 || msq < 0) { perror("create"); return 1; }

    pid_t child = fork();
    if (child == 0) worker(key);
    struct sembuf wait_done = { 0, -1, 0 };
    if (ipcfs_semop(sem, &wait_done, 1) < 0) { perror("ipcfs_semop"); return 1; }
    printf("parent reads the segment: %s\n", p);
    fflush(stdout);                                      /* before the worker prints */
    struct reply r = { 1, "thanks" };
    if (ipcfs_msgsnd(msq, &r, strlen(r.text) + 1, 0) < 0) { perror("ipcfs_msgsnd"); return 1; }
    int status;
    waitpid(child, &status, 0);
    ipcfs_shmdt(p);
    return status != 0 || ipcfs_shmctl(shm, IPC_RMID, NULL) < 0 || ipcfs_semctl(sem, 0, IPC_RMID) < 0 ||
           ipcfs_msgctl(msq, IPC_RMID, NULL) < 0;
}
