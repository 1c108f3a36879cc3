/**
 * User and group names as getpwuid(3) / getgrgid(3) give them from the files database: the
 * util-linux tools print names where they can and numbers otherwise. /etc/passwd and /etc/group
 * are read once per process (a listing asks for the same few ids many times); the first entry
 * with an id wins, as in a files lookup. Other NSS sources (LDAP, sssd) are not consulted: a uid
 * known only there shows as its number.
 */
import { readFileSync } from 'node:fs';

export type IdNames = Map<number, string>;

/** name:x:id:... lines -> id -> first name (malformed lines and `+`/`-` NIS entries skipped). */
export function parseIdFile(text: string): IdNames {
  const names: IdNames = new Map();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || !f[0] || f[0].startsWith('+') || f[0].startsWith('-') || !/^\d+$/.test(f[2]!)) continue;
    const id = Number(f[2]);
    if (!names.has(id)) names.set(id, f[0]);
  }
  return names;
}

function loader(path: string): () => IdNames {
  let names: IdNames | undefined;
  return () => {
    if (!names) {
      try {
        names = parseIdFile(readFileSync(path, 'utf8'));
      } catch {
        names = new Map();
      }
    }
    return names;
  };
}

const users = loader('/etc/passwd');
const groups = loader('/etc/group');

/** getpwuid(uid)->pw_name, or undefined when there is no such user. */
export const userName = (uid: number): string | undefined => users().get(uid);

/** getgrgid(gid)->gr_name, or undefined when there is no such group. */
export const groupName = (gid: number): string | undefined => groups().get(gid);
