/**
 * ipc/limits.ts: the names, defaults and bounds of every limit (docs/protocol.md, Limits), how
 * parseLimits reads `--limits`, and which errno and message each resource of quotaFor answers with.
 * Linux's semaphore defaults are read from the machine's <linux/sem.h>, not written here.
 */
import test from 'ava';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { Errno } from '../../ipc/errno.js';
import { refusal } from '../helpers/errno.js';
import { DEFAULT_LIMITS, DEFAULT_OWN_LIMITS, LIMIT_NAMES, parseLimits, quotaFor, shmLimitsOf, undoBudget, type Limits } from '../../ipc/limits.js';
import { SHM_LIMITS } from '../../ipc/shm/limits.js';

/** The names of docs/protocol.md's Limits table, in its order (also limits/ipcfs's order). */
const DOCUMENTED: [string, keyof Limits][] = [
  ['semmsl', 'semmsl'], ['semmns', 'semmns'], ['semopm', 'semopm'], ['semmni', 'semmni'], ['semvmx', 'semvmx'], ['semaem', 'semaem'],
  ['objects', 'objects'], ['handles', 'handles'], ['dir-streams', 'dirStreams'], ['uid-objects', 'uidObjects'],
  ['uid-semaphores', 'uidSemaphores'], ['uid-handles', 'uidHandles'], ['uid-dir-streams', 'uidDirStreams'], ['undo', 'undo'], ['uid-undo', 'uidUndo'],
  ['msg_default', 'msgDefault'], ['msgsize_default', 'msgsizeDefault'], ['msg_max', 'msgMax'], ['msgsize_max', 'msgsizeMax'], ['queues_max', 'queuesMax'],
  ['uid-mq-bytes', 'uidMqBytes'], ['mq-bytes', 'mqBytes'],
  ['msgmni', 'msgmni'], ['msgmax', 'msgmax'], ['msgmnb', 'msgmnb'],
  ['shmmin', 'shmmin'], ['shmmax', 'shmmax'], ['shmall', 'shmall'], ['shmmni', 'shmmni'], ['uid-shm-pages', 'uidShmPages'],
  ['pool-tokens', 'poolTokens'],
];

