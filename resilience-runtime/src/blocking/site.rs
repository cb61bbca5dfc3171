//! The per-callsite state of a sync function's waits: whether it already warned about
//! blocking a tokio worker.

use crate::label::{FnLabel, Name};
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
    name: Name,
    warned: AtomicBool,
}

impl BlockingSite {
    /// A site labelled `name` in its warning.
    pub const fn new(name: &'static str) -> Self {
        BlockingSite {
            name: Name::Fixed(name),
            warned: AtomicBool::new(false),
        }
    }

    /// The site of a method whose default label names its type (see [`FnLabel`]).
    pub const fn of_method(mut self, label: &'static FnLabel) -> Self {
        self.name = Name::Method(label);
        self
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
            name = self.name.get(),
            "a sync function is waiting inside a tokio task: on a runtime worker this stalls the runtime (make the function async, or call it through tokio::task::spawn_blocking); inside spawn_blocking it is fine, and this warning cannot tell the two apart"
        );
        #[cfg(not(feature = "tracing"))]
        let _ = self.name.get();
    }
}

#[cfg(all(test, feature = "tracing", not(loom)))]
mod tests {
    use super::BlockingSite;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tracing::{Event, Level, Metadata, Subscriber, span};

    /// Counts the `resilience` warnings.
    struct Warnings(Arc<AtomicUsize>);

    impl Subscriber for Warnings {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
            span::Id::from_u64(1)
        }
        fn record(&self, _: &span::Id, _: &span::Record<'_>) {}
        fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}
        fn event(&self, event: &Event<'_>) {
            let m = event.metadata();
            if *m.level() == Level::WARN && m.target() == "resilience" {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        fn enter(&self, _: &span::Id) {}
        fn exit(&self, _: &span::Id) {}
    }

    static A: BlockingSite = BlockingSite::new("test::a");
    static B: BlockingSite = BlockingSite::new("test::b");
    static OUTSIDE: BlockingSite = BlockingSite::new("test::outside");

    #[test]
    fn a_wait_inside_a_tokio_task_warns_once_per_callsite_and_nowhere_else() {
        let count = Arc::new(AtomicUsize::new(0));
        let _default = tracing::subscriber::set_default(Warnings(Arc::clone(&count)));
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        OUTSIDE.before_wait();
        assert_eq!(count.load(Ordering::SeqCst), 0, "not on a runtime");
        rt.block_on(async {
            tokio::spawn(async {
                for _ in 0..3 {
                    A.before_wait();
                    B.before_wait();
                }
            })
            .await
            .unwrap();
        });
        assert_eq!(count.load(Ordering::SeqCst), 2, "one per callsite");
        assert!(A.warned() && B.warned() && !OUTSIDE.warned());
    }
}
