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
// tests exercise a full pipe, not just an empty one. A write of up to
// PIPE_BUF bytes (inc/fd.h) goes in whole, so the buffer holds at least
// that.
#define PIPEBUFSIZ 32
static_assert(PIPEBUFSIZ >= PIPE_BUF);

namespace {

// Any number of environments may read and write one pipe, on any CPUs at
// once: each byte must go to exactly one reader, and each write of up to
// PIPE_BUF bytes must stay whole (no other writer's bytes inside it). So
// whoever reads or writes claims the pipe first: p_lock holds its env id
// while it moves bytes and advances p_rpos or p_wpos. A position moves
// only as the last step inside the claim, after the bytes it promises are
// in (or out of) p_buf, so a claimant destroyed half-way has changed
// nothing anyone can see: the next one takes the claim over (an env id is
// never reused) and finds the pipe as it was.
struct Pipe {
	Atomic<envid_t> p_lock;		// the env moving bytes now (0: none)
	Atomic<uint64_t> p_rpos;	// bytes read so far
	Atomic<uint64_t> p_wpos;	// bytes written so far
	uint8_t p_buf[PIPEBUFSIZ];
};

Pipe *
fd2pipe(const Fd *fd)
{
	return reinterpret_cast<Pipe *>(fd2data(fd));
}

bool
env_gone(envid_t id)
{
	const volatile Env *e = &envs[ENVX(id)];
	return e->env_id != id || e->env_status == ENV_FREE;
}

// Claims p for this environment: a few tries on the spot (whoever holds
// it moves at most PIPEBUFSIZ bytes), then by turns with the others.
void
pipe_claim(Pipe *p)
{
	envid_t me = thisenv->env_id;
	for (int tries = 0;; tries++) {
		envid_t holder = 0;
		if (p->p_lock.compare_exchange(holder, me, MemoryOrder::acquire))
			return;
		if (env_gone(holder) &&
		    p->p_lock.compare_exchange(holder, me, MemoryOrder::acquire))
			return;		// its holder was destroyed while inside
		if (tries < 64)
			asm volatile("pause");
		else
			sys_yield();
	}
}

void
pipe_release(Pipe *p)
{
	p->p_lock.store(0, MemoryOrder::release);
}

bool
pipe_closed(Fd *fd)
{
	uint64_t fd_refs, pipe_refs;
	if (sys_page_refs(fd, fd2pipe(fd), &fd_refs, &pipe_refs) < 0)
		return true;
	return fd_refs == pipe_refs;
}

// Reads what is there, up to n bytes; waits for a writer while the pipe is
// empty; 0 (end of file) once it is empty with no writer left.
ssize_t
devpipe_read(Fd *fd, void *vbuf, size_t n)
{
	Pipe *p = fd2pipe(fd);
	auto *buf = static_cast<uint8_t *>(vbuf);
	if (n == 0)
		return 0;
	for (bool closed = false;;) {
		pipe_claim(p);
		uint64_t r = p->p_rpos.load(MemoryOrder::relaxed);
		size_t k = MIN<size_t>(n, p->p_wpos.load(MemoryOrder::relaxed) - r);
		for (size_t i = 0; i < k; i++)
			buf[i] = p->p_buf[(r + i) % PIPEBUFSIZ];
		p->p_rpos.store(r + k, MemoryOrder::release);
		pipe_release(p);
		if (k > 0)
			return static_cast<ssize_t>(k);
		// Empty. With no writer left nothing more can come, but the
		// last one may have written just before it closed: look once
		// more after seeing it closed.
		if (closed)
			return 0;
		closed = pipe_closed(fd);
		if (!closed)
			sys_yield();
	}
}

// Writes all n bytes, waiting for readers to make room. A write of up to
// PIPE_BUF bytes goes in at once, whole; a longer one in as many parts as
// the room allows. Returns n, or fewer (what went in) if no reader is left.
ssize_t
devpipe_write(Fd *fd, const void *vbuf, size_t n)
{
	Pipe *p = fd2pipe(fd);
	auto *buf = static_cast<const uint8_t *>(vbuf);
	size_t done = 0;
	while (done < n) {
		pipe_claim(p);
		uint64_t w = p->p_wpos.load(MemoryOrder::relaxed);
		size_t room = PIPEBUFSIZ - (w - p->p_rpos.load(MemoryOrder::relaxed));
		size_t k = MIN(room, n - done);
		if (n <= PIPE_BUF && k < n)
			k = 0;		// all of it, or wait
		for (size_t i = 0; i < k; i++)
			p->p_buf[(w + i) % PIPEBUFSIZ] = buf[done + i];
		p->p_wpos.store(w + k, MemoryOrder::release);
		pipe_release(p);
		done += k;
		if (k == 0) {
			if (pipe_closed(fd))
				return static_cast<ssize_t>(done);
			sys_yield();
		}
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
	uint64_t r = p->p_rpos.load();
	st->st_size = static_cast<off_t>(p->p_wpos.load() - r);
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
