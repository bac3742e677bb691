// The file system proper (JOS lab 5): the superblock, the free-block bitmap,
// files as block lists, directories as arrays of Files, and paths.
//
// Nothing on the disk is trusted: a block number is checked against the
// disk before it is used, a directory is checked against the ones above it
// before it is searched, and a damaged file or directory is named and
// refused (-E_CORRUPT) instead of read. The block cache (fs/bc.cc) panics
// on a bad block number; getting there would be a bug here.
//
// What a user of a Unix file system expects, kept here: a read never
// allocates (a hole reads as zeros); a write or a create that fails
// changes nothing (a write that fills the disk keeps what fit, and says
// how much); truncation clears what it cuts, so that old data never comes
// back when the file grows again; a directory is never written as a file
// (fs/serv.cc refuses to open one for writing).

#include "fs.h"

Super *super;
uint32_t *bitmap;
uint32_t disk_nblocks;
uint32_t fs_nblocks;
int fs_state = -E_NO_DRIVE;

// The first block that can hold data: after the boot block, the
// superblock and the bitmap.
uint32_t
first_data_block()
{
	return 2 + (fs_nblocks + BLKBITSIZE - 1) / BLKBITSIZE;
}

namespace {

// ---------------------------------------------------------------------------
// Superblock and bitmap

// Checks the superblock; on a problem says what it is and returns false.
bool
check_super()
{
	if (super->s_magic != FS_MAGIC) {
		cprintf("fs: the superblock's magic number is %08x, not %08x: this disk holds no "
			"JOS file system (make rebuilds obj/fs/fs.img); refusing it\n",
			super->s_magic, FS_MAGIC);
		return false;
	}
	if (super->s_nblocks > DISKSIZE / BLKSIZE) {
		cprintf("fs: the superblock says the file system has %u blocks, more than the "
			"server can map (%lu); refusing it\n", super->s_nblocks, DISKSIZE / BLKSIZE);
		return false;
	}
	if (super->s_nblocks > disk_nblocks) {
		cprintf("fs: the superblock says the file system has %u blocks, but the disk holds "
			"only %u; refusing it\n", super->s_nblocks, disk_nblocks);
		return false;
	}
	if (super->s_nblocks < 4) {
		cprintf("fs: the superblock says the file system has %u blocks: too few for a "
			"superblock, a bitmap and data; refusing it\n", super->s_nblocks);
		return false;
	}
	if (super->s_root.f_type != FTYPE_DIR) {
		cprintf("fs: the root directory is not a directory (type %u); refusing the disk\n",
			super->s_root.f_type);
		return false;
	}
	cprintf("superblock is good\n");
	return true;
}

// The boot block, the superblock and the bitmap's own blocks must be in
// use.
bool
check_bitmap()
{
	for (uint32_t b = 0; b < first_data_block(); b++)
		if (block_is_free(b)) {
			cprintf("fs: the bitmap says block %u is free, but it holds the %s; refusing "
				"the disk\n", b, b == 0 ? "boot block" : b == 1 ? "superblock" : "bitmap");
			return false;
		}
	cprintf("bitmap is good\n");
	return true;
}

// ---------------------------------------------------------------------------
// Checking what the disk says

// While the mount-time scan (check_shared_blocks) runs, what it finds wrong
// with a file is said when the file is used, not before.
bool quiet;

// Says what is wrong with the file system (unless quiet).
void __attribute__((format(printf, 1, 2)))
damage(const char *fmt, ...)
{
	if (quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	vcprintf(fmt, ap);
	va_end(ap);
}

// Files that share a block with another (check_shared_blocks): refused,
// by where their File is in the cache. Two files that share a block are
// both damaged: a write to one changes the other, and freeing one frees a
// block the other still uses.
constexpr int kMaxShared = 64;
const File *shared_files[kMaxShared];
int nshared_files;

// Whether b may be a block of a file: a data block, in use.
bool
block_ok(uint32_t b, const char *file, const char *what, uint32_t n)
{
	if (b < first_data_block() || b >= fs_nblocks) {
		damage("fs: %s: %s %u is block number %u, outside the disk's data blocks (%u-%u): "
			"the file system is damaged; refusing the file\n", file, what, n, b,
			first_data_block(), fs_nblocks - 1);
		return false;
	}
	if (block_is_free(b)) {
		damage("fs: %s: %s %u is block number %u, which the bitmap says is free: the file "
			"system is damaged; refusing the file\n", file, what, n, b);
		return false;
	}
	return true;
}

// Whether f's block n lies within its size.
bool
within_size(const File *f, uint32_t n, const char *path)
{
	if (n < (static_cast<uint32_t>(f->f_size) + BLKSIZE - 1) / BLKSIZE)
		return true;
	damage("fs: %s: block %u is beyond its size %d: the file system is damaged; refusing "
		"the file\n", path, n, f->f_size);
	return false;
}

// Checks what f's metadata claims before anything uses it: its name, type
// and size, and every block number it holds.
int
check_file(const File *f, const char *path)
{
	for (int i = 0; i < nshared_files; i++)
		if (shared_files[i] == f) {
			damage("fs: %s shares a block with another file: the file system is damaged; "
			       "refusing the file\n", path);
			return -E_CORRUPT;
		}
	if (strnlen(f->f_name, MAXNAMELEN) == MAXNAMELEN) {
		damage("fs: %s: a name without its terminating null: the file system is damaged; "
			"refusing the file\n", path);
		return -E_CORRUPT;
	}
	if (f->f_type != FTYPE_REG && f->f_type != FTYPE_DIR) {
		damage("fs: %s: unknown file type %u: the file system is damaged; refusing the "
			"file\n", path, f->f_type);
		return -E_CORRUPT;
	}
	if (f->f_size < 0 || f->f_size > MAXFILESIZE ||
	    (f->f_type == FTYPE_DIR && f->f_size % BLKSIZE != 0)) {
		damage("fs: %s: impossible size %d for a %s: the file system is damaged; refusing "
			"the file\n", path, f->f_size, f->f_type == FTYPE_DIR ? "directory" : "file");
		return -E_CORRUPT;
	}
	// Blocks beyond the size are damage too (fsck says so): the server
	// frees what lies beyond a file's size when it truncates, and must
	// not free a block that some other file may hold.
	uint32_t nblocks = (f->f_size + BLKSIZE - 1) / BLKSIZE;
	for (uint32_t i = 0; i < NDIRECT; i++)
		if (f->f_direct[i] && (!block_ok(f->f_direct[i], path, "block", i) ||
				       !within_size(f, i, path)))
			return -E_CORRUPT;
	if (f->f_indirect) {
		if (nblocks <= NDIRECT) {
			damage("fs: %s has an indirect block (%u) that its size %d does not need: the "
				"file system is damaged; refusing the file\n", path, f->f_indirect,
				f->f_size);
			return -E_CORRUPT;
		}
		if (!block_ok(f->f_indirect, path, "indirect block", 0))
			return -E_CORRUPT;
		int r = bc_load(f->f_indirect);
		if (r < 0)
			return r;
		auto *ind = static_cast<const uint32_t *>(diskaddr(f->f_indirect));
		for (uint32_t i = 0; i < NINDIRECT; i++)
			if (ind[i] && (!block_ok(ind[i], path, "block", NDIRECT + i) ||
				       !within_size(f, NDIRECT + i, path)))
				return -E_CORRUPT;
	}
	return 0;
}

// ---------------------------------------------------------------------------
// File structure

// Finds the slot that holds the disk block number of f's filebno'th block:
// in f itself (f_direct) or in its indirect block. With alloc, an indirect
// block that is needed but missing is allocated (and zeroed).
//
// Returns 0 with *ppdiskbno set (the slot may hold 0: no block yet);
// -E_NOT_FOUND if the indirect block is needed, missing, and alloc is
// false; -E_NO_DISK if there is no room for it; -E_NO_MEM if the block
// cache cannot hold it; -E_INVAL if filebno is out of range.
int
file_block_walk(File *f, uint32_t filebno, uint32_t **ppdiskbno, bool alloc)
{
	// LAB 5 EXERCISE file_block_walk BEGIN
	// Blocks 0 to NDIRECT-1 are in f->f_direct; the next NINDIRECT in the
	// indirect block f->f_indirect (0: none yet), an array of uint32_t.
	// Allocate a missing indirect block only with alloc (alloc_block),
	// zeroed (block_zero, which gives its address; free the block again
	// if that fails), and record it in f. An indirect block that exists
	// must be brought into the cache (bc_load) before it is read: out of
	// memory, that fails. (check_file has checked every block number f
	// holds.)
	//> (void)f, (void)filebno, (void)ppdiskbno, (void)alloc;
	//> panic("file_block_walk: not implemented (LAB 5 exercise file_block_walk)");
	if (filebno < NDIRECT) {
		*ppdiskbno = &f->f_direct[filebno];
		return 0;
	}
	if (filebno >= NDIRECT + NINDIRECT)
		return -E_INVAL;
	int r;
	if (f->f_indirect == 0) {
		if (!alloc)
			return -E_NOT_FOUND;
		int b = alloc_block();
		if (b < 0)
			return b;
		char *blk;
		if ((r = block_zero(b, &blk)) < 0) {
			free_block(b);
			return r;
		}
		f->f_indirect = b;
	} else if ((r = bc_load(f->f_indirect)) < 0) {
		return r;
	}
	*ppdiskbno = static_cast<uint32_t *>(diskaddr(f->f_indirect)) + (filebno - NDIRECT);
	return 0;
	// LAB 5 EXERCISE file_block_walk END
}

// The disk block of f's filebno'th block, in the cache (*blk), or nullptr
// for a hole (no block: it reads as zeros). Never allocates.
int
file_read_block(File *f, uint32_t filebno, char **blk)
{
	uint32_t *ptr;
	int r = file_block_walk(f, filebno, &ptr, false);
	*blk = nullptr;
	if (r == -E_NOT_FOUND)
		return 0;	// no indirect block: a hole
	if (r < 0)
		return r;
	if (*ptr == 0)
		return 0;
	if ((r = bc_load(*ptr)) < 0)
		return r;
	*blk = static_cast<char *>(diskaddr(*ptr));
	return 0;
}

// Frees every block of f beyond the first newsize bytes' (wherever they
// are, within f's size or beyond it), and its indirect block if those
// bytes do not need one. f->f_size is not changed.
void
file_truncate_blocks(File *f, off_t newsize)
{
	uint32_t keep = static_cast<uint32_t>((newsize + BLKSIZE - 1) / BLKSIZE);
	for (uint32_t bno = keep; bno < NDIRECT; bno++)
		if (f->f_direct[bno]) {
			free_block(f->f_direct[bno]);
			f->f_direct[bno] = 0;
		}
	if (f->f_indirect == 0)
		return;
	int r = bc_load(f->f_indirect);
	if (r < 0) {
		// Nothing to be done without it: its blocks stay in use (fsck
		// will call them leaked).
		cprintf("fs: %s: cannot read its indirect block to free blocks: %s\n", f->f_name,
			error_string(r));
		return;
	}
	auto *ind = static_cast<uint32_t *>(diskaddr(f->f_indirect));
	for (uint32_t bno = MAX<uint32_t>(keep, NDIRECT); bno < NDIRECT + NINDIRECT; bno++)
		if (ind[bno - NDIRECT]) {
			free_block(ind[bno - NDIRECT]);
			ind[bno - NDIRECT] = 0;
		}
	if (keep <= NDIRECT) {
		free_block(f->f_indirect);
		f->f_indirect = 0;
	}
}

// Writes f's metadata to the disk: its directory's block, if f is in one
// (a removed file that is still open has only the server's copy).
void
flush_file_meta(File *f)
{
	if (in_cache(f))
		flush_block(f);
}

// ---------------------------------------------------------------------------
// Directories and paths

// The blocks of the directories above the one being searched, root first:
// a directory that shares a block with one of them would contain itself.
constexpr int kMaxPathBlocks = 512;
uint32_t path_blocks[kMaxPathBlocks];
int npath_blocks;

// Checks dir (found at path) before it is searched: its blocks, and that
// none of them belongs to a directory above it. Then adds its blocks to
// path_blocks.
int
enter_dir(File *dir, const char *path)
{
	int r;
	if (in_cache(dir) && (r = bc_hold(dir)) < 0)
		return r;
	if ((r = check_file(dir, path)) < 0)
		return r;
	uint32_t nblock = dir->f_size / BLKSIZE;
	for (uint32_t i = 0; i < nblock; i++) {
		uint32_t *ptr;
		if ((r = file_block_walk(dir, i, &ptr, false)) == -E_NOT_FOUND)
			break;		// no indirect block: holes from here on
		if (r < 0)
			return r;
		if (*ptr == 0)
			continue;	// a hole: holds no entries
		for (int j = 0; j < npath_blocks; j++)
			if (path_blocks[j] == *ptr) {
				damage("fs: directory %s loops: its block %u is also a block of a "
					"directory above it (or of itself): the file system is damaged; "
					"refusing it\n", path, *ptr);
				return -E_CORRUPT;
			}
		if (npath_blocks == kMaxPathBlocks) {
			damage("fs: %s: the directories on this path have more than %d blocks; "
				"refusing it\n", path, kMaxPathBlocks);
			return -E_BAD_PATH;
		}
		path_blocks[npath_blocks++] = *ptr;
	}
	return 0;
}

// Finds the file called name in dir; *file points at its File in the
// block cache.
int
dir_lookup(File *dir, const char *name, File **file)
{
	assert(dir->f_size % BLKSIZE == 0);
	uint32_t nblock = dir->f_size / BLKSIZE;
	for (uint32_t i = 0; i < nblock; i++) {
		char *blk;
		int r = file_read_block(dir, i, &blk);
		if (r < 0)
			return r;
		if (blk == nullptr)
			continue;	// a hole holds no entries
		auto *f = reinterpret_cast<File *>(blk);
		for (uint32_t j = 0; j < BLKFILES; j++)
			if (f[j].f_name[0] != '\0' &&
			    strncmp(f[j].f_name, name, MAXNAMELEN) == 0) {
				*file = &f[j];
				return 0;
			}
	}
	return -E_NOT_FOUND;
}

// A free File in dir (cleared), extending dir by a block if it is full. On
// an error dir is as it was.
int
dir_alloc_file(File *dir, File **file)
{
	uint32_t nblock = dir->f_size / BLKSIZE;
	char *blk;
	int r;
	for (uint32_t i = 0; i < nblock; i++) {
		if ((r = file_read_block(dir, i, &blk)) < 0)
			return r;
		if (blk == nullptr)
			continue;	// a hole: new entries go in a block of their own
		auto *f = reinterpret_cast<File *>(blk);
		for (uint32_t j = 0; j < BLKFILES; j++)
			if (f[j].f_name[0] == '\0') {
				memset(&f[j], 0, sizeof(File));
				*file = &f[j];
				return 0;
			}
	}
	if (dir->f_size + BLKSIZE > MAXFILESIZE)
		return -E_NO_DISK;
	// The new block first, the size after: if there is no room for the
	// block (or for the indirect block it needs), nothing changed but
	// what file_truncate_blocks gives back.
	if ((r = file_get_block(dir, nblock, &blk)) < 0) {
		file_truncate_blocks(dir, dir->f_size);
		return r;
	}
	dir->f_size += BLKSIZE;
	*file = reinterpret_cast<File *>(blk);
	return 0;
}

const char *
skip_slash(const char *p)
{
	while (*p == '/')
		p++;
	return p;
}

// Evaluates path: *pf is the file it names; *pdir (if pdir is not null)
// the directory that holds it (null for the root). "." is the directory
// it is in, ".." the one above (the root's is the root). A path that ends
// in "/" names a directory. If only the last element is missing, returns
// -E_NOT_FOUND with *pdir the directory it would go in and its name in
// lastelem (MAXNAMELEN bytes), for file_create.
int
walk_path(const char *path, File **pdir, File **pf, char *lastelem)
{
	// For messages: the path up to the directory being entered. (Static:
	// the server has one thread and a one-page stack.)
	static char where[MAXPATHLEN];
	// The directories the walk went through, and how many path_blocks
	// were in use before each: ".." goes back to them. (A path of
	// MAXPATHLEN bytes has fewer elements than that.)
	static File *above[MAXPATHLEN / 2];
	static int blocks_before[MAXPATHLEN / 2];
	int depth = 0;
	char name[MAXNAMELEN];
	File *f = &super->s_root;
	int r;

	if (pdir)
		*pdir = nullptr;
	*pf = nullptr;
	npath_blocks = 0;
	strcpy(where, "/");
	const char *p = skip_slash(path);
	while (*p != '\0') {
		const char *start = p;
		while (*p != '/' && *p != '\0')
			p++;
		if (p - start >= MAXNAMELEN)
			return -E_BAD_PATH;
		memmove(name, start, p - start);
		name[p - start] = '\0';
		p = skip_slash(p);
		if (f->f_type != FTYPE_DIR)
			return -E_NOT_DIR;
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			if (depth > 0) {
				f = above[--depth];
				npath_blocks = blocks_before[depth];
			}
			continue;
		}
		blocks_before[depth] = npath_blocks;
		if ((r = enter_dir(f, where)) < 0)
			return r;
		above[depth++] = f;
		size_t n = MIN<size_t>(start - path + strlen(name), sizeof(where) - 1);
		memmove(where, path, n);
		where[n] = '\0';

		File *dir = f;
		if ((r = dir_lookup(dir, name, &f)) < 0) {
			if (r == -E_NOT_FOUND && *p == '\0') {
				if (pdir)
					*pdir = dir;
				if (lastelem)
					strcpy(lastelem, name);
			}
			return r;
		}
	}
	if ((r = check_file(f, where)) < 0)
		return r;
	if (f->f_type == FTYPE_DIR && (r = enter_dir(f, where)) < 0)
		return r;
	if (path[0] != '\0' && path[strlen(path) - 1] == '/' && f->f_type != FTYPE_DIR)
		return -E_NOT_DIR;
	// The walk may have brought in more blocks than the cache holds for
	// one request: make sure the two Files the caller gets are in.
	File *dir = depth > 0 ? above[depth - 1] : nullptr;
	if ((in_cache(f) && (r = bc_hold(f)) < 0) || (dir && in_cache(dir) && (r = bc_hold(dir)) < 0))
		return r;
	if (pdir)
		*pdir = dir;
	*pf = f;
	return 0;
}

// ---------------------------------------------------------------------------
// Blocks that two files share

// The scan's bitmap, a bit per block (set: a file uses it), in pages at
// SEENVA allocated for the scan and given back after it.
constexpr uintptr_t SEENVA = DISKMAP + DISKSIZE;
constexpr int kMaxScanDepth = 32;
constexpr int kMaxDups = 16;
uint32_t dups[kMaxDups];	// blocks found used twice
int ndups;

uint32_t *
seen()
{
	return reinterpret_cast<uint32_t *>(SEENVA);
}

// Calls visit(b) for each block b of f (its indirect block too).
template <typename Visit>
void
for_each_block(File *f, Visit visit)
{
	for (uint32_t i = 0; i < NDIRECT; i++)
		if (f->f_direct[i])
			visit(f->f_direct[i]);
	if (f->f_indirect == 0 || bc_load(f->f_indirect) < 0)
		return;
	visit(f->f_indirect);
	auto *ind = static_cast<const uint32_t *>(diskaddr(f->f_indirect));
	for (uint32_t i = 0; i < NINDIRECT; i++)
		if (ind[i])
			visit(ind[i]);
}

// The disk block of f's i'th block (0: a hole), for the scan: it reads
// f's indirect block itself, so that a mount never depends on the lab's
// exercises beyond the block cache.
uint32_t
nth_block(const File *f, uint32_t i)
{
	if (i < NDIRECT)
		return f->f_direct[i];
	if (f->f_indirect == 0 || bc_load(f->f_indirect) < 0)
		return 0;
	return static_cast<const uint32_t *>(diskaddr(f->f_indirect))[i - NDIRECT];
}

// As enter_dir, for the scan: false if dir's blocks are those of a
// directory above it (a loop), or there are too many to remember.
bool
scan_enter(const File *dir)
{
	for (uint32_t i = 0; i < static_cast<uint32_t>(dir->f_size) / BLKSIZE; i++) {
		uint32_t b = nth_block(dir, i);
		if (b == 0)
			continue;
		for (int j = 0; j < npath_blocks; j++)
			if (path_blocks[j] == b)
				return false;
		if (npath_blocks == kMaxPathBlocks)
			return false;
		path_blocks[npath_blocks++] = b;
	}
	return true;
}

// Calls visit(f, path) for every file and directory that check_file
// accepts, the root first, depth first. A directory that loops back into
// one above it is not entered, nor one more than kMaxScanDepth down (not
// checked, then): walk_path names them when they are used.
template <typename Visit>
void
scan_files(Visit visit)
{
	static char path[MAXPATHLEN];
	static struct {
		File *dir;
		uint32_t block, slot;	// the next entry
		int blocks_before;	// path_blocks in use above it
		size_t len;		// its path's length
	} st[kMaxScanDepth];
	File *root = &super->s_root;
	npath_blocks = 0;
	if (check_file(root, "/") < 0 || !scan_enter(root))
		return;
	visit(root, "/");
	st[0] = {root, 0, 0, 0, 0};
	for (int depth = 1; depth > 0;) {
		auto &top = st[depth - 1];
		if (top.block >= static_cast<uint32_t>(top.dir->f_size) / BLKSIZE) {
			npath_blocks = top.blocks_before;
			depth--;
			continue;
		}
		uint32_t b = nth_block(top.dir, top.block);
		if (top.slot == BLKFILES || b == 0 || bc_load(b) < 0) {
			top.block++;
			top.slot = 0;
			continue;
		}
		File *f = static_cast<File *>(diskaddr(b)) + top.slot++;
		if (f->f_name[0] == '\0' || top.len + 1 + strnlen(f->f_name, MAXNAMELEN) >= sizeof(path))
			continue;
		// (A name that fills f_name has no NUL: check_file refuses it,
		// after this, so the name is read no further than f_name.)
		snprintf(path + top.len, sizeof(path) - top.len, "/%.*s", MAXNAMELEN, f->f_name);
		if (check_file(f, path) < 0)
			continue;
		if (f->f_type != FTYPE_DIR) {
			visit(f, path);
			continue;
		}
		int before = npath_blocks;
		if (depth == kMaxScanDepth || !scan_enter(f)) {
			npath_blocks = before;
			continue;
		}
		visit(f, path);
		st[depth++] = {f, 0, 0, before, strlen(path)};
	}
}

// Looks, once at mount, for blocks that two files share (fsck's "used
// twice"), and puts those files in shared_files, to be refused. False if
// there are too many of them to name: the disk is refused then.
bool
check_shared_blocks()
{
	uint32_t npages = (fs_nblocks + BLKBITSIZE - 1) / BLKBITSIZE;
	for (uint32_t i = 0; i < npages; i++)
		if (sys_page_alloc(0, seen() + i * PGSIZE / 4, PTE_P | PTE_U | PTE_W | PTE_NX) < 0) {
			cprintf("fs: not enough memory to look for blocks that two files share; not "
				"looked for\n");
			for (uint32_t j = 0; j < i; j++)
				sys_page_unmap(0, seen() + j * PGSIZE / 4);
			return true;
		}
	quiet = true;	// the damage the scan meets is named when it is used
	ndups = 0;
	scan_files([](File *f, const char *) {
		for_each_block(f, [](uint32_t b) {
			if (!(seen()[b / 32] & (1U << (b % 32))))
				seen()[b / 32] |= 1U << (b % 32);
			else if (ndups < kMaxDups)
				dups[ndups++] = b;
		});
	});
	bool ok = true;
	if (ndups > 0)
		scan_files([&ok](File *f, const char *path) {
			uint32_t shared = 0;
			for_each_block(f, [&shared](uint32_t b) {
				for (int i = 0; i < ndups; i++)
					if (dups[i] == b)
						shared = b;
			});
			if (shared == 0)
				return;
			cprintf("fs: %s shares block %u with another file: the file system is damaged; "
				"refusing the file\n", path, shared);
			if (nshared_files < kMaxShared)
				shared_files[nshared_files++] = f;
			else
				ok = false;
		});
	quiet = false;
	for (uint32_t i = 0; i < npages; i++)
		sys_page_unmap(0, seen() + i * PGSIZE / 4);
	if (!ok)
		cprintf("fs: more than %d files share blocks with others; refusing the disk\n",
			kMaxShared);
	return ok;
}

} // namespace

