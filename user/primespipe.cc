// The prime sieve again, with pipes between the environments (Doug
// McIlroy's, as JOS lab 5 has it): each reads numbers from its left
// neighbour, prints the first (a prime), and passes on to a new right
// neighbour those that prime does not divide.
#include <inc/lib.h>

namespace {

[[noreturn]] void
primeproc(int fd)
{
	int i, p, pfd[2], r;
	envid_t id;

	for (;;) {
		// The first number from our left neighbour is our prime.
		if ((r = readn(fd, &p, 4)) != 4)
			panic("primeproc could not read initial prime: %d, %s", r,
			      r >= 0 ? "end of file" : error_string(r));
		cprintf("%d\n", p);

		if ((i = pipe(pfd)) < 0)
			panic("pipe: %s", error_string(i));
		if ((id = fork()) < 0)
			panic("fork: %s", error_string(id));
		if (id == 0) {
			// The new right neighbour: it reads the new pipe.
			close(fd);
			close(pfd[1]);
			fd = pfd[0];
			continue;
		}
		close(pfd[0]);
		int wfd = pfd[1];
		for (;;) {
			if ((r = readn(fd, &i, 4)) != 4)
				panic("primeproc %d readn %d %d %s", p, fd, r,
				      r >= 0 ? "end of file" : error_string(r));
			if (i % p && (r = write(wfd, &i, 4)) != 4)
				panic("primeproc %d write: %d %s", p, r,
				      r >= 0 ? "end of file" : error_string(r));
		}
	}
}

} // namespace

void
umain(int, char **)
{
	int i, p[2], r;
	envid_t id;

	binaryname = "primespipe";
	if ((i = pipe(p)) < 0)
		panic("pipe: %s", error_string(i));
	if ((id = fork()) < 0)
		panic("fork: %s", error_string(id));
	if (id == 0) {
		close(p[1]);
		primeproc(p[0]);
	}
	close(p[0]);
	// Every integer, into the chain.
	for (i = 2;; i++)
		if ((r = write(p[1], &i, 4)) != 4)
			panic("generator write: %d, %s", r, r >= 0 ? "end of file" : error_string(r));
}
