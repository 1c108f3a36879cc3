/**
 * tools/mount-check.ts: the util-linux-style tools refuse, in one line, a directory that is no
 * ipcfs mount and a mount whose daemon is dead, and accept a live mount.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mountFrom, mountProblem, mountTypeAt } from '../../tools/mount-check.js';
import { spawnSync } from 'node:child_process';
import { CLI, mountTest, withDaemon } from '../helpers/mount.js';

const mtest = mountTest();

/** Two mountinfo lines (fields as proc(5) gives them); the second mounts over the first. */
const MOUNTINFO = [
  '36 35 98:0 / /mnt/a\\040b rw,noatime master:1 - ext3 /dev/root rw,errors=continue',
  '37 36 0:52 / /mnt/a\\040b rw,nosuid,nodev,relatime shared:7 - fuse.ipcfs ipcfs rw,user_id=0,group_id=0',
  '38 35 0:53 / /tmp/x rw - tmpfs tmpfs rw',
  '',
].join('\n');

test('mountinfo: the last mount at a point wins, escaped spaces are read back, optional fields skipped', (t) => {
  t.is(mountTypeAt('/mnt/a b', MOUNTINFO), 'fuse.ipcfs');
  t.is(mountTypeAt('/tmp/x', MOUNTINFO), 'tmpfs');
  t.is(mountTypeAt('/tmp', MOUNTINFO), null);
});

test('the mount: --mount, else IPCFS_MOUNT, else /mnt/ipc', (t) => {
  t.is(mountFrom('/a', { IPCFS_MOUNT: '/b' }), '/a');
  t.is(mountFrom(undefined, { IPCFS_MOUNT: '/b' }), '/b');
  t.is(mountFrom(undefined, {}), '/mnt/ipc');
  t.is(mountFrom(undefined, { IPCFS_MOUNT: '' }), '/mnt/ipc', 'empty is unset');
});

mtest('an empty IPCFS_MOUNT is unset: the tools read /mnt/ipc, never the directory ""', async (t) => {
  await withDaemon(async ({ dir }) => {
    // read-only tools only: /mnt/ipc may be someone's real mount
    for (const tool of [['ipcs'], ['lsipc'], ['ipcs', '-l']]) {
      const unset = { ...process.env };
      delete unset.IPCFS_MOUNT;
      const want = spawnSync(process.execPath, [CLI, ...tool], { encoding: 'utf8', env: unset });
      const got = spawnSync(process.execPath, [CLI, ...tool], { encoding: 'utf8', env: { ...unset, IPCFS_MOUNT: '' } });
      t.is(got.stderr, want.stderr, tool[0]);
      t.is(got.status, want.status, tool[0]);
      t.notRegex(got.stderr, /: : /);
    }
    // and a set one is still used
    const live = spawnSync(process.execPath, [CLI, 'ipcs'], { encoding: 'utf8', env: { ...process.env, IPCFS_MOUNT: dir } });
    t.is(live.status, 0, live.stderr);
  });
});

test('a plain directory and a missing one are no ipcfs mount', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ipcfs-nomount-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.is(mountProblem(dir), `${dir}: not an ipcfs mount (start one with: ipcfs mount ${dir})`);
  t.regex(mountProblem(join(dir, 'missing'))!, /not an ipcfs mount/);
});

test('another filesystem mounted there is named', (t) => {
  // /proc is a mount point of type proc on every Linux
  t.regex(mountProblem('/proc')!, /^\/proc: not an ipcfs mount \(proc is mounted there\)/);
});

mtest('a live mount passes; once its daemon is SIGKILLed, the tools say so in one line', async (t) => {
  await withDaemon(async (d) => {
    t.is(mountProblem(d.dir), null);
    d.child.kill('SIGKILL');
    await d.exited;
    t.is(mountProblem(d.dir), `${d.dir}: the ipcfs daemon of this mount is not running (unmount it with: ipcfs umount ${d.dir})`);
  });
});
