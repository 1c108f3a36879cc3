/**
 * The machinery of the Open POSIX conformance run, shared by `npm run conformance`
 * (open-posix.ts, every program) and its CI test (open-posix.test.ts, a subset): finding and
 * building the suite's sem_*, mq_* and shm_* programs, running one natively or under the
 * interposer on a fresh ipcfs mount, and owning those mounts (each daemon is ours, stopped by its
 * pid and unmounted whatever happens, Ctrl-C included).
 *
 * Both sides run each program alone in a fresh IPC and mount namespace with a private tmpfs on
 * /dev/shm and a private mqueue fs: the kernel objects of one program never meet another's
 * (parallel jobs, or a failed test's leftovers), fs.mqueue.msg_max can be 40 as the mq tests need
 * without touching the host's, and whatever the interposer lets through to the kernel (a call it
 * does not serve yet) lands in that private namespace instead of the host's. After the program,
 * the same shell lists the kernel objects left there: on the ipcfs side a leftover is proof that a
 * call went to the kernel instead of the mount.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const BUILD = join(ROOT, 'bench', '.build', 'open-posix');
export const PRELOAD = join(ROOT, 'tools', 'libipcfs', 'build', 'libipcfs-preload.so');
/** The interposer the ipcfs side preloads: PRELOAD unless the script's --preload names another build. */
let preload = PRELOAD;
export function usePreload(path: string): void {
  preload = resolve(path);
}
const CLI = join(ROOT, 'dist', 'tools', 'ipcfs.js');
/** A change to our testfrmw shim rebuilds the programs that include it. */
const FRAMEWORK_MTIME = Math.max(...['testfrmw.h', 'testfrmw.c'].map((f) => statSync(join(ROOT, 'test', 'conformance', 'testfrmw', f)).mtimeMs));

/** The suite: IPCFS_ORACLES, else the shared oracles beside the checkout, else /work/shared/oracles. */
export function suiteDir(): string {
  const candidates = [process.env.IPCFS_ORACLES, join(ROOT, '..', 'shared', 'oracles'), '/work/shared/oracles'].filter((d): d is string => !!d);
  for (const d of candidates) if (existsSync(join(d, 'open_posix_testsuite', 'conformance'))) return join(d, 'open_posix_testsuite');
  throw new Error(`the Open POSIX Test Suite is not at any of ${candidates.join(', ')} (set IPCFS_ORACLES)`);
}

/** The suite's exit statuses (its README). */
const VERDICTS: Record<number, string> = { 0: 'PASS', 1: 'FAIL', 2: 'UNRESOLVED', 4: 'UNSUPPORTED', 5: 'UNTESTED' };
export const COLUMNS = ['PASS', 'FAIL', 'UNRESOLVED', 'UNSUPPORTED', 'UNTESTED', 'HUNG', 'SIGNALED', 'VIA_LIBC', 'OTHER', 'NOBUILD', 'NOMOUNT'] as const;
export type Verdict = (typeof COLUMNS)[number];
export type Side = 'native' | 'ipcfs';

export interface Program {
  /** "sem_post/1-1" */
  id: string;
  iface: string;
  source: string;
  binary: string;
}

export interface Outcome {
  verdict: Verdict;
  ms: number;
  /** the program's stdout and stderr together (the run's notes after it) */
  out: string;
  /** kernel objects the program left in its private namespace (/dev/shm, mqueue, SysV ids) */
  kernelLeft: string[];
  /** under the interposer: the IPC functions the program called that went to libc (open-posix-spy.c) */
  viaLibc: string[];
}

export function programs(suite: string, filters: string[] = []): Program[] {
  const out: Program[] = [];
  const base = join(suite, 'conformance', 'interfaces');
  for (const iface of readdirSync(base).sort()) {
    if (!/^(sem|mq|shm)_/.test(iface)) continue;
    const walk = (dir: string, rel: string): void => {
      for (const f of readdirSync(dir).sort()) {
        const p = join(dir, f);
        if (statSync(p).isDirectory()) walk(p, `${rel}${f}/`);
        else if (f.endsWith('.c')) {
          const id = `${iface}/${rel}${f.slice(0, -2)}`;
          out.push({ id, iface, source: p, binary: join(BUILD, id.replace(/\//g, '__')) });
        }
      }
    };
    walk(join(base, iface), '');
  }
  return filters.length ? out.filter((p) => filters.some((f) => p.id.includes(f))) : out;
}

/** Runs fn over items, n at a time; stops taking new items once stop() says so. */
export async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>, stop: () => boolean = () => false): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length && !stop()) await fn(items[next++]!);
  }));
}

