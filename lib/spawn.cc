// spawn (JOS lab 5): starts a program from the file system in a new
// environment. Unlike Unix's fork+exec, the parent builds the child's whole
// address space from outside (the kernel knows nothing of files), then sets
// its registers with sys_env_set_trapframe and makes it runnable.

#include <inc/elf.h>
#include <inc/lib.h>

namespace {

// Where the parent builds a page before mapping it into the child.
char *const kTemp = reinterpret_cast<char *>(UTEMP);

// Builds the child's stack: one page with the argument strings at the top,
// then the argv array (argv[argc] null), then the stack pointer below it,
// 16-byte aligned as the x86-64 ABI wants at _start; and one more page
// below it, so that the child has a page of stack however much of the top
// one its arguments take. lib/entry.S passes argc and argv to libmain in
// RDI and RSI, which spawn sets. Stores the child's rsp and argv address.
// -E_ARGS_TOO_BIG if the arguments do not fit in the top page.
int
init_stack(envid_t child, const char **argv, uint64_t *rsp_store, uint64_t *argv_store,
	   int *argc_store)
{
	size_t argc = 0, string_size = 0;
	for (; argv[argc] != nullptr; argc++) {
		string_size += strlen(argv[argc]) + 1;
		if (string_size > PGSIZE)
			return -E_ARGS_TOO_BIG;
	}
	// The strings, the argv array and the alignment must fit the page.
	if (string_size + 8 * (argc + 1) + 8 + 16 > PGSIZE)
		return -E_ARGS_TOO_BIG;

	// Addresses in kTemp's page; the child sees them at USTACKTOP - PGSIZE.
	char *string_store = kTemp + PGSIZE - string_size;
	auto *argv_store_tmp = reinterpret_cast<uint64_t *>(
		ROUNDDOWN(reinterpret_cast<uintptr_t>(string_store), 8) - 8 * (argc + 1));
	uintptr_t sp = ROUNDDOWN(reinterpret_cast<uintptr_t>(argv_store_tmp), 16);

	auto child_va = [](const void *tmp) {
		return reinterpret_cast<uintptr_t>(tmp) - UTEMP + (USTACKTOP - PGSIZE);
	};
	int r;
	if ((r = sys_page_alloc(child, reinterpret_cast<void *>(USTACKTOP - 2 * PGSIZE),
				PTE_P | PTE_U | PTE_W | PTE_NX)) < 0)
		return r;
	if ((r = sys_page_alloc(0, kTemp, PTE_P | PTE_U | PTE_W | PTE_NX)) < 0)
		return r;
	for (size_t i = 0; i < argc; i++) {
		argv_store_tmp[i] = child_va(string_store);
		strcpy(string_store, argv[i]);
		string_store += strlen(argv[i]) + 1;
	}
	argv_store_tmp[argc] = 0;

	*rsp_store = child_va(reinterpret_cast<void *>(sp));
	*argv_store = child_va(argv_store_tmp);
	*argc_store = static_cast<int>(argc);
	if ((r = sys_page_map(0, kTemp, child, reinterpret_cast<void *>(USTACKTOP - PGSIZE),
			      PTE_P | PTE_U | PTE_W | PTE_NX)) < 0)
		goto error;
	if ((r = sys_page_unmap(0, kTemp)) < 0)
		goto error;
	return 0;

error:
	sys_page_unmap(0, kTemp);
	return r;
}

// Maps the segment [va, va+memsz) into the child: the first filesz bytes
// from the file at fileoffset, the rest zero.
int
map_segment(envid_t child, uintptr_t va, size_t memsz, int fd, size_t filesz,
	    off_t fileoffset, uint64_t perm)
{
	int r;
	size_t off = PGOFF(va);
	if (off != 0) {
		va -= off;
		memsz += off;
		filesz += off;
		fileoffset -= static_cast<off_t>(off);
	}
	for (size_t i = 0; i < memsz; i += PGSIZE) {
		auto *dst = reinterpret_cast<void *>(va + i);
		if (i >= filesz) {
			if ((r = sys_page_alloc(child, dst, perm)) < 0)
				return r;
			continue;
		}
		if ((r = sys_page_alloc(0, kTemp, PTE_P | PTE_U | PTE_W | PTE_NX)) < 0)
			return r;
		// The page's first bytes come before the segment when it does not
		// start on a page (off): they stay zero.
		size_t skip = i == 0 ? off : 0;
		size_t n = MIN<size_t>(PGSIZE, filesz - i) - skip;
		if ((r = seek(fd, fileoffset + static_cast<off_t>(i + skip))) < 0)
			return r;
		ssize_t got = readn(fd, kTemp + skip, n);
		if (got < 0)
			return static_cast<int>(got);
		if (static_cast<size_t>(got) != n)
			return -E_NOT_EXEC;	// the file ends inside the segment
		if ((r = sys_page_map(0, kTemp, child, dst, perm)) < 0)
			return r;
		sys_page_unmap(0, kTemp);
	}
	return 0;
}

// Maps every PTE_SHARE page of this environment into the child at the same
// address, with the same permissions, in address order (lib/pipe.cc relies
// on data pages reaching the child before their Fd pages).
int
copy_shared_pages(envid_t child)
{
	// LAB 5 EXERCISE pte_share BEGIN
	// Walk the page table through the UVPT windows, as fork does (check
	// each PML4E, PDPTE and PDE before reading below it), and for each
	// present page below UTOP whose PTE has PTE_SHARE, sys_page_map it
	// into the child with the PTE's permissions (pte & (PTE_SYSCALL |
	// PTE_NX)). Return the first error.
	//> cprintf_once("spawn: PTE_SHARE pages do not reach the child yet: it starts with no file descriptors (LAB 5 exercise pte_share)\n");
	//> (void)child;
	//> return 0;
	for (uintptr_t l4 = 0; l4 < PML4X(UTOP); l4++) {
		if (!(uvpml4[l4] & PTE_P))
			continue;
		for (uintptr_t l3 = l4 << 9; l3 < (l4 + 1) << 9; l3++) {
			if (!(uvpdp[l3] & PTE_P))
				continue;
			for (uintptr_t l2 = l3 << 9; l2 < (l3 + 1) << 9; l2++) {
				if (!(uvpd[l2] & PTE_P))
					continue;
				for (uintptr_t pn = l2 << 9; pn < (l2 + 1) << 9; pn++) {
					pte_t pte = uvpt[pn];
					if (!(pte & PTE_P) || !(pte & PTE_SHARE))
						continue;
					auto *va = reinterpret_cast<void *>(pn << PGSHIFT);
					int r = sys_page_map(0, va, child, va,
							     pte & (PTE_SYSCALL | PTE_NX));
					if (r < 0)
						return r;
				}
			}
		}
	}
	return 0;
	// LAB 5 EXERCISE pte_share END
}

// Checks the ELF header and program headers of the file open at fd;
// fills eh and phs (at most kMaxSegments loadable ones, *nph of them).
constexpr int kMaxSegments = 16;

int
read_elf(int fd, const char *path, Elf64_Ehdr *eh, Elf64_Phdr *phs, int *nph)
{
	ssize_t n = readn(fd, eh, sizeof(*eh));
	if (n < 0)
		return static_cast<int>(n);
	if (n != sizeof(*eh) || eh->e_magic != ELF_MAGIC || eh->e_class != 2 || eh->e_data != 1 ||
	    eh->e_type != ET_EXEC || eh->e_machine != EM_X86_64 ||
	    eh->e_phentsize != sizeof(Elf64_Phdr)) {
		cprintf("spawn: %s is not an x86-64 ELF executable\n", path);
		return -E_NOT_EXEC;
	}
	*nph = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;
		if (seek(fd, static_cast<off_t>(eh->e_phoff + i * sizeof(ph))) < 0 ||
		    readn(fd, &ph, sizeof(ph)) != sizeof(ph)) {
			cprintf("spawn: %s: program header %d is past the end of the file\n", path, i);
			return -E_NOT_EXEC;
		}
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		uint64_t end = ph.p_vaddr + ph.p_memsz;
		if (ph.p_filesz > ph.p_memsz || ph.p_vaddr < UTEXT || end < ph.p_vaddr ||
		    end > USTACKTOP - PGSIZE || ph.p_offset > static_cast<uint64_t>(MAXFILESIZE)) {
			cprintf("spawn: %s: segment %d [%#lx, +%#lx) is not a user segment\n", path, i,
				ph.p_vaddr, ph.p_memsz);
			return -E_NOT_EXEC;
		}
		// Pages are mapped whole: two segments may not share one.
		for (int j = 0; j < *nph; j++)
			if (ROUNDDOWN(ph.p_vaddr, PGSIZE) < ROUNDUP(phs[j].p_vaddr + phs[j].p_memsz, PGSIZE) &&
			    ROUNDDOWN(phs[j].p_vaddr, PGSIZE) < ROUNDUP(end, PGSIZE)) {
				cprintf("spawn: %s: segment %d shares a page with another\n", path, i);
				return -E_NOT_EXEC;
			}
		if (*nph == kMaxSegments) {
			cprintf("spawn: %s: more than %d segments\n", path, kMaxSegments);
			return -E_NOT_EXEC;
		}
		phs[(*nph)++] = ph;
	}
	return 0;
}

} // namespace

