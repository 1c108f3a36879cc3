/* POSIX message queue from C with plain open/write/read: create a queue through .new, send one
 * message, receive it with undo on one descriptor and close that descriptor without "ack" (as a
 * worker that crashes would): the message goes back to the queue, and a second robust receive
 * gets it again and acknowledges it.
 * Build: cc -o mq-posix mq-posix.c    Usage: ./mq-posix [MOUNT]   (default /mnt/ipc) */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void die(const char *what) { perror(what); exit(1); }

/* "receive undo", then read the answer: "prio=P size=N id=ID\n" and the N bytes */
static int receive_undo(int fd, char *msg, size_t cap) {
    char buf[4096];
    if (write(fd, "receive undo", 12) < 0) die("receive");
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n < 0) die("read answer");
    buf[n] = 0;
    int prio, size, id, head;
    if (sscanf(buf, "prio=%d size=%d id=%d\n%n", &prio, &size, &id, &head) != 3) exit(1);
    snprintf(msg, cap, "%.*s", size, buf + head);
    return id;
}

int main(int argc, char **argv) {
    char dir[4096], path[4200], cmd[4300], msg[64];
    snprintf(dir, sizeof dir, "%s/mqueue/named", argc > 1 ? argv[1] : "/mnt/ipc");
    snprintf(path, sizeof path, "%s/work-%d", dir, (int)getpid());
    snprintf(cmd, sizeof cmd, "%s/.new", dir);
    int ctl = open(cmd, O_RDWR);
    int len = snprintf(cmd, sizeof cmd, "create %s maxmsg=4 msgsize=256 excl\n", strrchr(path, '/') + 1);
    if (ctl < 0 || write(ctl, cmd, len) < 0) die("create");
    close(ctl);

    int fd = open(path, O_RDWR);
    const char send[] = "send prio=3\nresize photo.jpg";       /* one write: command + message */
    if (fd < 0 || write(fd, send, sizeof send - 1) < 0) die("send");
    int id = receive_undo(fd, msg, sizeof msg);
    printf("worker 1 got id=%d \"%s\" and died without ack\n", id, msg);
    close(fd);                                                  /* released: the message goes back */

    fd = open(path, O_RDWR);
    if (fd < 0) die(path);
    id = receive_undo(fd, msg, sizeof msg);
    len = snprintf(cmd, sizeof cmd, "ack %d", id);
    if (write(fd, cmd, len) < 0) die("ack");                    /* done for good */
    printf("worker 2 got id=%d \"%s\" and acked it\n", id, msg);
    close(fd);
    return unlink(path) < 0;                                    /* mq_unlink */
}
