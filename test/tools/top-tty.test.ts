/**
 * `ipcfs top` on a real terminal: tmux (scripts/system-deps.sh installs it) runs it in a detached
 * 80x24 window on a live mount, and capture-pane reads the screen as a user sees it. The view
 * follows changes to the objects, s and k change it, a resize redraws it, and q, Ctrl-C and
 * SIGTERM end it with the terminal as it was: main screen back (tmux's alternate_on), cursor shown,
 * the shell's prompt showing, and the tty modes `stty -g` gave before.
 *
 * Each test runs its own tmux server (-L, a socket of its own) and kills only its session, by its
 * unique name.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { CLI, eventually, freshDir, mountTest, withDaemon } from '../helpers/mount.js';

const mtest = mountTest();
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
if (!hasTmux) console.error('tmux is missing: run scripts/system-deps.sh as root (the tests below then fail rather than skip)');

let serial = 0;

/** A detached tmux window of 80x24 running sh, on a tmux server of its own. */
class Pane {
  readonly name = `ipcfs-top-test-${process.pid}-${++serial}`;
  readonly scratch = freshDir('ipcfs-top-tty-');

  constructor(t: ExecutionContext) {
    this.tmux('-f', '/dev/null', 'new-session', '-d', '-s', this.name, '-x', '80', '-y', '24', 'env', 'PS1=shell-ready$ ', 'sh');
    this.tmux('set-option', '-t', this.name, 'status', 'off');
    t.teardown(() => this.tmux('kill-session', '-t', this.name));
  }

