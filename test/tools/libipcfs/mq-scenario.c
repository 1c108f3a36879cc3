/* POSIX message queue scenarios, printed line by line, for test/tools/libipcfs/mq-*.test.ts: built
 * once against glibc (run on the kernel in a private IPC namespace) and once against libipcfs (where
 * ipcfs.h is on the include path; run on a fresh mount), the two outputs compared.
 * Usage: mq-scenario basic | concurrent | notify */
#define _GNU_SOURCE
#if __has_include("ipcfs.h")
#include "ipcfs.h"
#define MQ(f) ipcfs_##f
#define SIDE "ipcfs"
#else
#define MQ(f) f
#define SIDE "kernel"
#endif
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "errno-name.h"
#include "receive-tally.h"
/* one result line: "what: value" or "what: -1 ERRNO" */
static long show(const char *what, long r) {
    if (r < 0) printf("%s: -1 %s\n", what, en(errno));
    else printf("%s: %ld\n", what, r);
    fflush(stdout);
    return r;
}
static struct timespec in_ms(long ms) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += ms / 1000, t.tv_nsec += (ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) t.tv_sec++, t.tv_nsec -= 1000000000L;
    return t;
}
static void attr_line(const char *what, mqd_t q) {
    struct mq_attr a;
    if (MQ(mq_getattr)(q, &a) < 0) { show(what, -1); return; }
    printf("%s: flags=%s maxmsg=%ld msgsize=%ld curmsgs=%ld\n", what, (a.mq_flags & O_NONBLOCK) ? "O_NONBLOCK" : "0",
           a.mq_maxmsg, a.mq_msgsize, a.mq_curmsgs);
}

static void on_alarm(int sig) { (void)sig; }
/* a timer's signal (handler without SA_RESTART) ends the blocking call that runs when it fires */
static void interrupt_in_ms(long ms) {
    struct sigaction sa = { .sa_handler = on_alarm };
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = { .it_value = { .tv_usec = ms * 1000 } };
    setitimer(ITIMER_REAL, &it, NULL);
}