/** #define NAME value from the machine's <linux/msg.h> (MSGMNI, MSGMAX, MSGMNB). */
function linuxMsgDefines(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of readFileSync('/usr/include/linux/msg.h', 'utf8').matchAll(/^#define\s+(MSGMNI|MSGMAX|MSGMNB)\s+(\d+)/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

/** /proc/sys/fs/mqueue/NAME: the running kernel's message-queue limits (Linux's defaults unless tuned). */
const kernelMq = (name: string): number => Number(readFileSync(`/proc/sys/fs/mqueue/${name}`, 'utf8'));

/** #define NAME value (or an expression of earlier names) from the machine's <linux/sem.h>. */
function linuxSemDefines(): Record<string, number> {
  const src = readFileSync('/usr/include/linux/sem.h', 'utf8');
  const out: Record<string, number> = {};
  for (const m of src.matchAll(/^#define\s+(SEM[A-Z]+)\s+([^/\n]+)/gm)) {
    const expr = m[2]!.trim().replace(/[A-Z]+/g, (n) => String(out[n]));
    if (/^[\d()*\s]+$/.test(expr)) out[m[1]!] = Function(`return ${expr}`)() as number;
  }
  return out;
}

test('the semaphore defaults are <linux/sem.h>\'s; the rest are docs/protocol.md\'s', (t) => {
  const h = linuxSemDefines();
  t.like(DEFAULT_LIMITS, { semmsl: h.SEMMSL, semmns: h.SEMMNS, semopm: h.SEMOPM, semmni: h.SEMMNI, semvmx: h.SEMVMX, semaem: h.SEMAEM });
  t.deepEqual({ ...DEFAULT_OWN_LIMITS }, {
    objects: 65536, handles: 65536, dirStreams: 4096, uidObjects: 1024, uidSemaphores: 1048576,
    uidHandles: 1024, uidDirStreams: 256, undo: 1048576, uidUndo: 131072,
  });
  t.like(DEFAULT_LIMITS, {
    msgDefault: kernelMq('msg_default'), msgsizeDefault: kernelMq('msgsize_default'), msgMax: kernelMq('msg_max'),
    msgsizeMax: kernelMq('msgsize_max'), queuesMax: kernelMq('queues_max'),
  });
  t.is(DEFAULT_LIMITS.uidMqBytes, 819200, 'RLIMIT_MSGQUEUE\'s default (MQ_BYTES_MAX)');
  const m = linuxMsgDefines();
  t.like(DEFAULT_LIMITS, { msgmni: m.MSGMNI, msgmax: m.MSGMAX, msgmnb: m.MSGMNB });
  t.is(DEFAULT_LIMITS.mqBytes, Infinity);
  // /proc/sys/kernel/shm*: the running kernel's (Linux's defaults unless tuned); shmmax and shmall
  // (2^64 - 2^24 - 1) as the nearest double
  const kernelShm = (name: string): number => Number(BigInt(readFileSync(`/proc/sys/kernel/${name}`, 'utf8').trim()));
  t.like(DEFAULT_LIMITS, { shmmax: kernelShm('shmmax'), shmall: kernelShm('shmall'), shmmni: kernelShm('shmmni') });
  t.is(DEFAULT_LIMITS.shmmin, Number(/#define SHMMIN (\d+)/.exec(readFileSync('/usr/include/linux/shm.h', 'utf8'))![1]), '<linux/shm.h> SHMMIN');
  t.is(DEFAULT_LIMITS.uidShmPages, 262144, '1 GiB of pages per user');
  t.is(Object.keys(DEFAULT_LIMITS).length, DOCUMENTED.length);
  t.true(Object.isFrozen(DEFAULT_LIMITS) && Object.isFrozen(DEFAULT_OWN_LIMITS) && Object.isFrozen(LIMIT_NAMES));
});

test('every documented name sets its own limit, in the documented order; later values win', (t) => {
  t.deepEqual(Object.entries(LIMIT_NAMES).map(([k, v]) => [v, k]), DOCUMENTED);
  DOCUMENTED.forEach(([name, key], i) => {
    const v = i + 200; // distinct, and within every limit's range (msgsize ones start at 128)
    const l = parseLimits(`${name}=${v}`);
    t.is(l[key], v, name);
    t.deepEqual({ ...l, [key]: DEFAULT_LIMITS[key] }, { ...DEFAULT_LIMITS }, `${name} changes nothing else`);
  });
  t.deepEqual(parseLimits(''), { ...DEFAULT_LIMITS });
  t.like(parseLimits(',semmni=8,,uid-handles=3,semmni=9,'), { semmni: 9, uidHandles: 3 }, 'empty parts are skipped');
  const base = { ...DEFAULT_LIMITS, objects: 7 };
  t.like(parseLimits('handles=5', base), { objects: 7, handles: 5 }, 'over the given base');
  t.is(base.handles, DEFAULT_LIMITS.handles, 'the base itself is not changed');
});

test('values: positive integers of at most 15 digits; semvmx and semaem at most 32767, semmni at most 32768', (t) => {
  t.is(parseLimits('handles=1').handles, 1);
  t.is(parseLimits('handles=999999999999999').handles, 999999999999999);
  t.like(parseLimits('semvmx=32767,semaem=32767,semmni=32768'), { semvmx: 32767, semaem: 32767, semmni: 32768 });
  const names = DOCUMENTED.map(([n]) => n).join(', ');
  const bad = (part: string, max?: number): void => {
    t.throws(() => parseLimits(part), { instanceOf: Error, message: `bad limit "${part}" (names: ${names}; positive integers${max ? `, at most ${max}` : ''})` }, part);
  };
  const badMin = (part: string, min: number, max: number): void => {
    t.throws(() => parseLimits(part), { instanceOf: Error, message: `bad limit "${part}" (names: ${names}; positive integers, at least ${min}, at most ${max})` }, part);
  };
  bad('semvmx=32768', 32767);
  bad('semaem=32768', 32767);
  bad('semmni=32769', 32768);
  bad('semmni=0', 32768);
  bad('semmni', 32768);
  bad('semmni=', 32768);
  for (const part of ['handles=0', 'handles=1000000000000000', 'handles=-1', 'handles=1.5', 'handles=5a', 'handles=a5', 'handles= 5', 'handles=1e3', 'nope=1', '=5', 'Handles=5', 'handles', 'toString=1', 'constructor=1']) bad(part);
  t.throws(() => parseLimits('semmni=8,nope=1'), { message: /^bad limit "nope=1"/ }, 'the bad part is named');
  badMin('msgsize_max=127', 128, 16 * 1024 * 1024);
  badMin('msg_max=65537', 1, 65536);
  bad('shmmni=32769', 32768); // IPCMNI, the sysctl's maximum
  t.like(parseLimits('msgsize_max=128,msg_max=65536'), { msgsizeMax: 128, msgMax: 65536 }, '/proc/sys/fs/mqueue\'s ranges');
});

test('property: any list of name=value parts parses to the last value of each name, over the defaults', (t) => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom(...DOCUMENTED), fc.integer({ min: 128, max: 32767 }))), (parts) => {
      const want: Limits = { ...DEFAULT_LIMITS };
      for (const [[, key], v] of parts) want[key] = v;
      const got = parseLimits(parts.map(([[name], v]) => `${name}=${v}`).join(','));
      return JSON.stringify(got) === JSON.stringify(want);
    }),
  );
  t.pass();
});

