"""POSIX shared memory from Python: shm_open(O_CREAT) is os.open, ftruncate sizes it, mmap maps it
(the descriptor may be closed: the mapping keeps the object open); a store through the mapping is
seen at once by read(2) and every other mapping, without msync. rm is shm_unlink.
Usage: python3 shm-posix.py [MOUNT]   (default /mnt/ipc)"""
import mmap, os, sys

m = f'{sys.argv[1] if len(sys.argv) > 1 else "/mnt/ipc"}/shared-memory'
name = f'frames-{os.getpid()}'
fd = os.open(f'{m}/named/{name}', os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
os.ftruncate(fd, 1 << 20)                          # 1 MiB of zeros
mem = mmap.mmap(fd, 1 << 20, mmap.MAP_SHARED)
os.close(fd)
mem[0:5] = b'hello'
with open(f'{m}/status/named/{name}') as f:
    print(*[l.strip() for l in f if l.startswith(('size:', 'opens:'))])   # size: 1048576 opens: 1
with open(f'{m}/named/{name}', 'rb') as f:
    print('read(2) sees:', f.read(5))              # b'hello'
mem.close()
os.unlink(f'{m}/named/{name}')                      # shm_unlink
