// sys_env_set_trapframe must not hand out privilege: a child given a frame
// that asks for kernel segments and I/O privilege runs in user mode without
// it (and traps on its first I/O instruction); a frame whose rip is a
// kernel address is refused; a child may not set its parent's registers;
// a frame pointer into the kernel ends the caller.
#include <inc/lib.h>
#include <inc/x86.h>

namespace {

[[noreturn]] void
child_main()
{
	uint16_t cs;
	asm volatile("mov %%cs, %0" : "=r"(cs));
	cprintf("testsettf: the child runs with cs %#x, IOPL %lu, interrupts %s\n", cs,
		(read_rflags() & FL_IOPL_MASK) >> 12, (read_rflags() & FL_IF) ? "on" : "off");
	outb(0x1F6, 0xE0);	// must trap: no I/O privilege
	cprintf("testsettf: the child did I/O --- bug\n");
	exit();
}

// Where the parent would go if its child could set its registers.
[[noreturn]] void
hijacked()
{
	cprintf("testsettf: the parent runs where its child sent it --- bug\n");
	exit();
}

} // namespace

void
umain(int, char **)
{
	envid_t child = fork();
	if (child < 0)
		panic("fork: %s", error_string(child));
	if (child == 0) {
		// Only an environment's parent (or itself) may set its registers.
		Trapframe tf;
		memset(&tf, 0, sizeof(tf));
		tf.tf_rip = reinterpret_cast<uint64_t>(hijacked);
		tf.tf_rsp = USTACKTOP - 64;
		int r = sys_env_set_trapframe(thisenv->env_parent_id, &tf);
		cprintf("testsettf: a child setting its parent's registers: %s\n",
			r < 0 ? error_string(r) : "accepted");
		// Stop here; the parent gives us new registers.
		sys_env_set_status(0, ENV_NOT_RUNNABLE);
		panic("the child ran on from where it stopped");
	}
	while (envs[ENVX(child)].env_status != ENV_NOT_RUNNABLE)
		sys_yield();

	Trapframe tf;
	memset(&tf, 0, sizeof(tf));
	tf.tf_rip = reinterpret_cast<uint64_t>(child_main);
	tf.tf_rsp = USTACKTOP - 64;	// the child's copy of our stack page
	tf.tf_cs = GD_KT;		// kernel code: refused
	tf.tf_ss = GD_KD;
	tf.tf_rflags = FL_IOPL_3 | FL_NT;	// I/O privilege, a nested task: refused
	int r = sys_env_set_trapframe(child, &tf);
	cprintf("testsettf: a frame asking for privilege: %s\n", r < 0 ? error_string(r) : "accepted");

	Trapframe bad = tf;
	bad.tf_rip = KERNBASE + 0x100000;
	r = sys_env_set_trapframe(child, &bad);
	cprintf("testsettf: a frame with a kernel rip: %s\n", r < 0 ? error_string(r) : "accepted");

	if ((r = sys_env_set_status(child, ENV_RUNNABLE)) < 0)
		panic("sys_env_set_status: %s", error_string(r));
	wait(child);

	cprintf("testsettf: a frame pointer into the kernel:\n");
	sys_env_set_trapframe(0, reinterpret_cast<const Trapframe *>(KERNBASE + 0x100000));
	cprintf("testsettf: still running --- bug\n");
}
