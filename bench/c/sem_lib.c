/*
 * sem_post + sem_wait through libipcfs against glibc's own semaphores (futexes) and System V
 * semop, from the same program so that everything but the implementation is alike:
 *   sem_lib IMPL uncontended N MOUNT   one process: post then wait on one semaphore, N times; the
 *                                      cost of a call when nobody waits (glibc: an atomic in user
 *                                      space; SysV: a system call; ipcfs: a FUSE round trip).
 *   sem_lib IMPL pingpong N MOUNT      two processes, two semaphores: the parent posts A and waits
 *                                      on B, the child waits on A and posts B; a round trip is two
 *                                      wake-ups of a blocked waiter, the case a semaphore is for.
 * IMPL is glibc (sem_init, pshared in MAP_SHARED memory), sysv (semget IPC_PRIVATE: run it in a
 * private IPC namespace) or ipcfs (ipcfs_sem_init, the same as glibc's but served by the mount).
 * Prints "p50_ns p90_ns" per post+wait pair (uncontended: of batches of 10, divided) or per round
 * trip (ping-pong).
 */
#define _GNU_SOURCE
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "ipcfs.h"

enum { BATCH = 10 };

/* One implementation: two semaphores (0 and 1), post and wait by index. */
struct impl {
  int (*post)(int i);
  int (*wait)(int i);
};

static sem_t *sems; /* two, in MAP_SHARED memory: glibc's and ipcfs's */
static int semid;   /* System V: one set of two */

static int glibc_post(int i) { return sem_post(&sems[i]); }
static int glibc_wait(int i) { return sem_wait(&sems[i]); }
static int ipcfs_post(int i) { return ipcfs_sem_post(&sems[i]); }
static int ipcfs_wait(int i) { return ipcfs_sem_wait(&sems[i]); }
static int sysv_op(int i, int op) {
  struct sembuf b = {(unsigned short)i, (short)op, 0};
  return semop(semid, &b, 1);
}
static int sysv_post(int i) { return sysv_op(i, 1); }
static int sysv_wait(int i) { return sysv_op(i, -1); }

static void fail(const char *what) {
  perror(what);
  exit(1);
}

static struct impl setup(const char *name) {
  sems = mmap(NULL, 2 * sizeof(sem_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (sems == MAP_FAILED) fail("mmap");
  if (strcmp(name, "glibc") == 0) {
    if (sem_init(&sems[0], 1, 0) < 0 || sem_init(&sems[1], 1, 0) < 0) fail("sem_init");
    return (struct impl){glibc_post, glibc_wait};
  }
  if (strcmp(name, "ipcfs") == 0) {
    if (ipcfs_sem_init(&sems[0], 1, 0) < 0 || ipcfs_sem_init(&sems[1], 1, 0) < 0) fail("ipcfs_sem_init");
    return (struct impl){ipcfs_post, ipcfs_wait};
  }
  if (strcmp(name, "sysv") == 0) {
    if ((semid = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600)) < 0) fail("semget");
    return (struct impl){sysv_post, sysv_wait};
  }
  fprintf(stderr, "unknown implementation %s\n", name);
  exit(2);
}

static void teardown(const char *name) {
  if (strcmp(name, "glibc") == 0) sem_destroy(&sems[0]), sem_destroy(&sems[1]);
  if (strcmp(name, "ipcfs") == 0) ipcfs_sem_destroy(&sems[0]), ipcfs_sem_destroy(&sems[1]);
  if (strcmp(name, "sysv") == 0) semctl(semid, 0, IPC_RMID);
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s glibc|sysv|ipcfs uncontended|pingpong N MOUNT\n", argv[0]);
    return 2;
  }
  long n = atol(argv[3]);
  if (ipcfs_set_mount(argv[4]) < 0) fail("ipcfs_set_mount");
  struct impl s = setup(argv[1]);
  int pingpong = strcmp(argv[2], "pingpong") == 0;
  long samples = pingpong ? n : n / BATCH;
  uint64_t *t = calloc((size_t)samples, sizeof *t);
  if (!t || samples < 1) fail("samples");

  if (!pingpong) {
    for (long k = 0; k < samples; k++) {
      uint64_t t0 = now_ns();
      for (int j = 0; j < BATCH; j++)
        if (s.post(0) < 0 || s.wait(0) < 0) fail("post/wait");
      t[k] = (now_ns() - t0) / BATCH;
    }
  } else {
    pid_t child = fork();
    if (child < 0) fail("fork");
    if (child == 0) {
      for (long k = 0; k < n; k++)
        if (s.wait(0) < 0 || s.post(1) < 0) _exit(1);
      _exit(0);
    }
    for (long k = 0; k < n; k++) {
      uint64_t t0 = now_ns();
      if (s.post(0) < 0 || s.wait(1) < 0) fail("post/wait");
      t[k] = now_ns() - t0;
    }
    int status;
    if (waitpid(child, &status, 0) != child || status != 0) fail("the ping-pong child");
  }
  teardown(argv[1]);
  qsort(t, (size_t)samples, sizeof *t, cmp_u64);
  printf("%llu %llu\n", (unsigned long long)t[samples / 2], (unsigned long long)t[samples * 9 / 10]);
  return 0;
}
