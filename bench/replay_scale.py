#!/usr/bin/env python3
"""Replay at scale: the real binary's TUI on a capture of millions of frames (issue 13).

  bench/replay_scale.py [--bin target/release/ringside] [--frames 10000000] [--history-mb 64]

Makes a classic pcap of FRAMES frames (the lessons' frames from assets/*.pcapng, repeated, each
1 ms after the one before; see below where it is kept), then starts
`ringside replay FILE --history-mb MB` in tmux at 160x48 and measures, from outside, the way a
user sees it (tmux capture-pane polled every few ms):

  first screen   from starting the command to frame 1's row on screen
  index          until the title no longer says "indexing" (every frame listed and reachable)
  judged         until the title says "loaded" (every frame through the stack)
  key latency    once the screen is still (judged): from the key reaching tmux (`send-keys` on a
                 control-mode client, `tmux -C`) to the last byte of the redraw that answers it
                 (tmux's `%output` notifications, stamped as they arrive; a redraw is one burst
                 of output, over when 10 ms pass without any), for j k PgDn G g `:5000000` and a
                 filter (`/udp`); each key's effect is then checked on the screen (capture-pane,
                 not timed). Also the first byte of that redraw, and the last byte of any later
                 redraws the key set going (a filter over 10M frames goes on in the background
                 and redraws its "checked N of M" count until it is through: "background" column;
                 it ends when 40 ms pass without output).
  RSS            VmRSS of the ringside process sampled during the run, and VmHWM (peak) at the
                 end, against --history-mb

The peer row, in the same run on the same file: `tcpdump -r FILE -n -c 48` (the first screen
of text) and `tcpdump -r FILE -n` to /dev/null (one pass over the whole file).

The capture is written once to $TMPDIR/ringside-bench/ (named by frame count and a hash of the
lesson frames) and removed after the run unless --keep; bench/live.py keeps it between runs.
"""
import argparse
import os
import re
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SESSION = f"rsreplay-{os.getpid()}"


def lesson_frames():
    """(data, orig_len) of every packet in the lessons' pcapng captures (little-endian files)."""
    frames = []
    assets = os.path.join(ROOT, "assets")
    for name in sorted(os.listdir(assets)):
        if not name.endswith(".pcapng"):
            continue
        b = open(os.path.join(assets, name), "rb").read()
        p = 0
        while p + 12 <= len(b):
            ty, ln = struct.unpack_from("<II", b, p)
            if ln < 12 or p + ln > len(b):
                break
            if ty == 6:
                caplen, orig = struct.unpack_from("<II", b, p + 20)
                frames.append((b[p + 28 : p + 28 + caplen], orig))
            p += ln
    if not frames:
        raise SystemExit("bench: no frames found in assets/*.pcapng")
    return frames


