/**
 * ipcfs's System V semaphores against the kernel's own, step by step (test/helpers/kernel-sem.ts):
 * random sequences of semop/SETVAL/SETALL/exit/kill by several processes, and fixed multi-process
 * scenarios where waiters block. Every expected answer comes from the kernel at run time; the only
 * answers written here are the documented differences (docs/protocol.md, "Differences from Linux").
 */
import { spawnSync } from 'node:child_process';
import { isDeepStrictEqual } from 'node:util';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import fc from 'fast-check';
import { Actor, kernelSide, mountSide, namePids, settle, type SemState, type Side } from '../../helpers/kernel-sem.js';
import { mountTest, startDaemon, stopDaemon, type Daemon } from '../../helpers/mount.js';

const test = mountTest();

// One mount for the file: every test makes its own sets on it (and on the kernel).
let daemon: Daemon | null = null;
test.before(async () => {
  daemon = await startDaemon();
});
test.after.always(async () => {
  if (daemon) await stopDaemon(daemon);
});

/** Creates a set through sysv/.new and returns its file. */
function mountSet(dir: string, nsems: number): string {
  const sysv = join(dir, 'semaphores', 'sysv');
  const r = spawnSync('bash', ['-c', `exec 3<>"$1"; printf '%s\\n' "$2" >&3 || exit 1; cat <&3`, 'x', join(sysv, '.new'), `semget private ${nsems} mode=0600`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`semget on the mount: ${r.stderr}`);
  return join(sysv, r.stdout.trim());
}

/** What one step shows: every answer that arrived (by actor name) and the set's state. */
interface Outcome {
  answers: Record<string, string[]>;
  state: SemState;
}

/** One side's actors, by slot; each slot's process is named `a<slot>.<generation>` on both sides. */
class Players {
  readonly slots: (Actor | null)[];
  private readonly gen: number[];
  constructor(
    readonly side: Side,
    count: number,
    private readonly names: Map<number, string>,
  ) {
    this.slots = Array.from({ length: count }, () => null);
    this.gen = Array.from({ length: count }, () => 0);
  }

  async get(slot: number): Promise<Actor> {
    let a = this.slots[slot];
    if (!a) {
      a = await this.side.actor();
      this.names.set(a.pid, `a${slot}.${this.gen[slot]}`);
      this.slots[slot] = a;
    }
    return a;
  }

  nameOf(a: Actor): string {
    return this.names.get(a.pid)!;
  }

  live(): Actor[] {
    return this.slots.filter((a): a is Actor => a !== null);
  }

  /** The process of slot ends (exit or SIGKILL); the next use of the slot starts a new one. */
  async end(slot: number, how: 'exit' | 'kill'): Promise<void> {
    const a = this.slots[slot];
    if (!a) return;
    await (how === 'exit' && !a.busy ? a.exit() : a.kill());
    this.slots[slot] = null;
    this.gen[slot]!++;
  }

  /** Every answer that arrived, by actor name. */
  answers(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const a of this.live()) {
      const got = a.take();
      if (got.length) out[this.nameOf(a)] = got;
    }
    return out;
  }
}

type Step = { slot: number; cmd: string } | { slot: number; end: 'exit' | 'kill' };

const describe = (s: Step): string => ('cmd' in s ? `a${s.slot}: ${s.cmd}` : `a${s.slot}: ${s.end}`);

/** The kernel and the mount side by side. */
class Differential {
  private readonly names = new Map<number, string>();
  readonly kernel: Players;
  readonly mount: Players;
  constructor(kernel: Side, mount: Side, slots: number) {
    this.kernel = new Players(kernel, slots, this.names);
    this.mount = new Players(mount, slots, this.names);
  }

  /** Runs the step on the kernel, then on the mount; the mount side may settle later (RELEASE is asynchronous). */
  async step(s: Step): Promise<{ kernel: Outcome; mount: Outcome }> {
    const kernel = await this.run(this.kernel, s, () => true);
    const mount = await this.run(this.mount, s, (st) => isDeepStrictEqual(namePids(st, this.names), kernel.state));
    return { kernel, mount };
  }

  busy(slot: number): boolean {
    return this.kernel.slots[slot]?.busy ?? false;
  }

  private async run(p: Players, s: Step, until: (st: SemState) => boolean): Promise<Outcome> {
    if ('cmd' in s) (await p.get(s.slot)).send(s.cmd);
    else await p.end(s.slot, s.end);
    const state = await settle(p.side, p.live(), until);
    return { answers: p.answers(), state: namePids(state, this.names) };
  }

  async close(): Promise<void> {
    await Promise.all([this.kernel.side.close(), this.mount.side.close()]);
  }
}

