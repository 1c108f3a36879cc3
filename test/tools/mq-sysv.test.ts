/**
 * `ipcfs mq` on System V queues over a real mount. Where the kernel can answer (which message a
 * msgtyp takes, E2BIG, MSG_NOERROR, ENOMSG, EAGAIN, EEXIST) the same steps run on a kernel queue
 * through test/ipc/msg/kernel-msg.c, and the CLI must answer as it does.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { mq, scratch, shell, sleepingWorker, text, type Run } from '../helpers/cli.js';
import { CLI, eventually, mountTest, withDaemon } from '../helpers/mount.js';
import { startMsgActor, type KernelActor } from '../ipc/msg/kernel-msg.js';

const test = mountTest();

/** The queue's status file (NAME: sysv/MSQID). */
const file = (dir: string, name: string): string => join(dir, 'mqueue', name);
const field = (dir: string, name: string, key: string): string => new RegExp(`^${key}: (.*)$`, 'm').exec(readFileSync(file(dir, name), 'utf8'))?.[1] ?? '';
const heldLines = (dir: string, name: string): string[] => readFileSync(file(dir, name), 'utf8').match(/^held: id=.*$/gm) ?? [];

/**
 * A kernel queue for this test, made by `first` (kernel-msg's msgget: a private one, or `get KEY
 * FLAGS`), removed when the test ends (only if this test made it).
 */
async function kernelQueue(t: ExecutionContext, first = 'msgget'): Promise<KernelActor> {
  const k = await startMsgActor();
  let made = false;
  t.teardown(async () => {
    if (made) await k.run('rmid');
    await k.kill();
  });
  const answer = await k.run(first);
  made = /^ok \d+$/.test(answer);
  if (!made) throw new Error(`${first} on the kernel: ${answer}`);
  return k;
}

/** The errno name a failed CLI run printed last. */
const errnoOf = (r: Run): string | undefined => /\((E\w+)\)\n$/.exec(r.err)?.[1];

/** A CLI receive (with --print-header) as kernel-msg answers: `ok TYPE TEXT` (`-` for none) or `err ERRNO`. */
function asKernel(r: Run): string {
  if (r.code !== 0) return `err ${errnoOf(r) ?? r.err}`;
  const out = text(r);
  const nl = out.indexOf('\n');
  return `ok ${/^type=(\d+) /.exec(out)?.[1]} ${out.slice(nl + 1) || '-'}`;
}

/** The queue's one command, written as `echo CMD >&3` would (ipc_set and the like). */
function command(dir: string, name: string, line: string): void {
  const fd = openSync(file(dir, name), 'r+');
  try {
    writeSync(fd, `${line}\n`);
  } finally {
    closeSync(fd);
  }
}

async function create(t: ExecutionContext, dir: string, ...args: string[]): Promise<string> {
  const made = await mq(dir, ['create', 'sysv', ...args]);
  t.is(made.code, 0, made.err);
  t.regex(text(made), /^sysv\/\d+\n$/);
  return text(made).trim();
}

test.serial('create by key, find, --excl EEXIST as the kernel, private, get, rm (IPC_RMID) by key', async (t) => {
  const key = `0x${randomBytes(3).toString('hex')}`;
  // IPC_CREAT 01000, IPC_EXCL 02000: the kernel queue is this test's own
  const k = await kernelQueue(t, `get ${key} 03600`);
  await withDaemon(async ({ dir }) => {
    const name = await create(t, dir, '--key', key, '--mode', '640');
    const link = join(dir, 'mqueue', 'sysv', 'by-key', `0x00${key.slice(2)}`);
    t.is(readlinkSync(link), `../${name.slice('sysv/'.length)}`);
    t.is(text(await mq(dir, ['get', `sysv/by-key/${key}`, '--field', 'perms'])), '640\n');
    t.is(text(await mq(dir, ['get', `sysv/by-key/${parseInt(key, 16)}`, '--field', 'msqid'])), `${name.slice(5)}\n`, 'a decimal KEY names it too');
    t.is(text(await mq(dir, ['create', 'sysv', '--key', key])), `${name}\n`, 'without --excl msgget finds it');
    const excl = await mq(dir, ['create', 'sysv', '--key', key, '--excl']);
    t.is(excl.code, 1);
    t.is(`err ${errnoOf(excl)}`, await k.run(`get ${key} 03600`));
    t.regex(excl.err, /^ipcfs mq: msgget 0x\w+ mode=600 creat excl: .*\(EEXIST\)\n$/);
    t.not(await create(t, dir), await create(t, dir), 'private (the default): always a new queue');

    t.is((await mq(dir, ['rm', `sysv/by-key/${key}`])).code, 0);
    t.false(existsSync(file(dir, name)), 'rm by key removed the queue, not only its link');
    t.false(existsSync(link));
    const gone = await mq(dir, ['get', name]);
    t.is(gone.code, 1);
    t.regex(gone.err, /: no such file or directory \(ENOENT\)\n$/);
    t.regex((await mq(dir, ['rm', name])).err, /^ipcfs mq: \S+\/sysv\/\d+: IPC_RMID: .*\(ENOENT\)\n$/);
    t.regex((await mq(dir, ['rm', `sysv/by-key/${key}`])).err, /by-key\/0x\w{8}: .*\(ENOENT\)\n$/);
  });
});

