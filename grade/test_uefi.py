"""UEFI: the same GRUB ISO under OVMF (FIRMWARE=uefi), under TCG. The
memory checks and SMP bring-up as under a BIOS, user programs, the EFI
memory map, and a console drawn into the framebuffer (no text mode there)."""

import os
import re
import signal
import subprocess
import tempfile
import time

import pytest

import harness
import screen
from labdeps import envs, mark
from test_lab2 import expect_boot_allocations_usable, expect_pages_managed

# OVMF takes about 5 s to start under TCG, against half a second for SeaBIOS.
# Developer tests (make test); make grade, as in a student's tree, leaves
# them out.
pytestmark = [pytest.mark.slow, pytest.mark.developer]

CHECKS = [
    r"^check_page_free_list\(\) succeeded!",
    r"^check_page_alloc\(\) succeeded!",
    r"^check_page\(\) succeeded!",
    r"^check_kern_pgdir\(\) succeeded!",
]


def uefi_run(name, **kw):
    kw.setdefault("timeout", 120)
    return harness.run(name, boot="grub", firmware="uefi", **kw)


@pytest.mark.parametrize("cpus,smpboot", [
    pytest.param(n, how, marks=mark(envs(n, serial=how == "serial")), id="%d-%s" % (n, how))
    for n in (1, 4, 8) for how in ("serial", "parallel")])
def test_uefi_boot_checks_memory_starts_cpus_and_runs_programs(cpus, smpboot):
    r = uefi_run("uefi-%d-%s" % (cpus, smpboot), cpus=cpus,
                 kargs="monitor=off smpboot=%s run=hello" % smpboot)
    r.expect_pass()
    r.expect(r"^boot: multiboot2 \(GRUB\), UEFI firmware, command line ",
             r"^console: serial and framebuffer \d+x\d+, 32 bits at 0x[0-9a-f]+: \d+x\d+ characters$",
             r"^  EFI memory map, \d+ descriptors: .*conventional \d+ KiB",
             r"^SMP: CPUs from the ACPI MADT \(XSDT at ",
             r"^SMP: %d of %d CPUs started$" % (cpus, cpus),
             r"^hello, world$", r"^\[00001000\] exiting gracefully$")
    r.expect_in_order(*CHECKS)
    if cpus > 1 and smpboot == "parallel":
        r.expect(r"^SMP: parallel bring-up took ")
    # Every region of both memory maps is named; the kernel's part of the
    # log has no escape codes (OVMF's, before it, are taken out).
    r.expect_absent(r"^  mem .* unknown$", r"unknown", r"^warning:", r"^kernel panic",
                    r"\x1b", r"serial only")


@pytest.mark.parametrize("mem,cpus", [
    pytest.param(m, n, marks=mark(envs(n)), id="%s-%d" % (m, n))
    for m, n in (("1G", 1), ("2G", 4), ("4G", 4))])
def test_uefi_boot_alloc_finds_room_past_ovmfs_region_at_8mib(mem, cpus):
    # OVMF keeps a region of its own at 8 MiB: from 1 GiB on, the pages
    # array no longer fits between the kernel and it, and boot_alloc must
    # take its memory from a usable range further up.
    r = uefi_run("uefi-mem-%s-%d" % (mem, cpus), mem=mem, cpus=cpus, kargs="monitor=off")
    r.expect_pass()
    r.expect_in_order(*CHECKS)
    r.expect(r"^check_page_installed_pgdir\(\) succeeded!$",
             r"^SMP: %d of %d CPUs started$" % (cpus, cpus), r"^hello, world$")
    r.expect_absent(r"^kernel panic", r"^warning:")
    expect_pages_managed(r)
    expect_boot_allocations_usable(r)


def test_uefi_framebuffer_console_draws_the_boot():
    # The kernel waits in its monitor; QEMU's screendump is what a window
    # would show.
    with tempfile.TemporaryDirectory(prefix="smpjos-shot-") as d:
        shot = os.path.join(d, "screen.ppm")
        r = uefi_run("uefi-screen", cpus=4, kargs="",
                     steps=[(b"K> ", "monitor", "screendump %s" % shot),
                            (b"K> ", "monitor", "quit")])
        assert os.path.exists(shot), r.explain("QEMU wrote no screendump")
        picture = screen.Picture.from_ppm(shot)
    r.expect(r"^SMP: 4 of 4 CPUs started$")
    rows = screen.expect_screen_shows(r, picture)
    assert rows[-1] == "K>", r.explain("the screen's last row is %r, not the prompt" % rows[-1])


