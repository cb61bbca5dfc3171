//! The per-callsite state of a sync function's waits: whether it already warned about
//! blocking a tokio worker.

use std::sync::atomic::{AtomicBool, Ordering};

/// A sync callsite, in a `static` the macros generate beside the policies' own sites: it
/// remembers whether this callsite already warned that it blocked a thread running a tokio
/// task, so the warning is logged once per callsite.
///
/// ```
/// use resilience_runtime::blocking::BlockingSite;
/// static SITE: BlockingSite = BlockingSite::new("docs::charge");
/// SITE.before_wait(); // outside any tokio task: nothing to say
/// assert!(!SITE.warned());
/// ```
#[derive(Debug)]
pub struct BlockingSite {
    name: &'static str,
    warned: AtomicBool,
}

impl BlockingSite {
    /// A site labelled `name` in its warning.
    pub const fn new(name: &'static str) -> Self {
        BlockingSite {
            name,
            warned: AtomicBool::new(false),
        }
    }

    /// Called before the thread blocks: on a thread running a tokio task, warns once.
    #[inline]
    pub fn before_wait(&self) {
        if tokio::task::try_id().is_some() {
            self.warn_once();
        }
    }

    /// Whether this callsite has warned.
    pub fn warned(&self) -> bool {
        self.warned.load(Ordering::Relaxed)
    }

    #[cold]
    #[inline(never)]
    fn warn_once(&self) {
        if self.warned.swap(true, Ordering::Relaxed) {
            return;
        }
        #[cfg(feature = "tracing")]
        tracing::warn!(
            target: "resilience",
            name = self.name,
            "a sync function is waiting on a thread that runs a tokio task, which stalls the runtime; make the function async, or call it through tokio::task::spawn_blocking"
        );
        #[cfg(not(feature = "tracing"))]
        let _ = self.name;
    }
}
