/*
 * The few system calls Node does not expose, for the FUSE session and mount:
 *
 *  - poll a character device (/dev/fuse) on the main loop's epoll, so a request
 *    is read on the thread that handles it (no threadpool hop, see
 *    shared/notes/fuse-facts.md), through libuv's public uv_poll_t, and read the
 *    first request of a wake-up before entering JS;
 *  - read/write that report errno as a negative return instead of throwing,
 *    because EAGAIN (queue empty) and ENOENT (reply to an interrupted request)
 *    are ordinary on /dev/fuse and happen on the hot path;
 *  - socketpair(2) and recvmsg(2) with SCM_RIGHTS, to receive the /dev/fuse fd
 *    that fusermount3 sends over _FUSE_COMMFD for an unprivileged mount;
 *  - early replies (early_replies.h): a blocked request answered from the read
 *    path, before JavaScript runs, when the command it waits for arrives;
 *  - memfd_create(2), the memory behind a shared-memory object, and the
 *    FUSE_DEV_IOC_BACKING_OPEN/CLOSE ioctls on /dev/fuse that register it as
 *    the backing file of passthrough opens (FUSE 7.40; needs CAP_SYS_ADMIN);
 *  - an exit watch on a pidfd (the main loop wakes when that process ends: a
 *    jobserver holder's tokens come back with no polling), PR_SET_CHILD_SUBREAPER
 *    and a non-blocking waitpid, for `ipcfs jobserver` to adopt and reap the jobs
 *    of a make that was killed.
 *
 * Everything else stays in TypeScript.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "early_replies.h"

#define CHECK(call)                                                            \
  do {                                                                         \
    if ((call) != napi_ok) {                                                   \
      napi_throw_error(env, NULL, "ipcfs_native: " #call " failed");           \
      return NULL;                                                             \
    }                                                                          \
  } while (0)

static napi_value make_int(napi_env env, int64_t v) {
  napi_value out;
  napi_create_int64(env, v, &out);
  return out;
}

static int arg_int(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok;
}

/* read(fd, buffer) -> bytes read, or -errno */
static napi_value js_read(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  void *data;
  size_t len;
  if (argc < 2 || !arg_int(env, argv[0], &fd) ||
      napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "read(fd, buffer)");
    return NULL;
  }
  ssize_t n;
  do {
    n = read(fd, data, len);
  } while (n < 0 && errno == EINTR);
  return make_int(env, n < 0 ? -errno : n);
}

/* write(fd, buffer, length) -> bytes written, or -errno */
static napi_value js_write(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd, want;
  void *data;
  size_t len;
  if (argc < 3 || !arg_int(env, argv[0], &fd) ||
      napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok ||
      !arg_int(env, argv[2], &want) || want < 0 || (size_t)want > len) {
    napi_throw_type_error(env, NULL, "write(fd, buffer, length)");
    return NULL;
  }
  ssize_t n;
  do {
    n = write(fd, data, (size_t)want);
  } while (n < 0 && errno == EINTR);
  return make_int(env, n < 0 ? -errno : n);
}

/* setNonBlocking(fd) -> 0 or -errno */
static napi_value js_set_nonblocking(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  if (argc < 1 || !arg_int(env, argv[0], &fd)) {
    napi_throw_type_error(env, NULL, "setNonBlocking(fd)");
    return NULL;
  }
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
    return make_int(env, -errno);
  return make_int(env, 0);
}

/* socketPair() -> [fd, fd] (AF_UNIX, SOCK_STREAM, close-on-exec) or -errno */
static napi_value js_socketpair(napi_env env, napi_callback_info info) {
  (void)info;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return make_int(env, -errno);
  napi_value arr;
  CHECK(napi_create_array_with_length(env, 2, &arr));
  CHECK(napi_set_element(env, arr, 0, make_int(env, sv[0])));
  CHECK(napi_set_element(env, arr, 1, make_int(env, sv[1])));
  return arr;
}

/*
 * recvFd(sock) -> the fd carried by one SCM_RIGHTS message (close-on-exec),
 * or -errno; -ECONNRESET when the peer closed without sending one.
 */
static napi_value js_recv_fd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t sock;
  if (argc < 1 || !arg_int(env, argv[0], &sock)) {
    napi_throw_type_error(env, NULL, "recvFd(sock)");
    return NULL;
  }
  char byte;
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } control;
  memset(&control, 0, sizeof control);
  struct msghdr msg = {0};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof control.buf;
  ssize_t n;
  do {
    n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return make_int(env, -errno);
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
        c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int fd;
      memcpy(&fd, CMSG_DATA(c), sizeof fd);
      return make_int(env, fd);
    }
  }
  return make_int(env, -ECONNRESET);
}

