#!/usr/bin/python3
"""mkbigfile.py OUT [SIZE]: SIZE bytes (1 MiB by default) that look random
but are the same on every machine (SHA-256 in counter mode over a fixed
seed), for the disk image's /big.bin: the lab 6 graders fetch it through
httpd and compare hashes with this file."""
import hashlib
import os
import sys

out = sys.argv[1]
size = int(sys.argv[2]) if len(sys.argv) > 2 else 1 << 20
data = bytearray()
n = 0
while len(data) < size:
    data += hashlib.sha256(b"smpjos big.bin %d" % n).digest()
    n += 1
with open(out + ".tmp", "wb") as f:
    f.write(bytes(data[:size]))
os.replace(out + ".tmp", out)
