// Parent and child send each other a page through IPC, each writing its
// message into the page before sending it on.
#include <inc/lib.h>

namespace {
char *const kTempAddr = reinterpret_cast<char *>(0xa00000);
char *const kTempAddrChild = reinterpret_cast<char *>(0xb00000);
const char *const kToChild = "hello child environment! how are you?";
const char *const kToParent = "hello parent environment! I'm good.";
} // namespace

void
umain(int, char **)
{
	envid_t who = fork();
	if (who == 0) {
		ipc_recv(&who, kTempAddrChild, nullptr);
		cprintf("%x got message: %s\n", who, kTempAddrChild);
		if (strncmp(kTempAddrChild, kToChild, strlen(kToChild)) == 0)
			cprintf("child received correct message\n");
		memcpy(kTempAddrChild, kToParent, strlen(kToParent) + 1);
		ipc_send(who, 0, kTempAddrChild, PTE_P | PTE_W | PTE_U);
		return;
	}
	sys_page_alloc(thisenv->env_id, kTempAddr, PTE_P | PTE_W | PTE_U);
	memcpy(kTempAddr, kToChild, strlen(kToChild) + 1);
	ipc_send(who, 0, kTempAddr, PTE_P | PTE_W | PTE_U);
	ipc_recv(&who, kTempAddr, nullptr);
	cprintf("%x got message: %s\n", who, kTempAddr);
	if (strncmp(kTempAddr, kToParent, strlen(kToParent)) == 0)
		cprintf("parent received correct message\n");
}
