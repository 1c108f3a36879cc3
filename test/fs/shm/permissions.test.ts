/**
 * Shared memory on a multi-user mount (--allow-other), as nobody: opening follows ipcperms (read
 * for O_RDONLY, read and write for O_RDWR), the status file needs read permission, removing needs
 * the owner (sticky kind directories; IPC_RMID's owner, creator or root), chmod is IPC_SET's, and
 * nobody's own objects work, mappings included. Each answer is the kernel's errno.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NOBODY, probe, probeOne } from '../../helpers/errno-probe.js';
import { mountTest, withDaemon } from '../../helpers/mount.js';

const test = mountTest();

const MAP = (path: string, flags: string, prot: string): string =>
  `(lambda fd: (__import__('mmap').mmap(fd, 4096, __import__('mmap').MAP_SHARED, ${prot})[0:2].hex(), os.close(fd))[0])(os.open(p(${JSON.stringify(path)}), ${flags}))`;

test('as nobody: ipcperms on open and status, owner-only rm and chmod, and nobody\'s own objects map and share', async (t) => {
  await withDaemon(async ({ dir }) => {
    const named = join(dir, 'shared-memory', 'named');
    const sysv = join(dir, 'shared-memory', 'sysv');
    const status = join(dir, 'shared-memory', 'status');
    const j = JSON.stringify;
    t.is(probeOne(`clone(${j(join(named, '.new'))}, 'create secret size=4096 mode=0600')`), '/secret');
    t.is(probeOne(`clone(${j(join(named, '.new'))}, 'create public size=4096 mode=0644')`), '/public');
    const seg = probeOne(`clone(${j(join(sysv, '.new'))}, 'shmget 0x5eed 4096 creat mode=0644')`) as string;
    t.regex(seg, /^\d+$/);
    probeOne(`wr(${j(join(named, 'public'))}, 'hi')`);
    const R = 'os.O_RDONLY';
    const PR = "__import__('mmap').PROT_READ";
    t.deepEqual(probe([
      `os.open(p(${j(join(named, 'secret'))}), os.O_RDONLY)`,
      `rd(${j(join(status, 'named', 'secret'))})`,
      `os.open(p(${j(join(named, 'public'))}), os.O_RDWR)`,
      MAP(join(named, 'public'), R, PR),
      `rd(${j(join(status, 'named', 'public'))}).splitlines()[0]`,
      `os.unlink(p(${j(join(named, 'public'))}))`,
      `os.chmod(p(${j(join(named, 'public'))}), 0o666)`,
      `os.truncate(p(${j(join(named, 'public'))}), 0)`,
      `os.open(p(${j(join(sysv, seg))}), os.O_RDWR)`,
      MAP(join(sysv, seg), R, PR),
      `os.unlink(p(${j(join(sysv, seg))}))`,
      `clone(${j(join(sysv, '.new'))}, 'shmget 0x5eed 4096 mode=0666')`,
      // nobody's own: made by open(O_CREAT), sized, mapped by two opens
      `os.close(os.open(p(${j(join(named, 'mine'))}), os.O_RDWR | os.O_CREAT, 0o600))`,
      `os.truncate(p(${j(join(named, 'mine'))}), 4096)`,
      `(lambda m: (m.__setitem__(slice(0, 2), b'ok'), ${MAP(join(named, 'mine'), 'os.O_RDWR', PR)})[1])(__import__('mmap').mmap(os.open(p(${j(join(named, 'mine'))}), os.O_RDWR), 4096))`,
      `os.unlink(p(${j(join(named, 'mine'))}))`,
    ], NOBODY), [
      'EACCES', 'EACCES', 'EACCES', '6869', 'name: /public', 'EPERM', 'EPERM', 'EACCES',
      'EACCES', '0000', 'EPERM', 'EACCES',
      'ok', 'ok', '6f6b', 'ok',
    ]);
    t.regex(readFileSync(join(status, 'sysv', seg), 'utf8'), /^status: -$/m, 'nobody\'s rm changed nothing');
    t.regex(readFileSync(join(status, 'named', 'public'), 'utf8'), /^perms: 644$/m);
  }, { args: ['--allow-other'] });
});

test('--no-default-permissions: truncate(2) by path needs write permission (EACCES, size unchanged); ftruncate of a writable descriptor needs none', async (t) => {
  await withDaemon(async ({ dir }) => {
    const named = join(dir, 'shared-memory', 'named');
    const j = JSON.stringify;
    t.is(probeOne(`clone(${j(join(named, '.new'))}, 'create ro size=4096 mode=0644')`), '/ro');
    t.is(probeOne(`clone(${j(join(named, '.new'))}, 'create rw size=4096 mode=0666')`), '/rw');
    t.deepEqual(probe([
      `os.truncate(p(${j(join(named, 'ro'))}), 0)`,
      `os.truncate(p(${j(join(named, 'rw'))}), 8192)`,
      `(lambda fd: os.ftruncate(fd, 100))(os.open(p(${j(join(named, 'rw'))}), os.O_RDWR))`,
    ], NOBODY), ['EACCES', 'ok', 'ok']);
    t.regex(readFileSync(join(dir, 'shared-memory', 'status', 'named', 'ro'), 'utf8'), /^size: 4096$/m, 'nothing changed');
    t.regex(readFileSync(join(dir, 'shared-memory', 'status', 'named', 'rw'), 'utf8'), /^size: 100$/m);
  }, { args: ['--allow-other', '--no-default-permissions'] });
});
