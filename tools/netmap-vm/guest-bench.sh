# Sourced by guest-init.sh in --bench mode, after the checks (rs0 free again). Prints
# `figure NAME VALUE` lines. Under TCG every instruction is emulated, so absolute times say little
# about real hardware: read the ratios between runs made here, in the same guest, one after another.

# p50 of the `time=X ms` lines on stdin, in microseconds.
p50_us() { sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' | sort -n | awk '{v[NR]=$1} END{if(NR) printf "%d", v[int((NR+1)/2)]*1000; else print "none"}'; }
# Requests per second of a `ping -f` summary: transmitted / time.
flood_rate() { sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*time \([0-9]*\)ms.*/\2 \3/p' | awk '{if($2>0) printf "%d", $1*1000/$2; else print "none"}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{if(b>0) printf "%.1f", a/b; else print "none"}'; }
PINGS=300

# The guest kernel answering over the same veth: an address it owns on rs0.
ip addr add 198.51.100.3/24 dev rs0
$P ip neigh flush dev peer0
$P ping -c 3 -W 2 198.51.100.3 >/dev/null 2>&1
k_p50=$($P ping -c $PINGS -i 0.01 -W 2 198.51.100.3 2>&1 | p50_us)
k_flood=$($P ping -f -c 3000 -W 2 198.51.100.3 2>&1 | flood_rate)
ip addr del 198.51.100.3/24 dev rs0

# ringside on netmap:rs0 answering the same pings.
if ringside_start bench rs0 $RS; then
  $P ping -c 3 -W 2 $RS >/dev/null 2>&1
  r_p50=$($P ping -c $PINGS -i 0.01 -W 2 $RS 2>&1 | p50_us)
  r_flood=$($P ping -f -c 3000 -W 2 $RS 2>&1 | flood_rate)
  # netmap's emulated adapter batches RX wake-ups behind a timer (generic_mit, 100 us by default;
  # an hrtimer, late under TCG on a busy host): the same pings with it off.
  mit=/sys/module/netmap/parameters/generic_mit
  if [ -w $mit ]; then
    old=$(cat $mit)
    echo 0 >$mit
    r0_p50=$($P ping -c $PINGS -i 0.01 -W 2 $RS 2>&1 | p50_us)
    echo "$old" >$mit
  fi
  ringside_stop
fi
echo "figure ping_p50_us_kernel $k_p50"
echo "figure ping_p50_us_ringside_netmap $r_p50 ratio=$(ratio "$r_p50" "$k_p50")x"
echo "figure ping_p50_us_ringside_netmap_generic_mit_0 ${r0_p50:-none} ratio=$(ratio "${r0_p50:-0}" "$k_p50")x"
echo "figure ping_flood_req_per_s_kernel $k_flood"
echo "figure ping_flood_req_per_s_ringside_netmap $r_flood ratio=$(ratio "$r_flood" "$k_flood")x"

# Capture: netmap's pkt-gen floods 60-byte frames from netmap:peer0; on rs0 first netmap's own
# pkt-gen receives them (the reference), then `ringside live --capture-only`.
FLOOD=200000
flood() { $P pkt-gen -i netmap:peer0 -f tx -n $FLOOD -l 60 -w 1 -s 198.51.100.1:2000 -d 198.51.100.2:9 2>&1; }
sent_rate() { sed -n 's/^Sent \([0-9]*\) packets.* in \([0-9.]*\) seconds.*/\1 \2/p' | awk '{printf "%d", $1/$2}'; }
pkt-gen -i netmap:rs0 -f rx -w 1 -W >/tmp/bench-rx.out 2>&1 &
pg=$!
sleep 1.5
f1=$(flood | sent_rate)
wait $pg
pg_got=$(sed -n 's/^Received \([0-9]*\) packets.*/\1/p' /tmp/bench-rx.out)
echo "figure capture_pktgen_rx frames=$pg_got/$FLOOD offered_pps=$f1"
if ringside_start capture rs0 $RS --capture-only; then
  f2=$(flood | sent_rate)
  sleep 1
  ringside_stop
  rs_got=$(counter frames_captured capture)
  echo "figure capture_ringside frames=$rs_got/$FLOOD offered_pps=$f2 ratio_to_pktgen=$(ratio "${rs_got:-0}" "${pg_got:-0}")x"
fi