/* A uv_poll_t watching one fd for readability, calling back into JS. */
typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context async;
  napi_ref buffer_ref; /* the JS Buffer requests are read into (kept alive while used) */
  napi_ref early_ref;  /* the early-reply table's JS handle (kept alive while used), or NULL */
  early_table_t *early;
  void *buffer;
  size_t buffer_len;
  int fd;
  int64_t spin_max_ns; /* the longest busy-poll after a wake-up (--busy-poll-us; 0 = off) */
  int64_t spin_ns;     /* the busy-poll of the next wake-up: adapts within [0, spin_max_ns] */
  int64_t slept_at;    /* when the loop last went to sleep in epoll (0: never, or off) */
  int one_cpu;       /* the process may run on one CPU only (taskset): yield while spinning */
  int closed;        /* pollStop ran */
  int handle_closed; /* libuv finished closing the handle */
  int collected;     /* the JS handle was garbage collected */
} poller_t;

/* The struct is freed only once libuv and the JS handle both let go of it. */
static void on_closed(uv_handle_t *h) {
  poller_t *p = (poller_t *)h->data;
  p->handle_closed = 1;
  if (p->collected) free(p);
}

static void on_collected(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  poller_t *p = (poller_t *)data;
  p->collected = 1;
  if (p->handle_closed) free(p);
}

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void call_js(poller_t *p, int64_t result, uint64_t answered);

/*
 * Reads one request into the JS buffer and hands JS the result, or returns 0 without entering JS
 * when the device has nothing (a spurious wake-up, or a request interrupted between poll and read).
 * Reading here rather than from JS takes one N-API call off the path from a client's request to its
 * reply; JS reads any further requests of the burst itself (native.read). libuv reports POLLERR as
 * status UV_EBADF (and stops watching): the read then tells why (ENODEV once unmounted,
 * ECONNABORTED once aborted); if it has nothing to say, JS gets the status. A request that fires an
 * early reply has it written first; JS then gets the answered request's unique with the request.
 */
static int read_and_call(poller_t *p, int status) {
  ssize_t n;
  do {
    n = read(p->fd, p->buffer, p->buffer_len);
  } while (n < 0 && errno == EINTR);
  if (n < 0) n = -errno;
  if (n == -EAGAIN || n == -ENOENT) {
    if (status == 0) return 0;
    n = status;
  }
  uint64_t answered = 0;
  int32_t slot = n > 0 && p->early ? early_match(p->early, p->buffer, (size_t)n) : -1;
  if (slot >= 0) {
    const early_slot_t *s = early_fire(p->early, slot);
    ssize_t w;
    do {
      w = write(p->fd, s->reply, s->reply_len);
    } while (w < 0 && errno == EINTR);
    /* Sent, or refused with ENOENT (the request is gone): either way JS would have done the same. */
    answered = s->unique;
  }
  call_js(p, n, answered);
  return 1;
}

/* The first busy-poll after sleeping proved too short; doubled from there up to spin_max_ns. */
#define SPIN_GROW_START_NS 10000

/*
 * Adapts the busy-poll to how soon requests follow, as KVM's halt polling does (virt/kvm's
 * grow_halt_poll_ns, shrink_halt_poll_ns): woken blocked_ns after going to sleep, a spin that
 * much longer, within spin_max_ns, would have found the request awake: the next spin doubles.
 * A request that came later than any spin could wait shows that sleeping was right: the next
 * spin halves, down to none. Ping-pong clients (a semaphore handed back and forth) keep the full
 * spin; a build whose makes ask every few milliseconds stops spinning, so the CPU the spins
 * would burn goes to its compilers (npm run bench, the jobserver build).
 */
static int64_t next_spin_ns(int64_t spin_ns, int64_t max_ns, int64_t blocked_ns) {
  if (blocked_ns < 0 || max_ns <= 0) return spin_ns;
  if (blocked_ns + spin_ns <= max_ns) {
    int64_t grown = spin_ns ? spin_ns * 2 : SPIN_GROW_START_NS;
    return grown < max_ns ? grown : max_ns;
  }
  if (blocked_ns > max_ns) return spin_ns / 2 < SPIN_GROW_START_NS ? 0 : spin_ns / 2;
  return spin_ns;
}

