/*
 * Blocks N threads, each in a `wait` on its own semaphore file, then sleeps until killed.
 * Usage: waiters N FILE... (files are used round-robin). Prints "ready" when all are started.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *waiter(void *path) {
  int fd = open((const char *)path, O_WRONLY);
  if (fd < 0) { perror((const char *)path); return NULL; }
  if (write(fd, "wait", 4) < 0) perror("wait");
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  int n = atoi(argv[1]), files = argc - 2;
  for (int i = 0; i < n; i++) {
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 64 * 1024);
    if (pthread_create(&t, &a, waiter, argv[2 + i % files]) != 0) { perror("pthread_create"); return 1; }
  }
  printf("ready\n");
  fflush(stdout);
  pause();
  return 0;
}
