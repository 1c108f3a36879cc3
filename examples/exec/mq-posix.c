/* Run unchanged through `ipcfs exec`: a producer and a consumer over a POSIX message queue. The
 * queue holds 2 messages, so the producer blocks until the consumer catches up (flow control
 * for free); an empty message says "no more".
 * Build: cc -o mq-posix mq-posix.c -lrt
 * Usage: ipcfs exec [--mount MOUNT] -- ./mq-posix */
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    char name[64];
    snprintf(name, sizeof name, "/example-jobs-%d", (int)getpid());
    struct mq_attr attr = { .mq_maxmsg = 2, .mq_msgsize = 64 };
    mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
    if (q == (mqd_t)-1) { perror("mq_open"); return 1; }

    pid_t consumer = fork();
    if (consumer == 0) {
        char job[64];                                    /* mq_receive wants the queue's msgsize */
        ssize_t n;
        while ((n = mq_receive(q, job, sizeof job, NULL)) > 0) printf("consumer: %.*s\n", (int)n, job);
        fflush(stdout);                                  /* _exit does not flush stdio */
        _exit(n < 0);
    }
    const char *jobs[] = { "compile a.c", "compile b.c", "compile c.c", "link app" };
    for (int i = 0; i < 4; i++)
        if (mq_send(q, jobs[i], strlen(jobs[i]), 0) < 0) { perror("mq_send"); return 1; }
    if (mq_send(q, "", 0, 0) < 0) return 1;               /* the end */
    int status;
    waitpid(consumer, &status, 0);
    printf("producer: sent 4 jobs, the consumer exited %d\n", WEXITSTATUS(status));
    mq_close(q);
    return mq_unlink(name) < 0;
}
