/*
 * Wake-up latency: a child blocks in a wait; the parent posts; the time from just before the post
 * to the child's return from its wait. The same program for every side of the comparison:
 *   wake_client file FILE COUNT   the child writes "wait" to FILE, the parent writes "post"
 *                                 (ipcfs semaphore files and the C reference's /sem alike);
 *   wake_client sysv COUNT        a kernel System V semaphore (semop -1 / +1), for context.
 * Each side opens FILE itself, before the timed part. The parent posts once the child is asleep
 * (it flags that it is about to wait; then /proc/CHILD/stat says S). Prints "p50_ns p90_ns";
 * with WAKE_POST set, also the p50 of the post's own return on stderr (where the time goes).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

struct shared {
  volatile int about_to_wait;
  volatile uint64_t woke;
};

static int asleep(pid_t pid) {
  char path[64], buf[256];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  return p && p[1] == ' ' && (p[2] == 'S' || p[2] == 'D');
}

static int wait_op(int semid, const char *file) {
  if (!file) {
    struct sembuf op = {0, -1, 0};
    return semop(semid, &op, 1);
  }
  int fd = open(file, O_WRONLY);
  return fd < 0 || write(fd, "wait", 4) != 4 ? -1 : 0;
}

int main(int argc, char **argv) {
  int sysv = argc == 3 && strcmp(argv[1], "sysv") == 0;
  if (!sysv && !(argc == 4 && strcmp(argv[1], "file") == 0)) {
    fprintf(stderr, "usage: %s file FILE COUNT | %s sysv COUNT\n", argv[0], argv[0]);
    return 2;
  }
  const char *file = sysv ? NULL : argv[2];
  long n = atol(argv[sysv ? 2 : 3]);
  int semid = -1;
  if (sysv && (semid = semget(IPC_PRIVATE, 1, 0600)) < 0) { perror("semget"); return 1; }
  struct shared *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  uint64_t *t = malloc(sizeof *t * (size_t)n), *tp = calloc((size_t)n, sizeof *tp);
  int rc = 0;
  for (long i = 0; i < n && rc == 0; i++) {
    sh->about_to_wait = 0;
    sh->woke = 0;
    pid_t pid = fork();
    if (pid == 0) {
      if (file) {
        /* open first, so only the wait itself is left when the flag goes up */
        int fd = open(file, O_WRONLY);
        if (fd < 0) _exit(1);
        sh->about_to_wait = 1;
        if (write(fd, "wait", 4) != 4) _exit(1);
      } else {
        sh->about_to_wait = 1;
        if (wait_op(semid, NULL) != 0) _exit(1);
      }
      sh->woke = now_ns();
      _exit(0);
    }
    int fd = file ? open(file, O_WRONLY) : -1;
    if (file && fd < 0) { perror(file); rc = 1; }
    while (rc == 0 && !sh->about_to_wait) usleep(50);
    while (rc == 0 && !asleep(pid)) usleep(50);
    usleep(200); /* past the last instructions before the sleep */
    uint64_t t0 = now_ns();
    if (rc == 0) {
      if (file) {
        if (write(fd, "post", 4) != 4) { perror("post"); rc = 1; }
        if (getenv("WAKE_POST")) tp[i] = now_ns() - t0;
      } else {
        struct sembuf op = {0, 1, 0};
        if (semop(semid, &op, 1) != 0) { perror("semop"); rc = 1; }
      }
    }
    int st;
    if (rc) kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    if (fd >= 0) close(fd);
    if (rc == 0 && (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || !sh->woke)) { fprintf(stderr, "waiter failed\n"); rc = 1; }
    t[i] = sh->woke - t0;
  }
  if (semid >= 0) semctl(semid, 0, IPC_RMID);
  if (rc) return rc;
  qsort(t, (size_t)n, sizeof *t, cmp_u64);
  qsort(tp, (size_t)n, sizeof *t, cmp_u64);
  if (getenv("WAKE_POST")) fprintf(stderr, "post returned: p50 %llu\n", (unsigned long long)tp[n / 2]);
  printf("%llu %llu\n", (unsigned long long)t[n / 2], (unsigned long long)t[n * 9 / 10]);
  return 0;
}
