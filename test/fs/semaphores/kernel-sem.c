/*
 * The oracle of the differential semaphore tests: one process that runs semaphore commands, one per
 * line on stdin, and answers one line each on stdout ("ok [RESULT]" or "err ERRNO_NAME").
 *
 *   kernel-sem kernel       runs them on the kernel's own System V semaphores (semop, semctl)
 *   kernel-sem file PATH    writes each one, whole, to PATH opened once (an ipcfs sysv/SEMID file)
 *
 * It prints "pid N" first. Commands use ipcfs's syntax (docs/protocol.md) so that both sides read the
 * same text; in kernel mode they map to the calls:
 *   semget NSEMS                  semget(IPC_PRIVATE, NSEMS, 0600)      -> ok SEMID (and uses it)
 *   use SEMID                     operate on SEMID
 *   op N:OP[:FLAGS] ... [timeout=S]  semop / semtimedop; FLAGS undo,nowait
 *   setval N V | setall V... | rmid | ipc_set mode=OCTAL
 *   getval N | getncnt N | getzcnt N | getpid N | getall | stat (otime ctime nsems)
 *   dump                          ok VALUES NCNTS ZCNTS PIDS OTIME (comma-separated lists)
 *   exit                          exits at once, without an answer (SEM_UNDO adjustments apply)
 * Built by the tests with gcc into a temporary directory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sem.h>
#include <time.h>
#include <unistd.h>

union semun {
  int val;
  struct semid_ds *buf;
  unsigned short *array;
};

static int semid = -1;
static char out[1 << 16];

static void reply_err(int e) {
  const char *name = strerrorname_np(e);
  printf("err %s\n", name ? name : "E?");
}

/* "N:OP[:FLAGS]" -> sembuf; 0 when malformed */
static int parse_op(const char *s, struct sembuf *b) {
  char flags[64] = "";
  int num, op;
  if (sscanf(s, "%d:%d:%63s", &num, &op, flags) < 2) return 0;
  b->sem_num = (unsigned short)num;
  b->sem_op = (short)op;
  b->sem_flg = 0;
  for (char *f = strtok(flags, ",|"); f; f = strtok(NULL, ",|")) {
    if (!strcasecmp(f, "undo") || !strcasecmp(f, "sem_undo")) b->sem_flg |= SEM_UNDO;
    else if (!strcasecmp(f, "nowait") || !strcasecmp(f, "ipc_nowait")) b->sem_flg |= IPC_NOWAIT;
    else return 0;
  }
  return 1;
}

