/* System V shared memory from C with plain open/read/write/mmap: shmget(KEY, 65536, IPC_CREAT |
 * IPC_EXCL) through .new; shmat is open + mmap(MAP_SHARED), and the descriptor stays open while
 * attached (nattch counts open files); a forked child stores into the segment, the parent sees it
 * at once. A segment's size is fixed (ftruncate is EPERM). shmdt is munmap + close; IPC_RMID is
 * unlink.
 * Build: cc -o shm-sysv shm-sysv.c    Usage: ./shm-sysv [MOUNT]   (default /mnt/ipc) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    const char *mount = argc > 1 ? argv[1] : "/mnt/ipc";
    char path[4096], cmd[64], id[32] = "";
    snprintf(path, sizeof path, "%s/shared-memory/sysv/.new", mount);
    int len = snprintf(cmd, sizeof cmd, "shmget 0x%08x 65536 creat excl mode=0600\n", (unsigned)getpid());
    int ctl = open(path, O_RDWR);
    if (ctl < 0 || write(ctl, cmd, len) < 0 || read(ctl, id, sizeof id - 1) <= 0) { perror("shmget"); return 1; }
    close(ctl);
    id[strcspn(id, "\n")] = 0;

    snprintf(path, sizeof path, "%s/shared-memory/sysv/%s", mount, id);
    int fd = open(path, O_RDWR);                               /* shmat: open + mmap */
    char *p = fd < 0 ? MAP_FAILED : mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) { perror(path); return 1; }
    if (ftruncate(fd, 131072) < 0 && errno == EPERM) printf("ftruncate: EPERM, the size is fixed\n");

    pid_t child = fork();
    if (child == 0) {
        strcpy(p, "hello from the child");
        _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
    printf("shmid %s: %s\n", id, p);
    munmap(p, 65536);                                          /* shmdt */
    close(fd);
    return unlink(path) < 0 || status != 0;                    /* shmctl(IPC_RMID) */
}
