/*
 * The oracle of the differential message-queue tests: one process that runs System V message
 * queue commands on the kernel's own queues, one per line on stdin, and answers one line each on
 * stdout ("ok [RESULT]" or "err ERRNO_NAME"). It prints "pid N" first.
 *
 *   msgget                          msgget(IPC_PRIVATE, 0600)   -> ok MSQID (and uses it)
 *   get KEY FLAGS                   msgget(KEY, FLAGS), both C numbers (0x.., 0..) -> ok MSQID (uses it)
 *   use MSQID                       operate on MSQID
 *   snd TYPE TEXT [nowait]          msgsnd of TEXT ("-" = empty, "@N" = N bytes of 'x') -> ok
 *   rcv MSGTYP MAXSIZE [FLAGS]      msgrcv; FLAGS nowait,noerror,except,copy -> ok TYPE TEXT
 *   ipc_set [qbytes=N] [mode=OCTAL] [uid=N] [gid=N]   msgctl(IPC_SET) over the current IPC_STAT
 *   rmid                            msgctl(IPC_RMID)
 *   stat                            ok CBYTES QNUM QBYTES LSPID LRPID STIME RTIME CTIME
 *   dump                            stat's line, then the queued messages in order as TYPE:TEXT,
 *                                   read with MSG_COPY (nothing is taken)
 *   exit                            exits at once, without an answer
 *
 * `kernel-msg file PATH` runs the same commands on an ipcfs mqueue/sysv/<msqid> file opened once
 * (O_RDWR) instead, as its file commands (docs/protocol.md, "System V: mqueue/sysv/<msqid>"):
 * snd is one write of "send TYPE [nowait]" + newline + the text, rcv writes "receive MSGTYP
 * size=MAXSIZE [flags]" and reads the answer back, ipc_set and rmid are written as they are; use,
 * msgget and get answer ok; stat and dump are EINVAL (the tests read the status file). Its answers
 * have the same form as the kernel's, so the two sides compare line by line.
 *   nonblock on|off                 fcntl(F_SETFL) O_NONBLOCK on the file (file mode)
 * In both modes SIGUSR1 interrupts a sleeping call (a handler without SA_RESTART): err EINTR.
 * Built by the tests with gcc into a temporary directory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <unistd.h>

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

static int msqid = -1;
/* file mode: the open ipcfs file */
static int fd = -1;
static struct {
  long mtype;
  char mtext[1 << 16];
} buf;
static char out[1 << 20];

static void reply_err(int e) {
  const char *name = strerrorname_np(e);
  printf("err %s\n", name ? name : "E?");
}

static int parse_flags(const char *s) {
  int f = 0;
  char copy[128];
  snprintf(copy, sizeof copy, "%s", s);
  for (char *w = strtok(copy, ",|"); w; w = strtok(NULL, ",|")) {
    if (!strcmp(w, "nowait")) f |= IPC_NOWAIT;
    else if (!strcmp(w, "noerror")) f |= MSG_NOERROR;
    else if (!strcmp(w, "except")) f |= MSG_EXCEPT;
    else if (!strcmp(w, "copy")) f |= MSG_COPY;
    else return -1;
  }
  return f;
}

static size_t put_text_into(char *dst, size_t cap, size_t len, const char *text, size_t n) {
  if (!n) return len + (size_t)snprintf(dst + len, cap - len, "-");
  return len + (size_t)snprintf(dst + len, cap - len, "%.*s", (int)n, text);
}

static size_t put_text(size_t len, const char *text, size_t n) {
  return put_text_into(out, sizeof out, len, text, n);
}

static int stat_line(size_t *len) {
  struct msqid_ds ds;
  if (msgctl(msqid, IPC_STAT, &ds) < 0) return -1;
  *len += (size_t)snprintf(out + *len, sizeof out - *len, "ok %lu %lu %lu %d %d %lld %lld %lld", (unsigned long)ds.__msg_cbytes,
                           (unsigned long)ds.msg_qnum, (unsigned long)ds.msg_qbytes, (int)ds.msg_lspid, (int)ds.msg_lrpid,
                           (long long)ds.msg_stime, (long long)ds.msg_rtime, (long long)ds.msg_ctime);
  return 0;
}

