/**
 * Jobserver figures for npm run bench (same run, ratios; issue 8):
 *  - a clean build of a generated project (bench/make-project.ts: 200 compiles under 10 recursive
 *    sub-makes) by `ipcfs jobserver -j4 -- make` against plain `make -j4` (make's own pipe), in
 *    alternating pairs (the order swapped every pair), medians of the wall times and of the
 *    pairs' ratios, after one warm-up build of each. Goal: overhead under 5%. Also the CPU time
 *    of each build (sh's `times`: the command and what it waited for) plus, for the pool, the
 *    daemon's (/proc/PID/stat), which drifts far less than wall time when other jobs share the
 *    machine; and the CLI's fixed cost (Node's start, creating and removing the pool):
 *    `ipcfs jobserver -j4 -- true` against `true`, with Node's bare start (`node -e 0`) apart.
 *  - the take + return round trip of one token (read one byte, write it back; bench/c/jobserver_rt.c)
 *    through a pool file against a pipe holding one token, pinned (daemon and client on CPU 0) and
 *    not pinned; also the first round trip of a fresh process (where the daemon looks the caller
 *    up in /proc and starts watching it through a pidfd), on a pool without a reaper and on one
 *    with (as `ipcfs jobserver` makes it: every give from a process under the reaper then looks for
 *    a dead make's orphaned jobs among the reaper's children). No goal: reported as measured.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_BUSY_POLL_US } from '../fs/fuse/device.js';
import { cloneCreate } from '../tools/cli-io.js';
import { BenchSetupError, ROOT, median, runClient, startIpcfs } from './lib.js';
import { writeMakeProject, type MakeProject } from './make-project.js';

const JOBS = 4;
/** pairs of builds: one pair's ratio spreads by ±2% on a 2-CPU machine, their median far less */
const BUILD_PAIRS = 8;
const OVERHEAD_GOAL = 0.05;
const FIXED_RUNS = 5;
const RT_COUNT = 10000;
const RT_FIRSTS = 200;
const RT_ROUNDS = 5;
const CLI = join(ROOT, 'dist', 'tools', 'ipcfs.js');

const ms = (s: number): string => `${(s * 1000).toFixed(0)} ms`;
const us = (ns: number): string => (ns / 1000).toFixed(1).padStart(6);

interface Run {
  /** seconds from start to exit */
  wall: number;
  /** CPU seconds (user + system) of the command and every descendant it waited for */
  cpu: number;
}

/** `times` of a POSIX sh: its own and its children's user and system times, e.g. "0m1.230000s". */
const seconds = (t: string): number => {
  const m = /^(\d+)m([\d.]+)s$/.exec(t);
  if (!m) throw new BenchSetupError(`sh's times printed "${t}"`);
  return Number(m[1]) * 60 + Number(m[2]);
};

/** Runs argv to its end under sh (for `times`). Any failure, or a make warning, stops the bench. */
function run(argv: string[], cwd: string): Run {
  const env = { ...process.env };
  for (const k of ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'CARGO_MAKEFLAGS', 'IPCFS_JOBSERVER']) delete env[k];
  const t0 = process.hrtime.bigint();
  const r = spawnSync('sh', ['-c', '"$@"; s=$?; times; exit $s', 'sh', ...argv], { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new BenchSetupError(`${argv.join(' ')} failed (exit ${r.status ?? r.signal}): ${r.stderr}`);
  // make 4.3 says "warning: jobserver unavailable: using -j1" when the inherited fds do not work
  if (/warning/i.test(r.stderr)) throw new BenchSetupError(`${argv.join(' ')}: ${r.stderr}`);
  const children = r.stdout.trim().split('\n').at(-1)!.trim().split(/\s+/);
  return { wall, cpu: seconds(children[0]!) + seconds(children[1]!) };
}

let ticks = 0;
/** USER_HZ, the unit of /proc/PID/stat's times */
function clockTicks(): number {
  ticks ||= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim());
  if (!(ticks > 0)) throw new BenchSetupError('getconf CLK_TCK gave no number');
  return ticks;
}

