/**
 * The interposer's forwards, every one: each part's scenario program (mq, sem, sysv-msg, sysv-sem,
 * shm-posix, sysv-shm; compared with glibc + the kernel in its own test) built once against
 * libipcfs and once as an unmodified program (preload-as-libc.h: its ipcfs_* calls become libc's
 * names, nothing links libipcfs) run under LD_PRELOAD=libipcfs-preload.so, on one fresh mount.
 * The two must print the same: the forwards, the variadic sem_open, mq_open and semctl among them,
 * pass every argument as libipcfs takes it.
 */
import { spawnSync } from 'node:child_process';
import { builtOnce, LIBIPCFS_BUILD, LIBIPCFS_DIR, LIBIPCFS_PRELOAD } from '../../helpers/c-helper.js';
import { mountTest, withDaemon } from '../../helpers/mount.js';

const test = mountTest();

const linked = (source: string): string =>
  builtOnce(source, ['-DUSE_IPCFS', '-I', LIBIPCFS_DIR, '-L', LIBIPCFS_BUILD, '-Wl,-rpath,' + LIBIPCFS_BUILD, '-lipcfs', '-pthread']);
const unmodified = (source: string): string =>
  builtOnce(source, ['-DUSE_IPCFS', '-I', LIBIPCFS_DIR, '-include', 'test/tools/libipcfs/preload-as-libc.h', '-pthread']);

function onMount(mount: string, bin: string, args: string[], env: NodeJS.ProcessEnv): { status: number | null; out: string; err: string } {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 60_000, env: { ...process.env, PREFIX: `ipcfs-preload-${process.pid}`, IPCFS_MOUNT: mount, ...env } });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

const SCENARIOS: [string, string[]][] = [
  ['mq-scenario', ['basic']],
  ['mq-scenario', ['notify']],
  ['mq-scenario', ['thread']],
  ['sysv-msg-scenario', ['basic']],
  ['sem-scenario', []],
  ['sysv-sem-scenario', []],
  ['shm-posix', []],
  ['sysv-shm', []],
];

for (const [name, args] of SCENARIOS) {
  // serial, and built before the mount: spawnSync blocks this worker's event loop, and a
  // daemon started meanwhile by a concurrent test would wait for its readiness check in vain
  test.serial(`${name} ${args.join(' ')}: through the interposer as through libipcfs`, async (t) => {
    const source = `test/tools/libipcfs/${name}.c`;
    const [withLib, plain] = [linked(source), unmodified(source)];
    // one after the other on one mount: each scenario removes what it makes
    await withDaemon(async (d) => {
      const want = onMount(d.dir, withLib, args, {});
      t.is(want.status, 0, want.err);
      const got = onMount(d.dir, plain, args, { LD_PRELOAD: LIBIPCFS_PRELOAD });
      t.is(got.status, 0, got.err);
      t.is(got.out, want.out);
    });
  });
}
