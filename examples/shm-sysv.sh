#!/bin/sh
# System V shared memory from the shell: shmget(KEY, 65536, IPC_CREAT) through .new, found by its
# key in by-key/; bytes written and read with dd (the size is fixed), the status (nattch, segsz)
# from status/, IPC_RMID by rm.
# Usage: sh shm-sysv.sh [MOUNT]   (default /mnt/ipc)
set -e
m=${1:-/mnt/ipc}/shared-memory
key=$(printf '0x%08x' $$)
exec 3<>$m/sysv/.new; echo "shmget $key 65536 creat mode=0600" >&3; read -r id <&3; exec 3>&-
echo "by-key/$key -> $(readlink $m/sysv/by-key/$key)"             # ../SHMID
printf 'hello' | dd of=$m/sysv/$id conv=notrunc status=none         # at offset 0
echo "read back: $(head -c 5 $m/sysv/$id)"
grep -E '^(segsz|nattch):' $m/status/sysv/$id                        # segsz: 65536, nattch: 0
rm $m/sysv/$id                                                       # shmctl(IPC_RMID)
