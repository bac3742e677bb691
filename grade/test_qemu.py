"""What depends on the QEMU in use: x2APIC under TCG, more than 255 CPUs
without KVM, the firmware's x2APIC hand-over, and how a run ends. Each test
asks the QEMU (make print-qemu-caps) what it offers; one that needs what
this QEMU lacks is skipped with that reason, one that does not runs
everywhere. `make test` runs these on the system QEMU and, when one is
there (make fetch-qemu), on a second."""

import pytest

import harness
from labdeps import bringup, mark, param
from test_smp import expect_all_started

pytestmark = pytest.mark.lab(4)


# The x2APIC graders run on a QEMU whose TCG emulates x2APIC: the one in use,
# else the second (obj/qemu-backports). Where neither is there, the same
# boot in xAPIC mode and the simulated x2APIC boot (grade/lapicsim) stand in
# for it: harness.run_x2apic.

def mode(r):
    return "x2APIC" if r.x2apic else "xAPIC"


@pytest.mark.parametrize("smpboot", [param("serial", bringup(4, x2apic=True)),
                                     param("parallel", bringup(4, serial=False, x2apic=True))])
def test_x2apic_under_tcg(smpboot):
    # The exercise graded without KVM: X2APIC=on gives the CPU model
    # x2APIC, the kernel chooses it, and every AP must switch.
    sim = ["--count", "4"] + (["--parallel"] if smpboot == "parallel" else [])
    r = harness.run_x2apic("qemu-x2apic-tcg-" + smpboot, sim, cpus=4,
                           kargs="monitor=off exitat=smp smpboot=" + smpboot)
    r.expect_pass()
    harness.expect_lapic(r, "lapic: x2APIC mode (the CPU offers x2APIC)")
    expect_all_started(r, 4, mode=mode(r))


# Two CPUs with APIC IDs 0 and 256: room for 288 in two sockets of 144,
# and one CPU plugged into the second socket. SeaBIOS (GRUB's path; qboot
# leaves the APICs as they are) sees an ID above 254 and hands over in
# x2APIC mode.
SPARSE_256 = dict(cpus=1, boot="grub", smpopts="maxcpus=288,sockets=2,cores=144",
                  qemu_extra=["-device", "qemu64-x86_64-cpu,socket-id=1,core-id=0,thread-id=0"])
SIM_256 = ["--ids", "0,256", "--firmware-x2apic"]


@pytest.mark.parametrize("smpboot", [param("serial", bringup(2, x2apic=True)),
                                     param("parallel", bringup(2, serial=False, x2apic=True))])
def test_apic_id_above_255_under_tcg(smpboot):
    kargs = "monitor=off exitat=smp smpboot=" + smpboot
    r = harness.run_x2apic("qemu-apic256-" + smpboot,
                           SIM_256 + (["--parallel"] if smpboot == "parallel" else []),
                           kargs=kargs, xapic_kw=dict(cpus=2, kargs=kargs), **SPARSE_256)
    r.expect_pass()
    if r.x2apic:
        r.expect(r"^SMP: APIC IDs 0 256$")
    harness.expect_lapic(r, "lapic: x2APIC mode (the firmware enabled it, as it does when "
                            "APIC IDs above 254 exist)")
    expect_all_started(r, 2, mode=mode(r))


@mark(bringup(2, x2apic=True))
def test_firmware_x2apic_stays_with_apic_xapic():
    # x2APIC cannot be left without resetting the APIC: apic=xapic must
    # warn and stay.
    kargs = "monitor=off exitat=smp apic=xapic"
    r = harness.run_x2apic("qemu-apic256-xapic", SIM_256 + ["--apic", "xapic"], kargs=kargs,
                           xapic_kw=dict(cpus=2, kargs=kargs), **SPARSE_256)
    r.expect_pass()
    warning = ("warning: apic=xapic, but the firmware already put the APIC in x2APIC mode; "
               "staying in x2APIC mode")
    harness.expect_lapic(r, warning)
    harness.expect_lapic(r, "lapic: x2APIC mode (the firmware enabled it, as it does when "
                            "APIC IDs above 254 exist)")
    if r.x2apic:
        r.expect_absent(r"^lapic: xAPIC mode")
    expect_all_started(r, 2, mode=mode(r), warnings_ok=True)


@pytest.mark.slow
@mark(bringup(257, serial=False, x2apic=True))
def test_257_cpus_without_cpuid_leaf_0xb():
    # CPUID's leaf 1 gives 8 bits of APIC ID: without leaf 0xB (level=10),
    # CPU 256 looks like CPU 0. Each AP must read its 32-bit x2APIC ID, and
    # find its slot among the APs, not the boot CPU's. (Where x2APIC cannot
    # be shown: 8 CPUs in parallel, xAPIC, and 257 simulated.)
    kargs = "monitor=off exitat=smp smpboot=parallel"
    r = harness.run_x2apic("qemu-257-level10", ["--count", "257", "--parallel", "--no-leaf-0xb"],
                           cpus=257, timeout=240, kargs=kargs,
                           make_extra=["TCG_CPU=qemu64,level=10"],
                           xapic_kw=dict(cpus=8, kargs=kargs, make_extra=["TCG_CPU=qemu64,level=10"]))
    r.expect_pass()
    n = 257 if r.x2apic else 8
    expect_all_started(r, n, mode=mode(r))
    assert len(r.all(r"^smpjos: x86_64 teaching kernel$")) == 1, r.explain("the kernel booted twice")
    r.expect_absent(r"local APIC reports ID", r"answered with an APIC ID")


