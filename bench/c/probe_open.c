/*
 * What the kernel made of an open of FILE, as far as a client can see it: lseek (ESPIPE with
 * FOPEN_NONSEEKABLE or FOPEN_STREAM), pwrite (ESPIPE with FOPEN_STREAM), mmap MAP_SHARED (ENODEV
 * with FOPEN_DIRECT_IO). The bench requires the same line from ipcfs and the C reference.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const char *res(int ok) { return ok ? "ok" : strerrorname_np(errno); }

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  int fd = open(argv[1], O_RDWR);
  if (fd < 0) { perror(argv[1]); return 1; }
  printf("lseek=%s ", res(lseek(fd, 0, SEEK_CUR) >= 0));
  printf("pwrite0=%s ", res(pwrite(fd, "x", 0, 0) >= 0));
  void *m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
  printf("mmap_shared=%s\n", res(m != MAP_FAILED));
  return 0;
}
