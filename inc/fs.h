// The file system: its on-disk format, and the requests a client sends the
// file-system server (JOS lab 5). Shared by the server (fs/), the user
// library (lib/file.cc) and the host tools (fs/fsformat.cc, fs/fsck.cc), so
// it uses fixed-width types only: the disk holds the same bytes whichever
// of them wrote it.
//
// The on-disk format is JOS's, unchanged: 4096-byte blocks, block 0 for a
// boot sector, block 1 the superblock, then the free-block bitmap (one bit
// per block, 1 = free), then data. A File is 256 bytes: directories are
// arrays of Files, so a file's metadata lives in its directory's blocks.
// Block numbers are 32 bits, as in JOS; sizes are 32 bits too (a file holds
// at most (NDIRECT + NINDIRECT) blocks, about 4 MiB).
#pragma once

#include <inc/types.h>

#define BLKSIZE		4096
#define BLKBITSIZE	(BLKSIZE * 8)
#define SECTSIZE	512			// bytes per disk sector
#define BLKSECTS	(BLKSIZE / SECTSIZE)	// sectors per block

// Bytes in a file or directory name, the null included.
#define MAXNAMELEN	128
// Bytes in a whole path, the null included.
#define MAXPATHLEN	1024

// Block pointers a File holds itself; an indirect block holds NINDIRECT more.
#define NDIRECT		10
#define NINDIRECT	(BLKSIZE / 4)
#define MAXFILESIZE	((NDIRECT + NINDIRECT) * BLKSIZE)

#define FS_MAGIC	0x4A0530AE	// the superblock's s_magic

// File types.
#define FTYPE_REG	0	// a regular file
#define FTYPE_DIR	1	// a directory

struct File {
	char f_name[MAXNAMELEN];	// the name, null-terminated
	int32_t f_size;			// in bytes
	uint32_t f_type;		// FTYPE_*
	uint32_t f_direct[NDIRECT];	// blocks 0..NDIRECT-1 (0: none yet)
	uint32_t f_indirect;		// the block of further pointers (0: none)
	// Room up to 256 bytes: a block holds exactly BLKFILES Files.
	uint8_t f_pad[256 - MAXNAMELEN - 8 - 4 * NDIRECT - 4];
};
static_assert(sizeof(File) == 256, "the on-disk File is 256 bytes, as in JOS");

// Files per directory block.
#define BLKFILES	(BLKSIZE / sizeof(File))

struct Super {
	uint32_t s_magic;	// FS_MAGIC
	uint32_t s_nblocks;	// blocks on the disk, the first three included
	File s_root;		// the root directory
};
static_assert(sizeof(Super) == 264);

// ---------------------------------------------------------------------------
// Client requests. A client calls the server (ipc_call) with a request
// number as the value and the page holding a union Fsipc; the server
// answers with a value (a result or a negative E_* code) and, for an open,
// the page of a struct Fd.
//
// An open file is a capability: a request about one names the file id
// and where the client maps the file's Fd page (req_fd), and the server
// serves it only if the client really maps that page there, which only
// open, or sharing the descriptor (fork, spawn, PTE_SHARE), can give it.

enum {
	FSREQ_OPEN = 1,
	FSREQ_SET_SIZE,
	// Read returns a Fsret_read on the request page.
	FSREQ_READ,
	FSREQ_WRITE,
	// Stat returns a Fsret_stat on the request page.
	FSREQ_STAT,
	FSREQ_FLUSH,
	FSREQ_REMOVE,
	FSREQ_SYNC,
};

union Fsipc {
	struct Fsreq_open {
		char req_path[MAXPATHLEN];
		int32_t req_omode;
	} open;
	struct Fsreq_set_size {
		int32_t req_fileid;
		int32_t req_size;
		uint64_t req_fd;	// where the client maps the Fd page
	} set_size;
	struct Fsreq_read {
		int32_t req_fileid;
		uint32_t req_n;
		uint64_t req_fd;
	} read;
	struct Fsret_read {
		char ret_buf[4096];
	} readRet;
	struct Fsreq_write {
		int32_t req_fileid;
		uint32_t req_n;
		uint64_t req_fd;
		char req_buf[4096 - 2 * sizeof(int32_t) - sizeof(uint64_t)];
	} write;
	struct Fsreq_stat {
		int32_t req_fileid;
		uint64_t req_fd;
	} stat;
	struct Fsret_stat {
		char ret_name[MAXNAMELEN];
		int32_t ret_size;
		int32_t ret_isdir;
	} statRet;
	struct Fsreq_flush {
		int32_t req_fileid;
		uint64_t req_fd;
	} flush;
	struct Fsreq_remove {
		char req_path[MAXPATHLEN];
	} remove;
	// Ensure the union is exactly one page.
	char _pad[4096];
};
static_assert(sizeof(Fsipc) == 4096);