@pytest.mark.developer
@pytest.mark.exclusive
@pytest.mark.skipif(not harness.tcg_x2apic(), reason="this QEMU's TCG cannot emulate x2APIC, "
                    "which APIC IDs above 255 need (make test runs this file again on the second "
                    "QEMU, from make fetch-qemu)")
def test_serial_bring_up_beyond_255_on_qboot():
    # qboot leaves every AP's local APIC in xAPIC mode, where a destination
    # matches on its low 8 bits: starting APIC ID k also starts the waiting
    # AP 256+k, on k's stack. The trampoline must halt it untouched, its
    # own INIT-SIPI-SIPI start it later, and the kernel say what happened.
    # ID 255 must go last: to a waiting xAPIC, 0xFF means every CPU.
    n = 260
    # aptimeout: a busy host may hold back one AP's first steps for seconds.
    r = harness.run("qemu-serial-260", cpus=n, boot="direct", x2apic="on", timeout=240,
                    kargs="monitor=off exitat=smp smpboot=serial aptimeout=30000")
    r.expect_pass()
    expect_all_started(r, n, mode="x2APIC")
    r.expect(r"^SMP: %d AP\(s\) also answered the INIT-SIPI-SIPI of a CPU whose APIC ID has "
             r"the same low 8 bits .*CPU %d with APIC ID %d, answered CPU %d's, ID %d\), and "
             r"halted until their own$" % (n - 257, n - 1, n - 1, n - 257, n - 257))
    r.expect_absent(r"were halted", r"answered with an APIC ID")


@pytest.mark.slow
@pytest.mark.exclusive
@mark(bringup(288, serial=False, x2apic=True))
def test_288_cpus_under_tcg():
    # (Serial bring-up with APIC IDs above 255: test_apic_id_above_255_under_tcg.)
    # Alone on the host, as the 255-CPU test.
    kargs = "monitor=off exitat=smp smpboot=parallel"
    r = harness.run_x2apic("qemu-288-parallel", ["--count", "288", "--parallel"], cpus=288,
                           timeout=300, exclusive=True, kargs=kargs,
                           xapic_kw=dict(cpus=8, kargs=kargs))
    r.expect_pass()
    expect_all_started(r, 288 if r.x2apic else 8, mode=mode(r))


@pytest.mark.no_exercises
def test_cpus_beyond_what_this_qemu_allows_are_refused():
    caps = harness.qemu_caps()
    limit = int(caps["QEMU_Q35_MAX_CPUS"])
    p = harness.make("print-qemu", "CPUS=%d" % (limit + 1), *harness.qemu_vars(), check=False)
    assert p.returncode != 0, p.stdout
    assert ("CPUS=%d is too many: this QEMU (%s) allows at most %d CPUs on its q35 machine"
            % (limit + 1, caps["QEMU_VERSION"], limit)) in p.stderr, p.stderr
    if not harness.tcg_x2apic():
        p = harness.make("print-qemu", "CPUS=256", "KVM=0", *harness.qemu_vars(), check=False)
        assert p.returncode != 0 and "CPUS=256 needs KVM=1: more than 255 CPUs need x2APIC, " \
            "and this QEMU's TCG (%s) cannot emulate it" % caps["QEMU_VERSION"] in p.stderr, p.stderr
    else:
        p = harness.make("print-qemu", "CPUS=256", "KVM=0", *harness.qemu_vars())
        assert "-smp 256" in p.stdout and "+x2apic" in p.stdout, p.stdout


@pytest.mark.no_exercises
def test_x2apic_on_warns_only_where_tcg_cannot():
    p = harness.make("print-qemu", "X2APIC=on", "KVM=0", *harness.qemu_vars())
    warned = "cannot emulate x2APIC" in p.stderr
    assert warned == (not harness.tcg_x2apic()), p.stderr


@pytest.mark.developer
def test_a_boot_leaves_qemu_silent():
    # Nothing on QEMU's stderr when all goes well: make fetch-qemu's QEMU
    # printed "failed to open module: libpipewire-0.3.so.0" on every run,
    # probing audio modules for the PC speaker.
    r = harness.run("qemu-silent", cpus=2, kargs="monitor=off exitat=smp")
    r.expect_pass()
    assert r.stderr.strip() == "", "QEMU (%s) printed:\n%s" % (harness.qemu_caps().get(
        "QEMU_VERSION"), r.stderr)


@mark(bringup(1))
def test_exit_leaves_no_misleading_line():
    # Newer QEMUs stop the machine a little after the exit-port write: the
    # kernel must not say meanwhile that there is no exit device.
    r = harness.run("qemu-exit-quiet")
    r.expect_pass()
    r.expect_absent(r"no isa-debug-exit device")


@mark(bringup(1))
def test_exit_without_the_device_says_so():
    r = harness.run("qemu-exit-absent", make_extra=["QEMU_EXIT_DEVICE="], timeout=30,
                    stop_on=[r"^kernel_exit: no isa-debug-exit device at port 0xf4"])
    assert r.stopped_on, r.explain("no word that the exit device is missing")
    # ... where the boot had finished (exitat=smp), not after a panic.
    r.expect_in_order(r"^SMP: 1 of 1 CPUs started$", r"^kernel_exit: no isa-debug-exit")
    r.expect_absent(r"kernel panic")
