/* An unmodified program (glibc names; the interposer's under LD_PRELOAD): threads blocked in
 * mq_receive and msgrcv are cancelled (pthread_cancel), many times; then the queues still work,
 * and the process holds no more descriptors than after the first rounds. Prints what it sees. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <unistd.h>

static mqd_t q;
static int msqid;

static void *mq_receiver(void *arg) {
    char b[16];
    mq_receive(q, b, sizeof b, NULL);
    return arg;
}
static void *msg_receiver(void *arg) {
    struct { long type; char text[16]; } m;
    msgrcv(msqid, &m, sizeof m.text, 0, 0);
    return arg;
}

static int open_fds(void) {
    int n = 0;
    for (int fd = 0; fd < 4096; fd++) n += fcntl(fd, F_GETFD) >= 0;
    return n;
}

/* Gives the thread time to block in the call: a cancel before that ends it at the call, which is
 * as good (both paths must hold nothing afterwards). */
static void wait_blocked(pthread_t t) {
    (void)t;
    usleep(30000);
}

static void rounds(int n) {
    for (int i = 0; i < n; i++) {
        pthread_t a, b;
        pthread_create(&a, NULL, mq_receiver, NULL);
        pthread_create(&b, NULL, msg_receiver, NULL);
        wait_blocked(a);
        pthread_cancel(a);
        pthread_cancel(b);
        void *ra, *rb;
        pthread_join(a, &ra);
        pthread_join(b, &rb);
        if (ra != PTHREAD_CANCELED || rb != PTHREAD_CANCELED) printf("not cancelled\n");
    }
}

int main(void) {
    char name[64];
    snprintf(name, sizeof name, "/hostile-cancel-%d", (int)getpid());
    struct mq_attr attr = { .mq_maxmsg = 2, .mq_msgsize = 16 };
    q = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
    msqid = msgget(IPC_PRIVATE, 0600);
    if (q < 0 || msqid < 0) return perror("open"), 1;
    rounds(2);
    int before = open_fds();
    rounds(20);
    int after = open_fds();
    printf("descriptors: %s\n", after > before ? "grew" : "same");
    char b[16];
    struct { long type; char text[16]; } m = { 1, "hi" };
    printf("mq_send: %s\n", mq_send(q, "x", 1, 0) < 0 ? strerrorname_np(errno) : "ok");
    printf("mq_receive: %zd\n", mq_receive(q, b, sizeof b, NULL));
    printf("msgsnd: %s\n", msgsnd(msqid, &m, 2, 0) < 0 ? strerrorname_np(errno) : "ok");
    printf("msgrcv: %zd\n", msgrcv(msqid, &m, sizeof m.text, 0, 0));
    mq_unlink(name);
    msgctl(msqid, IPC_RMID, NULL);
    return 0;
}
