/**
 * `ipcfs top`'s pure parts with plain calls: the frame fits the terminal it is drawn for (80x24
 * whole, truncated columns marked), sorting and the kind filter, ops/s from two snapshots, the
 * bytes a frame update writes, key decoding and the option parser.
 */
import test from 'ava';
import { KINDS, opsBetween, ratesBetween, rowKey, type Kind, type TopRow } from '../../tools/top-model.js';
import { arrange, fit, renderFrame, type View } from '../../tools/top-render.js';
import { ALT_SCREEN_ON, cursorTo, ERASE_LINE, frameUpdate, keyActions } from '../../tools/top-term.js';
import { nextDelay, nextKinds, nextSort, parseOptions } from '../../tools/top.js';

const row = (kind: Kind, id: string, o: Partial<TopRow> = {}): TopRow => ({
  kind,
  id,
  key: kind === 'sem' || kind === 'msg' || kind === 'shm' ? 0x162e : null,
  owner: 'root',
  perms: 0o600,
  value: '1',
  waiters: 0,
  holders: [],
  activity: { levels: [1], stamps: ['never'] },
  ...o,
});

const view = (o: Partial<View> = {}): View => ({ mount: '/mnt/ipc', delay: 1, sort: 'kind', kinds: new Set(KINDS), clock: '12:00:00', ...o });

/** The object lines of a frame (after the 4 header lines), without holder and footer lines. */
const objectLines = (frame: string[]): string[] => frame.slice(4).filter((l) => /^[a-z]+ +\S/.test(l) && !l.startsWith('--'));

test('80x24: exactly 24 lines of at most 80 characters, a full table says what did not fit', (t) => {
  const rows = Array.from({ length: 40 }, (_, i) => row(KINDS[i % KINDS.length]!, KINDS[i % KINDS.length]!.startsWith('p') ? `/name-${i}` : String(i)));
  const frame = renderFrame(view(), rows, new Map(), 80, 24);
  t.is(frame.length, 24);
  for (const l of frame) t.true(l.length <= 80, l);
  t.regex(frame[0]!, /^ipcfs top - 12:00:00 - every 1s - sort kind - kind all - \/mnt\/ipc$/);
  t.regex(frame[3]!, /^KIND ID +KEY +OWNER +PERM WAIT +OPS\/S VALUE$/);
  t.is(objectLines(frame).length, 19);
  t.is(frame[23], '-- 21 more not shown (k: filter by kind, or a taller window) --');
});

test('a table that fits has no footer, and blank lines below it', (t) => {
  const frame = renderFrame(view(), [row('sem', '0'), row('pool', '/p')], new Map(), 80, 24);
  t.is(frame.length, 24);
  t.is(objectLines(frame).length, 2);
  t.deepEqual(frame.slice(6), Array(18).fill(''));
});

test('long names, values and holders are cut at their column, the cut marked with +', (t) => {
  const long = row('pmq', '/a-very-long-queue-name', { value: 'x'.repeat(60), holders: [{ pid: 4242, comm: 'c'.repeat(100), what: '1 token' }] });
  const frame = renderFrame(view(), [long], new Map(), 80, 24);
  const [main, holder] = frame.slice(4, 6);
  t.true(main!.startsWith('pmq  /a-very-long-+ -'));
  t.is(main!.length, 80);
  t.true(main!.endsWith('x+'));
  t.is(holder!.length, 80);
  t.true(holder!.startsWith('     > 4242 ccc'));
  t.true(holder!.endsWith('+'));
  t.is(fit('abc', 3), 'abc');
  t.is(fit('abcd', 3), 'ab+');
  t.is(fit('7', 4, true), '   7');
});

test('a wider terminal gives long names room; a narrow one still cuts every line to its width', (t) => {
  const r = row('psem', '/a-long-semaphore-name');
  t.regex(renderFrame(view(), [r], new Map(), 120, 10)[4]!, /^psem \/a-long-semaphore-name /);
  const narrow = renderFrame(view(), [r], new Map(), 40, 10);
  for (const l of narrow) t.true(l.length <= 40);
});

test('holders: up to 3 lines under their object, more counted in the last', (t) => {
  const holders = Array.from({ length: 5 }, (_, i) => ({ pid: 100 + i, comm: 'make', what: '1 token' }));
  const frame = renderFrame(view(), [row('pool', '/p', { holders })], new Map(), 80, 24);
  t.deepEqual(frame.slice(5, 8), ['     > 100 make: 1 token', '     > 101 make: 1 token', '     > 3 more holders']);
  t.is(frame[8], '');
});

