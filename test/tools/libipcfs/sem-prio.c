/* Who a post (sem_post) or a send (mq_send) wakes when several tasks of different scheduling
 * priorities wait, for sem-prio.test.ts: built against glibc (run on the kernel in a private IPC
 * namespace) and against libipcfs (-DUSE_IPCFS, on a fresh mount); both must print the same order.
 * Children of different policies (SCHED_FIFO, SCHED_RR, SCHED_OTHER at several nice values) queue
 * one by one, each only once the one before sleeps in its wait; then the parent posts (or sends)
 * once per child and waits for that child to end before the next, printing who woke.
 * With `change`, two waiters change priority while they wait (fifo10 to SCHED_FIFO 40, other5 to
 * nice -10): Linux sorts its futex (non-PI) and mqueue lists once, when a task queues, so they
 * keep their places.
 * `unnamed` is `sem` on a process-shared unnamed semaphore (sem_init in a shared mapping).
 * Usage: sem-prio sem|unnamed|mq NAME [change]   (root: real-time policies and negative nice) */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef USE_IPCFS
#include <ipcfs.h>
#define S(f) ipcfs_sem_##f
#define MQ(f) ipcfs_##f
#else
#define S(f) sem_##f
#define MQ(f) f
#endif

struct who { const char *name; int policy; int prio_or_nice; };
/* equal priorities arrive in pairs (fifo30 a/b, fifo20 and rr20, the SCHED_OTHER ones for the futex) */
static const struct who WAITERS[] = {
    { "other0", SCHED_OTHER, 0 },  { "fifo10", SCHED_FIFO, 10 }, { "fifo30a", SCHED_FIFO, 30 },
    { "other-5", SCHED_OTHER, -5 }, { "fifo20", SCHED_FIFO, 20 }, { "fifo30b", SCHED_FIFO, 30 },
    { "rr20", SCHED_RR, 20 },       { "other5", SCHED_OTHER, 5 },
};
#define N (int)(sizeof WAITERS / sizeof WAITERS[0])

static void die(const char *what) {
    printf("%s: %s\n", what, strerrorname_np(errno));
    exit(1);
}

/* the handshake: the child has said it is about to wait, and now sleeps (state S) in the call that
 * waits (futex or mq_timedreceive natively, the write of the command on ipcfs), not in an earlier
 * step of the library's (an fstat of the mount's file sleeps in FUSE too) */
static int in_wait(pid_t pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) die("stat");
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p || p[2] != 'S') return 0;
    snprintf(path, sizeof path, "/proc/%d/syscall", pid);
    f = fopen(path, "r");
    if (!f) die("syscall");
    long nr = -1;
    if (fscanf(f, "%ld", &nr) != 1) nr = -1;
    fclose(f);
    return nr == SYS_futex || nr == SYS_mq_timedreceive || nr == SYS_write;
}

#ifdef USE_IPCFS
/* On ipcfs a call is queued when the daemon has read it, a moment after the caller went to sleep
 * in its write: the object's status says how many wait (ncnt, or the pids after receivers:). */
static int unnamed;

static int daemon_queued(int sem, const char *name) {
    char path[512], buf[4096];
    snprintf(path, sizeof path, "%s/%s/named%s", getenv("IPCFS_MOUNT"), sem ? "semaphores" : "mqueue", name);
    if (unnamed) { /* the mount is fresh: the one file of unnamed/ is ours */
        snprintf(path, sizeof path, "%s/semaphores/unnamed", getenv("IPCFS_MOUNT"));
        DIR *d = opendir(path);
        if (!d) die("opendir");
        struct dirent *e;
        while ((e = readdir(d)) && e->d_name[0] == '.') {}
        if (!e) die("unnamed");
        snprintf(path + strlen(path), sizeof path - strlen(path), "/%s", e->d_name);
        closedir(d);
    }
    FILE *f = fopen(path, "r");
    if (!f) die("status");
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    if (sem) {
        char *p = strstr(buf, "\nncnt: ");
        return p ? atoi(p + 7) : -1;
    }
    char *p = strstr(buf, "\nreceivers:");
    if (!p) return -1;
    int count = 0;
    for (p += 11; *p && *p != '\n'; p++)
        if (*p != ' ' && p[-1] == ' ') count++;
    return count;
}
#else
static int unnamed;
static int daemon_queued(int sem, const char *name) { (void)sem; (void)name; return -1; }
#endif

