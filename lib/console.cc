// Console I/O for user programs, through system calls.

#include <inc/lib.h>

void
cputchar(int ch)
{
	char c = static_cast<char>(ch);
	sys_cputs(&c, 1);
}

int
getchar()
{
	int c;
	while ((c = sys_cgetc()) == 0)
		sys_yield();
	return c;
}

int
iscons(int)
{
	return 1;
}
