/**
 * `ipcfs top`'s reading of the mount, made into TopRows: System V and POSIX named objects through
 * the tools' shared reader (tools/ipc-objects.ts), unnamed POSIX semaphores and jobserver pools
 * (which it does not list) from their status files here. Only the mount's files are read
 * (docs/protocol.md is the contract); an object that vanishes between its listing and its status
 * read, or whose status the caller may not read, is skipped, as ipcs does.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readToEnd } from './cli-io.js';
import { isVanished, listPosix, listSysv, parseStatus, type HeldMessage, type StatusFields, type UndoHolder } from './ipc-objects.js';
import { userName } from './passwd.js';
import { type Kind, type Snapshot, type TopHolder, type TopRow } from './top-model.js';

/** `pid=4242 tokens=1 comm=make cmdline=make -C lib` as its fields; cmdline= is last and keeps its spaces. */
export function parseWords(text: string): Map<string, string> {
  const words = new Map<string, string>();
  const cmd = text.indexOf(' cmdline=');
  const head = cmd >= 0 ? text.slice(0, cmd) : text;
  for (const w of head.split(' ')) {
    const eq = w.indexOf('=');
    if (eq > 0) words.set(w.slice(0, eq), w.slice(eq + 1));
  }
  if (cmd >= 0) words.set('cmdline', text.slice(cmd + ' cmdline='.length));
  return words;
}

