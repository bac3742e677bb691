"""pytest set-up for the graders: one build before any test, and points.

`make test` runs plain pytest. `make grade` adds --grade: a line per test
(`name: OK (1.2s)`), grouped by part, and a `Score: X/Y` line; pytest's exit
status is nonzero whenever a test (and so a point) is lost. --grade-json
and --gradescope also write the results as JSON (Gradescope's results.json
format for the latter). Tests name the lab exercises they depend on with
@pytest.mark.exercises(...), so that a student tree with some exercises
stubbed is known to fail exactly those tests.
"""

import contextlib
import json
import os
import re
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def pytest_addoption(parser):
    parser.addoption("--grade", action="store_true",
                     help="print points per test and a 'Score: X/Y' line")
    parser.addoption("--grade-json", metavar="FILE",
                     help="with --grade: write every test's result as JSON")
    parser.addoption("--gradescope", metavar="FILE",
                     help="with --grade: write Gradescope's results.json")
    parser.addoption("--lab", metavar="N",
                     help="only lab N's graders (their module marks pytest.mark.lab(N)); "
                     "all: every lab's")
    parser.addoption("--list-graders", metavar="FILE",
                     help="write the collected graders (name, lab, part, points) as JSON")
    parser.addoption("--stub-check", metavar="EXERCISE",
                     help="for a tree with this exercise stubbed: leave out the KVM and "
                     "slow tests that do not depend on it (their quick twins stand for them)")


def pytest_configure(config):
    config.addinivalue_line("markers", "lab(n): the lab a grader belongs to; its boots run the "
                            "kernel with lab=n (make grade LAB=n grades those)")
    config.addinivalue_line("markers", "points(n): what the test is worth in make grade (default 1)")
    config.addinivalue_line("markers", "part(name): the lab part the test is graded under")
    config.addinivalue_line("markers", "slow: a long test (255 CPUs ...); CI still runs it")
    config.addinivalue_line("markers", "kvm: boots under KVM where this machine has it, else on "
                            "the best stand-in (harness.run_x2apic)")
    config.addinivalue_line("markers", "exercises(*ids): the lab exercises the test depends on")
    config.addinivalue_line("markers", "no_exercises: depends on no lab exercise")
    config.addinivalue_line("markers", "exclusive: boots with no other grader's QEMU running "
                            "(Boot.exclusive), for what a busy host skews")
    config.addinivalue_line("markers", "developer: a test of the project itself (host parsers, "
                            "the student-tree round trip, make's checks); make grade leaves it out")
    harness.say = _past_capture(config)
    # No network card in the graders' boots (every make they run, the
    # harness's and their own: make takes NET from the environment), unless
    # a test asks for one on make's command line (lab 6: NET=user, with
    # ports of its own). The tree's default, a card with host forwards on
    # ports from the uid, would have parallel runs fight over those ports.
    os.environ["NET"] = "none"
    problem = harness.pretend_problem()
    if problem:
        raise pytest.UsageError(problem)
    config._grade_start = time.monotonic()
    if config.getoption("--grade", default=False) and not hasattr(config, "workerinput"):
        config.pluginmanager.register(GradeReport(config), "smpjos-grade")


def _past_capture(config):
    """A print for what a grader must say while it runs (a wait for another
    run's lock): past pytest's capture, on the terminal of make grade."""
    capture = config.pluginmanager.getplugin("capturemanager")

    def say(line):
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            sys.stderr.write(line + "\n")
            sys.stderr.flush()
    return say


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    # pytest-xdist's status line ("bringing up nodes...") is rewritten in
    # place on a terminal, and so printed once per change where output is
    # not one (make grade's): it says nothing a student needs. Its other
    # lines (a worker that went down) stay.
    dist = session.config.pluginmanager.getplugin("terminaldistreporter")
    if dist is not None:
        dist.rewrite = lambda line, newline=False: None
        dist.ensure_show_status = lambda: None
    # Build once, before the workers start (xdist workers have workerinput).
    if not hasattr(session.config, "workerinput"):
        grading = session.config.getoption("--grade", default=False)
        has_host = os.path.exists(os.path.join(harness.ROOT, "host", "Makefrag")) and not grading
        # Grading needs the kernel (GRUB ISOs are made per boot, as needed).
        harness.make("kernel" if grading else "all", *(["host"] if has_host else []))


