#!/bin/sh
# POSIX named semaphore from the shell, as a jobserver's tokens: create it with a value through
# .new, take a token with undo (it would come back if this shell died), give it back, remove it.
# Usage: sh sem.sh [MOUNT]   (default /mnt/ipc)
set -e
cd "${1:-/mnt/ipc}/semaphores/named"
s=jobs-$$
exec 3<>.new; echo "create $s value=4" >&3; exec 3>&-
exec 4>$s                            # keep the descriptor open while holding tokens
echo 'wait undo' >&4                 # take a token; it comes back if this shell dies
grep -E '^(value|undo):' $s          # value: 3, undo: pid=... comm=sh sem=0 adj=1
echo 'post undo' >&4                 # give it back (the adjustment returns to 0)
exec 4>&-
grep '^value:' $s                    # value: 4
rm $s                                # sem_unlink
