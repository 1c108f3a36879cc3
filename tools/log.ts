/**
 * The daemon's logger: pino, synchronous (a log line is on stderr before the next request is
 * read, and nothing is lost when the process dies), pretty on a terminal and JSON otherwise.
 */
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export { LOG_LEVELS } from './log-levels.js';

export function createLogger(level: string, name = 'ipcfs'): Logger {
  const options = { name, level, base: { pid: process.pid } };
  if (process.stderr.isTTY) {
    return pino(options, pretty({ destination: 2, sync: true, colorize: true, ignore: 'hostname' }));
  }
  return pino(options, pino.destination({ fd: 2, sync: true }));
}
