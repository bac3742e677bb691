"""The APIC simulator itself (grade/lapicsim): built against lapic.cc's
classic mistakes, it must fail each, and say what went wrong. A grader that
cannot fail proves nothing."""

import os
import shutil
import subprocess

import pytest

import harness

# A test of the project itself, not a lab grader: `make test` runs it,
# `make grade` leaves it out (student trees do not have it).
pytestmark = pytest.mark.developer

LAPIC = os.path.join(harness.ROOT, "kern", "lapic.cc")
APICBASE = os.path.join(harness.ROOT, "kern", "apicbase.h")

# (name, file, solution text, mistake, what the simulator must say)
MISTAKES = [
    ("icr-through-mmio", LAPIC,
     "wrmsr(MSR_X2APIC_ICR, static_cast<uint64_t>(apic_id) << 32 | icr_low);\n\t\treturn true;",
     "(void)0;",
     "in x2APIC mode lapic_setup maps no xAPIC page"),
    ("destination-in-bits-31-24", LAPIC,
     "static_cast<uint64_t>(apic_id) << 32 | icr_low",
     "static_cast<uint64_t>(apic_id) << 24 | icr_low",
     "sent INIT to APIC ID 0, which is the boot CPU's"),
    ("no-fence", LAPIC,
     "\t\tmfence();\n\t\tlfence();\n\t\twrmsr(MSR_X2APIC_ICR",
     "\t\twrmsr(MSR_X2APIC_ICR",
     "without a fence before it"),
    ("register-msr-not-divided", LAPIC,
     "wrmsr(MSR_X2APIC_BASE + reg / 16, value);",
     "wrmsr(MSR_X2APIC_BASE + reg, value);",
     "no such x2APIC register"),
    ("id-shifted", LAPIC,
     "return lapic_mode == LapicMode::X2apic ? id : id >> 24;",
     "return id >> 24;",
     "holds all 32 bits, not shifted"),
    ("extd-on-a-disabled-apic", APICBASE,
     "\t\tbase |= APIC_BASE_EN;\n\t\twrites[n++] = base;",
     "\t\tbase |= APIC_BASE_EN;",
     "to a disabled APIC: #GP"),
]


def build_sim(tmp_path, path, text):
    """The simulator, built against the tree with `path` replaced by text."""
    shadow = tmp_path / "shadow"
    (shadow / "kern").mkdir(parents=True)
    rel = os.path.relpath(path, harness.ROOT)
    (shadow / rel).write_text(text)
    binary = tmp_path / "lapicsim"
    src = str(shadow / rel) if rel.endswith(".cc") else LAPIC
    p = subprocess.run(["g++", "-std=c++20", "-O1", "-I", str(shadow), "-I", harness.ROOT,
                        "-DHOST_BUILD", "-DHOST_SIM", "-w", "-o", str(binary),
                        os.path.join(harness.ROOT, "grade", "lapicsim", "lapicsim.cc"), src],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    return binary


@pytest.mark.parametrize("name,path,good,bad,said", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_simulator_catches(name, path, good, bad, said, tmp_path):
    with open(path) as f:
        text = f.read()
    assert good in text, "%s no longer holds %r: update this test" % (path, good)
    binary = build_sim(tmp_path, path, text.replace(good, bad))
    for args in (["--ids", "0,1,256,65538"], ["--count", "4", "--parallel", "--ap-state",
                                                "disabled"]):
        p = subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=60)
        assert p.returncode == 1 and "lapicsim: FAIL" in p.stdout, (
            "%s passed the simulator (%s):\n%s" % (name, " ".join(args), p.stdout[-2000:]))
        assert said in p.stdout, "%s: the simulator did not say %r:\n%s" % (
            name, said, p.stdout[-2000:])


def test_simulator_passes_the_solution_with_a_trace():
    # The unchanged solution passes, and --trace shows the accesses it made.
    import lapicsim
    r = lapicsim.run("sim-trace", "--ids", "0,300", "--trace")
    r.expect_pass()
    assert any("wrmsr 0x830 = 0x12c0000c500" in l for l in r.lines), r.explain(
        "no INIT (0xc500) to APIC ID 300 (0x12c) through the 64-bit ICR in the trace")