test('an object is shown whole (with its holders) or not at all', (t) => {
  const holders = [1, 2].map((pid) => ({ pid, comm: 'x', what: 'undo sem 0 +1' }));
  const rows = [row('sem', '0'), row('sem', '1', { holders }), row('sem', '2')];
  // 4 header lines + room for 3: sem 0, then sem 1 needs 3 lines: the footer takes the last
  const frame = renderFrame(view(), rows, new Map(), 80, 7);
  t.deepEqual(objectLines(frame).map((l) => l.split(/ +/)[1]), ['0']);
  t.is(frame[5], '-- 2 more not shown (k: filter by kind, or a taller window) --');
  t.is(frame[6], '');
});

test('sorting: kind then id by default (ids numerically), ops and wait busiest first, ties by kind and id', (t) => {
  const rows = [row('msg', '10'), row('sem', '9', { waiters: 2 }), row('sem', '10'), row('pool', '/b'), row('pool', '/a', { waiters: 2 })];
  const rates = new Map([
    [rowKey(rows[0]!), 5],
    [rowKey(rows[3]!), 7],
  ]);
  const ids = (sort: View['sort']): string[] => arrange(rows, rates, sort, new Set(KINDS)).map((r) => `${r.kind} ${r.id}`);
  t.deepEqual(ids('kind'), ['sem 9', 'sem 10', 'msg 10', 'pool /a', 'pool /b']);
  t.deepEqual(ids('ops'), ['pool /b', 'msg 10', 'sem 9', 'sem 10', 'pool /a']);
  t.deepEqual(ids('wait'), ['sem 9', 'pool /a', 'sem 10', 'msg 10', 'pool /b']);
  // names sort before numbers (code points); equal ids by kind
  t.deepEqual(ids('id'), ['pool /a', 'pool /b', 'sem 9', 'sem 10', 'msg 10']);
  // the frame follows the order
  const frame = renderFrame(view({ sort: 'ops' }), rows, rates, 80, 24);
  t.deepEqual(objectLines(frame).map((l) => l.split(/ +/).slice(0, 2).join(' ')), ids('ops'));
  t.regex(frame[0]!, / - sort ops - /);
});

test('the kind filter shows only those kinds; the counts line still counts every kind', (t) => {
  const rows = [row('sem', '0'), row('msg', '0'), row('pool', '/p'), row('pool', '/q')];
  const frame = renderFrame(view({ kinds: new Set<Kind>(['pool', 'msg']) }), rows, new Map(), 80, 24);
  t.deepEqual(objectLines(frame).map((l) => l.split(/ +/)[0]), ['msg', 'pool', 'pool']);
  t.regex(frame[0]!, / - kind msg,pool - /);
  t.regex(frame[1]!, /^sem 1  msg 1  shm 0  psem 0  pmq 0  pshm 0  pool 2 /);
});

test('ops/s from two snapshots: value changes, changed stamps, exact counters; new objects have none', (t) => {
  // a semaphore: values moved by 3 in total, otime changed once: 3 operations at least
  t.is(opsBetween({ levels: [3, 1], stamps: ['t1'] }, { levels: [1, 2], stamps: ['t2'] }), 3);
  // a wait and a post that cancel out still moved otime: 1
  t.is(opsBetween({ levels: [1], stamps: ['t1'] }, { levels: [1], stamps: ['t2'] }), 1);
  // a queue: a send and a receive in the interval (stime and rtime changed, qnum the same): 2
  t.is(opsBetween({ levels: [4], stamps: ['s1', 'r1'] }, { levels: [4], stamps: ['s2', 'r2'] }), 2);
  t.is(opsBetween({ levels: [4], stamps: ['s1', 'r1'] }, { levels: [4], stamps: ['s1', 'r1'] }), 0);
  // a pool counts exactly
  t.is(opsBetween({ counter: 10, levels: [], stamps: [] }, { counter: 25, levels: [], stamps: [] }), 15);
  // a set whose size changed (a new set under a reused id) moved no levels
  t.is(opsBetween({ levels: [1], stamps: ['a'] }, { levels: [1, 1], stamps: ['a'] }), 0);

  const before = { at: 1000, rows: [row('sem', '0', { activity: { levels: [0], stamps: ['a'] } }), row('pool', '/p', { activity: { counter: 4, levels: [], stamps: [] } })] };
  const after = {
    at: 1500,
    rows: [row('sem', '0', { activity: { levels: [5], stamps: ['b'] } }), row('pool', '/p', { activity: { counter: 10, levels: [], stamps: [] } }), row('msg', '3')],
  };
  const rates = ratesBetween(before, after);
  t.is(rates.get('sem:0'), 10);
  t.is(rates.get('pool:/p'), 12);
  t.false(rates.has('msg:3'));
  t.is(ratesBetween(null, after).size, 0);
  const frame = renderFrame(view(), after.rows, rates, 80, 24);
  t.regex(frame[1]!, /\| 22\.0 ops\/s$/);
  const opsColumn = (kind: string): string | undefined => objectLines(frame).find((l) => l.startsWith(kind))?.slice(50, 57);
  t.is(opsColumn('sem'), '   10.0');
  t.is(opsColumn('pool'), '   12.0');
  t.is(opsColumn('msg'), '      -');
});

