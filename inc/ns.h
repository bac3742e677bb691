// The network server's interface (JOS lab 6's inc/ns.h): what its
// clients send it over IPC, and the packet pages its input and output
// environments pass. The socket addresses are BSD's (and lwIP's) layout.
#pragma once

#include <inc/mmu.h>
#include <inc/types.h>

// The guest's address on QEMU's user network (its DHCP would give the
// same), the gateway (QEMU's), and the netmask.
#define NS_IP		0x0A00020FU	// 10.0.2.15
#define NS_GATEWAY	0x0A000202U	// 10.0.2.2
#define NS_NETMASK	0xFFFFFF00U

// A frame as the input and output environments move it: a page holding
// its length and bytes (JOS's struct jif_pkt).
struct JifPkt {
	int32_t jp_len;
	char jp_data[PGSIZE - sizeof(int32_t)];
};

enum {
	// From clients, to the core (the socket calls).
	NSREQ_ACCEPT = 1,
	NSREQ_BIND,
	NSREQ_SHUTDOWN,
	NSREQ_CLOSE,
	NSREQ_CONNECT,
	NSREQ_LISTEN,
	NSREQ_RECV,
	NSREQ_SEND,
	NSREQ_SOCKET,
	// From the core to the output environment: a JifPkt to send.
	NSREQ_OUTPUT,
	// From the timer environment to the core: time to run lwIP's timers
	// (the core answers with how long until the next tick).
	NSREQ_TIMER,
	// From the input environment to the core: a JifPkt received.
	NSREQ_INPUT,
};

// Addresses (4.4BSD's, as lwIP has them).
typedef uint32_t in_addr_t;
struct in_addr {
	in_addr_t s_addr;	// network byte order
};

struct sockaddr {
	uint8_t sa_len;
	uint8_t sa_family;
	char sa_data[14];
};

struct sockaddr_in {
	uint8_t sin_len;
	uint8_t sin_family;
	uint16_t sin_port;	// network byte order
	struct in_addr sin_addr;
	char sin_zero[8];
};
static_assert(sizeof(sockaddr_in) == sizeof(sockaddr));

typedef uint32_t socklen_t;

#define AF_INET		2
#define PF_INET		AF_INET
#define SOCK_STREAM	1
#define IPPROTO_TCP	6
#define INADDR_ANY	0U
#define SHUT_RD		0
#define SHUT_WR		1
#define SHUT_RDWR	2

static inline uint16_t
htons(uint16_t v)
{
	return static_cast<uint16_t>(v << 8 | v >> 8);
}

static inline uint32_t
htonl(uint32_t v)
{
	return __builtin_bswap32(v);
}

static inline uint16_t ntohs(uint16_t v) { return htons(v); }
static inline uint32_t ntohl(uint32_t v) { return htonl(v); }

// A request's page (JOS's union Nsipc). The client sends it with its
// request; for a receive, the answer's bytes come back in it.
union Nsipc {
	struct Accept {
		int32_t req_s;
		socklen_t req_addrlen;
	} accept;
	struct AcceptRet {
		struct sockaddr ret_addr;
		socklen_t ret_addrlen;
	} acceptRet;
	struct Bind {
		int32_t req_s;
		struct sockaddr req_name;
		socklen_t req_namelen;
	} bind;
	struct Shutdown {
		int32_t req_s;
		int32_t req_how;
	} shutdown;
	struct Close {
		int32_t req_s;
	} close;
	struct Connect {
		int32_t req_s;
		struct sockaddr req_name;
		socklen_t req_namelen;
	} connect;
	struct Listen {
		int32_t req_s;
		int32_t req_backlog;
	} listen;
	struct Recv {
		int32_t req_s;
		int32_t req_len;
		int32_t req_flags;
	} recv;
	struct Send {
		int32_t req_s;
		int32_t req_size;
		int32_t req_flags;
		char req_buf[PGSIZE - 3 * sizeof(int32_t)];
	} send;
	struct Socket {
		int32_t req_domain;
		int32_t req_type;
		int32_t req_protocol;
	} socket;
	char pad[PGSIZE];
};
static_assert(sizeof(Nsipc) == PGSIZE);

// The most bytes one receive brings back: a receive's answer fills the
// request page from its start.
#define NS_RECV_MAX	PGSIZE