test.serial('options of the other kind, a missing --type and bad names: exit 1 with the reason, nothing sent, made or taken', async (t) => {
  await withDaemon(async ({ dir }) => {
    const q = await create(t, dir);
    t.is((await mq(dir, ['send', q, '--type', '1', '--message', 'kept'])).code, 0);
    t.is((await mq(dir, ['create', '/p'])).code, 0);
    t.is((await mq(dir, ['send', '/p', '--message', 'kept'])).code, 0);
    const sysvIs = `"${q}" is a System V queue: `;
    const cases: [string[], string][] = [
      [['send', q, '--prio', '1'], `${sysvIs}--prio applies to POSIX queues only`],
      [['send', q, '--type', '1', '--timeout', '1'], `${sysvIs}--timeout applies to POSIX queues only`],
      [['receive', q, '--timeout', '1', '--print-prio'], `${sysvIs}--timeout, --print-prio apply to POSIX queues only`],
      [['send', '/p', '--type', '2'], '"/p" is a POSIX queue: --type applies to System V queues only'],
      [['receive', '/p', '--except', '--size', '4'], '"/p" is a POSIX queue: --except, --size apply to System V queues only'],
      [['receive', '/p', '--noerror', '--', 'true'], '"/p" is a POSIX queue: --noerror applies to System V queues only'],
      [['create', 'sysv', '--maxmsg', '4'], '"sysv" is a System V queue: --maxmsg applies to POSIX queues only'],
      [['create', '/new', '--key', '0x1'], '"/new" is a POSIX queue: --key applies to System V queues only'],
      [['create', q], `create: "${q}": a System V queue is made with \`create sysv [--key KEY]\``],
      [['send', q], `${q}: send: --type is required for a System V queue (msgsnd's mtype, > 0)`],
      [['get', 'sysv/x1'], '"sysv/x1": use /NAME, named/NAME, sysv/MSQID or sysv/by-key/KEY'],
      [['receive', 'sysv/by-key/private'], '"sysv/by-key/private": KEY is 0x and 1-8 hex digits or a 32-bit decimal (a private queue has no key)'],
    ];
    for (const [args, message] of cases) {
      const r = await mq(dir, args, 'stdin is not sent');
      t.deepEqual([r.code, r.err, text(r)], [1, `ipcfs mq: ${message}\n`, ''], args.join(' '));
    }
    const bad = await mq(dir, ['receive', q, '--type', '1x']);
    t.regex(bad.err, /--type <n>' argument '1x' is invalid. an integer/);
    t.is(field(dir, q, 'qnum'), '1', 'the System V queue kept its message');
    t.is(text(await mq(dir, ['get', '/p', '--field', 'curmsgs'])), '1\n', 'the POSIX queue too');
    t.false(existsSync(join(dir, 'mqueue', 'named', 'new')), 'nothing was made');
    t.is(text(await mq(dir, ['receive', q, '--type', '1'])), 'kept');
  });
});

test.serial('msgtyp 0, N, -N and --except take the message the kernel takes; --type 0 on send EINVAL; --nonblock ENOMSG', async (t) => {
  const k = await kernelQueue(t);
  await withDaemon(async ({ dir }) => {
    const q = await create(t, dir);
    for (const [type, msg] of [[3, 'c1'], [1, 'a1'], [2, 'b1'], [1, 'a2'], [5, 'e1'], [2, 'b2'], [0, 'zero'], [-1, 'neg']] as const) {
      const sent = await mq(dir, ['send', q, '--type', String(type), '--message', msg]);
      const expected = await k.run(`snd ${type} ${msg}`);
      t.is(sent.code === 0 ? 'ok' : `err ${errnoOf(sent)}`, expected, `send type ${type}`);
    }
    t.is(text(await mq(dir, ['get', q, '--field', 'qnum'])), '6\n');
    const receives: [string, string[]][] = [
      ['-2', []], ['1', ['--except']], ['-10', []], ['7', []], ['2', ['--except']], ['0', []], ['5', []], ['2', []], ['0', []],
    ];
    for (const [type, flags] of receives) {
      const got = asKernel(await mq(dir, ['receive', q, '--type', type, ...flags, '--nonblock', '--print-header']));
      t.is(got, await k.run(`rcv ${type} 8192 nowait${flags.length ? ',except' : ''}`), `receive --type ${type} ${flags.join(' ')}`);
    }
    t.is(text(await mq(dir, ['get', q, '--field', 'qnum'])), '0\n');
  });
});

test.serial('a message longer than --size: E2BIG and it stays queued; --noerror cuts it; as the kernel', async (t) => {
  const k = await kernelQueue(t);
  await withDaemon(async ({ dir }) => {
    const q = await create(t, dir);
    t.is((await mq(dir, ['send', q, '--type', '4', '--message', 'x'.repeat(10)])).code, 0);
    t.is(await k.run('snd 4 @10'), 'ok');
    const tooBig = await mq(dir, ['receive', q, '--size', '4', '--print-header']);
    t.is(asKernel(tooBig), await k.run('rcv 0 4'));
    t.regex(tooBig.err, /: receive size=4: argument list too long \(E2BIG\)\n$/);
    t.is(field(dir, q, 'qnum'), '1', 'E2BIG: the message stays queued');
    t.is(asKernel(await mq(dir, ['receive', q, '--size', '4', '--noerror', '--print-header'])), await k.run('rcv 0 4 noerror'));
    t.is(field(dir, q, 'qnum'), '0', '--noerror: taken, cut');
  });
});

test.serial('a full queue: --nonblock EAGAIN as the kernel; a blocking send waits until a receive makes room', async (t) => {
  const k = await kernelQueue(t);
  await withDaemon(async ({ dir }) => {
    const q = await create(t, dir);
    command(dir, q, 'ipc_set qbytes=8');
    t.is(await k.run('ipc_set qbytes=8'), 'ok');
    t.is((await mq(dir, ['send', q, '--type', '1', '--message', '12345678'])).code, 0);
    t.is(await k.run('snd 1 @8'), 'ok');
    const full = await mq(dir, ['send', q, '--type', '1', '--nonblock', '--message', 'y']);
    t.is(full.code, 1);
    t.is(`err ${errnoOf(full)}`, await k.run('snd 1 y nowait'));
    t.regex(full.err, new RegExp(`^ipcfs mq: ${file(dir, q)}: send 1: resource temporarily unavailable \\(EAGAIN\\)\\n$`));
    const blocked = mq(dir, ['send', q, '--type', '2', '--message', 'y']);
    t.true(await eventually(() => field(dir, q, 'senders') === '1'), 'the send sleeps on the full queue');
    t.is(text(await mq(dir, ['receive', q])), '12345678');
    const sent = await blocked;
    t.is(sent.code, 0, sent.err);
    t.true(sent.ms < 10_000);
    t.is(text(await mq(dir, ['receive', q, '--print-header'])), 'type=2 size=1\ny');
  });
});

test.serial('binary-safe: NULs and newlines through stdin and stdout, an empty message; past msgmax EINVAL, nothing queued', async (t) => {
  await withDaemon(async ({ dir }) => {
    const q = await create(t, dir);
    const payload = Buffer.concat([Buffer.from('\n\0send 9\n\0\n'), randomBytes(8192 - 11)]);
    t.is(payload.length, 8192);
    t.is((await mq(dir, ['send', q, '--type', '9'], payload)).code, 0);
    t.is((await mq(dir, ['send', q, '--type', '1'], Buffer.alloc(0))).code, 0);
    const got = await mq(dir, ['receive', q, '--type', '9']);
    t.is(got.code, 0, got.err);
    t.true(got.out.equals(payload), 'the same bytes came out');
    t.is(text(await mq(dir, ['receive', q, '--print-header'])), 'type=1 size=0\n');
    const tooLong = await mq(dir, ['send', q, '--type', '1'], randomBytes(8193));
    t.is(tooLong.code, 1);
    t.regex(tooLong.err, /: send 1: invalid argument \(EINVAL\)\n$/);
    t.is(field(dir, q, 'qnum'), '0');
  });
});

test.serial('past what one write carries whole: refused before anything is sent (EINVAL), even with msgmax above it', async (t) => {
  await withDaemon(
    async ({ dir }) => {
      const q = await create(t, dir);
      const fits = 1044481 - 'send 1\n'.length;
      t.is((await mq(dir, ['send', q, '--type', '1'], Buffer.alloc(fits, 7))).code, 0);
      const over = await mq(dir, ['send', q, '--type', '1'], Buffer.alloc(fits + 1, 7));
      t.is(over.code, 1);
      t.regex(over.err, new RegExp(`: send 1: a message carries at most ${fits} bytes \\(EINVAL\\)\\n$`));
      t.is(field(dir, q, 'qnum'), '1');
      t.is((await mq(dir, ['receive', q])).out.length, fits);
    },
    { args: ['--limits', 'msgmax=4000000,msgmnb=4000000'] },
  );
});

test.serial('robust receive: --undo puts it back at its place, --ack acknowledges, -- CMD (IPCFS_MQ_TYPE) on exit 0 only, back when CMD fails or is SIGKILLed', async (t) => {
  await withDaemon(async ({ dir }) => {
    const q = await create(t, dir);
    await mq(dir, ['send', q, '--type', '2', '--message', 'first']);
    await mq(dir, ['send', q, '--type', '2', '--message', 'second']);
    const back = (): boolean => field(dir, q, 'qnum') === '2' && heldLines(dir, q).length === 0;

    t.regex(text(await mq(dir, ['receive', q, '--undo', '--print-header'])), /^type=2 size=5 id=\d+\nfirst$/);
    t.true(await eventually(back), '--undo alone: back once the command ended');

    const out = scratch(t, 'ipcfs-mq-sysv-');
    const env = { ...process.env, IPCFS_MQ_PRIO: 'stale' };
    const failed = await mq(dir, ['receive', q, '--type', '2', '--', 'sh', '-c', `cat > ${out}/got; echo "$IPCFS_MQ_TYPE $IPCFS_MQ_SIZE \${IPCFS_MQ_PRIO-unset}"; grep -c '^held: id=' ${file(dir, q)}; exit 3`], '', env);
    t.is(failed.code, 3, failed.err);
    t.is(text(failed), '2 5 unset\n1\n', 'CMD saw the type and the size (no IPCFS_MQ_PRIO), and its message held');
    t.is(readFileSync(join(out, 'got'), 'utf8'), 'first');
    t.true(await eventually(back), 'CMD failed: the message is back');

    const w = sleepingWorker(dir, q, ['--type', '-2']);
    t.true(await eventually(() => /^\d+\n/.test(w.out()) && heldLines(dir, q).length === 1), 'CMD runs with the message held');
    t.regex(heldLines(dir, q)[0]!, /^held: id=\d+ type=2 size=5 pid=\d+ comm=node$/);
    process.kill(Number(w.out().trim()), 'SIGKILL');
    t.is(await w.exit, 128 + 9);
    t.true(await eventually(back), 'CMD SIGKILLed: the message is back');

    const acked = await shell(['sh', '-c', `exec "$0" "$1" mq --mount "$2" receive "$3" --ack > "$4"`, process.execPath, CLI, dir, q, join(out, 'acked')]);
    t.is(acked.code, 0, acked.err);
    t.is(readFileSync(join(out, 'acked'), 'utf8'), 'first', 'the message that came back is still first');
    t.is(field(dir, q, 'qnum'), '1');
    t.deepEqual(heldLines(dir, q), [], 'acknowledged: gone for good');
    const ok = await mq(dir, ['receive', q, '--', 'sh', '-c', 'cat > /dev/null']);
    t.is(ok.code, 0, ok.err);
    t.is(field(dir, q, 'qnum'), '0');
    t.deepEqual(heldLines(dir, q), []);
    const empty = await mq(dir, ['receive', q, '--nonblock', '--', 'true']);
    t.is(empty.code, 1, 'an empty queue: exit 1 without running CMD');
    t.regex(empty.err, /: receive undo: no message of desired type \(ENOMSG\)\n$/);
  });
});
