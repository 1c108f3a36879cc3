/**
 * fs/fuse/abi.ts against the machine's <linux/fuse.h>, checked by the C compiler: a C program
 * generated from the ABI module's tables is compiled with gcc at test time and run. A wrong
 * struct size, field offset, field width, opcode or flag in abi.ts fails here.
 */
import test from 'ava';
import { Layout, PASSTHROUGH_MINOR, type StructLayout } from '../../../fs/fuse/abi.js';
import { probeChecks, runProbe, type ProbeCheck } from '../../helpers/abi-probe.js';

test('every struct size, field offset and width, and every constant in abi.ts is what gcc makes of <linux/fuse.h>', (t) => {
  const checks = probeChecks();
  const r = runProbe(checks);
  t.true(r.compiled, r.compilerOutput);
  t.deepEqual(r.lines.filter((l) => !l.startsWith('ok ') && !l.startsWith('skip ')), [], 'mismatches: what, C value, abi.ts value');
  t.is(r.lines.length, checks.length, 'one line per check');
  // Only what is newer than the header may be skipped: the header's own minor decides.
  const newer = new Set(checks.filter(([, , since]) => since !== undefined).map(([expr]) => expr));
  for (const l of r.lines.filter((l) => l.startsWith('skip '))) t.true(newer.has(l.slice(5)), `${l}: only 7.${PASSTHROUGH_MINOR}+ checks may be skipped`);
  t.is(r.exitCode, 0);
});

test('the probe itself catches a wrong offset and a wrong size', (t) => {
  const wrong = probeChecks().map(([expr, v, since]): ProbeCheck => {
    if (expr === 'offsetof(struct fuse_setattr_in, uid)') return [expr, v + 4, since];
    if (expr === 'sizeof(struct fuse_init_out)' && since === undefined) return [expr, v - 8];
    return [expr, v, since];
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
