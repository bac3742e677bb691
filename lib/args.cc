// JOS's argument scanner. The caller's argc and argv are changed as flags
// are taken out of them, so that what is left are the program name and the
// operands:
//
//	Argstate args;
//	argstart(&argc, argv, &args);
//	while ((c = argnext(&args)) >= 0)
//		switch (c) { case 'x': ... }

#include <inc/lib.h>

void
argstart(int *argc, char **argv, Argstate *args)
{
	args->argc = argc;
	args->argv = const_cast<const char **>(argv);
	args->curarg = (*argc > 1 && argv) ? "" : nullptr;
	args->argvalue = nullptr;
}

// Removes argv[1] from the argument list.
static void
shift_out(Argstate *args)
{
	for (int i = 1; i < *args->argc; i++)
		args->argv[i] = args->argv[i + 1];
	(*args->argc)--;
}

int
argnext(Argstate *args)
{
	args->argvalue = nullptr;
	if (args->curarg == nullptr)
		return -1;
	if (!*args->curarg) {
		// The next word: a flag word ("-x..."), "--" (the end of the
		// flags, removed) or the first operand.
		if (*args->argc == 1 || args->argv[1][0] != '-' || args->argv[1][1] == '\0')
			goto endofargs;
		args->curarg = args->argv[1] + 1;
		shift_out(args);
		if (strcmp(args->curarg, "-") == 0)
			goto endofargs;
	}
	return static_cast<unsigned char>(*args->curarg++);

endofargs:
	args->curarg = nullptr;
	return -1;
}

const char *
argvalue(Argstate *args)
{
	if (args->curarg == nullptr)
		return nullptr;
	if (*args->curarg) {
		// The rest of this word: -cvalue.
		args->argvalue = args->curarg;
		args->curarg = "";
	} else if (*args->argc > 1) {
		// The next word: -c value.
		args->argvalue = args->argv[1];
		shift_out(args);
	} else {
		args->argvalue = nullptr;
	}
	return args->argvalue;
}