def lab_of(item):
    m = item.get_closest_marker("lab")
    return m.args[0] if m else None


def pytest_collection_modifyitems(config, items):
    lab = config.getoption("--lab", default=None)
    if lab not in (None, "all"):
        lab = int(lab)
        other = [item for item in items if lab_of(item) != lab]
        if other:
            config.hook.pytest_deselected(items=other)
            items[:] = [item for item in items if lab_of(item) == lab]
    stub = config.getoption("--stub-check", default=None)
    if stub:
        left_out = stub_check_leaves_out(stub, items)
        if left_out:
            config.hook.pytest_deselected(items=left_out)
            items[:] = [item for item in items if item not in left_out]
    # make grade runs the lab's graders, as in a student's tree.
    if config.getoption("--grade", default=False):
        dev = [item for item in items if item.get_closest_marker("developer")]
        if dev:
            config.hook.pytest_deselected(items=dev)
            items[:] = [item for item in items if not item.get_closest_marker("developer")]
    # A paravirtual KVM's boots get longer bounds (harness.run): so does
    # pytest-timeout's backstop for the tests that make them.
    if harness.kvm_kind() == "paravirtual":
        backstop = config.getini("timeout") or 600
        for item in items:
            if item.get_closest_marker("kvm"):
                item.add_marker(pytest.mark.timeout(float(backstop) *
                                                    harness.PARAVIRTUAL_BOUND_FACTOR))
    listing = config.getoption("--list-graders", default=None)
    if listing:
        with open(listing, "w") as f:
            json.dump([{"name": item.name, "lab": lab_of(item),
                        "exercises": sorted(exercises_of(item)),
                        "kvm": bool(item.get_closest_marker("kvm")),
                        "slow": bool(item.get_closest_marker("slow")),
                        "part": (item.get_closest_marker("part").args[0]
                                 if item.get_closest_marker("part") else _default_part(item)),
                        "points": (item.get_closest_marker("points").args[0]
                                   if item.get_closest_marker("points") else 1)}
                       for item in items if not item.get_closest_marker("developer")], f)
    # The long tests first (KVM boots crawl on a nested host; slow ones are
    # slow everywhere): pytest-xdist hands tests out in this order, and a
    # long test that starts last leaves the other cores idle while it runs.
    items.sort(key=lambda item: 0 if item.get_closest_marker("kvm")
               or item.get_closest_marker("slow") else 1)


def pytest_runtest_setup(item):
    # The kernel runs the lab this grader belongs to (lab=N), as in a
    # student's tree for that lab.
    harness.CURRENT_LAB = lab_of(item)
    harness.WAITED[0] = 0.0
    points = item.get_closest_marker("points")
    part = item.get_closest_marker("part")
    item.user_properties.append(("points", points.args[0] if points else 1))
    item.user_properties.append(("part", part.args[0] if part else _default_part(item)))
    item.user_properties.append(("exercises", sorted(exercises_of(item))))


