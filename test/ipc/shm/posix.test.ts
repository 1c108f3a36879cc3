import test from 'ava';
import fc from 'fast-check';
import { Errno } from '../../../ipc/errno.js';
import { Quota, type ResourceLimit } from '../../../ipc/quota.js';
import { SHM_LIMITS, shmQuotaLimits, type ShmLimits, type ShmResource } from '../../../ipc/shm/limits.js';
import { PosixShm } from '../../../ipc/shm/posix.js';
import { refusal } from '../../helpers/errno.js';

const ALICE = { uid: 1000, gid: 1000 };
const BOB = { uid: 1001, gid: 1001 };

function quota(l: Partial<ShmLimits> = {}, objects = 100) {
  const objectsLimit: ResourceLimit = { global: objects, perUid: objects, globalErrno: Errno.ENOSPC, uidErrno: Errno.ENOSPC, label: 'objects' };
  return new Quota<ShmResource>({ objects: objectsLimit, ...shmQuotaLimits({ ...SHM_LIMITS, ...l }) });
}

const code = (fn: () => unknown): string => {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return (err as { code: string }).code;
  }
};

test('a new object is empty and charged as one object; truncate sets the size and charges whole pages to the creator', (t) => {
  const q = quota();
  const o = new PosixShm('/a', ALICE, 0o640, q);
  t.is(o.size, 0);
  t.is(q.usedBy(ALICE.uid, 'objects'), 1);
  o.truncate(5000);
  t.is(o.size, 5000);
  t.is(q.usedBy(ALICE.uid, 'shmPages'), 2);
  o.truncate(4096);
  t.is(q.usedBy(ALICE.uid, 'shmPages'), 1, 'shrinking gives pages back');
  o.truncate(0);
  t.is(q.usedBy(ALICE.uid, 'shmPages'), 0);
  t.is(o.perm.mode, 0o640);
});

test('truncate: EINVAL for a negative size, ENOSPC past the page limits, and a refusal keeps the size and the charge', (t) => {
  const q = quota({ uidShmPages: 4, shmall: 6 });
  const o = new PosixShm('/a', ALICE, 0o600, q);
  o.truncate(4096);
  t.is(code(() => o.truncate(-1)), 'EINVAL');
  t.is(code(() => o.truncate(1.5)), 'EINVAL');
  t.is(code(() => o.truncate(5 * 4096)), 'ENOSPC', 'the user\'s own limit is ENOSPC for ftruncate');
  t.is(o.size, 4096);
  t.is(q.usedBy(ALICE.uid, 'shmPages'), 1);
  const root = new PosixShm('/r', { uid: 0, gid: 0 }, 0o600, q);
  t.is(code(() => root.truncate(6 * 4096)), 'ENOSPC', 'the global limit holds for root too');
  root.truncate(5 * 4096);
  t.is(q.used('shmPages'), 6);
});

test('the pages are charged to the creator whoever truncates (a user with write permission)', (t) => {
  const q = quota();
  const o = new PosixShm('/a', ALICE, 0o666, q);
  o.truncate(3 * 4096); // by Bob, through the file: fs/ checked his write permission
  t.is(q.usedBy(ALICE.uid, 'shmPages'), 3);
  t.is(q.usedBy(BOB.uid, 'shmPages'), 0);
});

test('unlink keeps the object while opened; it goes with the last release and gives everything back', (t) => {
  const q = quota();
  const o = new PosixShm('/a', ALICE, 0o600, q);
  let destroyed = 0;
  o.onDestroy = () => destroyed++;
  o.truncate(8192);
  o.opened();
  o.opened();
  o.unlink();
  t.true(o.isUnlinked);
  t.false(o.gone);
  o.truncate(12288); // open users go on working, truncate included
  t.is(o.size, 12288);
  o.released();
  t.is(destroyed, 0);
  o.released();
  t.is(destroyed, 1);
  t.true(o.gone);
  t.is(q.used('shmPages'), 0);
  t.is(q.used('objects'), 0);
  t.is(code(() => o.opened()), 'ENOENT');
  o.released();
  o.unlink();
  t.is(destroyed, 1, 'once');
});

test('unlink of an object nobody has open destroys it at once', (t) => {
  const q = quota();
  const o = new PosixShm('/a', ALICE, 0o600, q);
  let destroyed = 0;
  o.onDestroy = () => destroyed++;
  o.unlink();
  t.is(destroyed, 1);
  t.is(q.used('objects'), 0);
});

test('creating past the objects limit is ENOSPC and charges nothing', (t) => {
  const q = quota({}, 1);
  new PosixShm('/a', ALICE, 0o600, q);
  t.is(code(() => new PosixShm('/b', ALICE, 0o600, q)), 'ENOSPC');
  t.is(q.used('objects'), 1);
});

