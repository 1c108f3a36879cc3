#!/usr/bin/env bash
# Debian packages ipcfs needs beyond Node: fuse3 (fusermount3, for unprivileged mounts and their
# tests), libfuse3-dev + pkg-config (the C reference filesystem the benchmark builds), gcc (the
# tests' C programs, examples/*.c), python3 (the tests' Python programs, examples/*.py) and tmux
# (the terminal `ipcfs top` is tested in: test/tools/top-tty.test.ts).
# Idempotent and quiet when all is there; as non-root it only says what is missing.
set -u
missing=()
command -v fusermount3 >/dev/null 2>&1 || missing+=(fuse3)
pkg-config --exists fuse3 2>/dev/null || missing+=(libfuse3-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
# Unprivileged FUSE opens /dev/fuse with the user's rights (fusermount3 does too). systemd's udev
# rules make it 0666 (KERNEL=="fuse", MODE="0666"); a machine without udev keeps devtmpfs's 0600.
fix_dev_fuse() {
  if [ -c /dev/fuse ] && [ "$(id -u)" = 0 ] && [ "$(stat -c %a /dev/fuse)" != 666 ]; then
    chmod 0666 /dev/fuse && echo "system-deps: /dev/fuse made 0666, as udev would, for unprivileged mounts" >&2
  fi
}
if [ ${#missing[@]} -eq 0 ]; then fix_dev_fuse; exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing ${missing[*]} (install them as root with apt-get); tests that need them will say so" >&2
  exit 0
fi
echo "system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
  || echo "system-deps: apt-get install ${missing[*]} failed; tests that need them will say so" >&2
fix_dev_fuse
exit 0
