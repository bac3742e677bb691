#!/usr/bin/python3
"""Boot and AP bring-up cost, side by side: `make bench` runs this.

Each configuration boots the kernel with exitat=smp (exit as soon as every
CPU is up) RUNS times and reports the wall time from QEMU launch to QEMU
exit (median, min, max), together with the kernel's own figures from its
calibrated TSC: microseconds from kernel entry until all CPUs were up, and
the bring-up itself (per AP for serial bring-up, the whole round for
parallel). Floor rows boot the same image with exitat=entry: what QEMU and
the firmware cost before the kernel does anything.

The table goes to stdout and to obj/bench/results.md; --update-docs also
rewrites the table in docs/performance.md. Nothing here asserts a target:
docs/performance.md says which targets are met and why others are not.

The file-system table (--table fs) boots run=fsbench on 4 CPUs: a 1 MiB
file written and read back through the file-system server by one client,
then by four clients at once (each its own file), in MB/s from the guest's
TSC (1 MB = 10^6 bytes); beside them, the host reading the same file out of
the image the run wrote (Python, a pread per block, from the page cache).

The network table (lab 6), measured first: frames per second through
the e1000 (nettxbench), HTTP requests per second and a 1 MiB file through
httpd, on 1 and 4 CPUs, beside the same transfers between two sockets on
the host, the floor no guest can beat (--table network, or --network: only that table).

--qemu DIR runs every row on another QEMU (make's QEMU=). --compare DIR
instead measures a few rows on the system QEMU and on DIR side by side (8
and 255 CPUs, and, where a QEMU allows it under TCG, 288 and 512), into
obj/bench/compare.md (and docs/performance.md with --update-docs).
"""

import argparse
import datetime
import http.client
import http.server
import os
import platform
import re
import socket
import statistics
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "grade"))
import fsimage  # noqa: E402
import harness  # noqa: E402

TCG_CPUS = [1, 2, 4, 8, 16, 32, 64, 128, 255]
# No network card but where a row asks (NET=user on make's command line).
os.environ["NET"] = "none"
KVM_CPUS = [1, 2, 4, 8]


def use_qemu(qemu):
    """Makes every following boot use this QEMU ("" for the system's)."""
    harness.QEMU = os.path.abspath(qemu) if qemu else ""
    harness._caps.clear()


def measure(label, runs, **boot):
    """Boots `runs` times; returns a row of figures."""
    walls, entry_to_smp, bringup, per_ap = [], [], [], []
    for i in range(runs):
        b = harness.Boot(**boot)
        r = harness.run("bench-%s-%d" % (re.sub(r"\W+", "-", label), i), b)
        if r.status != harness.EXIT_PASS:
            return {"label": label, "error": r.outcome()}
        started = r.first(r"^SMP: \d+ of \d+ CPUs started$")
        if started:
            up, of = re.findall(r"\d+", started)
            if up != of:
                return {"label": label, "error": started}     # an AP did not start
        walls.append(r.elapsed)     # QEMU's launch to its exit, nothing else
        m = r.first(r"bring-up took \d+ us.*since kernel entry")
        if m:
            nums = re.search(r"took (\d+) us(?: \(per AP (\d+)-(\d+) us\))?; (\d+) us since", m)
            bringup.append(int(nums.group(1)))
            if nums.group(2):
                per_ap.append((int(nums.group(2)), int(nums.group(3))))
            entry_to_smp.append(int(nums.group(4)))
    row = {"label": label, "runs": runs,
           "wall": (statistics.median(walls), min(walls), max(walls))}
    if entry_to_smp:
        row["entry_to_smp_ms"] = statistics.median(entry_to_smp) / 1000
        row["bringup_ms"] = statistics.median(bringup) / 1000
    if per_ap:
        row["per_ap_us"] = (min(p[0] for p in per_ap), max(p[1] for p in per_ap))
    return row


