"""A jobserver client as make and the Rust crate are: wait until a token is free (select), take it
with a non-blocking read (another client may have been faster: try again), run the job, give the
byte back. While it runs, the pool's status names this process as the holder; had it died, the
token would have come back to the pool by itself.
Usage: python3 jobserver.py [MOUNT]   (default /mnt/ipc)
"""
import os, select, sys

mount = sys.argv[1] if len(sys.argv) > 1 else '/mnt/ipc'
name = 'py-%d' % os.getpid()
with open(f'{mount}/jobserver/named/.new', 'w') as f:
    f.write(f'create {name} size=1')
pool = f'{mount}/jobserver/named/{name}'
status = f'{mount}/jobserver/status/{name}'

fd = os.open(pool, os.O_RDWR | os.O_NONBLOCK)
while True:
    select.select([fd], [], [])              # a token is free...
    try:
        token = os.read(fd, 1)               # ...unless another client took it first
        break
    except BlockingIOError:
        continue
try:
    held = [l for l in open(status) if l.startswith(('free:', 'holder:'))]
    print('running a job with token %r;' % token.decode(), held[0].strip(), held[1].split(' cmdline=')[0].replace(str(os.getpid()), 'PID').strip())
finally:
    os.write(fd, token)                      # give it back (if this process died first, it would come back anyway)
print([l.strip() for l in open(status) if l.startswith(('free:', 'taken:', 'returned:'))])
os.close(fd)
os.unlink(pool)
