/*
 * Shared-memory throughput of one file, as a client sees it. Usage: shm_client FILE MIB PASSES.
 * The file is created if needed and sized to MIB MiB; then, each pass over the whole file in
 * 1 MiB blocks (the first pass of each kind warms up and is not counted):
 *   pwrite  write(2) of 1 MiB blocks at their offsets
 *   pread   read(2) of 1 MiB blocks
 *   store   memcpy of 1 MiB from a private buffer into a MAP_SHARED mapping of the file
 *   load    memcpy of 1 MiB out of the mapping
 * Prints four numbers, the median nanoseconds per MiB of each: "pwrite pread store load".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench_util.h"

#define MIB (1024 * 1024)

static uint64_t median_of(uint64_t *xs, long n) {
  qsort(xs, (size_t)n, sizeof *xs, cmp_u64);
  return xs[n / 2];
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s FILE MIB PASSES\n", argv[0]);
    return 2;
  }
  long mib = atol(argv[2]), passes = atol(argv[3]);
  if (mib < 1 || passes < 1) return 2;
  int fd = open(argv[1], O_RDWR | O_CREAT, 0600);
  if (fd < 0 || ftruncate(fd, (off_t)mib * MIB) < 0) {
    perror(argv[1]);
    return 1;
  }
  char *buf = aligned_alloc(4096, MIB);
  memset(buf, 0x5a, MIB);
  uint64_t *t = calloc((size_t)(mib * passes), sizeof *t);
  uint64_t out[4];
  /* write(2) and read(2) */
  for (int kind = 0; kind < 2; kind++) {
    long k = 0;
    for (long p = -1; p < passes; p++) {
      for (long i = 0; i < mib; i++) {
        uint64_t t0 = now_ns();
        ssize_t n = kind == 0 ? pwrite(fd, buf, MIB, (off_t)i * MIB) : pread(fd, buf, MIB, (off_t)i * MIB);
        uint64_t dt = now_ns() - t0;
        if (n != MIB) {
          fprintf(stderr, "%s: %s returned %zd\n", argv[1], kind == 0 ? "pwrite" : "pread", n);
          return 1;
        }
        if (p >= 0) t[k++] = dt;
      }
    }
    out[kind] = median_of(t, k);
  }
  /* memcpy through a MAP_SHARED mapping */
  char *map = mmap(NULL, (size_t)mib * MIB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  for (int kind = 0; kind < 2; kind++) {
    long k = 0;
    for (long p = -1; p < passes; p++) {
      for (long i = 0; i < mib; i++) {
        uint64_t t0 = now_ns();
        if (kind == 0) memcpy(map + i * MIB, buf, MIB);
        else memcpy(buf, map + i * MIB, MIB);
        uint64_t dt = now_ns() - t0;
        if (p >= 0) t[k++] = dt;
      }
    }
    out[2 + kind] = median_of(t, k);
  }
  if (buf[7] != 0x5a) return 1; /* keeps the loads */
  munmap(map, (size_t)mib * MIB);
  close(fd);
  printf("%llu %llu %llu %llu\n", (unsigned long long)out[0], (unsigned long long)out[1], (unsigned long long)out[2], (unsigned long long)out[3]);
  return 0;
}
