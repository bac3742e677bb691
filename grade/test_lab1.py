"""Lab 1: booting, the console and the monitor. JOS's grade-lab1 tests,
with their names and points (50), on x86_64: 64-bit addresses, rbp and rip
for ebp and eip, kern/init.cc for kern/init.c. Then tests JOS never had."""

import bisect
import functools
import os
import re

import pytest

import harness
import layout
from labdeps import bringup, lab1, mark

pytestmark = [pytest.mark.lab(1), pytest.mark.part("Lab 1")]

# JOS: "^ *ebp +f01[0-9a-z]{5} +eip +f0100[0-9a-z]{3} +args +([0-9a-z]+)".
# Here a frame's line has 64-bit rbp and rip (a kernel address) and the
# arguments of the function running in the frame (8 hex digits for an int).
BACKTRACE_RE = r"^  rbp ([0-9a-f]{16})  rip (ffffffff8[0-9a-f]{7})  args((?: [0-9a-f?]+)*)$"


@functools.lru_cache(maxsize=None)
def lab1_run():
    """One lab=1 boot: printf's check, JOS's test_backtrace(5), the end."""
    r = harness.run("lab1", kargs="monitor=off lab=1")
    return r


def backtrace_block(r):
    """The lines mon_backtrace printed inside test_backtrace(0)."""
    try:
        start = r.lines.index("Stack backtrace:")
        end = r.lines.index("leaving test_backtrace 0")
    except ValueError:
        raise AssertionError(r.explain("no backtrace between 'Stack backtrace:' and "
                                       "'leaving test_backtrace 0'"))
    return r.lines[start + 1:end]


def frames(r):
    rx = re.compile(BACKTRACE_RE)
    return [m for m in (rx.match(l) for l in backtrace_block(r)) if m]


@mark(["printf_octal"])
@pytest.mark.points(20)
def test_printf():
    r = lab1_run()
    # The second line: kern/init.cc's cprintf("octal in a field: [%5o] [%-5o]
    # [%05o] [%#o] [%#5o] [%#o] [%lo]", 8, 8, 8, 8, 8, 0, 01000000000000UL),
    # as glibc's printf prints the same format and arguments.
    r.expect(r"^6828 decimal is 15254 octal!$",
             r"^octal in a field: \[   10\] \[10   \] \[00010\] \[010\] \[  010\] \[0\] "
             r"\[1000000000000\]$")


# The frames test_backtrace(5) shows, innermost first: (function, first
# argument); mon_backtrace's first argument is argc, 0.
FRAMES = ([("mon_backtrace", "00000000")] + [("test_backtrace", "%08x" % n) for n in range(6)] +
          [("kern_main", None)])


def frame_function(r, m):
    """The function a frame's line names on the line after it (the line
    lookup's "file:line: function+offset"), or None."""
    block = r.lines
    i = block.index(m.string)
    after = block[i + 1] if i + 1 < len(block) else ""
    f = re.match(r"^\s+(?:\S+:\d+: +)?([A-Za-z_][\w:]*)\+\d+$", after)
    return f.group(1) if f else None


@mark(lab1())
@pytest.mark.points(10)
def test_backtrace_count():
    # mon_backtrace, test_backtrace(0) .. test_backtrace(5), kern_main.
    r = lab1_run()
    found = frames(r)
    for m in found:
        r.marks[r.lines.index(m.string)] = "GOOD"
    if len(found) != len(FRAMES):
        # Which frames: by the function the next line names, else by the
        # first argument.
        got = [(frame_function(r, m), (m.group(3).split() or ["-"])[0]) for m in found]
        missing, k = [], 0
        for fn, arg in FRAMES:
            if k < len(got) and (got[k][0] in (None, fn)) and arg in (None, got[k][1]):
                k += 1
            else:
                missing.append("%s(%s)" % (fn, "" if arg is None else int(arg, 16)))
        r.missing.extend("frame of " + f for f in missing)
        raise AssertionError(r.explain(
            "expected 8 frames (mon_backtrace, test_backtrace(0) .. test_backtrace(5), "
            "kern_main), found %d%s" % (len(found), "; missing: " + ", ".join(missing)
                                        if missing and len(found) < len(FRAMES) else "")))


@mark(lab1())
@pytest.mark.points(10)
def test_backtrace_arguments():
    # Each frame's first argument: mon_backtrace's argc (0), then
    # test_backtrace's x, from 0 up to 5.
    r = lab1_run()
    firsts = [(m.group(3).split() or ["-"])[0] for m in frames(r)][:7]
    want = ["%08x" % n for n in [0, 0, 1, 2, 3, 4, 5]]
    assert firsts == want, r.explain("first arguments %s, expected %s" % (firsts, want))


@mark(lab1("debuginfo_line"))
@pytest.mark.points(5)
def test_backtrace_symbols():
    r = lab1_run()
    block = "\n".join(backtrace_block(r))
    names = re.findall(r"kern/init\.cc:[0-9]+: +([^+]*)\+", block)
    want = ["test_backtrace"] * 6 + ["kern_main"]
    if names[:7] != want:
        bare = re.findall(r"^\s+(?:\S+:\S*: +)?([A-Za-z_][\w:]*)\+\d+$", block, re.M)
        if [n for n in bare if n != "mon_backtrace"][:7] == want:
            raise AssertionError(r.explain(
                "the frames name their functions, but not as 'kern/init.cc:LINE: function+offset' "
                "(the file and line before each name are missing or malformed): %s"
                % [l.strip() for l in block.splitlines() if "test_backtrace+" in l][:2]))
        raise AssertionError(r.explain("functions %s, expected %s" % (names[:7], want)))


