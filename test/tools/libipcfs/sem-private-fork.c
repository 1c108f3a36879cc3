/* pshared=0 semaphores across fork, for sem-private-fork.test.ts: built once against glibc and
 * once with -DUSE_IPCFS against libipcfs; both runs must print the same lines. With glibc a fork
 * child has its own copy of the memory, and so an independent semaphore with the value it had at
 * the fork: the child's waits, posts and sem_destroy leave the parent's semaphore alone. Forks
 * from the main thread, from another thread while others use the semaphores, from a signal
 * handler, and a grandchild's fork; a pshared=1 semaphore in shared memory stays shared. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef USE_IPCFS
#include <ipcfs.h>
#define S(f) ipcfs_sem_##f
#else
#define S(f) sem_##f
#endif

#include "errno-name.h"
static void rc(const char *who, const char *what, int r) {
    printf("%s %s: %s\n", who, what, r == 0 ? "ok" : en(errno));
    fflush(stdout);
}
static void val(const char *who, const char *what, sem_t *s) {
    int v = -1;
    int r = S(getvalue)(s, &v);
    printf("%s %s: %s %d\n", who, what, r ? en(errno) : "value", v);
    fflush(stdout);
}
static void reap(pid_t c) {
    int st;
    waitpid(c, &st, 0);
    printf("child status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

static sem_t one, three, zero, many[15], handler_sem;
static volatile int spin = 1;

static void *busy(void *arg) { /* posts and waits on a semaphore of its own while another thread forks */
    sem_t *s = arg;
    while (spin) { S(post)(s); S(wait)(s); }
    return NULL;
}

static void *forker(void *arg) {
    (void)arg;
    pid_t c = fork();
    if (c == 0) {
        rc("thread-child", "trywait one", S(trywait)(&one));
        rc("thread-child", "destroy one", S(destroy)(&one));
        _exit(0);
    }
    reap(c);
    return NULL;
}

static void on_usr1(int sig) {
    (void)sig;
    pid_t c = fork();
    if (c == 0) {
        /* Only async-signal-safe calls here: sem_post, sem_trywait, write. */
        int a = S(trywait)(&handler_sem), b = S(trywait)(&handler_sem);
        char msg[] = "handler-child trywait twice: ok x\n";
        msg[sizeof msg - 3] = b == 0 ? '!' : 'E';
        if (a == 0) (void)!write(1, msg, sizeof msg - 1);
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* The defect's repro: the child takes its copy's unit and destroys its copy. */
    rc("parent", "init one", S(init)(&one, 0, 1));
    pid_t c = fork();
    if (c == 0) {
        rc("child", "wait one", S(wait)(&one));
        val("child", "one", &one);
        rc("child", "destroy one", S(destroy)(&one));
        _exit(0);
    }
    reap(c);
    val("parent", "one", &one);
    rc("parent", "trywait one", S(trywait)(&one));
    rc("parent", "post one", S(post)(&one));

    /* The value at the fork, then independent: the parent's posts are not the child's. */
    rc("parent", "init three", S(init)(&three, 0, 3));
    rc("parent", "init zero", S(init)(&zero, 0, 0));
    int go[2], done[2];
    if (pipe(go) || pipe(done)) return 1;
    c = fork();
    if (c == 0) {
        char b;
        val("child", "three", &three);
        rc("child", "post three", S(post)(&three));
        val("child", "three", &three);
        if (read(go[0], &b, 1) != 1) _exit(1); /* the parent has posted zero */
        rc("child", "trywait zero", S(trywait)(&zero));
        /* A grandchild's copy is made from the child's copy. */
        pid_t g = fork();
        if (g == 0) {
            val("grandchild", "three", &three);
            rc("grandchild", "destroy three", S(destroy)(&three));
            _exit(0);
        }
        reap(g);
        val("child", "three", &three);
        rc("child", "destroy three", S(destroy)(&three));
        (void)!write(done[1], "x", 1);
        _exit(0);
    }
    int posted = S(post)(&zero);
    (void)!write(go[1], "x", 1);
    char b;
    if (read(done[0], &b, 1) != 1) return 1;
    reap(c);
    rc("parent", "post zero", posted);
    val("parent", "three", &three);
    val("parent", "zero", &zero);

    /* Fifteen semaphores (as a Python process has), a thread forking while others use theirs. */
    for (int i = 0; i < 15; i++) S(init)(&many[i], 0, (unsigned)i);
    pthread_t t[3];
    pthread_create(&t[0], NULL, busy, &many[1]);
    pthread_create(&t[1], NULL, busy, &many[2]);
    pthread_create(&t[2], NULL, forker, NULL);
    pthread_join(t[2], NULL);
    spin = 0;
    pthread_join(t[0], NULL);
    pthread_join(t[1], NULL);
    val("parent", "one after thread fork", &one);
    c = fork();
    if (c == 0) {
        int ok = 1;
        for (int i = 0; i < 15; i++) {
            int v = -1;
            if (S(getvalue)(&many[i], &v) || v != i || S(destroy)(&many[i])) ok = 0;
        }
        printf("child fifteen copies: %s\n", ok ? "ok" : "wrong");
        _exit(0);
    }
    reap(c);
    int ok = 1;
    for (int i = 0; i < 15; i++) {
        int v = -1;
        if (S(getvalue)(&many[i], &v) || v != i || S(destroy)(&many[i])) ok = 0;
    }
    printf("parent fifteen: %s\n", ok ? "ok" : "wrong");

    /* A fork from a signal handler. */
    rc("parent", "init handler_sem", S(init)(&handler_sem, 0, 1));
    signal(SIGUSR1, on_usr1);
    raise(SIGUSR1);
    val("parent", "handler_sem", &handler_sem);

    /* pshared=1 in shared memory stays one semaphore. */
    sem_t *shared = mmap(NULL, sizeof(sem_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    rc("parent", "init shared", S(init)(shared, 1, 0));
    c = fork();
    if (c == 0) { rc("child", "post shared", S(post)(shared)); _exit(0); }
    reap(c);
    val("parent", "shared", shared);
    rc("parent", "destroy shared", S(destroy)(shared));
    rc("parent", "destroy one", S(destroy)(&one));
    rc("parent", "destroy three", S(destroy)(&three));
    rc("parent", "destroy zero", S(destroy)(&zero));
    rc("parent", "destroy handler_sem", S(destroy)(&handler_sem));
    return 0;
}