test('quotaFor: each resource answers with its errno, label and limit, globally and per uid; root only globally', (t) => {
  const q = quotaFor(parseLimits('objects=3,uid-objects=2,semmni=2,semmns=9,uid-semaphores=4,handles=3,uid-handles=2,dir-streams=3,uid-dir-streams=2,undo=3,uid-undo=2'));
  const take = (uid: number, r: Parameters<typeof q.charge>[1]): [string, string] => refusal(() => q.charge(uid, r, 'x'));
  q.charge(7, { objects: 2, semaphores: 4, handles: 2, dirStreams: 2, undo: 2 });
  t.deepEqual(take(7, { objects: 1 }), ['ENOSPC', 'x: objects limit per user (2) reached for uid 7']);
  t.deepEqual(take(7, { semaphores: 1 }), ['ENOSPC', 'x: SEMMNS (semaphores) limit per user (4) reached for uid 7']);
  t.deepEqual(take(7, { handles: 1 }), ['EMFILE', 'x: open files limit per user (2) reached for uid 7']);
  t.deepEqual(take(7, { dirStreams: 1 }), ['EMFILE', 'x: open directories limit per user (2) reached for uid 7']);
  t.deepEqual(take(7, { undo: 1 }), ['ENOMEM', 'x: undo entries limit per user (2) reached for uid 7']);
  q.charge(7, { semSets: 2 });
  t.deepEqual(take(0, { semSets: 1 }), ['ENOSPC', 'x: SEMMNI (System V semaphore sets) limit (2) reached for everyone']);
  q.charge(8, { objects: 1, semaphores: 4, handles: 1, dirStreams: 1, undo: 1 });
  t.deepEqual(take(0, { objects: 1 }), ['ENOSPC', 'x: objects limit (3) reached for everyone']);
  t.deepEqual(take(0, { handles: 1 }), ['ENFILE', 'x: open files limit (3) reached for everyone']);
  t.deepEqual(take(0, { dirStreams: 1 }), ['ENFILE', 'x: open directories limit (3) reached for everyone']);
  t.deepEqual(take(0, { undo: 1 }), ['ENOMEM', 'x: undo entries limit (3) reached for everyone']);
  t.deepEqual(take(0, { semaphores: 2 }), ['ENOSPC', 'x: SEMMNS (semaphores) limit (9) reached for everyone']);
  t.is(q.charge(0, { semaphores: 1 }).uid, 0, 'root up to the global limit exactly');
  t.is(q.limits.semSets.perUid, Infinity, 'SEMMNI has no per-uid part (Linux has none)');
});