/** CPU seconds a process has used (utime + stime in /proc/PID/stat). */
function cpuOf(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const after = f.slice(f.lastIndexOf(')') + 2).split(' ');
  // fields from 3 on: utime is field 14, stime 15
  return (Number(after[11]) + Number(after[12])) / clockTicks();
}

export async function buildBench(): Promise<void> {
  if (spawnSync('sh', ['-c', 'command -v make']).status !== 0) throw new BenchSetupError('make is not installed (Debian package make)');
  const ipcfs = await startIpcfs(false, DEFAULT_BUSY_POLL_US, 'ipcfs (jobserver)');
  const daemon = ipcfs.child.pid!;
  const work = mkdtempSync(join(tmpdir(), 'ipcfs-bench-make-'));
  try {
    const project: MakeProject = writeMakeProject(join(work, 'project'));
    const plain = ['make', `-j${JOBS}`];
    const pooled = [process.execPath, CLI, 'jobserver', `-j${JOBS}`, '--mount', ipcfs.dir, '--', 'make'];
    const build = (argv: string[]): Run => {
      project.clean();
      return run(argv, project.dir);
    };
    // warm-up: the page cache and the compiler's own files; and the daemon's JIT, as in a daemon
    // that has served before (a fresh one runs its first requests in V8's interpreter)
    build(plain);
    build(pooled);
    const a: Run[] = [];
    const b: Run[] = [];
    const daemonCpu: number[] = [];
    const ratios: number[] = [];
    const pooledBuild = (): Run => {
      const c0 = cpuOf(daemon);
      const r = build(pooled);
      daemonCpu.push(cpuOf(daemon) - c0);
      return r;
    };
    for (let i = 0; i < BUILD_PAIRS; i++) {
      // the order swaps every pair: a build after a build runs on a warmer (or hotter) machine
      let p: Run;
      let q: Run;
      if (i % 2) {
        p = pooledBuild();
        q = build(plain);
      } else {
        q = build(plain);
        p = pooledBuild();
      }
      a.push(p);
      b.push(q);
      ratios.push(p.wall / q.wall);
    }
    const fixedPool: number[] = [];
    const fixedTrue: number[] = [];
    const fixedNode: number[] = [];
    for (let i = 0; i < FIXED_RUNS; i++) {
      fixedPool.push(run([process.execPath, CLI, 'jobserver', `-j${JOBS}`, '--mount', ipcfs.dir, '--', 'true'], work).wall);
      fixedTrue.push(run(['true'], work).wall);
      fixedNode.push(run([process.execPath, '-e', '0'], work).wall);
    }
    const ratio = median(ratios);
    const overhead = ratio - 1;
    const wall = (rs: Run[]): string => `${ms(median(rs.map((x) => x.wall))).padStart(8)} (min ${ms(Math.min(...rs.map((x) => x.wall)))}, max ${ms(Math.max(...rs.map((x) => x.wall)))})`;
    const cpu = (rs: Run[]): string => `CPU ${ms(median(rs.map((x) => x.cpu)))}`;
    console.log(`  clean build: ${project.jobs} compiles (cc -O1 -c) under 10 recursive sub-makes; ${BUILD_PAIRS} alternating pairs, medians`);
    console.log(`    make -j${JOBS} (its own pipe)        wall ${wall(b)}   ${cpu(b)}`);
    console.log(`    ipcfs jobserver -j${JOBS} -- make     wall ${wall(a)}   ${cpu(a)} + daemon ${ms(median(daemonCpu))}`);
    console.log(`    wall ratio (median of the pairs') ${ratio.toFixed(3)}x: overhead ${(overhead * 100).toFixed(1)}%, ${overhead < OVERHEAD_GOAL ? 'within' : 'OVER'} goal ${OVERHEAD_GOAL * 100}%`);
    const cpuRatio = median(a.map((x, i) => (x.cpu + daemonCpu[i]!) / b[i]!.cpu));
    console.log(`    CPU ratio (daemon included)        ${cpuRatio.toFixed(3)}x (less noisy than wall time on a shared machine)`);
    const fixed = median(fixedPool) - median(fixedTrue);
    console.log(`    of which the CLI's fixed cost      ${ms(fixed)}, ${((fixed / median(b.map((x) => x.wall))) * 100).toFixed(1)}% of the plain build (ipcfs jobserver -j${JOBS} -- true against true: Node's start, the pool made and removed)`);
    // Node 20 parses every CA certificate at start-up when NODE_EXTRA_CA_CERTS is set (Node 22
    // does it lazily): tens of milliseconds of every Node start that no ipcfs code can avoid
    const extraCa = process.env.NODE_EXTRA_CA_CERTS ? ', NODE_EXTRA_CA_CERTS set: Node 20 parses every CA certificate at start-up' : '';
    console.log(`      of which Node's bare start       ${ms(median(fixedNode) - median(fixedTrue))} (node -e 0 against true${extraCa})`);
  } finally {
    rmSync(work, { recursive: true, force: true });
    await ipcfs.stop();
  }
}

