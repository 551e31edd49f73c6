#!/usr/bin/env python3
"""Instructions per captured frame on `ringside live --headless --ring v3`'s user-space path,
counted by callgrind: exact and repeatable, unlike the wall-clock figures of capture_cost.py on
a shared 2-core VM.

  bench/capture_ir.py [--sizes 64,1518] [--blocks 100] [--bin EXAMPLE] [--label NAME]
  sudo bench/capture_ir.py --lab RINGSIDE [--lab OTHER]... [--sizes 64] [--seconds 3]

Builds `cargo build --release -p ringside-net --example capture_ir` (unless --bin names an
already built one) and runs it under `valgrind --tool=callgrind`, counting only inside
`ringside_net::capture::pump` (`--toggle-collect`): the capture thread's per-batch loop, which
holds everything done per frame (the V3 block walk and header parse, `AfPacket::deliver`, the
per-frame closure of `pump`, `Stack::handle_frame`, the capture thread's visitor) and, once per
block, the clock read. The link (crates/net/examples/capture_ir.rs) hands over full 256 KiB
blocks laid out as the kernel fills them, of the UDP frame bench/live.py's trafgen floods (to
another MAC and IP: every frame NotForUs), through `deliver_v3_block`, the same code
AF_PACKET's `recv_batch` runs on the mapped ring. Not counted: poll(2) and the kernel (no
kernel here), the status snapshots (timed, outside pump).

--lab: the real thing instead, as a check on the synthetic link: on bench/live.py's veth lab
(namespaces rsbench-*-PID, removed on exit; 198.51.100.0/24), trafgen floods for --seconds
while `ringside live --headless --ring v3` runs under callgrind (the same --toggle-collect);
Ir in pump / frames_captured. Under callgrind ringside takes ~50x longer per frame, so the
8 MiB ring fills and the kernel drops the rest: every block it reads is full, as in a flood
at full speed. The C floor (bench/c/v3_capture.c, cc -O2) runs the same way, counted whole
(its loop is all it does). Counts here include poll(2)'s user-space side; block fill and the
number of polls vary a little from run to run, so these are close to, not exactly, repeatable.

Prints, per frame size, Ir per frame in all, and the inclusive Ir per frame of the functions
on the path that callgrind sees as functions; "-" where it saw no call (inlined code is
counted in its caller; a function not called per frame is not listed).
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (label, regex on callgrind_annotate's "file:function" column), inclusive counts.
PIECES = [
    ("pump (all of it)", r":ringside_net::capture::pump( \[|$)"),
    ("  V3 block walk (deliver_v3_block, with all it calls)", r":ringside_net::link::afpacket::deliver_v3_block( \[|$)"),
    ("    V3 frame header parse (V3Frames::next)", r":<ringside_net::link::afpacket::ring::V3Frames as core::iter::traits::iterator::Iterator>::next( \[|$)"),
    ("    AfPacket::deliver (with all it calls)", r":ringside_net::link::afpacket::AfPacket::deliver( \[|$)"),
    ("      pump's per-frame closure (with all it calls)", r":ringside_net::capture::pump::\{\{closure\}\}( \[|$)"),
    ("        pump_one (what the closure's first look leaves)", r":ringside_net::capture::pump_one( \[|$)"),
    ("        Stack::handle_frame", r":ringside_net::stack::host::Stack::handle_frame( \[|$)"),
    ("        Worker::run's visitor", r":ringside_net::capture::Worker::run::\{\{closure\}\}( \[|$)"),
]


def run(binary, frame_len, blocks, out_dir):
    out = os.path.join(out_dir, f"callgrind-{frame_len + 4}.out")
    r = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                        "--toggle-collect=ringside_net::capture::pump",
                        binary, str(frame_len), str(blocks)],
                       capture_output=True, text=True, check=True)
    frames = int(re.search(r"^frames (\d+)", r.stdout, re.M).group(1))
    # Run outside the source tree: from inside it, callgrind_annotate splits each function's
    # count between the absolute and a relative spelling of its file.
    ann = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", out],
                         capture_output=True, text=True, check=True, cwd="/").stdout
    total = int(re.search(r"^\s*([\d,]+) .*PROGRAM TOTALS", ann, re.M).group(1).replace(",", ""))
    pieces = []
    for label, pat in PIECES:
        ir = None
        for line in ann.splitlines():
            # The function's own file (not a /rustc/ or crate file it inlined), not a call line.
            if re.search(pat, line) and "=>" not in line and "/rustc/" not in line:
                ir = int(line.split()[0].replace(",", ""))
                break
        pieces.append((label, ir))
    return frames, total, pieces, out


def lab(binaries, sizes, seconds):
    """Ir per frame of each ringside binary and of the C floor, on the veth lab."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import live  # noqa: E402  (the lab of bench/live.py: setup, teardown, trafgen_conf)
    if os.geteuid() != 0:
        raise SystemExit("bench: --lab needs root (namespaces, raw sockets)")
    d = tempfile.mkdtemp(prefix="capture-ir-lab-")
    floor = os.path.join(d, "v3_capture")
    subprocess.run(["cc", "-O2", "-Wall", "-o", floor,
                    os.path.join(ROOT, "bench", "c", "v3_capture.c")], check=True)
    rows = [("C floor (bench/c/v3_capture.c), whole program", floor, None)]
    rows += [(f"ringside {b}, in capture::pump", os.path.abspath(b),
              "ringside_net::capture::pump") for b in binaries]
    try:
        live.setup()
        for size in sizes:
            cfg = os.path.join(d, f"f{size}.cfg")
            with open(cfg, "w") as f:
                f.write(live.trafgen_conf(size - 4))
            for label, binary, toggle in rows:
                out = os.path.join(d, f"lab-{size}-{len(label)}.out")
                cg = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
                if toggle:
                    cg.append(f"--toggle-collect={toggle}")
                    cmd = [binary, "live", "--headless", "--ring", "v3", "-i", "vcap",
                           "--ip", "198.51.100.2/24"]
                    ready = "live on"
                else:
                    cmd = [binary, "vcap", "256", "32", "1"]
                    ready = "ready"
                proc = subprocess.Popen(live.nsx(live.CAP, "taskset", "-c", "1", *cg, *cmd),
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)
                live.wait_for(proc, ready, timeout=120)
                time.sleep(1)
                subprocess.run(live.nsx(live.GEN, "timeout", "-s", "INT", str(seconds),
                                        "taskset", "-c", "0", "trafgen", "-o", "vgen", "-i",
                                        cfg, "-P", "1", "-C"), capture_output=True)
                time.sleep(3)  # the capturer, slowed by callgrind, drains the ring
                proc.send_signal(signal.SIGINT)
                stdout, _ = proc.communicate(timeout=120)
                vals = dict(l.split()[:2] for l in stdout.splitlines() if len(l.split()) >= 2)
                # The C floor prints frames_captured; ringside frames_in (every frame judged).
                frames = int(vals.get("frames_captured", vals.get("frames_in", 0)))
                ann = subprocess.run(["callgrind_annotate", "--threshold=100", out],
                                     capture_output=True, text=True, check=True, cwd="/").stdout
                total = int(re.search(r"^\s*([\d,]+) .*PROGRAM TOTALS", ann,
                                      re.M).group(1).replace(",", ""))
                per = total / frames if frames else float("nan")
                print(f"{size} B  {label:<60} {frames:>9} frames  {total:>13} Ir  "
                      f"{per:7.1f} Ir/frame")
    finally:
        live.teardown()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="64,1518", help="frame sizes on the wire, with FCS")
    ap.add_argument("--blocks", type=int, default=100, help="256 KiB blocks per size")
    ap.add_argument("--bin", help="an already built capture_ir example")
    ap.add_argument("--label", default="", help="a name for this build in the output")
    ap.add_argument("--keep", help="keep the callgrind.out files in this directory")
    ap.add_argument("--lab", action="append", default=[], metavar="RINGSIDE",
                    help="measure these ringside binaries on the veth lab (root)")
    ap.add_argument("--seconds", type=int, default=3, help="--lab: flood length")
    a = ap.parse_args()
    if a.lab:
        lab(a.lab, [int(s) for s in a.sizes.split(",")], a.seconds)
        return 0
    binary = a.bin
    if not binary:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "ringside-net", "--example",
                        "capture_ir"], cwd=ROOT, check=True)
        binary = os.path.join(ROOT, "target", "release", "examples", "capture_ir")
    out_dir = a.keep or tempfile.mkdtemp(prefix="capture-ir-")
    os.makedirs(out_dir, exist_ok=True)
    print(f"# Ir per frame, {a.label or binary}: callgrind inside capture::pump, "
          f"{a.blocks} full 256 KiB V3 blocks per size")
    for size in [int(s) for s in a.sizes.split(",")]:
        frames, total, pieces, out = run(binary, size - 4, a.blocks, out_dir)
        print(f"\n{size} B: {frames} frames, {total} Ir in pump: {total / frames:.1f} Ir/frame")
        for label, ir in pieces:
            shown = "-" if ir is None else f"{ir / frames:.1f}"
            print(f"  {label:<56} {shown:>8}")
        if a.keep:
            print(f"  ({out}: callgrind_annotate --auto=yes {out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
