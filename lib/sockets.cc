// Sockets: the client side of the network server's protocol (inc/ns.h)
// and the socket device (JOS lab 6's lib/nsipc.c and lib/sockets.c).
//
// A request is one IPC to the server's core environment: its number as
// the value, the page nsipcbuf as the page; the answer is the value the
// server sends back, and for a receive, the bytes, written into that same
// page. A socket's struct Fd page is the server's: it shares it with each
// client that gets the socket (socket, accept), and closes the socket once
// nobody else maps it, as the file-system server does with open files.

#include <inc/lib.h>

union Nsipc nsipcbuf __attribute__((aligned(PGSIZE)));

namespace {

// Sends request type with nsipcbuf to the network server; returns its
// answer. A page it sends back goes to dstva (if not null).
int
nsipc(unsigned type, void *dstva)
{
	static envid_t nsenv;
	if (nsenv == 0 || envs[ENVX(nsenv)].env_id != nsenv ||
	    envs[ENVX(nsenv)].env_status == ENV_FREE)
		nsenv = ipc_find_env(ENV_TYPE_NS);
	if (nsenv == 0)
		return -E_NO_NS;
	// The page goes out writable: a write first makes it this
	// environment's own if fork left it copy-on-write.
	volatile char *first = &nsipcbuf.pad[0];
	*first = *first;
	ipc_send(nsenv, type, &nsipcbuf, PTE_P | PTE_W | PTE_U);
	return ipc_recv(nullptr, dstva, nullptr);
}

// The socket id behind descriptor s, or an error.
int
fd2sockid(int s)
{
	Fd *fd;
	int r = fd_lookup(s, &fd);
	if (r < 0)
		return r;
	if (fd->fd_dev_id != devsock.dev_id)
		return -E_NOT_SUPP;
	return fd->fd_sock.sockid;
}

// Asks for a new socket (socket, accept): the server answers with its Fd
// page, which goes in the lowest free descriptor. Returns that.
int
new_socket_fd(unsigned type)
{
	Fd *fd;
	int r = fd_alloc(&fd);
	if (r < 0)
		return r;
	if ((r = nsipc(type, fd)) < 0)
		return r;
	if (fd->fd_dev_id != devsock.dev_id)
		return -E_INVAL;	// the server sent no page: a bug there
	return fd2num(fd);
}

ssize_t
devsock_read(Fd *fd, void *buf, size_t n)
{
	nsipcbuf.recv.req_s = fd->fd_sock.sockid;
	nsipcbuf.recv.req_len = static_cast<int32_t>(MIN<size_t>(n, NS_RECV_MAX));
	nsipcbuf.recv.req_flags = 0;
	int r = nsipc(NSREQ_RECV, nullptr);
	if (r > 0)
		memmove(buf, &nsipcbuf, static_cast<size_t>(r));
	return r;
}

ssize_t
devsock_write(Fd *fd, const void *vbuf, size_t n)
{
	auto *buf = static_cast<const char *>(vbuf);
	size_t done = 0;
	// The server takes what its send buffer holds, at least a byte, and
	// says how much: send the rest until it is all gone.
	while (done < n) {
		size_t chunk = MIN(n - done, sizeof(nsipcbuf.send.req_buf));
		nsipcbuf.send.req_s = fd->fd_sock.sockid;
		nsipcbuf.send.req_size = static_cast<int32_t>(chunk);
		nsipcbuf.send.req_flags = 0;
		memmove(nsipcbuf.send.req_buf, buf + done, chunk);
		int r = nsipc(NSREQ_SEND, nullptr);
		if (r < 0)
			return done > 0 ? static_cast<ssize_t>(done) : r;
		done += static_cast<size_t>(r);
	}
	return static_cast<ssize_t>(done);
}

// Tells the server that this descriptor goes away. The server closes the
// socket if nobody else maps its Fd page (after a fork, the other process
// may still use it); it also notices later, when it looks.
int
devsock_close(Fd *fd)
{
	nsipcbuf.close.req_s = fd->fd_sock.sockid;
	return nsipc(NSREQ_CLOSE, nullptr);
}

int
devsock_stat(Fd *, Stat *st)
{
	strcpy(st->st_name, "<sock>");
	return 0;
}

} // namespace

