"""The x2APIC exercise on simulated local APICs (grade/lapicsim): this
tree's kern/lapic.cc and kern/apicbase.h, built for this machine, boot a
simulated machine whose APICs follow the Intel SDM. No QEMU feature is
needed, so these graders run, and count, on every machine; the QEMU graders
of the same exercise (test_qemu.py, test_smp.py) run on KVM or TCG where
either can show x2APIC.

What the simulator checks, on every CPU: the mode switch through
IA32_APIC_BASE (EN before EXTD; no step the SDM forbids), every register
access as MSR 0x800 + offset/16 once in x2APIC mode, the ICR as one 64-bit
write with the 32-bit destination in bits 63:32 after a fence, the 32-bit
ID, EOI, and that nothing touches the xAPIC page once x2APIC is on."""

import pytest

import lapicsim
from labdeps import mark

pytestmark = pytest.mark.lab(4)

X2APIC = mark(["x2apic"])


@X2APIC
def test_x2apic_simulated_serial_bringup_with_32_bit_apic_ids():
    # IDs above 255 (and above 65535) need every bit of the x2APIC
    # destination and ID; APs wake with their APIC enabled or disabled.
    r = lapicsim.run("sim-x2apic-serial", "--ids", "0,1,256,65538", "--ap-state", "mixed")
    r.expect_pass()
    r.expect_kernel("lapic: x2APIC mode (the CPU offers x2APIC)")


@X2APIC
def test_x2apic_simulated_parallel_bringup_from_disabled_apics():
    # Every AP's APIC disabled at wake-up: EN must be set before EXTD.
    r = lapicsim.run("sim-x2apic-parallel", "--count", "8", "--parallel", "--ap-state", "disabled")
    r.expect_pass()


@X2APIC
def test_x2apic_simulated_firmware_handover():
    # The firmware put every APIC in x2APIC mode (an APIC ID above 254):
    # the kernel stays there, even when told apic=xapic.
    r = lapicsim.run("sim-x2apic-firmware", "--ids", "0,256,300", "--firmware-x2apic",
                     "--apic", "xapic")
    r.expect_pass()
    r.expect_kernel("lapic: x2APIC mode (the firmware enabled it, as it does when APIC IDs "
                    "above 254 exist)")


@pytest.mark.no_exercises
def test_xapic_simulated_bringup():
    # xAPIC mode, through the MMIO page: what the x2APIC code must leave
    # working.
    r = lapicsim.run("sim-xapic", "--no-x2apic", "--count", "4", "--parallel")
    r.expect_pass()
    r.expect_kernel("lapic: xAPIC mode (the CPU does not offer x2APIC)")


@pytest.mark.no_exercises
def test_xapic_simulated_ids_above_254_are_not_started():
    # apic=xapic on a CPU that offers x2APIC: IDs above 254 cannot be sent
    # an IPI in xAPIC mode; the kernel says so and starts the others.
    r = lapicsim.run("sim-xapic-300", "--ids", "0,1,300", "--apic", "xapic")
    r.expect_pass()
    r.expect_kernel("warning: xAPIC mode cannot address APIC IDs above 254 (the largest here "
                    "is 300); those CPUs will not start")
    assert "2 of 3 CPUs started" in r.outcome(), r.explain("expected 2 of 3 CPUs to start")
