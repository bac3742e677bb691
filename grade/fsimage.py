"""JOS file-system images, read and damaged in Python: an implementation of
the on-disk format (inc/fs.h) of its own, so that the graders check what the
kernel wrote with something that shares no code with the server, fsformat
or fsck.

The format: 4096-byte blocks; block 1 the superblock (magic 0x4A0530AE,
block count, the root directory's File); from block 2 the bitmap (bit b set:
block b free); a File is 256 bytes: name (128), size (int32), type (uint32,
1 = directory), 10 direct block numbers, an indirect block number.
"""

import os
import shutil
import struct
import subprocess

import harness

BLKSIZE = 4096
FS_MAGIC = 0x4A0530AE
NDIRECT = 10
NINDIRECT = BLKSIZE // 4
FILE_SIZE = 256
FTYPE_DIR = 1
FILE_FMT = "<128siI10II"        # name, size, type, direct[10], indirect
SUPER_OFF = BLKSIZE


class File:
    def __init__(self, image, offset):
        self.image, self.offset = image, offset
        name, self.size, self.type, *blocks = struct.unpack_from(FILE_FMT, image.data, offset)
        self.name = name.split(b"\0", 1)[0].decode("latin-1")
        self.direct, self.indirect = blocks[:NDIRECT], blocks[NDIRECT]

    def blocks(self):
        """The file's block numbers, in order (0 for a hole)."""
        n = (self.size + BLKSIZE - 1) // BLKSIZE
        out = list(self.direct[:min(n, NDIRECT)])
        if n > NDIRECT:
            ind = struct.unpack_from("<%dI" % NINDIRECT, self.image.data,
                                     self.indirect * BLKSIZE)
            out += list(ind[:n - NDIRECT])
        return out

    def read(self):
        data = b"".join(self.image.block(b) if b else bytes(BLKSIZE) for b in self.blocks())
        return data[:self.size]

    def entries(self):
        """A directory's Files."""
        assert self.type == FTYPE_DIR, self.name
        out = []
        for b in self.blocks():
            for i in range(BLKSIZE // FILE_SIZE):
                f = File(self.image, b * BLKSIZE + i * FILE_SIZE)
                if f.name:
                    out.append(f)
        return out

    def write_fields(self, **fields):
        """Changes this File on the image (size, type, direct, indirect)."""
        name, size, ftype, *blocks = struct.unpack_from(FILE_FMT, self.image.data, self.offset)
        direct, indirect = list(blocks[:NDIRECT]), blocks[NDIRECT]
        size = fields.get("size", size)
        ftype = fields.get("type", ftype)
        direct = fields.get("direct", direct)
        indirect = fields.get("indirect", indirect)
        struct.pack_into(FILE_FMT, self.image.data, self.offset, name, size, ftype, *direct,
                         indirect)
        self.__init__(self.image, self.offset)


class Image:
    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            self.data = bytearray(f.read())
        self.magic, self.nblocks = struct.unpack_from("<II", self.data, SUPER_OFF)

    def block(self, b):
        return bytes(self.data[b * BLKSIZE:(b + 1) * BLKSIZE])

    def root(self):
        return File(self, SUPER_OFF + 8)

    def lookup(self, path):
        f = self.root()
        for part in [p for p in path.split("/") if p]:
            f = next((e for e in f.entries() if e.name == part), None)
            if f is None:
                raise KeyError("%s: no such file in %s" % (path, self.path))
        return f

    def read(self, path):
        return self.lookup(path).read()

    def names(self):
        return sorted(e.name for e in self.root().entries())

    def is_free(self, b):
        word = struct.unpack_from("<I", self.data, 2 * BLKSIZE + (b // 32) * 4)[0]
        return bool(word & (1 << (b % 32)))

    def free_blocks(self):
        return sum(1 for b in range(self.nblocks) if self.is_free(b))

    def save(self):
        with open(self.path, "wb") as f:
            f.write(self.data)

    def set_magic(self, magic):
        struct.pack_into("<I", self.data, SUPER_OFF, magic)

    def add_dir(self, name, blocks):
        """A directory entry in the root called name, whose data blocks are
        `blocks` (whatever they are: this is for damaging an image), put
        in the first free slot of the root's blocks."""
        root = self.root()
        for b in root.blocks():
            for i in range(BLKSIZE // FILE_SIZE):
                off = b * BLKSIZE + i * FILE_SIZE
                if self.data[off] == 0:
                    direct = (list(blocks) + [0] * NDIRECT)[:NDIRECT]
                    struct.pack_into(FILE_FMT, self.data, off, name.encode(),
                                     len(blocks) * BLKSIZE, FTYPE_DIR, *direct, 0)
                    return File(self, off)
        raise RuntimeError("no free slot in the root directory")


def image_path(name):
    """obj/grade/<name>.img, one per pytest worker: two workers may run the
    same boot (a run several tests share), and QEMU refuses an image that
    another QEMU has open."""
    os.makedirs(harness.LOGDIR, exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return os.path.join(harness.LOGDIR, name + ("-" + worker if worker else "") + ".img")


def copy_image(name, src=None):
    """A copy of the image make built (or of src), for one test, in
    obj/grade: the test damages it or looks at it afterwards."""
    dst = image_path(name)
    shutil.copyfile(src or harness.FSIMG, dst)
    return dst


def fsformat(name, nblocks, files):
    """A new image of nblocks blocks in obj/grade/<name>.img with these
    files ({name: path}), made by make's fsformat."""
    dst = image_path(name)
    tool = os.path.join(harness.ROOT, "obj", "fs", "fsformat")
    subprocess.run([tool, dst, str(nblocks)] + ["%s=%s" % kv for kv in files.items()],
                   check=True, capture_output=True)
    return dst


def fsck(path):
    """Runs make's fsck on the image: (exit status, its output)."""
    tool = os.path.join(harness.ROOT, "obj", "fs", "fsck")
    p = subprocess.run([tool, path], capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr
