/* lwIP's options for the network server (net/): lwIP's raw API, with no
 * operating-system layer (NO_SYS): one environment calls it, from one loop
 * (net/serv.cc), so it needs no locks, threads or semaphores.
 * (C, not C++: lwIP's own sources include it.) */
#ifndef SMPJOS_LWIPOPTS_H
#define SMPJOS_LWIPOPTS_H

#define NO_SYS				1
#define SYS_LIGHTWEIGHT_PROT		0
#define LWIP_SOCKET			0
#define LWIP_NETCONN			0
#define LWIP_NETIF_API			0
#define LWIP_TIMERS			1
#define LWIP_SINGLE_NETIF		1

#define LWIP_IPV4			1
#define LWIP_IPV6			0
#define LWIP_ARP			1
#define LWIP_ETHERNET			1
#define LWIP_ICMP			1
#define LWIP_RAW			0
#define LWIP_UDP			1
#define LWIP_TCP			1
#define LWIP_DHCP			0
#define LWIP_AUTOIP			0
#define LWIP_IGMP			0
#define LWIP_DNS			0
#define LWIP_STATS			0
#define LWIP_TCP_KEEPALIVE		0
#define TCP_LISTEN_BACKLOG		1
#define LWIP_CHECKSUM_ON_COPY		1
#define LWIP_CHKSUM_ALGORITHM		3

/* Memory: lwIP's heap (tcp_write copies into it) and pools. The heap is
 * not in the program's data: the core allocates it (net/serv.cc) after it
 * has forked its three helpers, which then need not share it
 * copy-on-write. The pools are static, and small for the same reason. */
#define MEM_ALIGNMENT			8
#define MEM_SIZE			(1024 * 1024)
#define LWIP_RAM_HEAP_POINTER		lwip_port_heap
#define MEMP_NUM_PBUF			128
#define MEMP_NUM_TCP_PCB		72
#define MEMP_NUM_TCP_PCB_LISTEN		8
#define MEMP_NUM_TCP_SEG		512
#define MEMP_NUM_UDP_PCB		4
#define MEMP_NUM_SYS_TIMEOUT		(LWIP_NUM_SYS_TIMEOUT_INTERNAL + 2)
#define PBUF_POOL_SIZE			64

/* TCP: what a connection may have in flight, 8 full segments received and
 * 32 sent (received data waits in pool buffers until a client reads it). */
#define TCP_MSS				1460
#define TCP_WND				(8 * TCP_MSS)
#define TCP_SND_BUF			(32 * TCP_MSS)
#define TCP_SND_QUEUELEN		(4 * TCP_SND_BUF / TCP_MSS)
#define TCP_SNDLOWAT			(TCP_SND_BUF / 4)
#define TCP_QUEUE_OOSEQ			1

#endif