test('property: after any sequence of truncates, opens, releases and an unlink, the charge is the pages of the size (or nothing once gone)', (t) => {
  const op = fc.oneof(
    fc.record({ k: fc.constant('truncate' as const), size: fc.integer({ min: 0, max: 40000 }) }),
    fc.record({ k: fc.constant('open' as const) }),
    fc.record({ k: fc.constant('release' as const) }),
    fc.record({ k: fc.constant('unlink' as const) }),
  );
  fc.assert(fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
    const q = quota({ uidShmPages: 8 });
    const o = new PosixShm('/p', ALICE, 0o600, q);
    let opens = 0;
    let unlinked = false;
    let size = 0;
    for (const x of ops) {
      if (x.k === 'truncate') {
        const r = code(() => o.truncate(x.size));
        if (o.gone) t.is(r, 'ENOENT');
        else if (Math.ceil(x.size / 4096) > 8) t.is(r, 'ENOSPC');
        else size = x.size;
      } else if (x.k === 'open') {
        if (code(() => o.opened()) === 'ok') opens++;
      } else if (x.k === 'release') {
        if (opens > 0) opens--;
        o.released();
      } else {
        unlinked = true;
        o.unlink();
      }
      const gone = unlinked && opens === 0;
      if (o.gone !== gone) return false;
      if (!gone && (o.size !== size || q.used('shmPages') !== Math.ceil(size / 4096))) return false;
      if (gone && (q.used('shmPages') !== 0 || q.used('objects') !== 0)) return false;
    }
    return true;
  }));
  t.pass();
});

test('truncate\'s refusals and their messages: EINVAL, EFBIG past a safe integer, ENOSPC (a user\'s ENOMEM turned to ftruncate\'s errno, with the quota\'s message), ENOENT once gone', (t) => {
  const q = quota({ uidShmPages: 2, shmall: 3 });
  const o = new PosixShm('/m', ALICE, 0o600, q);
  t.deepEqual(refusal(() => o.truncate(-1)), ['EINVAL', 'size -1: not a size']);
  t.deepEqual(refusal(() => o.truncate(2 ** 53)), ['EFBIG', `size ${2 ** 53} is past the largest file size`]);
  t.deepEqual(refusal(() => o.truncate(3 * 4096)), ['ENOSPC', 'ftruncate: shared memory pages limit per user (2) reached for uid 1000']);
  const root = new PosixShm('/r', { uid: 0, gid: 0 }, 0o600, q);
  t.deepEqual(refusal(() => root.truncate(4 * 4096)), ['ENOSPC', 'ftruncate: shared memory pages limit (3) reached for everyone']);
  o.unlink();
  t.deepEqual(refusal(() => o.truncate(1)), ['ENOENT', '/m is gone']);
  t.deepEqual(refusal(() => o.opened()), ['ENOENT', '/m is gone']);
});

test('truncate to the largest safe size is refused on pages, not on size; a same-page resize charges nothing new', (t) => {
  const q = quota({ uidShmPages: 1 });
  const o = new PosixShm('/m', ALICE, 0o600, q);
  t.is(code(() => o.truncate(Number.MAX_SAFE_INTEGER)), 'ENOSPC');
  o.truncate(4096);
  o.truncate(1);
  t.is(o.size, 1);
  t.is(o.pages, 1);
  t.is(q.usedBy(ALICE.uid, 'shmPages'), 1);
});

test('times, handles and watchers: truncate stamps mtime and ctime, unlink ctime; every change calls the watchers', (t) => {
  let now = 10;
  const q = quota();
  const o = new PosixShm('/w', ALICE, 0o1777, q, SHM_LIMITS, () => now);
  t.is(o.perm.mode, 0o777);
  t.deepEqual([o.mtimeMs, o.ctimeMs], [10, 10]);
  const seen: string[] = [];
  o.watchers.add(() => seen.push(`${o.size}/${o.handles}/${o.isUnlinked}/${o.gone}`));
  now = 20;
  o.truncate(100);
  t.deepEqual([o.mtimeMs, o.ctimeMs], [20, 20]);
  o.opened();
  t.is(o.handles, 1);
  now = 30;
  o.unlink();
  t.deepEqual([o.mtimeMs, o.ctimeMs], [20, 30]);
  o.unlink();
  o.released();
  t.is(o.handles, 0);
  o.released();
  t.deepEqual(seen, ['100/0/false/false', '100/1/false/false', '100/1/true/false', '100/0/true/false', '100/0/true/true']);
  t.is(q.used('objects'), 0);
});

test('creating past the objects limit: the quota\'s message names shm_open', (t) => {
  const q = quota({}, 1);
  new PosixShm('/a', ALICE, 0o600, q);
  t.deepEqual(refusal(() => new PosixShm('/b', ALICE, 0o600, q)), ['ENOSPC', 'shm_open: objects limit (1) reached for everyone']);
});
