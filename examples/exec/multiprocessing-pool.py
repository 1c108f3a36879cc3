"""Run unchanged through `ipcfs exec`: Python's multiprocessing makes its Lock, RLock, Semaphore
and BoundedSemaphore with sem_open (named POSIX semaphores), so under the interposer they are
semaphores of the mount, shared with the workers it starts. A BoundedSemaphore of 2 tokens bounds
4 worker processes to 2 at a time; they count themselves in a shared Value guarded by its own lock.
The proof that the semaphores are the mount's: this process holds them as open files there,
semaphores/named/mp-...; on the kernel it holds none (glibc maps /dev/shm/sem.mp-... and closes).
The workers are started with 'spawn' (fork + exec; they inherit LD_PRELOAD). With 'fork', the
child's CPython re-creates its own thread locks (sem_init with pshared=0) and sem_destroys the
copies; on the kernel those copies are private memory, through ipcfs they are the parent's
semaphores, so the parent's thread locks break (EIDRM).
Usage: ipcfs exec [--mount MOUNT] -- python3 multiprocessing-pool.py
"""
import multiprocessing
import os
import time

TOKENS, WORKERS = 2, 4


def work(pool, running, most):
    with pool:                         # a token: the right to work
        with running.get_lock():
            running.value += 1
            most.value = max(most.value, running.value)
        time.sleep(0.02)               # the work
        with running.get_lock():
            running.value -= 1


def open_on_mount():
    """This process's open files that are named semaphores of the mount."""
    mount = os.environ.get('IPCFS_MOUNT')  # set by ipcfs exec
    if not mount:
        return []
    links = []
    for fd in os.listdir('/proc/self/fd'):
        try:
            links.append(os.readlink(f'/proc/self/fd/{fd}'))
        except OSError:                # the listing's own descriptor, closed by now
            pass
    named = (link.removesuffix(' (deleted)') for link in links if link.startswith(f'{mount}/semaphores/named/'))
    return sorted(path[len(mount) + 1:] for path in named)


if __name__ == '__main__':
    ctx = multiprocessing.get_context('spawn')
    pool = ctx.BoundedSemaphore(TOKENS)
    running, most = ctx.Value('i', 0), ctx.Value('i', 0, lock=False)
    workers = [ctx.Process(target=work, args=(pool, running, most)) for _ in range(WORKERS)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print(f'{WORKERS} workers, {TOKENS} tokens: at most {most.value} worked at once; '
          f'exit codes {[w.exitcode for w in workers]}')
    held = open_on_mount()             # the BoundedSemaphore and the Value's lock
    print(f'named semaphores open as files of the mount: {len(held)}')
    for path in held:
        print(f'  {path}')
