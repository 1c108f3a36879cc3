/*
 * Jobserver token round trips: read one byte (take a token), write it back (return it), as a make
 * does around each job, single-threaded, on the same side of the comparison each run:
 *   jobserver_rt pipe COUNT FIRSTS       a pipe holding one token ('+'), GNU make's own jobserver
 *   jobserver_rt file PATH COUNT FIRSTS  an ipcfs pool file, opened O_RDONLY and O_WRONLY (make's
 *                                        fds 3 and 4 of --jobserver-auth=3,4)
 * Prints "p50_ns p90_ns first_p50_ns": p50 and p90 of COUNT round trips in this process (after a
 * warm-up of a tenth), and the p50 of the FIRSTS first round trips of fresh processes (each a
 * forked child that inherits the descriptors and does one take + return, as a sub-make or a recipe
 * does; the fork is not timed).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"

static int rfd = -1, wfd = -1;

static int round_trip(void) {
  char b;
  if (read(rfd, &b, 1) != 1) { perror("take"); return -1; }
  if (write(wfd, &b, 1) != 1) { perror("return"); return -1; }
  return 0;
}

int main(int argc, char **argv) {
  int pipe_side = argc == 4 && strcmp(argv[1], "pipe") == 0;
  if (!pipe_side && !(argc == 5 && strcmp(argv[1], "file") == 0)) {
    fprintf(stderr, "usage: %s pipe COUNT FIRSTS | %s file PATH COUNT FIRSTS\n", argv[0], argv[0]);
    return 2;
  }
  long n = atol(argv[pipe_side ? 2 : 3]), firsts = atol(argv[pipe_side ? 3 : 4]);
  if (n < 1 || firsts < 1) { fprintf(stderr, "COUNT and FIRSTS: at least 1\n"); return 2; }
  if (pipe_side) {
    int p[2];
    if (pipe(p) != 0 || write(p[1], "+", 1) != 1) { perror("pipe"); return 1; }
    rfd = p[0];
    wfd = p[1];
  } else {
    rfd = open(argv[2], O_RDONLY);
    wfd = open(argv[2], O_WRONLY);
    if (rfd < 0 || wfd < 0) { perror(argv[2]); return 1; }
  }
  uint64_t *t = malloc(sizeof *t * (size_t)n);
  for (long i = -n / 10 - 100; i < n; i++) { /* the first tenth warms up */
    uint64_t t0 = now_ns();
    if (round_trip() != 0) return 1;
    if (i >= 0) t[i] = now_ns() - t0;
  }
  uint64_t *first = mmap(NULL, sizeof *first * (size_t)firsts, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (first == MAP_FAILED) { perror("mmap"); return 1; }
  for (long i = 0; i < firsts; i++) {
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return 1; }
    if (pid == 0) {
      uint64_t t0 = now_ns();
      if (round_trip() != 0) _exit(1);
      first[i] = now_ns() - t0;
      _exit(0);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) { fprintf(stderr, "child failed\n"); return 1; }
  }
  qsort(t, (size_t)n, sizeof *t, cmp_u64);
  qsort(first, (size_t)firsts, sizeof *first, cmp_u64);
  printf("%llu %llu %llu\n", (unsigned long long)t[n / 2], (unsigned long long)t[n * 9 / 10], (unsigned long long)first[firsts / 2]);
  return 0;
}