static void basic(void) {
    char name[64], big[300];
    snprintf(name, sizeof name, "/q-%d", (int)getpid());
    struct mq_attr at = { .mq_maxmsg = 4, .mq_msgsize = 16 };

    /* names: glibc's leading slash, the kernel's lookup */
    show("open no slash", MQ(mq_open)("q", O_RDWR | O_CREAT, 0600, NULL));
    show("open /", MQ(mq_open)("/", O_RDWR | O_CREAT, 0600, NULL));
    show("open /a/b", MQ(mq_open)("/a/b", O_RDWR | O_CREAT, 0600, NULL));
    show("open /..", MQ(mq_open)("/..", O_RDWR | O_CREAT, 0600, NULL));
    memset(big, 'n', sizeof big), big[0] = '/', big[257] = 0;
    show("open 256-byte name", MQ(mq_open)(big, O_RDWR | O_CREAT, 0600, NULL));
    big[256] = 0;
    show("unlink 255-byte name (absent)", MQ(mq_unlink)(big));
    show("open absent", MQ(mq_open)(name, O_RDWR));
    show("unlink absent", MQ(mq_unlink)(name));
    struct mq_attr zero = { .mq_maxmsg = 0, .mq_msgsize = 16 }, huge = { .mq_maxmsg = 100000, .mq_msgsize = 16 };
    show("open maxmsg=0", MQ(mq_open)(name, O_RDWR | O_CREAT, 0600, &zero));
    show("open maxmsg=100000", MQ(mq_open)(name, O_RDWR | O_CREAT, 0600, &huge));

    /* the umask applies to the mode, with and without attributes */
    umask(027);
    mqd_t q = MQ(mq_open)(name, O_RDWR | O_CREAT | O_EXCL, 0666, &at);
    show("open create attr", q >= 0 ? 0 : -1);
    struct stat st;
    fstat(q, &st);
    printf("mode: %o\n", (unsigned)(st.st_mode & 0777));
    char name2[80];
    snprintf(name2, sizeof name2, "%s-default", name);
    mqd_t d = MQ(mq_open)(name2, O_RDWR | O_CREAT | O_EXCL, 0666, NULL);
    fstat(d, &st);
    printf("mode default: %o\n", (unsigned)(st.st_mode & 0777));
    attr_line("attr default", d);
    show("open excl again", MQ(mq_open)(name2, O_RDWR | O_CREAT | O_EXCL, 0600, NULL));
    show("open creat again (attr ignored)", MQ(mq_open)(name2, O_RDWR | O_CREAT, 0600, &zero) >= 0 ? 0 : -1);
    show("close default", MQ(mq_close)(d));
    show("unlink default", MQ(mq_unlink)(name2));
    umask(022);
    attr_line("attr", q);

    /* priorities: highest first, oldest first within one; binary payloads; empty messages */
    const struct { const char *m; size_t n; unsigned p; } sends[] = {
        { "one", 3, 1 }, { "b\0\n\xff", 4, 5 }, { "", 0, 5 }, { "sixteen-bytes-ok", 16, 32767 },
    };
    for (size_t i = 0; i < sizeof sends / sizeof *sends; i++) show("send", MQ(mq_send)(q, sends[i].m, sends[i].n, sends[i].p));
    attr_line("attr full", q);
    mqd_t nb = MQ(mq_open)(name, O_WRONLY | O_NONBLOCK);
    show("send full nonblock", MQ(mq_send)(nb, "x", 1, 0));
    struct timespec soon = in_ms(100);
    show("timedsend full", MQ(mq_timedsend)(q, "x", 1, 0, &soon));
    for (int i = 0; i < 4; i++) {
        char buf[64];
        unsigned prio = 99;
        ssize_t n = MQ(mq_receive)(q, buf, sizeof buf, &prio);
        printf("receive: %zd prio=%u bytes=", n, prio);
        for (ssize_t j = 0; j < n; j++) printf("%02x", (unsigned char)buf[j]);
        printf("\n");
    }

    /* errors, in Linux's order */
    char buf[64];
    struct timespec bad = { .tv_sec = 1, .tv_nsec = 1000000000L }, neg = { .tv_sec = -1 }, past = { .tv_sec = 1 };
    show("send prio 32768", MQ(mq_send)(q, "x", 1, 32768));
    show("send prio 32768 bad fd", MQ(mq_send)(-1, "x", 1, 32768));
    show("timedsend bad nsec (not full)", MQ(mq_timedsend)(q, "x", 1, 0, &bad));
    show("timedsend negative sec", MQ(mq_timedsend)(q, "x", 1, 0, &neg));
    show("timedsend past (not full)", MQ(mq_timedsend)(q, "x", 1, 0, &past));
    show("send 17 bytes", MQ(mq_send)(q, "seventeen-bytes!!", 17, 0));
    show("receive 15-byte buffer", MQ(mq_receive)(q, buf, 15, NULL));
    show("receive", MQ(mq_receive)(q, buf, 16, NULL));
    show("send bad fd", MQ(mq_send)(-1, "x", 1, 0));
    show("send unopened fd", MQ(mq_send)(500, "x", 1, 0));
    int devnull = open("/dev/null", O_RDWR);
    show("send /dev/null", MQ(mq_send)(devnull, "x", 1, 0));
    show("receive /dev/null", MQ(mq_receive)(devnull, buf, 64, NULL));
    struct mq_attr a;
    show("getattr /dev/null", MQ(mq_getattr)(devnull, &a));
    show("notify /dev/null", MQ(mq_notify)(devnull, NULL));
    show("receive on write-only", MQ(mq_receive)(nb, buf, 64, NULL));
    show("receive on write-only small buffer", MQ(mq_receive)(nb, buf, 1, NULL));
    mqd_t ro = MQ(mq_open)(name, O_RDONLY);
    show("send on read-only", MQ(mq_send)(ro, "x", 1, 0));
    show("timedreceive bad nsec", MQ(mq_timedreceive)(q, buf, 64, NULL, &bad));
    show("timedreceive past (empty)", MQ(mq_timedreceive)(q, buf, 64, NULL, &past));
    /* a far deadline (the Open POSIX tests use TIME_T_MAX) is a wait without end, not an error */
    struct timespec never = { .tv_sec = (time_t)0x7fffffffffffffffLL };
    show("timedsend TIME_T_MAX", MQ(mq_timedsend)(q, "far", 3, 2, &never));
    show("timedreceive TIME_T_MAX", MQ(mq_timedreceive)(q, buf, 64, NULL, &never));
    interrupt_in_ms(200);
    show("receive interrupted by a signal", MQ(mq_receive)(q, buf, 64, NULL));
    soon = in_ms(100);
    show("timedreceive 100 ms (empty)", MQ(mq_timedreceive)(q, buf, 64, NULL, &soon));

    /* O_NONBLOCK through mq_setattr, counted from the next call */
    struct mq_attr set = { .mq_flags = O_NONBLOCK }, old, flags4 = { .mq_flags = 4 };
    show("setattr bad flags", MQ(mq_setattr)(q, &flags4, &old));
    show("setattr bad flags bad fd", MQ(mq_setattr)(-1, &flags4, NULL));
    show("setattr nonblock", MQ(mq_setattr)(q, &set, &old));
    printf("old flags: %s\n", (old.mq_flags & O_NONBLOCK) ? "O_NONBLOCK" : "0");
    attr_line("attr nonblock", q);
    show("receive empty nonblock", MQ(mq_receive)(q, buf, 64, NULL));
    show("send after close", (MQ(mq_close)(ro), MQ(mq_send)(ro, "x", 1, 0)));
    show("close twice", MQ(mq_close)(ro));
    show("close 274", MQ(mq_close)(274));
    show("close nb", MQ(mq_close)(nb));
    /* an unlinked queue lives on through its descriptors */
    show("unlink while open", MQ(mq_unlink)(name));
    show("send after unlink", MQ(mq_send)(q, "z", 1, 3));
    attr_line("attr after unlink", q);
    show("receive after unlink", MQ(mq_receive)(q, buf, 64, NULL));
    show("reopen after unlink", MQ(mq_open)(name, O_RDWR));
    show("close", MQ(mq_close)(q));
    show("unlink", MQ(mq_unlink)(name));
    show("unlink again", MQ(mq_unlink)(name));
}

