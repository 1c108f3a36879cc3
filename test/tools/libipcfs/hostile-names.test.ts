/**
 * Names legal on Linux that are not one word of the mount's `create NAME ...` commands (blanks,
 * a newline, a tab, a no-break space; names looking like the create's options). sem_open and
 * mq_open must never make or use another object ("/ lead" made the semaphore "lead", "/x excl"
 * carried an option): sem_open makes them by open(O_CREAT) instead, as glibc answers; mq_open can
 * only open an existing one (open(O_CREAT) cannot carry an mq_attr), so creating a queue with
 * attributes under such a name is EINVAL, on purpose (documented). Oracle: the same unmodified
 * program natively, in a private IPC namespace; as root and as nobody (who must own what it makes).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtOnce, LIBIPCFS_PRELOAD } from '../../helpers/c-helper.js';
import { mountTest, withDaemon } from '../../helpers/mount.js';
import { nativeRun } from './shm-oracle.js';

const test = mountTest();

/** The native answers with ipcfs's one difference on purpose. */
const onIpcfs = (out: string): string => out.replace(/mq_open attr: ok maxmsg 3\nmq_unlink: ok\n/g, 'mq_open attr: EINVAL\nmq_unlink: ENOENT\n');

/** setpriv as nobody (65534), or nothing. */
const as = (nobody: boolean): string[] => (nobody ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'] : []);

for (const nobody of [false, true]) {
  test(`sem_open and mq_open of names with blanks never touch another name; semaphores answer as glibc${nobody ? ' (as nobody)' : ''}`, async (t) => {
    const bin = builtOnce('test/tools/libipcfs/hostile-names.c');
    // The interposer where nobody can read it (the checkout may be private).
    const dir = mkdtempSync(join(tmpdir(), 'hostile-names-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    chmodSync(dir, 0o755);
    const preload = join(dir, 'libipcfs-preload.so');
    copyFileSync(LIBIPCFS_PRELOAD, preload);
    chmodSync(preload, 0o755);
    const [cmd, ...args] = [...as(nobody), bin];
    const native = nativeRun(cmd!, args);
    t.is(native.status, 0, native.err);
    t.regex(native.out, /sem_open excl: ok value 2\n/);
    t.regex(native.out, /mq_open attr: ok maxmsg 3\n/);
    await withDaemon(async (d) => {
      const r = spawnSync(cmd!, args, { encoding: 'utf8', timeout: 30_000, env: { ...process.env, IPCFS_MOUNT: d.dir, LD_PRELOAD: preload } });
      t.is(r.status, 0, r.stderr);
      t.is(r.stdout, onIpcfs(native.out));
      for (const sub of ['semaphores/named', 'mqueue/named']) t.deepEqual(readdirSync(join(d.dir, sub)), [], `${sub}: nothing left, nothing made under another name`);
    }, { args: ['--allow-other'] });
  });
}
