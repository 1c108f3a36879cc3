#!/bin/sh
# System V message queue from the shell: msgget(IPC_PRIVATE) through .new, two messages of
# different types, msgrcv by type (2 first, then any), IPC_RMID by rm.
# Usage: sh mq-sysv.sh [MOUNT]   (default /mnt/ipc)
set -e
cd "${1:-/mnt/ipc}/mqueue/sysv"
exec 3<>.new; echo 'msgget private mode=0600' >&3; read -r id <&3; exec 3>&-
exec 4<>$id
# send TYPE, a newline, the text: one write(2) each (dd, not printf: see mq-posix.sh)
printf 'send 1\nfirst, type 1' | dd bs=64k iflag=fullblock status=none >&4
printf 'send 2\nthen type 2' | dd bs=64k iflag=fullblock status=none >&4
echo "receive 2 nowait" >&4; cat <&4; echo      # type=2 size=11, a newline, the text
echo "receive nowait" >&4; cat <&4; echo        # type=1 size=13 ...
grep -E '^(msqid|qnum):' $id
exec 4>&-
rm $id                                             # msgctl(IPC_RMID)
