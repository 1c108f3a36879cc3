"""System V message queue from Python: msgget(KEY, IPC_CREAT | IPC_EXCL) through .new, found
again through by-key/; a robust receive (undo) holds the message until "ack", so a worker that
dies first loses nothing; rm is IPC_RMID.
Usage: python3 mq-sysv.py [MOUNT]   (default /mnt/ipc)"""
import os, sys

sysv = f'{sys.argv[1] if len(sys.argv) > 1 else "/mnt/ipc"}/mqueue/sysv'
key = f'0x{os.getpid():08x}'
ctl = os.open(f'{sysv}/.new', os.O_RDWR)
os.write(ctl, f'msgget {key} creat excl mode=0600'.encode())
msqid = os.read(ctl, 64).decode().strip()
os.close(ctl)
print(f'by-key/{key} -> {os.readlink(f"{sysv}/by-key/{key}")}')   # ../MSQID

fd = os.open(f'{sysv}/{msqid}', os.O_RDWR)
os.write(fd, b'send 7\n' + b'job for a worker')
os.write(fd, b'receive 7 undo')                         # msgrcv(msgtyp=7), held by this fd
header, _, text = os.read(fd, 1 << 20).partition(b'\n')  # b'type=7 size=16 id=1', the text
print(header.decode(), text.decode())
# ... work; had this process died here, the message would be back in the queue
os.write(fd, b'ack ' + header.split(b'id=')[1])          # done: it is gone for good
os.close(fd)
os.unlink(f'{sysv}/{msqid}')                             # msgctl(IPC_RMID)