/** Sizes as top shows memory: bytes up to 99999, then KiB, MiB, GiB. */
export function formatBytes(n: number): string {
  if (n < 100000) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 10000 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${Math.round(v)} ${units[u]}`;
}

const num = (s: string | undefined): number => {
  const n = Number(s);
  return Number.isFinite(n) ? n : 0;
};

/** The pids of a `waiting: 4261 4262` line (empty when none). */
const pids = (s: string | undefined): number[] => (s ?? '').split(' ').filter(Boolean).map(Number);

/** A uid's login name, else the number. */
export const ownerName = (uid: number): string => userName(uid) ?? String(uid);

/**
 * A time stamp as the status writes it (ISO 8601 to the millisecond): the records' epoch seconds
 * would miss a second operation within the same second.
 */
const stamp = (f: StatusFields, key: string): string => f.get(key)?.[0] ?? '';

/** Undo adjustments, one holder per process: "undo sem 0 +1, sem 2 -1". */
function undoHolders(undo: readonly UndoHolder[], sets: boolean): TopHolder[] {
  const byPid = new Map<number, { comm: string; adj: string[] }>();
  for (const u of undo) {
    const h = byPid.get(u.pid) ?? { comm: u.comm, adj: [] };
    h.adj.push(`${sets ? `sem ${u.sem} ` : ''}${u.adj > 0 ? '+' : ''}${u.adj}`);
    byPid.set(u.pid, h);
  }
  return [...byPid].map(([pid, h]) => ({ pid, comm: h.comm, what: `undo ${h.adj.join(', ')}` }));
}

/** Messages received with undo and not yet acknowledged, one holder line each. */
const heldMessages = (held: readonly HeldMessage[]): TopHolder[] => held.map((m) => ({ pid: m.pid, comm: m.comm, what: `held msg ${m.id} ${formatBytes(m.size)}` }));

const perms = (f: StatusFields): number => Number.parseInt(f.get('perms')?.[0] ?? '0', 8) & 0o777;

/** An unnamed POSIX semaphore (by its 8-hex-digit id: it has no name) from its status. */
function unnamedSemRow(id: string, f: StatusFields): TopRow {
  const value = num(f.get('value')?.[0]);
  const undo = (f.get('undo') ?? []).map((l) => {
    const w = parseWords(l);
    return { pid: num(w.get('pid')), comm: w.get('comm') ?? '?', sem: num(w.get('sem')), adj: num(w.get('adj')) };
  });
  return {
    kind: 'psem',
    id,
    key: null,
    owner: ownerName(num(f.get('owner')?.[0])),
    perms: perms(f),
    value: String(value),
    waiters: num(f.get('ncnt')?.[0]) + num(f.get('zcnt')?.[0]),
    holders: undoHolders(undo, false),
    activity: { levels: [value], stamps: [stamp(f, 'otime')] },
  };
}

/** A pool: tokens free of its size; holders (and orphans) with their tokens; exact ops. */
export function poolRow(id: string, f: StatusFields): TopRow {
  const get = (k: string): string | undefined => f.get(k)?.[0];
  const tokens = (n: number): string => `${n} token${n === 1 ? '' : 's'}`;
  const holders: TopHolder[] = [];
  for (const l of f.get('holder') ?? []) {
    const w = parseWords(l);
    const cmd = w.get('cmdline');
    holders.push({ pid: num(w.get('pid')), comm: w.get('comm') ?? '?', what: `${tokens(num(w.get('tokens')))}${cmd ? `  ${cmd}` : ''}` });
  }
  for (const l of f.get('orphan') ?? []) {
    const w = parseWords(l);
    holders.push({ pid: num(w.get('pid')), comm: w.get('comm') ?? '?', what: `${tokens(num(w.get('tokens')))} (orphan of ${w.get('of')})` });
  }
  return {
    kind: 'pool',
    id,
    key: null,
    owner: ownerName(num(get('owner'))),
    perms: perms(f),
    value: `${get('free')}/${get('size')} free`,
    waiters: pids(get('waiting')).length,
    holders,
    activity: { counter: num(get('taken')) + num(get('returned')) + num(get('reclaimed')), levels: [], stamps: [] },
  };
}

/** Status files under dir by name (`/a`, `/sub/b` for subdirectories); none when dir is missing. */
function statusNames(dir: string, prefix = ''): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if (isVanished(err)) return [];
    throw err;
  }
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    if (e.isDirectory()) out.push(...statusNames(join(dir, e.name), `${prefix}/${e.name}`));
    else out.push(`${prefix}/${e.name}`);
  }
  return out;
}

/** Rows from the status files under dir that ipc-objects does not list (unnamed semaphores, pools). */
function fromStatusFiles(dir: string, build: (name: string, f: StatusFields) => TopRow): TopRow[] {
  const rows: TopRow[] = [];
  for (const name of statusNames(dir)) {
    try {
      rows.push(build(name, parseStatus(readToEnd(join(dir, name)))));
    } catch (err) {
      if (!isVanished(err)) throw err;
    }
  }
  return rows;
}

/** Every object's row, of the kinds asked for (all by default). */
export function readRows(mount: string, kinds: ReadonlySet<Kind> | null = null): TopRow[] {
  const want = (k: Kind): boolean => !kinds || kinds.has(k);
  const rows: TopRow[] = [];
  if (want('sem'))
    for (const s of listSysv(mount, 'sem')) {
      const values = s.sems.map((e) => e.value);
      rows.push({
        kind: 'sem',
        id: String(s.id),
        key: s.key,
        owner: ownerName(s.uid),
        perms: s.perms,
        value: values.join(' '),
        waiters: s.sems.reduce((n, e) => n + e.ncount + e.zcount, 0),
        holders: undoHolders(s.undo, true),
        activity: { levels: values, stamps: [stamp(s.fields, 'otime')] },
      });
    }
  if (want('msg'))
    for (const q of listSysv(mount, 'msg'))
      rows.push({
        kind: 'msg',
        id: String(q.id),
        key: q.key,
        owner: ownerName(q.uid),
        perms: q.perms,
        value: `${q.qnum} msg ${formatBytes(q.cbytes)}`,
        waiters: q.senders + q.receivers,
        holders: heldMessages(q.held),
        activity: { levels: [q.qnum, q.held.length], stamps: [stamp(q.fields, 'stime'), stamp(q.fields, 'rtime')] },
      });
  if (want('shm'))
    for (const m of listSysv(mount, 'shm'))
      rows.push({
        kind: 'shm',
        id: String(m.id),
        key: m.key,
        owner: ownerName(m.uid),
        perms: m.perms,
        value: `${formatBytes(m.size)} att ${m.nattch}${m.dest ? ' dest' : ''}`,
        waiters: 0,
        holders: [],
        activity: { levels: [m.nattch], stamps: [stamp(m.fields, 'atime'), stamp(m.fields, 'dtime')] },
      });
  if (want('psem')) {
    for (const s of listPosix(mount, 'sem'))
      rows.push({
        kind: 'psem',
        id: s.name,
        key: null,
        owner: ownerName(s.uid),
        perms: s.perms,
        value: String(s.value),
        waiters: s.ncount + s.zcount,
        holders: undoHolders(s.undo, false),
        activity: { levels: [s.value], stamps: [stamp(s.fields, 'otime')] },
      });
    rows.push(...fromStatusFiles(join(mount, 'semaphores', 'unnamed'), (name, f) => unnamedSemRow(name.slice(1), f)));
  }
  if (want('pmq'))
    for (const q of listPosix(mount, 'mq'))
      rows.push({
        kind: 'pmq',
        id: q.name,
        key: null,
        owner: ownerName(q.uid),
        perms: q.perms,
        value: `${q.messages}/${q.maxmsg} msg ${formatBytes(q.bytes)}`,
        waiters: q.senders.length + q.receivers.length,
        holders: heldMessages(q.held),
        activity: { levels: [q.messages, q.held.length], stamps: [stamp(q.fields, 'mtime')] },
      });
  if (want('pshm'))
    for (const m of listPosix(mount, 'shm'))
      rows.push({
        kind: 'pshm',
        id: m.name,
        key: null,
        owner: ownerName(m.uid),
        perms: m.perms,
        value: `${formatBytes(m.size)} open ${m.opens}${m.unlinked ? ' unlinked' : ''}`,
        waiters: 0,
        holders: [],
        activity: { levels: [m.opens], stamps: [stamp(m.fields, 'mtime')] },
      });
  if (want('pool')) rows.push(...fromStatusFiles(join(mount, 'jobserver', 'status'), poolRow));
  return rows;
}

/** One reading of the mount, stamped with a monotonic clock. */
export function readMount(mount: string, kinds: ReadonlySet<Kind> | null = null, now: () => number = () => performance.now()): Snapshot {
  const rows = readRows(mount, kinds);
  return { at: now(), rows };
}
