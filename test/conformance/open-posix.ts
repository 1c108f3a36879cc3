/**
 * `npm run conformance` (issue 10): the Open POSIX Test Suite's sem_*, mq_* and shm_* conformance
 * programs (../shared/oracles/open_posix_testsuite, 235 single-file C programs; see its README),
 * built with the system's gcc and run twice in one invocation: natively, and unmodified under the
 * interposer (LD_PRELOAD=tools/libipcfs/build/libipcfs-preload.so, IPCFS_MOUNT=<mount>) on a fresh
 * ipcfs mount (see Mounts in open-posix-run.ts; `--allow-other --limits msg_max=40`, like the native side's
 * fs.mqueue.msg_max). Each run of each program is alone in fresh IPC and mount namespaces (see
 * open-posix-run.ts), with a time limit. Prints a table per interface with both sides, then the
 * programs whose verdicts differ, and exits 1 when a native PASS is not an ipcfs PASS unless
 * open-posix-explained.ts explains it.
 *
 * Usage: node dist/test/conformance/open-posix.js [--only-native | --only-ipcfs] [--limit-s N]
 *   [--jobs N] [--mounts clean|program|one] [--json FILE] [--preload SO] [FILTER...]
 * FILTER: a substring of "interface/N-M", e.g. sem_post or mq_open/3-1. --mounts: clean (default:
 * a mount is used again only after a program that passed and left it empty), program (a fresh
 * mount for every program), one (one mount for the whole side: leftovers stay; for measuring).
 * --preload: another build of the interposer (default tools/libipcfs/build/libipcfs-preload.so).
 * Needs root (unshare, mounting, programs that seteuid to nobody), gcc.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { EXPLAINED } from './open-posix-explained.js';
import {
  abandonAll, build, buildSpy, COLUMNS, differences, finish, firstLines, LONGER_LIMIT_S, Mounts, pool, PRELOAD, programs, runProgram, startMount, stopMount, suiteDir, usePreload,
  type Mount, type Outcome, type Program, type Verdict,
} from './open-posix-run.js';

interface Options {
  sides: { native: boolean; ipcfs: boolean };
  limitS: number;
  jobs: number;
  mounts: 'program' | 'clean' | 'one';
  json: string | null;
  preload: string;
  filters: string[];
}

function parse(args: string[]): Options {
  const o: Options = { sides: { native: true, ipcfs: true }, limitS: 20, jobs: Math.max(1, cpus().length), mounts: 'clean', json: null, preload: PRELOAD, filters: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--limit-s') o.limitS = Number(args[++i]);
    else if (a === '--jobs') o.jobs = Number(args[++i]);
    else if (a === '--only-native') o.sides = { native: true, ipcfs: false };
    else if (a === '--only-ipcfs') o.sides = { native: false, ipcfs: true };
    else if (a === '--mounts') {
      const v = args[++i];
      if (v !== 'program' && v !== 'clean' && v !== 'one') throw new Error('--mounts takes program, clean or one');
      o.mounts = v;
    }
    else if (a === '--json') o.json = args[++i] ?? null;
    else if (a === '--preload') o.preload = args[++i] ?? '';
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else o.filters.push(a);
  }
  if (!(o.limitS > 0) || !(o.jobs > 0)) throw new Error('--limit-s and --jobs take positive numbers');
  if (o.json === null && args.includes('--json')) throw new Error('--json takes a file name');
  return o;
}

const SHORT: Record<Verdict, string> = { PASS: 'PASS', FAIL: 'FAIL', UNRESOLVED: 'UNRES', UNSUPPORTED: 'UNSUP', UNTESTED: 'UNTEST', HUNG: 'HUNG', SIGNALED: 'SIG', VIA_LIBC: 'LIBC', OTHER: 'OTHER', NOBUILD: 'NOBUILD', NOMOUNT: 'NOMOUNT' };

/** A table per interface; for each verdict one column per side that ran ("n" native, "i" ipcfs). */
function table(list: Program[], sides: [string, Map<string, Outcome>][]): void {
  // the always-present columns, and the rare ones only when some program has them
  const cols = COLUMNS.filter((c) => ['PASS', 'FAIL', 'UNRESOLVED', 'UNSUPPORTED', 'UNTESTED', 'HUNG', 'SIGNALED'].includes(c) || sides.some(([, m]) => [...m.values()].some((o) => o.verdict === c)));
  const ifaces = [...new Set(list.map((p) => p.iface)), 'all'];
  const width = Math.max(...ifaces.map((i) => i.length), 'interface'.length);
  const cell = (c: Verdict): number => Math.max(SHORT[c].length, sides.length * 4 - 1);
  const head1 = `${''.padEnd(width)}  ${cols.map((c) => SHORT[c].padStart(cell(c))).join('  ')}`;
  const head2 = `${'interface'.padEnd(width)}  ${cols.map((c) => sides.map(([s]) => s[0]!.padStart(3)).join(' ').padStart(cell(c))).join('  ')}`;
  console.log(head1);
  console.log(head2);
  for (const iface of ifaces) {
    const mine = iface === 'all' ? list : list.filter((p) => p.iface === iface);
    const row = cols.map((c) => sides.map(([, m]) => String(mine.filter((p) => m.get(p.id)?.verdict === c).length).padStart(3)).join(' ').padStart(cell(c)));
    console.log(`${iface.padEnd(width)}  ${row.join('  ')}`);
  }
}

