// PTE_SHARE pages stay shared across fork and spawn (JOS lab 5).
#include <inc/lib.h>

namespace {

char *const va = reinterpret_cast<char *>(0xA0000000);
const char msg[] = "hello, world\n";
const char msg2[] = "goodbye, world\n";

} // namespace

void
umain(int argc, char **)
{
	int r;
	if (argc != 0) {
		// The spawned child: writes through its mapping of the page.
		strcpy(va, msg2);
		exit();
	}

	if ((r = sys_page_alloc(0, va, PTE_P | PTE_W | PTE_U | PTE_SHARE)) < 0)
		panic("sys_page_alloc: %s", error_string(r));

	// fork: the child's write must reach the parent's page.
	if ((r = fork()) < 0)
		panic("fork: %s", error_string(r));
	if (r == 0) {
		strcpy(va, msg);
		exit();
	}
	wait(r);
	cprintf("fork handles PTE_SHARE %s\n", strcmp(va, msg) == 0 ? "right" : "wrong");

	// spawn: the same.
	if ((r = spawnl("/testpteshare", "testpteshare", "arg", nullptr)) < 0)
		panic("spawn: %s", error_string(r));
	wait(r);
	cprintf("spawn handles PTE_SHARE %s\n", strcmp(va, msg2) == 0 ? "right" : "wrong");
}