// ---------------------------------------------------------------------------
// Blocks

bool
block_is_free(uint32_t blockno)
{
	if (super == nullptr || blockno >= fs_nblocks)
		return false;
	return bitmap[blockno / 32] & (1U << (blockno % 32));
}

void
free_block(uint32_t blockno)
{
	if (blockno < first_data_block() || blockno >= fs_nblocks)
		panic("free_block: block %u is not a data block", blockno);
	bitmap[blockno / 32] |= 1U << (blockno % 32);
	flush_block(&bitmap[blockno / 32]);
}

// Finds a free block, marks it in use and returns its number; -E_NO_DISK
// if there is none.
int
alloc_block()
{
	// LAB 5 EXERCISE alloc_block BEGIN
	// The bitmap has a 1 bit for every free block (block b is bit b % 32
	// of bitmap[b / 32]). Find one, clear its bit, and write the bitmap
	// block that holds the bit back to the disk at once (flush_block), so
	// that the disk never shows a block in use by a file as free.
	//> panic("alloc_block: not implemented (LAB 5 exercise alloc_block)");
	uint32_t nblocks = super->s_nblocks;
	for (uint32_t w = first_data_block() / 32; w * 32 < nblocks; w++) {
		if (bitmap[w] == 0)
			continue;	// 32 blocks in use
		for (uint32_t b = w * 32; b < w * 32 + 32 && b < nblocks; b++)
			if (b >= first_data_block() && block_is_free(b)) {
				bitmap[w] &= ~(1U << (b % 32));
				flush_block(&bitmap[w]);
				return static_cast<int>(b);
			}
	}
	return -E_NO_DISK;
	// LAB 5 EXERCISE alloc_block END
}

