/**
 * What the util-linux-style tools (`ipcfs ipcrm`, `ipcmk`; lsipc may reuse) share beyond getopt:
 * C's number parsers as util-linux calls them (strtoul's and strtoimax's rules, util-linux's
 * strtokey, strtos32_or_err and strtosize), glibc's strerror texts and err()/warnx() lines
 * (getopt.ts has the order of effects: getoptInOrder). A script that feeds ipcrm "0x1f", " 5" or "1.5MiB"
 * gets what util-linux gives it, errors included.
 */
import { readFileSync } from 'node:fs';
import { errnoName } from '../ipc/errno.js';
import type { LongOption, ParsedOption } from './getopt.js';

/** Ends the tool at once with this exit status (util-linux's err()/errx()/usage()). */
export class ToolExit extends Error {
  constructor(readonly status: number) {
    super(`exit ${status}`);
  }
}

/** warnx(3): "prog: message". */
export const warnx = (prog: string, message: string): void => void process.stderr.write(`${prog}: ${message}\n`);

/** errx(3): "prog: message", exit 1. */
export function errx(prog: string, message: string): never {
  warnx(prog, message);
  throw new ToolExit(1);
}

/** err(3): "prog: message: strerror(errno)", exit 1. errno 0 prints "Success", as glibc does. */
export function errWith(prog: string, message: string, errno: string | number): never {
  warnx(prog, `${message}: ${strerror(errno)}`);
  throw new ToolExit(1);
}

/** glibc's strerror(3) texts (C locale) of the errnos a mount or a parser can give. */
const STRERROR: Record<string, string> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  EINTR: 'Interrupted system call',
  EIO: 'Input/output error',
  ENXIO: 'No such device or address',
  E2BIG: 'Argument list too long',
  EBADF: 'Bad file descriptor',
  EAGAIN: 'Resource temporarily unavailable',
  ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied',
  EFAULT: 'Bad address',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EINVAL: 'Invalid argument',
  ENFILE: 'Too many open files in system',
  EMFILE: 'Too many open files',
  EFBIG: 'File too large',
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  ERANGE: 'Numerical result out of range',
  ENAMETOOLONG: 'File name too long',
  ENOSYS: 'Function not implemented',
  ENOTEMPTY: 'Directory not empty',
  ELOOP: 'Too many levels of symbolic links',
  ENOMSG: 'No message of desired type',
  EIDRM: 'Identifier removed',
  EOVERFLOW: 'Value too large for defined data type',
  ENOTCONN: 'Transport endpoint is not connected',
  ETIMEDOUT: 'Connection timed out',
  EDQUOT: 'Disk quota exceeded',
};

/** strerror of an errno name (as Node's err.code) or number; 0 is "Success". */
export function strerror(errno: string | number): string {
  if (errno === 0) return 'Success';
  const name = typeof errno === 'number' ? errnoName(errno) : errno;
  return STRERROR[name] ?? `Unknown error ${typeof errno === 'number' ? errno : name}`;
}

/** The errno name of a failed fs call (Node reports errnos libuv cannot name as UNKNOWN). */
export function errnoOf(err: unknown): string {
  // a CliError of cli-io (cloneCreate) carries the fs call's error as its cause
  const e = ((err as Error).cause ?? err) as NodeJS.ErrnoException;
  if (e.code === 'UNKNOWN' && typeof e.errno === 'number') return errnoName(-e.errno);
  if (typeof e.code === 'string') return e.code;
  throw err;
}

const ULONG_MAX = (1n << 64n) - 1n;
const INTMAX_MAX = (1n << 63n) - 1n;
const isSpace = (c: string | undefined): boolean => c !== undefined && ' \t\n\v\f\r'.includes(c);

function digitValue(c: string | undefined): number {
  if (c === undefined) return 99;
  const d = parseInt(c, 36);
  return Number.isNaN(d) ? 99 : d;
}

/** What strtoul/strtoumax/strtoimax report: the value, where parsing stopped, ERANGE. */
export interface CNumber {
  value: bigint;
  /** index of the first character not parsed; 0 when no number was found (C's end == str) */
  end: number;
  erange: boolean;
}

/**
 * glibc's strtoul(s, &end, base) on 64-bit Linux (strtoumax is the same): leading white space, a
 * sign ("-5" is ULONG_MAX-4, no error), base 0 reading 0x as hex and a leading 0 as octal ("0x"
 * alone is 0 ending before the x), ERANGE past ULONG_MAX.
 */
