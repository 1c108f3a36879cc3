#!/usr/bin/env node
// The per-mutant test command of `npm run mutate` (stryker.config.json): the unit tests that cover
// ipc/ and the FUSE codecs, no real mounts, stopping at the first failure. Stryker puts the active
// mutant in __STRYKER_ACTIVE_MUTANT__; ava's worker processes inherit the environment.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const UNIT_TESTS = [
  'dist/test/fs/fuse/requests.test.js',
  'dist/test/fs/fuse/replies.test.js',
  'dist/test/fs/fuse/codec-layout.test.js',
  'dist/test/fs/fuse/abi-probe.test.js',
  'dist/test/fs/fuse/bytes.test.js',
  'dist/test/fs/fuse/session.test.js',
  'dist/test/ipc/**/*.test.js',
];
const ava = join(root, 'node_modules', 'ava', 'entrypoints', 'cli.mjs');
const r = spawnSync(process.execPath, [ava, '--fail-fast', '--timeout=20s', ...UNIT_TESTS], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
