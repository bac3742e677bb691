"""The build's interface: wrong make variables, missing packages, gdb."""

import contextlib
import json
import dataclasses
import os
import re
import shlex
import shutil
import socket
import subprocess
import tarfile
import sys
import threading
import time
import types

import pytest

import conftest
import harness

# A test of the project itself, not a lab grader: `make test` runs it,
# `make grade` leaves it out (student trees do not have it).
pytestmark = pytest.mark.developer


BAD_VARIABLES = [
    ("CPUS=0", "CPUS=0 is not valid: CPUS takes a number of CPUs from 1 to "),
    ("CPUS=abc", "CPUS=abc is not valid"),
    ("CPUS=-2", "CPUS=-2 is not valid"),
    ("QEMU=/nonexistent/qemu", "QEMU=/nonexistent/qemu is neither a qemu-system-x86_64 command"),
    ("BOOT=floppy", "BOOT=floppy is not valid: BOOT takes grub"),
    ("KVM=yes", "KVM=yes is not valid: KVM takes 0"),
    ("X2APIC=maybe", "X2APIC=maybe is not valid: X2APIC takes default, on or off"),
    ("MEM=lots", "MEM=lots is not valid: MEM takes a size in MiB or GiB, like 64M"),
    ("MEM=2T", "MEM=2T is not valid: MEM takes a size in MiB or GiB, like 64M"),
    ("MEM=16M", "MEM=16M is too small: the kernel needs at least MEM=32M"),
    ("MEM=16m", "MEM=16m is too small: the kernel needs at least MEM=32M"),
    ("KARGS=apic='x2apic'", "KARGS must not contain quotes"),
    ("KARGS=memmap=4M$0x400000", "KARGS must not contain '$': make, the shell and GRUB"),
    ("KARGS=memmap=4M$$0x400000", "for memmap=SIZE$ADDR write memmap=SIZE:ADDR"),
    ("DISK=/dev/null", "DISK=/dev/null is empty (0 bytes): the disk would have no sectors"),
    ("FIRMWARE=efi", "FIRMWARE=efi is not valid: FIRMWARE takes bios (SeaBIOS) or uefi (OVMF)"),
]


@pytest.mark.parametrize("var,needle", BAD_VARIABLES, ids=[v for v, _ in BAD_VARIABLES])
def test_bad_make_variable_names_itself(var, needle):
    p = harness.make("print-qemu", var, check=False)
    assert p.returncode != 0, "make accepted %s:\n%s" % (var, p.stdout)
    assert needle in p.stderr, "for %s make said:\n%s" % (var, p.stderr)
    assert p.stderr.count("***") == 1, "expected one error line:\n" + p.stderr


def test_kvm_without_device_is_refused():
    # KVM_DEV points the check elsewhere, as on a machine without KVM.
    p = harness.make("print-qemu", "KVM=1", "KVM_DEV=/nonexistent/kvm", check=False)
    assert p.returncode != 0
    assert "KVM=1 needs read-write access to /nonexistent/kvm" in p.stderr, p.stderr
    assert "use KVM=0" in p.stderr


def test_uefi_needs_grub_and_no_pvm_kvm():
    p = harness.make("print-qemu", "FIRMWARE=uefi", "BOOT=direct", check=False)
    assert p.returncode != 0 and p.stderr.count("***") == 1, p.stderr
    assert "FIRMWARE=uefi needs BOOT=grub" in p.stderr, p.stderr
    # As on a nested PVM host (KVM_PVM names the module's folder there), with
    # a device the KVM check accepts.
    p = harness.make("print-qemu", "FIRMWARE=uefi", "KVM=1", "KVM_DEV=/dev/null",
                     "KVM_PVM=/sys/module/kvm_pvm", check=False)
    assert p.returncode != 0 and p.stderr.count("***") == 1, p.stderr
    assert "OVMF does not run under this host's nested KVM" in p.stderr, p.stderr
    assert "use KVM=0" in p.stderr, p.stderr


def test_uefi_runs_get_their_own_variable_store():
    lines = [harness.make("print-qemu", "FIRMWARE=uefi").stdout for _ in range(2)]
    stores = []
    for cmd in lines:
        assert "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd" in cmd, cmd
        m = re.search(r"if=pflash,format=raw,file=(\S+)", cmd)
        assert m and "smpjos-uefi.iso" in cmd, cmd
        stores.append(os.path.join(harness.ROOT, m.group(1)))
    try:
        assert stores[0] != stores[1], "two runs share the variable store %s" % stores[0]
        with open("/usr/share/OVMF/OVMF_VARS_4M.fd", "rb") as f:
            template = f.read()
        for path in stores:
            with open(path, "rb") as f:
                assert f.read() == template, "%s is not a copy of OVMF_VARS_4M.fd" % path
    finally:
        for path in stores:
            if os.path.exists(path):
                os.unlink(path)


