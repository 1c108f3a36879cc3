/**
 * The command language written to semaphore files (docs/protocol.md is the contract). One command
 * (tree/command-framing.ts turns writes into commands); tokens separated by blanks. Parsing is pure and
 * throws EINVAL with a message naming what is wrong, before anything changes.
 */
import { Errno, fail } from '../../ipc/errno.js';
import type { SemOp } from '../../ipc/semaphores/sem-set.js';

export type Command =
  | { verb: 'op'; ops: SemOp[]; timeoutMs: number | null; timeoutErrno: number }
  | { verb: 'setval'; num: number; value: number }
  | { verb: 'setall'; values: number[] }
  | { verb: 'ipc_set'; uid?: number; gid?: number; mode?: number }
  | { verb: 'rmid' };

const isInt = (s: string): boolean => /^[+-]?\d+$/.test(s);

function int(s: string | undefined, what: string): number {
  if (s === undefined || !isInt(s)) fail(Errno.EINVAL, `${what}: expected an integer, got "${s ?? ''}"`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) fail(Errno.EINVAL, `${what}: ${s} is out of range`);
  return n;
}

/** uid=/gid= of ipc_set: decimal 0..4294967294; -1, negatives and anything past 32 bits are EINVAL. */
function id(s: string | undefined, what: string): number {
  if (s === undefined || !/^\d{1,10}$/.test(s)) fail(Errno.EINVAL, `${what}: expected an id 0..4294967294, got "${s ?? ''}"`);
  const n = Number(s);
  if (n >= 0xffffffff) fail(Errno.EINVAL, `${what}: ${s} is not a valid id (0..4294967294)`);
  return n;
}

function seconds(s: string, what: string): number {
  if (!/^\d+(\.\d+)?$/.test(s)) fail(Errno.EINVAL, `${what}: expected seconds, got "${s}"`);
  return Math.round(Number(s) * 1000);
}

/** Flags of one semop: undo|SEM_UNDO, nowait|IPC_NOWAIT, joined by ',' or '|'. */
function opFlags(s: string): { undo: boolean; nowait: boolean } {
  const f = { undo: false, nowait: false };
  for (const part of s.split(/[,|]/).filter(Boolean)) {
    const p = part.toLowerCase();
    if (p === 'undo' || p === 'sem_undo') f.undo = true;
    else if (p === 'nowait' || p === 'ipc_nowait') f.nowait = true;
    else fail(Errno.EINVAL, `unknown flag "${part}" (undo, nowait)`);
  }
  return f;
}

/**
 * kind 'posix' times out with ETIMEDOUT (sem_timedwait), 'sysv' with EAGAIN (semtimedop).
 * POSIX verbs work on SysV sets too, on semaphore 0.
 */
export function parseCommand(text: string, kind: 'posix' | 'sysv'): Command {
  // The bare verbs a jobserver writes all day, spelled exactly: no tokenizing on the path from a
  // post to its waiter's reply. Anything else (case, blanks, options) takes the general path below.
  if (text === 'post' || text === 'wait' || text === 'trywait') {
    const ops = [{ num: 0, op: text === 'post' ? 1 : -1, undo: false, nowait: text === 'trywait' }];
    return { verb: 'op', ops, timeoutMs: null, timeoutErrno: kind === 'posix' ? Errno.ETIMEDOUT : Errno.EAGAIN };
  }
  const words = text.trim().split(/\s+/).filter(Boolean);
  const verb = words.shift()?.toLowerCase();
  if (!verb) fail(Errno.EINVAL, 'empty command');
  const timeoutErrno = kind === 'posix' ? Errno.ETIMEDOUT : Errno.EAGAIN;
  let timeoutMs: number | null = null;
  const flags = { undo: false, nowait: false };
  // options common to the waiting verbs
  const rest: string[] = [];
  for (const w of words) {
    const lw = w.toLowerCase();
    if (lw === 'undo') flags.undo = true;
    else if (lw === 'nowait') flags.nowait = true;
    else if (lw.startsWith('timeout=')) timeoutMs = seconds(w.slice(8), 'timeout');
    else rest.push(w);
  }
  const noRest = (): void => {
    if (rest.length) fail(Errno.EINVAL, `${verb}: unexpected "${rest.join(' ')}"`);
  };
  switch (verb) {
    case 'post':
    case 'wait':
    case 'trywait':
    case 'timedwait': {
      if (verb === 'timedwait') {
        const t = rest.shift();
        if (t === undefined) fail(Errno.EINVAL, 'timedwait: seconds expected');
        timeoutMs = seconds(t, 'timedwait');
      }
      noRest();
      const op = verb === 'post' ? 1 : -1;
      if (verb === 'post' && (timeoutMs !== null || flags.nowait)) fail(Errno.EINVAL, 'post never waits');
      return { verb: 'op', ops: [{ num: 0, op, undo: flags.undo, nowait: flags.nowait || verb === 'trywait' }], timeoutMs, timeoutErrno };
    }
    case 'op': {
      if (flags.undo || flags.nowait) fail(Errno.EINVAL, 'op: put flags on each operation (0:-1:undo)');
      if (!rest.length) fail(Errno.EINVAL, 'op: at least one SEM:OP[:FLAGS] expected');
      const ops = rest.map((spec): SemOp => {
        const [num, op, fl, extra] = spec.split(':');
        if (extra !== undefined || op === undefined) fail(Errno.EINVAL, `op: "${spec}" is not SEM:OP[:FLAGS]`);
        const n = int(num, 'op: semaphore number');
        const o = int(op, 'op: sem_op');
        if (o < -32768 || o > 32767) fail(Errno.EINVAL, `op: sem_op ${o} is not a short`);
        return { num: n, op: o, ...opFlags(fl ?? '') };
      });
      return { verb: 'op', ops, timeoutMs, timeoutErrno };
    }
    case 'set':
    case 'setval': {
      if (timeoutMs !== null || flags.undo || flags.nowait) fail(Errno.EINVAL, `${verb}: takes no flags`);
      if (verb === 'set') {
        const value = int(rest.shift(), 'set: value');
        noRest();
        return { verb: 'setval', num: 0, value };
      }
      const num = int(rest.shift(), 'setval: semaphore number');
      const value = int(rest.shift(), 'setval: value');
      noRest();
      return { verb: 'setval', num, value };
    }
    case 'setall': {
      if (!rest.length) fail(Errno.EINVAL, 'setall: values expected');
      return { verb: 'setall', values: rest.map((v) => int(v, 'setall: value')) };
    }
    case 'ipc_set': {
      const c: Command = { verb: 'ipc_set' };
      for (const kv of rest) {
        const [k, v, extra] = kv.split('=');
        if (extra !== undefined) fail(Errno.EINVAL, `ipc_set: "${kv}" is not uid=N, gid=N or mode=OCTAL`);
        if (k === 'uid') c.uid = id(v, 'uid');
        else if (k === 'gid') c.gid = id(v, 'gid');
        else if (k === 'mode' && v && /^[0-7]{1,4}$/.test(v)) c.mode = parseInt(v, 8);
        else fail(Errno.EINVAL, `ipc_set: "${kv}" is not uid=N, gid=N or mode=OCTAL`);
      }
      if (c.uid === undefined && c.gid === undefined && c.mode === undefined) fail(Errno.EINVAL, 'ipc_set: nothing to set');
      return c;
    }
    case 'rmid':
      noRest();
      return { verb: 'rmid' };
    default:
      fail(Errno.EINVAL, `unknown command "${verb}"`);
  }
}
