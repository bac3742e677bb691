"""The QEMU harness every grader shares.

A test describes a boot (CPUs, memory, boot path, accelerator, kernel
arguments, extra QEMU arguments); the harness asks `make print-qemu` for the
command line (the same one `make qemu-nox` runs), starts QEMU under
`timeout -k`, feeds it optional console input, and keeps the serial log in
obj/grade/<test>.log. The result says in words what happened: the kernel
exited (pass or panic), a triple fault reset the machine, QEMU refused its
arguments, or the run timed out.
"""

import bisect
import difflib
import contextlib
import fcntl
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import dataclasses
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# lwIP's source package, as this tree fetched it (conf/fetch-lwip.sh): the
# trees the tests make and build (student trees, course clones, the
# autograder's) unpack it from here, not from Debian's archive again.
_LWIP_SRC = os.path.join(ROOT, "obj", "lwip", ".apt", "src")
if "LWIP_DSC_DIR" not in os.environ and os.path.isdir(_LWIP_SRC):
    os.environ["LWIP_DSC_DIR"] = _LWIP_SRC

# No network card in a boot of the harness's (every make it runs: make
# takes NET from the environment), unless a run asks for one on make's
# command line (lab 6: NET=user, with ports of its own). The tree's
# default, a card with host forwards on ports from the uid, would have
# parallel runs fight over those ports. (conftest's graders, bench/boot.py,
# labs/mkdocs.py and host/capture.py all boot through here.)
os.environ.setdefault("NET", "none")

# The trees the tests build (stub checks, mutants, the course clone, the
# autograder's submissions) compile mostly the same files: they share one
# compiler cache (make's COMPILE_CACHE), keyed by content, with paths
# relative to each tree's root (the debug info's build folder is whichever
# tree compiled a file first). A build of this tree by hand never uses it.
if shutil.which("ccache") and "COMPILE_CACHE" not in os.environ:
    os.environ.update(COMPILE_CACHE="ccache", CCACHE_BASEDIR="/", CCACHE_NOHASHDIR="1",
                      CCACHE_DIR=os.path.join(ROOT, "obj", "ccache"), CCACHE_MAXSIZE="2G")

# SMPJOS_QEMU: the QEMU every boot uses (make's QEMU=: a command or an
# unpacked folder), when not the system's. Its logs go in a folder of
# their own, so that the same test on two QEMUs keeps both.
QEMU = os.environ.get("SMPJOS_QEMU", "")
LOGDIR = os.path.join(ROOT, "obj", "grade", *(["qemu-" + re.sub(r"[^A-Za-z0-9_.-]", "_", os.path.basename(QEMU.rstrip("/")))] if QEMU else []))

# The lab of the grader running now (conftest sets it from the test's lab
# marker): its boots run the kernel with lab=N. None: the tree's own LAB.
CURRENT_LAB = None

# isa-debug-exit: QEMU's status is (value << 1) | 1 (see kern/exit.h).
EXIT_PASS = 33
EXIT_FAIL = 35
EXIT_TODO = 37      # the boot reached a stub: "lab N starts here: ..."
TIMEOUT_STATUSES = (124, 137)


# SMPJOS_PRETEND (make test PRETEND=...): what this machine should look
# like to the graders, so that one machine can try every kind a course runs
# on. Words, space- or comma-separated:
#   nokvm    as if /dev/kvm were absent
#   kvm      as if it were hardware KVM: KVM boots run under KVM where this
#            machine's is hardware, else they stand in under TCG, with the
#            CPU KVM gives (qemu64, which KVM makes offer x2APIC), on a QEMU
#            whose TCG emulates x2APIC (the one in use, or obj/qemu-backports)
#   pvm      as if it were paravirtual KVM (PVM, as on nested hosts without
#            hardware virtualization): KVM boots run under KVM where this
#            machine's is paravirtual, else they stand in as for kvm; either
#            way with a paravirtual KVM's longer bounds
#   noqemu2  as if there were no second QEMU in obj/qemu-backports
PRETEND_WORDS = ("nokvm", "kvm", "pvm", "noqemu2")
PRETEND = set(re.split(r"[\s,]+", os.environ.get("SMPJOS_PRETEND", "").strip())) - {""}
SECOND_QEMU = os.path.join(ROOT, "obj", "qemu-backports")
# The KVM kind each PRETEND word stands for.
PRETEND_KVM = {"nokvm": None, "kvm": "hardware", "pvm": "paravirtual"}
# A paravirtual KVM runs kernel code about 15 times slower than TCG (and 30
# times on a boot that mostly builds page tables): its boots get this many
# times the bound a test gives, which hardware KVM and TCG meet.
PARAVIRTUAL_BOUND_FACTOR = 4


def pretend_problem():
    """Why SMPJOS_PRETEND cannot be used as it is, or None."""
    unknown = PRETEND - set(PRETEND_WORDS)
    if unknown:
        return ("PRETEND=%s: unknown word(s) %s; PRETEND takes %s"
                % (" ".join(sorted(PRETEND)), ", ".join(sorted(unknown)), ", ".join(PRETEND_WORDS)))
    kinds = sorted(PRETEND & set(PRETEND_KVM))
    if len(kinds) > 1:
        return "PRETEND: %s contradict each other; give one" % " and ".join(kinds)
    return None


