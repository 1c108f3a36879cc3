/*
 * Wake-up latency: a child blocks in `wait` on a semaphore file; the parent posts; the time from
 * just before the post to the child's return from its write. Usage: wake_client FILE COUNT.
 * Prints "median_ns p90_ns".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  long n = atol(argv[2]);
  volatile uint64_t *woke = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  uint64_t *t = malloc(sizeof *t * (size_t)n);
  for (long i = 0; i < n; i++) {
    *woke = 0;
    pid_t pid = fork();
    if (pid == 0) {
      int fd = open(argv[1], O_WRONLY);
      if (write(fd, "wait", 4) != 4) _exit(1);
      *woke = now_ns();
      _exit(0);
    }
    usleep(2000); /* let the child block */
    int fd = open(argv[1], O_WRONLY);
    uint64_t t0 = now_ns();
    if (write(fd, "post", 4) != 4) { perror("post"); return 1; }
    int st;
    waitpid(pid, &st, 0);
    close(fd);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || !*woke) { fprintf(stderr, "waiter failed\n"); return 1; }
    t[i] = *woke - t0;
  }
  qsort(t, (size_t)n, sizeof *t, cmp_u64);
  printf("%llu %llu\n", (unsigned long long)t[n / 2], (unsigned long long)t[n * 9 / 10]);
  return 0;
}
