// Whether, and when, the network server starts.

#include <inc/stdio.h>
#include <kern/cmdline.h>
#include <kern/e1000.h>
#include <kern/env.h>
#include <kern/nsenv.h>
#include <kern/printf.h>

namespace {

// The first run= program that uses the network, or nullptr.
const char *
ns_client_asked_for()
{
	for (int i = 0; i < kargs.nrun; i++) {
		const UserProgram *p = user_program(kargs.run[i].name);
		if (p != nullptr && (p->flags & PROG_NS_CLIENT))
			return p->name;
	}
	return nullptr;
}

bool
run_names_server()
{
	for (int i = 0; i < kargs.nrun; i++) {
		const UserProgram *p = user_program(kargs.run[i].name);
		if (p != nullptr && (p->flags & PROG_NS_SERVER))
			return true;
	}
	return false;
}

} // namespace

void
ns_env_start()
{
	if (run_names_server())
		return;
	const char *client = ns_client_asked_for();
	if (client == nullptr)
		return;
	const UserProgram *server = nullptr;
	for (const UserProgram *p = user_programs; p->name && !server; p++)
		if (p->flags & PROG_NS_SERVER)
			server = p;
	if (server == nullptr) {
		cprintf("ns: this kernel has no network server built in\n");
		return;
	}
	if (!e1000_present()) {
		cprintf("ns: no network card: the network server is not started, and %s will "
			"find no network. Boot with one (make's NET=user, the default from lab 6 "
			"on)\n", client);
		return;
	}
	env_create(server->name);
}
