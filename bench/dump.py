#!/usr/bin/env python3
"""`ringside dump` against its peers on the same 1M-frame file, in the same run (issue 13).

  bench/dump.py [--bin target/release/ringside] [--old-bin OLD] [--frames 1000000] [--runs 3]

The file: the lessons' frames (assets/*.pcapng) repeated, 1 ms apart, as a classic pcap in a
temporary directory (deleted after). Each tool reads it with its output to /dev/null, --runs
times in turn (the machine is shared: the median of each is reported, and the ratios are taken
from medians of the same run). Wall time, CPU time (user + sys) and peak RSS (ru_maxrss),
from wait4, per tool; on a shared machine the CPU ratios are the steadier ones:

  tshark -T fields   31 common fields (frame, eth, arp, ip, icmp, udp)
  tcpdump -r -n      one text line per frame
  ringside dump      --tsv (66+ columns: every decoded field) and --json
  --old-bin          the same two for another ringside build (before/after a change)

--check-same (with --old-bin): after the timings, both builds' whole TSV and JSON outputs of the
file are compared byte for byte (SHA-256 of each stream, and its length); exit 1 if they differ.
"""
import argparse
import hashlib
import importlib.util
import os
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
spec = importlib.util.spec_from_file_location("replay_scale", os.path.join(ROOT, "bench/replay_scale.py"))
replay_scale = importlib.util.module_from_spec(spec)
spec.loader.exec_module(replay_scale)

TSHARK_FIELDS = [
    "frame.number", "frame.time_epoch", "frame.cap_len", "frame.len", "eth.dst", "eth.src",
    "eth.type", "vlan.id", "arp.opcode", "arp.src.hw_mac", "arp.src.proto_ipv4",
    "arp.dst.hw_mac", "arp.dst.proto_ipv4", "ip.version", "ip.hdr_len", "ip.dsfield", "ip.len",
    "ip.id", "ip.flags", "ip.frag_offset", "ip.ttl", "ip.proto", "ip.checksum", "ip.src",
    "ip.dst", "icmp.type", "icmp.code", "icmp.checksum", "udp.srcport", "udp.dstport",
    "udp.length",
]


def run(cmd):
    """(wall seconds, CPU seconds (user + sys), peak RSS MiB) of cmd, output to /dev/null."""
    t = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"bench: {' '.join(cmd)} failed")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024


def output_digest(cmd):
    """(SHA-256 hex, bytes) of cmd's whole stdout, read as it streams (nothing kept on disk)."""
    h = hashlib.sha256()
    n = 0
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    for chunk in iter(lambda: p.stdout.read(1 << 20), b""):
        h.update(chunk)
        n += len(chunk)
    if p.wait() != 0:
        raise SystemExit(f"bench: {' '.join(cmd)} failed")
    return h.hexdigest(), n


def check_same(new_bin, old_bin, path):
    """Both builds' TSV and JSON of path, compared; prints one line each, False if any differs."""
    same = True
    for fmt in ("--tsv", "--json"):
        new = output_digest([new_bin, "dump", path, fmt])
        old = output_digest([old_bin, "dump", path, fmt])
        verdict = "identical" if new == old else "DIFFERENT"
        same &= new == old
        print(f"`dump {fmt}` output, this build vs --old-bin: {verdict} "
              f"({new[1]:,} vs {old[1]:,} bytes, sha256 {new[0][:16]} vs {old[0][:16]})")
    return same


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/ringside"))
    ap.add_argument("--old-bin")
    ap.add_argument("--frames", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--check-same", action="store_true",
                    help="with --old-bin: compare both builds' whole outputs byte for byte")
    args = ap.parse_args()
    if args.check_same and not args.old_bin:
        ap.error("--check-same needs --old-bin")
    tmp = tempfile.mkdtemp(prefix="rsdump-")
    path = os.path.join(tmp, "big.pcap")
    try:
        replay_scale.write_pcap(path, args.frames, replay_scale.lesson_frames())
        tools = [
            ("tshark -T fields (31 fields)", ["tshark", "-n", "-r", path, "-T", "fields"]
             + [a for f in TSHARK_FIELDS for a in ("-e", f)]),
            ("tcpdump -r -n", ["tcpdump", "-r", path, "-n"]),
            ("ringside dump --tsv", [args.bin, "dump", path, "--tsv"]),
            ("ringside dump --json", [args.bin, "dump", path, "--json"]),
        ]
        if args.old_bin:
            tools += [
                ("ringside dump --tsv (before)", [args.old_bin, "dump", path, "--tsv"]),
                ("ringside dump --json (before)", [args.old_bin, "dump", path, "--json"]),
            ]
        results = {name: [] for name, _ in tools}
        load = os.getloadavg()
        for _ in range(args.runs):
            for name, cmd in tools:
                results[name].append(run(cmd))
        med = {n: (statistics.median(w for w, _, _ in r), statistics.median(c for _, c, _ in r),
                   max(m for _, _, m in r)) for n, r in results.items()}
        tcpdump, tcpdump_cpu, _ = med["tcpdump -r -n"]
        tshark, tshark_cpu, _ = med["tshark -T fields (31 fields)"]
        print(f"\n`bench/dump.py --frames {args.frames} --runs {args.runs}`: {args.frames} frames, "
              f"{os.path.getsize(path) / 1e6:.0f} MB, output to /dev/null, median of {args.runs}\n")
        print(f"load average before: {load[0]:.1f}, after: {os.getloadavg()[0]:.1f} (1 min)\n")
        print("| tool | wall s (median) | runs | / tcpdump | tshark / this "
              "| CPU s (median) | / tcpdump | tshark / this | peak RSS MiB |")
        print("|---|---|---|---|---|---|---|---|---|")
        for name, _ in tools:
            w, c, m = med[name]
            runs = ", ".join(f"{x:.2f}" for x, _, _ in results[name])
            print(f"| {name} | {w:.2f} | {runs} | {w / tcpdump:.2f}x | {tshark / w:.1f}x "
                  f"| {c:.2f} | {c / tcpdump_cpu:.2f}x | {tshark_cpu / c:.1f}x | {m:.0f} |")
        if args.check_same:
            print()
            if not check_same(args.bin, args.old_bin, path):
                raise SystemExit(1)
    finally:
        try:
            os.remove(path)
        except OSError:
            pass
        os.rmdir(tmp)


if __name__ == "__main__":
    main()