static void wait_sleeping(pid_t pid, int sem, const char *name, int queued) {
    for (int i = 0; i < 20000; i++) {
        int q = daemon_queued(sem, name);
        if (in_wait(pid) && (q < 0 || q == queued)) return;
        usleep(500);
    }
    printf("child %d never slept\n", pid);
    exit(1);
}

static void become(const struct who *w) {
    if (w->policy == SCHED_OTHER) {
        if (setpriority(PRIO_PROCESS, 0, w->prio_or_nice) < 0) die("setpriority");
    } else {
        struct sched_param sp = { .sched_priority = w->prio_or_nice };
        if (sched_setscheduler(0, w->policy, &sp) < 0) die("sched_setscheduler");
    }
}

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    unnamed = strcmp(argv[1], "unnamed") == 0;
    int sem = unnamed || strcmp(argv[1], "sem") == 0;
    sem_t *s = SEM_FAILED;
    mqd_t q = (mqd_t)-1;
    if (unnamed) {
        s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (s == MAP_FAILED || S(init)(s, 1, 0) < 0) die("sem_init");
    } else if (sem) {
        S(unlink)(argv[2]);
        s = S(open)(argv[2], O_CREAT | O_EXCL, 0600, 0);
        if (s == SEM_FAILED) die("sem_open");
    } else {
        struct mq_attr a = { .mq_maxmsg = 1, .mq_msgsize = 8 };
        MQ(mq_unlink)(argv[2]);
        q = MQ(mq_open)(argv[2], O_RDWR | O_CREAT | O_EXCL, 0600, &a);
        if (q == (mqd_t)-1) die("mq_open");
    }
    int ready[2];
    if (pipe(ready) < 0) die("pipe");
    pid_t pids[N];
    for (int i = 0; i < N; i++) {
        pid_t pid = fork();
        if (pid < 0) die("fork");
        if (pid == 0) {
            become(&WAITERS[i]);
            char buf[8];
            /* a first call that does not wait, so that anything the library opens lazily is open
             * before the handshake and the next sleep is the wait itself */
            if (sem) {
                if (S(trywait)(s) == 0 || errno != EAGAIN) _exit(3);
            } else {
                struct timespec past = { 0, 0 };
                if (MQ(mq_timedreceive)(q, buf, sizeof buf, NULL, &past) >= 0) _exit(3);
            }
            if (write(ready[1], "r", 1) != 1) _exit(4);
            if (sem) _exit(S(wait)(s) == 0 ? 0 : 5);
            _exit(MQ(mq_receive)(q, buf, sizeof buf, NULL) >= 0 ? 0 : 5);
        }
        pids[i] = pid;
        char c;
        if (read(ready[0], &c, 1) != 1) die("read");
        wait_sleeping(pid, sem, argv[2], i + 1);
    }
    if (argc > 3 && strcmp(argv[3], "change") == 0) {
        struct sched_param sp = { .sched_priority = 40 };
        if (sched_setscheduler(pids[1], SCHED_FIFO, &sp) < 0) die("sched_setscheduler fifo10");
        if (setpriority(PRIO_PROCESS, pids[7], -10) < 0) die("setpriority other5");
        printf("changed, ");
    }
    printf("%s woke:", argv[1]);
    for (int i = 0; i < N; i++) {
        if (sem ? S(post)(s) : MQ(mq_send)(q, "m", 1, 0)) die("post");
        int st;
        pid_t pid = waitpid(-1, &st, 0);
        if (pid < 0) die("waitpid");
        for (int j = 0; j < N; j++)
            if (pids[j] == pid) printf(" %s%s", WAITERS[j].name, WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "" : "(failed)");
    }
    printf("\n");
    if (unnamed) S(destroy)(s);
    else if (sem) S(unlink)(argv[2]);
    else MQ(mq_unlink)(argv[2]);
    return 0;
}
