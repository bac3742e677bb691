// The first program icode spawns: checks that spawn loaded its data and
// bss and passed its arguments, opens the console as descriptors 0 and 1,
// and keeps a shell running (JOS lab 5).
#include <inc/lib.h>

namespace {

// Initialized data that spans two pages, and bss beyond it.
struct {
	char msg1[5000];
	char msg2[1000];
} data = {
	"initialized data, spread over two pages",
	"and some more of it",
};
char bss[6000];

// What sum() gives for data: computed by hand from the two strings.
constexpr int kDataSum = 0x79979;

int
sum(const char *s, int n)
{
	int tot = 0;
	for (int i = 0; i < n; i++)
		tot ^= i * s[i];
	return tot;
}

} // namespace

void
umain(int argc, char **argv)
{
	int r, x;

	cprintf("init: running\n");
	if ((x = sum(reinterpret_cast<char *>(&data), sizeof(data))) != kDataSum)
		cprintf("init: data is not initialized: got sum %08x wanted %08x\n", x, kDataSum);
	else
		cprintf("init: data seems okay\n");
	if ((x = sum(bss, sizeof(bss))) != 0)
		cprintf("bss is not initialized: wanted sum 0 got %08x\n", x);
	else
		cprintf("init: bss seems okay\n");

	// One line, one system call: other environments' output cannot land
	// inside it.
	char args[256];
	int len = snprintf(args, sizeof(args), "init: args:");
	for (int i = 0; i < argc && len < static_cast<int>(sizeof(args)); i++)
		len += snprintf(args + len, sizeof(args) - len, " '%s'", argv[i]);
	cprintf("%s\n", args);

	cprintf("init: running sh\n");

	// Run from icode or the kernel: no descriptors open yet.
	close(0);
	if ((r = opencons()) < 0)
		panic("opencons: %s", error_string(r));
	if (r != 0)
		panic("first opencons used fd %d", r);
	if ((r = dup(0, 1)) < 0)
		panic("dup: %s", error_string(r));
	for (int failures = 0; failures < 3;) {
		cprintf("init: starting sh\n");
		r = spawnl("/sh", "sh", nullptr);
		if (r < 0) {
			cprintf("init: spawn sh: %s\n", error_string(r));
			failures++;
			continue;
		}
		failures = 0;
		wait(r);
	}
	cprintf("init: cannot start the shell; giving up\n");
}
