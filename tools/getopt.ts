/**
 * Command-line parsing with GNU getopt_long's rules and messages, for the tools that promise
 * util-linux's habits (`ipcfs ipcs`, `ipcrm`, `ipcmk`, `lsipc`): a script that works with
 * util-linux's tool, or greps its error lines, works with ours. glibc's posix/getopt.c is the
 * behaviour followed:
 *  - short options cluster (`-sa`), an argument attaches (`-i5`) or follows (`-i 5`); `x::` takes
 *    an optional argument only attached;
 *  - long options take `--name=value` or, when required, `--name value`; a unique prefix of a name
 *    is that name (an exact name always wins; prefixes of several options that mean the same thing
 *    are not ambiguous);
 *  - operands are permuted to the end unless POSIXLY_CORRECT is set or the short options start
 *    with '+'; `--` ends the options; `-` alone is an operand;
 *  - errors are glibc's lines ("ipcs: invalid option -- 'x'"), then util-linux's
 *    "Try 'ipcs --help' for more information." and exit status 1 (usageFailure).
 */

export type HasArg = 'none' | 'required' | 'optional';

export interface LongOption {
  name: string;
  hasArg: HasArg;
  /** what the option yields: by util-linux's habit the short option it stands for, else its name */
  key: string;
}

export interface ParsedOption {
  key: string;
  /** the argument, when the option has one */
  arg?: string;
}

export interface Parsed {
  /** in command-line order */
  options: ParsedOption[];
  operands: string[];
}

/**
 * A command line getopt refuses: message is glibc's line, without the newline. before: the
 * options getopt_long returned before the refused one (in a cluster too: `-Jrx` returns -J and -r
 * first): a util-linux tool acts on each as it comes, so those still act first (`ipcs -h -x` is
 * the help; `lsipc -J -r -x` the exclusive pair).
 */
export class GetoptError extends Error {
  before: ParsedOption[] = [];
}

interface ShortSpec {
  hasArg: HasArg;
}

function parseShortSpec(spec: string): { shorts: Map<string, ShortSpec>; inOrder: boolean } {
  const shorts = new Map<string, ShortSpec>();
  const inOrder = spec.startsWith('+');
  for (let i = inOrder ? 1 : 0; i < spec.length; i++) {
    const c = spec[i]!;
    if (c === ':') continue;
    const hasArg: HasArg = spec[i + 1] === ':' ? (spec[i + 2] === ':' ? 'optional' : 'required') : 'none';
    shorts.set(c, { hasArg });
  }
  return { shorts, inOrder };
}

/**
 * The long option `word` names; text: its name part (no dashes, no `=value`). glibc quotes the
 * whole word (value included) when no option or several match, the option's full name otherwise.
 */
function findLong(prog: string, word: string, text: string, longs: readonly LongOption[]): LongOption {
  const exact = longs.find((o) => o.name === text);
  if (exact) return exact;
  const matches = longs.filter((o) => o.name.startsWith(text));
  if (matches.length === 0) throw new GetoptError(`${prog}: unrecognized option '${word}'`);
  const first = matches[0]!;
  // glibc: candidates that all mean the same (same argument rule, same result) are one option
  if (matches.every((o) => o.hasArg === first.hasArg && o.key === first.key)) return first;
  throw new GetoptError(`${prog}: option '${word}' is ambiguous; possibilities:${matches.map((o) => ` '--${o.name}'`).join('')}`);
}

/**
 * Parses argv (the arguments after the program name) as getopt_long(argc, argv, shortopts,
 * longopts) would, with prog as argv[0] in messages. Throws GetoptError with glibc's message
 * and the options before the refused one.
 */
export function getopt(prog: string, argv: readonly string[], shortopts: string, longopts: readonly LongOption[] = [], env: NodeJS.ProcessEnv = process.env): Parsed {
  const options: ParsedOption[] = [];
  try {
    return parse(prog, argv, shortopts, longopts, env, options);
  } catch (err) {
    if (err instanceof GetoptError) err.before = options;
    throw err;
  }
}

/** getopt's loop; options: filled as getopt_long returns them (kept on a refusal). */
function parse(prog: string, argv: readonly string[], shortopts: string, longopts: readonly LongOption[], env: NodeJS.ProcessEnv, options: ParsedOption[]): Parsed {
  const { shorts, inOrder } = parseShortSpec(shortopts);
  const posixly = inOrder || env.POSIXLY_CORRECT !== undefined;
  const operands: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const text = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const attached = eq < 0 ? undefined : a.slice(eq + 1);
      const o = findLong(prog, a, text, longopts);
      if (o.hasArg === 'none') {
        if (attached !== undefined) throw new GetoptError(`${prog}: option '--${o.name}' doesn't allow an argument`);
        options.push({ key: o.key });
      } else if (attached !== undefined) {
        options.push({ key: o.key, arg: attached });
      } else if (o.hasArg === 'required') {
        if (i + 1 >= argv.length) throw new GetoptError(`${prog}: option '--${o.name}' requires an argument`);
        options.push({ key: o.key, arg: argv[++i]! });
      } else {
        options.push({ key: o.key });
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        const spec = shorts.get(c);
        if (!spec) throw new GetoptError(`${prog}: invalid option -- '${c}'`);
        if (spec.hasArg === 'none') {
          options.push({ key: c });
          continue;
        }
        const rest = a.slice(j + 1);
        if (rest) options.push({ key: c, arg: rest });
        else if (spec.hasArg === 'optional') options.push({ key: c });
        else if (i + 1 < argv.length) options.push({ key: c, arg: argv[++i]! });
        else throw new GetoptError(`${prog}: option requires an argument -- '${c}'`);
        break;
      }
      continue;
    }
    operands.push(a);
    if (posixly) {
      i++;
      break;
    }
  }
  operands.push(...argv.slice(i));
  return { options, operands };
}

/**
 * A command line as util-linux's getopt_long loop sees it: the options before the first refused
 * one are acted on (in order) before the refusal is reported, so `ipcrm -m 5 -x` removes 5 and
 * then fails, and `ipcs -h -x` prints the help. error: the refusal, reported after those.
 */
export function getoptInOrder(prog: string, argv: readonly string[], shortopts: string, longopts: readonly LongOption[] = []): Parsed & { error?: GetoptError } {
  try {
    return getopt(prog, argv, shortopts, longopts);
  } catch (err) {
    if (!(err instanceof GetoptError)) throw err;
    return { options: err.before, operands: [], error: err };
  }
}

/** util-linux's errtryhelp line. */
export const tryHelp = (prog: string): string => `Try '${prog} --help' for more information.`;

/**
 * Writes a refused command line as util-linux does (glibc's line, then "Try ... --help") and
 * returns its exit status, 1.
 */
export function usageFailure(prog: string, err: GetoptError | string): number {
  const line = typeof err === 'string' ? `${prog}: ${err}` : err.message;
  process.stderr.write(`${line}\n${tryHelp(prog)}\n`);
  return 1;
}
