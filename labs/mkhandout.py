#!/usr/bin/python3
"""Writes a student tree from this (solution) tree.

    labs/mkhandout.py --lab N --dest DIR [--exercises all|none|ID,ID...]
                      [--earlier solved|stubbed]

Exercise regions in the solution read:

    // LAB 2 EXERCISE <id> BEGIN
    // hints: plain comment lines, kept
    //> a stub line: in the handout without the "//> "
    ... the solution: left out of the handout ...
    // LAB 2 EXERCISE <id> END

A later lab's region may sit inside an earlier lab's solution (lab 4 adds
to code a student wrote in lab 2): it goes with that solution, stubbed or
not as its own exercise says. An id names one exercise, of one lab.

A stubbed region becomes its hints, JOS's "// LAB n: Your code here." and
its stub; a region whose exercise is not stubbed keeps its hints and
solution. Which exercises are stubbed: with --exercises all (the default),
every exercise of lab N and of every later lab, and those of earlier labs
too with --earlier stubbed (a student carrying one tree through the course
has their own code there); a list stubs exactly those; none, nothing.

The tree is lab N's: conf/lab.mk says TREE_LAB := N, and the material of later
labs is left out (their handouts labs/labK.md and their graders: a
grade/test_*.py whose module marks `pytest.mark.lab(K)`). Files listed in
labs/handout.exclude (solution-only and developer files) are left out. In
Markdown files, a line holding <!-- solution-only --> and the lines from
<!-- solution-only begin --> to <!-- solution-only end --> are left out too:
they describe what the student tree does not have; so is a line holding
<!-- from-lab K --> in the trees of labs before K (it names a later lab's
file). Everything else is copied as it is.
"""

import argparse
import fnmatch
import os
import re
import shutil
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LABS = range(1, 7)

BEGIN = re.compile(r"^(\s*)// LAB (\d+) EXERCISE (\w+) BEGIN\s*$")
END = re.compile(r"^\s*// LAB (\d+) EXERCISE (\w+) END\s*$")
ANY_MARKER = re.compile(r"// LAB \d+ EXERCISE \w+ (BEGIN|END)")
STUB = re.compile(r"^\s*//>")


def tracked_files():
    """The files of this tree: git's list when it is a checkout, else a walk
    that skips build output."""
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                             check=True).stdout
        return [f for f in out.decode().split("\0") if f]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for d, dirs, names in os.walk(ROOT):
            dirs[:] = [x for x in dirs if x not in ("obj", ".git", "__pycache__")]
            files += [os.path.relpath(os.path.join(d, n), ROOT) for n in names]
        return sorted(files)


def excluded(path, patterns):
    return any(fnmatch.fnmatch(path, p) or (p.endswith("/") and path.startswith(p))
               for p in patterns)


def regions(lines, path, start=0, stop=None, outer=None):
    """Parses lines[start:stop] into a list of ("text", line) and
    ("region", lab, id, indent, body_start, body_end) items; body indexes
    are into lines."""
    stop = len(lines) if stop is None else stop
    items, i = [], start
    while i < stop:
        m = BEGIN.match(lines[i])
        if not m:
            if END.match(lines[i]) or ANY_MARKER.search(lines[i]):
                raise SystemExit("%s:%d: stray exercise marker%s" % (
                    path, i + 1, " inside %s" % outer if outer else ""))
            items.append(("text", lines[i]))
            i += 1
            continue
        indent, lab, ex = m.group(1), int(m.group(2)), m.group(3)
        depth, j = 0, i + 1
        while j < stop:
            b, e = BEGIN.match(lines[j]), END.match(lines[j])
            if b:
                if b.group(3) == ex:
                    raise SystemExit("%s:%d: exercise %s begins inside itself" % (path, j + 1, ex))
                depth += 1
            elif e:
                if e.group(2) == ex and depth == 0:
                    if int(e.group(1)) != lab:
                        raise SystemExit("%s:%d: exercise %s ends as lab %s, began as lab %d"
                                         % (path, j + 1, ex, e.group(1), lab))
                    break
                depth -= 1
            j += 1
        if j >= stop:
            raise SystemExit("%s:%d: exercise %s has no END" % (path, i + 1, ex))
        items.append(("region", lab, ex, indent, i + 1, j))
        i = j + 1
    return items


def render(lines, path, stubbed, found, start=0, stop=None, outer=None):
    """The text of lines[start:stop] with its exercise regions rewritten;
    found collects {id: lab} for every region seen."""
    out = []
    for item in regions(lines, path, start, stop, outer):
        if item[0] == "text":
            out.append(item[1])
            continue
        _, lab, ex, indent, b, e = item
        if found.setdefault(ex, lab) != lab:
            raise SystemExit("%s:%d: exercise %s is marked lab %d here and lab %d elsewhere"
                             % (path, b, ex, lab, found[ex]))
        k = b
        while k < e and re.match(r"^\s*//(?!>)", lines[k]) and not ANY_MARKER.search(lines[k]):
            out.append(lines[k])            # the hints
            k += 1
        # The stub: this region's own //> lines (not those of a region inside).
        stub, depth = [], 0
        for line in lines[k:e]:
            if BEGIN.match(line):
                depth += 1
            elif END.match(line):
                depth -= 1
            elif depth == 0 and STUB.match(line):
                stub.append(re.sub(r"^(\s*)//> ?", r"\1", line))
        if ex in stubbed:
            out.append(indent + "// LAB %d: Your code here." % lab)
            out += stub
            # Ids of regions inside count as seen (their code is gone).
            for inner in regions(lines, path, k, e, ex):
                if inner[0] == "region":
                    render(lines, path, set(), found, inner[4], inner[5], inner[2])
                    found.setdefault(inner[2], inner[1])
        else:
            body = [line for line in lines[k:e]]
            # Drop this region's stub lines, keep everything else (inner
            # regions are rendered on their own).
            kept, depth = [], 0
            for n, line in enumerate(body):
                if BEGIN.match(line):
                    depth += 1
                elif END.match(line):
                    depth -= 1
                elif depth == 0 and STUB.match(line):
                    continue
                kept.append(k + n)
            sub = [lines[n] for n in kept]
            out += render(sub, path, stubbed, found, outer=ex)
    return out


