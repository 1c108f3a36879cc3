/**
 * `ipcfs exec`: the command runs with the interposer first in LD_PRELOAD (any the caller had
 * kept after it) and IPCFS_MOUNT as an absolute path; its exit status is ours, 128+N when a signal
 * ended it; SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to ipcfs exec reach the command, a
 * terminal's Ctrl-C once; a directory that is no mount is one line and exit 1 before anything
 * runs; a missing command 127.
 */
import { spawn, spawnSync } from 'node:child_process';
import { basename, dirname } from 'node:path';
import test from 'ava';
import { constants } from 'node:os';
import { LIBIPCFS_PRELOAD } from '../helpers/c-helper.js';
import { CLI, freshDir, mountTest, withDaemon } from '../helpers/mount.js';
import { preloadWith } from '../../tools/exec.js';

const mtest = mountTest();

const ipcfsExec = (args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
  spawnSync(process.execPath, [CLI, 'exec', ...args], { encoding: 'utf8', timeout: 20_000, cwd: o.cwd, env: { ...process.env, ...o.env } });

test('a directory that is no ipcfs mount: one line, exit 1, the command never runs', (t) => {
  const dir = freshDir('ipcfs-exec-none-');
  const r = ipcfsExec(['--mount', dir, '--', 'sh', '-c', 'echo ran']);
  t.is(r.status, 1);
  t.is(r.stdout, '');
  t.is(r.stderr, `ipcfs exec: ${dir}: not an ipcfs mount (start one with: ipcfs mount ${dir})\n`);
});

test('the interposer goes first in LD_PRELOAD, once; the others keep their order (space or colon separated)', (t) => {
  t.is(preloadWith(undefined), LIBIPCFS_PRELOAD);
  t.is(preloadWith('/a.so /b.so'), `${LIBIPCFS_PRELOAD}:/a.so:/b.so`);
  t.is(preloadWith(`/a.so:${LIBIPCFS_PRELOAD}`), `${LIBIPCFS_PRELOAD}:/a.so`, 'an ipcfs exec inside another');
});

test('no command: usage line, exit 1', (t) => {
  const r = ipcfsExec(['--mount', '/nonexistent']);
  t.is(r.status, 1);
  t.regex(r.stderr, /^ipcfs exec: no command given\n/);
});

mtest('the command sees the interposer first in LD_PRELOAD, the caller\'s after it, and IPCFS_MOUNT absolute; its exit status is ours', async (t) => {
  await withDaemon(async (d) => {
    const show = ['--', 'sh', '-c', 'printf "%s|%s" "$LD_PRELOAD" "$IPCFS_MOUNT"; exit 7'];
    // a relative --mount, from the mount's parent
    const r = ipcfsExec(['--mount', basename(d.dir), ...show], { cwd: dirname(d.dir), env: { LD_PRELOAD: '' } });
    t.is(r.status, 7);
    t.is(r.stdout, `${LIBIPCFS_PRELOAD}|${d.dir}`);
    // the caller's preload (a missing one: ld.so warns and goes on) stays, after ours
    const kept = ipcfsExec(['--mount', d.dir, ...show], { env: { LD_PRELOAD: '/nonexistent/other.so' } });
    t.is(kept.stdout, `${LIBIPCFS_PRELOAD}:/nonexistent/other.so|${d.dir}`);
    // IPCFS_MOUNT is the default mount
    const env = ipcfsExec(['--', 'sh', '-c', 'exit 0'], { env: { IPCFS_MOUNT: d.dir } });
    t.is(env.status, 0, env.stderr);
    const missing = ipcfsExec(['--mount', d.dir, '--', '/nonexistent/command']);
    t.is(missing.status, 127);
    t.is(missing.stderr, 'ipcfs exec: /nonexistent/command: No such file or directory\n');
    const killed = ipcfsExec(['--mount', d.dir, '--', 'sh', '-c', 'kill -USR1 $$']);
    t.is(killed.status, 128 + constants.signals.SIGUSR1, 'a command killed by a signal: 128+N');
  });
});

mtest('SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to ipcfs exec reach the command', async (t) => {
  await withDaemon(async (d) => {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) {
      const name = sig.slice(3);
      const script = `trap 'echo got ${name}; exit 3' ${name}; echo ready; while :; do sleep 0.05; done`;
      // detached: in a session of its own, without a terminal, even when the tests are run at one
      const child = spawn(process.execPath, [CLI, 'exec', '--mount', d.dir, '--', 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      await new Promise<void>((resolve) => {
        const check = (): void => (out.includes('ready') ? resolve() : void setTimeout(check, 10));
        check();
      });
      child.kill(sig);
      t.is(await done, 3, sig);
      t.is(out, `ready\ngot ${name}\n`, sig);
    }
  });
});

/** CMD at a terminal (script(1)'s pseudo-terminal, ipcfs exec in its foreground group); Ctrl-C typed once. */
async function ctrlC(command: string[]): Promise<string> {
  // python3: a handler per signal received (sh's traps merge signals that come close together)
  const counter = 'import signal, time\nn = 0\ndef h(s, f):\n  global n\n  n += 1\nsignal.signal(signal.SIGINT, h)\nprint("ready", flush=True)\nwhile n == 0: time.sleep(0.01)\ntime.sleep(1)\nprint("INT", n, flush=True)';
  const cmd = [...command, 'python3', '-c', `'${counter}'`].join(' ');
  const child = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const done = new Promise<void>((resolve) => child.on('close', () => resolve()));
  await new Promise<void>((resolve) => {
    const check = (): void => (out.includes('ready') ? resolve() : void setTimeout(check, 10));
    check();
  });
  child.stdin.write('\x03');
  await done;
  return out;
}

mtest('Ctrl-C at a terminal reaches the command once, as without ipcfs exec (it is in the terminal\'s foreground group)', async (t) => {
  const native = await ctrlC([]);
  t.regex(native, /INT 1\r?\n/);
  await withDaemon(async (d) => {
    const out = await ctrlC([process.execPath, CLI, 'exec', '--mount', d.dir, '--']);
    t.regex(out, /INT 1\r?\n/, 'ipcfs exec passed the terminal\'s SIGINT on a second time');
  });
});
