"""System V semaphore set from Python: semget(IPC_PRIVATE, 2) through .new; one semop on the
whole array, atomically (take semaphore 0 with SEM_UNDO, give 1); IPC_NOWAIT; closing the
descriptor applies the undo adjustment, so the unit taken comes back (as after a crash).
rm is IPC_RMID.  Usage: python3 sem.py [MOUNT]   (default /mnt/ipc)"""
import os, sys

sysv = f'{sys.argv[1] if len(sys.argv) > 1 else "/mnt/ipc"}/semaphores/sysv'
ctl = os.open(f'{sysv}/.new', os.O_RDWR)
os.write(ctl, b'semget private 2 mode=0600')
path = f'{sysv}/{os.read(ctl, 64).decode().strip()}'   # the semid
os.close(ctl)

def values():
    with open(path) as f:
        return next(line for line in f if line.startswith('value:')).split()[1:]

fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
os.write(fd, b'setall 1 0')
os.write(fd, b'op 0:-1:undo 1:+1')             # take 0 (undone when fd is released), give 1
print('after op:', values())                   # ['0', '1']
try:
    os.write(fd, b'op 0:-1:nowait')            # semaphore 0 is 0: IPC_NOWAIT fails at once
except BlockingIOError:
    print('semaphore 0 is taken: EAGAIN')
os.close(fd)                                   # released: semaphore 0 gets its unit back
fd = os.open(path, os.O_RDWR)
os.write(fd, b'op 0:-1 timeout=5')             # so this take succeeds (waiting for the release)
print('took semaphore 0 again:', values())     # ['0', '1']
os.close(fd)
os.unlink(path)                                # semctl(IPC_RMID)
