/** `ipcfs mq` over a real mount. */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mq, scratch, shell, sleepingWorker, text, type Run } from '../helpers/cli.js';
import { CLI, eventually, mountTest, sleep, withDaemon } from '../helpers/mount.js';

// one daemon at a time: seven at once load a 2-core machine enough to starve the other files' tests
const test = mountTest();

/** The status's "KEY: value" lines of a queue, read by the test itself (not through the CLI). */
function status(mount: string, name: string): string {
  return readFileSync(join(mount, 'mqueue', 'named', name), 'utf8');
}
const curmsgs = (mount: string, name: string): string => /^curmsgs: (\d+)$/m.exec(status(mount, name))?.[1] ?? '';
const heldLines = (mount: string, name: string): string[] => status(mount, name).match(/^held: .*$/gm) ?? [];

test.serial('create, get, rm: attributes, mode, excl, errno names and exit codes', async (t) => {
  await withDaemon(async ({ dir }) => {
    const made = await mq(dir, ['create', '/jobs', '--maxmsg', '5', '--msgsize', '64', '--mode', '640']);
    t.is(made.code, 0, made.err);
    t.is(text(made).trim(), 'named/jobs');
    const get = text(await mq(dir, ['get', 'named/jobs']));
    t.regex(get, /^QSIZE:0 +NOTIFY:0 +SIGNO:0 +NOTIFY_PID:0 +\n/);
    t.regex(get, /^maxmsg: 5$/m);
    t.regex(get, /^msgsize: 64$/m);
    t.regex(get, /^perms: 640$/m);
    t.is(text(await mq(dir, ['get', '/jobs', '--field', 'maxmsg'])).trim(), '5');
    t.is((await mq(dir, ['create', '/jobs'])).code, 0, 'without --excl an existing queue is fine');
    const excl = await mq(dir, ['create', '/jobs', '--excl']);
    t.is(excl.code, 1);
    t.regex(excl.err, /^ipcfs mq: .*\(EEXIST\)\n$/);
    t.is(text(await mq(dir, ['create', '/app/deep'])).trim(), 'named/app/deep');
    const tooBig = await mq(dir, ['create', '/huge', '--msgsize', String(16 * 1024 * 1024 + 1)]); // past HARD_MSGSIZEMAX, root too
    t.is(tooBig.code, 1);
    t.regex(tooBig.err, /EINVAL/);
    t.is((await mq(dir, ['rm', '/jobs'])).code, 0);
    const gone = await mq(dir, ['get', '/jobs']);
    t.is(gone.code, 1);
    t.regex(gone.err, /ENOENT/);
    t.regex((await mq(dir, ['rm', '/jobs'])).err, /mq_unlink: .*ENOENT/);
    const bogus = await mq(dir, ['receive', 'jobs']);
    t.is(bogus.code, 1);
    t.regex(bogus.err, /use \/NAME, named\/NAME, sysv\/MSQID or sysv\/by-key\/KEY/);
    t.is((await mq(dir, ['receive', '--help'])).code, 0);
  });
});

test.serial('binary round trip through stdin and stdout: NULs, newlines, a zero-length message, --message', async (t) => {
  await withDaemon(async ({ dir }) => {
    await mq(dir, ['create', '/bin', '--msgsize', '200000']);
    const payload = Buffer.concat([Buffer.from('\n\0send prio=9\n\0\n'), randomBytes(150_000), Buffer.from('\n')]);
    t.true(payload.includes(0) && payload.includes(10));
    const sent = await mq(dir, ['send', '/bin'], payload);
    t.is(sent.code, 0, sent.err);
    t.is((await mq(dir, ['send', '/bin'], Buffer.alloc(0))).code, 0);
    t.is((await mq(dir, ['send', '/bin', '--message', 'plain text'], 'stdin is not read')).code, 0);
    t.is(curmsgs(dir, 'bin'), '3');
    const got = await mq(dir, ['receive', '/bin']);
    t.is(got.code, 0, got.err);
    t.true(got.out.equals(payload), 'the same bytes came out');
    const empty = await mq(dir, ['receive', '/bin', '--print-prio']);
    t.is(text(empty), 'prio=0 size=0\n');
    t.is(text(await mq(dir, ['receive', '/bin'])), 'plain text');
    const tooLong = await mq(dir, ['send', '/bin'], randomBytes(200_001));
    t.is(tooLong.code, 1);
    t.regex(tooLong.err, /EMSGSIZE/);
    t.is(curmsgs(dir, 'bin'), '0', 'a refused send leaves nothing');
  });
});

