#!/usr/bin/python3
"""Typical wrong solutions of the lab exercises (mutants), and the graders
that catch them.

A stub proves that an exercise left undone loses its points. A student's
wrong answer is rarely a stub: it is the almost-right solution. Each mutant
here is one such mistake, the kind the handouts' questions and JOS's lab
notes warn about, written as a change to the solution inside the
exercise's region (`find` is replaced by `replace`; `find` must occur
exactly once in the exercise's regions of `file`).

grade/test_mutants.py applies each mutant to a scratch copy of the
student tree, builds it, and runs the graders it names in `caught_by`:
each must fail. This file run as a program (`grade/mutants.py LAB`) runs,
for every mutant of the lab, every grader marked with its exercise, and
prints which fail: for choosing a mutant's caught_by. labs/mkdocs.py
writes labs/instructors.md's table of them.
"""

import dataclasses
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclasses.dataclass(frozen=True)
class Mutant:
    exercise: str
    name: str           # unique within its exercise
    file: str
    find: str
    replace: str
    mistake: str        # what the student got wrong, in a phrase
    caught_by: tuple    # graders of the exercise's lab that fail: function names, or
                        # one case of a parametrized one ("test_x[4]")

    @property
    def id(self):
        return "%s/%s" % (self.exercise, self.name)


def M(exercise, name, file, find, replace, mistake, *caught_by):
    return Mutant(exercise, name, file, find, replace, mistake, tuple(caught_by))


