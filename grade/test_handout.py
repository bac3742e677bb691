"""The course round trip: generate student trees from this solution, grade
them in a batch, and check each result test by test against the exercises
the graders say they depend on (grade/labdeps.py)."""

import csv
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile

import pytest

import harness

# A test of the project itself, not a lab grader: `make test` runs it,
# `make grade` leaves it out (student trees do not have it).
pytestmark = pytest.mark.developer

EXERCISE_BEGIN = re.compile(r"// LAB \d+ EXERCISE (\w+) BEGIN")
EXERCISE_END = re.compile(r"// LAB \d+ EXERCISE (\w+) END")
EXERCISE_LABS = re.compile(r"// LAB (\d+) EXERCISE (\w+) BEGIN")


def handout(dest, exercises, lab=None, earlier=None):
    harness.make("handout", "DEST=%s" % dest, "EXERCISES=%s" % exercises,
                 *(["LAB=%d" % lab] if lab else []), *(["EARLIER=%s" % earlier] if earlier else []))


def tracked_files():
    out = subprocess.run(["git", "ls-files", "-z"], cwd=harness.ROOT, capture_output=True,
                         check=True).stdout
    return [f for f in out.decode().split("\0") if f]


def exercise_labs():
    """{id: lab} for every exercise the sources mark, as `grep -rn "LAB .
    EXERCISE"` lists them."""
    labs = {}
    for f in tracked_files():
        if f.endswith((".cc", ".h", ".S")):
            with open(os.path.join(harness.ROOT, f), errors="replace") as fh:
                for lab, ex in EXERCISE_LABS.findall(fh.read()):
                    labs[ex] = int(lab)
    return labs


def exercise_ids():
    return sorted(exercise_labs())


def files_with_exercises():
    return [f for f in tracked_files() if f.endswith((".cc", ".h", ".S"))
            and EXERCISE_BEGIN.search(open(os.path.join(harness.ROOT, f), errors="replace").read())]


ROUNDTRIP = os.path.join(harness.ROOT, "obj", "roundtrip")


