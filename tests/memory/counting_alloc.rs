//! A global allocator that counts live heap bytes, for the tests that measure memory in bytes
//! (not time). `main.rs` installs it for this binary only, so no other family pays for it.
//!
//! The count is per thread: the tests of one binary run on parallel threads (and the test
//! harness allocates on its own), and a test must see only what its own thread allocated and
//! freed. The code it measures is sans-IO and single-threaded, so nothing it holds is
//! allocated elsewhere.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

pub struct Counting;

thread_local! {
    // `const` and no destructor: reading it never allocates nor fails, even while a thread
    // starts or ends, which an allocator needs.
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

fn add(bytes: isize) {
    LIVE.with(|live| live.set(live.get() + bytes));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        add(l.size() as isize);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        add(-(l.size() as isize));
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        add(new as isize - l.size() as isize);
        unsafe { System.realloc(p, l, new) }
    }
}

/// Heap bytes live now that this thread allocated (minus what it freed) since it started.
pub fn live() -> isize {
    LIVE.with(Cell::get)
}

/// Runs `f` and returns its value with the heap bytes it left allocated.
pub fn live_after<T>(f: impl FnOnce() -> T) -> (T, isize) {
    let before = live();
    let v = f();
    (v, live() - before)
}