static void command(char *line) {
  char *words[16];
  int n = 0;
  for (char *w = strtok(line, " \t\n"); w && n < 16; w = strtok(NULL, " \t\n")) words[n++] = w;
  if (!n) return (void)printf("err EINVAL\n");
  const char *verb = words[0];
  if (!strcmp(verb, "msgget")) {
    int id = msgget(IPC_PRIVATE, 0600);
    if (id < 0) return reply_err(errno);
    msqid = id;
    return (void)printf("ok %d\n", id);
  }
  if (!strcmp(verb, "get") && n == 3) {
    int id = msgget((key_t)strtoll(words[1], NULL, 0), (int)strtol(words[2], NULL, 0));
    if (id < 0) return reply_err(errno);
    msqid = id;
    return (void)printf("ok %d\n", id);
  }
  if (!strcmp(verb, "use") && n == 2) {
    msqid = atoi(words[1]);
    return (void)printf("ok\n");
  }
  if (!strcmp(verb, "snd") && n >= 3) {
    buf.mtype = atol(words[1]);
    size_t sz;
    if (words[2][0] == '@') {
      sz = (size_t)atol(words[2] + 1);
      if (sz > sizeof buf.mtext) sz = sizeof buf.mtext;
      memset(buf.mtext, 'x', sz);
    } else {
      sz = strcmp(words[2], "-") ? strlen(words[2]) : 0;
      memcpy(buf.mtext, words[2], sz);
    }
    int flags = n > 3 ? parse_flags(words[3]) : 0;
    if (flags < 0) return (void)printf("err EINVAL\n");
    if (msgsnd(msqid, &buf, sz, flags) < 0) return reply_err(errno);
    return (void)printf("ok\n");
  }
  if (!strcmp(verb, "rcv") && n >= 3) {
    int flags = n > 3 ? parse_flags(words[3]) : 0;
    if (flags < 0) return (void)printf("err EINVAL\n");
    ssize_t r = msgrcv(msqid, &buf, (size_t)atol(words[2]), atol(words[1]), flags);
    if (r < 0) return reply_err(errno);
    size_t len = (size_t)snprintf(out, sizeof out, "ok %ld ", buf.mtype);
    put_text(len, buf.mtext, (size_t)r);
    return (void)printf("%s\n", out);
  }
  if (!strcmp(verb, "ipc_set")) {
    struct msqid_ds ds;
    /* IPC_SET needs the current values: from IPC_STAT, or (no read permission) the caller's own */
    if (msgctl(msqid, IPC_STAT, &ds) < 0) {
      memset(&ds, 0, sizeof ds);
      ds.msg_perm.uid = getuid();
      ds.msg_perm.gid = getgid();
      ds.msg_perm.mode = 0600;
      ds.msg_qbytes = 16384;
    }
    for (int i = 1; i < n; i++) {
      if (!strncmp(words[i], "qbytes=", 7)) ds.msg_qbytes = strtoul(words[i] + 7, NULL, 10);
      else if (!strncmp(words[i], "mode=", 5)) ds.msg_perm.mode = (unsigned short)strtol(words[i] + 5, NULL, 8);
      else if (!strncmp(words[i], "uid=", 4)) ds.msg_perm.uid = (uid_t)strtoul(words[i] + 4, NULL, 10);
      else if (!strncmp(words[i], "gid=", 4)) ds.msg_perm.gid = (gid_t)strtoul(words[i] + 4, NULL, 10);
    }
    if (msgctl(msqid, IPC_SET, &ds) < 0) return reply_err(errno);
    return (void)printf("ok\n");
  }
  if (!strcmp(verb, "rmid")) {
    if (msgctl(msqid, IPC_RMID, NULL) < 0) return reply_err(errno);
    return (void)printf("ok\n");
  }
  if (!strcmp(verb, "stat") || !strcmp(verb, "dump")) {
    size_t len = 0;
    if (stat_line(&len) < 0) return reply_err(errno);
    if (!strcmp(verb, "dump")) {
      for (long i = 0;; i++) {
        ssize_t r = msgrcv(msqid, &buf, sizeof buf.mtext, i, IPC_NOWAIT | MSG_COPY);
        if (r < 0) {
          if (errno == ENOMSG) break;
          return reply_err(errno);
        }
        len += (size_t)snprintf(out + len, sizeof out - len, " %ld:", buf.mtype);
        len = put_text(len, buf.mtext, (size_t)r);
      }
    }
    return (void)printf("%s\n", out);
  }
  printf("err EINVAL\n");
}

