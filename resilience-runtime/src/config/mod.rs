//! Configuration by name, at run time (feature `config`, SPEC §13): the values written in an
//! attribute are defaults, and an operator overrides them by name without a rebuild.
//!
//! Values are spelled as in the attributes (`"800ms"`, `"40%"`, `"100/1s"`,
//! `"exponential(50ms, max = 2s)"`) and checked by the same rules, with the same words.

mod apply;
mod document;
mod error;
mod kept;
mod value;
mod watch;

pub use apply::{Applied, Change, Refused};
pub(crate) use apply::{change, configured_change, disabled, no_max_keys, shown_table};
pub use document::{Config, Table};
pub use error::ConfigError;
pub(crate) use kept::Kept;
pub use value::{Kind, Raw, Value, WindowValue, check_key, check_together, parse_value};
pub use watch::{watch, watch_with};
