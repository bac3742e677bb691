"""Multiprocessor bring-up: finding CPUs, both APIC modes, both bring-up
orders, failures that must be reported rather than hang or reset."""

import re

import pytest

import harness
import layout
from labdeps import bringup, mark, param

pytestmark = pytest.mark.lab(4)

# From inc/memlayout.h: CPU i's stack ends at KSTACKTOP - i*(KSTKSIZE+KSTKGAP),
# with KSTKGAP unmapped below it; its IST stacks lie below ISTSTACKTOP.
KSTACKTOP = layout.value("KSTACKTOP")
KSTKSIZE, KSTKGAP = layout.value("KSTKSIZE"), layout.value("KSTKGAP")


def guard_gap(cpu):
    bottom = KSTACKTOP - cpu * (KSTKSIZE + KSTKGAP) - KSTKSIZE
    return bottom - KSTKGAP, bottom


def ist_stack(cpu, k):
    """[bottom, top) of CPU cpu's IST stack k (IST_DF, IST_NMI): ist_top()."""
    top = layout.value("ISTSTACKTOP") - (cpu * layout.value("NIST") + (k - 1)) * (
        layout.value("ISTSIZE") + layout.value("ISTGAP"))
    return top - layout.value("ISTSIZE"), top


def expect_all_started(r, n, mode="xAPIC", warnings_ok=False):
    """n CPUs found and started; every AP announced itself exactly once;
    and, unless the test expects some, no warning."""
    r.expect(r"^SMP: CPU 0 found %d CPU\(s\)$" % n, r"^SMP: %d of %d CPUs started$" % (n, n),
             r"^lapic: %s mode \(" % mode)
    announced = sorted(int(m.group(1)) for m in r.all(r"^SMP: CPU (\d+) starting$"))
    assert announced == list(range(1, n)), r.explain(
        "APs that announced themselves: %s, expected 1..%d" % (announced, n - 1))
    r.expect_absent(r"did not start", r"^kernel panic")
    if not warnings_ok:
        r.expect_absent(r"^warning:")


@pytest.mark.parametrize("cpus", [param(n, bringup(n), id=str(n)) for n in [1, 2, 3, 4, 8, 16, 32]])
def test_every_cpu_starts_serially(cpus):
    r = harness.run("smp-serial-%d" % cpus, cpus=cpus)
    r.expect_pass()
    expect_all_started(r, cpus)
    r.expect(r"^SMP: CPUs from the ACPI MADT")


@pytest.mark.parametrize("cpus", [param(n, bringup(n, serial=False), id=str(n))
                                  for n in [2, 4, 16, 32]])
def test_every_cpu_starts_in_parallel(cpus):
    r = harness.run("smp-parallel-%d" % cpus, cpus=cpus,
                    kargs="monitor=off exitat=smp smpboot=parallel")
    r.expect_pass()
    expect_all_started(r, cpus)
    r.expect(r"^SMP: parallel bring-up took \d+ us")


@pytest.mark.parametrize("smpboot", [param("serial", bringup(4)),
                                     param("parallel", bringup(4, serial=False))])
def test_grub_path_starts_every_cpu(smpboot):
    r = harness.run("smp-grub-" + smpboot, boot="grub", cpus=4,
                    kargs="monitor=off exitat=smp smpboot=" + smpboot)
    r.expect_pass().expect(r"^boot: multiboot2")
    expect_all_started(r, 4)


@pytest.mark.parametrize("smpboot", [param("parallel", bringup(6, serial=False)),
                                     param("serial", bringup(6))])
def test_sparse_apic_ids_from_topology(smpboot):
    # 2 sockets of 3 cores: QEMU leaves APIC ID 3 unused. Serial bring-up
    # must start each AP by its APIC ID, not by its index in cpus[].
    r = harness.run("smp-sparse-" + smpboot, cpus=6, smpopts="sockets=2,cores=3",
                    kargs="monitor=off exitat=smp smpboot=" + smpboot)
    r.expect_pass()
    r.expect(r"^SMP: APIC IDs 0 1 2 4 5 6$")
    expect_all_started(r, 6)


@mark(bringup(2))
def test_absent_cpus_are_not_started():
    # maxcpus=4: two hot-pluggable slots listed with the Enabled flag clear.
    r = harness.run("smp-maxcpus", cpus=2, smpopts="maxcpus=4")
    r.expect_pass()
    r.expect(r"^SMP: 2 more CPU\(s\) listed as disabled \(not started\)$")
    expect_all_started(r, 2)


