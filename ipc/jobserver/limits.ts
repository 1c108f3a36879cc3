/**
 * Jobserver pool limits. A pool costs the daemon memory per token (free bytes, who holds each),
 * so its size is bounded like a System V set's nsems: `pool-tokens` for everyone but root, and a
 * hard bound for root. GNU make's own pool is a pipe, whose 64 KiB buffer bounds it the same way.
 */
export interface JobserverLimits {
  /** the largest pool an unprivileged creator may make (tokens) */
  poolTokens: number;
}

export const JOBSERVER_LIMITS: Readonly<JobserverLimits> = Object.freeze({ poolTokens: 1024 });
export const JOBSERVER_LIMIT_NAMES: Readonly<Record<keyof JobserverLimits, string>> = Object.freeze({ poolTokens: 'pool-tokens' });
/** root's bound, and the most `pool-tokens` may be set to: a pipe's default capacity in bytes */
export const POOL_TOKENS_HARD_MAX = 65536;