/* Two threads and a forked child receive on one mqd at once: every message reaches exactly one
 * of them, whole. */
#define PER 60
static mqd_t shared_q;
static int got[3 * PER];
static pthread_mutex_t got_lock = PTHREAD_MUTEX_INITIALIZER;
static int check_msg(const char *buf, ssize_t n) {
    int id;
    if (n != 100 || sscanf(buf, "%d", &id) != 1 || id < 0 || id >= 3 * PER) return -1;
    for (int i = 8; i < 100; i++)
        if (buf[i] != (char)(id + i)) return -1;
    return id;
}
static void *thread_receiver(void *arg) {
    (void)arg;
    for (int i = 0; i < PER; i++) {
        char buf[128];
        int id = check_msg(buf, MQ(mq_receive)(shared_q, buf, sizeof buf, NULL));
        pthread_mutex_lock(&got_lock);
        if (id < 0) printf("thread: broken message\n");
        else got[id]++;
        pthread_mutex_unlock(&got_lock);
    }
    return NULL;
}
static void concurrent(void) {
    char name[64];
    snprintf(name, sizeof name, "/c-%d", (int)getpid());
    struct mq_attr at = { .mq_maxmsg = 8, .mq_msgsize = 128 };
    shared_q = MQ(mq_open)(name, O_RDWR | O_CREAT | O_EXCL, 0600, &at);
    int p[2];
    if (shared_q < 0 || pipe(p) < 0) { show("open", -1); return; }
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        close(p[0]);
        for (int i = 0; i < PER; i++) {
            char buf[128];
            int id = check_msg(buf, MQ(mq_receive)(shared_q, buf, sizeof buf, NULL));
            if (write(p[1], &id, sizeof id) != sizeof id) _exit(2);
        }
        _exit(0);
    }
    close(p[1]);
    pthread_t t[2];
    for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, thread_receiver, NULL);
    for (int id = 0; id < 3 * PER; id++) {
        char msg[100];
        snprintf(msg, 8, "%d", id);
        for (int i = 8; i < 100; i++) msg[i] = (char)(id + i);
        if (MQ(mq_send)(shared_q, msg, sizeof msg, (unsigned)(id % 3)) < 0) show("send", -1);
    }
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    report_once(p[0], child, got, 3 * PER);
    attr_line("attr after", shared_q);
    MQ(mq_close)(shared_q);
    MQ(mq_unlink)(name);
}

