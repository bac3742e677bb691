#!/usr/bin/python3
"""Writes the student tree for a lab from this (solution) tree.

    labs/mkhandout.py --lab 4 --dest DIR [--exercises ID,ID...]

Exercise regions in the solution read:

    // LAB 4 EXERCISE <id> BEGIN
    // hints: plain comment lines, kept
    //> a stub line: in the handout without the "//> "
    ... the solution: left out of the handout ...
    // LAB 4 EXERCISE <id> END

A stubbed region becomes its hints, JOS's "// LAB 4: Your code here." and its
stub; a region whose exercise is not stubbed keeps its hints and solution.
Files listed in labs/lab<N>.exclude (solution-only and developer files) are
left out. In Markdown files, a line holding <!-- solution-only --> and the
lines from <!-- solution-only begin --> to <!-- solution-only end --> are
left out too: they describe what the student tree does not have. Everything
else is copied as it is.
"""

import argparse
import fnmatch
import os
import re
import shutil
import stat
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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


def transform(text, lab, stubbed, path, found):
    """Returns text with its exercise regions rewritten."""
    begin = re.compile(r"^(\s*)// LAB %d EXERCISE (\w+) BEGIN\s*$" % lab)
    end_fmt = r"^\s*// LAB %d EXERCISE %s END\s*$"
    out, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        m = begin.match(lines[i])
        if not m:
            if re.search(r"// LAB %d EXERCISE \w+ (BEGIN|END)" % lab, lines[i]):
                raise SystemExit("%s:%d: stray exercise marker" % (path, i + 1))
            out.append(lines[i])
            i += 1
            continue
        indent, ex = m.group(1), m.group(2)
        end = re.compile(end_fmt % (lab, ex))
        j = i + 1
        while j < len(lines) and not end.match(lines[j]):
            if begin.match(lines[j]):
                raise SystemExit("%s:%d: exercise %s begins inside %s" % (path, j + 1,
                                                                          begin.match(lines[j]).group(2), ex))
            j += 1
        if j == len(lines):
            raise SystemExit("%s:%d: exercise %s has no END" % (path, i + 1, ex))
        body = lines[i + 1:j]
        found.add(ex)
        k = 0
        while k < len(body) and re.match(r"^\s*//(?!>)", body[k]):
            out.append(body[k])             # the hints
            k += 1
        stub = [re.sub(r"^(\s*)//> ?", r"\1", l) for l in body[k:] if re.match(r"^\s*//>", l)]
        solution = [l for l in body[k:] if not re.match(r"^\s*//>", l)]
        if ex in stubbed:
            out.append(indent + "// LAB %d: Your code here." % lab)
            out += stub
        else:
            out += solution
        i = j + 1
    return "\n".join(out)


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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lab", type=int, required=True)
    ap.add_argument("--dest", required=True)
    ap.add_argument("--exercises", default="all",
                    help="which exercises to stub: all, none, or id,id,...")
    args = ap.parse_args()

    exclude_file = os.path.join(ROOT, "labs", "lab%d.exclude" % args.lab)
    with open(exclude_file) as f:
        patterns = [l.strip() for l in f if l.strip() and not l.startswith("#")]

    dest = os.path.abspath(args.dest)
    if os.path.exists(dest) and os.listdir(dest):
        raise SystemExit("mkhandout: %s exists and is not empty; choose another DEST" % dest)

    files = [f for f in tracked_files() if not excluded(f, patterns)]
    marker = "// LAB %d EXERCISE " % args.lab
    all_ids = set()
    for f in files:
        with open(os.path.join(ROOT, f), errors="replace") as fh:
            all_ids |= set(re.findall(re.escape(marker) + r"(\w+) BEGIN", fh.read()))
    if args.exercises == "all":
        stubbed = all_ids
    elif args.exercises == "none":
        stubbed = set()
    else:
        stubbed = set(args.exercises.split(","))
        unknown = stubbed - all_ids
        if unknown:
            raise SystemExit("mkhandout: no exercise %s in lab %d (exercises: %s)" % (
                ", ".join(sorted(unknown)), args.lab, ", ".join(sorted(all_ids))))

    found = set()
    for f in files:
        src, dst = os.path.join(ROOT, f), os.path.join(dest, f)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(src, "rb") as fh:
            data = fh.read()
        if marker.encode() in data:
            data = transform(data.decode(), args.lab, stubbed, f, found).encode()
        if f.endswith(".md"):
            data = drop_solution_only(data.decode(), f).encode()
        with open(dst, "wb") as fh:
            fh.write(data)
        shutil.copymode(src, dst)
    print("mkhandout: lab %d in %s: %d files; exercises stubbed: %s" % (
        args.lab, args.dest, len(files), ", ".join(sorted(stubbed & found)) or "none"))


if __name__ == "__main__":
    main()