static void kernel_command(char *line) {
  char *words[1024];
  int n = 0;
  for (char *w = strtok(line, " \t\n"); w && n < 1024; w = strtok(NULL, " \t\n")) words[n++] = w;
  if (!n) return (void)printf("err EINVAL\n");
  const char *verb = words[0];
  union semun u;
  if (!strcmp(verb, "semget")) {
    int id = semget(IPC_PRIVATE, atoi(words[1]), 0600);
    if (id < 0) return reply_err(errno);
    semid = id;
    return (void)printf("ok %d\n", id);
  }
  if (!strcmp(verb, "use")) {
    semid = atoi(words[1]);
    return (void)printf("ok\n");
  }
  if (!strcmp(verb, "op")) {
    static struct sembuf ops[1024];
    int nops = 0;
    struct timespec ts, *tp = NULL;
    for (int i = 1; i < n; i++) {
      if (!strncmp(words[i], "timeout=", 8)) {
        double s = atof(words[i] + 8);
        ts.tv_sec = (time_t)s;
        ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
        tp = &ts;
      } else if (!parse_op(words[i], &ops[nops++])) {
        return (void)printf("err EINVAL\n");
      }
    }
    if (semtimedop(semid, ops, (size_t)nops, tp) < 0) return reply_err(errno);
    return (void)printf("ok\n");
  }
  if (!strcmp(verb, "setval")) {
    u.val = atoi(words[2]);
    if (semctl(semid, atoi(words[1]), SETVAL, u) < 0) return reply_err(errno);
    return (void)printf("ok\n");
  }
  if (!strcmp(verb, "setall")) {
    static unsigned short vals[65536];
    memset(vals, 0, sizeof vals);
    for (int i = 1; i < n; i++) vals[i - 1] = (unsigned short)atoi(words[i]);
    u.array = vals;
    if (semctl(semid, 0, SETALL, u) < 0) return reply_err(errno);
    return (void)printf("ok\n");
  }
  if (!strcmp(verb, "rmid")) {
    if (semctl(semid, 0, IPC_RMID) < 0) return reply_err(errno);
    return (void)printf("ok\n");
  }
  if (!strcmp(verb, "ipc_set")) {
    struct semid_ds ds;
    memset(&ds, 0, sizeof ds);
    u.buf = &ds;
    /* IPC_SET needs the current owner: take it from IPC_STAT when the set still exists */
    if (semctl(semid, 0, IPC_STAT, u) < 0) {
      ds.sem_perm.uid = getuid();
      ds.sem_perm.gid = getgid();
    }
    for (int i = 1; i < n; i++)
      if (!strncmp(words[i], "mode=", 5)) ds.sem_perm.mode = (unsigned short)strtol(words[i] + 5, NULL, 8);
    if (semctl(semid, 0, IPC_SET, u) < 0) return reply_err(errno);
    return (void)printf("ok\n");
  }
  if (!strcmp(verb, "getval") || !strcmp(verb, "getncnt") || !strcmp(verb, "getzcnt") || !strcmp(verb, "getpid")) {
    int cmd = !strcmp(verb, "getval") ? GETVAL : !strcmp(verb, "getncnt") ? GETNCNT : !strcmp(verb, "getzcnt") ? GETZCNT : GETPID;
    int r = semctl(semid, atoi(words[1]), cmd);
    if (r < 0) return reply_err(errno);
    return (void)printf("ok %d\n", r);
  }
  if (!strcmp(verb, "getall") || !strcmp(verb, "dump") || !strcmp(verb, "stat")) {
    static unsigned short vals[65536];
    struct semid_ds ds;
    u.buf = &ds;
    if (semctl(semid, 0, IPC_STAT, u) < 0) return reply_err(errno);
    int ns = (int)ds.sem_nsems;
    if (!strcmp(verb, "stat")) return (void)printf("ok %lld %lld %d\n", (long long)ds.sem_otime, (long long)ds.sem_ctime, ns);
    u.array = vals;
    if (semctl(semid, 0, GETALL, u) < 0) return reply_err(errno);
    size_t len = 0;
    len += (size_t)snprintf(out + len, sizeof out - len, "ok");
    for (int part = 0; part < (strcmp(verb, "dump") ? 1 : 4); part++) {
      int cmd = part == 1 ? GETNCNT : part == 2 ? GETZCNT : GETPID;
      for (int i = 0; i < ns && len < sizeof out - 16; i++) {
        int v = part == 0 ? vals[i] : semctl(semid, i, cmd);
        if (v < 0) return reply_err(errno);
        len += (size_t)snprintf(out + len, sizeof out - len, "%s%d", i ? "," : " ", v);
      }
    }
    if (!strcmp(verb, "dump")) len += (size_t)snprintf(out + len, sizeof out - len, " %lld", (long long)ds.sem_otime);
    return (void)printf("%s\n", out);
  }
  printf("err EINVAL\n");
}

int main(int argc, char **argv) {
  static char line[1 << 16];
  int fd = -1;
  if (argc < 2 || (strcmp(argv[1], "kernel") && (strcmp(argv[1], "file") || argc < 3))) {
    fprintf(stderr, "usage: kernel-sem kernel | kernel-sem file PATH\n");
    return 2;
  }
  if (!strcmp(argv[1], "file")) {
    fd = open(argv[2], O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      perror(argv[2]);
      return 1;
    }
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("pid %d\n", (int)getpid());
  while (fgets(line, sizeof line, stdin)) {
    if (!strncmp(line, "exit", 4)) break;
    if (fd < 0) {
      kernel_command(line);
      continue;
    }
    size_t len = strlen(line);
    if (write(fd, line, len) < 0) reply_err(errno);
    else printf("ok\n");
  }
  return 0;
}
