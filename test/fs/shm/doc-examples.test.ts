/**
 * docs/protocol.md, Shared memory, Examples: the shell, Python and C examples run as written
 * (with the mount's path for /mnt/ipc) and do what their comments say.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT, mountTest, withDaemon } from '../../helpers/mount.js';

const test = mountTest();

function examples(): Record<string, string> {
  const doc = readFileSync(join(PACKAGE_ROOT, 'docs', 'protocol.md'), 'utf8');
  const section = doc.slice(doc.indexOf('\n## Shared memory\n'), doc.indexOf('\n## Multi-user mounts\n'));
  const out: Record<string, string> = {};
  for (const m of section.matchAll(/```(sh|python|c)\n([\s\S]*?)```/g)) out[m[1]!] = m[2]!;
  return out;
}

test('the shell, Python and C examples of Shared memory run as documented', async (t) => {
  const ex = examples();
  t.deepEqual(Object.keys(ex).sort(), ['c', 'python', 'sh']);
  await withDaemon(async ({ dir }) => {
    const at = (code: string): string => code.replaceAll('/mnt/ipc', dir);
    const sh = spawnSync('bash', ['-e', '-c', at(ex.sh!)], { encoding: 'utf8' });
    t.is(sh.status, 0, sh.stderr);
    t.regex(sh.stdout, /^hellosize: 1048576\nopens: 0\nserved: passthrough\nshmid: \d+\n/);
    t.regex(sh.stdout, /^segsz: 65536$/m);
    t.deepEqual(readdirSync(join(dir, 'shared-memory', 'named')), [], 'both removed');
    t.deepEqual(readdirSync(join(dir, 'shared-memory', 'sysv')), ['by-key']);

    const py = spawnSync('python3', ['-c', at(ex.python!)], { encoding: 'utf8' });
    t.is(py.status, 0, py.stderr);
    t.regex(py.stdout, /^name: \/frames\n[\s\S]*^size: 1048576$[\s\S]*^opens: 1$/m, 'the mapping keeps it open');
    t.is(readFileSync(join(dir, 'shared-memory', 'named', 'frames')).subarray(0, 5).toString(), 'hello');

    const build = mkdtempSync(join(tmpdir(), 'ipcfs-shm-example-'));
    try {
      writeFileSync(join(build, 'ex.c'), at(ex.c!));
      const cc = spawnSync('gcc', ['-Wall', '-Werror', '-o', join(build, 'ex'), join(build, 'ex.c')], { encoding: 'utf8' });
      t.is(cc.status, 0, cc.stderr);
      const run = spawnSync(join(build, 'ex'), { encoding: 'utf8' });
      t.is(run.status, 0, run.stderr);
      t.false(existsSync(join(dir, 'shared-memory', 'sysv', 'by-key', '0x00001234')), 'IPC_RMID ran');
    } finally {
      rmSync(build, { recursive: true, force: true });
    }
  });
});
