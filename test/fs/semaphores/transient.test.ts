/**
 * unnamed/.new `create ... transient` (sem_init's semaphores) through a real mount: removed, as by
 * rmid, when the last open file of it is released, the creating `.new` counting as one until it is
 * released; one reference per open file description (dup and fork share one); gone for good (a
 * node looked up before answers ENOENT for new opens); its quota given back.
 */
import { closeSync, constants, existsSync, openSync, readdirSync, readFileSync, readSync, writeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { mountTest, withDaemon } from '../../helpers/mount.js';
import { python } from '../../helpers/python.js';

const test = mountTest();

const { O_RDWR, O_CREAT, O_EXCL } = constants;

/** Writes cmd to an open `.new` and reads back its answer (the new ID). */
function create(fd: number, cmd: string): string {
  writeSync(fd, `${cmd}\n`);
  const buf = Buffer.alloc(64);
  return buf.subarray(0, readSync(fd, buf, 0, 64, null)).toString().trim();
}

const errnoOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    // Node names some errnos UNKNOWN (EIDRM): the name from the number
    const n = -((e as NodeJS.ErrnoException).errno ?? 0);
    return Object.entries(osConstants.errno).find(([, v]) => v === n)?.[0] ?? String(e);
  }
  return undefined;
};

function unnamed(dir: string): string {
  return join(dir, 'semaphores', 'unnamed');
}

test('the creator opens the ID before closing .new; it goes with the last open file, and status says transient', async (t) => {
  await withDaemon(async ({ dir }) => {
    const u = unnamed(dir);
    const nw = openSync(join(u, '.new'), O_RDWR);
    const id = create(nw, 'create value=2 transient');
    const fd = openSync(join(u, id), O_RDWR);
    closeSync(nw);
    t.true(readdirSync(u).includes(id), 'kept while the creator holds it open');
    const status = readFileSync(join(u, id), 'utf8');
    t.regex(status, /^transient: yes$/m);
    t.regex(status, /^value: 2$/m);
    writeSync(fd, 'op 0:-1');
    closeSync(fd);
    t.false(readdirSync(u).includes(id), 'gone with the last open file');
    t.is(errnoOf(() => openSync(join(u, id), O_RDWR)), 'ENOENT');
  });
});

test('never opened: it goes when its .new is released; without transient nothing changes', async (t) => {
  await withDaemon(async ({ dir }) => {
    const u = unnamed(dir);
    const nw = openSync(join(u, '.new'), O_RDWR);
    const gone = create(nw, 'create transient');
    const kept = create(nw, 'create value=1');
    t.true(readdirSync(u).includes(gone), 'the .new open file holds it');
    closeSync(nw);
    t.false(existsSync(join(u, gone)));
    t.true(existsSync(join(u, kept)));
    const fd = openSync(join(u, kept), O_RDWR);
    closeSync(fd);
    t.true(existsSync(join(u, kept)), 'a plain unnamed semaphore stays after its last close');
    t.notRegex(readFileSync(join(u, kept), 'utf8'), /transient/);
  });
});

test('many opens by several processes: it stays until the last one of them is released', async (t) => {
  await withDaemon(async ({ dir }) => {
    const u = unnamed(dir);
    const nw = openSync(join(u, '.new'), O_RDWR);
    const id = create(nw, 'create value=1 transient');
    const path = join(u, id);
    const fds = Array.from({ length: 20 }, () => openSync(path, O_RDWR));
    closeSync(nw);
    for (const fd of fds.slice(0, -1)) closeSync(fd);
    t.true(existsSync(path), 'one open file left');
    // another process opens the ID, and is the last to hold it
    const r = await python(String.raw`
import os, sys, json
path = sys.argv[1]
fd = os.open(path, os.O_RDWR)
print(json.dumps(['opened', True]), flush=True)
os.write(fd, b'op 0:-1')
os.close(fd)
print(json.dumps(['exists', os.path.exists(path)]), flush=True)
`, [path]);
    t.deepEqual(r.results, [['opened', true], ['exists', true]], r.err);
    closeSync(fds.at(-1)!);
    t.false(existsSync(path));
  });
});

