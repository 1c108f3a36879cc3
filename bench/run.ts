/**
 * npm run bench: ipcfs against a C libfuse3 low-level filesystem (bench/c/ref_fs.c) in the same
 * run, from the same client programs, like for like:
 *  - the C reference in libfuse's single-threaded loop and in its multithreaded loop; ipcfs with
 *    busy-polling of /dev/fuse off and on;
 *  - the same FOPEN_* flags (those of ipcfs's semaphore files, from fs/operations.ts openFlagsOf
 *    of SEM_OPEN_MODE; checked at run time by bench/c/probe_open on every side) and
 *    the same mount options (checked in /proc/self/mountinfo);
 *  - p50 and p90, pinned (daemon and client on CPU 0: the software's own cost) and not pinned
 *    (cross-CPU wake-ups included, which dominate on virtual machines).
 * Figures are ratios against the single-threaded C loop measured alongside; nothing asserts a time.
 * Any setup failure stops the bench with a message and exit status 1.
 * Targets (pinned): write round trip <= 1.5x C; wake-up post -> blocked waiter <= 2x C.
 * Shared memory (bench/shm.ts): against /dev/shm; 1 MiB read/write >= 50%, memcpy >= 90%.
 * Message queues (bench/mq.ts): 1 KiB send + receive round trips against the kernel's POSIX mq; >= 20,000/s pinned.
 * Jobserver (bench/jobserver.ts): a clean 200-job build by `ipcfs jobserver -j4 -- make` against
 * `make -j4`, overhead < 5%; a token's take + return against a pipe (no goal).
 * libipcfs (bench/libipcfs.ts): sem_post + sem_wait against glibc and System V (no goal); the
 * interposer's cost on a program making no IPC call, goal: not measurable.
 */
import { openFlagsOf } from '../fs/operations.js';
import { SEM_OPEN_MODE } from '../fs/semaphores/sem-file.js';
import { BenchSetupError, buildC, median, mountOptions, requireTools, runClient, runText, startIpcfs, startReference, type Fs } from './lib.js';
import { createUnnamed, semaphoreBench } from './semaphores.js';
import { shmBench } from './shm.js';
import { mqBench } from './mq.js';
import { jobserverBench } from './jobserver.js';
import { LIBIPCFS_LINK, libipcfsBench } from './libipcfs.js';

const WRITE_TARGET = 1.5;
const WAKE_TARGET = 2;
const WRITES = 20000;
const WAKES = 1000;
const ROUNDS = 5;
const BUSY_POLL_US = 50;

const us = (ns: number): string => (ns / 1000).toFixed(1).padStart(7);

/** The FOPEN_* flags ipcfs answers to the OPEN of a semaphore file. */
function semaphoreOpenFlags(): number {
  return openFlagsOf(SEM_OPEN_MODE);
}

interface Side {
  label: string;
  fs: Fs;
  /** the file written by the write round trip, and the one waited on and posted by the wake-up */
  sink: string;
  sem: () => string;
}

async function startSides(pin: boolean, flags: number, ref: string): Promise<Side[]> {
  const sides: Side[] = [];
  const add = async (label: string, fs: Promise<Fs>, ipcfs: boolean): Promise<void> => {
    const f = await fs;
    sides.push({
      label, fs: f,
      sink: ipcfs ? `${f.dir}/.ipcfs-test/block` : `${f.dir}/sink`,
      sem: ipcfs ? () => createUnnamed(f.dir, 0) : () => `${f.dir}/sem`,
    });
  };
  try {
    await add('C libfuse3, single-threaded loop', startReference(ref, pin, 'st', flags, 'C reference (st)'), false);
    await add('C libfuse3, multithreaded loop', startReference(ref, pin, 'mt', flags, 'C reference (mt)'), false);
    await add('ipcfs, busy-poll off', startIpcfs(pin, 0, 'ipcfs (busy-poll off)'), true);
    await add(`ipcfs, busy-poll ${BUSY_POLL_US} us`, startIpcfs(pin, BUSY_POLL_US, 'ipcfs (busy-poll on)'), true);
  } catch (err) {
    for (const s of sides) await s.fs.stop();
    throw err;
  }
  return sides;
}

/** Same open flags and mount options on every side, or the comparison means nothing. */
function checkLikeForLike(sides: Side[], probe: string): void {
  const seen = new Map<string, string[]>();
  const note = (what: string, value: string): void => {
    seen.set(value, [...(seen.get(value) ?? []), what]);
  };
  for (const s of sides) {
    note(`${s.label}: sink`, runText([probe, s.sink]));
    note(`${s.label}: semaphore`, runText([probe, s.sem()]));
  }
  if (seen.size !== 1) throw new BenchSetupError(`open files differ between the sides:\n${[...seen].map(([v, w]) => `  ${v}  <- ${w.join(', ')}`).join('\n')}`);
  const opts = new Map<string, string[]>();
  for (const s of sides) {
    const o = mountOptions(s.fs.dir);
    opts.set(o, [...(opts.get(o) ?? []), s.label]);
  }
  if (opts.size !== 1) throw new BenchSetupError(`mount options differ between the sides:\n${[...opts].map(([v, w]) => `  ${v}  <- ${w.join(', ')}`).join('\n')}`);
  console.log(`# like for like: every open ${[...seen.keys()][0]}; mount options ${[...opts.keys()][0]}`);
}

