/** pino's levels, for the --log-level option (apart from log.ts: parsing options must not load pino). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