def write_pcap(path, n, frames):
    """A classic pcap of n frames, 1 ms apart: one cycle of the lesson frames is laid out once,
    then written again and again with its timestamps patched in place."""
    cycle = bytearray()
    ts_at = []
    for data, orig in frames:
        ts_at.append(len(cycle))
        cycle += struct.pack("<IIII", 0, 0, len(data), max(orig, len(data))) + data
    k = len(frames)
    t0 = 1_700_000_000 * 1000  # ms
    with open(path, "wb", buffering=1 << 22) as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        i = 0
        while i < n:
            m = min(k, n - i)
            for j in range(m):
                t = t0 + i + j
                struct.pack_into("<II", cycle, ts_at[j], t // 1000, (t % 1000) * 1000)
            f.write(cycle if m == k else cycle[: ts_at[m]])
            i += m


def tmux(*args):
    return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout


def screen():
    return tmux("capture-pane", "-p", "-t", SESSION)


def wait_for(pred, timeout=60.0, every=0.002):
    t = time.monotonic()
    while time.monotonic() - t < timeout:
        s = screen()
        if pred(s):
            return time.monotonic() - t, s
        time.sleep(every)
    raise SystemExit(f"bench: timed out; screen:\n{screen()}")


def position(s):
    m = re.search(r"frame (\d+)/(\d+)", s)
    return (int(m.group(1)), int(m.group(2))) if m else (None, None)


def ringside_pid(path):
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
        except OSError:
            continue
        if len(cmd) > 2 and b"ringside" in os.path.basename(cmd[0]) and cmd[1] == b"replay" and path.encode() in cmd:
            return int(pid)
    return None


class Control:
    """A tmux control-mode client on the session: sends keys, stamps the pane's output."""

    def __init__(self):
        import threading

        self.p = subprocess.Popen(["tmux", "-C", "attach", "-t", SESSION], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.stamps = []
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        self.cmd("refresh-client -C 160x48")

    # What ratatui writes on every tick even when nothing changed (style reset, cursor hidden).
    IDLE = b"\\033[39m\\033[49m\\033[59m\\033[0m\\033[?25l"

    def _read(self):
        for line in self.p.stdout:
            if line.startswith(b"%output"):
                t = time.monotonic()
                data = line.rstrip(b"\n").split(b" ", 2)[-1]
                if not data.replace(self.IDLE, b""):
                    continue
                with self.lock:
                    self.stamps.append(t)

    def cmd(self, c):
        self.p.stdin.write((c + "\n").encode())
        self.p.stdin.flush()

    def last_output(self):
        with self.lock:
            return self.stamps[-1] if self.stamps else 0.0

    def quiet(self, for_s=0.2, limit=30.0):
        t = time.monotonic()
        while time.monotonic() - t < limit:
            if time.monotonic() - self.last_output() >= for_s:
                return
            time.sleep(0.01)

    def key(self, *keys, quiet=0.04, burst_gap=0.01):
        """(first byte, last byte of the first redraw, last byte of all output) after sending
        keys, in seconds. The first redraw is the first burst of output: it ends at the first
        gap of `burst_gap` without output (one redraw is written in one go). Output goes on
        after it only where the key started background work (a filter's progress count)."""
        self.quiet()
        t0 = time.monotonic()
        self.cmd("send-keys -t " + SESSION + " " + " ".join(keys))
        while True:
            time.sleep(0.002)
            with self.lock:
                after = [s for s in self.stamps if s > t0]
            if after and time.monotonic() - after[-1] >= quiet:
                first_end = after[0]
                for a, b in zip(after, after[1:]):
                    if b - a >= burst_gap:
                        break
                    first_end = b
                else:
                    first_end = after[-1]
                return after[0] - t0, first_end - t0, after[-1] - t0
            if time.monotonic() - t0 > 30:
                raise SystemExit(f"bench: no redraw after {keys}")

    def close(self):
        try:
            self.cmd("detach")
        except OSError:
            pass
        self.p.kill()


def key_text(first_b, answered, last_b):
    """A key's figures for a table: the answering redraw, its first byte, background redraws."""
    text = f"{answered * 1e3:.1f} ms (first byte {first_b * 1e3:.1f}"
    if last_b - answered > 0.005:
        text += f"; background redraws until {last_b * 1e3:.0f} ms"
    return text + ")"


def status_kb(pid, key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def cached_pcap(n, cache_dir=None):
    """The path of an n-frame lesson capture, written once and kept in a cache directory
    (default: $TMPDIR/ringside-bench) so that a second run does not write 1.6 GB again. The name
    carries a hash of the lesson frames: a changed asset makes a new file."""
    import hashlib

    frames = lesson_frames()
    h = hashlib.sha256()
    for data, orig in frames:
        h.update(struct.pack("<II", len(data), orig) + data)
    d = cache_dir or os.path.join(tempfile.gettempdir(), "ringside-bench")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, f"lessons-{n}-{h.hexdigest()[:12]}.pcap")
    if not os.path.exists(path):
        part = f"{path}.{os.getpid()}.part"
        try:
            write_pcap(part, n, frames)
            os.replace(part, path)
        finally:
            if os.path.exists(part):
                os.remove(part)
    return path


def measure(binary, path, history_mb):
    """Everything the table shows, measured on the capture at path (see the module doc)."""
    # The peer, same file, same run (page cache warm for both).
    t = time.monotonic()
    subprocess.run(["tcpdump", "-r", path, "-n", "-c", "48"], capture_output=True)
    td_first = time.monotonic() - t
    t = time.monotonic()
    subprocess.run(["tcpdump", "-r", path, "-n"], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    td_all = time.monotonic() - t
    try:
        t_start = time.monotonic()
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", SESSION, "-x", "160", "-y", "48",
             f"{binary} replay {path} --history-mb {history_mb}"],
            check=True,
        )
        # Frame 1's row: the selection marker, then " 1 " as the No. column.
        wait_for(lambda s: re.search(r"^[│|]\S?\s*\S\s+1\s+0\.000", s, re.M) is not None,
                 timeout=30)
        first = time.monotonic() - t_start
        pid = ringside_pid(path)
        if not pid:
            raise SystemExit("bench: cannot find the ringside process")
        rss = []
        indexed = None
        while " loaded" not in (s := screen()):
            if indexed is None and "indexing" not in s:
                indexed = time.monotonic() - t_start
            rss.append(status_kb(pid, "VmRSS"))
            time.sleep(0.05)
        judged = time.monotonic() - t_start
        indexed = indexed or judged
        _, total = position(screen())

        ctl = Control()
        lat = []

        def measure_key(name, keys, pred):
            first_b, answered, last_b = ctl.key(*keys)
            wait_for(pred, timeout=10)
            lat.append((name, first_b, answered, last_b))
            rss.append(status_kb(pid, "VmRSS"))

        def at(n):
            return lambda s: position(s)[0] == n

        measure_key("j", ["j"], at(2))
        measure_key("k", ["k"], at(1))
        measure_key("PgDn", ["PageDown"], lambda s: (position(s)[0] or 0) > 2)
        measure_key("G (last frame)", ["G"], at(total))
        measure_key("g (first frame)", ["g"], at(1))
        target = min(5_000_000, total)
        ctl.key(":")
        ctl.key(*list(str(target)))
        measure_key(f":{target} Enter", ["Enter"], at(target))
        ctl.key("/")
        ctl.key("u", "d", "p")
        measure_key("/udp Enter (filter set, first rows shown)", ["Enter"],
                    lambda s: "filter: udp" in s)
        measure_key("j under the filter", ["j"], lambda s: True)
        measure_key("G under the filter", ["G"], lambda s: True)
        measure_key("Esc (filter cleared)", ["Escape"], lambda s: "filter: udp" not in s)
        ctl.close()
        hwm = status_kb(pid, "VmHWM")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
    return {"first_s": first, "td_first_s": td_first, "indexed_s": indexed, "td_all_s": td_all,
            "judged_s": judged, "total": total, "keys": lat, "rss_max_mib": max(rss) / 1024,
            "hwm_mib": hwm / 1024, "history_mb": history_mb}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/ringside"))
    ap.add_argument("--frames", type=int, default=10_000_000)
    ap.add_argument("--history-mb", type=int, default=64)
    ap.add_argument("--keep", action="store_true",
                    help="keep the capture in $TMPDIR/ringside-bench for the next run")
    args = ap.parse_args()
    if not os.path.exists(args.bin):
        raise SystemExit(f"bench: no {args.bin}: cargo build --release first")
    t = time.monotonic()
    path = cached_pcap(args.frames)
    size = os.path.getsize(path)
    print(f"capture: {args.frames} frames, {size / 1e6:.0f} MB, ready in "
          f"{time.monotonic() - t:.1f} s ({path})", file=sys.stderr)
    try:
        r = measure(args.bin, path, args.history_mb)
    finally:
        if not args.keep:
            os.remove(path)
    first, td_first = r["first_s"], r["td_first_s"]
    indexed, judged, td_all = r["indexed_s"], r["judged_s"], r["td_all_s"]
    print(f"\n`bench/replay_scale.py --frames {args.frames} --history-mb {args.history_mb}`: "
          f"{args.frames} frames, {size / 1e6:.0f} MB, tmux 160x48\n")
    print("| figure | ringside replay | peer: tcpdump -r -n | ratio |")
    print("|---|---|---|---|")
    print(f"| first screen (48 rows) | {first * 1e3:.0f} ms | {td_first * 1e3:.0f} ms (-c 48) | "
          f"{first / td_first:.2f}x |")
    print(f"| every frame listed (index done) | {indexed:.2f} s | {td_all:.2f} s (whole file) | "
          f"{indexed / td_all:.2f}x |")
    print(f"| every frame judged (title: loaded) | {judged:.2f} s | | {judged / td_all:.2f}x |")
    print(f"| frames listed | {r['total']} | | |")
    for name, first_b, answered, last_b in r["keys"]:
        print(f"| key: {name} | {key_text(first_b, answered, last_b)} | | |")
    print(f"| RSS max while indexing and browsing | {r['rss_max_mib']:.0f} MiB | | |")
    print(f"| VmHWM (peak RSS) | {r['hwm_mib']:.0f} MiB | | |")
    print(f"| --history-mb | {args.history_mb} MiB (peak - history = "
          f"{r['hwm_mib'] - args.history_mb:.0f} MiB overhead) | | |")


if __name__ == "__main__":
    main()
