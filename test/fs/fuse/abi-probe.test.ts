/**
 * fs/fuse/abi.ts against the machine's <linux/fuse.h>, checked by the C compiler: a C program
 * generated from the ABI module's tables is compiled with gcc at test time and run. A wrong
 * struct size, field offset, field width, opcode or flag in abi.ts fails here.
 */
import test from 'ava';
import { Layout, type StructLayout } from '../../../fs/fuse/abi.js';
import { probeChecks, runProbe } from '../../helpers/abi-probe.js';

test('every struct size, field offset and width, and every constant in abi.ts is what gcc makes of <linux/fuse.h>', (t) => {
  const checks = probeChecks();
  const r = runProbe(checks);
  t.true(r.compiled, r.compilerOutput);
  t.deepEqual(r.lines.filter((l) => !l.startsWith('ok ')), [], 'mismatches: what, C value, abi.ts value');
  t.is(r.lines.length, checks.length, 'one line per check');
  t.is(r.exitCode, 0);
});

test('the probe itself catches a wrong offset and a wrong size', (t) => {
  const wrong = probeChecks().map(([expr, v]): [string, number] => {
    if (expr === 'offsetof(struct fuse_setattr_in, uid)') return [expr, v + 4];
    if (expr === 'sizeof(struct fuse_init_out)') return [expr, v - 8];
    return [expr, v];
  });
  const r = runProbe(wrong);
  t.true(r.compiled, r.compilerOutput);
  t.deepEqual(r.lines.filter((l) => l.startsWith('MISMATCH')), [
    'MISMATCH sizeof(struct fuse_init_out) 64 56',
    'MISMATCH offsetof(struct fuse_setattr_in, uid) 76 80',
  ]);
  t.is(r.exitCode, 1);
});

test('the Layout table is self-consistent: fields in order, inside the struct, with no gap a codec could miss', (t) => {
  for (const [name, { size, fields }] of Object.entries(Layout) as [string, StructLayout][]) {
    let end: number = 0;
    for (const [field, offset, width] of fields) {
      t.is(offset, end, `${name}.${field} starts where the previous field ends`);
      end = offset + width;
    }
    if (name !== 'fuse_dirent') t.is(end, size, `${name}: fields cover the struct`);
  }
});
