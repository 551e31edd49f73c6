#!/usr/bin/bash
# /init of the netmap test guest (PID 1; bash, because Debian's static busybox runs its own applets
# (ip, ping, nsenter) before anything on PATH, and the checks need the real iproute2 and iputils).
# Loads veth.ko and netmap.ko, makes a veth pair rs0 <-> peer0 with peer0 in a network namespace
# (the guest kernel is ringside's peer there), then by `rs.mode=` on the kernel command line:
#   check  run the checks: one `check NAME ok|fail DETAIL` line each, then the recording as
#          base64 between BEGIN-PCAP/END-PCAP lines, then `info guest_done`, and power off
#   bench  the checks, then the measurements (`figure NAME VALUE` lines)
#   demo   ringside's TUI on the console, the peer pinging it (the course's netmap demo)
# Addresses: peer 198.51.100.1, ringside 198.51.100.2 (TEST-NET-2); multi-ring pair on 192.0.2.0/24.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=${TERM:-linux}
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs run /run
mount -t tmpfs tmp /tmp
mkdir -p /root

arg() { for w in $(cat /proc/cmdline); do case $w in "$1"=*) echo "${w#*=}" ;; esac; done; }
MODE=$(arg rs.mode)
RS=198.51.100.2
PEER=198.51.100.1
P="nsenter --net=/run/netns/peer"
FAILED=0

# Guest uptime in seconds, to see where the time goes.
up() { cut -d' ' -f1 /proc/uptime; }
ok() { echo "check $1 ok ${2:-} t=$(up)"; }
fail() { echo "check $1 fail ${2:-} t=$(up)"; FAILED=1; }
verdict() { if [ "$2" = 0 ]; then ok "$1" "$3"; else fail "$1" "$3"; fi; }
info() { echo "info $*"; }
bye() {
  info guest_done failed=$FAILED
  sync
  poweroff -f
}
fatal() { fail setup "$*"; bye; }

# --- setup ---------------------------------------------------------------------------------------
insmod /lib/modules/veth.ko || fatal "insmod veth.ko"
insmod /lib/modules/netmap.ko || fatal "insmod netmap.ko"
[ -c /dev/netmap ] || fatal "no /dev/netmap after insmod netmap.ko"
info modules_loaded_at "$(up)"
ip link set lo up
# No IPv6: router solicitations and MLD reports would fill the rings and the recording.
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns add peer || fatal "ip netns add"
$P sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
$P ip link set lo up

# veth_pair NAME PEERNAME PEERADDR [QUEUES]: rs-side NAME stays here with no address; PEERNAME goes
# into the peer namespace with PEERADDR/24, TX checksum offload off (netmap's emulated adapter hands
# over the frame as the peer kernel left it: with offload, the UDP checksum is not filled in yet) and
# neighbour timers short enough for the ARP lesson.
veth_pair() {
  q=${4:-1}
  ip link add "$1" numtxqueues "$q" numrxqueues "$q" type veth peer name "$2" numtxqueues "$q" numrxqueues "$q" ||
    fatal "ip link add $1"
  ip link set "$2" netns peer
  sysctl -qw "net.ipv6.conf.$1.disable_ipv6=1"
  ip link set "$1" up
  $P sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1" "net.ipv4.neigh.$2.base_reachable_time_ms=2000" \
    "net.ipv4.neigh.$2.delay_first_probe_time=1" "net.ipv4.neigh.$2.retrans_time_ms=300" \
    "net.ipv4.neigh.$2.gc_stale_time=2"
  $P ethtool -K "$2" tx off >/dev/null 2>&1
  $P ip addr add "$3/24" dev "$2"
  $P ip link set "$2" up
}
veth_pair rs0 peer0 $PEER
RSMAC=$(cat /sys/class/net/rs0/address)
PEERMAC=$($P ip -o link show peer0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
info rs0_mac "$RSMAC" peer0_mac "$PEERMAC"

# Start ringside headless on IFACE with ADDR (more args follow); wait for its "live on" line.
# Sets RPID; its stdout (the counters) and stderr go to /tmp/NAME.out and /tmp/NAME.err.
ringside_start() {
  name=$1 ifc=$2 addr=$3
  shift 3
  ringside live -i "$ifc" --ip "$addr/24" --backend netmap --headless "$@" \
    >"/tmp/$name.out" 2>"/tmp/$name.err" &
  RPID=$!
  i=0
  while ! grep -qE 'live on|capturing only on' "/tmp/$name.err" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 300 ] || ! kill -0 $RPID 2>/dev/null; then
      fail "ringside_start_$name" "$(tr '\n' ' ' <"/tmp/$name.err")"
      return 1
    fi
    sleep 0.1
  done
  info "ringside_$name" "$(tr '\n' ' ' <"/tmp/$name.err")"
}
ringside_stop() {
  kill -TERM "$RPID"
  wait "$RPID"
  RC=$?
}
counter() { awk -v k="$1" '$1==k{print $2}' "/tmp/$2.out"; }
received() { sed -n 's/.* \([0-9]*\) received.*/\1/p'; }
peer_rx() { $P cat /proc/net/dev | awk -v i="$1:" '$1==i{print $3}'; }

