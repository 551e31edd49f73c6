#!/usr/bin/env bash
# Boot a Debian 12 guest under QEMU with the real netmap kernel module and run ringside's netmap
# backend in it, against the guest's own kernel as the peer (over a veth pair).
#
#   tools/netmap-vm/run.sh            run the checks; one `check NAME ok|fail DETAIL` line each
#   tools/netmap-vm/run.sh --bench    also measure (ping RTT through ringside vs the guest kernel)
#   tools/netmap-vm/run.sh --demo     the course's netmap demo: ringside's TUI on the guest console,
#                                     the peer pinging it; `q` quits ringside and powers the guest off
#
# Everything comes from Debian's registry (apt-get download: the kernel image, its headers and
# kbuild), crates.io (ringside) and the netmap source tarball (NETMAP_TARBALL; get it from
# https://github.com/luigirizzo/netmap, e.g. the "Download ZIP"/tar.gz of a commit). The host needs
# qemu-system-x86 busybox-static gcc make iproute2 iputils-ping ethtool (and tshark for the
# recording check). Downloads and builds are cached in target/netmap-vm/ (NETMAP_VM_DIR): the first
# run builds netmap.ko (a few minutes), later runs boot in seconds.
#
# Exit status: 0 all checks passed, 1 a check or a step failed, 2 usage, 77 a prerequisite is
# missing (one line says what to install).
set -euo pipefail

# ip and ethtool live in /usr/sbin, which is not on a normal user's PATH on Debian.
export PATH=$PATH:/usr/sbin:/sbin
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=${NETMAP_VM_DIR:-$ROOT/target/netmap-vm}
PROFILE=${RINGSIDE_PROFILE:-release}
MODE=check
case "${1:-}" in
  "" | --check) MODE=check ;;
  --bench) MODE=bench ;;
  --demo) MODE=demo ;;
  -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: $0 [--check|--bench|--demo]" >&2; exit 2 ;;
esac

log() { printf 'netmap-vm: %s\n' "$*" >&2; }
missing() { printf 'netmap-vm: missing %s\n' "$*" >&2; exit 77; }
die() { printf 'netmap-vm: %s\n' "$*" >&2; exit 1; }

# --- prerequisites --------------------------------------------------------------------------
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing "$1: install it with \`apt-get install $2\`"; }
need_cmd qemu-system-x86_64 qemu-system-x86
need_cmd apt-get apt
need_cmd dpkg-deb dpkg
need_cmd gcc gcc
need_cmd make make
need_cmd strip binutils
need_cmd ip iproute2
need_cmd ethtool ethtool
need_cmd nsenter util-linux
[ -x /bin/busybox ] && /bin/busybox --list | grep -x cpio >/dev/null ||
  missing "a static busybox: install it with \`apt-get install busybox-static\`"
file_static() { ! ldd "$1" >/dev/null 2>&1; }
file_static /bin/busybox || missing "a static busybox (this one is dynamic): \`apt-get install busybox-static\`"
PING=$(command -v ping) || missing "ping: install it with \`apt-get install iputils-ping\`"
"$PING" -V 2>&1 | grep iputils >/dev/null || missing "iputils ping: install it with \`apt-get install iputils-ping\`"
BASH_BIN=$(command -v bash)

if [ -z "${NETMAP_TARBALL:-}" ]; then
  for t in "$ROOT"/../shared/third_party/netmap-*.tar.gz "$ROOT"/../../shared/third_party/netmap-*.tar.gz; do
    [ -f "$t" ] && NETMAP_TARBALL=$t && break
  done
fi
[ -n "${NETMAP_TARBALL:-}" ] && [ -f "$NETMAP_TARBALL" ] ||
  missing "the netmap source: download a tarball of https://github.com/luigirizzo/netmap and set NETMAP_TARBALL=/path/to/netmap.tar.gz"
if [ "$MODE" != demo ]; then
  command -v tshark >/dev/null 2>&1 || missing "tshark (opens the guest's recording): \`apt-get install tshark\`"
fi

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
T0=$(date +%s)

