#!/usr/bin/env python3
"""CPU per captured frame: ringside's stack over TPACKET_V3 against a minimal C TPACKET_V3 loop.

  sudo bench/capture_cost.py [--bin target/release/ringside] [--old-bin OLD]
                             [--extra LABEL=BIN]... [--runs 3] [--seconds 3] [--idle 1]
                             [--profile DIR] [--xdp]
  bench/capture_cost.py --groups FOLDED...   (where the CPU goes, from a profile)
  sudo bench/capture_cost.py --idle-only 5 [--runs 3] [--old-bin OLD]   (no traffic at all)

Issue 13, goal 2. On the veth lab of bench/live.py (trafgen on CPU0 floods 64 B and 1518 B UDP
frames to 198.51.100.99, not ringside; the capturer on CPU1 reads the other end), each run takes,
interleaved, in this order:
  C floor   bench/c/v3_capture.c (compiled here with cc -O2): walks every frame's header, 8 MiB
            ring of 256 KiB blocks, retire 1 ms: the same geometry as `ringside live --ring v3`
  tcpdump   tcpdump -w /dev/null (a peer: libpcap's TPACKET_V3 loop plus pcap formatting)
  before    --old-bin, if given (a release build of the code before a change)
  ringside  ringside live --headless --ring v3: every frame judged by the stack (not_for_us)
  --xdp     ringside live --headless --backend xdp --xdp-mode skb: the same over AF_XDP
            (generic XDP on the veth), against the same TPACKET_V3 floor
ns/frame = the capturer's CPU time (utime + stime, all threads) / frames it captured. The table
gives each configuration's median over --runs runs, and the median of the per-run ratios to the
C floor measured in the same run (the machine is shared: neighbours in time, not absolutes).

--profile DIR: afterwards, one more 64 B and one 1518 B flood with `perf record -e cpu-clock
--call-graph dwarf` attached to ringside; writes DIR/ringside-{64,1518}.folded (inferno's folded
stacks) and, when inferno-flamegraph is installed (`cargo install inferno`), the flame graphs
DIR/ringside-{64,1518}.svg. --keep-perf-data keeps DIR/perf-{64,1518}.data too, for
`perf annotate -i DIR/perf-64.data --stdio -s SYMBOL` (which instruction the samples hit).

--idle-only SECONDS: no flood; each capturer (and ringside's default `live` ring, v2) sits on the
quiet veth for SECONDS, --runs times, and the table gives its CPU in ms per second: the fixed
burn (timers, status snapshots) every frame of a slow flood pays a share of.

Everything lives in namespaces rsbench-*-PID, removed on exit. Addresses: 198.51.100.0/24 only.
"""
import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live  # noqa: E402  (setup/teardown, trafgen config, capture_run)

HERE = os.path.dirname(os.path.abspath(__file__))
IP = "198.51.100.2/24"


def candidates(binary, old, floor, extra=(), xdp=False):
    rows = [
        ("C floor: TPACKET_V3 loop (bench/c/v3_capture.c)", [floor, "vcap", "256", "32", "1"],
         "ready"),
        ("tcpdump -w /dev/null", ["tcpdump", "-n", "-i", "vcap", "-w", "/dev/null"],
         "listening on"),
    ]
    rs = ["live", "--headless", "--ring", "v3", "-i", "vcap", "--ip", IP]
    if old:
        rows.append(("ringside before (stack, --ring v3)", [old, *rs], "live on"))
    for label, path in extra:
        rows.append((f"ringside {label} (stack, --ring v3)", [path, *rs], "live on"))
    rows.append(("ringside (stack, --ring v3)", [binary, *rs], "live on"))
    if xdp:
        # AF_XDP in generic (skb) mode, the mode every driver has; on veth native mode copies
        # too (zero-copy is refused), and the two measured alike (RESULTS.md, 2026-12-01).
        rows.append(("ringside (stack, --backend xdp --xdp-mode skb)",
                     [binary, "live", "--headless", "--backend", "xdp", "--xdp-mode", "skb",
                      "-i", "vcap", "--ip", IP], "live on"))
    return rows


