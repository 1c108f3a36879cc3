/*
 * A jobserver client for the tests, behaving as GNU make >= 4.4 and the Rust jobserver crate do
 * (docs/jobserver-clients.md), and the recipe that measures how many jobs run at once.
 *
 *   jobserver-client run [--open split|rdwr] [--wait pselect|poll] --jobs K --out DIR --state DIR
 *                        --sleep MS --name NAME [--stamp FILE]
 *     Finds the jobserver as the crate does: the first of CARGO_MAKEFLAGS, MAKEFLAGS, MFLAGS that
 *     is set, its last --jobserver-auth= (--jobserver-fds= when there is none). fifo:PATH is opened
 *     O_RDONLY then O_WRONLY (split: make 4.4) or O_RDWR twice (rdwr: the crate); R,W descriptors
 *     are checked with fcntl(F_GETFD) (make 4.3). The read side is set O_NONBLOCK with fcntl after
 *     open, as make does. Runs K jobs (DIR/NAME-I, skipping those that exist): the first on the
 *     implicit slot, each other one on a token read from the pool. It waits with pselect (SIGCHLD
 *     unblocked only inside it, make's way) or poll (a SIGCHLD self-pipe), then reads one byte
 *     non-blocking; EAGAIN (another client took it) means wait again, 0 bytes is a lost jobserver.
 *     Each job is a forked child (the `job` below); when it ends, its token's byte is written back.
 *     Exit 0 when every job succeeded (then writes --stamp), 1 otherwise, 2 on a jobserver error.
 *
 *   jobserver-client job TARGET STATEDIR MS
 *     A recipe: registers itself as running (STATEDIR/run/PID holding its start time), counts the
 *     registered jobs that still run (a pid whose /proc entry is gone, a zombie, or a later process
 *     with the same pid does not count), keeps the largest count in STATEDIR/max, sleeps MS,
 *     unregisters, then writes TARGET (atomically: a killed job leaves no target). Every step on
 *     STATEDIR happens under flock(STATEDIR/lock), so counts are exact at each job's start.
 *
 * Built by the tests with gcc into a temporary directory.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- the recipe ---- */

/* Field 22 of /proc/PID/stat (start time), and its state in *state; 0 when there is no such process. */
static unsigned long long proc_start(long pid, char *state) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  char *p = strrchr(buf, ')'); /* comm may hold anything */
  if (!p) return 0;
  p += 2;
  if (state) *state = *p;
  for (int field = 3; field < 22; field++) {
    p = strchr(p, ' ');
    if (!p) return 0;
    p++;
  }
  return strtoull(p, NULL, 10);
}

static void die(const char *what) {
  fprintf(stderr, "jobserver-client[%d]: %s: %s\n", getpid(), what, strerror(errno));
  exit(2);
}

static void sleep_ms(long ms) {
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}

static int lock_state(const char *state) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/lock", state);
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) die("open lock");
  while (flock(fd, LOCK_EX) < 0)
    if (errno != EINTR) die("flock");
  return fd;
}

/* Registered jobs that still run (the caller holds the lock); stale entries are removed. */
static int count_running(const char *state) {
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s/run", state);
  DIR *d = opendir(dir);
  if (!d) die("opendir run");
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[PATH_MAX + 256], buf[64] = { 0 };
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t r = read(fd, buf, sizeof buf - 1);
    close(fd);
    char st = '?';
    unsigned long long registered = r > 0 ? strtoull(buf, NULL, 10) : 0;
    unsigned long long now = proc_start(strtol(e->d_name, NULL, 10), &st);
    if (now && now == registered && st != 'Z')
      n++;
    else
      unlink(path);
  }
  closedir(d);
  return n;
}

static void write_file(const char *path, const char *text) {
  char tmp[PATH_MAX];
  snprintf(tmp, sizeof tmp, "%s.tmp%d", path, getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) die("open output");
  if (write(fd, text, strlen(text)) < 0) die("write output");
  close(fd);
  if (rename(tmp, path) < 0) die("rename output");
}

