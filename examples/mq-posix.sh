#!/bin/sh
# POSIX message queue from the shell: create a queue with attributes through .new, send a message
# (command line and message in one write), receive it robustly (undo: it would go back to the
# queue if this shell died before the ack), acknowledge it, remove the queue.
# Usage: sh mq-posix.sh [MOUNT]   (default /mnt/ipc)
set -e
cd "${1:-/mnt/ipc}/mqueue/named"
q=jobs-$$
exec 3<>.new; echo "create $q maxmsg=10 msgsize=1024 mode=0600" >&3; exec 3>&-
exec 4<>$q
# one write(2): printf alone would write at each newline; dd with iflag=fullblock writes once
printf 'send prio=5\nbuild libfoo' | dd bs=64k iflag=fullblock status=none >&4
echo 'receive undo' >&4
read -r header <&4; set -- $header       # the answer: prio=5 size=12 id=1, a newline,
body=$(head -c "${2#size=}" <&4)         # then the 12 bytes of the message
echo "received $header: $body"
echo "ack ${3#id=}" >&4                  # done: the message is gone for good
grep -E '^(QSIZE|held)' $q               # QSIZE:0 ..., and no held: line
exec 4>&-
rm $q                                    # mq_unlink
