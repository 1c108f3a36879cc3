/**
 * shared-memory/sysv on a real mount: shmget through `.new` answers as the kernel's own shmget
 * (asked at run time through ctypes, the same calls step for step), a segment's fixed size,
 * nattch as open files not yet released (docs/shared-memory.md), IPC_RMID marking `dest` and
 * destroying at nattch 0, and SHMMNI.
 */
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Mapper } from '../../helpers/mapper.js';
import { probeOne } from '../../helpers/errno-probe.js';
import { eventually, mountTest, withDaemon, type Daemon } from '../../helpers/mount.js';
import { answer } from '../../helpers/shm-scenarios.js';

const test = mountTest();

const sysv = (d: Daemon): string => join(d.dir, 'shared-memory', 'sysv');
function status(d: Daemon, id: string): Record<string, string> {
  const text = readFileSync(join(d.dir, 'shared-memory', 'status', 'sysv', id), 'utf8');
  return Object.fromEntries(text.trim().split('\n').map((l) => l.split(': ') as [string, string]));
}
const shmget = (d: Daemon, cmd: string): string => probeOne(`clone(${JSON.stringify(join(sysv(d), '.new'))}, ${JSON.stringify(cmd)})`) as string;

/**
 * Runs shmget/IPC_RMID steps on the kernel (ctypes) or on an ipcfs sysv/ directory (`.new`, rm);
 * prints each step's answer: an id's letter (A, B ... in order of appearance) or the errno name.
 */
const STEPS = String.raw`
import ctypes, errno, json, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.shmget.argtypes = [ctypes.c_int, ctypes.c_size_t, ctypes.c_int]
libc.shmctl.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_void_p]
where, steps = sys.argv[1], json.loads(sys.argv[2])
def get(key, size, flags):
    size = int(size)
    if where == 'kernel':
        r = libc.shmget(key, size, flags)
        if r < 0: raise OSError(ctypes.get_errno(), 'shmget')
        return r
    ws = ['shmget', 'private' if key == 0 else hex(key), str(size), 'mode=%o' % (flags & 0o777)]
    if flags & 0o1000: ws.append('creat')
    if flags & 0o2000: ws.append('excl')
    fd = os.open(where + '/.new', os.O_RDWR)
    try:
        os.write(fd, (' '.join(ws) + '\n').encode())
        return int(os.read(fd, 100))
    finally: os.close(fd)
def rmid(i):
    if where == 'kernel':
        if libc.shmctl(i, 0, None) < 0: raise OSError(ctypes.get_errno(), 'shmctl')
    else: os.unlink(where + '/' + str(i))
ids, out = {}, []
for s in steps:
    try:
        if s[0] == 'get':
            i = get(*s[1:])
            out.append(ids.setdefault(i, 'ABCDEFGH'[len(ids)]))
        else:
            rmid([i for i, l in ids.items() if l == s[1]][0]); out.append('ok')
    except OSError as e:
        out.append(errno.errorcode[e.errno])
for i in ids if len(sys.argv) < 4 else []:
    try: rmid(i)
    except OSError: pass
print(json.dumps(out))
`;

/**
 * The kernel's own IPC_RMID of an attached segment (ctypes, struct shmid_ds of x86-64): the key
 * after it, SHM_DEST, nattch; a second shmat by id; IPC_STAT after the last shmdt.
 */