envid_t
spawn(const char *path, const char **argv)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return fd;
	Elf64_Ehdr eh;
	Elf64_Phdr phs[kMaxSegments];
	int nph, r;
	if ((r = read_elf(fd, path, &eh, phs, &nph)) < 0) {
		close(fd);
		return r;
	}

	envid_t child = sys_exofork();
	if (child < 0) {
		close(fd);
		return child;
	}
	if (child == 0)
		panic("spawn: the child must not run before its registers are set");

	Trapframe tf;
	memset(&tf, 0, sizeof(tf));
	tf.tf_rip = eh.e_entry;
	int argc = 0;
	uint64_t argv_va = 0;
	if ((r = init_stack(child, argv, &tf.tf_rsp, &argv_va, &argc)) < 0)
		goto error;
	tf.tf_regs.reg_rdi = static_cast<uint64_t>(argc);
	tf.tf_regs.reg_rsi = argv_va;

	for (int i = 0; i < nph; i++) {
		const Elf64_Phdr &ph = phs[i];
		uint64_t perm = PTE_P | PTE_U | ((ph.p_flags & PF_W) ? PTE_W : 0) |
				((ph.p_flags & PF_X) ? 0 : PTE_NX);
		if ((r = map_segment(child, ph.p_vaddr, ph.p_memsz, fd, ph.p_filesz,
				     static_cast<off_t>(ph.p_offset), perm)) < 0)
			goto error;
	}
	close(fd);
	fd = -1;

	if ((r = copy_shared_pages(child)) < 0) {
		cprintf("spawn: %s: copy_shared_pages: %s\n", path, error_string(r));
		goto error;
	}
	if ((r = sys_env_set_trapframe(child, &tf)) < 0) {
		cprintf("spawn: %s: sys_env_set_trapframe: %s\n", path, error_string(r));
		goto error;
	}
	if ((r = sys_env_set_status(child, ENV_RUNNABLE)) < 0) {
		cprintf("spawn: %s: sys_env_set_status: %s\n", path, error_string(r));
		goto error;
	}
	return child;

error:
	sys_env_destroy(child);
	if (fd >= 0)
		close(fd);
	return r;
}

envid_t
spawnl(const char *path, const char *arg0, ...)
{
	// Counts the arguments, then copies them into an array on the stack.
	int argc = 0;
	va_list vl;
	va_start(vl, arg0);
	while (va_arg(vl, const char *) != nullptr)
		argc++;
	va_end(vl);

	const char *argv[argc + 2];
	argv[0] = arg0;
	va_start(vl, arg0);
	for (int i = 1; i <= argc; i++)
		argv[i] = va_arg(vl, const char *);
	va_end(vl);
	argv[argc + 1] = nullptr;
	return spawn(path, argv);
}