test.serial('priorities: highest first, FIFO within one; --print-prio and --print-header give the answer line', async (t) => {
  await withDaemon(async ({ dir }) => {
    await mq(dir, ['create', '/p']);
    for (const [m, p] of [['a', '1'], ['b', '5'], ['c', '5'], ['d', '0']] as const) t.is((await mq(dir, ['send', '/p', '--prio', p, '--message', m])).code, 0);
    t.is(text(await mq(dir, ['receive', '/p', '--print-prio'])), 'prio=5 size=1\nb');
    t.is(text(await mq(dir, ['receive', '/p', '--print-header'])), 'prio=5 size=1\nc', '--print-header: the same line');
    const rest: string[] = [];
    for (let i = 0; i < 2; i++) rest.push(text(await mq(dir, ['receive', '/p'])));
    t.deepEqual(rest, ['a', 'd']);
    const bad = await mq(dir, ['send', '/p', '--prio', '32768', '--message', 'x']);
    t.is(bad.code, 1);
    t.regex(bad.err, /EINVAL/);
  });
});

test.serial('--nonblock: EAGAIN on an empty or full queue; --timeout: ETIMEDOUT, bounded; both exit 1', async (t) => {
  await withDaemon(async ({ dir }) => {
    await mq(dir, ['create', '/q', '--maxmsg', '1']);
    const empty = await mq(dir, ['receive', '/q', '--nonblock']);
    t.is(empty.code, 1);
    t.regex(empty.err, /: receive: .*\(EAGAIN\)$/m);
    t.is((await mq(dir, ['send', '/q', '--message', 'one'])).code, 0);
    const full = await mq(dir, ['send', '/q', '--nonblock', '--message', 'two']);
    t.is(full.code, 1);
    t.regex(full.err, /: send prio=0: .*\(EAGAIN\)$/m);
    const slowSend = await mq(dir, ['send', '/q', '--timeout', '0.2', '--message', 'two']);
    t.is(slowSend.code, 1);
    t.regex(slowSend.err, /ETIMEDOUT/);
    t.is(text(await mq(dir, ['receive', '/q'])), 'one', 'refused sends left nothing');
    const slow = await mq(dir, ['receive', '/q', '--timeout', '0.2']);
    t.is(slow.code, 1);
    t.regex(slow.err, /: receive timeout=0.2: .*\(ETIMEDOUT\)$/m);
    t.true(slow.ms < 5000, `gave up within 5 s (${slow.ms} ms)`);
  });
});

/**
 * `receive` on the empty queue NAME with its stdout a pipe nobody reads any more: the pipe is
 * closed once the receiver waits (handshake: its pid in the status's receivers line), then a
 * message is sent. The CLI's write to stdout fails with EPIPE.
 */
