/* POSIX shared memory from C with plain open/ftruncate/mmap (shm_open is open of a file in
 * shared-memory/named/): a forked child stores into the MAP_SHARED mapping it inherited, the
 * parent sees the store at once, without msync, and read(2) sees it too.
 * Build: cc -o shm-posix shm-posix.c    Usage: ./shm-posix [MOUNT]   (default /mnt/ipc) */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    char path[4096], buf[32] = "";
    snprintf(path, sizeof path, "%s/shared-memory/named/counter-%d", argc > 1 ? argv[1] : "/mnt/ipc", (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);      /* shm_open(O_CREAT | O_EXCL) */
    if (fd < 0 || ftruncate(fd, 4096) < 0) { perror(path); return 1; }   /* 4096 zero bytes */
    char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) { perror("mmap"); return 1; }

    pid_t child = fork();
    if (child == 0) {
        strcpy(p, "written by the child");
        _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
    printf("parent's mapping: %s\n", p);
    if (pread(fd, buf, sizeof buf - 1, 0) < 0) { perror("pread"); return 1; }
    printf("read(2): %s\n", buf);
    munmap(p, 4096);
    close(fd);
    return unlink(path) < 0 || status != 0;                    /* shm_unlink */
}
