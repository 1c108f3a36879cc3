/**
 * `ipcfs top`: a live full-screen view of a mount's objects (tools/top-render.ts draws a frame,
 * tools/top-source.ts reads the mount, tools/top-term.ts owns the terminal). With stdout not a
 * terminal it prints frames one after another, as `top -b` does, for scripts.
 */
import { getopt, GetoptError, type LongOption } from './getopt.js';
import { mountFrom, requireMount } from './mount-check.js';
import { isKind, KINDS, ratesBetween, type Kind, type Snapshot } from './top-model.js';
import { isSort, renderFrame, SORTS, type SortKey, type View } from './top-render.js';
import { readMount } from './top-source.js';
import { keyActions, Screen, type KeyAction } from './top-term.js';

const PROG = 'top';

/** The intervals + and - step through, in seconds. */
export const DELAYS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60];

const LONGOPTS: LongOption[] = [
  { name: 'delay', hasArg: 'required', key: 'd' },
  { name: 'sort', hasArg: 'required', key: 's' },
  { name: 'kind', hasArg: 'required', key: 'k' },
  { name: 'iterations', hasArg: 'required', key: 'n' },
  { name: 'mount', hasArg: 'required', key: 'mount' },
  { name: 'help', hasArg: 'none', key: 'h' },
];

const USAGE = `
Usage:
 ipcfs top [options]

A live view of the objects of an ipcfs mount: values, queue depths, sizes, free tokens,
waiters, holders, and operations per second.

Options:
 -d, --delay <seconds>    refresh interval (default 1; at least 0.05)
 -s, --sort <column>      sort by ${SORTS.join(', ')} (default kind)
 -k, --kind <kinds>       show only these kinds, comma-separated:
                          ${KINDS.join(',')}
 -n, --iterations <n>     show n frames, then exit
     --mount <dir>        the mount (default: IPCFS_MOUNT, else /mnt/ipc)
 -h, --help               display this help

Keys: q or Ctrl-C quit, s next sort, k next kind, + slower, - faster.
Without a terminal on stdout, frames are printed one after another.
`;

export interface Options {
  delay: number;
  sort: SortKey;
  kinds: Set<Kind>;
  iterations: number | null;
  mount: string;
}

class UsageError extends Error {}

/** The options of argv; throws GetoptError or UsageError (the line to print). */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): Options | 'help' {
  const { options, operands } = getopt(PROG, argv, 'd:s:k:n:h', LONGOPTS, env);
  if (operands.length) throw new UsageError(`unexpected argument '${operands[0]}'`);
  const o: Options = { delay: 1, sort: 'kind', kinds: new Set(KINDS), iterations: null, mount: '' };
  let mount: string | undefined;
  for (const { key, arg = '' } of options) {
    if (key === 'h') return 'help';
    if (key === 'd') {
      const d = Number(arg);
      if (arg.trim() === '' || !Number.isFinite(d) || d < 0.05) throw new UsageError(`invalid delay: '${arg}' (seconds, at least 0.05)`);
      o.delay = d;
    } else if (key === 's') {
      if (!isSort(arg)) throw new UsageError(`unknown sort column: '${arg}' (one of ${SORTS.join(', ')})`);
      o.sort = arg;
    } else if (key === 'k') {
      const kinds = arg.split(',').filter(Boolean);
      const bad = kinds.find((k) => !isKind(k));
      if (bad !== undefined || kinds.length === 0) throw new UsageError(`unknown kind: '${bad ?? arg}' (one of ${KINDS.join(',')})`);
      o.kinds = new Set(kinds as Kind[]);
    } else if (key === 'n') {
      if (!/^\d+$/.test(arg) || Number(arg) < 1) throw new UsageError(`invalid iterations: '${arg}'`);
      o.iterations = Number(arg);
    } else if (key === 'mount') mount = arg;
  }
  o.mount = mountFrom(mount, env);
  return o;
}

/** The next kind filter of `k`: all, then each kind alone, then all again. */
export function nextKinds(kinds: ReadonlySet<Kind>): Set<Kind> {
  if (kinds.size !== 1) return new Set([KINDS[0]]);
  const i = KINDS.indexOf([...kinds][0]!);
  return i + 1 < KINDS.length ? new Set([KINDS[i + 1]!]) : new Set(KINDS);
}

export const nextSort = (s: SortKey): SortKey => SORTS[(SORTS.indexOf(s) + 1) % SORTS.length]!;

/** The interval after + (slower) or - (faster): the next step of DELAYS. */
export function nextDelay(delay: number, action: 'slower' | 'faster'): number {
  if (action === 'slower') return DELAYS.find((d) => d > delay) ?? delay;
  return [...DELAYS].reverse().find((d) => d < delay) ?? delay;
}

const clock = (): string => new Date().toTimeString().slice(0, 8);

const errorLine = (err: unknown): string => {
  const e = err as NodeJS.ErrnoException;
  return e.code === 'ENOTCONN' ? 'the ipcfs daemon of this mount is not running' : (e.message ?? String(err));
};

