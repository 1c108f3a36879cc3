/*
 * Message-queue round trips: one process sends a message of SIZE bytes and receives it back,
 * COUNT times, on the same side of the comparison each run:
 *   mq_client kernel COUNT SIZE   the kernel's POSIX mq (mq_open of a fresh queue, mq_send,
 *                                 mq_receive; unlinked at the end)
 *   mq_client file PATH COUNT SIZE  an ipcfs queue file: one write of "send\n"+bytes, one write of
 *                                 "receive" and one read of the answer (docs/protocol.md)
 * Prints "p50_ns p90_ns" of one round trip (send + receive).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <mqueue.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"

int main(int argc, char **argv) {
  int kernel = argc == 4 && strcmp(argv[1], "kernel") == 0;
  if (!kernel && !(argc == 5 && strcmp(argv[1], "file") == 0)) {
    fprintf(stderr, "usage: %s kernel COUNT SIZE | %s file PATH COUNT SIZE\n", argv[0], argv[0]);
    return 2;
  }
  long n = atol(argv[kernel ? 2 : 3]);
  size_t size = (size_t)atol(argv[kernel ? 3 : 4]);
  char *msg = malloc(size + 16), *buf = malloc(size + 4096);
  memcpy(msg, "send\n", 5);
  for (size_t i = 0; i < size; i++) msg[5 + i] = (char)('a' + i % 26);
  uint64_t *t = malloc(sizeof *t * (size_t)n);
  char name[64];
  mqd_t q = (mqd_t)-1;
  int fd = -1;
  if (kernel) {
    snprintf(name, sizeof name, "/ipcfs-bench-%d", (int)getpid());
    struct mq_attr attr = {.mq_maxmsg = 10, .mq_msgsize = (long)size};
    q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
    if (q == (mqd_t)-1) { perror("mq_open"); return 1; }
  } else {
    fd = open(argv[2], O_RDWR);
    if (fd < 0) { perror(argv[2]); return 1; }
  }
  for (long i = -n / 10 - 100; i < n; i++) { /* the first tenth warms up */
    uint64_t t0 = now_ns();
    if (kernel) {
      unsigned prio;
      if (mq_send(q, msg + 5, size, 0) != 0 || mq_receive(q, buf, size, &prio) != (ssize_t)size) { perror("mq"); return 1; }
    } else {
      if (write(fd, msg, size + 5) != (ssize_t)(size + 5)) { perror("send"); return 1; }
      if (write(fd, "receive", 7) != 7) { perror("receive"); return 1; }
      ssize_t got = read(fd, buf, size + 4096);
      if (got < (ssize_t)size || read(fd, buf, 16) != 0) { fprintf(stderr, "answer: %zd bytes\n", got); return 1; }
    }
    if (i >= 0) t[i] = now_ns() - t0;
  }
  if (kernel) { mq_close(q); mq_unlink(name); } else close(fd);
  qsort(t, (size_t)n, sizeof *t, cmp_u64);
  printf("%llu %llu\n", (unsigned long long)t[n / 2], (unsigned long long)t[n * 9 / 10]);
  return 0;
}
