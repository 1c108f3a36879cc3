/**
 * Early replies (fs/fuse/early-replies.ts): the addon's matcher (native/early_replies.c) over byte
 * fixtures as the kernel writes them, the JS bookkeeping over a recording table, and a whole
 * session over the synthetic kernel, whose read path uses the same matcher.
 */
import test from 'ava';
import fc from 'fast-check';
import { Opcode } from '../../../fs/fuse/abi.js';
import { EarlyReplyBook, type EarlyRule, type EarlyTable } from '../../../fs/fuse/early-replies.js';
import { Errno } from '../../../fs/fuse/errno.js';
import { native } from '../../../fs/fuse/native.js';
import { buildTree } from '../../../fs/layout.js';
import { IpcfsOperations } from '../../../fs/operations.js';
import { body, request, type Who } from '../../helpers/kernel-requests.js';
import { silentLog, startSession } from '../../helpers/synthetic-kernel.js';

/** A reply with distinct bytes, so a copy that shifts or truncates it shows. */
const REPLY = Buffer.from(Array.from({ length: 24 }, (_, i) => 0x40 + i));
const UNIQUE = 0x1234_5678_9abc;
/** owner 1000, creator 1001, group 2000, creator's group 2001 */
const rule = (mode: number): number[] => [1000, 1001, 2000, 2001, mode, 2];

function armedTable(mode = 0o660): unknown {
  const t = native.earlyTable();
  if (native.earlySet(t, 3, REPLY, UNIQUE, Buffer.from('post'), rule(mode)) !== 0) throw new Error('earlySet');
  if (native.earlyBind(t, 7, 3) !== 0) throw new Error('earlyBind');
  return t;
}

/** A WRITE as fs/fuse/file.c sends it: header, fuse_write_in for fh 7, the bytes. */
function write(data: string, who: Who = { uid: 1000, gid: 2000, pid: 77 }, fh = 7, opcode: number = Opcode.WRITE): Buffer {
  return request(opcode, 42, 5, body.write(fh, Buffer.from(data)), who);
}

const match = (t: unknown, req: Buffer, length = req.length): number => native.earlyMatch(t, req, length);

test('a bare post on a bound handle fires its slot, with or without a final newline', (t) => {
  const table = armedTable();
  t.is(match(table, write('post')), 3);
  t.is(match(table, write('post\n')), 3);
});

test('any other bytes do not: case, blanks, options, a second newline, a prefix or a longer word', (t) => {
  const table = armedTable();
  for (const s of ['POST', ' post', 'post ', 'post undo', 'post\n\n', 'pos', 'posts', 'post\r\n', '', '\n', 'op 0:1']) {
    t.is(match(table, write(s)), -1, JSON.stringify(s));
  }
});

test('only WRITE, only a bound fh, only a request whose lengths agree and that has no extensions', (t) => {
  const table = armedTable();
  t.is(match(table, write('post', undefined, 8)), -1, 'unbound fh');
  t.is(match(table, write('post', undefined, 7, Opcode.READ)), -1, 'not a WRITE');
  const req = write('post');
  t.is(match(table, req, req.length - 1), -1, 'read length differs from the header length');
  const badSize = Buffer.from(req);
  badSize.writeUInt32LE(5, 40 + 16); // fuse_write_in.size
  t.is(match(table, badSize), -1, 'write size differs from the bytes that follow');
  const ext = Buffer.from(req);
  ext.writeUInt16LE(1, 36); // fuse_in_header.total_extlen
  t.is(match(table, ext), -1, 'extension headers follow');
  t.is(match(table, req.subarray(0, 60)), -1, 'shorter than the two headers');
});

test('permission: only callers ipcperms surely permits from uid and gid alone', (t) => {
  const cases: [mode: number, who: Who, fires: boolean, why: string][] = [
    [0o000, { uid: 0, gid: 0 }, true, 'root passes'],
    [0o200, { uid: 1000, gid: 9 }, true, 'owner with the owner write bit'],
    [0o200, { uid: 1001, gid: 9 }, true, 'creator is in the owner class'],
    [0o022, { uid: 1000, gid: 2000 }, false, 'the owner class uses the owner bits only'],
    [0o020, { uid: 3000, gid: 2000 }, true, 'group by primary gid'],
    [0o020, { uid: 3000, gid: 2001 }, true, "creator's group"],
    [0o202, { uid: 3000, gid: 2000 }, false, 'the group class uses the group bits only'],
    [0o002, { uid: 3000, gid: 9 }, false, 'others only: a supplementary group could put the caller in the group class'],
    [0o020, { uid: 3000, gid: 9 }, false, 'group only: membership by a supplementary group is not known here'],
    [0o022, { uid: 3000, gid: 9 }, true, 'group and others both grant it: sure either way'],
    [0o044, { uid: 0o1000, gid: 9 }, false, 'read bits are not alter'],
  ];
  for (const [mode, who, fires, why] of cases) t.is(match(armedTable(mode), write('post', who)), fires ? 3 : -1, why);
});