// ---------------------------------------------------------------------------
// The file system

void
fs_init(bool selftest)
{
	uint32_t sectors = ide_probe_disk();
	if (sectors == 0) {
		cprintf("FS: no disk at the primary IDE channel (0x1F0): every request will fail "
			"(attach one with make's DISK=; by default obj/fs/fs.img)\n");
		fs_state = -E_NO_DRIVE;
		return;
	}
	disk_nblocks = sectors / BLKSECTS;
	if (disk_nblocks < 2) {
		cprintf("FS: the disk has %u sectors, too few for a file system\n", sectors);
		fs_state = -E_CORRUPT;
		return;
	}
	bc_init();
	if (selftest)
		check_bc();	// JOS's order: the cache, then what it reads
	fs_state = -E_CORRUPT;
	// The superblock and the bitmap come in as JOS's did: through the
	// cache's page-fault handler, at their first touch (check_super,
	// check_bitmap). They stay: the cache never evicts them.
	super = static_cast<Super *>(diskaddr(1));
	if (!check_super()) {
		super = nullptr;
		return;
	}
	fs_nblocks = super->s_nblocks;
	bitmap = static_cast<uint32_t *>(diskaddr(2));
	if (!check_bitmap()) {
		bitmap = nullptr;
		super = nullptr;
		fs_nblocks = 0;
		return;
	}
	for (uint32_t b = 3; b < first_data_block(); b++)
		(void)*static_cast<volatile uint32_t *>(diskaddr(b));	// the rest of the bitmap
	if (!check_shared_blocks()) {
		bitmap = nullptr;
		super = nullptr;
		fs_nblocks = 0;
		return;
	}
	bc_make_tables();
	bc_request_begin();	// (the mount changed nothing: nothing to write back)
	fs_state = 0;
}