def stub_check_leaves_out(stub, items):
    """The tests a tree with exercise `stub` stubbed need not run to show
    that the others pass, each for a reason another check stands behind:
    - KVM and slow tests not marked with it: their quick twins run;
    - where the exercise's code runs only on behalf of an environment
      (labdeps.USER_ONLY), tests that run none (not marked env_run: the
      env_run tree shows they never reach it);
    - graders of earlier labs than the exercise's (their boots end before
      its lab's part runs; where a later lab's code runs in them all the
      same, the course clone in test_handout.py grades each lab in full
      with every later lab stubbed); of its lab, all but one per set of
      marks, marked with it or not (the same marks mean the same path
      through the exercises: one that fails, or passes, stands for the
      rest); of a later lab's not marked with it, all but one per set of
      marks on exercises of its lab and earlier ones (the later labs'
      exercises are solved in the tree, and the stub's code is reached
      through the earlier ones); of later labs' graders marked with it,
      all but one per lab (they run its code on the way to their own
      lab's: what must hold is that every grader not marked with it
      passes, and those still run, as above); KVM and slow tests, marked with it or not,
      are left out here too (a quick twin with the same exercises stands
      for each);
    - a second parametrization of a test with the same marks as the first;
    - a test that must run alone (exclusive: it holds up every other QEMU)
      where another test with the same marks runs."""
    import labdeps
    out, seen = [], set()
    if stub in labdeps.BOOT_STOPS:
        return boot_stop_leaves_out(stub, items)
    stub_lab = labdeps.EXERCISE_LAB.get(stub)
    representatives = {}
    if stub_lab is not None:
        for item in sorted(items, key=lambda i: bool(i.get_closest_marker("exclusive"))):
            if (lab_of(item) is not None and lab_of(item) > stub_lab and
                    stub not in exercises_of(item) and not item.get_closest_marker("kvm") and
                    not item.get_closest_marker("slow")):
                representatives.setdefault(later_unmarked_group(item, stub_lab), item)
    for item in items:
        ex = exercises_of(item)
        lab = lab_of(item)
        if stub_lab is not None and lab is not None:
            # An earlier lab's boots end before this lab's code runs. The
            # graders of this lab and later ones are represented by one per
            # set of marks (the same marks, the same path through the
            # exercises): those marked with the stub must fail, the others
            # pass.
            group = ("marks", lab, tuple(sorted(ex)))
            if item.get_closest_marker("kvm") or item.get_closest_marker("slow"):
                out.append(item)        # its quick twin stands for it
                continue
            if lab > stub_lab and stub in ex:
                # A later lab's graders reach this lab's code on the way
                # to their own: one that fails stands for the rest (a
                # quick one: not one that holds up every other QEMU).
                group = ("marked later", lab)
                if group in seen or item.get_closest_marker("exclusive"):
                    out.append(item)
                    continue
            if lab > stub_lab and stub not in ex:
                # A later lab's grader not marked with it: it must pass,
                # and one stands for every grader of that lab that depends
                # on the same exercises of this lab and earlier ones (the
                # code the stub sits in is reached through those; what
                # they do with the later labs' exercises, all solved in
                # this tree, does not change that). A quick one: not one
                # that holds up every other QEMU, where there is another.
                group = later_unmarked_group(item, stub_lab)
                if representatives.get(group) is not item:
                    out.append(item)
                    continue
            if (lab < stub_lab and stub not in ex) or group in seen:
                out.append(item)
            seen.add(group)
            continue
        if stub in ex:
            continue
        key = (item.module.__name__, getattr(item, "originalname", item.name), tuple(sorted(ex)))
        if (item.get_closest_marker("kvm") or item.get_closest_marker("slow")
                or (stub in labdeps.USER_ONLY and "env_run" not in ex) or key in seen):
            out.append(item)
        seen.add(key)
    kept = [item for item in items if item not in out]
    shared = {tuple(sorted(exercises_of(i))) for i in kept if not i.get_closest_marker("exclusive")}
    out += [i for i in kept if i.get_closest_marker("exclusive") and stub not in exercises_of(i)
            and tuple(sorted(exercises_of(i))) in shared]
    return out


def later_unmarked_group(item, stub_lab):
    """A later lab's grader's group in a stub check of a lab stub_lab
    exercise: its lab, and its marks on exercises of stub_lab and earlier."""
    import labdeps
    return ("later, unmarked", lab_of(item), tuple(sorted(
        e for e in exercises_of(item) if labdeps.EXERCISE_LAB.get(e, stub_lab + 1) <= stub_lab)))


