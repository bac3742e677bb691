// The file-system server's internals (JOS lab 5): the IDE driver, the block
// cache, the file system proper, and its self-test.
#pragma once

#include <inc/fs.h>
#include <inc/lib.h>

// The whole disk appears in the server's address space at DISKMAP: block b
// at DISKMAP + b * BLKSIZE, paged in from the disk when it is first used
// and written back by flush_block. Up to 3 GiB of disk.
#define DISKMAP		0x10000000UL
#define DISKSIZE	0xC0000000UL

// The superblock and the bitmap, in the block cache (set by fs_init).
extern Super *super;
extern uint32_t *bitmap;

// fs/ide.cc: the primary IDE channel's drive 0, by programmed I/O.
// Returns the drive's size in sectors (0: no drive).
uint32_t ide_probe_disk();
int ide_read(uint32_t secno, void *dst, size_t nsecs);
int ide_write(uint32_t secno, const void *src, size_t nsecs);

// fs/bc.cc: the block cache.
//
// A block is brought in with bc_load before it is used, which fails
// (-E_NO_MEM) rather than fault when memory is short: the server then
// answers that request with the error and goes on. Out of memory, the
// cache gives up clean blocks (evicts them: the disk holds the same
// bytes), but never one the request being served has used (bc_load
// "holds" it until the request ends): the pointers the request keeps into
// the cache stay good. A block touched without bc_load is paged in by the
// cache's page-fault handler (JOS's way), which can only panic if that
// fails.
void *diskaddr(uint32_t blockno);
bool va_is_mapped(const void *va);
bool va_is_dirty(const void *va);
void flush_block(void *addr);
// Reads block blockno into the cache (the page-fault handler's work):
// 0, or -E_NO_MEM, -E_IO.
int bc_read(uint32_t blockno);
// Brings block blockno into the cache if it is not there, and holds it
// until the request ends.
int bc_load(uint32_t blockno);
// The same for the block that holds addr (a File in a directory block).
int bc_hold(const void *addr);
// Whether addr lies in the block cache (a File that does not is a removed
// file's copy, kept by the server: fs/fs.cc).
bool in_cache(const void *addr);
// A block just allocated: zeroed in the cache (and dirty), held, without
// reading what the disk held there. 0 with *addr set, or -E_NO_MEM.
int block_zero(uint32_t blockno, char **addr);
// A page at va for the cache: a new one, or, when memory is short, the
// page of a clean block that is not held (evicted). 0, or -E_NO_MEM.
int bc_alloc_page(void *va);
// Around each request: begin forgets the blocks the last one held; end
// writes back every block the request dirtied (writes go through to the
// disk before the client hears of them).
void bc_request_begin();
void bc_request_end();
void bc_init();
// Once the disk is mounted: makes the page tables that map the cache (so
// that eviction never needs one when memory is short).
void bc_make_tables();
// The block cache's self-test (JOS's check_bc), before the disk is
// mounted: part of the server's self-test.
void check_bc();

// fs/fs.cc
// The disk's size in blocks (from the drive, not the superblock).
extern uint32_t disk_nblocks;
// The file system's size in blocks (the superblock's, once checked; 0
// before): what the cache uses, so that it never needs the superblock's
// page to bring a page in (the self-test takes that page away).
extern uint32_t fs_nblocks;
// 0 once the disk checked out (fs_init); otherwise what every request
// fails with: -E_NO_DRIVE without a disk, -E_CORRUPT for a damaged one.
extern int fs_state;
// Mounts the disk: checks its superblock and bitmap. With selftest, checks
// the block cache first (check_bc, as JOS did).
void fs_init(bool selftest);
uint32_t first_data_block();
int file_get_block(File *f, uint32_t file_blockno, char **pblk);
int file_create(const char *path, File **f, bool dir);
int file_open(const char *path, File **f);
ssize_t file_read(File *f, void *buf, size_t count, off_t offset);
ssize_t file_write(File *f, const void *buf, size_t count, off_t offset);
int file_set_size(File *f, off_t newsize);
void file_flush(File *f);
// Removes path's directory entry. keep (fs/serv.cc) says whether the file
// is still open: if it gives a copy, the file's File goes there and its
// blocks stay, for the caller to free with file_free_blocks at the last
// close; otherwise its blocks are freed now. An error from keep stops the
// removal before anything changed.
int file_remove(const char *path, int (*keep)(File *f, File **copy));
void file_free_blocks(File *f);
void fs_sync();
int alloc_block();
bool block_is_free(uint32_t blockno);
void free_block(uint32_t blockno);

// fs/test.cc: the server's self-test, run only when the kernel starts the
// server with fs=test. Panics on a failure.
void fs_test();
