//! SPEC §11: no layer boxes the future. A body that keeps 1 KiB alive across an `.await` makes
//! a future of over 1 KiB; each annotated version must hold it inline (so be at least as large)
//! and add only a bounded number of bytes per layer. `--nocapture` prints the sizes.

use resilience::{Error, bulkhead, circuit_breaker, fallback, hedge, rate_limit, retry, timeout};
use std::hint::black_box;
use std::mem::size_of_val;

type Out = Result<u64, Error>;

async fn body(i: u64) -> Out {
    let buf = [i as u8; 1024];
    tokio::task::yield_now().await;
    Ok(u64::from(black_box(&buf)[1023]))
}

#[circuit_breaker]
async fn breaker(i: u64) -> Out {
    body(i).await
}

#[retry]
async fn retried(i: u64) -> Out {
    body(i).await
}

#[timeout(1s)]
async fn timed(i: u64) -> Out {
    body(i).await
}

#[bulkhead]
async fn bulkheaded(i: u64) -> Out {
    body(i).await
}

#[rate_limit(rate = 100/1s)]
async fn limited(i: u64) -> Out {
    body(i).await
}

fn recover(_: u64, _: Error) -> Out {
    Ok(0)
}

#[fallback(recover)]
async fn fallen_back(i: u64) -> Out {
    body(i).await
}

#[retry]
#[circuit_breaker]
#[timeout(1s)]
#[bulkhead]
async fn stacked(i: u64) -> Out {
    body(i).await
}

#[hedge(max_hedged = 2)]
async fn hedged(i: u64) -> Out {
    body(i).await
}

#[test]
fn a_hedge_holds_each_run_inline() {
    // `1 + max_hedged` places, each holding a run (the body) inline: nothing is boxed.
    let plain = size_of_val(&body(0));
    let size = size_of_val(&hedged(0));
    println!(
        "hedge (max_hedged = 2): {size} bytes (3 runs of {plain} + {})",
        size - 3 * plain
    );
    assert!(
        size >= 3 * plain,
        "a run is boxed: {size} < 3 × {plain} bytes"
    );
    // The hedge's own state (its timer, about 100 bytes) and each run's place (its start time,
    // the wrapper of the body): within two layers' allowance.
    assert!(
        size <= 3 * plain + 2 * PER_LAYER,
        "{size} bytes for 3 runs of {plain}"
    );
}

/// What the expansion around `body(i).await` may add, at most, per layer.
const PER_LAYER: usize = 256;

#[test]
fn every_layer_holds_the_body_inline_and_adds_a_bounded_size() {
    let plain = size_of_val(&body(0));
    let sizes = [
        ("circuit_breaker", size_of_val(&breaker(0)), 1),
        ("retry", size_of_val(&retried(0)), 1),
        ("timeout", size_of_val(&timed(0)), 1),
        ("bulkhead", size_of_val(&bulkheaded(0)), 1),
        ("rate_limit", size_of_val(&limited(0)), 1),
        ("fallback", size_of_val(&fallen_back(0)), 1),
        (
            "retry + circuit_breaker + timeout + bulkhead",
            size_of_val(&stacked(0)),
            4,
        ),
    ];
    println!("body future: {plain} bytes");
    for (name, size, layers) in sizes {
        println!("{name}: {size} bytes (+{})", size - plain);
        assert!(
            size >= plain,
            "{name} boxes the body: {size} < {plain} bytes"
        );
        assert!(
            size <= plain + layers * PER_LAYER,
            "{name} adds {} bytes to a {plain}-byte body, over {} for {layers} layer(s)",
            size - plain,
            layers * PER_LAYER
        );
    }
}