@mark(bringup(4))
def test_x2apic_request_without_x2apic_falls_back():
    # X2APIC=off: the CPU model does not offer x2APIC, on any QEMU. Asked
    # for it anyway, the kernel says so and uses xAPIC.
    r = harness.run("smp-x2apic-absent", cpus=4, x2apic="off",
                    kargs="monitor=off exitat=smp apic=x2apic")
    r.expect_pass()
    r.expect(r"^warning: apic=x2apic, but this CPU does not offer x2APIC")
    r.expect(r"^lapic: xAPIC mode \(apic=x2apic asked for, but the CPU lacks x2APIC\)$")
    expect_all_started(r, 4, warnings_ok=True)


@pytest.mark.parametrize("case", [param((0, 1), bringup(1), id="0"),
                                  param((3, 4), bringup(4), id="3")])
def test_kernel_stack_overflow_is_reported(case):
    cpu, cpus = case      # the CPU that overflows, of how many
    r = harness.run("smp-overflow-cpu%d" % cpu, cpus=cpus,
                    kargs="monitor=off exitat=smp crash=overflow crashcpu=%d" % cpu)
    assert r.status == harness.EXIT_FAIL, r.explain("a stack overflow must panic, not reset")
    r.expect(r"^TRAP frame at 0x[0-9a-f]+ from CPU %d$" % cpu, r"^  trap 0x00000008 Double Fault")
    # The double fault ran on this CPU's own #DF stack: the frame is there.
    frame = int(re.search(r"at (0x[0-9a-f]+)", r.first(r"^TRAP frame at 0x[0-9a-f]+ from CPU")).group(1), 16)
    lo, hi = ist_stack(cpu, layout.value("IST_DF"))
    assert lo <= frame < hi, r.explain("the double fault's frame %#x is not on CPU %d's #DF stack "
                                       "[%#x, %#x)" % (frame, cpu, lo, hi))
    line = r.first(r"kernel panic on CPU %d at .*: kernel stack overflow on CPU %d: fault "
                   r"address 0x[0-9a-f]+ is in the guard gap below CPU %d's kernel stack"
                   % (cpu, cpu, cpu))
    assert line, r.explain("no stack overflow report for CPU %d" % cpu)
    addr = int(re.search(r"fault address (0x[0-9a-f]+)", line).group(1), 16)
    lo, hi = guard_gap(cpu)
    assert lo <= addr < hi, r.explain("%#x is not in CPU %d's guard gap [%#x, %#x)"
                                      % (addr, cpu, lo, hi))


@pytest.mark.parametrize("smpboot", [param("serial", bringup(4)),
                                     param("parallel", bringup(4, serial=False))])
def test_ap_that_never_answers_is_named(smpboot):
    # aptimeout=300: a deadline of 300 ms instead of 2 s, to spare the wait.
    r = harness.run("smp-apstall-" + smpboot, cpus=4,
                    kargs="monitor=off exitat=smp crash=apstall crashcpu=2 aptimeout=300 "
                    "smpboot=" + smpboot)
    r.expect_pass()          # the kernel goes on with the others
    r.expect(r"^crash: CPU 2 stalls before reporting in$",
             r"^SMP: CPU with APIC ID 2 did not start: it reported in as CPU 2, then did not "
             r"move for 300 ms$", r"^SMP: 3 of 4 CPUs started$")


@mark(bringup(1))     # QEMU's MP table lists one CPU (see below)
def test_mp_table_fallback():
    # acpi=off: the kernel reads the MP table SeaBIOS builds, as JOS does.
    # SeaBIOS (QEMU 6.2 and later) lists only the boot CPU there, APIC ID
    # 0, whatever -smp says (host/fixtures/grub-seabios-smp4.dump holds one).
    r = harness.run("smp-mptable", boot="grub", cpus=4, kargs="monitor=off exitat=smp acpi=off")
    r.expect_pass()
    r.expect(r"^SMP: CPUs from the MP configuration table \(MP at 0x[0-9a-f]+\)$",
             r"^SMP: APIC IDs 0$")
    r.expect_absent(r"ACPI MADT")
    expect_all_started(r, 1)