def lines_of_test_backtrace():
    """The lines of kern/init.cc inside test_backtrace's body, read from the
    source itself."""
    with open(os.path.join(harness.ROOT, "kern", "init.cc")) as f:
        src = f.read().split("\n")
    start = next(i for i, l in enumerate(src) if l.startswith("test_backtrace(int x)"))
    end = next(i for i in range(start, len(src)) if src[i] == "}")
    return range(start + 1, end + 2)        # 1-based line numbers


def line_table():
    """The build's own line table (obj/kern/ksymtab.S, which
    kern/mkdebuginfo.py writes from DWARF and the kernel links): sorted
    (address, file, line) rows."""
    with open(os.path.join(harness.ROOT, "obj", "kern", "ksymtab.S")) as f:
        text = f.read()
    files = dict(re.findall(r'^\.Lfile(\d+): \.asciz "([^"]*)"', text, re.M))
    lines = text[text.index("\nklines:"):text.index("\nklines_end:")]
    rows = re.findall(r"\.quad (0x[0-9a-f]+)\s+\.long (\d+)\s+\.long (\d+)", lines)
    return [(int(a, 16), files[f], int(n)) for a, n, f in rows]


def line_of(table, rip):
    """rip's file:line by the table: the last row at or below rip."""
    i = bisect.bisect_right([a for a, _, _ in table], rip) - 1
    return "%s:%d" % table[i][1:] if i >= 0 else None


@mark(lab1("debuginfo_line"))
@pytest.mark.points(5)
def test_backtrace_lines():
    r = lab1_run()
    found = re.findall(r"([^ ]*init\.cc:([0-9]+):) +test_backtrace\+", "\n".join(backtrace_block(r)))
    assert found, r.explain("no line numbers")
    body = lines_of_test_backtrace()
    wrong = [m[0] for m in found if int(m[1]) not in body]
    assert not wrong, r.explain("lines outside test_backtrace (kern/init.cc:%d-%d): %s"
                                % (body.start, body.stop - 1, wrong))
    # Each frame's line, as the build's line table gives it for the call:
    # for rip - 1 (the exercise says why: a call that never returns leaves
    # its return address past its function's end).
    table = line_table()
    block = backtrace_block(r)
    first = r.lines.index("Stack backtrace:") + 1      # block[i] is r.lines[first + i]
    for i, line in enumerate(block[:-1]):
        m = re.match(BACKTRACE_RE, line)
        shown = re.match(r"^\s+(\S+:\d+): ", block[i + 1])
        if not (m and shown):
            continue
        want = line_of(table, int(m.group(2), 16) - 1)
        if shown.group(1) != want:
            r.marks[first + i + 1] = "BAD"
            raise AssertionError(r.explain(
                "the frame at rip %s shows %s; the build's line table (obj/kern/ksymtab.S) "
                "gives %s for rip - 1, the call" % (m.group(2), shown.group(1), want)))


# ---------------------------------------------------------------------------
# Beyond JOS.

@pytest.mark.part("Lab 1 beyond JOS")
@mark(lab1("debuginfo_line"))
def test_monitor_backtrace_command():
    # Typed at the monitor's prompt: the frames from the command down to
    # kern_main, each with its file and line; mon_backtrace's own first
    # argument is argc, 1.
    r = harness.run("lab1-monitor", kargs="lab=1", stdin=b"backtrace\rexit\r")
    r.expect_pass()
    r.expect_in_order(r"^K> backtrace", r"^Stack backtrace:",
                      r"^  rbp [0-9a-f]{16}  rip [0-9a-f]{16}  args 00000001 ",
                      r"^         kern/monitor\.cc:\d+: monitor\+\d+$",
                      r"^         kern/lab\.cc:\d+: lab_done\+\d+$",
                      r"^         kern/init\.cc:\d+: kern_main\+\d+$")


# Needs lab 4's other CPUs: graded with lab 4.
@pytest.mark.lab(4)
@pytest.mark.part("lab 4 beyond JOS")
@mark(bringup(2) + ["debuginfo_line"])
def test_backtrace_taken_on_an_ap():
    # CPU 1 takes a lock it holds: its panic's backtrace walks CPU 1's own
    # stack (KSTACKTOP - 1 * (KSTKSIZE + KSTKGAP)) down to mp_main.
    r = harness.run("lab1-ap-backtrace", cpus=2,
                    kargs="lab=4 monitor=off exitat=smp crash=relock crashcpu=1")
    assert r.status == harness.EXIT_FAIL, r.explain("the relock must panic")
    r.expect_in_order(r"^kernel panic on CPU 1 at kern/spinlock\.cc:\d+: CPU 1 acquired lock",
                      r"^Stack backtrace:",
                      r"^         [\w./]+:\d+: crash_if_asked\+\d+$",
                      r"^         kern/smpboot\.cc:\d+: mp_main\+\d+$")
    # The innermost frames lie on CPU 1's own kernel stack.
    size, gap = layout.value("KSTKSIZE"), layout.value("KSTKGAP")
    top = layout.value("KSTACKTOP") - 1 * (size + gap)
    after = r.lines[r.lines.index(r.first(r"^kernel panic on CPU 1 .*")):]
    rbps = [int(m.group(1), 16) for m in (re.match(BACKTRACE_RE, l) for l in after) if m][:3]
    assert rbps and all(top - size <= f < top for f in rbps), r.explain(
        "frames %s are not on CPU 1's kernel stack [%#x, %#x)"
        % ([hex(f) for f in rbps], top - size, top))
