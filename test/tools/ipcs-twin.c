/*
 * ipcs-twin: makes each System V object twice, once in the kernel (run it in a fresh IPC
 * namespace: `unshare --ipc`, whose ids start at 0 and which the kernel removes with its last
 * process) and once on an ipcfs mount, with the same key, mode, size and values, and changes both
 * from this one process, so that the pids and the order of ids agree. Then it runs SCRIPT with
 * sh, holding what it attached, and exits with SCRIPT's status.
 *
 *   ipcs-twin MOUNT SCRIPT SPEC...
 *     sem:KEY:MODE:V0,V1,...:NWAIT:ZWAIT  semget, SETALL, one semop +1 on semaphore 0; a child
 *                                         waits for an increase on semaphore NWAIT and one for
 *                                         zero on ZWAIT on each side (-1: none)
 *     msg:KEY:MODE:SIZE,SIZE...:RECV      msgget, msgsnd of type 1 messages of those sizes, then
 *                                         RECV msgrcv
 *     shm:KEY:MODE:SIZE:HOW               shmget; every page touched through an attach (the
 *                                         kernel counts resident pages); HOW: 0 detached again,
 *                                         1 kept attached, 2 kept attached and IPC_RMID (dest)
 *     own:KIND:UID:GID                    IPC_SET of the owner of the last KIND (sem, msg, shm)
 *                                         made: the kernel's, and chown of the mount's file
 *   KEY is a decimal or 0x hex (0: IPC_PRIVATE); MODE octal.
 * Each object's two ids are printed first ("@@id KIND KERNELID IPCFSID") and given to SCRIPT as
 * K_KIND_N and F_KIND_N (N counts the objects of a kind from 0).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *mount;
static pid_t children[64];
static int nchildren;

static int last_kid[3];
static char last_file[3][4096];

static int kind_index(const char *kind) { return kind[1] == 'e' ? 0 : kind[1] == 's' ? 1 : 2; }

static void twins(const char *kind, int kid, int fid) {
  static int count[3];
  static const char *dirs[3] = {"semaphores/sysv", "mqueue/sysv", "shared-memory/sysv"};
  int k = kind_index(kind);
  last_kid[k] = kid;
  snprintf(last_file[k], sizeof last_file[k], "%s/%s/%d", mount, dirs[k], fid);
  char name[64], value[32];
  printf("@@id %s %d %d\n", kind, kid, fid);
  snprintf(name, sizeof name, "K_%s_%d", kind, count[k]);
  snprintf(value, sizeof value, "%d", kid);
  setenv(name, value, 1);
  snprintf(name, sizeof name, "F_%s_%d", kind, count[k]++);
  snprintf(value, sizeof value, "%d", fid);
  setenv(name, value, 1);
}

static void die(const char *what) {
  perror(what);
  for (int i = 0; i < nchildren; i++) kill(children[i], SIGKILL);
  exit(111);
}

/* one command to an ipcfs file; the answer (if any) read back into ans */
static void command(const char *path, const char *cmd, size_t len, char *ans, size_t anslen) {
  int fd = open(path, O_RDWR);
  if (fd < 0) die(path);
  if (write(fd, cmd, len) != (ssize_t)len) die(cmd);
  if (ans) {
    ssize_t n = read(fd, ans, anslen - 1);
    if (n < 0) die("read answer");
    ans[n] = 0;
  }
  close(fd);
}

static int make(const char *kind, const char *cmd) {
  char path[4096], ans[256];
  snprintf(path, sizeof path, "%s/%s/.new", mount, kind);
  command(path, cmd, strlen(cmd), ans, sizeof ans);
  return atoi(ans);
}

static void keytext(key_t key, char *out, size_t len) {
  if (key == IPC_PRIVATE) snprintf(out, len, "private");
  else snprintf(out, len, "0x%x", (unsigned)key);
}

/* reads an ipcfs status until text appears (a waiter is counted) */
static void await_status(const char *path, const char *text) {
  for (int tries = 0; tries < 2000; tries++) {
    char buf[65536];
    int fd = open(path, O_RDONLY);
    if (fd < 0) die(path);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0) die("status");
    buf[n] = 0;
    if (strstr(buf, text)) return;
    usleep(5000);
  }
  fprintf(stderr, "%s never showed %s\n", path, text);
  die("await");
}