static int job_main(const char *target, const char *state, long ms) {
  char me[PATH_MAX], text[64];
  snprintf(me, sizeof me, "%s/run/%d", state, getpid());
  int lock = lock_state(state);
  snprintf(text, sizeof text, "%llu\n", proc_start(getpid(), NULL));
  int fd = open(me, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, text, strlen(text)) < 0) die("register");
  close(fd);
  int running = count_running(state);
  char maxpath[PATH_MAX], buf[32] = { 0 };
  snprintf(maxpath, sizeof maxpath, "%s/max", state);
  fd = open(maxpath, O_RDONLY | O_CLOEXEC);
  int max = 0;
  if (fd >= 0) {
    if (read(fd, buf, sizeof buf - 1) > 0) max = atoi(buf);
    close(fd);
  }
  if (running > max) {
    snprintf(buf, sizeof buf, "%d\n", running);
    write_file(maxpath, buf);
  }
  close(lock);
  sleep_ms(ms);
  lock = lock_state(state);
  unlink(me);
  close(lock);
  snprintf(text, sizeof text, "%d\n", getpid());
  write_file(target, text);
  return 0;
}

/* ---- the client ---- */

static int rfd = -1, wfd = -1;
static int sigpipe_fds[2] = { -1, -1 };
static volatile sig_atomic_t children_ended;

static void on_sigchld(int sig) {
  (void)sig;
  children_ended = 1;
  if (sigpipe_fds[1] >= 0) {
    int saved = errno;
    (void)!write(sigpipe_fds[1], "c", 1);
    errno = saved;
  }
}

/* The jobserver's auth string, as the Rust crate finds it: first variable set, last option. */
static const char *find_auth(char *out, size_t size) {
  const char *vars[] = { "CARGO_MAKEFLAGS", "MAKEFLAGS", "MFLAGS" };
  const char *v = NULL;
  for (int i = 0; i < 3 && !v; i++) v = getenv(vars[i]);
  if (!v) return NULL;
  const char *opts[] = { "--jobserver-auth=", "--jobserver-fds=" };
  for (int i = 0; i < 2; i++) {
    const char *last = NULL, *p = v;
    while ((p = strstr(p, opts[i]))) last = p += strlen(opts[i]);
    if (!last) continue;
    size_t n = strcspn(last, " ");
    if (n >= size) return NULL;
    memcpy(out, last, n);
    out[n] = 0;
    return out;
  }
  return NULL;
}

static void set_nonblocking(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) die("fcntl(O_NONBLOCK)");
}

static void connect_jobserver(const char *open_style) {
  char auth[PATH_MAX];
  if (!find_auth(auth, sizeof auth)) {
    fprintf(stderr, "jobserver-client: no jobserver in CARGO_MAKEFLAGS/MAKEFLAGS/MFLAGS\n");
    exit(2);
  }
  if (strncmp(auth, "fifo:", 5) == 0) {
    const char *path = auth + 5;
    if (strcmp(open_style, "rdwr") == 0) {
      rfd = open(path, O_RDWR | O_CLOEXEC);
      wfd = open(path, O_RDWR | O_CLOEXEC);
    } else {
      rfd = open(path, O_RDONLY | O_CLOEXEC);
      wfd = open(path, O_WRONLY | O_CLOEXEC);
    }
    if (rfd < 0 || wfd < 0) die(path);
  } else if (sscanf(auth, "%d,%d", &rfd, &wfd) == 2) {
    if (rfd < 0 || wfd < 0 || fcntl(rfd, F_GETFD) < 0 || fcntl(wfd, F_GETFD) < 0) {
      fprintf(stderr, "jobserver-client: descriptors %s are not open\n", auth);
      exit(2);
    }
  } else {
    fprintf(stderr, "jobserver-client: invalid --jobserver-auth '%s'\n", auth);
    exit(2);
  }
  set_nonblocking(rfd);
}

/*
 * Waits until the pool's read side is readable or a child ended. Returns 1 when a token byte was
 * read into *byte, 0 when woken for another reason (a child ended, the token was sniped).
 */
static int try_acquire(int use_poll, const sigset_t *unblocked, unsigned char *byte) {
  if (use_poll) {
    struct pollfd p[2] = { { rfd, POLLIN, 0 }, { sigpipe_fds[0], POLLIN, 0 } };
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) return 0;
      die("poll");
    }
    if (p[1].revents) {
      char drain[64];
      while (read(sigpipe_fds[0], drain, sizeof drain) > 0) {
      }
    }
    if (!(p[0].revents & POLLIN)) return 0;
  } else {
    fd_set set;
    FD_ZERO(&set);
    FD_SET(rfd, &set);
    if (pselect(rfd + 1, &set, NULL, NULL, NULL, unblocked) < 0) {
      if (errno == EINTR) return 0; /* SIGCHLD */
      die("pselect");
    }
  }
  ssize_t n = read(rfd, byte, 1);
  if (n == 1) return 1;
  if (n == 0) {
    fprintf(stderr, "jobserver-client: early end of file on the jobserver\n");
    exit(2);
  }
  if (errno == EAGAIN || errno == EINTR) return 0;
  die("read jobserver");
  return 0;
}

