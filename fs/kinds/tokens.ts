/**
 * The one tokenizer of every kind's commands (object files, `.new` clone files): words separated
 * by blanks, `key=value` options and bare flags. Parsing refuses with EINVAL and a message naming
 * what is wrong, before anything changes. Kinds add their own verbs on top (fs/<kind>/commands.ts).
 */
import { Errno, fail } from '../../ipc/errno.js';

/** The words of a command: split on blanks (spaces, tabs, a final newline). */
export function words(text: string): string[] {
  return text.trim().split(/\s+/).filter(Boolean);
}

/** What each option of a command is: `key=value`, or a bare flag. */
export type OptionKinds = Record<string, 'value' | 'flag'>;

/**
 * key=value options and bare flags after the positional words. A value option without its value
 * (`value`, `value=`), a flag given a value (`excl=1`) and an option given twice are EINVAL: a
 * command says one thing or is refused before anything is made.
 */
export function options(ws: string[], kinds: OptionKinds): { positional: string[]; opts: Map<string, string> } {
  const positional: string[] = [];
  const opts = new Map<string, string>();
  for (const w of ws) {
    const eq = w.indexOf('=');
    const k = (eq < 0 ? w : w.slice(0, eq)).toLowerCase();
    const kind = Object.hasOwn(kinds, k) ? kinds[k] : undefined;
    if (!kind) {
      positional.push(w);
      continue;
    }
    if (opts.has(k)) fail(Errno.EINVAL, `${k} given twice`);
    if (kind === 'flag' && eq >= 0) fail(Errno.EINVAL, `${k} is a flag and takes no value`);
    if (kind === 'value' && (eq < 0 || eq === w.length - 1)) fail(Errno.EINVAL, `${k}= needs a value`);
    opts.set(k, eq < 0 ? '' : w.slice(eq + 1));
  }
  return { positional, opts };
}

/** mode=OCTAL (at most 4 digits; the low 9 bits are kept), or dflt. */
export function modeOption(v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^[0-7]{1,4}$/.test(v)) fail(Errno.EINVAL, `mode=${v}: octal expected`);
  return parseInt(v, 8) & 0o777;
}

/** A non-negative decimal within max (value=, maxmsg=, size= ...), or dflt when absent. */
export function countOption(name: string, v: string | undefined, dflt: number, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return dflt;
  if (!/^\d{1,16}$/.test(v) || Number(v) > max) fail(Errno.EINVAL, `${name}=${v}: a non-negative integer up to ${max} expected`);
  return Number(v);
}

export const IPC_PRIVATE_KEY = 0;

/**
 * A System V key: `private`, 0x and up to 8 hex digits, or a decimal that fits key_t's 32 bits
 * (-2147483648..4294967295, the upper half meaning the same key as its negative). Anything wider
 * is EINVAL, never wrapped (4294967296 would otherwise become IPC_PRIVATE).
 */
export function parseKey(k: string): number {
  if (k === 'private') return IPC_PRIVATE_KEY;
  if (/^0x[0-9a-fA-F]{1,8}$/.test(k)) return parseInt(k, 16) | 0;
  if (/^-?\d{1,10}$/.test(k)) {
    const n = Number(k);
    if (n >= -(2 ** 31) && n < 2 ** 32) return n | 0;
  }
  fail(Errno.EINVAL, `key "${k}": 0x and 1-8 hex digits, a 32-bit decimal, or private`);
}

/** A key as by-key/ names it and statuses print it: 0x and 8 lower-case hex digits. */
export const hexKey = (key: number): string => `0x${(key >>> 0).toString(16).padStart(8, '0')}`;

/** A time as statuses print it: ISO 8601, or `never` for 0 (not yet set). */
export const statusTime = (ms: number): string => (ms ? new Date(ms).toISOString() : 'never');
