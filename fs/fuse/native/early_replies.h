/*
 * Early replies: the reply of a blocked request, armed by JavaScript, that the /dev/fuse read path
 * sends the moment a given command is written to one of the object's file handles, before any
 * JavaScript runs. fs/fuse/early-replies.ts says when JS arms one and why the reply is exact.
 *
 * Why in C: from reading a `post` to writing its waiter's reply, the JavaScript path took ~10 us
 * of cold code and heap on every wake-up (measured pinned, against ~0.1 us for a C filesystem);
 * this path touches one small table instead. Pure C, no N-API: ipcfs_native.c holds the glue.
 */
#ifndef IPCFS_EARLY_REPLIES_H
#define IPCFS_EARLY_REPLIES_H
#include <stddef.h>
#include <stdint.h>

#define EARLY_REPLY_MAX 64   /* fuse_out_header + fuse_write_out is 24 */
#define EARLY_COMMAND_MAX 32
#define EARLY_SLOTS_MAX (1u << 22)

/*
 * Who surely may fire a slot: System V ipcperms (ipc/util.c) for the `want` bits (2: alter),
 * decided from the request header alone (uid, gid; no supplementary groups). A caller whose answer
 * depends on its supplementary groups is left to JavaScript, which knows them.
 */
typedef struct {
  uint32_t uid, cuid, gid, cgid, mode, want;
} early_rule_t;

typedef struct {
  int armed;
  uint64_t unique; /* the request the reply answers */
  uint32_t reply_len;
  uint8_t reply[EARLY_REPLY_MAX];
  uint32_t command_len;
  uint8_t command[EARLY_COMMAND_MAX];
  early_rule_t rule;
} early_slot_t;

typedef struct {
  uint64_t fh;
  int32_t slot; /* EARLY_EMPTY, EARLY_DELETED or a slot */
} early_bucket_t;

typedef struct {
  early_slot_t *slots;
  uint32_t nslots;
  early_bucket_t *buckets; /* open addressing on fh, linear probing; a power of two */
  uint32_t nbuckets;
  uint32_t used;       /* live fh entries */
  uint32_t tombstones; /* deleted entries still in probe chains */
} early_table_t;

/* Arms slot with s (copied), or disarms it (s NULL). 0, or -1 (out of memory, bad sizes). */
int early_set(early_table_t *t, uint32_t slot, const early_slot_t *s);
/* fh's writes may fire slot from now on; slot < 0 unbinds fh. 0, or -1 (out of memory). */
int early_bind(early_table_t *t, uint64_t fh, int32_t slot);
/* The armed slot a request read from /dev/fuse fires, or -1. */
int32_t early_match(const early_table_t *t, const uint8_t *req, size_t len);
/* Fires slot: the reply to send; the slot is disarmed. */
const early_slot_t *early_fire(early_table_t *t, int32_t slot);
void early_free(early_table_t *t);

#endif
