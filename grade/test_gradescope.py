"""The Gradescope autograder (make gradescope-autograder), run the way
Gradescope runs it: unpacked into a scratch folder shaped like
/autograder, with a submission in submission/, then run_autograder."""

import json
import os
import stat
import subprocess
import zipfile

import pytest

import harness
from test_handout import handout

pytestmark = [pytest.mark.developer, pytest.mark.slow]


def autograder(tmp_path):
    """A fresh /autograder-shaped folder holding the zip's contents."""
    harness.make("gradescope-autograder")
    root = tmp_path / "autograder"
    with zipfile.ZipFile(os.path.join(harness.ROOT, "obj", "gradescope", "autograder.zip")) as z:
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
SUBSET = "-k 'test_lab4 or test_boot_path_runs_memory_checks'"


def run_autograder(root):
    p = subprocess.run([str(root / "source" / "run_autograder")], capture_output=True, text=True,
                       env=dict(os.environ, AUTOGRADER_ROOT=str(root), GRADE_PYTESTARGS=SUBSET),
                       timeout=1800, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    with open(root / "results" / "results.json") as f:
        return json.load(f)


def test_a_full_solution_gets_full_marks(tmp_path):
    root = autograder(tmp_path)
    handout(root / "submission" / "lab4", "none")
    res = run_autograder(root)
    assert res["tests"], res
    lost = [t["name"] for t in res["tests"] if t["score"] != t["max_score"]]
    assert not lost, "a full solution lost points on: %s" % lost
    assert res["score"] == sum(t["max_score"] for t in res["tests"]) >= 80, res["score"]


def test_a_stub_loses_its_points_even_with_doctored_graders(tmp_path):
    # sched_yield stubbed, and the graders and GNUmakefile changed to award
    # everything: grading uses the handout's, so the stub still costs.
    root = autograder(tmp_path)
    tree = root / "submission"
    handout(tree / "lab4", "sched_yield")
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
    handout(root / "submission" / "lab4", "none")
    with open(root / "submission" / "lab4" / "kern" / "sched.cc", "a") as f:
        f.write("this is not C++\n")
    res = run_autograder(root)
    assert res["score"] == 0 and res["tests"] == [], res
    assert "did not build" in res["output"] and "kern/sched.cc" in res["output"], res["output"]
