"""The project's own documents name graders that exist."""

import functools
import glob
import json
import os
import re
import subprocess
import sys

import pytest

import harness

# A test of the project itself, not a lab grader: `make test` runs it,
# `make grade` leaves it out.
pytestmark = pytest.mark.developer

DOCS = ["README.md", "labs/*.md", "docs/*.md"]


def grader_names():
    """Every test function in grade/, and every grader module's name (and,
    so that handouts may name them, the kernel's own test_ functions, such
    as JOS's test_backtrace)."""
    names = set()
    for path in glob.glob(os.path.join(harness.ROOT, "kern", "*.cc")):
        with open(path) as f:
            names.update(re.findall(r"^(test_\w+)\(", f.read(), re.M))
    for path in glob.glob(os.path.join(harness.ROOT, "grade", "test_*.py")):
        names.add(os.path.basename(path)[:-len(".py")])
        with open(path) as f:
            names.update(re.findall(r"^def (test_\w+)\(", f.read(), re.M))
    return names


def test_documents_name_only_graders_that_exist():
    known = grader_names()
    assert "test_stresssched" in known and "test_lab4" in known, "grade/ was not read"
    stale = []
    for pattern in DOCS:
        for path in sorted(glob.glob(os.path.join(harness.ROOT, pattern))):
            with open(path) as f:
                for n, line in enumerate(f, 1):
                    stale += ["%s:%d: %s" % (os.path.relpath(path, harness.ROOT), n, name)
                              for name in re.findall(r"\btest_\w+", line) if name not in known]
    assert not stale, "documents name graders that do not exist (renamed?):\n" + "\n".join(stale)