async function receiveIntoClosedPipe(dir: string, name: string, flags: string[]): Promise<Run> {
  const child = spawn(process.execPath, [CLI, 'mq', '--mount', dir, 'receive', name, ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const file = name.slice(1);
  if (!(await eventually(() => new RegExp(`^receivers: ${child.pid}$`, 'm').test(status(dir, file))))) throw new Error('the receiver never waited');
  child.stdout.destroy();
  await mq(dir, ['send', name, '--message', 'job']);
  return { code: await closed, out: Buffer.alloc(0), err, ms: 0 };
}

test.serial('--undo alone puts the message back; --undo --ack acknowledges once stdout has it, not when stdout fails', async (t) => {
  await withDaemon(async ({ dir }) => {
    await mq(dir, ['create', '/w']);
    const closed = await receiveIntoClosedPipe(dir, '/w', ['--undo', '--ack']);
    t.is(closed.code, 1);
    t.regex(closed.err, /stdout: .*EPIPE.*goes back/);
    t.true(await eventually(() => curmsgs(dir, 'w') === '1'), 'stdout failed: not acknowledged');
    t.regex(text(await mq(dir, ['receive', '/w', '--undo', '--print-prio'])), /^prio=0 size=3 id=\d+\njob$/);
    t.true(await eventually(() => curmsgs(dir, 'w') === '1'), 'not acknowledged: back once the command ended');
    const out = join(scratch(t, 'ipcfs-mq-out-'), 'job');
    const acked = await shell(['sh', '-c', `exec "$0" "$1" mq --mount "$2" receive /w --undo --ack > "$3"`, process.execPath, CLI, dir, out]);
    t.is(acked.code, 0, acked.err);
    t.is(readFileSync(out, 'utf8'), 'job');
    t.is(curmsgs(dir, 'w'), '0');
    t.deepEqual(heldLines(dir, 'w'), [], 'acknowledged: gone for good');
    const lost = await receiveIntoClosedPipe(dir, '/w', []);
    t.is(lost.code, 1);
    t.regex(lost.err, /the message is lost/);
    t.is(curmsgs(dir, 'w'), '0', 'without --undo a failed output loses the message (at most once)');
  });
});

test.serial('receive -- CMD: acknowledged when CMD exits 0, back in the queue when it fails', async (t) => {
  await withDaemon(async ({ dir }) => {
    await mq(dir, ['create', '/jobs']);
    const payload = Buffer.concat([randomBytes(3000), Buffer.from('\0\n')]);
    await mq(dir, ['send', '/jobs', '--prio', '7'], payload);
    await mq(dir, ['send', '/jobs', '--prio', '7', '--message', 'second']);
    const outDir = scratch(t, 'ipcfs-mq-cmd-');
    const failed = await mq(dir, ['receive', '/jobs', '--', 'sh', '-c', `cat > ${outDir}/got; echo "$IPCFS_MQ_PRIO $IPCFS_MQ_SIZE"; grep -c '^held: ' ${join(dir, 'mqueue', 'named', 'jobs')}; exit 3`]);
    t.is(failed.code, 3, 'exit status: CMD\'s');
    t.is(text(failed), `7 ${payload.length}\n1\n`, 'CMD saw the priority, the size, and its message held');
    t.true(readFileSync(join(outDir, 'got')).equals(payload), 'CMD got the bytes on stdin');
    t.true(await eventually(() => curmsgs(dir, 'jobs') === '2' && heldLines(dir, 'jobs').length === 0), 'CMD failed: the message is back');
    const ok = await mq(dir, ['receive', '/jobs', '--', 'sh', '-c', `cat > ${outDir}/got2`]);
    t.is(ok.code, 0, ok.err);
    t.true(readFileSync(join(outDir, 'got2')).equals(payload), 'the failed one came back at the head of its priority');
    t.is(curmsgs(dir, 'jobs'), '1');
    t.deepEqual(heldLines(dir, 'jobs'), [], 'acknowledged: gone for good, not held');
    const missing = await mq(dir, ['receive', '/jobs', '--', 'no-such-command-ipcfs']);
    t.is(missing.code, 127);
    t.true(await eventually(() => curmsgs(dir, 'jobs') === '1' && heldLines(dir, 'jobs').length === 0), 'CMD could not run: the message is back');
    const none = await mq(dir, ['receive', '/jobs', '--nonblock', '--', 'true']);
    t.is(none.code, 0);
    const empty = await mq(dir, ['receive', '/jobs', '--nonblock', '--', 'true']);
    t.is(empty.code, 1, 'an empty queue: exit 1 without running CMD');
    t.regex(empty.err, /EAGAIN/);
  });
});

test.serial('receive -- CMD: the message comes back when CMD is SIGKILLed, and when both CMD and the CLI are', async (t) => {
  await withDaemon(async ({ dir }) => {
    await mq(dir, ['create', '/jobs']);
    await mq(dir, ['send', '/jobs', '--message', 'precious']);
    const start = (): ReturnType<typeof sleepingWorker> => sleepingWorker(dir, '/jobs');
    const held = (): boolean => heldLines(dir, 'jobs').length === 1 && curmsgs(dir, 'jobs') === '0';

    const a = start();
    t.true(await eventually(() => /^\d+$/m.test(a.out()) && held()), 'CMD runs with the message held');
    t.regex(heldLines(dir, 'jobs')[0]!, /^held: id=\d+ prio=0 size=8 pid=\d+ comm=node$/);
    process.kill(Number(a.out().trim()), 'SIGKILL');
    t.is(await a.exit, 128 + 9, 'the CLI exits 128+SIGKILL');
    t.true(await eventually(() => curmsgs(dir, 'jobs') === '1' && heldLines(dir, 'jobs').length === 0), 'the message is back');

    const b = start();
    t.true(await eventually(() => /^\d+$/m.test(b.out()) && held()));
    const cmdPid = Number(b.out().trim());
    process.kill(b.cli.pid!, 'SIGKILL');
    await b.exit;
    await sleep(200); // a RELEASE would come soon after the CLI's death: give it the chance
    t.true(held(), 'CMD still runs and still holds the message (the open file is its fd 3)');
    process.kill(cmdPid, 'SIGKILL');
    t.true(await eventually(() => curmsgs(dir, 'jobs') === '1' && heldLines(dir, 'jobs').length === 0), 'both dead: the message is back');
    t.is(text(await mq(dir, ['receive', '/jobs'])), 'precious', 'nothing lost');
  });
});
