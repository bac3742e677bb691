// Pipes (JOS lab 5): a small ring buffer in a page that both ends' data
// regions map, PTE_SHARE, so that fork and spawn share it.
//
// An end is closed when no descriptor for it is left anywhere. Nobody
// counts descriptors: the kernel's page reference counts do. The pipe page
// is mapped once per descriptor of either end, so for a reader
//     pageref(pipe page) == pageref(its Fd page)
// exactly when no writer's descriptor maps the page (and the other way
// round for a writer). That holds only if both counts are read at one
// instant. JOS checked that its environment was not preempted between two
// reads; on a multiprocessor another CPU changes mappings at any moment,
// so the kernel reads both at once (sys_page_refs, under the big kernel
// lock). The fd layer orders its mappings (data page first when mapping,
// last when unmapping; fork and spawn copy the data region, which lies
// below the Fd table, first) so that every instant's counts tell the truth.

#include <inc/atomic.h>
#include <inc/lib.h>

// JOS's pipe buffer is this small on purpose: it fills often, so the
// tests exercise a full pipe, not just an empty one.
#define PIPEBUFSIZ 32

namespace {

struct Pipe {
	// Bytes read and written so far: the reader advances p_rpos, the
	// writer p_wpos, each with release order after touching p_buf, so
	// that the other, reading the position with acquire order, sees the
	// bytes (or the room) it promises.
	Atomic<uint64_t> p_rpos;
	Atomic<uint64_t> p_wpos;
	uint8_t p_buf[PIPEBUFSIZ];
};

Pipe *
fd2pipe(const Fd *fd)
{
	return reinterpret_cast<Pipe *>(fd2data(fd));
}

bool
pipe_closed(Fd *fd)
{
	uint32_t fd_refs, pipe_refs;
	if (sys_page_refs(fd, fd2pipe(fd), &fd_refs, &pipe_refs) < 0)
		return true;
	return fd_refs == pipe_refs;
}

ssize_t
devpipe_read(Fd *fd, void *vbuf, size_t n)
{
	Pipe *p = fd2pipe(fd);
	auto *buf = static_cast<uint8_t *>(vbuf);
	size_t i = 0;
	while (i < n) {
		uint64_t r = p->p_rpos.load(MemoryOrder::relaxed);
		if (r == p->p_wpos.load(MemoryOrder::acquire)) {
			// Empty: return what we have, or end of file if no
			// writer is left, or wait for one to write.
			if (i > 0)
				return static_cast<ssize_t>(i);
			if (pipe_closed(fd)) {
				// A last write may have come before the close.
				if (r != p->p_wpos.load(MemoryOrder::acquire))
					continue;
				return 0;
			}
			sys_yield();
			continue;
		}
		buf[i++] = p->p_buf[r % PIPEBUFSIZ];
		p->p_rpos.store(r + 1, MemoryOrder::release);
	}
	return static_cast<ssize_t>(i);
}

ssize_t
devpipe_write(Fd *fd, const void *vbuf, size_t n)
{
	Pipe *p = fd2pipe(fd);
	auto *buf = static_cast<const uint8_t *>(vbuf);
	for (size_t i = 0; i < n;) {
		uint64_t w = p->p_wpos.load(MemoryOrder::relaxed);
		if (w >= p->p_rpos.load(MemoryOrder::acquire) + PIPEBUFSIZ) {
			// Full: wait for the reader, unless there is none left.
			if (pipe_closed(fd))
				return 0;
			sys_yield();
			continue;
		}
		p->p_buf[w % PIPEBUFSIZ] = buf[i++];
		p->p_wpos.store(w + 1, MemoryOrder::release);
	}
	return static_cast<ssize_t>(n);
}

int
devpipe_close(Fd *)
{
	return 0;	// fd_close unmaps the pipe page, after the Fd page
}

int
devpipe_stat(Fd *fd, Stat *st)
{
	Pipe *p = fd2pipe(fd);
	strlcpy(st->st_name, "<pipe>", sizeof(st->st_name));
	st->st_size = static_cast<off_t>(p->p_wpos.load() - p->p_rpos.load());
	st->st_isdir = 0;
	return 0;
}

} // namespace

Dev devpipe = {'p', "pipe", devpipe_read, devpipe_write, devpipe_close, devpipe_stat, nullptr};

int
pipe(int pfd[2])
{
	Fd *fd0, *fd1;
	int r;
	constexpr uint64_t perm = PTE_P | PTE_W | PTE_U | PTE_SHARE | PTE_NX;
	if ((r = fd_alloc(&fd0)) < 0 || (r = sys_page_alloc(0, fd0, perm)) < 0)
		return r;
	if ((r = fd_alloc(&fd1)) < 0 || (r = sys_page_alloc(0, fd1, perm)) < 0)
		goto err0;
	// The pipe page, at both ends' data addresses.
	if ((r = sys_page_alloc(0, fd2data(fd0), perm)) < 0)
		goto err1;
	if ((r = sys_page_map(0, fd2data(fd0), 0, fd2data(fd1), perm)) < 0)
		goto err2;

	fd0->fd_dev_id = devpipe.dev_id;
	fd0->fd_omode = O_RDONLY;
	fd1->fd_dev_id = devpipe.dev_id;
	fd1->fd_omode = O_WRONLY;
	pfd[0] = fd2num(fd0);
	pfd[1] = fd2num(fd1);
	return 0;

err2:
	sys_page_unmap(0, fd2data(fd0));
err1:
	sys_page_unmap(0, fd1);
err0:
	sys_page_unmap(0, fd0);
	return r;
}

bool
pipeisclosed(int fdnum)
{
	Fd *fd;
	if (fd_lookup(fdnum, &fd) < 0)
		return true;	// no such descriptor: nothing to read or write
	return pipe_closed(fd);
}