def stand_in_problem():
    """Why a pretended KVM cannot stand KVM boots in here, or None."""
    word = next(iter(PRETEND & {"kvm", "pvm"}), None)
    if word and kvm_stands_in() and x2apic_tcg_qemu(hidden_ok=True) is None:
        return ("PRETEND=%s: without %s KVM here, KVM boots stand in under TCG on a QEMU that "
                "emulates x2APIC, and there is none here (QEMU %s does not); make fetch-qemu "
                "brings one into obj/qemu-backports (PRETEND=noqemu2 still hides it from the "
                "other graders)" % (word, PRETEND_KVM[word], qemu_caps().get("QEMU_VERSION", "?")))
    return None


def real_kvm():
    return os.access("/dev/kvm", os.R_OK | os.W_OK)


_real_kind = []


def real_kvm_kind():
    """This machine's KVM, as make sees it (conf/kvm-caps.sh): "hardware",
    "paravirtual", or None."""
    if not _real_kind:
        out = subprocess.run([os.path.join(ROOT, "conf", "kvm-caps.sh"), "kind"],
                             capture_output=True, text=True).stdout.split()
        _real_kind.append(out[0] if out and out[0] != "none" else None)
    return _real_kind[0] if real_kvm() else None


def kvm_kind():
    """The KVM the graders see: this machine's, or the one PRETEND names."""
    for word, kind in PRETEND_KVM.items():
        if word in PRETEND:
            return kind
    return real_kvm_kind()


def kvm_available():
    """Whether KVM boots can run here (or stand in: PRETEND=kvm or pvm)."""
    return kvm_kind() is not None


def kvm_stands_in():
    """Whether KVM boots stand in under TCG: PRETEND names a kind of KVM
    this machine does not have."""
    kind = kvm_kind()
    return kind is not None and kind != real_kvm_kind()


def second_qemu():
    """The second QEMU (make fetch-qemu's obj/qemu-backports), or None."""
    if "noqemu2" in PRETEND:
        return None
    return SECOND_QEMU if os.path.isfile(os.path.join(SECOND_QEMU, "usr", "bin",
                                                       "qemu-system-x86_64")) else None


def qemu_vars(qemu=None):
    """The make variables that select a QEMU: the one in use by default."""
    qemu = QEMU if qemu is None else qemu
    return ["QEMU=%s" % qemu] if qemu else []


_caps = {}


def qemu_caps(qemu=None):
    """What a QEMU (the one in use by default) offers, as make's probe found
    it (conf/qemu-caps.sh): QEMU_VERSION, QEMU_Q35_MAX_CPUS,
    QEMU_TCG_X2APIC ("yes"/"no"), QEMU_TCG_MAX_CPUS."""
    qemu = QEMU if qemu is None else qemu
    if qemu not in _caps:
        out = make("print-qemu-caps", "KVM_TIMING=no", *qemu_vars(qemu)).stdout
        _caps[qemu] = dict(l.split("=", 1) for l in out.splitlines() if "=" in l)
    return _caps[qemu]


def tcg_x2apic(qemu=None):
    return qemu_caps(qemu).get("QEMU_TCG_X2APIC") == "yes"


def x2apic_tcg_qemu(hidden_ok=False):
    """A QEMU whose TCG emulates x2APIC: the one in use if it does, else the
    second QEMU if it does; None if neither. (hidden_ok: the second QEMU
    even where PRETEND=noqemu2 hides it, for the KVM stand-in.)"""
    if tcg_x2apic():
        return QEMU
    second = second_qemu() or (SECOND_QEMU if hidden_ok and os.path.isdir(SECOND_QEMU) else None)
    if second and os.path.abspath(second) != os.path.abspath(QEMU or "/nonexistent") \
            and tcg_x2apic(second):
        return second
    return None


def x2apic_backend(kvm_first=False):
    """How this machine can show a CPU that offers x2APIC, best first:
    "kvm" (with kvm_first: KVM, whose default CPU offers it), or "tcg" (a
    QEMU whose TCG emulates it: x2apic_tcg_qemu()); None if it cannot, and
    the simulator (grade/lapicsim) stands in."""
    if kvm_first and kvm_available():
        return "kvm"
    if x2apic_tcg_qemu():
        return "tcg"
    return None


def make(*args, env=None, check=True, timeout=600):
    """Runs make quietly in the project root; returns the CompletedProcess.
    It is a make of its own, not part of the one that may have started the
    graders (make -j4 grade): that one's flags would add its jobserver and
    "Entering directory" lines to what print-qemu prints."""
    cmd = ["make", "-s", "--no-print-directory", *args]
    env = {k: v for k, v in (env or os.environ).items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                          env=env, timeout=timeout)
    if check and proc.returncode != 0:
        raise RuntimeError("`%s` failed:\n%s%s" % (" ".join(cmd), proc.stdout, proc.stderr))
    return proc