/** Runs the steps on both sides and fails at the first one where they differ. */
async function compare(t: ExecutionContext, d: Differential, steps: Step[], label: string): Promise<boolean> {
  for (const [i, s] of steps.entries()) {
    const { kernel, mount } = await d.step(s);
    if (!isDeepStrictEqual(mount, kernel)) {
      t.deepEqual(mount, kernel, `${label}, step ${i} (${describe(s)}); steps so far:\n${steps.slice(0, i + 1).map(describe).join('\n')}`);
      return false;
    }
  }
  return true;
}

async function sideBySide<T>(nsems: number, slots: number, fn: (d: Differential) => Promise<T>): Promise<T> {
  const k = await kernelSide(nsems);
  const d = new Differential(k, mountSide(mountSet(daemon!.dir, nsems)), slots);
  try {
    return await fn(d);
  } finally {
    await d.close();
  }
}

// ---- random sequences ----

const NSEMS = 3;
const SLOTS = 4;
const semNum = fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 0, max: NSEMS - 1 }) }, { weight: 1, arbitrary: fc.constant(NSEMS) });
const sembuf = fc
  .record({ num: semNum, op: fc.integer({ min: -2, max: 2 }), undo: fc.boolean(), nowait: fc.boolean() })
  .map(({ num, op, undo, nowait }) => {
    const flags = [undo ? 'undo' : '', nowait ? 'nowait' : ''].filter(Boolean).join(',');
    return `${num}:${op}${flags ? `:${flags}` : ''}`;
  });
const value = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 3 }) }, { weight: 1, arbitrary: fc.constantFrom(32767, 32768) });
const slot = fc.integer({ min: 0, max: SLOTS - 1 });
const randomStep: fc.Arbitrary<Step> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ slot, cmd: fc.array(sembuf, { minLength: 1, maxLength: 3 }).map((ops) => `op ${ops.join(' ')}`) }) },
  { weight: 2, arbitrary: fc.record({ slot, cmd: fc.tuple(semNum, value).map(([n, v]) => `setval ${n} ${v}`) }) },
  { weight: 1, arbitrary: fc.record({ slot, cmd: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: NSEMS, maxLength: NSEMS }).map((v) => `setall ${v.join(' ')}`) }) },
  { weight: 1, arbitrary: fc.record({ slot, end: fc.constantFrom<'exit' | 'kill'>('exit', 'kill') }) },
);

/** A command for a blocked process goes to a free one; with none free, the chosen one is killed. */
function playable(d: Differential, s: Step): Step {
  if (!('cmd' in s) || !d.busy(s.slot)) return s;
  for (let i = 0; i < SLOTS; i++) if (!d.busy(i)) return { ...s, slot: i };
  return { slot: s.slot, end: 'kill' };
}

const SEEDS = process.env.IPCFS_DIFF_SEED ? [Number(process.env.IPCFS_DIFF_SEED)] : [20261123, 4242];
const STEPS = 150;

test('random semop/SETVAL/SETALL/exit/kill sequences by 4 processes give the kernel\'s answers and states, step by step', async (t) => {
  for (const seed of SEEDS) {
    const [plan] = fc.sample(fc.array(randomStep, { minLength: STEPS, maxLength: STEPS }), { seed, numRuns: 1 });
    const ok = await sideBySide(NSEMS, SLOTS, async (d) => {
      const done: Step[] = [];
      for (const s of plan!) {
        const step = playable(d, s);
        done.push(step);
        if (!(await compare(t, d, [step], `seed ${seed}, after:\n${done.slice(0, -1).map(describe).join('\n')}\n`))) return false;
      }
      // IPC_RMID by a free process: every waiter fails with EIDRM on both sides
      const free = [...Array(SLOTS).keys()].find((i) => !d.busy(i)) ?? 0;
      return compare(t, d, [{ slot: free, cmd: 'rmid' }], `seed ${seed}, final rmid`);
    });
    if (!ok) return;
  }
  t.pass();
});

// ---- fixed scenarios with blocked waiters ----

/** Value 1, A waits for zero then takes it back to 1, B waits for zero; then `change` brings it to 0. */
const zeroFirst = (prefix: Step[], change: Step[]): Step[] => [
  ...prefix,
  { slot: 1, cmd: 'op 0:0 0:1' }, // A
  { slot: 2, cmd: 'op 0:0' }, // B
  ...change,
];
const valueOne: Step[] = [{ slot: 0, cmd: 'setval 0 1' }];
// a3 posts with undo: its exit takes the unit back
const heldByA3: Step[] = [{ slot: 0, cmd: 'setval 0 0' }, { slot: 3, cmd: 'op 0:1:undo' }];