/*
 * After the JS side has drained the device, keep polling it (non-blocking) for spin_ns before
 * going back to epoll. A client usually sends its next request within microseconds of our reply;
 * finding the daemon awake saves a cross-CPU wake-up, which on virtual machines costs tens of
 * microseconds (see shared/notes/fuse-facts.md). Bounded, only after activity, and only as long
 * as it pays (next_spin_ns): an idle daemon sleeps in epoll as before. A daemon allowed one CPU
 * only yields on each empty poll, so a client on that CPU is never starved by the spin.
 */
static void on_readable(uv_poll_t *h, int status, int events) {
  poller_t *p = (poller_t *)h->data;
  (void)events;
  if (p->slept_at) p->spin_ns = next_spin_ns(p->spin_ns, p->spin_max_ns, mono_ns() - p->slept_at);
  read_and_call(p, status);
  if (status != 0 || p->spin_max_ns <= 0) return;
  int64_t deadline = mono_ns() + p->spin_ns;
  int64_t now = deadline - p->spin_ns;
  while (!p->closed && now < deadline) {
    struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
    if (poll(&pfd, 1, 0) > 0) {
      /* POLLERR/POLLHUP: the read reports why (ENODEV, ECONNABORTED) */
      if (read_and_call(p, 0)) deadline = mono_ns() + p->spin_ns;
    } else if (p->one_cpu) {
      /* Pinned to one CPU: let a client that shares it run (the one we just answered, or a
       * waiter we woke); without this the spin takes their time slice. With more CPUs the
       * clients run elsewhere, and a yield would hand our CPU to unrelated work. */
      sched_yield();
    }
    now = mono_ns();
  }
  p->slept_at = p->closed ? 0 : now;
}

static void call_js(poller_t *p, int64_t result, uint64_t answered) {
  napi_env env = p->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, args[2];
  napi_get_reference_value(env, p->callback, &cb);
  napi_get_global(env, &recv); /* napi_make_callback wants an object receiver */
  napi_create_int64(env, result, &args[0]);
  napi_create_double(env, (double)answered, &args[1]);
  /* napi_make_callback drains the microtask queue afterwards, so promise
   * continuations of the handlers run before the loop sleeps again. An
   * exception thrown by the callback reaches process 'uncaughtException'. */
  if (napi_make_callback(env, p->async, recv, cb, 2, args, NULL) == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
}

/* Points the poller at a Buffer (napi_ref keeps it alive); 0, or -1 if it is not a Buffer. */
static int set_buffer(poller_t *p, napi_value buf) {
  void *data;
  size_t len;
  if (napi_get_buffer_info(p->env, buf, &data, &len) != napi_ok || len == 0) return -1;
  napi_ref ref;
  if (napi_create_reference(p->env, buf, 1, &ref) != napi_ok) return -1;
  if (p->buffer_ref) napi_delete_reference(p->env, p->buffer_ref);
  p->buffer_ref = ref;
  p->buffer = data;
  p->buffer_len = len;
  return 0;
}

static void poller_stop(poller_t *p) {
  if (p->closed) return;
  p->closed = 1;
  uv_poll_stop(&p->poll);
  if (p->buffer_ref) napi_delete_reference(p->env, p->buffer_ref);
  p->buffer_ref = NULL;
  if (p->early_ref) napi_delete_reference(p->env, p->early_ref);
  p->early_ref = NULL;
  p->early = NULL;
  napi_delete_reference(p->env, p->callback);
  napi_async_destroy(p->env, p->async);
  uv_close((uv_handle_t *)&p->poll, on_closed);
}

/*
 * pollStart(fd, buffer, callback(result, answered), spinMicros, earlyTable?) -> handle. When fd is
 * readable, one request is read into buffer and callback gets the read's result: the length (> 0),
 * 0 (end of file) or -errno (a libuv error too), and the unique of the request an early reply of
 * earlyTable answered because of it (0: none); again while fd keeps becoming readable within
 * the busy-poll of the last call (at most spinMicros; next_spin_ns).
 */
static napi_value js_poll_start(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  napi_valuetype t;
  bool is_buffer = false;
  if (argc < 3 || !arg_int(env, argv[0], &fd) ||
      napi_is_buffer(env, argv[1], &is_buffer) != napi_ok || !is_buffer ||
      napi_typeof(env, argv[2], &t) != napi_ok || t != napi_function) {
    napi_throw_type_error(env, NULL, "pollStart(fd, buffer, callback, spinMicros)");
    return NULL;
  }
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  poller_t *p = calloc(1, sizeof *p);
  if (!p) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  p->env = env;
  p->fd = fd;
  int32_t spin_us = 0;
  if (argc >= 4) arg_int(env, argv[3], &spin_us);
  if (set_buffer(p, argv[1]) != 0) {
    free(p);
    napi_throw_type_error(env, NULL, "pollStart: empty buffer");
    return NULL;
  }
  napi_valuetype tt = napi_undefined;
  if (argc >= 5) napi_typeof(env, argv[4], &tt);
  if (tt == napi_external) {
    void *table;
    napi_get_value_external(env, argv[4], &table);
    p->early = table;
    napi_create_reference(env, argv[4], 1, &p->early_ref);
  }
  p->spin_max_ns = spin_us > 0 ? (int64_t)spin_us * 1000 : 0;
  p->spin_ns = p->spin_max_ns;
  cpu_set_t cpus;
  p->one_cpu = sched_getaffinity(0, sizeof cpus, &cpus) == 0 && CPU_COUNT(&cpus) == 1;
  p->poll.data = p;
  int rc = uv_poll_init(loop, &p->poll, fd);
  if (rc != 0) {
    napi_delete_reference(env, p->buffer_ref);
    if (p->early_ref) napi_delete_reference(env, p->early_ref);
    free(p);
    napi_throw_error(env, NULL, uv_strerror(rc));
    return NULL;
  }
  napi_value name;
  napi_create_string_utf8(env, "ipcfs:fuse-device", NAPI_AUTO_LENGTH, &name);
  napi_create_reference(env, argv[2], 1, &p->callback);
  napi_async_init(env, NULL, name, &p->async);
  rc = uv_poll_start(&p->poll, UV_READABLE, on_readable);
  if (rc != 0) {
    poller_stop(p);
    napi_throw_error(env, NULL, uv_strerror(rc));
    return NULL;
  }
  napi_value ext;
  CHECK(napi_create_external(env, p, on_collected, NULL, &ext));
  return ext;
}

/* pollSetBuffer(handle, buffer): read requests into buffer from now on (INIT settles its size). */
static napi_value js_poll_set_buffer(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *p;
  if (argc < 2 || napi_get_value_external(env, argv[0], &p) != napi_ok ||
      ((poller_t *)p)->closed || set_buffer((poller_t *)p, argv[1]) != 0) {
    napi_throw_type_error(env, NULL, "pollSetBuffer(live handle, non-empty buffer)");
    return NULL;
  }
  return NULL;
}

static void early_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  early_free((early_table_t *)data);
  free(data);
}

