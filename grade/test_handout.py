"""The course round trip: generate student trees from this solution, grade
them in a batch, and check each result test by test against the exercises
the graders say they depend on (grade/labdeps.py)."""

import csv
import json
import os
import re
import subprocess
import tarfile

import pytest

import harness

# A test of the project itself, not a lab grader: `make test` runs it,
# `make grade` leaves it out (student trees do not have it).
pytestmark = pytest.mark.developer

STUBBED_ONE = "sched_yield"


def handout(dest, exercises):
    harness.make("handout", "DEST=%s" % dest, "EXERCISES=%s" % exercises)


def results(out, name):
    with open(os.path.join(out, name, "results.json")) as f:
        return {t["nodeid"]: t for t in json.load(f)["tests"] if t["outcome"] != "skipped"}


@pytest.mark.slow
def test_student_trees_fail_exactly_their_stubbed_exercises(tmp_path):
    subs, out = tmp_path / "submissions", tmp_path / "out"
    subs.mkdir()
    handout(subs / "solution", "none")
    handout(subs / "one-broken", STUBBED_ONE)
    bare = tmp_path / "lab4"
    handout(bare, "all")
    with tarfile.open(subs / "bare.tar.gz", "w:gz") as tar:
        tar.add(bare, arcname="lab4")
    handout(subs / "nobuild", "none")
    # The student README describes the student tree: no solution-only parts.
    with open(bare / "README.md") as f:
        readme = f.read()
    assert "make qemu" in readme and "make grade" in readme, readme[:2000]
    for gone in ("solution-only", "make bench", "make fuzz", "host/", "mkhandout"):
        assert gone not in readme, "the student README mentions %r" % gone
    with open(subs / "nobuild" / "kern" / "sched.cc", "a") as f:
        f.write("this is not C++\n")

    p = subprocess.run(["/usr/bin/python3", os.path.join(harness.ROOT, "grade", "batch.py"),
                        str(subs), "--out", str(out), "--jobs", "2", "--timeout", "1500"],
                       capture_output=True, text=True, timeout=1800)
    assert p.returncode == 0, p.stdout + p.stderr
    with open(out / "grades.csv") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert set(rows) == {"solution", "one-broken", "bare", "nobuild"}, rows

    # The solution scores 100 %.
    sol = rows["solution"]
    assert sol["status"] == "graded" and sol["score"] == sol["max_score"], sol

    # Student trees build without a compiler diagnostic (-Werror).
    diagnostic = re.compile(r"^\S+\.(cc|h|S|ld):\d+(:\d+)?: (warning|error):", re.M)
    for name in ("bare", "one-broken"):
        with open(out / name / "grade.log", errors="replace") as f:
            log = f.read()
        assert not diagnostic.search(log), name + ":\n" + diagnostic.search(log).group(0)

    # Each fails exactly the tests that depend on what it stubs.
    for name, stubbed in (("bare", None), ("one-broken", {STUBBED_ONE})):
        assert rows[name]["status"] == "graded", rows[name]
        for nodeid, t in results(out, name).items():
            deps = set(t["exercises"])
            should_fail = bool(deps) if stubbed is None else bool(deps & stubbed)
            assert (t["outcome"] == "failed") == should_fail, (
                "%s: %s %s (depends on %s)\n%s" % (name, nodeid, t["outcome"],
                                                    sorted(deps) or "nothing", t["reason"][-1500:]))
    assert int(rows["bare"]["score"]) < int(rows["one-broken"]["score"]) < int(sol["score"])

    # The bare handout fails loudly, at the first exercise on the boot path.
    marked = os.listdir(out / "bare" / "logs")
    assert marked, "no marked logs kept for the bare handout's failures"
    with open(out / "bare" / "logs" / sorted(marked)[0], errors="replace") as f:
        text = f.read()
    assert "kernel panic" in text and "MPENTRY_PADDR" in text, text[-2000:]

    # A submission that does not build gets a reason, not a crash.
    nb = rows["nobuild"]
    assert nb["status"] == "build failed" and "kern/sched.cc" in nb["reason"], nb


def test_grade_writes_json_and_gradescope_results(tmp_path):
    # The grading plugin on two quick tests (-k selects them): the score
    # line, both result files, and the exercises each test depends on.
    gs, js = tmp_path / "gradescope.json", tmp_path / "results.json"
    p = subprocess.run(["/usr/bin/python3", "-m", "pytest", "grade/test_kernel.py", "-n", "0",
                        "-k", "qemu_refusing or unknown_kernel_argument", "--grade",
                        "--grade-json=%s" % js, "--gradescope=%s" % gs],
                       cwd=harness.ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    assert re.search(r"^  test_qemu_refusing_its_arguments_is_reported: OK \(\d+\.\ds\)$",
                     p.stdout, re.M), p.stdout
    assert re.search(r"^Score: 2/2$", p.stdout, re.M), p.stdout
    with open(gs) as f:
        g = json.load(f)
    assert g["score"] == 2 and len(g["tests"]) == 2, g
    assert all(set(t) >= {"name", "score", "max_score", "output"} for t in g["tests"]), g
    with open(js) as f:
        j = json.load(f)
    assert j["max_score"] == 2
    refusal = [t for t in j["tests"] if "qemu_refusing" in t["name"]][0]
    assert refusal["exercises"] == [] and refusal["outcome"] == "passed", refusal
    karg = [t for t in j["tests"] if "unknown_kernel_argument" in t["name"]][0]
    assert karg["exercises"] == ["mem_init_mp", "page_init"], karg


def test_grade_runs_the_graders_without_developer_tests():
    p = subprocess.run(["/usr/bin/python3", "-m", "pytest", "grade", "--grade", "--collect-only",
                        "-q", "-n", "0"],
                       cwd=harness.ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    ids = [l for l in p.stdout.splitlines() if "::" in l]
    for grader in ("test_boot.py", "test_kernel.py", "test_smp.py", "test_env.py"):
        assert any(grader in i for i in ids), "%s missing from make grade:\n%s" % (grader, p.stdout)
    for dev in ("test_host.py", "test_handout.py", "test_make.py"):
        assert not any(dev in i for i in ids), "%s is a developer test:\n%s" % (dev, p.stdout)