export function strtoul(s: string, base: number): CNumber {
  const { magnitude, negative, end, erange } = scanDigits(s, base);
  if (end === 0) return { value: 0n, end: 0, erange: false };
  if (erange) return { value: ULONG_MAX, end, erange: true };
  return { value: negative ? (-magnitude) & ULONG_MAX : magnitude, end, erange: false };
}

/** glibc's strtoimax(s, &end, base): as strtoul, signed, ERANGE outside int64. */
export function strtoimax(s: string, base: number): CNumber {
  const { magnitude, negative, end, erange } = scanDigits(s, base);
  if (end === 0) return { value: 0n, end: 0, erange: false };
  const limit = negative ? INTMAX_MAX + 1n : INTMAX_MAX;
  if (erange || magnitude > limit) return { value: negative ? -limit : limit, end, erange: true };
  return { value: negative ? -magnitude : magnitude, end, erange: false };
}

function scanDigits(s: string, base0: number): { magnitude: bigint; negative: boolean; end: number; erange: boolean } {
  let i = 0;
  while (isSpace(s[i])) i++;
  let negative = false;
  if (s[i] === '+' || s[i] === '-') negative = s[i++] === '-';
  let base = base0;
  if ((base === 0 || base === 16) && s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && digitValue(s[i + 2]) < 16) {
    base = 16;
    i += 2;
  } else if (base === 0) {
    base = s[i] === '0' ? 8 : 10;
  }
  const start = i;
  let magnitude = 0n;
  let erange = false;
  for (; digitValue(s[i]) < base; i++) {
    magnitude = magnitude * BigInt(base) + BigInt(digitValue(s[i]));
    if (magnitude > ULONG_MAX) erange = true;
  }
  return { magnitude, negative, end: i === start ? 0 : i, erange };
}

/** C's conversion of an unsigned long to int (key_t, an id): the low 32 bits, signed. */
export const toInt32 = (v: bigint): number => Number(BigInt.asIntN(32, v));

/** A number util-linux refused: the message's tail is strerror(ERANGE) only on a range error. */
export class NumberError extends Error {
  constructor(readonly erange: boolean) {
    super(erange ? 'ERANGE' : 'EINVAL');
  }
}

/**
 * util-linux's strtos32_or_err(str, msg) (ids for -m/-q/-s): base 10, white space and a sign
 * allowed before, nothing after; outside int32 is a range error.
 */
export function parseS32(str: string): number {
  if (str === '') throw new NumberError(false);
  const n = strtoimax(str, 10);
  if (n.erange) throw new NumberError(true);
  if (n.end === 0 || n.end !== str.length) throw new NumberError(false);
  if (n.value < -(2n ** 31n) || n.value > 2n ** 31n - 1n) throw new NumberError(true);
  return Number(n.value);
}

/**
 * ipcrm's strtokey: strtoul with base 0 (decimal, 0x hex, 0 octal), the whole string, then
 * truncated to key_t. "-1" is key 0xffffffff; 4294967296 is key 0 (IPC_PRIVATE, which the caller
 * refuses).
 */
export function parseKey(str: string): number {
  if (str === '') throw new NumberError(false);
  const n = strtoul(str, 0);
  if (n.erange) throw new NumberError(true);
  if (n.end === 0 || n.end !== str.length) throw new NumberError(false);
  return toInt32(n.value);
}

/**
 * util-linux's parse_size (strtosize_or_err), for ipcmk's -M and -m: a number read by strtoumax
 * with base 0 (white space, '+', 0x and octal allowed; a '-' refused), then an optional decimal
 * fraction and suffix: K M G T P E Z Y (or lower case) alone or with "iB" are powers of 1024,
 * with "B" of 1000; "0.5MiB" is 524288. Every refusal is an errno (EINVAL, ERANGE): util-linux
 * prints it with err().
 */