# ring_summary NAME: the stack's exit counters must add up and the link must be clean.
ring_summary() {
  f=/tmp/$1.out
  sum=$(awk '/^answered /{on=1; next} /^link_rx_frames /{on=0} on{s+=$2} END{print s+0}' "$f")
  fin=$(counter frames_in "$1")
  ans=$(counter answered "$1")
  rx=$(counter link_rx_frames "$1")
  txe=$(counter link_tx_errors "$1")
  bad=$(grep -c 'bad slots' "/tmp/$1.err")
  d="frames_in=$fin answered=$ans reasons=$sum link_rx_frames=$rx link_tx_errors=$txe exit=$RC"
  [ -n "$fin" ] && [ "$fin" = $((ans + sum)) ] && [ "$fin" = "$rx" ] && [ "$txe" = 0 ] &&
    [ "$bad" = 0 ] && [ "$RC" = 0 ]
  verdict "counters_$1" $? "$d bad_slot_lines=$bad"
}

if [ "$MODE" = demo ]; then
  # The course's netmap demo: the peer pings ringside once a second and sends a UDP datagram to
  # its print sink (port 9) every 3 s; ringside's TUI runs on the console.
  $P ping -i 1 $RS >/dev/null 2>&1 &
  $P bash -c "n=0; while sleep 3; do n=\$((n+1)); echo \"hello from the peer \$n\" >/dev/udp/$RS/9; done" 2>/dev/null &
  rows=$(arg rs.rows) cols=$(arg rs.cols)
  stty -F /dev/ttyS0 rows "${rows:-40}" cols "${cols:-120}" 2>/dev/null
  export TERM=xterm-256color
  clear
  setsid -c sh -c "ringside live -i rs0 --ip $RS/24 --backend netmap </dev/ttyS0 >/dev/ttyS0 2>&1 ||
    { echo 'ringside failed; Enter powers the guest off'; read x; }" </dev/ttyS0 >/dev/ttyS0 2>&1
  poweroff -f
fi

# --- control: netmap's own pkt-gen, before ringside --------------------------------------------
# TX: 1000 frames from netmap:rs0 must reach the peer's interface counter.
before=$(peer_rx peer0)
out=$(pkt-gen -i netmap:rs0 -f tx -n 1000 -l 60 -w 1 -S "$RSMAC" -D "$PEERMAC" \
  -s 198.51.100.9:2000 -d $PEER:9 2>&1)
after=$(peer_rx peer0)
sent=$(echo "$out" | sed -n 's/^Sent \([0-9]*\) packets.*/\1/p')
[ "${sent:-0}" = 1000 ] && [ $((after - before)) -ge 1000 ]
verdict pktgen_tx $? "sent=${sent:-?} peer0_rx_delta=$((after - before))"
# RX: 20 pings sent straight to rs0's MAC (a static neighbour entry: nobody answers ARP yet).
pkt-gen -i netmap:rs0 -f rx -w 1 -W >/tmp/pktgen-rx.out 2>&1 &
pg=$!
sleep 1.5
$P ip neigh replace $RS lladdr "$RSMAC" dev peer0 nud permanent
$P ping -c 20 -i 0.05 -W 1 $RS >/dev/null 2>&1
$P ip neigh del $RS dev peer0
i=0
while kill -0 $pg 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill $pg 2>/dev/null
got=$(sed -n 's/^Received \([0-9]*\) packets.*/\1/p' /tmp/pktgen-rx.out)
[ "${got:-0}" -ge 20 ]
verdict pktgen_rx $? "received=${got:-?} $([ -n "$got" ] || tr '\n' ' ' </tmp/pktgen-rx.out)"

