// Called from entry.S: finds this environment, runs umain, exits.

#include <inc/lib.h>

const volatile Env *thisenv;
const char *binaryname = "<unknown>";

extern "C" void
libmain(int argc, char **argv)
{
	// LAB 3 EXERCISE libmain BEGIN
	// thisenv: this environment's Env, in the read-only envs[] window at
	// UENVS. Its index is ENVX of its id (sys_getenvid).
	//> panic("libmain: thisenv is not set (LAB 3 exercise libmain)");
	thisenv = &envs[ENVX(sys_getenvid())];
	// LAB 3 EXERCISE libmain END
	if (argc > 0)
		binaryname = argv[0];
	umain(argc, argv);
	exit();
}