def configs(args):
    """(label, Boot fields) for every row, in table order."""
    rows = []
    direct = dict(boot="direct", mem=args.mem, timeout=args.timeout)
    grub = dict(boot="grub", mem=args.mem, timeout=args.timeout)
    rows.append(("floor: TCG direct, 1 CPU, exitat=entry", dict(direct, cpus=1, kargs="exitat=entry")))
    rows.append(("floor: TCG direct, 8 CPUs, exitat=entry", dict(direct, cpus=8, kargs="exitat=entry")))
    rows.append(("floor: TCG direct, 255 CPUs, exitat=entry",
                 dict(direct, cpus=255, kargs="exitat=entry")))
    rows.append(("floor: TCG GRUB, 8 CPUs, exitat=entry", dict(grub, cpus=8, kargs="exitat=entry")))
    # UEFI: OVMF's start dominates; the bring-up itself is as under SeaBIOS.
    uefi = dict(grub, firmware="uefi", timeout=max(args.timeout, 120))
    rows.append(("floor: TCG GRUB UEFI, 8 CPUs, exitat=entry", dict(uefi, cpus=8, kargs="exitat=entry")))
    for mode in ("serial", "parallel"):
        rows.append(("TCG GRUB UEFI %s, 8 CPUs" % mode,
                     dict(uefi, cpus=8, kargs="exitat=smp smpboot=" + mode)))
    for path, base in (("direct", direct), ("GRUB", grub)):
        for mode in ("serial", "parallel"):
            for n in args.tcg_cpus:
                rows.append(("TCG %s %s, %d CPU%s" % (path, mode, n, "s" if n > 1 else ""),
                             dict(base, cpus=n, kargs="exitat=smp smpboot=" + mode)))
    if harness.kvm_available() and not args.no_kvm:
        kvm = dict(boot="direct", kvm=True, mem=args.kvm_mem, timeout=args.timeout)
        rows.append(("floor: KVM direct, 8 CPUs, exitat=entry",
                     dict(kvm, cpus=8, kargs="exitat=entry")))
        for apic, x2 in (("x2APIC", "default"), ("xAPIC", "off")):
            for n in KVM_CPUS:
                rows.append(("KVM direct %s serial, %d CPU%s" % (apic, n, "s" if n > 1 else ""),
                             dict(kvm, cpus=n, x2apic=x2, kargs="exitat=smp")))
            rows.append(("KVM direct %s parallel, 8 CPUs" % apic,
                         dict(kvm, cpus=8, x2apic=x2, kargs="exitat=smp smpboot=parallel")))
    return rows


def fmt_row(row):
    if "error" in row:
        return "| %s | failed: %s | | | |" % (row["label"], row["error"])
    med, lo, hi = row["wall"]
    kern = "%.1f" % row["entry_to_smp_ms"] if "entry_to_smp_ms" in row else "-"
    if "per_ap_us" in row:
        bring = "%.1f (per AP %d-%d us)" % (row["bringup_ms"], *row["per_ap_us"])
    elif "bringup_ms" in row:
        bring = "%.1f" % row["bringup_ms"]
    else:
        bring = "-"
    return "| %s | %.3f | %.3f - %.3f | %s | %s |" % (row["label"], med, lo, hi, kern, bring)


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    qemu = "QEMU " + harness.qemu_caps()["QEMU_VERSION"]
    kvm = ("/dev/kvm present (%s)" % ("PVM: no hardware virtualization"
                                       if os.path.exists("/sys/module/kvm_pvm") else "KVM")
           if harness.kvm_available() else "no /dev/kvm")
    return "%s; %d cores; %s; %s; Linux %s" % (cpu, os.cpu_count(), qemu, kvm, platform.release())


class Table:
    """A Markdown table printed row by row as it is measured, then kept in
    obj/bench/ and, with --update-docs, in docs/performance.md."""

    def __init__(self, header):
        self.lines = list(header)
        print("\n".join(header), flush=True)

    def add(self, line):
        print(line, flush=True)
        self.lines.append(line)

    def publish(self, stamp, name, markers, update_docs):
        table = stamp + "\n\n" + "\n".join(self.lines) + "\n"
        os.makedirs(os.path.join(ROOT, "obj", "bench"), exist_ok=True)
        with open(os.path.join(ROOT, "obj", "bench", name), "w") as f:
            f.write(table)
        print("\n" + stamp)
        if update_docs:
            update_doc(table, *markers)


