/**
 * tools/ipcs-format.ts against the system at run time: humanSize against the sizes the system's
 * ipcs --human prints for kernel segments of those sizes (a fresh IPC namespace: its objects go
 * with it), and ctime against date(1) in several time zones (the ipcs comparisons blank times, as
 * the two sides may straddle a second).
 */
import { spawnSync } from 'node:child_process';
import test from 'ava';
import { shell, text } from '../helpers/cli.js';
import { ctime, hexKey, humanSize, printSize } from '../../tools/ipcs-format.js';

// around each unit and each rounding step (x.x5 of a unit rounds up from three truncated digits)
const SIZES = [1, 9, 100, 1023, 1024, 1075, 1076, 1126, 1127, 1536, 1587, 1588, 2047, 5000, 10239, 10240, 1048575, 1048576, 1101004, 1101005, 1572864, 1992294, 1992295, 104857599, 268435456, 268435457];

test('humanSize is what the system ipcs --human prints for segments of those sizes', async (t) => {
  const script = `for s in ${SIZES.join(' ')}; do ipcmk -M $s >/dev/null || exit 9; done; ipcs -m --human; echo @@; ipcs -m -b`;
  const r = await shell(['unshare', '--ipc', 'sh', '-c', script]);
  t.is(r.code, 0, r.err);
  const [human, bytes] = text(r).split('@@\n') as [string, string];
  const column = (out: string): string[] => out.split('\n').filter((l) => /^0x[0-9a-f]{8} /.test(l)).map((l) => l.split(/\s+/)[4]!);
  t.deepEqual(column(bytes).map(Number), SIZES, 'listed in the order made');
  t.deepEqual(
    SIZES.map((s) => humanSize(s)),
    column(human),
  );
  const rows = human.split('\n').filter((l) => /^0x/.test(l));
  SIZES.forEach((s, i) => t.is(rows[i]!.slice(44, 54), printSize('human', null, s, '    ', 6), `the size column of ${s}`));
});

test('humanSize past what a test can allocate: E, P, T and 64-bit sizes as strutils computes them', (t) => {
  t.is(humanSize((1n << 64n) - 1n), '16E');
  t.is(humanSize(18446744073692774399n), '16E');
  t.is(humanSize(1n << 50n), '1P');
  t.is(humanSize((1n << 40n) + (1n << 39n)), '1.5T');
  t.is(humanSize(0), '0B');
});

test('ctime is ctime(3): the same text as date(1) in several time zones, a day below 10 padded with a space', (t) => {
  const times = [0, 1, 951782400 /* 2000-02-29 */, 1711846799, 1711846800 /* a DST change in Europe */, 1795494912, 4102444800 /* 2100 */];
  const saved = process.env.TZ;
  t.teardown(() => {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  });
  for (const tz of ['UTC', 'Europe/Berlin', 'America/St_Johns', 'Asia/Kolkata']) {
    process.env.TZ = tz;
    for (const s of times) {
      const date = spawnSync('date', ['-d', `@${s}`, '+%a %b %e %H:%M:%S %Y'], { encoding: 'utf8', env: { ...process.env, TZ: tz, LC_ALL: 'C' } });
      t.is(ctime(s), date.stdout.trim(), `${tz} ${s}`);
    }
  }
});

test('hexKey: 0x%08x of the key as unsigned', (t) => {
  t.is(hexKey(0), '0x00000000');
  t.is(hexKey(0x162e), '0x0000162e');
  t.is(hexKey(-2147483647), '0x80000001');
  t.is(hexKey(-1), '0xffffffff');
});
