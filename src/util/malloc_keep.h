/*
 * malloc_keep: has glibc's malloc keep freed memory for reuse instead of
 * giving it back to the kernel after every burst.
 *
 * By default glibc returns the free top of a heap to the kernel once it
 * passes 128 KiB (M_TRIM_THRESHOLD; raised only when a block it had
 * mapped on its own is freed), and maps each block over 128 KiB on its
 * own (M_MMAP_THRESHOLD).  A daemon that frees its work after each batch
 * (the collector's flush: a segment read back, the day's entries, SQLite's
 * pages) then gets the same memory from the kernel again for the next
 * one: brk() or mmap(), a page fault per 4 KiB page, zeroed pages, and on
 * a VM a TLB shoot-down each time.  bench_collectd_drain measured that at
 * about a tenth of the collector's CPU (bench/README.md).
 */
#ifndef TLSRPT_UTIL_MALLOC_KEEP_H
#define TLSRPT_UTIL_MALLOC_KEEP_H

#include <stddef.h>

/* For this whole process: blocks up to `bytes` come from the heap (not
 * mapped one by one; mallopt(3) M_MMAP_THRESHOLD, which glibc caps at 32
 * MiB, so more is taken as 32 MiB), and up to `bytes` of free memory at a
 * heap's top is kept (M_TRIM_THRESHOLD).  So the process may hold up to
 * that much freed memory per malloc arena (one per thread that allocates,
 * at most 8 per CPU) beyond what it uses.  Call before starting threads.
 * Without glibc's mallopt() it does nothing.  Returns 0, or -1 if malloc
 * refused a value (it then works as before). */
int malloc_keep_freed(size_t bytes);

/* For this whole process: when a heap must grow, it grows by `bytes` more
 * than asked (mallopt(3) M_TOP_PAD; glibc's default is 128 KiB), so a
 * daemon that keeps growing for a while (the collector's day of distinct
 * datagrams) asks the kernel less often.  With transparent huge pages
 * (/sys/kernel/mm/transparent_hugepage/enabled "always", or "madvise" and
 * the environment GLIBC_TUNABLES=glibc.malloc.hugetlb=1, which the
 * systemd unit sets) steps of 2 MiB and more are backed by huge pages:
 * one page fault per 2 MiB instead of one per 4 KiB.  Memory is only
 * reserved: the kernel gives a page when it is first touched.  Without
 * glibc's mallopt() it does nothing.  Returns 0, or -1 if malloc refused
 * the value (it then works as before). */
int malloc_grow_step(size_t bytes);

#endif
