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
//! stops the raise, so large blocks always go back to the system when freed. It also caps the
//! number of arenas at [`ARENAS`]: glibc gives each thread that allocates its own arena (up to
//! eight per core), and the SQLite store's connections each run on a thread of their own, so
//! each kept its own free memory (a 50,000-order run peaked at 60.4 MiB, 44.7 MiB with two
//! arenas, at the same speed within the machine's noise; `docs/performance.md`). An
//! operator's own settings (`MALLOC_MMAP_THRESHOLD_`, `MALLOC_ARENA_MAX`, or `GLIBC_TUNABLES`
//! naming `mmap_threshold` or `arena_max`) are left alone. On other C libraries this does
//! nothing.

/// The fixed `M_MMAP_THRESHOLD`: glibc's initial value.
pub const MMAP_THRESHOLD: usize = 128 * 1024;

/// The most arenas glibc keeps (`M_ARENA_MAX`).
pub const ARENAS: usize = 2;

/// Whether the environment already tunes glibc's mmap threshold.
fn tuned_by_operator() -> bool {
    std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_some()
        || std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("mmap_threshold"))
}

/// Whether the environment already tunes glibc's number of arenas.
fn arenas_tuned_by_operator() -> bool {
    std::env::var_os("MALLOC_ARENA_MAX").is_some()
        || std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("arena_max"))
}

/// Makes blocks of [`MMAP_THRESHOLD`] bytes or more go back to the system when freed, and
/// caps glibc's arenas at [`ARENAS`], for the whole process. Call it first thing in `main`,
/// before threads start. Returns whether the threshold was set (`false` on other C
/// libraries, or when the operator set one); the arenas are capped unless the operator set
/// their number.
pub fn keep_large_blocks_returnable() -> bool {
    if !arenas_tuned_by_operator() {
        set_tunable(M_ARENA_MAX, ARENAS);
    }
    if tuned_by_operator() {
        return false;
    }
    set_tunable(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
use libc::{M_ARENA_MAX, M_MMAP_THRESHOLD};
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
const M_ARENA_MAX: i32 = 0;
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
const M_MMAP_THRESHOLD: i32 = 0;

/// Sets glibc's tunable `param` (`M_MMAP_THRESHOLD`, `M_ARENA_MAX`) to `value`; whether it
/// was set.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn set_tunable(param: libc::c_int, value: usize) -> bool {
    let Ok(value) = libc::c_int::try_from(value) else {
        return false;
    };
    // SAFETY: `mallopt` only changes a tunable of glibc's allocator, under the allocator's own
    // lock; it takes no pointer, and any value of these two is valid (blocks below the
    // threshold come from the arenas, blocks at or above it from their own mapping; threads
    // beyond the arenas' number share the existing arenas).
    unsafe { libc::mallopt(param, value) == 1 }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set_tunable(_param: i32, _value: usize) -> bool {
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
        assert!(!set_tunable(M_MMAP_THRESHOLD, usize::MAX));
        assert!(set_tunable(M_ARENA_MAX, ARENAS), "glibc takes an arena cap");
    }
}
