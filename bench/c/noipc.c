/* The interposer's cost: a program that makes no IPC call, does a little work (a checksum over a
 * few MiB, so that it is a program and not just an exec) and exits. Prints nothing. */
#include <stdint.h>
#include <stdlib.h>

int main(void) {
  enum { SIZE = 1 << 20 };
  unsigned char *buf = malloc(SIZE);
  if (!buf) return 1;
  uint32_t h = 2166136261u;
  for (int round = 0; round < 4; round++)
    for (int i = 0; i < SIZE; i++) {
      buf[i] = (unsigned char)(i * 31 + round);
      h = (h ^ buf[i]) * 16777619u;
    }
  free(buf);
  return h == 42; /* uses h, so the work is not optimized away */
}
