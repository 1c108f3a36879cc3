/* libipcfs: a producer and a consumer over a POSIX message queue with priorities. The producer
 * queues three routine jobs, then an urgent one; the consumer, started after, gets the urgent job
 * first (higher priority first, FIFO within a priority), then the others in order.
 * Build (in the package): cc -o mq-priority examples/libipcfs/mq-priority.c -I tools/libipcfs -L tools/libipcfs/build -lipcfs
 * Usage: LD_LIBRARY_PATH=tools/libipcfs/build ./mq-priority [MOUNT]   (default $IPCFS_MOUNT, else /mnt/ipc) */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ipcfs.h"

int main(int argc, char **argv) {
    if (argc > 1) ipcfs_set_mount(argv[1]);
    char name[64];
    snprintf(name, sizeof name, "/example-prio-%d", (int)getpid());
    struct mq_attr attr = { .mq_maxmsg = 8, .mq_msgsize = 64 };
    mqd_t q = ipcfs_mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
    if (q == (mqd_t)-1) { perror("ipcfs_mq_open"); return 1; }

    const char *routine[] = { "backup /home", "rotate logs", "vacuum db" };
    for (int i = 0; i < 3; i++) ipcfs_mq_send(q, routine[i], strlen(routine[i]), 1);
    if (ipcfs_mq_send(q, "disk full!", 10, 9) < 0) { perror("ipcfs_mq_send"); return 1; }
    ipcfs_mq_getattr(q, &attr);
    printf("producer: %ld jobs queued\n", attr.mq_curmsgs);
    fflush(stdout);                                      /* before fork: the child must not print it again */

    pid_t consumer = fork();
    if (consumer == 0) {
        char job[64];                                    /* at least the queue's msgsize */
        unsigned prio;
        ssize_t n;
        struct mq_attr now;
        do {
            if ((n = ipcfs_mq_receive(q, job, sizeof job, &prio)) < 0) _exit(1);
            printf("consumer: prio %u: %.*s\n", prio, (int)n, job);
        } while (ipcfs_mq_getattr(q, &now) == 0 && now.mq_curmsgs > 0);
        fflush(stdout);                                  /* _exit does not flush stdio */
        _exit(0);
    }
    int status;
    waitpid(consumer, &status, 0);
    ipcfs_mq_close(q);
    return status != 0 || ipcfs_mq_unlink(name) < 0;
}
