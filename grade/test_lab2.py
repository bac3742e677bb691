"""Lab 2: memory management. JOS's grade-lab2 tests, with their names and
points (70): each JOS self-check must succeed. Then the same checks on
machines JOS never had: memory sizes across the 4 GiB hole, GRUB's map."""

import functools
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
