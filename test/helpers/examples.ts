/**
 * What the tests of examples/ share: building a C example with the flags its README gives, and
 * the objects left on a mount after an example ran (each must remove what it made).
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** gcc as strict as the examples promise to compile: a warning is a failure. */
export function gcc(src: string, out: string, extra: readonly string[] = []): Promise<void> {
  return new Promise((resolve, reject) => {
    const cc = spawn('gcc', ['-std=gnu11', '-Wall', '-Wextra', '-Werror', '-o', out, src, ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    cc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    cc.on('error', reject);
    cc.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`gcc ${src}: ${err}`))));
  });
}

/** The kind directories, with what stays in them when no object exists. */
const KIND_DIRS = ['semaphores/named', 'semaphores/unnamed', 'semaphores/sysv', 'mqueue/named', 'mqueue/sysv', 'shared-memory/named', 'shared-memory/sysv', 'jobserver/named'];

/** Every object on the mount at dir, as paths relative to it. */
export function leftovers(dir: string): string[] {
  const left: string[] = [];
  for (const kind of KIND_DIRS) {
    for (const e of readdirSync(join(dir, kind))) if (e !== 'by-key') left.push(`${kind}/${e}`);
    if (kind.endsWith('sysv')) for (const e of readdirSync(join(dir, kind, 'by-key'))) left.push(`${kind}/by-key/${e}`);
  }
  return left;
}