def test_good_variables_reach_qemu():
    p = harness.make("print-qemu", "CPUS=6", "SMPOPTS=sockets=2,cores=3", "MEM=512M",
                     "BOOT=direct", "X2APIC=off", "KARGS=apic=xapic")
    cmd = p.stdout
    for want in ("-smp 6,sockets=2,cores=3", "-m 512M", "-cpu qemu64,-x2apic",
                 "-kernel obj/kern/kernel", "-append 'apic=xapic'", "-machine q35",
                 "isa-debug-exit"):
        assert want in cmd, "%r missing from %s" % (want, cmd)


def test_runs_of_one_name_take_turns():
    # pytest-xdist's workers each make a module's shared boot (lab 1's
    # lab1_run) at the same moment, under one name and so one set of log
    # files: if both QEMUs ran at once, one would unlink the other's QEMU
    # log (the run then fails on a file that is not there) or read it.
    both = threading.Barrier(2)
    runs = []

    def one():
        both.wait()
        runs.append(harness.run("same-name", kargs="monitor=off exitat=smp", timeout=60))

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(runs) == 2, "a run raised (see the captured output)"
    for r in runs:
        assert r.status == harness.EXIT_PASS, r.explain("each boot must pass")
        assert "CPU Reset" in r.qemu_log, "a run lost its own QEMU log:\n" + r.qemu_log[-500:]
    first, second = sorted(r.span for r in runs)
    assert first[1] <= second[0], "the runs overlapped: %r and %r" % (first, second)


def test_a_shared_runs_marks_are_each_tests_own(monkeypatch):
    # Lab 1's graders read one boot. A failing test's marked log must show
    # what it looked for, not what the tests before it found.
    r = harness.QemuRun("shared-marks", harness.Boot(), harness.EXIT_PASS,
                        "first line\nsecond line\n", "", "", 0.0, "qemu")
    monkeypatch.setenv("PYTEST_CURRENT_TEST", "grade/test_x.py::test_one (call)")
    r.expect("^first line$")
    monkeypatch.setenv("PYTEST_CURRENT_TEST", "grade/test_x.py::test_two[a b] (call)")
    with pytest.raises(AssertionError) as failed:
        r.expect("^second line$", r"^third \(line\)$")
    marked = os.path.join(harness.LOGDIR, "shared-marks.test_two_a_b_.marked.log")
    # The pattern as written, as JOS shows it: not repr's doubled backslashes.
    assert str(failed.value).startswith(r"missing from the serial log: '^third \(line\)$'"), \
        str(failed.value)
    assert os.path.relpath(marked, harness.ROOT) in str(failed.value), str(failed.value)
    # make grade's one line for the failure names both logs.
    line = conftest.summarize(failed.value)
    assert line.endswith("[log: obj/grade/shared-marks.log, marks: %s]"
                         % os.path.relpath(marked, harness.ROOT)), line
    with open(marked) as f:
        lines = f.read().splitlines()
    assert lines == ["        first line", "GOOD    second line", r"MISSING '^third \(line\)$'"], lines


@pytest.mark.parametrize("boot", [
    dict(),
    dict(cpus=4, kargs="monitor=off run=hello*4", disk="DISK"),
    dict(cpus=8, smpopts="sockets=2,cores=4", kargs="lab=5 fs=on", disk="DISK"),
    dict(cpus=2, kargs="", disk=""),
    dict(mem="4G", x2apic="on", kargs="lab=2", disk=None),
    dict(make_extra=["TCG_CPU=qemu64,+smep,+smap"], kargs="crash=smap"),
    dict(make_extra=["QEMU_EXIT_DEVICE="]),
    # What the shell would change (make refuses a '$'), or make_extra
    # overrides: make's own line.
    dict(kargs="b=`id -u` c=\\t"),
    dict(make_extra=["KARGS=other"]),
    dict(disk="DISK", make_extra=["DISK="]),
], ids=["default", "disk", "topology", "nodisk", "makesdefault", "tcgcpu", "noexit",
        "shellwords", "extrakargs", "extradisk"])
