"""POSIX message queue from Python: open(O_CREAT) makes a queue with the default attributes;
each send is one os.write of the command line and the message (any bytes); receive takes the
highest-priority message, whose answer is read back from the same descriptor.
Usage: python3 mq-posix.py [MOUNT]   (default /mnt/ipc)"""
import os, sys

path = f'{sys.argv[1] if len(sys.argv) > 1 else "/mnt/ipc"}/mqueue/named/tasks-{os.getpid()}'
fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)   # mq_open(O_CREAT | O_EXCL)
try:
    os.write(fd, b'send prio=1\n' + b'low\0\n')                 # binary-safe: NUL and newline pass
    os.write(fd, b'send prio=9\n' + b'urgent')
    for _ in range(2):
        os.write(fd, b'receive timeout=5')                      # TimeoutError after 5 s if empty
        header, _, body = os.read(fd, 1 << 20).partition(b'\n') # b'prio=9 size=6', b'urgent'
        print(header.decode(), body)
finally:
    os.close(fd)
    os.unlink(path)                                             # mq_unlink
