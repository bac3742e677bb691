// JOS's httpd: a web server on port 80 that serves the file system's
// files (GET only, HTTP/1.0). Unlike JOS's, it serves each connection in a
// child of its own (fork), so that clients are served at once, on as many
// CPUs as there are, and one slow client holds up nobody else.
#include <inc/lib.h>

namespace {

constexpr uint16_t kPort = 80;
constexpr int kMaxPending = 16;
constexpr size_t kRequestMax = 1024;	// request line and headers
constexpr size_t kChunk = 4096;		// what send_data moves at a time

struct HttpRequest {
	int sock;
	char *url;
	char *version;
	// The header, gathered by the send_* functions and sent whole by
	// send_header_fin: one write, so one TCP segment, not five.
	char header[512];
	size_t header_len;
};

struct ErrorPage {
	int code;
	const char *msg;
};

constexpr ErrorPage kErrors[] = {
	{400, "Bad Request"},
	{404, "Not Found"},
	{405, "Method Not Allowed"},
	{500, "Internal Server Error"},
};

// Writes all of s; false if the client has gone.
bool
send_str(int sock, const char *s, size_t len)
{
	return write(sock, s, len) == static_cast<ssize_t>(len);
}

// Adds a header line; false if the header would not fit.
bool
add_header(HttpRequest *req, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t room = sizeof(req->header) - req->header_len;
	int n = vsnprintf(req->header + req->header_len, static_cast<int>(room), fmt, ap);
	va_end(ap);
	if (n < 0 || static_cast<size_t>(n) >= room)
		return false;
	req->header_len += static_cast<size_t>(n);
	return true;
}

bool
send_header(HttpRequest *req, int code, const char *msg)
{
	req->header_len = 0;
	return add_header(req, "HTTP/1.0 %d %s\r\nServer: smpjos-httpd/0.1\r\n"
			  "Connection: close\r\n", code, msg);
}

bool
send_size(HttpRequest *req, off_t size)
{
	return add_header(req, "Content-Length: %ld\r\n", static_cast<long>(size));
}

[[maybe_unused]] const char *
content_type(const char *url)
{
	size_t n = strlen(url);
	if (n >= 5 && strcmp(url + n - 5, ".html") == 0)
		return "text/html";
	if (n >= 4 && strcmp(url + n - 4, ".txt") == 0)
		return "text/plain";
	return "application/octet-stream";
}

bool
send_content_type(HttpRequest *req, const char *type)
{
	return add_header(req, "Content-Type: %s\r\n", type);
}

bool
send_header_fin(HttpRequest *req)
{
	return add_header(req, "\r\n") && send_str(req->sock, req->header, req->header_len);
}

int
send_error(HttpRequest *req, int code)
{
	const ErrorPage *e = &kErrors[ARRAY_SIZE(kErrors) - 1];
	for (const ErrorPage &k : kErrors)
		if (k.code == code)
			e = &k;
	char body[160];
	int n = snprintf(body, sizeof(body), "<html><body><p>%d - %s</p></body></html>\n", e->code,
			 e->msg);
	if (!send_header(req, e->code, e->msg) || !send_size(req, n) ||
	    !send_content_type(req, "text/html") || !send_header_fin(req) ||
	    !send_str(req->sock, body, static_cast<size_t>(n)))
		return -E_CONN;
	return e->code;
}

// Copies the file open as fd to the client: size bytes, read and written
// a chunk at a time. Returns 0, or why it stopped.
[[maybe_unused]] int
send_data(HttpRequest *req, int fd, off_t size)
{
	// LAB 6 EXERCISE httpd BEGIN
	// Read the file in chunks of at most kChunk bytes (read) and write each
	// to the client's socket (write, which sends all of it or fails). Stop
	// with an error when a read fails or ends early, or when a write
	// fails (the client has gone).
	//> (void)req, (void)fd, (void)size;
	//> panic("send_data: not implemented (LAB 6 exercise httpd)");
	static char buf[kChunk];
	off_t sent = 0;
	while (sent < size) {
		size_t want = static_cast<size_t>(MIN<off_t>(size - sent, kChunk));
		ssize_t n = read(fd, buf, want);
		if (n <= 0)
			return n < 0 ? static_cast<int>(n) : -E_EOF;
		ssize_t w = write(req->sock, buf, static_cast<size_t>(n));
		if (w != n)
			return w < 0 ? static_cast<int>(w) : -E_CONN;
		sent += n;
	}
	return 0;
	// LAB 6 EXERCISE httpd END
}

// Answers with the file req->url names: 404 if there is none, or if it is
// a directory. Returns the status sent, or an error.
int
send_file(HttpRequest *req)
{
	// LAB 6 EXERCISE httpd BEGIN
	// Open the file (open, O_RDONLY); if that fails, or it is a directory
	// (fstat, st_isdir), send_error(req, 404). Else send the header
	// (send_header with 200 and "OK"), its size (send_size, st_size),
	// its type (send_content_type with content_type(req->url)), the
	// blank line (send_header_fin), and then send_data. Close the file
	// in every case.
	//> (void)req;
	//> panic("send_file: not implemented (LAB 6 exercise httpd)");
	int fd = open(req->url, O_RDONLY);
	if (fd < 0)
		return send_error(req, 404);
	Stat st;
	int r = fstat(fd, &st);
	if (r < 0 || st.st_isdir) {
		close(fd);
		return send_error(req, 404);
	}
	if (!send_header(req, 200, "OK") || !send_size(req, st.st_size) ||
	    !send_content_type(req, content_type(req->url)) || !send_header_fin(req)) {
		close(fd);
		return -E_CONN;
	}
	r = send_data(req, fd, st.st_size);
	close(fd);
	return r < 0 ? r : 200;
	// LAB 6 EXERCISE httpd END
}

// Whether buf[0..len) holds the blank line that ends a request's headers.
bool
headers_end(const char *buf, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++)
		if (buf[i] == '\n' && (buf[i + 1] == '\n' ||
					(i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')))
			return true;
	return false;
}

enum class Read { Ok, Closed, Bad };

// Reads the request's line and headers (up to the blank line) into buf, as
// a string: Closed if the client closed first, Bad if it sent a NUL byte or
// more than buf holds.
Read
read_request(int sock, char *buf, size_t size)
{
	size_t len = 0;
	while (len + 1 < size) {
		ssize_t n = read(sock, buf + len, size - 1 - len);
		if (n <= 0)
			return len > 0 ? Read::Bad : Read::Closed;
		// (memfind returns the end when it finds nothing.)
		if (memfind(buf + len, '\0', static_cast<size_t>(n)) != buf + len + n)
			return Read::Bad;
		len += static_cast<size_t>(n);
		buf[len] = '\0';
		if (headers_end(buf, len))
			return Read::Ok;
	}
	return Read::Bad;
}

// "GET /path HTTP/1.x": fills in url and version, in place.
bool
parse_request(HttpRequest *req, char *buf)
{
	if (strncmp(buf, "GET ", 4) != 0)
		return false;
	char *url = buf + 4;
	char *end = url;
	while (*end && *end != ' ' && *end != '\r' && *end != '\n')
		end++;
	if (*end != ' ' || end == url || *url != '/')
		return false;
	*end = '\0';
	char *version = end + 1;
	char *vend = version;
	while (*vend && *vend != '\r' && *vend != '\n')
		vend++;
	*vend = '\0';
	if (strncmp(version, "HTTP/", 5) != 0 || strlen(url) >= MAXPATHLEN)
		return false;
	req->url = url;
	req->version = version;
	return true;
}

void
handle_client(int sock)
{
	static char buf[kRequestMax];
	buf[0] = '\0';
	static HttpRequest req;
	req.sock = sock;
	req.url = req.version = nullptr;
	req.header_len = 0;
	int status;
	Read got = read_request(sock, buf, sizeof(buf));
	if (got == Read::Closed)
		status = -E_EOF;
	else if (got == Read::Bad)
		status = send_error(&req, 400);
	else if (strncmp(buf, "GET ", 4) != 0 && strchr(buf, ' ') != nullptr &&
		 strchr(buf, ' ') - buf < 8)
		status = send_error(&req, 405);
	else if (!parse_request(&req, buf))
		status = send_error(&req, 400);
	else
		status = send_file(&req);
	const char *what = req.url && req.url[0] == '/' ? req.url : "(no valid request)";
	if (status >= 0)
		cprintf("httpd: %s: %d (CPU %d)\n", what, status, thisenv->env_cpunum);
	else
		cprintf("httpd: %s: not answered: %s (CPU %d)\n", what, error_string(status),
			thisenv->env_cpunum);
	close(sock);
}

} // namespace

void
umain(int, char **)
{
	binaryname = "httpd";
	int server = socket(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	if (server < 0)
		panic("httpd: socket: %s", error_string(server));
	sockaddr_in addr = {};
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_ANY);
	addr.sin_port = htons(kPort);
	int r;
	if ((r = bind(server, reinterpret_cast<sockaddr *>(&addr), sizeof(addr))) < 0)
		panic("httpd: bind: %s", error_string(r));
	if ((r = listen(server, kMaxPending)) < 0)
		panic("httpd: listen: %s", error_string(r));
	cprintf("Waiting for http connections...\n");

	for (;;) {
		int sock = accept(server, nullptr, nullptr);
		if (sock < 0)
			panic("httpd: accept: %s", error_string(sock));
		envid_t child = fork();
		if (child < 0) {
			// No environment to spare: serve it here.
			handle_client(sock);
			continue;
		}
		if (child == 0) {
			close(server);
			handle_client(sock);
			exit();
		}
		close(sock);
	}
}
