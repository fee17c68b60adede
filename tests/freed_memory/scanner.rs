//! The spying allocator and the case runner.
//!
//! While a case runs, every block the Rust allocator frees (`dealloc`) or moves (`realloc`,
//! which here always moves: whether a real allocator grows a block in place or moves it is its
//! own choice, so a reallocated block that held a needle counts) on the case's thread is copied
//! into a static log (the cases run no other threads). Blocks are handed out zeroed, so only
//! what was written into a block during its life can be found in it. After the case, the
//! log is searched for the needles (`needles.rs`) of every key the case could have touched,
//! including keys it generated at random and only reveals at the end (`Learned`), and wiped.
//!
//! What it cannot see: memory that never goes back to the Rust allocator (AWS-LC's
//! `OPENSSL_malloc` calls libc's `malloc` directly), the stack, registers, blocks still
//! allocated at the end of a case, and pages the allocator returns to the kernel (which the
//! kernel zeroes). SECURITY.md says what that means.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, UnsafeCell};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use zeroize::Zeroizing;

use crate::needles::Needles;

/// Bytes of freed blocks one case may log; a case that frees more fails (it cannot be vouched
/// for) rather than passing unchecked.
const LOG_BYTES: usize = 32 << 20;
/// Freed blocks one case may log.
const LOG_BLOCKS: usize = 1 << 18;

struct Log {
    bytes: UnsafeCell<[u8; LOG_BYTES]>,
    /// Where each block ends in `bytes`.
    ends: UnsafeCell<[u32; LOG_BLOCKS]>,
    len: UnsafeCell<usize>,
    blocks: UnsafeCell<usize>,
    overflowed: UnsafeCell<bool>,
}

// SAFETY: every access to the cells goes through `LOCK` (`with_log`).
unsafe impl Sync for Log {}

static LOG: Log = Log {
    bytes: UnsafeCell::new([0; LOG_BYTES]),
    ends: UnsafeCell::new([0; LOG_BLOCKS]),
    len: UnsafeCell::new(0),
    blocks: UnsafeCell::new(0),
    overflowed: UnsafeCell::new(false),
};

thread_local! {
    /// Whether this thread's frees are being logged: only the thread running the case, so the
    /// setup of tests running in parallel does not mix into its log. (A `const` thread-local
    /// without a destructor needs no allocation, so the allocator may read it.)
    static RECORDING: Cell<bool> = const { Cell::new(false) };
}
/// A spin lock over `LOG`: the allocator must not allocate, and a spin lock needs nothing.
static LOCK: AtomicBool = AtomicBool::new(false);

fn with_log<R>(
    f: impl FnOnce(&mut [u8; LOG_BYTES], &mut [u32; LOG_BLOCKS], &mut usize, &mut usize, &mut bool) -> R,
) -> R {
    while LOCK
        .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        std::hint::spin_loop();
    }
    // SAFETY: the lock is held, so this is the only reference to the cells.
    let r = unsafe {
        f(
            &mut *LOG.bytes.get(),
            &mut *LOG.ends.get(),
            &mut *LOG.len.get(),
            &mut *LOG.blocks.get(),
            &mut *LOG.overflowed.get(),
        )
    };
    LOCK.store(false, Ordering::Release);
    r
}

/// Copies the `size` bytes at `ptr`, about to be freed, into the log.
///
/// # Safety
///
/// `ptr` must be valid for reads of `size` bytes.
unsafe fn record(ptr: *const u8, size: usize) {
    if size == 0 || !RECORDING.try_with(Cell::get).unwrap_or(false) {
        return;
    }
    // SAFETY: the caller's guarantee.
    let block = unsafe { std::slice::from_raw_parts(ptr, size) };
    with_log(|bytes, ends, len, blocks, overflowed| {
        if *len + size > LOG_BYTES || *blocks == LOG_BLOCKS {
            *overflowed = true;
            return;
        }
        bytes[*len..*len + size].copy_from_slice(block);
        *len += size;
        ends[*blocks] = *len as u32;
        *blocks += 1;
    });
}

