/* POSIX semaphore scenario for sem-scenario.test.ts: built once against glibc and once with
 * -DUSE_IPCFS against libipcfs; both runs must print the same lines. Lines starting with
 * "ipcfs-only" are libipcfs's own checks (glibc does not validate a sem_t). argv[1]: a name
 * prefix no other run uses. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef USE_IPCFS
#include <ipcfs.h>
#define S(f) ipcfs_sem_##f
#else
#define S(f) sem_##f
#endif

#include "errno-name.h"
static void rc(const char *what, int r) { printf("%s: %s\n", what, r == 0 ? "ok" : en(errno)); }
static void rp(const char *what, sem_t *s) { printf("%s: %s\n", what, s != SEM_FAILED ? "ok" : en(errno)); }
static void val(const char *what, sem_t *s) { int v = -1; int r = S(getvalue)(s, &v); printf("%s: %s %d\n", what, r ? en(errno) : "value", v); }

static char names[4][300];
static const char *nm(int i, const char *suffix) { snprintf(names[i], sizeof names[i], "/%s-%s", getenv("PREFIX"), suffix); return names[i]; }

static struct timespec in_ms(clockid_t c, long ms) {
    struct timespec t; clock_gettime(c, &t);
    t.tv_nsec += (ms % 1000) * 1000000L; t.tv_sec += ms / 1000 + t.tv_nsec / 1000000000L; t.tv_nsec %= 1000000000L;
    return t;
}

static sem_t *handler_sem;
static void h_nothing(int sig) { (void)sig; }
static void on_usr1(int sig) { (void)sig; int e = errno; S(post)(handler_sem); errno = e; }
static pid_t main_tid;
static pthread_t main_thread;
static int kick_then_post; /* after the signal, post handler_sem (for a wait that is restarted) */
static void *kicker(void *arg) {
    (void)arg;
    char path[64], st[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)main_tid);
    for (;;) { /* handshake: the main thread sleeps (in its wait) */
        FILE *f = fopen(path, "r"); if (!f) break;
        size_t n = fread(st, 1, sizeof st - 1, f); fclose(f); st[n] = 0;
        char *p = strrchr(st, ')');
        if (p && p[2] == 'S') break;
        usleep(1000);
    }
    usleep(20000);
    pthread_kill(main_thread, SIGUSR1);
    if (kick_then_post) { usleep(100000); S(post)(handler_sem); }
    return NULL;
}

static sem_t *shared_sem;
static void *worker(void *arg) {
    (void)arg;
    for (int i = 0; i < 100; i++) { if (S(wait)(shared_sem) || S(post)(shared_sem)) { printf("thread: %s\n", en(errno)); break; } }
    return NULL;
}

