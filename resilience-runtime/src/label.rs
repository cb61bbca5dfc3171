//! The default label of a method: `module::Type::method`, the type known only when the method
//! first runs (`std::any::type_name` is not `const`, and a `static` cannot name `Self`).
//!
//! A free function's default label is `module::fn`, a constant. A method's callsites hold a
//! [`Name::Method`] that points at the function's one [`FnLabel`]; the generated body resolves
//! it at the start of each call ([`FnLabel::resolve`], one load once resolved), before any
//! layer registers or reports, so every layer of one method reports one label that names the
//! type.

use std::sync::OnceLock;

/// The label of one annotated method, held in a `static` the macro generates.
///
/// ```
/// use resilience_runtime::label::FnLabel;
/// struct PaymentsClient;
/// static LABEL: FnLabel = FnLabel::new("app::client::balance");
/// assert_eq!(LABEL.get(), "app::client::balance"); // not resolved yet
/// LABEL.resolve(|| std::any::type_name::<PaymentsClient>());
/// assert!(LABEL.get().ends_with("::PaymentsClient::balance"));
/// ```
#[derive(Debug)]
pub struct FnLabel {
    /// `module::method`: the label until the type is known.
    unresolved: &'static str,
    resolved: OnceLock<&'static str>,
}

impl FnLabel {
    /// The label of a method whose free-function label is `module::method`.
    pub const fn new(unresolved: &'static str) -> Self {
        FnLabel {
            unresolved,
            resolved: OnceLock::new(),
        }
    }

    /// Names the type, on the method's first call: `type_name` is `std::any::type_name::<Self>`.
    #[inline]
    pub fn resolve(&'static self, type_name: impl FnOnce() -> &'static str) {
        if self.resolved.get().is_none() {
            self.resolve_first(type_name());
        }
    }

    #[cold]
    #[inline(never)]
    fn resolve_first(&'static self, type_name: &'static str) {
        self.resolved.get_or_init(|| {
            let (module, method) = self
                .unresolved
                .rsplit_once("::")
                .unwrap_or(("", self.unresolved));
            let label = match module {
                "" => format!("{}::{method}", short_type(type_name)),
                module => format!("{module}::{}::{method}", short_type(type_name)),
            };
            // Once per method: the label lives as long as the program, as a literal would.
            Box::leak(label.into_boxed_str())
        });
    }

    /// `module::Type::method`, or `module::method` before the method's first call.
    #[inline]
    pub fn get(&self) -> &'static str {
        self.resolved.get().copied().unwrap_or(self.unresolved)
    }
}

/// A type's name as written in its module: `PaymentsClient` for
/// `app::client::PaymentsClient<u32>`, `Cache` for `&app::Cache`. A type with no such name
/// (a tuple, a slice, a `dyn`) keeps all of `type_name`.
fn short_type(type_name: &'static str) -> &'static str {
    let path = type_name.trim_start_matches('&').trim_start_matches("mut ");
    let path = path.split('<').next().unwrap_or(path);
    if path.is_empty() || path.contains(['(', '[', ' ']) {
        return type_name;
    }
    path.rsplit("::").next().unwrap_or(path)
}

/// What a callsite is called: a fixed label (`name = ".."`, or a free function's
/// `module::fn`), or a method's [`FnLabel`].
#[derive(Debug, Clone, Copy)]
pub enum Name {
    /// A label known at compile time.
    Fixed(&'static str),
    /// A method's label, resolved at its first call.
    Method(&'static FnLabel),
}

impl Name {
    /// The label.
    ///
    /// ```
    /// use resilience_runtime::label::Name;
    /// assert_eq!(Name::Fixed("payments").get(), "payments");
    /// ```
    #[inline]
    pub fn get(self) -> &'static str {
        match self {
            Name::Fixed(name) => name,
            Name::Method(label) => label.get(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::short_type;

    #[test]
    fn a_type_is_named_as_in_its_module() {
        assert_eq!(short_type("app::client::PaymentsClient"), "PaymentsClient");
        assert_eq!(short_type("app::Client<alloc::string::String>"), "Client");
        assert_eq!(short_type("&app::Cache"), "Cache");
        assert_eq!(short_type("Local"), "Local");
        assert_eq!(short_type("(u8, u16)"), "(u8, u16)");
        assert_eq!(short_type("[u8]"), "[u8]");
        assert_eq!(short_type("dyn app::Store"), "dyn app::Store");
    }
}
