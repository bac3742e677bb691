// File descriptors: JOS's user-level file-descriptor layer (lib/fd.cc) and
// the devices behind it (files, pipes, the console).
//
// Each descriptor is one page in this environment's descriptor table (its
// struct Fd), mapped PTE_SHARE so that fork and spawn share it with the
// child: parent and child then share the offset, as Unix processes do.
// A device may keep one more page per descriptor, in the descriptor's data
// region (a pipe's buffer).
#pragma once

#include <inc/fs.h>
#include <inc/mmu.h>
#include <inc/types.h>

// Descriptors per environment.
#define MAXFD		32
// The data regions, one 2 MiB region per descriptor, lie below the table:
// fork and spawn copy shared pages in address order, so a descriptor's data
// page reaches the child before its Fd page, and a pipe's reader never sees
// more descriptors for the pipe than pages of it (lib/pipe.cc).
#define FILEDATA	0xD0000000UL
#define FDTABLE		0xE0000000UL
#define INDEX2FD(i)	(FDTABLE + (i) * PGSIZE)
#define INDEX2DATA(i)	(FILEDATA + (i) * PTSIZE)

// A pipe keeps a write of up to PIPE_BUF bytes whole: no other writer's
// bytes come inside it, whatever the number of writers and CPUs (POSIX's
// promise; lib/pipe.cc). A longer write may be split.
#define PIPE_BUF	32

// File open modes.
#define O_RDONLY	0x0000		// open for reading only
#define O_WRONLY	0x0001		// open for writing only
#define O_RDWR		0x0002		// open for reading and writing
#define O_ACCMODE	0x0003		// mask for the above
#define O_CREAT		0x0100		// create if it does not exist
#define O_TRUNC		0x0200		// truncate to zero length
#define O_EXCL		0x0400		// error if it already exists
#define O_MKDIR		0x0800		// create a directory, not a regular file

struct Fd;
struct Stat;

// A device: what read, write, close, stat and truncate do on its descriptors.
struct Dev {
	int dev_id;
	const char *dev_name;
	ssize_t (*dev_read)(Fd *fd, void *buf, size_t len);
	ssize_t (*dev_write)(Fd *fd, const void *buf, size_t len);
	int (*dev_close)(Fd *fd);
	int (*dev_stat)(Fd *fd, Stat *stat);
	int (*dev_trunc)(Fd *fd, off_t length);
};

struct FdFile {
	int32_t id;		// the server's file id
};

struct FdSock {
	int32_t sockid;		// the network server's socket id (lab 6)
};

// The socket device's id: the network server fills in the Fd pages of the
// sockets it makes, and shares them.
#define DEV_SOCK_ID	's'

struct Fd {
	int32_t fd_dev_id;
	int32_t fd_omode;
	off_t fd_offset;
	union {
		FdFile fd_file;	// file descriptors
		FdSock fd_sock;	// sockets
	};
};

struct Stat {
	char st_name[MAXNAMELEN];
	off_t st_size;
	int st_isdir;
	Dev *st_dev;
};

extern Dev devcons, devfile, devpipe, devsock;
