//! A bulkhead resized up and down by configuration while 8 threads call it: every place is
//! back at the end (SPEC §13). That nobody is admitted above a lowered limit is shown by
//! `places.rs`'s unit test and its loom model.

use resilience::{Config, Error, bulkhead, registry};
use std::sync::atomic::{AtomicUsize, Ordering};

static INSIDE: AtomicUsize = AtomicUsize::new(0);

#[bulkhead(name = "resized", max_concurrent = 4, max_wait = 1s)]
async fn resized() -> Result<(), Error> {
    INSIDE.fetch_add(1, Ordering::SeqCst);
    tokio::task::yield_now().await;
    INSIDE.fetch_sub(1, Ordering::SeqCst);
    Ok(())
}

#[test]
fn resizing_while_8_threads_call_loses_no_place() {
    resized_blocking();
    let sizes = [1, 6, 2, 8, 3];
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_time()
                    .start_paused(true)
                    .build()
                    .unwrap();
                rt.block_on(async {
                    for _ in 0..300 {
                        // Full (after a resize down) is the one acceptable refusal.
                        match resized().await {
                            Ok(()) | Err(Error::BulkheadFull { .. }) => {}
                            Err(e) => panic!("{e}"),
                        }
                    }
                });
            });
        }
        for round in 0..200 {
            let n = sizes[round % sizes.len()];
            let config =
                Config::from_toml_str(&format!("[bulkhead.resized]\nmax_concurrent = {n}"));
            registry().apply(&config.unwrap()).unwrap();
            std::thread::yield_now();
        }
    });
    registry().apply(&Config::new()).unwrap();
    let b = registry().bulkhead("resized").unwrap();
    assert_eq!(
        (
            b.max_concurrent(),
            b.available(),
            b.in_flight(),
            b.waiting()
        ),
        (4, 4, 0, 0)
    );
    assert_eq!(INSIDE.load(Ordering::SeqCst), 0);
}

fn resized_blocking() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(resized()).unwrap();
}
