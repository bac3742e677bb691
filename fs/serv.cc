// The file-system server (JOS lab 5): an environment that owns the disk and
// answers its clients' requests (inc/fs.h), one at a time, over IPC.
//
// Writes are written through: every block a write dirtied is on the disk
// by the time the client gets its answer.
//
// An open file is an OpenFile here and a struct Fd page that the server
// shares with the client (PTE_SHARE): the client's descriptor table maps
// it, and the file's offset lives in it. When no client maps the page any
// more (its reference count is back to 1, the server's own), the file is
// closed and the slot free.

#include <inc/x86.h>
#include "fs.h"

namespace {

struct OpenFile {
	uint32_t o_fileid;	// the file id: o_fileid % MAXOPEN is the slot
	File *o_file;		// in the block cache
	int o_mode;		// the open mode
	Fd *o_fd;		// the Fd page
};

// Open files at once, on the whole system.
constexpr int MAXOPEN = 1024;
// Where the server keeps the Fd pages: MAXOPEN pages.
constexpr uintptr_t FILEVA = 0xF0000000;

OpenFile opentab[MAXOPEN];

// Where a request's page arrives.
Fsipc *const fsreq = reinterpret_cast<Fsipc *>(0x0FFFF000);

void
serve_init()
{
	for (uint32_t i = 0; i < MAXOPEN; i++) {
		opentab[i].o_fileid = i;
		opentab[i].o_fd = reinterpret_cast<Fd *>(FILEVA + i * PGSIZE);
	}
}

// A free OpenFile, its Fd page present and cleared. Each reuse of a slot
// gives it a new file id, so that a client holding the old one (a stale
// descriptor) is refused.
int
openfile_alloc(OpenFile **o)
{
	for (int i = 0; i < MAXOPEN; i++) {
		switch (pageref(opentab[i].o_fd)) {
		case 0: {
			int r = sys_page_alloc(0, opentab[i].o_fd, PTE_P | PTE_U | PTE_W | PTE_NX);
			if (r < 0)
				return r;
			[[fallthrough]];
		}
		case 1:
			opentab[i].o_fileid += MAXOPEN;
			*o = &opentab[i];
			memset(opentab[i].o_fd, 0, PGSIZE);
			return 0;
		}
	}
	return -E_MAX_OPEN;
}

// The open file with this id, if a client still has it open.
int
openfile_lookup(envid_t, uint32_t fileid, OpenFile **po)
{
	OpenFile *o = &opentab[fileid % MAXOPEN];
	if (pageref(o->o_fd) <= 1 || o->o_fileid != fileid)
		return -E_INVAL;
	*po = o;
	return 0;
}

// Opens req->req_path with req->req_omode; answers with the Fd page,
// shared.
int
serve_open(envid_t envid, Fsipc::Fsreq_open *req, void **pg_store, uint64_t *perm_store)
{
	static char path[MAXPATHLEN];
	memmove(path, req->req_path, MAXPATHLEN);
	path[MAXPATHLEN - 1] = '\0';

	OpenFile *o;
	File *f;
	int r;
	if ((r = openfile_alloc(&o)) < 0)
		return r;
	if (req->req_omode & O_CREAT) {
		r = file_create(path, &f, req->req_omode & O_MKDIR);
		if (r == -E_FILE_EXISTS && !(req->req_omode & O_EXCL))
			r = file_open(path, &f);
	} else {
		r = file_open(path, &f);
	}
	if (r < 0)
		return r;
	if ((req->req_omode & O_TRUNC) && (r = file_set_size(f, 0)) < 0)
		return r;

	o->o_file = f;
	o->o_mode = req->req_omode;
	o->o_fd->fd_file.id = static_cast<int32_t>(o->o_fileid);
	o->o_fd->fd_omode = req->req_omode & O_ACCMODE;
	o->o_fd->fd_dev_id = devfile.dev_id;
	o->o_fd->fd_offset = 0;
	(void)envid;
	*pg_store = o->o_fd;
	*perm_store = PTE_P | PTE_U | PTE_W | PTE_SHARE | PTE_NX;
	return 0;
}

int
serve_set_size(envid_t envid, Fsipc *ipc)
{
	OpenFile *o;
	int r = openfile_lookup(envid, ipc->set_size.req_fileid, &o);
	if (r < 0)
		return r;
	if ((o->o_mode & O_ACCMODE) == O_RDONLY)
		return -E_INVAL;
	return file_set_size(o->o_file, ipc->set_size.req_size);
}

// Reads up to req_n bytes at the file's offset into the reply (which
// overwrites the request: read the request's fields first), advancing the
// offset. Returns the count.
int
serve_read(envid_t envid, Fsipc *ipc)
{
	// LAB 5 EXERCISE serve_read BEGIN
	// Find the open file (openfile_lookup), read at most req_n bytes, and
	// never more than ipc->readRet.ret_buf holds, at o->o_fd->fd_offset
	// (file_read) into ipc->readRet.ret_buf; advance the offset by what
	// was read and return that count (or file_read's error).
	//> (void)envid, (void)ipc;
	//> panic("serve_read: not implemented (LAB 5 exercise serve_read)");
	Fsipc::Fsreq_read *req = &ipc->read;
	OpenFile *o;
	int r = openfile_lookup(envid, req->req_fileid, &o);
	if (r < 0)
		return r;
	size_t n = MIN<size_t>(req->req_n, sizeof(ipc->readRet.ret_buf));
	ssize_t got = file_read(o->o_file, ipc->readRet.ret_buf, n, o->o_fd->fd_offset);
	if (got > 0)
		o->o_fd->fd_offset += got;
	return static_cast<int>(got);
	// LAB 5 EXERCISE serve_read END
}

// Writes req_n bytes from the request at the file's offset, extending the
// file if needed, and advances the offset. Returns the count written.
int
serve_write(envid_t envid, Fsipc *ipc)
{
	// LAB 5 EXERCISE serve_write BEGIN
	// Find the open file; refuse (-E_INVAL) one opened read-only
	// (o->o_mode & O_ACCMODE). Write at most req_n bytes, and never more
	// than req_buf holds, at the offset (file_write), advance the offset,
	// and return file_write's count (fewer than asked if the disk is
	// full) or its error.
	//> (void)envid, (void)ipc;
	//> panic("serve_write: not implemented (LAB 5 exercise serve_write)");
	Fsipc::Fsreq_write *req = &ipc->write;
	OpenFile *o;
	int r = openfile_lookup(envid, req->req_fileid, &o);
	if (r < 0)
		return r;
	if ((o->o_mode & O_ACCMODE) == O_RDONLY)
		return -E_INVAL;
	size_t n = MIN<size_t>(req->req_n, sizeof(req->req_buf));
	ssize_t put = file_write(o->o_file, req->req_buf, n, o->o_fd->fd_offset);
	if (put > 0)
		o->o_fd->fd_offset += put;
	return static_cast<int>(put);
	// LAB 5 EXERCISE serve_write END
}

int
serve_stat(envid_t envid, Fsipc *ipc)
{
	OpenFile *o;
	int r = openfile_lookup(envid, ipc->stat.req_fileid, &o);
	if (r < 0)
		return r;
	Fsipc::Fsret_stat *ret = &ipc->statRet;
	strlcpy(ret->ret_name, o->o_file->f_name, sizeof(ret->ret_name));
	ret->ret_size = o->o_file->f_size;
	ret->ret_isdir = o->o_file->f_type == FTYPE_DIR;
	return 0;
}

int
serve_flush(envid_t envid, Fsipc *ipc)
{
	OpenFile *o;
	int r = openfile_lookup(envid, ipc->flush.req_fileid, &o);
	if (r < 0)
		return r;
	file_flush(o->o_file);
	return 0;
}

int
serve_remove(envid_t, Fsipc *ipc)
{
	static char path[MAXPATHLEN];
	memmove(path, ipc->remove.req_path, MAXPATHLEN);
	path[MAXPATHLEN - 1] = '\0';
	return file_remove(path);
}

int
serve_sync(envid_t, Fsipc *)
{
	fs_sync();
	return 0;
}

using Handler = int (*)(envid_t envid, Fsipc *req);

Handler
handler(uint32_t req)
{
	switch (req) {
	case FSREQ_READ: return serve_read;
	case FSREQ_STAT: return serve_stat;
	case FSREQ_FLUSH: return serve_flush;
	case FSREQ_WRITE: return serve_write;
	case FSREQ_SET_SIZE: return serve_set_size;
	case FSREQ_SYNC: return serve_sync;
	case FSREQ_REMOVE: return serve_remove;
	default: return nullptr;
	}
}

// Answers a client. One that has gone away meanwhile gets nothing: that
// is no reason for the server to stop.
void
answer(envid_t whom, int value, void *pg, uint64_t perm)
{
	int r;
	while ((r = sys_ipc_try_send(whom, static_cast<uint32_t>(value), pg ? pg : reinterpret_cast<void *>(UTOP), perm)) ==
	       -E_IPC_NOT_RECV)
		sys_yield();
	if (r < 0)
		cprintf("fs: cannot answer %08x: %s\n", whom, error_string(r));
}

[[noreturn]] void
serve()
{
	bool told = false;
	for (;;) {
		envid_t whom;
		uint64_t perm = 0;
		uint32_t req = static_cast<uint32_t>(ipc_recv(&whom, fsreq, &perm));
		if (!(perm & PTE_P)) {
			cprintf("fs: invalid request from %08x: no argument page\n", whom);
			continue;
		}
		if (!(perm & PTE_W)) {
			// The answer goes in that page: a read-only one would
			// fault the server.
			cprintf("fs: invalid request from %08x: its page is not writable\n", whom);
			sys_page_unmap(0, fsreq);
			answer(whom, -E_INVAL, nullptr, 0);
			continue;
		}
		void *pg = nullptr;
		int r;
		if (fs_state < 0) {
			// No disk, or a damaged one: refuse everything.
			if (!told)
				cprintf("fs: refusing requests: %s\n", error_string(fs_state));
			told = true;
			r = fs_state;
		} else if (req == FSREQ_OPEN) {
			r = serve_open(whom, &fsreq->open, &pg, &perm);
		} else if (Handler h = handler(req)) {
			r = h(whom, fsreq);
			// Writes go through to the disk before the client hears
			// of them: a client that exits without closing its file
			// (or a machine that stops) loses nothing it was told
			// was written.
			OpenFile *o;
			if (req == FSREQ_WRITE && r > 0 &&
			    openfile_lookup(whom, fsreq->write.req_fileid, &o) == 0)
				file_flush(o->o_file);
		} else {
			cprintf("fs: invalid request code %u from %08x\n", req, whom);
			r = -E_INVAL;
		}
		answer(whom, r, pg, perm);
		sys_page_unmap(0, fsreq);
	}
}

} // namespace

void
umain(int, char **)
{
	binaryname = "fs";
	cprintf("FS is running\n");
	// This faults unless the kernel gave the server I/O privilege.
	(void)inb(0x1F7);
	cprintf("FS can do I/O\n");

	serve_init();
	fs_init();
	if (fs_state == 0)
		fs_test();
	serve();
}