export async function main(argv: string[]): Promise<number> {
  let o: Options;
  try {
    const parsed = parseOptions(argv);
    if (parsed === 'help') {
      process.stdout.write(USAGE.slice(1));
      return 0;
    }
    o = parsed;
  } catch (err) {
    // the command is `ipcfs top` (no util-linux tool to match): its own name in the hint
    if (err instanceof GetoptError || err instanceof UsageError) {
      process.stderr.write(`${err instanceof GetoptError ? err.message : `${PROG}: ${err.message}`}\nTry 'ipcfs top --help' for more information.\n`);
      return 1;
    }
    throw err;
  }
  const refused = requireMount(o.mount, PROG);
  if (refused !== null) return refused;
  return process.stdout.isTTY && process.stdin.isTTY ? interactive(o) : batch(o);
}

/** Frames printed one after another, each whole (every object), separated by a blank line. */
async function batch(o: Options): Promise<number> {
  const width = process.stdout.columns || Number(process.env.COLUMNS) || 80;
  let prev: Snapshot | null = null;
  for (let i = 0; o.iterations === null || i < o.iterations; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, o.delay * 1000));
    let snap: Snapshot;
    try {
      snap = readMount(o.mount);
    } catch (err) {
      // a script gets one line and a failure, not a stack trace (the daemon died, say)
      process.stderr.write(`${PROG}: ${o.mount}: ${errorLine(err)}\n`);
      return 1;
    }
    const view: View = { mount: o.mount, delay: o.delay, sort: o.sort, kinds: o.kinds, clock: clock() };
    const lines = renderFrame(view, snap.rows, ratesBetween(prev, snap), width, Infinity);
    prev = snap;
    process.stdout.write(`${i > 0 ? '\n' : ''}${lines.join('\n')}\n`);
  }
  return 0;
}

async function interactive(o: Options): Promise<number> {
  const screen = new Screen(process.stdin, process.stdout);
  const view: View = { mount: o.mount, delay: o.delay, sort: o.sort, kinds: o.kinds, clock: clock() };
  let prev: Snapshot | null = null;
  let snap: Snapshot = { at: 0, rows: [] };
  let rates = new Map<string, number>();
  let quit: ((status: number) => void) | null = null;
  const quitting = new Promise<number>((resolve) => (quit = resolve));
  let timer: NodeJS.Timeout | null = null;
  let wake: (() => void) | null = null;

  const draw = (): void => screen.draw(renderFrame(view, snap.rows, rates, screen.width, screen.height));
  const refresh = (): void => {
    try {
      const next = readMount(o.mount);
      rates = ratesBetween(prev, next);
      prev = snap = next;
      view.error = undefined;
    } catch (err) {
      view.error = errorLine(err);
    }
    view.clock = clock();
    draw();
  };
  const schedule = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => wake?.(), view.delay * 1000);
  };
  const onKey = (chunk: Buffer | string): void => {
    for (const a of keyActions(chunk.toString('latin1'))) act(a);
  };
  const act = (a: KeyAction): void => {
    if (a === 'quit') return quit!(0);
    if (a === 'sort') view.sort = nextSort(view.sort);
    else if (a === 'kind') view.kinds = nextKinds(view.kinds);
    else {
      view.delay = nextDelay(view.delay, a);
      schedule();
    }
    // the same reading, shown anew: rates stay over whole intervals
    draw();
  };
  const onResize = (): void => {
    screen.invalidate();
    draw();
  };
  // a signal ends the view the way q does, with the shell's status for that signal
  const signals: [NodeJS.Signals, number][] = [
    ['SIGTERM', 143],
    ['SIGHUP', 129],
    ['SIGINT', 130],
  ];
  const onSignal = signals.map(([sig, status]) => [sig, () => quit!(status)] as const);
  const onCrash = (err: unknown): void => {
    screen.restore();
    process.stderr.write(`${PROG}: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  };

  screen.enter();
  process.stdin.on('data', onKey);
  process.stdout.on('resize', onResize);
  for (const [sig, f] of onSignal) process.on(sig, f);
  process.on('uncaughtException', onCrash);
  let status: number;
  try {
    let frames = 0;
    for (;;) {
      refresh();
      frames++;
      if (o.iterations !== null && frames >= o.iterations) {
        status = 0;
        break;
      }
      const woke = new Promise<'tick'>((resolve) => (wake = () => resolve('tick')));
      schedule();
      const r = await Promise.race([woke, quitting]);
      if (r !== 'tick') {
        status = r;
        break;
      }
    }
  } finally {
    if (timer) clearTimeout(timer);
    screen.restore();
    process.stdin.removeListener('data', onKey);
    process.stdout.removeListener('resize', onResize);
    for (const [sig, f] of onSignal) process.removeListener(sig, f);
    process.removeListener('uncaughtException', onCrash);
  }
  return status;
}
