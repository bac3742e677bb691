#!/usr/bin/python3
"""Typical wrong solutions of the lab exercises (mutants), and the graders
that catch them.

A stub proves that an exercise left undone loses its points. A student's
wrong answer is rarely a stub: it is the almost-right solution. Each mutant
here is one such mistake, the kind the handouts' questions and JOS's lab
notes warn about, written as a change to the solution inside the
exercise's region (`find` is replaced by `replace`; `find` must occur
exactly once in the exercise's regions of `file`).

grade/test_mutants.py applies each mutant to a scratch copy of the
student tree, builds it, and runs the graders it names in `caught_by`:
each must fail. `make mutants` (this file run as a program) runs, for
every mutant, every grader of its lab marked with its exercise, and
writes what each mutant loses into labs/instructors.md's table.
"""

import dataclasses
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclasses.dataclass(frozen=True)
class Mutant:
    exercise: str
    name: str           # unique within its exercise
    file: str
    find: str
    replace: str
    mistake: str        # what the student got wrong, in a phrase
    caught_by: tuple    # graders (function names) of the exercise's lab that fail

    @property
    def id(self):
        return "%s/%s" % (self.exercise, self.name)


def M(exercise, name, file, find, replace, mistake, *caught_by):
    return Mutant(exercise, name, file, find, replace, mistake, tuple(caught_by))


MUTANTS = [
    # ---------------------------------------------------------------- lab 1
    M("printf_octal", "no_width", "lib/printfmt.cc",
      'print_number(putch, putdat, num, 8, width, padc, altflag && num != 0 ? "0" : "",',
      'print_number(putch, putdat, num, 8, -1, \' \', altflag && num != 0 ? "0" : "",',
      "ignores the field width and its padding", "test_printf"),
    M("printf_octal", "no_alt", "lib/printfmt.cc",
      'altflag && num != 0 ? "0" : ""', '""',
      "ignores '#' (no 0 before a nonzero number)", "test_printf"),
    M("printf_octal", "signed", "lib/printfmt.cc",
      "uint64_t num = getuint(&aq, lflag);\n\t\t\tprint_number(putch, putdat, num, 8,",
      "uint64_t num = static_cast<uint32_t>(getuint(&aq, lflag));\n"
      "\t\t\tprint_number(putch, putdat, num, 8,",
      "reads every argument as 32 bits (%lo of a long loses its high bits)", "test_printf"),
    M("backtrace", "no_first_frame", "kern/kdebug.cc",
      "\tfor (int depth = 0; rbp != 0 && depth < 4096; depth++) {",
      "\tif (rbp != 0)\n\t\trbp = reinterpret_cast<const uint64_t *>(rbp)[0];\n"
      "\tfor (int depth = 0; rbp != 0 && depth < 4096; depth++) {",
      "starts one frame too far out (skips mon_backtrace's)",
      "test_backtrace_count", "test_backtrace_arguments"),
    M("backtrace", "rip_for_rbp", "kern/kdebug.cc",
      "\t\tuint64_t ret = frame[1];", "\t\tuint64_t ret = frame[0];",
      "reads the saved rbp as the return address (rbp + 0, not rbp + 8)",
      "test_backtrace_count"),
    M("backtrace", "args_of_caller", "kern/kdebug.cc",
      "\t\tprint_args(here, owner);", "\t\tprint_args(here, info);",
      "prints each frame's arguments with the caller's function (one frame off)",
      "test_backtrace_arguments"),
    M("debuginfo_line", "next_row", "kern/kdebug.cc",
      "\tif (lo < klines_end && lo->addr <= rip && fn != nullptr && lo->addr >= fn->addr) {",
      "\tif (lo + 1 < klines_end)\n\t\tlo++;\n"
      "\tif (lo < klines_end && fn != nullptr && lo->addr >= fn->addr) {",
      "takes the table's next row (the line after the call)", "test_backtrace_lines"),
    M("debuginfo_line", "prev_row", "kern/kdebug.cc",
      "\tif (lo < klines_end && lo->addr <= rip && fn != nullptr && lo->addr >= fn->addr) {",
      "\tif (lo > klines)\n\t\tlo--;\n"
      "\tif (lo < klines_end && fn != nullptr && lo->addr >= fn->addr) {",
      "takes the row before the one that covers rip", "test_backtrace_lines"),
    M("debuginfo_line", "no_file", "kern/kdebug.cc",
      "\t\tinfo->file = kfiles[lo->file];\n", "",
      "fills in the line but not the file", "test_backtrace_symbols"),
]


