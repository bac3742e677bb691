"""Lab 2: memory management. JOS's grade-lab2 tests, with their names and
points (70): each JOS self-check must succeed. Then the same checks on
machines JOS never had: memory sizes across the 4 GiB hole, GRUB's map, a
map with a hole right after the kernel."""

import functools
import os
import re

import pytest

import harness
from labdeps import LAB2, LAB2_ALLOC, LAB2_PAGE, lab2, mark

pytestmark = [pytest.mark.lab(2), pytest.mark.part("Lab 2")]


@functools.lru_cache(maxsize=None)
def lab2_run():
    return harness.run("lab2", kargs="monitor=off lab=2")


@mark(lab2(LAB2_ALLOC))
@pytest.mark.points(20)
def test_check_page_alloc():
    lab2_run().expect(r"check_page_alloc\(\) succeeded!")


@mark(lab2(LAB2_PAGE))
@pytest.mark.points(20)
def test_check_page():
    lab2_run().expect(r"check_page\(\) succeeded!")


@mark(lab2(LAB2))
@pytest.mark.points(20)
def test_check_kern_pgdir():
    lab2_run().expect(r"check_kern_pgdir\(\) succeeded!")


@mark(lab2(LAB2))
@pytest.mark.points(10)
def test_check_page_installed_pgdir():
    lab2_run().expect(r"check_page_installed_pgdir\(\) succeeded!")


# ---------------------------------------------------------------------------
# Beyond JOS.

def expect_every_check(r):
    r.expect_pass()
    r.expect_in_order(r"^check_page_free_list\(\) succeeded!$",
                      r"^check_page_alloc\(\) succeeded!$", r"^check_page\(\) succeeded!$",
                      r"^check_kern_pgdir\(\) succeeded!$",
                      r"^check_page_free_list\(\) succeeded!$",
                      r"^check_page_installed_pgdir\(\) succeeded!$",
                      r"^lab=2: the boot stops here")