def test_harness_runs_the_line_make_prints(boot, tmp_path):
    # The harness asks make once for boots that differ only in KARGS and
    # DISK, and puts each boot's own into the line: it must be make's line.
    if boot.get("disk") == "DISK":
        boot["disk"] = str(tmp_path / "fs.img")
        (tmp_path / "fs.img").write_bytes(b"\0" * 4096)
    b = harness.Boot(**boot)
    want = shlex.split(harness.make("print-qemu", *b.make_vars()).stdout.strip())
    for _ in range(2):      # asked of make, then remembered
        assert harness.qemu_command(b) == want
    # Another boot with the same line but for its KARGS and DISK.
    other = dataclasses.replace(b, kargs=b.kargs + " schedtrace=on",
                                disk=(str(tmp_path / "other.img") if b.disk else b.disk))
    if other.disk:
        (tmp_path / "other.img").write_bytes(b"\0" * 4096)
    want = shlex.split(harness.make("print-qemu", *other.make_vars()).stdout.strip())
    assert harness.qemu_command(other) == want


def test_machine_leaves_out_what_tcg_does_not_need():
    # Under TCG, QEMU 10's start grows with the square of the CPU count while
    # each CPU has an SMM address space (8.5 s and 1.5 GB at 288 CPUs, 2.3 s
    # and 160 MB without), and an IOMMU only slows a big bring-up: neither is
    # used here (docs/performance.md).
    for cpus in (["CPUS=4"], ["CPUS=2", "SMPOPTS=maxcpus=288"]):
        cmd = harness.make("print-qemu", "BOOT=direct", "KVM=0", *cpus).stdout
        assert "-machine q35,smm=off " in cmd, cmd
        assert "intel-iommu" not in cmd, cmd


def test_qemu_target_reports_a_panic_as_a_failure():
    # monitor=off: the kernel exits QEMU itself; a panic must fail make.
    p = harness.make("qemu-nox", "BOOT=direct", "CPUS=2",
                     "KARGS=monitor=off exitat=smp crash=pagefault", check=False, timeout=120)
    assert p.returncode != 0, "make qemu-nox succeeded after a panic:\n" + p.stdout[-2000:]
    assert "the kernel panicked and exited QEMU (status 35)" in p.stderr, p.stderr


