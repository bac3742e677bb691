// The file-system server (JOS lab 5): an environment that owns the disk and
// answers its clients' requests (inc/fs.h), one at a time, over IPC.
//
// Writes are written through: every block a request dirtied is on the
// disk by the time the client gets its answer.
//
// An open file is an OpenFile here and a struct Fd page that the server
// shares with the client (PTE_SHARE): the client's descriptor table maps
// it, and the file's offset lives in it. It is a capability: a request
// about an open file is served only if the client maps that page where the
// request says (sys_page_shared), and only open, fork, spawn or another
// PTE_SHARE mapping of the page can give a client that. When no client
// maps the page any more (its reference count is back to 1, the server's
// own), the file is closed and the slot free.
//
// The OpenFiles of one file share a Node, which knows where the file's
// File is: in its directory's block, or, once the file has been removed
// while open, in a copy the server keeps, with the file's blocks, until
// the last close. So an open file keeps its data, and no descriptor ever
// reaches the File that later takes its place in the directory.
//
// Nothing a client sends can end the server: every request is checked, a
// request's page is read once, and the server never waits for a client
// (a client that is not waiting for its answer does not get it).

#include <inc/x86.h>
#include "fs.h"

namespace {

struct Node {
	File *n_file;		// in the block cache; a copy once removed; null: free
	int n_refs;		// OpenFiles using it
	bool n_removed;		// n_file is the server's copy (orphans[])
};

struct OpenFile {
	uint32_t o_fileid;	// the file id: o_fileid % MAXOPEN is the slot
	Node *o_node;		// null: the slot is free
	int o_mode;		// the open mode
	envid_t o_opener;	// who opened it (its share of the table)
	Fd *o_fd;		// the Fd page
};

// Open files at once, on the whole system, and for one environment: no
// client can take the whole table (fork and spawn share descriptors
// without opening them again).
constexpr int MAXOPEN = 1024;
constexpr int kOpenPerEnv = 2 * MAXFD;
// Where the server keeps the Fd pages: MAXOPEN pages.
constexpr uintptr_t FILEVA = 0xF0000000;
// Where it keeps the Files of removed files that are still open: MAXOPEN
// of them at most (a Node each), in pages allocated as needed.
constexpr uintptr_t ORPHANVA = FILEVA + MAXOPEN * PGSIZE;

OpenFile opentab[MAXOPEN];
Node nodes[MAXOPEN];
bool orphan_used[MAXOPEN];
int norphans;		// removed files still open

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

// ---------------------------------------------------------------------------
// Nodes

// The Node of file f (a File in the cache), or null if f is not open.
Node *
node_find(const File *f)
{
	for (Node &n : nodes)
		if (n.n_file == f)
			return &n;
	return nullptr;
}

// A place for the File of a removed file that is still open.
int
orphan_alloc(File **copy)
{
	for (int i = 0; i < MAXOPEN; i++) {
		if (orphan_used[i])
			continue;
		auto *f = reinterpret_cast<File *>(ORPHANVA) + i;
		void *page = reinterpret_cast<void *>(ROUNDDOWN(reinterpret_cast<uintptr_t>(f), PGSIZE));
		int r;
		if (!va_is_mapped(page) &&
		    (r = sys_page_alloc(0, page, PTE_P | PTE_U | PTE_W | PTE_NX)) < 0)
			return r;
		orphan_used[i] = true;
		*copy = f;
		return 0;
	}
	return -E_MAX_OPEN;	// cannot happen: a Node each, at most
}

void
orphan_free(File *copy)
{
	orphan_used[copy - reinterpret_cast<File *>(ORPHANVA)] = false;
}

// file_remove asks whether f is open: if so, the file's File moves to a
// copy the server keeps (*copy), and its Node follows it there.
int
keep_if_open(File *f, File **copy)
{
	Node *n = node_find(f);
	*copy = nullptr;
	if (n == nullptr)
		return 0;
	int r = orphan_alloc(copy);
	if (r < 0)
		return r;
	n->n_file = *copy;
	n->n_removed = true;
	norphans++;
	return 0;
}

// One OpenFile less on n; at the last, a removed file's blocks are freed.
void
node_put(Node *n)
{
	if (--n->n_refs > 0)
		return;
	if (n->n_removed) {
		file_free_blocks(n->n_file);
		orphan_free(n->n_file);
		norphans--;
	}
	n->n_file = nullptr;
	n->n_removed = false;
}

// ---------------------------------------------------------------------------
// Open files

void
openfile_close(OpenFile *o)
{
	node_put(o->o_node);
	o->o_node = nullptr;
}

// Closes every open file that no client maps any more.
void
reap_closed()
{
	for (OpenFile &o : opentab)
		if (o.o_node && pageref(o.o_fd) <= 1)
			openfile_close(&o);
}

// A free OpenFile for envid, its Fd page present and cleared. Each reuse
// of a slot gives it a new file id, so that a client holding the old one
// (a stale descriptor) is refused.
int
openfile_alloc(envid_t envid, OpenFile **po)
{
	OpenFile *free = nullptr;
	int mine = 0;
	for (OpenFile &o : opentab) {
		if (o.o_node && pageref(o.o_fd) <= 1)
			openfile_close(&o);
		if (o.o_node == nullptr) {
			if (free == nullptr)
				free = &o;
		} else if (o.o_opener == envid) {
			mine++;
		}
	}
	if (free == nullptr || mine >= kOpenPerEnv)
		return -E_MAX_OPEN;
	if (!va_is_mapped(free->o_fd)) {
		int r = sys_page_alloc(0, free->o_fd, PTE_P | PTE_U | PTE_W | PTE_NX);
		if (r < 0)
			return r;
	}
	free->o_fileid += MAXOPEN;
	memset(free->o_fd, 0, PGSIZE);
	*po = free;
	return 0;
}

// The open file with this id, if envid holds it: envid maps its Fd page at
// fdva. Its File is in the cache for the request, if it lives there.
int
openfile_lookup(envid_t envid, int32_t fileid, uint64_t fdva, OpenFile **po)
{
	OpenFile *o = &opentab[static_cast<uint32_t>(fileid) % MAXOPEN];
	if (o->o_node == nullptr || o->o_fileid != static_cast<uint32_t>(fileid))
		return -E_INVAL;
	if (pageref(o->o_fd) <= 1) {
		openfile_close(o);
		return -E_INVAL;
	}
	if (fdva >= UTOP || sys_page_shared(envid, reinterpret_cast<void *>(fdva), o->o_fd) != 1)
		return -E_INVAL;	// not the holder: a guessed or stale id
	File *f = o->o_node->n_file;
	int r;
	if (in_cache(f) && (r = bc_hold(f)) < 0)
		return r;
	*po = o;
	return 0;
}

File *
file_of(const OpenFile *o)
{
	return o->o_node->n_file;
}

// ---------------------------------------------------------------------------
// Requests. Each reads its fields from the request page once, into locals:
// the client may change the page while the server works.

// Opens req->req_path with req->req_omode; answers with the Fd page,
// shared. A directory opens for reading only.
int
serve_open(envid_t envid, Fsipc::Fsreq_open *req, void **pg_store, uint64_t *perm_store)
{
	static char path[MAXPATHLEN];
	memmove(path, req->req_path, MAXPATHLEN);
	path[MAXPATHLEN - 1] = '\0';
	int omode = req->req_omode;
	if ((omode & O_ACCMODE) == O_ACCMODE)
		return -E_INVAL;
	bool writes = (omode & O_ACCMODE) != O_RDONLY || (omode & O_TRUNC);
	if ((omode & O_MKDIR) && writes)
		return -E_IS_DIR;

	OpenFile *o;
	File *f;
	int r;
	if ((r = openfile_alloc(envid, &o)) < 0)
		return r;
	if (omode & O_CREAT) {
		r = file_create(path, &f, omode & O_MKDIR);
		if (r == -E_FILE_EXISTS && !(omode & O_EXCL))
			r = file_open(path, &f);
	} else {
		r = file_open(path, &f);
	}
	if (r < 0)
		return r;
	if (f->f_type == FTYPE_DIR && writes)
		return -E_IS_DIR;
	Node *n = node_find(f);
	if (n == nullptr && (n = node_find(nullptr)) == nullptr)
		return -E_MAX_OPEN;	// cannot happen: a Node per OpenFile
	if ((omode & O_TRUNC) && (r = file_set_size(f, 0)) < 0)
		return r;

	n->n_file = f;
	n->n_refs++;
	o->o_node = n;
	o->o_mode = omode;
	o->o_opener = envid;
	o->o_fd->fd_file.id = static_cast<int32_t>(o->o_fileid);
	o->o_fd->fd_omode = omode & O_ACCMODE;
	o->o_fd->fd_dev_id = devfile.dev_id;
	o->o_fd->fd_offset = 0;
	*pg_store = o->o_fd;
	*perm_store = PTE_P | PTE_U | PTE_W | PTE_SHARE | PTE_NX;
	return 0;
}

int
serve_set_size(envid_t envid, Fsipc *ipc)
{
	Fsipc::Fsreq_set_size req = ipc->set_size;
	OpenFile *o;
	int r = openfile_lookup(envid, req.req_fileid, req.req_fd, &o);
	if (r < 0)
		return r;
	if ((o->o_mode & O_ACCMODE) == O_RDONLY)
		return -E_INVAL;
	if (file_of(o)->f_type == FTYPE_DIR)
		return -E_IS_DIR;
	return file_set_size(file_of(o), req.req_size);
}

// Reads up to req_n bytes at the file's offset into the reply (which
// overwrites the request: read the request's fields first), advancing the
// offset. Returns the count.
int
serve_read(envid_t envid, Fsipc *ipc)
{
	// LAB 5 EXERCISE serve_read BEGIN
	// Copy the request (ipc->read) first: the reply overwrites it. Find
	// the open file (openfile_lookup, with the request's file id and
	// req_fd: only a client that maps the file's Fd page may use it);
	// refuse (-E_INVAL) one opened write-only (o->o_mode & O_ACCMODE).
	// Read at most req_n bytes, and never more than
	// ipc->readRet.ret_buf holds, at o->o_fd->fd_offset (file_read on
	// file_of(o)) into ipc->readRet.ret_buf; advance the offset by what
	// was read and return that count (or file_read's error).
	//> (void)envid, (void)ipc;
	//> panic("serve_read: not implemented (LAB 5 exercise serve_read)");
	Fsipc::Fsreq_read req = ipc->read;
	OpenFile *o;
	int r = openfile_lookup(envid, req.req_fileid, req.req_fd, &o);
	if (r < 0)
		return r;
	if ((o->o_mode & O_ACCMODE) == O_WRONLY)
		return -E_INVAL;
	size_t n = MIN<size_t>(req.req_n, sizeof(ipc->readRet.ret_buf));
	off_t offset = o->o_fd->fd_offset;
	ssize_t got = file_read(file_of(o), ipc->readRet.ret_buf, n, offset);
	if (got > 0)
		o->o_fd->fd_offset = offset + got;
	return static_cast<int>(got);
	// LAB 5 EXERCISE serve_read END
}

// Writes req_n bytes from the request at the file's offset, extending the
// file if needed, and advances the offset. Returns the count written.
int
serve_write(envid_t envid, Fsipc *ipc)
{
	// LAB 5 EXERCISE serve_write BEGIN
	// Find the open file as serve_read does; refuse (-E_INVAL) one opened
	// read-only (o->o_mode & O_ACCMODE). Write at most req_n bytes, and
	// never more than req_buf holds, at the offset (file_write on
	// file_of(o)), advance the offset, and return file_write's count
	// (fewer than asked if the disk is full) or its error.
	//> (void)envid, (void)ipc;
	//> panic("serve_write: not implemented (LAB 5 exercise serve_write)");
	Fsipc::Fsreq_write *req = &ipc->write;
	int32_t fileid = req->req_fileid;
	uint64_t fdva = req->req_fd;
	size_t n = MIN<size_t>(req->req_n, sizeof(req->req_buf));
	OpenFile *o;
	int r = openfile_lookup(envid, fileid, fdva, &o);
	if (r < 0)
		return r;
	if ((o->o_mode & O_ACCMODE) == O_RDONLY)
		return -E_INVAL;
	off_t offset = o->o_fd->fd_offset;
	ssize_t put = file_write(file_of(o), req->req_buf, n, offset);
	if (put > 0)
		o->o_fd->fd_offset = offset + put;
	return static_cast<int>(put);
	// LAB 5 EXERCISE serve_write END
}

int
serve_stat(envid_t envid, Fsipc *ipc)
{
	Fsipc::Fsreq_stat req = ipc->stat;
	OpenFile *o;
	int r = openfile_lookup(envid, req.req_fileid, req.req_fd, &o);
	if (r < 0)
		return r;
	Fsipc::Fsret_stat *ret = &ipc->statRet;
	strlcpy(ret->ret_name, file_of(o)->f_name, sizeof(ret->ret_name));
	ret->ret_size = file_of(o)->f_size;
	ret->ret_isdir = file_of(o)->f_type == FTYPE_DIR;
	return 0;
}

int
serve_flush(envid_t envid, Fsipc *ipc)
{
	Fsipc::Fsreq_flush req = ipc->flush;
	OpenFile *o;
	int r = openfile_lookup(envid, req.req_fileid, req.req_fd, &o);
	if (r < 0)
		return r;
	file_flush(file_of(o));
	return 0;
}

int
serve_remove(envid_t, Fsipc *ipc)
{
	static char path[MAXPATHLEN];
	memmove(path, ipc->remove.req_path, MAXPATHLEN);
	path[MAXPATHLEN - 1] = '\0';
	reap_closed();		// a file no longer open is removed at once
	return file_remove(path, keep_if_open);
}

int
serve_sync(envid_t, Fsipc *)
{
	reap_closed();
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

// Answers a client, once. A client calls the server (ipc_call), and so is
// waiting for the answer from the moment its request arrived; one that
// is not (it sent its request some other way, and went on) does not get
// it, and the server goes on with the next. One that has gone meanwhile
// gets nothing either.
void
answer(envid_t whom, int value, void *pg, uint64_t perm)
{
	static int told;
	int r = sys_ipc_try_send(whom, static_cast<uint32_t>(value),
				 pg ? pg : reinterpret_cast<void *>(UTOP), perm);
	if (r == -E_IPC_NOT_RECV && told < 10) {
		told++;
		cprintf("fs: %08x was not waiting for its answer (a client calls the server with "
			"ipc_call); dropped it%s\n", whom, told == 10 ? " (no more of these lines)" : "");
	}
}

// A request the server refuses, said for the first ten only: a client that
// sends malformed requests in a loop must not flood the console.
void
refused(envid_t whom, const char *why)
{
	static int told;
	if (told < 10) {
		told++;
		cprintf("fs: invalid request from %08x: %s%s\n", whom, why,
			told == 10 ? " (no more of these lines)" : "");
	}
}

[[noreturn]] void
serve()
{
	bool told = false;
	for (;;) {
		envid_t whom;
		uint64_t perm = 0;
		bc_request_begin();
		uint32_t req = static_cast<uint32_t>(ipc_recv(&whom, fsreq, &perm));
		if (!(perm & PTE_P)) {
			// Its caller waits for an answer (ipc_call): it gets one.
			refused(whom, "no argument page");
			answer(whom, -E_INVAL, nullptr, 0);
			continue;
		}
		if (!(perm & PTE_W)) {
			// The answer goes in that page: a read-only one would
			// fault the server.
			refused(whom, "its page is not writable");
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
		} else {
			// A removed file whose last descriptor went gives its
			// blocks back before anything else asks for blocks.
			if (norphans > 0)
				reap_closed();
			if (req == FSREQ_OPEN) {
				r = serve_open(whom, &fsreq->open, &pg, &perm);
			} else if (Handler h = handler(req)) {
				r = h(whom, fsreq);
			} else {
				refused(whom, "an unknown request code");
				r = -E_INVAL;
			}
			// Writes go through to the disk before the client hears of
			// them: a client that exits without closing its file (or a
			// machine that stops) loses nothing it was told was
			// written.
			bc_request_end();
		}
		// (The request's page stays mapped until the next one replaces
		// it: one system call less per request.)
		answer(whom, r, pg, perm);
	}
}

} // namespace

void
umain(int argc, char **argv)
{
	binaryname = "fs";
	cprintf("FS is running\n");
	// This faults unless the kernel gave the server I/O privilege.
	(void)inb(0x1F7);
	cprintf("FS can do I/O\n");

	// The self-test changes the disk (and puts it back): only where a
	// test asks for it (the kernel's fs=test starts the server as "fs
	// test").
	bool selftest = argc > 1 && strcmp(argv[1], "test") == 0;
	serve_init();
	fs_init(selftest);
	if (fs_state == 0 && selftest)
		fs_test();
	serve();
}