test('disarm, re-arm, unbind', (t) => {
  const table = armedTable();
  t.is(native.earlySet(table, 3, null), 0);
  t.is(match(table, write('post')), -1, 'disarmed');
  t.is(native.earlySet(table, 3, REPLY, UNIQUE, Buffer.from('post'), rule(0o660)), 0);
  t.is(match(table, write('post')), 3);
  t.is(native.earlyBind(table, 7, -1), 0);
  t.is(match(table, write('post')), -1, 'unbound');
  t.is(native.earlySet(table, 999, null), 0, 'disarming a slot never armed is nothing');
});

test('the addon refuses sizes past its fixed buffers instead of truncating', (t) => {
  const table = native.earlyTable();
  t.throws(() => native.earlySet(table, 0, Buffer.alloc(65), 1, Buffer.from('post'), rule(0o600)), { instanceOf: TypeError });
  t.throws(() => native.earlySet(table, 0, REPLY, 1, Buffer.alloc(33), rule(0o600)), { instanceOf: TypeError });
  t.throws(() => native.earlySet(table, 0, REPLY, 0, Buffer.from('post'), rule(0o600)), { instanceOf: TypeError }, 'unique 0 names no request');
  t.is(native.earlySet(table, 1 << 22, REPLY, 1, Buffer.from('post'), rule(0o600)), -1, 'slot beyond the table bound');
});

test('property: the fh table agrees with a map through binds, rebinds and unbinds (growth and tombstones)', (t) => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: -1, max: 3 })), { maxLength: 600 }), (steps) => {
      const table = native.earlyTable();
      for (let s = 0; s < 4; s++) native.earlySet(table, s, REPLY, 100 + s, Buffer.from('post'), rule(0o666));
      const model = new Map<number, number>();
      for (const [fh, slot] of steps) {
        native.earlyBind(table, fh, slot);
        if (slot < 0) model.delete(fh);
        else model.set(fh, slot);
      }
      for (let fh = 0; fh <= 300; fh++) {
        if (match(table, write('post', { uid: 0 }, fh)) !== (model.get(fh) ?? -1)) return false;
      }
      return true;
    }),
    { numRuns: 60 },
  );
  t.pass();
});

/** An EarlyTable that records the calls into the addon. */
function recorder(): { table: EarlyTable; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    table: {
      set: (slot, reply, unique) => calls.push(reply ? `set ${slot} ${unique}` : `clear ${slot}`),
      bind: (fh, slot) => calls.push(`bind ${fh} ${slot}`),
    },
  };
}

const R: EarlyRule = { uid: 1, cuid: 1, gid: 1, cgid: 1, mode: 0o600, want: 2 };

test('book: one slot per object, shared by its handles, freed with the last and reused', (t) => {
  const { table, calls } = recorder();
  const book = new EarlyReplyBook(table, (u) => Buffer.from([u & 0xff]));
  const a = {};
  const b = {};
  book.bind(10, a);
  book.bind(11, a);
  book.bind(10, a);
  book.arm(a, 8, 4, 'post', R);
  book.arm(a, 8, 4, 'post', R);
  t.deepEqual(calls.splice(0), ['bind 10 0', 'bind 11 0', 'set 0 8'], 'a second bind of the same fh and an unchanged re-arm cost nothing');
  book.arm(a, 8, 4, 'post', { ...R, mode: 0o660 });
  t.deepEqual(calls.splice(0), ['set 0 8'], 'a changed rule is set again');
  book.unbind(10);
  t.deepEqual(calls.splice(0), ['bind 10 -1'], 'the object keeps its slot while a handle is bound');
  book.unbind(11);
  t.deepEqual(calls.splice(0), ['bind 11 -1', 'clear 0'], 'the last handle disarms it');
  book.bind(12, b);
  book.arm(a, 9, 4, 'post', R);
  t.deepEqual(calls.splice(0), ['bind 12 0'], 'the slot is reused; an object without handles arms nothing');
});

test('book: a fired reply is forgotten, a request that cannot be encoded disarms', (t) => {
  const { table, calls } = recorder();
  const pending = new Set([8, 9]);
  const book = new EarlyReplyBook(table, (u) => (pending.has(u) ? Buffer.from([u]) : null));
  const a = {};
  book.bind(10, a);
  book.arm(a, 8, 4, 'post', R);
  book.fired(8);
  book.arm(a, 8, 4, 'post', R);
  t.deepEqual(calls.splice(0), ['bind 10 0', 'set 0 8', 'set 0 8'], 'after firing, the same arming is sent again');
  book.arm(a, 7, 4, 'post', R);
  t.deepEqual(calls.splice(0), ['clear 0'], 'not pending: disarmed');
  book.disarm(a);
  t.deepEqual(calls.splice(0), [], 'already disarmed');
});

