/**
 * The object-kind layer (fs/kinds) with a kind made for the test: a "latch" (a counter that
 * `await N` waits on until it reaches N, `add N` raises). Its policy is the few lines below; the
 * directories, `.new`, by-key/, unlink, stat, permissions, chmod, status streaming, framing, waits
 * (timeouts, INTERRUPT, O_NONBLOCK), POLL and per-handle state are the layer's. Over the synthetic
 * kernel: no mount.
 */
import test from 'ava';
import { Opcode } from '../../../fs/fuse/abi.js';
import { Errno } from '../../../fs/fuse/errno.js';
import { NamedKindDir, type NamedKind } from '../../../fs/kinds/named-dir.js';
import { ObjectFile, ObjectHandle, POLLIN, POLLOUT, type FileObject } from '../../../fs/kinds/object-file.js';
import { SysvKindDir, type SysvKind } from '../../../fs/kinds/sysv-dir.js';
import { countOption, options, parseKey, words } from '../../../fs/kinds/tokens.js';
import { DONE_NOW, O_NONBLOCK, nonBlocking, waitCall } from '../../../fs/kinds/wait-call.js';
import { IpcfsOperations } from '../../../fs/operations.js';
import { StaticDir } from '../../../fs/tree/static-dir.js';
import type { FsContext } from '../../../fs/tree/node.js';
import { Errno as E, fail } from '../../../ipc/errno.js';
import { DEFAULT_LIMITS, quotaFor } from '../../../ipc/limits.js';
import type { IpcPerm } from '../../../ipc/semaphores/perms.js';
import { body } from '../../helpers/kernel-requests.js';
import { silentLog, startSession } from '../../helpers/synthetic-kernel.js';

/** The latch's state machine: what ipc/<kind>/ would hold. */
class Latch implements FileObject {
  value = 0;
  note = Buffer.alloc(0);
  otime = 0;
  ctime = Date.now();
  removed = false;
  readonly watchers = new Set<() => void>();
  private waiters: { until: number; done: (errno: number, v: number) => void }[] = [];
  constructor(readonly perm: IpcPerm, readonly label: [string, string], private readonly onRemove: () => void, readonly key = 0, readonly id = 0) {}
  add(n: number): void {
    this.value += n;
    this.otime = Date.now();
    const ready = this.waiters.filter((w) => this.value >= w.until);
    this.waiters = this.waiters.filter((w) => this.value < w.until);
    for (const w of ready) w.done(0, this.value);
    for (const fn of this.watchers) fn();
  }
  wait(until: number, done: (errno: number, v: number) => void): typeof DONE_NOW | object {
    if (this.value >= until) return DONE_NOW;
    const w = { until, done };
    this.waiters.push(w);
    return w;
  }
  cancel(w: object, errno: number): void {
    const i = this.waiters.indexOf(w as never);
    if (i < 0) return;
    this.waiters.splice(i, 1);
    (w as { done: (e: number, v: number) => void }).done(errno, 0);
  }
  get waiting(): number {
    return this.waiters.length;
  }
  remove(): void {
    this.removed = true;
    for (const w of this.waiters.splice(0)) w.done(E.EIDRM, 0);
    this.onRemove();
  }
}

const released: string[] = [];

class LatchHandle extends ObjectHandle<Latch> {
  protected override readonly payloadVerbs = new Set(['note']);
  constructor(obj: Latch) {
    super(obj, function* () {
      yield `${obj.label[0]}: ${obj.label[1]}\n`;
      yield `value: ${obj.value}\n`;
      yield `waiting: ${obj.waiting}\n`;
    });
    this.keep({ release: () => released.push(obj.label[1]) });
  }
  protected command(ctx: FsContext, bytes: Buffer, length: number, flags: number, payload: Buffer | null): number | Promise<number> {
    const [verb, ...rest] = words(bytes.toString());
    if (verb === 'note') {
      this.obj.note = Buffer.from(payload!);
      return length;
    }
    if (verb === 'peek') {
      if (this.answerPending) fail(E.EBUSY, 'the last answer is not read yet');
      this.answer(Buffer.concat([Buffer.from(`size=${this.obj.note.length}\n`), this.obj.note]));
      return length;
    }
    const { positional, opts } = options(rest, { timeout: 'value', uid: 'value', mode: 'value' });
    if (verb === 'add') {
      this.obj.add(countOption('add', positional[0], 1));
      return length;
    }
    if (verb === 'await') {
      const until = countOption('await', positional[0], 1);
      const r = waitCall<object, number>(ctx, (done) => this.obj.wait(until, done), (w, errno) => this.obj.cancel(w, errno), {
        timeoutMs: opts.has('timeout') ? Number(opts.get('timeout')) : null, timeoutErrno: E.ETIMEDOUT, nonBlocking: nonBlocking(flags),
      });
      return r === DONE_NOW ? length : r.map(() => length);
    }
    if (verb === 'ipc_set') {
      this.ipcSetCommand(ctx, { mode: opts.has('mode') ? parseInt(opts.get('mode')!, 8) : undefined }, 'latch');
      return length;
    }
    if (verb === 'rmid') {
      this.rmidCommand(ctx, 'latch');
      return length;
    }
    fail(E.EINVAL, `unknown command "${verb}"`);
  }
  protected readiness(): number {
    return (this.obj.value > 0 ? POLLIN : 0) | POLLOUT;
  }
}