  tmux(...args: string[]): string {
    const r = spawnSync('tmux', ['-L', this.name, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  screen(): string {
    // -J: a command line longer than the window is one line again
    return this.tmux('capture-pane', '-p', '-J', '-t', this.name);
  }

  /** tmux's view of the pane: alternate screen on, cursor shown. */
  flags(): { alternate: boolean; cursor: boolean } {
    const [alt, cursor] = this.tmux('display-message', '-p', '-t', this.name, '#{alternate_on} #{cursor_flag}').trim().split(' ');
    return { alternate: alt === '1', cursor: cursor === '1' };
  }

  /** The pane's terminal modes as `stty -a` shows them, read from outside. */
  ttyModes(): string {
    const tty = this.tmux('display-message', '-p', '-t', this.name, '#{pane_tty}').trim();
    return spawnSync('stty', ['-F', tty, '-a'], { encoding: 'utf8' }).stdout;
  }

  /** Types a line into the shell. */
  type(line: string): void {
    this.tmux('send-keys', '-t', this.name, '-l', line);
    this.tmux('send-keys', '-t', this.name, 'Enter');
  }

  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', this.name, ...keys);
  }

  /** Handshake: the screen once re matches it (or the last screen, for the failure message). */
  async until(re: RegExp, ms = 8000): Promise<string> {
    let last = '';
    await eventually(() => re.test((last = this.screen())), ms);
    if (!re.test(last)) throw new Error(`the screen never matched ${re}:\n${last}`);
    return last;
  }

  /**
   * Starts top in the shell, recording the tty modes before and after and top's exit status
   * (`top-exit=N`, printed after the view ends), and top's pid in a file.
   */
  async startTop(mount: string, run: number, extra = ''): Promise<void> {
    const s = this.scratch;
    // the shell's prompt first (typed ahead, the line would echo before the prompt)
    await this.until(/shell-ready\$ ?\n*$/);
    this.type(
      `stty -g > ${s}/before-${run}; sh -c 'echo $$ > ${s}/pid-${run}; exec ${process.execPath} ${CLI} top --mount ${mount} -d 0.2 ${extra}'; echo top-exit-${run}=$?; stty -g > ${s}/after-${run}`,
    );
  }

  pid(run: number): number {
    return Number(readFileSync(join(this.scratch, `pid-${run}`), 'utf8'));
  }

  /** After top ended: its status, and the terminal as it was before (modes, main screen, cursor). */
  async ended(t: ExecutionContext, run: number, status: number): Promise<void> {
    const screen = await this.until(new RegExp(`top-exit-${run}=\\d+`));
    t.regex(screen, new RegExp(`top-exit-${run}=${status}\\n`));
    t.deepEqual(this.flags(), { alternate: false, cursor: true });
    t.notRegex(this.ttyModes(), /-icanon/);
    t.true(await eventually(() => existsSync(join(this.scratch, `after-${run}`)) && readFileSync(join(this.scratch, `after-${run}`), 'utf8') !== ''));
    t.is(readFileSync(join(this.scratch, `after-${run}`), 'utf8'), readFileSync(join(this.scratch, `before-${run}`), 'utf8'), 'tty modes restored');
    // the shell's screen again: the command line typed, the prompt after it, no frame of top
    t.regex(screen, new RegExp(`shell-ready\\$ stty -g > \\S+/before-${run};`));
    t.regex(await this.until(new RegExp(`top-exit-${run}=${status}\\n(.*\\n)*shell-ready\\$`)), /shell-ready\$ *$/m);
    t.notRegex(this.screen(), /^ipcfs top - /m);
  }
}

/** Writes one command to an object file (one write(2)). */
function command(path: string, text: string): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/** semget/msgget through .new: the id it answers. */
function newId(dir: string, line: string): string {
  const fd = openSync(join(dir, '.new'), 'r+');
  try {
    writeSync(fd, `${line}\n`);
    const buf = Buffer.alloc(64);
    return buf.subarray(0, readSync(fd, buf, 0, buf.length, null)).toString().trim();
  } finally {
    closeSync(fd);
  }
}

/** A child we started, blocked in a wait on a semaphore file; killed by its pid at the end. */
function waiter(t: ExecutionContext, file: string): ChildProcess {
  const child = spawn('sh', ['-c', `echo wait > ${file}`], { stdio: 'ignore' });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

/** The object lines of a screen: "KIND ID ..." under the column titles. */
const objectLines = (screen: string): string[] =>
  screen
    .split('\n')
    .slice(4)
    .filter((l) => /^(sem|msg|shm|psem|pmq|pshm|pool) /.test(l));

mtest('top follows the mount live; s and k change the view; q ends it with the terminal restored', async (t) => {
  t.true(hasTmux, 'tmux is installed (scripts/system-deps.sh)');
  await withDaemon(async (d) => {
    const sysv = join(d.dir, 'semaphores', 'sysv');
    const idle = newId(sysv, 'semget private 1 creat mode=0600');
    const busy = newId(sysv, 'semget private 1 creat mode=0600');
    const queue = newId(join(d.dir, 'mqueue', 'sysv'), 'msgget private creat mode=0600');
    const pane = new Pane(t);
    await pane.startTop(d.dir, 1);
    const first = await pane.until(/^ipcfs top - .* - sort kind - kind all - /m);
    t.true(pane.flags().alternate, 'alternate screen');
    t.false(pane.flags().cursor, 'cursor hidden');
    t.regex(pane.ttyModes(), /-icanon/, 'raw input (keys act without Enter)');
    t.regex(first, /^KIND ID +KEY +OWNER +PERM WAIT +OPS\/S VALUE$/m);
    for (const l of first.split('\n')) t.true(l.length <= 80);

    // changes show: a post, a message, a waiter
    command(join(sysv, idle), 'setall 5');
    await pane.until(new RegExp(`^sem  ${idle} .* 5$`, 'm'));
    command(join(d.dir, 'mqueue', 'sysv', queue), 'send 1\nhello');
    await pane.until(new RegExp(`^msg  ${queue} .* 1 msg 5 B$`, 'm'));
    waiter(t, join(sysv, busy));
    await pane.until(new RegExp(`^sem  ${busy} +\\S+ +\\S+ +600 +1 `, 'm'));
    t.deepEqual(
      objectLines(pane.screen()).map((l) => l.split(/ +/).slice(0, 2).join(' ')),
      [`sem ${idle}`, `sem ${busy}`, `msg ${queue}`],
    );

    // s: ops, then wait: the set with a waiter comes first
    pane.keys('s');
    await pane.until(/ - sort ops - /);
    pane.keys('s');
    const byWait = await pane.until(/ - sort wait - /);
    t.is(objectLines(byWait)[0]!.split(/ +/).slice(0, 2).join(' '), `sem ${busy}`);

    // k: each kind alone
    pane.keys('k');
    const sems = await pane.until(/ - kind sem - /);
    t.deepEqual(
      objectLines(sems).map((l) => l.split(/ +/)[0]),
      ['sem', 'sem'],
    );
    pane.keys('k');
    const msgs = await pane.until(/ - kind msg - /);
    t.deepEqual(
      objectLines(msgs).map((l) => l.split(/ +/)[0]),
      ['msg'],
    );

    // + and -: the interval steps
    pane.keys('+');
    await pane.until(/ - every 0\.5s - /);
    pane.keys('-', '-');
    await pane.until(/ - every 0\.1s - /);

    // a resize redraws for the new size: a wider window gives the names more room
    pane.tmux('resize-window', '-t', pane.name, '-x', '110', '-y', '30');
    // (ID is 14 wide at 80 columns, plus a third of the 30 extra: 24)
    const wide = await pane.until(/^KIND ID {23}KEY/m);
    t.is(wide.split('\n').length, 31, '30 rows and the final newline');
    t.regex(wide, new RegExp(`^ipcfs top - .* - ${d.dir}$`, 'm'));

    pane.keys('q');
    await pane.ended(t, 1, 0);
    command(join(sysv, busy), 'post');
  });
});

mtest('Ctrl-C and SIGTERM end top with the terminal restored too', async (t) => {
  t.true(hasTmux, 'tmux is installed (scripts/system-deps.sh)');
  await withDaemon(async (d) => {
    const pane = new Pane(t);
    await pane.startTop(d.dir, 1);
    await pane.until(/^ipcfs top - /m);
    t.true(pane.flags().alternate);
    pane.keys('C-c');
    await pane.ended(t, 1, 0);

    await pane.startTop(d.dir, 2);
    await pane.until(/^ipcfs top - /m);
    t.true(pane.flags().alternate);
    process.kill(pane.pid(2), 'SIGTERM');
    // 143: the shell's status for a death by SIGTERM, after the terminal is restored
    await pane.ended(t, 2, 143);
  });
});

mtest('a daemon that dies under the view is said in its header; q still ends it cleanly', async (t) => {
  t.true(hasTmux, 'tmux is installed (scripts/system-deps.sh)');
  await withDaemon(async (d) => {
    const pane = new Pane(t);
    await pane.startTop(d.dir, 1);
    await pane.until(/^q quit {2}s sort/m);
    d.child.kill('SIGKILL');
    await d.exited;
    await pane.until(/^! the ipcfs daemon of this mount is not running$/m);
    pane.keys('q');
    await pane.ended(t, 1, 0);
  });
});