// Finds f's filebno'th block, allocating it (zeroed) if it has none yet;
// *blk is its address in the block cache.
int
file_get_block(File *f, uint32_t filebno, char **blk)
{
	// LAB 5 EXERCISE file_get_block BEGIN
	// file_block_walk finds the slot (allocating an indirect block);
	// a slot that holds 0 gets a new block (alloc_block, then block_zero:
	// a block freed earlier still holds someone's old data; free it again
	// if block_zero fails). A block that exists must be brought into the
	// cache (bc_load). *blk is diskaddr of the block.
	//> (void)f, (void)filebno, (void)blk;
	//> panic("file_get_block: not implemented (LAB 5 exercise file_get_block)");
	uint32_t *ptr;
	int r = file_block_walk(f, filebno, &ptr, true);
	if (r < 0)
		return r;
	if (*ptr == 0) {
		int b = alloc_block();
		if (b < 0)
			return b;
		if ((r = block_zero(b, blk)) < 0) {
			free_block(b);
			return r;
		}
		*ptr = b;
		return 0;
	}
	if ((r = bc_load(*ptr)) < 0)
		return r;
	*blk = static_cast<char *>(diskaddr(*ptr));
	return 0;
	// LAB 5 EXERCISE file_get_block END
}

int
file_create(const char *path, File **pf, bool dir_type)
{
	char name[MAXNAMELEN];
	File *dir, *f;
	int r = walk_path(path, &dir, &f, name);
	if (r == 0)
		return -E_FILE_EXISTS;
	if (r != -E_NOT_FOUND || dir == nullptr)
		return r;
	if (name[0] == '\0')
		return -E_BAD_PATH;
	// "x/" names a directory: a file cannot be made there.
	if (!dir_type && path[strlen(path) - 1] == '/')
		return -E_IS_DIR;
	if ((r = dir_alloc_file(dir, &f)) < 0)
		return r;
	strcpy(f->f_name, name);
	f->f_type = dir_type ? FTYPE_DIR : FTYPE_REG;
	*pf = f;
	flush_file_meta(dir);
	flush_block(f);
	return 0;
}

