#!/usr/bin/env python3
"""Every table of issue 13 in one run: ringside beside its peers, each ratio from the same run.

  sudo bench/live.py [--only SECTIONS] [--quick] [--markdown] [--netmap] [--bin BIN]

Sections (all by default, in this order; --only takes a comma list):
  capture  CPU per captured frame, 64 B and 1518 B trafgen floods: the C TPACKET_V3 floor
           (bench/c/v3_capture.c), tcpdump -w /dev/null, ringside --ring v3 (stack), ringside's
           default ring (stack), ringside --capture-only -w /dev/null; and over AF_XDP the C floor
           bench/c/xdp_capture.c (libxdp) and ringside --backend xdp --xdp-mode skb (stack).
           Goals: ringside --ring v3 within 1.2x (64 B) and 1.5x (1518 B) of the C V3 floor.
  ring     the default ring under the full-speed 64 B flood: kernel ring drops (goal 0), and a
           lone ping (10 ms apart, each wakes from poll) against the C TPACKET_V2 + poll floor
           (bench/c/v2_responder.c) pinged right before it (goal: p50 within 1.1x).
  ping     the ICMP echo responder: the kernel, C V2 + poll, C busy-poll, ringside default,
           --busy-poll, --backend xdp: p50 of pings at 1 ms and the `ping -f` rate, each
           ringside row as a ratio of its C peer (goal: p50 within 1.1x of it).
  dump     offline, the lesson capture repeated to 1M frames: tshark -T fields, tcpdump -r -n,
           ringside dump --tsv / --json: CPU (user + sys) ratios and peak RSS (goals: tshark's
           CPU >= 30x --tsv's, --tsv <= 1.0x tcpdump's).
  replay   10M frames in the TUI (tmux): first screen, ms per keypress (scroll, jump, filter),
           peak RSS against --history-mb (goals: 1 s, 50 ms, history + a fixed overhead).
  netmap   only with --netmap: tools/netmap-vm/run.sh --bench (QEMU guest, TCG) and its
           same-guest ratios; without it one line says how to get them.

The live sections run on a veth pair between two namespaces rsbench-*-PID (removed on exit, even
on error or Ctrl-C), trafgen and ping pinned to CPU0, the capturer or responder to CPU1;
addresses 198.51.100.0/24 only. CPU per frame = the capturer's CPU time over the flood
(/proc/PID/task/*/schedstat, all threads) / frames it captured. Each ratio is taken inside one
run (peer and ringside measured back to back) and the table gives the median over runs: the
machine is shared, so only ratios between neighbours in time mean something. The capture files
for dump and replay are kept in $TMPDIR/ringside-bench/ between runs.

The old single-purpose scripts remain for deeper dives: bench/ring.py (every ring candidate),
bench/capture_cost.py (--profile: where the nanoseconds go), bench/dump.py, bench/replay_scale.py.
The lab helpers below (setup, capture_run, ping_times...) are imported by them.
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




# ---------------------------------------------------------------------------------------------
# The orchestrator: every table of issue 13 in one run.

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
IP = "198.51.100.2"
MAC = "02:52:53:00:00:02"  # vcap's address: the C floors do no ARP
SECTIONS = ("capture", "ring", "ping", "dump", "replay", "netmap")
ROOT_SECTIONS = ("capture", "ring", "ping")
# Replay's fixed overhead beyond --history-mb: the binary, the TUI, the index (every 64th frame's
# offset: 1.25 MB at 10M frames) and the reader's buffers. Measured 54 MiB at 10M frames with
# --history-mb 64 (bench/RESULTS.md, 2026-12-02); the goal allows 64 MiB.
REPLAY_FIXED_MIB = 64
# The tools each section runs, and the Debian package that has each.
TOOLS = {
    "capture": [("trafgen", "netsniff-ng"), ("tcpdump", "tcpdump"), ("cc", "gcc"),
                ("taskset", "util-linux"), ("ip", "iproute2"), ("ethtool", "ethtool")],
    "ring": [("trafgen", "netsniff-ng"), ("cc", "gcc"), ("ping", "iputils-ping"),
             ("taskset", "util-linux"), ("ip", "iproute2"), ("ethtool", "ethtool")],
    "ping": [("ping", "iputils-ping"), ("cc", "gcc"), ("taskset", "util-linux"),
             ("ip", "iproute2"), ("ethtool", "ethtool")],
    "dump": [("tshark", "tshark"), ("tcpdump", "tcpdump")],
    "replay": [("tmux", "tmux"), ("tcpdump", "tcpdump")],
    "netmap": [("qemu-system-x86_64", "qemu-system-x86")],
}


def load(name):
    """A sibling bench script as a module (bench/ is not a package)."""
    import importlib.util

    sys.modules.setdefault("live", sys.modules[__name__])  # the scripts `import live`: this one
    if name in sys.modules:
        return sys.modules[name]
    sys.path.insert(0, HERE)
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, name + ".py"))
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def say(msg):
    print(f"  {msg}", file=sys.stderr, flush=True)


def median(xs):
    xs = [x for x in xs if x == x]
    return statistics.median(xs) if xs else float("nan")


def build_c(d, name, libs=()):
    exe = os.path.join(d, name)
    r = subprocess.run(["cc", "-O2", "-Wall", "-o", exe, os.path.join(HERE, "c", name + ".c"),
                        *libs], capture_output=True, text=True)
    if r.returncode != 0:
        first = (r.stderr.strip().splitlines() or ["?"])[0]
        return None, first
    return exe, None


def xdp_floor(d):
    """(path, None) of the built C AF_XDP floor, or (None, why not: what to install)."""
    src = os.path.join(HERE, "c", "xdp_capture.c")
    if not os.path.exists(src):
        return None, "bench/c/xdp_capture.c is missing (the C AF_XDP floor): update the checkout"
    exe, err = build_c(d, "xdp_capture", ("-lxdp", "-lbpf"))
    if exe:
        return exe, None
    if "xdp/" in err or "bpf/" in err or "-lxdp" in err or "-lbpf" in err:
        return None, "cannot build bench/c/xdp_capture.c: apt-get install libxdp-dev libbpf-dev"
    return None, f"cannot build bench/c/xdp_capture.c: {err}"


def timed_capture_run(name, cmd, frame_len, seconds, cfg_path):
    """capture_run for a capturer that runs for a fixed time and prints `frames=N drops=M` on
    exit (bench/c/xdp_capture.c's contract: `xdp_capture IFACE SECONDS MODE`)."""
    life = seconds + 3
    proc = subprocess.Popen(nsx(CAP, "taskset", "-c", "1", cmd[0], cmd[1], str(life), *cmd[2:]),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)  # attach the XDP program and fill the fill ring
    if proc.poll() is not None:
        out, err = proc.communicate()
        raise SystemExit(f"bench: {name} exited early: {(err or out).strip()}")
    rx0 = rx_packets(CAP, "vcap")
    c0, w0 = cpu_ns(proc.pid), time.monotonic()
    subprocess.run(nsx(GEN, "timeout", "-s", "INT", str(seconds), "taskset", "-c", "0", "trafgen",
                       "-o", "vgen", "-i", cfg_path, "-P", "1", "-C"), capture_output=True)
    time.sleep(0.5)
    rx1 = rx_packets(CAP, "vcap")
    c1, w1 = cpu_ns(proc.pid), time.monotonic()
    out, err = proc.communicate(timeout=life + 20)
    m = re.search(r"frames=(\d+) drops=(\d+)", out)
    if not m:
        raise SystemExit(f"bench: {name} printed no `frames=N drops=M`: {(err or out).strip()}")
    captured, drops = int(m.group(1)), int(m.group(2))
    offered = rx1 - rx0
    return {"name": name, "len": frame_len, "offered": offered, "captured": captured,
            "drops": drops, "ns": (c1 - c0) / captured if captured else float("nan"),
            "mpps": offered / seconds / 1e6, "window_s": w1 - w0}


def capture_section(o, binary, d, out):
    rep = load("report")
    v3, err = build_c(d, "v3_capture")
    if not v3:
        raise SystemExit(f"bench: cannot build bench/c/v3_capture.c: {err}")
    xdp, xdp_why = xdp_floor(d)
    rs = [binary, "live", "--headless", "-i", "vcap", "--ip", f"{IP}/24"]
    floor = ("C floor: TPACKET_V3 loop", [v3, "vcap", "256", "32", "1"], "ready")
    # The floor is measured twice in each run, just before and just after ringside's --ring v3
    # (the goal's row), and that row is judged against the mean of the two: this VM's speed
    # drifts within seconds (the floor alone moved 45-76 ns a 64 B frame between runs), so a
    # floor taken three floods earlier says little about the moment ringside ran.
    rows = [
        floor,
        ("ringside --ring v3 (stack)", rs + ["--ring", "v3"], "live on"),
        floor,
        ("tcpdump -w /dev/null", ["tcpdump", "-n", "-i", "vcap", "-w", "/dev/null"],
         "listening on"),
        ("ringside default ring (stack)", rs, "live on"),
        ("ringside --capture-only -w /dev/null", rs + ["--capture-only", "-w", "/dev/null"],
         "capturing only"),
    ]
    if xdp:
        rows.append(("C floor: AF_XDP skb (xdp_capture)", [xdp, "vcap", "skb"], None))
    rows.append(("ringside --backend xdp --xdp-mode skb (stack)",
                 rs + ["--backend", "xdp", "--xdp-mode", "skb"], "live on"))
    res = {}  # (size, name) -> [run dicts with ratios]
    for run in range(o.runs):
        for frame_len in (60, 1514):
            cfg = os.path.join(d, f"f{frame_len}.cfg")
            with open(cfg, "w") as f:
                f.write(trafgen_conf(frame_len))
            done = []
            for name, cmd, ready in rows:
                if ready is None:
                    done.append(timed_capture_run(name, cmd, frame_len, o.seconds, cfg))
                else:
                    done.append(capture_run(name, cmd, ready, frame_len, o.seconds, cfg))
            v3_floors = [r for r in done if r["name"] == floor[0]]
            floor_ns = statistics.mean(r["ns"] for r in v3_floors)
            xdp_floor_ns = next((r["ns"] for r in done if r["name"].startswith("C floor: AF_XDP")),
                                None)
            say(f"capture run {run + 1} {frame_len + 4} B C floor before and after ringside "
                f"--ring v3: {v3_floors[0]['ns']:.0f} and {v3_floors[1]['ns']:.0f} ns/frame")
            merged = dict(v3_floors[0], ns=floor_ns,
                          captured=sum(r["captured"] for r in v3_floors),
                          offered=sum(r["offered"] for r in v3_floors),
                          drops=sum(r["drops"] for r in v3_floors),
                          mpps=statistics.mean(r["mpps"] for r in v3_floors))
            for r in [merged] + [r for r in done if r["name"] != floor[0]]:
                name = r["name"]
                r["v3x"] = r["ns"] / floor_ns
                r["xdpx"] = r["ns"] / xdp_floor_ns if "xdp" in name and xdp_floor_ns \
                    else float("nan")
                res.setdefault((frame_len + 4, name), []).append(r)
                say(f"capture run {run + 1} {frame_len + 4} B {name}: {r['ns']:.0f} ns/frame "
                    f"({r['v3x']:.2f}x V3 floor), {r['captured']}/{r['offered']}, "
                    f"drops {r['drops']}")
    table = []
    names = list(dict.fromkeys(name for name, _, _ in rows))  # the floor once
    for size in (64, 1518):
        for name in names:
            if "--backend xdp" in name and not xdp:
                table.append([f"{size} B", "C floor: AF_XDP skb (xdp_capture)", "-", "-", "-",
                              "-", "-", xdp_why])
            rr = res[(size, name)]
            offered = sum(r["offered"] for r in rr)
            table.append([f"{size} B", name, rep.fmt(median([r["mpps"] for r in rr]), ".2f"),
                          rep.fmt(sum(r["captured"] for r in rr) / max(1, offered), ".3f"),
                          str(sum(r["drops"] for r in rr)),
                          rep.fmt(median([r["ns"] for r in rr])),
                          rep.ratio(median([r["v3x"] for r in rr])),
                          rep.ratio(median([r["xdpx"] for r in rr]))])
    def v3_goal(size, target):
        per_run = [r["v3x"] for r in res[(size, "ringside --ring v3 (stack)")]]
        runs = ", ".join(f"{x:.2f}" for x in per_run)
        return rep.goal(f"{size} B: ringside --ring v3 (stack) / C TPACKET_V3 floor, median of "
                        f"the runs ({runs})", median(per_run), "<=", target)
    goals = [v3_goal(size, target) for size, target in ((64, 1.2), (1518, 1.5))]
    out(f"Capture CPU per frame: trafgen floods UDP not for ringside ({o.seconds} s, CPU0), "
        f"capturer on CPU1; median of {o.runs} run(s), each ratio against the floor of its run "
        f"(the C V3 floor: the mean of its floods just before and just after ringside --ring v3)",
        rep.table(["frame", "capturer", "Mpps offered", "captured/offered", "kernel drops",
                   "CPU ns/frame", "/ C V3 floor", "/ C AF_XDP floor"], table, o.markdown),
        goals)


def ring_section(o, binary, d, out):
    rep, ring = load("report"), load("ring")
    v2, err = build_c(d, "v2_responder")
    if not v2:
        raise SystemExit(f"bench: cannot build bench/c/v2_responder.c: {err}")
    cfg = os.path.join(d, "f60.cfg")
    with open(cfg, "w") as f:
        f.write(trafgen_conf(60))
    rs = [binary, "live", "--headless", "-i", "vcap", "--ip", f"{IP}/24"]
    floor = [v2, "vcap", IP, "64", "64", "2048"]
    runs = []
    for run in range(o.runs):
        fl = capture_run("ringside default", rs, "live on", 60, o.seconds, cfg)
        ct, cslow = ring.ping_run(floor, "ready", o.pings)
        t, slow = ring.ping_run(rs, "live on", o.pings)
        r = {"drops": fl["drops"], "offered": fl["offered"], "mpps": fl["mpps"],
             "ns": fl["ns"], "p50": pct(t, 50), "c50": pct(ct, 50), "lone": pct(slow, 50),
             "clone": pct(cslow, 50), "answered": len(t) + len(slow),
             "asked": o.pings + max(1, o.pings // 5)}
        r["x"], r["lonex"] = r["p50"] / r["c50"], r["lone"] / r["clone"]
        runs.append(r)
        say(f"ring run {run + 1}: drops {r['drops']} of {r['offered']}, lone ping "
            f"{r['lone'] * 1e3:.0f} us vs C {r['clone'] * 1e3:.0f} us ({r['lonex']:.2f}x)")
    table = [[str(i + 1), rep.fmt(r["mpps"], ".2f"), f"{r['drops']} of {r['offered']}",
              rep.fmt(r["ns"]), f"{r['answered']}/{r['asked']}",
              rep.fmt(r["p50"] * 1e3), rep.fmt(r["c50"] * 1e3), rep.ratio(r["x"]),
              rep.fmt(r["lone"] * 1e3), rep.fmt(r["clone"] * 1e3), rep.ratio(r["lonex"])]
             for i, r in enumerate(runs)]
    drops = sum(r["drops"] for r in runs)
    out(f"The default ring (`ringside live`, no ring flags) under the full-speed 64 B flood "
        f"({o.seconds} s), then {o.pings} pings at 1 ms and {max(1, o.pings // 5)} at 10 ms "
        "(lone: each wakes from poll), beside the C TPACKET_V2 + poll floor pinged just before",
        rep.table(["run", "flood Mpps", "kernel drops", "ns/frame", "pings answered",
                   "1 ms p50 us", "C p50 us", "ratio", "lone p50 us", "C lone p50 us",
                   "lone ratio"], table, o.markdown),
        [rep.goal("kernel ring drops under the flood (all runs)", drops, "==", 0, unit="",
                  spec=".0f"),
         rep.goal("lone ping p50 / C V2 + poll (median of runs)",
                  median([r["lonex"] for r in runs]), "<=", 1.1)])


def ping_section(o, binary, d, out):
    rep = load("report")
    v2, err = build_c(d, "v2_responder")
    if not v2:
        raise SystemExit(f"bench: cannot build bench/c/v2_responder.c: {err}")
    rs = [binary, "live", "--headless", "-i", "vcap", "--ip", f"{IP}/24"]
    floor = [v2, "vcap", IP, "64", "64", "2048"]
    rows = [
        ("C TPACKET_V2 + poll", floor, "ready", None),
        ("C busy-poll", floor + ["spin"], "ready", None),
        ("ringside default", rs, "live on", "C TPACKET_V2 + poll"),
        ("ringside --busy-poll", rs + ["--busy-poll"], "live on", "C busy-poll"),
        ("ringside --backend xdp --xdp-mode skb", rs + ["--backend", "xdp", "--xdp-mode", "skb"],
         "live on", "C TPACKET_V2 + poll"),
    ]
    res = {}
    for run in range(o.runs):
        sh("ip", "-n", CAP, "addr", "add", "198.51.100.3/24", "dev", "vcap")
        t, _ = ping_times(GEN, "198.51.100.3", o.pings, "0.001")
        loss, rate = flood(GEN, "198.51.100.3", o.flood)
        sh("ip", "-n", CAP, "addr", "del", "198.51.100.3/24", "dev", "vcap")
        res.setdefault("kernel (peer veth)", []).append((pct(t, 50), rate, len(t), loss))
        for name, cmd, ready, _ in rows:
            proc = subprocess.Popen(nsx(CAP, "taskset", "-c", "1", *cmd),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                wait_for(proc, ready)
                sh(*nsx(GEN, "ping", "-c", "1", "-W", "2", IP), check=False)
                t, _ = ping_times(GEN, IP, o.pings, "0.001")
                loss, rate = flood(GEN, IP, o.flood)
            finally:
                proc.send_signal(signal.SIGINT)
                proc.communicate(timeout=20)
            res.setdefault(name, []).append((pct(t, 50), rate, len(t), loss))
            say(f"ping run {run + 1} {name}: p50 {pct(t, 50) * 1e3:.0f} us, flood {rate:.0f}/s "
                f"({loss:.1f} % lost)")
    per_run = lambda name, k: [r[k] for r in res[name]]  # noqa: E731
    table, ratios = [], []
    for name, _, _, peer in [("kernel (peer veth)", None, None, None)] + rows:
        p50s, rates = per_run(name, 0), per_run(name, 1)
        px = fx = float("nan")
        if peer:
            px = median([a / b for a, b in zip(p50s, per_run(peer, 0))])
            fx = median([a / b for a, b in zip(rates, per_run(peer, 1)) if b])
            ratios.append(px)
        table.append([name, f"{sum(per_run(name, 2))}/{o.pings * o.runs}",
                      rep.fmt(median(p50s) * 1e3), rep.fmt(median(rates)),
                      rep.fmt(median(per_run(name, 3)), ".2f"), peer or "-", rep.ratio(px),
                      rep.ratio(fx)])
    out(f"The ping responder: {o.pings} pings at 1 ms, then `ping -f -c {o.flood}` (ping on "
        f"CPU0, responder on CPU1); median of {o.runs} run(s), ratios against the C row of the "
        "same mode in the same run",
        rep.table(["responder", "answered", "p50 us", "flood req/s", "flood loss %", "C peer",
                   "p50 / peer", "flood / peer"], table, o.markdown),
        [rep.goal("worst ringside p50 / its C peer", max((x for x in ratios if x == x),
                                                          default=float("nan")), "<=", 1.1)])


def dump_section(o, binary, d, out):
    rep, dump, rsc = load("report"), load("dump"), load("replay_scale")
    t0 = time.monotonic()
    path = rsc.cached_pcap(o.dump_frames)
    say(f"dump: {o.dump_frames} frames in {path} ({time.monotonic() - t0:.1f} s)")
    tools = [
        ("tshark -T fields (31 fields)", ["tshark", "-n", "-r", path, "-T", "fields"]
         + [a for f in dump.TSHARK_FIELDS for a in ("-e", f)]),
        ("tcpdump -r -n", ["tcpdump", "-r", path, "-n"]),
        ("ringside dump --tsv", [binary, "dump", path, "--tsv"]),
        ("ringside dump --json", [binary, "dump", path, "--json"]),
    ]
    res = {name: [] for name, _ in tools}
    for run in range(o.dump_runs):
        for name, cmd in tools:
            res[name].append(dump.run(cmd))
            w, c, m = res[name][-1]
            say(f"dump run {run + 1} {name}: {c:.2f} s CPU, {m:.0f} MiB")
    cpu = {n: median([c for _, c, _ in r]) for n, r in res.items()}
    # Ratios as everywhere in this script: taken inside each run (the tools ran back to back),
    # then the median over runs; a ratio of two medians would pair one run's tshark with
    # another run's ringside.
    def per_run(num, den):
        return [a[1] / b[1] for a, b in zip(res[num], res[den])]
    tshark_name, tcpdump_name = "tshark -T fields (31 fields)", "tcpdump -r -n"
    table = [[name, rep.fmt(median([w for w, _, _ in res[name]]), ".2f"), rep.fmt(cpu[name], ".2f"),
              rep.ratio(median(per_run(name, tcpdump_name))),
              rep.ratio(median(per_run(tshark_name, name)), 1),
              rep.fmt(max(m for _, _, m in res[name]))] for name, _ in tools]
    vs_tshark = per_run(tshark_name, "ringside dump --tsv")
    vs_tcpdump = per_run("ringside dump --tsv", tcpdump_name)
    runs = ", ".join(f"{x:.1f}" for x in vs_tshark)
    out(f"Offline: {o.dump_frames} frames (the lesson captures repeated, "
        f"{os.path.getsize(path) / 1e6:.0f} MB), output to /dev/null; median of {o.dump_runs} "
        "run(s) in turn; CPU = user + sys; each ratio taken inside a run, then the median",
        rep.table(["tool", "wall s", "CPU s", "CPU / tcpdump", "tshark / this (CPU)",
                   "peak RSS MiB"], table, o.markdown),
        [rep.goal(f"tshark's CPU / ringside dump --tsv's, median of the runs ({runs})",
                  median(vs_tshark), ">=", 30.0, spec=".1f"),
         rep.goal("ringside dump --tsv's CPU / tcpdump's", median(vs_tcpdump), "<=", 1.0)])


def replay_section(o, binary, d, out):
    rep, rsc = load("report"), load("replay_scale")
    t0 = time.monotonic()
    path = rsc.cached_pcap(o.replay_frames)
    say(f"replay: {o.replay_frames} frames in {path} ({time.monotonic() - t0:.1f} s)")
    r = rsc.measure(binary, path, o.history_mb)
    keys = r["keys"]
    # A keypress is answered by its first redraw; a filter's later progress redraws are the
    # background pass over the file (shown, not counted as the key's latency).
    worst = max(answered for _, _, answered, _ in keys)
    table = [
        ["first screen (48 rows)", f"{r['first_s'] * 1e3:.0f} ms",
         f"{r['td_first_s'] * 1e3:.0f} ms (tcpdump -r -n -c 48)",
         rep.ratio(r["first_s"] / r["td_first_s"])],
        ["every frame listed (index done)", f"{r['indexed_s']:.2f} s",
         f"{r['td_all_s']:.2f} s (tcpdump -r -n, whole file)",
         rep.ratio(r["indexed_s"] / r["td_all_s"])],
        ["every frame judged (title: loaded)", f"{r['judged_s']:.2f} s", "", ""],
        ["frames listed", str(r["total"]), "", ""],
    ] + [[f"key: {name}", rsc.key_text(first, answered, last), "", ""]
         for name, first, answered, last in keys] + [
        ["peak RSS (VmHWM)", f"{r['hwm_mib']:.0f} MiB",
         f"--history-mb {o.history_mb} + {REPLAY_FIXED_MIB} fixed",
         rep.ratio(r["hwm_mib"] / (o.history_mb + REPLAY_FIXED_MIB))],
    ]
    out(f"Replay at scale: `ringside replay` on {o.replay_frames} frames "
        f"({os.path.getsize(path) / 1e6:.0f} MB) in tmux 160x48, --history-mb {o.history_mb}; "
        "a key's time runs from tmux receiving it to the last byte of the redraw that answers "
        "it (a filter then goes on through the file in the background, its progress redraws "
        "shown apart)",
        rep.table(["figure", "ringside", "peer", "ratio"], table, o.markdown),
        [rep.goal("first screen", r["first_s"], "<=", 1.0, unit=" s"),
         rep.goal("slowest keypress", worst * 1e3, "<=", 50.0, unit=" ms", spec=".1f"),
         rep.goal("peak RSS", r["hwm_mib"], "<=", o.history_mb + REPLAY_FIXED_MIB,
                  unit=" MiB", spec=".0f")])


def netmap_section(o, binary, d, out):
    rep = load("report")
    how = "sudo bench/live.py --only netmap --netmap (tools/netmap-vm/run.sh --bench)"
    if not o.netmap:
        out("netmap (QEMU guest)", f"not run: {how}; needs qemu-system-x86 and the netmap "
            "tarball (tools/netmap-vm/run.sh explains)", [])
        return
    # Its progress (downloads, the netmap.ko build, the boot) goes to stderr as it comes; its
    # results (`check ...`, `figure ...`) to stdout.
    r = subprocess.run([os.path.join(ROOT, "tools", "netmap-vm", "run.sh"), "--bench"],
                       stdout=subprocess.PIPE, text=True)
    lines = [ln.split(" ", 1)[1] for ln in r.stdout.splitlines() if ln.startswith("figure ")]
    failed = [ln for ln in r.stdout.splitlines() if ln.startswith("check ") and " fail" in ln]
    if r.returncode == 77 or not lines:
        out("netmap (QEMU guest)", f"not measured: tools/netmap-vm/run.sh --bench exited "
            f"{r.returncode} (its message is above)", [])
        return
    if failed:
        say(f"netmap: {len(failed)} guest check(s) failed: {failed[0]}")
    def number(v):
        """A figure's value: `535`, or the frames captured in `frames=197258/200000`."""
        m = re.match(r"(?:frames=)?(\d+(?:\.\d+)?)", v or "")
        return float(m.group(1)) if m else float("nan")

    figs = {}
    for ln in lines:
        parts = ln.split()
        figs[parts[0]] = parts[1:]
    table = []
    for name, rest in figs.items():
        # The peer of the same guest boot: the guest kernel for ping figures, netmap's own
        # pkt-gen for capture; the ratio is computed here from the two values.
        peer = (name.split("_ringside")[0] + "_kernel" if name.startswith("ping_") and "_ringside" in name else
                "capture_pktgen_rx" if name.startswith("capture_ringside") else None)
        value = rest[0] if rest else "-"
        rat = (rep.ratio(number(value) / number(figs[peer][0]))
               if peer in figs and figs[peer] and number(figs[peer][0]) else "-")
        extra = " ".join(p for p in rest[1:] if not p.startswith("ratio"))
        table.append([name, value, extra or "-", peer or "-", rat])
    out("netmap in the QEMU guest (TCG: only same-guest ratios mean anything; ratios against the "
        "guest kernel, or netmap's pkt-gen for capture)",
        rep.table(["figure", "value", "detail", "peer", "ratio"], table, o.markdown), [])


RUNNERS = {"capture": capture_section, "ring": ring_section, "ping": ping_section,
           "dump": dump_section, "replay": replay_section, "netmap": netmap_section}


def check_tools(sections):
    import shutil

    for s in sections:
        for tool, pkg in TOOLS[s]:
            if not shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin"):
                raise SystemExit(f"bench: {tool} not found (the {s} section needs it): "
                                 f"apt-get install {pkg}")


def main():
    import shlex

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "ringside"))
    ap.add_argument("--only", default=",".join(SECTIONS), metavar="SECTIONS",
                    help="comma list of: " + ", ".join(SECTIONS))
    ap.add_argument("--quick", action="store_true",
                    help="one short run of each, smaller files (a smoke test, not figures)")
    ap.add_argument("--markdown", action="store_true",
                    help="Markdown tables for bench/RESULTS.md, with date, git rev, load, command")
    ap.add_argument("--netmap", action="store_true",
                    help="also boot the netmap QEMU guest (tools/netmap-vm/run.sh --bench)")
    ap.add_argument("--runs", type=int, help="runs of the live sections (default 4, quick 1)")
    ap.add_argument("--seconds", type=int, help="seconds per flood (default 3, quick 2)")
    ap.add_argument("--pings", type=int, help="pings at 1 ms per row (default 1000, quick 200)")
    ap.add_argument("--flood", type=int, help="ping -f count (default 20000, quick 5000)")
    ap.add_argument("--dump-frames", type=int, help="default 1000000, quick 100000")
    ap.add_argument("--dump-runs", type=int, help="default 3, quick 1")
    ap.add_argument("--replay-frames", type=int, help="default 10000000, quick 1000000")
    ap.add_argument("--history-mb", type=int, default=64)
    o = ap.parse_args()
    q = o.quick
    # Four live runs and three of dump: on this shared VM one run's ratio moved 1.02-1.63x for
    # the same code (bench/RESULTS.md), and a median of two is no median.
    for k, full, quick in (("runs", 4, 1), ("seconds", 3, 2), ("pings", 1000, 200),
                           ("flood", 20000, 5000), ("dump_frames", 1_000_000, 100_000),
                           ("dump_runs", 3, 1), ("replay_frames", 10_000_000, 1_000_000)):
        if getattr(o, k) is None:
            setattr(o, k, quick if q else full)
    sections = [s.strip() for s in o.only.split(",") if s.strip()]
    bad = [s for s in sections if s not in SECTIONS]
    if bad:
        ap.error(f"unknown section {bad[0]}: choose from {', '.join(SECTIONS)}")
    sections = [s for s in SECTIONS if s in sections]
    needs_root = [s for s in sections if s in ROOT_SECTIONS]
    if needs_root and os.geteuid() != 0:
        raise SystemExit(f"bench: the {', '.join(needs_root)} section(s) need root (namespaces, "
                         "raw sockets): run with sudo, or --only dump,replay")
    check_tools([s for s in sections if s != "netmap" or o.netmap])
    binary = os.path.abspath(o.bin)
    if not os.path.exists(binary):
        raise SystemExit(f"bench: {binary} not found: run `cargo build --release` first")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

    start, load0 = time.monotonic(), os.getloadavg()
    rev = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                         capture_output=True, text=True).stdout.strip() or "?"
    cmdline = shlex.join(["sudo", "bench/live.py", *sys.argv[1:]])
    blocks = []

    def out(title, body, goals):
        n = len(blocks) + 1
        if o.markdown:
            text = f"## {n}. {title}\n\n{body}\n" + "".join(f"\n- **{g}**" for g in goals)
        else:
            text = f"{n}. {title}\n\n{body}\n" + "".join(f"\n  {g}" for g in goals)
        blocks.append(text)
        if not o.markdown:  # Markdown: one document at the end, ready to paste
            print("\n" + text + "\n", flush=True)

    print(f"bench/live.py: {', '.join(sections)}{' (--quick)' if q else ''}; ringside "
          f"{binary}, git {rev}", file=sys.stderr)
    try:
        with tempfile.TemporaryDirectory() as d:
            if needs_root:
                setup()
                # The C floors answer no ARP: the peer knows vcap's MAC (ringside's own too).
                sh("ip", "-n", GEN, "neigh", "replace", IP, "lladdr", MAC, "dev", "vgen", "nud",
                   "permanent")
            for s in sections:
                say(f"--- {s}")
                RUNNERS[s](o, binary, d, out)
    finally:
        if needs_root:
            teardown()
        load1 = os.getloadavg()
        took = time.monotonic() - start
        foot = (f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, git {rev}, "
                f"`{cmdline}`, {took / 60:.1f} min; load average (1 min) {load0[0]:.1f} before, "
                f"{load1[0]:.1f} after; nproc {os.cpu_count()}")
        if o.markdown:
            print("\n# bench/live.py: " + foot + "\n\n" + "\n\n".join(blocks))
        else:
            print(foot)


if __name__ == "__main__":
    main()