/* earlyTable() -> handle of an empty early-reply table (freed when the handle is collected) */
static napi_value js_early_table(napi_env env, napi_callback_info info) {
  (void)info;
  early_table_t *t = calloc(1, sizeof *t);
  if (!t) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  napi_value ext;
  if (napi_create_external(env, t, early_finalize, NULL, &ext) != napi_ok) {
    free(t);
    napi_throw_error(env, NULL, "earlyTable: napi_create_external failed");
    return NULL;
  }
  return ext;
}

static early_table_t *arg_table(napi_env env, napi_value v) {
  void *t;
  napi_valuetype type;
  if (napi_typeof(env, v, &type) != napi_ok || type != napi_external) return NULL;
  return napi_get_value_external(env, v, &t) == napi_ok ? t : NULL;
}

/*
 * earlySet(table, slot, reply, unique, command, [uid, cuid, gid, cgid, mode, want]) -> 0 or -1:
 * arms slot (reply null: disarms it; the rest is then ignored).
 */
static napi_value js_early_set(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  early_table_t *t = argc >= 3 ? arg_table(env, argv[0]) : NULL;
  uint32_t slot;
  if (!t || napi_get_value_uint32(env, argv[1], &slot) != napi_ok) {
    napi_throw_type_error(env, NULL, "earlySet(table, slot, reply, unique, command, rule)");
    return NULL;
  }
  napi_valuetype rt;
  napi_typeof(env, argv[2], &rt);
  if (rt == napi_null) return make_int(env, early_set(t, slot, NULL));
  early_slot_t s;
  memset(&s, 0, sizeof s);
  void *reply, *command;
  size_t reply_len, command_len;
  int64_t unique;
  uint32_t rule[6];
  bool is_array = false;
  int ok = argc >= 6 &&
           napi_get_buffer_info(env, argv[2], &reply, &reply_len) == napi_ok &&
           napi_get_value_int64(env, argv[3], &unique) == napi_ok && unique > 0 &&
           napi_get_buffer_info(env, argv[4], &command, &command_len) == napi_ok &&
           napi_is_array(env, argv[5], &is_array) == napi_ok && is_array &&
           reply_len <= EARLY_REPLY_MAX && command_len <= EARLY_COMMAND_MAX;
  for (uint32_t i = 0; ok && i < 6; i++) {
    napi_value e;
    ok = napi_get_element(env, argv[5], i, &e) == napi_ok && napi_get_value_uint32(env, e, &rule[i]) == napi_ok;
  }
  if (!ok) {
    napi_throw_type_error(env, NULL, "earlySet(table, slot, reply, unique, command, [uid, cuid, gid, cgid, mode, want])");
    return NULL;
  }
  s.unique = (uint64_t)unique;
  s.reply_len = (uint32_t)reply_len;
  memcpy(s.reply, reply, reply_len);
  s.command_len = (uint32_t)command_len;
  memcpy(s.command, command, command_len);
  s.rule = (early_rule_t){rule[0], rule[1], rule[2], rule[3], rule[4], rule[5]};
  return make_int(env, early_set(t, slot, &s));
}