MUTANTS = [
    # ---------------------------------------------------------------- lab 1
    M("printf_octal", "no_width", "lib/printfmt.cc",
      'print_number(putch, putdat, num, 8, width, padc, altflag && num != 0 ? "0" : "",',
      'print_number(putch, putdat, num, 8, -1, \' \', altflag && num != 0 ? "0" : "",',
      "ignores the field width and its padding", "test_printf"),
    M("printf_octal", "no_alt", "lib/printfmt.cc",
      'altflag && num != 0 ? "0" : ""', '""',
      "ignores '#' (no 0 before a nonzero number)", "test_printf"),
    M("printf_octal", "signed", "lib/printfmt.cc",
      "uint64_t num = getuint(&aq, lflag);\n\t\t\tprint_number(putch, putdat, num, 8,",
      "uint64_t num = static_cast<uint32_t>(getuint(&aq, lflag));\n"
      "\t\t\tprint_number(putch, putdat, num, 8,",
      "reads every argument as 32 bits (%lo of a long loses its high bits)", "test_printf"),
    M("backtrace", "no_first_frame", "kern/kdebug.cc",
      "\tfor (int depth = 0; rbp != 0 && depth < 4096; depth++) {",
      "\tif (rbp != 0)\n\t\trbp = reinterpret_cast<const uint64_t *>(rbp)[0];\n"
      "\tfor (int depth = 0; rbp != 0 && depth < 4096; depth++) {",
      "starts one frame too far out (skips mon_backtrace's)",
      "test_backtrace_count", "test_backtrace_arguments"),
    M("backtrace", "rip_for_rbp", "kern/kdebug.cc",
      "\t\tuint64_t ret = frame[1];", "\t\tuint64_t ret = frame[0];",
      "reads the saved rbp as the return address (rbp + 0, not rbp + 8)",
      "test_backtrace_count"),
    M("backtrace", "args_of_caller", "kern/kdebug.cc",
      "\t\tprint_args(here, owner);", "\t\tprint_args(here, info);",
      "prints each frame's arguments with the caller's function (one frame off)",
      "test_backtrace_arguments"),
    M("debuginfo_line", "next_row", "kern/kdebug.cc",
      "\tif (lo < klines_end && lo->addr <= rip && fn != nullptr && lo->addr >= fn->addr) {",
      "\tif (lo + 1 < klines_end)\n\t\tlo++;\n"
      "\tif (lo < klines_end && fn != nullptr && lo->addr >= fn->addr) {",
      "takes the table's next row (the line after the call)", "test_backtrace_lines"),
    M("debuginfo_line", "prev_row", "kern/kdebug.cc",
      "\tif (lo < klines_end && lo->addr <= rip && fn != nullptr && lo->addr >= fn->addr) {",
      "\tif (lo > klines)\n\t\tlo--;\n"
      "\tif (lo < klines_end && fn != nullptr && lo->addr >= fn->addr) {",
      "takes the row before the one that covers rip", "test_backtrace_lines"),
    M("debuginfo_line", "no_file", "kern/kdebug.cc",
      "\t\tinfo->file = kfiles[lo->file];\n", "",
      "fills in the line but not the file", "test_backtrace_symbols"),
    # ---------------------------------------------------------------- lab 2
    M("boot_alloc", "bytes_not_pages", "kern/pmap.cc",
      "size_t size = ROUNDUP(n, PGSIZE);", "size_t size = n;",
      "takes n bytes, not whole pages (the next allocation starts inside the page the "
      "last one ends in, and page_init frees that page)", "test_page_tables_under_grub"),
    M("boot_alloc", "span_not_moved", "kern/pmap.cc",
      "\t\t\ts.base += size;\n", "",
      "leaves the span's base where it was (every allocation gets the same memory, and "
      "page_init frees it)", "test_check_page_alloc"),
    M("boot_alloc", "first_mib", "kern/pmap.cc",
      "\t\tif (boot_room(s) >= size) {", "\t\tif (s.end - s.base >= size) {",
      "measures a span's room itself, from its base: the first span, in the first MiB "
      "(the BIOS's data, lab 4's trampoline page), gets the kernel's PML4",
      "test_check_page_alloc"),
    # mem_init_pages is two lines, an allocation and its zeroing: a zeroing
    # left out or cut short changes nothing (page_init sets every
    # PageInfo), which leaves the array's size, got wrong two ways.
    M("mem_init_pages", "no_sizeof", "kern/pmap.cc",
      "boot_alloc(npages * sizeof(PageInfo))", "boot_alloc(npages)",
      "allocates npages bytes, not npages PageInfos", "test_check_page_alloc"),
    M("mem_init_pages", "sizeof_pointer", "kern/pmap.cc",
      "boot_alloc(npages * sizeof(PageInfo))", "boot_alloc(npages * sizeof(PageInfo *))",
      "allocates npages pointers, half the array", "test_check_page_alloc"),
    M("page_init", "span_end_free", "kern/pmap.cc",
      "\t\tfor (; i < PGNUM(free_spans[k].end); i++) {",
      "\t\tfor (; i <= PGNUM(free_spans[k].end); i++) {",
      "frees one page past each span's end (off by one)", "test_check_page_alloc"),
    M("page_init", "kept_unreferenced", "kern/pmap.cc",
      "\t\t\tpages[i] = PageInfo{nullptr, 1};\t// kept: in use",
      "\t\t\tpages[i] = PageInfo{nullptr, 0};\t// kept: in use",
      "keeps pages out of the free list with pp_ref 0, as if free (page_free would take "
      "the kernel's own)", "test_check_page_alloc"),
    M("page_init", "no_base_memory", "kern/pmap.cc",
      "\tfor (int k = 0; k < nfree_spans; k++) {\n",
      "\tfor (int k = 0; k < nfree_spans; k++) {\n"
      "\t\tif (free_spans[k].end <= EXTPHYSMEM)\n\t\t\tcontinue;\n",
      "keeps all of the first MiB (no free base memory)", "test_check_page_alloc"),
    M("page_alloc", "link_kept", "kern/pmap.cc",
      "\tpp->pp_link = nullptr;\n", "",
      "leaves the page's pp_link set (page_free then takes it for a free page)",
      "test_check_page_alloc"),
    M("page_alloc", "counts_reference", "kern/pmap.cc",
      "\tpp->pp_link = nullptr;\n", "\tpp->pp_link = nullptr;\n\tpp->pp_ref = 1;\n",
      "counts a reference itself (the caller counts its own: one too many)",
      "test_check_page_alloc"),
    M("page_alloc", "zeroes_pageinfo", "kern/pmap.cc",
      "\t\tmemset(page2kva(pp), 0, PGSIZE);", "\t\tmemset(pp, 0, sizeof(*pp));",
      "zeroes the PageInfo, not the page", "test_check_page_alloc"),
    M("page_free", "list_lost", "kern/pmap.cc",
      "\tpp->pp_link = page_free_list;\n", "",
      "does not link the page to the rest of the list (the list is then that page)",
      "test_check_page_alloc"),
    M("page_free", "no_double_free_panic", "kern/pmap.cc",
      "\tif (pp->pp_link != nullptr)\n", "\tif (false)\n",
      "does not panic on a page already free (a cycle in the free list)",
      "test_page_free_panics_on_a_page_freed_twice"),
    M("page_free", "no_reference_panic", "kern/pmap.cc",
      "\tif (pp->pp_ref != 0)\n", "\tif (false)\n",
      "does not panic on a page still referenced (it goes on being used, and handed out)",
      "test_page_free_panics_on_a_page_still_referenced"),
    M("pgdir_walk", "tables_not_user", "kern/pmap.cc",
      "*e = page2pa(pp) | PTE_P | PTE_W | PTE_U;", "*e = page2pa(pp) | PTE_P | PTE_W;",
      "makes its tables without PTE_U (no user page below them is reachable)",
      "test_check_page"),
    M("pgdir_walk", "one_level_too_far", "kern/pmap.cc",
      "\tfor (int l = 4; l > level; l--) {", "\tfor (int l = 4; l >= level; l--) {",
      "goes one level too far (returns an entry of the page, not of its table)",
      "test_check_page"),
    M("pgdir_walk", "physical_pointer", "kern/pmap.cc",
      "\t\ttable = static_cast<pte_t *>(KADDR(PTE_ADDR(*e)));",
      "\t\ttable = reinterpret_cast<pte_t *>(PTE_ADDR(*e));",
      "uses a table's physical address as a pointer (no KADDR)",
      "test_check_page_installed_pgdir"),
    M("boot_map_region", "not_present", "kern/pmap.cc",
      "\t\t\t*pte = pa | perm | PTE_P;", "\t\t\t*pte = pa | perm;",
      "leaves out PTE_P on 4 KiB pages", "test_check_kern_pgdir"),
    M("boot_map_region", "page_short", "kern/pmap.cc",
      "\twhile (size > 0) {", "\twhile (size > PGSIZE) {",
      "maps one page too few (off by one at the end)", "test_check_kern_pgdir"),
    M("boot_map_region", "huge_in_page_table", "kern/pmap.cc",
      "\t\t\tpte_t *pde = walk(pgdir, va, 2, true);",
      "\t\t\tpte_t *pde = walk(pgdir, va, 1, true);",
      "writes a 2 MiB page's entry one level too low, in a page table (where it maps "
      "4 KiB)", "test_check_kern_pgdir"),
    M("page_lookup", "not_present", "kern/pmap.cc",
      "\tif (pte == nullptr || !(*pte & PTE_P))\n", "\tif (pte == nullptr)\n",
      "returns a page for an entry that is not present (page 0)", "test_check_page"),
    M("page_lookup", "creates_tables", "kern/pmap.cc",
      "\tpte_t *pte = pgdir_walk(pgdir, va, 0);", "\tpte_t *pte = pgdir_walk(pgdir, va, 1);",
      "walks with create: looking up makes page tables", "test_check_page"),
    M("page_lookup", "flags_in_address", "kern/pmap.cc",
      "\treturn pa2page(PTE_ADDR(*pte));", "\treturn pa2page(*pte);",
      "takes the page from the whole entry, flags and all (PTE_NX, bit 63, is no part "
      "of an address)", "test_check_page"),
    M("page_lookup", "huge_first_page", "kern/pmap.cc",
      "\tif (*pte & PTE_PS)\n\t\treturn pa2page((PTE_ADDR(*pte) & ~(PTSIZE - 1)) + "
      "(va & (PTSIZE - 1) & ~(PGSIZE - 1UL)));\n", "",
      "returns a 2 MiB page's first 4 KiB page, whatever va is in it",
      "test_check_kern_pgdir"),
    M("page_remove", "no_tlb_invalidate", "kern/pmap.cc",
      "\t*pte = 0;\n\ttlb_invalidate(pgdir, va);\n", "\t*pte = 0;\n",
      "clears the entry but leaves the translation in the TLB",
      "test_check_page_installed_pgdir"),
    M("page_remove", "never_freed", "kern/pmap.cc",
      "\tpage_decref(pp);", "\tpp->pp_ref--;",
      "drops the reference but never frees the page at zero", "test_check_page"),
    M("page_remove", "entry_kept", "kern/pmap.cc",
      "\t*pte = 0;\n\ttlb_invalidate(pgdir, va);\n", "\ttlb_invalidate(pgdir, va);\n",
      "drops the reference but leaves the entry mapped", "test_check_page"),
    M("page_insert", "remove_first", "kern/pmap.cc",
      "\tpp->pp_ref++;\n\tpte_t old = *pte;\n",
      "\tpage_remove(pgdir, va);\n\tpp->pp_ref++;\n\tpte_t old = *pte;\n",
      "removes what va maps before counting the new reference: re-inserting the page "
      "already there frees it on the way (JOS's corner case)", "test_check_page"),
    M("page_insert", "no_tlb_invalidate", "kern/pmap.cc",
      "\t\ttlb_invalidate(pgdir, va);\n\t\tpage_decref(pa2page(PTE_ADDR(old)));",
      "\t\tpage_decref(pa2page(PTE_ADDR(old)));",
      "replaces a present entry without invalidating the TLB",
      "test_check_page_installed_pgdir"),
    M("page_insert", "not_counted", "kern/pmap.cc",
      "\tpp->pp_ref++;\n\tpte_t old = *pte;\n", "\tpte_t old = *pte;\n",
      "does not count the new reference", "test_check_page"),
    M("kernel_mappings", "upages_writable", "kern/pmap.cc",
      "PADDR(pages), PTE_U | PTE_NX);", "PADDR(pages), PTE_U | PTE_W | PTE_NX);",
      "maps the pages array at UPAGES writable by users", "test_check_kern_pgdir"),
    M("kernel_mappings", "guard_mapped", "kern/pmap.cc",
      "\tmap_fresh_pages(kstack_bottom(0), KSTKSIZE);",
      "\tmap_fresh_pages(kstack_bottom(0) - KSTKGAP, KSTKSIZE + KSTKGAP);",
      "backs the kernel stack's guard gap too", "test_check_kern_pgdir"),
    M("kernel_mappings", "direct_map_executable", "kern/pmap.cc",
      "PTE_W | PTE_NX | PTE_PS);", "PTE_W | PTE_PS);",
      "leaves out PTE_NX on the direct map (all of RAM executable)",
      "test_check_kern_pgdir"),
    # ---------------------------------------------------------------- lab 3
    M("mem_init_envs", "no_sizeof", "kern/pmap.cc",
      "boot_alloc(NENV * sizeof(Env))", "boot_alloc(NENV)",
      "allocates NENV bytes, not NENV Envs", "test_hello"),
    M("mem_init_envs", "uenvs_writable", "kern/pmap.cc",
      "PADDR(envs), PTE_U | PTE_NX);", "PADDR(envs), PTE_U | PTE_W | PTE_NX);",
      "maps envs at UENVS writable by users", "test_hello"),
    M("mem_init_envs", "uenvs_one_page", "kern/pmap.cc",
      "boot_map_region(kern_pgdir, UENVS, ROUNDUP(NENV * sizeof(Env), PGSIZE),",
      "boot_map_region(kern_pgdir, UENVS, PGSIZE,",
      "maps one page of envs at UENVS, not the whole array", "test_hello"),
    M("env_init", "reverse_order", "kern/env.cc",
      "\tfor (int i = NENV - 1; i >= 0; i--) {", "\tfor (int i = 0; i < NENV; i++) {",
      "links the list backwards (the first env_alloc hands out envs[NENV-1])",
      "test_hello"),
    M("env_init", "envs0_left_out", "kern/env.cc",
      "\tfor (int i = NENV - 1; i >= 0; i--) {", "\tfor (int i = NENV - 1; i > 0; i--) {",
      "leaves envs[0] out of the list (off by one)", "test_hello"),
    M("env_init", "local_list", "kern/env.cc",
      "\tenv_free_list = nullptr;\n\tfor (int i", "\tEnv *env_free_list = nullptr;\n\tfor (int i",
      "builds the list in a local variable that hides env_free_list", "test_hello"),
    M("env_setup_vm", "kernel_half_only", "kern/env.cc",
      "for (uint64_t i = PML4X(UTOP); i < NPTENTRIES; i++)",
      "for (uint64_t i = PML4X(ULIM); i < NPTENTRIES; i++)",
      "copies the kernel's half but not the read-only windows UENVS and UPAGES",
      "test_hello"),
    M("env_setup_vm", "uvpt_writable", "kern/env.cc",
      "e->env_pgdir[PML4X(UVPT)] = PADDR(e->env_pgdir) | PTE_P | PTE_U |",
      "e->env_pgdir[PML4X(UVPT)] = PADDR(e->env_pgdir) | PTE_P | PTE_U | PTE_W |",
      "makes UVPT writable: user code could write its own page tables",
      "test_segments_get_their_permissions_and_share_a_page"),
    M("env_setup_vm", "uvpt_of_kernel", "kern/env.cc",
      "\te->env_pgdir[PML4X(UVPT)] = PADDR(e->env_pgdir) | PTE_P | PTE_U | "
      "(kern_pgdir[PML4X(UVPT)] & PTE_NX);\n", "",
      "leaves UVPT as kern_pgdir's slot, a window onto the kernel's tables, not the "
      "environment's", "test_segments_get_their_permissions_and_share_a_page"),
    M("region_alloc", "no_rounding", "kern/env.cc",
      "for (uintptr_t p = ROUNDDOWN(va, PGSIZE); p < ROUNDUP(va + len, PGSIZE); p += PGSIZE) {",
      "for (uintptr_t p = va; p < va + len; p += PGSIZE) {",
      "steps from va to va + len without rounding to whole pages (the last page is "
      "left out)", "test_region_alloc_rounds_to_whole_pages"),
    M("region_alloc", "rounds_len", "kern/env.cc",
      "p < ROUNDUP(va + len, PGSIZE); p += PGSIZE) {",
      "p < ROUNDDOWN(va, PGSIZE) + ROUNDUP(len, PGSIZE); p += PGSIZE) {",
      "rounds the length up, not the range's end", "test_region_alloc_rounds_to_whole_pages"),
    M("region_alloc", "shared_page_replaced", "kern/env.cc",
      "\t\tif (pp != nullptr) {\n", "\t\tif (false) {\n",
      "maps a new page over one a segment before it shares (its bytes are lost)",
      "test_segments_get_their_permissions_and_share_a_page"),
    M("region_alloc", "shared_page_as_it_was", "kern/env.cc",
      "\t\t\tif (perm & PTE_W)\n\t\t\t\t*pte |= PTE_W;\n", "",
      "keeps a page a segment before it shares as that segment mapped it (not writable)",
      "test_segments_get_their_permissions_and_share_a_page"),
    M("load_icode", "memsz_ignored", "kern/env.cc",
      "region_alloc(e, s.va, s.memsz, perm)", "region_alloc(e, s.va, s.filesz, perm)",
      "maps filesz bytes of each segment, not memsz (no room for the bss)", "test_testbss"),
    M("load_icode", "offset_ignored", "kern/env.cc",
      "copy_to_env(e, s.va, binary + s.offset, s.filesz);",
      "copy_to_env(e, s.va, binary, s.filesz);",
      "copies each segment from the file's start, not from its p_offset", "test_hello"),
    M("load_icode", "copies_memsz", "kern/env.cc",
      "copy_to_env(e, s.va, binary + s.offset, s.filesz);",
      "copy_to_env(e, s.va, binary + s.offset, s.memsz);",
      "copies memsz bytes from the file (what follows the segment there fills the bss)",
      "test_testbss"),
    M("load_icode", "all_writable", "kern/env.cc",
      "uint64_t perm = ((s.flags & PF_W) ? PTE_W : 0) | ((s.flags & PF_X) ? 0 : PTE_NX);",
      "uint64_t perm = PTE_W | ((s.flags & PF_X) ? 0 : PTE_NX);",
      "maps every segment writable, the text too",
      "test_segments_get_their_permissions_and_share_a_page"),
    M("env_create", "load_result_inverted", "kern/env.cc",
      "\tif (!load_icode(e, p->name, p->image, p->size)) {",
      "\tif (load_icode(e, p->name, p->image, p->size)) {",
      "takes load_icode's true for an error (as if it returned 0 on success)", "test_hello"),
    M("env_create", "sizeof_image", "kern/env.cc",
      "load_icode(e, p->name, p->image, p->size)",
      "load_icode(e, p->name, p->image, sizeof(p->image))",
      "passes the size of the image's pointer, not of the image", "test_hello"),
    M("env_create", "parent_is_curenv", "kern/env.cc",
      "\tint r = env_alloc(&e, 0);", "\tint r = env_alloc(&e, curenv->env_id);",
      "makes curenv the parent (there is none at boot: a null pointer)", "test_hello"),
    M("env_run", "pgdir_not_loaded", "kern/env.cc",
      "\tload_pgdir(e->env_pgdir);\n", "",
      "does not load the environment's page tables", "test_hello"),
    M("env_run", "cr3_virtual", "kern/env.cc",
      "\tload_pgdir(e->env_pgdir);\n", "\tlcr3(reinterpret_cast<uint64_t>(e->env_pgdir));\n",
      "loads CR3 with the PML4's kernel virtual address, not its physical one",
      "test_hello"),
    M("env_run", "curenv_not_set", "kern/env.cc",
      "\tcurenv = e;\n\te->env_status = ENV_RUNNING;", "\te->env_status = ENV_RUNNING;",
      "does not make e curenv", "test_hello"),
    M("trap_init", "breakpoint_dpl0", "kern/trap.cc",
      "idt[T_BRKPT] = make_gate(base + T_BRKPT * kStubSize, STS_IG64, 3, 0);",
      "idt[T_BRKPT] = make_gate(base + T_BRKPT * kStubSize, STS_IG64, 0, 0);",
      "leaves the breakpoint gate at DPL 0 (int3 from user mode: a protection fault)",
      "test_breakpoint"),
    M("trap_init", "syscall_trap_gate", "kern/trap.cc",
      "idt[T_SYSCALL] = make_gate(base + T_SYSCALL * kStubSize, STS_IG64, 3, 0);",
      "idt[T_SYSCALL] = make_gate(base + T_SYSCALL * kStubSize, STS_TG64, 3, 0);",
      "makes the system call gate a trap gate (the kernel runs with interrupts on)",
      "test_hello"),
    M("trap_init", "page_fault_dpl3", "kern/trap.cc",
      "\tidt[T_SYSCALL] = make_gate(base + T_SYSCALL * kStubSize, STS_IG64, 3, 0);\n",
      "\tidt[T_SYSCALL] = make_gate(base + T_SYSCALL * kStubSize, STS_IG64, 3, 0);\n"
      "\tidt[T_PGFLT] = make_gate(base + T_PGFLT * kStubSize, STS_IG64, 3, 0);\n",
      "lets user code raise page faults (int $14 through a DPL-3 gate)", "test_softint"),
    M("trap_dispatch", "page_fault_not_dispatched", "kern/trap.cc",
      "\tcase T_PGFLT:\n\t\tpage_fault_handler(tf);\n\t\treturn;\n", "",
      "leaves page faults to the default (no page_fault_handler)", "test_faultread"),
    M("trap_dispatch", "breakpoint_destroys", "kern/trap.cc",
      "\t\tif (kargs.monitor) {\n", "\t\tif (false) {\n",
      "destroys the environment at a breakpoint, monitor or not", "test_breakpoint"),
    M("trap_dispatch", "syscall_result_dropped", "kern/trap.cc",
      "\tcase T_SYSCALL:\n\t\tdispatch_syscall(tf);\n",
      "\tcase T_SYSCALL:\n\t\tsyscall(tf->tf_regs.reg_rax, tf->tf_regs.reg_rdx, "
      "tf->tf_regs.reg_rcx,\n\t\t\ttf->tf_regs.reg_rbx, tf->tf_regs.reg_rdi, "
      "tf->tf_regs.reg_rsi);\n",
      "calls syscall() but drops its result (RAX keeps the call's number)", "test_hello"),
    M("syscall_dispatch", "cputs_arguments_swapped", "kern/syscall.cc",
      "return sys_cputs(reinterpret_cast<const char *>(a1), a2);",
      "return sys_cputs(reinterpret_cast<const char *>(a2), a1);",
      "passes sys_cputs its arguments the wrong way round", "test_hello"),
    M("syscall_dispatch", "arguments_from_a2", "kern/syscall.cc",
      "return sys_cputs(reinterpret_cast<const char *>(a1), a2);",
      "return sys_cputs(reinterpret_cast<const char *>(a2), a3);",
      "takes a call's arguments from a2 on, as if a1 held the number", "test_hello"),
    M("syscall_dispatch", "env_destroy_missing", "kern/syscall.cc",
      "\tcase SYS_env_destroy:\n\t\treturn sys_env_destroy(static_cast<envid_t>(a1));\n", "",
      "leaves out env_destroy (exit returns -E_INVAL)", "test_hello"),
    # libmain's region is one line, and lab 3 runs one environment, in
    # envs[0]: a thisenv that is always &envs[0], or that scales the index
    # by sizeof(Env) twice, is right for it. Lab 4's graders, which run
    # many, catch those.
    M("libmain", "id_as_index", "lib/libmain.cc",
      "thisenv = &envs[ENVX(sys_getenvid())];", "thisenv = &envs[sys_getenvid()];",
      "indexes envs with the whole id, generation and all (past the array)", "test_hello"),
    M("libmain", "generation_as_index", "lib/libmain.cc",
      "thisenv = &envs[ENVX(sys_getenvid())];", "thisenv = &envs[sys_getenvid() >> 12];",
      "takes the id's generation for its index", "test_hello"),
    M("user_mem_check", "first_page_only", "kern/pmap.cc",
      "\tfor (uintptr_t p = ROUNDDOWN(start, PGSIZE); p < end; p += PGSIZE) {",
      "\tfor (uintptr_t p = ROUNDDOWN(start, PGSIZE); p <= start; p += PGSIZE) {",
      "checks only the page va is on, not the rest of the range", "test_buggyhello2"),
    M("user_mem_check", "reports_page", "kern/pmap.cc",
      "\t\t\tuser_mem_check_addr = MAX(p, start);", "\t\t\tuser_mem_check_addr = p;",
      "reports the failing page's start, not va, when va is on it", "test_buggyhello"),
    M("user_mem_check", "reports_va", "kern/pmap.cc",
      "\t\t\tuser_mem_check_addr = MAX(p, start);", "\t\t\tuser_mem_check_addr = start;",
      "reports va, not the first address that fails", "test_buggyhello2"),
    # ---------------------------------------------------------------- lab 4
    M("mpentry_page", "not_reserved", "kern/pmap.cc",
      "\tspans_remove(MPENTRY_PADDR, MPENTRY_PADDR + PGSIZE);\n", "",
      "leaves the AP trampoline's page in the free list", "test_hello"),
    M("mpentry_page", "empty_range", "kern/pmap.cc",
      "spans_remove(MPENTRY_PADDR, MPENTRY_PADDR + PGSIZE);",
      "spans_remove(MPENTRY_PADDR, MPENTRY_PADDR);",
      "reserves an empty range at MPENTRY_PADDR (the size forgotten)", "test_hello"),
    M("mpentry_page", "next_page", "kern/pmap.cc",
      "spans_remove(MPENTRY_PADDR, MPENTRY_PADDR + PGSIZE);",
      "spans_remove(MPENTRY_PADDR + PGSIZE, MPENTRY_PADDR + 2 * PGSIZE);",
      "reserves the page after the trampoline's", "test_hello"),
    M("mem_init_mp", "one_more", "kern/pmap.cc",
      "\tfor (int i = 1; i < ncpu; i++) {\n\t\tmap_fresh_pages(kstack_bottom(i), KSTKSIZE);",
      "\tfor (int i = 1; i <= ncpu; i++) {\n\t\tmap_fresh_pages(kstack_bottom(i), KSTKSIZE);",
      "maps a stack for one CPU too many", "test_hello"),
    M("mem_init_mp", "no_ist", "kern/pmap.cc",
      "\t\tfor (int k = 1; k <= NIST; k++)\n\t\t\tmap_fresh_pages(ist_top(i, k) - ISTSIZE, ISTSIZE);\n",
      "", "forgets the APs' interrupt stacks (double fault, NMI)", "test_every_cpu_starts_serially[2]"),
    M("mem_init_mp", "stack_in_gap", "kern/pmap.cc",
      "map_fresh_pages(kstack_bottom(i), KSTKSIZE);",
      "map_fresh_pages(kstack_bottom(i) - KSTKGAP, KSTKSIZE);",
      "maps each stack a guard gap too low (its top page unmapped)", "test_every_cpu_starts_serially[2]"),
    M("trap_init_percpu", "cpu0_stack", "kern/trap.cc",
      "c->cpu_ts.ts_rsp[0] = kstack_top(id);", "c->cpu_ts.ts_rsp[0] = kstack_top(0);",
      "gives every CPU's TSS CPU 0's kernel stack", "test_nine_environments_share_four_cpus"),
    M("trap_init_percpu", "stack_bottom", "kern/trap.cc",
      "c->cpu_ts.ts_rsp[0] = kstack_top(id);", "c->cpu_ts.ts_rsp[0] = kstack_bottom(id);",
      "points rsp0 at the wrong end of the stack", "test_hello"),
    M("trap_init_percpu", "no_df_stack", "kern/trap.cc",
      "\tc->cpu_ts.ts_ist[IST_DF - 1] = ist_top(id, IST_DF);\n", "",
      "leaves the double-fault IST stack out of the TSS", "test_kernel_stack_overflow_is_reported[0]"),
    M("boot_aps", "cpu0_stack", "kern/smpboot.cc",
      "mpentry_kstack = kstack_top(c - cpus);", "mpentry_kstack = kstack_top(0);",
      "starts every AP on CPU 0's stack", "test_every_cpu_starts_serially[2]"),
    M("boot_aps", "next_stack", "kern/smpboot.cc",
      "mpentry_kstack = kstack_top(c - cpus);", "mpentry_kstack = kstack_top(c - cpus + 1);",
      "starts each AP on the next CPU's stack (off by one)", "test_every_cpu_starts_serially[2]"),
    # (Starting the next AP without waiting for this one is a mistake too,
    # but two APs on one stack crash only as their timing falls: no grader
    # can catch it every time, on a busy host or an idle one.)
    M("boot_aps", "not_counted", "kern/smpboot.cc",
      "\t\tstats->started++;\n", "",
      "does not count the CPUs that started", "test_every_cpu_starts_serially[2]"),
    M("x2apic", "byte_offset", "kern/lapic.cc",
      "return static_cast<uint32_t>(rdmsr(MSR_X2APIC_BASE + reg / 16));",
      "return static_cast<uint32_t>(rdmsr(MSR_X2APIC_BASE + reg));",
      "reads x2APIC registers at MSR 0x800 + the MMIO offset (not offset / 16)", "test_x2apic_simulated_serial_bringup_with_32_bit_apic_ids"),
    M("x2apic", "xapic_destination", "kern/lapic.cc",
      "wrmsr(MSR_X2APIC_ICR, static_cast<uint64_t>(apic_id) << 32 | icr_low);",
      "wrmsr(MSR_X2APIC_ICR, static_cast<uint64_t>(apic_id) << 24 | icr_low);",
      "puts the IPI's destination where xAPIC's ICR has it (bits 24-31 of the high half)", "test_x2apic_simulated_serial_bringup_with_32_bit_apic_ids"),
    M("x2apic", "never_enabled", "kern/apicbase.h",
      "\t\tif (!(base & APIC_BASE_EXTD))\n\t\t\twrites[n++] = base | APIC_BASE_EXTD;\n", "",
      "never sets EXTD: the APIC stays in xAPIC mode while the kernel uses MSRs", "test_x2apic_simulated_serial_bringup_with_32_bit_apic_ids"),
    M("kernel_lock", "not_on_trap", "kern/trap.cc",
      "\t\tlock_kernel();\n", "",
      "does not take the big kernel lock on a trap from user mode", "test_hello"),
    M("kernel_lock", "not_in_mp_main", "kern/smpboot.cc",
      "\tlock_kernel();\n", "",
      "an AP schedules without the big kernel lock", "test_yield[2]"),
    M("kernel_lock", "not_before_boot_aps", "kern/init.cc",
      "\tlock_kernel();\n", "",
      "the boot CPU starts the APs without holding the big kernel lock", "test_hello"),
    M("sched_yield", "from_zero", "kern/sched.cc",
      "int start = curenv ? ENVX(curenv->env_id) + 1 : 0;", "int start = 0;",
      "always searches from the first environment (not round robin)", "test_yield[1]"),
    # (Picking an environment that runs on another CPU is a mistake too,
    # but env_run's panic shows it only when two CPUs are in user mode at
    # once, which a busy host may never bring about.)
    M("sched_yield", "curenv_first", "kern/sched.cc",
      "\tint start = curenv ? ENVX(curenv->env_id) + 1 : 0;\n",
      "\tif (curenv && curenv->env_status == ENV_RUNNING && curenv->env_cpunum == cpunum())\n"
      "\t\tenv_run(curenv);\n"
      "\tint start = curenv ? ENVX(curenv->env_id) + 1 : 0;\n",
      "resumes the environment that yielded before looking for another", "test_yield[1]"),
    M("sched_yield", "no_wrap", "kern/sched.cc",
      "\t\tEnv *e = &envs[(start + n) % NENV];\n",
      "\t\tif (start + n >= NENV)\n\t\t\tbreak;\n\t\tEnv *e = &envs[start + n];\n",
      "searches from curenv to the end of envs[] and never wraps around", "test_yield[1]"),
    M("syscalls", "exofork_rax", "kern/syscall.cc",
      "\te->env_tf.tf_regs.reg_rax = 0;\n\treturn e->env_id;", "\treturn e->env_id;",
      "sys_exofork's child does not see 0", "test_dumbfork"),
    M("syscalls", "map_write_to_readonly", "kern/syscall.cc",
      "if (pp == nullptr || ((perm & PTE_W) && !(*pte & PTE_W)))\n\t\treturn -E_INVAL;\n"
      "\treturn page_insert(dst->env_pgdir, pp, dstva, perm);",
      "if (pp == nullptr)\n\t\treturn -E_INVAL;\n"
      "\treturn page_insert(dst->env_pgdir, pp, dstva, perm);",
      "sys_page_map maps a read-only page writable", "test_system_calls_refuse_what_the_rules_forbid"),
    M("syscalls", "alloc_any_va", "kern/syscall.cc",
      "\tif (bad_user_page(va) || bad_perm(perm))\n\t\treturn -E_INVAL;\n"
      "\tPageInfo *pp = page_alloc(ALLOC_ZERO);",
      "\tif (bad_perm(perm))\n\t\treturn -E_INVAL;\n\tPageInfo *pp = page_alloc(ALLOC_ZERO);",
      "sys_page_alloc maps at any address, above UTOP or unaligned", "test_system_calls_refuse_what_the_rules_forbid"),
    M("syscalls", "status_any", "kern/syscall.cc",
      "\tif (status != ENV_RUNNABLE && status != ENV_NOT_RUNNABLE)\n\t\treturn -E_INVAL;\n", "",
      "sys_env_set_status takes any status", "test_system_calls_refuse_what_the_rules_forbid"),
    # Two for the timer: a third, preempting on every tick, is slower but
    # not wrong (every program still finishes), and no grader may fail it.
    M("timer", "never", "kern/trap.cc",
      "\t\tif (sched_slice_over())\n\t\t\tsched_yield();\n\t\treturn;",
      "\t\treturn;",
      "never preempts (the slice is never over)", "test_spin"),
    M("timer", "inverted", "kern/trap.cc",
      "\t\tif (sched_slice_over())\n", "\t\tif (!sched_slice_over())\n",
      "preempts on early ticks and never on the one that ends the slice", "test_spin"),
    M("ipc", "no_recving_check", "kern/syscall.cc",
      "\tif (!e->env_ipc_recving || e->env_status != ENV_NOT_RUNNABLE)\n"
      "\t\treturn -E_IPC_NOT_RECV;\n", "",
      "sends to an environment that is not receiving", "test_primes"),
    M("ipc", "page_at_srcva", "kern/syscall.cc",
      "page_insert(e->env_pgdir, pp, e->env_ipc_dstva, perm)",
      "page_insert(e->env_pgdir, pp, srcva, perm)",
      "maps the page at the sender's address, not where the receiver asked", "test_sendpage"),
    # (ipc_send trying once is a mistake too, but it fails only where the
    # receiver happens not to be waiting yet: not on every run.)
    M("ipc", "from_inverted", "lib/ipc.cc",
      "*from_env_store = r < 0 ? 0 : thisenv->env_ipc_from;",
      "*from_env_store = r < 0 ? thisenv->env_ipc_from : 0;",
      "ipc_recv stores the sender only on an error (the test inverted)", "test_pingpong"),
    M("pgfault_upcall", "not_set", "kern/syscall.cc",
      "\te->env_pgfault_upcall = func;\n", "\t(void)func;\n",
      "sys_env_set_pgfault_upcall does not record the upcall", "test_faultalloc"),
    M("pgfault_upcall", "self_only", "kern/syscall.cc",
      "return sys_env_set_pgfault_upcall(static_cast<envid_t>(a1), a2);",
      "return sys_env_set_pgfault_upcall(0, a2);",
      "sets the caller's upcall whatever envid says (fork's child gets none)", "test_forktree"),
    M("pgfault_upcall", "any_env", "kern/syscall.cc",
      "int r = envid2env(envid, &e, true);\n\tif (r < 0)\n\t\treturn r;\n"
      "\te->env_pgfault_upcall = func;",
      "int r = envid2env(envid, &e, false);\n\tif (r < 0)\n\t\treturn r;\n"
      "\te->env_pgfault_upcall = func;",
      "lets any environment set another's upcall (no permission check)", "test_system_calls_refuse_what_the_rules_forbid"),
    M("page_fault_handler", "not_nested", "kern/trap.cc",
      "\t\tif (tf->tf_rsp >= UXSTACKTOP - PGSIZE && tf->tf_rsp < UXSTACKTOP)\n"
      "\t\t\ttop = tf->tf_rsp - sizeof(uint64_t);\n", "",
      "a fault in the handler overwrites the frame of the fault it handles", "test_faultalloc"),
    M("page_fault_handler", "no_empty_word", "kern/trap.cc",
      "top = tf->tf_rsp - sizeof(uint64_t);", "top = tf->tf_rsp;",
      "leaves no empty word below a nested frame", "test_faultalloc"),
    M("page_fault_handler", "no_stack_check", "kern/trap.cc",
      "\t\tuser_mem_assert(curenv, utf, sizeof(*utf), PTE_W);\n", "",
      "writes the frame without checking the exception stack is there", "test_faultnostack"),
    M("pfentry", "no_room_for_rip", "lib/pfentry.S",
      "\tsubq\t$8, %rbx\n", "",
      "writes the return address over the trap-time stack's top word", "test_faultregs"),
    M("pfentry", "rax_rbx_swapped", "lib/pfentry.S",
      "\tpopq\t%rbx\n\tpopq\t%rax\n", "\tpopq\t%rax\n\tpopq\t%rbx\n",
      "restores rax and rbx from each other's slots", "test_faultregs"),
    M("pfentry", "flags_not_restored", "lib/pfentry.S",
      "\tpopfq\n", "\taddq\t$8, %rsp\n",
      "does not restore the flags", "test_faultregs"),
    M("set_pgfault_handler", "stack_read_only", "lib/pgfault.cc",
      "PTE_P | PTE_U | PTE_W | PTE_NX);", "PTE_P | PTE_U | PTE_NX);",
      "maps the exception stack read-only", "test_faultalloc"),
    M("set_pgfault_handler", "stack_a_page_high", "lib/pgfault.cc",
      "reinterpret_cast<void *>(UXSTACKTOP - PGSIZE)", "reinterpret_cast<void *>(UXSTACKTOP)",
      "maps the exception stack a page too high", "test_faultalloc"),
    M("set_pgfault_handler", "no_upcall", "lib/pgfault.cc",
      "\t\tif ((r = sys_env_set_pgfault_upcall(0, _pgfault_upcall)) < 0)\n"
      "\t\t\tpanic(\"set_pgfault_handler: sys_env_set_pgfault_upcall: %s\", error_string(r));\n",
      "", "never tells the kernel where the upcall is", "test_faultalloc"),
    M("fork", "cow_read_only", "lib/fork.cc",
      "\tif (pte & (PTE_W | PTE_COW)) {", "\tif (true) {",
      "maps read-only pages copy-on-write too", "test_fork_keeps_read_only_pages_read_only"),
    M("fork", "parent_not_cow", "lib/fork.cc",
      "\t\tif ((r = sys_page_map(0, va, envid, va, perm)) < 0 ||\n"
      "\t\t    (r = sys_page_map(0, va, 0, va, perm)) < 0)",
      "\t\tif ((r = sys_page_map(0, va, envid, va, perm)) < 0)",
      "marks the child's mapping copy-on-write but not the parent's", "test_forktree"),
    M("fork", "shares_exception_stack", "lib/fork.cc",
      "if ((uvpt[pn] & PTE_P) && (pn << PGSHIFT) != kXstack)", "if (uvpt[pn] & PTE_P)",
      "duppages the exception stack too (copy-on-write, where the kernel must write)",
      "test_forktree"),
    M("fork", "no_child_exception_stack", "lib/fork.cc",
      "\tif ((r = sys_page_alloc(envid, reinterpret_cast<void *>(kXstack),\n"
      "\t\t\t\tPTE_P | PTE_U | PTE_W | PTE_NX)) < 0)\n"
      "\t\tpanic(\"fork: allocating the child's exception stack: %s\", error_string(r));\n",
      "", "gives the child no exception stack of its own", "test_forktree"),
    # ---------------------------------------------------------------- lab 5
    M("alloc_block", "not_marked", "fs/fs.cc",
      "\t\t\t\tbitmap[w] &= ~(1U << (b % 32));\n", "",
      "hands out a free block without marking it in use (the next call hands it out again)",
      "test_alloc_block"),
    M("alloc_block", "not_flushed", "fs/fs.cc",
      "\t\t\t\tflush_block(&bitmap[w]);\n", "",
      "marks the block in use in the cache only: the bitmap on the disk still calls it free",
      "test_alloc_block"),
    M("alloc_block", "zero_when_full", "fs/fs.cc",
      "\treturn -E_NO_DISK;", "\treturn 0;",
      "returns block 0 for \"no free block\" (a full disk hands out the boot block)",
      "test_full_disk_returns_e_no_disk_and_passes_fsck"),
    M("bc_pgfault", "dirty_kept", "fs/bc.cc",
      "\tif ((r = ide_read(blockno * BLKSECTS, page, BLKSECTS)) < 0 ||\n"
      "\t    (r = sys_page_map(0, page, 0, page,\n"
      "\t\t\t      vpte(reinterpret_cast<uintptr_t>(page)) & (PTE_SYSCALL | PTE_NX))) < 0) {",
      "\tif ((r = ide_read(blockno * BLKSECTS, page, BLKSECTS)) < 0) {",
      "does not remap the page after reading the block into it: the block looks dirty "
      "(and is written back unchanged)", "test_check_bc"),
    M("bc_pgfault", "sector_not_block", "fs/bc.cc",
      "ide_read(blockno * BLKSECTS, page, BLKSECTS)", "ide_read(blockno, page, BLKSECTS)",
      "reads from sector blockno, not from block blockno's first sector", "test_check_bc"),
    M("bc_pgfault", "one_sector", "fs/bc.cc",
      "ide_read(blockno * BLKSECTS, page, BLKSECTS)", "ide_read(blockno * BLKSECTS, page, 1)",
      "reads one sector of the block, not BLKSECTS (a block's first 512 bytes come in)",
      "test_file_open"),
    M("bc_pgfault", "no_eviction", "fs/bc.cc",
      "\tif ((r = bc_alloc_page(page)) < 0)",
      "\tif ((r = sys_page_alloc(0, page, PTE_P | PTE_U | PTE_W | PTE_NX)) < 0)",
      "takes a page with sys_page_alloc, as JOS did: out of memory, no clean block is evicted "
      "to make room", "test_out_of_memory_the_cache_evicts_and_the_server_says_so"),
    M("flush_block", "dirty_kept", "fs/bc.cc",
      "\tif ((r = sys_page_map(0, page, 0, page,\n"
      "\t\t\t      vpte(reinterpret_cast<uintptr_t>(page)) & (PTE_SYSCALL | PTE_NX))) < 0)\n"
      "\t\tpanic(\"flush_block: block %u: sys_page_map: %s\", blockno, error_string(r));\n",
      "", "writes the block but never clears its dirty bit", "test_check_bc"),
    M("flush_block", "sector_not_block", "fs/bc.cc",
      "ide_write(blockno * BLKSECTS, page, BLKSECTS)", "ide_write(blockno, page, BLKSECTS)",
      "writes to sector blockno, not to block blockno's first sector", "test_check_bc"),
    M("flush_block", "from_addr", "fs/bc.cc",
      "ide_write(blockno * BLKSECTS, page, BLKSECTS)",
      "ide_write(blockno * BLKSECTS, addr, BLKSECTS)",
      "writes from addr, not from the block's start (an address inside the block shifts "
      "what reaches the disk)", "test_check_bc"),
    M("flush_block", "one_sector", "fs/bc.cc",
      "ide_write(blockno * BLKSECTS, page, BLKSECTS)", "ide_write(blockno * BLKSECTS, page, 1)",
      "writes one sector of the block, not BLKSECTS (the rest never reaches the disk)",
      "test_disk_passes_fsck_after_testfile_wrote_to_it"),
    M("file_block_walk", "direct_off_by_one", "fs/fs.cc",
      "\tif (filebno < NDIRECT) {", "\tif (filebno <= NDIRECT) {",
      "takes block NDIRECT for a direct one (f_direct[NDIRECT] is f_indirect: off by one)",
      "test_large_file"),
    M("file_block_walk", "indirect_index", "fs/fs.cc",
      "+ (filebno - NDIRECT);", "+ filebno;",
      "indexes the indirect block with filebno, not filebno - NDIRECT", "test_large_file"),
    M("file_block_walk", "indirect_not_recorded", "fs/fs.cc",
      "\t\tf->f_indirect = b;\n", "",
      "allocates an indirect block but does not record it in the file", "test_large_file"),
    M("file_block_walk", "indirect_not_zeroed", "fs/fs.cc",
      "\t\tif ((r = block_zero(b, &blk)) < 0) {\n\t\t\tfree_block(b);\n\t\t\treturn r;\n\t\t}\n",
      "\t\tif ((r = bc_load(b)) < 0) {\n\t\t\tfree_block(b);\n\t\t\treturn r;\n\t\t}\n"
      "\t\t(void)blk;\n",
      "does not zero a new indirect block (a freed block's old data reads as block numbers)",
      "test_truncation_clears_what_it_cuts"),
    M("file_get_block", "not_zeroed", "fs/fs.cc",
      "\t\tif ((r = block_zero(b, blk)) < 0) {\n\t\t\tfree_block(b);\n\t\t\treturn r;\n\t\t}\n",
      "\t\tif ((r = bc_load(b)) < 0) {\n\t\t\tfree_block(b);\n\t\t\treturn r;\n\t\t}\n"
      "\t\t*blk = static_cast<char *>(diskaddr(b));\n",
      "does not zero a new block (it holds a freed block's old data, another file's)",
      "test_a_file_removed_while_open_keeps_its_data_and_reaches_no_other_file"),
    M("file_get_block", "not_recorded", "fs/fs.cc",
      "\t\t*ptr = b;\n", "",
      "allocates a block but does not record it in the file's slot",
      "test_file_flush_file_truncate_file_rewrite"),
    M("file_get_block", "walk_without_alloc", "fs/fs.cc",
      "file_block_walk(f, filebno, &ptr, true)", "file_block_walk(f, filebno, &ptr, false)",
      "walks without alloc (no file ever gets an indirect block)", "test_large_file"),
    M("file_get_block", "always_new", "fs/fs.cc",
      "\tif (*ptr == 0) {", "\tif (true) {",
      "gives the slot a new block even where the file has one", "test_file_get_block"),
    M("serve_read", "offset_ignored", "fs/serv.cc",
      "file_read(file_of(o), ipc->readRet.ret_buf, n, offset)",
      "file_read(file_of(o), ipc->readRet.ret_buf, n, 0)",
      "reads from the file's start, not from its offset", "test_large_file"),
    M("serve_read", "offset_not_advanced", "fs/serv.cc",
      "\tif (got > 0)\n\t\to->o_fd->fd_offset = offset + got;\n", "",
      "does not advance the offset", "test_large_file"),
    M("serve_read", "write_only_readable", "fs/serv.cc",
      "\tif ((o->o_mode & O_ACCMODE) == O_WRONLY)\n\t\treturn -E_INVAL;\n", "",
      "reads a file opened write-only",
      "test_only_a_holder_of_an_open_file_can_use_it_in_its_open_mode"),
    M("serve_read", "uncapped", "fs/serv.cc",
      "size_t n = MIN<size_t>(req.req_n, sizeof(ipc->readRet.ret_buf));",
      "size_t n = req.req_n;",
      "reads as much as the request asks for, past the end of the reply's page",
      "test_a_request_for_more_than_a_page_is_served_within_its_page"),
    M("serve_write", "offset_ignored", "fs/serv.cc",
      "file_write(file_of(o), req->req_buf, n, offset)",
      "file_write(file_of(o), req->req_buf, n, 0)",
      "writes at the file's start, not at its offset", "test_large_file"),
    M("serve_write", "offset_not_advanced", "fs/serv.cc",
      "\tif (put > 0)\n\t\to->o_fd->fd_offset = offset + put;\n", "",
      "does not advance the offset", "test_large_file"),
    M("serve_write", "read_only_writable", "fs/serv.cc",
      "\tif ((o->o_mode & O_ACCMODE) == O_RDONLY)\n\t\treturn -E_INVAL;\n", "",
      "writes to a file opened read-only",
      "test_only_a_holder_of_an_open_file_can_use_it_in_its_open_mode"),
    M("serve_write", "uncapped", "fs/serv.cc",
      "size_t n = MIN<size_t>(req->req_n, sizeof(req->req_buf));", "size_t n = req->req_n;",
      "writes as many bytes as the request says, from past the end of its page",
      "test_a_request_for_more_than_a_page_is_served_within_its_page"),
    M("devfile_read", "count_asked", "lib/file.cc",
      "\tmemmove(buf, fsipcbuf.readRet.ret_buf, r);\n\treturn r;",
      "\tmemmove(buf, fsipcbuf.readRet.ret_buf, r);\n\treturn asked;",
      "returns the count it asked for, not the count read", "test_file_read_after_file_write"),
    M("devfile_read", "copies_asked", "lib/file.cc",
      "memmove(buf, fsipcbuf.readRet.ret_buf, r);",
      "memmove(buf, fsipcbuf.readRet.ret_buf, asked);",
      "copies as many bytes as it asked for, not as many as came back",
      "test_file_read_after_file_write"),
    M("devfile_read", "copies_before_error_check", "lib/file.cc",
      "\tint r = fsipc(FSREQ_READ, nullptr);\n\tif (r < 0)\n\t\treturn r;\n",
      "\tint r = fsipc(FSREQ_READ, nullptr);\n\tmemmove(buf, fsipcbuf.readRet.ret_buf, r);\n"
      "\tif (r < 0)\n\t\treturn r;\n",
      "copies the reply before it checks for an error (a negative count, as a size)",
      "test_serve_open_file_stat_file_close"),
    M("devfile_write", "one_request", "lib/file.cc",
      "\t\tdone += r;\n\t\tif (static_cast<size_t>(r) < chunk)\n\t\t\tbreak;\n",
      "\t\tdone += r;\n\t\tbreak;\n",
      "sends one request, however many bytes there are (a write of a block loses its last "
      "16 bytes)", "test_full_disk_returns_e_no_disk_and_passes_fsck"),
    M("devfile_write", "uncapped", "lib/file.cc",
      "size_t chunk = MIN(n - done, sizeof(fsipcbuf.write.req_buf));", "size_t chunk = n - done;",
      "puts the whole buffer in one request, past the end of the request's page",
      "test_full_disk_returns_e_no_disk_and_passes_fsck"),
    M("devfile_write", "first_chunk_again", "lib/file.cc",
      "static_cast<const char *>(buf) + done", "static_cast<const char *>(buf)",
      "sends the buffer's first bytes in every request",
      "test_full_disk_returns_e_no_disk_and_passes_fsck"),
    M("env_set_trapframe", "keeps_iopl", "kern/syscall.cc",
      "tf.tf_rflags = (tf.tf_rflags & kUserFlags) | FL_IF;", "tf.tf_rflags |= FL_IF;",
      "takes rflags as they come, IOPL 3 included", "test_set_trapframe_gives_no_privilege"),
    M("env_set_trapframe", "interrupts_as_given", "kern/syscall.cc",
      "tf.tf_rflags = (tf.tf_rflags & kUserFlags) | FL_IF;", "tf.tf_rflags &= kUserFlags;",
      "does not turn interrupts on (a frame with FL_IF clear runs with them off)",
      "test_set_trapframe_gives_no_privilege"),
    M("env_set_trapframe", "segments_as_given", "kern/syscall.cc",
      "\ttf.tf_cs = GD_UT | 3;\n\ttf.tf_ss = GD_UD | 3;\n", "",
      "takes the code and stack segments from the frame (kernel ones included)",
      "test_set_trapframe_gives_no_privilege"),
    M("env_set_trapframe", "kernel_rip", "kern/syscall.cc",
      "\tif (tf.tf_rip >= ULIM || tf.tf_rsp >= ULIM)\n\t\treturn -E_INVAL;\n", "",
      "takes a rip or rsp in the kernel's half", "test_set_trapframe_gives_no_privilege"),
    M("env_set_trapframe", "any_env", "kern/syscall.cc",
      "\tint r = envid2env(envid, &e, true);\n\tif (r < 0)\n\t\treturn r;\n\tauto *utf",
      "\tint r = envid2env(envid, &e, false);\n\tif (r < 0)\n\t\treturn r;\n\tauto *utf",
      "lets any environment set another's registers (no permission check)",
      "test_set_trapframe_gives_no_privilege"),
    # The iopl region is one statement: its mistakes are giving IOPL 3 to
    # every environment, to the kernel instead of the server, or with an
    # assignment that clears the server's other flags.
    M("iopl", "every_env", "kern/env.cc",
      "\tif (type == ENV_TYPE_FS)\n\t\te->env_tf.tf_rflags |= FL_IOPL_3;",
      "\te->env_tf.tf_rflags |= FL_IOPL_3;",
      "gives every environment IOPL 3 (spawn's children lose it again in "
      "sys_env_set_trapframe; the kernel's own programs keep it)",
      "test_only_the_file_system_server_gets_io_privilege"),
    M("iopl", "kernel_rflags", "kern/env.cc",
      "\t\te->env_tf.tf_rflags |= FL_IOPL_3;", "\t\twrite_rflags(read_rflags() | FL_IOPL_3);",
      "sets IOPL 3 in the kernel's own rflags, not in the server's saved ones", "test_fs_io"),
    M("iopl", "flags_replaced", "kern/env.cc",
      "\t\te->env_tf.tf_rflags |= FL_IOPL_3;", "\t\te->env_tf.tf_rflags = FL_IOPL_3;",
      "assigns IOPL 3 to the server's rflags, clearing FL_IF", "test_fs_io"),
    M("pte_share", "fork_copies", "lib/fork.cc",
      "\tif (uvpt[pn] & PTE_SHARE) {", "\tif (false) {",
      "fork maps PTE_SHARE pages copy-on-write, like the rest", "test_testpteshare"),
    M("pte_share", "fork_falls_through", "lib/fork.cc",
      "\t\t\tpanic(\"duppage: sharing the page at %p: %s\", shared, error_string(r));\n"
      "\t\treturn;\n",
      "\t\t\tpanic(\"duppage: sharing the page at %p: %s\", shared, error_string(r));\n",
      "fork shares a PTE_SHARE page, then goes on to map it copy-on-write over that",
      "test_testpteshare"),
    M("pte_share", "spawn_from_child", "lib/spawn.cc",
      "int r = sys_page_map(0, va, child, va,", "int r = sys_page_map(child, va, 0, va,",
      "spawn maps each PTE_SHARE page from the child into the parent (source and "
      "destination swapped)", "test_testpteshare"),
    M("pte_share", "spawn_copies", "lib/spawn.cc",
      "\t\t\t\t\tint r = sys_page_map(0, va, child, va,\n"
      "\t\t\t\t\t\t\t     pte & (PTE_SYSCALL | PTE_NX));\n",
      "\t\t\t\t\tint r = sys_page_alloc(0, kTemp, PTE_P | PTE_U | PTE_W);\n"
      "\t\t\t\t\tif (r < 0)\n\t\t\t\t\t\treturn r;\n"
      "\t\t\t\t\tmemmove(kTemp, va, PGSIZE);\n"
      "\t\t\t\t\tr = sys_page_map(0, kTemp, child, va, pte & (PTE_SYSCALL | PTE_NX));\n"
      "\t\t\t\t\tsys_page_unmap(0, kTemp);\n",
      "spawn gives the child a copy of each PTE_SHARE page, not the page itself",
      "test_testpteshare"),
    M("pte_share", "spawn_no_pde_check", "lib/spawn.cc",
      "\t\t\t\tif (!(uvpd[l2] & PTE_P))\n\t\t\t\t\tcontinue;\n", "",
      "spawn reads the PTEs below a page directory entry that is not present",
      "test_testpteshare"),
    # A handler called for the other device's IRQ is no mistake: it wakes
    # the waiting program, whose cons_getc polls both devices. Dropping a
    # device's interrupt is, and the typed tests see it once their run
    # stalls (grade/test_lab5.py's STALL, 15 s): these two cost the sweep
    # most of its time.
    M("console_intr", "serial_dropped", "kern/trap.cc",
      "\tif (irq == IRQ_KBD)\n\t\tkbd_intr();\n\telse\n\t\tserial_intr();\n",
      "\tif (irq == IRQ_KBD)\n\t\tkbd_intr();\n",
      "handles the keyboard's interrupt only: what is typed on the serial console never "
      "reaches a waiting program",
      "test_a_program_run_with_its_input_redirected_holds_no_other_descriptor"),
    M("console_intr", "keyboard_dropped", "kern/trap.cc",
      "\tif (irq == IRQ_KBD)\n\t\tkbd_intr();\n\telse\n\t\tserial_intr();\n",
      "\tif (irq == IRQ_SERIAL)\n\t\tserial_intr();\n",
      "handles the serial port's interrupt only: keys pressed never reach a waiting program",
      "test_keyboard_input_reaches_the_shell"),
    M("console_intr", "takes_kernel_lock", "kern/trap.cc",
      "\tif (irq == IRQ_KBD)\n\t\tkbd_intr();\n\telse\n\t\tserial_intr();\n",
      "\tlock_kernel();\n\tif (irq == IRQ_KBD)\n\t\tkbd_intr();\n\telse\n\t\tserial_intr();\n"
      "\tunlock_kernel();\n",
      "takes the big kernel lock around the handler (trap() holds it already, or the CPU "
      "was waiting for it)",
      "test_a_program_run_with_its_input_redirected_holds_no_other_descriptor"),
    M("redirect_in", "swapped", "user/sh.cc",
      "\t\t\tmove_fd(fd, 0);", "\t\t\tmove_fd(0, fd);",
      "moves descriptor 0 to the file's, not the file's to 0 (the fds swapped)",
      "test_testshell"),
    M("redirect_in", "not_moved", "user/sh.cc",
      "\t\t\tmove_fd(fd, 0);", "",
      "opens the file but leaves it where open put it (the input stays the console)",
      "test_testshell"),
    M("redirect_in", "to_stdout", "user/sh.cc",
      "\t\t\tmove_fd(fd, 0);", "\t\t\tmove_fd(fd, 1);",
      "makes the file descriptor 1, as for >", "test_testshell"),
    M("redirect_in", "never_closed", "user/sh.cc",
      "\t\t\tmove_fd(fd, 0);", "\t\t\tdup(fd, 0);",
      "dups the file to 0 but never closes the descriptor open gave it (the program gets "
      "both)", "test_a_program_run_with_its_input_redirected_holds_no_other_descriptor"),
]


