/*
 * The reference for `npm run bench`: the smallest libfuse3 low-level filesystem that answers what
 * the benchmark does — one file, /sink, whose writes are accepted whole — run with libfuse's
 * multithreaded loop. Usage: ref_fs MOUNTPOINT [-s] (-s: single-threaded loop).
 */
#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SINK_INO 2

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

static void ref_lookup(fuse_req_t req, fuse_ino_t parent, const char *name) {
  if (parent != FUSE_ROOT_ID || strcmp(name, "sink") != 0) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  struct fuse_entry_param e;
  memset(&e, 0, sizeof e);
  e.ino = SINK_INO;
  fill_attr(SINK_INO, &e.attr);
  fuse_reply_entry(req, &e);
}

static void ref_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  (void)fi;
  struct stat st;
  fill_attr(ino, &st);
  fuse_reply_attr(req, &st, 0);
}

static void ref_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  if (ino != SINK_INO) {
    fuse_reply_err(req, EISDIR);
    return;
  }
  fi->direct_io = 1; /* as ipcfs' files: every write reaches the daemon */
  fuse_reply_open(req, fi);
}

static void ref_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
                      struct fuse_file_info *fi) {
  (void)ino; (void)buf; (void)off; (void)fi;
  fuse_reply_write(req, size);
}

static const struct fuse_lowlevel_ops ops = {
    .lookup = ref_lookup,
    .getattr = ref_getattr,
    .open = ref_open,
    .write = ref_write,
};

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s MOUNTPOINT [-s]\n", argv[0]);
    return 2;
  }
  int single = argc > 2 && strcmp(argv[2], "-s") == 0;
  char *fargv[] = {argv[0], NULL};
  struct fuse_args args = FUSE_ARGS_INIT(1, fargv);
  struct fuse_session *se = fuse_session_new(&args, &ops, sizeof ops, NULL);
  if (!se || fuse_set_signal_handlers(se) != 0 || fuse_session_mount(se, argv[1]) != 0) return 1;
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