def test_missing_package_prints_the_apt_get_line(tmp_path):
    # As a user who cannot install: no root, no sudo, and no QEMU on PATH.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("sh", "id", "sed", "cat"):
        os.symlink(shutil.which(tool), bindir / tool)
    env = {"PATH": str(bindir)}
    cmd = [str(harness.ROOT) + "/conf/need.sh", "qemu", "iso"]
    # Run as nobody when the tests run as root (sudo is off PATH either way).
    as_nobody = dict(user=65534, group=65534, extra_groups=[]) if os.geteuid() == 0 else {}
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=30, **as_nobody)
    assert p.returncode == 1, p.stderr
    assert "these Debian packages are missing: qemu-system-x86" in p.stderr, p.stderr
    assert ("install them with:  sudo apt-get update && sudo apt-get install -y "
            "--no-install-recommends qemu-system-x86") in p.stderr, p.stderr
    assert "grub-common" in p.stderr and "xorriso" in p.stderr


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc):
    """Waits (bounded) for QEMU's gdb stub to listen; fails with what make
    printed if it ended first."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if proc.poll() is not None:
            pytest.fail("make qemu-nox-gdb ended (status %d) before its gdb stub listened:\n%s"
                        % (proc.returncode, proc.stdout.read().decode(errors="replace")[-2000:]))
        time.sleep(0.1)
    pytest.fail("QEMU's gdb stub never listened on port %d" % port)


@contextlib.contextmanager
def qemu_waiting_for_gdb(*make_vars):
    """Starts `make qemu-nox-gdb` (bounded) and yields once its gdb stub
    listens; stops QEMU afterwards."""
    port = free_port()
    # DISK=: QEMU locks its disk image, and the other gdb test's QEMU may
    # have the tree's one open.
    vars_ = ["GDBPORT=%d" % port, "BOOT=direct", "KARGS=monitor=off", "DISK=", *make_vars]
    harness.make(".gdbinit", *vars_)
    qemu = subprocess.Popen(["timeout", "-k", "5", "90", "make", "-s", "qemu-nox-gdb"] + vars_,
                            cwd=harness.ROOT, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        wait_for_port(port, qemu)
        yield port
    finally:
        os.killpg(qemu.pid, 15)
        qemu.wait(timeout=30)


def gdb_batch(port, tmp_path, *commands):
    """Runs gdb with the generated .gdbinit, for the QEMU at port, and
    commands; returns its output. (Each test reads a copy with its own port:
    the tree's one .gdbinit is rewritten by every make qemu-nox-gdb, and
    another test's may run at the same time.)"""
    with open(os.path.join(harness.ROOT, ".gdbinit")) as f:
        text = re.sub(r"localhost:\d+", "localhost:%d" % port, f.read())
    gdbinit = tmp_path / "gdbinit"
    gdbinit.write_text(text)
    cmd = ["timeout", "60", "gdb", "-q", "-n", "-batch", "-x", str(gdbinit)]
    for c in commands:
        cmd += ["-ex", c]
    p = subprocess.run(cmd, cwd=harness.ROOT, capture_output=True, text=True)
    return p.stdout + p.stderr


def test_gdb_stops_at_a_kernel_breakpoint(tmp_path):
    with qemu_waiting_for_gdb("CPUS=2") as port:
        out = gdb_batch(port, tmp_path, "break check_page_alloc", "continue", "bt", "info threads", "kill")
    assert "Temporary breakpoint 1, kern_main" in out, out
    assert re.search(r"Breakpoint 2, .*check_page_alloc \(\)", out), out
    assert "mem_init" in out, "the backtrace should show the caller:\n" + out
    assert re.search(r"Thread 1\.2 \(CPU#1", out), "each vCPU should be a gdb thread:\n" + out


def test_gdb_stops_in_mp_main_on_an_ap(tmp_path):
    with qemu_waiting_for_gdb("CPUS=4") as port:
        out = gdb_batch(port, tmp_path, "break mp_main", "continue", "info threads", "kill")
    hit = re.search(r"Thread (?:1\.)?(\d+) hit Breakpoint 2, mp_main \(c=0x[0-9a-f]+ <cpus\+\d+>\)", out)
    assert hit, out
    assert hit.group(1) != "1", "mp_main runs on APs, not the boot CPU:\n" + out
    for n in range(1, 5):
        assert re.search(r"Thread 1\.%d \(CPU#%d" % (n, n - 1), out), out


def test_make_qemu_prints_just_the_command_line():
    # A student copies the line make prints: the QEMU command, nothing of
    # the exit-status handling around it.
    p = harness.make("qemu-nox", "BOOT=direct", "CPUS=1", "KARGS=monitor=off exitat=smp",
                     *harness.qemu_vars(), check=False, timeout=120)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    want = harness.make("print-qemu", "BOOT=direct", "CPUS=1", "KARGS=monitor=off exitat=smp",
                        *harness.qemu_vars()).stdout.strip()
    first = p.stdout.splitlines()[0]
    assert first.split() == want.split(), "make printed:\n%s\nnot the command line:\n%s" % (
        first, want)
    for leak in ("s=$?", "case ", "esac", "exit $s"):
        assert leak not in p.stdout + p.stderr, "make showed its shell snippet:\n" + p.stdout[:2000]
    assert "the kernel finished and exited QEMU (status 33)" in p.stderr, p.stderr


def test_run_of_a_shell_tool_says_where_it_prints():
    # ls started by the kernel has no file descriptor 1, so it prints
    # nothing: make says why, and how to reach it through the shell.
    args = ["BOOT=direct", "DISK=", "KARGS=monitor=off exitat=entry", *harness.qemu_vars()]
    p = harness.make("run-ls-nox", *args, check=False, timeout=120)
    assert "smpjos: ls reads and writes file descriptors 0 and 1" in p.stderr and \
        "make shell-nox, then type ls." in p.stderr, p.stderr
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    p = harness.make("run-hello-nox", *args, check=False, timeout=120)
    assert "file descriptors" not in p.stderr, p.stderr


def test_run_of_no_such_program_is_refused():
    p = harness.make("run-hellp-nox", "BOOT=direct", check=False)
    assert p.returncode != 0, p.stdout
    assert "run-hellp-nox: there is no user program 'hellp' (user/hellp.cc); the programs " \
        "are: " in p.stderr and " hello " in p.stderr, p.stderr


def test_editors_get_a_compilation_database():
    # make writes obj/compile_commands.json; clangd (.clangd) and VS Code
    # (.vscode/settings.json) read it. Every kernel and user file is there,
    # and its command compiles the file as make does (clang's syntax check
    # stands in for an editor).
    import json
    harness.make("compile_commands.json")
    with open(os.path.join(harness.ROOT, "obj", "compile_commands.json")) as f:
        entries = {e["file"]: e for e in json.load(f)}
    for f in ("kern/init.cc", "kern/pmap.cc", "lib/printfmt.cc", "user/hello.cc"):
        assert f in entries, "%s is not in the compilation database" % f
    kern = entries["kern/init.cc"]["arguments"]
    assert "-std=c++20" in kern and "-I." in kern and "-ffreestanding" in kern, kern
    assert "-DJOS_USER" in entries["user/hello.cc"]["arguments"]
    args = [a for a in kern[1:] if a != "-fno-tree-loop-distribute-patterns"]
    args = args[:args.index("-c")]
    # (clang warns of GCC's optimization flags it does not know: not errors.)
    p = subprocess.run(["clang++", *args, "-Wno-error", "-fsyntax-only", "kern/init.cc"],
                       cwd=harness.ROOT,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-3000:]


def test_pretend_kvm_without_a_stand_in_names_the_fix(monkeypatch):
    # As on a machine with no /dev/kvm, a system QEMU without x2APIC under
    # TCG and no make fetch-qemu: a KVM grader under PRETEND=kvm cannot
    # boot, and says what to fetch.
    monkeypatch.setattr(harness, "PRETEND", {"kvm"})
    monkeypatch.setattr(harness, "real_kvm_kind", lambda: None)
    monkeypatch.setattr(harness, "x2apic_tcg_qemu", lambda hidden_ok=False: None)
    monkeypatch.setattr(harness, "qemu_caps", lambda qemu=None: {"QEMU_VERSION": "7.2.22"})
    problem = harness.stand_in_problem()
    assert problem and "QEMU 7.2.22 does not" in problem and "make fetch-qemu" in problem, problem
    with pytest.raises(RuntimeError, match="make fetch-qemu"):
        harness.kvm_stand_in(harness.Boot(kvm=True))
    monkeypatch.setattr(harness, "x2apic_tcg_qemu", lambda hidden_ok=False: "/q2" if hidden_ok else None)
    assert harness.stand_in_problem() is None       # a hidden second QEMU stands in
    monkeypatch.setattr(harness, "real_kvm_kind", lambda: "hardware")
    monkeypatch.setattr(harness, "x2apic_tcg_qemu", lambda hidden_ok=False: None)
    assert harness.stand_in_problem() is None       # real hardware KVM needs no stand-in
    # A paravirtual KVM is not the hardware KVM PRETEND=kvm asks for.
    monkeypatch.setattr(harness, "real_kvm_kind", lambda: "paravirtual")
    assert "PRETEND=kvm: without hardware KVM here" in harness.stand_in_problem()
    monkeypatch.setattr(harness, "PRETEND", {"pvm"})
    assert harness.stand_in_problem() is None       # ... but it is what PRETEND=pvm asks for


@pytest.mark.parametrize("pretend,real,kind,stands_in", [
    ((), "paravirtual", "paravirtual", False),
    ((), "hardware", "hardware", False),
    ((), None, None, False),
    (("nokvm",), "paravirtual", None, False),
    (("kvm",), "paravirtual", "hardware", True),
    (("kvm",), "hardware", "hardware", False),
    (("kvm",), None, "hardware", True),
    (("pvm",), "paravirtual", "paravirtual", False),
    (("pvm",), None, "paravirtual", True),
    (("pvm",), "hardware", "paravirtual", True),
])
def test_pretend_gives_each_kind_of_kvm(monkeypatch, pretend, real, kind, stands_in):
    monkeypatch.setattr(harness, "PRETEND", set(pretend))
    monkeypatch.setattr(harness, "real_kvm_kind", lambda: real)
    assert harness.kvm_kind() == kind
    assert harness.kvm_stands_in() == stands_in
    assert harness.kvm_available() == (kind is not None)


def test_pretend_refuses_two_kinds_of_kvm(monkeypatch):
    monkeypatch.setattr(harness, "PRETEND", {"kvm", "pvm"})
    assert "kvm and pvm contradict" in harness.pretend_problem()
    monkeypatch.setattr(harness, "PRETEND", {"nokvm", "pvm"})
    assert "nokvm and pvm contradict" in harness.pretend_problem()


def test_a_paravirtual_kvm_boot_gets_longer_bounds(monkeypatch):
    # A paravirtual KVM runs kernel code many times slower than TCG: a KVM
    # boot there is bounded by a multiple of the test's timeout.
    seen = []
    monkeypatch.setattr(harness, "_run_named", lambda safe, boot: seen.append(boot))
    for kind, factor in (("paravirtual", harness.PARAVIRTUAL_BOUND_FACTOR), ("hardware", 1)):
        monkeypatch.setattr(harness, "kvm_kind", lambda: kind)
        monkeypatch.setattr(harness, "kvm_stands_in", lambda: False)
        harness.run("bound-kvm", kvm=True, timeout=10)
        harness.run("bound-tcg", kvm=False, timeout=10)
        assert [b.timeout for b in seen] == [10 * factor, 10], (kind, seen)
        seen.clear()


def test_the_kernel_uses_no_instruction_a_paravirtual_kvm_lacks():
    # KVM without hardware virtualization (PVM) runs the guest's kernel in
    # its instruction emulator, which has no clac or stac: a kernel that
    # uses one stops there under KVM on such a host (the trap entry's clac
    # stopped every KVM boot). RFLAGS.AC is set and cleared through popfq.
    kernel = os.path.join(harness.ROOT, "obj", "kern", "kernel")
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", kernel], capture_output=True,
                         text=True, check=True).stdout
    assert "<trapret>:" in out, "objdump did not disassemble the kernel"
    bad = [l.strip() for l in out.splitlines() if re.search(r"\t(clac|stac)\b", l)]
    assert not bad, "the kernel uses instructions a paravirtual KVM lacks:\n" + "\n".join(bad[:10])


