"""JOS's lab 6 graders (MIT's grade-lab6): testtime, the PCI attach line,
testoutput and testinput (the frames read from QEMU's packet capture, as
JOS does), the TCP echo server and the web server, with JOS's names,
points (105 in all) and lines; the card's PCI slot is the one QEMU gives
it on q35, read from QEMU itself. Every server is reached by a real
client on the host (Python's socket and http.client) through QEMU's host
forwards, on ports each run picks for itself.

As in lab 5, tests share a boot where they read the same run: testtime
and the PCI line; the 5- and 100-packet tests of testoutput and testinput
(the 5-packet tests check the first five frames of the 100); the web
server's three URLs.

After them, what JOS never checked: httpd with 16 clients at once on 4
CPUs, a 1 MiB file by its hash, and clients that disconnect mid-transfer,
send garbage, or never read, after which the server still serves."""

import dataclasses
import fcntl
import functools
import hashlib
import http.client
import os
import pickle
import re
import signal
import socket
import struct
import threading
import time

import pytest

import harness
from labdeps import cow, dedup, envs, fs_serves, FS_READS, mark, BOOT

pytestmark = [pytest.mark.lab(6), pytest.mark.part("lab 6 beyond JOS")]

# The lab 6 exercises, and what each kind of run depends on.
PCI = ["pci_attach"]
TX = ["transmit"]
RX = ["receive"]


def tx_marks(cpus=1):
    """The output environment forked from the program (testoutput)."""
    return dedup(cow(cpus) + ["ipc"] + PCI + TX)


def rx_marks(cpus=1):
    """Input and output environments (testinput)."""
    return dedup(tx_marks(cpus) + RX)


def ns_marks(cpus=1):
    """The network server: lwIP's timers need sys_time_msec."""
    return dedup(rx_marks(cpus) + ["time_msec"])


def httpd_marks(cpus=1):
    """httpd: the network server, the file-system server, and a child
    per connection that inherits the socket (PTE_SHARE)."""
    return dedup(ns_marks(cpus) + fs_serves(cpus, forks=True) + FS_READS +
                 ["pte_share", "httpd"])


def jos(points, part):
    """A JOS grader, worth `points`, in JOS's part A or B."""
    def mark_it(test):
        return pytest.mark.points(points)(pytest.mark.part("Part %s (JOS lab 6)" % part)(test))
    return mark_it


FORWARD_REFUSED = "Could not set up host forwarding rule"

# JOS's graders boot one CPU under TCG, as JOS did. To grade the same on
# other machines (make grade LAB=6 LAB6_CPUS=4 LAB6_KVM=1): LAB6_CPUS sets
# their CPU count, and LAB6_KVM=1 runs every lab 6 boot under KVM.
JOS_CPUS = int(os.environ.get("LAB6_CPUS") or 1)
KVM = os.environ.get("LAB6_KVM") == "1"


