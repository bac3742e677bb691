"""The Gradescope autograder (make gradescope-autograder), run the way
Gradescope runs it: unpacked into a scratch folder shaped like
/autograder, with a submission in submission/, then run_autograder."""

import fcntl
import json
import os
import re
import stat
import subprocess
import zipfile

import pytest

import harness
from test_handout import handout

pytestmark = [pytest.mark.developer, pytest.mark.slow]


def autograder(tmp_path, lab=4):
    """A fresh /autograder-shaped folder holding lab `lab`'s zip's contents."""
    root = tmp_path / "autograder"
    # One zip at a time: make gradescope-autograder rewrites obj/gradescope,
    # and tests running in parallel ask for different labs' zips.
    with open(os.path.join(harness.ROOT, "obj", ".gradescope-test.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        harness.make("gradescope-autograder", "LAB=%d" % lab)
        with zipfile.ZipFile(os.path.join(harness.ROOT, "obj", "gradescope",
                                          "autograder.zip")) as z:
            for info in z.infolist():
                path = z.extract(info, root / "source")
                mode = info.external_attr >> 16      # unzip restores modes; zipfile does not
                if mode and not info.is_dir():
                    os.chmod(path, stat.S_IMODE(mode))
    (root / "submission").mkdir()
    return root


# JOS's graders only (Parts A to C, and a few more): the whole suite
# grades the solution elsewhere in make test; here it is the autograder's
# handling that is under test.
JOS_TESTS = "test_lab4 or test_boot_path_runs_memory_checks"
SUBSET = "-k '%s'" % JOS_TESTS


def outside_make(environ):
    """environ as a process started outside make sees it. make exports its
    command-line variables (make test PRETEND=kvm) twice: in MAKEFLAGS and
    as variables of their own; either would reach the autograder's make and
    override what a test pretends."""
    flags = environ.get("MAKEFLAGS", "")
    assigned = flags.split(" -- ", 1)[1] if " -- " in flags else ""
    drop = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"} | set(re.findall(r"(?:^|(?<!\\) )(\w+)=", assigned))
    return {k: v for k, v in environ.items() if k not in drop}


def test_outside_make_drops_the_outer_makes_variables():
    env = {"MAKEFLAGS": r"j2 -- PRETEND=kvm\ noqemu2 QEMU=/q V=1", "MAKELEVEL": "1",
           "PRETEND": "kvm noqemu2", "QEMU": "/q", "V": "1", "HOME": "/root", "PATH": "/bin"}
    assert outside_make(env) == {"HOME": "/root", "PATH": "/bin"}
    assert outside_make({"MAKEFLAGS": "j2", "PRETEND": "kvm"}) == {"PRETEND": "kvm"}


def run_autograder(root, subset=SUBSET, **env):
    # As Gradescope starts it: not from a make (outside_make).
    outer = outside_make(os.environ)
    p = subprocess.run([str(root / "source" / "run_autograder")], capture_output=True, text=True,
                       env=dict(outer, AUTOGRADER_ROOT=str(root), GRADE_PYTESTARGS=subset,
                                **env),
                       timeout=1800, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    with open(root / "results" / "results.json") as f:
        return json.load(f)


def test_a_full_solution_gets_full_marks(tmp_path):
    # JOS's graders and the x2apic exercise's, as on Gradescope: no
    # /dev/kvm, and no second QEMU (where the system QEMU's TCG lacks
    # x2APIC, the simulated local APIC grades the exercise).
    root = autograder(tmp_path)
    handout(root / "submission" / "lab4", "none", lab=4)
    res = run_autograder(root, "-m 'not slow' -k '%s or %s'" % (JOS_TESTS, X2APIC_TESTS),
                         SMPJOS_PRETEND="nokvm noqemu2")
    assert res["tests"], res
    lost = [t["name"] for t in res["tests"] if t["score"] != t["max_score"]]
    assert not lost, "a full solution lost points on: %s" % lost
    assert res["score"] == sum(t["max_score"] for t in res["tests"]) >= 80, res["score"]
    assert len([t for t in res["tests"] if "x2apic" in t["tags"]]) >= 8, res


def test_a_stub_loses_its_points_even_with_doctored_graders(tmp_path):
    # sched_yield stubbed, and the graders and GNUmakefile changed to award
    # everything: grading uses the handout's, so the stub still costs.
    root = autograder(tmp_path)
    tree = root / "submission"
    handout(tree / "lab4", "sched_yield", lab=4)
    with open(tree / "lab4" / "grade" / "harness.py", "a") as f:
        f.write("\n# every expectation holds\nQemuRun.expect = QemuRun.expect_in_order = "
                "QemuRun.expect_absent = QemuRun.expect_pass = lambda self, *a, **k: self\n")
    with open(tree / "lab4" / "GNUmakefile", "a") as f:
        f.write("\ngrade:\n\t@echo 'Score: 999/999'\n")
    res = run_autograder(root)
    failed = {t["name"] for t in res["tests"] if t["score"] == 0}
    assert any("test_dumbfork" in n for n in failed), sorted(failed)
    assert any("test_primes" in n for n in failed), sorted(failed)
    boot = [t for t in res["tests"] if "test_boot_path_runs_memory_checks" in t["name"]]
    assert boot and all(t["score"] == t["max_score"] for t in boot), boot
    for t in res["tests"]:
        if t["score"] == 0:
            assert t["output"], "no log excerpt for the failed %s" % t["name"]
    assert 0 < res["score"] < sum(t["max_score"] for t in res["tests"])


def test_a_tree_that_does_not_build_gets_a_reason(tmp_path):
    root = autograder(tmp_path)
    handout(root / "submission" / "lab4", "none", lab=4)
    with open(root / "submission" / "lab4" / "kern" / "sched.cc", "a") as f:
        f.write("this is not C++\n")
    res = run_autograder(root)
    assert res["score"] == 0 and res["tests"] == [], res
    assert "did not build" in res["output"] and "kern/sched.cc" in res["output"], res["output"]


# Every grader of the x2apic exercise but the two slow ones (hundreds of
# CPUs), and a few that depend on it not at all.
X2APIC_TESTS = "x2apic or apic_id or kvm or test_boot_path_runs_memory_checks"
X2APIC_SUBSET = "-m 'not slow' -k '%s'" % X2APIC_TESTS


def test_x2apic_points_without_kvm_or_a_qemu_that_emulates_it(tmp_path):
    # As on Gradescope: no /dev/kvm, and a QEMU whose TCG cannot emulate
    # x2APIC (PRETEND hides a second QEMU here). A tree with the exercise
    # stubbed earns no x2apic point, and loses nothing else (the full
    # solution's test above earns them all the same way).
    if harness.tcg_x2apic(""):
        pytest.skip("the system QEMU's TCG emulates x2APIC: this machine cannot act as one "
                    "whose QEMU cannot")
    root = autograder(tmp_path)
    handout(root / "submission" / "lab4", "x2apic", lab=4)
    res = run_autograder(root, X2APIC_SUBSET, SMPJOS_PRETEND="nokvm noqemu2")
    x2 = [t for t in res["tests"] if "x2apic" in t["tags"]]
    others = [t for t in res["tests"] if "x2apic" not in t["tags"]]
    assert len(x2) >= 8 and others, res
    kept = [t["name"] for t in x2 if t["score"] != 0]
    assert not kept, "the x2apic stub kept points on: %s" % kept
    lost = [t["name"] for t in others if t["score"] != t["max_score"]]
    assert not lost, "points lost outside the x2apic exercise: %s" % lost


# Lab 5's zip (make gradescope-autograder LAB=5): a few of the solution's
# file-system graders, with the disk image the build makes. Lab 6's: a few
# network graders, with lwIP fetched by the build (setup.sh's copy where
# there is one) and the card's host forwards on ports of each run's own.
LATER_LAB_ZIPS = [
    pytest.param(5, "internal_fs or testfile or spawnhello", 3, id="lab5-file-system"),
    pytest.param(6, "pci_attach or testoutput or httpd_index", 4, id="lab6-network"),
]


@pytest.mark.parametrize("lab, selection, at_least", LATER_LAB_ZIPS)
def test_later_labs_autograder_grades_its_lab(lab, selection, at_least, tmp_path):
    # The lab's zip grades a full solution's tree of that lab: the graders
    # selected all run, and all pass.
    root = autograder(tmp_path, lab=lab)
    handout(root / "submission" / ("lab%d" % lab), "none", lab=lab)
    res = run_autograder(root, "-k '%s'" % selection)
    assert len(res["tests"]) >= at_least, res
    lost = [t["name"] for t in res["tests"] if t["score"] != t["max_score"]]
    assert not lost, "a full solution lost points on: %s" % lost
