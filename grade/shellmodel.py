#!/usr/bin/python3
"""What the lab 5 shell (user/sh.cc) and its programs print, computed here
from the files alone: the expected output of the graders' shell sessions,
and fs/testshell.key (the output of `sh -x < fs/testshell.sh`), which is
written by this file, never copied from a run of the kernel.

    grade/shellmodel.py            print what `sh -x < fs/testshell.sh` prints
    grade/shellmodel.py --check    compare that with fs/testshell.key

The model knows the programs the scripts use, as their sources describe
them: echo (words joined by spaces, a newline), cat (the files, or standard
input), num ("%5d " before each line, numbered on across its inputs), wc
("lines words bytes[ name]"), and sh itself (words, <, >, |; "# line"
before each command with -x; programs live in /).
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The text files make puts on the disk (fs/Makefrag's FSIMG_TEXTFILES).
DISK_FILES = ["motd", "newmotd", "lorem", "script", "testshell.sh", "testshell.key"]


def disk_files():
    """The text files of a freshly built image, by name."""
    files = {}
    for name in DISK_FILES:
        path = os.path.join(ROOT, "fs", name)
        if os.path.exists(path):
            with open(path, "rb") as f:
                files[name] = f.read()
    return files


def tokens(line):
    """The shell's tokens: words and the symbols < > |."""
    return re.findall(r"[<>|]|[^\s<>|&;()]+", line)


def wc(data, name=None):
    words = len(data.split())
    out = "%d %d %d" % (data.count(b"\n"), words, len(data))
    return (out + (" " + name if name else "") + "\n").encode()


def num(data):
    out, line, start = b"", 0, True
    for c in data:
        if start:
            line += 1
            out += b"%5d " % line
        out += bytes([c])
        start = c == 0x0A
    return out


class Shell:
    def __init__(self, files):
        self.files = files      # the root directory: name -> bytes

    def read(self, path):
        name = path.lstrip("/")
        if name not in self.files:
            raise KeyError("the model has no file %s" % path)
        return self.files[name]

    def program(self, argv, stdin):
        """What one program writes to its standard output."""
        prog, args = argv[0].lstrip("/"), argv[1:]
        if prog == "echo":
            if args[:1] == ["-n"]:
                return " ".join(args[1:]).encode()
            return (" ".join(args) + "\n").encode()
        if prog == "cat":
            return b"".join(self.read(a) for a in args) if args else stdin
        if prog == "num":
            return num(b"".join(self.read(a) for a in args) if args else stdin)
        if prog == "wc":
            if not args:
                return wc(stdin)
            return b"".join(wc(self.read(a), a) for a in args)
        if prog == "sh":
            script = self.read(args[0]) if args else stdin
            return self.run(script, echo=False)
        raise KeyError("the model does not know the program %s" % prog)

    def command(self, line):
        """Runs one command line; returns what reaches the shell's output."""
        stages, cur = [], {"argv": [], "in": None, "out": None}
        toks = tokens(line)
        i = 0
        while i < len(toks):
            t = toks[i]
            if t in "<>":
                cur["in" if t == "<" else "out"] = toks[i + 1]
                i += 2
                continue
            if t == "|":
                stages.append(cur)
                cur = {"argv": [], "in": None, "out": None}
            else:
                cur["argv"].append(t)
            i += 1
        stages.append(cur)
        data, shown = b"", b""
        for n, st in enumerate(stages):
            stdin = self.read(st["in"]) if st["in"] else (data if n > 0 else b"")
            out = self.program(st["argv"], stdin) if st["argv"] else b""
            if st["out"]:
                self.files[st["out"].lstrip("/")] = out
                out = b""
            if n == len(stages) - 1:
                shown = out
            data = out
        return shown

    def run(self, script, echo):
        out = b""
        for line in script.decode().split("\n")[:-1] if script.endswith(b"\n") \
                else script.decode().split("\n"):
            if line.startswith("#"):
                continue
            if echo:
                out += ("# %s\n" % line).encode()
            out += self.command(line)
        return out


def testshell_key():
    files = disk_files()
    return Shell(files).run(files["testshell.sh"], echo=True)


def main():
    key = testshell_key()
    if sys.argv[1:] == ["--check"]:
        with open(os.path.join(ROOT, "fs", "testshell.key"), "rb") as f:
            if f.read() != key:
                print("fs/testshell.key is not what fs/testshell.sh prints: "
                      "run grade/shellmodel.py > fs/testshell.key", file=sys.stderr)
                return 1
        return 0
    sys.stdout.buffer.write(key)
    return 0


if __name__ == "__main__":
    sys.exit(main())
