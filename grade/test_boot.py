"""Booting: both loaders, the memory checks, and memory sizes from 64M to 6G."""

import re

import pytest

import harness
from labdeps import BOOT, mark

pytestmark = [pytest.mark.lab(4), mark(BOOT)]

CHECKS = [
    r"^check_page_free_list\(\) succeeded!",
    r"^check_page_alloc\(\) succeeded!",
    r"^check_page\(\) succeeded!",
    r"^check_kern_pgdir\(\) succeeded!",
]


@pytest.mark.parametrize("boot,protocol", [("direct", "PVH"), ("grub", "multiboot2")])
def test_boot_path_runs_memory_checks(boot, protocol):
    r = harness.run("boot-" + boot, boot=boot)
    r.expect_pass()
    r.expect(r"^boot: %s" % protocol)
    r.expect_in_order(*CHECKS)
    # The serial log is plain text, GRUB's part of it too.
    assert "\x1b" not in r.log, r.explain("terminal escape codes in the serial log")


@pytest.mark.parametrize("boot", ["direct", "grub"])
def test_boot_path_passes_kernel_command_line(boot):
    r = harness.run("cmdline-" + boot, boot=boot,
                    kargs="lab=4 monitor=off exitat=smp smpboot=parallel")
    r.expect_pass()
    r.expect(r'command line "lab=4 monitor=off exitat=smp smpboot=parallel"')
    r.expect_absent(r"warning: .*kernel argument")


def free_pages(run):
    m = run.first(r"Physical memory: (\d+) pages free of (\d+)")
    assert m, run.explain("no 'Physical memory: N pages free of M' line")
    nums = re.search(r"(\d+) pages free of (\d+)", m)
    return int(nums.group(1)), int(nums.group(2))


@pytest.mark.parametrize("mem,mib", [("64M", 64), ("512M", 512), ("3G", 3072), ("6G", 6144)])
def test_free_pages_fit_memory_size(mem, mib):
    r = harness.run("mem-" + mem, mem=mem)
    r.expect_pass().expect(*CHECKS)
    free, managed = free_pages(r)
    ram_pages = mib * 256
    # The memory map finds all of the RAM QEMU was given, but for at most
    # 1 MiB of holes and firmware areas.
    usable = r.first(r"^Memory map: \d+K of usable RAM")
    alloc = r.first(r"^boot_alloc: .*-0x[0-9a-f]+\]")
    assert usable and alloc, r.explain("no 'Memory map: NK of usable RAM' line, or no "
                                       "'boot_alloc: name [start-end], ...' line")
    usable_k = int(usable.split()[2][:-1])
    assert mib * 1024 - 1024 <= usable_k <= mib * 1024, r.explain(
        "%dK of usable RAM in the memory map of -m %s" % (usable_k, mem))
    # Free pages: all of the usable RAM but what the kernel took before its
    # page allocator ran (everything below the end of boot_alloc's last
    # range: low memory, the kernel image, its arrays) and what it takes
    # after (page tables, at most one per 512 pages, and a few more). The
    # kernel's size does not matter: it grows with the labs.
    footprint = max(int(end, 16) for end in re.findall(
        r"-0x([0-9a-f]+)\]", alloc)) // 4096 + 1
    floor = usable_k // 4 - footprint - ram_pages // 512 - 64
    assert free <= min(ram_pages, usable_k // 4), r.explain(
        "%d free pages exceed the usable RAM of -m %s (%d pages)" % (free, mem, usable_k // 4))
    assert free >= floor, r.explain(
        "only %d pages free of -m %s: %d usable, %d up to the end of boot_alloc's ranges; "
        "at least %d should be" % (free, mem, usable_k // 4, footprint, floor))
    if mib > 3 * 1024:
        # q35 puts RAM beyond 2 GiB above the 4 GiB hole: it must be used.
        top = r.first(r"highest usable address 0x[0-9a-f]+")
        assert top and int(top.split()[-1], 16) > 1 << 32, r.explain("RAM above 4 GiB unused")
        assert managed * 4096 > 1 << 32


def test_exit_status_says_pass_or_fail():
    # The same kernel, once told to exit normally and once made to panic.
    ok = harness.run("exit-pass")
    ok.expect_pass()
    bad = harness.run("exit-fail", kargs="monitor=off exitat=smp crash=pagefault")
    assert bad.status == harness.EXIT_FAIL, bad.explain("a panic must exit with the fail status")