def base_tree():
    """The student tree with no exercise stubbed, built once and shared by
    every stub check while the sources stay the same: each check copies it
    (object files and all) and rewrites only the files its stub changes,
    so that make rebuilds just those."""
    os.makedirs(ROUNDTRIP, exist_ok=True)
    digest = hashlib.sha256()
    for f in tracked_files():
        digest.update(f.encode())
        with open(os.path.join(harness.ROOT, f), "rb") as fh:
            digest.update(fh.read())
    stamp = digest.hexdigest()
    base = os.path.join(ROUNDTRIP, "base")
    with open(os.path.join(ROUNDTRIP, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with open(os.path.join(base, ".roundtrip-stamp")) as f:
                if f.read() == stamp:
                    return base
        except OSError:
            pass
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(base + ".tmp", ignore_errors=True)
        handout(base + ".tmp", "none")
        p = subprocess.run(["make", "-s", "-j2", "all"], cwd=base + ".tmp", capture_output=True,
                           text=True, timeout=900)
        assert p.returncode == 0, "the unstubbed student tree does not build:\n" + p.stderr[-3000:]
        with open(os.path.join(base + ".tmp", ".roundtrip-stamp"), "w") as f:
            f.write(stamp)
        os.rename(base + ".tmp", base)
    return base


def results(out, name):
    with open(os.path.join(out, name, "results.json")) as f:
        return {t["nodeid"]: t for t in json.load(f)["tests"] if t["outcome"] != "skipped"}


@pytest.mark.slow
def test_student_trees_fail_exactly_their_stubbed_exercises(tmp_path):
    subs, out = tmp_path / "submissions", tmp_path / "out"
    subs.mkdir()
    bare = tmp_path / "lab4"
    handout(bare, "all", lab=4)
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
    assert set(rows) == {"bare", "nobuild"}, rows

    # Student trees build without a compiler diagnostic (-Werror).
    diagnostic = re.compile(r"^\S+\.(cc|h|S|ld):\d+(:\d+)?: (warning|error):", re.M)
    for name in ("bare",):
        with open(out / name / "grade.log", errors="replace") as f:
            log = f.read()
        assert not diagnostic.search(log), name + ":\n" + diagnostic.search(log).group(0)

    # The bare tree (lab 4's: its exercises and later labs' stubbed) fails
    # exactly the tests that depend on one of those.
    assert rows["bare"]["status"] == "graded", rows["bare"]
    stubbed = {ex for ex, lab in exercise_labs().items() if lab >= 4}
    for nodeid, t in results(out, "bare").items():
        deps = set(t["exercises"]) & stubbed
        assert (t["outcome"] == "failed") == bool(deps), (
            "bare: %s %s (depends on %s)\n%s" % (nodeid, t["outcome"], sorted(deps) or "nothing",
                                               t["reason"][-1500:]))
    assert int(rows["bare"]["score"]) < int(rows["bare"]["max_score"])

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
    import labdeps
    assert karg["exercises"] == sorted(labdeps.BOOT), karg


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


@pytest.mark.slow
@pytest.mark.parametrize("exercise", exercise_ids())
def test_stub_fails_exactly_its_graders(exercise, tmp_path):
    # One student tree with only this exercise stubbed, graded: the tests
    # marked with it must fail, and every other must pass (KVM and slow
    # tests only where they are marked with it: their quick twins run here).
    tests = grade_stubbed(exercise, tmp_path)
    assert any(exercise in t["exercises"] for t in tests), "no grader depends on " + exercise


@pytest.mark.slow
def test_x2apic_stub_loses_points_under_tcg_on_a_qemu_that_emulates_it(tmp_path):
    # The x2apic exercise graded without KVM: on a QEMU whose TCG offers
    # x2APIC (the second QEMU, make fetch-qemu), its stub fails the TCG
    # x2APIC graders, and only those.
    second = harness.second_qemu()
    if second is None:
        pytest.skip("no second QEMU in obj/qemu-backports (make fetch-qemu)%s"
                    % (" (PRETEND=noqemu2)" if "noqemu2" in harness.PRETEND else ""))
    tests = grade_stubbed("x2apic", tmp_path, ["QEMU=%s" % second], "-k x2apic_under_tcg")
    lost = [t["nodeid"] for t in tests if t["outcome"] == "failed"]
    assert any("x2apic_under_tcg" in n for n in lost), lost


def stubbed_tree(exercises, tmp_path):
    """A copy of the shared student tree (base_tree) with these exercises
    stubbed: only the files that change are rewritten, so that make
    rebuilds just what they touch. Returns the tree and those files."""
    base = base_tree()
    tree, stubbed = tmp_path / "tree", tmp_path / "stubbed"
    subprocess.run(["cp", "-a", base, str(tree)], check=True)
    handout(stubbed, exercises)
    changed = []
    for f in files_with_exercises():
        with open(stubbed / f, "rb") as a, open(os.path.join(base, f), "rb") as b:
            if a.read() != b.read():
                shutil.copy(stubbed / f, tree / f)
                changed.append(f)
    assert changed, "stubbing %s changed no file" % exercises
    return tree, changed


# The stubs that warn and let the boot go on: how each one's notice
# starts, the whole notice (a regex), and the boot below meant to reach it.
NOTICES = {
    "console_intr": ("trap: console interrupt",
                     r"trap: console interrupt \(IRQ \d+\) dropped: console interrupts are not "
                     r"handled \(LAB 5 exercise console_intr\); .*", "monitor"),
    "pte_share": ("spawn: PTE_SHARE",
                  r"spawn: PTE_SHARE pages do not reach the child yet: .* \(LAB 5 exercise "
                  r"pte_share\)", "spawn"),
    "timer": ("trap: the timer interrupted",
              r"trap: the timer interrupted user mode, but preemption is not implemented \(LAB 4 "
              r"exercise timer\): .*", "timer"),
}

# Run in the stubbed tree (its own harness, kernel and logs): each boot's
# exit status and serial log.
NOTICE_BOOTS = r"""
import json, sys
import harness
runs = {
    # Typed once the monitor's prompt is out: the serial interrupt of the
    # first character comes after "K> ".
    "monitor": harness.run("notices-monitor", kargs="", stdin=b"backtrace\rkerninfo\rexit\r"),
    # Two environments reach the stub in spawn.
    "spawn": harness.run("notices-spawn", kargs="monitor=off run=spawnhello,spawnhello"),
    # Two CPUs' timers interrupt programs that keep their CPU for a second
    # (spintsc: they end by themselves, however busy the host).
    "timer": harness.run("notices-timer", cpus=2, kargs="monitor=off run=spintsc*2"),
}
json.dump({k: [r.status == harness.EXIT_PASS, r.log] for k, r in runs.items()}, sys.stdout)
"""


@pytest.mark.slow
def test_stub_notices_go_on_a_line_of_their_own_once(tmp_path):
    # A stub that warns and lets the boot go on says so once per boot,
    # however many CPUs or environments reach it, on a line of its own;
    # the line in progress when it came (the monitor's "K> ", as the
    # interrupt of the first typed character arrives) is printed again
    # after it, whole, for the student or grader who reads it.
    tree, _ = stubbed_tree(",".join(NOTICES), tmp_path)
    p = subprocess.run(["make", "-s", "-j2", "all"], cwd=tree, capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=900)
    assert p.returncode == 0, "the stubbed tree does not build:\n" + p.stderr[-3000:]
    p = subprocess.run(["/usr/bin/python3", "-c", NOTICE_BOOTS], cwd=tree / "grade",
                       capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-3000:]
    runs = json.loads(p.stdout)
    for name, (passed, log) in runs.items():
        assert passed, "the %s boot did not finish cleanly:\n%s" % (name, log[-3000:])
        lines = log.splitlines()
        for exercise, (start, notice, where) in NOTICES.items():
            near = [l for l in lines if start in l]
            whole = [l for l in lines if re.fullmatch(notice, l)]
            assert near == whole, "%s's notice is not a line of its own (%s boot):\n%s" % (
                exercise, name, "\n".join(near))
            assert len(whole) == 1 if where == name else len(whole) <= 1, (
                "%s's notice is printed %d times in the %s boot:\n%s" % (
                    exercise, len(whole), name, log[-3000:]))
    monitor = runs["monitor"][1].splitlines()
    for command in ("K> backtrace", "K> kerninfo"):
        assert command in monitor, "%r is not a line of its own:\n%s" % (command,
                                                                         "\n".join(monitor[-40:]))
    assert runs["spawn"][1].count("hello, world") == 2, runs["spawn"][1][-2000:]
    assert runs["timer"][1].count("spintsc: done") == 2, runs["timer"][1][-2000:]


def grade_stubbed(exercise, tmp_path, make_vars=(), pytestargs=""):
    """Grades a student tree with only this exercise stubbed (--stub-check)
    and checks that exactly the tests marked with it failed; returns the
    tests that ran."""
    tree, changed = stubbed_tree(exercise, tmp_path)
    results_file = tmp_path / "results.json"
    # Two workers inside as well: much of a grader's time is waiting (for
    # QEMU to start and stop, for an exclusive run's turn), not computing.
    subprocess.run(["make", "-s", "-j2", "kernel"], cwd=tree, capture_output=True,
                   stdin=subprocess.DEVNULL, timeout=900)   # make grade says what fails
    p = subprocess.run(["make", "grade", "GRADE_JSON=%s" % results_file, "GRADE_LABS=all", *make_vars,
                        "PYTESTARGS=-n 2 --stub-check=%s %s" % (exercise, pytestargs)],
                       cwd=tree, capture_output=True, text=True, timeout=1500,
                       stdin=subprocess.DEVNULL)
    diagnostic = re.search(r"^\S+\.(cc|h|S|ld):\d+(:\d+)?: (warning|error):.*$",
                           p.stdout + p.stderr, re.M)
    assert not diagnostic, "the stub of %s does not build cleanly: %s" % (exercise,
                                                                         diagnostic.group(0))
    assert results_file.exists(), "make grade did not finish:\n" + (p.stdout + p.stderr)[-4000:]
    broken = re.findall(r"^ERROR (grade/\S+)", p.stdout, re.M)
    assert not broken, "the student tree's graders do not load: %s" % ", ".join(broken)
    # Kept for whoever asks why a check failed or took long: each test's
    # outcome, reason and duration in the stubbed tree.
    kept = os.path.join(ROUNDTRIP, "checks")
    os.makedirs(kept, exist_ok=True)
    shutil.copy(results_file, os.path.join(kept, "%s.json" % exercise))
    with open(results_file) as f:
        tests = [t for t in json.load(f)["tests"] if t["outcome"] != "skipped"]
    wrong = []
    for t in tests:
        marked = exercise in t["exercises"]
        if (t["outcome"] == "failed") != marked:
            wrong.append("%s %s (marked with %s)%s" % (
                t["nodeid"], t["outcome"], ", ".join(t["exercises"]) or "nothing",
                "\n" + t["reason"][-1200:] if not marked else ""))
    assert not wrong, "with %s stubbed (%s changed):\n%s" % (exercise, ", ".join(changed),
                                                            "\n".join(wrong))
    return tests


def test_no_solution_reaches_the_student_tree(tmp_path):
    # Lab 1's tree has every exercise of every lab stubbed: no marker is
    # left in any file, no line of a solution (one that appears nowhere else
    # in its file), and no solution-only part of any Markdown file.
    bare = tmp_path / "lab1"
    handout(bare, "all", lab=1)
    marker = re.compile(r"LAB \d+ EXERCISE")
    for root, _, names in os.walk(bare):
        for name in names:
            path = os.path.join(root, name)
            with open(path, errors="replace") as f:
                text = f.read()
            rel = os.path.relpath(path, bare)
            assert not marker.search(text), "%s keeps an exercise marker" % rel
            assert "solution-only" not in text, "%s keeps a solution-only marker" % rel
    for f in files_with_exercises():
        with open(os.path.join(harness.ROOT, f)) as fh:
            lines = fh.read().split("\n")
        depth, solution, elsewhere = 0, set(), set()
        for line in lines:
            text = line.strip()
            if EXERCISE_BEGIN.search(line):
                depth += 1
            elif EXERCISE_END.search(line):
                depth -= 1
            elif depth and text.startswith("//>"):
                elsewhere.add(text[3:].strip())     # the stub may say the same
            elif depth and not text.startswith("//"):
                solution.add(text)
            elif not depth:
                elsewhere.add(text)
        # Short lines (braces, "return 0;") say nothing about a solution.
        telling = {t for t in solution - elsewhere if len(t) > 12}
        with open(bare / f) as fh:
            student = {l.strip() for l in fh.read().split("\n")}
        leaked = sorted(telling & student)
        assert not leaked, "%s: solution lines in the student tree:\n  %s" % (f, "\n  ".join(leaked))


def test_labdeps_knows_every_exercises_lab():
    # The stub checks leave out earlier labs' graders by labdeps.EXERCISE_LAB:
    # it must say what the sources' markers say.
    import labdeps
    assert labdeps.EXERCISE_LAB == exercise_labs()


@pytest.mark.parametrize("lab", [1, 2, 3, 4, 5, 6])
def test_each_labs_tree_is_that_labs(lab, tmp_path):
    # Lab n's tree says TREE_LAB := n, holds no later lab's handout or graders,
    # has lab n's and later exercises stubbed and earlier ones solved.
    tree = tmp_path / ("lab%d" % lab)
    handout(tree, "all", lab=lab)
    with open(tree / "conf" / "lab.mk") as f:
        assert re.search(r"(?m)^TREE_LAB := %d$" % lab, f.read()), "conf/lab.mk is not lab %d's" % lab
    for later in range(lab + 1, 7):
        assert not (tree / "labs" / ("lab%d.md" % later)).exists()
        assert not (tree / "grade" / ("test_lab%d.py" % later)).exists()
    assert (lab < 4) == (not (tree / "grade" / "test_smp.py").exists())
    labs = exercise_labs()
    with open(tree / "kern" / "pmap.cc") as f:
        pmap = f.read()
    stubbed = pmap.count("// LAB 2: Your code here.")
    assert (stubbed > 0) == (lab <= 2), "lab 2's exercises in lab %d's tree" % lab
    assert labs, "no exercises found"
    # The tree's documents name only files it has.
    missing = []
    for doc in sorted(tree.glob("*.md")) + sorted(tree.glob("labs/*.md")):
        for path in re.findall(r"`((?:labs|grade|kern|lib|user|fs|conf|inc|boot)/[\w./-]+"
                               r"\.(?:md|py|cc|h|S|mk|sh|ld))`", doc.read_text()):
            if not (tree / path).exists():
                missing.append("%s names %s" % (doc.relative_to(tree), path))
    assert not missing, "lab %d's tree lacks files its documents name:\n  %s" % (
        lab, "\n  ".join(sorted(set(missing))))


def solved_tree(tmp_path, through_lab, name):
    """Lab 1's tree with the exercises of labs 1..through_lab solved: a
    student's work up to that lab, as the solution has it."""
    labs = exercise_labs()
    later = sorted(ex for ex, lab in labs.items() if lab > through_lab)
    tree = tmp_path / name
    handout(tree, ",".join(later) if later else "none", lab=1)
    return tree


def copy_work(src, dst, labs):
    """Copies the files holding exercises of these labs from src to dst (a
    student filling in their regions)."""
    for f in files_with_exercises():
        with open(os.path.join(harness.ROOT, f)) as fh:
            if not any(("LAB %d EXERCISE" % lab) in fh.read() for lab in labs):
                continue
        shutil.copy(src / f, dst / f)


def git(cwd, *args):
    p = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                       env=dict(os.environ, GIT_AUTHOR_NAME="student", GIT_AUTHOR_EMAIL="s@x",
                                GIT_COMMITTER_NAME="student", GIT_COMMITTER_EMAIL="s@x"))
    assert p.returncode == 0, "git %s:\n%s%s" % (" ".join(args), p.stdout, p.stderr)
    return p.stdout


def grade_lab(tree, lab, tmp_path, done=None):
    """make grade LAB=lab in tree, which must earn full marks (done: the
    last lab whose exercises the tree has done, for the message)."""
    results = tmp_path / ("results-lab%d.json" % lab)
    if results.exists():
        results.unlink()            # a run that dies must not read the last one's
    p = subprocess.run(["make", "grade", "LAB=%d" % lab, "GRADE_JSON=%s" % results,
                        "PYTESTARGS=-n 2"], cwd=tree, capture_output=True, text=True,
                       timeout=900, stdin=subprocess.DEVNULL)
    assert results.exists(), "make grade did not finish:\n" + (p.stdout + p.stderr)[-3000:]
    with open(results) as f:
        res = json.load(f)
    lost = [t["nodeid"] for t in res["tests"] if t["outcome"] == "failed"]
    assert not lost and res["score"] == res["max_score"], (
        "lab %d lost points%s on %s:\n%s" % (
            lab, " in a tree with labs 1-%d done and the later ones stubbed" % done if done else "",
            lost, p.stdout[-3000:]))


@pytest.mark.slow
@pytest.mark.timeout(1800)      # a clone built and graded lab after lab: minutes on a busy host
def test_one_tree_through_the_course_keeps_the_students_code_and_earns_full_marks(tmp_path):
    # The course repository (make course-repo, every lab), cloned as a
    # student would: lab 1's branch, filled in and committed; then each
    # next lab's branch merged in, its exercises filled in. The merges never
    # conflict and the earlier labs' code survives each. After lab N the
    # clone has labs 1..N done and every later lab's exercises stubbed:
    # lab N's graders, all of them, give full marks. So a later lab's stub
    # costs no lab a point, even where its code runs in that lab's boots
    # (lab 5's console_intr stub once printed its warning into lab 4's
    # monitor prompt: 193/195): each lab is graded with every later one
    # stubbed. (An earlier lab's graders are not run again in each clone:
    # its code is the same, and the later stubs there are fewer.) The last
    # lab has nothing later to stub: its clone is the solution's code,
    # which make test grades in this tree.
    labs = sorted(set(exercise_labs().values()))
    course = tmp_path / "course"
    harness.make("course-repo", "DEST=%s" % course, "LABS=%d" % labs[-1])
    branches = git(course, "branch", "--format=%(refname:short)").split()
    assert branches == ["lab%d" % lab for lab in labs], branches
    clone = tmp_path / "student"
    subprocess.run(["git", "clone", "-q", "-b", "lab1", str(course), str(clone)], check=True)
    for lab in labs:
        if lab > 1:
            git(clone, "merge", "-q", "--no-edit", "origin/lab%d" % lab)
            with open(clone / "conf" / "lab.mk") as f:
                assert "TREE_LAB := %d" % lab in f.read(), "the merge did not bring lab %d" % lab
            # What the student wrote for the labs before is still there.
            done = solved_tree(tmp_path, lab - 1, "check%d" % lab)
            for f in files_with_exercises():
                with open(done / f) as a, open(clone / f) as b:
                    assert a.read() == b.read(), "lab %d's merge changed %s" % (lab, f)
        if lab == labs[-1]:
            break
        work = solved_tree(tmp_path, lab, "work%d" % lab)
        copy_work(work, clone, [lab])
        git(clone, "commit", "-q", "-am", "my lab %d" % lab)
        subprocess.run(["make", "-s", "-j2", "all"], cwd=clone, capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=900)
        grade_lab(clone, lab, tmp_path, done=lab)