test('undoBudget: take charges the uid\'s undo (ENOMEM past it, message naming semop SEM_UNDO), give credits it', (t) => {
  const q = quotaFor(parseLimits('uid-undo=3'));
  const b = undoBudget(q, 1000);
  b.take(2);
  t.is(q.usedBy(1000, 'undo'), 2);
  t.is(q.used('undo'), 2);
  t.deepEqual(refusal(() => b.take(2)), ['ENOMEM', 'semop SEM_UNDO: undo entries limit per user (3) reached for uid 1000']);
  t.is(q.usedBy(1000, 'undo'), 2, 'the refusal took nothing');
  b.give(1);
  t.is(q.usedBy(1000, 'undo'), 1);
  b.take(2);
  t.is(q.usedBy(1000, 'undo'), 3);
  b.give(3);
  t.is(q.used('undo'), 0);
  t.is(q.uids, 0, 'a uid back to nothing is forgotten');
  t.is(b.take(0), undefined);
});

test('quotaFor: shared memory: SHMMNI segments (ENOSPC, no per-uid part), pages past SHMALL (ENOSPC) or a user\'s uid-shm-pages (ENOMEM)', (t) => {
  const q = quotaFor(parseLimits('shmmni=2,shmall=10,uid-shm-pages=4'));
  const take = (uid: number, r: Parameters<typeof q.charge>[1]): [string, string] => refusal(() => q.charge(uid, r, 'x'));
  q.charge(7, { shmSegments: 2, shmPages: 4 });
  t.deepEqual(take(0, { shmSegments: 1 }), ['ENOSPC', 'x: SHMMNI (System V segments) limit (2) reached for everyone']);
  t.deepEqual(take(7, { shmPages: 1 }), ['ENOMEM', 'x: shared memory pages limit per user (4) reached for uid 7']);
  q.charge(0, { shmPages: 6 });
  t.deepEqual(take(0, { shmPages: 1 }), ['ENOSPC', 'x: shared memory pages limit (10) reached for everyone']);
  t.is(q.limits.shmSegments.perUid, Infinity);
});

test('quotaFor: message queues: MSGMNI (ENOSPC, no per-uid part); mq_bytes per uid (EMFILE, RLIMIT_MSGQUEUE) and in all (ENOMEM); POSIX queues unlimited as a resource', (t) => {
  const q = quotaFor(parseLimits('msgmni=2,uid-mq-bytes=100,mq-bytes=150'));
  const take = (uid: number, r: Parameters<typeof q.charge>[1]): [string, string] => refusal(() => q.charge(uid, r, 'x'));
  q.charge(7, { msgQueues: 2, mqBytes: 100 });
  t.deepEqual(take(0, { msgQueues: 1 }), ['ENOSPC', 'x: MSGMNI (System V message queues) limit (2) reached for everyone']);
  t.deepEqual(take(7, { mqBytes: 1 }), ['EMFILE', 'x: RLIMIT_MSGQUEUE (message queue bytes) limit per user (100) reached for uid 7']);
  q.charge(0, { mqBytes: 50 });
  t.deepEqual(take(0, { mqBytes: 1 }), ['ENOMEM', 'x: RLIMIT_MSGQUEUE (message queue bytes) limit (150) reached for everyone']);
  t.like(q.limits.msgQueues, { perUid: Infinity, global: 2 });
  t.like(q.limits.mqQueues, { global: Infinity, perUid: Infinity, globalErrno: Errno.ENOSPC, uidErrno: Errno.ENOSPC, label: 'POSIX message queues' });
  t.is(q.charge(7, { mqQueues: 1e9 }).uid, 7, 'queues_max is checked by MqRegistry, not by the quota');
});

test('shmLimitsOf: a mount\'s shared-memory limits with the machine\'s page size', (t) => {
  const l = parseLimits('shmmin=2,shmmax=3,shmall=4,shmmni=5,uid-shm-pages=6');
  t.deepEqual(shmLimitsOf(l), { shmmin: 2, shmmax: 3, shmall: 4, shmmni: 5, uidShmPages: 6, pageSize: SHM_LIMITS.pageSize });
  t.false('pageSize' in DEFAULT_LIMITS, 'the page size is not a limit');
  t.false(Object.values(LIMIT_NAMES).includes('page-size'));
});
