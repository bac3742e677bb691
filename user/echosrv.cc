// JOS's echosrv: a TCP echo server on port 7, one client at a time.
#include <inc/lib.h>

namespace {

constexpr uint16_t kPort = 7;
constexpr int kMaxPending = 5;

[[noreturn]] void
die(const char *m, int r)
{
	cprintf("%s: %s\n", m, error_string(r));
	exit();
}

void
handle_client(int sock)
{
	char buf[512];
	for (;;) {
		ssize_t n = read(sock, buf, sizeof(buf));
		if (n < 0)
			cprintf("echosrv: read: %s\n", error_string(static_cast<int>(n)));
		if (n <= 0)
			break;
		ssize_t w = write(sock, buf, static_cast<size_t>(n));
		if (w != n) {
			cprintf("echosrv: write: %s\n",
				w < 0 ? error_string(static_cast<int>(w)) : "short");
			break;
		}
	}
	close(sock);
}

} // namespace

void
umain(int, char **)
{
	binaryname = "echosrv";
	cprintf("Opening socket\n");
	int server = socket(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	if (server < 0)
		die("Failed to create socket", server);
	cprintf("opened socket\n");

	sockaddr_in addr = {};
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_ANY);
	addr.sin_port = htons(kPort);
	cprintf("trying to bind\n");
	int r;
	if ((r = bind(server, reinterpret_cast<sockaddr *>(&addr), sizeof(addr))) < 0)
		die("Failed to bind the server socket", r);
	if ((r = listen(server, kMaxPending)) < 0)
		die("Failed to listen on server socket", r);
	cprintf("bound\n");

	for (;;) {
		sockaddr_in client;
		socklen_t len = sizeof(client);
		int sock = accept(server, reinterpret_cast<sockaddr *>(&client), &len);
		if (sock < 0)
			die("Failed to accept client connection", sock);
		uint32_t ip = ntohl(client.sin_addr.s_addr);
		cprintf("Client connected: %u.%u.%u.%u\n", ip >> 24, ip >> 16 & 0xFF, ip >> 8 & 0xFF,
			ip & 0xFF);
		handle_client(sock);
	}
}