/// `System`, handing out zeroed blocks and logging what is freed.
///
/// Every block is zeroed when handed out (and `realloc` moves into a zeroed block), so the
/// spare capacity of a vector holds zeros, not whatever an earlier owner of that memory left
/// there (this test's own needle tables, say): a needle found in a freed block was written
/// into that block during its life.
pub struct Scanning;

// SAFETY: every method hands out blocks from `System` for the caller's layout and frees them
// with the layout they were allocated with; `record` only reads a block before it is freed,
// while the caller guarantees it is allocated, and `realloc` copies the smaller of the two
// sizes into a block of the new size, as `GlobalAlloc::realloc` requires.
unsafe impl GlobalAlloc for Scanning {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded, zeroed.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` is a live block of `layout.size()` bytes until the call below.
        unsafe {
            record(ptr, layout.size());
            System.dealloc(ptr, layout);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees `new_size`, rounded up to the alignment, is a valid
        // layout size and that `ptr` is a live block of `layout`.
        unsafe {
            let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
            let new = System.alloc_zeroed(new_layout);
            if !new.is_null() {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                record(ptr, layout.size());
                System.dealloc(ptr, layout);
            }
            new
        }
    }
}

/// Keys a case made at random, for the search after it: keyring texts it returned, and files
/// holding keyring texts (read after the case, outside the logging).
#[derive(Default)]
pub struct Learned {
    texts: Vec<Zeroizing<String>>,
    files: Vec<PathBuf>,
}

impl Learned {
    /// A keyring text whose keys the case may have left behind. Moving it here moves only the
    /// `String`'s pointer, so pushing logs no key bytes.
    pub fn text(&mut self, text: Zeroizing<String>) {
        self.texts.push(text);
    }

    /// A file the case wrote a keyring text to.
    pub fn file(&mut self, path: PathBuf) {
        self.files.push(path);
    }
}

/// One needle found in a freed block.
#[derive(Debug)]
pub struct Hit {
    /// What the needle is ("key 3: K_mac HMAC ipad state").
    pub needle: String,
    /// The freed block's size.
    pub block_len: usize,
    /// Where in the block.
    pub offset: usize,
}

/// Cases run one at a time: there is one log.
static SERIAL: Mutex<()> = Mutex::new(());

/// Runs `case` with frees logged and returns every needle found in them.
pub fn scan(case: impl FnOnce(&mut Learned)) -> Vec<Hit> {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut learned = Learned {
        texts: Vec::with_capacity(16),
        files: Vec::with_capacity(16),
    };
    with_log(|_, _, len, blocks, overflowed| {
        (*len, *blocks, *overflowed) = (0, 0, false);
    });
    RECORDING.set(true);
    case(&mut learned);
    RECORDING.set(false);

    let mut texts = learned.texts;
    for path in &learned.files {
        let bytes = Zeroizing::new(std::fs::read(path).expect("the case wrote this file"));
        let text = std::str::from_utf8(&bytes).expect("a keyring file is text");
        texts.push(Zeroizing::new(text.to_owned()));
        let _ = std::fs::remove_file(path);
    }
    let needles = Needles::new(&texts);
    with_log(|bytes, ends, len, blocks, overflowed| {
        assert!(
            !*overflowed,
            "the case freed more than the log holds ({LOG_BYTES} bytes, {LOG_BLOCKS} blocks)"
        );
        let mut hits = Vec::new();
        let mut start = 0;
        for &end in &ends[..*blocks] {
            let block = &bytes[start..end as usize];
            for (needle, offset) in needles.find(block) {
                hits.push(Hit {
                    needle,
                    block_len: block.len(),
                    offset,
                });
            }
            start = end as usize;
        }
        zeroize::Zeroize::zeroize(&mut bytes[..*len]);
        hits
    })
}

/// Runs `case` and fails, naming each needle, if any freed block held one.
pub fn check(case: impl FnOnce(&mut Learned)) {
    let hits = scan(case);
    assert!(
        hits.is_empty(),
        "{} key-derived needles found in freed blocks:\n{}",
        hits.len(),
        hits.iter()
            .map(|h| format!(
                "  {} (block of {} bytes, offset {})",
                h.needle, h.block_len, h.offset
            ))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
