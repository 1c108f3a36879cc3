/* Run unchanged through `ipcfs exec`: two processes adding to one counter in POSIX shared memory,
 * guarded by an unnamed semaphore (sem_init with pshared=1) that lives in the same memory. Without
 * the semaphore the two would lose updates; with it the total is exact.
 * Build: cc -o shm-posix shm-posix.c
 * Usage: ipcfs exec [--mount MOUNT] -- ./shm-posix */
#include <fcntl.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

enum { ADDS = 200 };
struct shared { sem_t lock; long counter; };

static void add(struct shared *s) {
    for (int i = 0; i < ADDS; i++) {
        sem_wait(&s->lock);
        long v = s->counter;                             /* a read-modify-write that must not interleave */
        sched_yield();
        s->counter = v + 1;
        sem_post(&s->lock);
    }
}

int main(void) {
    char name[64];
    snprintf(name, sizeof name, "/example-counter-%d", (int)getpid());
    int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd < 0 || ftruncate(fd, sizeof(struct shared)) < 0) { perror("shm_open"); return 1; }
    struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);                                           /* the mapping keeps the memory */
    if (s == MAP_FAILED || sem_init(&s->lock, 1, 1) < 0) { perror("mmap/sem_init"); return 1; }

    pid_t child = fork();                                /* shares the mapping, and so the lock */
    add(s);
    if (child == 0) _exit(0);
    waitpid(child, NULL, 0);
    printf("two processes added %d each: counter = %ld\n", ADDS, s->counter);
    sem_destroy(&s->lock);
    munmap(s, sizeof *s);
    return shm_unlink(name) < 0;
}
