"""The project's own documents name graders that exist."""

import glob
import os
import re

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