def discover(lab, ids=None):
    """Runs every grader of the lab marked with each mutant's exercise (but
    the KVM and slow ones) on the mutant, in a scratch student tree, and
    prints which fail: for choosing a mutant's caught_by."""
    import json
    import shutil
    import subprocess
    import tempfile
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from test_handout import base_tree, exercise_labs
    ms = [m for m in by_lab(exercise_labs())[lab] if not ids or m.id in ids]
    tmp = tempfile.mkdtemp(prefix="smpjos-mutants-")
    tree = os.path.join(tmp, "tree")
    subprocess.run(["cp", "-a", base_tree(), tree], check=True)
    for f in ("mutants.py", "mutantrun.py"):
        shutil.copy(os.path.join(ROOT, "grade", f), os.path.join(tree, "grade", f))
    plan = {"solution": ROOT, "out": os.path.join(tmp, "out.json"), "discover": True,
            "batches": [[m.id] for m in ms]}
    with open(os.path.join(tmp, "plan.json"), "w") as f:
        json.dump(plan, f)
    subprocess.run([sys.executable, "-m", "pytest", "grade", "--lab", str(lab), "-n", "0", "-p",
                    "mutantrun", "--mutant-plan", os.path.join(tmp, "plan.json"), "-q", "-p",
                    "no:cacheprovider"], cwd=tree, env=dict(os.environ, PYTHONPATH=os.path.join(
                        tree, "grade")), stdin=subprocess.DEVNULL)
    with open(plan["out"]) as f:
        out = json.load(f)
    for m in ms:
        got = out.get(m.id, {})
        failed = sorted(n.split("::")[-1] for n, o in got.items() if o == "failed")
        print("%-40s %s" % (m.id, "BUILD FAILS" if "build" in got else
                            ", ".join(failed) or "NOTHING FAILS (of %d)" % len(got)))
    shutil.rmtree(tmp, ignore_errors=True)


def by_lab(labs):
    """The mutants, grouped by the lab of their exercise."""
    out = {}
    for m in MUTANTS:
        out.setdefault(labs[m.exercise], []).append(m)
    return out


REGION = r"// LAB \d+ EXERCISE %s BEGIN\n(.*?)// LAB \d+ EXERCISE %s END"


def apply(text, m):
    """The file's text with the mutant applied; ValueError if its `find`
    is not in the exercise's regions exactly once."""
    spans = [(r.start(1), r.end(1)) for r in
             re.finditer(REGION % (m.exercise, m.exercise), text, re.S)]
    if not spans:
        raise ValueError("%s: %s has no region of exercise %s" % (m.id, m.file, m.exercise))
    hits = [s + i for s, e in spans for i in _occurrences(text[s:e], m.find)]
    if len(hits) != 1:
        raise ValueError("%s: its text occurs %d times in %s's %s regions, not once:\n%s"
                         % (m.id, len(hits), m.file, m.exercise, m.find))
    return text[:hits[0]] + m.replace + text[hits[0] + len(m.find):]


def apply_to_student_file(solution_text, student_text, m):
    """The student tree's file (the solution's without the region markers
    and stubs, the regions' hints and code kept as they are) with the
    mutant applied: where the student's file has one of the exercise's
    regions, in the one that holds `find`."""
    apply(solution_text, m)
    # Each region's lines but its stub's ("//> ..."), up to the END line's
    # indentation, without the markers of regions inside it.
    regions = [re.sub(r"(?m)^\s*(//>.*|// LAB \d+ EXERCISE \w+ (BEGIN|END))\n", "",
                      r.group(1)[:r.group(1).rfind("\n") + 1])
               for r in re.finditer(REGION % (m.exercise, m.exercise), solution_text, re.S)]
    hits = [(start + i) for body in regions if m.find in body
            for start in _occurrences(student_text, body) for i in _occurrences(body, m.find)]
    if len(hits) != 1:
        raise ValueError("%s: its text occurs %d times in the student tree's %s regions of %s, "
                         "not once" % (m.id, len(hits), m.file, m.exercise))
    return student_text[:hits[0]] + m.replace + student_text[hits[0] + len(m.find):]


def _occurrences(text, part):
    i = text.find(part)
    while i >= 0:
        yield i
        i = text.find(part, i + 1)


if __name__ == "__main__":
    # grade/mutants.py LAB [MUTANT-ID ...]: which graders each mutant fails.
    discover(int(sys.argv[1]), set(sys.argv[2:]))
