// fsck: checks a disk image that holds a JOS file system (inc/fs.h), as the
// server left it after a run, without trusting anything in it:
//
//	fsck [-q] [-l] IMAGE
//
// Errors (exit status 1): a bad superblock; a bitmap that says the boot
// block, the superblock or a bitmap block is free; a block number outside
// the disk's data blocks, or on a block the bitmap says is free, or used
// twice (by two files, or twice by one); a directory that loops back into
// itself or an ancestor; a size that is negative, too large, or (for a
// directory) not whole blocks; a block pointer beyond a file's size; a
// name that is not terminated, or twice in one directory.
// Warnings (exit status 0): blocks the bitmap marks in use that no file
// uses (the server's self-test allocates one; a crash can leak some).
//
// -q prints only problems; -l lists every file, with its size.

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <inc/fs.h>

namespace {

bool quiet;

struct Checker {
	std::vector<uint8_t> img;
	uint32_t nblocks = 0;		// the superblock's count, once checked
	uint32_t first_data = 0;
	std::vector<std::string> owner;	// who uses each block ("" = nobody)
	std::vector<uint32_t> dir_stack;	// blocks of the directories being walked
	std::vector<std::string> dir_names;
	int errors = 0, warnings = 0;
	int nfiles = 0, ndirs = 0;
	bool list = false;
	const char *name = "";

	void error(const char *fmt, ...) __attribute__((format(printf, 2, 3)))
	{
		va_list ap;
		va_start(ap, fmt);
		fprintf(stderr, "fsck: %s: error: ", name);
		vfprintf(stderr, fmt, ap);
		fprintf(stderr, "\n");
		va_end(ap);
		errors++;
	}

	void warning(const char *fmt, ...) __attribute__((format(printf, 2, 3)))
	{
		va_list ap;
		va_start(ap, fmt);
		fprintf(stderr, "fsck: %s: warning: ", name);
		vfprintf(stderr, fmt, ap);
		fprintf(stderr, "\n");
		va_end(ap);
		warnings++;
	}

	const uint8_t *block(uint32_t b) const { return img.data() + static_cast<size_t>(b) * BLKSIZE; }
	const Super *super() const { return reinterpret_cast<const Super *>(block(1)); }

	bool bitmap_free(uint32_t b) const
	{
		uint32_t word;
		memcpy(&word, block(2) + (b / 32) * 4, 4);
		return word & (1U << (b % 32));
	}

	// Claims block b for `who` (a path, and which of its blocks); false
	// if b may not be used, after saying why. For a directory's blocks
	// (dir names the directory), a block of a directory above it is a
	// loop.
	bool claim(uint32_t b, const std::string &who, const std::string *dir = nullptr)
	{
		for (size_t k = 0; dir && k < dir_stack.size(); k++)
			if (dir_stack[k] == b) {
				error("directory %s loops: its block %u belongs to %s above it",
				      dir->c_str(), b, dir_names[k].c_str());
				return false;
			}
		if (b < first_data || b >= nblocks) {
			error("%s is block number %u, outside the data blocks (%u-%u)", who.c_str(), b,
			      first_data, nblocks - 1);
			return false;
		}
		if (bitmap_free(b))
			error("%s is block %u, which the bitmap says is free", who.c_str(), b);
		if (!owner[b].empty()) {
			error("block %u is used twice: as %s and as %s", b, owner[b].c_str(), who.c_str());
			return false;
		}
		owner[b] = who;
		return true;
	}