test('a frame update rewrites only the lines that changed, in one string, never clearing the screen', (t) => {
  const a = ['head', 'one', 'two'];
  const b = ['head', 'ONE', 'two'];
  t.is(frameUpdate(a, b, 80), `${cursorTo(1)}ONE${ERASE_LINE}`);
  t.is(frameUpdate(b, b, 80), '');
  const first = frameUpdate(null, a, 80);
  t.true(first.startsWith(`${cursorTo(0)}head${ERASE_LINE}`));
  t.false(first.includes('\x1b[2J'));
  // a full-width line is not followed by erase-line (it would clear its last character)
  t.is(frameUpdate(['x'], ['y'.repeat(80)], 80), `${cursorTo(0)}${'y'.repeat(80)}`);
  t.is(cursorTo(0), '\x1b[1;1H');
  t.is(ALT_SCREEN_ON, '\x1b[?1049h');
});

test('keys: q, Q and Ctrl-C quit; s, k, +, - act; escape sequences (arrows) do nothing', (t) => {
  t.deepEqual(keyActions('q'), ['quit']);
  t.deepEqual(keyActions('\x03'), ['quit']);
  t.deepEqual(keyActions('sk+-='), ['sort', 'kind', 'slower', 'faster', 'slower']);
  t.deepEqual(keyActions('\x1b[A\x1bOQ\x1b[15~s'), ['sort']);
  t.deepEqual(keyActions('x'), []);
});

test('s, k, + and - cycle: sorts in turn, all kinds then each alone, interval steps', (t) => {
  t.is(nextSort('kind'), 'ops');
  t.is(nextSort('owner'), 'kind');
  let kinds = nextKinds(new Set(KINDS));
  const seen = [[...kinds].join()];
  for (let i = 0; i < KINDS.length; i++) {
    kinds = nextKinds(kinds);
    seen.push(kinds.size === KINDS.length ? 'all' : [...kinds].join());
  }
  t.deepEqual(seen, [...KINDS, 'all']);
  t.deepEqual([...nextKinds(new Set<Kind>(['msg', 'pool']))], ['sem']);
  t.is(nextDelay(1, 'slower'), 2);
  t.is(nextDelay(1, 'faster'), 0.5);
  t.is(nextDelay(0.3, 'faster'), 0.2);
  t.is(nextDelay(0.1, 'faster'), 0.1);
  t.is(nextDelay(60, 'slower'), 60);
});

test('options: delay, sort, kinds, iterations, mount (else IPCFS_MOUNT, else /mnt/ipc); bad values refused', (t) => {
  const o = parseOptions(['-d', '0.2', '--sort=ops', '-k', 'sem,pool', '-n3', '--mount', '/m'], {});
  t.like(o, { delay: 0.2, sort: 'ops', iterations: 3, mount: '/m' });
  t.deepEqual([...(o as { kinds: Set<Kind> }).kinds], ['sem', 'pool']);
  t.like(parseOptions([], { IPCFS_MOUNT: '/e' }), { delay: 1, sort: 'kind', iterations: null, mount: '/e' });
  t.like(parseOptions([], {}), { mount: '/mnt/ipc' });
  t.is(parseOptions(['--help'], {}), 'help');
  t.throws(() => parseOptions(['-d', '0'], {}), { message: "invalid delay: '0' (seconds, at least 0.05)" });
  t.throws(() => parseOptions(['-s', 'size'], {}), { message: /^unknown sort column: 'size'/ });
  t.throws(() => parseOptions(['-k', 'sem,pipes'], {}), { message: /^unknown kind: 'pipes'/ });
  t.throws(() => parseOptions(['-n', '0'], {}), { message: "invalid iterations: '0'" });
  t.throws(() => parseOptions(['-x'], {}), { message: "top: invalid option -- 'x'" });
  t.throws(() => parseOptions(['extra'], {}), { message: "unexpected argument 'extra'" });
});
