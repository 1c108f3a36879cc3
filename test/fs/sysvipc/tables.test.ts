/**
 * The renderers of fs/sysvipc/tables.ts against the kernel's own /proc/sysvipc: kernel objects are
 * made (in a private IPC namespace, by test/fs/sysvipc/kernel-ipc.c) with distinct values in every
 * column — a negative key, a key past 2^31, IPC_PRIVATE, owners wider than the %5u columns, a
 * 5 TB segment, attached pages (rss), a removed segment still attached (mode 1600, key 0), times
 * never set and set — and then:
 *  - each header is the kernel's first line, byte for byte;
 *  - each kernel line, parsed back into a row, renders to that very line (every column's width and
 *    place, the key's sign, the octal mode), and the whole file renders from its rows;
 *  - the rows are in the kernel's order, creation order (ascending id), and byId gives it.
 * Nothing is typed from the kernel's output by hand: the expected text is the kernel's at run time.
 */
import test, { type ExecutionContext } from 'ava';
import { byId } from '../../../fs/sysvipc/rows.js';
import {
  MSG_HEADER, SEM_HEADER, SHM_HEADER, msgLine, msgTable, semLine, semTable, shmLine, shmTable,
  seconds, type MsgRow, type SemRow, type ShmRow,
} from '../../../fs/sysvipc/tables.js';
import { KernelIpc } from './kernel-ipc.js';

type Kind = 'sem' | 'msg' | 'shm';

/** A helper in its own IPC namespace whose objects are removed by id at teardown. */
async function kernel(t: ExecutionContext): Promise<{ k: KernelIpc; make: (kind: Kind, cmd: string) => Promise<number> }> {
  const k = await KernelIpc.start();
  const made: [Kind, number][] = [];
  t.teardown(async () => {
    for (const [kind, id] of made) await k.do(`rm ${kind} ${id}`).catch(() => {});
    await k.stop();
  });
  const make = async (kind: Kind, cmd: string): Promise<number> => {
    const id = await k.do(cmd);
    made.push([kind, id]);
    return id;
  };
  return { k, make };
}

const fields = (line: string): string[] => line.trim().split(/\s+/);
const n = Number;

function semRowOf(line: string): SemRow {
  const f = fields(line);
  return { key: n(f[0]), id: n(f[1]), mode: parseInt(f[2]!, 8), nsems: n(f[3]), uid: n(f[4]), gid: n(f[5]), cuid: n(f[6]), cgid: n(f[7]), otime: n(f[8]), ctime: n(f[9]) };
}
function msgRowOf(line: string): MsgRow {
  const f = fields(line);
  return {
    key: n(f[0]), id: n(f[1]), mode: parseInt(f[2]!, 8), cbytes: n(f[3]), qnum: n(f[4]), lspid: n(f[5]), lrpid: n(f[6]),
    uid: n(f[7]), gid: n(f[8]), cuid: n(f[9]), cgid: n(f[10]), stime: n(f[11]), rtime: n(f[12]), ctime: n(f[13]),
  };
}
function shmRowOf(line: string): ShmRow {
  const f = fields(line);
  return {
    key: n(f[0]), id: n(f[1]), mode: parseInt(f[2]!, 8), size: n(f[3]), cpid: n(f[4]), lpid: n(f[5]), nattch: n(f[6]),
    uid: n(f[7]), gid: n(f[8]), cuid: n(f[9]), cgid: n(f[10]), atime: n(f[11]), dtime: n(f[12]), ctime: n(f[13]), rss: n(f[14]), swap: n(f[15]),
  };
}

/** The kernel's file: its header and its lines (each with its newline). */
function split(text: string): { header: string; lines: string[] } {
  const [header, ...rest] = text.split(/(?<=\n)/);
  return { header: header!, lines: rest };
}

test('sem: the header and every line as the kernel prints them (negative and unsigned keys, wide owners, otime 0 and set)', async (t) => {
  const { k, make } = await kernel(t);
  const a = await make('sem', 'sem -1234567 640 3');
  const b = await make('sem', `sem ${0xdeadbeef} 604 250`);
  const c = await make('sem', 'sem 0 600 1');
  await k.do(`own sem ${b} 123456 7654321`);
  await k.do(`semop ${c}`);
  const text = await k.cat('/proc/sysvipc/sem');
  const { header, lines } = split(text);
  t.is(SEM_HEADER, header);
  const rows = lines.map(semRowOf);
  t.deepEqual(rows.map((r) => r.id), [a, b, c]);
  t.deepEqual(rows.map((r) => [r.key, r.mode, r.nsems]), [[-1234567, 0o640, 3], [0xdeadbeef | 0, 0o604, 250], [0, 0o600, 1]]);
  t.deepEqual([rows[1]!.uid, rows[1]!.gid], [123456, 7654321], 'owner columns wider than %5u');
  t.is(rows[0]!.otime, 0, 'never operated');
  t.true(rows[2]!.otime > 0, 'operated');
  for (let i = 0; i < lines.length; i++) t.is(semLine(rows[i]!), lines[i]!, `line ${i}`);
  t.is(semTable(rows), text);
});

