"""Typical wrong solutions lose points: each mutant of grade/mutants.py,
applied to a scratch copy of the student tree, fails the graders it
names."""

import os

import pytest

import harness
import mutantrun
import mutants
from test_docs import collected_graders
from test_handout import exercise_labs

pytestmark = pytest.mark.developer

LABS = exercise_labs()


def test_every_mutant_is_of_an_exercise_and_applies():
    # Cheap, and first: a mutant whose text the solution no longer has (the
    # code moved on) is named here, not as a grader that "caught" a build
    # failure.
    seen = set()
    for m in mutants.MUTANTS:
        assert m.exercise in LABS, "%s: no exercise %s" % (m.id, m.exercise)
        assert m.id not in seen, "two mutants are named %s" % m.id
        seen.add(m.id)
        assert m.caught_by, "%s names no grader" % m.id
        with open(os.path.join(harness.ROOT, m.file)) as f:
            text = f.read()
        assert mutants.apply(text, m) != text


def batches(ms, marks):
    """The mutants in batches that can share one build and one grading:
    no mutant's graders are marked with another's exercise (the stub
    checks prove that a grader not marked with an exercise never runs its
    code, so a mutant there cannot touch it), and no two are of one
    exercise."""
    deps = {m.id: set().union(*(marks.get(g.split("[")[0], set()) for g in m.caught_by))
            for m in ms}
    out = []
    for m in ms:
        for batch in out:
            if all(o.exercise != m.exercise and o.exercise not in deps[m.id] and
                   m.exercise not in deps[o.id] for o in batch):
                batch.append(m)
                break
        else:
            out.append([m])
    return out


def grader_marks():
    """{grader function name: the exercises its cases are marked with}."""
    marks = {}
    for g in collected_graders():
        marks.setdefault(g["name"].split("[")[0], set()).update(g["exercises"])
    return marks


@pytest.mark.slow
@pytest.mark.timeout(2400)
@pytest.mark.parametrize("lab", sorted(mutants.by_lab(LABS)))
def test_each_mutant_loses_points_to_the_graders_it_names(lab, tmp_path):
    # Every mutant of the lab's exercises, in batches, in one grading
    # session (grade/mutantrun.py) in a scratch copy of the student tree.
    ms = mutants.by_lab(LABS)[lab]
    results, output = mutantrun.grade(str(tmp_path), lab, [[m.id for m in b] for b in
                                                            batches(ms, grader_marks())])
    assert results is not None, "the mutant session did not finish:\n" + output[-4000:]
    missed = []
    for m in ms:
        if m.id not in results:
            missed.append("%s: not graded: the session ended before its batch:\n%s"
                          % (m.id, output[-2000:]))
            continue
        got = results[m.id]
        if "build" in got:
            missed.append("%s does not build (a mutant must: students' mistakes compile):\n%s"
                          % (m.id, got["build"]))
            continue
        for grader in m.caught_by:
            mine = {n: o for n, o in got.items()
                    if grader in (n.split("::")[-1], n.split("::")[-1].split("[")[0])}
            if not mine:
                missed.append("%s: no grader %s in lab %d" % (m.id, grader, lab))
            elif not any(o == "failed" for o in mine.values()):
                missed.append("%s (%s): %s %s" % (m.id, m.mistake, grader,
                                                  "/".join(sorted(set(mine.values())))))
    assert not missed, "mutants that keep their points:\n  " + "\n  ".join(missed)
