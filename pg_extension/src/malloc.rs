//! Settles glibc's malloc thresholds once, when a backend loads the library.
//!
//! glibc gives the top of the heap back to the kernel whenever more than
//! `M_TRIM_THRESHOLD` is free there, and serves a request of
//! `M_MMAP_THRESHOLD` or more with an mmap of its own; both start at 128 KiB.
//! The first time it frees an mmapped block it raises them by itself, to the
//! block's size and twice that, so a backend that has once sorted or hashed
//! a little data runs with them raised.
//!
//! A fresh backend whose statements each need a little over 128 KiB of
//! executor memory pays on every statement instead. A client's "my orders"
//! under RLS is one: each index scan of the policy's BitmapOr allocates a
//! btree scan state of about 27 KiB, and the sort and the bitmap add more.
//! The heap then grows with `brk` during the statement and shrinks at its
//! end: four system calls and about ten page faults per request, measured
//! at 30 to 45 us on a 2-core machine (see docs/benchmarks.md).
//!
//! Allocating and freeing one 1 MiB block when the library loads takes
//! glibc to the state it would reach by itself: mmap threshold about 1 MiB,
//! trim threshold about 2 MiB. A backend keeps at most that much free memory
//! at the top of its heap. Other C libraries are left as they are.

use std::alloc::GlobalAlloc;

/// The size of the block that raises the thresholds: above glibc's initial
/// mmap threshold (128 KiB), so it is mmapped, and far below its ceiling
/// for the raise (32 MiB on 64-bit).
const SETTLING_BLOCK: usize = 1 << 20;

/// Raises glibc's mmap and trim thresholds as its own first free of an
/// mmapped block would. Harmless to repeat: once the thresholds are above
/// the block's size, the block comes from the heap and changes nothing.
pub fn settle_thresholds() {
    if !cfg!(all(target_os = "linux", target_env = "gnu")) {
        return;
    }
    let layout = std::alloc::Layout::from_size_align(SETTLING_BLOCK, 16)
        .expect("a valid layout for the settling block");
    // SAFETY: the layout has a non-zero size; the block is freed with the same
    // layout and never read or written. The system allocator serves it with
    // malloc and free (alignment 16 is malloc's own), which is what glibc's
    // thresholds react to; black_box keeps the pair from being optimized away.
    unsafe {
        let block = std::hint::black_box(std::alloc::System.alloc(layout));
        if !block.is_null() {
            std::alloc::System.dealloc(block, layout);
        }
    }
}
