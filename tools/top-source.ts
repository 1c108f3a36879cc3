/**
 * `ipcfs top`'s reading of the mount: every object's status file, made into TopRows. Only the
 * mount's files are read (docs/protocol.md is the contract); an object that vanishes between its
 * directory listing and its status read is skipped, as ipcs does, and one whose status the caller
 * may not read is shown from its file's owner and mode alone.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readToEnd } from './cli-io.js';
import { type Kind, type Snapshot, type TopHolder, type TopRow } from './top-model.js';

/** A status text as its `key: value` lines; a key may repeat (undo:, held:, holder:). */
export function parseStatus(text: string): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([a-z][a-z0-9 -]*): ?(.*)$/.exec(line);
    if (!m) continue;
    const list = fields.get(m[1]!) ?? [];
    list.push(m[2]!);
    fields.set(m[1]!, list);
  }
  return fields;
}

/** `pid=4242 comm=make sem=0 adj=1` as its fields; cmdline= is last and keeps its spaces. */
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

let users: Map<number, string> | null = null;

/** A uid's login name from /etc/passwd (read once), else the number. */
export function ownerName(uid: number): string {
  if (!users) {
    users = new Map();
    try {
      for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
        const f = line.split(':');
        if (f.length > 3 && !users.has(Number(f[2]))) users.set(Number(f[2]), f[0]!);
      }
    } catch {
      // no passwd file: numbers
    }
  }
  return users.get(uid) ?? String(uid);
}

/** A signed 32-bit key from the status's `0x0000162e`. */
const sysvKey = (s: string | undefined): number => (s ? Number.parseInt(s, 16) | 0 : 0);

/** Undo adjustments, one holder per process: "undo sem 0 +1, sem 2 -1". */
function undoHolders(lines: readonly string[]): TopHolder[] {
  const byPid = new Map<number, { comm: string; adj: string[] }>();
  for (const l of lines) {
    const w = parseWords(l);
    const pid = num(w.get('pid'));
    const h = byPid.get(pid) ?? { comm: w.get('comm') ?? '?', adj: [] };
    const adj = num(w.get('adj'));
    h.adj.push(`${w.has('sem') ? `sem ${w.get('sem')} ` : ''}${adj > 0 ? '+' : ''}${adj}`);
    byPid.set(pid, h);
  }
  return [...byPid].map(([pid, h]) => ({ pid, comm: h.comm, what: `undo ${h.adj.join(', ')}` }));
}

/** Messages received with undo and not yet acknowledged, one holder line each. */
function heldMessages(lines: readonly string[]): TopHolder[] {
  return lines
    .map(parseWords)
    .filter((w) => w.has('pid'))
    .map((w) => ({ pid: num(w.get('pid')), comm: w.get('comm') ?? '?', what: `held msg ${w.has('id') ? `${w.get('id')} ` : ''}${formatBytes(num(w.get('size')))}` }));
}

function semRow(kind: Kind, id: string, f: Map<string, string[]>): TopRow {
  const values = (f.get('value')?.[0] ?? '').split(' ').filter(Boolean).map(Number);
  return {
    kind,
    id,
    key: kind === 'sem' ? sysvKey(f.get('key')?.[0]) : null,
    owner: ownerName(num(f.get('owner')?.[0])),
    perms: Number.parseInt(f.get('perms')?.[0] ?? '0', 8),
    value: values.join(' '),
    waiters: num(f.get('ncnt')?.[0]) + num(f.get('zcnt')?.[0]),
    holders: undoHolders(f.get('undo') ?? []),
    activity: { levels: values, stamps: [f.get('otime')?.[0] ?? ''] },
  };
}

function msgRow(id: string, f: Map<string, string[]>): TopRow {
  const get = (k: string): string | undefined => f.get(k)?.[0];
  return {
    kind: 'msg',
    id,
    key: sysvKey(get('key')),
    owner: ownerName(num(get('owner'))),
    perms: Number.parseInt(get('perms') ?? '0', 8),
    value: `${get('qnum')} msg ${formatBytes(num(get('cbytes')))}`,
    waiters: num(get('senders')) + num(get('receivers')),
    holders: heldMessages((f.get('held') ?? []).filter((l) => l.includes('='))),
    activity: { levels: [num(get('qnum'))], stamps: [get('stime') ?? '', get('rtime') ?? ''] },
  };
}