def discover(lab, ids=None):
    """Runs every grader of the lab marked with each mutant's exercise (but
    the KVM and slow ones) on the mutant, in a scratch student tree, and
    prints which fail: for choosing a mutant's caught_by."""
    import shutil
    import tempfile
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import mutantrun
    from test_handout import exercise_labs
    ms = [m for m in by_lab(exercise_labs())[lab] if not ids or m.id in ids]
    tmp = tempfile.mkdtemp(prefix="smpjos-mutants-")
    out, output = mutantrun.grade(tmp, lab, [[m.id] for m in ms], discover=True, timeout=3600)
    if out is None:
        sys.exit("mutants: the grading session did not finish:\n" + output[-4000:])
    for m in ms:
        got = out.get(m.id, {})
        failed = sorted(n.split("::")[-1] for n, o in got.items() if o == "failed")
        print("%-40s %s" % (m.id, "BUILD FAILS" if "build" in got else
                            ", ".join(failed) or "NOTHING FAILS (of %d)" % len(got)))
    shutil.rmtree(tmp, ignore_errors=True)


def by_lab(labs):
    """The mutants, grouped by the lab of their exercise."""
    out = {}
    for m in MUTANTS:
        out.setdefault(labs[m.exercise], []).append(m)
    return out


REGION = r"// LAB \d+ EXERCISE %s BEGIN\n(.*?)// LAB \d+ EXERCISE %s END"