# --- 1. the Debian 12 kernel packages -------------------------------------------------------
# linux-image-amd64 is the metapackage; the real image, its headers and kbuild share one version.
step_debs() {
  local image ver abi
  image=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  [ -n "$image" ] || die "apt knows no linux-image-amd64: run \`apt-get update\` (Debian 12 sources)"
  ver=$(apt-cache show --no-all-versions "$image" | awk '/^Version:/{print $2; exit}')
  abi=${image#linux-image-}
  abi=${abi%-amd64}
  KVER=$abi-amd64
  mkdir -p "$WORK/debs"
  # kbuild is named by the major.minor of the ABI: linux-kbuild-6.1 for 6.1.0-57.
  local want=("linux-image-$abi-amd64" "linux-headers-$abi-amd64" "linux-headers-$abi-common"
    "linux-kbuild-$(echo "$abi" | cut -d. -f1-2)")
  local get=()
  for p in "${want[@]}"; do
    ls "$WORK/debs/${p}_${ver}_"*.deb >/dev/null 2>&1 || get+=("$p=$ver")
  done
  if [ ${#get[@]} -gt 0 ]; then
    log "downloading ${get[*]}"
    (cd "$WORK/debs" && apt-get download -q "${get[@]}" 2>&1 | { grep -v '^W: Download is performed unsandboxed' >&2 || true; }) ||
      die "apt-get download failed: run \`apt-get update\` and check the Debian 12 sources"
  fi
  DEBS=()
  for p in "${want[@]}"; do DEBS+=("$(ls "$WORK/debs/${p}_${ver}_"*.deb)"); done
}

# --- 2. unpack: the kernel and two modules from the image; headers + kbuild to build against --
step_unpack() {
  local k=$WORK/kernel-$KVER
  if [ ! -f "$k/.done" ]; then
    log "unpacking $KVER"
    rm -rf "$k" && mkdir -p "$k/root"
    # Only what the guest needs from the 70 MB image: the kernel and veth.ko.
    dpkg-deb --fsys-tarfile "${DEBS[0]}" |
      tar -x -C "$k/root" --wildcards "./boot/vmlinuz-*" "./lib/modules/*/kernel/drivers/net/veth.ko"
    for d in "${DEBS[@]:1}"; do dpkg-deb -x "$d" "$k/root"; done
    # Debian's -amd64 headers include their -common sibling by absolute path.
    sed -i "s|^include /usr/src/|include $k/root/usr/src/|" "$k/root/usr/src/linux-headers-$KVER/Makefile"
    touch "$k/.done"
  fi
  KDIR=$k
}

# --- 3. netmap.ko and pkt-gen ---------------------------------------------------------------
step_netmap() {
  local sum b
  sum=$(sha256sum "$NETMAP_TARBALL" | cut -c1-12)
  b=$WORK/netmap-$KVER-$sum
  if [ ! -f "$b/.done" ]; then
    log "building netmap.ko and pkt-gen from $(basename "$NETMAP_TARBALL") (a few minutes, once)"
    rm -rf "$b" && mkdir -p "$b/src" "$b/build"
    tar -xzf "$NETMAP_TARBALL" -C "$b/src" --strip-components=1
    (cd "$b/build" &&
      ../src/configure --kernel-dir="$KDIR/root/usr/src/linux-headers-$KVER" --no-drivers --apps=pkt-gen &&
      make -j"$(nproc)") >"$b/build.log" 2>&1 || die "netmap build failed: see $b/build.log"
    touch "$b/.done"
  fi
  NETMAP_KO=$b/build/netmap.ko
  PKTGEN=$b/build/build-apps/pkt-gen/pkt-gen
  [ -f "$NETMAP_KO" ] && [ -x "$PKTGEN" ] || die "netmap build left no netmap.ko/pkt-gen: see $b/build.log"
}

# --- 4. ringside with the netmap backend -----------------------------------------------------
step_ringside() {
  local flag=()
  [ "$PROFILE" = release ] && flag=(--release)
  log "building ringside --features netmap ($PROFILE)"
  (cd "$ROOT" && cargo build -q "${flag[@]}" --features netmap --bin ringside) ||
    die "cargo build --features netmap failed"
  local tdir
  tdir=${CARGO_TARGET_DIR:-$ROOT/target}
  RINGSIDE=$tdir/$PROFILE/ringside
}

# --- 5. the initramfs -------------------------------------------------------------------------
# busybox for the shell and tools, the real iproute2/iputils/ethtool/bash (with their glibc
# libraries, found by ldd) where busybox lacks something: netns, veth, ping -f, /dev/udp.
add_bin() { # add_bin SRC DEST: copy a binary and every library it links
  local dst=$1 src=$2
  install -D -m 0755 "$src" "$IR/$dst"
  ldd "$src" 2>/dev/null | awk '/=> \//{print $3} /^\t\/lib/{print $1}' | while read -r lib; do
    [ -f "$IR$lib" ] || install -D -m 0755 "$lib" "$IR$lib"
  done
}
step_initramfs() {
  IR=$WORK/initramfs
  rm -rf "$IR" && mkdir -p "$IR"/{bin,sbin,usr/bin,usr/sbin,lib/modules,proc,sys,dev,run,tmp,etc,var}
  install -m 0755 /bin/busybox "$IR/bin/busybox"
  for a in $(/bin/busybox --list); do [ -e "$IR/bin/$a" ] || ln -s busybox "$IR/bin/$a"; done
  ln -sfn ../run "$IR/var/run"
  add_bin /usr/sbin/ip "$(command -v ip)"
  add_bin /usr/bin/ping "$PING"
  add_bin /usr/sbin/ethtool "$(command -v ethtool)"
  add_bin /usr/bin/bash "$BASH_BIN"
  add_bin /usr/bin/nsenter "$(command -v nsenter)"
  add_bin /usr/bin/ringside "$RINGSIDE"
  add_bin /usr/bin/pkt-gen "$PKTGEN"
  # Debug info makes the initramfs several times larger, and the guest unpacks it under TCG.
  strip --strip-debug "$IR/usr/bin/ringside"
  rm -f "$IR/bin/ip" "$IR/bin/ping" # the real ones above come first in PATH anyway
  install -m 0644 "$KDIR"/root/lib/modules/*/kernel/drivers/net/veth.ko "$IR/lib/modules/veth.ko"
  install -m 0644 "$NETMAP_KO" "$IR/lib/modules/netmap.ko"
  strip --strip-debug "$IR/lib/modules/netmap.ko"
  install -m 0755 "$HERE/guest-init.sh" "$IR/init"
  install -m 0644 "$HERE/guest-bench.sh" "$IR/guest-bench.sh"
  echo 'root:x:0:0:root:/root:/bin/sh' >"$IR/etc/passwd"
  (cd "$IR" && find . | LC_ALL=C sort | /bin/busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$WORK/initramfs.gz"
}

# --- 6. boot ----------------------------------------------------------------------------------
boot() {
  local append="console=ttyS0 panic=-1 quiet loglevel=3 rs.mode=$MODE"
  if [ "$MODE" = demo ]; then
    local rows cols
    rows=$(stty size 2>/dev/null </dev/tty | cut -d' ' -f1) || rows=""
    cols=$(stty size 2>/dev/null </dev/tty | cut -d' ' -f2) || cols=""
    append="$append rs.rows=${rows:-40} rs.cols=${cols:-120}"
  fi
  local q=(qemu-system-x86_64 -accel tcg -m 1024 -smp "${NETMAP_VM_SMP:-2}" -nographic -no-reboot
    -kernel "$KDIR"/root/boot/vmlinuz-"$KVER" -initrd "$WORK/initramfs.gz" -append "$append"
    -nic none -serial mon:stdio)
  [ "$MODE" = demo ] && exec "${q[@]}"
  # -serial mon:stdio with no terminal: stdin from /dev/null; a watchdog stops a hung guest.
  timeout "${NETMAP_VM_TIMEOUT:-600}" "${q[@]}" </dev/null | tr -d '\r'
}

step_debs
step_unpack
step_netmap
step_ringside
step_initramfs
log "prepared in $(($(date +%s) - T0)) s; booting the guest ($MODE)"

if [ "$MODE" = demo ]; then
  boot
fi

OUT=$WORK/console.log
boot >"$OUT" 2>&1 || true
# The guest's result lines; the whole console log stays in $OUT for a reader of a failure.
RESULTS=$(grep -E '^(check|figure|info) ' "$OUT" || true)

# --- 7. the recording, opened by tshark on the host --------------------------------------------
PCAP=$WORK/guest-recording.pcap
rm -f "$PCAP"
sed -n '/^BEGIN-PCAP$/,/^END-PCAP$/p' "$OUT" | sed '1d;$d' | base64 -d 2>/dev/null | gzip -dc >"$PCAP" 2>/dev/null || true
recorded=$(awk '$1=="info" && $2=="recorded_frames"{print $3}' "$OUT")
tcount() { tshark -r "$PCAP" -Y "$1" -T fields -e frame.number 2>/dev/null | wc -l; }
if [ -s "$PCAP" ] && tshark -r "$PCAP" -c 1 >/dev/null 2>&1; then
  n=$(tcount frame)
  replies=$(tcount 'icmp.type == 0 && ip.src == 198.51.100.2')
  udp=$(tcount 'udp.srcport == 7 && ip.src == 198.51.100.2')
  bad=$(tcount '_ws.malformed || _ws.expert.severity >= error')
  detail="frames=$n recorded_frames=${recorded:-?} echo_replies=$replies udp_echoes=$udp malformed_or_errors=$bad"
  if [ "$n" = "${recorded:-x}" ] && [ "$replies" -ge 3000 ] && [ "$udp" -ge 1 ] && [ "$bad" = 0 ]; then
    RESULTS+=$'\n'"check recording_tshark ok $detail"
  else
    RESULTS+=$'\n'"check recording_tshark fail $detail"
  fi
else
  RESULTS+=$'\n'"check recording_tshark fail no pcap tshark can open came out of the guest"
fi
RESULTS+=$'\n'"info elapsed_s $(($(date +%s) - T0))"
echo "$RESULTS"
if ! grep -q '^info guest_done' <<<"$RESULTS"; then
  log "the guest did not finish its checks: see $OUT"
  exit 1
fi
if grep -q '^check [^ ]* fail' <<<"$RESULTS"; then
  log "a check failed: the guest's console is in $OUT"
  exit 1
fi
exit 0
