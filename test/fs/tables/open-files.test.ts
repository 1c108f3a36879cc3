/**
 * The open-file table (fs/tables/open-files.ts), no mount: an fh per handle, bound to the early
 * replies when added and unbound at release; release gives the quota charge back once and
 * releases the handle once, even when the handle fails; the end of the session releases
 * everything; a poll wake fires once, and only for the latest POLL.
 */
import test from 'ava';
import { NO_EARLY_REPLIES, type EarlyReplies } from '../../../fs/fuse/early-replies.js';
import { OpenFiles } from '../../../fs/tables/open-files.js';
import type { FileHandle, FsContext } from '../../../fs/tree/node.js';
import type { ErrnoError } from '../../../ipc/errno.js';
import { DEFAULT_LIMITS, quotaFor } from '../../../ipc/limits.js';
import { silentLog } from '../../helpers/synthetic-kernel.js';

const ctx: FsContext = { unique: 1, caller: { uid: 1000, gid: 1000, pid: 1, tgid: 1, groups: [] }, signal: new AbortController().signal, log: silentLog };

function setup() {
  const quota = quotaFor(DEFAULT_LIMITS);
  let fh = 1;
  const woken: number[] = [];
  const files = new OpenFiles(() => fh++, (kh) => woken.push(kh));
  const unbound: number[] = [];
  files.early = { ...NO_EARLY_REPLIES, unbind: (n: number) => void unbound.push(n) } satisfies EarlyReplies;
  const handle = (fails = false) => {
    const h = {
      releases: 0,
      boundTo: [] as [number, EarlyReplies][],
      mode: {},
      read: () => Buffer.alloc(0),
      write: (_c: FsContext, data: Buffer) => data.length,
      opened(n: number, early: EarlyReplies) {
        h.boundTo.push([n, early]);
      },
      release() {
        h.releases++;
        if (fails) throw new Error('a handle that fails to release');
      },
    } satisfies FileHandle & Record<string, unknown>;
    return h;
  };
  const charge = () => quota.charge(ctx.caller.uid, { handles: 1 }, 'open');
  return { quota, files, woken, unbound, handle, charge };
}

test('add gives each handle its own fh and lets it bind that fh to the early replies', (t) => {
  const { files, handle, charge } = setup();
  const a = handle();
  const b = handle();
  const fa = files.add(a, charge());
  const fb = files.add(b, charge());
  t.not(fa, fb);
  t.deepEqual(a.boundTo, [[fa, files.early]]);
  t.deepEqual(b.boundTo, [[fb, files.early]]);
  t.is(files.get(fa).handle, a);
  t.is(files.size, 2);
  t.is((t.throws(() => files.get(999)) as ErrnoError).code, 'EBADF');
});

test('release gives the charge back once, unbinds the fh and releases the handle once', (t) => {
  const { quota, files, unbound, handle, charge } = setup();
  const h = handle();
  const fh = files.add(h, charge());
  t.is(quota.usedBy(ctx.caller.uid, 'handles'), 1);
  files.release(fh, ctx);
  t.is(quota.usedBy(ctx.caller.uid, 'handles'), 0);
  t.deepEqual(unbound, [fh]);
  t.is(h.releases, 1);
  t.is((t.throws(() => files.get(fh)) as ErrnoError).code, 'EBADF', 'a released fh is gone');
  files.release(fh, ctx);
  t.is(h.releases, 1, 'a second RELEASE of the fh does nothing');
  t.deepEqual(unbound, [fh]);
  t.is(quota.used('handles'), 0);
});

test('a handle that fails to release is gone all the same, its charge given back', (t) => {
  const { quota, files, handle, charge } = setup();
  const fh = files.add(handle(true), charge());
  t.notThrows(() => files.release(fh, ctx));
  t.is(files.size, 0);
  t.is(quota.used('handles'), 0);
});

test('releaseAll (the session ended) releases every handle and gives every charge back', (t) => {
  const { quota, files, unbound, handle, charge } = setup();
  const hs = [handle(), handle(true), handle()];
  const fhs = hs.map((h) => files.add(h, charge()));
  t.is(quota.used('handles'), 3);
  files.releaseAll(ctx);
  t.is(files.size, 0);
  t.is(quota.used('handles'), 0);
  t.deepEqual(hs.map((h) => h.releases), [1, 1, 1]);
  t.deepEqual([...unbound].sort(), [...fhs].sort());
});

test('a poll wake notifies its kh once; a newer POLL replaces it', (t) => {
  const { files, woken, handle, charge } = setup();
  const f = files.get(files.add(handle(), charge()));
  const first = files.pollWake(f, 7);
  t.is(f.pollKh, 7);
  first();
  first();
  t.deepEqual(woken, [7], 'once');
  t.is(f.pollKh, null);
  const old = files.pollWake(f, 8);
  const latest = files.pollWake(f, 9);
  old();
  t.deepEqual(woken, [7], 'a wake replaced by a newer POLL sends nothing');
  latest();
  t.deepEqual(woken, [7, 9]);
});