@functools.lru_cache(maxsize=None)
def collected_graders():
    """Every grader make grade would run, by lab: [(name, part, points)],
    as pytest collects them (conftest's --list-graders)."""
    out = os.path.join(harness.LOGDIR, "graders-%d.json" % os.getpid())
    os.makedirs(harness.LOGDIR, exist_ok=True)
    p = subprocess.run([sys.executable, "-m", "pytest", "grade", "--collect-only", "-q", "-n", "0",
                        "--lab", "all", "--list-graders", out], cwd=harness.ROOT,
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    with open(out) as f:
        return json.load(f)


def grading_table(path):
    """The rows of a handout's "## Grading" table: {name: (part, points
    cell)}, the part carried down blank cells; None without the section."""
    with open(path) as f:
        text = f.read()
    m = re.search(r"^## Grading\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    if not m:
        return None
    rows, part = {}, None
    for line in m.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) != 3 or cells[0] == "part" or \
                (cells[0] and set(cells[0]) <= set("-:")):
            continue
        part = cells[0] or part
        for name in re.findall(r"`(test_\w+)`", cells[1].split(":")[0]):
            rows[name] = (part, cells[2])
    return rows


@pytest.mark.parametrize("lab", [1, 2, 3, 4, 5, 6])
def test_handout_grading_table_is_the_labs_graders(lab):
    # Each handout's grading table lists exactly its lab's graders (make
    # grade LAB=n), in their parts, with their points; "N each" for a
    # parametrized grader.
    path = os.path.join(harness.ROOT, "labs", "lab%d.md" % lab)
    rows = grading_table(path)
    graders = [g for g in collected_graders() if g["lab"] == lab]
    want = {}
    for g in graders:
        base = g["name"].split("[")[0]
        part, points = want.get(base, (g["part"], []))
        want[base] = (part, points + [g["points"]])
    cell = {name: (part, str(pts[0]) if len(pts) == 1 else
                   "%d each" % pts[0] if len(set(pts)) == 1 else str(sum(pts)))
            for name, (part, pts) in want.items()}
    total = sum(sum(p) for _, p in want.values())
    table = "\n".join("| %s | `%s` | %s |" % (part, name, points)
                      for name, (part, points) in cell.items())
    assert rows is not None, "labs/lab%d.md has no '## Grading' table; lab %d's graders:\n%s" % (
        lab, lab, table)
    wrong = ["%s: %s in the handout, %s in grade/" % (n, rows.get(n), cell.get(n))
             for n in sorted(set(rows) | set(cell)) if rows.get(n) != cell.get(n)]
    assert not wrong, ("labs/lab%d.md's grading table differs from lab %d's graders (%d "
                       "points; labs/mkdocs.py writes it anew):\n  %s\nThe graders:\n%s"
                       % (lab, lab, total, "\n  ".join(wrong), table))
    with open(path) as f:
        scores = re.findall(r"`Score: \S*/(\d+)`", f.read())
    assert all(int(s) == total for s in scores), (
        "labs/lab%d.md gives the score out of %s; lab %d's graders are worth %d" % (
            lab, ", ".join(scores), lab, total))


def test_lab3s_objdump_finds_the_one_int_0x30_of_syscall():
    # lab3.md, exercise 7: every system call of the library goes through
    # lib/syscall.cc's syscall(), whose int $0x30 `objdump -dC` shows under
    # that name.
    out = subprocess.run(["objdump", "-dC", os.path.join(harness.ROOT, "obj", "user", "hello")],
                         capture_output=True, text=True, check=True).stdout
    functions = re.split(r"\n(?=[0-9a-f]{16} <)", out)
    sites = [f.splitlines()[0] for f in functions if re.search(r"\tint +\$0x30", f)]
    assert any("<(anonymous namespace)::syscall(" in s for s in sites), sites
    mine = [f for f in functions if f.startswith(tuple(s for s in sites if "::syscall(" in s))]
    assert len(re.findall(r"\tint +\$0x30", mine[0])) == 1, mine[0]
    with open(os.path.join(harness.ROOT, "labs", "lab3.md")) as f:
        assert "'<(anonymous namespace)::syscall('" in f.read(), "lab3.md no longer says so"


SAMPLE = re.compile(r"<!-- sample output: (.*?) -->\n```\n(.*?)```", re.S)
SOURCE_LINE = re.compile(r"\b((?:kern|boot|lib|user|fs)/[\w.]+\.(?:cc|S|h):\d+)\b")


def masked(line):
    """A line with what differs from boot to boot left out: 64-bit values
    (addresses) and offsets into functions."""
    return re.sub(r"\+\d+\b", "+N", re.sub(r"\b[0-9a-f]{16}\b", "X", line.rstrip()))


@pytest.mark.parametrize("lab", [1, 2, 3, 4, 5, 6])
def test_handout_sample_output_is_what_the_kernel_prints(lab):
    # A handout's sample output (a block after <!-- sample output: KARGS -->)
    # is what `make qemu-nox BOOT=direct CPUS=1 KARGS=...` prints, line for
    # line but for addresses and offsets; every file:line the handout names
    # is one that output shows.
    path = os.path.join(harness.ROOT, "labs", "lab%d.md" % lab)
    with open(path) as f:
        text = f.read()
    shown = set()
    for kargs, block in SAMPLE.findall(text):
        r = harness.run("docs-lab%d-sample" % lab, kargs="%s monitor=off" % kargs)
        want = [masked(l) for l in block.splitlines()]
        got = [masked(l) for l in r.lines]
        starts = [i for i, l in enumerate(got) if l == want[0]]
        assert any(got[i:i + len(want)] == want for i in starts), r.explain(
            "labs/lab%d.md's sample output (kernel arguments %r) is not what the kernel "
            "prints (labs/mkdocs.py writes it anew):\n%s" % (lab, kargs, "\n".join(
                "  %s %s" % ("  " if w in got else "!=", w) for w in want)))
        shown.update(SOURCE_LINE.findall(r.log))
    named = set(SOURCE_LINE.findall(text))
    assert named <= shown, "labs/lab%d.md names source lines no sample boot shows: %s" % (
        lab, sorted(named - shown))


def test_instructors_table_of_mutants_is_grade_mutants():
    # labs/instructors.md lists every mutant, its mistake and the graders
    # that catch it, as grade/mutants.py has them (grade/test_mutants.py
    # proves the catching).
    import mutants
    with open(os.path.join(harness.ROOT, "labs", "instructors.md")) as f:
        text = f.read()
    m = re.search(r"<!-- mutants table begin -->\n(.*?)<!-- mutants table end -->", text, re.S)
    assert m, "labs/instructors.md has no table of mutants"
    rows, exercise = [], None
    for line in m.group(1).splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        exercise = cells[0].strip("`") or exercise
        rows.append((exercise, cells[1].strip("`"), tuple(re.findall(r"`(\w+(?:\[\w+\])?)`", cells[3]))))
    want = [(x.exercise, x.name, x.caught_by) for x in mutants.MUTANTS]
    assert rows == want, "labs/instructors.md's table of mutants is not grade/mutants.py's " \
        "(labs/mkdocs.py writes it anew):\n%s\n%s" % (rows, want)
