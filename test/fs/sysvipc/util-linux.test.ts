/**
 * The proof that sysvipc/ and limits/ are /proc's own formats: the system's ipcs and lsipc, run in a
 * private mount namespace where the mount's sysvipc/ is bind-mounted over /proc/sysvipc and its
 * limits files over /proc/sys/kernel/{sem,shmmax,...} and /proc/sys/fs/mqueue/*, print ipcfs's
 * objects and limits exactly as they print the kernel's: the expected output is the same commands
 * run in a private IPC namespace holding equivalent kernel objects (same keys, modes, owners,
 * nsems, sizes, message bytes and counts; the namespace's sysctls set to the mount's limits).
 * Only the ids are normalized (each to its rank by value: the order must agree too).
 *
 * The host's kernel objects must not show (a host semaphore set made here is absent), the mount
 * namespace dies with its unshare child, and nothing is left mounted on the host's /proc.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Actor } from '../../helpers/actor.js';
import { mountTest, withDaemon } from '../../helpers/mount.js';
import { KernelIpc } from './kernel-ipc.js';
import { make, objectFile, tell } from './mount-objects.js';

const test = mountTest();
const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];

const LIMITS = { semmsl: 250, semmns: 32000, semopm: 32, semmni: 33, shmmax: 123456789, shmall: 5555, shmmni: 55, msgmax: 4096, msgmnb: 8000, msgmni: 66 };
const KERNEL_FILES = ['sem', 'shmmax', 'shmall', 'shmmni', 'msgmax', 'msgmnb', 'msgmni'];
const MQUEUE_FILES = ['msg_default', 'msg_max', 'msgsize_default', 'msgsize_max', 'queues_max'];

const COMMANDS = [
  'ipcs -s',
  'ipcs -q',
  'ipcs -m',
  'ipcs -a',
  'ipcs -l',
  'lsipc -s -r',
  'lsipc -q -r -b -o KEY,ID,PERMS,OWNER,USEDBYTES,MSGS',
  'lsipc -m -r -b -o KEY,ID,PERMS,OWNER,SIZE,NATTCH,STATUS',
  'lsipc -g -b',
];
const MARK = '@@@ ';

/** Each command's output, after a marker line naming it. */
const script = COMMANDS.map((c) => `echo '${MARK}${c}'; ${c} 2>&1`).join('; ');

function sections(out: string): Record<string, string> {
  const res: Record<string, string> = {};
  for (const part of out.split(MARK).slice(1)) {
    const nl = part.indexOf('\n');
    res[part.slice(0, nl)] = part.slice(nl + 1);
  }
  return res;
}

/**
 * Each id (the column after a 0x key) replaced by its rank among the section's ids: in a padded
 * column (ipcs's %-10d) kept at the column's width, in raw output (one space) as it is.
 */
function normalizeIds(text: string): string {
  const idOf = /^(0x[0-9a-f]{8} +)(\d+)( *)/;
  const ids = [...new Set(text.split('\n').map((l) => idOf.exec(l)?.[2]).filter((x): x is string => x !== undefined).map(Number))].sort((a, b) => a - b);
  return text.split('\n').map((l) => l.replace(idOf, (_m, key: string, id: string, sp: string) => key + (sp.length > 1 ? String(ids.indexOf(Number(id))).padEnd(id.length + sp.length) : `${ids.indexOf(Number(id))}${sp}`))).join('\n');
}

