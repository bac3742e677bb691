"""Lab 3: user environments. JOS's grade-lab3 tests, with their names and
points (80, in parts A and B) and its output lines, on x86_64: the trap
frame on the kernel stack at KSTACKTOP - sizeof(Trapframe) (JOS's
0xefffffbc), the kernel at 0xffffffff80100000 (JOS's 0xf0100000), rip for
eip. Each runs one program as JOS's lab 3 does (lab=3: one environment,
one CPU), and stops at the kernel monitor. Then tests JOS never had."""

import functools
import os
import subprocess

import pytest

import harness
from labdeps import envs, lab3, mark

pytestmark = pytest.mark.lab(3)

# Where a trap from user mode leaves its frame: the top of CPU 0's kernel
# stack (KSTACKTOP = 0xffffffff80000000) less the frame (176 bytes).
INCOMING = r"^Incoming TRAP frame at 0xffffffff7fffff50$"
# The copy in the environment's Env (envs[] is in the kernel's image).
TRAP_FRAME = r"^TRAP frame at 0xffffffff8[0-9a-f]{7} from CPU 0$"
USER_RIP = r"^  rip  0x0000000000800[0-9a-f]{3} \(user\)$"
USER_SS = r"^  ss   0x----0023$"
FREED = r"^\[00001000\] free env 00001000$"
MONITOR = r"^Welcome to the JOS kernel monitor!$"


def user_test(prog):
    """JOS's r.user_test: run one program, stop at the kernel monitor's
    prompt (JOS's graders stop at its readline)."""
    r = harness.run("lab3-" + prog, kargs="lab=3 run=" + prog, timeout=30,
                    steps=[(b"K> ", "monitor", "quit")])
    assert "K> " in r.log, r.explain("the kernel monitor never started")
    return r


def fault(prog, trap, *more, no=()):
    r = user_test(prog)
    r.expect(INCOMING, TRAP_FRAME, r"^  trap 0x%08x " % trap, *more)
    if no:
        r.expect_absent(*no)
    return r


@pytest.mark.part("Part A")
@pytest.mark.points(10)
@mark(lab3(pointers=False))
def test_divzero():
    fault("divzero", 0, r"^  trap 0x00000000 Divide error$", USER_RIP, USER_SS, FREED,
          no=[r"1/0 is ........!"])


@pytest.mark.part("Part A")
@pytest.mark.points(10)
@mark(lab3(pointers=False))
def test_softint():
    # int $14 from user mode goes through a DPL-0 gate: a protection fault.
    fault("softint", 13, MONITOR, r"^  trap 0x0000000d General Protection$", USER_RIP,
          USER_SS, FREED)


@pytest.mark.part("Part A")
@pytest.mark.points(10)
@mark(lab3(pointers=False))
def test_badsegment():
    fault("badsegment", 13, r"^  trap 0x0000000d General Protection$",
          r"^  err  0x00000028$", USER_RIP, USER_SS, FREED)


@pytest.mark.part("Part B")
@pytest.mark.points(5)
@mark(lab3(pointers=False))
def test_faultread():
    fault("faultread", 14, r"^\[00001000\] user fault va 00000000 ip 00800[0-9a-f]{3}$",
          r"^  err  0x00000004", FREED, no=[r"I read ........ from location 0!"])


@pytest.mark.part("Part B")
@pytest.mark.points(5)
@mark(lab3(pointers=False))
def test_faultreadkernel():
    fault("faultreadkernel", 14,
          r"^\[00001000\] user fault va ffffffff80100000 ip 00800[0-9a-f]{3}$",
          r"^  err  0x00000005", FREED, no=[r"I read ........ from location 0x"])


@pytest.mark.part("Part B")
@pytest.mark.points(5)
@mark(lab3(pointers=False))
def test_faultwrite():
    fault("faultwrite", 14, r"^\[00001000\] user fault va 00000000 ip 00800[0-9a-f]{3}$",
          r"^  err  0x00000006", FREED)


@pytest.mark.part("Part B")
@pytest.mark.points(5)
@mark(lab3(pointers=False))
def test_faultwritekernel():
    fault("faultwritekernel", 14,
          r"^\[00001000\] user fault va ffffffff80100000 ip 00800[0-9a-f]{3}$",
          r"^  err  0x00000007", FREED)


@pytest.mark.part("Part B")
@pytest.mark.points(5)
@mark(lab3(pointers=False))
def test_breakpoint():
    r = user_test("breakpoint")
    r.expect(MONITOR, INCOMING, TRAP_FRAME, r"^  trap 0x00000003 Breakpoint$", USER_RIP,
             USER_SS)
    r.expect_absent(FREED)


@pytest.mark.part("Part B")
@pytest.mark.points(5)
@mark(lab3())
def test_testbss():
    r = user_test("testbss")
    r.expect(r"^Making sure bss works right\.\.\.$",
             r"^Yes, good\.  Now doing a wild write off the end\.\.\.$",
             r"^\[00001000\] user fault va 00c[0-9a-f]{5} ip 00800[0-9a-f]{3}$", FREED)


@pytest.mark.part("Part B")
@pytest.mark.points(5)
@mark(lab3())
def test_hello():
    r = user_test("hello")
    r.expect_in_order(r"^\[00000000\] new env 00001000$", r"^hello, world$",
                      r"^i am environment 00001000$", r"^\[00001000\] exiting gracefully$",
                      FREED, r"^Destroyed the only environment - nothing more to do!$")


