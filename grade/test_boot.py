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
    # Free pages: all of RAM but the kernel, its tables and firmware areas.
    # Never more than the RAM QEMU was given; never much less.
    assert free <= ram_pages, r.explain("%d free pages exceed -m %s (%d pages)" % (free, mem, ram_pages))
    assert free >= ram_pages * 0.93, r.explain(
        "only %d pages free of -m %s (%d pages)" % (free, mem, ram_pages))
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