def compare(args):
    """The same rows on two QEMUs, one table."""
    qemus = [("", ""), (args.compare, os.path.abspath(args.compare))]
    names = []
    for _, q in qemus:
        use_qemu(q)
        names.append("QEMU " + harness.qemu_caps()["QEMU_VERSION"])
    out = Table(["| configuration | %s | %s |" % tuple(names), "|---|---|---|"])
    base = dict(boot="direct", mem=args.mem, timeout=args.timeout)
    rows = [("TCG direct %s, %d CPUs" % (mode, n), dict(base, cpus=n, kargs="exitat=smp smpboot=" + mode))
            for n in (8, 255) for mode in ("serial", "parallel")]
    # Above 255 CPUs (x2APIC), with each boot's floor beside it: QEMU's
    # start and the firmware's (qboot), before the kernel does anything.
    for n in (288, 512):
        rows += [("floor: TCG direct, %d CPUs, exitat=entry" % n,
                  dict(base, cpus=n, kargs="exitat=entry")),
                 ("TCG direct parallel, %d CPUs" % n,
                  dict(base, cpus=n, kargs="exitat=smp smpboot=parallel"))]
    for label, fields in rows:
        cells = []
        for _, q in qemus:
            use_qemu(q)
            if fields["cpus"] > int(harness.qemu_caps()["QEMU_TCG_MAX_CPUS"]):
                cells.append("not under TCG (x2APIC: no)")
                continue
            row = measure(label, args.runs, **fields)
            if "error" in row:
                cells.append("failed: " + row["error"])
            else:
                cells.append("%.3f s (%.3f - %.3f)" % tuple(row["wall"]) + (
                    "; bring-up %.1f ms" % row["bringup_ms"] if "bringup_ms" in row else ""))
        out.add("| %s | %s | %s |" % (label, *cells))
    use_qemu("")
    stamp = ("Measured %s with `make bench BENCHARGS=\"--compare %s\"` (%d runs per cell: "
             "median launch-to-exit, min - max, and the kernel's bring-up) on: %s." % (
                 datetime.date.today().isoformat(), args.compare, args.runs, machine()))
    out.publish(stamp, "compare.md", ("<!-- qemu table begin -->", "<!-- qemu table end -->"),
                args.update_docs)


FS_LINE = re.compile(r"^fsbench: (\d+) clients?: wrote (\d+) bytes in (\d+) ticks, "
                     r"read (\d+) bytes in (\d+) ticks$")


def host_read_mbs(disk, path, repeat=5):
    """MB/s of the host reading `path` out of the image: its blocks found
    first (not timed), then read with a pread each, as the server reads
    them; the best of `repeat` runs (the page cache holds the image)."""
    f = fsimage.Image(disk).lookup(path)
    blocks, size = f.blocks(), f.size
    best = None
    fd = os.open(disk, os.O_RDONLY)
    try:
        for _ in range(repeat):
            t = time.perf_counter()
            data = b"".join(os.pread(fd, fsimage.BLKSIZE, b * fsimage.BLKSIZE) for b in blocks)
            t = time.perf_counter() - t
            assert len(data[:size]) == size
            best = t if best is None else min(best, t)
    finally:
        os.close(fd)
    return size / best / 1e6


def fs_bench(args):
    """run=fsbench on 4 CPUs, args.runs times: the median MB/s of each
    phase, and the host's."""
    out = Table(["| configuration | write, MB/s (median) | min - max | read, MB/s (median) | "
                 "min - max |", "|---|---|---|---|---|"])
    figures = {1: ([], []), 4: ([], [])}
    host = []
    for i in range(args.runs):
        disk = fsimage.copy_image("bench-fs")
        r = harness.run("bench-fs-%d" % i, harness.Boot(
            cpus=4, mem=args.mem, boot="direct", disk=disk, timeout=args.timeout,
            kargs="monitor=off run=fsbench"))
        clock = r.first(r"^clock: TSC (\d+\.\d+) MHz")
        if r.status != harness.EXIT_PASS or not clock or not r.first(r"^fsbench: done$"):
            out.add("| fsbench | failed: %s | | | |" % r.outcome())
            return out
        hz = float(re.search(r"TSC (\S+) MHz", clock).group(1)) * 1e6
        for m in r.all(FS_LINE.pattern):
            n, wbytes, wticks, rbytes, rticks = map(int, m.groups())
            figures[n][0].append(wbytes / (wticks / hz) / 1e6)
            figures[n][1].append(rbytes / (rticks / hz) / 1e6)
        host.append(host_read_mbs(disk, "/bench0"))
        os.unlink(disk)
    for n, (w, rd) in figures.items():
        out.add("| fs: %d client%s, 4 CPUs, 1 MiB each | %.2f | %.2f - %.2f | %.2f | %.2f - %.2f |"
                % (n, "s" if n > 1 else "", statistics.median(w), min(w), max(w),
                   statistics.median(rd), min(rd), max(rd)))
    out.add("| host: reading the same file from the image | | | %.0f | %.0f - %.0f |"
            % (statistics.median(host), min(host), max(host)))
    return out


