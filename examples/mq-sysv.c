/* System V message queue from C with plain open/write/read: msgget(IPC_PRIVATE) through .new;
 * a forked child receives type 2 (msgrcv sleeps until one comes) while the parent sends type 1,
 * then type 2: the child gets the type-2 message, the type-1 one stays queued for the parent.
 * IPC_RMID is unlink.
 * Build: cc -o mq-sysv mq-sysv.c    Usage: ./mq-sysv [MOUNT]   (default /mnt/ipc) */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what) { perror(what); exit(1); }

/* msgrcv: write the command, read the answer "type=T size=N", a newline and the text */
static void receive(int fd, const char *cmd, const char *who) {
    char buf[256];
    ssize_t n = write(fd, cmd, strlen(cmd)) < 0 ? -1 : read(fd, buf, sizeof buf);
    if (n < 0) die(cmd);
    char *text = memchr(buf, '\n', n);
    if (!text) exit(1);
    printf("%s got %.*s: %.*s\n", who, (int)(text - buf), buf, (int)(buf + n - text - 1), text + 1);
}

int main(int argc, char **argv) {
    char dir[4096], path[4200], id[32] = "";
    snprintf(dir, sizeof dir, "%s/mqueue/sysv", argc > 1 ? argv[1] : "/mnt/ipc");
    snprintf(path, sizeof path, "%s/.new", dir);
    int ctl = open(path, O_RDWR);                               /* msgget(IPC_PRIVATE, 0600) */
    if (ctl < 0 || write(ctl, "msgget private mode=0600", 24) < 0 || read(ctl, id, sizeof id - 1) <= 0) die("msgget");
    close(ctl);
    id[strcspn(id, "\n")] = 0;
    snprintf(path, sizeof path, "%s/%s", dir, id);

    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        int fd = open(path, O_RDWR);                            /* O_RDWR: the answer is read */
        if (fd < 0) die(path);
        receive(fd, "receive 2", "child");
        exit(0);                                                /* flushes stdout */
    }
    int fd = open(path, O_RDWR);
    if (fd < 0 || write(fd, "send 1\nfor anyone", 17) < 0 || write(fd, "send 2\nfor the child", 20) < 0) die("send");
    int status;
    waitpid(child, &status, 0);
    receive(fd, "receive nowait", "parent");                    /* msgtyp 0: the first queued */
    close(fd);
    return unlink(path) < 0 || status != 0;                     /* msgctl(IPC_RMID) */
}