@pytest.mark.parametrize("dev,pvm,flags,kind", [
    (False, False, "vmx", "none"),
    (True, True, "fpu", "paravirtual"),
    (True, False, "fpu vmx sse", "hardware"),
    (True, False, "fpu svm", "hardware"),
    (True, False, "fpu sse", "paravirtual"),
])
def test_kvm_caps_tells_the_kind_of_kvm(tmp_path, dev, pvm, flags, kind):
    # Hardware KVM: the CPU shows vmx or svm. Paravirtual (PVM): /dev/kvm
    # without them, or PVM's module loaded.
    kvm = tmp_path / "kvm"
    if dev:
        kvm.write_text("")
    modules = tmp_path / "module"
    (modules / ("kvm_pvm" if pvm else "kvm")).mkdir(parents=True)
    (tmp_path / "cpuinfo").write_text("processor\t: 0\nflags\t\t: %s\n" % flags)
    env = dict(os.environ, KVM_DEV=str(kvm), KVM_MODULE_DIR=str(modules),
               KVM_CPUINFO=str(tmp_path / "cpuinfo"))
    out = subprocess.run([os.path.join(harness.ROOT, "conf", "kvm-caps.sh"), "kind"], env=env,
                         capture_output=True, text=True, check=True).stdout
    assert out.split()[0] == kind, out


