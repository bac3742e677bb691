#!/usr/bin/python3
"""Writes the assembly of the kernel's debugging tables (kern/kdebug.h),
from the first link pass's symbols and DWARF:

    kern/mkdebuginfo.py KERNEL NM READELF > ksymtab.S
    kern/mkdebuginfo.py --empty > ksymtab-empty.S

- ksymtab: every function, sorted by address: address, size, name
  (demangled, without its parameter list).
- klines: the line table, sorted by address: each row says that code from
  its address on comes from file:line (DWARF's line program, decoded by
  readelf, reduced to the rows that start a statement at a new line).
- kparams: for each function whose parameters live in its stack frame (as
  they do in code built without optimization), where each of the first five
  is, relative to the frame base (the CFA: rbp + 16 once the frame is set
  up), and its size. Optimized code keeps parameters in registers; those
  are left out, and a backtrace cannot show them.

JOS read stabs for this, which GCC no longer emits; a lab reads the same
kind of table (a sorted array searched by address), built from DWARF.
"""

import os
import re
import subprocess
import sys

MAX_ARGS = 5
SOURCE_DIRS = ("boot", "kern", "lib", "inc", "user", "fs", "net")


def run(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def functions(nm, kernel):
    """[(addr, size, name)] of the text symbols, by address."""
    out = []
    for line in run(nm, "-n", "-S", "-C", "--defined-only", kernel).splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[2] in "TtWw" and len(parts[2]) == 1:
            addr, size, name = parts[0], parts[1], " ".join(parts[3:])
        elif len(parts) >= 3 and parts[1] in "TtWw" and len(parts[1]) == 1:
            addr, size, name = parts[0], "0", " ".join(parts[2:])
        else:
            continue
        name = name.replace("(anonymous namespace)::", "")
        p = name.find("(")
        if p > 0:
            name = name[:p]
        out.append((int(addr, 16), int(size, 16), name))
    return out


def source_path(name, known):
    """A file name as the line table gives it, made relative to the tree."""
    name = re.sub(r"^(\./)+", "", name)
    if os.path.isabs(name):
        root = os.getcwd() + "/"
        name = name[len(root):] if name.startswith(root) else name
    if "/" not in name and name in known:
        return known[name]
    return name


def line_rows(readelf, kernel):
    """[(addr, file, line)] from the decoded line table, by address."""
    known = {}
    for d in SOURCE_DIRS:
        if os.path.isdir(d):
            for f in os.listdir(d):
                known.setdefault(f, "%s/%s" % (d, f))
    rows, current = [], None
    for line in run(readelf, "--debug-dump=decodedline", kernel).splitlines():
        if line.endswith(":") and " " not in line.strip():
            current = source_path(line[:-1].replace("CU: ", ""), known)
            continue
        m = re.match(r"^(\S+)\s+(\d+)\s+(0x[0-9a-f]+)(?:\s+\d+)?\s+(x?)\s*$", line)
        if m and current and m.group(4) == "x":
            rows.append((int(m.group(3), 16), current, int(m.group(2))))
    rows.sort(key=lambda r: r[0])
    # One row per change of place: consecutive rows at the same file:line
    # say nothing new; of several rows at one address the last wins.
    out = []
    for addr, f, ln in rows:
        if out and out[-1][0] == addr:
            out[-1] = (addr, f, ln)
        elif not out or (out[-1][1], out[-1][2]) != (f, ln):
            out.append((addr, f, ln))
    return out


def frame_params(readelf, kernel):
    """{function address: [(fbreg offset or None, size)]} for functions
    with a frame base; parameters in registers get None."""
    dies = {}       # offset -> (tag, attrs)
    order = []      # (depth, offset)
    tag, attrs, off = None, None, None
    for line in run(readelf, "--debug-dump=info", kernel).splitlines():
        m = re.match(r"^\s*<(\d+)><([0-9a-f]+)>: Abbrev Number: \d+ \((\w+)\)", line)
        if m:
            off, tag, attrs = int(m.group(2), 16), m.group(3), {}
            dies[off] = (tag, attrs)
            order.append((int(m.group(1)), off))
            continue
        m = re.match(r"^\s*<[0-9a-f]+>\s+(DW_AT_\w+)\s*:\s*(.*)$", line)
        if m and attrs is not None:
            attrs[m.group(1)] = m.group(2).strip()

    def ref(value):
        m = re.search(r"<0x([0-9a-f]+)>", value or "")
        return int(m.group(1), 16) if m else None

    def size_of(type_off, depth=0):
        if type_off is None or depth > 16 or type_off not in dies:
            return 8
        t, a = dies[type_off]
        if "DW_AT_byte_size" in a:
            return int(a["DW_AT_byte_size"].split()[0], 0)
        if t in ("DW_TAG_pointer_type", "DW_TAG_reference_type", "DW_TAG_rvalue_reference_type"):
            return 8
        return size_of(ref(a.get("DW_AT_type")), depth + 1)

    out = {}
    fn, fn_depth = None, None
    for depth, off in order:
        t, a = dies[off]
        if fn is not None and depth <= fn_depth:
            fn = None
        if t == "DW_TAG_subprogram" and "DW_AT_low_pc" in a and \
                "DW_OP_call_frame_cfa" in a.get("DW_AT_frame_base", ""):
            fn, fn_depth = int(a["DW_AT_low_pc"].split()[0], 16), depth
            out[fn] = []
        elif t == "DW_TAG_formal_parameter" and fn is not None and depth == fn_depth + 1:
            m = re.search(r"\(DW_OP_fbreg: (-?\d+)\)\s*$", a.get("DW_AT_location", ""))
            out[fn].append((int(m.group(1)) if m else None, size_of(ref(a.get("DW_AT_type")))))
    return {f: p for f, p in out.items() if any(o is not None for o, _ in p)}


def asm_string(s):
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


def emit(funcs, rows, params):
    print("// Generated by kern/mkdebuginfo.py: do not edit.")
    print('.section .ksymtab, "a"')
    print(".balign 8")
    print(".globl ksymtab, ksymtab_end, klines, klines_end, kfiles, kparams, kparams_end")
    print("ksymtab:")
    for i, (addr, size, _) in enumerate(funcs):
        print("\t.quad %#x, %#x, .Lname%d" % (addr, size, i))
    print("ksymtab_end:")
    files = sorted({f for _, f, _ in rows})
    index = {f: i for i, f in enumerate(files)}
    print("klines:")
    for addr, f, ln in rows:
        print("\t.quad %#x\n\t.long %d\n\t.long %d" % (addr, ln, index[f]))
    print("klines_end:")
    print("kfiles:")
    for i in range(len(files)):
        print("\t.quad .Lfile%d" % i)
    print("kparams:")
    for fn in sorted(params):
        ps = params[fn][:MAX_ARGS]
        sizes = [s if o is not None else 0 for o, s in ps] + [0] * (MAX_ARGS - len(ps))
        offs = [o if o is not None else 0 for o, _ in ps] + [0] * (MAX_ARGS - len(ps))
        print("\t.quad %#x" % fn)
        print("\t.byte %d, %s" % (len(ps), ", ".join(str(s) for s in sizes)))
        print("\t.short %s" % ", ".join(str(o) for o in offs))
    print("kparams_end:")
    for i, (_, _, name) in enumerate(funcs):
        print(".Lname%d: .asciz %s" % (i, asm_string(name)))
    for i, f in enumerate(files):
        print(".Lfile%d: .asciz %s" % (i, asm_string(f)))


def main():
    if sys.argv[1:] == ["--empty"]:
        emit([], [], {})
        return
    if len(sys.argv) != 4:
        sys.exit("usage: mkdebuginfo.py KERNEL NM READELF | --empty")
    kernel, nm, readelf = sys.argv[1:]
    emit(functions(nm, kernel), line_rows(readelf, kernel), frame_params(readelf, kernel))


if __name__ == "__main__":
    main()