interface Row { label: string; p50: number; p90: number }

function printRows(title: string, rows: Row[], target: number, extra: Row[] = []): void {
  const ref = rows[0]!;
  console.log(`  ${title}`);
  for (const r of [...rows, ...extra]) {
    const ratio = r.p50 / ref.p50;
    const isIpcfs = r.label.startsWith('ipcfs');
    const verdict = isIpcfs ? `  ${ratio <= target ? 'within' : 'OVER'} target ${target}x` : '';
    console.log(`    ${r.label.padEnd(34)} p50 ${us(r.p50)} us   p90 ${us(r.p90)} us   ${ratio.toFixed(2).padStart(5)}x${verdict}`);
  }
}

async function measure(pin: boolean, bin: Record<string, string>, flags: number): Promise<void> {
  const sides = await startSides(pin, flags, bin.ref!);
  try {
    if (!pin) checkLikeForLike(sides, bin.probe!);
    const cpu = pin ? ['taskset', '-c', '0'] : [];
    // Rounds alternate between the sides, so drift in the machine's state hits all alike.
    const writes = sides.map(() => ({ p50: [] as number[], p90: [] as number[] }));
    const wakes = sides.map(() => ({ p50: [] as number[], p90: [] as number[] }));
    const sysv = { p50: [] as number[], p90: [] as number[] };
    const sems = sides.map((s) => s.sem());
    for (let i = 0; i < ROUNDS; i++) {
      sides.forEach((s, k) => {
        const [a, b] = runClient([bin.write!, s.sink, String(WRITES)], pin);
        writes[k]!.p50.push(a!);
        writes[k]!.p90.push(b!);
      });
      sides.forEach((s, k) => {
        const [a, b] = runClient([bin.wake!, 'file', sems[k]!, String(WAKES / ROUNDS)], pin);
        wakes[k]!.p50.push(a!);
        wakes[k]!.p90.push(b!);
      });
      const [a, b] = runText([...cpu, bin.wake!, 'sysv', String(WAKES / ROUNDS)]).split(/\s+/).map(Number);
      sysv.p50.push(a!);
      sysv.p90.push(b!);
    }
    const rows = (xs: { p50: number[]; p90: number[] }[]): Row[] => sides.map((s, k) => ({ label: s.label, p50: median(xs[k]!.p50), p90: median(xs[k]!.p90) }));
    console.log(pin ? '## pinned: daemon and client on CPU 0 (taskset -c 0)' : '## not pinned');
    printRows(`write round trip (one 4-byte write; ${ROUNDS} runs of ${WRITES}, median of each run's p50 and p90; ratio of p50s to the first line)`, rows(writes), WRITE_TARGET);
    printRows(`wake-up, post in one process -> waiter blocked in another (${WAKES} wake-ups)`, rows(wakes), WAKE_TARGET,
      [{ label: 'kernel System V semaphore (context)', p50: median(sysv.p50), p90: median(sysv.p90) }]);
  } finally {
    for (const s of sides) await s.fs.stop();
  }
}

async function main(): Promise<void> {
  requireTools();
  const bin = {
    write: buildC('write_client', false),
    wake: buildC('wake_client', false),
    probe: buildC('probe_open', false),
    waiters: buildC('waiters', false),
    ref: buildC('ref_fs', true),
    shm: buildC('shm_client', false),
    mq: buildC('mq_client', false, ['-lrt']),
    jobserverRt: buildC('jobserver_rt', false),
    semLib: buildC('sem_lib', false, LIBIPCFS_LINK),
    pairs: buildC('spawn_pairs', false),
    noipc: buildC('noipc', false),
    emptyPreload: buildC('empty_preload', false, ['-shared', '-fPIC']),
  };
  const flags = semaphoreOpenFlags();
  console.log(`# ${new Date().toISOString()}, C reference bench/c/ref_fs.c (libfuse3 low-level); FOPEN flags of semaphore files 0x${flags.toString(16)} on both sides`);
  for (const pin of [false, true]) await measure(pin, bin, flags);
  console.log('## semaphores (not pinned)');
  await semaphoreBench({ client: bin.write, waiters: bin.waiters, ref: bin.ref, openFlags: flags });
  console.log('## message queues');
  await mqBench({ mq: bin.mq });
  console.log('## shared memory (not pinned)');
  await shmBench({ shm: bin.shm });
  console.log('## jobserver');
  await jobserverBench({ rt: bin.jobserverRt });
  console.log('## libipcfs');
  await libipcfsBench(bin);
}

main().catch((err: unknown) => {
  console.error(`\nbench FAILED: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