@dataclass
class Boot:
    """One way to start the kernel."""
    cpus: int = 1
    mem: str = "256M"
    boot: str = "direct"
    firmware: str = "bios"      # with boot="grub": bios or uefi (OVMF)
    kvm: bool = False
    x2apic: str = "default"
    kargs: str = "monitor=off exitat=smp"   # boot, start every CPU, exit
    smpopts: str = ""
    qemu_extra: list = field(default_factory=list)
    make_extra: list = field(default_factory=list)   # more make variables
    timeout: float = 60.0
    stdin: bytes = b""          # console input, typed once `prompt` appears
    prompt: bytes = b"K> "
    # More control: (wait_for, action, data) steps, in order. Each waits
    # until wait_for has appeared in the output (or, if it is a function,
    # until it returns true for the output so far), then action "type" sends
    # data to the console, "monitor" runs data as a QEMU monitor command
    # (through a socket, so the guest's console output stays whole), or
    # "call" calls data() (a client on the host, say).
    steps: list = field(default_factory=list)
    # JOS's stop_on_line: regexes (str); the first complete serial line
    # that matches one ends the run (QEMU is told to quit through its
    # monitor). QemuRun.stopped_on is that line.
    stop_on: list = field(default_factory=list)
    # After a kernel panic, or a stub that stopped the boot ("lab N starts
    # here: ..."), a kernel in its monitor waits for ever: the run ends this
    # many seconds after that line (QemuRun.stopped_on is that line), unless
    # QEMU exits first (monitor=off). None: never.
    panic_grace: float = 3.0
    # A step after the first (which waits for the boot) that waits this
    # many seconds with no new output ends the run: the guest has lost
    # what the step before it typed, and would wait for it until the
    # timeout (QemuRun.stopped_on says so). None: wait until the timeout.
    stall: float = None
    # Run with no other grader's QEMU running on this machine, in this tree
    # or another (they wait): for tests of how work spreads over CPUs or of
    # how soon something happens, which a busy host skews.
    exclusive: bool = False
    # Which QEMU: None for the one in use (SMPJOS_QEMU), "" for the
    # system's, or a command or unpacked folder (obj/qemu-backports).
    qemu: str = None
    # The file system's disk (lab 5): None for a private copy of the image
    # make built (obj/fs/fs.img), made for the run and removed after it, so
    # that runs in parallel never share one (QEMU would refuse the second)
    # and each starts from the same disk; "" for no disk; or the path of an
    # image the test made, which the run writes to and leaves for it.
    disk: str = None

    def make_vars(self):
        kargs = self.kargs
        if CURRENT_LAB is not None and not re.search(r"(^| )lab=", kargs):
            kargs = ("lab=%d %s" % (CURRENT_LAB, kargs)).strip()
        return ["CPUS=%d" % self.cpus, "MEM=%s" % self.mem, "BOOT=%s" % self.boot,
                "FIRMWARE=%s" % self.firmware,
                "KVM=%d" % int(self.kvm), "X2APIC=%s" % self.x2apic,
                "KARGS=%s" % kargs, "SMPOPTS=%s" % self.smpopts,
                *(["DISK=%s" % self.disk] if self.disk is not None else []),
                *qemu_vars(self.qemu), *self.make_extra]


def kvm_stand_in(boot):
    """The boot PRETEND=kvm (or pvm) runs for a KVM boot on a machine
    without that kind of KVM: TCG, the same CPU model with x2APIC offered (as KVM offers
    it), on a QEMU whose TCG emulates x2APIC."""
    problem = stand_in_problem()
    if problem:
        raise RuntimeError(problem)
    qemu = x2apic_tcg_qemu(hidden_ok=True)
    return dataclasses.replace(boot, kvm=False, qemu=qemu,
                               x2apic="on" if boot.x2apic == "default" else boot.x2apic)


