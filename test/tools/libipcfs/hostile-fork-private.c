/* An unmodified program (glibc names; the interposer's under LD_PRELOAD): process-private unnamed
 * semaphores (sem_init pshared 0) across fork. With glibc the child has a copy of the memory, so
 * a copy of each semaphore: what it posts, waits or destroys is its own. Prints what each side
 * sees. */
#define _GNU_SOURCE
#include <errno.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *err(int failed) { return failed ? strerrorname_np(errno) : "ok"; }
static int value(sem_t *s) { int v = -1; return sem_getvalue(s, &v) < 0 ? -1 : v; }

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    static sem_t held, empty, spare; /* a lock held at fork, a semaphore at 0, one left alone */
    if (sem_init(&held, 0, 1) < 0 || sem_init(&empty, 0, 0) < 0 || sem_init(&spare, 0, 3) < 0) return perror("sem_init"), 1;
    sem_wait(&held);
    pid_t pid = fork();
    if (pid == 0) {
        printf("child: held %d empty %d spare %d\n", value(&held), value(&empty), value(&spare));
        const char *e = err(sem_post(&held) < 0);
        printf("child: post held %s, now %d\n", e, value(&held));
        e = err(sem_post(&empty) < 0);
        printf("child: post empty %s, now %d\n", e, value(&empty));
        e = err(sem_trywait(&spare) < 0);
        printf("child: trywait spare %s, now %d\n", e, value(&spare));
        printf("child: destroy held %s\n", err(sem_destroy(&held) < 0));
        printf("child: destroy empty %s\n", err(sem_destroy(&empty) < 0));
        static sem_t fresh; /* the child's own, as any */
        e = err(sem_init(&fresh, 0, 2) < 0);
        printf("child: init fresh %s, value %d\n", e, value(&fresh));
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("parent: held %d empty %d spare %d\n", value(&held), value(&empty), value(&spare));
    printf("parent: trywait empty %s\n", err(sem_trywait(&empty) < 0));
    const char *e = err(sem_post(&held) < 0);
    printf("parent: post held %s, now %d\n", e, value(&held));
    printf("parent: destroy held %s\n", err(sem_destroy(&held) < 0));
    printf("parent: destroy empty %s\n", err(sem_destroy(&empty) < 0));
    printf("parent: destroy spare %s\n", err(sem_destroy(&spare) < 0));
    return 0;
}