/* Notification: once, to the registrant only, not while a receiver waits, EBUSY for others. */
static void notify(void) {
    char name[64], buf[64];
    snprintf(name, sizeof name, "/n-%d", (int)getpid());
    struct mq_attr at = { .mq_maxmsg = 4, .mq_msgsize = 16 };
    mqd_t q = MQ(mq_open)(name, O_RDWR | O_CREAT | O_EXCL, 0600, &at);
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    struct timespec wait = { .tv_sec = 5 }, brief = { .tv_nsec = 200000000L };
    siginfo_t si;

    struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1, .sigev_value.sival_int = 42 };
    struct sigevent bad = { .sigev_notify = 99 }, badsig = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = 65 };
    show("notify bad kind", MQ(mq_notify)(q, &bad));
    show("notify bad kind bad fd", MQ(mq_notify)(-1, &bad));
    show("notify signal 65", MQ(mq_notify)(q, &badsig));
    show("notify bad fd", MQ(mq_notify)(-1, &sev));
    show("notify", MQ(mq_notify)(q, &sev));
    show("notify again", MQ(mq_notify)(q, &sev));
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        show("child notify", MQ(mq_notify)(q, &sev));
        show("child unnotify (not the registrant)", MQ(mq_notify)(q, NULL));
        _exit(0);
    }
    waitpid(child, NULL, 0);
    show("send", MQ(mq_send)(q, "hello", 5, 1));
    int sig = sigtimedwait(&usr1, &si, &wait);
    printf("signal: %d\n", sig);
    printf("si_code: %s\n", si.si_code == SI_MESGQ ? "SI_MESGQ" : si.si_code == SI_USER ? "SI_USER" : "other");
    printf("si_value: %d, si_pid: %s, si_uid: %d\n", si.si_value.sival_int, si.si_pid == getpid() ? "self" : "other", (int)si.si_uid);
    show("send on non-empty", MQ(mq_send)(q, "again", 5, 1));
    show("signal again (once only)", sigtimedwait(&usr1, &si, &brief));
    MQ(mq_receive)(q, buf, sizeof buf, NULL);
    MQ(mq_receive)(q, buf, sizeof buf, NULL);

    /* another process (another user, too) sends: it is named; a pointer-wide value comes back whole */
    struct sigevent wide = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1, .sigev_value.sival_ptr = (void *)(intptr_t)-0x123456789abcdefLL };
    show("notify wide value", MQ(mq_notify)(q, &wide));
    fflush(stdout);
    pid_t sender = fork();
    if (sender == 0) {
        if (setuid(65534) != 0) _exit(3);
        _exit(MQ(mq_send)(q, "other", 5, 0) == 0 ? 0 : 4);
    }
    int st;
    waitpid(sender, &st, 0);
    printf("sender status: %d\n", st);
    sig = sigtimedwait(&usr1, &si, &wait);
    printf("signal: %d, si_code: %s\n", sig, si.si_code == SI_MESGQ ? "SI_MESGQ" : "other");
    printf("si_value: %s, si_pid: %s, si_uid: %d\n", si.si_value.sival_ptr == wide.sigev_value.sival_ptr ? "the pointer" : "other",
           si.si_pid == sender ? "the sender" : "other", (int)si.si_uid);
    if (st == 0) MQ(mq_receive)(q, buf, sizeof buf, NULL); /* a failed send must not hang the run */

    show("notify", MQ(mq_notify)(q, &sev));
    show("unnotify", MQ(mq_notify)(q, NULL));
    show("send", MQ(mq_send)(q, "x", 1, 0));
    show("signal after unnotify", sigtimedwait(&usr1, &si, &brief));
    MQ(mq_receive)(q, buf, sizeof buf, NULL);

    /* SIGEV_NONE holds the registration without a signal */
    struct sigevent none = { .sigev_notify = SIGEV_NONE };
    show("notify none", MQ(mq_notify)(q, &none));
    show("notify while none", MQ(mq_notify)(q, &sev));
    show("send", MQ(mq_send)(q, "x", 1, 0));
    show("signal for none", sigtimedwait(&usr1, &si, &brief));
    show("notify after none fired", MQ(mq_notify)(q, &sev));
    MQ(mq_receive)(q, buf, sizeof buf, NULL);
    show("unnotify", MQ(mq_notify)(q, NULL));

    /* the registrant's mq_close ends its registration */
    show("notify", MQ(mq_notify)(q, &sev));
    mqd_t q2 = MQ(mq_open)(name, O_RDWR);
    show("close", MQ(mq_close)(q));
    show("notify on another mqd", MQ(mq_notify)(q2, &sev));
    show("unnotify", MQ(mq_notify)(q2, NULL));
    MQ(mq_close)(q2);
    MQ(mq_unlink)(name);
}