class QemuRun:
    """What one boot printed and how it ended."""

    def __init__(self, name, boot, status, log, stderr, qemu_log, elapsed, cmd, cpu_states=(),
                 monitor_out=(), stopped_on=None, quit_at=None):
        self.name = name
        self.boot = boot
        self.status = status
        self.log = log
        self.stderr = stderr
        self.qemu_log = qemu_log
        self.elapsed = elapsed
        self.cmd = cmd
        self.cpu_states = list(cpu_states)   # where each CPU was, if it timed out
        self.monitor_out = list(monitor_out)  # what each "monitor" step's command printed
        self.stopped_on = stopped_on          # the line that matched Boot.stop_on
        self.quit_at = quit_at                # a "quit" step's wait_for, if one ran
        self.lines = log.splitlines()
        if (stopped_on in self.lines and
                any(re.search(p, stopped_on) for p in boot.stop_on)):
            # A stop_on line ends the run, as JOS's stop_on_line does: what
            # follows it is whatever got out before QEMU quit, more of it on a
            # busy host (a "10" of "1013"), and no expectation reads it.
            # (After a panic, the grace period's lines are kept.)
            self.lines = self.lines[:self.lines.index(stopped_on) + 1]
        # What each test looked for: line index -> GOOD/BAD, and MISSING
        # patterns. A module's shared run (lab 1's one boot) is read by
        # several tests; each test's marks are its own.
        self._marks = {}

    @property
    def marks(self):
        return self._marks.setdefault(current_test(), ({}, []))[0]

    @property
    def missing(self):
        return self._marks.setdefault(current_test(), ({}, []))[1]

    @property
    def logfile(self):
        return os.path.join(LOGDIR, self.name + ".log")

    def outcome(self):
        """A short phrase for how the run ended."""
        if self.status == EXIT_PASS:
            return "kernel exited with the pass status"
        if self.status == EXIT_FAIL:
            panic = self.first(r"kernel panic on CPU .*")
            return "kernel panicked: %s" % (panic or "(no panic line; exit status 'fail')")
        if self.status == EXIT_TODO or self.first(r"^lab \d starts here: "):
            return "the boot stopped: %s" % (self.first(r"^lab \d starts here: .*") or
                                             "(exit status 'not done yet')")
        if self.stopped_on is not None:
            return ("stopped on the line %r" if self.stopped_on in self.lines else
                    "stopped: %s") % self.stopped_on
        if self.status in TIMEOUT_STATUSES:
            return "timed out after %.0fs" % self.boot.timeout
        if "Triple fault" in self.qemu_log:
            return ("triple fault: the CPU reset (a fault while the IDT, GDT, TSS or "
                    "stack was unusable)")
        if self.quit_at is not None and self.status == 0:
            return ("the harness quit QEMU once %s appeared" %
                    (repr(self.quit_at.decode("utf-8", "replace")) if isinstance(self.quit_at, bytes)
                     else "the output it waited for"))
        if self.status == 0:
            return "the machine reset or powered off without the exit device (status 0)"
        qemu_err = [l for l in self.stderr.splitlines() if "qemu-system" in l]
        if qemu_err:
            return "QEMU refused to run: %s" % " / ".join(qemu_err)
        return "QEMU exited with status %d" % self.status

    def first(self, pattern):
        """The first log line matching pattern (a regex), or None."""
        rx = re.compile(pattern)
        for line in self.lines:
            m = rx.search(line)
            if m:
                return m.group(0)
        return None

    def all(self, pattern):
        rx = re.compile(pattern)
        return [m for m in (rx.search(l) for l in self.lines) if m]

    def excerpt(self, n=25):
        tail = self.lines[-n:]
        return "\n".join("    | " + l for l in tail)

    def annotated(self):
        """The serial log with JOS's marks: GOOD on lines an expectation
        matched, BAD on lines that must not be there, and MISSING lines for
        expectations nothing matched."""
        out = ["%-8s%s" % (self.marks.get(i, ""), l) for i, l in enumerate(self.lines)]
        out += ["MISSING '%s'" % p for p in self.missing]
        return "\n".join(out) + "\n"

    def explain(self, problem):
        where = "".join("\n    " + s for s in self.cpu_states)
        test = current_test()
        own = test in ("", self.name, "test_" + self.name)   # a run of its own test's name
        marked = os.path.join(LOGDIR, self.name + ("" if own else "." + test) + ".marked.log")
        with open(marked, "w") as f:
            f.write(self.annotated())
        return ("%s\n  run: %s\n  outcome: %s%s\n  serial log: %s (last lines below; with "
                "GOOD/BAD/MISSING marks: %s)\n%s"
                % (problem, self.cmd, self.outcome(),
                   "\n  CPUs when it timed out:" + where if where else "",
                   os.path.relpath(self.logfile, ROOT), os.path.relpath(marked, ROOT),
                   self.excerpt()))

    def nearest(self, pattern, start=0):
        """The log line (from line `start` on) most like what pattern asks
        for, if one is alike enough to be what the kernel printed instead."""
        want = literal(pattern)
        best, score = None, 0.0
        for line in self.lines[start:start + 20000]:
            text = line.strip()
            if not text or not want:
                continue
            m = difflib.SequenceMatcher(None, want, text, autojunk=False)
            if m.real_quick_ratio() <= score or m.quick_ratio() <= score:
                continue
            ratio = m.ratio()
            if ratio > score:
                best, score = line, ratio
        return best if score >= 0.6 else None

    def _instead(self, pattern, start=0):
        near = self.nearest(pattern, start)
        return " (nearest line printed: '%s')" % near.strip() if near else ""

    def _find(self, pattern, start=0):
        rx = re.compile(pattern)
        for i in range(start, len(self.lines)):
            if rx.search(self.lines[i]):
                return i
        return None

    # -- assertions -------------------------------------------------------

    def expect_pass(self):
        if self.status != EXIT_PASS:
            raise AssertionError(self.explain("the kernel did not finish cleanly"))
        return self

    def expect(self, *patterns):
        """Every pattern (a regex) must match some line, in any order."""
        missing = []
        for p in patterns:
            i = self._find(p)
            if i is None:
                missing.append(p)
                self.missing.append(p)
            else:
                self.marks[i] = "GOOD"
        if missing:
            raise AssertionError(self.explain(
                "missing from the serial log: " + ", ".join(quoted(p) + self._instead(p)
                                                             for p in missing)))
        return self

    def expect_in_order(self, *patterns):
        """The patterns must match lines in this order."""
        i = 0
        for p in patterns:
            j = self._find(p, i)
            if j is None:
                self.missing.append(p)
                raise AssertionError(self.explain("not found in order: " + quoted(p) +
                                                  self._instead(p, i)))
            self.marks[j] = "GOOD"
            i = j + 1
        return self

    def expect_absent(self, *patterns):
        found = []
        for p in patterns:
            i = self._find(p)
            if i is not None:
                found.append(p)
                self.marks[i] = "BAD"
        if found:
            raise AssertionError(self.explain(
                "unexpected in the serial log: " + ", ".join(quoted(p) for p in found)))
        return self


FSIMG = os.path.join(ROOT, "obj", "fs", "fs.img")


def private_disk(into):
    """A copy of the disk image make built, in the folder `into`, for one
    run; "" (no disk) if there is none."""
    if not os.path.exists(FSIMG):
        return ""
    path = os.path.join(into, "fs.img")
    # Sparse: the image is mostly empty blocks.
    subprocess.run(["cp", "--sparse=always", FSIMG, path], check=True)
    return path


def _build_iso(boot):
    """BOOT=grub needs an ISO with this KARGS in grub.cfg; build it once,
    under a lock, since parallel tests may ask for the same one."""
    isolock = os.path.join(ROOT, "obj", "grade")   # one for the tree, whatever the QEMU
    os.makedirs(isolock, exist_ok=True)
    with open(os.path.join(isolock, ".iso.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        make("iso", *boot.make_vars())


# Stand-ins for KARGS and DISK in a direct boot's remembered command line:
# make only copies them into it (conf/check.mk's checks pass on both).
_KARGS_HOLE = "smpjos.kargs.here"
_DISK_HOLE = os.path.relpath(FSIMG, ROOT)


def qemu_command(boot):
    """The argument list `make qemu-nox` would run for this boot."""
    if boot.boot == "grub":
        _build_iso(boot)
    elif _fills_holes(boot):
        return _direct_command(boot)
    line = make("print-qemu", *boot.make_vars()).stdout.strip()
    return shlex.split(line)


def _fills_holes(boot):
    """Whether make would copy this boot's KARGS and DISK into its line as
    they are: words make and the shell leave alone, a disk that exists and
    is not empty (the checks conf/check.mk makes), and no make_extra of
    their own."""
    return (re.fullmatch(r"[\w=,.:*+/@%\- \t]*", boot.kargs) is not None and
            (not boot.disk or (re.fullmatch(r"[\w.:/@%+-]+", boot.disk) is not None
                               and os.path.isfile(boot.disk)
                               and os.path.getsize(boot.disk) > 0)) and
            not any(re.match(r"\s*(KARGS|DISK|QEMU_DISK)\b", v) for v in boot.make_extra))


def _direct_command(boot):
    """A direct boot's line from make, asked once per process for each
    boot that differs in more than KARGS and DISK (most boots differ only
    in those, and a make costs 0.1 s, two thousand times in make test):
    make's line with this boot's KARGS and DISK put in their places."""
    vars = boot.make_vars()
    # make drops the blanks that begin a command-line variable's value.
    kargs = next(v for v in vars if v.startswith("KARGS="))[len("KARGS="):].lstrip(" \t")
    fixed = [v for v in vars if not v.startswith(("KARGS=", "DISK="))]
    # No DISK (make's default image), DISK= (no disk), or a disk of its own.
    disk = {None: [], "": ["DISK="]}.get(boot.disk, ["DISK=" + _DISK_HOLE])
    key = tuple(fixed + disk)
    line = _direct_lines.get(key)
    if line is None:
        line = shlex.split(make("print-qemu", *fixed, "KARGS=" + _KARGS_HOLE,
                                *disk).stdout.strip())
        if line.count(_KARGS_HOLE) != 1 or (boot.disk and not any(
                a.startswith("file=%s," % _DISK_HOLE) for a in line)):
            raise RuntimeError("make print-qemu's line does not hold KARGS and DISK "
                               "where the harness expects them: %s" % shlex.join(line))
        _direct_lines[key] = line
    hole = "file=%s," % _DISK_HOLE
    return [kargs if a == _KARGS_HOLE else
            "file=%s,%s" % (boot.disk, a[len(hole):]) if boot.disk and a.startswith(hole) else a
            for a in line]


_direct_lines = {}


def _own_variable_store(cmd, into):
    """Under UEFI, print-qemu made a copy of OVMF's variable store for the
    line it printed; the run uses one in its own folder instead (removed
    with it), so that nothing of one run is left for the next."""
    out = []
    for arg in cmd:
        m = re.match(r"^(if=pflash,format=raw,file=)(.*/vars-\d+\.fd)$", arg)
        if m:
            made = os.path.join(ROOT, m.group(2))
            mine = os.path.join(into, "ovmf-vars.fd")
            shutil.copyfile(made, mine)
            os.unlink(made)
            arg = m.group(1) + mine
        out.append(arg)
    return out


def strip_firmware_escapes(log):
    """The serial log as the kernel wrote it: what the firmware printed
    before the kernel's banner (OVMF writes screen-control escape codes to
    the serial port) is kept as text, without the codes."""
    banner = log.find("smpjos: x86_64 teaching kernel")
    head = log if banner < 0 else log[:banner]
    head = re.sub(r"\x1b\[[0-9;=?]*[A-Za-z]", "", head)
    return head + ("" if banner < 0 else log[banner:])


def _lock_dir():
    """Where the machine-wide run locks live: one place for every tree on
    the machine (a batch grades several at once), else this tree's.
    SMPJOS_LOCKS names another place (tests)."""
    d = os.environ.get("SMPJOS_LOCKS") or os.path.join(tempfile.gettempdir(), "smpjos-locks")
    try:
        os.makedirs(d, mode=0o1777, exist_ok=True)
        if os.access(d, os.W_OK):
            return d
    except OSError:
        pass
    os.makedirs(LOGDIR, exist_ok=True)
    return LOGDIR


# How long the running test waited for locks other runs held (seconds),
# and the one line that said so: conftest reports the test's time without
# it. The line goes to the terminal as the wait begins, through `say`
# (conftest points it past pytest's capture; elsewhere it is stderr, which
# leaves a script's stdout to what the script prints).
WAITED = [0.0]


def say(line):
    print(line, file=sys.stderr, flush=True)


def _holder_note(what):
    """Leaves a note of who holds a lock (for a waiter to name) while the
    returned context lasts."""
    d = os.path.join(_lock_dir(), "holders")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "%d-%d-%s" % (os.getpid(), threading.get_ident(), what))
    with open(path, "w") as f:
        f.write("%s in %s (pid %d)" % (current_test() or "a run", ROOT, os.getpid()))
    stack = contextlib.ExitStack()
    stack.callback(_remove, path)
    return stack


def _remove(path):
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _holders(what):
    """The notes of live holders of lock `what`, other than this process."""
    d = os.path.join(_lock_dir(), "holders")
    notes = []
    for entry in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        pid, _, rest = entry.partition("-")
        if not rest.endswith("-" + what) or not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
            with open(os.path.join(d, entry)) as f:
                notes.append(f.read().strip())
        except (ProcessLookupError, FileNotFoundError):
            _remove(os.path.join(d, entry))
        except PermissionError:
            notes.append("pid %s (another user's)" % pid)
    return notes


_said = set()


def _lock(f, mode, what, why):
    """flock(f, mode), saying once per test, in one line, when it has to
    wait and for whom (the holders of lock `what`); the wait is added to
    WAITED."""
    try:
        fcntl.flock(f, mode | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        pass
    test = current_test() or "a grader"
    if test not in _said:
        _said.add(test)
        holders = _holders(what)
        say("smpjos: %s waits for %s: %s" % (test, why, "; ".join(holders[:3]) or "another run"))
    start = time.monotonic()
    fcntl.flock(f, mode)
    WAITED[0] += time.monotonic() - start


@contextlib.contextmanager
def _machine_share(exclusive):
    """Holds the machine's QEMU slot while a run lasts: shared by ordinary
    runs, whole for an exclusive one. An exclusive run first closes the
    gate, so that runs starting later wait for it instead of keeping it
    out for good."""
    d = _lock_dir()
    exclusive_run = "an exclusive run (no other grader's QEMU runs beside it) to end"
    with open(os.path.join(d, "gate.lock"), "a") as gate, \
            open(os.path.join(d, "run.lock"), "a") as running:
        _lock(gate, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH, "exclusive", exclusive_run)
        if exclusive:
            _lock(running, fcntl.LOCK_EX, "run", "the QEMU runs of other graders to end (it "
                  "runs with none beside it)")
        else:
            _lock(running, fcntl.LOCK_SH, "exclusive", exclusive_run)
        if not exclusive:
            fcntl.flock(gate, fcntl.LOCK_UN)
        try:
            with _holder_note("exclusive" if exclusive else "run"):
                yield
        finally:
            fcntl.flock(running, fcntl.LOCK_UN)
            if exclusive:
                fcntl.flock(gate, fcntl.LOCK_UN)


def free_ports(n, udp=()):
    """n TCP ports on 127.0.0.1 that nothing listens on now (the ones at
    the indexes in udp free for UDP too), for a run's host forwards. Another
    run may take one before QEMU binds it: QEMU then refuses to start
    ("Could not set up host forwarding rule"), and the test may try again."""
    socks, ports = [], []
    try:
        while len(ports) < n:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(s)
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            if len(ports) in udp:
                u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(u)
                try:
                    u.bind(("127.0.0.1", port))
                except OSError:
                    continue
            ports.append(port)
    finally:
        for s in socks:
            s.close()
    return ports


def literal(pattern):
    """What a line matching pattern would mostly say: its fixed text, with
    anchors, classes and repetitions left out (for nearest())."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            if pattern[i + 1] not in "dswDSWbBAZ":
                out.append(pattern[i + 1])
            i += 2
        elif c == "[":                          # a class: up to its "]"
            i += 1
            while i < len(pattern) and pattern[i] != "]":
                i += 2 if pattern[i] == "\\" else 1
            i += 1
        elif c == "{" and re.match(r"\{\d+(,\d*)?\}", pattern[i:]):
            i = pattern.index("}", i) + 1
        elif c == "(" and pattern.startswith("(?:", i):
            i += 3
        else:
            out.append(" " if c == "|" else "" if c in "^$.*+?()" else c)
            i += 1
    return "".join(out).strip()


def quoted(pattern):
    """A pattern as a failure shows it, as written in the grader (repr would
    double every backslash), as JOS's MISSING lines do."""
    return "'%s'" % pattern


def current_test():
    """The running test's function name (with its parameters), from
    pytest's PYTEST_CURRENT_TEST, made safe for a file name; "" outside a
    test."""
    nodeid = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0]
    return re.sub(r"[^A-Za-z0-9_.-]", "_", nodeid.rsplit("::", 1)[-1])


def run(name, config=None, **kw):
    """Boots the kernel as described and returns a QemuRun.

    name names the log files (obj/grade/<name>.log); config is a Boot, or
    keyword arguments give Boot fields."""
    boot = config or Boot(**kw)
    if boot.kvm and kvm_kind() == "paravirtual":
        boot = dataclasses.replace(boot, timeout=boot.timeout * PARAVIRTUAL_BOUND_FACTOR)
    if boot.kvm and kvm_stands_in():
        boot = kvm_stand_in(boot)
    os.makedirs(LOGDIR, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    # Runs of one name share their log files, and pytest-xdist's workers
    # each make a module's shared run (lab 1's one boot, for instance) at
    # the same moment: one at a time, or one unlinks the other's QEMU log.
    with open(os.path.join(LOGDIR, safe + ".lock"), "a") as named:
        fcntl.flock(named, fcntl.LOCK_EX)
        return _run_named(safe, boot)


def _run_named(safe, boot):
    qemu_log = os.path.join(LOGDIR, safe + ".qemu.log")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(qemu_log)
    # A short path of its own: a UNIX socket's path is limited to 108 bytes,
    # and the tree may be deep.
    mondir = tempfile.mkdtemp(prefix="smpjos-")
    monitor = os.path.join(mondir, "monitor")
    if boot.disk is None:
        boot = dataclasses.replace(boot, disk=private_disk(mondir))
    cmd = qemu_command(boot) + ["-d", "cpu_reset,guest_errors", "-D", qemu_log] + boot.qemu_extra
    cmd = _own_variable_store(cmd, mondir)
    # `timeout -k` is the backstop; the harness itself stops QEMU at
    # boot.timeout, after asking its monitor where every CPU was.
    full = (["timeout", "-k", "5", "%g" % (boot.timeout + 30)] + cmd +
            ["-monitor", "unix:%s,server,nowait" % monitor])

    start = time.monotonic()
    try:
        with _machine_share(boot.exclusive):
            start = time.monotonic()
            status, out, err, cpu_states, monitor_out, stopped_on, quit_at = \
                _run_qemu(full, boot, monitor)
            end = time.monotonic()
    finally:
        shutil.rmtree(mondir, ignore_errors=True)

    log = out.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
    if boot.firmware == "uefi":
        log = strip_firmware_escapes(log)
    with open(os.path.join(LOGDIR, safe + ".log"), "w") as f:
        f.write(log)
    try:
        with open(qemu_log, errors="replace") as f:
            qlog = f.read()
    except FileNotFoundError:
        qlog = ""
    r = QemuRun(safe, boot, status, log, err.decode("utf-8", "replace"), qlog,
                end - start, shlex.join(cmd), cpu_states, monitor_out, stopped_on, quit_at)
    r.span = (start, end)   # when QEMU ran, on time.monotonic()'s clock
    return r


def _run_qemu(full, boot, monitor):
    """Runs QEMU until it exits or boot.timeout passes. Types boot.stdin
    once boot.prompt appears, as a person would: input sent earlier is lost
    when the kernel resets the UART (after that, QEMU reads stdin only as
    the UART's FIFO drains, so all of it can be written at once). Returns
    (status, stdout, stderr, cpu_states, monitor_out, stopped_on, quit_at); on a
    timeout, status is 124 and cpu_states says where each CPU was;
    monitor_out holds what each monitor step printed; stopped_on is the line
    that matched boot.stop_on, if one did (or says why the run stalled:
    boot.stall); quit_at is what a step that quit QEMU waited for, if one
    did."""
    proc = subprocess.Popen(full, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    out, err = bytearray(), bytearray()
    stop_rx = [re.compile(p.encode()) for p in boot.stop_on]
    stopped = []
    panic_at = []       # when the first panic line came

    def read_stdout():
        checked = 0     # out[:checked] holds only lines already looked at
        while True:
            chunk = proc.stdout.read1(4096)
            if not chunk:
                break
            out.extend(chunk)
            recent = out[max(0, len(out) - len(chunk) - 32):]
            if (not panic_at and boot.panic_grace is not None and
                    (b"kernel panic on CPU" in recent or b" starts here: " in recent)):
                panic_at.append(time.monotonic())
            if not stop_rx or stopped:
                continue
            end = out.rfind(b"\n")
            for line in bytes(out[checked:end + 1]).splitlines():
                if any(rx.search(line) for rx in stop_rx):
                    stopped.append(line.decode("utf-8", "replace").rstrip("\r"))
                    try:
                        _monitor_command(monitor, "quit")
                    except OSError:
                        os.killpg(proc.pid, 9)
                    break
            checked = max(checked, end + 1)

    def read_stderr():
        err.extend(proc.stderr.read())

    def end_after_panic():
        # A kernel that panicked with its monitor on waits for ever.
        while proc.poll() is None:
            if panic_at and time.monotonic() - panic_at[0] > boot.panic_grace and not stopped:
                m = re.search(rb"kernel panic on CPU [^\r\n]*|lab \d starts here: [^\r\n]*", out)
                stopped.append(m.group(0).decode("utf-8", "replace") if m else "kernel panic")
                try:
                    _monitor_command(monitor, "quit")
                except OSError:
                    os.killpg(proc.pid, 9)
                return
            time.sleep(0.1)

    threads = [threading.Thread(target=f, daemon=True)
               for f in (read_stdout, read_stderr, end_after_panic)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + boot.timeout
    steps = list(boot.steps)
    monitor_out = []
    quit_at = None
    if boot.stdin:
        steps.insert(0, (boot.prompt, "type", boot.stdin))
    for n, (wait_for, action, data) in enumerate(steps):
        # wait_for: bytes to appear in the output, or a function of the
        # output so far that says when it is time.
        ready = wait_for if callable(wait_for) else (lambda out, w=wait_for: w in out)
        seen, quiet_since = len(out), time.monotonic()
        while not ready(out) and proc.poll() is None and time.monotonic() < deadline:
            if len(out) != seen:
                seen, quiet_since = len(out), time.monotonic()
            elif (boot.stall is not None and n > 0 and not stopped and
                  time.monotonic() - quiet_since > boot.stall):
                stopped.append("no output for %gs while waiting for step %d of %d: what the "
                               "step before it typed got no answer (the input lost, or the "
                               "guest stuck)" % (boot.stall, n + 1, len(steps)))
                try:
                    _monitor_command(monitor, "quit")
                except OSError:
                    os.killpg(proc.pid, 9)
                break
            time.sleep(0.02)
        if not ready(out):
            break
        if action == "type":
            try:
                proc.stdin.write(data)
                proc.stdin.flush()
            except BrokenPipeError:
                break
        elif action == "call":
            # A function of the test's, run while QEMU runs (a client on
            # the host); what it returns goes in monitor_out. It must
            # bound its own time.
            monitor_out.append(data())
        else:
            monitor_out.append(_monitor_command(monitor, data))
            if data == "quit":
                quit_at = wait_for
    # A timer stops QEMU at the deadline (after asking where every CPU was);
    # the wait itself blocks, so the run's end is seen the moment it comes
    # (Popen.wait with a timeout polls, up to 50 ms late).
    cpu_states = []
    timed_out = threading.Event()

    def expire():
        timed_out.set()
        cpu_states.extend(_cpu_states(monitor))
        try:
            os.killpg(proc.pid, 9)
        except ProcessLookupError:
            pass
    timer = threading.Timer(max(0.0, deadline - time.monotonic()), expire)
    timer.start()
    status = proc.wait()
    timer.cancel()
    if timed_out.is_set():
        timer.join()
        status = 124
    for t in threads:
        t.join()
    proc.stdin.close()
    return (status, bytes(out), bytes(err), cpu_states, monitor_out, (stopped or [None])[0],
            quit_at)


def _kernel_symbols():
    """(addresses, names) of the kernel's functions, from obj/kern/kernel.sym."""
    addrs, names = [], []
    try:
        with open(os.path.join(ROOT, "obj", "kern", "kernel.sym")) as f:
            for line in f:
                parts = line.split(None, 2)     # demangled names have spaces
                if len(parts) == 3 and parts[1] in "tTwW":
                    addrs.append(int(parts[0], 16))
                    names.append(parts[2].strip())
    except OSError:
        pass
    return addrs, names


def _monitor_command(monitor, command):
    """Runs one QEMU monitor command through the run's monitor socket and
    returns its output (bounded: 5 s)."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(5)
        s.connect(monitor)
        s.sendall(command.encode() + b"\n")
        data = b""
        end = time.monotonic() + 5
        # The answer ends with the prompt that follows the echoed command.
        while time.monotonic() < end and data.count(b"(qemu)") < 2:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            data += chunk
        return data.decode("utf-8", "replace")


def _cpu_states(monitor):
    """Asks QEMU's monitor for every CPU's registers; one line per CPU:
    where it was (function+offset), whether halted, RSP and CR3."""
    if not os.path.exists(monitor):
        return ["(no monitor to ask: QEMU never opened its monitor socket)"]
    try:
        text = _monitor_command(monitor, "info registers -a")
    except OSError as e:
        return ["(QEMU's monitor did not answer: %s)" % e]
    data = text.encode()
    addrs, names = _kernel_symbols()
    states = []
    for block in re.split(r"\n(?=CPU#\d+)", data.decode("utf-8", "replace")):
        cpu = re.search(r"CPU#(\d+)", block)
        rip = re.search(r"RIP=([0-9a-f]+)", block)
        if not (cpu and rip):
            continue
        pc = int(rip.group(1), 16)
        i = bisect.bisect_right(addrs, pc) - 1
        where = "%s+%d" % (names[i], pc - addrs[i]) if i >= 0 and pc >= 1 << 63 else "user"
        halted = re.search(r"HLT=(\d)", block)
        rsp = re.search(r"RSP=([0-9a-f]+)", block)
        cr3 = re.search(r"CR3=([0-9a-f]+)", block)
        states.append("CPU %s: rip %s (%s)%s rsp %s cr3 %s" % (
            cpu.group(1), rip.group(1), where,
            " halted" if halted and halted.group(1) == "1" else "",
            rsp.group(1) if rsp else "?", cr3.group(1) if cr3 else "?"))
    return states or ["(no CPU state in QEMU's answer)"]


def run_x2apic(name, sim_args=(), kvm=False, xapic_kw=None, **kw):
    """Boots with a CPU that offers x2APIC, on the best this machine has:
    KVM (with kvm=True, first), a QEMU whose TCG emulates x2APIC, or else
    the same boot on the QEMU in use, which shows xAPIC mode, together with
    the simulated x2APIC boot (grade/lapicsim, options sim_args), which must
    pass. The result says which: .x2apic (whether the QEMU boot showed
    x2APIC), .backend ("kvm", "tcg" or "simulated"), .sim (the SimRun or
    None); expect_lapic checks the mode line where it was printed.
    xapic_kw: Boot fields for the xAPIC boot instead of kw (for a machine
    only x2APIC can make, e.g. an APIC ID above 254)."""
    backend = x2apic_backend(kvm_first=kvm)
    if backend == "kvm":
        r = run(name, kvm=True, **kw)
    elif backend == "tcg":
        kw.setdefault("x2apic", "on")
        r = run(name, qemu=x2apic_tcg_qemu(), **kw)
    else:
        r = run(name, **(kw if xapic_kw is None else xapic_kw))
    r.backend = backend or "simulated"
    r.x2apic = backend is not None
    r.sim = None
    if backend is None:
        import lapicsim
        r.sim = lapicsim.run(name, *sim_args)
        r.sim.expect_pass()
    return r


def expect_lapic(r, line):
    """The kernel's exact `lapic: ...` decision line: in the serial log, or
    where run_x2apic simulated the x2APIC boot, in the simulator's."""
    if getattr(r, "sim", None) is not None:
        r.sim.expect_kernel(line)
    else:
        r.expect("^" + re.escape(line) + "$")
