//! The sync front of the policies: how a plain `fn` waits. Waiting blocks the calling thread
//! (a sleep, or a park in the bulkhead's queue), never spins; on a thread that runs a tokio
//! task it also logs one warning per callsite, since it stalls the runtime.
//!
//! The policies' cores are the same for both worlds: a sync call takes the same breaker
//! permit, bulkhead place and limiter cell as an async one. Only the waiting differs.

mod clock;
mod site;

#[cfg(feature = "test-util")]
pub use clock::ManualClock;
pub use site::BlockingSite;

use std::time::Duration;

/// Blocks the thread for `d`: a real sleep, or, under a `ManualClock` on this thread, the
/// clock moved forward by `d` at once.
pub(crate) fn sleep(d: Duration) {
    if d.is_zero() {
        return;
    }
    if !clock::advance_if_manual(d) {
        std::thread::sleep(d);
    }
}

/// Whether this thread runs under a `ManualClock`.
pub(crate) fn is_manual() -> bool {
    clock::is_manual()
}