/* earlyBind(table, fh, slot) -> 0 or -1: fh's writes may fire slot (slot -1: no more). */
static napi_value js_early_bind(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  early_table_t *t = argc >= 3 ? arg_table(env, argv[0]) : NULL;
  int64_t fh;
  int32_t slot;
  if (!t || napi_get_value_int64(env, argv[1], &fh) != napi_ok || fh < 0 || !arg_int(env, argv[2], &slot)) {
    napi_throw_type_error(env, NULL, "earlyBind(table, fh, slot)");
    return NULL;
  }
  return make_int(env, early_bind(t, (uint64_t)fh, slot));
}

/* earlyMatch(table, request, length) -> the slot the request would fire, or -1 (nothing fired). */
static napi_value js_early_match(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  early_table_t *t = argc >= 3 ? arg_table(env, argv[0]) : NULL;
  void *data;
  size_t len;
  int32_t want;
  if (!t || napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok || !arg_int(env, argv[2], &want) ||
      want < 0 || (size_t)want > len) {
    napi_throw_type_error(env, NULL, "earlyMatch(table, request, length)");
    return NULL;
  }
  return make_int(env, early_match(t, data, (size_t)want));
}

/* nextSpinNs(spinNs, maxNs, blockedNs) -> the next busy-poll (next_spin_ns), for tests */
static napi_value js_next_spin_ns(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t a[3];
  for (size_t i = 0; i < 3; i++) {
    if (i >= argc || napi_get_value_int64(env, argv[i], &a[i]) != napi_ok) {
      napi_throw_type_error(env, NULL, "nextSpinNs(spinNs, maxNs, blockedNs)");
      return NULL;
    }
  }
  napi_value out;
  CHECK(napi_create_int64(env, next_spin_ns(a[0], a[1], a[2]), &out));
  return out;
}

/* pollStop(handle): idempotent */
static napi_value js_poll_stop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *p;
  if (argc < 1 || napi_get_value_external(env, argv[0], &p) != napi_ok) {
    napi_throw_type_error(env, NULL, "pollStop(handle)");
    return NULL;
  }
  poller_stop((poller_t *)p);
  return NULL;
}

/*
 * FUSE passthrough (linux/fuse.h 7.40: struct fuse_backing_map and the device
 * ioctls). The machine's header is 7.38 and lacks them, so they are spelled
 * here exactly as the kernel's include/uapi/linux/fuse.h 7.45 has them; the
 * ABI probe checks them only against a header that has them.
 */
struct ipcfs_backing_map {
  int32_t fd;
  uint32_t flags;
  uint64_t padding;
};
#define IPCFS_DEV_IOC_MAGIC 229
#define IPCFS_DEV_IOC_BACKING_OPEN _IOW(IPCFS_DEV_IOC_MAGIC, 1, struct ipcfs_backing_map)
#define IPCFS_DEV_IOC_BACKING_CLOSE _IOW(IPCFS_DEV_IOC_MAGIC, 2, uint32_t)

/*
 * pidfdOpen(pid) -> a pidfd (close-on-exec) or -errno; pidfdSignal(fd, sig[, code, value, pid, uid])
 * -> 0 or -errno (ESRCH once that process is gone): with the four more arguments the signal carries
 * that siginfo (si_code, si_value as a 64-bit BigInt, si_pid, si_uid), as mq_notify's does. A pidfd names one process for good, as the kernel's struct pid
 * reference does: a notification (mq_notify) must never reach a later process that reuses the pid.
 */
