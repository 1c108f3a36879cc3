#!/usr/bin/env node
// Runs ava with its own reporter, then prints one closing line "Tests: N passed, N failed, N skipped"
// that CI reads. Exits with ava's status.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// ava's package exports do not include its CLI; its bin path is stable.
const ava = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', 'ava', 'entrypoints', 'cli.mjs');
const child = spawn(process.execPath, [ava, ...process.argv.slice(2)], { stdio: ['inherit', 'pipe', 'inherit'] });
let out = '';
child.stdout.on('data', (d) => {
  process.stdout.write(d);
  out += d.toString();
});
child.on('close', (code, signal) => {
  // ava's verbose reporter marks each test: ✔ passed, ✘ failed, - [skip] / - [todo], ◌ pending at a timeout
  const count = (re) => (out.match(re) ?? []).length;
  const passed = count(/^\s*✔/gm);
  const failed = count(/^\s*✘/gm) + count(/^\s*◌/gm) + count(/^\s*\d+ uncaught exceptions?/gm);
  const skipped = count(/^\s*- \[(skip|todo)\]/gm);
  const exit = code ?? (signal ? 1 : 0);
  console.log(`Tests: ${passed} passed, ${exit !== 0 && failed === 0 ? 1 : failed} failed, ${skipped} skipped`);
  process.exit(exit);
});