/** Process groups of the programs running now, so that an interrupted run can kill them. */
const runningGroups = new Set<number>();

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  hung: boolean;
  out: string;
  /** what the wrapper shell wrote on fd 3 */
  notes: string;
}

function run(argv: string[], limitMs: number): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    // its own process group: a hung program and whatever it forked are killed together
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], detached: true });
    runningGroups.add(child.pid!);
    let out = '';
    let notes = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => (notes += d.toString()));
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      killGroup(child.pid!);
    }, limitMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      runningGroups.delete(child.pid!);
      resolvePromise({ code, signal, hung, out, notes });
    });
  });
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

export async function build(suite: string, p: Program): Promise<boolean> {
  mkdirSync(BUILD, { recursive: true });
  if (existsSync(p.binary) && statSync(p.binary).mtimeMs >= Math.max(statSync(p.source).mtimeMs, FRAMEWORK_MTIME)) return true;
  // test/conformance/include: its parent has the testfrmw/ that 14 programs include as "../testfrmw/"
  const r = await run(['gcc', '-std=gnu99', '-D_POSIX_C_SOURCE=200809L', '-D_XOPEN_SOURCE=700', `-I${join(suite, 'include')}`, `-I${dirname(p.source)}`, `-I${join(ROOT, 'test', 'conformance', 'include')}`, p.source, join(suite, 'lib', 'common.c'), '-o', p.binary, '-lpthread', '-lrt'], 120_000);
  return r.code === 0;
}

/**
 * Programs given more than the run's time limit (which is there to catch hangs, not to judge
 * speed), in seconds. shm_open/23-1: 1000 processes race for 1000 names each with O_CREAT|O_EXCL,
 * a million creates: 11 s natively, 85 s through the mount on a loaded 2-core machine (measured
 * with a bare shm_open-over-the-mount preload).
 */
export const LONGER_LIMIT_S: Record<string, number> = { 'shm_open/23-1': 240 };

/** The witness of calls the interposer lets through to libc (open-posix-spy.c), built once. */
export const SPY = join(BUILD, 'open-posix-spy.so');

export async function buildSpy(): Promise<void> {
  mkdirSync(BUILD, { recursive: true });
  const source = join(ROOT, 'test', 'conformance', 'open-posix-spy.c');
  if (existsSync(SPY) && statSync(SPY).mtimeMs >= statSync(source).mtimeMs) return;
  const r = await run(['gcc', '-shared', '-fPIC', '-O2', '-Wall', '-Wextra', '-Werror', '-o', SPY, source, '-ldl'], 120_000);
  if (r.code !== 0) throw new Error(`cannot build ${SPY}: ${r.out}`);
}

/**
 * The wrapper: a private /dev/shm, mqueue fs and spy log (tmpfs), msg_max 40, the program (with
 * the interposer and the spy only for it and its children when $2 is set), then "rc=N", the
 * kernel objects left and the spy's lines, on fd 3 (closed for the program). $1 program,
 * $2 preload or "", $3 mount, $4 the run dir (its mq/ and spy/ are mountpoints), $5 the spy.
 */
const WRAPPER = [
  'mount -t tmpfs -o mode=1777,size=256m shm /dev/shm && mount -t mqueue mqueue "$4/mq" && mount -t tmpfs -o mode=1777,size=1m spy "$4/spy" || exit 99',
  ': > "$4/spy/log" && chmod 666 "$4/spy/log" && echo 40 > /proc/sys/fs/mqueue/msg_max && cd "$(dirname "$1")" || exit 99',
  'if [ -n "$2" ]; then LD_PRELOAD="$2 $5" IPCFS_MOUNT="$3" IPCFS_CONFORMANCE_SPY="$4/spy/log" "$1" 3>&-; else "$1" 3>&-; fi',
  'rc=$?',
  'echo "rc=$rc" >&3',
  'sort -u "$4/spy/log" >&3',
  '(ls -A /dev/shm | sed "s|^|/dev/shm/|"; ls -A "$4/mq" | sed "s|^|mqueue:/|"; ipcs -s; ipcs -q; ipcs -m) 2>/dev/null | awk \'/^\\/dev\\/shm\\/|^mqueue:/ {print "left " $0} /^0x/ {print "left sysv id " $2}\' >&3',
].join('\n');

/** Each namespace mounts its private mqueue fs and spy log on this run's mq/ and spy/ (empty dirs). */
let runDir: string | null = null;

/**
 * One program, natively (no mount) or under the interposer on the given mount. Under the
 * interposer, a program that passed although some of its IPC calls went to libc is VIA_LIBC, not
 * PASS: its verdict is the kernel's.
 */