/* The same command on the ipcfs file (file mode). */
static void file_command(char *line) {
  char *words[16];
  int n = 0;
  static char cmd[(1 << 16) + 256];
  for (char *w = strtok(line, " \t\n"); w && n < 16; w = strtok(NULL, " \t\n")) words[n++] = w;
  if (!n) return (void)printf("err EINVAL\n");
  const char *verb = words[0];
  if (!strcmp(verb, "use") || !strcmp(verb, "msgget") || !strcmp(verb, "get")) return (void)printf("ok\n");
  if (!strcmp(verb, "nonblock") && n == 2) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, !strcmp(words[1], "on") ? fl | O_NONBLOCK : fl & ~O_NONBLOCK) < 0) return reply_err(errno);
    return (void)printf("ok\n");
  }
  if (!strcmp(verb, "snd") && n >= 3) {
    int len = snprintf(cmd, 256, "send %s%s\n", words[1], n > 3 && strstr(words[3], "nowait") ? " nowait" : "");
    size_t sz;
    if (words[2][0] == '@') {
      sz = (size_t)atol(words[2] + 1);
      if (sz > 1 << 16) sz = 1 << 16;
      memset(cmd + len, 'x', sz);
    } else {
      sz = strcmp(words[2], "-") ? strlen(words[2]) : 0;
      memcpy(cmd + len, words[2], sz);
    }
    if (write(fd, cmd, (size_t)len + sz) < 0) return reply_err(errno);
    return (void)printf("ok\n");
  }
  if (!strcmp(verb, "rcv") && n >= 3) {
    int len = snprintf(cmd, 256, "receive %s size=%s", words[1], words[2]);
    if (n > 3) {
      char copy[128];
      snprintf(copy, sizeof copy, "%s", words[3]);
      for (char *w = strtok(copy, ",|"); w; w = strtok(NULL, ",|")) len += snprintf(cmd + len, 256 - (size_t)len, " %s", w);
    }
    cmd[len++] = '\n';
    if (write(fd, cmd, (size_t)len) < 0) return reply_err(errno);
    size_t got = 0;
    for (;;) {
      ssize_t r = read(fd, out + got, sizeof out - got);
      if (r < 0) return reply_err(errno);
      if (!r) break;
      got += (size_t)r;
    }
    long type;
    size_t size;
    char *nl = memchr(out, '\n', got);
    if (!nl || sscanf(out, "type=%ld size=%zu", &type, &size) != 2 || (size_t)(out + got - nl - 1) != size) return (void)printf("err EBADMSG\n");
    static char text[1 << 17];
    size_t tl = (size_t)snprintf(text, sizeof text, "ok %ld ", type);
    tl = (size_t)(put_text_into(text, sizeof text, tl, nl + 1, size));
    return (void)printf("%s\n", text);
  }
  if (!strcmp(verb, "ipc_set") || !strcmp(verb, "rmid")) {
    int len = 0;
    for (int i = 0; i < n; i++) len += snprintf(cmd + len, 256 - (size_t)len, "%s%s", i ? " " : "", words[i]);
    cmd[len++] = '\n';
    if (write(fd, cmd, (size_t)len) < 0) return reply_err(errno);
    return (void)printf("ok\n");
  }
  printf("err EINVAL\n");
}

static void on_signal(int sig) {
  (void)sig;
}

int main(int argc, char **argv) {
  static char line[1 << 16];
  if (argc == 3 && !strcmp(argv[1], "file")) {
    fd = open(argv[2], O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      perror(argv[2]);
      return 1;
    }
  } else if (argc != 1) {
    fprintf(stderr, "usage: kernel-msg | kernel-msg file PATH\n");
    return 2;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal; /* no SA_RESTART: a sleeping call fails with EINTR */
  sigaction(SIGUSR1, &sa, NULL);
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("pid %d\n", (int)getpid());
  while (fgets(line, sizeof line, stdin)) {
    if (!strncmp(line, "exit", 4)) break;
    if (fd >= 0) file_command(line);
    else command(line);
  }
  return 0;
}
