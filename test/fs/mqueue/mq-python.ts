/**
 * What the message-queue mount tests share: a Python prelude (queue files driven with os.write and
 * os.read, one write per command as framing rule 7 asks; the kernel's own POSIX queues through
 * ctypes for comparisons made at run time) and a runner that fails with the script's stderr.
 */
import type { ExecutionContext } from 'ava';
import { python, type PythonRun } from '../../helpers/python.js';

export const PRELUDE = String.raw`
import ctypes, ctypes.util, errno, json, os, random, select, signal, subprocess, sys, tempfile, threading, time
def report(name, value):
    print(json.dumps([name, value]), flush=True)
def ename(e):
    return errno.errorcode.get(e, str(e))
def attempt(fd, cmd):
    """one write of cmd: 'ok' or the errno's name"""
    try:
        os.write(fd, cmd)
        return 'ok'
    except OSError as e:
        return ename(e.errno)
def read_all(fd):
    """reads until end of file (an answer, a status, a pipe)"""
    out = b''
    while True:
        b = os.read(fd, 1 << 20)
        if not b:
            return out
        out += b
def recv(fd, cmd=b'receive'):
    """a receive and its answer: (header words as a dict, message bytes), or the errno's name"""
    r = attempt(fd, cmd)
    if r != 'ok':
        return r
    head, _, body = read_all(fd).partition(b'\n')
    h = dict(w.split('=') for w in head.decode().split())
    assert int(h['size']) == len(body), (h, len(body))
    return h, body
def status_text(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        return read_all(fd).decode()
    finally:
        os.close(fd)
def status(path):
    return dict((l.split(':', 1)[0], l.split(':', 1)[1].strip()) for l in status_text(path).splitlines()[1:] if ':' in l)
def wait_for(check, what, limit=10.0):
    """handshake: until check() is true (a bounded poll of the daemon's status, never a fixed sleep)"""
    end = time.monotonic() + limit
    while not check():
        if time.monotonic() > end:
            raise Exception('timed out waiting for ' + what)
        time.sleep(0.002)
def clone(newfile, cmd):
    fd = os.open(newfile, os.O_RDWR)
    try:
        r = attempt(fd, cmd.encode())
        return r if r != 'ok' else os.read(fd, 4096).decode().strip()
    finally:
        os.close(fd)
def as_user(uid, fn):
    """fn() run by a forked child as uid (gid the same, no supplementary groups): its JSON result"""
    rd, wr = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([]); os.setgid(uid); os.setuid(uid)
            os.write(wr, json.dumps(fn()).encode())
        finally:
            os._exit(0)
    os.close(wr)
    out = read_all(rd)
    os.close(rd)
    os.waitpid(pid, 0)
    return json.loads(out)
def as_nobody(fn):
    return as_user(65534, fn)
def err(fn):
    """fn()'s result ('ok' for None or an int), or the errno's name"""
    try:
        r = fn()
        return 'ok' if r is None or isinstance(r, int) else r
    except OSError as e:
        return ename(e.errno)
libc = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True)
libc.write.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]
libc.write.restype = ctypes.c_ssize_t
def raw_write(fd, b):
    """write(2) without Python's EINTR retry (PEP 475): 'ok' or the errno's name"""
    n = libc.write(fd, b, len(b))
    return 'ok' if n >= 0 else ename(ctypes.get_errno())
# the kernel's POSIX message queues
class MqAttr(ctypes.Structure):
    _fields_ = [('flags', ctypes.c_long), ('maxmsg', ctypes.c_long), ('msgsize', ctypes.c_long), ('curmsgs', ctypes.c_long), ('pad', ctypes.c_long * 4)]
class SigEvent(ctypes.Structure):
    _fields_ = [('value', ctypes.c_void_p), ('signo', ctypes.c_int), ('notify', ctypes.c_int), ('pad', ctypes.c_char * 48)]
rt = ctypes.CDLL(ctypes.util.find_library('rt') or ctypes.util.find_library('c'), use_errno=True)
rt.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.POINTER(MqAttr)]
rt.mq_open.restype = ctypes.c_int
rt.mq_send.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint]
rt.mq_receive.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_uint)]
rt.mq_receive.restype = ctypes.c_ssize_t
rt.mq_notify.argtypes = [ctypes.c_int, ctypes.POINTER(SigEvent)]
rt.mq_unlink.argtypes = [ctypes.c_char_p]
def kcheck(r):
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r
def kopen(name, maxmsg, msgsize):
    rt.mq_unlink(name.encode())
    a = MqAttr(0, maxmsg, msgsize, 0)
    return kcheck(rt.mq_open(name.encode(), os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600, ctypes.byref(a)))
def ksend(q, data, prio):
    kcheck(rt.mq_send(q, data, len(data), prio))
def kreceive(q, msgsize):
    buf = ctypes.create_string_buffer(msgsize)
    prio = ctypes.c_uint()
    n = kcheck(rt.mq_receive(q, buf, msgsize, ctypes.byref(prio)))
    return prio.value, buf.raw[:n]
def knotify(q, how, signo):
    ev = SigEvent(None, signo, how)
    kcheck(rt.mq_notify(q, ctypes.byref(ev)))
class KernelMqueueFs:
    """where the kernel's queues show as files: /dev/mqueue, or the mqueue filesystem mounted for the test"""
    def __enter__(self):
        with open('/proc/self/mounts') as f:
            for l in f:
                w = l.split()
                if w[2] == 'mqueue':
                    self.dir, self.mine = w[1], False
                    return self
        self.dir, self.mine = tempfile.mkdtemp(prefix='ipcfs-mqfs-'), True
        subprocess.run(['mount', '-t', 'mqueue', 'none', self.dir], check=True)
        return self
    def __exit__(self, *a):
        if self.mine:
            subprocess.run(['umount', self.dir])
            os.rmdir(self.dir)
    def first_line(self, name):
        # read by another process: the registrant's own close of any file of the queue drops its
        # notification (mqueue_flush_file)
        out = subprocess.run(['cat', os.path.join(self.dir, name.lstrip('/'))], check=True, capture_output=True)
        return out.stdout.decode().splitlines()[0]
`;

/** Runs PRELUDE + script with args; fails the test (with stderr) when the script does not exit 0. */
export async function runPython(t: ExecutionContext, script: string, args: string[], timeoutMs = 60_000): Promise<Map<string, unknown>> {
  const r: PythonRun = await python(PRELUDE + script, args, timeoutMs);
  if (r.code !== 0) t.fail(`python exited ${r.code ?? r.signal}: ${r.err}\n${r.out}`);
  return new Map(r.results);
}