int
file_open(const char *path, File **pf)
{
	return walk_path(path, nullptr, pf, nullptr);
}

ssize_t
file_read(File *f, void *buf, size_t count, off_t offset)
{
	if (offset < 0)
		return -E_INVAL;
	if (offset >= f->f_size)
		return 0;
	count = MIN<size_t>(count, f->f_size - offset);
	auto *dst = static_cast<char *>(buf);
	for (off_t pos = offset; pos < offset + static_cast<off_t>(count);) {
		char *blk;
		int r = file_read_block(f, static_cast<uint32_t>(pos / BLKSIZE), &blk);
		if (r < 0)
			return pos > offset ? static_cast<ssize_t>(pos - offset) : r;
		size_t bn = MIN<size_t>(BLKSIZE - pos % BLKSIZE, offset + count - pos);
		if (blk)
			memmove(dst, blk + pos % BLKSIZE, bn);
		else
			memset(dst, 0, bn);	// a hole
		pos += bn;
		dst += bn;
	}
	return static_cast<ssize_t>(count);
}

// Writes count bytes at offset, growing the file as needed. If the disk
// fills up (or the block cache cannot take another block), the file keeps
// what was written, its size says so, and the count written is returned;
// if nothing could be written, the error, with the file as it was. A write
// that would reach past the largest file there can be writes what fits,
// and one that starts there fails (-E_FILE_TOO_BIG), as Unix's does.
ssize_t
file_write(File *f, const void *buf, size_t count, off_t offset)
{
	if (offset < 0)
		return -E_INVAL;
	if (count == 0)
		return 0;
	if (offset >= MAXFILESIZE)
		return -E_FILE_TOO_BIG;
	count = MIN<size_t>(count, MAXFILESIZE - offset);
	auto *src = static_cast<const char *>(buf);
	off_t pos = offset;
	int r = 0;
	while (pos < offset + static_cast<off_t>(count)) {
		char *blk;
		if ((r = file_get_block(f, static_cast<uint32_t>(pos / BLKSIZE), &blk)) < 0)
			break;
		size_t bn = MIN<size_t>(BLKSIZE - pos % BLKSIZE, offset + count - pos);
		memmove(blk + pos % BLKSIZE, src, bn);
		pos += bn;
		src += bn;
		if (pos > f->f_size)
			f->f_size = static_cast<int32_t>(pos);
	}
	if (r < 0) {
		// Give back what was allocated beyond what was written (an
		// indirect block for a block that never came).
		file_truncate_blocks(f, f->f_size);
		if (pos == offset)
			return r;
	}
	return static_cast<ssize_t>(pos - offset);
}

