#!/usr/bin/env python3
"""Which AF_PACKET ring should `ringside live` use by default? Every candidate against the same
trafgen 64-byte flood and the same lone ping, beside the minimal C floors, in one run.

  sudo bench/ring.py [--bin target/release/ringside] [--old-bin OLD] [--seconds 4] [--pings 1000]

The floors are compiled here with cc from bench/c/:
  v2_responder.c  TPACKET_V2 ring + poll() ICMP echo responder (4 MiB, 2048-byte slots): the
                  latency floor for a ring that sleeps between frames
  v3_capture.c    TPACKET_V3 capture loop (8 MiB, 256 KiB blocks): the CPU-per-frame floor
Each row runs two tests, trafgen on CPU0 and the candidate on CPU1 (as bench/live.py):
  flood  trafgen -P 1 at full speed, 64-byte UDP frames to 198.51.100.99 (not for the
         responder, so the stack judges and drops each one); drops = the kernel ring's tp_drops,
         ns/frame = candidate CPU time / frames it took in
  ping   1000 pings at 1 ms, then 200 at 10 ms (each from poll(), like a lone ping), from the
         peer namespace; p50 and p99 of ping's times, and each p50 as a ratio of the C V2 + poll
         floor's, pinged again right before each candidate
--old-bin adds a row for a ringside built before this change (its default ring).
Namespaces rsbench-*-PID, removed on exit. Addresses: 198.51.100.0/24 only.
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live  # noqa: E402  (setup/teardown, trafgen config, capture_run, ping helpers)

HERE = os.path.dirname(os.path.abspath(__file__))
IP = "198.51.100.2"


def build_floors(d):
    out = {}
    for name in ("v2_responder", "v3_capture"):
        exe = os.path.join(d, name)
        subprocess.run(["cc", "-O2", "-Wall", "-o", exe, os.path.join(HERE, "c", name + ".c")],
                       check=True)
        out[name] = exe
    return out


def candidates(binary, old, floors):
    rs = [binary, "live", "--headless", "-i", "vcap", "--ip", f"{IP}/24"]
    rows = [
        ("C floor: TPACKET_V2 + poll, 4 MiB (2048 x 2048 B)",
         [floors["v2_responder"], "vcap", IP, "64", "64", "2048"], "ready"),
        ("C floor: TPACKET_V3, 8 MiB, retire 1 ms (capture only)",
         [floors["v3_capture"], "vcap", "256", "32", "1"], "ready"),
    ]
    if old:
        rows.append(("ringside before: v2 4 MiB (2048 x 2048 B), linger 50 us",
                     [old, *rs[1:]], "live on"))
    rows += [
        ("ringside v2 4 MiB dense (2624 x 1584 B)", rs + ["--ring", "v2", "--blocks", "64"],
         "live on"),
        ("ringside v2 16 MiB dense (10496 x 1584 B)", rs + ["--ring", "v2", "--blocks", "256"],
         "live on"),
        ("ringside v2 32 MiB dense (20992 x 1584 B)", rs + ["--ring", "v2", "--blocks", "512"],
         "live on"),
        ("ringside v2 64 MiB dense (41984 x 1584 B)", rs + ["--ring", "v2", "--blocks", "1024"],
         "live on"),
        ("ringside v2 16 MiB dense, linger 1 ms (spin while busy)",
         rs + ["--ring", "v2", "--blocks", "256", "--linger-us", "1000"], "live on"),
        ("ringside v2 16 MiB dense --busy-poll", rs + ["--ring", "v2", "--blocks", "256",
                                                        "--busy-poll"], "live on"),
        ("ringside v3 8 MiB, retire 1 ms", rs + ["--ring", "v3", "--retire-ms", "1"], "live on"),
        ("ringside default (no ring flags)", rs, "live on"),
    ]
    return rows


def ping_run(cmd, ready, pings):
    proc = subprocess.Popen(live.nsx(live.CAP, "taskset", "-c", "1", *cmd),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        live.wait_for(proc, ready)
        live.sh(*live.nsx(live.GEN, "ping", "-c", "1", "-W", "2", IP), check=False)
        t, _ = live.ping_times(live.GEN, IP, pings, "0.001")
        # Sparser pings: every spin (linger) has expired before the next one, so each wakes
        # from poll(), as a lone ping does.
        slow, _ = live.ping_times(live.GEN, IP, max(1, pings // 5), "0.01")
    finally:
        proc.send_signal(2)
        proc.communicate(timeout=20)
    return t, slow


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "target", "release", "ringside"))
    ap.add_argument("--old-bin")
    ap.add_argument("--seconds", type=int, default=4)
    ap.add_argument("--pings", type=int, default=1000)
    a = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("bench: needs root (namespaces, raw sockets): run with sudo")
    for tool in ("cc", "trafgen", "ping", "taskset"):
        if not shutil.which(tool):
            raise SystemExit(f"bench: {tool} not found: apt-get install gcc netsniff-ng "
                             "iputils-ping util-linux")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    binary = os.path.abspath(a.bin)
    if not os.path.exists(binary):
        raise SystemExit(f"bench: {binary} not found: run `cargo build --release` first")
    try:
        with tempfile.TemporaryDirectory() as d:
            floors = build_floors(d)
            live.setup()
            # The C floor does no ARP: the peer gets a static entry for the responder's MAC.
            live.sh("ip", "-n", live.GEN, "neigh", "replace", IP, "lladdr", "02:52:53:00:00:02",
                    "dev", "vgen", "nud", "permanent")
            cfg = os.path.join(d, "f60.cfg")
            with open(cfg, "w") as f:
                f.write(live.trafgen_conf(60))
            rows = []
            cands = candidates(binary, a.old_bin, floors)
            floor_cmd = cands[0][1]
            for name, cmd, ready in cands:
                fl = live.capture_run(name, cmd, ready, 60, a.seconds, cfg)
                t, slow = ([], []) if "capture only" in name else ping_run(cmd, ready, a.pings)
                # The C V2 floor pinged again right before, so each ratio compares two
                # neighbouring measurements (the load on a shared machine drifts within a run).
                if t and rows:
                    ct, cslow = ping_run(floor_cmd, "ready", a.pings)
                    t, slow = (t, ct), (slow, cslow)
                else:
                    t, slow = (t, t), (slow, slow)
                rows.append((name, fl, t, slow))
                print(f"  {name}: drops {fl['drops']} of {fl['offered']}, "
                      f"{fl['ns']:.0f} ns/frame, {len(t[0])} pings", file=sys.stderr)
    finally:
        live.teardown()
    v3_ns = rows[1][1]["ns"]
    print(f"\n64-byte trafgen flood for {a.seconds} s (CPU0) and {a.pings} pings at 1 ms "
          f"(then {max(1, a.pings // 5)} at 10 ms), candidate on CPU1; each ping ratio is "
          f"against the C V2+poll floor pinged just before it (its p50 in brackets)\n")
    print("| candidate | flood Mpps offered | kernel drops | dropped % | ns/frame | "
          "ns/frame / C V3 | 1 ms ping p50 us | p99 us | p50 / C V2+poll | 10 ms ping p50 us | "
          "p50 / C V2+poll |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, fl, (t, ct), (slow, cslow) in rows:
        pct_drop = 100.0 * fl["drops"] / max(1, fl["offered"])
        if t:
            p50, c50 = live.pct(t, 50), live.pct(ct, 50)
            ps, cs = live.pct(slow, 50), live.pct(cslow, 50)
            lost = "" if len(t) == a.pings else f" ({len(t)}/{a.pings} answered)"
            ping = (f"{p50 * 1000:.0f}{lost} | {live.pct(t, 99) * 1000:.0f} | "
                    f"{p50 / c50:.2f}x ({c50 * 1000:.0f}) | {ps * 1000:.0f} | "
                    f"{ps / cs:.2f}x ({cs * 1000:.0f})")
        else:
            ping = "- | - | - | - | -"
        print(f"| {name} | {fl['mpps']:.2f} | {fl['drops']} | {pct_drop:.3f} | {fl['ns']:.0f} | "
              f"{fl['ns'] / v3_ns:.1f}x | {ping} |")


if __name__ == "__main__":
    main()
