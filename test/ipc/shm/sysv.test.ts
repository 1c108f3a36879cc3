import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Errno } from '../../../ipc/errno.js';
import { Quota, type ResourceLimit } from '../../../ipc/quota.js';
import { SHM_LIMITS, shmQuotaLimits, type ShmLimits, type ShmResource } from '../../../ipc/shm/limits.js';
import { IPC_CREAT, IPC_EXCL, IPC_PRIVATE, SHM_DEST, SysvShmRegistry, type SysvSegment } from '../../../ipc/shm/sysv.js';
import { refusal } from '../../helpers/errno.js';

const ROOT = { uid: 0, gid: 0, pid: 100 };
const ALICE = { uid: 1000, gid: 1000, pid: 200 };
const BOB = { uid: 1001, gid: 1001, pid: 300 };

function quota(l: ShmLimits = SHM_LIMITS, objects = 100) {
  const objectsLimit: ResourceLimit = { global: objects, perUid: objects, globalErrno: Errno.ENOSPC, uidErrno: Errno.ENOSPC, label: 'objects' };
  return new Quota<ShmResource>({ objects: objectsLimit, ...shmQuotaLimits(l) });
}

function registry(l: Partial<ShmLimits> = {}, now = () => 1000) {
  const limits = { ...SHM_LIMITS, ...l };
  const q = quota(limits);
  const destroyed: SysvSegment[] = [];
  const r = new SysvShmRegistry(limits, q, now);
  r.onDestroy = (s) => destroyed.push(s);
  return { r, q, destroyed };
}

const code = (fn: () => unknown): string => {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return (err as { code: string }).code;
  }
};