function createPool(mount: string, name: string, extra: string): string {
  const answer = cloneCreate(join(mount, 'jobserver', 'named', '.new'), `create ${name} size=1 mode=0600 ${extra}`.trim());
  if (!answer.startsWith('/')) throw new BenchSetupError(`jobserver .new answered "${answer}"`);
  return join(mount, 'jobserver', 'named', answer.slice(1));
}

export async function roundTripBench(rt: string): Promise<void> {
  console.log(`  take + return of one token (read 1 byte, write it back), one process (${RT_ROUNDS} runs of ${RT_COUNT}, median p50 and p90);`);
  console.log(`  first: the first round trip of a fresh process (${RT_FIRSTS} forked children per run, median p50); ratios of p50s to the pipe`);
  for (const pin of [true, false]) {
    const ipcfs = await startIpcfs(pin, DEFAULT_BUSY_POLL_US, 'ipcfs (jobserver)');
    try {
      const sides = [
        { label: 'pipe (make\'s own jobserver)', argv: [rt, 'pipe', String(RT_COUNT), String(RT_FIRSTS)] },
        { label: 'ipcfs pool', argv: [rt, 'file', createPool(ipcfs.dir, `rt-${process.pid}`, ''), String(RT_COUNT), String(RT_FIRSTS)] },
        // the bench is the reaper, and the client its child: as make under `ipcfs jobserver`
        { label: 'ipcfs pool with a reaper', argv: [rt, 'file', createPool(ipcfs.dir, `rt-reaper-${process.pid}`, 'reaper'), String(RT_COUNT), String(RT_FIRSTS)] },
      ].map((s) => ({ ...s, p50: [] as number[], p90: [] as number[], first: [] as number[] }));
      for (let r = 0; r < RT_ROUNDS; r++) {
        for (const s of sides) {
          const [p50, p90, first] = runClient(s.argv, pin);
          s.p50.push(p50!);
          s.p90.push(p90!);
          s.first.push(first!);
        }
      }
      const ref = median(sides[0]!.p50);
      const refFirst = median(sides[0]!.first);
      console.log(`  ${pin ? 'pinned' : 'not pinned'}`);
      for (const s of sides) {
        const p50 = median(s.p50);
        const first = median(s.first);
        console.log(`    ${s.label.padEnd(30)} p50 ${us(p50)} us   p90 ${us(median(s.p90))} us   ${(p50 / ref).toFixed(1).padStart(5)}x   first ${us(first)} us ${(first / refFirst).toFixed(1).padStart(5)}x`);
      }
    } finally {
      await ipcfs.stop();
    }
  }
}

export async function jobserverBench(bin: { rt: string }): Promise<void> {
  await roundTripBench(bin.rt);
  await buildBench();
}
