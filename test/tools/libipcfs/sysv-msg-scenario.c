/* System V message queue scenarios, printed line by line, for sysv-msg-scenario.test.ts: built once
 * against glibc (run on the kernel in a private IPC namespace) and once against libipcfs (where
 * ipcfs.h is on the include path; run on a fresh mount), the two outputs compared.
 * Usage: sysv-msg-scenario basic | concurrent */
#define _GNU_SOURCE
#if __has_include("ipcfs.h")
#include "ipcfs.h"
#define IPC(f) ipcfs_##f
#else
#define IPC(f) f
#endif
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/time.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct msg { long mtype; char mtext[64]; };

#include "errno-name.h"
#include "receive-tally.h"
static long show(const char *what, long r) {
    if (r < 0) printf("%s: -1 %s\n", what, en(errno));
    else printf("%s: %ld\n", what, r);
    fflush(stdout);
    return r;
}
static int snd(int id, long type, const char *text, size_t n, int flg) {
    struct msg m = { .mtype = type };
    memcpy(m.mtext, text, n);
    return IPC(msgsnd)(id, &m, n, flg);
}
static void rcv(const char *what, int id, size_t size, long type, int flg) {
    struct msg m = { .mtype = -7 };
    ssize_t n = IPC(msgrcv)(id, &m, size, type, flg);
    if (n < 0) { show(what, -1); return; }
    printf("%s: %zd type=%ld text=", what, n, m.mtype);
    for (ssize_t i = 0; i < n; i++) printf("%02x", (unsigned char)m.mtext[i]);
    printf("\n");
}
static void stat_line(const char *what, int id, pid_t me) {
    struct msqid_ds ds;
    if (IPC(msgctl)(id, IPC_STAT, &ds) < 0) { show(what, -1); return; }
    time_t now = time(NULL);
    printf("%s: key=%x uid=%u gid=%u cuid=%u cgid=%u mode=%o cbytes=%lu qnum=%lu qbytes=%lu lspid=%s lrpid=%s stime=%s rtime=%s ctime=%s\n",
           what, (unsigned)ds.msg_perm.__key, (unsigned)ds.msg_perm.uid, (unsigned)ds.msg_perm.gid, (unsigned)ds.msg_perm.cuid,
           (unsigned)ds.msg_perm.cgid, (unsigned)ds.msg_perm.mode, (unsigned long)ds.__msg_cbytes, (unsigned long)ds.msg_qnum,
           (unsigned long)ds.msg_qbytes, ds.msg_lspid == me ? "me" : ds.msg_lspid ? "other" : "0",
           ds.msg_lrpid == me ? "me" : ds.msg_lrpid ? "other" : "0", ds.msg_stime == 0 ? "0" : ds.msg_stime > now - 60 && ds.msg_stime <= now ? "now" : "off",
           ds.msg_rtime == 0 ? "0" : ds.msg_rtime > now - 60 && ds.msg_rtime <= now ? "now" : "off",
           ds.msg_ctime > now - 60 && ds.msg_ctime <= now ? "now" : "off");
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
    pid_t me = getpid();
    key_t key = 0x4d51;
    show("msgget absent", IPC(msgget)(key, 0600));
    int id = IPC(msgget)(key, IPC_CREAT | IPC_EXCL | 0640);
    show("msgget create", id >= 0 ? 0 : -1);
    show("msgget excl again", IPC(msgget)(key, IPC_CREAT | IPC_EXCL | 0600));
    show("msgget find (same id)", IPC(msgget)(key, 0) == id ? 0 : -1);
    int priv = IPC(msgget)(IPC_PRIVATE, 0600);
    show("msgget private (new id)", priv >= 0 && priv != id ? 0 : -1);
    stat_line("stat new", id, me);

    /* types: msgtyp 0, N, -N, MSG_EXCEPT; binary and empty texts */
    show("send 3", snd(id, 3, "three", 5, 0));
    show("send 1", snd(id, 1, "o\0n\ne", 5, 0));
    show("send 2", snd(id, 2, "", 0, 0));
    show("send 5", snd(id, 5, "five!", 5, 0));
    show("send 1 again", snd(id, 1, "uno", 3, 0));
    stat_line("stat 5 queued", id, me);
    struct msginfo mi;
    long top = IPC(msgctl)(0, IPC_INFO, (struct msqid_ds *)&mi);
    printf("IPC_INFO: %ld msgmni=%d msgmax=%d msgmnb=%d msgssz=%d msgseg=%d msgpool=%d msgmap=%d msgtql=%d\n", top, mi.msgmni, mi.msgmax,
           mi.msgmnb, mi.msgssz, mi.msgseg, mi.msgpool, mi.msgmap, mi.msgtql);
    top = IPC(msgctl)(0, MSG_INFO, (struct msqid_ds *)&mi);
    printf("MSG_INFO: %ld queues=%d messages=%d bytes=%d\n", top, mi.msgpool, mi.msgmap, mi.msgtql);
    struct msqid_ds byindex;
    show("MSG_STAT by index (the id)", IPC(msgctl)(id % 32768, MSG_STAT, &byindex) == id ? 0 : -1);
    printf("MSG_STAT qnum: %lu\n", (unsigned long)byindex.msg_qnum);
    show("MSG_STAT_ANY by index (the id)", IPC(msgctl)(id % 32768, MSG_STAT_ANY, &byindex) == id ? 0 : -1);
    show("MSG_STAT unused index", IPC(msgctl)(999, MSG_STAT, &byindex));
    rcv("receive type 2", id, 64, 2, IPC_NOWAIT);
    rcv("receive type -4 (lowest <= 4)", id, 64, -4, IPC_NOWAIT);
    rcv("receive except 3", id, 64, 3, IPC_NOWAIT | MSG_EXCEPT);
    rcv("receive 2-byte buffer", id, 2, 0, IPC_NOWAIT);
    rcv("receive 2-byte buffer noerror", id, 2, 0, IPC_NOWAIT | MSG_NOERROR);
    rcv("receive type 9", id, 64, 9, IPC_NOWAIT);
    rcv("receive any", id, 64, 0, IPC_NOWAIT);
    rcv("receive empty nowait", id, 64, 0, IPC_NOWAIT);
    interrupt_in_ms(200);
    rcv("receive interrupted by a signal", id, 64, 0, 0);
    stat_line("stat drained", id, me);

    /* errors */
    show("send type 0", snd(id, 0, "x", 1, 0));
    show("send type -1", snd(id, -1, "x", 1, 0));
    show("send 8193 bytes (MSGMAX)", ({ struct { long t; char b[9000]; } big = { 1, {0} }; IPC(msgsnd)(id, &big, 8193, IPC_NOWAIT); }));
    show("send bad id", snd(123456, 1, "x", 1, 0));
    show("send negative id", snd(-1, 1, "x", 1, 0));
    rcv("receive bad id", 123456, 64, 0, IPC_NOWAIT);
    rcv("receive negative size", id, (size_t)-1, 0, IPC_NOWAIT);
    rcv("receive MSG_COPY without IPC_NOWAIT", id, 64, 0, MSG_COPY);
    struct msqid_ds ds;
    show("stat bad id", IPC(msgctl)(123456, IPC_STAT, &ds));

    /* IPC_SET: qbytes bounds the queue, mode and owner change */
    IPC(msgctl)(id, IPC_STAT, &ds);
    ds.msg_qbytes = 10, ds.msg_perm.mode = 0600;
    show("set qbytes=10 mode=600", IPC(msgctl)(id, IPC_SET, &ds));
    stat_line("stat after set", id, me);
    show("send 8 bytes", snd(id, 4, "12345678", 8, IPC_NOWAIT));
    show("send 3 bytes (full)", snd(id, 4, "abc", 3, IPC_NOWAIT));
    show("send 2 bytes (fits)", snd(id, 4, "ab", 2, IPC_NOWAIT));

    /* a forked child's receive sleeps until its type comes; the parent's receive answers stay its own */
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        rcv("child receive type 7", id, 64, 7, 0);
        _exit(0);
    }
    rcv("parent receive", id, 64, 4, IPC_NOWAIT);
    int sent = snd(id, 7, "seven", 5, 0);
    int status;
    waitpid(child, &status, 0);
    show("send 7", sent); /* after the child's line: one order on both sides */
    show("child status", status);
    rcv("parent receive", id, 64, 0, IPC_NOWAIT);
    rcv("parent receive", id, 64, 0, IPC_NOWAIT);

    /* IPC_RMID wakes a sleeper with EIDRM; the id is gone afterwards */
    fflush(stdout);
    int p[2];
    if (pipe(p) < 0) return;
    child = fork();
    if (child == 0) {
        close(p[0]);
        struct msg m;
        ssize_t n = IPC(msgrcv)(id, &m, 64, 0, 0);
        int e = errno;
        char line[64];
        int len = snprintf(line, sizeof line, "child sleeper: %zd %s\n", n, n < 0 ? en(e) : "");
        if (write(p[1], line, len) < 0) _exit(1);
        _exit(0);
    }
    close(p[1]);
    /* handshake: the sleeper is counted in the queue before it is removed */
    for (int i = 0; i < 500; i++) {
        char path[64], buf[4096];
        snprintf(path, sizeof path, "/proc/%d/wchan", (int)child);
        FILE *f = fopen(path, "r");
        size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        if (f) fclose(f);
        buf[n] = 0;
        if (strstr(buf, "msg") || strstr(buf, "fuse") || strstr(buf, "wait")) break;
        usleep(10000);
    }
    show("rmid", IPC(msgctl)(id, IPC_RMID, NULL));
    char line[64] = "";
    ssize_t n = read(p[0], line, sizeof line - 1);
    if (n > 0) line[n] = 0, fputs(line, stdout);
    waitpid(child, NULL, 0);
    show("send after rmid", snd(id, 1, "x", 1, IPC_NOWAIT));
    rcv("receive after rmid", id, 64, 0, IPC_NOWAIT);
    show("stat after rmid", IPC(msgctl)(id, IPC_STAT, &ds));
    show("rmid again", IPC(msgctl)(id, IPC_RMID, NULL));
    show("msgget removed key", IPC(msgget)(key, 0600));
    IPC(msgctl)(priv, IPC_RMID, NULL);
}