static napi_value js_pidfd_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t pid;
  if (argc < 1 || !arg_int(env, argv[0], &pid) || pid <= 0) {
    napi_throw_type_error(env, NULL, "pidfdOpen(pid)");
    return NULL;
  }
  long fd = syscall(SYS_pidfd_open, (pid_t)pid, 0);
  return make_int(env, fd < 0 ? -errno : fd);
}

static napi_value js_pidfd_signal(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd, sig, code = 0, pid = 0, uid = 0;
  int64_t value = 0;
  bool lossless = true;
  int with_info = argc >= 6;
  if (argc < 2 || !arg_int(env, argv[0], &fd) || !arg_int(env, argv[1], &sig) ||
      (with_info && (!arg_int(env, argv[2], &code) || code >= 0 || code == SI_TKILL ||
                     napi_get_value_bigint_int64(env, argv[3], &value, &lossless) != napi_ok || !lossless ||
                     !arg_int(env, argv[4], &pid) || !arg_int(env, argv[5], &uid)))) {
    napi_throw_type_error(env, NULL, "pidfdSignal(fd, sig[, code < 0 (not SI_TKILL), value: bigint, pid, uid])");
    return NULL;
  }
  /* The kernel takes a caller's siginfo for another process only with a negative si_code other
   * than SI_TKILL (kill(2)'s SI_USER cannot be forged); SI_MESGQ is one, as __do_notify sends. */
  siginfo_t si;
  memset(&si, 0, sizeof si);
  si.si_signo = sig;
  si.si_code = code;
  si.si_pid = pid;
  si.si_uid = (uid_t)uid;
  si.si_value.sival_ptr = (void *)(intptr_t)value;
  long rc = syscall(SYS_pidfd_send_signal, fd, sig, with_info ? &si : NULL, 0);
  return make_int(env, rc < 0 ? -errno : 0);
}

/*
 * schedOf(tid) -> [policy, nice, rt_priority] of that thread (sched_getattr), or -errno (ESRCH:
 * gone). A waiter's place in a POSIX semaphore's or queue's list is its priority when it queues:
 * one system call, where reading /proc/TID/stat cost the daemon tens of microseconds per wait.
 */
struct ipcfs_sched_attr {
  uint32_t size, sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
  uint32_t sched_util_min, sched_util_max;
};

static napi_value js_sched_of(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t tid;
  if (argc < 1 || !arg_int(env, argv[0], &tid) || tid <= 0) {
    napi_throw_type_error(env, NULL, "schedOf(tid)");
    return NULL;
  }
  struct ipcfs_sched_attr a;
  memset(&a, 0, sizeof a);
  if (syscall(SYS_sched_getattr, (pid_t)tid, &a, (unsigned)sizeof a, 0u) < 0) return make_int(env, -errno);
  napi_value out;
  CHECK(napi_create_array_with_length(env, 3, &out));
  CHECK(napi_set_element(env, out, 0, make_int(env, (int32_t)a.sched_policy)));
  CHECK(napi_set_element(env, out, 1, make_int(env, a.sched_nice)));
  CHECK(napi_set_element(env, out, 2, make_int(env, (int32_t)a.sched_priority)));
  return out;
}

/* memfdCreate(name, sealable) -> fd (close-on-exec; MFD_ALLOW_SEALING if sealable) or -errno */
static napi_value js_memfd_create(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[250];
  size_t len;
  bool sealable = false;
  if (argc < 2 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok ||
      napi_get_value_bool(env, argv[1], &sealable) != napi_ok) {
    napi_throw_type_error(env, NULL, "memfdCreate(name, sealable)");
    return NULL;
  }
  int fd = memfd_create(name, MFD_CLOEXEC | (sealable ? MFD_ALLOW_SEALING : 0));
  return make_int(env, fd < 0 ? -errno : fd);
}

/* addSeals(fd, seals) -> 0 or -errno: fcntl(F_ADD_SEALS), e.g. F_SEAL_GROW | F_SEAL_SHRINK */
static napi_value js_add_seals(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd, seals;
  if (argc < 2 || !arg_int(env, argv[0], &fd) || !arg_int(env, argv[1], &seals)) {
    napi_throw_type_error(env, NULL, "addSeals(fd, seals)");
    return NULL;
  }
  int r = fcntl(fd, F_ADD_SEALS, seals);
  return make_int(env, r < 0 ? -errno : 0);
}