@mark(bringup(1))
def test_no_firmware_tables_means_one_cpu_and_a_warning():
    # qboot without ACPI builds no MP table either.
    r = harness.run("smp-notables", cpus=4, qemu_extra=["-machine", "acpi=off"])
    r.expect_pass()
    r.expect(r"^warning: no ACPI RSDP",
             r"^warning: no MP floating pointer structure",
             r"^warning: neither ACPI nor MP tables describe the CPUs: running on the boot "
             r"CPU only$")
    expect_all_started(r, 1, warnings_ok=True)


@pytest.mark.slow
@pytest.mark.exclusive
@mark(bringup(255, serial=False))
def test_255_cpus_under_tcg():
    # Alone on the host: 255 virtual CPUs among other graders' QEMUs take
    # minutes instead of seconds (and hold up every exclusive test).
    r = harness.run("smp-255", cpus=255, kargs="monitor=off exitat=smp smpboot=parallel",
                    timeout=240, exclusive=True)
    r.expect_pass()
    expect_all_started(r, 255)


# ---------------------------------------------------------------------------
# KVM's default CPU offers x2APIC. Each test boots under KVM where this
# machine has it (direct boot only: GRUB's real-mode code takes over a minute
# under a nested KVM; small memory keeps the emulated boot short); elsewhere
# on a QEMU whose TCG emulates x2APIC, with the same CPU model offering it;
# elsewhere on the QEMU in use, in xAPIC mode, together with the simulated
# x2APIC boot (grade/lapicsim). Same test, same points, on any machine.

def kvm_run(name, sim_args=(), **kw):
    kw.setdefault("mem", "64M")
    kw.setdefault("timeout", 180)
    return harness.run_x2apic(name, sim_args, kvm=True, **kw)


@pytest.mark.kvm
@pytest.mark.parametrize("cpus", [param(n, bringup(n, x2apic=True), id=str(n)) for n in [2, 4]])
def test_kvm_default_cpu_starts_every_ap_in_x2apic_mode(cpus):
    # The zCore failure: KVM offers x2APIC, the kernel switches to it, and
    # xAPIC MMIO writes to the ICR go nowhere. Every AP must start.
    r = kvm_run("kvm-x2apic-%d" % cpus, ["--count", str(cpus)], cpus=cpus)
    r.expect_pass()
    harness.expect_lapic(r, "lapic: x2APIC mode (the CPU offers x2APIC)")
    expect_all_started(r, cpus, mode="x2APIC" if r.x2apic else "xAPIC")


@pytest.mark.kvm
@mark(bringup(4, serial=False, x2apic=True))
def test_kvm_parallel_bringup_in_x2apic_mode():
    r = kvm_run("kvm-x2apic-parallel", ["--count", "4", "--parallel"], cpus=4,
                kargs="monitor=off exitat=smp smpboot=parallel")
    r.expect_pass()
    r.expect(r"^SMP: parallel bring-up took \d+ us")
    expect_all_started(r, 4, mode="x2APIC" if r.x2apic else "xAPIC")


@pytest.mark.kvm
@mark(bringup(4))
def test_kvm_without_x2apic_uses_xapic():
    # A CPU model without x2APIC: the same under TCG, where KVM is missing.
    r = harness.run("kvm-x2apic-off", cpus=4, x2apic="off", kvm=harness.kvm_available(),
                    mem="64M", timeout=180)
    r.expect_pass()
    r.expect(r"^lapic: xAPIC mode \(the CPU does not offer x2APIC\)$")
    expect_all_started(r, 4)


@pytest.mark.kvm
@mark(bringup(4))
def test_kvm_apic_xapic_argument_keeps_xapic():
    r = kvm_run("kvm-apic-xapic", ["--count", "4", "--apic", "xapic"], cpus=4,
                kargs="monitor=off exitat=smp apic=xapic")
    r.expect_pass()
    harness.expect_lapic(r, "lapic: xAPIC mode (apic=xapic, although the CPU offers x2APIC)")
    expect_all_started(r, 4)