def boot_stop_leaves_out(stub, items):
    """For a stub that stops the boot wherever it is reached
    (labdeps.BOOT_STOPS): every boot that reaches it fails the same way, so
    one test per lab (a quick one, on the direct boot path) stands for
    those marked with it; of the others, those of earlier labs and those
    with no exercise never run its lab's code (their boots end before it,
    or do not boot), and so do those that run no environment where the
    stub's code runs only for one (labdeps.USER_ONLY), and are left out.
    What runs: every test of its lab or later that is not marked with it
    (each must pass; of a later lab's, one per set of marks), and a marked
    one per lab (each must fail)."""
    import labdeps
    stub_lab = labdeps.EXERCISE_LAB.get(stub)
    out, sampled = [], set()
    for item in items:
        lab = lab_of(item)
        if stub in exercises_of(item):
            # One marked test per lab stands for the rest, on the direct
            # boot path: the stub is in the kernel, which stops the same
            # way whichever loader started it, and a GRUB boot costs an
            # ISO and the firmware's time.
            key = ("marked", lab)
            if key in sampled or "grub" in item.name or item.get_closest_marker("slow") or \
                    item.get_closest_marker("kvm") or item.get_closest_marker("exclusive"):
                out.append(item)
            else:
                sampled.add(key)
        elif (item.get_closest_marker("no_exercises") or
              (lab is not None and stub_lab is not None and lab < stub_lab) or
              (stub in labdeps.USER_ONLY and "env_run" not in exercises_of(item)) or
              item.get_closest_marker("slow") or item.get_closest_marker("kvm")):
            out.append(item)
        elif lab is not None and stub_lab is not None and lab > stub_lab:
            # A later lab's graders that do not depend on it: one per set
            # of marks.
            key = ("unmarked", lab, tuple(sorted(exercises_of(item))))
            if key in sampled:
                out.append(item)
            sampled.add(key)
    return out


def exercises_of(item):
    """Every exercise any exercises() marker on the test names (none with
    no_exercises, which overrides a module-wide mark)."""
    if item.get_closest_marker("no_exercises"):
        return set()
    return {e for m in item.iter_markers("exercises") for e in m.args}


def _default_part(item):
    name = os.path.basename(str(item.fspath))
    return name[len("test_"):-len(".py")].replace("_", " ") if name.startswith("test_") else name


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keeps a failure's one-line summary (what went wrong, how the run
    ended, where its log is) for make grade's report."""
    report = (yield).get_result()
    if call.when == "call":
        # Time spent waiting for other runs' locks is not the test's.
        report.user_properties.append(("waited", harness.WAITED[0]))
    if call.excinfo is not None and report.failed:
        report.user_properties.append(("summary", summarize(call.excinfo.value)))


def summarize(exc):
    """One line from a grader's failure: the problem (what was expected, and
    what the kernel printed instead where the harness found it), how the
    run ended where that is a cause (a panic with its place, a timeout with
    where each CPU was, the harness quitting QEMU ...), and its log (the
    harness writes them on lines of their own)."""
    lines = str(exc).splitlines() or [type(exc).__name__]
    problem = lines[0].strip() or type(exc).__name__
    outcome = [l.split(":", 1)[1].strip() for l in lines if l.strip().startswith("outcome:")]
    log = [l.split(":", 1)[1].strip().split(" ")[0] for l in lines
           if l.strip().startswith(("serial log:", "log:"))]
    cpus = [re.sub(r"^CPU (\d+): rip \S+ \(([^)]*)\)( halted)?.*", r"CPU \1 in \2\3", l.strip())
            for l in lines if re.match(r"\s+CPU \d+: rip ", l)]
    text = problem
    if outcome and outcome[0] not in problem and outcome_is_a_cause(outcome[0], problem):
        text += "; " + outcome[0]
        if cpus:
            text += " (%s)" % ", ".join(cpus[:8])
    text = text[:400]       # the log paths whole, after it
    marks = re.search(r"GOOD/BAD/MISSING marks: (\S+)\)", str(exc))
    if log:
        text += " [log: %s%s]" % (log[0], ", marks: " + marks.group(1) if marks else "")
    return text


def outcome_is_a_cause(outcome, problem):
    """Whether how the run ended may be why the test failed: not a clean
    exit, and not a stop at a lab's unfinished step where the kernel
    printed the line looked for, only wrong (the problem shows it)."""
    if outcome == "kernel exited with the pass status":
        return False
    if outcome.startswith("the boot stopped:") and "nearest line printed" in problem:
        return False
    return True