test('the defaults are Linux\'s: /proc/sys/kernel/shmmax, shmall, shmmni, and SHMMIN from <linux/shm.h>', (t) => {
  const proc = (n: string) => Number(readFileSync(`/proc/sys/kernel/${n}`, 'utf8').trim());
  // the host's own values unless someone changed them with sysctl: then say so rather than pass
  t.is(SHM_LIMITS.shmmax, proc('shmmax'), 'kernel.shmmax (as the nearest double)');
  t.is(SHM_LIMITS.shmall, proc('shmall'));
  t.is(SHM_LIMITS.shmmni, proc('shmmni'));
  const dir = mkdtempSync(join(tmpdir(), 'ipcfs-shm-h-'));
  try {
    writeFileSync(join(dir, 'p.c'), '#include <stdio.h>\n#include <linux/shm.h>\nint main(void) { printf("%d %d", SHMMIN, SHMMNI); return 0; }\n');
    const cc = spawnSync('gcc', ['-o', join(dir, 'p'), join(dir, 'p.c')], { encoding: 'utf8' });
    t.is(cc.status, 0, cc.stderr);
    t.is(spawnSync(join(dir, 'p'), { encoding: 'utf8' }).stdout, `${SHM_LIMITS.shmmin} ${SHM_LIMITS.shmmni}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  t.is(SHM_LIMITS.pageSize, Number(spawnSync('getconf', ['PAGE_SIZE'], { encoding: 'utf8' }).stdout.trim()));
});

test('shmget: a new segment keeps the size asked for; its memory is charged in whole pages', (t) => {
  const { r, q } = registry();
  const s = r.shmget(0x1234, 100, IPC_CREAT | 0o640, ALICE);
  t.is(s.ds.segsz, 100);
  t.is(s.pages, 1);
  t.is(q.usedBy(ALICE.uid, 'shmPages'), 1);
  t.is(r.shmget(IPC_PRIVATE, 4097, IPC_CREAT, ALICE).pages, 2);
  t.is(q.usedBy(ALICE.uid, 'shmPages'), 3);
  t.deepEqual({ ...s.ds, perm: { ...s.ds.perm } }, {
    perm: { uid: 1000, gid: 1000, cuid: 1000, cgid: 1000, mode: 0o640 }, segsz: 100, cpid: 200, lpid: 0, nattch: 0, atimeMs: 0, dtimeMs: 0, ctimeMs: 1000,
  });
});

test('shmget: Linux\'s errors in Linux\'s order', (t) => {
  const { r } = registry({ shmmax: 1 << 20 });
  t.is(code(() => r.shmget(0x10, 100, 0, ALICE)), 'ENOENT');
  const s = r.shmget(0x10, 100, IPC_CREAT | 0o600, ALICE);
  t.is(code(() => r.shmget(0x10, 100, IPC_CREAT | IPC_EXCL | 0o600, ALICE)), 'EEXIST');
  t.is(code(() => r.shmget(0x10, 101, 0, ALICE)), 'EINVAL', 'larger than the segment');
  t.is(r.shmget(0x10, 50, 0, ALICE), s, 'smaller or equal: the same segment');
  t.is(r.shmget(0x10, 0, 0o600, ALICE), s, 'size 0 finds it');
  t.is(code(() => r.shmget(0x10, 0, 0o600, BOB)), 'EACCES');
  t.is(code(() => r.shmget(0x10, 101, 0o600, BOB)), 'EINVAL', 'the size is checked before permission');
  t.is(code(() => r.shmget(0x10, 100, IPC_CREAT | IPC_EXCL, BOB)), 'EEXIST', 'EEXIST before permission');
  t.is(code(() => r.shmget(IPC_PRIVATE, 0, IPC_CREAT, ALICE)), 'EINVAL', 'below SHMMIN');
  t.is(code(() => r.shmget(IPC_PRIVATE, (1 << 20) + 1, IPC_CREAT, ALICE)), 'EINVAL', 'past SHMMAX');
  t.is(code(() => r.shmget(IPC_PRIVATE, -1, IPC_CREAT, ALICE)), 'EINVAL');
  t.is(code(() => r.shmget(IPC_PRIVATE, 2 ** 60, IPC_CREAT, ROOT)), 'EINVAL');
  t.is(r.shmget(0x10, 0, 0, ROOT), s, 'root passes ipcperms');
});

test('shmget: SHMALL (pages) and SHMMNI are ENOSPC, a user\'s own page limit ENOMEM; a refusal changes nothing', (t) => {
  const { r, q } = registry({ shmall: 10, shmmni: 2, uidShmPages: 6 });
  t.is(code(() => r.shmget(IPC_PRIVATE, 7 * 4096, IPC_CREAT, ALICE)), 'ENOMEM');
  t.is(code(() => r.shmget(IPC_PRIVATE, 11 * 4096, IPC_CREAT, ROOT)), 'ENOSPC', 'root is exempt from the user limit only');
  r.shmget(IPC_PRIVATE, 6 * 4096, IPC_CREAT, ALICE);
  r.shmget(IPC_PRIVATE, 4 * 4096, IPC_CREAT, BOB);
  t.is(code(() => r.shmget(IPC_PRIVATE, 1, IPC_CREAT, ROOT)), 'ENOSPC', 'SHMALL');
  t.is(q.used('shmPages'), 10);
  const { r: r2, q: q2 } = registry({ shmmni: 1 });
  r2.shmget(1, 1, IPC_CREAT, ALICE);
  t.is(code(() => r2.shmget(2, 1, IPC_CREAT, ALICE)), 'ENOSPC', 'SHMMNI');
  t.is(q2.used('shmPages'), 1, 'the pages of the refused segment were given back');
  t.is(r2.lookupKey(2), undefined);
});

test('attach and detach count nattch, set lpid, atime and dtime; pid 0 (a dead process) keeps lpid', (t) => {
  let now = 1000;
  const { r } = registry({}, () => now);
  const s = r.shmget(IPC_PRIVATE, 10, IPC_CREAT | 0o600, ALICE);
  const fired: number[] = [];
  s.watchers.add(() => fired.push(s.ds.nattch));
  now = 2000;
  r.attach(s, 201);
  now = 3000;
  r.attach(s, 202);
  now = 4000;
  r.detach(s, 0);
  t.like(s.ds, { nattch: 1, lpid: 202, atimeMs: 3000, dtimeMs: 4000 });
  r.detach(s, 203);
  r.detach(s, 204); // more detaches than attaches change nothing
  t.like(s.ds, { nattch: 0, lpid: 203 });
  t.deepEqual(fired, [1, 2, 1, 0]);
  t.false(s.gone, 'without IPC_RMID a segment stays at nattch 0');
});

test('IPC_RMID: SHM_DEST and a private key while attached, destroyed at the last detach; attaching still works until then', (t) => {
  const { r, q, destroyed } = registry();
  const s = r.shmget(0x77, 5000, IPC_CREAT | 0o666, ALICE);
  r.attach(s, 1);
  t.is(code(() => r.rmid(s, BOB)), 'EPERM', 'only owner, creator or root');
  r.rmid(s, ALICE);
  t.true(s.dest);
  t.is(s.ds.perm.mode & SHM_DEST, SHM_DEST);
  t.is(s.key, IPC_PRIVATE);
  t.is(r.lookupKey(0x77), undefined);
  t.is(code(() => r.shmget(0x77, 0, 0, ALICE)), 'ENOENT', 'the key names nothing now');
  t.is(r.get(s.id), s, 'the id still works (Linux lets shmat attach it)');
  r.attach(s, 2);
  r.detach(s, 1);
  t.deepEqual(destroyed, []);
  r.detach(s, 2);
  t.deepEqual(destroyed, [s]);
  t.true(s.gone);
  t.is(r.get(s.id), undefined);
  t.is(q.used('shmPages'), 0);
  t.is(q.used('shmSegments'), 0);
  t.is(code(() => r.attach(s, 3)), 'EIDRM');
  t.is(code(() => r.rmid(s, ROOT)), 'EIDRM');
});

test('IPC_RMID of an unattached segment destroys it at once; the slot and key are free again', (t) => {
  const { r, destroyed } = registry();
  const a = r.shmget(0x5, 1, IPC_CREAT, ALICE);
  r.rmid(a, ALICE);
  t.deepEqual(destroyed, [a]);
  const b = r.shmget(0x5, 1, IPC_CREAT, ALICE);
  t.not(b.id, a.id, 'a new sequence number');
  t.is(b.id % 32768, a.id % 32768, 'the same slot');
});

test('IPC_SET changes uid, gid, mode bits and ctime, keeps SHM_DEST', (t) => {
  let now = 1;
  const { r } = registry({}, () => now);
  const s = r.shmget(IPC_PRIVATE, 1, IPC_CREAT | 0o600, ALICE);
  r.attach(s, 1);
  r.rmid(s, ALICE);
  now = 5;
  t.is(code(() => r.set(s, BOB, { mode: 0o666 })), 'EPERM');
  r.set(s, ALICE, { mode: 0o644, uid: 1001 });
  t.is(s.ds.perm.mode, SHM_DEST | 0o644);
  t.is(s.ds.perm.uid, 1001);
  t.is(s.ds.ctimeMs, 5);
});

test('the kernel agrees on the order of shmget\'s errors (ctypes against the real shmget, as nobody)', (t) => {
  const id = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' });
  if (id.status !== 0) return t.fail('no user nobody');
  const key = 0x49500000 + (process.pid & 0xffff);
  // owner: root creates with 0600 so nobody has no permission; nobody then asks
  const py = String.raw`
import ctypes, errno, os, sys, json
libc = ctypes.CDLL(None, use_errno=True)
key, step = int(sys.argv[1]), sys.argv[2]
def get(k, size, flags):
    r = libc.shmget(k, ctypes.c_size_t(size), flags)
    return 'ok' if r >= 0 else errno.errorcode[ctypes.get_errno()]
if step == 'make':
    print(json.dumps([get(key, 100, 0o1000 | 0o600)]))
elif step == 'ask':
    print(json.dumps([get(key, 100, 0o600), get(key, 101, 0o600), get(key, 100, 0o1000 | 0o2000), get(key + 1, 100, 0), get(0, 0, 0o1000)]))
else:
    r = libc.shmget(key, ctypes.c_size_t(0), 0)
    libc.shmctl(r, 0, None)
`;
  const nobody = ['setpriv', `--reuid=${id.stdout.trim()}`, '--regid=65534', '--clear-groups', '--', '/usr/bin/python3', '-c', py];
  try {
    t.deepEqual(JSON.parse(spawnSync('/usr/bin/python3', ['-c', py, String(key), 'make'], { encoding: 'utf8' }).stdout), ['ok']);
    const ask = spawnSync(nobody[0]!, [...nobody.slice(1), String(key), 'ask'], { encoding: 'utf8' });
    const kernel = JSON.parse(ask.stdout) as string[];
    const { r } = registry();
    const who = { uid: Number(id.stdout.trim()), gid: 65534, pid: 1 };
    r.shmget(key, 100, IPC_CREAT | 0o600, ROOT);
    const ours = [
      code(() => r.shmget(key, 100, 0o600, who)), code(() => r.shmget(key, 101, 0o600, who)),
      code(() => r.shmget(key, 100, IPC_CREAT | IPC_EXCL, who)), code(() => r.shmget(key + 1, 100, 0, who)),
      code(() => r.shmget(IPC_PRIVATE, 0, IPC_CREAT, who)),
    ];
    t.deepEqual(ours, kernel);
    t.deepEqual(kernel, ['EACCES', 'EINVAL', 'EEXIST', 'ENOENT', 'EINVAL']);
  } finally {
    spawnSync('/usr/bin/python3', ['-c', py, String(key), 'rm']);
  }
});

test('shmget\'s messages name the key as key_t\'s 32 bits in hex (a negative key too), the sizes and the limits', (t) => {
  const { r } = registry({ shmmin: 2, shmmax: 4096 });
  t.deepEqual(refusal(() => r.shmget(-1, 1, 0, ALICE)), ['ENOENT', 'no segment with key 0xffffffff']);
  r.shmget(-1, 100, IPC_CREAT | 0o600, ALICE);
  t.deepEqual(refusal(() => r.shmget(-1, 1, IPC_CREAT | IPC_EXCL, ALICE)), ['EEXIST', 'key 0xffffffff exists']);
  t.deepEqual(refusal(() => r.shmget(-1, 101, 0, ALICE)), ['EINVAL', 'segment 0xffffffff has 100 bytes, fewer than 101']);
  t.deepEqual(refusal(() => r.shmget(-1, 1, 0o004, BOB)), ['EACCES', 'shmget: permission denied']);
  t.deepEqual(refusal(() => r.shmget(0x1f, 1, IPC_CREAT, ALICE)), ['EINVAL', 'size 1 outside SHMMIN..SHMMAX (2..4096)']);
  t.deepEqual(refusal(() => r.shmget(0x1f, 4097, IPC_CREAT, ALICE)), ['EINVAL', 'size 4097 outside SHMMIN..SHMMAX (2..4096)']);
  t.is(r.shmget(0x1f, 2, IPC_CREAT, ALICE).ds.segsz, 2, 'SHMMIN itself');
  t.is(r.shmget(0x20, 4096, IPC_CREAT, ALICE).ds.segsz, 4096, 'SHMMAX itself');
  t.deepEqual(refusal(() => r.shmget(0x21, 1.5, IPC_CREAT, ALICE)), ['EINVAL', `size must be an integer in 0..${Number.MAX_SAFE_INTEGER}`]);
  t.deepEqual(refusal(() => r.shmget(0x21, 2 ** 53, IPC_CREAT, ALICE)), ['EINVAL', `size must be an integer in 0..${Number.MAX_SAFE_INTEGER}`]);
});

test('shmget of an existing key asks for the flags\' rwx bits of any class (ipcperms), as the kernel does', (t) => {
  const { r } = registry();
  r.shmget(0x30, 1, IPC_CREAT | 0o604, ALICE);
  for (const [flags, want] of [[0o004, 'ok'], [0o040, 'ok'], [0o400, 'ok'], [0o002, 'EACCES'], [0o020, 'EACCES'], [0o200, 'EACCES'], [0o444, 'ok'], [0o600, 'EACCES']] as const) {
    t.is(code(() => r.shmget(0x30, 1, flags, BOB)), want, flags.toString(8));
  }
  const fresh = r.shmget(0x31, 1, IPC_CREAT | IPC_EXCL | 0o7777, ALICE);
  t.is(fresh.ds.perm.mode, 0o777, 'the mode keeps its low 9 bits only');
});

test('ids: the lowest free slot and a sequence that grows with each creation', (t) => {
  const { r } = registry();
  const a = r.shmget(IPC_PRIVATE, 1, IPC_CREAT, ALICE);
  const b = r.shmget(IPC_PRIVATE, 1, IPC_CREAT, ALICE);
  const c = r.shmget(IPC_PRIVATE, 1, IPC_CREAT, ALICE);
  t.deepEqual([a.id, b.id, c.id], [0, 32769, 65538]);
  r.rmid(b, ALICE);
  r.rmid(a, ALICE);
  t.is(r.shmget(IPC_PRIVATE, 1, IPC_CREAT, ALICE).id, 3 * 32768, 'slot 0, not 1');
  t.is(r.shmget(IPC_PRIVATE, 1, IPC_CREAT, ALICE).id, 1 + 4 * 32768);
  t.is(r.shmget(IPC_PRIVATE, 1, IPC_CREAT, ALICE).id, 3 + 5 * 32768);
  t.deepEqual([...r.values()].map((s) => s.id), [c.id, 3 * 32768, 1 + 4 * 32768, 3 + 5 * 32768]);
});

test('removed segments: EIDRM for IPC_SET, rmid and attach, with the id; remove() again does nothing', (t) => {
  const { r, destroyed } = registry();
  const s = r.shmget(0x40, 1, IPC_CREAT | 0o600, ALICE);
  r.remove(s);
  r.remove(s);
  t.deepEqual(destroyed, [s]);
  t.deepEqual(refusal(() => r.set(s, ROOT, { mode: 0o600 })), ['EIDRM', `segment ${s.id} was removed`]);
  t.deepEqual(refusal(() => r.rmid(s, ROOT)), ['EIDRM', `segment ${s.id} was removed`]);
  t.deepEqual(refusal(() => r.attach(s, 1)), ['EIDRM', `segment ${s.id} was removed`]);
});

test('shmget: IPC_PRIVATE makes a new segment with or without IPC_CREAT; an existing key is found with IPC_CREAT or IPC_EXCL alone; perm is shm_perm', (t) => {
  const { r } = registry();
  const p = r.shmget(IPC_PRIVATE, 1, 0o600, ALICE);
  t.not(r.shmget(IPC_PRIVATE, 1, 0o600, ALICE), p);
  const s = r.shmget(0x50, 1, IPC_CREAT | 0o640, ALICE);
  t.is(r.lookupKey(0x50), s);
  t.is(r.shmget(0x50, 1, IPC_CREAT | 0o600, ALICE), s);
  t.is(r.shmget(0x50, 1, IPC_EXCL | 0o600, ALICE), s);
  t.is(s.perm, s.ds.perm);
  t.is(s.perm.mode, 0o640);
});

test('shmget\'s quota refusals name shmget', (t) => {
  const { r } = registry({ shmall: 1, shmmni: 1 });
  t.deepEqual(refusal(() => r.shmget(IPC_PRIVATE, 4097, IPC_CREAT, ROOT)), ['ENOSPC', 'shmget: shared memory pages limit (1) reached for everyone']);
  r.shmget(IPC_PRIVATE, 1, IPC_CREAT, ROOT);
  const { r: r2 } = registry({ shmmni: 1 });
  r2.shmget(IPC_PRIVATE, 1, IPC_CREAT, ROOT);
  t.deepEqual(refusal(() => r2.shmget(IPC_PRIVATE, 1, IPC_CREAT, ROOT)), ['ENOSPC', 'shmget: SHMMNI (System V segments) limit (1) reached for everyone']);
});