/** A session over the synthetic kernel with the real tree: an unnamed semaphore and two handles on it. */
async function semaphore(mode: string) {
  const ops = new IpcfsOperations(buildTree({}), silentLog);
  const { kernel, session } = await startSession(ops);
  ops.setEarlyReplies(session.early);
  const lookup = async (parent: number, name: string): Promise<number> => {
    const r = await kernel.call(Opcode.LOOKUP, parent, body.name(name));
    if (r.error) throw new Error(`lookup ${name}: ${r.error}`);
    return Number(r.body.readBigUInt64LE(0));
  };
  const open = async (node: number, flags = 2, who: Who = {}): Promise<number> => {
    const r = await kernel.call(Opcode.OPEN, node, body.open(flags), who);
    if (r.error) throw new Error(`open: ${r.error}`);
    return Number(r.body.readBigUInt64LE(0));
  };
  const unnamed = await lookup(await lookup(1, 'semaphores'), 'unnamed');
  const clone = await lookup(unnamed, '.new');
  const cfh = await open(clone);
  await kernel.call(Opcode.WRITE, clone, body.write(cfh, Buffer.from(`create value=0 mode=${mode}`)));
  const id = (await kernel.call(Opcode.READ, clone, body.read(cfh, 0, 64))).body.toString().trim();
  const node = await lookup(unnamed, id);
  const status = async (): Promise<string> => {
    const fh = await open(node, 0);
    const text = (await kernel.call(Opcode.READ, node, body.read(fh, 0, 4096))).body.toString();
    await kernel.call(Opcode.RELEASE, node, body.release(fh));
    return text;
  };
  return { kernel, node, open, status };
}

test('session: a post answers the blocked waiter from the read path, once, and the state is the post\'s', async (t) => {
  const { kernel, node, open, status } = await semaphore('0666');
  const waiterFh = await open(node);
  const posterFh = await open(node);
  const wait = kernel.send(Opcode.WRITE, node, body.write(waiterFh, Buffer.from('wait')));
  const post = kernel.send(Opcode.WRITE, node, body.write(posterFh, Buffer.from('post\n')), { uid: 4242, gid: 4242 });
  t.deepEqual(kernel.answeredEarly, [wait]);
  t.is((await kernel.reply(wait)).error, 0);
  t.is((await kernel.reply(wait)).body.readUInt32LE(0), 4, 'the waiter\'s write took its 4 bytes');
  t.is((await kernel.reply(post)).body.readUInt32LE(0), 5);
  t.deepEqual(kernel.violations, [], 'exactly one reply each');
  t.regex(await status(), /^value: 0$/m);
  t.regex(await status(), /^ncnt: 0$/m);
});

test('session: a poster not surely permitted takes the ordinary path and its EACCES leaves the waiter blocked', async (t) => {
  const { kernel, node, open, status } = await semaphore('0600');
  const waiterFh = await open(node);
  const posterFh = await open(node);
  const wait = kernel.send(Opcode.WRITE, node, body.write(waiterFh, Buffer.from('wait')));
  const post = await kernel.call(Opcode.WRITE, node, body.write(posterFh, Buffer.from('post')), { uid: 4242, gid: 4242 });
  t.is(post.error, -Errno.EACCES);
  t.deepEqual(kernel.answeredEarly, []);
  t.false(kernel.replies.has(wait));
  t.regex(await status(), /^ncnt: 1$/m);
  // root's post then goes early
  kernel.send(Opcode.WRITE, node, body.write(posterFh, Buffer.from('post')));
  t.deepEqual(kernel.answeredEarly, [wait]);
  t.deepEqual(kernel.violations, []);
});

test('session: after the first waiter is answered early the next one is armed; released handles unbind', async (t) => {
  const { kernel, node, open, status } = await semaphore('0666');
  const fhs = [await open(node), await open(node), await open(node)];
  const w1 = kernel.send(Opcode.WRITE, node, body.write(fhs[0]!, Buffer.from('wait')));
  const w2 = kernel.send(Opcode.WRITE, node, body.write(fhs[1]!, Buffer.from('wait')));
  kernel.send(Opcode.WRITE, node, body.write(fhs[2]!, Buffer.from('post')));
  kernel.send(Opcode.WRITE, node, body.write(fhs[2]!, Buffer.from('post')));
  t.deepEqual(kernel.answeredEarly, [w1, w2], 'first come, first served');
  await kernel.call(Opcode.RELEASE, node, body.release(fhs[2]!));
  const w3 = kernel.send(Opcode.WRITE, node, body.write(fhs[0]!, Buffer.from('wait')));
  t.is((await kernel.call(Opcode.WRITE, node, body.write(fhs[2]!, Buffer.from('post')))).error, -Errno.EBADF, 'a released fh fires nothing and is EBADF');
  t.deepEqual(kernel.answeredEarly, [w1, w2]);
  kernel.send(Opcode.WRITE, node, body.write(fhs[1]!, Buffer.from('post')));
  t.deepEqual(kernel.answeredEarly, [w1, w2, w3]);
  t.regex(await status(), /^value: 0$/m);
  t.deepEqual(kernel.violations, []);
});
