/**
 * `npm run conformance` (issue 10, first part): the Open POSIX Test Suite's sem_*, mq_* and shm_*
 * conformance programs (../shared/oracles/open_posix_testsuite, 235 single-file C programs; see
 * its README), built with the system's gcc and run natively, each in a fresh IPC namespace
 * (`unshare --ipc`: the kernel's objects and mqueue limits of one program never meet another's,
 * and fs.mqueue.msg_max can be raised to the 40 the mq tests open queues with, without touching
 * the host's), with a time limit per program. Prints a table of verdicts per interface.
 *
 * The ipcfs side (the same programs under the interposer, `ipcfs exec`, on a fresh mount, in the
 * same invocation, and the list of programs whose verdicts differ) comes with the interposer.
 *
 * Usage: node dist/test/conformance/open-posix.js [--limit-s N] [--jobs N] [FILTER...]
 * (FILTER: a substring of "interface/N-M", e.g. sem_post or mq_open/3-1). Needs root (unshare,
 * and several programs seteuid to nobody), gcc and make's build-essential.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const BUILD = join(ROOT, 'bench', '.build', 'open-posix');
/** A change to our testfrmw shim rebuilds the programs that include it. */
const FRAMEWORK_MTIME = Math.max(...['testfrmw.h', 'testfrmw.c'].map((f) => statSync(join(ROOT, 'test', 'conformance', 'testfrmw', f)).mtimeMs));

/** The suite: IPCFS_ORACLES, else the shared oracles beside the checkout, else /work/shared/oracles. */
function suiteDir(): string {
  const candidates = [process.env.IPCFS_ORACLES, join(ROOT, '..', 'shared', 'oracles'), '/work/shared/oracles'].filter((d): d is string => !!d);
  for (const d of candidates) if (existsSync(join(d, 'open_posix_testsuite', 'conformance'))) return join(d, 'open_posix_testsuite');
  throw new Error(`the Open POSIX Test Suite is not at any of ${candidates.join(', ')} (set IPCFS_ORACLES)`);
}

/** The suite's exit statuses (its README). */
const VERDICTS: Record<number, string> = { 0: 'PASS', 1: 'FAIL', 2: 'UNRESOLVED', 4: 'UNSUPPORTED', 5: 'UNTESTED' };
const COLUMNS = ['PASS', 'FAIL', 'UNRESOLVED', 'UNSUPPORTED', 'UNTESTED', 'SIGNALED', 'HUNG', 'OTHER', 'NOBUILD'] as const;
type Verdict = (typeof COLUMNS)[number];

interface Program {
  /** "sem_post/1-1" */
  id: string;
  iface: string;
  source: string;
  binary: string;
}

function programs(suite: string, filters: string[]): Program[] {
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

/** Runs fn over items, n at a time. */
async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

function run(argv: string[], limitMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; hung: boolean; out: string }> {
  return new Promise((resolvePromise) => {
    // its own process group: a hung program and whatever it forked are killed together
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone already
      }
    }, limitMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, hung, out });
    });
  });
}

async function build(suite: string, p: Program): Promise<boolean> {
  if (existsSync(p.binary) && statSync(p.binary).mtimeMs >= Math.max(statSync(p.source).mtimeMs, FRAMEWORK_MTIME)) return true;
  // test/conformance/include: its parent has the testfrmw/ that 14 programs include as "../testfrmw/"
  const r = await run(['gcc', '-std=gnu99', '-D_POSIX_C_SOURCE=200809L', '-D_XOPEN_SOURCE=700', `-I${join(suite, 'include')}`, `-I${dirname(p.source)}`, `-I${join(ROOT, 'test', 'conformance', 'include')}`, p.source, join(suite, 'lib', 'common.c'), '-o', p.binary, '-lpthread', '-lrt'], 120_000);
  return r.code === 0;
}

/** One program natively, alone in a fresh IPC namespace whose mqueue allows 40 messages a queue. */
async function runNative(p: Program, limitMs: number): Promise<Verdict> {
  const r = await run(['unshare', '--ipc', 'sh', '-c', 'echo 40 > /proc/sys/fs/mqueue/msg_max && cd "$(dirname "$1")" && exec "$1"', 'sh', p.binary], limitMs);
  if (r.hung) return 'HUNG';
  if (r.signal) return 'SIGNALED';
  return (VERDICTS[r.code ?? -1] as Verdict | undefined) ?? 'OTHER';
}

function table(title: string, results: Map<string, Verdict>, list: Program[]): void {
  const ifaces = [...new Set(list.map((p) => p.iface))];
  const width = Math.max(...ifaces.map((i) => i.length), 'interface'.length);
  console.log(`\n${title}`);
  console.log(`${'interface'.padEnd(width)} ${COLUMNS.map((c) => c.padStart(c.length)).join(' ')}`);
  const total = new Map<Verdict, number>();
  for (const iface of ifaces) {
    const counts = new Map<Verdict, number>();
    for (const p of list.filter((x) => x.iface === iface)) {
      const v = results.get(p.id)!;
      counts.set(v, (counts.get(v) ?? 0) + 1);
      total.set(v, (total.get(v) ?? 0) + 1);
    }
    console.log(`${iface.padEnd(width)} ${COLUMNS.map((c) => String(counts.get(c) ?? 0).padStart(c.length)).join(' ')}`);
  }
  console.log(`${'all'.padEnd(width)} ${COLUMNS.map((c) => String(total.get(c) ?? 0).padStart(c.length)).join(' ')}`);
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  let limitS = 20;
  let jobs = Math.max(1, cpus().length);
  const filters: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--limit-s') limitS = Number(args[++i]);
    else if (args[i] === '--jobs') jobs = Number(args[++i]);
    else filters.push(args[i]!);
  }
  if (!(limitS > 0) || !(jobs > 0)) throw new Error('--limit-s and --jobs take positive numbers');
  if (process.getuid?.() !== 0) throw new Error('run as root: unshare --ipc, and programs that seteuid to nobody');
  if (spawnSync('gcc', ['--version']).status !== 0) throw new Error('gcc is not installed (Debian: build-essential)');
  const suite = suiteDir();
  mkdirSync(BUILD, { recursive: true });
  const list = programs(suite, filters);
  const t0 = Date.now();
  const built = new Set<string>();
  await pool(list, jobs, async (p) => {
    if (await build(suite, p)) built.add(p.id);
  });
  const native = new Map<string, Verdict>();
  await pool(list, jobs, async (p) => {
    native.set(p.id, built.has(p.id) ? await runNative(p, limitS * 1000) : 'NOBUILD');
  });
  table(`native (Linux ${spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim()}), ${list.length} programs, ${limitS} s each at most, ${((Date.now() - t0) / 1000).toFixed(0)} s`, native, list);
  const notPassing = list.filter((p) => native.get(p.id) !== 'PASS');
  if (notPassing.length) console.log(`\nnot passing natively: ${notPassing.map((p) => `${p.id} ${native.get(p.id)}`).join(', ')}`);
  return 0;
}

process.exitCode = await main().catch((err: unknown) => {
  console.error(`conformance: ${(err as Error).message}`);
  return 1;
});
