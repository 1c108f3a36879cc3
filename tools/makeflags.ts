/**
 * MAKEFLAGS as GNU make writes and reads it: an optional first word of single-letter flags
 * ("ks"), options ("-j4", "--jobserver-auth=3,4"), then " -- " and variable definitions. What
 * `ipcfs jobserver` needs: drop the job options a parent left, and add its own, last, because
 * make (4.3 and later) and the Rust jobserver crate take the last --jobserver-auth they find.
 */

/** A word that sets the job count or names a jobserver. */
const JOB_WORD = /^(-j\d*|--jobs(=\d+)?|--jobserver-auth=.*|--jobserver-fds=.*)$/;

/** MAKEFLAGS without its job options (and a `-j N` pair's number); the rest kept in order. */
export function withoutJobOptions(makeflags: string): string {
  const dd = makeflags.match(/(^| )-- /);
  const head = dd ? makeflags.slice(0, dd.index) : makeflags;
  const vars = dd ? makeflags.slice(dd.index! + dd[0].length) : null;
  const words = head.split(' ').filter(Boolean);
  const kept: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (!JOB_WORD.test(w)) {
      kept.push(w);
      continue;
    }
    if ((w === '-j' || w === '--jobs') && /^\d+$/.test(words[i + 1] ?? '')) i++;
  }
  return [kept.join(' '), vars === null ? '' : `-- ${vars}`].filter(Boolean).join(' ');
}

/** MAKEFLAGS for a make that is to join a pool: the old flags, then `-jJOBS --jobserver-auth=AUTH`. */
export function joinMakeflags(makeflags: string, jobs: number, auth: string): string {
  const rest = withoutJobOptions(makeflags);
  const dd = rest.match(/(^| )-- /);
  const own = `-j${jobs} --jobserver-auth=${auth}`;
  if (!dd) return rest ? `${rest} ${own}` : ` ${own}`;
  const head = rest.slice(0, dd.index);
  return `${head ? `${head} ` : ' '}${own} ${rest.slice(dd.index! + dd[0].length - 3)}`;
}

/** The last --jobserver-auth (or --jobserver-fds) value in MAKEFLAGS, as make reads it; null if none. */
export function jobserverAuth(makeflags: string): string | null {
  const dd = makeflags.match(/(^| )-- /);
  const head = dd ? makeflags.slice(0, dd.index) : makeflags;
  let auth: string | null = null;
  for (const w of head.split(' ')) {
    const m = /^--jobserver-(?:auth|fds)=(.*)$/.exec(w);
    if (m) auth = m[1]!;
  }
  return auth;
}
