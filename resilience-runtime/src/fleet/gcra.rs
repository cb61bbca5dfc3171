//! The fleet rate limit: GCRA evaluated atomically in Redis by one Lua script, on the
//! server's clock (`TIME`), so the replicas' clocks do not matter.
//!
//! The key holds the theoretical arrival time (TAT) in microseconds of the server's clock. A
//! call is admitted when `max(TAT, now) + T − burst·T ≤ now` (T = the emission interval,
//! `per / count`), which moves the TAT on by T; otherwise the script returns how long until
//! that holds. The fleet so admits at most `rate × t + burst` calls over any interval t,
//! whatever the number of replicas. The key expires once it is back to `now`, so an idle
//! limit leaves nothing behind.
//!
//! The script is sent by its SHA1 (`EVALSHA`); the `redis` crate loads it again when Redis
//! answers `NOSCRIPT` (after a restart or a `SCRIPT FLUSH`).

use super::store::{Store, StoreError};
use std::sync::LazyLock;
use std::time::Duration;

/// `KEYS[1]`: the limit's key. `ARGV[1]`: T in µs. `ARGV[2]`: the burst.
/// Returns `{1, 0}` (admitted) or `{0, µs until a permit frees}`.
const SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local emission = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local allow_at = tat + emission - emission * burst
if allow_at > now then
  return {0, allow_at - now}
end
local new_tat = tat + emission
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.floor((new_tat - now) / 1000) + 1)
return {1, 0}
";

static GCRA: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(SCRIPT));

/// The Redis key of the fleet limit `name`.
pub(crate) fn key(prefix: &str, name: &str) -> String {
    format!("{prefix}rate_limit:{name}")
}

/// The emission interval in whole microseconds (at least 1).
pub(crate) fn emission_us(count: u32, per: Duration) -> u64 {
    let us = per.as_micros() / u128::from(count.max(1));
    u64::try_from(us).unwrap_or(u64::MAX).max(1)
}

/// Asks Redis for one permit of `key`: `Ok(None)` admitted, `Ok(Some(wait))` refused until
/// `wait` from now.
pub(crate) async fn admit(
    store: &Store,
    key: &str,
    emission_us: u64,
    burst: u32,
    timeout: Duration,
) -> Result<Option<Duration>, StoreError> {
    let mut conn = store.conn();
    let mut call = GCRA.key(key);
    call.arg(emission_us).arg(burst.max(1));
    let (admitted, wait_us): (i64, i64) = store.run(timeout, call.invoke_async(&mut conn)).await?;
    Ok(if admitted == 1 {
        None
    } else {
        Some(Duration::from_micros(
            u64::try_from(wait_us).unwrap_or(0).max(1),
        ))
    })
}
