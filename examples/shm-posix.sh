#!/bin/sh
# POSIX shared memory from the shell: the object's file is its memory. Create one of 1 MiB through
# .new, write and read bytes at an offset with dd, read its status (from status/, without touching
# the memory), remove it (shm_unlink).
# Usage: sh shm-posix.sh [MOUNT]   (default /mnt/ipc)
set -e
m=${1:-/mnt/ipc}/shared-memory
f=frames-$$
exec 3<>$m/named/.new; echo "create $f size=1048576 mode=0600" >&3; exec 3>&-
printf 'hello' | dd of=$m/named/$f bs=1 seek=4096 conv=notrunc status=none
echo "at 4096: $(dd if=$m/named/$f bs=1 skip=4096 count=5 status=none)"   # hello
grep -E '^(size|opens):' $m/status/named/$f                                 # size: 1048576, opens: 0
rm $m/named/$f                                                              # shm_unlink