test('msg: the header and every line (cbytes, qnum, pids, stime/rtime 0 and set, wide owners)', async (t) => {
  const { k, make } = await kernel(t);
  const a = await make('msg', 'msg 305419896 600');
  const b = await make('msg', 'msg -2 660');
  await k.do(`msgsnd ${a} 100`);
  await k.do(`msgsnd ${a} 5000`);
  await k.do(`msgsnd ${a} 7`);
  await k.do(`msgrcv ${a}`);
  await k.do(`own msg ${b} 100000 99999`);
  const text = await k.cat('/proc/sysvipc/msg');
  const { header, lines } = split(text);
  t.is(MSG_HEADER, header);
  const rows = lines.map(msgRowOf);
  t.deepEqual(rows.map((r) => r.id), [a, b]);
  t.like(rows[0], { key: 305419896, mode: 0o600, cbytes: 5007, qnum: 2 });
  t.true(rows[0]!.lspid > 0 && rows[0]!.lrpid > 0 && rows[0]!.stime > 0 && rows[0]!.rtime > 0);
  t.like(rows[1], { key: -2, mode: 0o660, cbytes: 0, qnum: 0, lspid: 0, lrpid: 0, stime: 0, rtime: 0, uid: 100000, gid: 99999 });
  for (let i = 0; i < lines.length; i++) t.is(msgLine(rows[i]!), lines[i]!, `line ${i}`);
  t.is(msgTable(rows), text);
});

test('shm: the header and every line (a 5 TB size, nattch, rss of touched pages, a removed segment still attached)', async (t) => {
  const { k, make } = await kernel(t);
  const a = await make('shm', `shm -99 640 ${5_000_000_000_000}`);
  const b = await make('shm', 'shm 4660 600 100000');
  const c = await make('shm', 'shm 0 666 1');
  await k.do(`shmat ${b} 3`);
  await k.do(`shmat ${c} 1`);
  await k.do(`rm shm ${c}`); // SHM_DEST: listed until detached, key 0, mode 1666
  await k.do(`own shm ${a} 4000000000 65534`);
  const text = await k.cat('/proc/sysvipc/shm');
  const { header, lines } = split(text);
  t.is(SHM_HEADER, header);
  const rows = lines.map(shmRowOf);
  t.deepEqual(rows.map((r) => r.id), [a, b, c]);
  t.like(rows[0], { key: -99, mode: 0o640, size: 5_000_000_000_000, nattch: 0, atime: 0, dtime: 0, rss: 0, uid: 4000000000 });
  t.like(rows[1], { key: 4660, size: 100000, nattch: 1, rss: 3 * 4096, swap: 0 });
  t.like(rows[2], { key: 0, mode: 0o1666, nattch: 1 });
  t.true(rows[1]!.atime > 0 && rows[1]!.cpid > 0 && rows[1]!.lpid > 0);
  for (let i = 0; i < lines.length; i++) t.is(shmLine(rows[i]!), lines[i]!, `line ${i}`);
  t.is(shmTable(rows), text);
  await k.do(`shmdt ${c}`);
});

test('order: the kernel lists in creation order (ascending id), a removed object\'s place is not refilled; byId does the same', async (t) => {
  const { make, k } = await kernel(t);
  const first = await make('sem', 'sem 0 600 1');
  const second = await k.do('sem 0 600 1');
  const third = await make('sem', 'sem 0 600 1');
  await k.do(`rm sem ${second}`);
  const fourth = await make('sem', 'sem 0 600 1');
  const listed = split(await k.cat('/proc/sysvipc/sem')).lines.map((l) => semRowOf(l).id);
  t.deepEqual(listed, [first, third, fourth]);
  t.deepEqual(byId([{ id: fourth }, { id: third }, { id: first }]).map((o) => o.id), listed);
});

test('seconds: the objects\' milliseconds as the table\'s seconds, 0 for never', (t) => {
  t.is(seconds(0), 0);
  t.is(seconds(1_795_000_000_999), 1_795_000_000);
  t.is(seconds(1_795_000_001_000), 1_795_000_001);
});
