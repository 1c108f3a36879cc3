#!/bin/sh
# Run unchanged through `ipcfs exec`: util-linux's ipcmk and ipcrm make and remove System V objects
# on the mount, since they call msgget/semget/shmget and msgctl/semctl/shmctl through libc, which
# the interposer serves (ipcrm by id or key; not `ipcrm -a`, which takes its ids from the kernel's
# /proc/sysvipc). util-linux's ipcs is not served either: it reads /proc/sysvipc too. The mount
# has its own tables in the same format (MOUNT/sysvipc/msg, sem, shm; `ipcfs ipcs` prints them as
# ipcs does), read here with plain awk.
# Usage: ipcfs exec [--mount MOUNT] -- sh util-linux.sh
set -eu
m=${IPCFS_MOUNT:?run me through ipcfs exec}

# ipcmk prints "Message queue id: N" and so on; a random key, so no other program's object.
q=$(ipcmk -Q -p 600 | sed 's/.*: //')
s=$(ipcmk -S 2 -p 600 | sed 's/.*: //')
shm=$(ipcmk -M 4096 -p 600 | sed 's/.*: //')

row() { awk -v id="$2" '$2 == id { print $0 }' "$m/sysvipc/$1"; }
row msg "$q" | awk '{ printf "ipcmk -Q: msqid %s, perms %s, on the mount as mqueue/sysv/%s\n", $2, $3, $2 }'
row sem "$s" | awk '{ printf "ipcmk -S 2: semid %s, perms %s, nsems %s, on the mount as semaphores/sysv/%s\n", $2, $3, $4, $2 }'
row shm "$shm" | awk '{ printf "ipcmk -M 4096: shmid %s, perms %s, size %s, on the mount as shared-memory/sysv/%s\n", $2, $3, $4, $2 }'
ls "$m/mqueue/sysv/$q" "$m/semaphores/sysv/$s" "$m/shared-memory/sysv/$shm" >/dev/null

ipcrm -q "$q" -s "$s" -m "$shm"
echo "ipcrm -q $q -s $s -m $shm: removed"
# The errno of msgctl on a removed id is the kernel's (EINVAL), and so is ipcrm's message.
ipcrm -q "$q" 2>&1 || echo "ipcrm -q $q again: exit status $?"
for f in "$m/mqueue/sysv/$q" "$m/semaphores/sysv/$s" "$m/shared-memory/sysv/$shm"; do
    if [ -e "$f" ]; then echo "still there: $f"; exit 1; fi
done
echo "none of the three is left on the mount"