class LatchFile extends ObjectFile<Latch> {
  open(): LatchHandle {
    return new LatchHandle(this.obj);
  }
}

const perm = (uid: number, mode: number): IpcPerm => ({ uid, gid: uid, cuid: uid, cgid: uid, mode });

async function mounted() {
  const quota = quotaFor(DEFAULT_LIMITS);
  const named: NamedKind<LatchFile> = {
    createOptions: { start: 'value' },
    createUsage: 'create NAME [start=N] [mode=OCTAL] [excl]',
    unlinkCall: 'latch_unlink',
    make: (ctx, name, mode, opts, gone) => {
      const f: LatchFile = new LatchFile(new Latch(perm(ctx.caller.uid, mode), ['name', name], () => gone(f)));
      f.obj.value = countOption('start', opts.get('start'), 0);
      return f;
    },
  };
  const byId = new Map<number, Latch>();
  let nextId = 7;
  const sysv: SysvKind<Latch, LatchFile> = {
    getUsage: 'latchget KEY',
    get: (id) => byId.get(id),
    lookupKey: (key) => [...byId.values()].find((l) => l.key === key && key !== 0),
    values: () => byId.values(),
    linkTime: (l) => l.ctime,
    permOf: (l) => l.perm,
    getCommand: (ctx, ws) => {
      const key = parseKey(ws[1] ?? '');
      const found = key ? [...byId.values()].find((l) => l.key === key) : undefined;
      if (found) return found.id;
      const id = nextId++;
      byId.set(id, new Latch(perm(ctx.caller.uid, 0o600), ['latchid', String(id)], () => byId.delete(id), key, id));
      return id;
    },
    fileOf: (l, gone) => {
      const f = new LatchFile(l);
      l.watchers.add(() => l.removed && gone());
      return f;
    },
  };
  const root = new StaticDir().add('named', new NamedKindDir(named, quota)).add('sysv', new SysvKindDir(sysv));
  const ops = new IpcfsOperations(root, silentLog, { quota });
  const { kernel, session } = await startSession(ops);
  ops.setNotifier((msg) => session.notify(msg));
  const lookup = async (parent: number, name: string): Promise<{ error: number; nodeid: number }> => {
    const r = await kernel.call(Opcode.LOOKUP, parent, body.name(name));
    return { error: r.error, nodeid: r.error ? 0 : Number(r.body.readBigUInt64LE(0)) };
  };
  const open = async (node: number, flags = 2, who = {}): Promise<number> => Number((await kernel.call(Opcode.OPEN, node, body.open(flags), who)).body.readBigUInt64LE(0));
  const write = (node: number, fh: number, s: string, who = {}) => kernel.call(Opcode.WRITE, node, body.write(fh, Buffer.from(s)), who);
  const read = async (node: number, fh: number): Promise<string> => (await kernel.call(Opcode.READ, node, body.read(fh, 0, 4096))).body.toString();
  const clone = async (dir: number, cmd: string, who = {}): Promise<{ error: number; out: string }> => {
    const c = (await lookup(dir, '.new')).nodeid;
    const fh = await open(c, 2, who);
    const w = await write(c, fh, cmd, who);
    return { error: w.error, out: w.error ? '' : (await read(c, fh)).trim() };
  };
  return { kernel, lookup, open, write, read, clone };
}

