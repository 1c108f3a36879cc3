"""System V shared memory from Python: shmget(IPC_PRIVATE, 4096) through .new; shmat is open +
mmap(MAP_SHARED); a forked child stores into the segment through the mapping it inherited and the
parent sees it at once. IPC_RMID is rm: the segment goes when the last attach is gone.
Usage: python3 shm-sysv.py [MOUNT]   (default /mnt/ipc)"""
import mmap, os, sys

m = f'{sys.argv[1] if len(sys.argv) > 1 else "/mnt/ipc"}/shared-memory'
ctl = os.open(f'{m}/sysv/.new', os.O_RDWR)
os.write(ctl, b'shmget private 4096 mode=0600')
shmid = os.read(ctl, 64).decode().strip()
os.close(ctl)

fd = os.open(f'{m}/sysv/{shmid}', os.O_RDWR)      # shmat: open + mmap
seg = mmap.mmap(fd, 4096, mmap.MAP_SHARED)
os.close(fd)
child = os.fork()
if child == 0:
    seg[0:10] = b'from child'                     # no msync needed
    os._exit(0)
assert os.waitpid(child, 0)[1] == 0
print('parent sees:', seg[0:10])                  # b'from child'
with open(f'{m}/status/sysv/{shmid}') as f:
    print(*[l.strip() for l in f if l.startswith(('segsz:', 'nattch:'))])  # segsz: 4096 nattch: 1
os.unlink(f'{m}/sysv/{shmid}')                    # IPC_RMID: marked dest, still attached here
seg.close()                                       # shmdt: the last detach destroys it
