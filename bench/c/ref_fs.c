/*
 * The reference for `npm run bench`: the smallest libfuse3 low-level filesystem that does what the
 * benchmark asks of ipcfs.
 *
 *   /sink  every write is accepted whole at once (the write round trip);
 *   /sem   a write starting with "wait" blocks until a write starting with "post" (from any process)
 *          releases it; a post with nobody waiting is remembered. The post's handler answers the
 *          waiter first, then the poster (the wake-up reference). A signal to a waiter (FUSE
 *          INTERRUPT) ends its write with EINTR.
 *
 * Usage: ref_fs MOUNTPOINT [-s] [--open-flags N] [-o OPTIONS]
 *   -s             libfuse's single-threaded loop (default: its multithreaded loop)
 *   --open-flags   the FOPEN_* bits answered to OPEN (the bench passes those of ipcfs's semaphore
 *                  files); sent raw, because libfuse 3.14's fuse_file_info has no bit for
 *                  FOPEN_STREAM or FOPEN_PARALLEL_DIRECT_WRITES
 *   -o             mount options, as for any libfuse filesystem
 * The init answer asks for what ipcfs asks for (fs/fuse/session.ts WANTED_INIT_FLAGS) as far as
 * libfuse lets it, and the same max_write.
 */
#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define SINK_INO 2
/* /sem gets a fresh node id per LOOKUP (entry_valid 0), as ipcfs's files do: each open then has
 * its own kernel inode, and a blocked write (holding that inode's lock) never holds up another
 * process's post. */
#define SEM_INO 1000
static fuse_ino_t next_sem_ino = SEM_INO;
#define IS_SEM(ino) ((ino) >= SEM_INO)
#define MAX_WAITERS 1024

static uint32_t open_flags;

/* The blocked "wait" writes, oldest first, and posts not yet taken. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static fuse_req_t waiters[MAX_WAITERS];
static size_t nwaiters;
static unsigned long posts;

/* struct fuse_open_out of <linux/fuse.h> */
struct open_out {
  uint64_t fh;
  uint32_t open_flags;
  int32_t backing_id;
};

static void fill_attr(fuse_ino_t ino, struct stat *st) {
  memset(st, 0, sizeof *st);
  st->st_ino = ino;
  if (ino == FUSE_ROOT_ID) {
    st->st_mode = S_IFDIR | 0755;
    st->st_nlink = 2;
  } else {
    st->st_mode = S_IFREG | 0666;
    st->st_nlink = 1;
  }
}

static void ref_init(void *userdata, struct fuse_conn_info *conn) {
  (void)userdata;
  conn->want = conn->capable & FUSE_CAP_PARALLEL_DIROPS;
  conn->max_write = 128 * 1024;
}

static void ref_lookup(fuse_req_t req, fuse_ino_t parent, const char *name) {
  fuse_ino_t ino = 0;
  if (strcmp(name, "sink") == 0) ino = SINK_INO;
  if (strcmp(name, "sem") == 0) ino = __atomic_fetch_add(&next_sem_ino, 1, __ATOMIC_RELAXED);
  if (parent != FUSE_ROOT_ID || !ino) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  struct fuse_entry_param e;
  memset(&e, 0, sizeof e);
  e.ino = ino;
  fill_attr(ino, &e.attr);
  fuse_reply_entry(req, &e);
}

static void ref_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  (void)fi;
  struct stat st;
  fill_attr(ino, &st);
  fuse_reply_attr(req, &st, 0);
}

/* shell redirections truncate (O_TRUNC): accepted, nothing changes */
static void ref_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set, struct fuse_file_info *fi) {
  (void)attr; (void)to_set; (void)fi;
  struct stat st;
  fill_attr(ino, &st);
  fuse_reply_attr(req, &st, 0);
}

static void ref_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  (void)fi;
  if (ino != SINK_INO && !IS_SEM(ino)) {
    fuse_reply_err(req, EISDIR);
    return;
  }
  struct open_out out = {.fh = ino, .open_flags = open_flags};
  struct iovec iov = {.iov_base = &out, .iov_len = sizeof out};
  fuse_reply_iov(req, &iov, 1);
}