test('the system\'s ipcs and lsipc over sysvipc/ and limits/ bind-mounted on /proc print exactly what they print for equivalent kernel objects', async (t) => {
  // a host object that must not show through the bind mounts
  const host = spawnSync('ipcmk', ['-S', '1', '-p', '600'], { encoding: 'utf8' });
  t.is(host.status, 0, host.stderr);
  const hostId = /(\d+)\s*$/.exec(host.stdout)![1]!;
  t.teardown(() => void spawnSync('ipcrm', ['-s', hostId]));
  const hostRow = readFileSync('/proc/sysvipc/sem', 'utf8').split('\n').map((l) => l.trim().split(/\s+/)).find((f) => f[1] === hostId)!;
  const hostKey = `0x${(Number(hostRow[0]) >>> 0).toString(16).padStart(8, '0')}`;

  // the kernel's side: equivalent objects in a private IPC namespace whose sysctls are the mount's limits
  const k = await KernelIpc.start();
  const made: string[] = [];
  t.teardown(async () => {
    for (const o of made) await k.do(`rm ${o}`).catch(() => {});
    await k.stop();
  });
  const kmake = async (kind: string, cmd: string): Promise<number> => {
    const id = await k.do(cmd);
    made.push(`${kind} ${id}`);
    return id;
  };
  await k.sh(`echo ${LIMITS.semmsl} ${LIMITS.semmns} ${LIMITS.semopm} ${LIMITS.semmni} > /proc/sys/kernel/sem`);
  for (const f of ['shmmax', 'shmall', 'shmmni', 'msgmax', 'msgmnb', 'msgmni'] as const) await k.sh(`echo ${LIMITS[f]} > /proc/sys/kernel/${f}`);
  await kmake('sem', `sem ${0x1234} 640 3`);
  const ks2 = await kmake('sem', 'sem 0 600 1');
  await k.do(`own sem ${ks2} 65534 65534`);
  const kq = await kmake('msg', `msg ${0x2345} 620`);
  await k.do(`msgsnd ${kq} 3`);
  await k.do(`msgsnd ${kq} 300`);
  const kq2 = await kmake('msg', 'msg 0 600');
  await k.do(`own msg ${kq2} 65534 65534`);
  await kmake('shm', `shm ${0x3456} 600 10000`);
  await kmake('shm', `shm -5 644 ${2 * 1024 * 1024}`);
  const expected = sections(await k.sh(script));

  const limits = Object.entries(LIMITS).map(([n, v]) => `${n}=${v}`).join(',');
  await withDaemon(async ({ dir }) => {
    const nobody = await Actor.start(NOBODY);
    try {
      make(dir, 'sem', 'semget 0x1234 3 mode=640 creat');
      await nobody.ok('create', join(dir, 'semaphores', 'sysv', '.new'), 'semget private 1 mode=600');
      const q = make(dir, 'msg', 'msgget 0x2345 mode=620 creat');
      tell(objectFile(dir, 'msg', q), Buffer.concat([Buffer.from('send 1\n'), Buffer.alloc(3, 'm')]));
      tell(objectFile(dir, 'msg', q), Buffer.concat([Buffer.from('send 1\n'), Buffer.alloc(300, 'm')]));
      await nobody.ok('create', join(dir, 'mqueue', 'sysv', '.new'), 'msgget private mode=600');
      make(dir, 'shm', 'shmget 0x3456 10000 mode=600 creat');
      make(dir, 'shm', `shmget -5 ${2 * 1024 * 1024} mode=644 creat`);
    } finally {
      await nobody.stop();
    }

    const binds = [
      `mount --bind "$1/sysvipc" /proc/sysvipc`,
      ...KERNEL_FILES.map((f) => `mount --bind "$1/limits/${f}" /proc/sys/kernel/${f}`),
      ...MQUEUE_FILES.map((f) => `mount --bind "$1/limits/mqueue/${f}" /proc/sys/fs/mqueue/${f}`),
    ].join(' && ');
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', `${binds} && { ${script}; }`, 'sh', dir], { encoding: 'utf8', timeout: 60_000 });
    t.is(r.status, 0, r.stderr);
    const actual = sections(r.stdout);

    t.deepEqual(Object.keys(actual), COMMANDS);
    for (const c of COMMANDS) {
      t.is(normalizeIds(actual[c]!), normalizeIds(expected[c]!), c);
      t.false(actual[c]!.includes(hostKey), `${c}: the host's set (${hostKey}) is not listed`);
    }
    t.regex(actual['ipcs -s']!, /^0x00001234 +\d+ +root +640 +3 *$/m, 'the keyed set as ipcfs holds it');
    t.regex(actual['ipcs -q']!, /^0x00002345 +\d+ +root +620 +303 +2 *$/m, 'the queue: 303 bytes in 2 messages');
    t.regex(actual['ipcs -m']!, /^0xfffffffb +\d+ +root +644 +2097152 +0 *$/m, 'a negative key and the size');
    t.regex(actual['ipcs -s']!, /^0x00000000 +\d+ +nobody +600 +1 *$/m, 'nobody\'s private set');
    t.regex(actual['lsipc -g -b']!, /^MSGMNI .* 66 +2 /m, 'the mount\'s MSGMNI, two queues used');
    t.regex(actual['ipcs -l']!, /^max number of segments = 55$/m, 'the mount\'s SHMMNI');
  }, { args: ['--allow-other', '--limits', limits] });

  // the namespace died with its child: nothing of it on the host
  t.false(readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => /^\S+ \S+ \S+ \S+ \/proc\/(sysvipc|sys\/kernel|sys\/fs\/mqueue)/.test(l)), 'no bind mount left on the host');
  t.regex(readFileSync('/proc/sysvipc/sem', 'utf8'), new RegExp(`^ *\\S+ +${hostId} `, 'm'), 'the host\'s /proc/sysvipc is the kernel\'s');
});
