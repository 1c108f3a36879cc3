/**
 * Each shared-memory object holds one descriptor of the daemon (its memfd). Creating objects must
 * never use up the daemon's own descriptors: past its budget (RLIMIT_NOFILE less a reserve) a
 * create is refused — ENFILE for POSIX (shm_open's "too many open files in the system"), ENOSPC
 * for shmget — and the daemon keeps serving and still unmounts cleanly. The daemon runs under
 * prlimit with a small limit.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { probe } from '../../helpers/errno-probe.js';
import { mountTest, withDaemon } from '../../helpers/mount.js';

const test = mountTest();
const NOFILE = 200;

test(`a daemon with RLIMIT_NOFILE ${NOFILE}: objects past its descriptor budget are refused (ENFILE, ENOSPC), it keeps serving, removal frees room, and it unmounts cleanly`, async (t) => {
  let exited: Promise<number | null> | null = null;
  let stderr = (): string => '';
  await withDaemon(async (d) => {
    exited = d.exited;
    stderr = d.stderr;
    const named = join(d.dir, 'shared-memory', 'named');
    // creates until one is refused: the refusal's errno
    const r = probe([`[os.close(os.open(p(${JSON.stringify(named)} + '/x%d' % i), os.O_RDWR | os.O_CREAT, 0o600)) for i in range(${NOFILE})]`]);
    t.is(r[0], 'ENFILE', 'the POSIX create past the budget');
    const count = readdirSync(named).length;
    t.true(count > 50 && count < NOFILE, `${count} objects made`);
    t.deepEqual(probe([
      `clone(${JSON.stringify(join(d.dir, 'shared-memory', 'sysv', '.new'))}, 'shmget private 10')`,
      `clone(${JSON.stringify(join(named, '.new'))}, 'create y size=10')`,
      `clone(${JSON.stringify(join(d.dir, 'semaphores', 'named', '.new'))}, 'create s value=1')`,
      `rd(${JSON.stringify(join(d.dir, 'semaphores', 'named', 's'))}).splitlines()[0]`,
      `os.unlink(p(${JSON.stringify(join(named, readdirSync(named)[0]!))}))`,
      `os.close(os.open(p(${JSON.stringify(named)} + '/again'), os.O_RDWR | os.O_CREAT, 0o600))`,
    ]), ['ENOSPC', 'ENFILE', '/s', 'name: /s', 'ok', 'ok'], 'the daemon serves on; a removal makes room');
  }, { prefix: ['prlimit', `--nofile=${NOFILE}:${NOFILE}`, '--'] });
  t.is(await exited!, 0, 'the daemon exited cleanly');
  t.notRegex(stderr(), /EMFILE|cannot unmount/);
});