@pytest.mark.part("Part B")
@pytest.mark.points(5)
@mark(lab3())
def test_buggyhello():
    r = user_test("buggyhello")
    r.expect(r"^\[00001000\] user_mem_check assertion failure for va 00000001$", FREED)


@pytest.mark.part("Part B")
@pytest.mark.points(5)
@mark(lab3())
def test_buggyhello2():
    r = user_test("buggyhello2")
    r.expect(r"^\[00001000\] user_mem_check assertion failure for va 0....000$", FREED)
    r.expect_absent(r"hello, world")


@pytest.mark.part("Part B")
@pytest.mark.points(5)
@mark(lab3())
def test_evilhello():
    r = user_test("evilhello")
    r.expect(r"^\[00001000\] user_mem_check assertion failure for va ffffffff80100...$", FREED)


# ---------------------------------------------------------------------------
# Beyond JOS.

def regionround_segments():
    """[(va, memsz)] of regionround's text and data segments, as readelf
    reads them."""
    segs = subprocess.run(["readelf", "-lW", os.path.join(harness.ROOT, "obj", "user",
                                                          "regionround")],
                          capture_output=True, text=True, check=True).stdout
    loads = [l.split() for l in segs.splitlines() if l.split()[:1] == ["LOAD"]]
    text = [l for l in loads if l[-2] == "E"][0]
    data = [l for l in loads if l[-2] == "RW"][0]
    return [(int(s[2], 16), int(s[5], 16)) for s in (text, data)]


@functools.lru_cache(maxsize=None)
def regionround_run():
    # One boot for the two graders that look at regionround.
    return user_test("regionround")


@pytest.mark.part("Lab 3 beyond JOS")
@mark(lab3())
def test_region_alloc_rounds_to_whole_pages():
    # regionround's data segment starts 32 bytes before a page boundary
    # (user/regionround.ld) and ends a few bytes into a page: a region_alloc
    # that steps from va by PGSIZE to va+len, without rounding, leaves its
    # last page unmapped, and the program faults on the segment's last byte.
    start, size = regionround_segments()[1]
    assert start % 4096 > (start + size) % 4096 > 0, (
        "regionround's data segment [%#x, %#x) must start later in its page than it ends in "
        "its last, or this test cannot tell a rounding region_alloc from one that does not "
        "round (user/regionround.ld)" % (start, start + size))
    r = regionround_run()
    r.expect(r"^regionround: data at 0x%016x and .*, the segment's last byte at 0x%016x: "
             r"initialized data, across a page boundary, bss zero$" % (start, start + size - 1),
             FREED)
    r.expect_absent(r"user fault")


@pytest.mark.part("Lab 3 beyond JOS")
@mark(lab3())
def test_segments_get_their_permissions_and_share_a_page():
    # regionround's text segment ends on the page where its data segment
    # starts (user/regionround.ld). load_icode maps each segment with its
    # own permissions: text r-x, data rw-, and the stack rw-; the page the
    # two share gets both (rwx) and keeps the text's bytes, whichever
    # segment region_alloc mapped first. The program reads its own page
    # tables at UVPT (env_setup_vm's read-only window onto them), and says
    # what user code may do on each page (r: PTE_U, w: PTE_W, x: no PTE_NX,
    # at every level), the windows UVPT, UENVS and UPAGES among them.
    (text, text_size), (data, _) = regionround_segments()
    assert (text + text_size - 1) // 4096 == data // 4096, (
        "regionround's text segment [%#x, %#x) must end on the page its data segment starts "
        "on (%#x), or this test cannot tell what region_alloc does with a page two segments "
        "share (user/regionround.ld)" % (text, text + text_size, data))
    r = regionround_run()
    r.expect(r"^regionround: on the page both segments share, at 0x%016x: 'the text segment's "
             r"last bytes'$" % (data & ~0xFFF),
             r"^regionround: access: text r-x, shared page rwx, data rw-, stack rw-, UVPT r--, "
             r"UENVS r--, UPAGES r--$", FREED)
    r.expect_absent(r"user fault")


# Needs lab 4's other CPUs and scheduler: graded with lab 4.
@pytest.mark.lab(4)
@pytest.mark.part("lab 4 beyond JOS")
@mark(envs(4, syscalls=False))
def test_user_faults_on_several_cpus():
    # Lab 4's kernel, every fault program at once on four CPUs: each ends
    # only its own environment, whichever CPU it ran on.
    progs = ["divzero", "softint", "badsegment", "faultread", "faultreadkernel",
             "faultwrite", "faultwritekernel", "evilhello"]
    r = harness.run("lab3-faults-smp", cpus=4, timeout=60,
                    kargs="lab=4 monitor=off run=" + ",".join(progs))
    r.expect_pass()
    r.expect(r"^SMP: 4 of 4 CPUs started$", r"^No runnable environments in the system!$")
    freed = r.all(r"^\[0000100[0-7]\] free env (0000100[0-7])$")
    assert sorted(m.group(1) for m in freed) == ["0000100%d" % i for i in range(8)], \
        r.explain("every environment must be freed")
    assert len(r.all(r"^Incoming TRAP frame at 0xffffffff7f")) >= 7, r.explain(
        "a trap report per faulting environment")
    traps = sorted(m.group(1) for m in r.all(r"^  trap (0x[0-9a-f]{8}) "))
    want = sorted(["0x00000000"] + ["0x0000000d"] * 2 + ["0x0000000e"] * 4)
    assert traps == want, r.explain("traps %s, expected a divide error, two protection "
                                    "faults and four page faults" % traps)
    r.expect_absent(r"kernel panic")
