/**
 * The pure parts of `ipcfs lsipc`: the table printer's rules (tools/lsipc-table.ts), the value
 * formats (tools/lsipc-format.ts; sizes against the system's lsipc on kernel segments of those
 * sizes, in a private IPC namespace), and -o list parsing (tools/lsipc-columns.ts).
 */
import { spawnSync } from 'node:child_process';
import test from 'ava';
import { COLUMNS, DEFAULT_COLUMNS, applyOutputList, ColumnError } from '../../tools/lsipc-columns.js';
import { formatTime, humanSize, perms, prettyLines, usePercent } from '../../tools/lsipc-format.js';
import { renderTable, shellName } from '../../tools/lsipc-table.js';

const names = (ids: number[]): string[] => ids.map((i) => COLUMNS[i]!.name);

test('sizes as util-linux writes them: the system lsipc on kernel segments of the same sizes', (t) => {
  const sizes = [1, 5, 1023, 1024, 1025, 1536, 1996, 5000, 10239, 1048575, 1048576, 1572864, 123456789, 2147483648];
  const script = [...sizes.map((s) => `ipcmk -M ${s} >/dev/null || exit 1`), 'lsipc -m -r --noheadings -o ID,SIZE', 'lsipc -m -r --noheadings -b -o ID,SIZE'].join('\n');
  const r = spawnSync('unshare', ['--ipc', 'sh', '-c', script], { encoding: 'utf8' });
  if (r.status !== 0) return t.fail(`unshare --ipc: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  const human = new Map(lines.slice(0, sizes.length).map((l) => l.split(' ') as [string, string]));
  const bytes = new Map(lines.slice(sizes.length).map((l) => l.split(' ') as [string, string]));
  t.is(human.size, sizes.length);
  for (const [id, h] of human) t.is(humanSize(Number(bytes.get(id))), h, `${bytes.get(id)} bytes`);
  // beyond what a segment can be here: the 64-bit limits -g shows (no overflow, BigInt throughout)
  t.is(humanSize(0xffffffffffffffffn), '16E');
  t.is(humanSize(0n), '0B');
});

test('permissions: rwx without a type letter, or %#o', (t) => {
  t.is(perms(0o640, false), 'rw-r-----');
  t.is(perms(0o7777, false), 'rwxrwxrwx');
  t.is(perms(0o640, true), '0640');
  t.is(perms(0, true), '0');
});

test('times: short is HH:MM today, MonDD this year, YYYY-MonDD before; full is asctime; iso has the offset', (t) => {
  const now = Date.UTC(2026, 10, 24, 12, 0, 0) / 1000;
  process.env.TZ = 'UTC';
  t.is(formatTime(now - 3600, 'short', now), '11:00');
  t.is(formatTime(now - 86400 * 3, 'short', now), 'Nov21');
  t.is(formatTime(now - 86400 * 400, 'short', now), '2025-Oct20');
  t.is(formatTime(Date.UTC(2026, 10, 4, 1, 2, 3) / 1000, 'full', now), 'Wed Nov  4 01:02:03 2026');
  t.is(formatTime(Date.UTC(2026, 10, 4, 1, 2, 3) / 1000, 'iso', now), '2026-11-04T01:02:03+00:00');
});

test('USE%: two decimals, ties to even as printf', (t) => {
  t.is(usePercent(3, 32000), '0.01%');
  t.is(usePercent(22, 32000), '0.07%');
  t.is(usePercent(1, 800), '0.12%'); // 0.125 exactly: glibc rounds to even
  t.is(usePercent(0, 4096), '0.00%');
});

test('the table: widths from header and cells, right alignment, no padding at the end, null apart from ""', (t) => {
  const cols = [{ name: 'A' }, { name: 'NUM', right: true }, { name: 'S' }, { name: 'LAST' }];
  const out = renderTable(cols, [['xyz', '5', '', null], ['x', '12345', null, 'end']], { mode: 'table' });
  t.is(out, 'A     NUM S LAST\nxyz     5   \nx   12345   end\n');
  t.is(renderTable(cols, [], { mode: 'table' }), '', 'no rows, no header');
  t.is(renderTable(cols, [['a b', '1', null, 'x\\y']], { mode: 'raw' }), 'A NUM S LAST\na\\x20b 1  x\\x5cy\n');
  t.is(renderTable(cols, [['a"$', '1', null, 'z']], { mode: 'export' }), 'A="a\\x22\\x24" NUM="1" S="" LAST="z"\n');
  t.is(renderTable(cols, [['a', '1', null, 'z']], { mode: 'newline' }), 'A="a"\nNUM="1"\nS=""\nLAST="z"\n');
  const json = renderTable(cols, [['a"', '1', '', 'z'], ['b', '2', null, 'y']], { mode: 'json', name: 'things' });
  t.deepEqual(JSON.parse(json), { things: [{ a: 'a"', num: '1', s: null, last: 'z' }, { a: 'b', num: '2', s: null, last: 'y' }] });
  t.regex(json, /^\{\n {3}"things": \[\n {6}\{\n {9}"a": "a\\"",\n/);
  t.is(renderTable(cols, [], { mode: 'json', name: 'things' }), '{\n   "things": [\n\n   ]\n}\n');
  t.is(shellName('USE%'), 'USE_PCT');
  t.is(shellName('1A-B'), '_1A_B');
});

test('the detail view: label, colon, value from column 37 padded to 36', (t) => {
  t.is(prettyLines([['Key', '0x1'], ['Owner', null], ['Status', '']]), `Key:${' '.repeat(32)}0x1${' '.repeat(33)}\nStatus:${' '.repeat(29)}${' '.repeat(36)}\n`);
});

test('-o LIST: replace, +append, any case; util-linux\'s messages', (t) => {
  const sem = DEFAULT_COLUMNS.sem;
  t.deepEqual(names(applyOutputList('key,NSEMS', sem, 'sem')), ['KEY', 'NSEMS']);
  t.deepEqual(names(applyOutputList('+otime,undo', sem, 'sem')), [...names(sem), 'OTIME', 'UNDO']);
  const message = (list: string, kind: 'sem' | 'shm' = 'sem'): string => {
    const err = t.throws(() => applyOutputList(list, sem, kind), { instanceOf: ColumnError });
    return err!.message;
  };
  t.is(message('FOO,KEY'), 'unknown column: FOO,KEY');
  t.is(message('KEY,+ID'), 'unknown column: +ID');
  t.is(message('KEY,SIZE'), 'column SIZE does not apply to the specified IPC');
  t.is(message('UNDO', 'shm'), 'column UNDO does not apply to the specified IPC');
  t.is(message('KEY,'), 'unknown column: KEY,');
  t.is(message('+,KEY'), '');
  t.is(message(''), '');
});
