//! `resilience::config::watch(path, every)`: a changed file is applied; a bad one is an
//! error event and the last good configuration stays (SPEC §13).

use resilience::{Error, bulkhead, registry};
use std::time::Duration;
use tracing::Level;

#[path = "support/capture.rs"]
mod capture;
use capture::Capture;

/// The `error` field of every error event seen.
fn errors_of(capture: &Capture) -> Vec<String> {
    capture
        .seen()
        .into_iter()
        .filter(|e| e.level == Level::ERROR)
        .filter_map(|e| e.fields.get("error").cloned())
        .collect()
}

#[bulkhead(name = "watched", max_concurrent = 2)]
async fn watched() -> Result<usize, Error> {
    Ok(registry().bulkhead("watched").unwrap().max_concurrent())
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_changed_file_is_applied_and_a_bad_one_keeps_the_last_good() {
    let errors = Capture::default();
    let _subscriber = tracing::subscriber::set_default(errors.clone());
    let dir = std::env::temp_dir().join(format!("resilience-watch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("resilience.toml");
    std::fs::write(&path, "[bulkhead.watched]\nmax_concurrent = 5\n").unwrap();
    assert_eq!(watched().await, Ok(2));

    let every = Duration::from_secs(1);
    let watching = resilience::config::watch(&path, every);
    tokio::time::sleep(every / 2).await;
    assert_eq!(watched().await, Ok(5), "read at once");

    std::fs::write(&path, "[bulkhead.watched]\nmax_concurrent = 0\n").unwrap();
    tokio::time::sleep(every).await;
    assert_eq!(watched().await, Ok(5), "the last good configuration stays");
    let seen = errors_of(&errors);
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(
        seen[0].contains(
            "[bulkhead.watched] max_concurrent = 0: `max_concurrent = 0` would refuse every call"
        ),
        "{}",
        seen[0]
    );

    std::fs::write(&path, "[bulkhead.watched]\nmax_concurrent = 3\n").unwrap();
    tokio::time::sleep(every).await;
    assert_eq!(watched().await, Ok(3));
    assert_eq!(errors_of(&errors).len(), 1, "reported once");

    watching.abort();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[bulkhead(name = "watched_over", max_concurrent = 2)]
async fn watched_over_one() -> Result<(), Error> {
    Ok(())
}

#[bulkhead(name = "watched_over_too", max_concurrent = 2)]
async fn watched_over_two() -> Result<(), Error> {
    Ok(())
}

/// Both bulkheads' sizes, after a call of each.
async fn watched_over() -> Result<(usize, usize), Error> {
    watched_over_one().await?;
    watched_over_two().await?;
    let size = |name| registry().bulkhead(name).unwrap().max_concurrent();
    Ok((size("watched_over"), size("watched_over_too")))
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn watch_with_keeps_the_environment_over_each_reading_of_the_file() {
    // A registry of this test's own: a configuration applied replaces the one before, so two
    // tests applying to the process-wide registry would undo each other.
    let _registry = resilience::testing::isolated();
    let dir = std::env::temp_dir().join(format!("resilience-watch-over-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("resilience.toml");
    let file = "[bulkhead.watched_over]\nmax_concurrent = 5\n[bulkhead.watched_over_too]\nmax_concurrent = 5\n";
    std::fs::write(&path, file).unwrap();
    assert_eq!(watched_over().await, Ok((2, 2)));

    // What the README does at start: the file, the environment over it.
    let env = resilience::Config::from_vars(
        "APP",
        [("APP__BULKHEAD__WATCHED_OVER__MAX_CONCURRENT", "7")],
    )
    .unwrap();
    let start = resilience::Config::from_file(&path)
        .unwrap()
        .merge(env.clone());
    registry().apply(&start).unwrap();
    assert_eq!(watched_over().await, Ok((7, 5)));

    let every = Duration::from_secs(1);
    let watching = resilience::config::watch_with(&path, every, env);
    tokio::time::sleep(every / 2).await;
    assert_eq!(
        watched_over().await,
        Ok((7, 5)),
        "the first reading keeps the environment"
    );

    std::fs::write(&path, file.replace("= 5\n", "= 3\n")).unwrap();
    tokio::time::sleep(every).await;
    assert_eq!(
        watched_over().await,
        Ok((7, 3)),
        "a change of the file, the environment still over it"
    );

    watching.abort();
    std::fs::remove_dir_all(&dir).unwrap();
}