// Sets f's size, freeing the blocks beyond a smaller one and clearing the
// rest of the last block it keeps (so that growing the file again shows
// zeros, not what was cut); f's metadata goes to the disk at once.
int
file_set_size(File *f, off_t newsize)
{
	if (newsize < 0)
		return -E_INVAL;
	if (newsize > MAXFILESIZE)
		return -E_FILE_TOO_BIG;
	// The indirect block first, where a truncation reads it: out of memory
	// the call fails with nothing changed, rather than cutting the size
	// and leaving blocks the size no longer covers.
	int r;
	if (newsize < f->f_size && f->f_indirect != 0 && (r = bc_load(f->f_indirect)) < 0)
		return r;
	if (newsize < f->f_size && newsize % BLKSIZE != 0) {
		char *blk;
		if ((r = file_read_block(f, static_cast<uint32_t>(newsize / BLKSIZE), &blk)) < 0)
			return r;
		if (blk) {
			memset(blk + newsize % BLKSIZE, 0, BLKSIZE - newsize % BLKSIZE);
			flush_block(blk);
		}
	}
	if (newsize < f->f_size)
		file_truncate_blocks(f, newsize);
	f->f_size = static_cast<int32_t>(newsize);
	flush_file_meta(f);
	return 0;
}

// Writes f's cached blocks, its indirect block and its metadata to the
// disk.
void
file_flush(File *f)
{
	uint32_t nblocks = (f->f_size + BLKSIZE - 1) / BLKSIZE;
	for (uint32_t i = 0; i < nblocks; i++) {
		uint32_t *pdiskbno;
		if (file_block_walk(f, i, &pdiskbno, false) < 0 || *pdiskbno == 0)
			continue;
		flush_block(diskaddr(*pdiskbno));
	}
	flush_file_meta(f);
	if (f->f_indirect)
		flush_block(diskaddr(f->f_indirect));
}

