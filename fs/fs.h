// The file-system server's internals (JOS lab 5): the IDE driver, the block
// cache, the file system proper, and its self-test.
#pragma once

#include <inc/fs.h>
#include <inc/lib.h>

// The whole disk appears in the server's address space at DISKMAP: block b
// at DISKMAP + b * BLKSIZE, paged in from the disk on the first touch
// (bc_pgfault) and written back by flush_block. Up to 3 GiB of disk.
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

// fs/bc.cc
void *diskaddr(uint32_t blockno);
bool va_is_mapped(const void *va);
bool va_is_dirty(const void *va);
void flush_block(void *addr);
// A block just allocated: zeroed in the cache (and dirty), without reading
// what the disk held there. Returns its address.
void *block_zero(uint32_t blockno);
void bc_init();

// fs/fs.cc
// The disk's size in blocks (from the drive, not the superblock).
extern uint32_t disk_nblocks;
// 0 once the disk checked out (fs_init); otherwise what every request
// fails with: -E_NO_DRIVE without a disk, -E_CORRUPT for a damaged one.
extern int fs_state;
void fs_init();
int file_get_block(File *f, uint32_t file_blockno, char **pblk);
int file_create(const char *path, File **f, bool dir);
int file_open(const char *path, File **f);
ssize_t file_read(File *f, void *buf, size_t count, off_t offset);
ssize_t file_write(File *f, const void *buf, size_t count, off_t offset);
int file_set_size(File *f, off_t newsize);
void file_flush(File *f);
int file_remove(const char *path);
void fs_sync();
int alloc_block();
bool block_is_free(uint32_t blockno);
void free_block(uint32_t blockno);

// fs/test.cc
void fs_test();
