/**
 * A promise whose outcome the session also hears synchronously, at the moment it settles.
 *
 * Why: a semaphore post completes a waiter's WRITE from inside the post's own handler. With a plain
 * promise the waiter's reply goes out a few microtasks later, after the poster's reply, so the
 * poster is woken first and the waiter waits for the poster's wake-up and the microtask hops. A
 * handler that returns a Completion has its reply written the moment it settles (the waiter's
 * reply before the poster's, as a C filesystem answering both from one handler would order them).
 * It is still a Promise for everyone else (await, then); `then` gives plain promises.
 */
type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };
type Listener<T> = (outcome: Outcome<T>) => void;

export class Completion<T> extends Promise<T> {
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }

  private outcome: Outcome<T> | null = null;
  private listeners: Listener<T>[] = [];
  private readonly settleResolve: (value: T) => void;
  private readonly settleReject: (err: unknown) => void;

  constructor() {
    let res!: (value: T) => void;
    let rej!: (err: unknown) => void;
    super((a, b) => {
      res = a;
      rej = b;
    });
    this.settleResolve = res;
    this.settleReject = rej;
    // A rejection is delivered to the listeners; the promise side must not count as unhandled.
    Promise.prototype.then.call(this, undefined, () => {});
  }

  resolve(value: T): void {
    this.settle({ ok: true, value });
  }

  reject(error: unknown): void {
    this.settle({ ok: false, error });
  }

  /** Calls fn synchronously when settled (at once if it already is). */
  onSettled(fn: Listener<T>): void {
    if (this.outcome) fn(this.outcome);
    else this.listeners.push(fn);
  }

  /** A Completion of f(value), settled in the same instant as this one. */
  map<U>(f: (value: T) => U): Completion<U> {
    const out = new Completion<U>();
    this.onSettled((o) => {
      if (!o.ok) return out.reject(o.error);
      let u: U;
      try {
        u = f(o.value);
      } catch (err) {
        return out.reject(err);
      }
      out.resolve(u);
    });
    return out;
  }

  private settle(o: Outcome<T>): void {
    if (this.outcome) return;
    this.outcome = o;
    const ls = this.listeners;
    this.listeners = [];
    for (const fn of ls) {
      try {
        fn(o);
      } catch (err) {
        // Never into the code that settled us (it may be halfway through a state change).
        queueMicrotask(() => {
          throw err;
        });
      }
    }
    // After the listeners: the session's listener writes the reply, promise reactions run later anyway.
    if (o.ok) this.settleResolve(o.value);
    else this.settleReject(o.error);
  }
}