function shmRow(id: string, f: Map<string, string[]>): TopRow {
  const get = (k: string): string | undefined => f.get(k)?.[0];
  return {
    kind: 'shm',
    id,
    key: sysvKey(get('key')),
    owner: ownerName(num(get('owner'))),
    perms: Number.parseInt(get('perms') ?? '0', 8),
    value: `${formatBytes(num(get('segsz')))} att ${get('nattch')}${get('status') === 'dest' ? ' dest' : ''}`,
    waiters: 0,
    holders: [],
    activity: { levels: [num(get('nattch'))], stamps: [get('atime') ?? '', get('dtime') ?? ''] },
  };
}

function pmqRow(id: string, text: string, f: Map<string, string[]>): TopRow {
  const get = (k: string): string | undefined => f.get(k)?.[0];
  const qsize = num(/QSIZE:(\d+)/.exec(text)?.[1]);
  return {
    kind: 'pmq',
    id,
    key: null,
    owner: ownerName(num(get('owner'))),
    perms: Number.parseInt(get('perms') ?? '0', 8),
    value: `${get('curmsgs')}/${get('maxmsg')} msg ${formatBytes(qsize)}`,
    waiters: pids(get('senders')).length + pids(get('receivers')).length,
    holders: heldMessages((f.get('held') ?? []).filter((l) => l.includes('='))),
    activity: { levels: [num(get('curmsgs'))], stamps: [get('mtime') ?? ''] },
  };
}

function pshmRow(id: string, f: Map<string, string[]>): TopRow {
  const get = (k: string): string | undefined => f.get(k)?.[0];
  return {
    kind: 'pshm',
    id,
    key: null,
    owner: ownerName(num(get('owner'))),
    perms: Number.parseInt(get('perms') ?? '0', 8),
    value: `${formatBytes(num(get('size')))} open ${get('opens')}${get('unlinked') === 'yes' ? ' unlinked' : ''}`,
    waiters: 0,
    holders: [],
    activity: { levels: [num(get('opens'))], stamps: [get('mtime') ?? ''] },
  };
}

/** A pool: tokens free of its size; holders (and orphans) with their tokens; exact ops. */
export function poolRow(id: string, f: Map<string, string[]>): TopRow {
  const get = (k: string): string | undefined => f.get(k)?.[0];
  const holders: TopHolder[] = [];
  for (const l of f.get('holder') ?? []) {
    const w = parseWords(l);
    const tokens = num(w.get('tokens'));
    const cmd = w.get('cmdline');
    holders.push({ pid: num(w.get('pid')), comm: w.get('comm') ?? '?', what: `${tokens} token${tokens === 1 ? '' : 's'}${cmd ? `  ${cmd}` : ''}` });
  }
  for (const l of f.get('orphan') ?? []) {
    const w = parseWords(l);
    const tokens = num(w.get('tokens'));
    holders.push({ pid: num(w.get('pid')), comm: w.get('comm') ?? '?', what: `${tokens} token${tokens === 1 ? '' : 's'} (orphan of ${w.get('of')})` });
  }
  return {
    kind: 'pool',
    id,
    key: null,
    owner: ownerName(num(get('owner'))),
    perms: Number.parseInt(get('perms') ?? '0', 8),
    value: `${get('free')}/${get('size')} free`,
    waiters: pids(get('waiting')).length,
    holders,
    activity: { counter: num(get('taken')) + num(get('returned')) + num(get('reclaimed')), levels: [], stamps: [] },
  };
}

const gone = (err: unknown): boolean => ['ENOENT', 'EIDRM', 'UNKNOWN'].includes((err as NodeJS.ErrnoException).code ?? '');

