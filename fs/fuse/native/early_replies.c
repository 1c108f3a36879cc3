/* See early_replies.h. */
#include "early_replies.h"

#include <linux/fuse.h>
#include <stdlib.h>
#include <string.h>

#define EARLY_EMPTY (-1)
#define EARLY_DELETED (-2)

static uint32_t hash_fh(uint64_t fh) {
  fh ^= fh >> 33;
  fh *= 0xff51afd7ed558ccdULL;
  fh ^= fh >> 33;
  return (uint32_t)fh;
}

/* The bucket holding fh, or -1. */
static int64_t find(const early_table_t *t, uint64_t fh) {
  if (!t->nbuckets) return -1;
  uint32_t mask = t->nbuckets - 1;
  for (uint32_t i = hash_fh(fh) & mask, n = 0; n < t->nbuckets; i = (i + 1) & mask, n++) {
    const early_bucket_t *b = &t->buckets[i];
    if (b->slot == EARLY_EMPTY) return -1;
    if (b->slot != EARLY_DELETED && b->fh == fh) return i;
  }
  return -1;
}

static void insert_fresh(early_bucket_t *buckets, uint32_t nbuckets, uint64_t fh, int32_t slot) {
  uint32_t mask = nbuckets - 1;
  uint32_t i = hash_fh(fh) & mask;
  while (buckets[i].slot >= 0) i = (i + 1) & mask;
  buckets[i].fh = fh;
  buckets[i].slot = slot;
}

/* Rebuilds the buckets at a size that keeps them at most half full (tombstones dropped). */
static int rehash(early_table_t *t, uint32_t need) {
  uint32_t n = 16;
  while (n < need * 2) n *= 2;
  early_bucket_t *b = malloc(sizeof *b * n);
  if (!b) return -1;
  for (uint32_t i = 0; i < n; i++) b[i].slot = EARLY_EMPTY;
  for (uint32_t i = 0; i < t->nbuckets; i++)
    if (t->buckets[i].slot >= 0) insert_fresh(b, n, t->buckets[i].fh, t->buckets[i].slot);
  free(t->buckets);
  t->buckets = b;
  t->nbuckets = n;
  t->tombstones = 0;
  return 0;
}

int early_bind(early_table_t *t, uint64_t fh, int32_t slot) {
  int64_t at = find(t, fh);
  if (slot < 0) {
    if (at >= 0) {
      t->buckets[at].slot = EARLY_DELETED;
      t->used--;
      t->tombstones++;
    }
    return 0;
  }
  if (at >= 0) {
    t->buckets[at].slot = slot;
    return 0;
  }
  if ((t->used + t->tombstones + 1) * 2 > t->nbuckets && rehash(t, t->used + 1) != 0) return -1;
  insert_fresh(t->buckets, t->nbuckets, fh, slot);
  t->used++;
  return 0;
}

int early_set(early_table_t *t, uint32_t slot, const early_slot_t *s) {
  if (slot >= EARLY_SLOTS_MAX) return -1;
  if (s && (s->reply_len > EARLY_REPLY_MAX || s->command_len > EARLY_COMMAND_MAX)) return -1;
  if (slot >= t->nslots) {
    if (!s) return 0; /* never armed: nothing to disarm */
    uint32_t n = t->nslots ? t->nslots : 16;
    while (n <= slot) n *= 2;
    early_slot_t *grown = realloc(t->slots, sizeof *grown * n);
    if (!grown) return -1;
    memset(grown + t->nslots, 0, sizeof *grown * (n - t->nslots));
    t->slots = grown;
    t->nslots = n;
  }
  if (s) {
    t->slots[slot] = *s;
    t->slots[slot].armed = 1;
  } else {
    t->slots[slot].armed = 0;
  }
  return 0;
}

/* ipcperms for the header's uid and gid; 0 when only the supplementary groups could tell. */
static int surely_permitted(const early_rule_t *r, uint32_t uid, uint32_t gid) {
  if (uid == 0) return 1;
  uint32_t want = r->want & 7;
  if (uid == r->uid || uid == r->cuid) return ((r->mode >> 6) & want) == want;
  if (gid == r->gid || gid == r->cgid) return ((r->mode >> 3) & want) == want;
  /* the group class (by a supplementary group) or the others': sure only if both grant it */
  return ((r->mode >> 3) & want) == want && (r->mode & want) == want;
}

int32_t early_match(const early_table_t *t, const uint8_t *req, size_t len) {
  struct fuse_in_header h;
  struct fuse_write_in w;
  const size_t data_at = sizeof h + sizeof w;
  if (t->used == 0 || len < data_at) return -1;
  memcpy(&h, req, sizeof h);
  if (h.opcode != FUSE_WRITE || h.len != len || h.total_extlen != 0) return -1;
  memcpy(&w, req + sizeof h, sizeof w);
  if (w.size != len - data_at) return -1;
  int64_t at = find(t, w.fh);
  if (at < 0) return -1;
  int32_t slot = t->buckets[at].slot;
  if ((uint32_t)slot >= t->nslots || !t->slots[slot].armed) return -1;
  const early_slot_t *s = &t->slots[slot];
  const uint8_t *data = req + data_at;
  size_t n = w.size;
  /* the framing of command files: one command per write, a final newline optional */
  if (n == (size_t)s->command_len + 1 && data[n - 1] == '\n') n--;
  if (n != s->command_len || memcmp(data, s->command, n) != 0) return -1;
  if (!surely_permitted(&s->rule, h.uid, h.gid)) return -1;
  return slot;
}

const early_slot_t *early_fire(early_table_t *t, int32_t slot) {
  early_slot_t *s = &t->slots[slot];
  s->armed = 0;
  return s;
}

void early_free(early_table_t *t) {
  free(t->slots);
  free(t->buckets);
  memset(t, 0, sizeof *t);
}
