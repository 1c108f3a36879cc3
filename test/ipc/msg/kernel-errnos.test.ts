/**
 * Errnos and their order, against the kernel: the same msgget/msgsnd/msgrcv/msgctl calls by an
 * owner (root) and by nobody (setpriv) run on the kernel's queues and on MsgRegistry/MsgQueue, and
 * every answer must be the kernel's: ENOENT/EEXIST/EACCES of msgget, EINVAL before EACCES in
 * msgsnd, MSG_COPY's EINVAL before the permission check, EPERM of IPC_SET and IPC_RMID for others,
 * msg_qbytes above MSGMNB only for root, (uid_t)-1 as EINVAL, an over-full queue after IPC_SET.
 */
import { readFileSync } from 'node:fs';
import test from 'ava';
import { ErrnoError, errnoName } from '../../../ipc/errno.js';
import type { Caller, Received } from '../../../ipc/msg/msg-queue.js';
import { MsgRegistry, type SysvMsgQueue } from '../../../ipc/msg/registry.js';
import { blockedIn, startMsgActor } from './kernel-msg.js';

const CAP_SYS_RESOURCE = 24;

/** Whether this process (and so the owner actor, its child) has a capability in its effective set. */
function hasCapability(cap: number): boolean {
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0';
  return ((BigInt(`0x${hex}`) >> BigInt(cap)) & 1n) === 1n;
}

const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];

type Who = 'owner' | 'nobody';

/** One call on the model, answered as kernel-msg answers it (ids left out). */
function onModel(r: MsgRegistry, current: Map<Who, SysvMsgQueue>, who: Who, caller: Caller, line: string): string {
  const w = line.split(' ');
  const flags = new Set((w[3] ?? '').split(',').filter(Boolean));
  try {
    const q = current.get(who);
    switch (w[0]) {
      case 'get':
        current.set(who, r.msgget(Number(w[1]), Number(w[2]), caller));
        return 'ok';
      case 'snd': {
        const text = w[2]!.startsWith('@') ? Buffer.alloc(Number(w[2]!.slice(1)), 'x') : Buffer.from(w[2] === '-' ? '' : w[2]!);
        const res = q!.queue.msgsnd(Number(w[1]), text, { nowait: flags.has('nowait') }, caller, () => {});
        return res === 'done' ? 'ok' : 'sleeps';
      }
      case 'rcv': {
        const res = q!.queue.msgrcv({ type: Number(w[1]), maxSize: Number(w[2]), nowait: flags.has('nowait'), noerror: flags.has('noerror'), copy: flags.has('copy'), except: flags.has('except') }, caller, null, () => {});
        if ('kind' in res) return 'sleeps';
        const m = res as Received;
        return `ok ${m.type} ${m.data.length ? m.data.toString() : '-'}`;
      }
      case 'ipc_set': {
        const change: Record<string, number> = {};
        for (const kv of w.slice(1)) {
          const [k, v] = kv.split('=') as [string, string];
          change[k] = k === 'mode' ? parseInt(v, 8) : Number(v);
        }
        q!.queue.ipcSet(caller, change);
        return 'ok';
      }
      case 'rmid':
        r.rmid(q!, caller);
        return 'ok';
    }
    throw new Error(`unknown ${line}`);
  } catch (e) {
    if (e instanceof ErrnoError) return `err ${e.code}`;
    throw e;
  }
}

test('msgget, msgsnd, msgrcv, IPC_SET and IPC_RMID by the owner and by nobody: the kernel\'s errnos, in the kernel\'s order', async (t) => {
  const owner = await startMsgActor();
  const nobody = await startMsgActor(NOBODY);
  const kernel = { owner, nobody };
  let key = 0;
  try {
    // a key nobody uses: IPC_CREAT|IPC_EXCL makes sure
    for (let i = 0; i < 20 && !key; i++) {
      const k = 0x4d530000 + Math.floor(Math.random() * 0xffff);
      if ((await owner.run(`get ${k} ${0o3600}`)).startsWith('ok')) key = k;
    }
    t.not(key, 0, 'found a free key');
    const steps: [Who, string][] = [
      ['owner', `get ${key} ${0o3600}`],
      ['nobody', `get ${key} 0`],
      ['nobody', `get ${key} ${0o400}`],
      ['nobody', `get ${key} ${0o1400}`],
      ['nobody', `get ${key + 0x10000} 0`],
      ['nobody', `snd 1 @8193`],
      ['nobody', `snd 0 x`],
      ['nobody', `snd 1 x nowait`],
      ['nobody', `rcv 0 10 nowait`],
      ['nobody', `rcv 0 10 copy`],
      ['nobody', `rcv 0 -1 nowait`],
      ['nobody', `ipc_set qbytes=100`],
      ['nobody', `rmid`],
      ['owner', `ipc_set mode=0622`],
      ['nobody', `snd 1 ab nowait`],
      ['nobody', `rcv 0 10 nowait`],
      ['owner', `snd 3 @8192 nowait`],
      // ipcfs grants uid 0 what CAP_SYS_RESOURCE grants; the kernel checks the capability, which
      // a container's root may lack: the step runs only where the two agree on who is privileged
      ...(hasCapability(CAP_SYS_RESOURCE) ? [['owner', `ipc_set qbytes=40000`] as [Who, string]] : []),
      ['owner', `ipc_set mode=0666 uid=65534 gid=65534`],
      ['nobody', `ipc_set qbytes=16385`],
      ['nobody', `ipc_set qbytes=8000`],
      ['nobody', `snd 1 x nowait`],
      ['nobody', `rcv 0 1 nowait`],
      ['nobody', `rcv 0 1 nowait,noerror`],
      ['nobody', `rcv 2 10 nowait`],
      ['nobody', `rcv -2 10 nowait`],
      ['nobody', `ipc_set uid=4294967295`],
      ['owner', `ipc_set gid=4294967295`],
      ['nobody', `rmid`],
    ];
    const r = new MsgRegistry();
    const current = new Map<Who, SysvMsgQueue>();
    const callers: Record<Who, Caller> = { owner: { uid: 0, gid: 0, pid: 1 }, nobody: { uid: 65534, gid: 65534, groups: [], pid: 2 } };
    // the first step already ran on the kernel (the key search): the model creates it now
    const got: string[] = ['ok'];
    const want: string[] = [onModel(r, current, 'owner', callers.owner, steps[0]![1])];
    for (const [who, line] of steps.slice(1)) {
      got.push((await kernel[who].run(line)).replace(/^ok \d+$/, 'ok'));
      want.push(onModel(r, current, who, callers[who], line));
    }
    if (!hasCapability(CAP_SYS_RESOURCE)) t.log('root lacks CAP_SYS_RESOURCE here: msg_qbytes above MSGMNB by root not compared');
    t.deepEqual(
      want.map((w, i) => `${steps[i]![0]}: ${steps[i]![1]} -> ${w}`),
      got.map((g, i) => `${steps[i]![0]}: ${steps[i]![1]} -> ${g}`),
    );
    key = 0; // removed by the last step
  } finally {
    if (key) await owner.run(`get ${key} 0`).then(() => owner.run('rmid'));
    await Promise.all([owner.kill(), nobody.kill()]);
  }
});