function kernelRmidWhileAttached(): { key: number; dest: boolean; nattch: number; secondAttach: number; afterDetach: string } {
  const script = String.raw`
import ctypes, errno, json, os
libc = ctypes.CDLL(None, use_errno=True)
libc.shmget.argtypes = [ctypes.c_int, ctypes.c_size_t, ctypes.c_int]
libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]; libc.shmat.restype = ctypes.c_void_p
libc.shmdt.argtypes = [ctypes.c_void_p]
libc.shmctl.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_void_p]
key = 0x4a000000 + (os.getpid() & 0xffffff)
i = libc.shmget(key, 8192, 0o1000 | 0o600)
a = libc.shmat(i, None, 0)
libc.shmctl(i, 0, None)  # IPC_RMID
ds = ctypes.create_string_buffer(112)
def stat():
    if libc.shmctl(i, 2, ds) < 0: return errno.errorcode[ctypes.get_errno()]
    return (int.from_bytes(ds.raw[0:4], 'little', signed=True), int.from_bytes(ds.raw[20:22], 'little'), int.from_bytes(ds.raw[88:96], 'little'))
k, mode, nattch = stat()
b = libc.shmat(i, None, 0)
second = stat()[2]
libc.shmdt(a); libc.shmdt(b)
print(json.dumps({'key': k, 'dest': bool(mode & 0o1000), 'nattch': nattch, 'secondAttach': second, 'afterDetach': stat()}))
`;
  const r = spawnSync('python3', ['-c', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as { key: number; dest: boolean; nattch: number; secondAttach: number; afterDetach: string };
}

function runSteps(where: string, steps: unknown[][], prefix: string[] = []): string[] {
  const argv = [...prefix, prefix.length ? '/usr/bin/python3' : 'python3', '-c', STEPS, where, JSON.stringify(steps)];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as string[];
}

test('shmget through .new answers as the kernel\'s shmget: ENOENT, EINVAL (SHMMIN, SHMMAX, larger than the segment), EEXIST, the same id', async (t) => {
  await withDaemon(async (d) => {
    const key = 0x49000000 + (process.pid & 0xffffff);
    const shmmax = BigInt(readFileSync('/proc/sys/kernel/shmmax', 'utf8').trim());
    t.true(shmmax < 2n ** 64n - 1n, 'a size past the kernel\'s SHMMAX fits size_t');
    const CREAT = 0o1000;
    const EXCL = 0o2000;
    const steps = [
      ['get', key, 100, 0o600],
      ['get', key, 0, CREAT | 0o600], // below SHMMIN
      ['get', key, String(shmmax + 1n), CREAT | 0o600], // past the kernel's SHMMAX
      ['get', key, 10000, CREAT | 0o600],
      ['get', key, 10000, CREAT | EXCL | 0o600],
      ['get', key, 10001, 0o600], // larger than the segment
      ['get', key, 1, 0o600],
      ['get', key, 0, 0],
      ['get', 0, 1, 0o600], // IPC_PRIVATE: always a new one
      ['get', 0, 1, 0o600],
      ['rmid', 'A'],
      ['get', key, 100, 0o600], // the key went with IPC_RMID
    ];
    const kernel = runSteps('kernel', steps);
    const ours = runSteps(sysv(d), steps);
    t.deepEqual(ours, kernel);
    t.deepEqual(ours, ['ENOENT', 'EINVAL', 'EINVAL', 'A', 'EEXIST', 'EINVAL', 'A', 'A', 'B', 'C', 'ok', 'ENOENT']);
  });
});

test('a segment has shmget\'s size: st_size and segsz; writes past the end EPERM, truncate EPERM; the status shows shmid_ds', async (t) => {
  await withDaemon(async (d) => {
    const id = shmget(d, 'shmget 0x1234abcd 10000 creat mode=0640');
    t.regex(id, /^\d+$/);
    t.is(readlinkSync(join(sysv(d), 'by-key', '0x1234abcd')), `../${id}`);
    const f = join(sysv(d), id);
    t.is(statSync(f).size, 10000);
    t.is(statSync(f).mode & 0o777, 0o640);
    t.true(readFileSync(f).equals(Buffer.alloc(10000)), 'zeros');
    const m = new Mapper();
    try {
      const fd = await m.do(`open ${f}`);
      t.is(await m.do(`pwrite ${fd} 9998 0102`), 2);
      t.deepEqual(await answer(m, `pwrite ${fd} 9999 0102`), { err: 'EPERM' }, 'across the end inside the last page: nothing (shmem writes by page)');
      t.is(await m.do(`pwrite ${fd} 8190 ${'ab'.repeat(4000)}`), 2, 'across the end: the pages up to the last page boundary');
      t.deepEqual(await answer(m, `pwrite ${fd} 10000 01`), { err: 'EPERM' });
      t.deepEqual(await answer(m, `truncate ${fd} 20000`), { err: 'EPERM' });
      t.is(await m.do(`truncate ${fd} 10000`), 'ok', 'its own size is no change');
    } finally {
      await m.end();
    }
    const s = status(d, id);
    t.like(s, { shmid: id, owner: '0', perms: '640', segsz: '10000', key: '0x1234abcd', cuid: '0', status: '-', nattch: '0', served: 'passthrough' });
    t.regex(s.cpid!, /^\d+$/);
    t.not(s.cpid, '0');
    t.deepEqual(readdirSync(join(d.dir, 'shared-memory', 'status', 'sysv')), [id], 'no by-key/ or .new in the mirror');
  });
});

test('nattch counts open files not yet released (a mapping keeps its open); IPC_RMID marks dest, hides the key, and destroys at nattch 0', async (t) => {
  await withDaemon(async (d) => {
    const id = shmget(d, 'shmget 0x00c0ffee 8192 creat mode=0600');
    const f = join(sysv(d), id);
    const [a, b, c] = [new Mapper(), new Mapper(), new Mapper()];
    const nattch = (): string => status(d, id).nattch!;
    try {
      const fa = await a.do(`open ${f}`);
      const ma = await a.do(`map ${fa} 8192`);
      await a.do(`close ${fa}`); // shmat = open + mmap; the descriptor may go
      t.is(nattch(), '1');
      t.is(status(d, id).lpid, String(a.pid));
      const fb = await b.do(`open ${f}`);
      const mb = await b.do(`map ${fb} 8192`);
      t.is(nattch(), '2');
      await a.do(`store ${ma} 0 abcd`);
      t.is(await b.do(`load ${mb} 0 2`), 'abcd', 'a store is seen at once');
      await b.end(); // exit: munmap and close, then RELEASE
      t.true(await eventually(() => nattch() === '1', 2000), 'a dead process detaches');
      t.not(status(d, id).dtime, 'never');

      t.is(probeOne(`os.unlink(p(${JSON.stringify(f)}))`), 'ok', 'rm is IPC_RMID');
      const k = kernelRmidWhileAttached();
      t.like(k, { key: 0, dest: true, nattch: 1, secondAttach: 2, afterDetach: 'EINVAL' }, 'the kernel\'s own answers');
      t.like(status(d, id), { status: k.dest ? 'dest' : '-', key: `0x${k.key.toString(16).padStart(8, '0')}`, nattch: String(k.nattch) });
      t.true(existsSync(f), 'still listed while attached, as ipcs shows it');
      t.false(existsSync(join(sysv(d), 'by-key', '0x00c0ffee')), 'its key is gone');
      t.is(shmget(d, 'shmget 0x00c0ffee 8192'), 'ENOENT', 'shmget no longer finds it');
      t.is(await a.do(`load ${ma} 0 2`), 'abcd', 'the attached mapping keeps working');
      const fc = await c.do(`open ${f}`); // Linux lets shmat attach a dest segment by id
      t.is(await c.do(`pread ${fc} 0 2`), 'abcd');
      t.is(nattch(), String(k.secondAttach), 'attached again by id, as the kernel allows');
      await c.do(`close ${fc}`);
      await a.end();
      t.true(await eventually(() => !existsSync(f), 2000), 'destroyed with the last detach');
      t.false(existsSync(join(d.dir, 'shared-memory', 'status', 'sysv', id)));
    } finally {
      await Promise.all([a.end(), b.end(), c.end()]);
    }
  });
});

test('rm of an unattached segment destroys it at once; SHMMNI bounds the segments (ENOSPC), and a removed one frees its slot', async (t) => {
  await withDaemon(async (d) => {
    const id = shmget(d, 'shmget private 4096');
    t.is(shmget(d, 'shmget private 4096'), 'ENOSPC');
    t.is(probeOne(`os.unlink(p(${JSON.stringify(join(sysv(d), id))}))`), 'ok');
    t.false(existsSync(join(sysv(d), id)));
    t.regex(shmget(d, 'shmget private 4096'), /^\d+$/);
    t.regex(readFileSync(join(d.dir, 'limits', 'ipcfs'), 'utf8'), /^shmmni: 1$/m);
  }, { args: ['--limits', 'shmmni=1'] });
});

test('accounting: objects, segments and pages are charged to the creator and given back once, when the memory\'s object goes (a dest segment at its last detach)', async (t) => {
  await withDaemon(async (d) => {
    const usage = (): Record<string, number> => Object.fromEntries(readFileSync(join(d.dir, 'limits', 'ipcfs'), 'utf8').trim().split('\n').map((l) => {
      const [k, v] = l.split(': ');
      return [k!, Number(v)];
    }));
    const before = usage();
    t.like(before, { 'objects-used': 0, 'shm-segments-used': 0, 'shm-pages-used': 0 });
    const id = shmget(d, 'shmget private 10000'); // 3 pages
    const named = join(d.dir, 'shared-memory', 'named');
    t.is(probeOne(`clone(${JSON.stringify(join(named, '.new'))}, 'create n size=4097')`), '/n'); // 2 pages
    t.like(usage(), { 'objects-used': 2, 'shm-segments-used': 1, 'shm-pages-used': 5, 'uid-shm-pages-used': 5 });
    const m = new Mapper();
    try {
      const fd = await m.do(`open ${join(sysv(d), id)}`);
      await m.do(`map ${fd} 10000`);
      t.is(probeOne(`os.unlink(p(${JSON.stringify(join(sysv(d), id))}))`), 'ok');
      t.is(probeOne(`os.truncate(p(${JSON.stringify(join(named, 'n'))}), 1)`), 'ok');
      t.like(usage(), { 'objects-used': 2, 'shm-segments-used': 1, 'shm-pages-used': 4 }, 'dest but attached: still charged; the named object shrank');
      t.is(probeOne(`os.unlink(p(${JSON.stringify(join(named, 'n'))}))`), 'ok');
      t.like(usage(), { 'objects-used': 1, 'shm-pages-used': 3 });
    } finally {
      await m.end();
    }
    t.true(await eventually(() => usage()['shm-pages-used'] === 0, 2000), 'the last detach gave the segment back');
    t.like(usage(), { 'objects-used': 0, 'shm-segments-used': 0, 'uid-shm-pages-used': 0 });
  });
});

test('shmget as another user: permission as the kernel\'s shmget (EACCES when the mode asks more than granted); bad commands are EINVAL', async (t) => {
  await withDaemon(async (d) => {
    const key = 0x4b000000 + (process.pid & 0xffffff);
    const create = [['get', key, 8192, 0o1000 | 0o644]];
    const asNobody = [['get', key, 0, 0o600], ['get', key, 0, 0o400], ['get', key, 0, 0o444], ['get', key, 0, 0o200], ['get', key, 8192, 0]];
    const nobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];
    const kernel = (steps: unknown[][], prefix: string[] = [], keep = false): string[] => {
      const r = spawnSync(prefix[0] ?? 'python3', [...prefix.slice(1), ...(prefix.length ? ['/usr/bin/python3'] : []), '-c', STEPS, 'kernel', JSON.stringify(steps), ...(keep ? ['keep'] : [])], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(r.stderr);
      return JSON.parse(r.stdout) as string[];
    };
    t.deepEqual(kernel(create, [], true), ['A']);
    let want: string[];
    try {
      want = kernel(asNobody, nobody, true);
    } finally {
      kernel([...create.map(([, k]) => ['get', k, 0, 0]), ['rmid', 'A']]);
    }
    t.regex(shmget(d, `shmget 0x${key.toString(16)} 8192 creat mode=0644`), /^\d+$/);
    t.deepEqual(runSteps(sysv(d), asNobody, nobody), want);
    t.deepEqual(want, ['EACCES', 'A', 'A', 'EACCES', 'A']);
    for (const bad of ['shmget', 'shmget 0x1', 'shmget 0x1 abc', 'shmget 0x1 -1 creat', 'shmget 0x1 10 creat bogus', 'shmget 0x123456789 10 creat',
      'shmget 0x1 10 creat mode=999', 'shmget 0x1 10 creat creat', 'shmget 0x1 10 creat=1', 'semget 0x1 10 creat']) {
      t.is(shmget(d, bad), 'EINVAL', bad);
    }
    t.is(readdirSync(sysv(d)).filter((n) => /^\d+$/.test(n)).length, 1, 'the refused commands made nothing');
  }, { args: ['--allow-other'] });
});
