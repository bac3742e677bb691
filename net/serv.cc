// The network server's core (JOS lab 6's net/serv.c): sockets for its
// clients, over lwIP's TCP.
//
// JOS ran lwIP's sequential socket API on user-level threads, one per
// request, so that a request could block. Here one loop does everything,
// on lwIP's callback ("raw") API: a request that cannot be answered yet
// (an accept with no connection waiting, a receive with no data, a send
// with the send buffer full) is kept, its page with it, and answered from
// the lwIP callback that makes it possible. The loop never waits for any
// one client, so a client that stops reading, or vanishes, holds up only
// itself.
//
// A socket's struct Fd page is the server's, shared with each client that
// has the socket (as the file-system server shares open files): the
// socket is closed when a client closes the last descriptor for it, or,
// if that is not clear at the time (two processes closing at once, or one
// destroyed), when the server next finds that nobody else maps the page.

#include "ns.h"

#include <lwip/etharp.h>
#include <lwip/init.h>
#include <lwip/netif.h>
#include <lwip/pbuf.h>
#include <lwip/tcp.h>
#include <lwip/timeouts.h>
#include <netif/ethernet.h>

namespace {

// Where pages are in the core's address space: the request being read,
// the pages of requests kept for later, sockets' Fd pages, and the frame
// being sent to the output environment.
constexpr uintptr_t REQVA = 0x0ffff000;
constexpr uintptr_t OUTVA = 0x0fffe000;
constexpr uintptr_t PENDVA = 0x10000000;
constexpr uintptr_t SOCKFDVA = 0x20000000;
constexpr uintptr_t HEAPVA = 0x30000000;

constexpr int kMaxSockets = 64;
constexpr int kMaxPending = 128;
constexpr int kMaxBacklog = 16;
// How long an answer waits for its client to be receiving.
constexpr int64_t kAnswerPatienceMs = 10000;
constexpr int kDefer = 1;	// a request's handler: "not now"

// A request kept until it can be answered.
struct Pending {
	bool used;
	int type;
	envid_t whom;
	int sock;
	Pending *next;		// the socket's next one, in arrival order
	Nsipc *req() const;
};

struct Socket {
	bool used;
	bool handed_out;	// some client has been given its Fd page
	bool listening;
	bool connecting;
	tcp_pcb *pcb;		// nullptr once lwIP dropped the connection
	err_t err;		// why it did (ERR_OK while it has not)
	pbuf *rxq;		// received, not yet read
	bool rx_fin;		// the peer sent FIN: reads end after rxq
	bool tx_shut;		// shutdown(SHUT_WR) was called
	int accq[kMaxBacklog];	// accepted connections' sockets, oldest first
	int naccq;
	int backlog;
	int listener;		// for an accepted socket not yet handed out
	Pending *waiting;	// requests to answer later, oldest first
	bool closing;		// close_socket is answering them all
	bool in_progress;	// progress() is running for it
	bool again;		// ... and must look once more
	sockaddr_in peer;
};

Socket socks[kMaxSockets];
Pending pendings[kMaxPending];
netif nif;
envid_t timer_envid, input_envid, output_envid;

Nsipc *
Pending::req() const
{
	return reinterpret_cast<Nsipc *>(PENDVA + (this - pendings) * PGSIZE);
}

Fd *
sock_fd(int s)
{
	return reinterpret_cast<Fd *>(SOCKFDVA + s * PGSIZE);
}

int
lwip_error(err_t err)
{
	switch (err) {
	case ERR_OK:
		return 0;
	case ERR_MEM:
	case ERR_BUF:
		return -E_NO_MEM;
	case ERR_USE:
	case ERR_ISCONN:
		return -E_ADDR_IN_USE;
	case ERR_TIMEOUT:
		return -E_TIMEOUT;
	case ERR_VAL:
	case ERR_ARG:
		return -E_INVAL;
	default:
		return -E_CONN;
	}
}

// Answers whom with value (and a page), waiting a while for it to be
// receiving: a client sends its request and then receives, but another
// CPU may have preempted it in between. One that never receives (or has
// gone) is given up on.
void
answer(envid_t whom, int value, void *pg, uint64_t perm)
{
	int64_t give_up = 0;
	for (;;) {
		int r = sys_ipc_try_send(whom, static_cast<uint32_t>(value),
					 pg ? pg : reinterpret_cast<void *>(UTOP), perm);
		if (r == 0)
			return;
		if (r != -E_IPC_NOT_RECV) {
			if (r != -E_BAD_ENV)
				cprintf("ns: cannot answer %08x: %s\n", whom, error_string(r));
			return;
		}
		int64_t now = sys_time_msec();
		if (give_up == 0)
			give_up = now + kAnswerPatienceMs;
		else if (now > give_up) {
			cprintf("ns: %08x has not taken its answer for %ld ms; given up\n", whom,
				kAnswerPatienceMs);
			return;
		}
		sys_yield();
	}
}

// ---------------------------------------------------------------------------
// Sockets.

void close_socket(int s);
void progress(int s);

err_t on_recv(void *arg, tcp_pcb *pcb, pbuf *p, err_t err);
err_t on_sent(void *arg, tcp_pcb *pcb, u16_t len);
void on_err(void *arg, err_t err);

void *
sock_arg(int s)
{
	return reinterpret_cast<void *>(static_cast<intptr_t>(s) + 1);
}

int
arg_sock(void *arg)
{
	return static_cast<int>(reinterpret_cast<intptr_t>(arg)) - 1;
}

// A free socket slot with its Fd page, for pcb; -1 if there is none.
int
alloc_socket(tcp_pcb *pcb)
{
	for (int s = 0; s < kMaxSockets; s++) {
		if (socks[s].used)
			continue;
		if (sys_page_alloc(0, sock_fd(s), PTE_P | PTE_U | PTE_W | PTE_SHARE) < 0)
			return -1;
		Fd *fd = sock_fd(s);
		fd->fd_dev_id = DEV_SOCK_ID;
		fd->fd_omode = O_RDWR;
		fd->fd_sock.sockid = s;
		socks[s] = Socket{};
		socks[s].used = true;
		socks[s].pcb = pcb;
		socks[s].listener = -1;
		tcp_arg(pcb, sock_arg(s));
		return s;
	}
	return -1;
}

void
watch_connection(int s)
{
	tcp_pcb *pcb = socks[s].pcb;
	tcp_recv(pcb, on_recv);
	tcp_sent(pcb, on_sent);
	tcp_err(pcb, on_err);
	// Answers go out as soon as they are written: a request's answer
	// waiting for the ACK of the one before (Nagle) would wait for the
	// peer's delayed ACK.
	tcp_nagle_disable(pcb);
}

// The connection is gone (lwIP freed the pcb, or we closed it): every
// request still waiting on the socket is answered.
void
lose_connection(int s, err_t err)
{
	socks[s].pcb = nullptr;
	if (socks[s].err == ERR_OK)
		socks[s].err = err;
	progress(s);
}

err_t
on_recv(void *arg, tcp_pcb *pcb, pbuf *p, err_t err)
{
	int s = arg_sock(arg);
	if (s < 0 || !socks[s].used || socks[s].pcb != pcb) {
		if (p) {
			tcp_recved(pcb, p->tot_len);
			pbuf_free(p);
		}
		return ERR_OK;
	}
	if (p == nullptr || err != ERR_OK)
		socks[s].rx_fin = true;
	if (p != nullptr) {
		// Not acknowledged to lwIP (tcp_recved) until a client reads it:
		// the window closes on a reader that does not keep up.
		if (socks[s].rxq)
			pbuf_cat(socks[s].rxq, p);
		else
			socks[s].rxq = p;
	}
	progress(s);
	return ERR_OK;
}

err_t
on_sent(void *arg, tcp_pcb *, u16_t)
{
	int s = arg_sock(arg);
	if (s >= 0 && socks[s].used)
		progress(s);
	return ERR_OK;
}

void
on_err(void *arg, err_t err)
{
	int s = arg_sock(arg);
	if (s >= 0 && socks[s].used)
		lose_connection(s, err);	// lwIP has freed the pcb already
}

err_t
on_connected(void *arg, tcp_pcb *, err_t err)
{
	int s = arg_sock(arg);
	if (s < 0 || !socks[s].used)
		return ERR_OK;
	socks[s].connecting = false;
	if (err != ERR_OK)
		socks[s].err = err;
	progress(s);
	return ERR_OK;
}

err_t
on_accept(void *arg, tcp_pcb *newpcb, err_t err)
{
	int l = arg_sock(arg);
	if (err != ERR_OK || newpcb == nullptr)
		return ERR_VAL;
	int s = -1;
	if (l >= 0 && socks[l].used && socks[l].listening && socks[l].naccq < socks[l].backlog)
		s = alloc_socket(newpcb);
	if (s < 0) {
		tcp_abort(newpcb);
		return ERR_ABRT;
	}
	tcp_backlog_accepted(newpcb);
	watch_connection(s);
	Socket &n = socks[s];
	n.listener = l;
	n.peer.sin_len = sizeof(n.peer);
	n.peer.sin_family = AF_INET;
	n.peer.sin_port = htons(newpcb->remote_port);
	n.peer.sin_addr.s_addr = ip4_addr_get_u32(ip_2_ip4(&newpcb->remote_ip));
	socks[l].accq[socks[l].naccq++] = s;
	progress(l);
	return ERR_OK;
}

void
close_socket(int s)
{
	Socket &k = socks[s];
	if (k.listening) {
		for (int i = 0; i < k.naccq; i++)
			close_socket(k.accq[i]);
		k.naccq = 0;
		if (k.pcb)
			tcp_close(k.pcb);
	} else if (k.pcb) {
		tcp_pcb *pcb = k.pcb;
		tcp_arg(pcb, nullptr);
		tcp_recv(pcb, nullptr);
		tcp_sent(pcb, nullptr);
		tcp_err(pcb, nullptr);
		// What nobody read is taken, so that the close is an orderly
		// FIN (lwIP resets a connection closed with unread data).
		if (k.rxq)
			tcp_recved(pcb, k.rxq->tot_len);
		if (tcp_close(pcb) != ERR_OK)
			tcp_abort(pcb);
	}
	if (k.rxq)
		pbuf_free(k.rxq);
	k.rxq = nullptr;
	k.pcb = nullptr;
	if (k.err == ERR_OK)
		k.err = ERR_CLSD;
	// Whoever still waits (a destroyed holder's requests) is told.
	k.closing = true;
	progress(s);
	sys_page_unmap(0, sock_fd(s));
	k.used = false;
}

// Lost sockets: those no client maps any more (every holder closed it or
// was destroyed). An accepted socket not yet handed out has no holder yet.
void
sweep_sockets()
{
	for (int s = 0; s < kMaxSockets; s++)
		if (socks[s].used && socks[s].handed_out && pageref(sock_fd(s)) <= 1)
			close_socket(s);
}

// ---------------------------------------------------------------------------
// Requests. Each handler answers now (its return value, with *pg and
// *perm for a page) or returns kDefer to be tried again when the socket
// changes.

int
socket_of(int id, Socket **k)
{
	if (id < 0 || id >= kMaxSockets || !socks[id].used)
		return -E_INVAL;
	*k = &socks[id];
	return 0;
}

bool
ipv4_name(const sockaddr *name, socklen_t len, ip_addr_t *ip, uint16_t *port)
{
	if (len < sizeof(sockaddr_in) || name->sa_family != AF_INET)
		return false;
	sockaddr_in in;
	memmove(&in, name, sizeof(in));
	ip_addr_set_ip4_u32(ip, in.sin_addr.s_addr);
	*port = ntohs(in.sin_port);
	return true;
}

int
serve_socket(Nsipc *req, void **pg, uint64_t *perm)
{
	if (req->socket.req_domain != AF_INET || req->socket.req_type != SOCK_STREAM ||
	    (req->socket.req_protocol != 0 && req->socket.req_protocol != IPPROTO_TCP))
		return -E_NOT_SUPP;	// TCP over IPv4 only
	tcp_pcb *pcb = tcp_new();
	if (pcb == nullptr)
		return -E_NO_MEM;
	int s = alloc_socket(pcb);
	if (s < 0) {
		tcp_close(pcb);
		return -E_MAX_OPEN;
	}
	watch_connection(s);
	socks[s].handed_out = true;
	*pg = sock_fd(s);
	*perm = PTE_P | PTE_U | PTE_W | PTE_SHARE;
	return 0;
}

int
serve_bind(Socket &k, Nsipc *req)
{
	ip_addr_t ip;
	uint16_t port;
	if (k.pcb == nullptr || k.listening)
		return -E_INVAL;
	if (!ipv4_name(&req->bind.req_name, req->bind.req_namelen, &ip, &port))
		return -E_INVAL;
	return lwip_error(tcp_bind(k.pcb, &ip, port));
}

int
serve_listen(int s, Socket &k, Nsipc *req)
{
	if (k.pcb == nullptr || k.listening)
		return -E_INVAL;
	int backlog = MAX(1, MIN(req->listen.req_backlog, kMaxBacklog));
	err_t err;
	tcp_pcb *l = tcp_listen_with_backlog_and_err(k.pcb, static_cast<u8_t>(backlog), &err);
	if (l == nullptr)
		return lwip_error(err);
	k.pcb = l;		// tcp_listen freed the one it was given
	k.listening = true;
	k.backlog = backlog;
	tcp_arg(l, sock_arg(s));
	tcp_accept(l, on_accept);
	return 0;
}

int
serve_accept(Socket &k, Nsipc *req, void **pg, uint64_t *perm)
{
	if (!k.listening)
		return -E_INVAL;
	if (k.naccq == 0)
		return k.pcb ? kDefer : -E_CONN;
	int s = k.accq[0];
	k.naccq--;
	memmove(k.accq, k.accq + 1, k.naccq * sizeof(k.accq[0]));
	socks[s].handed_out = true;
	socks[s].listener = -1;
	req->acceptRet.ret_addr = *reinterpret_cast<const sockaddr *>(&socks[s].peer);
	req->acceptRet.ret_addrlen = sizeof(sockaddr_in);
	*pg = sock_fd(s);
	*perm = PTE_P | PTE_U | PTE_W | PTE_SHARE;
	return 0;
}

int
serve_connect(int s, Socket &k, Nsipc *req)
{
	if (k.listening)
		return -E_INVAL;
	if (k.connecting)
		return kDefer;
	if (k.pcb && k.pcb->state == ESTABLISHED)
		return 0;
	if (k.pcb == nullptr || k.err != ERR_OK)
		return lwip_error(k.err);
	ip_addr_t ip;
	uint16_t port;
	if (!ipv4_name(&req->connect.req_name, req->connect.req_namelen, &ip, &port))
		return -E_INVAL;
	err_t err = tcp_connect(k.pcb, &ip, port, on_connected);
	if (err != ERR_OK)
		return lwip_error(err);
	(void)s;
	k.connecting = true;
	return kDefer;
}

int
serve_recv(Socket &k, Nsipc *req)
{
	if (k.listening)
		return -E_INVAL;
	int want = MIN(req->recv.req_len, NS_RECV_MAX);
	if (want <= 0)
		return -E_INVAL;
	if (k.rxq == nullptr)
		return k.rx_fin || k.pcb == nullptr ? (k.err == ERR_OK || k.err == ERR_CLSD
							       ? 0 : lwip_error(k.err))
						     : kDefer;
	u16_t n = pbuf_copy_partial(k.rxq, req, static_cast<u16_t>(MIN<int>(want, k.rxq->tot_len)), 0);
	k.rxq = pbuf_free_header(k.rxq, n);
	if (k.pcb)
		tcp_recved(k.pcb, n);
	return n;
}

int
serve_send(Socket &k, Nsipc *req)
{
	if (k.listening || k.tx_shut)
		return -E_INVAL;
	if (k.pcb == nullptr)
		return k.err == ERR_OK ? -E_CONN : lwip_error(k.err);
	if (k.connecting)
		return kDefer;
	int size = req->send.req_size;
	if (size <= 0 || static_cast<size_t>(size) > sizeof(req->send.req_buf))
		return -E_INVAL;
	u16_t room = tcp_sndbuf(k.pcb);
	if (room == 0 || tcp_sndqueuelen(k.pcb) >= TCP_SND_QUEUELEN - 1)
		return kDefer;		// on_sent tries again
	u16_t n = static_cast<u16_t>(MIN<int>(size, room));
	err_t err = tcp_write(k.pcb, req->send.req_buf, n, TCP_WRITE_FLAG_COPY);
	if (err == ERR_MEM)
		return kDefer;
	if (err != ERR_OK)
		return lwip_error(err);
	tcp_output(k.pcb);
	return n;
}

int
serve_shutdown(Socket &k, Nsipc *req)
{
	int how = req->shutdown.req_how;
	if (how < SHUT_RD || how > SHUT_RDWR)
		return -E_INVAL;
	if (k.pcb == nullptr || k.listening)
		return k.listening ? -E_INVAL : 0;
	int r = lwip_error(tcp_shutdown(k.pcb, how != SHUT_WR, how != SHUT_RD));
	if (how != SHUT_RD)
		k.tx_shut = true;
	return r;
}

int
serve_close(int s)
{
	// The caller still maps the Fd page (it unmaps after this answer): if
	// the server's mapping and the caller's are all there are, it was the
	// last descriptor.
	if (pageref(sock_fd(s)) <= 2)
		close_socket(s);
	return 0;
}

// Runs a request on socket `id` (all but socket()): its answer, or kDefer.
int
handle(int type, int id, Nsipc *req, void **pg, uint64_t *perm)
{
	Socket *k;
	int r = socket_of(id, &k);
	if (r < 0)
		return r;
	switch (type) {
	case NSREQ_BIND:
		return serve_bind(*k, req);
	case NSREQ_LISTEN:
		return serve_listen(id, *k, req);
	case NSREQ_ACCEPT:
		return serve_accept(*k, req, pg, perm);
	case NSREQ_CONNECT:
		return serve_connect(id, *k, req);
	case NSREQ_RECV:
		return serve_recv(*k, req);
	case NSREQ_SEND:
		return serve_send(*k, req);
	case NSREQ_SHUTDOWN:
		return serve_shutdown(*k, req);
	case NSREQ_CLOSE:
		return serve_close(id);
	default:
		return -E_INVAL;
	}
}

// Answers what can be answered of the requests waiting on socket s, and
// lets their pages go. Requests of one kind are answered in the order they
// came (a receive waits behind an earlier receive), while another kind
// may pass them (a close never waits for a receive). An lwIP call a
// handler makes may report back (a callback) and ask for this again:
// that is done once this one is through.
void
progress(int s)
{
	Socket &k = socks[s];
	if (k.in_progress) {
		k.again = true;
		return;
	}
	k.in_progress = true;
	do {
		k.again = false;
		unsigned blocked = 0;	// kinds with an earlier request still waiting
		Pending **pp = &k.waiting;
		while (Pending *p = *pp) {
			if (blocked & 1U << p->type) {
				pp = &p->next;
				continue;
			}
			void *pg = nullptr;
			uint64_t perm = 0;
			int r = k.closing ? -E_CONN : handle(p->type, s, p->req(), &pg, &perm);
			if (r == kDefer) {
				blocked |= 1U << p->type;
				pp = &p->next;
				continue;
			}
			*pp = p->next;
			answer(p->whom, r, pg, perm);
			sys_page_unmap(0, p->req());
			p->used = false;
		}
	} while (k.again);
	k.in_progress = false;
}

// Keeps the request at REQVA (its page moves to a slot of its own) on
// socket s's list; false if there is no room.
bool
defer(int type, envid_t whom, int s)
{
	for (Pending &p : pendings) {
		if (p.used)
			continue;
		if (sys_page_map(0, reinterpret_cast<void *>(REQVA), 0, p.req(),
				 PTE_P | PTE_U | PTE_W) < 0)
			return false;
		p = Pending{true, type, whom, s, nullptr};
		Pending **tail = &socks[s].waiting;
		while (*tail)
			tail = &(*tail)->next;
		*tail = &p;
		return true;
	}
	return false;
}

int
request_socket(int type, Nsipc *req)
{
	switch (type) {
	case NSREQ_ACCEPT:
		return req->accept.req_s;
	case NSREQ_BIND:
		return req->bind.req_s;
	case NSREQ_SHUTDOWN:
		return req->shutdown.req_s;
	case NSREQ_CLOSE:
		return req->close.req_s;
	case NSREQ_CONNECT:
		return req->connect.req_s;
	case NSREQ_LISTEN:
		return req->listen.req_s;
	case NSREQ_RECV:
		return req->recv.req_s;
	case NSREQ_SEND:
		return req->send.req_s;
	default:
		return -1;
	}
}

// A client's request, in the page at REQVA.
void
serve_request(int type, envid_t whom)
{
	auto *req = reinterpret_cast<Nsipc *>(REQVA);
	void *pg = nullptr;
	uint64_t perm = 0;
	int r;
	if (type == NSREQ_SOCKET) {
		r = serve_socket(req, &pg, &perm);
	} else {
		int s = request_socket(type, req);
		// Requests of a kind are answered in order: one behind a waiting
		// one of its kind waits too.
		bool behind = false;
		if (s >= 0 && s < kMaxSockets && socks[s].used)
			for (Pending *p = socks[s].waiting; p && !behind; p = p->next)
				behind = p->type == type;
		r = behind ? kDefer : handle(type, s, req, &pg, &perm);
		if (r == kDefer) {
			if (defer(type, whom, s))
				return;
			r = -E_NO_MEM;
		}
	}
	answer(whom, r, pg, perm);
}

// ---------------------------------------------------------------------------
// The network interface: frames to the output environment, and from the
// input environment into lwIP.

err_t
jif_output(netif *, pbuf *p)
{
	auto *pkt = reinterpret_cast<JifPkt *>(OUTVA);
	if (p->tot_len > sizeof(pkt->jp_data))
		return ERR_BUF;
	int r = sys_page_alloc(0, pkt, PTE_P | PTE_U | PTE_W);
	if (r < 0)
		return ERR_MEM;
	pkt->jp_len = pbuf_copy_partial(p, pkt->jp_data, p->tot_len, 0);
	ipc_send(output_envid, NSREQ_OUTPUT, pkt, PTE_P | PTE_U | PTE_W);
	sys_page_unmap(0, pkt);
	return ERR_OK;
}

err_t
jif_init(netif *n)
{
	n->name[0] = 'e';
	n->name[1] = 'n';
	n->output = etharp_output;
	n->linkoutput = jif_output;
	n->mtu = 1500;
	n->hwaddr_len = ETH_HWADDR_LEN;
	sys_net_mac(n->hwaddr);
	n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET |
		   NETIF_FLAG_LINK_UP;
	return ERR_OK;
}

void
serve_input()
{
	auto *pkt = reinterpret_cast<JifPkt *>(REQVA);
	if (pkt->jp_len <= 0 || pkt->jp_len > 1518)
		return;
	pbuf *p = pbuf_alloc(PBUF_RAW, static_cast<u16_t>(pkt->jp_len), PBUF_POOL);
	if (p == nullptr)
		return;		// out of buffers: the frame is dropped, as a card would
	pbuf_take(p, pkt->jp_data, static_cast<u16_t>(pkt->jp_len));
	if (nif.input(p, &nif) != ERR_OK)
		pbuf_free(p);
}

void
serve_init()
{
	// lwIP's heap (lwipopts.h): MEM_SIZE and room for its own headers.
	size_t heap = ROUNDUP(MEM_SIZE + 4 * PGSIZE, PGSIZE);
	for (size_t off = 0; off < heap; off += PGSIZE) {
		int r = sys_page_alloc(0, reinterpret_cast<void *>(HEAPVA + off), PTE_P | PTE_U | PTE_W);
		if (r < 0)
			panic("ns: no memory for lwIP's heap: %s", error_string(r));
	}
	lwip_port_heap = reinterpret_cast<unsigned char *>(HEAPVA);
	lwip_init();
	ip4_addr_t ip, mask, gw;
	ip4_addr_set_u32(&ip, htonl(NS_IP));
	ip4_addr_set_u32(&mask, htonl(NS_NETMASK));
	ip4_addr_set_u32(&gw, htonl(NS_GATEWAY));
	if (netif_add(&nif, &ip, &mask, &gw, nullptr, jif_init, ethernet_input) == nullptr)
		panic("ns: netif_add failed");
	netif_set_default(&nif);
	netif_set_up(&nif);
	netif_set_link_up(&nif);
	const uint8_t *m = nif.hwaddr;
	cprintf("ns: %02x:%02x:%02x:%02x:%02x:%02x bound to static IP %u.%u.%u.%u\n", m[0], m[1],
		m[2], m[3], m[4], m[5], NS_IP >> 24, NS_IP >> 16 & 0xFF, NS_IP >> 8 & 0xFF,
		NS_IP & 0xFF);
	cprintf("NS: TCP/IP initialized.\n");
}

[[noreturn]] void
serve()
{
	for (;;) {
		envid_t whom;
		uint64_t perm;
		int32_t type = ipc_recv(&whom, reinterpret_cast<void *>(REQVA), &perm);
		if (type == NSREQ_INPUT && whom == input_envid) {
			serve_input();
		} else if (type == NSREQ_TIMER && whom == timer_envid) {
			sys_check_timeouts();
			sweep_sockets();
			u32_t next = sys_timeouts_sleeptime();
			answer(whom, static_cast<int>(MAX(10U, MIN(next, kTimerIntervalMs))), nullptr, 0);
		} else if (!(perm & PTE_P)) {
			cprintf("ns: request %d from %08x came without a page; ignored\n", type, whom);
		} else if (type >= NSREQ_ACCEPT && type <= NSREQ_SOCKET) {
			serve_request(type, whom);
		} else {
			cprintf("ns: request %d from %08x: no such request\n", type, whom);
			answer(whom, -E_INVAL, nullptr, 0);
		}
		sys_check_timeouts();
		sys_page_unmap(0, reinterpret_cast<void *>(REQVA));
	}
}

} // namespace

void
umain(int, char **)
{
	binaryname = "ns";
	envid_t ns_envid = sys_getenvid();
	if ((timer_envid = fork()) < 0)
		panic("ns: fork: %s", error_string(timer_envid));
	if (timer_envid == 0)
		timer(ns_envid, kTimerIntervalMs);
	if ((input_envid = fork()) < 0)
		panic("ns: fork: %s", error_string(input_envid));
	if (input_envid == 0)
		input(ns_envid);
	if ((output_envid = fork()) < 0)
		panic("ns: fork: %s", error_string(output_envid));
	if (output_envid == 0)
		output(ns_envid);
	serve_init();
	serve();
}
