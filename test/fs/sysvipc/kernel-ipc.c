/*
 * Kernel System V objects for the sysvipc/ table tests: one command per stdin line, one answer line
 * each ("ok", a number, or "err ERRNO"); `cat PATH` answers the file's bytes after a "len N" line.
 * Run inside `unshare -i` it sees (and its /proc/sysvipc shows) only the objects it made.
 *   sem KEY MODE NSEMS | semop ID | msg KEY MODE | msgsnd ID SIZE | msgrcv ID
 *   shm KEY MODE SIZE | shmat ID PAGES | shmdt ID | own sem|msg|shm ID UID GID | rm sem|msg|shm ID
 *   sh COMMAND...   runs a shell command in the helper's namespaces; answered as `cat` is (its stdout)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

union semun { int val; struct semid_ds *buf; unsigned short *array; };
struct msgbuf1 { long mtype; char mtext[65536]; };
static struct msgbuf1 mb;
static void *attached[64];
static int attached_id[64];

static void answer(long rc) {
  if (rc < 0) printf("err %d\n", errno);
  else printf("%ld\n", rc);
  fflush(stdout);
}

int main(void) {
  char line[8192], a[64], path[256];
  long x, y, z;
  printf("pid %d\n", getpid());
  fflush(stdout);
  while (fgets(line, sizeof line, stdin)) {
    if (sscanf(line, "sem %ld %lo %ld", &x, &y, &z) == 3) answer(semget((key_t)x, (int)z, IPC_CREAT | IPC_EXCL | (int)y));
    else if (sscanf(line, "semop %ld", &x) == 1) {
      struct sembuf op = { 0, 1, 0 };
      answer(semop((int)x, &op, 1));
    } else if (sscanf(line, "msgsnd %ld %ld", &x, &y) == 2) {
      mb.mtype = 1;
      memset(mb.mtext, 'm', (size_t)y);
      answer(msgsnd((int)x, &mb, (size_t)y, IPC_NOWAIT));
    } else if (sscanf(line, "msgrcv %ld", &x) == 1) answer(msgrcv((int)x, &mb, sizeof mb.mtext, 0, IPC_NOWAIT | MSG_NOERROR));
    else if (sscanf(line, "msg %ld %lo", &x, &y) == 2) answer(msgget((key_t)x, IPC_CREAT | IPC_EXCL | (int)y));
    else if (sscanf(line, "shmat %ld %ld", &x, &y) == 2) {
      int slot = 0;
      while (slot < 64 && attached[slot]) slot++;
      char *p = shmat((int)x, NULL, 0);
      if (p == (void *)-1 || slot == 64) { answer(-1); continue; }
      for (long i = 0; i < y; i++) p[i * 4096] = 1;
      attached[slot] = p;
      attached_id[slot] = (int)x;
      answer(0);
    } else if (sscanf(line, "shmdt %ld", &x) == 1) {
      long rc = -1;
      errno = EINVAL;
      for (int i = 0; i < 64; i++) if (attached[i] && attached_id[i] == x) { rc = shmdt(attached[i]); attached[i] = NULL; break; }
      answer(rc);
    } else if (sscanf(line, "shm %ld %lo %ld", &x, &y, &z) == 3) answer(shmget((key_t)x, (size_t)z, IPC_CREAT | IPC_EXCL | SHM_NORESERVE | (int)y));
    else if (sscanf(line, "own %63s %ld %ld %ld", a, &x, &y, &z) == 4) {
      if (!strcmp(a, "sem")) {
        struct semid_ds ds; union semun arg = { .buf = &ds };
        if (semctl((int)x, 0, IPC_STAT, arg) < 0) { answer(-1); continue; }
        ds.sem_perm.uid = (uid_t)y; ds.sem_perm.gid = (gid_t)z;
        answer(semctl((int)x, 0, IPC_SET, arg));
      } else if (!strcmp(a, "msg")) {
        struct msqid_ds ds;
        if (msgctl((int)x, IPC_STAT, &ds) < 0) { answer(-1); continue; }
        ds.msg_perm.uid = (uid_t)y; ds.msg_perm.gid = (gid_t)z;
        answer(msgctl((int)x, IPC_SET, &ds));
      } else {
        struct shmid_ds ds;
        if (shmctl((int)x, IPC_STAT, &ds) < 0) { answer(-1); continue; }
        ds.shm_perm.uid = (uid_t)y; ds.shm_perm.gid = (gid_t)z;
        answer(shmctl((int)x, IPC_SET, &ds));
      }
    } else if (sscanf(line, "rm %63s %ld", a, &x) == 2) {
      if (!strcmp(a, "sem")) answer(semctl((int)x, 0, IPC_RMID));
      else if (!strcmp(a, "msg")) answer(msgctl((int)x, IPC_RMID, NULL));
      else answer(shmctl((int)x, IPC_RMID, NULL));
    } else if (!strncmp(line, "sh ", 3)) {
      static char out[1 << 20];
      FILE *p = popen(line + 3, "r");
      if (!p) { answer(-1); continue; }
      size_t n = fread(out, 1, sizeof out, p);
      pclose(p);
      printf("len %zu\n", n);
      fwrite(out, 1, n, stdout);
      fflush(stdout);
    } else if (sscanf(line, "cat %255s", path) == 1) {
      static char buf[1 << 20];
      FILE *f = fopen(path, "r");
      if (!f) { answer(-1); continue; }
      size_t n = fread(buf, 1, sizeof buf, f);
      fclose(f);
      printf("len %zu\n", n);
      fwrite(buf, 1, n, stdout);
      fflush(stdout);
    } else {
      printf("err bad command\n");
      fflush(stdout);
    }
  }
  return 0;
}
