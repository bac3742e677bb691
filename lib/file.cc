// Files: the client side of the file-system server's protocol (inc/fs.h)
// and the file device (JOS lab 5).
//
// A request is one IPC call (ipc_call): its number as the value, the page
// fsipcbuf as the page (the server maps it at its fsreq). The answer is
// the value the server sends back and, for an open, the page of the new
// struct Fd, which the server shares with us: the file's offset lives in
// it. A request about an open file says where we map its Fd page
// (req_fd): the server checks that we do (inc/fs.h).

#include <inc/lib.h>

union Fsipc fsipcbuf __attribute__((aligned(PGSIZE)));

namespace {

ssize_t devfile_read(Fd *fd, void *buf, size_t n);
ssize_t devfile_write(Fd *fd, const void *buf, size_t n);
int devfile_flush(Fd *fd);
int devfile_stat(Fd *fd, Stat *st);
int devfile_trunc(Fd *fd, off_t newsize);

// Sends request type with fsipcbuf to the server; returns its answer. A
// page it sends back goes to dstva (if not null). If the server is gone,
// or ends before it answers, the request fails (-E_NO_FS): nothing waits
// for a server that cannot answer.
int
fsipc(unsigned type, void *dstva)
{
	static envid_t fsenv;
	if (fsenv == 0 || envs[ENVX(fsenv)].env_id != fsenv ||
	    envs[ENVX(fsenv)].env_status == ENV_FREE)
		fsenv = ipc_find_env(ENV_TYPE_FS);
	if (fsenv == 0)
		return -E_NO_FS;
	// The page goes out writable: a write (of what is there) first makes
	// it this environment's own if fork left it copy-on-write.
	volatile char *first = &fsipcbuf._pad[0];
	*first = *first;
	int32_t answer;
	int r = ipc_call(fsenv, type, &fsipcbuf, PTE_P | PTE_W | PTE_U, dstva, &answer, nullptr);
	if (r == -E_BAD_ENV) {
		fsenv = 0;
		return -E_NO_FS;
	}
	return r < 0 ? r : answer;
}

// Copies a path into a request, refusing one that does not fit.
int
set_path(char *dst, const char *path)
{
	if (strlen(path) >= MAXPATHLEN)
		return -E_BAD_PATH;
	strcpy(dst, path);
	return 0;
}

int
devfile_flush(Fd *fd)
{
	fsipcbuf.flush.req_fileid = fd->fd_file.id;
	fsipcbuf.flush.req_fd = reinterpret_cast<uint64_t>(fd);
	return fsipc(FSREQ_FLUSH, nullptr);
}

// Reads at most n bytes from the file at its current offset (which the
// server advances) into buf; returns how many, 0 at the end of the file.
ssize_t
devfile_read(Fd *fd, void *buf, size_t n)
{
	// LAB 5 EXERCISE devfile_read BEGIN
	// Fill in fsipcbuf.read (the file id is fd->fd_file.id, req_fd the
	// address of fd itself; at most one page can come back), send
	// FSREQ_READ, and copy the bytes the server put in fsipcbuf.readRet
	// to buf. Return the server's count, or its error. A count larger
	// than asked for is a server bug: panic.
	//> (void)fd, (void)buf, (void)n;
	//> panic("devfile_read: not implemented (LAB 5 exercise devfile_read)");
	fsipcbuf.read.req_fileid = fd->fd_file.id;
	fsipcbuf.read.req_fd = reinterpret_cast<uint64_t>(fd);
	fsipcbuf.read.req_n = static_cast<uint32_t>(MIN<size_t>(n, sizeof(fsipcbuf.readRet.ret_buf)));
	size_t asked = fsipcbuf.read.req_n;
	int r = fsipc(FSREQ_READ, nullptr);
	if (r < 0)
		return r;
	if (static_cast<size_t>(r) > asked)
		panic("devfile_read: the server returned %d bytes for a read of %zu", r, asked);
	memmove(buf, fsipcbuf.readRet.ret_buf, r);
	return r;
	// LAB 5 EXERCISE devfile_read END
}

// Writes n bytes from buf at the file's current offset, growing the file
// as needed. Returns the count written: all of it, or fewer if the disk
// filled up (an error if nothing could be written).
ssize_t
devfile_write(Fd *fd, const void *buf, size_t n)
{
	// LAB 5 EXERCISE devfile_write BEGIN
	// One request carries at most sizeof(fsipcbuf.write.req_buf) bytes:
	// send FSREQ_WRITE requests (file id, where fd is, count, the bytes)
	// until all n are written. The server writes at the offset and advances it, and
	// returns how many bytes it wrote: fewer than sent means the disk is
	// full, so stop there. Return the total, or the error if it is the
	// first request that failed.
	//> (void)fd, (void)buf, (void)n;
	//> panic("devfile_write: not implemented (LAB 5 exercise devfile_write)");
	size_t done = 0;
	while (done < n) {
		size_t chunk = MIN(n - done, sizeof(fsipcbuf.write.req_buf));
		fsipcbuf.write.req_fileid = fd->fd_file.id;
		fsipcbuf.write.req_fd = reinterpret_cast<uint64_t>(fd);
		fsipcbuf.write.req_n = static_cast<uint32_t>(chunk);
		memmove(fsipcbuf.write.req_buf, static_cast<const char *>(buf) + done, chunk);
		int r = fsipc(FSREQ_WRITE, nullptr);
		if (r < 0)
			return done > 0 ? static_cast<ssize_t>(done) : r;
		if (static_cast<size_t>(r) > chunk)
			panic("devfile_write: the server wrote %d bytes of %zu", r, chunk);
		done += r;
		if (static_cast<size_t>(r) < chunk)
			break;
	}
	return static_cast<ssize_t>(done);
	// LAB 5 EXERCISE devfile_write END
}

int
devfile_stat(Fd *fd, Stat *st)
{
	fsipcbuf.stat.req_fileid = fd->fd_file.id;
	fsipcbuf.stat.req_fd = reinterpret_cast<uint64_t>(fd);
	int r = fsipc(FSREQ_STAT, nullptr);
	if (r < 0)
		return r;
	strlcpy(st->st_name, fsipcbuf.statRet.ret_name, sizeof(st->st_name));
	st->st_size = fsipcbuf.statRet.ret_size;
	st->st_isdir = fsipcbuf.statRet.ret_isdir;
	return 0;
}

int
devfile_trunc(Fd *fd, off_t newsize)
{
	if (newsize < 0 || newsize > MAXFILESIZE)
		return -E_INVAL;
	fsipcbuf.set_size.req_fileid = fd->fd_file.id;
	fsipcbuf.set_size.req_size = static_cast<int32_t>(newsize);
	fsipcbuf.set_size.req_fd = reinterpret_cast<uint64_t>(fd);
	return fsipc(FSREQ_SET_SIZE, nullptr);
}

} // namespace

Dev devfile = {
	'f', "file", devfile_read, devfile_write, devfile_flush, devfile_stat, devfile_trunc,
};

// Opens path (O_* modes); returns the descriptor number.
int
open(const char *path, int mode)
{
	Fd *fd;
	int r;
	if ((r = set_path(fsipcbuf.open.req_path, path)) < 0)
		return r;
	if ((r = fd_alloc(&fd)) < 0)
		return r;
	fsipcbuf.open.req_omode = mode;
	if ((r = fsipc(FSREQ_OPEN, fd)) < 0)
		return r;	// (the page never came: nothing to undo)
	return fd2num(fd);
}

int
remove(const char *path)
{
	int r;
	if ((r = set_path(fsipcbuf.remove.req_path, path)) < 0)
		return r;
	return fsipc(FSREQ_REMOVE, nullptr);
}

// Writes every dirty block the server holds to the disk.
int
sync()
{
	return fsipc(FSREQ_SYNC, nullptr);
}