static int thread_pipe[2];
static pthread_t main_thread;
static void notified(union sigval v) {
    int msg[2] = { v.sival_int, !pthread_equal(pthread_self(), main_thread) };
    if (write(thread_pipe[1], msg, sizeof msg) < 0) _exit(3);
}
/* what the notification thread reported within ms, or a line saying none came */
static void thread_report(const char *what, int ms) {
    struct timespec deadline = in_ms(ms);
    for (;;) {
        int msg[2];
        if (read(thread_pipe[0], msg, sizeof msg) == sizeof msg) {
            printf("%s: value=%d on another thread=%d\n", what, msg[0], msg[1]);
            return;
        }
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        if (now.tv_sec > deadline.tv_sec || (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec)) break;
        usleep(2000);
    }
    printf("%s: none\n", what);
}
static int counted_runs;
static void counted(union sigval v) { __atomic_add_fetch(&counted_runs, v.sival_int, __ATOMIC_SEQ_CST); }
/* A registration fired and another made at once (before any notification thread could start):
 * the fired one's function still runs, each time, as glibc's (its netlink message names it);
 * so it does when mq_notify(NULL) comes at once. */
static void refire(mqd_t q) {
    enum { ROUNDS = 40 };
    char buf[8192];
    struct sigevent a = { .sigev_notify = SIGEV_THREAD, .sigev_notify_function = counted, .sigev_value.sival_int = 1 };
    struct sigevent b = { .sigev_notify = SIGEV_THREAD, .sigev_notify_function = counted, .sigev_value.sival_int = 1000 };
    int fails = 0;
    for (int i = 0; i < ROUNDS; i++) {
        fails += MQ(mq_notify)(q, &a) != 0;
        fails += MQ(mq_send)(q, "r", 1, 0) != 0;
        if (i % 2) fails += MQ(mq_notify)(q, &b) != 0; /* half the rounds: straight to mq_notify(NULL) */
        fails += MQ(mq_notify)(q, NULL) != 0;
        fails += MQ(mq_receive)(q, buf, sizeof buf, NULL) != 1;
    }
    for (int ms = 0; ms < 5000 && __atomic_load_n(&counted_runs, __ATOMIC_SEQ_CST) < ROUNDS; ms += 2) usleep(2000);
    usleep(50000); /* a late extra run would show */
    printf("re-registered at once %d times: %d failed calls, the fired function ran %d times\n", ROUNDS, fails,
           __atomic_load_n(&counted_runs, __ATOMIC_SEQ_CST));
}
static void sigev_thread(void) {
    char name[64], buf[8192]; /* the default msgsize */
    snprintf(name, sizeof name, "/t-%d", (int)getpid());
    main_thread = pthread_self();
    if (pipe2(thread_pipe, O_NONBLOCK) < 0) return;
    mqd_t q = MQ(mq_open)(name, O_RDWR | O_CREAT | O_EXCL, 0600, NULL);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 1 << 20);
    struct sigevent th = { .sigev_notify = SIGEV_THREAD, .sigev_notify_function = notified, .sigev_value.sival_int = 7,
                           .sigev_notify_attributes = &attr };
    struct sigevent sig = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1 };
    show("notify thread", MQ(mq_notify)(q, &th));
    show("notify signal while thread", MQ(mq_notify)(q, &sig));
    show("send", MQ(mq_send)(q, "x", 1, 0));
    thread_report("notification", 5000);
    show("send on non-empty", MQ(mq_send)(q, "y", 1, 0));
    thread_report("second notification", 200);
    MQ(mq_receive)(q, buf, sizeof buf, NULL);
    MQ(mq_receive)(q, buf, sizeof buf, NULL);
    th.sigev_value.sival_int = 8;
    show("notify thread again", MQ(mq_notify)(q, &th));
    show("unnotify", MQ(mq_notify)(q, NULL));
    show("send", MQ(mq_send)(q, "z", 1, 0));
    thread_report("after unnotify", 200);
    MQ(mq_receive)(q, buf, sizeof buf, NULL);
    show("notify thread", MQ(mq_notify)(q, &th));
    show("send", MQ(mq_send)(q, "w", 1, 0));
    thread_report("notification", 5000);
    MQ(mq_receive)(q, buf, sizeof buf, NULL);
    refire(q);
    MQ(mq_close)(q);
    MQ(mq_unlink)(name);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *what = argc > 1 ? argv[1] : "";
    if (!strcmp(what, "basic")) basic();
    else if (!strcmp(what, "concurrent")) concurrent();
    else if (!strcmp(what, "notify")) notify();
    else if (!strcmp(what, "thread")) sigev_thread();
    else { fprintf(stderr, "usage: %s basic|concurrent|notify|thread (%s)\n", argv[0], SIDE); return 2; }
    return 0;
}
