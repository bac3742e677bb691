// A binary tree of environments, three levels below the root, each named
// by the path to it.
#include <inc/lib.h>

namespace {

constexpr size_t kDepth = 3;

void forktree(const char *cur);

void
forkchild(const char *cur, char branch)
{
	char nxt[kDepth + 1];
	if (strlen(cur) >= kDepth)
		return;
	snprintf(nxt, kDepth + 1, "%s%c", cur, branch);
	if (fork() == 0) {
		forktree(nxt);
		exit();
	}
}

void
forktree(const char *cur)
{
	cprintf("%04x: I am '%s'\n", sys_getenvid(), cur);
	forkchild(cur, '0');
	forkchild(cur, '1');
}

} // namespace

void
umain(int, char **)
{
	forktree("");
}
