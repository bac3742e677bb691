#!/usr/bin/python3
"""Writes a compilation database (compile_commands.json) for editors:
clangd and VS Code then know each file's include paths and flags.

    conf/compdb.py ROOT -- "COMMAND" FILE... -- "COMMAND" FILE... > obj/compile_commands.json

Each group is a compiler command (with its flags) and the files make
compiles with it."""

import json
import shlex
import sys


def main():
    root, groups = sys.argv[1], []
    args = sys.argv[2:]
    while args:
        if args[0] != "--" or len(args) < 2:
            sys.exit("usage: compdb.py ROOT -- COMMAND FILE... [-- COMMAND FILE...]")
        end = args.index("--", 1) if "--" in args[1:] else len(args)
        groups.append((args[1], args[2:end]))
        args = args[end:]
    entries = []
    for command, files in groups:
        words = shlex.split(command)
        for f in files:
            entries.append({"directory": root, "file": f,
                            "arguments": words + ["-c", f, "-o", "/dev/null"]})
    json.dump(entries, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
