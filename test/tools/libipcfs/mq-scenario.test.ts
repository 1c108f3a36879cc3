/**
 * libipcfs's POSIX message queues against glibc and the kernel: mq-scenario.c runs the same calls
 * through both (names, umask, attributes, priorities, binary and empty payloads, EAGAIN, ETIMEDOUT,
 * EMSGSIZE, EBADF, EINVAL in Linux's order, mq_setattr, two threads and a forked child receiving on
 * one mqd at once, notification by signal and by thread) and each line it prints must be the same, except the differences
 * docs/protocol.md gives (asserted here as such).
 */
import { builtOnce, builtWithLibipcfs } from '../../helpers/c-helper.js';
import { mountTest, withDaemon } from '../../helpers/mount.js';
import { onKernel, onMount } from './mq-run.js';

const test = mountTest();
const SOURCE = 'test/tools/libipcfs/mq-scenario.c';

async function compare(mode: string): Promise<{ kernel: string[]; ipcfs: string[] }> {
  const native = onKernel(builtOnce(SOURCE, ['-pthread']), [mode]);
  if (native.status !== 0) throw new Error(`native ${mode}: ${native.status} ${native.err}`);
  // --allow-other: the notify scenario's sender drops to another user, as on a shared mount
  const ours = await withDaemon(async (d) => onMount(builtWithLibipcfs(SOURCE), [mode], d.dir), { args: ['--allow-other'] });
  if (ours.status !== 0) throw new Error(`ipcfs ${mode}: ${ours.status} ${ours.err}`);
  return { kernel: native.out.trimEnd().split('\n'), ipcfs: ours.out.trimEnd().split('\n') };
}

test('names, umask, attributes, priorities, payloads and every errno as glibc + the kernel', async (t) => {
  const { kernel, ipcfs } = await compare('basic');
  t.true(kernel.length > 50);
  t.deepEqual(ipcfs, kernel);
});

test('two threads and a forked child receiving on one mqd: each message once, whole', async (t) => {
  const { kernel, ipcfs } = await compare('concurrent');
  t.regex(kernel[0]!, /180 of 180 received exactly once, 0 broken, child status 0/);
  t.deepEqual(ipcfs, kernel);
});

test('mq_notify: once, the registrant only, EBUSY, unregister, SIGEV_NONE, ended by mq_close', async (t) => {
  const { kernel, ipcfs } = await compare('notify');
  // __do_notify's siginfo, field by field: SI_MESGQ, sigev_value, and the sender's pid and uid
  t.true(kernel.includes('si_code: SI_MESGQ'));
  t.true(kernel.includes('si_value: 42, si_pid: self, si_uid: 0'));
  t.true(kernel.includes('si_value: the pointer, si_pid: the sender, si_uid: 65534'));
  t.deepEqual(ipcfs, kernel);
});

test('SIGEV_THREAD: the function runs once on another thread with sigev_value; EBUSY, mq_notify(NULL) as glibc', async (t) => {
  const { kernel, ipcfs } = await compare('thread');
  t.true(kernel.includes('notification: value=7 on another thread=1'));
  t.true(kernel.includes('re-registered at once 40 times: 0 failed calls, the fired function ran 40 times'));
  t.deepEqual(ipcfs, kernel);
});