async function runSide(list: Program[], built: Set<string>, o: Options, side: 'native' | 'ipcfs', stop: () => boolean): Promise<{ results: Map<string, Outcome>; seconds: number; mounts: number }> {
  const t0 = Date.now();
  const results = new Map<string, Outcome>();
  const limitMs = o.limitS * 1000;
  let shared: Mount | null = null;
  const mounts = new Mounts(o.mounts === 'program' ? 'program' : 'clean');
  if (side === 'ipcfs' && o.mounts === 'one') shared = await startMount();
  try {
    await pool(list, o.jobs, async (p) => {
      if (!built.has(p.id)) results.set(p.id, { verdict: 'NOBUILD', ms: 0, out: '', kernelLeft: [], viaLibc: [] });
      else if (side === 'native') results.set(p.id, await runProgram(p, limitMs, null));
      else if (shared) results.set(p.id, await runProgram(p, limitMs, shared.dir));
      else results.set(p.id, await mounts.run(p, limitMs));
    }, stop);
  } finally {
    if (shared) await stopMount(shared);
    await mounts.close();
  }
  return { results, seconds: (Date.now() - t0) / 1000, mounts: shared ? 1 : mounts.started };
}

async function main(): Promise<number> {
  const o = parse(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('run as root: unshare, mounting ipcfs, and programs that seteuid to nobody');
  if (spawnSync('gcc', ['--version']).status !== 0) throw new Error('gcc is not installed (Debian: build-essential)');
  if (o.sides.ipcfs && !existsSync(o.preload)) throw new Error(`${o.preload} is missing: build it with \`make -C tools/libipcfs\` (npm install does)`);
  usePreload(o.preload);
  let interrupted = false;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (interrupted) return;
      interrupted = true;
      console.error(`\nconformance: ${sig}: stopping the programs and our ipcfs daemons, unmounting`);
      abandonAll();
      process.exit(130);
    });
  }
  const suite = suiteDir();
  const list = programs(suite, o.filters);
  if (!list.length) throw new Error(`no program matches ${o.filters.join(' ')}`);
  const tb = Date.now();
  const built = new Set<string>();
  if (o.sides.ipcfs) await buildSpy();
  await pool(list, o.jobs, async (p) => {
    if (await build(suite, p)) built.add(p.id);
  });
  const buildS = (Date.now() - tb) / 1000;
  const stop = (): boolean => interrupted;
  const sides: [string, Map<string, Outcome>][] = [];
  const timing: Record<string, number> = { build: buildS };
  let mountsStarted = 0;
  if (o.sides.native) {
    const r = await runSide(list, built, o, 'native', stop);
    sides.push(['native', r.results]);
    timing.native = r.seconds;
  }
  if (o.sides.ipcfs) {
    const r = await runSide(list, built, o, 'ipcfs', stop);
    sides.push(['ipcfs', r.results]);
    timing.ipcfs = r.seconds;
    mountsStarted = r.mounts;
  }
  await finish();

  const kernel = spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim();
  console.log(`\nOpen POSIX Test Suite, ${list.length} programs, ${o.limitS} s each at most (${Object.entries(LONGER_LIMIT_S).map(([id, l]) => `${id}: ${l} s`).join(', ')}), ${o.jobs} at a time; build ${buildS.toFixed(0)} s` +
    (o.sides.native ? `, native (Linux ${kernel}) ${timing.native!.toFixed(0)} s` : '') +
    (o.sides.ipcfs ? `, ipcfs ${timing.ipcfs!.toFixed(0)} s (mounts: ${o.mounts}, ${mountsStarted} started)` : '') +
    `\n(${sides.map(([s]) => `${s[0]} = ${s}`).join(', ')})\n`);
  table(list, sides);

  const native = sides.find(([s]) => s === 'native')?.[1];
  const ipcfs = sides.find(([s]) => s === 'ipcfs')?.[1];
  let status = 0;
  if (sides.length === 1) {
    const [side, m] = sides[0]!;
    const notPassing = list.filter((p) => m.get(p.id)!.verdict !== 'PASS');
    if (notPassing.length) console.log(`\nnot passing (${side}): ${notPassing.map((p) => `${p.id} ${m.get(p.id)!.verdict}`).join(', ')}`);
  }
  if (ipcfs) {
    const leaking = list.filter((p) => ipcfs.get(p.id)?.kernelLeft.length);
    if (leaking.length) console.log(`\nunder the interposer, ${leaking.length} programs left kernel objects (calls that reached the kernel, not the mount): ${leaking.slice(0, 12).map((p) => `${p.id} (${ipcfs.get(p.id)!.kernelLeft.slice(0, 2).join(', ')})`).join(', ')}${leaking.length > 12 ? ', ...' : ''}`);
  }
  if (native && ipcfs) {
    const diffs = differences(list, native, ipcfs, EXPLAINED);
    console.log(`\n${diffs.length} programs with different verdicts${diffs.length ? ' (native -> ipcfs):' : ''}`);
    for (const d of diffs) {
      const tag = !d.regression ? '' : d.explained ? `  [explained: ${EXPLAINED[d.id]!.reason} (${EXPLAINED[d.id]!.doc})]` : '  [UNEXPLAINED]';
      console.log(`  ${d.id}: ${d.native} -> ${d.ipcfs}${tag}`);
      for (const l of firstLines(ipcfs.get(d.id)!.out)) console.log(`      | ${l}`);
    }
    const bad = diffs.filter((d) => d.regression && !d.explained);
    const stale = Object.keys(EXPLAINED).filter((id) => list.some((p) => p.id === id) && ipcfs.get(id)?.verdict === 'PASS');
    if (stale.length) console.log(`\nexplained but passing now (remove from open-posix-explained.ts): ${stale.join(', ')}`);
    if (bad.length) {
      console.log(`\n${bad.length} native PASS not passing under ipcfs and not explained`);
      status = 1;
    } else console.log('\nevery native PASS passes under ipcfs (or is explained)');
  }
  if (o.json) {
    const doc = {
      kernel, limitS: o.limitS, jobs: o.jobs, mounts: o.mounts, mountsStarted, seconds: timing,
      programs: list.map((p) => ({ id: p.id, iface: p.iface, native: native?.get(p.id), ipcfs: ipcfs?.get(p.id) })),
      differences: native && ipcfs ? differences(list, native, ipcfs, EXPLAINED) : [],
    };
    writeFileSync(o.json, `${JSON.stringify(doc, null, 1)}\n`);
  }
  return status;
}

process.exitCode = await main().catch((err: unknown) => {
  abandonAll();
  console.error(`conformance: ${(err as Error).message}`);
  return 2;
});
