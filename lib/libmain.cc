// Called from entry.S: finds this environment, runs umain, exits.

#include <inc/lib.h>

const volatile Env *thisenv;
const char *binaryname = "<unknown>";

extern "C" void
libmain(int argc, char **argv)
{
	thisenv = &envs[ENVX(sys_getenvid())];
	if (argc > 0)
		binaryname = argv[0];
	umain(argc, argv);
	exit();
}