export function parseSize(str: string): bigint {
  const fail = (errno: 'EINVAL' | 'ERANGE'): never => {
    throw new NumberError(errno === 'ERANGE');
  };
  if (str === '') fail('EINVAL');
  let p = 0;
  while (isSpace(str[p])) p++;
  if (str[p] === '-') fail('EINVAL');
  const first = strtoul(str, 0);
  if (first.end === 0) fail('EINVAL');
  if (first.erange) fail('ERANGE');
  let x = first.value;
  if (first.end === str.length) return x;
  p = first.end;
  let frac = 0n;
  let fracZeros = 0;
  let base = 1024n;
  for (;;) {
    const c1 = str[p + 1];
    const c2 = str[p + 2];
    if (c1 === 'i' && (c2 === 'B' || c2 === 'b') && p + 3 === str.length) base = 1024n;
    else if ((c1 === 'B' || c1 === 'b') && p + 2 === str.length) base = 1000n;
    else if (c1 !== undefined) {
      // the C locale's decimal point; a second fraction is an unexpected suffix
      if (frac === 0n && str[p] === '.') {
        let f = p + 1;
        while (str[f] === '0') {
          fracZeros++;
          f++;
        }
        let end = f;
        if (/[0-9]/.test(str[f] ?? '')) {
          const n = strtoul(str.slice(f), 0);
          if (n.erange) fail('ERANGE');
          frac = n.value;
          end = f + n.end;
        }
        if (frac !== 0n && end === str.length) fail('EINVAL');
        p = end;
        continue;
      }
      fail('EINVAL');
    }
    break;
  }
  const suffix = str[p] ?? '';
  let power = 'KMGTPEZY'.indexOf(suffix) + 1;
  if (power === 0) power = 'kmgtpezy'.indexOf(suffix) + 1;
  if (power === 0 || suffix === '') fail('EINVAL');
  let overflow = false;
  for (let i = 0; i < power; i++) {
    if (ULONG_MAX / base < x) {
      overflow = true;
      break;
    }
    x *= base;
  }
  if (frac !== 0n) {
    const fracBase = base ** BigInt(power);
    let fracDiv = 10n;
    while (fracDiv < frac) {
      if (fracDiv <= ULONG_MAX / 10n) fracDiv *= 10n;
      else frac /= 10n;
    }
    for (let i = 0; i < fracZeros; i++) {
      if (fracDiv <= ULONG_MAX / 10n) fracDiv *= 10n;
      else frac /= 10n;
    }
    // digit by digit from the last, as util-linux adds them (its rounding included)
    let fracPoz = 1n;
    do {
      const seg = frac % 10n;
      const segDiv = fracDiv / fracPoz;
      frac /= 10n;
      fracPoz *= 10n;
      if (seg !== 0n && segDiv / seg !== 0n) x += fracBase / (segDiv / seg);
    } while (frac !== 0n);
  }
  if (overflow) fail('ERANGE');
  return x & ULONG_MAX;
}

/**
 * ipcmk's -p: strtoul(str, &end, 8) over the whole string, else err("failed to parse mode") —
 * with errno still 0, so glibc's err() ends the line with ": Success", as util-linux 2.38 does.
 * The value is C's int of the unsigned long.
 */
export function parseMode(prog: string, str: string): number {
  const n = strtoul(str, 8);
  if (n.erange) errWith(prog, 'failed to parse mode', 'ERANGE');
  if (n.end === 0 || n.end !== str.length) errWith(prog, 'failed to parse mode', 0);
  return toInt32(n.value);
}

/** "prog: msg: 'str'", with strerror for a range error (util-linux's strtoxx_or_err). */
export function numberFailure(prog: string, message: string, str: string, err: unknown): never {
  if (!(err instanceof NumberError)) throw err;
  if (err.erange) errWith(prog, `${message}: '${str}'`, 'ERANGE');
  errx(prog, `${message}: '${str}'`);
}

/** parse_size's refusals are errnos set by the parser: err() prints them, EINVAL included. */
export function sizeFailure(prog: string, message: string, str: string, err: unknown): never {
  if (!(err instanceof NumberError)) throw err;
  errWith(prog, `${message}: '${str}'`, err.erange ? 'ERANGE' : 'EINVAL');
}

/** `PROG from ipcfs VERSION`: util-linux's -V line, naming ipcfs (the program that answers). */
export function versionLine(prog: string): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `${prog} from ipcfs ${pkg.version} (util-linux 2.41 compatible)\n`;
}

/** The --mount option shared by the tools: long only (-m is util-linux's). */
export const MOUNT_OPTION: LongOption = { name: 'mount', hasArg: 'required', key: 'mount' };

/** The mount of a parsed command line: its last --mount, else IPCFS_MOUNT, else /mnt/ipc. */
export const mountOption = (options: readonly ParsedOption[]): string | undefined => options.filter((o) => o.key === 'mount').at(-1)?.arg;