int
file_remove(const char *path, int (*keep)(File *f, File **copy))
{
	File *f;
	int r = walk_path(path, nullptr, &f, nullptr);
	if (r < 0)
		return r;
	if (f == &super->s_root)
		return -E_BAD_PATH;
	if (f->f_type == FTYPE_DIR) {
		for (uint32_t i = 0; i < static_cast<uint32_t>(f->f_size) / BLKSIZE; i++) {
			char *blk;
			if ((r = file_read_block(f, i, &blk)) < 0)
				return r;
			for (uint32_t j = 0; blk && j < BLKFILES; j++)
				if (reinterpret_cast<File *>(blk)[j].f_name[0] != '\0')
					return -E_NOT_SUPP;	// not empty
		}
	}
	File *copy = nullptr;
	if (keep && (r = keep(f, &copy)) < 0)
		return r;
	if (copy)
		*copy = *f;	// its blocks stay, until its last close
	else
		file_truncate_blocks(f, 0);
	memset(f, 0, sizeof(*f));
	flush_block(f);
	return 0;
}

void
file_free_blocks(File *f)
{
	file_truncate_blocks(f, 0);
	f->f_size = 0;
}

// Writes every dirty block in the cache to the disk.
void
fs_sync()
{
	for (uint32_t i = 1; i < fs_nblocks; i++)
		flush_block(diskaddr(i));
}
