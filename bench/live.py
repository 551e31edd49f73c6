#!/usr/bin/env python3
"""Live benchmark for ringside on a veth pair between two network namespaces.

  sudo bench/live.py [--bin target/release/ringside] [--seconds 4] [--only capture|rtt]

Capture: trafgen on CPU0 sends 64-byte and 1514-byte UDP frames (to 198.51.100.99, not ringside)
at full speed into a veth; the capturer on CPU1 reads the other end.
  offered   = frames the receiving veth counted (rx_packets delta)
  captured  = frames the capturer reports (ringside's counter, tcpdump's "captured")
  drops     = the kernel's ring drops (PACKET_STATISTICS: tp_drops)
  ns/frame  = capturer CPU time (/proc/PID/task/*/schedstat, all threads) / captured
Rows: tcpdump -w /dev/null (default 2 MiB buffer, and -B 8192 to match ringside's 8 MiB ring);
ringside --capture-only (ring only, frames written to -w /dev/null like tcpdump), and ringside
with its stack (every frame parsed and dropped as not_for_us); each for AF_PACKET (v2, v3) and
AF_XDP (--backend xdp, native and generic XDP; drops = the socket's rx_dropped + rx_ring_full).

RTT: ping from the peer namespace (pinned to CPU0) to ringside (pinned to CPU1), 1000 pings at
1 ms, p50/p99 of ping's per-packet times; then `ping -f -c 20000`, loss and rate. The same
against the peer-side kernel itself (an address the kernel owns on the same veth), and for
ringside over AF_PACKET and over AF_XDP in the same run.

Everything lives in namespaces named rsbench-*-PID, removed on exit (even on error/Ctrl-C).
Addresses: 198.51.100.0/24 only.
"""
import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

PID = os.getpid()
GEN = f"rsbench-gen-{PID}"
CAP = f"rsbench-cap-{PID}"


def sh(*args, check=True, capture=True):
    r = subprocess.run(args, capture_output=capture, text=True)
    if check and r.returncode != 0:
        raise SystemExit(f"bench: `{' '.join(args)}` failed: {r.stderr.strip()}")
    return r.stdout if capture else ""


def nsx(ns, *args):
    return ["ip", "netns", "exec", ns, *args]


def setup():
    for ns in (GEN, CAP):
        sh("ip", "netns", "add", ns)
        sh(*nsx(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                "net.ipv6.conf.default.disable_ipv6=1"))
        sh("ip", "-n", ns, "link", "set", "lo", "up")
    sh("ip", "-n", GEN, "link", "add", "vgen", "address", "02:52:53:00:00:01", "type", "veth",
       "peer", "name", "vcap", "address", "02:52:53:00:00:02", "netns", CAP)
    sh("ip", "-n", GEN, "addr", "add", "198.51.100.1/24", "dev", "vgen")
    sh(*nsx(GEN, "ethtool", "-K", "vgen", "tx", "off"), check=False)
    for ns, dev in ((GEN, "vgen"), (CAP, "vcap")):
        sh("ip", "-n", ns, "link", "set", dev, "up")