def shared(fn):
    """A boot several tests read, made once per pytest session even where
    pytest-xdist hands those tests to different workers: the first worker
    to need it boots and leaves the result (the QemuRun, with what the
    host's clients saw) in obj/grade; the others wait for it and read it.
    (lru_cache alone shares a boot within one worker only.)"""
    session = os.environ.get("PYTEST_XDIST_TESTRUNUID") or "pid%d" % os.getpid()

    @functools.lru_cache(maxsize=None)
    def wrapper():
        os.makedirs(harness.LOGDIR, exist_ok=True)
        base = os.path.join(harness.LOGDIR, "lab6-%s.shared" % fn.__name__)
        with open(base + ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                with open(base, "rb") as f:
                    owner, r = pickle.load(f)
                if owner == session:
                    return r
            except (OSError, EOFError, pickle.UnpicklingError, ValueError):
                pass
            r = fn()
            # (The steps hold the test's own functions: not kept.)
            r.boot = dataclasses.replace(r.boot, steps=[])
            with open(base + ".tmp", "wb") as f:
                pickle.dump((session, r), f)
            os.replace(base + ".tmp", base)
            return r
    return wrapper


def net_run(name, progs, cpus=JOS_CPUS, steps=None, capture=False, timeout=60, **kw):
    """Boots with run=progs and the network card on QEMU's user network,
    the host's forwards on free ports of this run's own (tried again with
    others if another run took one first). steps(echo_port, http_port) gives
    the harness's steps. With capture, QEMU writes every frame to a pcap
    file (r.pcap). The run's ports are r.echo_port, r.http_port."""
    pcap = os.path.join(harness.LOGDIR, "lab6-%s.pcap" % name) if capture else ""
    # A user panic (a stub's, in the input environment, say) ends the run
    # at once: the host's clients then fail at once too, instead of each
    # waiting out its timeout.
    kw["stop_on"] = list(kw.get("stop_on", [])) + [r"\] user panic in "]
    for attempt in range(3):
        echo, web = harness.free_ports(2, udp=(0,))
        if pcap:
            os.makedirs(harness.LOGDIR, exist_ok=True)
            if os.path.exists(pcap):
                os.unlink(pcap)
        extra = ["NET=user", "ECHOPORT=%d" % echo, "HTTPPORT=%d" % web]
        if pcap:
            extra.append("NETDUMP=%s" % pcap)
        r = harness.run("lab6-" + name, cpus=cpus, timeout=timeout, kvm=KVM,
                        kargs="monitor=off run=%s" % progs, make_extra=extra,
                        steps=list(steps(echo, web)) if steps else [], **kw)
        if FORWARD_REFUSED not in r.stderr:
            break
    r.echo_port, r.http_port, r.pcap = echo, web, pcap
    # The capture is read now: another worker's run of the same name may
    # write the file again.
    r.frames = None
    if pcap and os.path.exists(pcap):
        with open(pcap, "rb") as f:
            r.frames = f.read()
    return r


def no_panic(r):
    r.expect_absent(r"kernel panic", r"user panic")


def read_pcap(r):
    """The frames in the run's capture file (pcap, as QEMU's filter-dump
    writes it), in order."""
    data = r.frames
    if data is None:
        raise AssertionError(r.explain("QEMU wrote no packet capture (%s)" % r.pcap))
    magic, major, minor = struct.unpack_from("=IHH", data)
    assert magic == 0xA1B2C3D4 and (major, minor) == (2, 4), \
        "%s is no pcap file (magic %#x, version %d.%d)" % (r.pcap, magic, major, minor)
    frames, off = [], 24
    while off + 16 <= len(data):
        incl = struct.unpack_from("=IIII", data, off)[2]
        frames.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return frames


def hexdump(frame):
    return "\n".join("    %04x   %s" % (i, frame[i:i + 16].hex(" ", 2))
                     for i in range(0, len(frame), 16))


def compare_frames(r, got, expect, what):
    """got must be expect, frame for frame: the first difference is named
    with both frames' bytes."""
    for i, (name, want) in enumerate(expect):
        if i >= len(got):
            raise AssertionError(r.explain("%s: %s is missing (%d frames in all)\n%s"
                                           % (what, name, len(got), hexdump(want))))
        if got[i] != want:
            raise AssertionError(r.explain("%s: %s is wrong:\n%s\n  expected:\n%s"
                                           % (what, name, hexdump(got[i]), hexdump(want))))


# ---------------------------------------------------------------------------
# Part A: testtime, the PCI attach line, testoutput.

def pci_slot(r):
    """(bus, slot, function) of QEMU's 8086:100e, as QEMU's monitor lists
    it (`info pci`) for the run's own command line, started again stopped
    (-S: no firmware, no guest; device slots are fixed when QEMU makes the
    machine): asking the run's QEMU itself would race with its exit."""
    import shlex
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory(prefix="smpjos-") as tmp:
        disk = os.path.join(tmp, "disk.img")
        with open(disk, "wb") as f:
            f.truncate(1 << 20)
        args, skip = [], 0
        for a in shlex.split(r.cmd):
            if skip:
                skip -= 1
                continue
            if a in ("-d", "-D", "-serial", "-object", "-monitor"):
                skip = 1        # logs, the console, the capture file: not this one's
                continue
            if args and args[-1] == "-netdev":
                a = "user,id=net0"      # no host forwards: their ports may be taken now
            elif args and args[-1] == "-drive" and a.startswith("file=") and "id=fsdisk" in a:
                a = re.sub(r"^file=[^,]*", "file=" + disk, a)  # the run's copy is gone
            args.append(a)
        p = subprocess.run(args + ["-S", "-serial", "none", "-monitor", "stdio"],
                           cwd=harness.ROOT, input="info pci\nquit\n", capture_output=True,
                           text=True, timeout=60)
    text = p.stdout
    for m in re.finditer(r"Bus\s+(\d+), device\s+(\d+), function (\d+):\s*\n\s*[^\n]*"
                         r"PCI device ([0-9a-f]{4}):([0-9a-f]{4})", text):
        if (m.group(4), m.group(5)) == ("8086", "100e"):
            return tuple(int(g) for g in m.groups()[:3])
    raise AssertionError(r.explain("QEMU's monitor lists no 8086:100e card:\n%s%s" % (
        text, p.stderr)))


@shared
def run_testtime():
    # JOS's testtime, without the network server (JOS's TEST_NO_NS).
    return net_run("testtime", "testtime", timeout=40)


@jos(5, "A")
@mark(envs() + ["time_msec"])
def test_testtime():
    r = run_testtime()
    r.expect_pass()
    r.expect(r"^starting count down: 5 4 3 2 1 0 $")
    # Six sleeps of a second each: a clock that runs fast (sys_time_msec
    # counting the wrong unit) ends sooner. A busy host only makes the
    # run longer.
    assert r.elapsed >= 5.0, r.explain("the count down took %.1f s of the host's time: "
                                       "sys_time_msec runs fast" % r.elapsed)


@jos(5, "A")
@mark(list(BOOT) + PCI)
def test_pci_attach():
    r = run_testtime()
    bus, slot, func = pci_slot(r)
    r.expect(r"^PCI function %02x:%02x\.%d \(8086:100e\) enabled$" % (bus, slot, func))


TESTOUTPUT_COUNT = 100


@shared
def run_testoutput():
    return net_run("testoutput", "testoutput", capture=True)


def check_testoutput(count):
    r = run_testoutput()
    no_panic(r)
    r.expect("^Transmitting packet %d$" % (count - 1))
    frames = read_pcap(r)
    # QEMU sends what the descriptor says; a QEMU that padded short frames
    # to 60 bytes would add zeros.
    got = [f.rstrip(b"\0") if len(f) == 60 else f for f in frames]
    expect = [("packet %d/%d" % (i + 1, TESTOUTPUT_COUNT), b"Packet %02d" % i)
              for i in range(count)]
    compare_frames(r, got, expect, "testoutput")
    if count == TESTOUTPUT_COUNT:
        assert len(frames) == count, r.explain("testoutput: %d frames sent, %d expected "
                                               "(extra: %s)" % (len(frames), count,
                                                                frames[count:count + 3]))


@jos(15, "A")
@mark(tx_marks())
def test_testoutput_5_packets():
    """testoutput [5 packets]: the first five frames"""
    check_testoutput(5)


@jos(10, "A")
@mark(tx_marks())
def test_testoutput_100_packets():
    """testoutput [100 packets]"""
    check_testoutput(TESTOUTPUT_COUNT)


# ---------------------------------------------------------------------------
# Part B: testinput, echosrv, httpd.

TESTINPUT_COUNT = 100


@shared
def run_testinput():
    def steps(echo, web):
        def send():
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                for i in range(TESTINPUT_COUNT):
                    s.sendto(b"Packet %03d" % i, ("127.0.0.1", echo))
            return "sent %d" % TESTINPUT_COUNT
        return [(b"Waiting for packets", "call", send)]
    last = "%03d" % (TESTINPUT_COUNT - 1)
    # The last frame's last line ends the run (JOS's stop_on_line).
    final = r"^input: 0030   203%s 3%s3%s( 0000)*( )*( 0000)*$" % tuple(last)
    return net_run("testinput", "testinput", capture=True, steps=steps, stop_on=[final])


def printed_frames(r):
    """The frames testinput printed, from its hex dump lines."""
    frames = []
    for line in r.lines:
        m = re.match(r"^input: ([0-9a-f]{4})   ([0-9a-f ]*)$", line)
        if not m:
            continue
        if m.group(1) == "0000" or not frames:
            frames.append(bytearray())
        frames[-1] += bytes.fromhex(m.group(2).replace(" ", ""))
    return [bytes(f) for f in frames]


def check_testinput(count):
    r = run_testinput()
    no_panic(r)
    r.expect("^Sending ARP announcement...$", "^Waiting for packets...$")
    pcap = read_pcap(r)
    assert pcap and pcap[0][:6] == b"\xff" * 6 and pcap[0][12:14] == b"\x08\x06", \
        r.explain("the first frame captured is not testinput's ARP request (broadcast):\n%s"
                  % (hexdump(pcap[0]) if pcap else "(none)"))
    # What the host sent arrives padded to Ethernet's 60 bytes, as the card
    # hands it over; what the guest printed must be what QEMU captured.
    received = [f.ljust(60, b"\0") for f in pcap[1:]]
    payloads = [f[42:52] for f in received[1:]]
    assert payloads[:count] == [b"Packet %03d" % i for i in range(count)], \
        r.explain("QEMU did not capture the grader's first %d UDP packets in order: %s"
                  % (count, payloads[:count]))
    names = ["ARP reply"] + ["packet %d/%d" % (i + 1, TESTINPUT_COUNT) for i in range(count)]
    compare_frames(r, printed_frames(r), list(zip(names, received)), "testinput")
    if count == TESTINPUT_COUNT:
        assert len(pcap) == count + 2, r.explain("the capture holds %d frames, not %d (the ARP "
                                                 "request and reply and %d UDP packets)"
                                                 % (len(pcap), count + 2, count))


@jos(15, "B")
@mark(rx_marks())
def test_testinput_5_packets():
    """testinput [5 packets]: the ARP reply and the first five packets"""
    check_testinput(5)


@jos(10, "B")
@mark(rx_marks())
def test_testinput_100_packets():
    """testinput [100 packets]"""
    check_testinput(TESTINPUT_COUNT)


def recv_until(sock, want, limit):
    """Reads from sock until want bytes came, the peer closed, or limit
    seconds passed (socket timeouts bound each read)."""
    got = bytearray()
    end = time.monotonic() + limit
    while len(got) < want and time.monotonic() < end:
        data = sock.recv(65536)
        if not data:
            break
        got += data
    return bytes(got)


@shared
def echosrv_run():
    def steps(echo, web):
        def client():
            expect = ("%s: network server works" % time.time()).encode()
            try:
                with socket.create_connection(("127.0.0.1", echo), timeout=15) as s:
                    s.settimeout(15)
                    s.sendall(expect)
                    return expect, recv_until(s, len(expect), 30)
            except OSError as e:
                return expect, ("[socket error: %s]" % e).encode()
        return [(b"\nbound\n", "call", client), (b"", "monitor", "quit")]
    return net_run("echosrv", "echosrv", steps=steps)


@jos(15, "B")
@mark(ns_marks())
def test_echosrv():
    """tcp echo server [echosrv]"""
    r = echosrv_run()
    no_panic(r)
    r.expect("^bound$")
    assert r.monitor_out, r.explain("echosrv never said it was bound")
    expect, got = r.monitor_out[0]
    assert got == expect, r.explain("sent %r to the echo server, got back %r" % (expect, got))


def http_get(port, path, timeout=20):
    """(status, body) of GET path from the guest's web server, or
    ("error", what went wrong)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        res = conn.getresponse()
        return res.status, res.read()
    except (OSError, http.client.HTTPException) as e:
        return "error", "%s: %s" % (type(e).__name__, e)
    finally:
        conn.close()


JOS_URLS = ["/", "/index.html", "/random_file.txt"]


def fetch_all(web, urls):
    """GET each url; once one gets no answer at all, the rest are not
    tried (each would wait out its own timeout) and say so."""
    out = {}
    for url in urls:
        if any(v[0] == "error" for v in out.values()):
            out[url] = ("error", "not tried: an earlier request got no answer")
        else:
            out[url] = http_get(web, url)
    return out


@shared
def jos_httpd_run():
    def steps(echo, web):
        return [(b"Waiting for http connections", "call", lambda: fetch_all(web, JOS_URLS)),
                (b"", "monitor", "quit")]
    return net_run("httpd", "httpd", steps=steps)


def check_url(url, status, body=None):
    r = jos_httpd_run()
    no_panic(r)
    r.expect("^Waiting for http connections...$")
    assert r.monitor_out, r.explain("httpd never said it was waiting for connections")
    got = r.monitor_out[0][url]
    assert got[0] == status, r.explain("GET %s: status %s, expected %s%s" % (
        url, got[0], status, " (%s)" % got[1] if got[0] == "error" else ""))
    if body is not None:
        assert got[1] == body, r.explain("GET %s: %d bytes that differ from %s's %d" % (
            url, len(got[1]), "fs/index.html", len(body)))


def index_html():
    with open(os.path.join(harness.ROOT, "fs", "index.html"), "rb") as f:
        return f.read()


@jos(10, "B")
@mark(httpd_marks())
def test_httpd_root_is_404():
    """web server [httpd]: http://localhost:PORT/"""
    check_url("/", 404)


@jos(10, "B")
@mark(httpd_marks())
def test_httpd_index_html():
    """web server [httpd]: http://localhost:PORT/index.html"""
    check_url("/index.html", 200, index_html())


@jos(10, "B")
@mark(httpd_marks())
def test_httpd_random_file_is_404():
    """web server [httpd]: http://localhost:PORT/random_file.txt"""
    check_url("/random_file.txt", 404)


# ---------------------------------------------------------------------------
# Beyond JOS: one boot on 4 CPUs, with no other QEMU beside it (how work
# spreads over CPUs is what it shows), and the host's clients one after
# the other: 16 at once, a 1 MiB file, then the ones that misbehave, each
# followed by a fetch that must still work. The boot is long, and the
# tests are marked slow: a student tree's stub check leaves them out, and
# JOS's web-server graders, on the same path on one CPU, stand for them.

CLIENT_FILES = ["index.html", "motd", "newmotd", "lorem"]
CLIENTS = 16


def host_file(name):
    path = os.path.join(harness.ROOT, "obj", "fs", name) if name == "big.bin" else \
        os.path.join(harness.ROOT, "fs", name)
    with open(path, "rb") as f:
        return f.read()


def session(web):
    """The beyond-JOS clients, in order; a dict of what each saw. If the
    first fetch gets no answer, nothing else is tried."""
    probe = http_get(web, "/index.html", timeout=30)
    if probe[0] == "error":
        failed = ("error", "the first GET /index.html got no answer (%s): nothing else "
                  "was tried" % probe[1])
        return {"clients": [failed] * CLIENTS, "big": (failed[0], failed[1], 0),
                "disconnect": failed[1], "after_disconnect": failed, "garbage": failed[1].encode(),
                "after_garbage": failed, "while_stalled": failed, "after_stalled": failed}
    out = {}
    results = [None] * CLIENTS
    start = threading.Barrier(CLIENTS)

    def client(i):
        try:
            start.wait(10)
        except threading.BrokenBarrierError:
            pass
        results[i] = http_get(web, "/" + CLIENT_FILES[i % len(CLIENT_FILES)], timeout=60)
    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    out["clients"] = results

    status, body = http_get(web, "/big.bin", timeout=60)
    out["big"] = (status, hashlib.sha256(body).hexdigest() if status == 200 else body,
                  len(body) if status == 200 else 0)

    # Reads 64 KiB of the big file, then goes (a reset: unread data).
    try:
        with socket.create_connection(("127.0.0.1", web), timeout=20) as s:
            s.settimeout(20)
            s.sendall(b"GET /big.bin HTTP/1.0\r\n\r\n")
            got = recv_until(s, 65536, 30)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        out["disconnect"] = len(got)
    except OSError as e:
        out["disconnect"] = "socket error: %s" % e
    out["after_disconnect"] = http_get(web, "/index.html")

    # Bytes that are no HTTP request.
    garbage = bytes((i * 151 + 7) & 0xFF for i in range(700)) + b"\r\n\r\n"
    try:
        with socket.create_connection(("127.0.0.1", web), timeout=20) as s:
            s.settimeout(20)
            s.sendall(garbage)
            out["garbage"] = recv_until(s, 1 << 20, 30)
    except OSError as e:
        out["garbage"] = ("socket error: %s" % e).encode()
    out["after_garbage"] = http_get(web, "/index.html")

    # Asks for the big file and never reads: its window fills, and its
    # child waits. Meanwhile others are served.
    try:
        with socket.create_connection(("127.0.0.1", web), timeout=20) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.sendall(b"GET /big.bin HTTP/1.0\r\n\r\n")
            time.sleep(2)
            out["while_stalled"] = http_get(web, "/index.html")
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError as e:
        out["while_stalled"] = ("error", "socket error: %s" % e)
    out["after_stalled"] = http_get(web, "/index.html")
    return out


@shared
def beyond_run():
    return net_run("httpd-4cpus", "httpd", cpus=4, timeout=240, exclusive=True,
                   steps=lambda echo, web: [(b"Waiting for http connections", "call",
                                             lambda: session(web)),
                                            (b"", "monitor", "quit")])


def beyond(key):
    r = beyond_run()
    no_panic(r)
    assert r.monitor_out, r.explain("httpd never said it was waiting for connections")
    return r, r.monitor_out[0][key]


@pytest.mark.slow
@pytest.mark.exclusive
@mark(httpd_marks(4))
def test_httpd_serves_16_clients_at_once_on_4_cpus():
    r, results = beyond("clients")
    for i, got in enumerate(results):
        name = CLIENT_FILES[i % len(CLIENT_FILES)]
        assert got is not None and got[0] == 200 and got[1] == host_file(name), r.explain(
            "client %d of %d: GET /%s gave %s" % (i, CLIENTS, name,
                                                  got if got is None or got[0] != 200
                                                  else "%d bytes that differ" % len(got[1])))
    cpus = {int(m.group(1)) for m in r.all(r"^httpd: /\S+: 200 \(CPU (\d+)\)$")}
    assert len(cpus) > 1, r.explain("httpd's children all ran on CPU %s" % cpus)


@pytest.mark.slow
@pytest.mark.exclusive
@mark(httpd_marks(4))
def test_a_1_mib_file_arrives_whole():
    r, (status, digest, size) = beyond("big")
    want = hashlib.sha256(host_file("big.bin")).hexdigest()
    assert status == 200 and digest == want, r.explain(
        "GET /big.bin: status %s, %d bytes, sha256 %s (obj/fs/big.bin's: %s)"
        % (status, size, digest, want))


@pytest.mark.slow
@pytest.mark.exclusive
@mark(httpd_marks(4))
def test_a_client_that_disconnects_mid_transfer_leaves_the_server_serving():
    r, got = beyond("disconnect")
    assert isinstance(got, int) and got >= 65536, r.explain("the client reading 64 KiB of /big.bin got %s" % got)
    after = beyond("after_disconnect")[1]
    assert after == (200, index_html()), r.explain("GET /index.html afterwards: %s" % (after,))


@pytest.mark.slow
@pytest.mark.exclusive
@mark(httpd_marks(4))
def test_a_client_that_sends_garbage_gets_400():
    r, got = beyond("garbage")
    assert got.startswith(b"HTTP/1.0 400 "), r.explain("garbage for a request got %r" % got[:80])
    after = beyond("after_garbage")[1]
    assert after == (200, index_html()), r.explain("GET /index.html afterwards: %s" % (after,))


@pytest.mark.slow
@pytest.mark.exclusive
@mark(httpd_marks(4))
def test_a_client_that_never_reads_holds_up_nobody_else():
    r, got = beyond("while_stalled")
    assert got == (200, index_html()), r.explain(
        "GET /index.html while another client never read: %s" % (got,))
    after = beyond("after_stalled")[1]
    assert after == (200, index_html()), r.explain("GET /index.html afterwards: %s" % (after,))


# ---------------------------------------------------------------------------
# make run-httpd, as a student runs it: the URL it prints serves index.html.

@pytest.mark.developer
def test_make_run_httpd_prints_a_url_that_serves_index_html(tmp_path):
    import shutil
    import subprocess
    import urllib.request
    echo, web = harness.free_ports(2, udp=(0,))
    disk = tmp_path / "fs.img"
    shutil.copyfile(harness.FSIMG, disk)
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    proc = subprocess.Popen(["make", "-s", "--no-print-directory", "run-httpd-nox", "NET=user",
                             "BOOT=direct", "CPUS=1", "ECHOPORT=%d" % echo, "HTTPPORT=%d" % web,
                             "DISK=%s" % disk, "KARGS=monitor=off", *harness.qemu_vars()],
                            cwd=harness.ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True, env=env)
    out, err = bytearray(), bytearray()

    def reader(stream, into):
        for chunk in iter(lambda: stream.read1(4096), b""):
            into += chunk
    readers = [threading.Thread(target=reader, args=(s, b), daemon=True)
               for s, b in ((proc.stdout, out), (proc.stderr, err))]
    for t in readers:
        t.start()
    try:
        deadline = time.monotonic() + 90
        while b"Waiting for http connections" not in out and proc.poll() is None and \
                time.monotonic() < deadline:
            time.sleep(0.1)
        assert b"Waiting for http connections" in out, "httpd never got ready:\n%s\n%s" % (
            out.decode(errors="replace")[-2000:], err.decode(errors="replace")[-2000:])
        m = re.search(rb"open (http://localhost:\d+/index\.html)", err)
        assert m, "make run-httpd-nox printed no URL:\n" + err.decode(errors="replace")
        assert m.group(1) == b"http://localhost:%d/index.html" % web, m.group(1)
        with urllib.request.urlopen(m.group(1).decode(), timeout=30) as res:
            assert res.status == 200 and res.read() == index_html()
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


@pytest.mark.developer
def test_make_print_qemu_shows_the_network():
    line = harness.make("print-qemu", "NET=user", "ECHOPORT=27007", "HTTPPORT=27080",
                        "NETDUMP=obj/x.pcap").stdout
    for want in ("-netdev user,id=net0,hostfwd=tcp:127.0.0.1:27080-:80,"
                 "hostfwd=tcp:127.0.0.1:27007-:7,hostfwd=udp:127.0.0.1:27007-:7 ",
                 "-device e1000,netdev=net0 ",
                 "-object filter-dump,id=net0dump,netdev=net0,file=obj/x.pcap "):
        assert want in line, "%r missing from %s" % (want, line)
    assert "-nic none" in harness.make("print-qemu", "NET=none").stdout
    # The tree's own default (lab 6: a card), whatever the graders' is.
    env = dict(os.environ)
    env.pop("NET", None)
    assert "-device e1000" in harness.make("print-qemu", env=env).stdout
    for bad, says in ((["NET=tap"], "NET=tap is not valid"),
                      (["NET=user", "HTTPPORT=70000"], "HTTPPORT=70000 is not valid"),
                      (["NET=user", "ECHOPORT=27080", "HTTPPORT=27080"], "both 27080")):
        p = harness.make("print-qemu", *bad, check=False)
        assert p.returncode != 0 and says in p.stderr, (bad, p.stderr)
