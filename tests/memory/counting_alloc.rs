//! A global allocator that counts live heap bytes, for the tests that measure memory in bytes
//! (not time). A test installs it with
//! `#[global_allocator] static A: counting_alloc::Counting = counting_alloc::Counting;`.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

pub struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new as isize - l.size() as isize, Ordering::Relaxed);
        unsafe { System.realloc(p, l, new) }
    }
}

/// Heap bytes live now (allocated minus freed since the process started).
pub fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

/// Runs `f` and returns its value with the heap bytes it left allocated.
pub fn live_after<T>(f: impl FnOnce() -> T) -> (T, isize) {
    let before = live();
    let v = f();
    (v, live() - before)
}
