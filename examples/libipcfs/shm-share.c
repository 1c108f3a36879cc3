/* libipcfs: two processes sharing memory by name, as unrelated programs would: the writer opens
 * the POSIX shared memory object and a named semaphore by their names, writes, and posts; the
 * reader, blocked on the semaphore, then reads the bytes through its own mapping.
 * Build (in the package): cc -o shm-share examples/libipcfs/shm-share.c -I tools/libipcfs -L tools/libipcfs/build -lipcfs
 * Usage: LD_LIBRARY_PATH=tools/libipcfs/build ./shm-share [MOUNT]   (default $IPCFS_MOUNT, else /mnt/ipc) */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ipcfs.h"

enum { SIZE = 4096 };

static void writer(const char *shm_name, const char *sem_name) {
    int fd = ipcfs_shm_open(shm_name, O_RDWR, 0);        /* by name: nothing inherited */
    sem_t *written = ipcfs_sem_open(sem_name, 0);
    char *p = fd < 0 ? MAP_FAILED : mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED || written == SEM_FAILED) _exit(1);
    snprintf(p, SIZE, "hello from pid %d", (int)getpid());
    _exit(ipcfs_sem_post(written) < 0);                  /* the stores are visible before the post */
}

int main(int argc, char **argv) {
    if (argc > 1) ipcfs_set_mount(argv[1]);
    char shm_name[64], sem_name[64];
    snprintf(shm_name, sizeof shm_name, "/example-shm-%d", (int)getpid());
    snprintf(sem_name, sizeof sem_name, "/example-written-%d", (int)getpid());
    int fd = ipcfs_shm_open(shm_name, O_CREAT | O_EXCL | O_RDWR, 0600);
    sem_t *written = ipcfs_sem_open(sem_name, O_CREAT | O_EXCL, 0600, 0);
    if (fd < 0 || ftruncate(fd, SIZE) < 0 || written == SEM_FAILED) { perror("create"); return 1; }
    char *p = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) { perror("mmap"); return 1; }

    pid_t child = fork();
    if (child == 0) writer(shm_name, sem_name);
    if (ipcfs_sem_wait(written) < 0) { perror("ipcfs_sem_wait"); return 1; }
    printf("reader sees: %s\n", p);
    waitpid(child, NULL, 0);
    munmap(p, SIZE);
    ipcfs_sem_close(written);
    return ipcfs_sem_unlink(sem_name) < 0 || ipcfs_shm_unlink(shm_name) < 0;
}