test('dup and fork share one reference: it goes when the last user of the description releases it', async (t) => {
  await withDaemon(async ({ dir }) => {
    const r = await python(String.raw`
import os, sys, json
u = sys.argv[1]
def report(k, v): print(json.dumps([k, v]), flush=True)
nw = os.open(u + '/.new', os.O_RDWR)
os.write(nw, b'create transient\n')
sid = os.read(nw, 64).decode().strip()
path = u + '/' + sid
fd = os.open(path, os.O_RDWR)
os.close(nw)
dup = os.dup(fd)
os.close(fd)
report('after closing the original, the dup keeps it', os.path.exists(path))
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(w)
    os.read(r, 1)   # holds dup (the same description) until told
    os._exit(0)
os.close(r)
os.close(dup)
report('after the parent closed it, the forked child keeps it', os.path.exists(path))
os.close(w)
os.waitpid(pid, 0)
report('gone when the child exited', not os.path.exists(path))
`, [unnamed(dir)]);
    t.deepEqual(r.results, [
      ['after closing the original, the dup keeps it', true],
      ['after the parent closed it, the forked child keeps it', true],
      ['gone when the child exited', true],
    ], r.err);
  });
});

test('rmid while open: gone at once, EIDRM for the holders, and their last close removes nothing else', async (t) => {
  await withDaemon(async ({ dir }) => {
    const u = unnamed(dir);
    const nw = openSync(join(u, '.new'), O_RDWR);
    const id = create(nw, 'create value=1 transient');
    const a = openSync(join(u, id), O_RDWR);
    const b = openSync(join(u, id), O_RDWR);
    writeSync(a, 'rmid');
    t.false(existsSync(join(u, id)));
    t.is(errnoOf(() => writeSync(b, 'op 0:-1')), 'EIDRM');
    // the same ID made again (open(O_CREAT)): the old one's last close must not remove it
    const again = openSync(join(u, id), O_RDWR | O_CREAT | O_EXCL, 0o600);
    closeSync(again);
    closeSync(a);
    closeSync(nw);
    closeSync(b);
    t.true(existsSync(join(u, id)), 'the new semaphore of that ID stays');
    t.notRegex(readFileSync(join(u, id), 'utf8'), /transient|removed/);
  });
});

test('a node looked up before it went answers ENOENT for a new open (no resurrection)', async (t) => {
  await withDaemon(async ({ dir }) => {
    // O_PATH holds the kernel's inode without opening; reopening through /proc/self/fd sends OPEN
    // for that node with no LOOKUP first
    const r = await python(String.raw`
import os, sys, json
u = sys.argv[1]
def report(k, v): print(json.dumps([k, v]), flush=True)
nw = os.open(u + '/.new', os.O_RDWR)
os.write(nw, b'create transient\n')
sid = os.read(nw, 64).decode().strip()
p = os.open(u + '/' + sid, os.O_PATH)
live = os.open('/proc/self/fd/%d' % p, os.O_RDWR)   # while it exists, the reopen works
os.close(live)
os.close(nw)
report('gone', not os.path.exists(u + '/' + sid))
try:
    os.open('/proc/self/fd/%d' % p, os.O_RDWR); report('reopen', 'opened')
except OSError as e:
    import errno; report('reopen', errno.errorcode[e.errno])
`, [unnamed(dir)]);
    t.deepEqual(r.results, [['gone', true], ['reopen', 'ENOENT']], r.err);
  });
});

test('its quota is given back when it goes', async (t) => {
  await withDaemon(async ({ dir }) => {
    const u = unnamed(dir);
    for (let i = 0; i < 10; i++) {
      const nw = openSync(join(u, '.new'), O_RDWR);
      const id = create(nw, 'create transient');
      closeSync(openSync(join(u, id), O_RDWR));
      closeSync(nw);
    }
    t.deepEqual(readdirSync(u), []);
    // the limit does bite: plain ones are not given back
    const nw = openSync(join(u, '.new'), O_RDWR);
    for (let i = 0; i < 4; i++) create(nw, 'create');
    t.is(errnoOf(() => writeSync(nw, 'create transient\n')), 'ENOSPC');
    closeSync(nw);
  }, { args: ['--limits', 'objects=4'] });
});