for (const [what, prefix, change] of [
  ['SETVAL', valueOne, [{ slot: 0, cmd: 'setval 0 0' }]],
  ['SETALL', valueOne, [{ slot: 0, cmd: 'setall 0 0' }]],
  ['semop', valueOne, [{ slot: 0, cmd: 'op 0:-1' }]],
  ['an undo applied at exit', heldByA3, [{ slot: 3, end: 'exit' }]],
  ['an undo applied at SIGKILL', heldByA3, [{ slot: 3, end: 'kill' }]],
] as [string, Step[], Step[]][]) {
  test(`after ${what} brings a value to 0, the wait-for-zero waiters complete first, as in the kernel`, async (t) => {
    await sideBySide(2, 4, async (d) => {
      if (await compare(t, d, zeroFirst(prefix, change), what)) t.pass();
    });
  });
}

test('a waiter whose later operation has IPC_NOWAIT fails with EAGAIN when a change lets it get that far, as in the kernel', async (t) => {
  await sideBySide(2, 2, async (d) => {
    const steps: Step[] = [
      { slot: 0, cmd: 'op 0:-1 1:-1:nowait' }, // sleeps on semaphore 0
      { slot: 1, cmd: 'op 0:1' },
      { slot: 0, cmd: 'op 0:0:nowait 1:0' },
    ];
    if (await compare(t, d, steps, 'nowait')) t.pass();
  });
});

test('complex waiters queued behind simple ones on several semaphores wake as in the kernel (coverage of the queue merge)', async (t) => {
  await sideBySide(3, 5, async (d) => {
    const steps: Step[] = [
      { slot: 0, cmd: 'op 1:-1' },
      { slot: 1, cmd: 'op 0:-1' },
      { slot: 2, cmd: 'op 0:-1 1:-1 2:0' },
      { slot: 3, cmd: 'op 2:0' },
      { slot: 4, cmd: 'setall 1 1 1' },
      { slot: 4, cmd: 'op 0:1 1:1' },
      { slot: 4, cmd: 'op 2:-1' },
      { slot: 4, cmd: 'op 0:2' },
      { slot: 4, cmd: 'op 1:1' },
    ];
    if (await compare(t, d, steps, 'complex')) t.pass();
  });
});

test('exit-time undo stamps otime and the pid as the kernel\'s exit does (also after a SEM_UNDO semop that failed)', async (t) => {
  await sideBySide(2, 3, async (d) => {
    const steps: Step[] = [
      { slot: 0, cmd: 'op 0:-1:undo,nowait' }, // EAGAIN, yet it ties the process to the set
      { slot: 0, end: 'exit' },
      { slot: 1, cmd: 'setval 1 2' },
      { slot: 1, cmd: 'op 1:-1:undo' },
      { slot: 2, cmd: 'op 1:-1' },
      { slot: 1, end: 'exit' },
      { slot: 1, cmd: 'op 0:-1:undo' }, // blocks
      { slot: 1, end: 'kill' },
    ];
    if (await compare(t, d, steps, 'otime')) t.pass();
  });
});

test('errors come in the kernel\'s order of checks (SETVAL value before number, EFBIG before EAGAIN, ...)', async (t) => {
  await sideBySide(2, 1, async (d) => {
    const many = Array.from({ length: 501 }, () => '0:0').join(' ');
    const steps: Step[] = [
      'setval 65535 65536',
      'setval 2 -1',
      'setval 2 5',
      'setval 0 32768',
      'setall 0 32768',
      'op 0:-1:nowait 5:1',
      'op 5:-1:undo',
      `op ${many}`,
      'op 0:32767 0:1',
      'op 0:1:undo 0:-1:undo 0:32767',
      'op 0:0 1:-1:nowait',
    ].map((cmd) => ({ slot: 0, cmd }));
    if (await compare(t, d, steps, 'order')) t.pass();
  });
});

test('on a removed set the kernel says EINVAL (no such id) and ipcfs EIDRM for every command, rmid and ipc_set included', async (t) => {
  await sideBySide(2, 2, async (d) => {
    await d.step({ slot: 1, cmd: 'op 0:-1' }); // a waiter: it gets EIDRM on both sides
    const { kernel, mount } = await d.step({ slot: 0, cmd: 'rmid' });
    t.deepEqual(mount.answers, kernel.answers);
    for (const cmd of ['rmid', 'ipc_set mode=0600', 'setval 0 1', 'setall 0 0', 'op 0:1', 'op 0:-1:nowait']) {
      const k = await d.kernel.get(0).then((a) => a.run(cmd));
      const m = await d.mount.get(0).then((a) => a.run(cmd));
      t.deepEqual([k, m], ['err EINVAL', 'err EIDRM'], cmd);
    }
  });
});