def transform(text, stubbed, path, found):
    """Returns text with its exercise regions rewritten."""
    return "\n".join(render(text.split("\n"), path, stubbed, found))


def drop_solution_only(text, path):
    """Markdown without its solution-only lines and blocks."""
    out, inside = [], None
    for n, line in enumerate(text.split("\n"), 1):
        if "<!-- solution-only begin -->" in line:
            if inside:
                raise SystemExit("%s:%d: solution-only block inside the one at line %d"
                                 % (path, n, inside))
            inside = n
        elif "<!-- solution-only end -->" in line:
            if not inside:
                raise SystemExit("%s:%d: solution-only end without a begin" % (path, n))
            inside = None
        elif not inside and "<!-- solution-only -->" not in line:
            out.append(line)
    if inside:
        raise SystemExit("%s:%d: solution-only block has no end" % (path, inside))
    return "\n".join(out)


def drop_later_labs(text, lab):
    """Markdown without the lines marked <!-- from-lab K --> for a later lab
    than `lab`."""
    return "\n".join(l for l in text.split("\n")
                     if not any(int(k) > lab for k in re.findall(r"<!-- from-lab (\d+) -->", l)))


def lab_of_material(path, data):
    """The lab a file belongs to, if it is one lab's material: labs/labK.md,
    or a grader module marked pytest.mark.lab(K). None for shared files."""
    m = re.match(r"^labs/lab(\d+)\.md$", path)
    if m:
        return int(m.group(1))
    if re.match(r"^grade/test_\w+\.py$", path):
        m = re.search(rb"^pytestmark\s*=.*pytest\.mark\.lab\((\d+)\)", data, re.M)
        if m:
            return int(m.group(1))
    return None


def exercise_labs(files):
    """{id: lab} over every file."""
    found = {}
    for f in files:
        with open(os.path.join(ROOT, f), "rb") as fh:
            data = fh.read()
        if b"EXERCISE" in data:
            render(data.decode().split("\n"), f, set(), found)
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lab", type=int, required=True, choices=list(LABS))
    ap.add_argument("--dest", required=True)
    ap.add_argument("--exercises", default="all",
                    help="which exercises to stub: all (of this lab and later ones), none, "
                    "or id,id,...")
    ap.add_argument("--earlier", default="solved", choices=["solved", "stubbed"],
                    help="with --exercises all: earlier labs' exercises solved (a fresh "
                    "tree) or stubbed (the one-tree course, where the student's own code "
                    "goes there)")
    args = ap.parse_args()

    exclude_file = os.path.join(ROOT, "labs", "handout.exclude")
    with open(exclude_file) as f:
        patterns = [l.strip() for l in f if l.strip() and not l.startswith("#")]

    dest = os.path.abspath(args.dest)
    if os.path.exists(dest) and os.listdir(dest):
        raise SystemExit("mkhandout: %s exists and is not empty; choose another DEST" % dest)

    files = [f for f in tracked_files() if not excluded(f, patterns)]
    labs = exercise_labs(files)
    if args.exercises == "all":
        stubbed = {ex for ex, lab in labs.items()
                   if lab >= args.lab or args.earlier == "stubbed"}
    elif args.exercises == "none":
        stubbed = set()
    else:
        stubbed = set(args.exercises.split(","))
        unknown = stubbed - set(labs)
        if unknown:
            raise SystemExit("mkhandout: no exercise %s (exercises: %s)" % (
                ", ".join(sorted(unknown)), ", ".join(sorted(labs))))

    copied, found = 0, {}
    for f in files:
        src, dst = os.path.join(ROOT, f), os.path.join(dest, f)
        with open(src, "rb") as fh:
            data = fh.read()
        material = lab_of_material(f, data)
        if material is not None and material > args.lab:
            continue
        if f == "conf/lab.mk":
            data = re.sub(rb"(?m)^TREE_LAB := \d+$", b"TREE_LAB := %d" % args.lab, data)
        if b"EXERCISE" in data and ANY_MARKER.search(data.decode(errors="replace")):
            data = transform(data.decode(), stubbed, f, found).encode()
        if f.endswith(".md"):
            data = drop_later_labs(drop_solution_only(data.decode(), f), args.lab).encode()
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(dst, "wb") as fh:
            fh.write(data)
        shutil.copymode(src, dst)
        copied += 1
    print("mkhandout: lab %d in %s: %d files; exercises stubbed: %s" % (
        args.lab, args.dest, copied, ", ".join(sorted(stubbed & set(found))) or "none"))


if __name__ == "__main__":
    main()