def apply(text, m):
    """The file's text with the mutant applied; ValueError if its `find`
    is not in the exercise's regions exactly once."""
    spans = [(r.start(1), r.end(1)) for r in
             re.finditer(REGION % (m.exercise, m.exercise), text, re.S)]
    if not spans:
        raise ValueError("%s: %s has no region of exercise %s" % (m.id, m.file, m.exercise))
    hits = [s + i for s, e in spans for i in _occurrences(text[s:e], m.find)]
    if len(hits) != 1:
        raise ValueError("%s: its text occurs %d times in %s's %s regions, not once:\n%s"
                         % (m.id, len(hits), m.file, m.exercise, m.find))
    return text[:hits[0]] + m.replace + text[hits[0] + len(m.find):]


def apply_to_student_file(solution_text, student_text, m):
    """The student tree's file (the solution's without the region markers
    and stubs, the regions' hints and code kept as they are) with the
    mutant applied: where the student's file has one of the exercise's
    regions, in the one that holds `find`."""
    apply(solution_text, m)
    # Each region's lines but its stub's ("//> ..."), up to the END line's
    # indentation, without the markers of regions inside it.
    regions = [re.sub(r"(?m)^\s*(//>.*|// LAB \d+ EXERCISE \w+ (BEGIN|END))\n", "",
                      r.group(1)[:r.group(1).rfind("\n") + 1])
               for r in re.finditer(REGION % (m.exercise, m.exercise), solution_text, re.S)]
    hits = [(start + i) for body in regions if m.find in body
            for start in _occurrences(student_text, body) for i in _occurrences(body, m.find)]
    if len(hits) != 1:
        raise ValueError("%s: its text occurs %d times in the student tree's %s regions of %s, "
                         "not once" % (m.id, len(hits), m.file, m.exercise))
    return student_text[:hits[0]] + m.replace + student_text[hits[0] + len(m.find):]


def _occurrences(text, part):
    i = text.find(part)
    while i >= 0:
        yield i
        i = text.find(part, i + 1)


if __name__ == "__main__":
    # grade/mutants.py LAB [MUTANT-ID ...]: which graders each mutant fails.
    discover(int(sys.argv[1]), set(sys.argv[2:]))