/* backingOpen(devFd, fd) -> backing id (> 0) or -errno (EPERM without CAP_SYS_ADMIN
 * or when INIT did not enable passthrough) */
static napi_value js_backing_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t dev, fd;
  if (argc < 2 || !arg_int(env, argv[0], &dev) || !arg_int(env, argv[1], &fd)) {
    napi_throw_type_error(env, NULL, "backingOpen(devFd, fd)");
    return NULL;
  }
  struct ipcfs_backing_map map = {.fd = fd, .flags = 0, .padding = 0};
  int id = ioctl(dev, IPCFS_DEV_IOC_BACKING_OPEN, &map);
  return make_int(env, id < 0 ? -errno : id);
}

/* backingClose(devFd, id) -> 0 or -errno */
static napi_value js_backing_close(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t dev, id;
  if (argc < 2 || !arg_int(env, argv[0], &dev) || !arg_int(env, argv[1], &id)) {
    napi_throw_type_error(env, NULL, "backingClose(devFd, id)");
    return NULL;
  }
  uint32_t bid = (uint32_t)id;
  int r = ioctl(dev, IPCFS_DEV_IOC_BACKING_CLOSE, &bid);
  return make_int(env, r < 0 ? -errno : r);
}

/*
 * exitWatch(pidfd, callback()) -> handle: callback runs once, on the main loop, when the process
 * of pidfd has ended (a pidfd polls readable then); exitUnwatch(handle) stops it first. The pidfd
 * stays the caller's to close, after the callback or the unwatch.
 */
typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context async;
  int done;
  int handle_closed; /* libuv finished closing the handle */
  int collected;     /* the JS handle was garbage collected */
} exit_watch_t;

/* Freed once libuv and the JS handle both let go of it (exitUnwatch after the watch fired). */
static void exit_watch_closed(uv_handle_t *h) {
  exit_watch_t *w = (exit_watch_t *)h->data;
  w->handle_closed = 1;
  if (w->collected) free(w);
}

static void exit_watch_collected(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  exit_watch_t *w = (exit_watch_t *)data;
  w->collected = 1;
  if (w->handle_closed) free(w);
}

static void exit_watch_stop(exit_watch_t *w) {
  if (w->done) return;
  w->done = 1;
  uv_poll_stop(&w->poll);
  napi_delete_reference(w->env, w->callback);
  napi_async_destroy(w->env, w->async);
  uv_close((uv_handle_t *)&w->poll, exit_watch_closed);
}

static void exit_watch_fired(uv_poll_t *h, int status, int events) {
  (void)status;
  (void)events;
  exit_watch_t *w = (exit_watch_t *)h->data;
  if (w->done) return;
  napi_env env = w->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv;
  napi_get_reference_value(env, w->callback, &cb);
  napi_get_global(env, &recv);
  napi_async_context async = w->async;
  w->async = NULL;
  w->done = 1; /* stop below, after the call: the callback may not unwatch a fired watch */
  uv_poll_stop(&w->poll);
  if (napi_make_callback(env, async, recv, cb, 0, NULL, NULL) == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
  napi_delete_reference(env, w->callback);
  napi_async_destroy(env, async);
  uv_close((uv_handle_t *)&w->poll, exit_watch_closed);
  napi_close_handle_scope(env, scope);
}

static napi_value js_exit_watch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  napi_valuetype t;
  if (argc < 2 || !arg_int(env, argv[0], &fd) || napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) {
    napi_throw_type_error(env, NULL, "exitWatch(pidfd, callback)");
    return NULL;
  }
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  exit_watch_t *w = calloc(1, sizeof *w);
  if (!w) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  w->env = env;
  w->poll.data = w;
  int rc = uv_poll_init(loop, &w->poll, fd);
  if (rc == 0) rc = uv_poll_start(&w->poll, UV_READABLE, exit_watch_fired);
  /* A watched process is no reason to keep the daemon alive: once the mount ends, the daemon
   * exits even while a process it watches (a pool's idle holder) runs on. */
  if (rc == 0) uv_unref((uv_handle_t *)&w->poll);
  if (rc != 0) {
    free(w);
    napi_throw_error(env, NULL, uv_strerror(rc));
    return NULL;
  }
  napi_value name;
  napi_create_string_utf8(env, "ipcfs:exit-watch", NAPI_AUTO_LENGTH, &name);
  napi_create_reference(env, argv[1], 1, &w->callback);
  napi_async_init(env, NULL, name, &w->async);
  napi_value ext;
  CHECK(napi_create_external(env, w, exit_watch_collected, NULL, &ext));
  return ext;
}