def idle_rows(binary, old, floor):
    """The capturers of the flood table plus ringside's default ring (v2), for --idle-only."""
    rows = candidates(binary, old, floor)
    rs = ["live", "--headless", "-i", "vcap", "--ip", IP]
    if old:
        rows.append(("ringside before (stack, default ring v2)", [old, *rs], "live on"))
    rows.append(("ringside (stack, default ring v2)", [binary, *rs], "live on"))
    return rows


def idle_ms_s(cmd, ready, seconds):
    """CPU (ms per second, all threads) of one capturer on the quiet veth for `seconds`."""
    proc = subprocess.Popen(live.nsx(live.CAP, "taskset", "-c", "1", *cmd),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        live.wait_for(proc, ready)
        time.sleep(0.3)
        c0, t0 = live.cpu_ns(proc.pid), time.monotonic()
        time.sleep(seconds)
        used = (live.cpu_ns(proc.pid) - c0) / 1e6 / (time.monotonic() - t0)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    return used


def idle_table(rows, runs, seconds):
    """--idle-only: each capturer's idle burn, interleaved over `runs` runs; prints a table."""
    got = {}
    for run in range(runs):
        for name, cmd, ready in rows:
            ms = idle_ms_s(cmd, ready, seconds)
            got.setdefault(name, []).append(ms)
            print(f"  run {run + 1} {name:<48} idle {ms:.3f} ms/s", file=sys.stderr)
    print(f"\nCPU with no traffic, {seconds} s on the quiet veth (capturer on CPU1), "
          f"{runs} interleaved runs: median and each run, ms of CPU per second\n")
    print("| capturer | idle ms/s | per run |")
    print("|---|---|---|")
    for name, _, _ in rows:
        v = got[name]
        print(f"| {name} | {statistics.median(v):.3f} | {', '.join(f'{x:.3f}' for x in v)} |")


def profile(binary, frame_len, seconds, cfg, out_dir, keep_data=False):
    """One flood with perf attached to ringside; returns the folded-stack path."""
    cmd = [binary, "live", "--headless", "--ring", "v3", "-i", "vcap", "--ip", IP]
    proc = subprocess.Popen(live.nsx(live.CAP, "taskset", "-c", "1", *cmd),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    data = os.path.join(out_dir, f"perf-{frame_len + 4}.data")
    try:
        live.wait_for(proc, "live on")
        # `ip netns exec` execs: proc.pid is taskset, which execs ringside: the same pid.
        perf = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-F", "10000",
                                 "--call-graph", "dwarf,16384", "-p", str(proc.pid), "-o", data],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(0.5)
        subprocess.run(live.nsx(live.GEN, "timeout", "-s", "INT", str(seconds), "taskset", "-c",
                                "0", "trafgen", "-o", "vgen", "-i", cfg, "-P", "1", "-C"),
                       capture_output=True)
        perf.send_signal(signal.SIGINT)
        perf.communicate(timeout=60)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    script = subprocess.run(["perf", "script", "-i", data], capture_output=True, text=True,
                            check=True).stdout
    folded = os.path.join(out_dir, f"ringside-{frame_len + 4}.folded")
    collapse = shutil.which("inferno-collapse-perf")
    if not collapse:
        raise SystemExit("bench: inferno-collapse-perf not found: cargo install inferno")
    with open(folded, "w") as f:
        subprocess.run([collapse], input=script, stdout=f, text=True, check=True)
    flame = shutil.which("inferno-flamegraph")
    if flame:
        with open(os.path.join(out_dir, f"ringside-{frame_len + 4}.svg"), "w") as f:
            subprocess.run([flame, "--title",
                            f"ringside live --headless --ring v3, {frame_len + 4} B trafgen flood "
                            "(cpu-clock)", folded], stdout=f, check=True)
    if not keep_data:
        os.unlink(data)
    return folded


# Where the capturer's CPU goes, from a folded-stack profile: each sample goes to the first group
# (in this order) with a pattern that matches any frame of its stack: clock_gettime called from
# the status snapshot counts as a clock read, the ARP-cache copy in it as the snapshot, a poll()
# inside the receive call as waiting.
GROUPS = [
    ("clock reads", ("clock_gettime", "Instant", "Timespec", "monotonic_clock")),
    ("status snapshots (publish, Status clones, stats syscalls)",
     ("Worker::publish", "CaptureHandle::status", "Status as core::clone", "poll_kernel_stats",
      "getsockopt", "print_new")),
    ("hand-off to the UI (channel, frame copies)", ("capture::offer", "SyncSender",
                                                    "Captured")),
    ("control channel (try_recv per wake-up)", ("mpsc",)),
    ("recording (pcap formatting)", ("write_frame", "pcap")),
    ("stack (judging the frame)", ("ringside::stack::",)),
    ("waiting (poll, sleep, scheduler)", ("poll", "nanosleep", "sleep", "schedule",
                                          "finish_task_switch")),
    # The per-frame closures the ring walk calls: pump's (the note, the stack call) and the
    # capture thread's `keep` (counters, recording, hand-off).
    ("capture loop (pump, per-frame note and counters)", ("capture::pump::{{closure}}",
                                                          "Worker::run::{{closure}}")),
    ("ring walk (V3 blocks and frame headers)", ("V3Frames", "recv_v3", "recv_v2", "deliver",
                                                 "recv_batch", "prefetch")),
    ("capture loop (pump, per-frame note and counters)", ("capture::pump", "Worker::run")),
]


def groups(folded):
    """(group, samples) in GROUPS order plus "other", and the total."""
    counts = {name: 0 for name, _ in GROUPS}
    counts["other"] = 0
    total = 0
    with open(folded) as f:
        for line in f:
            stack, _, n = line.rstrip("\n").rpartition(" ")
            n = int(n)
            total += n
            frames = stack.split(";")[1:]  # the first is the thread's name
            hit = next((g for g, pats in GROUPS
                        if any(p in fr for p in pats for fr in frames)), "other")
            counts[hit] += n
    return counts, total


def print_groups(folded, ns_per_frame=None):
    counts, total = groups(folded)
    print(f"\n{os.path.basename(folded)}: {total / 1e6:.1f} ms of CPU sampled\n")
    head = "| where | share of CPU |" + (" ns/frame |" if ns_per_frame else "")
    print(head)
    print("|---|---|" + ("---|" if ns_per_frame else ""))
    for g, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        share = n / max(1, total)
        extra = f" {share * ns_per_frame:.0f} |" if ns_per_frame else ""
        print(f"| {g} | {100 * share:.1f} % |{extra}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "target", "release", "ringside"))
    ap.add_argument("--old-bin")
    ap.add_argument("--extra", action="append", default=[], metavar="LABEL=BIN",
                    help="another build to compare (e.g. one change left out)")
    ap.add_argument("--xdp", action="store_true",
                    help="also ringside over AF_XDP (generic XDP), against the same C floor")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=3)
    ap.add_argument("--sizes", default="64,1518", help="frame sizes on the wire, with FCS")
    ap.add_argument("--idle", type=float, default=1.0,
                    help="seconds of CPU measured with no traffic before each flood")
    ap.add_argument("--profile", metavar="DIR")
    ap.add_argument("--keep-perf-data", action="store_true",
                    help="with --profile: keep DIR/perf-SIZE.data for `perf annotate -i`")
    ap.add_argument("--idle-only", type=float, metavar="SECONDS",
                    help="no flood: each capturer's CPU on the quiet veth (ms/s)")
    ap.add_argument("--groups", metavar="FOLDED", nargs="+",
                    help="only print where the CPU goes in these folded profiles, and exit")
    a = ap.parse_args()
    if a.groups:
        for g in a.groups:
            print_groups(g)
        return
    if os.geteuid() != 0:
        raise SystemExit("bench: needs root (namespaces, raw sockets): run with sudo")
    for tool in ("cc", "trafgen", "tcpdump", "taskset") + (("perf",) if a.profile else ()):
        if not shutil.which(tool):
            raise SystemExit(f"bench: {tool} not found: apt-get install gcc netsniff-ng tcpdump "
                             "util-linux linux-perf")
    binary = os.path.abspath(a.bin)
    old = os.path.abspath(a.old_bin) if a.old_bin else None
    for b in (binary, old):
        if b and not os.path.exists(b):
            raise SystemExit(f"bench: {b} not found: run `cargo build --release` first")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sizes = [int(s) - 4 for s in a.sizes.split(",")]
    results = {}  # (frame_len, name) -> [(ns, ratio to the C floor of that run, drops, offered)]
    try:
        with tempfile.TemporaryDirectory() as d:
            floor = os.path.join(d, "v3_capture")
            subprocess.run(["cc", "-O2", "-Wall", "-o", floor,
                            os.path.join(HERE, "c", "v3_capture.c")], check=True)
            live.setup()
            if a.idle_only:
                idle_table(idle_rows(binary, old, floor), a.runs, a.idle_only)
                return
            extra = [(e.split("=", 1)[0], os.path.abspath(e.split("=", 1)[1]))
                     for e in a.extra]
            cands = candidates(binary, old, floor, extra, a.xdp)
            for run in range(a.runs):
                for frame_len in sizes:
                    cfg = os.path.join(d, f"f{frame_len}.cfg")
                    with open(cfg, "w") as f:
                        f.write(live.trafgen_conf(frame_len))
                    floor_ns = None
                    for name, cmd, ready in cands:
                        r = live.capture_run(name, cmd, ready, frame_len, a.seconds, cfg,
                                             idle=a.idle)
                        # CPU beyond what the capturer burns with no traffic at all (its
                        # timers and status snapshots), per frame: the per-frame cost proper.
                        busy = (r["ns"] * r["captured"]
                                - r["idle_ms_s"] * 1e6 * r["window_s"]) / max(1, r["captured"])
                        if floor_ns is None:
                            floor_ns = r["ns"]
                            floor_busy = busy
                        results.setdefault((frame_len, name), []).append(
                            (r["ns"], r["ns"] / floor_ns, r["drops"], r["offered"],
                             r["captured"], r["idle_ms_s"], busy, busy / floor_busy,
                             r["mpps"]))
                        print(f"  run {run + 1} {frame_len + 4:>5} B {name:<48} "
                              f"offered {r['offered']:>9} captured {r['captured']:>9} "
                              f"drops {r['drops']:>7} {r['ns']:6.0f} ns/frame "
                              f"({r['ns'] / floor_ns:.2f}x), idle {r['idle_ms_s']:.2f} ms/s, "
                              f"beyond idle {busy:.0f} ns/frame ({busy / floor_busy:.2f}x)",
                              file=sys.stderr)
            if a.profile:
                os.makedirs(a.profile, exist_ok=True)
                for frame_len in sizes:
                    cfg = os.path.join(d, f"f{frame_len}.cfg")
                    with open(cfg, "w") as f:
                        f.write(live.trafgen_conf(frame_len))
                    folded = profile(binary, frame_len, a.seconds, cfg, a.profile,
                                     a.keep_perf_data)
                    print(f"  profile: {folded}", file=sys.stderr)
                    print_groups(folded)
    finally:
        live.teardown()
    if not a.runs:
        return
    print(f"\nCPU per captured frame, {a.seconds} s trafgen floods (CPU0), capturer on CPU1, "
          f"{a.runs} interleaved runs: medians; each ratio = the median of the per-run ratios to "
          f"the C floor of the same run. 'beyond idle' subtracts the CPU the capturer burns with "
          f"no traffic (measured {a.idle:.0f} s before each flood) over the flood's window\n")
    print("| frame | capturer | Mpps offered | ns/frame | / C floor | per run | idle ms/s | "
          "ns/frame beyond idle | / C floor | per run | kernel drops (sum) | captured/offered |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    med = statistics.median
    for frame_len in sizes:
        for name, _, _ in cands:
            rs = results[(frame_len, name)]
            col = lambda k: [r[k] for r in rs]  # noqa: E731
            drops = sum(col(2))
            cap = sum(col(4)) / max(1, sum(col(3)))
            print(f"| {frame_len + 4} B | {name} | {med(col(8)):.2f} | {med(col(0)):.0f} | "
                  f"{med(col(1)):.2f}x | {', '.join(f'{x:.2f}' for x in col(1))} | "
                  f"{med(col(5)):.2f} | {med(col(6)):.0f} | {med(col(7)):.2f}x | "
                  f"{', '.join(f'{x:.2f}' for x in col(7))} | {drops} | {cap:.3f} |")


if __name__ == "__main__":
    main()