def free_display():
    """Starts Xvfb on a display of its choosing; returns (process, ':N')."""
    proc = subprocess.Popen(["Xvfb", "-displayfd", "1", "-screen", "0", "1280x1024x24",
                             "-nolisten", "tcp"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    line = proc.stdout.readline().decode().strip()
    assert line.isdigit(), "Xvfb did not say which display it took"
    return proc, ":" + line


def window_rows(picture, guest_width, guest_height, rows):
    """Which text rows of the guest's screen have anything lit in QEMU's
    window (GTK: a menu bar on top, the screen below it, scaled to the
    window's width)."""
    width = max((x for x in range(picture.width) if picture.lit(x, 2)), default=-1) + 1
    assert width > 100, "no QEMU window (its light menu bar) at the top of the X screen"
    top = next((y for y in range(2, 200) if not picture.lit(width // 2, y)), None)
    assert top is not None, "the window's menu bar does not end"
    f = width / guest_width
    lit = []
    for r in range(rows):
        y0, y1 = top + int(r * guest_height / rows * f), top + int((r + 1) * guest_height / rows * f)
        lit.append(any(picture.lit(x, y) for y in range(y0, y1) for x in range(0, width, 1)))
    return lit


def test_make_qemu_uefi_shows_the_kernel_in_the_window(tmp_path):
    # make qemu with a display: QEMU's window (GTK). The guest's screen, read
    # back through QEMU's screendump, shows the serial log's text; the X
    # screen, captured with xwd, shows that screen in the window: text on
    # the same rows.
    xvfb, display = free_display()
    env = dict(os.environ, DISPLAY=display)
    monitor = tempfile.mktemp(prefix="smpjos-mon-")
    qemu = subprocess.Popen(
        ["make", "-s", "--no-print-directory", "qemu", "FIRMWARE=uefi", "CPUS=2", "KARGS=",
         "QEMUEXTRA=-monitor unix:%s,server,nowait" % monitor, *harness.qemu_vars()],
        cwd=harness.ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, start_new_session=True)
    out = b""
    try:
        os.set_blocking(qemu.stdout.fileno(), False)
        deadline = time.monotonic() + 120
        while b"K> " not in out and qemu.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
            out += qemu.stdout.read() or b""
        assert b"K> " in out, "make qemu FIRMWARE=uefi never reached the monitor:\n%s" % (
            out.decode(errors="replace")[-3000:])
        # The window redraws at its own pace, later on a busy host: the X
        # screen is read between two screendumps a second apart that show
        # the same guest screen (at most ten tries), so that the window had
        # that second to catch up.
        ppm, xwd = tmp_path / "guest.ppm", tmp_path / "root.xwd"
        before = tmp_path / "before.ppm"
        for _ in range(10):
            harness._monitor_command(monitor, "screendump %s" % before)
            time.sleep(1)
            with open(xwd, "wb") as f:
                subprocess.run(["xwd", "-root", "-silent"], env=env, stdout=f, check=True,
                               timeout=30)
            harness._monitor_command(monitor, "screendump %s" % ppm)
            if before.exists() and ppm.exists() and before.read_bytes() == ppm.read_bytes():
                break
        harness._monitor_command(monitor, "quit")
        qemu.wait(timeout=30)
    finally:
        for p in (qemu, xvfb):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        if os.path.exists(monitor):
            os.unlink(monitor)
    log = out.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
    run = harness.QemuRun("uefi-window", None, qemu.returncode,
                          harness.strip_firmware_escapes(log), "", "", 0, "make qemu FIRMWARE=uefi")
    guest = screen.Picture.from_ppm(str(ppm))
    rows = screen.expect_screen_shows(run, guest)
    _, _, nrows = screen.console_geometry(run)
    rows = rows + [""] * (nrows - len(rows))
    window = window_rows(screen.Picture.from_xwd(str(xwd)), guest.width, guest.height, nrows)
    want = [bool(r) for r in rows]
    assert window == want and sum(want) > 20, run.explain(
        "the window's rows with text: %s\nthe guest screen's: %s" % (
            "".join("x" if w else "." for w in window), "".join("x" if w else "." for w in want)))