static napi_value js_exit_unwatch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *w;
  if (argc < 1 || napi_get_value_external(env, argv[0], &w) != napi_ok) {
    napi_throw_type_error(env, NULL, "exitUnwatch(handle)");
    return NULL;
  }
  exit_watch_stop((exit_watch_t *)w);
  return NULL;
}

/* fdReadable(fd) -> 1 when poll(2) finds fd readable now (a pidfd: its process has ended), else 0 */
static napi_value js_fd_readable(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  if (argc < 1 || !arg_int(env, argv[0], &fd)) {
    napi_throw_type_error(env, NULL, "fdReadable(fd)");
    return NULL;
  }
  struct pollfd pfd = {.fd = fd, .events = POLLIN};
  return make_int(env, poll(&pfd, 1, 0) > 0 && (pfd.revents & POLLIN) ? 1 : 0);
}

/* setChildSubreaper() -> 0 or -errno: prctl(PR_SET_CHILD_SUBREAPER, 1) */
static napi_value js_set_child_subreaper(napi_env env, napi_callback_info info) {
  (void)info;
  return make_int(env, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 ? -errno : 0);
}

/* reapChild(pid) -> pid (reaped), 0 (still running) or -errno: waitpid(pid, WNOHANG) */
static napi_value js_reap_child(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t pid;
  if (argc < 1 || !arg_int(env, argv[0], &pid) || pid <= 0) {
    napi_throw_type_error(env, NULL, "reapChild(pid)");
    return NULL;
  }
  int status;
  pid_t r = waitpid(pid, &status, WNOHANG);
  return make_int(env, r < 0 ? -errno : r);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"pidfdOpen", NULL, js_pidfd_open, NULL, NULL, NULL, napi_default, NULL},
      {"pidfdSignal", NULL, js_pidfd_signal, NULL, NULL, NULL, napi_default, NULL},
      {"schedOf", NULL, js_sched_of, NULL, NULL, NULL, napi_default, NULL},
      {"exitWatch", NULL, js_exit_watch, NULL, NULL, NULL, napi_default, NULL},
      {"exitUnwatch", NULL, js_exit_unwatch, NULL, NULL, NULL, napi_default, NULL},
      {"fdReadable", NULL, js_fd_readable, NULL, NULL, NULL, napi_default, NULL},
      {"setChildSubreaper", NULL, js_set_child_subreaper, NULL, NULL, NULL, napi_default, NULL},
      {"reapChild", NULL, js_reap_child, NULL, NULL, NULL, napi_default, NULL},
      {"read", NULL, js_read, NULL, NULL, NULL, napi_default, NULL},
      {"write", NULL, js_write, NULL, NULL, NULL, napi_default, NULL},
      {"setNonBlocking", NULL, js_set_nonblocking, NULL, NULL, NULL, napi_default, NULL},
      {"socketPair", NULL, js_socketpair, NULL, NULL, NULL, napi_default, NULL},
      {"recvFd", NULL, js_recv_fd, NULL, NULL, NULL, napi_default, NULL},
      {"pollStart", NULL, js_poll_start, NULL, NULL, NULL, napi_default, NULL},
      {"earlyTable", NULL, js_early_table, NULL, NULL, NULL, napi_default, NULL},
      {"earlySet", NULL, js_early_set, NULL, NULL, NULL, napi_default, NULL},
      {"earlyBind", NULL, js_early_bind, NULL, NULL, NULL, napi_default, NULL},
      {"earlyMatch", NULL, js_early_match, NULL, NULL, NULL, napi_default, NULL},
      {"pollSetBuffer", NULL, js_poll_set_buffer, NULL, NULL, NULL, napi_default, NULL},
      {"pollStop", NULL, js_poll_stop, NULL, NULL, NULL, napi_default, NULL},
      {"nextSpinNs", NULL, js_next_spin_ns, NULL, NULL, NULL, napi_default, NULL},
      {"memfdCreate", NULL, js_memfd_create, NULL, NULL, NULL, napi_default, NULL},
      {"addSeals", NULL, js_add_seals, NULL, NULL, NULL, napi_default, NULL},
      {"backingOpen", NULL, js_backing_open, NULL, NULL, NULL, napi_default, NULL},
      {"backingClose", NULL, js_backing_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