export async function runProgram(p: Program, limitMs: number, mount: string | null): Promise<Outcome> {
  if (!runDir) {
    runDir = mkdtempSync(join(tmpdir(), 'ipcfs-conformance-run-'));
    // programs that seteuid to nobody must reach the spy log below it
    chmodSync(runDir, 0o755);
    mkdirSync(join(runDir, 'mq'));
    mkdirSync(join(runDir, 'spy'));
  }
  limitMs = Math.max(limitMs, (LONGER_LIMIT_S[p.id] ?? 0) * 1000);
  const t0 = Date.now();
  const r = await run(['unshare', '--ipc', '--mount', '--propagation', 'private', 'sh', '-c', WRAPPER, 'sh', p.binary, mount ? preload : '', mount ?? '', runDir, SPY], limitMs);
  const ms = Date.now() - t0;
  const rc = /^rc=(\d+)$/m.exec(r.notes);
  const kernelLeft = [...r.notes.matchAll(/^left (.*)$/gm)].map((m) => m[1]!);
  const viaLibc = [...r.notes.matchAll(/^libc (.*)$/gm)].map((m) => m[1]!);
  let verdict: Verdict;
  let out = r.out;
  if (r.hung) verdict = 'HUNG';
  else if (!rc) {
    verdict = r.signal ? 'SIGNALED' : 'OTHER';
    out += `\n[conformance: the namespace wrapper failed: exit ${r.code ?? r.signal}]`;
  } else {
    const code = Number(rc[1]);
    if (code > 128) {
      verdict = 'SIGNALED';
      out += `\n[conformance: killed by signal ${code - 128}]`;
    } else verdict = (VERDICTS[code] as Verdict | undefined) ?? 'OTHER';
  }
  if (viaLibc.length) {
    out = `[conformance: calls that went to libc, not the interposer: ${viaLibc.join(' ')}]\n${out}`;
    if (verdict === 'PASS') verdict = 'VIA_LIBC';
  }
  return { verdict, ms, out, kernelLeft, viaLibc };
}

// ---- mounts ----

export interface Mount {
  dir: string;
  child: ChildProcess;
  stderr(): string;
  exited: Promise<void>;
}

/** Every daemon this process started and has not stopped yet. */
const liveMounts = new Set<Mount>();

function served(dir: string): boolean {
  try {
    const mounted = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === dir && / - fuse/.test(l));
    if (!mounted) return false;
    statSync(join(dir, 'semaphores'));
    return true;
  } catch {
    return false;
  }
}

/** A fresh ipcfs mount as the conformance run needs it: other users allowed (programs seteuid to nobody), msg_max 40. */
export async function startMount(): Promise<Mount> {
  const dir = mkdtempSync(join(tmpdir(), 'ipcfs-conformance-'));
  const child = spawn(process.execPath, [CLI, '--log-level', 'warn', 'mount', dir, '--allow-other', '--limits', 'msg_max=40'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    if (err.length > 20_000) err = err.slice(-10_000);
  });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const m: Mount = { dir, child, stderr: () => err, exited };
  liveMounts.add(m);
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stopMount(m);
      throw new Error(`the ipcfs daemon exited (${child.exitCode ?? child.signalCode}) before mounting: ${err}`);
    }
    if (served(dir)) return m;
    await new Promise((r) => setTimeout(r, 20));
  }
  await stopMount(m);
  throw new Error(`the ipcfs daemon did not mount ${dir} in 20 s: ${err}`);
}

export function alive(m: Mount): boolean {
  return m.child.exitCode === null && m.child.signalCode === null;
}

/** Stops our daemon by its pid (SIGTERM, then SIGKILL), then makes sure nothing stays mounted. */
export async function stopMount(m: Mount): Promise<void> {
  if (alive(m)) {
    m.child.kill('SIGTERM');
    const gone = await Promise.race([m.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
    if (!gone) {
      m.child.kill('SIGKILL');
      await m.exited;
    }
  }
  unmountDir(m.dir);
  liveMounts.delete(m);
}

function unmountDir(dir: string): void {
  if (readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === dir)) spawnSync('umount', ['-l', dir]);
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // a lazily unmounted dir may stay busy for a moment; it is in the tmpdir
  }
}

/**
 * Synchronous last resort (a signal, an uncaught error): kills the programs running now and our
 * daemons by their pids, unmounts their mounts.
 */
export function abandonAll(): void {
  for (const g of runningGroups) killGroup(g);
  for (const m of liveMounts) {
    if (alive(m)) m.child.kill('SIGKILL');
    unmountDir(m.dir);
  }
  liveMounts.clear();
  if (runDir) rmSync(runDir, { recursive: true, force: true });
}

