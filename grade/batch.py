#!/usr/bin/python3
"""Grades a directory of submissions: make grade-batch SUBMISSIONS=dir OUT=dir.

Each submission is a tarball (.tar.gz, .tgz, .tar: what `make handin`
writes) or a directory (a git checkout or a plain tree). Each is unpacked
into OUT/work/<name>, given this tree's graders (so that a student's edits
to grade/ change nothing), built and graded with `make grade`, with a bound
on the whole run. Submissions are graded in parallel.

OUT/grades.csv gets one row per student: score, maximum, status
(graded, build failed, timed out, grading failed) and a reason;
OUT/<name>/ keeps the grading log, results.json and the marked serial log
of every failed test. A submission that does not build, hangs or crashes
gets its row and never stops the batch.
"""

import argparse
import concurrent.futures
import csv
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def lab_graders():
    """This tree's grader files, minus the developer ones the student tree
    does not have (labs/*.exclude)."""
    patterns = []
    for name in os.listdir(os.path.join(ROOT, "labs")):
        if name.endswith(".exclude"):
            with open(os.path.join(ROOT, "labs", name)) as f:
                patterns += [l.strip() for l in f if l.strip() and not l.startswith("#")]
    files = []
    for name in sorted(os.listdir(os.path.join(ROOT, "grade"))):
        path = "grade/" + name
        if (name.endswith(".py") or name == "Makefrag") and \
                not any(fnmatch.fnmatch(path, p) for p in patterns):
            files.append(path)
    return files + ["pytest.ini"]


def unpack(src, dest):
    """Copies or extracts a submission into dest; returns its top directory."""
    os.makedirs(dest)
    if os.path.isdir(src):
        shutil.copytree(src, dest, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("obj", ".git", "__pycache__"))
    else:
        with tarfile.open(src) as tar:
            for m in tar.getmembers():
                target = os.path.realpath(os.path.join(dest, m.name))
                if not target.startswith(os.path.realpath(dest) + os.sep) and \
                        target != os.path.realpath(dest):
                    raise ValueError("unsafe path in tarball: %s" % m.name)
                if m.issym() or m.islnk():
                    raise ValueError("links are not accepted in a submission: %s" % m.name)
            tar.extractall(dest)
    entries = [e for e in os.listdir(dest) if not e.startswith(".")]
    if len(entries) == 1 and os.path.isdir(os.path.join(dest, entries[0])):
        return os.path.join(dest, entries[0])
    return dest


def grade_one(src, out, timeout, workers, lab=None):
    name = re.sub(r"\.(tar\.gz|tgz|tar)$", "", os.path.basename(src.rstrip("/")))
    res_dir = os.path.join(out, name)
    shutil.rmtree(res_dir, ignore_errors=True)
    os.makedirs(res_dir)
    row = {"student": name, "score": 0, "max_score": 0, "status": "", "reason": "",
           "failed_tests": ""}
    work = os.path.join(out, "work", name)
    shutil.rmtree(work, ignore_errors=True)
    try:
        tree = unpack(src, work)
    except (OSError, ValueError, tarfile.TarError) as e:
        row.update(status="unreadable", reason=str(e))
        return row
    if not os.path.exists(os.path.join(tree, "GNUmakefile")):
        row.update(status="unreadable", reason="no GNUmakefile at the top of the submission")
        return row

    for f in lab_graders():
        os.makedirs(os.path.dirname(os.path.join(tree, f)), exist_ok=True)
        shutil.copy(os.path.join(ROOT, f), os.path.join(tree, f))

    results = os.path.join(res_dir, "results.json")
    cmd = ["make", "-j%d" % workers, "grade", "GRADE_JSON=" + results,
           "PYTESTARGS=-n %d -p no:cacheprovider" % workers,
           *(["GRADE_LABS=%d" % lab] if lab else [])]
    log_path = os.path.join(res_dir, "grade.log")
    with open(log_path, "w") as log:
        try:
            p = subprocess.run(cmd, cwd=tree, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, timeout=timeout,
                               start_new_session=True)
            status = p.returncode
        except subprocess.TimeoutExpired:
            status = None
    with open(log_path, errors="replace") as f:
        log_text = f.read()

    if os.path.exists(results):
        with open(results) as f:
            r = json.load(f)
        failed = [t["name"] for t in r["tests"] if t["outcome"] == "failed"]
        row.update(score=r["score"], max_score=r["max_score"], status="graded",
                   reason="all tests passed" if not failed else "%d test(s) failed" % len(failed),
                   failed_tests=";".join(failed))
        marked = os.path.join(tree, "obj", "grade")
        if os.path.isdir(marked):
            os.makedirs(os.path.join(res_dir, "logs"), exist_ok=True)
            for f in os.listdir(marked):
                if f.endswith(".marked.log"):
                    shutil.copy(os.path.join(marked, f), os.path.join(res_dir, "logs", f))
    elif status is None:
        row.update(status="timed out", reason="grading took more than %ds" % timeout)
    elif re.search(r"^make: \*\*\* .*obj/", log_text, re.M) or "error:" in log_text:
        err = re.search(r"^.*error:.*$", log_text, re.M)
        row.update(status="build failed",
                   reason=err.group(0).strip() if err else "make failed before grading")
    else:
        tail = " / ".join(log_text.strip().splitlines()[-3:])
        row.update(status="grading failed", reason=tail[-300:])
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("submissions")
    ap.add_argument("--out", required=True)
    ap.add_argument("--jobs", type=int, default=max(1, (os.cpu_count() or 2) // 2),
                    help="submissions graded at once")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per submission")
    ap.add_argument("--lab", type=int, help="grade this lab (default: each tree's own, "
                    "its conf/lab.mk)")
    args = ap.parse_args()

    subs = sorted(os.path.join(args.submissions, e) for e in os.listdir(args.submissions)
                  if not e.startswith("."))
    if not subs:
        raise SystemExit("batch: no submissions in %s" % args.submissions)
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    workers = max(1, (os.cpu_count() or 2) // args.jobs)
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        rows = list(pool.map(lambda s: grade_one(os.path.abspath(s), out, args.timeout,
                                                 workers, args.lab), subs))
    path = os.path.join(out, "grades.csv")
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["student", "score", "max_score", "status", "reason",
                                          "failed_tests"])
        w.writeheader()
        w.writerows(rows)
    for r in rows:
        print("%-24s %4s/%-4s %-14s %s" % (r["student"], r["score"], r["max_score"],
                                          r["status"], r["reason"]))
    print("wrote " + path)


if __name__ == "__main__":
    sys.exit(main())
