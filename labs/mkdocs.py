#!/usr/bin/python3
"""Writes what the handouts show of the tree, from the tree:

    labs/mkdocs.py [--lab N ...]

- each labs/labN.md's "## Grading" table (the lab's graders, their parts
  and points, as make grade collects them; a row keeps the description
  after its grader's name) and its `Score: X/X`;
- each sample output, the fenced block after `<!-- sample output: KARGS
  -->`: what `make qemu-nox BOOT=direct CPUS=1 KARGS="KARGS monitor=off"`
  prints, from the block's first line to its last line's kind (their
  first words), and the `file:line`s the handout quotes from it
  (`<!-- line: FUNCTION -->` after a quote names the function whose
  frame line it is).

and labs/instructors.md's table of mutants (grade/mutants.py).
grade/test_docs.py checks them all against the tree; this writes them
anew after a change.
"""

import argparse
import collections
import json
import os
import re
import signal
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE = re.compile(r"(<!-- sample output: (.*?) -->\n```\n)(.*?)(```)", re.S)


def graders():
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        p = subprocess.run([sys.executable, "-m", "pytest", "grade", "--collect-only", "-q",
                            "-n", "0", "--lab", "all", "--list-graders", out.name], cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            sys.exit("mkdocs: collecting the graders failed:\n" + p.stdout[-3000:] + p.stderr)
        return json.load(open(out.name))


def grading_rows(lab, collected):
    """[(part, name, points cell)] in make grade's order, and the total."""
    rows = collections.OrderedDict()
    for g in collected:
        if g["lab"] != lab:
            continue
        base = g["name"].split("[")[0]
        rows.setdefault(base, (g["part"], []))[1].append(g["points"])
    parts = sorted({p for p, _ in rows.values()}, key=lambda p: (not p.startswith("Part "), p))
    out = []
    for part in parts:
        for name, (p, pts) in rows.items():
            if p == part:
                cell = (str(pts[0]) if len(pts) == 1 else
                        "%d each" % pts[0] if len(set(pts)) == 1 else str(sum(pts)))
                out.append((part, name, cell))
    return out, sum(sum(p) for _, p in rows.values())


def write_grading(text, lab, collected):
    m = re.search(r"^## Grading\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    if not m:
        return text
    section = m.group(1)
    said = dict(re.findall(r"^\|[^|]*\| `(test_\w+)`([^|]*?) \|", section, re.M))
    rows, total = grading_rows(lab, collected)
    lines, last = ["| part | graders | points |", "|---|---|---|"], None
    for part, name, cell in rows:
        lines.append("| %s | `%s`%s | %s |" % (part if part != last else "", name,
                                                said.get(name, ""), cell))
        last = part
    table = "\n".join(lines).replace("|  |", "| |")
    section = re.sub(r"(?ms)^\| part \| graders \| points \|\n.*?(?=\n\n|\n?\Z)",
                     lambda _: table, section, count=1)
    section = re.sub(r"`Score: \d+/\d+`", "`Score: %d/%d`" % (total, total), section)
    return text[:m.start(1)] + section + text[m.end(1):]


def boot_output(kargs):
    """The serial output of a direct boot with these kernel arguments (no
    disk, no network card), bounded: make and its QEMU are stopped after
    120 s."""
    p = subprocess.Popen(["make", "-s", "qemu-nox", "BOOT=direct", "CPUS=1", "DISK=", "NET=none",
                          "KARGS=%s monitor=off" % kargs], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True,
                         start_new_session=True)
    try:
        out, _ = p.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        sys.exit("mkdocs: make qemu-nox KARGS='%s' did not finish in 120 s" % kargs)
    return out.replace("\r\n", "\n").splitlines()


def masked(line):
    """As grade/test_docs.py compares sample lines: 64-bit values and
    offsets into functions left out."""
    return re.sub(r"\+\d+\b", "+N", re.sub(r"\b[0-9a-f]{16}\b", "X", line.rstrip()))


def write_samples(text):
    def fill(m):
        old = m.group(3).splitlines()
        out = boot_output(m.group(2))
        first = next((i for i, l in enumerate(out) if l == old[0]), None)
        last_kind = old[-1].split(":")[0]
        if first is None:
            sys.exit("mkdocs: the kernel no longer prints the sample's first line %r" % old[0])
        end = next((i for i in range(first, len(out)) if out[i].split(":")[0] == last_kind),
                   len(out) - 1)
        new = out[first:end + 1]
        if [masked(l) for l in new] == [masked(l) for l in old]:
            return m.group(0)       # the same but for addresses: no churn
        return m.group(1) + "\n".join(new) + "\n" + m.group(4)
    text = SAMPLE.sub(fill, text)
    # Quotes of a frame's line: `kern/init.cc:NNN` <!-- line: FUNCTION -->.
    samples = "\n".join(m.group(3) for m in SAMPLE.finditer(text))

    def quote(m):
        frame = re.search(r"(\S+:\d+): %s\+" % re.escape(m.group(3)), samples)
        return ("`%s`" % frame.group(1) if frame else m.group(1)) + m.group(2)
    return re.sub(r"(`[\w/.]+:\d+`)( *<!-- line: (\w+) -->)", quote, text)


def write_mutants(text):
    """instructors.md's table of mutants, from grade/mutants.py."""
    sys.path.insert(0, os.path.join(ROOT, "grade"))
    import mutants
    lines = ["| exercise | mutant | the mistake | caught by |", "|---|---|---|---|"]
    last = None
    for m in mutants.MUTANTS:
        lines.append("| %s | `%s` | %s | %s |" % (
            "`%s`" % m.exercise if m.exercise != last else "", m.name,
            m.mistake.replace("|", "\\|"), ", ".join("`%s`" % g for g in m.caught_by)))
        last = m.exercise
    table = "\n".join(lines).replace("|  |", "| |")
    return re.sub(r"(?s)(<!-- mutants table begin -->\n).*?(<!-- mutants table end -->)",
                  lambda m: m.group(1) + table + "\n" + m.group(2), text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lab", type=int, action="append")
    args = ap.parse_args()
    collected = graders()
    for lab in args.lab or range(1, 7):
        path = os.path.join(ROOT, "labs", "lab%d.md" % lab)
        if not os.path.exists(path):
            continue
        with open(path) as f:
            text = f.read()
        new = write_samples(write_grading(text, lab, collected))
        if new != text:
            with open(path, "w") as f:
                f.write(new)
            print("mkdocs: wrote %s" % os.path.relpath(path, ROOT))
    path = os.path.join(ROOT, "labs", "instructors.md")
    with open(path) as f:
        text = f.read()
    new = write_mutants(text)
    if new != text:
        with open(path, "w") as f:
            f.write(new)
        print("mkdocs: wrote %s" % os.path.relpath(path, ROOT))


if __name__ == "__main__":
    main()