/** Entries of a directory (none when it is missing); names starting with '.' and by-key/ left out. */
function entries(dir: string): { name: string; isDir: boolean }[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => !e.name.startsWith('.') && e.name !== 'by-key')
      .map((e) => ({ name: e.name, isDir: e.isDirectory() }));
  } catch (err) {
    if (gone(err)) return [];
    throw err;
  }
}

/** POSIX names under dir: a subdirectory is a '/' in the name. */
function namesUnder(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of entries(dir)) {
    if (e.isDir) out.push(...namesUnder(join(dir, e.name), `${prefix}/${e.name}`));
    else out.push(`${prefix}/${e.name}`);
  }
  return out;
}

/** An object whose status the caller may not read: what its file's stat says. */
function unreadable(kind: Kind, id: string, path: string): TopRow | null {
  try {
    const st = statSync(path);
    return { kind, id, key: null, owner: ownerName(st.uid), perms: st.mode & 0o777, value: '(no read permission)', waiters: 0, holders: [], activity: { levels: [], stamps: [] } };
  } catch {
    return null;
  }
}

type Build = (id: string, text: string, fields: Map<string, string[]>) => TopRow;

/** Where each kind lives, how its ids are found, and how a status becomes a row. */
const SOURCES: { kind: Kind; dir: string; ids: (dir: string) => string[]; file: (id: string) => string; build: Build }[] = [
  { kind: 'sem', dir: 'semaphores/sysv', ids: (d) => entries(d).filter((e) => /^\d+$/.test(e.name)).map((e) => e.name), file: (id) => id, build: (id, _t, f) => semRow('sem', id, f) },
  { kind: 'msg', dir: 'mqueue/sysv', ids: (d) => entries(d).filter((e) => /^\d+$/.test(e.name)).map((e) => e.name), file: (id) => id, build: (id, _t, f) => msgRow(id, f) },
  { kind: 'shm', dir: 'shared-memory/status/sysv', ids: (d) => entries(d).filter((e) => /^\d+$/.test(e.name)).map((e) => e.name), file: (id) => id, build: (id, _t, f) => shmRow(id, f) },
  { kind: 'psem', dir: 'semaphores/named', ids: (d) => namesUnder(d), file: (id) => id.slice(1), build: (id, _t, f) => semRow('psem', id, f) },
  // unnamed POSIX semaphores by their 8-hex-digit id (no leading '/': they have no name)
  { kind: 'psem', dir: 'semaphores/unnamed', ids: (d) => entries(d).filter((e) => !e.isDir).map((e) => e.name), file: (id) => id, build: (id, _t, f) => semRow('psem', id, f) },
  { kind: 'pmq', dir: 'mqueue/named', ids: (d) => namesUnder(d), file: (id) => id.slice(1), build: (id, t, f) => pmqRow(id, t, f) },
  { kind: 'pshm', dir: 'shared-memory/status/named', ids: (d) => namesUnder(d), file: (id) => id.slice(1), build: (id, _t, f) => pshmRow(id, f) },
  { kind: 'pool', dir: 'jobserver/status', ids: (d) => namesUnder(d), file: (id) => id.slice(1), build: (id, _t, f) => poolRow(id, f) },
];

/** Reads every object of the kinds asked for (all by default). */
export function readMount(mount: string, kinds: ReadonlySet<Kind> | null = null, now: () => number = () => performance.now()): Snapshot {
  const rows: TopRow[] = [];
  for (const s of SOURCES) {
    if (kinds && !kinds.has(s.kind)) continue;
    const dir = join(mount, s.dir);
    for (const id of s.ids(dir)) {
      const path = join(dir, s.file(id));
      try {
        const text = readToEnd(path);
        rows.push(s.build(id, text, parseStatus(text)));
      } catch (err) {
        if (gone(err)) continue;
        if ((err as NodeJS.ErrnoException).code !== 'EACCES') throw err;
        const row = unreadable(s.kind, id, path);
        if (row) rows.push(row);
      }
    }
  }
  return { at: now(), rows };
}
