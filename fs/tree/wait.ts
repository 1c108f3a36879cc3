/**
 * Waiting that ends when the request is interrupted. `arm` registers the waiter and returns how to
 * unregister it; the waiter is unregistered when it completes or is aborted, so it can take nothing
 * afterwards. On abort the promise rejects with the signal's reason (FuseError EINTR).
 */
export function abortableWait<T>(signal: AbortSignal, arm: (done: (value: T) => void) => () => void): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let disarm: (() => void) | null = null;
    const onAbort = (): void => {
      if (settled) return;
      settled = true;
      disarm?.();
      reject(signal.reason);
    };
    disarm = arm((value) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      disarm?.(); // null when arm completes the wait before returning; unregistered below then
      resolve(value);
    });
    if (settled) disarm();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}
