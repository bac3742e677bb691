// fsformat: builds a disk image holding a JOS file system (inc/fs.h) with
// the given files in its root directory. A host program, run by make:
//
//	fsformat IMAGE NBLOCKS [NAME=]FILE...
//
// NAME is the file's name in the image (default: FILE's last component).
// Every problem (a name too long or given twice, a file too large, a disk
// too small) is named, and no image is written.

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <inc/fs.h>

namespace {

[[noreturn]] void
die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void
die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "fsformat: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

struct Disk {
	std::vector<uint8_t> bytes;
	uint32_t nblocks;
	uint32_t next_free;	// blocks are handed out in order

	uint8_t *block(uint32_t b) { return bytes.data() + static_cast<size_t>(b) * BLKSIZE; }
	Super *super() { return reinterpret_cast<Super *>(block(1)); }
	uint32_t *bitmap() { return reinterpret_cast<uint32_t *>(block(2)); }

	uint32_t alloc(const char *what)
	{
		if (next_free >= nblocks)
			die("the disk (%u blocks of %d bytes) is full: no room for %s; give a larger "
			    "NBLOCKS (make FSIMG_BLOCKS=...)", nblocks, BLKSIZE, what);
		uint32_t b = next_free++;
		bitmap()[b / 32] &= ~(1U << (b % 32));
		return b;
	}
};

// A free File in the root directory, growing it by a block when full.
File *
root_slot(Disk &d, const char *name)
{
	File &root = d.super()->s_root;
	uint32_t nblock = root.f_size / BLKSIZE;
	for (uint32_t i = 0; i < nblock; i++) {
		auto *f = reinterpret_cast<File *>(d.block(root.f_direct[i]));
		for (size_t j = 0; j < BLKFILES; j++)
			if (f[j].f_name[0] == '\0')
				return &f[j];
	}
	if (nblock == NDIRECT)
		die("too many files for the root directory (%zu at most)", NDIRECT * BLKFILES);
	root.f_direct[nblock] = d.alloc(name);
	root.f_size += BLKSIZE;
	return reinterpret_cast<File *>(d.block(root.f_direct[nblock]));
}

void
add_file(Disk &d, const std::string &name, const char *path)
{
	if (name.empty() || name.size() >= MAXNAMELEN || name.find('/') != std::string::npos)
		die("%s: the name '%s' is not a file name of 1 to %d characters without '/'", path,
		    name.c_str(), MAXNAMELEN - 1);
	// Names are unique in a directory (the root's blocks come first).
	File &root = d.super()->s_root;
	for (uint32_t i = 0; i < static_cast<uint32_t>(root.f_size) / BLKSIZE; i++) {
		auto *f = reinterpret_cast<File *>(d.block(root.f_direct[i]));
		for (size_t j = 0; j < BLKFILES; j++)
			if (name == f[j].f_name)
				die("%s: a file called '%s' is already in the image", path, name.c_str());
	}

	FILE *in = fopen(path, "rb");
	if (in == nullptr)
		die("%s: %s", path, strerror(errno));
	std::vector<uint8_t> data;
	uint8_t buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		data.insert(data.end(), buf, buf + n);
	if (ferror(in))
		die("%s: read error", path);
	fclose(in);
	if (data.size() > static_cast<size_t>(MAXFILESIZE))
		die("%s: %zu bytes is more than a file can hold (%d)", path, data.size(), MAXFILESIZE);

	File *f = root_slot(d, name.c_str());
	memset(f, 0, sizeof(*f));
	strcpy(f->f_name, name.c_str());
	f->f_type = FTYPE_REG;
	f->f_size = static_cast<int32_t>(data.size());
	uint32_t nblock = static_cast<uint32_t>((data.size() + BLKSIZE - 1) / BLKSIZE);
	uint32_t *indirect = nullptr;
	for (uint32_t i = 0; i < nblock; i++) {
		uint32_t b = d.alloc(path);
		size_t off = static_cast<size_t>(i) * BLKSIZE;
		memcpy(d.block(b), data.data() + off, std::min<size_t>(BLKSIZE, data.size() - off));
		if (i < NDIRECT) {
			f->f_direct[i] = b;
			continue;
		}
		if (indirect == nullptr) {
			// Allocated after the data block it first points to: the
			// blocks stay in file order on the disk but one.
			f->f_indirect = d.alloc(path);
			indirect = reinterpret_cast<uint32_t *>(d.block(f->f_indirect));
		}
		indirect[i - NDIRECT] = b;
	}
}

} // namespace

int
main(int argc, char **argv)
{
	if (argc < 3)
		die("usage: fsformat IMAGE NBLOCKS [NAME=]FILE...");
	char *end;
	unsigned long nblocks = strtoul(argv[2], &end, 0);
	// The bitmap must fit where the file system puts it, and the server
	// maps at most 3 GiB of disk.
	if (*end != '\0' || nblocks < 8 || nblocks > 0xC0000000UL / BLKSIZE)
		die("NBLOCKS '%s' is not a number of blocks from 8 to %lu", argv[2],
		    0xC0000000UL / BLKSIZE);

	Disk d;
	d.nblocks = static_cast<uint32_t>(nblocks);
	d.bytes.assign(static_cast<size_t>(nblocks) * BLKSIZE, 0);
	uint32_t nbitmap = (d.nblocks + BLKBITSIZE - 1) / BLKBITSIZE;

	// Every block free (bit set), then the boot block, superblock and
	// bitmap taken. Bits past the last block stay clear: nothing can
	// allocate them.
	for (uint32_t b = 0; b < d.nblocks; b++)
		d.bitmap()[b / 32] |= 1U << (b % 32);
	d.next_free = 0;
	for (uint32_t b = 0; b < 2 + nbitmap; b++)
		d.alloc("the superblock and bitmap");

	Super *s = d.super();
	s->s_magic = FS_MAGIC;
	s->s_nblocks = d.nblocks;
	strcpy(s->s_root.f_name, "/");
	s->s_root.f_type = FTYPE_DIR;

	for (int i = 3; i < argc; i++) {
		std::string arg = argv[i];
		size_t eq = arg.find('=');
		std::string path = eq == std::string::npos ? arg : arg.substr(eq + 1);
		std::string name = eq == std::string::npos ? path.substr(path.rfind('/') + 1)
							    : arg.substr(0, eq);
		add_file(d, name, path.c_str());
	}

	FILE *out = fopen(argv[1], "wb");
	if (out == nullptr)
		die("%s: %s", argv[1], strerror(errno));
	if (fwrite(d.bytes.data(), 1, d.bytes.size(), out) != d.bytes.size() || fclose(out) != 0)
		die("%s: write error", argv[1]);
	return 0;
}
