"""Runs the local APIC simulator (grade/lapicsim/lapicsim.cc): the tree's
kern/lapic.cc, built for this machine, boots a simulated machine of local
APICs. It needs no QEMU feature, so it grades the x2APIC exercise anywhere.
"""

import fcntl
import os
import subprocess

import harness

BINARY = os.path.join(harness.ROOT, "obj", "grade", "lapicsim")


class SimRun:
    """What one simulated boot printed and how it ended."""

    def __init__(self, name, args, status, out, logfile):
        self.name = name
        self.args = args
        self.status = status
        self.out = out
        self.lines = out.splitlines()
        self.logfile = logfile
        # What the kernel printed, without the "kernel: " prefix.
        self.kernel = [l[len("kernel: "):] for l in self.lines if l.startswith("kernel: ")]

    @property
    def passed(self):
        return self.status == 0 and any(l.startswith("lapicsim: PASS") for l in self.lines)

    def outcome(self):
        said = [l for l in self.lines if l.startswith("lapicsim: ")]
        return said[-1] if said else "no verdict (status %d)" % self.status

    def explain(self, problem):
        return ("%s\n  simulated: lapicsim %s\n  outcome: %s\n  log: %s (rerun with --trace "
                "to see every APIC access)\n%s" % (
                    problem, " ".join(self.args), self.outcome(),
                    os.path.relpath(self.logfile, harness.ROOT),
                    "\n".join("    | " + l for l in self.lines[-12:])))

    def expect_pass(self):
        if not self.passed:
            raise AssertionError(self.explain("the simulated boot failed"))
        return self

    def expect_kernel(self, text):
        """A line the kernel printed, exactly."""
        if text not in self.kernel:
            raise AssertionError(self.explain("the kernel did not print %r" % text))
        return self


def build():
    """Builds the simulator from this tree's kern/lapic.cc, once at a time
    (graders run in parallel). A build failure is the test's failure."""
    os.makedirs(os.path.dirname(BINARY), exist_ok=True)
    with open(BINARY + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        p = harness.make(os.path.relpath(BINARY, harness.ROOT), check=False)
    if p.returncode != 0:
        raise AssertionError("kern/lapic.cc does not build for the APIC simulator "
                             "(grade/lapicsim):\n" + (p.stdout + p.stderr)[-3000:])


def run(name, *args):
    """Simulates one boot (lapicsim's options, e.g. "--ids", "0,256",
    "--parallel") and returns a SimRun; the log is obj/grade/<name>.sim.log."""
    build()
    os.makedirs(harness.LOGDIR, exist_ok=True)
    logfile = os.path.join(harness.LOGDIR, name + ".sim.log")
    p = subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=60)
    out = p.stdout + p.stderr
    with open(logfile, "w") as f:
        f.write(out)
    return SimRun(name, list(args), p.returncode, out, logfile)