/** Tidy end of a run: stops the daemons still up, removes the mqueue mountpoint. */
export async function finish(): Promise<void> {
  for (const m of [...liveMounts]) await stopMount(m);
  if (runDir) rmSync(runDir, { recursive: true, force: true });
  runDir = null;
}

/** The object directories of a mount: all empty after a program that removed what it made. */
const OBJECT_DIRS = ['semaphores/named', 'semaphores/unnamed', 'semaphores/sysv', 'mqueue/named', 'mqueue/sysv', 'shared-memory/named', 'shared-memory/sysv', 'jobserver/named'];

/** What a program left on the mount ("mqueue/named/q1"), [] when nothing. */
export function leftOnMount(m: Mount): string[] {
  const out: string[] = [];
  for (const d of OBJECT_DIRS) {
    try {
      // by-key/ (System V) is part of the tree; the objects' own key links are in it
      for (const f of readdirSync(join(m.dir, d))) {
        if (f === 'by-key') out.push(...readdirSync(join(m.dir, d, f)).map((k) => `${d}/by-key/${k}`));
        else out.push(`${d}/${f}`);
      }
    } catch (err) {
      out.push(`${d} (${(err as NodeJS.ErrnoException).code})`);
    }
  }
  return out;
}

/**
 * The ipcfs side's mounts. 'program': a fresh mount for every program, the exact twin of the
 * native side's fresh namespace. 'clean' (the default): a mount is used again by the next program
 * only when the last one passed, the daemon is alive and every object directory is empty again;
 * any other outcome (a failure, a hang, a leftover object) retires it and the next program gets a
 * fresh one, so a failed test's leftovers never reach another program, at a fraction of the cost
 * (a daemon start and stop is ~0.3 s; measured: 235 programs on 2 jobs, 54 s native, 91 s with a
 * mount each). Mounts are never shared by two programs at once.
 */
export type MountPolicy = 'program' | 'clean';

export class Mounts {
  private readonly idle: Mount[] = [];
  started = 0;

  constructor(readonly policy: MountPolicy) {}

  /**
   * One program under the interposer on a mount of its own for its run. A daemon that died under
   * the program is reported in its output, and so are the objects it left on the mount.
   */
  async run(p: Program, limitMs: number): Promise<Outcome> {
    let m = this.idle.pop();
    if (!m) {
      try {
        m = await startMount();
        this.started++;
      } catch (err) {
        return { verdict: 'NOMOUNT', ms: 0, out: (err as Error).message, kernelLeft: [], viaLibc: [] };
      }
    }
    let keep = false;
    try {
      const o = await runProgram(p, limitMs, m.dir);
      if (!alive(m)) o.out += `\n[conformance: the ipcfs daemon died during the program: ${m.child.exitCode ?? m.child.signalCode}]\n${m.stderr().slice(-2000)}`;
      else {
        const left = leftOnMount(m);
        if (left.length) o.out += `\n[conformance: left on the mount: ${left.slice(0, 8).join(' ')}${left.length > 8 ? ' ...' : ''}]`;
        keep = this.policy === 'clean' && o.verdict === 'PASS' && left.length === 0;
      }
      return o;
    } finally {
      if (keep) this.idle.push(m);
      else await stopMount(m);
    }
  }

  async close(): Promise<void> {
    while (this.idle.length) await stopMount(this.idle.pop()!);
  }
}

/** The first lines of a program's output, for the list of differences. */
export function firstLines(out: string, n = 3): string[] {
  return out.split('\n').map((l) => l.trimEnd()).filter((l) => l.length > 0).slice(0, n).map((l) => (l.length > 160 ? `${l.slice(0, 157)}...` : l));
}

export interface Difference {
  id: string;
  native: Verdict;
  ipcfs: Verdict;
  /** a native PASS that is not an ipcfs PASS */
  regression: boolean;
  /** listed in open-posix-explained.ts */
  explained: boolean;
}

/** The programs whose verdicts differ between the two sides, in list order. */
export function differences(list: Program[], native: Map<string, Outcome>, ipcfs: Map<string, Outcome>, explained: Record<string, unknown>): Difference[] {
  const out: Difference[] = [];
  for (const p of list) {
    const n = native.get(p.id)?.verdict;
    const i = ipcfs.get(p.id)?.verdict;
    if (!n || !i || n === i) continue;
    out.push({ id: p.id, native: n, ipcfs: i, regression: n === 'PASS', explained: p.id in explained });
  }
  return out;
}
