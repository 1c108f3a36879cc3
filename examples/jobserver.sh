#!/bin/sh
# A jobserver pool from the shell: make one through .new, let GNU make run its jobs with it (fd 3
# to take a token, fd 4 to give it back), and see that a token taken by a process that exits
# without giving it back comes back anyway.
# Usage: sh jobserver.sh [MOUNT]   (default /mnt/ipc)
set -e
cd "${1:-/mnt/ipc}/jobserver"
p=build-$$
echo "create $p size=2" > named/.new
exec 3<named/$p 4>named/$p
work=$(mktemp -d)
printf 'all: a b c d\na b c d:\n\t@sleep 0.1\n' > "$work/Makefile"
MAKEFLAGS=" -j3 --jobserver-auth=3,4" make -s -C "$work"   # 3 jobs at once: 2 tokens + make's own
grep -E '^(size|free|held):' status/$p
exec 3<&- 3<named/$p                     # make left fd 3 non-blocking (O_NONBLOCK on the open file)
head -c1 <&3 >/dev/null                  # head takes a token and exits without giving it back...
dd bs=1 count=2 <&3 2>/dev/null | od -An -c   # ...yet two can be taken (dd waits for the second)
exec 3<&- 4>&-
rm -r "$work" named/$p
