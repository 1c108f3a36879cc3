/**
 * Mounting and unmounting. Two ways in:
 *  - root: open /dev/fuse ourselves and run `mount -i -t fuse.ipcfs -o fd=3,...` with the device at
 *    the child's stdio slot 3 (mount(2) returns at once; the kernel then sends INIT on the fd);
 *  - anyone else: fusermount3 (setuid, Debian package fuse3) mounts and sends the device fd back
 *    over the unix socket named by _FUSE_COMMFD (SCM_RIGHTS), received by our addon.
 * Before mounting, a mountpoint left by a daemon that died (stat says ENOTCONN, "Transport endpoint
 * is not connected") is lazily unmounted, so a SIGKILLed daemon never breaks the next start.
 */
import { execFile, spawnSync } from 'node:child_process';
import { accessSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, realpathSync, statSync, statfsSync, constants as fsc } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { native } from './native.js';
import { errnoName } from './errno.js';

export interface MountOptions {
  mountpoint: string;
  /** The source shown in /proc/mounts; also the subtype: fuse.<name>. */
  name?: string;
  allowOther?: boolean;
  /** Let the kernel check mode bits against the attributes we report (on by default). */
  defaultPermissions?: boolean;
  /** Force the fusermount3 path even as root (tests). */
  viaFusermount?: boolean;
  log: Logger;
}

export interface Mounted {
  fd: number;
  mountpoint: string;
  method: 'mount' | 'fusermount3';
}

export class MountError extends Error {
  override name = 'MountError';
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** Why this process cannot mount here, or null when it can. */
export function mountUnavailable(): string | null {
  if (!existsSync('/dev/fuse')) return '/dev/fuse does not exist (no fuse module, or a container without the device)';
  if (isRoot()) {
    try {
      closeSync(openSync('/dev/fuse', fsc.O_RDWR));
    } catch (err) {
      return `cannot open /dev/fuse: ${(err as Error).message}`;
    }
    return null;
  }
  if (!findFusermount()) return 'not root and fusermount3 is not installed (Debian package fuse3)';
  try {
    accessSync('/dev/fuse', fsc.R_OK | fsc.W_OK);
  } catch {
    return '/dev/fuse is not readable and writable by this user (udev normally makes it 0666)';
  }
  return null;
}

export function findFusermount(): string | null {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':').concat(['/usr/bin', '/bin'])) {
    const p = join(dir, 'fusermount3');
    if (existsSync(p)) return p;
  }
  return null;
}

/** The absolute path of dir without touching dir itself (a dead mount cannot be stat'ed). */
function absolute(dir: string): string {
  const abs = resolve(dir);
  try {
    return join(realpathSync(dirname(abs)), basename(abs));
  } catch {
    return abs;
  }
}

/** Mount points at this path, from /proc/self/mountinfo (field 5), with their fstype. */
export function mountsAt(path: string): string[] {
  const info = readFileSync('/proc/self/mountinfo', 'utf8');
  const out: string[] = [];
  for (const line of info.split('\n')) {
    const parts = line.split(' ');
    const sep = parts.indexOf('-');
    if (sep < 0) continue;
    if (unescapeMountPath(parts[4] ?? '') === path) out.push(parts[sep + 1] ?? '');
  }
  return out;
}

function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * 'stale' (dead FUSE daemon), 'live' (answers), or 'none'. statfs, not stat: the kernel may answer
 * stat from cached attributes for a while after the daemon died, but always sends STATFS.
 */
export function mountState(dir: string): 'stale' | 'live' | 'none' {
  const path = absolute(dir);
  try {
    statfsSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTCONN' || code === 'ECONNABORTED') return 'stale';
    if (code === 'ENOENT') return 'none';
    throw err;
  }
  return mountsAt(path).some((t) => t.startsWith('fuse')) ? 'live' : 'none';
}

/** The commands that unmount path: a plain unmount, then a lazy one if the mount is busy. */
function unmountCommands(path: string): string[][] {
  if (isRoot()) return [['umount', path], ['umount', '-l', path]];
  const fusermount = findFusermount() ?? 'fusermount3';
  return [[fusermount, '-u', path], [fusermount, '-u', '-z', path]];
}

/**
 * Unmounts a FUSE mount whose daemon is gone (synchronous: nobody has to answer for it). A daemon
 * unmounting its own live mount must use unmountAsync: umount may stat the mountpoint, and the
 * request would wait for the very loop that waits for umount.
 */
