#!/usr/bin/env node
// The per-mutant test command of `npm run mutate` (stryker.config.json): the unit tests that cover
// ipc/ and the FUSE codecs (ava.mutate.config.mjs: no real mounts, worker threads, fail fast).
// Stryker puts the active mutant in __STRYKER_ACTIVE_MUTANT__; ava's workers inherit the environment.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ava = join(root, 'node_modules', 'ava', 'entrypoints', 'cli.mjs');
const r = spawnSync(process.execPath, [ava, '--config', 'ava.mutate.config.mjs'], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
