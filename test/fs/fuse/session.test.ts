import test from 'ava';
import fc from 'fast-check';
import { InitFlag, InitFlag2, Opcode, PASSTHROUGH_MAX_STACK_DEPTH } from '../../../fs/fuse/abi.js';
import { Errno, FuseError } from '../../../fs/fuse/errno.js';
import type { FuseOperations, FuseRequest } from '../../../fs/fuse/ops.js';
import type { NameIn, WriteIn } from '../../../fs/fuse/requests.js';
import { ReplyGate, Session, WANTED_INIT_FLAGS } from '../../../fs/fuse/session.js';
import { body } from '../../helpers/kernel-requests.js';
import { SyntheticKernel, silentLog, startSession } from '../../helpers/synthetic-kernel.js';

const attr = { ino: 2, size: 0, mode: 0o100644, nlink: 1, uid: 0, gid: 0, atimeMs: 0, mtimeMs: 0, ctimeMs: 0 };
const entry = { nodeid: 2, generation: 0, entryValidMs: 0, attrValidMs: 0, attr };

/** A write that waits until interrupted: the shape of a blocked semaphore wait. */
function blockingWrite(req: FuseRequest<WriteIn>): Promise<number> {
  return new Promise((_, reject) => {
    if (req.signal.aborted) return reject(req.signal.reason);
    req.signal.addEventListener('abort', () => reject(req.signal.reason));
  });
}

test('INIT: our major, the lower minor, only the flags we want and the kernel offers', async (t) => {
  const kernel = new SyntheticKernel();
  const session = new Session(kernel, {}, { log: silentLog, maxWrite: 65536 });
  void session.run();
  const offered = InitFlag.PARALLEL_DIROPS | InitFlag.ASYNC_READ | InitFlag.WRITEBACK_CACHE | InitFlag.BIG_WRITES;
  const r = await kernel.call(Opcode.INIT, 0, body.init(7, 45, offered));
  t.is(r.error, 0);
  t.is(r.body.length, 64);
  t.is(r.body.readUInt32LE(0), 7);
  t.is(r.body.readUInt32LE(4), 38);
  t.is(r.body.readUInt32LE(12), offered & WANTED_INIT_FLAGS);
  t.is(r.body.readUInt32LE(12) & InitFlag.WRITEBACK_CACHE, 0);
  t.is(r.body.readUInt32LE(20), 65536, 'max_write');
  t.true(kernel.readSize >= 40 + 40 + 65536, 'read buffer holds header + fuse_write_in + max_write');
  t.deepEqual(await session.ready, { major: 7, minor: 38, flags: offered & WANTED_INIT_FLAGS, maxWrite: 65536 });
});

test('INIT: FUSE_PASSTHROUGH is asked for in flags2, with INIT_EXT and max_stack_depth, only when wanted and offered', async (t) => {
  const offered = InitFlag.INIT_EXT | InitFlag.BIG_WRITES;
  const init = async (passthrough: boolean | undefined, flags2: number) => {
    const kernel = new SyntheticKernel();
    const session = new Session(kernel, {}, { log: silentLog, passthrough });
    void session.run();
    const r = await kernel.call(Opcode.INIT, 0, body.init(7, 45, offered, 131072, flags2));
    t.is(r.error, 0);
    return { flags: r.body.readUInt32LE(12), flags2: r.body.readUInt32LE(32), depth: r.body.readUInt32LE(36), info: await session.ready };
  };
  const on = await init(true, InitFlag2.PASSTHROUGH | 1);
  t.is(on.flags & InitFlag.INIT_EXT, InitFlag.INIT_EXT, 'flags2 is read only with INIT_EXT');
  t.is(on.flags2, InitFlag2.PASSTHROUGH, 'nothing else of flags2');
  t.is(on.depth, PASSTHROUGH_MAX_STACK_DEPTH, 'the kernel refuses passthrough with max_stack_depth 0');
  t.true(on.info.passthrough);
  const notOffered = await init(true, 0);
  t.deepEqual([notOffered.flags & InitFlag.INIT_EXT, notOffered.flags2, notOffered.depth, notOffered.info.passthrough], [0, 0, 0, false]);
  const notWanted = await init(undefined, InitFlag2.PASSTHROUGH);
  t.deepEqual([notWanted.flags & InitFlag.INIT_EXT, notWanted.flags2, notWanted.depth, notWanted.info.passthrough], [0, 0, 0, undefined]);
});

test('INIT: an older kernel minor is kept', async (t) => {
  const { kernel } = await startSession({}, 31);
  t.is(kernel.replies.get(2)!.body.readUInt32LE(4), 31);
});

test('INIT: a kernel older than 7.23 is refused with EPROTO', async (t) => {
  const kernel = new SyntheticKernel();
  void new Session(kernel, {}, { log: silentLog }).run();
  t.is((await kernel.call(Opcode.INIT, 0, body.init(7, 12, 0))).error, -Errno.EPROTO);
});

