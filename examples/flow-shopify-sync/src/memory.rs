//! How the process's allocator returns memory, set once at start-up.
//!
//! glibc's `malloc` serves a request of 128 KiB or more with its own `mmap` and gives it back
//! to the system on `free`. But after such a block is freed it raises that limit to the block's
//! size, and the limit for trimming an arena's unused top to twice that. One answer read whole
//! (a `GETCON` list of every Flow customer, a batch of 500 receipts) thus lets the allocator
//! keep several megabytes in each thread's arena for the rest of the run, more the bigger the
//! largest answer so far: the orders bench measured resident memory growing by about 12 MiB
//! between 2,000 and 20,000 orders while the live heap grew by 1 MiB.
//!
//! [`keep_large_blocks_returnable`] fixes the limit at glibc's initial 128 KiB, which also
//! stops the raise, so large blocks always go back to the system when freed. An operator's own
//! setting (`MALLOC_MMAP_THRESHOLD_`, or `GLIBC_TUNABLES` naming `mmap_threshold`) is left
//! alone. On other C libraries this does nothing.

/// The fixed `M_MMAP_THRESHOLD`: glibc's initial value.
pub const MMAP_THRESHOLD: usize = 128 * 1024;

/// Whether the environment already tunes glibc's mmap threshold.
fn tuned_by_operator() -> bool {
    std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_some()
        || std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("mmap_threshold"))
}

/// Makes blocks of [`MMAP_THRESHOLD`] bytes or more go back to the system when freed, for the
/// whole process. Call it first thing in `main`, before threads start. Returns whether the
/// setting was made (`false` on other C libraries, or when the operator set one).
pub fn keep_large_blocks_returnable() -> bool {
    if tuned_by_operator() {
        return false;
    }
    set_mmap_threshold(MMAP_THRESHOLD)
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn set_mmap_threshold(bytes: usize) -> bool {
    let Ok(bytes) = libc::c_int::try_from(bytes) else {
        return false;
    };
    // SAFETY: `mallopt` only changes a tunable of glibc's allocator, under the allocator's own
    // lock; it takes no pointer, and any threshold is valid (blocks below it come from the
    // arenas, blocks at or above it from their own mapping).
    unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, bytes) == 1 }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set_mmap_threshold(_bytes: usize) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn the_threshold_is_set_on_glibc_unless_the_operator_set_one() {
        assert_eq!(keep_large_blocks_returnable(), !tuned_by_operator());
        // A value that does not fit the C `int` is not passed on.
        assert!(!set_mmap_threshold(usize::MAX));
    }
}