test('named: .new makes the object with its kind\'s options and missing subdirectories; open(O_CREAT) with defaults; unlink is the owner\'s', async (t) => {
  const { kernel, lookup, open, read, clone } = await mounted();
  const named = (await lookup(1, 'named')).nodeid;
  t.deepEqual(await clone(named, 'create app/l1 start=3'), { error: 0, out: '/app/l1' });
  t.deepEqual(await clone(named, 'create app/l1 start=3 excl'), { error: -Errno.EEXIST, out: '' });
  t.is((await clone(named, 'create x start=')).error, -Errno.EINVAL, 'the tokenizer refuses an option without its value');
  const app = (await lookup(named, 'app')).nodeid;
  const l1 = (await lookup(app, 'l1')).nodeid;
  const fh = await open(l1, 0);
  t.is(await read(l1, fh), 'name: /app/l1\nvalue: 3\nwaiting: 0\n');
  const made = await kernel.call(Opcode.CREATE, named, body.create('l2', 0o100640, 0o102), { uid: 1000, gid: 1000 });
  t.is(made.error, 0);
  t.is((await kernel.call(Opcode.UNLINK, named, body.name('l2'), { uid: 1001, gid: 1001 })).error, -Errno.EPERM, 'not the owner');
  t.is((await kernel.call(Opcode.UNLINK, named, body.name('l2'), { uid: 1000, gid: 1000 })).error, 0);
  t.is((await lookup(named, 'l2')).error, -Errno.ENOENT);
  t.is((await kernel.call(Opcode.UNLINK, named, body.name('.new'))).error, -Errno.EPERM);
});

test('sysv: .new runs the kind\'s get command; by-key links; rm is IPC_RMID', async (t) => {
  const { kernel, lookup, clone } = await mounted();
  const sysv = (await lookup(1, 'sysv')).nodeid;
  const a = await clone(sysv, 'latchget 0x162e');
  t.deepEqual(await clone(sysv, 'latchget 0x162e'), a, 'the same key, the same id');
  const byKey = (await lookup(sysv, 'by-key')).nodeid;
  const link = await kernel.call(Opcode.READLINK, (await lookup(byKey, '0x0000162e')).nodeid, Buffer.alloc(0));
  t.is(link.body.toString(), `../${a.out}`);
  t.is((await kernel.call(Opcode.UNLINK, sysv, body.name(a.out))).error, 0);
  t.is((await lookup(sysv, a.out)).error, -Errno.ENOENT);
  t.is((await lookup(byKey, '0x0000162e')).error, -Errno.ENOENT);
});

/** A WRITE whose f_flags (fuse_write_in.flags) are flags. */
function writeWithFlags(fh: number, data: string, flags: number): Buffer {
  const b = body.write(fh, Buffer.from(data));
  b.writeUInt32LE(flags, 32);
  return b;
}

test('waits: completed by another request, timed out, interrupted, refused on O_NONBLOCK; a wait that ends takes nothing', async (t) => {
  const { kernel, lookup, open, write, read, clone } = await mounted();
  const named = (await lookup(1, 'named')).nodeid;
  await clone(named, 'create w');
  const node = (await lookup(named, 'w')).nodeid;
  const fh = await open(node);
  const waiting = kernel.send(Opcode.WRITE, node, body.write(fh, Buffer.from('await 2')));
  t.is((await write(node, fh, 'await 1 timeout=1')).error, -Errno.ETIMEDOUT);
  const interrupted = kernel.send(Opcode.WRITE, node, body.write(fh, Buffer.from('await 5')));
  kernel.interrupt(interrupted);
  t.is((await kernel.reply(interrupted)).error, -Errno.EINTR);
  t.is((await kernel.call(Opcode.WRITE, node, writeWithFlags(fh, 'await 1', 0o100002 | O_NONBLOCK))).error, -Errno.EAGAIN, 'O_NONBLOCK of the call');
  t.regex(await read(node, await open(node, 0)), /^waiting: 1$/m, 'only the first wait still waits');
  t.false(kernel.replies.has(waiting));
  t.is((await write(node, fh, 'add 2')).error, 0);
  const r = await kernel.reply(waiting);
  t.is(r.error, 0);
  t.is(r.body.readUInt32LE(0), 7, 'the waiting write took its 7 bytes');
  t.deepEqual(kernel.violations, []);
});

