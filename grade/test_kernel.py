"""The kernel's reports: command-line warnings, the monitor, fault dumps."""

import os
import re

import pytest

import harness
import layout
from labdeps import BOOT, envs, mark
from test_smp import ist_stack

pytestmark = [pytest.mark.lab(4), mark(BOOT)]


def test_unknown_kernel_argument_warns_and_boot_goes_on():
    r = harness.run("karg-unknown", kargs="frobnicate=7 monitor=off exitat=smp")
    r.expect_pass()
    r.expect(r"^warning: unknown kernel argument 'frobnicate=7' ignored \(known: ")
    assert len(r.all(r"^warning:")) == 1, r.explain("expected exactly one warning line")
    # The arguments it knows are the ones the README's table documents.
    known = set(r.first(r"\(known: [^)]*\)")[len("(known: "):-1].split(", "))
    with open(os.path.join(harness.ROOT, "README.md")) as f:
        readme = f.read()
    table = readme[readme.index("Kernel arguments (`KARGS="):]
    table = table[:table.index("\n\n", table.index("| argument |"))]
    documented = set(re.findall(r"^\| `(\w+)` \|", table, re.M))
    assert known == documented, r.explain(
        "the kernel knows %s; the README documents %s" % (sorted(known - documented) or "no more",
                                                          sorted(documented - known) or "no more"))


def test_malformed_kernel_argument_uses_default():
    r = harness.run("karg-malformed", kargs="apic=banana smpboot monitor=off exitat=smp")
    r.expect_pass()
    r.expect(r"^warning: kernel argument 'apic=banana' is not valid: expected "
             r"apic=auto\|xapic\|x2apic; ignored \(the default is auto\)",
             r"^warning: kernel argument 'smpboot' needs a value: "
             r"smpboot=serial\|parallel; ignored \(the default is serial\)")


def test_malformed_memmap_names_its_problem_and_reserves_nothing():
    # What a make or a shell leaves of memmap=4M$0x400000 (it takes the
    # bare '$'), and Linux's "usable RAM" form, which this kernel lacks.
    r = harness.run("karg-memmap", kargs="memmap=4Mx400000 memmap=64M@0x1000000 monitor=off "
                    "exitat=smp")
    r.expect_pass()
    r.expect(r"^warning: kernel argument 'memmap=4Mx400000' is not valid \(no '\$' or ':' after "
             r"the size \(a shell or make takes a bare '\$': write ':'\)\): expected "
             r"memmap=SIZE\$ADDR or SIZE:ADDR",
             r"^warning: kernel argument 'memmap=64M@0x1000000' is not valid \(only reserving a "
             r"range is supported, not Linux's other memmap= forms\)")
    assert len(r.all(r"^warning:")) == 2, r.explain("expected exactly two warning lines")
    r.expect_absent(r"^memmap:")


@mark(envs() + ["debuginfo_line"])
def test_monitor_backtrace_through_serial_input():
    r = harness.run("monitor-backtrace", kargs="", stdin=b"backtrace\rkerninfo\rexit\r")
    r.expect_pass()
    # The monitor runs once the last environment is gone: the backtrace goes
    # from the monitor through the scheduler and the system call that ended
    # that environment, back to the trap from user space.
    # JOS's two lines a frame: rbp, rip and args; then file:line: function.
    frame = r"^         [\w./]+:\d+: %s\+\d+$"
    r.expect_in_order(r"^Welcome to the JOS kernel monitor!", r"K> backtrace",
                      r"^Stack backtrace:", frame % "monitor", frame % "sched_yield",
                      frame % "syscall", frame % "trap", frame % "alltraps",
                      r"^  rbp 0000[0-9a-f]{12}  \(user space: the kernel's frames end here\)$",
                      r"K> kerninfo", r"^Kernel executable memory footprint: \d+KB")


@mark(envs())
def test_monitor_rejects_unknown_command():
    r = harness.run("monitor-unknown", kargs="", stdin=b"launch-missiles\rexit\r")
    r.expect_pass()
    r.expect(r"^hello, world$")     # the monitor runs once hello is done
    r.expect(r"^Unknown command 'launch-missiles'")