/* Two threads and a forked child receive on one msqid at once: each message once, whole. */
#define PER 60
static int qid;
static int got[3 * PER];
static pthread_mutex_t got_lock = PTHREAD_MUTEX_INITIALIZER;
static int check(struct msg *m, ssize_t n) {
    int id = (int)m->mtype - 1;
    if (n != 50 || id < 0 || id >= 3 * PER) return -1;
    for (int i = 0; i < 50; i++)
        if (m->mtext[i] != (char)(id + i)) return -1;
    return id;
}
static void *thread_receiver(void *arg) {
    (void)arg;
    for (int i = 0; i < PER; i++) {
        struct msg m;
        int id = check(&m, IPC(msgrcv)(qid, &m, 64, 0, 0));
        pthread_mutex_lock(&got_lock);
        if (id < 0) printf("thread: broken message\n");
        else got[id]++;
        pthread_mutex_unlock(&got_lock);
    }
    return NULL;
}
static void concurrent(void) {
    qid = IPC(msgget)(IPC_PRIVATE, 0600);
    int p[2];
    if (qid < 0 || pipe(p) < 0) { show("msgget", -1); return; }
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        close(p[0]);
        for (int i = 0; i < PER; i++) {
            struct msg m;
            int id = check(&m, IPC(msgrcv)(qid, &m, 64, 0, 0));
            if (write(p[1], &id, sizeof id) != sizeof id) _exit(2);
        }
        _exit(0);
    }
    close(p[1]);
    pthread_t t[2];
    for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, thread_receiver, NULL);
    for (int id = 0; id < 3 * PER; id++) {
        struct msg m = { .mtype = id + 1 };
        for (int i = 0; i < 50; i++) m.mtext[i] = (char)(id + i);
        if (IPC(msgsnd)(qid, &m, 50, 0) < 0) show("send", -1);
    }
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    report_once(p[0], child, got, 3 * PER);
    IPC(msgctl)(qid, IPC_RMID, NULL);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *what = argc > 1 ? argv[1] : "";
    if (!strcmp(what, "basic")) basic();
    else if (!strcmp(what, "concurrent")) concurrent();
    else { fprintf(stderr, "usage: %s basic|concurrent\n", argv[0]); return 2; }
    return 0;
}