def expect_pages_managed(r):
    """The kernel manages every page up to the highest usable address of the
    firmware's map, as the boot log prints that map."""
    top = 0
    for m in r.all(r"^  mem \[0x([0-9a-f]+)-0x([0-9a-f]+)\] usable$"):
        top = max(top, (int(m.group(2), 16) + 1) & ~0xFFF)
    m = r.first(r"^Physical memory: \d+ pages free of \d+")
    assert top and m, r.explain("no usable memory map or no page count")
    managed = int(re.search(r"of (\d+)", m).group(1))
    assert managed == top // 4096, r.explain("the kernel manages %d pages; the map's highest "
                                             "usable address makes %d" % (managed, top // 4096))


@pytest.mark.part("Lab 2 beyond JOS")
@mark(lab2(LAB2))
@pytest.mark.parametrize("mem", ["32M", "3G", "6G"])
def test_page_tables_at_memory_sizes(mem):
    # 32M: the least the kernel boots in. 3G and 6G: q35 puts part of the
    # RAM above the 4 GiB hole, so the free list has spans on both sides
    # and the direct map reaches above 4 GiB.
    r = harness.run("lab2-mem-" + mem, mem=mem, kargs="monitor=off lab=2", timeout=120)
    expect_every_check(r)
    expect_pages_managed(r)
    if mem == "6G":
        assert r.first(r"^  mem \[0x0*1[0-9a-f]{8}-"), r.explain("no RAM above 4 GiB in the map")


@pytest.mark.part("Lab 2 beyond JOS")
@mark(lab2(LAB2))
def test_page_tables_under_grub():
    # GRUB's multiboot2 memory map, with GRUB's own structures in memory.
    r = harness.run("lab2-grub", boot="grub", kargs="monitor=off lab=2")
    expect_every_check(r)
    expect_pages_managed(r)


def memory_map(r):
    """[(first, last, type)]: the firmware's map as the boot log prints it,
    and the ranges memmap= reserved."""
    regions = [(int(m.group(1), 16), int(m.group(2), 16), m.group(3))
               for m in r.all(r"^  mem \[0x([0-9a-f]+)-0x([0-9a-f]+)\] (.*)$")]
    regions += [(int(m.group(1), 16), int(m.group(2), 16), "reserved (memmap=)")
                for m in r.all(r"^memmap: \[0x([0-9a-f]+)-0x([0-9a-f]+)\] reserved")]
    return regions


def boot_allocations(r):
    """[(what, first, last)]: where boot_alloc put the kernel's PML4, the
    pages array and the envs array, as the boot log says."""
    line = r.first(r"^boot_alloc: .*")
    assert line, r.explain("the boot log does not say where boot_alloc put its memory")
    found = [(m.group(1), int(m.group(2), 16), int(m.group(3), 16))
             for m in re.finditer(r"(\w+) \[0x([0-9a-f]+)-0x([0-9a-f]+)\]", line)]
    assert found, r.explain("no ranges on the boot_alloc line")
    return found


def expect_boot_allocations_usable(r):
    """Everything boot_alloc handed out lies in usable RAM (usable regions
    may abut), and touches no region of another type."""
    regions = memory_map(r)
    for what, first, last in boot_allocations(r):
        at = first
        while at <= last:
            nxt = max((b + 1 for a, b, t in regions if t == "usable" and a <= at <= b),
                      default=None)
            assert nxt is not None, r.explain("boot_alloc put %s at [%#x-%#x]; %#x is in no "
                                              "usable region" % (what, first, last, at))
            at = nxt
        for a, b, t in regions:
            assert t == "usable" or b < first or a > last, r.explain(
                "boot_alloc put %s at [%#x-%#x], over [%#x-%#x] (%s)" % (what, first, last,
                                                                        a, b, t))


def kernel_image_end():
    """The first physical page after the kernel image (the linker's end)."""
    with open(os.path.join(harness.ROOT, "obj", "kern", "kernel.sym")) as f:
        end = next(int(l.split()[0], 16) for l in f if l.split()[2:] == ["end"])
    return (end - 0xFFFFFFFF80000000 + 0xFFF) & ~0xFFF


@pytest.mark.part("Lab 2 beyond JOS")
@mark(lab2(LAB2))
@pytest.mark.parametrize("gap", [0, 8192], ids=["at-the-kernels-end", "8k-past-it"])
def test_boot_alloc_steps_over_a_hole_after_the_kernel(gap):
    # As OVMF keeps a region at 8 MiB: memory right after the kernel (or a
    # little of it, too little for the pages array) is not usable. JOS's
    # boot_alloc, which takes it anyway, hands out reserved memory.
    hole = kernel_image_end() + gap
    r = harness.run("lab2-hole-%d" % gap, kargs="monitor=off lab=2 memmap=4M:%#x" % hole)
    r.expect(r"^memmap: \[0x0*%x-0x0*%x\] reserved" % (hole, hole + (4 << 20) - 1))
    expect_every_check(r)
    expect_pages_managed(r)
    expect_boot_allocations_usable(r)
    for what, first, last in boot_allocations(r):
        assert last < hole or first >= hole + (4 << 20), r.explain(
            "boot_alloc put %s at [%#x-%#x], in the hole" % (what, first, last))


@pytest.mark.part("Lab 2 beyond JOS")
@mark(lab2(["boot_alloc", "mem_init_pages"]))
def test_boot_alloc_without_room_says_how_much_and_the_largest_range():
    # All but a little memory after the kernel reserved: the kernel's PML4
    # fits there, the pages array (1 MiB for 256 MiB) nowhere. A larger -m
    # would not help, and the panic must not say it would.
    hole = kernel_image_end() + (64 << 10)
    r = harness.run("lab2-no-room", kargs="monitor=off lab=2 memmap=%#x:%#x"
                    % ((256 << 20) - hole, hole))
    line = r.first(r"kernel panic .*")
    assert line and r.status == harness.EXIT_FAIL, r.explain("the kernel did not panic")
    m = re.search(r"boot_alloc: no room for 1048576 bytes: the largest usable range left "
                  r"between 1 MiB and 2 GiB, \[0x([0-9a-f]+)-0x([0-9a-f]+)\], holds (\d+) bytes$",
                  line)
    assert m, r.explain("the panic does not say how much boot_alloc was asked for and what the "
                        "largest usable range is: %s" % line)
    first, last = int(m.group(1), 16), int(m.group(2), 16)
    assert last == hole - 1 and int(m.group(3)) == last + 1 - first < 64 << 10, r.explain(
        "the largest usable range is the one below the hole, [%#x-%#x]" % (first, last))
    r.expect_absent(r"larger -m")


def page_free_crash(crash, what):
    """Boots with crash=`crash` (kern/init.cc): once mem_init is done,
    page_free gets a page it must refuse. It must panic, naming the page,
    in its own words."""
    r = harness.run("lab2-" + crash, kargs="monitor=off lab=2 crash=" + crash)
    line = r.first(r"^crash: page_free\(page 0x[0-9a-f]+\) .*")
    assert line, r.explain("the boot did not get to crash=%s (after mem_init)" % crash)
    pa = int(re.search(r"0x([0-9a-f]+)", line).group(1), 16)
    panic = r.first(r"kernel panic .*")
    assert panic and r.status == harness.EXIT_FAIL, r.explain(
        "page_free took %s (page %#x) without a panic" % (what, pa))
    assert not re.search(r"crash: page_free took", panic), r.explain(
        "page_free took %s (page %#x) without a panic" % (what, pa))
    assert re.search(r"\b(0x)?0*%x\b" % pa, panic), r.explain(
        "page_free's panic does not name the page (%#x): %s" % (pa, panic))


@pytest.mark.part("Lab 2 beyond JOS")
@mark(lab2(LAB2))
def test_page_free_panics_on_a_page_freed_twice():
    # A page on the free list twice makes the list a cycle: page_alloc
    # would hand it out twice.
    page_free_crash("freetwice", "a page it had freed already")


@pytest.mark.part("Lab 2 beyond JOS")
@mark(lab2(LAB2))
def test_page_free_panics_on_a_page_still_referenced():
    # A page freed while something still maps it would be handed out
    # again, to a second owner.
    page_free_crash("freeused", "a page with pp_ref 1")
