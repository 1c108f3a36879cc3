/* An unmodified program (plain glibc calls, built without libipcfs) for preload-shm.test.ts: makes
 * one object of each kind named on its command line and leaves it there, printing what it made.
 * Under the interposer the objects must be the mount's files, and none the kernel's. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

int main(int argc, char **argv) {
    char name[64];
    key_t key = 0x6000000 | (getpid() & 0xffff);
    snprintf(name, sizeof name, "/preload-objects-%d", (int)getpid());
    int failed = 0;
    for (int i = 1; i < argc; i++) {
        const char *kind = argv[i];
        int ok;
        if (!strcmp(kind, "shm")) {
            int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
            ok = fd >= 0 && ftruncate(fd, 4096) == 0;
        } else if (!strcmp(kind, "sysv-shm")) {
            int id = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
            char *p = id < 0 ? (void *)-1 : shmat(id, NULL, 0);
            ok = p != (void *)-1 && strcpy(p, "preloaded") && shmdt(p) == 0;
        } else if (!strcmp(kind, "sem")) {
            ok = sem_open(name, O_CREAT | O_EXCL, 0600, 1) != SEM_FAILED;
        } else if (!strcmp(kind, "sysv-sem")) {
            ok = semget(key, 1, IPC_CREAT | IPC_EXCL | 0600) >= 0;
        } else if (!strcmp(kind, "mq")) {
            ok = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, NULL) != (mqd_t)-1;
        } else if (!strcmp(kind, "sysv-msg")) {
            ok = msgget(key, IPC_CREAT | IPC_EXCL | 0600) >= 0;
        } else {
            fprintf(stderr, "unknown kind %s\n", kind);
            return 2;
        }
        printf("%s: %s\n", kind, ok ? "made" : strerrorname_np(errno));
        failed |= !ok;
    }
    printf("name %s key 0x%08x\n", name + 1, (unsigned)key);
    return failed;
}
