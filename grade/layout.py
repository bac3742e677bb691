"""Constants from the kernel's headers (inc/memlayout.h, inc/mmu.h,
inc/trap.h), read from the source, so that graders derive the addresses
they expect from the layout instead of copying them from a run."""

import os
import re

import harness

HEADERS = ("inc/mmu.h", "inc/memlayout.h", "inc/trap.h")
_DEFINE = re.compile(r"^#define\s+([A-Z_][A-Z0-9_]*)\s+(.+?)\s*(?://.*)?$")


def _defines():
    raw = {}
    for h in HEADERS:
        with open(os.path.join(harness.ROOT, h)) as f:
            for line in f:
                m = _DEFINE.match(line.strip())
                if m and "(" not in m.group(1):
                    raw[m.group(1)] = m.group(2)
    return raw


# The table-index macros of inc/mmu.h: bits 39-47, 30-38, 21-29, 12-20.
_INDEX = {
    "PML4X": lambda va: (va >> 39) & 0x1FF,
    "PDPX": lambda va: (va >> 30) & 0x1FF,
    "PDX": lambda va: (va >> 21) & 0x1FF,
    "PTX": lambda va: (va >> 12) & 0x1FF,
}

_RAW = _defines()
_CACHE = {}


def value(name):
    """The integer value of the macro name, evaluating the macros it uses."""
    if name not in _CACHE:
        expr = _RAW[name]
        expr = re.sub(r"\b(0x[0-9A-Fa-f]+|\d+)U?L*\b", r"\1", expr)
        # Function-like index macros (inc/mmu.h) are evaluated here.
        expr = re.sub(r"\b[A-Z_][A-Z0-9_]*\b(?!\()", lambda m: str(value(m.group(0))), expr)
        if not re.fullmatch(r"(?:[0-9xXa-fA-F()+\-*<>|& ~]|%s)+" % "|".join(_INDEX), expr):
            raise ValueError("cannot evaluate %s = %s" % (name, _RAW[name]))
        _CACHE[name] = eval(expr, dict(_INDEX))   # digits, operators, _INDEX only
    return _CACHE[name]
