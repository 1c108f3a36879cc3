/**
 * The status text of a semaphore file (docs/protocol.md, "Status"). The proposal's lines come first.
 *
 * Generated piece by piece (tree/text-file.ts): a 32000-semaphore set's text is about 1.7 MB, and a
 * read must not hold the main loop for all of it. Each piece is a short line or one word of the long
 * `value:` and `pid:` lines; the generator's own state is a few indices, and whatever costs more
 * than the piece (the wait counts of all semaphores: one pass over the queue; the list of undo
 * holders) is computed at most once per read through the ReadScope and dropped after it.
 */
import type { IpcPerm } from '../../ipc/semaphores/perms.js';
import type { SemSet } from '../../ipc/semaphores/sem-set.js';
import { hexKey, statusTime } from '../kinds/tokens.js';
import { ReadScope, escapeWord } from '../tree/text-file.js';

const time = statusTime;
const octal = (mode: number): string => (mode & 0o777).toString(8).padStart(3, '0');

/** Pieces stay short (at most a few KiB: what a handle may carry between reads) but not tiny (per-piece cost). */
const WORDS_PER_PIECE = 256;
const LINES_PER_PIECE = 32;

/** What the status shows of one semaphore object. */
export interface StatusSubject {
  /** the first line: ['semid', '98765432'], ['name', '/app/sem'], ['id', '9A87F312'] */
  readonly label: readonly [string, string];
  readonly set: SemSet;
  readonly perm: IpcPerm;
  readonly key?: number;
  /** removed with its last open file (unnamed/.new `create ... transient`) */
  readonly transient?: unknown;
}

/** Control characters (and backslash) in a name cannot end the line: escaped as in escapeWord. */
const controlEscaped = (s: string): string =>
  /[\x00-\x1f\x7f\\]/.test(s) ? s.replace(/[\x00-\x1f\x7f\\]/g, (c) => escapeWord(c)) : s;

/** The status text as pieces; see the file comment. */
export function* semStatusPieces(o: StatusSubject, scope: ReadScope): Generator<string, void, undefined> {
  const { set, perm } = o;
  const counts = (): { ncnt: Uint32Array; zcnt: Uint32Array } => scope.once('counts', () => set.waitCounts());
  yield `${o.label[0]}: ${controlEscaped(o.label[1])}\n`;
  yield `owner: ${perm.uid}\n`;
  yield `perms: ${octal(perm.mode)}\n`;
  yield `nsems: ${set.nsems}\n`;
  yield* words('value:', set.nsems, (n) => set.values[n]!);
  if (o.key !== undefined) yield `key: ${hexKey(o.key)}\n`;
  yield `group: ${perm.gid}\n`;
  yield `cuid: ${perm.cuid}\n`;
  yield `cgid: ${perm.cgid}\n`;
  yield `ncnt: ${sum(counts().ncnt)}\n`;
  yield `zcnt: ${sum(counts().zcnt)}\n`;
  yield* words('pid:', set.nsems, (n) => set.pids[n]!);
  yield `otime: ${time(set.otime)}\n`;
  yield `ctime: ${time(set.ctime)}\n`;
  if (set.nsems > 1) {
    for (let n = 0; n < set.nsems; ) {
      const c = counts();
      let piece = '';
      for (const end = Math.min(set.nsems, n + LINES_PER_PIECE); n < end; n++) {
        piece += `sem ${n}: value=${set.values[n]} ncnt=${c.ncnt[n]} zcnt=${c.zcnt[n]} pid=${set.pids[n]}\n`;
      }
      yield piece;
    }
  }
  yield* undoLines(set, scope);
  if (o.transient) yield 'transient: yes\n';
  if (set.removed) yield 'removed: yes\n';
}

/** `name: w0 w1 ...`, WORDS_PER_PIECE words per piece. */
function* words(name: string, count: number, word: (n: number) => number): Generator<string, void, undefined> {
  yield name;
  for (let n = 0; n < count; ) {
    let piece = '';
    for (const end = Math.min(count, n + WORDS_PER_PIECE); n < end; n++) piece += ` ${word(n)}`;
    yield piece;
  }
  yield '\n';
}

function sum(a: Uint32Array): number {
  let s = 0;
  for (const v of a) s += v;
  return s;
}

/**
 * One line per live undo adjustment: holders in attach order, each holder's by semaphore number.
 * Resumes by holder identity; a holder released between two reads is gone (its adjustments were
 * applied) and the lines go on with the holder that followed it.
 */
function* undoLines(set: SemSet, scope: ReadScope): Generator<string, void, undefined> {
  let index = 0;
  let current: unknown = null;
  let nextNum = 0;
  for (;;) {
    const list = scope.once('holders', () => set.attachedHolders());
    if (current !== null && list[index] !== current) {
      const at = list.indexOf(current as (typeof list)[number]);
      if (at >= 0) index = at;
    }
    const h = list[index];
    if (!h) return;
    if (h !== current) {
      current = h;
      nextNum = 0;
    }
    const entries = scope.once(`undo ${index}`, () => h.entries(set));
    const k = firstAtLeast(entries, nextNum);
    if (k >= entries.length) {
      index++;
      current = null;
      continue;
    }
    const [num, adj] = entries[k]!;
    nextNum = num + 1;
    yield `undo: pid=${h.pid} comm=${escapeWord(h.comm)} sem=${num} adj=${adj}\n`;
  }
}

/** Index of the first entry whose semaphore number is at least num (entries sorted by number). */
function firstAtLeast(entries: readonly [number, number][], num: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid]![0] < num) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The whole text at once (tests, small callers). */
export function semStatus(o: StatusSubject): string {
  const scope = new ReadScope();
  const out: string[] = [];
  for (const p of semStatusPieces(o, scope)) out.push(p);
  scope.end();
  return out.join('');
}
