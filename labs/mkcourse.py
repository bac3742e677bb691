#!/usr/bin/python3
"""Writes the course's git repository: one branch per lab, lab1 to labN.

    labs/mkcourse.py --dest DIR [--labs N]

Branch labK holds lab K's student tree with every exercise stubbed, those
of earlier labs too: the one-tree course, where those regions hold the
student's own code. Each branch is one commit on top of the one before, so
a student who did lab K in their clone of labK runs `git merge
origin/labK+1` (as JOS's students merged each new lab's branch): what the
new lab brings (its handout, its graders, conf/lab.mk's LAB) arrives, and
their code stays, since the regions they filled in are the same stubs on
both branches. Publish DIR (a bare clone of it) to the students.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def git(dest, *args):
    subprocess.run(["git", *args], cwd=dest, check=True, capture_output=True, text=True,
                   env=dict(os.environ, GIT_AUTHOR_NAME="smpjos course",
                            GIT_AUTHOR_EMAIL="course@smpjos", GIT_COMMITTER_NAME="smpjos course",
                            GIT_COMMITTER_EMAIL="course@smpjos"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dest", required=True)
    ap.add_argument("--labs", type=int, default=6, choices=range(1, 7),
                    help="the last lab to publish")
    args = ap.parse_args()
    dest = os.path.abspath(args.dest)
    if os.path.exists(dest) and os.listdir(dest):
        raise SystemExit("mkcourse: %s exists and is not empty; choose another DEST" % dest)
    os.makedirs(dest, exist_ok=True)
    git(dest, "init", "-q", "-b", "lab1")
    for lab in range(1, args.labs + 1):
        with tempfile.TemporaryDirectory() as tmp:
            tree = os.path.join(tmp, "tree")
            subprocess.run([sys.executable, os.path.join(ROOT, "labs", "mkhandout.py"), "--lab",
                            str(lab), "--dest", tree, "--earlier", "stubbed"], check=True,
                           stdout=subprocess.DEVNULL)
            # The branch's files are exactly the handout's.
            for name in os.listdir(dest):
                if name != ".git":
                    path = os.path.join(dest, name)
                    shutil.rmtree(path) if os.path.isdir(path) else os.unlink(path)
            for name in os.listdir(tree):
                src = os.path.join(tree, name)
                (shutil.copytree if os.path.isdir(src) else shutil.copy2)(
                    src, os.path.join(dest, name))
        if lab > 1:
            git(dest, "checkout", "-q", "-b", "lab%d" % lab)
        git(dest, "add", "-A")
        git(dest, "commit", "-q", "-m", "Lab %d" % lab)
    git(dest, "checkout", "-q", "lab1")
    print("mkcourse: %s: branches lab1 to lab%d" % (dest, args.labs))


if __name__ == "__main__":
    main()
