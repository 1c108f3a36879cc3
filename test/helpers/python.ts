/**
 * Runs a Python 3 script (as `python3 -c`) that reports its checks as JSON lines `[name, value]`
 * on stdout. The script is ours: it is SIGKILLed by pid if it outlives `timeoutMs`.
 */
import { spawn } from 'node:child_process';

export interface PythonRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  /** the `[name, value]` lines, in order */
  results: [string, unknown][];
}

export function python(script: string, args: string[] = [], timeoutMs = 60_000): Promise<PythonRun> {
  const child = spawn('python3', ['-c', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const results: [string, unknown][] = [];
      for (const line of out.split('\n')) {
        if (!line.startsWith('[')) continue;
        try {
          results.push(JSON.parse(line) as [string, unknown]);
        } catch {
          // not a report line
        }
      }
      resolve({ code, signal, out, err, results });
    }),
  );
}