struct job {
  pid_t pid;
  int implicit;
  unsigned char byte;
};

static int run_main(int argc, char **argv) {
  const char *open_style = "split", *wait_style = "pselect", *out = NULL, *state = NULL, *name = "job", *stamp = NULL;
  int jobs = 1;
  long ms = 10;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) break;
    if (!strcmp(a, "--open")) open_style = v;
    else if (!strcmp(a, "--wait")) wait_style = v;
    else if (!strcmp(a, "--jobs")) jobs = atoi(v);
    else if (!strcmp(a, "--out")) out = v;
    else if (!strcmp(a, "--state")) state = v;
    else if (!strcmp(a, "--sleep")) ms = atol(v);
    else if (!strcmp(a, "--name")) name = v;
    else if (!strcmp(a, "--stamp")) stamp = v;
    else break;
    i++;
  }
  if (!out || !state || jobs < 1) {
    fprintf(stderr, "usage: jobserver-client run [--open split|rdwr] [--wait pselect|poll] --jobs K --out DIR --state DIR --sleep MS --name NAME [--stamp FILE]\n");
    return 2;
  }
  int use_poll = !strcmp(wait_style, "poll");
  connect_jobserver(open_style);

  /* SIGCHLD: blocked everywhere but inside pselect (make's way), or written to a self-pipe for poll */
  sigset_t chld, unblocked;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  if (use_poll) {
    if (pipe2(sigpipe_fds, O_CLOEXEC | O_NONBLOCK) < 0) die("pipe");
  } else {
    sigprocmask(SIG_BLOCK, &chld, &unblocked);
    sigdelset(&unblocked, SIGCHLD);
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigchld;
  sigaction(SIGCHLD, &sa, NULL);

  struct job *running = calloc((size_t)jobs, sizeof *running);
  int nrunning = 0, next = 0, failed = 0, implicit_free = 1;
  char target[PATH_MAX];
  for (;;) {
    /* reap ended jobs, giving back their tokens */
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      for (int i = 0; i < nrunning; i++) {
        if (running[i].pid != pid) continue;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failed++;
        if (running[i].implicit) implicit_free = 1;
        else if (write(wfd, &running[i].byte, 1) != 1) die("write jobserver");
        running[i] = running[--nrunning];
        break;
      }
    }
    children_ended = 0;
    while (next < jobs) {
      snprintf(target, sizeof target, "%s/%s-%d", out, name, next);
      if (access(target, F_OK) != 0) break;
      next++; /* built by an earlier run */
    }
    if (next == jobs && nrunning == 0) break;
    if (next == jobs) {
      /* nothing to start: wait for a child */
      if (use_poll) {
        struct pollfd p = { sigpipe_fds[0], POLLIN, 0 };
        if (!children_ended) poll(&p, 1, -1);
        char drain[64];
        while (read(sigpipe_fds[0], drain, sizeof drain) > 0) {
        }
      } else if (!children_ended) {
        sigsuspend(&unblocked);
      }
      continue;
    }
    struct job j = { 0, 0, 0 };
    if (implicit_free) {
      j.implicit = 1;
      implicit_free = 0;
    } else if (!try_acquire(use_poll, &unblocked, &j.byte)) {
      continue;
    }
    pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
      /* a job holds no descriptor of the pool (make marks them close-on-exec) */
      close(rfd);
      close(wfd);
      sigprocmask(SIG_UNBLOCK, &chld, NULL);
      signal(SIGCHLD, SIG_DFL);
      _exit(job_main(target, state, ms));
    }
    j.pid = pid;
    running[nrunning++] = j;
    next++;
  }
  if (!failed && stamp) write_file(stamp, "ok\n");
  return failed ? 1 : 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc >= 5 && !strcmp(argv[1], "job")) return job_main(argv[2], argv[3], atol(argv[4]));
  if (argc >= 2 && !strcmp(argv[1], "run")) return run_main(argc, argv);
  fprintf(stderr, "usage: jobserver-client job TARGET STATEDIR MS | run ...\n");
  return 2;
}
