/*
 * Times single small writes on one open file, from its own process: the FUSE round trip as a
 * client sees it. Usage: write_client FILE COUNT [PAYLOAD [PAYLOAD2]]: with two payloads the writes
 * alternate and each pair is timed as one (post + trywait). Prints "median_ns p90_ns".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s FILE COUNT [PAYLOAD]\n", argv[0]);
    return 2;
  }
  const char *payload = argc > 3 ? argv[3] : "ping";
  const char *payload2 = argc > 4 ? argv[4] : NULL;
  size_t len = strlen(payload), len2 = payload2 ? strlen(payload2) : 0;
  long n = atol(argv[2]);
  int fd = open(argv[1], O_WRONLY);
  if (fd < 0) {
    perror(argv[1]);
    return 1;
  }
  uint64_t *t = malloc(sizeof *t * (size_t)n);
  for (long i = 0; i < n / 10 + 100; i++) { /* warm up */
    if (write(fd, payload, len) != (ssize_t)len) { perror("write"); return 1; }
    if (payload2 && write(fd, payload2, len2) != (ssize_t)len2) { perror("write"); return 1; }
  }
  for (long i = 0; i < n; i++) {
    uint64_t t0 = now_ns();
    if (write(fd, payload, len) != (ssize_t)len) { perror("write"); return 1; }
    if (payload2 && write(fd, payload2, len2) != (ssize_t)len2) { perror("write"); return 1; }
    t[i] = now_ns() - t0;
  }
  qsort(t, (size_t)n, sizeof *t, cmp_u64);
  printf("%llu %llu\n", (unsigned long long)t[n / 2], (unsigned long long)t[n * 9 / 10]);
  close(fd);
  return 0;
}
