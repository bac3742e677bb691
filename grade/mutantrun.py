"""A pytest plugin that grades mutants of a student tree in one session
(grade/test_mutants.py loads it into a scratch copy of the tree with
`-p mutantrun --mutant-plan PLAN`).

The plan is JSON: {"solution": ROOT, "out": FILE, "batches": [[id, ...],
...], "discover": false}. For each batch the plugin applies its mutants
(grade/mutants.py) to the tree, builds it, runs the graders they name
(with "discover": the graders marked with the mutant's exercise, but the
KVM, slow and exclusive ones, until two fail), and puts the files back; FILE gets {mutant id: {grader test id: outcome}}, or {"build":
message} where the batch did not build. One session and one collection
for every mutant: a pytest start and a collection per mutant would cost
more than the build and the graders.
"""

import json
import os
import subprocess
import time

import pytest
from _pytest.runner import runtestprotocol

import mutants


def grade(tmp, lab, batches, discover=False, timeout=1500):
    """Grades these batches of lab's mutants (lists of ids) in one session
    of this plugin, in a scratch copy of the student tree made under tmp.
    Returns what the plan's FILE holds (None if the session ended before
    it wrote any) and the session's output."""
    import shutil
    from test_handout import base_tree
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    tree = os.path.join(tmp, "tree")
    subprocess.run(["cp", "-a", base_tree(), tree], check=True)
    for f in ("mutants.py", "mutantrun.py"):
        shutil.copy(os.path.join(root, "grade", f), os.path.join(tree, "grade", f))
    plan = {"solution": root, "out": os.path.join(tmp, "results.json"), "discover": discover,
            "batches": batches}
    with open(os.path.join(tmp, "plan.json"), "w") as f:
        json.dump(plan, f)
    p = subprocess.run(["/usr/bin/python3", "-m", "pytest", "grade", "--lab", str(lab), "-n", "0",
                        "-p", "mutantrun", "--mutant-plan", os.path.join(tmp, "plan.json"),
                        "-p", "no:cacheprovider", "-q"], cwd=tree, capture_output=True,
                       text=True, stdin=subprocess.DEVNULL, timeout=timeout,
                       env=dict(os.environ, PYTHONPATH=os.path.join(tree, "grade")))
    results = None
    if os.path.exists(plan["out"]):
        with open(plan["out"]) as f:
            results = json.load(f)
    return results, p.stdout + p.stderr


def pytest_addoption(parser):
    parser.addoption("--mutant-plan", metavar="FILE", help="grade the mutants FILE plans")


def _plan(config):
    path = config.getoption("--mutant-plan")
    if not path:
        return None
    with open(path) as f:
        return json.load(f)


def _by_id():
    return {m.id: m for m in mutants.MUTANTS}


def pytest_collection_modifyitems(config, items):
    plan = _plan(config)
    if plan is None:
        return
    known = _by_id()
    wanted = {g for batch in plan["batches"] for mid in batch for g in known[mid].caught_by}
    exercises = {known[mid].exercise for batch in plan["batches"] for mid in batch}
    items[:] = [item for item in items if item.originalname in wanted or item.name in wanted or
                (plan.get("discover") and _marks(item) & exercises and not
                 any(item.get_closest_marker(k) for k in ("kvm", "slow", "exclusive")))]


def _marks(item):
    return {e for m in item.iter_markers("exercises") for e in m.args}


def _grades(item, m, discover):
    """Whether the plan runs item for m: a grader it names (a parametrized
    one whole, or one case, "test_x[4]"), or with discover, any marked
    with its exercise."""
    return (item.originalname in m.caught_by or item.name in m.caught_by or
            (discover and m.exercise in _marks(item)))


def _apply(tree, solution, batch):
    """Applies the batch's mutants; returns {path: original text}."""
    known, saved = _by_id(), {}
    for mid in batch:
        m = known[mid]
        path = os.path.join(tree, m.file)
        if path not in saved:
            with open(path) as f:
                saved[path] = f.read()
        with open(path) as f:
            text = f.read()
        with open(os.path.join(solution, m.file)) as f:
            text = mutants.apply_to_student_file(f.read(), text, m)
        with open(path, "w") as f:
            f.write(text)
    return saved


def _fresh_runs(items):
    """Forgets the boots a module shares among its tests (lab 1's one
    boot, say): they were of the tree before this batch."""
    for module in {item.module for item in items}:
        for value in vars(module).values():
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    plan = _plan(session.config)
    if plan is None:
        return None
    tree, known, results = str(session.config.rootpath), _by_id(), {}
    for batch in plan["batches"]:
        start = time.monotonic()
        saved = _apply(tree, plan["solution"], batch)
        try:
            p = subprocess.run(["make", "-s", "kernel", "obj/fs/fs.img"], cwd=tree,
                               capture_output=True, text=True, timeout=600)
            if p.returncode != 0:
                for mid in batch:
                    results[mid] = {"build": (p.stdout + p.stderr)[-3000:]}
                continue
            _fresh_runs(session.items)
            for mid in batch:
                results[mid] = {}
                for item in session.items:
                    if plan.get("discover") and list(results[mid].values()).count("failed") >= 2:
                        break       # enough to choose from
                    if _grades(item, known[mid], plan.get("discover")):
                        reports = runtestprotocol(item, log=False, nextitem=None)
                        results[mid][item.nodeid] = (
                            "failed" if any(r.failed for r in reports) else
                            "skipped" if any(r.skipped for r in reports) else "passed")
        finally:
            for path, text in saved.items():
                with open(path, "w") as f:
                    f.write(text)
        # What is known so far, and how long each batch took (for the
        # time budget): a run cut short still says where it got to.
        results.setdefault("_seconds", {})[" ".join(batch)] = round(time.monotonic() - start, 1)
        with open(plan["out"], "w") as f:
            json.dump(results, f, indent=1)
    return True