test('INIT: a newer major gets our major back (the kernel then resends INIT)', async (t) => {
  const kernel = new SyntheticKernel();
  const session = new Session(kernel, {}, { log: silentLog });
  void session.run();
  const r = await kernel.call(Opcode.INIT, 0, body.init(8, 0, 0));
  t.is(r.error, 0);
  t.is(r.body.readUInt32LE(0), 7);
  t.is(session.connection, null, 'not initialised yet');
  t.is((await kernel.call(Opcode.INIT, 0, body.init(7, 38, 0))).error, 0);
});

test('a request before INIT is answered EIO', async (t) => {
  const kernel = new SyntheticKernel();
  void new Session(kernel, { lookup: () => entry }, { log: silentLog }).run();
  t.is((await kernel.call(Opcode.LOOKUP, 1, body.name('x'))).error, -Errno.EIO);
});

test('an unknown opcode is ENOSYS; an unimplemented one gets its table errno', async (t) => {
  const { kernel } = await startSession({});
  t.is((await kernel.call(999, 1, Buffer.alloc(0))).error, -Errno.ENOSYS);
  t.is((await kernel.call(Opcode.BMAP, 1, Buffer.alloc(16))).error, -Errno.ENOSYS);
  t.is((await kernel.call(Opcode.IOCTL, 2, body.ioctl(1, 0x5401))).error, -Errno.ENOTTY);
  t.is((await kernel.call(Opcode.GETXATTR, 2, body.getxattr('user.x', 0))).error, -Errno.ENOSYS);
  t.is((await kernel.call(Opcode.LOOKUP, 1, body.name('x'))).error, -Errno.ENOENT);
  t.is((await kernel.call(Opcode.RENAME, 1, body.rename(1, 'a', 'b'))).error, -Errno.EPERM);
});

test('a malformed body is EIO and the session goes on', async (t) => {
  let calls = 0;
  const { kernel } = await startSession({ lookup: () => (calls++, entry) });
  t.is((await kernel.call(Opcode.LOOKUP, 1, Buffer.from('no-nul'))).error, -Errno.EIO);
  t.is((await kernel.call(Opcode.LOOKUP, 1, body.name('x'))).error, 0);
  t.is(calls, 1);
});

test('garbage that is not even a header is logged and survives; one with a unique is answered EIO', async (t) => {
  const { kernel } = await startSession({ lookup: () => entry });
  kernel.sendRaw(Buffer.alloc(7));
  const torn = Buffer.alloc(20);
  torn.writeBigUInt64LE(77n, 8);
  kernel.sendRaw(torn);
  t.is((await kernel.reply(77)).error, -Errno.EIO);
  t.is((await kernel.call(Opcode.LOOKUP, 1, body.name('x'))).error, 0);
});

test('a handler that throws FuseError answers its errno; any other throw answers EIO', async (t) => {
  const { kernel } = await startSession({
    lookup: (req: FuseRequest<NameIn>) => {
      if (req.args.name === 'eacces') throw new FuseError(Errno.EACCES);
      if (req.args.name === 'async') return Promise.reject(new TypeError('bug'));
      throw new TypeError('bug');
    },
  });
  t.is((await kernel.call(Opcode.LOOKUP, 1, body.name('eacces'))).error, -Errno.EACCES);
  t.is((await kernel.call(Opcode.LOOKUP, 1, body.name('sync'))).error, -Errno.EIO);
  t.is((await kernel.call(Opcode.LOOKUP, 1, body.name('async'))).error, -Errno.EIO);
  t.deepEqual(kernel.violations, []);
});

test('the caller (uid, gid, pid) reaches the handler, and the pid resolves to its process', async (t) => {
  let seen: { uid: number; gid: number; pid: number; tgid: number } | null = null;
  const { kernel } = await startSession({
    lookup: (req) => {
      seen = { uid: req.caller.uid, gid: req.caller.gid, pid: req.caller.pid, tgid: req.caller.tgid };
      return entry;
    },
  });
  await kernel.call(Opcode.LOOKUP, 1, body.name('x'), { uid: 1000, gid: 100, pid: process.pid });
  t.deepEqual(seen, { uid: 1000, gid: 100, pid: process.pid, tgid: process.pid });
});

test('INTERRUPT aborts the pending request, which answers EINTR', async (t) => {
  const { kernel, session } = await startSession({ write: blockingWrite });
  const u = kernel.send(Opcode.WRITE, 2, body.write(1, Buffer.from('wait')));
  t.is(session.pendingCount, 1);
  kernel.interrupt(u);
  t.is((await kernel.reply(u)).error, -Errno.EINTR);
  t.is(session.pendingCount, 0);
});