Dev devsock = {DEV_SOCK_ID, "sock", devsock_read, devsock_write, devsock_close, devsock_stat,
	       nullptr};

int
socket(int domain, int type, int protocol)
{
	nsipcbuf.socket.req_domain = domain;
	nsipcbuf.socket.req_type = type;
	nsipcbuf.socket.req_protocol = protocol;
	return new_socket_fd(NSREQ_SOCKET);
}

int
bind(int s, const struct sockaddr *name, socklen_t namelen)
{
	int id = fd2sockid(s);
	if (id < 0)
		return id;
	if (namelen > sizeof(nsipcbuf.bind.req_name))
		return -E_INVAL;
	nsipcbuf.bind.req_s = id;
	memmove(&nsipcbuf.bind.req_name, name, namelen);
	nsipcbuf.bind.req_namelen = namelen;
	return nsipc(NSREQ_BIND, nullptr);
}

int
listen(int s, int backlog)
{
	int id = fd2sockid(s);
	if (id < 0)
		return id;
	nsipcbuf.listen.req_s = id;
	nsipcbuf.listen.req_backlog = backlog;
	return nsipc(NSREQ_LISTEN, nullptr);
}

int
accept(int s, struct sockaddr *addr, socklen_t *addrlen)
{
	int id = fd2sockid(s);
	if (id < 0)
		return id;
	nsipcbuf.accept.req_s = id;
	nsipcbuf.accept.req_addrlen = addrlen ? *addrlen : 0;
	int r = new_socket_fd(NSREQ_ACCEPT);
	// The peer's address came back in the request page.
	if (r >= 0 && addr && addrlen) {
		socklen_t n = MIN(*addrlen, nsipcbuf.acceptRet.ret_addrlen);
		memmove(addr, &nsipcbuf.acceptRet.ret_addr, n);
		*addrlen = nsipcbuf.acceptRet.ret_addrlen;
	}
	return r;
}

int
connect(int s, const struct sockaddr *name, socklen_t namelen)
{
	int id = fd2sockid(s);
	if (id < 0)
		return id;
	if (namelen > sizeof(nsipcbuf.connect.req_name))
		return -E_INVAL;
	nsipcbuf.connect.req_s = id;
	memmove(&nsipcbuf.connect.req_name, name, namelen);
	nsipcbuf.connect.req_namelen = namelen;
	return nsipc(NSREQ_CONNECT, nullptr);
}

int
shutdown(int s, int how)
{
	int id = fd2sockid(s);
	if (id < 0)
		return id;
	nsipcbuf.shutdown.req_s = id;
	nsipcbuf.shutdown.req_how = how;
	return nsipc(NSREQ_SHUTDOWN, nullptr);
}

ssize_t
recv(int s, void *buf, size_t len, int)
{
	return read(s, buf, len);
}

ssize_t
send(int s, const void *buf, size_t len, int)
{
	return write(s, buf, len);
}

in_addr_t
inet_addr(const char *cp)
{
	uint32_t addr = 0;
	for (int part = 0; part < 4; part++) {
		if (*cp < '0' || *cp > '9')
			return INADDR_NONE;
		uint32_t v = 0;
		while (*cp >= '0' && *cp <= '9') {
			v = v * 10 + static_cast<uint32_t>(*cp++ - '0');
			if (v > 255)
				return INADDR_NONE;
		}
		addr = addr << 8 | v;
		if (part < 3 && *cp++ != '.')
			return INADDR_NONE;
	}
	return *cp == '\0' ? htonl(addr) : INADDR_NONE;
}