# ---------------------------------------------------------------------------
# The network (lab 6): frames per second through the e1000, and HTTP requests
# per second and a 1 MiB file through httpd, on 1 and 4 CPUs, beside the
# same transfers between two sockets on the host (the floor no guest beats).

HTTP_CLIENTS = 4
HTTP_REQUESTS = 200


def http_load(port, path="/index.html", clients=HTTP_CLIENTS, total=HTTP_REQUESTS):
    """Requests per second for `total` GETs of path, `clients` at a time
    (each on a connection of its own, as HTTP/1.0 has it); None if any
    failed."""
    failures = []

    def client(n):
        for _ in range(n):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            try:
                conn.request("GET", path)
                res = conn.getresponse()
                res.read()
                if res.status != 200:
                    failures.append(res.status)
            except (OSError, http.client.HTTPException) as e:
                failures.append(e)
            finally:
                conn.close()
    threads = [threading.Thread(target=client, args=(total // clients,)) for _ in range(clients)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    return None if failures else (total // clients) * clients / elapsed


def http_mib(port, path="/big.bin"):
    """MB/s of one GET of path (1 MiB), or None."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        start = time.monotonic()
        conn.request("GET", path)
        res = conn.getresponse()
        body = res.read()
        elapsed = time.monotonic() - start
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()
    return len(body) / elapsed / 1e6 if res.status == 200 else None


def guest_network(cpus, timeout):
    """{frames, requests, mib} measured in the guest on `cpus` CPUs."""
    out = {}
    r = harness.run("bench-nettx-%d" % cpus, cpus=cpus, timeout=timeout,
                    kargs="monitor=off run=nettxbench",
                    make_extra=["NET=user"] + ["%s=%d" % kv for kv in zip(
                        ("ECHOPORT", "HTTPPORT"), harness.free_ports(2, udp=(0,)))])
    m = r.first(r"nettxbench: \d+ frames in \d+ ms")
    if m:
        frames, ms = map(int, re.findall(r"\d+", m)[:2])
        out["frames"] = frames / max(ms, 1) * 1000
    echo, web = harness.free_ports(2, udp=(0,))

    def clients():
        # Warm: the server's pages, lwIP's ARP entry, and the file-system
        # server's block cache (a cold 1 MiB is the disk's time, not the
        # network's).
        http_load(web, total=8)
        http_mib(web)
        return {"requests": http_load(web), "mib": http_mib(web)}
    r = harness.run("bench-httpd-%d" % cpus, cpus=cpus, timeout=timeout,
                    kargs="monitor=off run=httpd",
                    make_extra=["NET=user", "ECHOPORT=%d" % echo, "HTTPPORT=%d" % web],
                    steps=[(b"Waiting for http connections", "call", clients),
                           (b"", "monitor", "quit")])
    if r.monitor_out and isinstance(r.monitor_out[0], dict):
        out.update(r.monitor_out[0])
    return out


def host_network():
    """The same on the host, socket to socket: UDP datagrams of 60 bytes
    over loopback, and Python's own HTTP server with the same files."""
    out = {}
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    rx.setblocking(False)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    got, n, batch = 0, 20000, 500
    frame = b"\0" * 60
    start = time.monotonic()
    for _ in range(n // batch):
        for _ in range(batch):
            tx.sendto(frame, rx.getsockname())
        while True:
            try:
                rx.recv(2048)
                got += 1
            except BlockingIOError:
                break
    out["frames"] = got / (time.monotonic() - start)
    rx.close()
    tx.close()

    files = {"/index.html": os.path.join(ROOT, "fs", "index.html"),
             "/big.bin": os.path.join(ROOT, "obj", "fs", "big.bin")}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            with open(files[self.path], "rb") as f:
                body = f.read()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    out["requests"] = http_load(port)
    out["mib"] = http_mib(port)
    server.shutdown()
    server.server_close()
    return out


def network(args):
    """The network table: a row per measure, a column per CPU count, and
    the host's floor."""
    columns = [guest_network(n, args.timeout) for n in (1, 4)] + [host_network()]
    out = Table(["| network (lab 6) | 1 CPU | 4 CPUs | host, socket to socket (the floor) |",
                 "|---|---|---|---|"])

    def cell(col, key, fmt):
        v = col.get(key)
        return fmt % v if v else "failed"
    out.add("| frames per second, 60 bytes (guest: nettxbench through the e1000; host: UDP "
            "over loopback) | %s |" % " | ".join(cell(c, "frames", "%.0f") for c in columns))
    out.add("| HTTP requests per second (/index.html, %d clients at a time; guest: httpd; host: "
            "Python's http.server) | %s |" % (HTTP_CLIENTS, " | ".join(
                cell(c, "requests", "%.1f") for c in columns)))
    out.add("| 1 MiB over HTTP (/big.bin, the second time: the file-system server's cache "
            "warm), MB/s | %s |" % " | ".join(
        cell(c, "mib", "%.2f") for c in columns))
    stamp = "Measured %s with `make bench` (TCG, direct boot, one run each) on: %s." % (
        datetime.date.today().isoformat(), machine())
    out.publish(stamp, "network.md", ("<!-- network table begin -->",
                                      "<!-- network table end -->"), args.update_docs)


def update_doc(table, begin, end):
    path = os.path.join(ROOT, "docs", "performance.md")
    with open(path) as f:
        doc = f.read()
    doc = doc[:doc.index(begin) + len(begin)] + "\n" + table + doc[doc.index(end):]
    with open(path, "w") as f:
        f.write(doc)
    print("updated " + os.path.relpath(path, ROOT))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--mem", default="256M", help="guest RAM under TCG")
    ap.add_argument("--kvm-mem", default="64M",
                    help="guest RAM under KVM (emulated boots pay per page)")
    ap.add_argument("--tcg-cpus", type=lambda s: [int(x) for x in s.split(",")],
                    default=TCG_CPUS)
    ap.add_argument("--no-kvm", action="store_true")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--update-docs", action="store_true",
                    help="rewrite the table in docs/performance.md")
    ap.add_argument("--qemu", default="", help="run on this QEMU (make's QEMU=)")
    ap.add_argument("--compare", metavar="QEMU", help="compare the system QEMU with this one")
    ap.add_argument("--only", metavar="REGEX", help="only the rows whose label matches")
    ap.add_argument("--table", choices=("all", "boot", "fs", "network"), default="all",
                    help="which tables: boot and bring-up, the file system, the network "
                    "(lab 6), or all three")
    ap.add_argument("--network", action="store_const", const="network", dest="table",
                    help="only the network table (the same as --table network)")
    args = ap.parse_args()
    if args.only and args.update_docs:
        ap.error("--update-docs rewrites the whole table: not with --only")

    harness.make("all")
    if args.compare:
        compare(args)
        return
    use_qemu(args.qemu)
    if args.table in ("all", "network") and not args.only:
        network(args)
    if args.table == "network":
        return
    if args.table in ("all", "fs"):
        out = fs_bench(args)
        stamp = "Measured %s with `make bench` (%d runs) on: %s." % (
            datetime.date.today().isoformat(), args.runs, machine())
        out.publish(stamp, "fs.md", ("<!-- fs table begin -->", "<!-- fs table end -->"),
                    args.update_docs)
    if args.table == "fs":
        return
    out = Table(["| configuration | launch to exit, s (median) | min - max | kernel entry to all "
                 "CPUs up, ms | bring-up, ms |", "|---|---|---|---|---|"])
    for label, fields in configs(args):
        if args.only and not re.search(args.only, label):
            continue
        out.add(fmt_row(measure(label, args.runs, **fields)))

    stamp = "Measured %s with `make bench` (%d runs per row) on: %s." % (
        datetime.date.today().isoformat(), args.runs, machine())
    out.publish(stamp, "results.md", ("<!-- bench table begin -->", "<!-- bench table end -->"),
                args.update_docs)


if __name__ == "__main__":
    main()