int main(void) {
    char longname[300];
    memset(longname, 'a', sizeof longname); longname[0] = '/';
    static const int lens[] = { 251, 252, 256, 257 };
    for (int i = 0; i < 4; i++) {
        char what[64];
        memset(longname, 'a', sizeof longname); longname[0] = '/'; longname[lens[i] + 1] = 0;
        snprintf(what, sizeof what, "open %d-char name", lens[i]); rp(what, S(open)(longname, 0));
        snprintf(what, sizeof what, "unlink %d-char name", lens[i]); rc(what, S(unlink)(longname));
    }
    rp("open absent", S(open)(nm(0, "absent"), 0));
    rp("open empty name", S(open)("/", O_CREAT, 0600, 0));
    rp("open a/b", S(open)("/a/b", O_CREAT, 0600, 0));
    rp("open O_CREAT value too big", S(open)(nm(0, "big"), O_CREAT, 0600, (unsigned)SEM_VALUE_MAX + 1));

    sem_t *a = S(open)(nm(0, "a"), O_CREAT | O_EXCL, 0600, 2);
    rp("create a", a);
    rp("create a again O_EXCL", S(open)(nm(1, "a"), O_CREAT | O_EXCL, 0600, 0));
    sem_t *a2 = S(open)(nm(1, "a"), O_CREAT, 0600, 7);
    rp("open a O_CREAT existing", a2);
    printf("same pointer: %d\n", a == a2);
    val("value of a", a);
    rc("trywait", S(trywait)(a));
    rc("wait", S(wait)(a));
    rc("trywait empty", S(trywait)(a));
    struct timespec bad = in_ms(CLOCK_REALTIME, 0); bad.tv_nsec = -1;
    rc("timedwait nsec -1", S(timedwait)(a, &bad));
    bad.tv_nsec = 1000000000L;
    rc("timedwait nsec 1e9", S(timedwait)(a, &bad));
    struct timespec past = { 1, 0 };
    rc("timedwait past", S(timedwait)(a, &past));
    struct timespec soon = in_ms(CLOCK_REALTIME, 50);
    rc("timedwait 50ms", S(timedwait)(a, &soon));
    struct timespec msoon = in_ms(CLOCK_MONOTONIC, 30);
    rc("clockwait monotonic 30ms", S(clockwait)(a, CLOCK_MONOTONIC, &msoon));
    rc("clockwait cputime clock", S(clockwait)(a, CLOCK_PROCESS_CPUTIME_ID, &msoon));
    rc("post", S(post)(a));
    bad.tv_nsec = -1;
    rc("timedwait nsec -1, available", S(timedwait)(a, &bad));
    rc("clockwait bad clock, available", S(clockwait)(a, 12345, &msoon));
    struct timespec forever = { LLONG_MAX, 999999999 };
    rc("timedwait forever, available", S(timedwait)(a, &forever));
    struct timespec never = { LLONG_MIN, 0 };
    rc("timedwait LLONG_MIN", S(timedwait)(a, &never));
    rc("post", S(post)(a));
    soon = in_ms(CLOCK_REALTIME, 1000);
    rc("timedwait available", S(timedwait)(a, &soon));
    rc("close a", S(close)(a));
    val("value through second reference", a2);
    rc("close a2", S(close)(a2));
    rc("unlink a", S(unlink)(nm(0, "a")));
    rc("unlink a again", S(unlink)(nm(0, "a")));
    rc("unlink absent", S(unlink)(nm(0, "absent")));
    rc("unlink empty", S(unlink)("/"));
    rc("unlink a/b", S(unlink)("/a/b"));

    sem_t *m = S(open)(nm(2, "max"), O_CREAT | O_EXCL, 0600, SEM_VALUE_MAX);
    rc("post at SEM_VALUE_MAX", S(post)(m));
    val("value at max", m);
    S(close)(m); S(unlink)(nm(2, "max"));

    /* unnamed, shared across fork */
    sem_t *u = mmap(NULL, sizeof(sem_t) * 2, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    rc("init value too big", S(init)(u, 1, (unsigned)SEM_VALUE_MAX + 1));
    rc("init pshared", S(init)(u, 1, 0));
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) { int r = S(wait)(u); printf("child wait: %s\n", r ? en(errno) : "ok"); fflush(stdout); _exit(0); }
    rc("parent post", S(post)(u));
    int status; waitpid(c, &status, 0);
    val("value after child", u);

    /* sem_post from a signal handler interrupting a wait */
    handler_sem = u;
    struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_handler = on_usr1; sigaction(SIGUSR1, &sa, NULL);
    main_tid = (pid_t)syscall(SYS_gettid);
    main_thread = pthread_self();
    pthread_t k; pthread_create(&k, NULL, kicker, NULL);
    rc("wait interrupted", S(wait)(u));
    pthread_join(k, NULL);
    rc("trywait after handler's post", S(trywait)(u));

    /* SA_RESTART: glibc's untimed wait is restarted after the handler, its timed wait is not */
    sa.sa_handler = h_nothing; sa.sa_flags = SA_RESTART; sigaction(SIGUSR1, &sa, NULL);
    kick_then_post = 1;
    pthread_create(&k, NULL, kicker, NULL);
    rc("wait, SA_RESTART handler", S(wait)(u));
    pthread_join(k, NULL);
    pthread_create(&k, NULL, kicker, NULL);
    struct timespec later = in_ms(CLOCK_REALTIME, 10000);
    rc("timedwait, SA_RESTART handler", S(timedwait)(u, &later));
    pthread_join(k, NULL);
    rc("trywait the post", S(trywait)(u));
    kick_then_post = 0;

    /* a stop and continue (no handler runs) does not end a wait */
    fflush(stdout);
    c = fork();
    if (c == 0) {
        signal(SIGUSR1, SIG_DFL);
        int r = S(wait)(u);
        printf("child wait across SIGSTOP/SIGCONT: %s\n", r ? en(errno) : "ok");
        later = in_ms(CLOCK_REALTIME, 10000);
        r = S(timedwait)(u, &later);
        printf("child timedwait across SIGSTOP/SIGCONT: %s\n", r ? en(errno) : "ok");
        fflush(stdout);
        _exit(0);
    }
    for (int round = 0; round < 2; round++) {
        char path[64], st[256];
        snprintf(path, sizeof path, "/proc/%d/stat", (int)c);
        for (;;) { /* handshake: the child sleeps in its wait (or has ended: the outputs will differ) */
            FILE *f = fopen(path, "r"); if (!f) break;
            size_t n = fread(st, 1, sizeof st - 1, f); fclose(f); st[n] = 0;
            char *p = strrchr(st, ')');
            if (p && (p[2] == 'S' || p[2] == 'Z')) break;
            usleep(1000);
        }
        usleep(20000);
        kill(c, SIGSTOP);
        waitpid(c, &status, WUNTRACED);
        kill(c, SIGCONT);
        waitpid(c, &status, WCONTINUED);
        usleep(50000);
        S(post)(u);
    }
    waitpid(c, &status, 0);

    /* threads */
    shared_sem = u;
    S(post)(u);
    pthread_t th[4];
    for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, worker, NULL);
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    val("value after threads", u);
    rc("destroy", S(destroy)(u));
    sem_t cycled;
    int cycles = 0;
    while (cycles < 4200 && S(init)(&cycled, 0, 1) == 0 && S(trywait)(&cycled) == 0 && S(destroy)(&cycled) == 0) cycles++;
    printf("init, trywait, destroy: %d times%s%s\n", cycles, cycles < 4200 ? ", then " : "", cycles < 4200 ? en(errno) : "");
    static sem_t never_destroyed; /* libipcfs: transient, gone with this process (the test checks) */
    rc("init, never destroyed", S(init)(&never_destroyed, 0, 1));
    rc("trywait it", S(trywait)(&never_destroyed));
#ifdef USE_IPCFS
    sem_t zero; memset(&zero, 0, sizeof zero);
    errno = 0; printf("ipcfs-only post zeroed sem_t: %s\n", S(post)(&zero) ? en(errno) : "ok");
    printf("ipcfs-only post destroyed: %s\n", S(post)(u) ? en(errno) : "ok");
    printf("ipcfs-only close unnamed: %s\n", S(close)(u) ? en(errno) : "ok");
    printf("ipcfs-only open /.new: %s\n", S(open)("/.new", O_CREAT, 0600, 0) == SEM_FAILED ? en(errno) : "ok");
#endif
    return 0;
}
