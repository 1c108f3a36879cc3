/**
 * `ipcfs jobserver` over a real mount, with the machine's GNU make as the judge of what it
 * publishes: make reads the MAKEFLAGS the command sets (its own $(MAKEFLAGS) shows what it made of
 * them, and it warns when it cannot use the jobserver), the exit status is CMD's, the pool is gone
 * afterwards, and a nested run joins the pool it runs under. tools/makeflags.ts by example.
 */
import anyTest from 'ava';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ipcfsTool, scratch, shell, text } from '../helpers/cli.js';
import { mountTest, withDaemon } from '../helpers/mount.js';
import { jobserverAuth, joinMakeflags, withoutJobOptions } from '../../tools/makeflags.js';

const test = mountTest();

test('a pool of N-1 tokens for CMD; the exit status is CMD\'s (128+N for a signal, 127 when it cannot start); the pool is removed', async (t) => {
  await withDaemon(async ({ dir }) => {
    const named = join(dir, 'jobserver', 'named');
    const r = await ipcfsTool('jobserver', dir, ['-j', '3', '--', 'sh', '-c', 'cat "$(dirname "$IPCFS_JOBSERVER")/../status/$(basename "$IPCFS_JOBSERVER")" | grep -E "^(size|reaper):"; exit 7']);
    t.is(r.code, 7, r.err);
    t.regex(text(r), /^size: 2\nreaper: \d+\n$/);
    t.is((await ipcfsTool('jobserver', dir, ['-j', '2', '--', 'sh', '-c', 'kill -TERM $$'])).code, 128 + 15);
    const missing = await ipcfsTool('jobserver', dir, ['-j', '2', '--', '/nonexistent/cmd']);
    t.is(missing.code, 127);
    t.regex(missing.err, /nonexistent/);
    t.deepEqual(readdirSync(named).filter((n) => n !== '.new'), [], 'no pool left behind');
  });
});

test('GNU make takes the published MAKEFLAGS: keeps the user\'s flags and variables, drops a parent\'s jobserver, runs -jN', async (t) => {
  await withDaemon(async ({ dir }) => {
    const work = scratch(t, 'ipcfs-js-');
    writeFileSync(join(work, 'Makefile'), 'all:\n\t@echo "FLAGS=$(MAKEFLAGS)"\n\t@echo "FOO=$(FOO)"\n');
    const env: NodeJS.ProcessEnv = { ...process.env, MAKEFLAGS: 'k -j8 --jobserver-auth=5,6 -- FOO=bar' };
    delete env.IPCFS_JOBSERVER;
    const r = await shell([process.execPath, join(process.cwd(), 'dist/tools/ipcfs.js'), 'jobserver', '--mount', dir, '-j', '3', '--', 'make', '-C', work, '--no-print-directory'], '', env);
    t.is(r.code, 0, r.err);
    t.notRegex(r.err, /warning|jobserver unavailable/i, 'make used the jobserver');
    const flags = /^FLAGS=(.*)$/m.exec(text(r))![1]!;
    t.regex(flags, /(^|\s)k|^k/, 'the user\'s -k');
    t.regex(flags, /-j3 --jobserver-auth=3,4/);
    t.notRegex(flags, /5,6|-j8/);
    t.regex(text(r), /^FOO=bar$/m);
  });
});

test('nested: a run under a pool joins it (by IPCFS_JOBSERVER, or by MAKEFLAGS\'s descriptors) and makes no second pool', async (t) => {
  await withDaemon(async ({ dir }) => {
    const cli = `${process.execPath} ${join(process.cwd(), 'dist/tools/ipcfs.js')}`;
    const inner = `${cli} jobserver --mount ${dir} -j 9 -- sh -c 'echo "$IPCFS_JOBSERVER $MAKEFLAGS"; ls ${dir}/jobserver/named | wc -l'`;
    const r = await ipcfsTool('jobserver', dir, ['-j', '3', '--name', 'outer', '--', 'sh', '-c', `${inner}; env -u IPCFS_JOBSERVER ${inner}`]);
    t.is(r.code, 0, r.err);
    const lines = text(r).trim().split('\n');
    t.is(lines.length, 4);
    for (const i of [0, 2]) t.is(lines[i], `${join(dir, 'jobserver', 'named', 'outer')}  -j3 --jobserver-auth=3,4`, 'the outer pool, its size + 1 jobs');
    for (const i of [1, 3]) t.is(lines[i], '1', 'one pool only');
  });
});

anyTest('makeflags: job options dropped wherever they are, the rest kept in order; ours last; the last --jobserver-auth is the one', (t) => {
  t.is(withoutJobOptions(' -j8 --jobserver-auth=3,4'), '');
  t.is(withoutJobOptions('ks -j --jobs=3 --jobserver-fds=1,2 -l2 -- A=1 B=-j4'), 'ks -l2 -- A=1 B=-j4');
  t.is(withoutJobOptions('-j 4 --no-print-directory'), '--no-print-directory');
  t.is(joinMakeflags('', 4, '3,4'), ' -j4 --jobserver-auth=3,4');
  t.is(joinMakeflags('k', 4, 'fifo:/p'), 'k -j4 --jobserver-auth=fifo:/p');
  t.is(joinMakeflags('k -j2 -- V=1', 4, '3,4'), 'k -j4 --jobserver-auth=3,4 -- V=1');
  t.is(joinMakeflags('-- V=1', 2, '3,4'), ' -j2 --jobserver-auth=3,4 -- V=1');
  t.is(jobserverAuth(' -j4 --jobserver-fds=5,6 --jobserver-auth=fifo:/x -- X=--jobserver-auth=9,9'), 'fifo:/x');
  t.is(jobserverAuth('k'), null);
});
