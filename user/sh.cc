// The shell (JOS lab 5): reads command lines from its standard input and
// runs each in a forked child, which spawns the program from the file
// system. A line is words (the program and its arguments), with
//	< file	standard input from file
//	> file	standard output to file (created, or truncated)
//	a | b	a's standard output into b's standard input
// Programs are found in the root directory: "ls" runs /ls.
//
//	sh [-x] [-i] [-d] [file]
// -x prints each command (as "# line") before running it; -i prompts even
// if standard input is not the console; -d prints what the shell does.
#include <inc/lib.h>

namespace {

constexpr int kMaxArgs = 16;
int debug;

// Tokens: runcmd takes them one at a time from the line, which it changes
// in place (each word gets its terminating null).
constexpr char kWhitespace[] = " \t\r\n";
constexpr char kSymbols[] = "<|>&;()";

bool
is_in(char c, const char *set)
{
	return c != '\0' && strchr(set, c) != nullptr;
}

struct Lexer {
	char *next;		// where the next token starts
	int pending = 0;	// a symbol that ended the last word

	// The next token: 0 at the end of the line, a symbol character, or
	// 'w' for a word (in *word, null-terminated).
	int get(char **word)
	{
		if (pending) {
			int t = pending;
			pending = 0;
			return t;
		}
		while (is_in(*next, kWhitespace))
			*next++ = '\0';
		if (*next == '\0')
			return 0;
		if (is_in(*next, kSymbols)) {
			int t = *next;
			*next++ = '\0';
			return t;
		}
		*word = next;
		while (*next != '\0' && !is_in(*next, kWhitespace) && !is_in(*next, kSymbols))
			next++;
		// The word ends here: a symbol right after it ("lorem|num") is
		// remembered before its place becomes the word's null.
		if (is_in(*next, kSymbols))
			pending = *next;
		if (*next != '\0')
			*next++ = '\0';
		return 'w';
	}
};

// Makes fd standard descriptor `to` (dup, then close the original).
void
move_fd(int fd, int to)
{
	if (fd != to) {
		dup(fd, to);
		close(fd);
	}
}

// Runs one command line in this (forked) environment; exits when done.
[[noreturn]] void
runcmd(char *line)
{
	const char *argv[kMaxArgs + 1];
	char *t = nullptr;
	static char argv0buf[MAXPATHLEN];
	int argc = 0, fd, r, p[2];
	envid_t pipe_child = 0;
	Lexer lex{line};

	for (;;) {
		int c = lex.get(&t);
		switch (c) {
		case 'w':
			if (argc == kMaxArgs) {
				cprintf("too many arguments\n");
				exit();
			}
			argv[argc++] = t;
			continue;

		case '<':
			if (lex.get(&t) != 'w') {
				cprintf("syntax error: < not followed by word\n");
				exit();
			}
			// LAB 5 EXERCISE redirect_in BEGIN
			// Open t for reading as descriptor 0, standard input. open
			// takes the lowest free descriptor, so open it, then, if it
			// did not land on 0, make it 0 (dup) and close the other
			// (move_fd does both). A file that cannot be opened:
			// "open <file> for read: <error>", then exit.
			//> cprintf("sh: input redirection is not implemented (LAB 5 exercise redirect_in)\n");
			//> exit();
			if ((fd = open(t, O_RDONLY)) < 0) {
				cprintf("open %s for read: %s\n", t, error_string(fd));
				exit();
			}
			move_fd(fd, 0);
			// LAB 5 EXERCISE redirect_in END
			continue;

		case '>':
			if (lex.get(&t) != 'w') {
				cprintf("syntax error: > not followed by word\n");
				exit();
			}
			if ((fd = open(t, O_WRONLY | O_CREAT | O_TRUNC)) < 0) {
				cprintf("open %s for write: %s\n", t, error_string(fd));
				exit();
			}
			move_fd(fd, 1);
			continue;

		case '|':
			if ((r = pipe(p)) < 0) {
				cprintf("pipe: %s\n", error_string(r));
				exit();
			}
			if (debug)
				cprintf("PIPE: %d %d\n", p[0], p[1]);
			if ((r = fork()) < 0) {
				cprintf("fork: %s\n", error_string(r));
				exit();
			}
			if (r == 0) {
				// The right-hand side: a new command, reading the pipe.
				move_fd(p[0], 0);
				close(p[1]);
				argc = 0;
				continue;
			}
			// The left-hand side runs what we have, writing the pipe.
			pipe_child = r;
			move_fd(p[1], 1);
			close(p[0]);
			break;

		case 0:
			break;

		default:
			cprintf("syntax error: %c is not supported\n", c);
			exit();
		}
		break;
	}

	if (argc == 0) {
		if (debug)
			cprintf("EMPTY COMMAND\n");
		exit();
	}
	// Every program lives in the root directory.
	if (argv[0][0] != '/') {
		snprintf(argv0buf, sizeof(argv0buf), "/%s", argv[0]);
		argv[0] = argv0buf;
	}
	argv[argc] = nullptr;
	if (debug) {
		cprintf("[%08x] SPAWN:", thisenv->env_id);
		for (int i = 0; argv[i]; i++)
			cprintf(" %s", argv[i]);
		cprintf("\n");
	}

	if ((r = spawn(argv[0], argv)) < 0)
		cprintf("spawn %s: %s\n", argv[0], error_string(r));
	// Our copies of the descriptors go, so that the spawned program holds
	// the only ones (a pipe reader sees end of file when its writer ends).
	close_all();
	if (r >= 0) {
		if (debug)
			cprintf("[%08x] WAIT %s %08x\n", thisenv->env_id, argv[0], r);
		wait(r);
	}
	if (pipe_child) {
		if (debug)
			cprintf("[%08x] WAIT pipe_child %08x\n", thisenv->env_id, pipe_child);
		wait(pipe_child);
	}
	exit();
}

void
usage()
{
	cprintf("usage: sh [-dix] [command-file]\n");
	exit();
}

} // namespace

void
umain(int argc, char **argv)
{
	int r, interactive = -1;
	bool echocmds = false;
	Argstate args;

	argstart(&argc, argv, &args);
	while ((r = argnext(&args)) >= 0)
		switch (r) {
		case 'd':
			debug++;
			break;
		case 'i':
			interactive = 1;
			break;
		case 'x':
			echocmds = true;
			break;
		default:
			usage();
		}
	if (argc > 2)
		usage();
	if (argc == 2) {
		close(0);
		if ((r = open(argv[1], O_RDONLY)) < 0)
			panic("open %s: %s", argv[1], error_string(r));
		assert(r == 0);
	}
	if (interactive == -1)
		interactive = iscons(0);

	for (;;) {
		char *buf = readline(interactive ? "$ " : nullptr);
		if (buf == nullptr) {
			if (debug)
				cprintf("EXITING\n");
			exit();		// end of input
		}
		if (debug)
			cprintf("LINE: %s\n", buf);
		if (buf[0] == '#')
			continue;
		if (echocmds)
			printf("# %s\n", buf);
		if ((r = fork()) < 0)
			panic("fork: %s", error_string(r));
		if (r == 0)
			runcmd(buf);
		wait(r);
	}
}