@mark(bringup(2) + ["debuginfo_line"])
def test_lock_held_forever_is_reported():
    # CPU 1 takes a lock and keeps it; CPU 0 waits for it. After 5 s
    # (lockreport=500 here: 0.5 s) the waiter names the holder and where it
    # took the lock; then the test quits QEMU (the wait itself goes on).
    r = harness.run("smp-lockstall", cpus=2,
                    kargs="monitor=off exitat=smp crash=lockstall crashcpu=1 lockreport=500",
                    timeout=40,
                    steps=[(b"returns without unlocking it", "monitor", "quit")])
    # QEMU left because the test told it to (status 0), not by a timeout.
    assert r.status == 0 and len(r.monitor_out) == 1, r.explain("QEMU did not quit when told")
    r.expect_in_order(r"^crash: CPU 1 takes lock crash_demo and keeps it$",
                      r"^crash: CPU 0 waits for lock crash_demo$",
                      r"^warning: CPU 0 has waited 500 ms for lock crash_demo, held by CPU 1 "
                      r"since:$",
                      r"^  rip [0-9a-f]{16}  kern/init\.cc:\d+: crash_if_asked\+\d+$",
                      r"^  rip [0-9a-f]{16}  kern/smpboot\.cc:\d+: mp_main\+\d+$",
                      r"^warning: if CPU 1 never releases crash_demo, look for a path")
    r.expect_absent(r"^kernel panic")


# ---------------------------------------------------------------------------
# INIT-SIPI-SIPI's waits: the MP specification's 10 ms after INIT and 200 us
# between the STARTUPs, or a few microseconds where the CPU is of a family
# that needs no more (kern/smpboot.cc, as Linux decides).

@pytest.mark.parametrize("cpu", [
    param(("qemu64", "10 us", "10 us", r"AuthenticAMD family 0xf"), bringup(4), id="amd-0xf"),
    param(("qemu64,vendor=GenuineIntel,family=6", "10 us", "10 us", r"GenuineIntel family 0x6"),
          bringup(4), id="intel-6"),
    param(("qemu64,vendor=GenuineIntel,family=5", "10000 us", "200 us",
           r"GenuineIntel family 0x5"), bringup(4), id="intel-5"),
    param(("qemu64,family=14", "10000 us", "200 us", r"AuthenticAMD family 0xe"), bringup(4),
          id="amd-0xe"),
])
def test_startup_waits_follow_the_cpu_family(cpu):
    # A CPU model is only CPUID here: TCG starts any AP at once. What is
    # checked is the kernel's choice, and that every AP starts with it.
    model, init, sipi, reason = cpu
    r = harness.run("smp-waits-%s" % re.sub(r"\W", "_", model), cpus=4, mem="64M",
                    make_extra=["TCG_CPU=%s" % model])
    r.expect_pass()
    r.expect(r"^SMP: INIT-SIPI-SIPI waits %s after INIT and %s between the STARTUPs \(%s\)$"
             % (init, sipi, reason))
    expect_all_started(r, 4)


@pytest.mark.parametrize("smpboot", [param("serial", bringup(4)),
                                     param("parallel", bringup(4, serial=False))])
def test_an_ap_that_misses_a_short_start_is_started_again(smpboot):
    # crash=apmiss: CPU 2's first round sends it INIT but no STARTUP, as if
    # the short waits had been too short for it. The boot CPU starts it
    # again with the MP specification's waits, and it starts.
    r = harness.run("smp-apmiss-" + smpboot, cpus=4, mem="64M",
                    kargs="monitor=off exitat=smp crash=apmiss crashcpu=2 smpboot=" + smpboot)
    r.expect_pass()
    r.expect_in_order(r"^SMP: INIT-SIPI-SIPI waits 10 us after INIT and 10 us between",
                      r"^crash: CPU 2 gets no STARTUP from its first INIT-SIPI-SIPI round$",
                      r"^SMP: CPU with APIC ID 2 did not answer a start with short waits in "
                      r"\d+ ms; starting it again with the MP specification's waits$",
                      r"^SMP: 4 of 4 CPUs started$")
    expect_all_started(r, 4)


@mark(bringup(2))
def test_apwait_full_restores_the_mp_specifications_waits():
    r = harness.run("smp-apwait-full", cpus=2, mem="64M", kargs="monitor=off exitat=smp apwait=full")
    r.expect_pass()
    r.expect(r"^SMP: INIT-SIPI-SIPI waits 10000 us after INIT and 200 us between the STARTUPs "
             r"\(apwait=full\)$")
    expect_all_started(r, 2)