test('sleeping callers check their permission again as the kernel does: a receiver at IPC_SET (EACCES), a sender only when room wakes it', async (t) => {
  const owner = await startMsgActor();
  const nobody = await startMsgActor(NOBODY);
  let key = 0;
  try {
    for (let i = 0; i < 20 && !key; i++) {
      const k = 0x4d540000 + Math.floor(Math.random() * 0xffff);
      if ((await owner.run(`get ${k} ${0o3666}`)).startsWith('ok')) key = k;
    }
    t.not(key, 0, 'found a free key');
    const r = new MsgRegistry();
    const callers: Record<Who, Caller> = { owner: { uid: 0, gid: 0, pid: 1 }, nobody: { uid: 65534, gid: 65534, groups: [], pid: 2 } };
    const q = r.msgget(key, 0o3666, callers.owner).queue;
    const model: Record<Who, string[]> = { owner: [], nobody: [] };
    const answer = (who: Who) => (e: number) => model[who].push(e ? `err ${errnoName(e)}` : 'ok');
    t.is(await nobody.run(`get ${key} 0`), await owner.run(`get ${key} 0`), 'both use the same queue');

    // a receiver sleeps; IPC_SET takes read permission away from it
    nobody.send('rcv 5 10');
    q.msgrcv({ type: 5, maxSize: 10 }, callers.nobody, null, answer('nobody'));
    t.true(await nobody.until(() => blockedIn(nobody.pid) === 'receive', 5000, 2), 'the receiver sleeps in the kernel');
    t.is(await owner.run('ipc_set mode=0600'), 'ok');
    q.ipcSet(callers.owner, { mode: 0o600 });
    t.true(await nobody.until(() => !nobody.busy, 5000, 2));
    t.deepEqual(nobody.take(), model.nobody.splice(0), 'EACCES at once');

    // a sender sleeps on a full queue; IPC_SET takes write permission away, but it stays asleep
    // (it does not fit, so ss_wakeup does not wake it) until a receive makes room
    t.is(await owner.run('ipc_set mode=0666 qbytes=4'), 'ok');
    q.ipcSet(callers.owner, { mode: 0o666, qbytes: 4 });
    t.is(await owner.run('snd 1 abcd'), 'ok');
    q.msgsnd(1, Buffer.from('abcd'), {}, callers.owner, () => {});
    nobody.send('snd 1 xy');
    q.msgsnd(1, Buffer.from('xy'), {}, callers.nobody, answer('nobody'));
    t.true(await nobody.until(() => blockedIn(nobody.pid) === 'send', 5000, 2), 'the sender sleeps in the kernel');
    t.is(await owner.run('ipc_set mode=0600'), 'ok');
    q.ipcSet(callers.owner, { mode: 0o600 });
    t.true(await nobody.until(() => blockedIn(nobody.pid) === 'send', 5000, 2), 'still asleep in the kernel');
    t.deepEqual(model.nobody, [], 'still asleep in the model');
    t.is(await owner.run('rcv 0 10 nowait'), 'ok 1 abcd');
    q.msgrcv({ maxSize: 10, nowait: true }, callers.owner, null, () => {});
    t.true(await nobody.until(() => !nobody.busy, 5000, 2));
    t.deepEqual(nobody.take(), model.nobody.splice(0), 'woken by the room, then EACCES');
    t.is(await owner.run('stat').then((s) => s.split(' ').slice(1, 3).join(' ')), `${q.cbytes} ${q.qnum}`);
  } finally {
    if (key) await owner.run(`get ${key} 0`).then(() => owner.run('rmid'));
    await Promise.all([owner.kill(), nobody.kill()]);
  }
});