export function unmount(dir: string, log?: Logger): void {
  const path = absolute(dir);
  let lastErr = '';
  for (const [cmd, ...args] of unmountCommands(path)) {
    const r = spawnSync(cmd!, args, { encoding: 'utf8' });
    if (r.status === 0) {
      log?.info({ mountpoint: path, how: [cmd, ...args].join(' ') }, 'unmounted');
      return;
    }
    lastErr = (r.stderr || r.error?.message || `exit ${r.status}`).trim();
  }
  throw new MountError(`cannot unmount ${path}: ${lastErr}`);
}

/** Unmounts while this process keeps serving requests (see unmount). */
export async function unmountAsync(dir: string, log?: Logger): Promise<void> {
  const path = absolute(dir);
  let lastErr = '';
  for (const [cmd, ...args] of unmountCommands(path)) {
    const err = await new Promise<Error | null>((done) => execFile(cmd!, args, (e) => done(e)));
    if (!err) {
      log?.info({ mountpoint: path, how: [cmd, ...args].join(' ') }, 'unmounted');
      return;
    }
    lastErr = err.message.trim();
  }
  throw new MountError(`cannot unmount ${path}: ${lastErr}`);
}

/** Recovers a mountpoint left behind by a daemon that died; refuses one a live daemon serves. */
export function prepareMountpoint(dir: string, log: Logger): string {
  const path = absolute(dir);
  const state = mountState(path);
  if (state === 'stale') {
    log.warn({ mountpoint: path }, 'found a stale FUSE mount (Transport endpoint is not connected); unmounting it');
    unmount(path, log);
  } else if (state === 'live') {
    throw new MountError(`${path} is already a live FUSE mount: unmount it first (ipcfs umount ${path})`);
  }
  if (!existsSync(path)) mkdirSync(path, { recursive: true });
  if (!statSync(path).isDirectory()) throw new MountError(`${path} is not a directory`);
  return path;
}

/**
 * Mount options. fsname/subtype are fusermount3's (the kernel refuses them: mount(8) gives the
 * source and -t fuse.<name> the subtype); default_permissions and allow_other are the kernel's.
 */
function optionString(o: MountOptions, name: string, forFusermount: boolean): string {
  const opts = forFusermount ? [`fsname=${name}`, `subtype=${name}`] : [];
  if (o.defaultPermissions ?? true) opts.push('default_permissions');
  if (o.allowOther) opts.push('allow_other');
  return opts.join(',');
}

/** Mounts and returns the /dev/fuse fd of the new connection. */
export function mount(o: MountOptions): Mounted {
  const name = o.name ?? 'ipcfs';
  const path = prepareMountpoint(o.mountpoint, o.log);
  if (isRoot() && !o.viaFusermount) return mountAsRoot(path, name, o);
  return mountWithFusermount(path, name, o);
}

function mountAsRoot(path: string, name: string, o: MountOptions): Mounted {
  const fd = openSync('/dev/fuse', fsc.O_RDWR);
  const uid = process.getuid!();
  const gid = process.getgid!();
  const opts = [`fd=3,rootmode=40000,user_id=${uid},group_id=${gid}`, optionString(o, name, false)].filter(Boolean).join(',');
  const r = spawnSync('mount', ['-i', '-t', `fuse.${name}`, '-o', opts, name, path], {
    stdio: ['ignore', 'pipe', 'pipe', fd],
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    closeSync(fd);
    throw new MountError(`mount ${path} failed: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`);
  }
  o.log.info({ mountpoint: path, options: opts }, 'mounted with mount(8)');
  return { fd, mountpoint: path, method: 'mount' };
}

function mountWithFusermount(path: string, name: string, o: MountOptions): Mounted {
  const fusermount = findFusermount();
  if (!fusermount) throw new MountError('fusermount3 not found: install the Debian package fuse3, or run as root');
  const pair = native.socketPair();
  if (typeof pair === 'number') throw new MountError(`socketpair: ${errnoName(-pair)}`);
  const [ours, theirs] = pair;
  try {
    const opts = optionString(o, name, true);
    const r = spawnSync(fusermount, ['-o', opts, '--', path], {
      stdio: ['ignore', 'pipe', 'pipe', theirs],
      env: { ...process.env, _FUSE_COMMFD: '3' },
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new MountError(`fusermount3 failed: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`);
    const fd = native.recvFd(ours);
    if (fd < 0) throw new MountError(`fusermount3 sent no /dev/fuse fd: ${errnoName(-fd)}`);
    o.log.info({ mountpoint: path, options: opts }, 'mounted with fusermount3');
    return { fd, mountpoint: path, method: 'fusermount3' };
  } finally {
    // Both ends close only here: closing one earlier would let the received fd reuse its number.
    closeSync(theirs);
    closeSync(ours);
  }
}