static void kernel_wait(int id, int num, int n, short op) {
  for (int tries = 0; tries < 2000 && semctl(id, num, op == 0 ? GETZCNT : GETNCNT) < n; tries++) usleep(5000);
}

static void spawn_waiter(int kid, const char *file, int num, short op) {
  pid_t p = fork();
  if (p < 0) die("fork");
  if (p == 0) {
    if (kid >= 0) {
      struct sembuf b = {(unsigned short)num, op, 0};
      semop(kid, &b, 1);
    } else {
      char cmd[64];
      int len = snprintf(cmd, sizeof cmd, "op %d:%d\n", num, op);
      command(file, cmd, len, NULL, 0);
    }
    _exit(0);
  }
  children[nchildren++] = p;
}

static void sem_spec(char *spec) {
  key_t key = (key_t)strtoul(strtok(spec, ":"), NULL, 0);
  int mode = (int)strtol(strtok(NULL, ":"), NULL, 8);
  char *vals = strtok(NULL, ":");
  int nwait = atoi(strtok(NULL, ":")), zwait = atoi(strtok(NULL, ":"));
  unsigned short v[256];
  int n = 0;
  char setall[4096] = "setall", kt[32];
  for (char *s = strtok(vals, ","); s; s = strtok(NULL, ",")) {
    v[n++] = (unsigned short)atoi(s);
    snprintf(setall + strlen(setall), sizeof setall - strlen(setall), " %s", s);
  }
  strcat(setall, "\n");
  int kid = semget(key, n, IPC_CREAT | IPC_EXCL | mode);
  if (kid < 0) die("semget");
  if (semctl(kid, 0, SETALL, v) < 0) die("SETALL");
  struct sembuf up = {0, 1, 0};
  if (semop(kid, &up, 1) < 0) die("semop");
  char cmd[128], file[4096];
  keytext(key, kt, sizeof kt);
  snprintf(cmd, sizeof cmd, "semget %s %d creat excl mode=0%o\n", kt, n, mode);
  int fid = make("semaphores/sysv", cmd);
  twins("sem", kid, fid);
  snprintf(file, sizeof file, "%s/semaphores/sysv/%d", mount, fid);
  command(file, setall, strlen(setall), NULL, 0);
  command(file, "op 0:1\n", 7, NULL, 0);
  char want[64];
  if (nwait >= 0) {
    spawn_waiter(kid, NULL, nwait, -(short)(v[nwait] + 2));
    spawn_waiter(-1, file, nwait, -(short)(v[nwait] + 2));
    kernel_wait(kid, nwait, 1, -1);
    snprintf(want, sizeof want, "sem %d: value=%d ncnt=1", nwait, v[nwait] + (nwait == 0));
    await_status(file, n > 1 ? want : "ncnt: 1");
  }
  if (zwait >= 0) {
    spawn_waiter(kid, NULL, zwait, 0);
    spawn_waiter(-1, file, zwait, 0);
    kernel_wait(kid, zwait, 1, 0);
    snprintf(want, sizeof want, "zcnt=1 pid=");
    await_status(file, n > 1 ? want : "zcnt: 1");
  }
}

static void msg_spec(char *spec) {
  key_t key = (key_t)strtoul(strtok(spec, ":"), NULL, 0);
  int mode = (int)strtol(strtok(NULL, ":"), NULL, 8);
  char *sizes = strtok(NULL, ":");
  int recv = atoi(strtok(NULL, ":"));
  int kid = msgget(key, IPC_CREAT | IPC_EXCL | mode);
  if (kid < 0) die("msgget");
  char cmd[128], file[4096], kt[32];
  keytext(key, kt, sizeof kt);
  snprintf(cmd, sizeof cmd, "msgget %s mode=0%o creat excl\n", kt, mode);
  int fid = make("mqueue/sysv", cmd);
  twins("msg", kid, fid);
  snprintf(file, sizeof file, "%s/mqueue/sysv/%d", mount, fid);
  static char buf[65536 + 64];
  for (char *s = strcmp(sizes, "-") ? strtok(sizes, ",") : NULL; s; s = strtok(NULL, ",")) {
    int size = atoi(s);
    struct { long type; char text[65536]; } *m = malloc(sizeof *m);
    m->type = 1;
    memset(m->text, 'x', size);
    if (msgsnd(kid, m, size, 0) < 0) die("msgsnd");
    free(m);
    int len = snprintf(buf, sizeof buf, "send 1\n");
    memset(buf + len, 'x', size);
    command(file, buf, len + size, NULL, 0);
  }
  for (int i = 0; i < recv; i++) {
    struct { long type; char text[65536]; } *m = malloc(sizeof *m);
    if (msgrcv(kid, m, sizeof m->text, 0, 0) < 0) die("msgrcv");
    free(m);
    char ans[65536 + 64];
    command(file, "receive\n", 8, ans, sizeof ans);
  }
}

