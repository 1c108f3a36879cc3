/* Run unchanged through `ipcfs exec`: a named POSIX semaphore as a pool of 2 tokens shared by 4
 * worker processes, so that at most 2 work at once. The workers count themselves in a shared
 * anonymous mapping; the parent checks the bound held and that every token came home.
 * Build: cc -o sem-posix-pool sem-posix-pool.c
 * Usage: ipcfs exec [--mount MOUNT] -- ./sem-posix-pool */
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { TOKENS = 2, WORKERS = 4 };

int main(void) {
    char name[64];
    snprintf(name, sizeof name, "/example-pool-%d", (int)getpid()); /* no other program's name */
    sem_t *pool = sem_open(name, O_CREAT | O_EXCL, 0600, TOKENS);
    int *counts = mmap(NULL, 2 * sizeof(int), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (pool == SEM_FAILED || counts == MAP_FAILED) { perror("sem_open"); return 1; }
    int *running = &counts[0], *most = &counts[1];

    for (int w = 0; w < WORKERS; w++) {
        if (fork() != 0) continue;
        if (sem_wait(pool) < 0) _exit(1);               /* a token: the right to work */
        int now = __atomic_add_fetch(running, 1, __ATOMIC_SEQ_CST), seen = *most;
        while (now > seen && !__atomic_compare_exchange_n(most, &seen, now, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {}
        nanosleep(&(struct timespec){ 0, 20 * 1000 * 1000 }, NULL);   /* the work */
        __atomic_sub_fetch(running, 1, __ATOMIC_SEQ_CST);
        _exit(sem_post(pool) < 0);                       /* the token back to the pool */
    }
    int ok = 1, status, value;
    for (int w = 0; w < WORKERS; w++) ok &= wait(&status) > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    sem_getvalue(pool, &value);
    printf("%d workers, %d tokens: at most %d worked at once; %d tokens back in the pool\n", WORKERS, TOKENS, *most, value);
    sem_close(pool);
    return !ok || sem_unlink(name) < 0;
}