class GradeReport:
    """Collects results (on the xdist controller too) and prints the score."""

    def __init__(self, config):
        self.config = config
        self.results = {}

    def pytest_runtest_logreport(self, report):
        props = dict(report.user_properties)
        entry = self.results.setdefault(report.nodeid, {
            "points": props.get("points", 1), "part": props.get("part", "?"),
            "exercises": props.get("exercises", []),
            "outcome": "passed", "duration": 0.0, "reason": "", "summary": "",
            "where": (report.location[0], report.location[1] or 0, report.nodeid)})
        entry["duration"] += report.duration - props.get("waited", 0.0) if report.when == "call" \
            else report.duration
        entry["waited"] = entry.get("waited", 0.0) + (props.get("waited", 0.0)
                                                      if report.when == "call" else 0.0)
        if props.get("summary"):
            entry["summary"] = props["summary"]
        if report.skipped and entry["outcome"] == "passed":
            entry["outcome"] = "skipped"
            entry["reason"] = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
        elif report.failed:
            entry["outcome"] = "failed"
            entry["reason"] = str(report.longrepr)[-4000:]

    def pytest_terminal_summary(self, terminalreporter):
        tr = terminalreporter
        tr.section("grade")
        got = total = 0
        by_part = {}
        # In each part, the tests in the order their file defines them.
        for nodeid, r in sorted(self.results.items(), key=lambda kv: kv[1]["where"]):
            by_part.setdefault(r["part"], []).append((nodeid, r))
        # JOS's parts first, in order, then the others by name.
        for part in sorted(by_part, key=lambda p: (not p.startswith("Part "), p)):
            lines, part_got, part_total = [], 0, 0
            for nodeid, r in by_part[part]:
                name = nodeid.split("::", 1)[-1]
                if r["outcome"] == "skipped":
                    lines.append("  %s: SKIP (%s)" % (name, r["reason"]))
                    continue
                part_total += r["points"]
                ok = r["outcome"] == "passed"
                part_got += r["points"] if ok else 0
                waited = (", after %.0fs waiting for other runs" % r["waited"]
                          if r.get("waited", 0) >= 1 else "")
                lines.append("  %s: %s (%.1fs%s)%s" % (name, "OK" if ok else "FAIL", r["duration"],
                                                       waited,
                                                       "" if ok else ": " + (r["summary"] or "failed")))
            tr.write_line("%s (%d/%d):" % (part, part_got, part_total))
            for line in lines:
                tr.write_line(line)
            got, total = got + part_got, total + part_total
        tr.write_line("Score: %d/%d" % (got, total))
        if got < total:
            tr.write_line("Each test's serial log is in %s/<test>.log; a failed one also has "
                          "a .marked.log with GOOD/BAD/MISSING marks, named on its line. `make grade V=1` shows "
                          "full tracebacks." % os.path.relpath(harness.LOGDIR, harness.ROOT))
        self.unearnable = self.unearnable_points()
        for line in self.unearnable:
            tr.write_line(line)
        tr.write_line("Grading took %.1fs" % (time.monotonic() - self.config._grade_start))
        self.write_files(got, total)

    def unearnable_points(self):
        """An exercise whose every test was skipped (x2apic, on a machine
        with neither KVM nor a TCG that emulates x2APIC) earns nothing and
        loses nothing: say so, with the reason, rather than stay silent."""
        by_ex = {}
        for r in self.results.values():
            for ex in r["exercises"]:
                by_ex.setdefault(ex, []).append(r)
        lines = []
        for ex, rs in sorted(by_ex.items()):
            if all(r["outcome"] == "skipped" for r in rs):
                reasons = sorted({r["reason"].replace("Skipped: ", "") for r in rs})
                lines.append("Exercise %s: its %d test(s), %d points, could not be run on this "
                             "machine: %s" % (ex, len(rs), sum(r["points"] for r in rs),
                                              "; ".join(reasons)))
        return lines

    def write_files(self, got, total):
        tests = [dict(r, nodeid=nodeid, name=nodeid.split("::", 1)[-1])
                 for nodeid, r in sorted(self.results.items())]
        path = self.config.getoption("--grade-json")
        if path:
            with open(path, "w") as f:
                json.dump({"score": got, "max_score": total, "tests": tests}, f, indent=1)
        path = self.config.getoption("--gradescope")
        if path:
            gs = {"score": got, "output": "\n".join(self.unearnable), "tests": [
                {"name": t["name"], "score": t["points"] if t["outcome"] == "passed" else 0,
                 "max_score": t["points"], "output": t["reason"][-2000:],
                 "tags": t["exercises"]}
                for t in tests if t["outcome"] != "skipped"]}
            with open(path, "w") as f:
                json.dump(gs, f, indent=1)