static int take_waiter(fuse_req_t req) {
  for (size_t i = 0; i < nwaiters; i++) {
    if (waiters[i] == req) {
      memmove(&waiters[i], &waiters[i + 1], (nwaiters - i - 1) * sizeof *waiters);
      nwaiters--;
      return 1;
    }
  }
  return 0;
}

static void on_interrupt(fuse_req_t req, void *data) {
  (void)data;
  pthread_mutex_lock(&lock);
  int mine = take_waiter(req);
  pthread_mutex_unlock(&lock);
  if (mine) fuse_reply_err(req, EINTR);
}

static void ref_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
                      struct fuse_file_info *fi) {
  (void)off; (void)fi;
  if (!IS_SEM(ino)) {
    fuse_reply_write(req, size);
    return;
  }
  if (size >= 4 && memcmp(buf, "wait", 4) == 0) {
    pthread_mutex_lock(&lock);
    if (posts > 0) {
      posts--;
      pthread_mutex_unlock(&lock);
      fuse_reply_write(req, size);
      return;
    }
    if (nwaiters == MAX_WAITERS) {
      pthread_mutex_unlock(&lock);
      fuse_reply_err(req, EAGAIN);
      return;
    }
    waiters[nwaiters++] = req;
    pthread_mutex_unlock(&lock);
    /* may call on_interrupt at once (the interrupt came first), which answers EINTR */
    fuse_req_interrupt_func(req, on_interrupt, NULL);
    return;
  }
  if (size >= 4 && memcmp(buf, "post", 4) == 0) {
    fuse_req_t waiter = NULL;
    pthread_mutex_lock(&lock);
    if (nwaiters > 0) {
      waiter = waiters[0];
      take_waiter(waiter);
    } else {
      posts++;
    }
    pthread_mutex_unlock(&lock);
    if (waiter) fuse_reply_write(waiter, 4);
    fuse_reply_write(req, size);
    return;
  }
  fuse_reply_err(req, EINVAL);
}

static const struct fuse_lowlevel_ops ops = {
    .init = ref_init,
    .lookup = ref_lookup,
    .getattr = ref_getattr,
    .setattr = ref_setattr,
    .open = ref_open,
    .write = ref_write,
};

int main(int argc, char **argv) {
  const char *mountpoint = NULL;
  int single = 0;
  char *fargv[8] = {argv[0]};
  int fargc = 1;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-s") == 0) {
      single = 1;
    } else if (strcmp(argv[i], "--open-flags") == 0 && i + 1 < argc) {
      open_flags = (uint32_t)strtoul(argv[++i], NULL, 0);
    } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc && fargc < 6) {
      fargv[fargc++] = argv[i];
      fargv[fargc++] = argv[++i];
    } else if (!mountpoint && argv[i][0] != '-') {
      mountpoint = argv[i];
    } else {
      fprintf(stderr, "usage: %s MOUNTPOINT [-s] [--open-flags N] [-o OPTIONS]\n", argv[0]);
      return 2;
    }
  }
  if (!mountpoint) {
    fprintf(stderr, "usage: %s MOUNTPOINT [-s] [--open-flags N] [-o OPTIONS]\n", argv[0]);
    return 2;
  }
  struct fuse_args args = FUSE_ARGS_INIT(fargc, fargv);
  struct fuse_session *se = fuse_session_new(&args, &ops, sizeof ops, NULL);
  if (!se || fuse_set_signal_handlers(se) != 0 || fuse_session_mount(se, mountpoint) != 0) return 1;
  int rc;
  if (single) {
    rc = fuse_session_loop(se);
  } else {
    struct fuse_loop_config cfg = {.clone_fd = 0, .max_idle_threads = 10};
    rc = fuse_session_loop_mt(se, &cfg);
  }
  fuse_session_unmount(se);
  fuse_remove_signal_handlers(se);
  fuse_session_destroy(se);
  return rc ? 1 : 0;
}
