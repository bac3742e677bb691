"""Host tests of the kernel's parsers (host/): the GoogleTest suite, and a
short libFuzzer pass per parser (the long one is `make fuzz`)."""

import os
import subprocess

import pytest

import harness

# A test of the project itself, not a lab grader: `make test` runs it,
# `make grade` leaves it out (student trees do not have it).
pytestmark = pytest.mark.developer

HOST = os.path.join(harness.ROOT, "obj", "host")
FUZZERS = ["bootinfo", "acpi", "mptable", "cmdline", "elf"]


@pytest.mark.parametrize("suite", ["parsers_test", "kernel_test"])
def test_host_unit_tests(suite):
    p = subprocess.run([os.path.join(HOST, suite), "--gtest_brief=1"],
                       cwd=harness.ROOT, capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, SMPJOS_ROOT=harness.ROOT))
    assert p.returncode == 0, "%s failed:\n" % suite + p.stdout[-6000:] + p.stderr[-3000:]
    assert "[  PASSED  ]" in p.stdout, p.stdout


@pytest.mark.parametrize("parser", FUZZERS)
def test_short_fuzz_pass(parser, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    extra = ["-max_len=1024"] if parser == "cmdline" else []    # as host/Makefrag
    p = subprocess.run([os.path.join(HOST, "fuzz_" + parser), "-max_total_time=5", *extra,
                        "-print_final_stats=1", "-artifact_prefix=%s/" % tmp_path,
                        str(corpus), os.path.join(HOST, "seeds", parser)],
                       cwd=harness.ROOT, capture_output=True, text=True, timeout=120)
    out = p.stdout + p.stderr
    assert p.returncode == 0, ("fuzz_%s found a problem (input saved in %s):\n%s"
                               % (parser, tmp_path, out[-6000:]))
    runs = [int(l.split(":")[-1]) for l in out.splitlines()
            if l.startswith("stat::number_of_executed_units")]
    assert runs and runs[0] > 1000, "the fuzzer barely ran:\n" + out[-3000:]
