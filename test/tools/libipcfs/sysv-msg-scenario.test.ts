/**
 * libipcfs's System V message queues against glibc and the kernel: sysv-msg-scenario.c runs the
 * same calls through both (msgget's create/find/EEXIST/ENOENT, msgtyp 0, N, -N, MSG_EXCEPT,
 * MSG_NOERROR, E2BIG, ENOMSG, binary and empty texts, EINVAL in Linux's order, IPC_STAT's fields,
 * IPC_SET of qbytes and mode, a forked child's sleeping receive, EIDRM for a sleeper at IPC_RMID
 * and EINVAL after it, two threads and a forked child receiving at once) and each printed line
 * must be the same.
 */
import { builtOnce, builtWithLibipcfs } from '../../helpers/c-helper.js';
import { mountTest, withDaemon } from '../../helpers/mount.js';
import { onKernel, onMount } from './mq-run.js';

const test = mountTest();
const SOURCE = 'test/tools/libipcfs/sysv-msg-scenario.c';

async function compare(mode: string): Promise<{ kernel: string[]; ipcfs: string[] }> {
  const native = onKernel(builtOnce(SOURCE, ['-pthread']), [mode]);
  if (native.status !== 0) throw new Error(`native ${mode}: ${native.status} ${native.err}`);
  const ours = await withDaemon(async (d) => onMount(builtWithLibipcfs(SOURCE), [mode], d.dir));
  if (ours.status !== 0) throw new Error(`ipcfs ${mode}: ${ours.status} ${ours.err}`);
  return { kernel: native.out.trimEnd().split('\n'), ipcfs: ours.out.trimEnd().split('\n') };
}

test('msgget, msgsnd, msgrcv (types, MSG_EXCEPT, MSG_NOERROR, E2BIG, ENOMSG), IPC_STAT/IPC_SET/IPC_RMID as the kernel', async (t) => {
  const { kernel, ipcfs } = await compare('basic');
  t.true(kernel.includes('child sleeper: -1 EIDRM'));
  t.true(kernel.length > 40);
  t.deepEqual(ipcfs, kernel);
});

test('two threads and a forked child receiving on one msqid: each message once, whole', async (t) => {
  const { kernel, ipcfs } = await compare('concurrent');
  t.regex(kernel[0]!, /180 of 180 received exactly once, 0 broken, child status 0/);
  t.deepEqual(ipcfs, kernel);
});
