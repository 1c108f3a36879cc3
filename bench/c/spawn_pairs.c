/*
 * The interposer's cost on a program that makes no IPC call: runs PROG N times without and N
 * times with LD_PRELOAD=PRELOAD (and IPCFS_MOUNT=MOUNT, as `ipcfs exec` gives), in alternating
 * pairs whose order flips each time (so drift and order effects hit both alike), timing each from
 * fork to reaped (wall) and its user+system CPU.
 *   spawn_pairs PRELOAD MOUNT N PROG [ARG ...]
 * Prints one line per pair: "plain_wall_ns preload_wall_ns plain_cpu_ns preload_cpu_ns".
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"

extern char **environ;

static char **plain_env, **preload_env;

/* environ without LD_PRELOAD / IPCFS_MOUNT, plus extra (may be NULL). */
static char **env_with(char *a, char *b) {
  size_t n = 0;
  while (environ[n]) n++;
  char **e = calloc(n + 3, sizeof *e);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0 && strncmp(environ[i], "IPCFS_MOUNT=", 12) != 0) e[k++] = environ[i];
  if (a) e[k++] = a;
  if (b) e[k++] = b;
  return e;
}

static void run(char **argv, char **env, uint64_t *wall, uint64_t *cpu) {
  uint64_t t0 = now_ns();
  pid_t pid = fork();
  if (pid < 0) exit(1);
  if (pid == 0) {
    execve(argv[0], argv, env);
    _exit(127);
  }
  int status;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) != pid) exit(1);
  *wall = now_ns() - t0;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "%s exited with status %d\n", argv[0], status);
    exit(1);
  }
  *cpu = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000u + (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000u;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s PRELOAD MOUNT N PROG [ARG ...]\n", argv[0]);
    return 2;
  }
  char pre[4200], mnt[4200];
  snprintf(pre, sizeof pre, "LD_PRELOAD=%s", argv[1]);
  snprintf(mnt, sizeof mnt, "IPCFS_MOUNT=%s", argv[2]);
  plain_env = env_with(NULL, NULL);
  preload_env = env_with(pre, mnt);
  long n = atol(argv[3]);
  uint64_t w[2], c[2];
  for (long i = 0; i < n; i++) {
    int first = (int)(i & 1); /* 0: plain first, 1: preload first */
    for (int j = 0; j < 2; j++) {
      int side = j ^ first;
      run(argv + 4, side ? preload_env : plain_env, &w[side], &c[side]);
    }
    printf("%llu %llu %llu %llu\n", (unsigned long long)w[0], (unsigned long long)w[1], (unsigned long long)c[0], (unsigned long long)c[1]);
  }
  return 0;
}