	bool check_super();
	void check_file(const File &f, const std::string &path);
	void check_dir(const File &dir, const std::string &path);
	int run(const char *path);
};

bool
Checker::check_super()
{
	uint32_t image_blocks = static_cast<uint32_t>(img.size() / BLKSIZE);
	if (img.size() % BLKSIZE != 0)
		warning("the image is %zu bytes, not a whole number of %d-byte blocks", img.size(),
			BLKSIZE);
	if (image_blocks < 3) {
		error("the image holds %u blocks: too few for a boot block, a superblock and a "
		      "bitmap", image_blocks);
		return false;
	}
	const Super *s = super();
	if (s->s_magic != FS_MAGIC) {
		error("the superblock's magic number is %08x, not %08x: this is not a JOS file "
		      "system", s->s_magic, FS_MAGIC);
		return false;
	}
	if (s->s_nblocks > image_blocks || s->s_nblocks < 4) {
		error("the superblock says there are %u blocks, but the image holds %u",
		      s->s_nblocks, image_blocks);
		return false;
	}
	nblocks = s->s_nblocks;
	first_data = 2 + (nblocks + BLKBITSIZE - 1) / BLKBITSIZE;
	if (first_data >= nblocks) {
		error("%u blocks leave no room for data after the bitmap", nblocks);
		return false;
	}
	for (uint32_t b = 0; b < first_data; b++)
		if (bitmap_free(b))
			error("the bitmap says block %u is free, but it holds the %s", b,
			      b == 0 ? "boot block" : b == 1 ? "superblock" : "bitmap");
	if (s->s_root.f_type != FTYPE_DIR) {
		error("the root directory has type %u, not a directory", s->s_root.f_type);
		return false;
	}
	owner.assign(nblocks, "");
	return true;
}

// Checks f's size and every block number it holds; then, for a directory,
// what it holds.
void
Checker::check_file(const File &f, const std::string &path)
{
	bool dir = f.f_type == FTYPE_DIR;
	if (f.f_type != FTYPE_REG && !dir) {
		error("%s has an unknown type %u", path.c_str(), f.f_type);
		return;
	}
	if (f.f_size < 0 || f.f_size > MAXFILESIZE) {
		error("%s has an impossible size %d (0 to %d)", path.c_str(), f.f_size, MAXFILESIZE);
		return;
	}
	if (dir && f.f_size % BLKSIZE != 0)
		error("directory %s has size %d, not whole blocks", path.c_str(), f.f_size);
	if (list)
		printf("%10d %s%s\n", f.f_size, path.c_str(), dir ? "/" : "");
	dir ? ndirs++ : nfiles++;

	uint32_t used = (static_cast<uint32_t>(f.f_size) + BLKSIZE - 1) / BLKSIZE;
	std::vector<uint32_t> blocks(used, 0);	// the file's blocks, 0 = a hole
	for (uint32_t i = 0; i < NDIRECT; i++) {
		uint32_t b = f.f_direct[i];
		if (b == 0)
			continue;
		if (i >= used)
			error("%s has block %u (at block %u) beyond its size %d", path.c_str(), i, b,
			      f.f_size);
		else if (claim(b, path + " block " + std::to_string(i), dir ? &path : nullptr))
			blocks[i] = b;
	}
	if (f.f_indirect != 0) {
		if (used <= NDIRECT)
			error("%s has an indirect block (%u) that its size %d does not need",
			      path.c_str(), f.f_indirect, f.f_size);
		else if (claim(f.f_indirect, path + " indirect block")) {
			const uint32_t *ind = reinterpret_cast<const uint32_t *>(block(f.f_indirect));
			for (uint32_t i = 0; i < NINDIRECT; i++) {
				uint32_t b = ind[i];
				if (b == 0)
					continue;
				if (NDIRECT + i >= used)
					error("%s has block %u (at block %u) beyond its size %d",
					      path.c_str(), NDIRECT + i, b, f.f_size);
				else if (claim(b, path + " block " + std::to_string(NDIRECT + i),
					       dir ? &path : nullptr))
					blocks[NDIRECT + i] = b;
			}
		}
	}
	if (!dir)
		return;

	size_t mark = dir_stack.size();
	for (uint32_t b : blocks)
		if (b != 0) {
			dir_stack.push_back(b);
			dir_names.push_back(path);
		}
	std::vector<std::string> seen;
	for (uint32_t b : blocks) {
		if (b == 0)
			continue;
		const File *ents = reinterpret_cast<const File *>(block(b));
		for (size_t j = 0; j < BLKFILES; j++) {
			const File &e = ents[j];
			if (e.f_name[0] == '\0')
				continue;
			if (memchr(e.f_name, '\0', MAXNAMELEN) == nullptr) {
				error("an entry of directory %s has a name that is not terminated",
				      path.c_str());
				continue;
			}
			std::string child = (path == "/" ? "" : path) + "/" + e.f_name;
			for (const std::string &s : seen)
				if (s == e.f_name)
					error("directory %s holds two files called %s", path.c_str(),
					      e.f_name);
			seen.push_back(e.f_name);
			check_file(e, child);
		}
	}
	dir_stack.resize(mark);
	dir_names.resize(mark);
}

int
Checker::run(const char *path)
{
	name = path;
	FILE *in = fopen(path, "rb");
	if (in == nullptr) {
		fprintf(stderr, "fsck: %s: %s\n", path, strerror(errno));
		return 2;
	}
	uint8_t buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		img.insert(img.end(), buf, buf + n);
	fclose(in);
	// The last block may be partial; pad it so that reads stay inside.
	img.resize((img.size() + BLKSIZE - 1) / BLKSIZE * BLKSIZE, 0);

	if (check_super()) {
		check_file(super()->s_root, "/");
		uint32_t in_use = 0, leaked = 0;
		for (uint32_t b = first_data; b < nblocks; b++) {
			if (bitmap_free(b))
				continue;
			in_use++;
			if (owner[b].empty())
				leaked++;
		}
		if (leaked > 0)
			warning("%u block(s) marked in use belong to no file (leaked, not damaged)",
				leaked);
		if (errors == 0 && !quiet)
			printf("fsck: %s: clean: %d files, %d directories, %u of %u data blocks in use\n",
			       path, nfiles, ndirs, in_use, nblocks - first_data);
	}
	if (errors > 0)
		fprintf(stderr, "fsck: %s: %d error(s): the file system is damaged\n", path, errors);
	return errors > 0 ? 1 : 0;
}

} // namespace

int
main(int argc, char **argv)
{
	Checker c;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-q") == 0)
			quiet = true;
		else if (strcmp(argv[i], "-l") == 0)
			c.list = true;
		else
			break;
	}
	if (i != argc - 1) {
		fprintf(stderr, "usage: fsck [-q] [-l] IMAGE\n");
		return 2;
	}
	return c.run(argv[i]);
}
