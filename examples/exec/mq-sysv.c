/* Run unchanged through `ipcfs exec`: one System V message queue carrying two streams, told
 * apart by message type. The producer queues everything first; then a consumer of type 2 takes
 * its messages from behind the type-1 ones (msgrcv's msgtyp), and a consumer of type 1 takes the
 * rest. "stop" ends a consumer.
 * Build: cc -o mq-sysv mq-sysv.c
 * Usage: ipcfs exec [--mount MOUNT] -- ./mq-sysv */
#include <stdio.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <unistd.h>

struct msg { long type; char text[32]; };

static int consume(int id, long type) {
    pid_t pid = fork();
    if (pid == 0) {
        struct msg m;
        ssize_t n;
        while ((n = msgrcv(id, &m, sizeof m.text, type, 0)) >= 0 && strcmp(m.text, "stop") != 0)
            printf("consumer of type %ld: %s\n", type, m.text);
        fflush(stdout);                                  /* _exit does not flush stdio */
        _exit(n < 0);
    }
    int status;
    return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(void) {
    int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);     /* a queue no other program can find */
    if (id < 0) { perror("msgget"); return 1; }
    struct msg m[] = { { 1, "image 1" }, { 2, "email 1" }, { 1, "image 2" }, { 2, "stop" }, { 1, "stop" } };
    for (int i = 0; i < 5; i++)
        if (msgsnd(id, &m[i], strlen(m[i].text) + 1, 0) < 0) { perror("msgsnd"); return 1; }
    int ok = consume(id, 2) && consume(id, 1);
    struct msqid_ds ds;
    msgctl(id, IPC_STAT, &ds);
    printf("producer: both consumers done, %lu messages left\n", (unsigned long)ds.msg_qnum);
    return !ok || msgctl(id, IPC_RMID, NULL) < 0;
}