# --- ringside on netmap:rs0 --------------------------------------------------------------------
ringside_start main rs0 $RS -w /tmp/main.pcap || bye
$P ip neigh flush dev peer0

# ARP + ping, 56 bytes: the kernel resolves ringside's MAC (ringside answers ARP), then echo.
n=$($P ping -c 5 -i 0.2 -W 2 $RS 2>&1 | received)
lladdr=$($P ip neigh show $RS dev peer0 | sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p')
[ "${n:-0}" = 5 ] && [ "$lladdr" = "$RSMAC" ]
verdict ping_56 $? "received=${n:-0}/5 peer_neigh_lladdr=${lladdr:-none}"

# Full-size frames (1472 + 8 + 20 = 1500 bytes of IP) and a 4000-byte ping, fragmented by the peer
# kernel into three frames, reassembled by ringside and answered in fragments it makes itself.
n=$($P ping -c 3 -i 0.2 -W 2 -s 1472 -M do $RS 2>&1 | received)
verdict ping_1472 $([ "${n:-0}" = 3 ]; echo $?) "received=${n:-0}/3"
n=$($P ping -c 3 -i 0.2 -W 2 -s 4000 $RS 2>&1 | received)
verdict ping_4000_fragmented $([ "${n:-0}" = 3 ]; echo $?) "received=${n:-0}/3"

# A burst that wraps the 1024-slot rings several times: 3000 back to back (-f waits for each reply
# or 10 ms, so it is a flood limited by the responder).
out=$($P ping -f -c 3000 -W 2 $RS 2>&1)
n=$(echo "$out" | received)
verdict ping_burst_3000 $([ "${n:-0}" = 3000 ]; echo $?) "received=${n:-0}/3000 $(echo "$out" | grep rtt)"

# UDP echo (port 7): the same bytes come back. bash's /dev/udp is a connected UDP socket; dd reads
# one whole datagram (bash's own `read` would take one byte, and the rest of the datagram is lost).
udp_echo() { # udp_echo ADDR PAYLOAD: prints the reply
  $P bash -c "exec 3<>/dev/udp/$1/7; printf '%s' '$2' >&3; timeout 3 dd bs=65536 count=1 <&3 2>/dev/null"
}
got=$(udp_echo $RS "ringside over netmap")
[ "$got" = "ringside over netmap" ]
verdict udp_echo $? "reply=\"$got\""
# A second flow, from another port, for the print sink (port 9): logged, nothing comes back.
$P bash -c "printf 'hello, class' >/dev/udp/$RS/9"
sleep 0.3
grep -q 'print sink.*"hello, class"' /tmp/main.err
verdict udp_print_sink $? "$(grep 'print sink' /tmp/main.err | head -1)"

# The ARP lesson with the kernel's own neighbour table: ARP responder off (SIGUSR1) while the
# peer's entry for ringside is REACHABLE. It goes STALE; the next ping uses it (and is answered: ICMP
# is still on) and moves it to DELAY, then PROBE (unicast ARP to the cached MAC, unanswered), then
# FAILED: pings stop. ARP back on, the next ping resolves it again.
neigh() { $P ip neigh show $RS dev peer0 | awk '{print $NF}'; }
# Every state change of the entry, from the kernel itself (netlink), beside a poll of the table
# (STALE -> DELAY happens without a notification).
# Start from a confirmed entry: the steps above leave it wherever their timers got to (with these
# short timers, a DELAY/PROBE cycle that ends after ARP is off would fail it early). A ping
# through a STALE entry makes the kernel probe, and ringside (ARP still on) confirms it.
i=0
while [ "$(neigh)" != REACHABLE ] && [ $i -lt 20 ]; do
  $P ping -c 1 -W 1 $RS >/dev/null 2>&1
  sleep 0.5
  i=$((i + 1))
done
$P ip monitor neigh >/tmp/neigh.mon 2>&1 &
mon=$!
kill -USR1 $RPID
sleep 0.3
grep -q 'ARP responder now off' /tmp/main.err || fail arp_off_signal "$(tail -2 /tmp/main.err)"
i=0
while [ "$(neigh)" != STALE ] && [ $i -lt 80 ]; do sleep 0.1; i=$((i + 1)); done
$P ping -c 8 -i 0.5 -W 1 $RS >/tmp/arpoff.ping 2>&1 &
pp=$!
states=$(neigh)
while kill -0 $pp 2>/dev/null; do
  s=$(neigh)
  [ "${states##* }" = "$s" ] || states="$states $s"
  sleep 0.05
done
kill $mon
n=$(received </tmp/arpoff.ping)
seen=$(awk -v a=$RS '$1==a{print $NF}' /tmp/neigh.mon | tr '\n' ' ')
case " $states $seen" in *" STALE"*) s1=0 ;; *) s1=1 ;; esac
case " $seen" in *" PROBE"*" FAILED"*) s2=0 ;; *) s2=1 ;; esac
[ $s1 = 0 ] && [ $s2 = 0 ] && [ "${n:-0}" -lt 8 ]
verdict arp_off_neighbour_fails $? "peer_neigh_polled=\"$states\" peer_neigh_notified=\"$seen\" received=${n:-0}/8"
kill -USR1 $RPID
sleep 0.3
n=$($P ping -c 3 -i 0.2 -W 2 $RS 2>&1 | received)
state=$(neigh)
lladdr=$($P ip neigh show $RS dev peer0 | sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p')
# Resolved again (REACHABLE, or already STALE on a slow guest: reachable_time here is 1-3 s).
[ "${n:-0}" = 3 ] && [ "$lladdr" = "$RSMAC" ]
verdict arp_on_ping_works $? "received=${n:-0}/3 peer_neigh=${state:-none} lladdr=${lladdr:-none}"

# The kernel's stack is cut off from rs0 while netmap holds it: an address the kernel owns there
# gets no answer (its ARP request goes into ringside's ring, not to the host stack). After ringside
# exits, netmap gives the card back and the kernel answers again.
ip addr add 198.51.100.3/24 dev rs0
n=$($P ping -c 2 -i 0.3 -W 1 198.51.100.3 2>&1 | received)
verdict host_stack_cut_off $([ "${n:-0}" = 0 ]; echo $?) "kernel_address_received=${n:-0}/2"

ringside_stop
ring_summary main
for k in frames_in answered recorded_frames record_errors arp_responder_off not_for_us; do
  info "$k" "$(counter $k main)"
done
[ "$(counter arp_responder_off main)" -ge 1 ] && [ "$(counter record_errors main)" = 0 ]
verdict arp_off_counted $? "arp_responder_off=$(counter arp_responder_off main)"

$P ip neigh flush dev peer0
n=$($P ping -c 2 -i 0.3 -W 2 198.51.100.3 2>&1 | received)
verdict host_stack_restored $([ "${n:-0}" = 2 ]; echo $?) "kernel_address_received=${n:-0}/2"
ip addr del 198.51.100.3/24 dev rs0

# --- multi-ring: a 4-queue veth pair, flows spread over the rings ------------------------------
veth_pair rs1 peer1 192.0.2.1 4
if ringside_start multi rs1 192.0.2.2; then
  rings=$(sed -n 's/.*(\([0-9]*\) RX rings.*/\1/p' /tmp/multi.err | head -1)
  good=0
  for k in 1 2 3 4 5 6 7 8; do
    got=$(udp_echo 192.0.2.2 "flow $k")
    [ "$got" = "flow $k" ] && good=$((good + 1))
  done
  n=$($P ping -c 200 -i 0.002 -W 2 192.0.2.2 2>&1 | received)
  ringside_stop
  per=$(sed -n 's/.*frames per RX ring \([0-9/]*\).*/\1/p' /tmp/multi.err | tail -1)
  used=$(echo "$per" | tr '/' '\n' | grep -vc '^0$')
  [ "$rings" = 4 ] && [ "$good" = 8 ] && [ "${n:-0}" = 200 ] && [ "$used" -ge 2 ]
  verdict multi_ring $? "rx_rings=${rings:-?} udp_flows_echoed=$good/8 pings=${n:-0}/200 frames_per_rx_ring=${per:-?}"
  ring_summary multi
fi

if [ "$MODE" = bench ]; then
  . /guest-bench.sh
fi

# --- the recording, out through the console ------------------------------------------------------
echo BEGIN-PCAP
gzip -c /tmp/main.pcap | base64
echo END-PCAP
bye