def teardown():
    for ns in (GEN, CAP):
        pids = sh("ip", "netns", "pids", ns, check=False).split()
        for p in pids:
            try:
                os.kill(int(p), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        sh("ip", "netns", "del", ns, check=False)


def trafgen_conf(frame_len):
    """A UDP/IPv4 frame of frame_len bytes (without FCS) from the peer to 198.51.100.99."""
    ip_len = frame_len - 14
    udp_len = ip_len - 20
    payload = udp_len - 8
    return ("{\n"
            "  0x02, 0x52, 0x53, 0x00, 0x00, 0x99,\n"
            "  0x02, 0x52, 0x53, 0x00, 0x00, 0x01,\n"
            "  0x08, 0x00,\n"
            f"  0x45, 0x00, const16({ip_len}), const16(0), 0x40, 0x00, 64, 17, csumip(14, 33),\n"
            "  198, 51, 100, 1,  198, 51, 100, 99,\n"
            f"  const16(9), const16(9), const16({udp_len}), const16(0),\n"
            f"  fill(0x5a, {payload})\n"
            "}\n")


def rx_packets(ns, dev):
    return int(sh(*nsx(ns, "cat", f"/sys/class/net/{dev}/statistics/rx_packets")))


def cpu_ns(pid):
    """CPU time of every thread of pid so far, in ns (/proc/PID/task/*/schedstat: the
    scheduler's own accounting, exact, where utime+stime count 10 ms ticks)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except FileNotFoundError:
            pass
    return total


def wait_for(proc, needle, timeout=10):
    """Read proc.stderr lines until one contains needle."""
    t0 = time.time()
    seen = []
    while time.time() - t0 < timeout:
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        if needle in line:
            return
    raise SystemExit(f"bench: capturer did not start: {''.join(seen)}")


def capture_run(name, cmd, ready, frame_len, seconds, cfg_path, idle=0.0):
    """One flood of `seconds` against one capturer. With idle > 0, first measures the
    capturer's CPU with no traffic for that long (its timers, status snapshots): "idle_ms_s"."""
    proc = subprocess.Popen(nsx(CAP, "taskset", "-c", "1", *cmd), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    wait_for(proc, ready)
    time.sleep(0.3)
    idle_ms_s = float("nan")
    if idle > 0:
        i0, t0 = cpu_ns(proc.pid), time.monotonic()
        time.sleep(idle)
        idle_ms_s = (cpu_ns(proc.pid) - i0) / 1e6 / (time.monotonic() - t0)
    rx0 = rx_packets(CAP, "vcap")
    c0, w0 = cpu_ns(proc.pid), time.monotonic()
    gen = subprocess.run(nsx(GEN, "timeout", "-s", "INT", str(seconds), "taskset", "-c", "0",
                             "trafgen", "-o", "vgen", "-i", cfg_path, "-P", "1", "-C"),
                         capture_output=True, text=True)
    time.sleep(0.5)  # let the capturer drain the ring
    rx1 = rx_packets(CAP, "vcap")
    c1, w1 = cpu_ns(proc.pid), time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    text = out + err
    offered = rx1 - rx0
    if cmd[0] == "tcpdump":
        captured = int(re.search(r"(\d+) packets? captured", text).group(1))
        drops = int(re.search(r"(\d+) packets? dropped by kernel", text).group(1))
    else:
        vals = dict(l.split()[:2] for l in out.splitlines() if len(l.split()) >= 2)
        captured = int(vals.get("frames_captured", vals.get("frames_in", 0)))
        drops = int(vals["kernel_drops"])
    used = c1 - c0
    return {
        "name": name, "len": frame_len, "offered": offered, "captured": captured,
        "drops": drops, "ns": used / captured if captured else float("nan"),
        "mpps": offered / seconds / 1e6, "gen": gen.returncode, "idle_ms_s": idle_ms_s,
        "window_s": w1 - w0,
    }


def capture_bench(binary, seconds):
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for frame_len in (60, 1514):
            cfg = os.path.join(d, f"f{frame_len}.cfg")
            with open(cfg, "w") as f:
                f.write(trafgen_conf(frame_len))
            runs = [
                ("tcpdump -w /dev/null", ["tcpdump", "-n", "-i", "vcap", "-w", "/dev/null"],
                 "listening on"),
                ("tcpdump -B 8192 -w /dev/null",
                 ["tcpdump", "-n", "-B", "8192", "-i", "vcap", "-w", "/dev/null"],
                 "listening on"),
                ("ringside --capture-only v3 -w /dev/null",
                 [binary, "live", "--headless", "--capture-only", "--ring", "v3", "-i", "vcap",
                  "--ip", "198.51.100.2/24", "-w", "/dev/null"], "capturing only"),
                ("ringside --capture-only v2 -w /dev/null",
                 [binary, "live", "--headless", "--capture-only", "--ring", "v2", "-i", "vcap",
                  "--ip", "198.51.100.2/24", "-w", "/dev/null"], "capturing only"),
                ("ringside stack v3 (not_for_us)",
                 [binary, "live", "--headless", "--ring", "v3", "-i", "vcap", "--ip",
                  "198.51.100.2/24"], "live on"),
                ("ringside stack v2 (not_for_us)",
                 [binary, "live", "--headless", "--ring", "v2", "-i", "vcap", "--ip",
                  "198.51.100.2/24"], "live on"),
                ("ringside --capture-only xdp drv -w /dev/null",
                 [binary, "live", "--headless", "--capture-only", "--backend", "xdp",
                  "--xdp-mode", "drv", "-i", "vcap", "--ip", "198.51.100.2/24", "-w",
                  "/dev/null"], "capturing only"),
                ("ringside stack xdp drv (not_for_us)",
                 [binary, "live", "--headless", "--backend", "xdp", "--xdp-mode", "drv", "-i",
                  "vcap", "--ip", "198.51.100.2/24"], "live on"),
                ("ringside stack xdp skb (not_for_us)",
                 [binary, "live", "--headless", "--backend", "xdp", "--xdp-mode", "skb", "-i",
                  "vcap", "--ip", "198.51.100.2/24"], "live on"),
            ]
            for name, cmd, ready in runs:
                r = capture_run(name, cmd, ready, frame_len, seconds, cfg)
                rows.append(r)
                print(f"  {frame_len + 4:>5} B  {name:<40} offered {r['offered']:>9}  "
                      f"captured {r['captured']:>9}  drops {r['drops']:>8}  "
                      f"{r['ns']:7.0f} ns/frame", file=sys.stderr)
    return rows


def ping_times(ns, target, count, interval):
    out = sh(*nsx(ns, "taskset", "-c", "0", "ping", "-n", "-c", str(count), "-i", interval,
                  "-W", "1", target), check=False)
    t = [float(m) for m in re.findall(r"time=([\d.]+) ms", out)]
    return t, out


def flood(ns, target, count):
    t0 = time.time()
    out = sh(*nsx(ns, "taskset", "-c", "0", "ping", "-n", "-q", "-f", "-c", str(count), "-W",
                  "1", target), check=False)
    dt = time.time() - t0
    m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
    tx, rx = (int(m.group(1)), int(m.group(2))) if m else (count, 0)
    return 100.0 * (tx - rx) / tx if tx else 100.0, rx / dt


def pct(v, p):
    if not v:
        return float("nan")
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def rtt_bench(binary, pings, floods):
    rows = []
    # The kernel itself: an address it owns on the capture-side veth end.
    sh("ip", "-n", CAP, "addr", "add", "198.51.100.3/24", "dev", "vcap")
    t, _ = ping_times(GEN, "198.51.100.3", pings, "0.001")
    loss, rate = flood(GEN, "198.51.100.3", floods)
    rows.append(("kernel (peer veth)", t, loss, rate))
    sh("ip", "-n", CAP, "addr", "del", "198.51.100.3/24", "dev", "vcap")
    modes = [
        ("ringside --ring v2 (default, linger 50 us)", ["--ring", "v2"]),
        ("ringside --ring v2 --linger-us 0", ["--ring", "v2", "--linger-us", "0"]),
        ("ringside --ring v2 --busy-poll", ["--ring", "v2", "--busy-poll"]),
        ("ringside --ring v3 --retire-ms 1", ["--ring", "v3", "--retire-ms", "1"]),
        ("ringside --backend xdp --xdp-mode drv (linger 50 us)",
         ["--backend", "xdp", "--xdp-mode", "drv"]),
        ("ringside --backend xdp --xdp-mode skb (linger 50 us)",
         ["--backend", "xdp", "--xdp-mode", "skb"]),
        ("ringside --backend xdp --xdp-mode drv --busy-poll",
         ["--backend", "xdp", "--xdp-mode", "drv", "--busy-poll"]),
    ]
    for name, extra in modes:
        proc = subprocess.Popen(
            nsx(CAP, "taskset", "-c", "1", binary, "live", "--headless", "-i", "vcap", "--ip",
                "198.51.100.2/24", *extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        wait_for(proc, "live on")
        sh(*nsx(GEN, "ping", "-c", "1", "-W", "2", "198.51.100.2"), check=False)  # resolve ARP
        t, _ = ping_times(GEN, "198.51.100.2", pings, "0.001")
        loss, rate = flood(GEN, "198.51.100.2", floods)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
        rows.append((name, t, loss, rate))
        sh("ip", "-n", GEN, "neigh", "flush", "dev", "vgen", check=False)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "target",
                                                  "release", "ringside"))
    ap.add_argument("--seconds", type=int, default=4)
    ap.add_argument("--pings", type=int, default=1000)
    ap.add_argument("--flood", type=int, default=20000)
    ap.add_argument("--only", choices=["capture", "rtt"])
    a = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("bench: needs root (namespaces, raw sockets): run with sudo")
    binary = os.path.abspath(a.bin)
    if not os.path.exists(binary):
        raise SystemExit(f"bench: {binary} not found: run `cargo build --release` first")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        setup()
        if a.only != "rtt":
            rows = capture_bench(binary, a.seconds)
            print(f"\nCapture, {a.seconds} s of trafgen at full speed (CPU0), capturer on CPU1\n")
            print(f"| frame | capturer | offered Mpps | captured/offered | kernel drops | CPU ns/frame |")
            print(f"|---|---|---|---|---|---|")
            for r in rows:
                ratio = r["captured"] / r["offered"] if r["offered"] else float("nan")
                print(f"| {r['len'] + 4} B | {r['name']} | {r['mpps']:.2f} | {ratio:.3f} | "
                      f"{r['drops']} | {r['ns']:.0f} |")
        if a.only != "capture":
            rows = rtt_bench(binary, a.pings, a.flood)
            kernel = rows[0]
            kp50 = pct(kernel[1], 50)
            print(f"\nICMP echo: {a.pings} pings at 1 ms (ping on CPU0, responder on CPU1), "
                  f"then ping -f -c {a.flood}\n")
            print("| responder | replies | p50 us | p99 us | p50 / kernel | flood loss % | flood req/s |")
            print("|---|---|---|---|---|---|---|")
            for name, t, loss, rate in rows:
                p50, p99 = pct(t, 50) * 1000, pct(t, 99) * 1000
                print(f"| {name} | {len(t)}/{a.pings} | {p50:.0f} | {p99:.0f} | "
                      f"{pct(t, 50) / kp50:.1f}x | {loss:.2f} | {rate:.0f} |")
    finally:
        teardown()


if __name__ == "__main__":
    main()