def test_print_qemu_caps_names_the_kind_of_kvm():
    p = harness.make("print-qemu-caps", "KVM_DEV=/nonexistent/kvm")
    caps = dict(l.split("=", 1) for l in p.stdout.splitlines() if "=" in l)
    assert caps.get("KVM_KIND") == "none", p.stdout
    assert caps.get("KVM_KIND_WHY") == "this machine has no /nonexistent/kvm", p.stdout
    assert "KVM_BOOT_MS" not in caps, p.stdout
    if harness.real_kvm_kind():
        # Where there is a KVM: its kind, and one short boot under it and
        # under TCG, in milliseconds.
        p = harness.make("print-qemu-caps")
        caps = dict(l.split("=", 1) for l in p.stdout.splitlines() if "=" in l)
        assert caps.get("KVM_KIND") == harness.real_kvm_kind(), p.stdout
        for key in ("KVM_BOOT_MS", "TCG_BOOT_MS"):
            assert re.fullmatch(r"\d+|timeout", caps.get(key, "")), p.stdout
        assert caps["TCG_BOOT_MS"] != "timeout", p.stdout


def test_handin_packs_the_tree_whatever_else_runs_in_it(tmp_path):
    # A student's tree: a git clone, an earlier lab's tarball, a new file of
    # their own, and a grader writing its logs under obj/ all the while.
    tree = tmp_path / "tree"
    subprocess.run(["git", "clone", "-q", harness.ROOT, str(tree)], check=True)
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=harness.ROOT, capture_output=True,
                             text=True, check=True).stdout.split("\0")
    for f in filter(None, tracked):       # this tree's files as they are now
        if os.path.isfile(os.path.join(harness.ROOT, f)):
            (tree / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(os.path.join(harness.ROOT, f), tree / f)
    subprocess.run(["git", "add", "-A", "."], cwd=tree, capture_output=True)
    subprocess.run(["git", "commit", "-qm", "the tree as it is"], cwd=tree, capture_output=True)
    (tree / "lab1-handin.tar.gz").write_bytes(b"an earlier hand-in")
    (tree / "user" / "mine.cc").write_text("// a student's own program\n")
    (tree / "obj" / "grade").mkdir(parents=True)
    stop = threading.Event()

    def busy():
        n = 0
        while not stop.is_set():
            (tree / "obj" / "grade" / ("run%d.log" % (n % 50))).write_text("x" * n)
            n += 1

    writer = threading.Thread(target=busy)
    writer.start()
    try:
        for _ in range(6):
            p = subprocess.run(["make", "-s", "handin", "LAB=2"], cwd=tree, capture_output=True,
                               text=True, timeout=120)
            assert p.returncode == 0, p.stdout + p.stderr
            assert "wrote lab2-handin.tar.gz" in p.stdout, p.stdout
    finally:
        stop.set()
        writer.join()
    with tarfile.open(tree / "lab2-handin.tar.gz") as tar:
        names = [n.removeprefix("./") for n in tar.getnames()]
    assert "user/mine.cc" in names and "GNUmakefile" in names and "kern/init.cc" in names, names
    bad = [n for n in names if n.startswith(("obj/", ".git/")) or n.endswith("-handin.tar.gz")]
    assert not bad, "the tarball holds build output, git's files or a tarball: %s" % bad[:5]
    status = subprocess.run(["git", "status", "--porcelain"], cwd=tree, capture_output=True,
                            text=True, check=True).stdout
    assert "handin" not in status, "git shows the tarballs:\n" + status
    # A tree that is no git repository: the same, without obj/ and tarballs.
    shutil.rmtree(tree / ".git")
    p = subprocess.run(["make", "-s", "handin", "LAB=3"], cwd=tree, capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    with tarfile.open(tree / "lab3-handin.tar.gz") as tar:
        names = [n.removeprefix("./") for n in tar.getnames()]
    assert "user/mine.cc" in names and "kern/init.cc" in names, names
    bad = [n for n in names if n.startswith("obj/") or n.endswith("-handin.tar.gz")]
    assert not bad, "the tarball holds build output or a tarball: %s" % bad[:5]


def test_a_wait_for_another_runs_lock_is_said_once_and_not_counted(monkeypatch, tmp_path):
    # Another grading process (another tree's make test, say) holds the
    # machine for an exclusive run for 3 s; a grader that wants to boot
    # waits, says so once naming the holder, and its wait is kept apart
    # from its own time. (Locks of their own: not this machine's, which
    # other trees' graders may hold.)
    monkeypatch.setenv("SMPJOS_LOCKS", str(tmp_path))
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; sys.path.insert(0, 'grade'); import harness\n"
         "import os; os.environ['PYTEST_CURRENT_TEST'] = 'grade/x.py::test_holding (call)'\n"
         "with harness._machine_share(True):\n"
         "    print('held', flush=True); time.sleep(3)\n"],
        cwd=harness.ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        said = []
        monkeypatch.setattr(harness, "say", said.append)
        monkeypatch.setattr(harness, "WAITED", [0.0])
        start = time.monotonic()
        with harness._machine_share(False):
            pass
        with harness._machine_share(False):     # no second line: it no longer waits
            pass
    finally:
        holder.wait(timeout=30)
    waited = time.monotonic() - start
    assert len(said) == 1, said
    assert "waits for an exclusive run" in said[0] and "test_holding in %s (pid %d)" % (
        harness.ROOT, holder.pid) in said[0], said
    assert 1.0 < harness.WAITED[0] <= waited + 0.1, (harness.WAITED, waited)
    # make grade's line: the test's own time, and the wait apart.
    report = conftest.GradeReport(types.SimpleNamespace())
    for when, duration, props in (("setup", 0.1, []), ("call", 190.0, [("waited", 189.5)]),
                                  ("teardown", 0.1, [("waited", 189.5)])):
        report.pytest_runtest_logreport(types.SimpleNamespace(
            nodeid="grade/test_lab1.py::test_printf", when=when, duration=duration,
            user_properties=[("points", 20), ("part", "Part A")] + props, skipped=False,
            failed=False, location=("grade/test_lab1.py", 1, "test_printf")))
    lines = []
    report.config._grade_start = time.monotonic()
    report.config.getoption = lambda name: None
    report.pytest_terminal_summary(types.SimpleNamespace(section=lambda *a: None,
                                                         write_line=lines.append))
    assert "  test_printf: OK (0.7s, after 190s waiting for other runs)" in lines, lines


def source_range(path, function):
    """The lines of `function`'s definition in path (JOS style: the name
    starts its line, the body ends at the first "}" in column 0)."""
    with open(os.path.join(harness.ROOT, path)) as f:
        src = f.read().split("\n")
    start = next(i for i, l in enumerate(src) if re.match(r"^%s\(" % function, l))
    end = next(i for i in range(start, len(src)) if src[i] == "}")
    return range(start + 1, end + 2)


def test_gdb_stops_in_the_function_broken_on_at_its_own_line(tmp_path):
    # Under -O2, a breakpoint on a function used to stop on a line of code
    # inlined at its start (kern_main at inc/x86.h:103, page_init at
    # boot_alloc's line): gdb must show the function's own file and line.
    where = {"kern_main": "kern/init.cc", "mem_init": "kern/pmap.cc",
             "page_init": "kern/pmap.cc", "env_init": "kern/env.cc", "trap_init": "kern/trap.cc"}
    breaks = [f for f in where if f != "kern_main"]
    with qemu_waiting_for_gdb("CPUS=1") as port:
        out = gdb_batch(port, tmp_path, *["break " + f for f in breaks],
                        *["continue"] * len(breaks), "kill")
    for fn, path in where.items():
        m = re.search(r"(?:Temporary breakpoint|Breakpoint) \d+, (?:\S+::)?%s \(.*\) at (\S+):(\d+)$"
                      % fn, out, re.M)
        assert m, "gdb did not stop in %s:\n%s" % (fn, out)
        lines = source_range(path, fn)
        assert m.group(1) == path and int(m.group(2)) in lines, (
            "gdb stopped in %s at %s:%s, not at a line of %s (%s:%d-%d)"
            % (fn, m.group(1), m.group(2), fn, path, lines.start, lines.stop - 1))


@pytest.mark.parametrize("cpus,progs", [(1, "yield*3,pingpong"), (4, "yield*3,pingpong,forktree"),
                                        (64, "yield*8,pingpong")])
def test_timeline_draws_what_the_boot_logged(tmp_path, cpus, progs):
    # make timeline boots once with trace=on (schedtrace=on too, here, as a
    # second witness) and draws it. What it drew must be what the boot
    # said: a span for each switch of a CPU to an environment, on that
    # CPU's row, and every environment on the CPUs it says it ran on.
    png = tmp_path / "t.png"
    p = harness.make("timeline", "CPUS=%d" % cpus, "BOOT=direct", "MEM=256M", "DISK=",
                     "KARGS=schedtrace=on run=%s" % progs, "TIMELINE=%s" % png, timeout=300)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10000, p.stdout
    log = (tmp_path / "t.log").read_text(errors="replace")
    drawn = json.loads((tmp_path / "t.json").read_text())
    assert drawn["ncpu"] == cpus
    assert re.search(r"^trace: begin, %d CPU\(s\), \d+ event\(s\), 0 dropped" % cpus, log, re.M), log
    switches = re.findall(r"^sched: CPU (\d+) runs ([0-9a-f]{8})$", log, re.M)
    assert switches, log[-2000:]
    for cpu in range(cpus):
        logged = [env for c, env in switches if int(c) == cpu]
        spans = [r["env"] for r in drawn["runs"][str(cpu)]]
        assert spans == logged, "CPU %d: drew %s, the boot switched to %s" % (cpu, spans, logged)
    for env, cpu in re.findall(r"^(?:Hello, I am|Back in) environment ([0-9a-f]{8}).*, cpu (\d+)\.$",
                               log, re.M):
        assert env in [r["env"] for r in drawn["runs"][cpu]], (
            "%s said it ran on CPU %s; the picture has no span of it there" % (env, cpu))
    sends = len(re.findall(r"^trace: \d+ cpu \d+ ipc-send ", log, re.M))
    assert len(drawn["ipc"]) == sends > 0, (drawn["ipc"], sends)
    for span in (r for rs in drawn["runs"].values() for r in rs):
        assert 0 <= span["start"] <= span["end"] <= drawn["end_us"], span