def test_kernel_page_fault_prints_register_dump():
    r = harness.run("crash-pagefault", kargs="crash=pagefault monitor=off exitat=smp")
    assert r.status == harness.EXIT_FAIL, r.explain("a kernel page fault must panic")
    r.expect_in_order(
        r"^TRAP frame at 0x[0-9a-f]+ from CPU 0",
        r"^  rax [0-9a-f]{16}  rbx",
        r"^  trap 0x0000000e Page Fault",
        r"^  cr2  0x00000000deadb000",
        r"^  err  0x00000000 \[kernel, read, not-present\]",
        r"^  rip  0x[0-9a-f]{16} crash_if_asked\+\d+",
        r"^kernel panic on CPU 0 at kern/trap\.cc:\d+: kernel page fault on CPU 0: "
        r"read from va 0xdeadb000",
        r"^Stack backtrace:")


def test_triple_fault_is_reported_as_such():
    # An empty IDT: the CPU cannot deliver any exception and resets. The
    # harness must name that, not report a bare timeout or status.
    r = harness.run("crash-triplefault", kargs="crash=triplefault monitor=off exitat=smp")
    r.expect(r"^crash: CPU 0 loads an empty IDT and traps")
    assert r.outcome().startswith("triple fault"), r.explain("expected a triple fault report")


@mark(envs(cpus=4))
def test_nmi_runs_on_its_ist_stack_and_boot_goes_on():
    # QEMU's monitor command "nmi" raises LINT1 on every CPU; the boot CPU
    # takes it as an NMI, on its NMI IST stack, and carries on.
    r = harness.run("nmi", cpus=4, kargs="",
                    steps=[(b"K> ", "monitor", "nmi"), (b"NMI on CPU", "type", b"exit\r")])
    r.expect_pass()
    r.expect(r"^SMP: 4 of 4 CPUs started$", r"^hello, world$")
    line = r.first(r"NMI on CPU 0 \(rip 0x[0-9a-f]+, handled on stack 0x[0-9a-f]+\); continuing")
    assert line and len(r.all(r"NMI on CPU")) == 1, r.explain("one NMI, handled once")
    # On CPU 0's own NMI stack (inc/memlayout.h), not its kernel stack.
    rsp = int(re.search(r"stack (0x[0-9a-f]+)", line).group(1), 16)
    lo, hi = ist_stack(0, layout.value("IST_NMI"))
    assert lo <= rsp < hi, r.explain("the NMI ran on %#x, not on CPU 0's NMI stack [%#x, %#x)"
                                     % (rsp, lo, hi))


@mark(["debuginfo_line"])      # its backtrace names the line
def test_spinlock_catches_recursive_acquire():
    r = harness.run("crash-relock", kargs="monitor=off exitat=smp crash=relock")
    assert r.status == harness.EXIT_FAIL, r.explain("taking a held lock again must panic")
    r.expect(r"^kernel panic on CPU 0 at kern/spinlock\.cc:\d+: CPU 0 acquired lock "
             r"crash_demo it already holds$",
             r"^         [\w./]+:\d+: Spinlock::lock\+\d+$")


@pytest.mark.no_exercises
def test_qemu_refusing_its_arguments_is_reported():
    r = harness.run("qemu-refuses", qemu_extra=["-no-such-option"], timeout=30)
    assert r.outcome().startswith("QEMU refused to run: qemu-system-x86_64: -no-such-option: "
                                  "invalid option"), r.explain("expected QEMU's own complaint")


# A CPU model with SMEP and SMAP: TCG emulates both when asked.
SMEP_SMAP = ["TCG_CPU=qemu64,+smep,+smap"]


@pytest.mark.parametrize("crash,access,err", [("smap", "read from", "0x00000001 \\[kernel, read, "
                                               "protection\\]"),
                                              ("smep", "execute at", "0x00000011 \\[kernel, "
                                               "execute, protection\\]")])
def test_smep_and_smap_stop_the_kernel_touching_user_pages(crash, access, err):
    # The kernel reads (SMAP) or runs (SMEP) a user page without leave:
    # the CPU must refuse with a protection fault, which panics.
    r = harness.run("crash-" + crash, kargs="monitor=off exitat=smp crash=" + crash,
                    make_extra=SMEP_SMAP)
    assert r.status == harness.EXIT_FAIL, r.explain("the access must fault")
    r.expect(r"^mmu: SMEP on, SMAP on$", r"^  err  %s$" % err,
             r"^kernel panic on CPU 0 at .*: kernel page fault on CPU 0: %s va 0x400000 " % access)
    r.expect_absent(r"^warning: this CPU has no")
