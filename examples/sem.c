/* POSIX named semaphore from C with plain open/write: sem_*_robust as one write each. A forked
 * child takes the only token with undo and is SIGKILLed holding it; the kernel releases its
 * descriptor, the token comes back, and the parent's wait gets it.
 * Build: cc -o sem sem.c    Usage: ./sem [MOUNT]   (default /mnt/ipc) */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *mount = "/mnt/ipc";

int sem_open_robust(const char *name) {                  /* "/lock-42" */
    char path[4096];
    snprintf(path, sizeof path, "%s/semaphores/named%s", mount, name);
    return open(path, O_RDWR | O_CLOEXEC);
}
int sem_wait_robust(int fd)    { return write(fd, "wait undo", 9) < 0 ? -1 : 0; }
int sem_trywait_robust(int fd) { return write(fd, "trywait undo", 12) < 0 ? -1 : 0; }
int sem_post_robust(int fd)    { return write(fd, "post undo", 9) < 0 ? -1 : 0; }
/* errno is EAGAIN, ETIMEDOUT, EINTR, EIDRM ... as for the POSIX calls */

int main(int argc, char **argv) {
    char name[64], path[4096], cmd[128];
    if (argc > 1) mount = argv[1];
    snprintf(name, sizeof name, "/lock-%d", (int)getpid());
    snprintf(path, sizeof path, "%s/semaphores/named/.new", mount);
    int ctl = open(path, O_RDWR), len = snprintf(cmd, sizeof cmd, "create %s value=1 excl", name + 1);
    if (ctl < 0 || write(ctl, cmd, len) < 0) { perror("create"); return 1; }
    close(ctl);

    int ready[2];
    if (pipe(ready) < 0) return 1;
    pid_t child = fork();
    if (child == 0) {
        int fd = sem_open_robust(name);
        if (fd < 0 || sem_wait_robust(fd) < 0) _exit(1);
        if (write(ready[1], "", 1) != 1) _exit(1);       /* holding the token */
        pause();                                         /* ... until SIGKILLed */
    }
    char c;
    if (read(ready[0], &c, 1) != 1) return 1;
    int fd = sem_open_robust(name);
    if (fd < 0) { perror(name); return 1; }
    if (sem_trywait_robust(fd) < 0 && errno == EAGAIN) printf("the child holds the token\n");
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    if (sem_wait_robust(fd) < 0) { perror("wait"); return 1; } /* the child's token came back */
    printf("the child was killed; its token came back to the parent\n");
    sem_post_robust(fd);
    close(fd);
    snprintf(path, sizeof path, "%s/semaphores/named%s", mount, name);
    return unlink(path) < 0;                             /* sem_unlink */
}