test('an INTERRUPT read before its request interrupts it on arrival', async (t) => {
  const { kernel } = await startSession({ write: blockingWrite });
  const u = kernel.takeUnique();
  kernel.interrupt(u);
  kernel.send(Opcode.WRITE, 2, body.write(1, Buffer.from('wait')), {}, u);
  t.is((await kernel.reply(u)).error, -Errno.EINTR);
});

test('an INTERRUPT for a request already answered changes nothing', async (t) => {
  let n = 0;
  const { kernel } = await startSession({ write: () => ++n });
  const u = kernel.send(Opcode.WRITE, 2, body.write(1, Buffer.from('x')));
  kernel.interrupt(u);
  t.is((await kernel.call(Opcode.WRITE, 2, body.write(1, Buffer.from('y')))).error, 0);
  t.deepEqual(kernel.violations, []);
});

test('a reply the kernel drops (ENOENT: interrupted and gone) is not an error', async (t) => {
  const { kernel } = await startSession({ write: blockingWrite });
  const u = kernel.send(Opcode.WRITE, 2, body.write(1, Buffer.from('wait')));
  kernel.dropped.add(u);
  kernel.interrupt(u);
  await kernel.reply(u);
  t.is((await kernel.call(Opcode.LOOKUP, 1, body.name('x'))).error, -Errno.ENOENT);
});

test('a blocked request does not hold up the ones behind it', async (t) => {
  const { kernel } = await startSession({ write: blockingWrite, lookup: () => entry });
  const blocked = kernel.send(Opcode.WRITE, 2, body.write(1, Buffer.from('wait')));
  for (let i = 0; i < 10; i++) t.is((await kernel.call(Opcode.LOOKUP, 1, body.name('x'))).error, 0);
  t.false(kernel.replies.has(blocked));
  kernel.interrupt(blocked);
  await kernel.reply(blocked);
});

test('FORGET and BATCH_FORGET reach forget() and get no reply', async (t) => {
  const forgotten: [number, number][] = [];
  const { kernel } = await startSession({ forget: (id, n) => forgotten.push([id, n]) });
  const u1 = kernel.send(Opcode.FORGET, 7, body.forget(2));
  const u2 = kernel.send(Opcode.BATCH_FORGET, 0, body.batchForget([[8, 1], [9, 4]]));
  await kernel.call(Opcode.LOOKUP, 1, body.name('x'));
  t.deepEqual(forgotten, [[7, 2], [8, 1], [9, 4]]);
  t.false(kernel.replies.has(u1));
  t.false(kernel.replies.has(u2));
});

test('the end of the connection aborts waiting handlers and calls destroy', async (t) => {
  let destroyed = false;
  let aborted: unknown = null;
  const { kernel, session } = await startSession({
    write: (req) => blockingWrite(req).catch((e: unknown) => ((aborted = e), Promise.reject(e))),
    destroy: () => (destroyed = true),
  });
  kernel.send(Opcode.WRITE, 2, body.write(1, Buffer.from('wait')));
  kernel.end();
  await session.ended$;
  await new Promise((r) => setImmediate(r));
  t.true(destroyed);
  t.true(aborted instanceof FuseError);
});

test('ReplyGate refuses a second reply', (t) => {
  const kernel = new SyntheticKernel();
  const gate = new ReplyGate(2, kernel);
  gate.send(Buffer.from('1000000000000000020000000000000000', 'hex').subarray(0, 16));
  t.throws(() => gate.send(Buffer.alloc(16)), { message: /second reply/ });
});

test('property: any mix of requests, interrupts and failures gets exactly one reply per request', async (t) => {
  type Step = { kind: 'ok' | 'fail' | 'throw' | 'block' | 'slow'; interrupt: boolean };
  const step = fc.record({ kind: fc.constantFrom('ok', 'fail', 'throw', 'block', 'slow'), interrupt: fc.boolean() }) as fc.Arbitrary<Step>;
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
      const ops: FuseOperations = {
        write: (req) => {
          const kind = req.args.data.toString();
          if (kind === 'ok') return req.args.size;
          if (kind === 'fail') throw new FuseError(Errno.EAGAIN);
          if (kind === 'throw') throw new Error('bug');
          if (kind === 'slow') return new Promise((r) => setTimeout(() => r(1), 1));
          return blockingWrite(req);
        },
      };
      const { kernel, session } = await startSession(ops);
      const uniques: number[] = [];
      for (const s of steps) {
        const u = kernel.send(Opcode.WRITE, 2, body.write(1, Buffer.from(s.kind)));
        uniques.push(u);
        if (s.interrupt || s.kind === 'block') kernel.interrupt(u);
      }
      await Promise.all(uniques.map((u) => kernel.reply(u)));
      await new Promise((r) => setTimeout(r, 5));
      return kernel.violations.length === 0 && uniques.every((u) => kernel.replies.has(u)) && session.pendingCount === 0;
    }),
    { numRuns: 60 },
  );
  t.pass();
});