static void shm_spec(char *spec) {
  key_t key = (key_t)strtoul(strtok(spec, ":"), NULL, 0);
  int mode = (int)strtol(strtok(NULL, ":"), NULL, 8);
  size_t size = strtoul(strtok(NULL, ":"), NULL, 10);
  int how = atoi(strtok(NULL, ":"));
  int kid = shmget(key, size, IPC_CREAT | IPC_EXCL | mode);
  if (kid < 0) die("shmget");
  char *p = shmat(kid, NULL, 0);
  if (p == (void *)-1) die("shmat");
  memset(p, 1, size);
  char cmd[128], file[4096], kt[32];
  keytext(key, kt, sizeof kt);
  snprintf(cmd, sizeof cmd, "shmget %s %zu creat excl mode=0%o\n", kt, size, mode);
  int fid = make("shared-memory/sysv", cmd);
  twins("shm", kid, fid);
  snprintf(file, sizeof file, "%s/shared-memory/sysv/%d", mount, fid);
  int fd = open(file, O_RDWR);
  if (fd < 0) die(file);
  /* the same bytes in the twin: its resident pages (rss, ipcs -u) are the kernel segment's */
  char *ones = malloc(size);
  memset(ones, 1, size);
  if (pwrite(fd, ones, size, 0) != (ssize_t)size) die("pwrite");
  free(ones);
  if (how == 0) {
    shmdt(p);
    close(fd);
  }
  if (how == 2) {
    if (shmctl(kid, IPC_RMID, NULL) < 0) die("IPC_RMID");
    if (unlink(file) < 0) die("unlink");
  }
}

static void own_spec(char *spec) {
  const char *kind = strtok(spec, ":");
  uid_t uid = (uid_t)atoi(strtok(NULL, ":"));
  gid_t gid = (gid_t)atoi(strtok(NULL, ":"));
  int k = kind_index(kind);
  if (k == 0) {
    struct semid_ds ds;
    if (semctl(last_kid[k], 0, IPC_STAT, &ds) < 0) die("sem IPC_STAT");
    ds.sem_perm.uid = uid;
    ds.sem_perm.gid = gid;
    if (semctl(last_kid[k], 0, IPC_SET, &ds) < 0) die("sem IPC_SET");
  } else if (k == 1) {
    struct msqid_ds ds;
    if (msgctl(last_kid[k], IPC_STAT, &ds) < 0) die("msg IPC_STAT");
    ds.msg_perm.uid = uid;
    ds.msg_perm.gid = gid;
    if (msgctl(last_kid[k], IPC_SET, &ds) < 0) die("msg IPC_SET");
  } else {
    struct shmid_ds ds;
    if (shmctl(last_kid[k], IPC_STAT, &ds) < 0) die("shm IPC_STAT");
    ds.shm_perm.uid = uid;
    ds.shm_perm.gid = gid;
    if (shmctl(last_kid[k], IPC_SET, &ds) < 0) die("shm IPC_SET");
  }
  if (chown(last_file[k], uid, gid) < 0) die(last_file[k]);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: ipcs-twin MOUNT SCRIPT SPEC...\n");
    return 2;
  }
  mount = argv[1];
  for (int i = 3; i < argc; i++) {
    char *spec = strdup(argv[i]);
    if (!strncmp(spec, "sem:", 4)) sem_spec(spec + 4);
    else if (!strncmp(spec, "msg:", 4)) msg_spec(spec + 4);
    else if (!strncmp(spec, "shm:", 4)) shm_spec(spec + 4);
    else if (!strncmp(spec, "own:", 4)) own_spec(spec + 4);
    else {
      fprintf(stderr, "bad spec %s\n", spec);
      return 2;
    }
  }
  fflush(stdout);
  int status = system(argv[2]);
  for (int i = 0; i < nchildren; i++) kill(children[i], SIGKILL);
  while (wait(NULL) > 0) {}
  return WIFEXITED(status) ? WEXITSTATUS(status) : 111;
}