test('POLL: readiness from the kind, one wake-up when a missing event becomes ready; per-handle state released with the handle', async (t) => {
  const { kernel, lookup, open, write, clone } = await mounted();
  const named = (await lookup(1, 'named')).nodeid;
  await clone(named, 'create p');
  const node = (await lookup(named, 'p')).nodeid;
  const fh = await open(node);
  const polled = await kernel.call(Opcode.POLL, node, body.poll(fh, 77, 1, POLLIN | POLLOUT));
  t.is(polled.body.readUInt32LE(0), POLLOUT);
  t.is(kernel.notifications.length, 0);
  await write(node, fh, 'add 1');
  t.is(kernel.notifications.length, 1, 'woken once');
  t.is(kernel.notifications[0]!.body.readBigUInt64LE(0), 77n, 'the poll handle the kernel gave');
  await write(node, fh, 'add 1');
  t.is(kernel.notifications.length, 1, 'no second wake-up without a new POLL');
  const before = released.filter((l) => l === '/p').length;
  await kernel.call(Opcode.RELEASE, node, body.release(fh));
  t.is(released.filter((l) => l === '/p').length, before + 1);
});

test('chmod is IPC_SET (owner only) and ipc_set/rmid are the layer\'s commands; a removed object answers EIDRM', async (t) => {
  const { kernel, lookup, open, write, clone } = await mounted();
  const named = (await lookup(1, 'named')).nodeid;
  await clone(named, 'create c mode=0666', { uid: 1000, gid: 1000 });
  const node = (await lookup(named, 'c')).nodeid;
  const setattrMode = (mode: number): Buffer => {
    const b = Buffer.alloc(88);
    b.writeUInt32LE(1, 0); // FATTR_MODE
    b.writeUInt32LE(0o100000 | mode, 68);
    return b;
  };
  t.is((await kernel.call(Opcode.SETATTR, node, setattrMode(0o600), { uid: 1001, gid: 1001 })).error, -Errno.EPERM);
  t.is((await kernel.call(Opcode.SETATTR, node, setattrMode(0o640), { uid: 1000, gid: 1000 })).error, 0);
  const fh = await open(node, 2, { uid: 1000, gid: 1000 });
  t.is((await write(node, fh, 'ipc_set mode=600', { uid: 1001, gid: 1001 })).error, -Errno.EPERM);
  t.is((await write(node, fh, 'rmid', { uid: 1000, gid: 1000 })).error, 0);
  t.is((await write(node, fh, 'rmid', { uid: 1000, gid: 1000 })).error, -Errno.EIDRM);
  t.is((await write(node, fh, 'ipc_set mode=600', { uid: 1000, gid: 1000 })).error, -Errno.EIDRM);
});

test('payload verbs take the rest of their write, any bytes; answers are read by the next reads of the description, then end of file, then the status', async (t) => {
  const { kernel, lookup, open, write, read, clone } = await mounted();
  const named = (await lookup(1, 'named')).nodeid;
  await clone(named, 'create n');
  const node = (await lookup(named, 'n')).nodeid;
  const fh = await open(node);
  const bytes = Buffer.from([0x6e, 0x0a, 0x00, 0xff, 0x0a, 0x0a]);
  const w = await kernel.call(Opcode.WRITE, node, body.write(fh, Buffer.concat([Buffer.from('note\n'), bytes])));
  t.is(w.body.readUInt32LE(0), 5 + bytes.length, 'the whole write is taken');
  t.is((await write(node, fh, 'peek')).error, 0);
  t.is((await write(node, fh, 'peek')).error, -Errno.EBUSY, 'one answer at a time');
  const first = (await kernel.call(Opcode.READ, node, body.read(fh, 0, 4))).body;
  const rest = (await kernel.call(Opcode.READ, node, body.read(fh, 0, 4096))).body;
  t.deepEqual(Buffer.concat([first, rest]), Buffer.concat([Buffer.from('size=6\n'), bytes]));
  t.is((await kernel.call(Opcode.READ, node, body.read(fh, 0, 4096))).body.length, 0, 'end of file once');
  t.regex(await read(node, fh), /^name: \/n\n/, 'then the status');
  // a write that continues a held command is framed as before, whatever it starts with
  const head = Buffer.alloc(5000, 0x61);
  t.is((await kernel.call(Opcode.WRITE, node, body.write(fh, head))).error, 0, 'held');
  t.is((await write(node, fh, 'note\nx\n')).error, -Errno.EINVAL, 'the held command plus this write is not a command');
});
