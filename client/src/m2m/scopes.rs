//! [`Scopes`]: a scope set in its one canonical form, the token cache's key.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// Longest scope set accepted, in bytes of its canonical form.
const MAX_SCOPES_LEN: usize = 4096;

/// A set of OAuth scopes (`<resource-server-identifier>/<scope-name>`), sorted and without
/// duplicates: `"b a a"` and `"a b"` are the same set, so they share one cached token, while
/// `{a}` and `{a b}` never do. The empty set asks Cognito for every custom scope the app client
/// is allowed.
///
/// Each scope is an RFC 6749 scope token (printable ASCII without space, `"` or `\`); the set
/// is at most 4 KiB.
///
/// ```
/// use tower_cognito_client::m2m::Scopes;
///
/// let scopes: Scopes = "orders/write orders/read orders/read".parse()?;
/// assert_eq!(scopes.as_str(), "orders/read orders/write");
/// assert_eq!(scopes, Scopes::new(["orders/read", "orders/write"])?);
/// assert!("orders/\"read\"".parse::<Scopes>().is_err());
/// # Ok::<(), tower_cognito_client::m2m::InvalidScopes>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Scopes(Arc<str>);

/// Why a scope set was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidScopes {
    /// A scope holds a character outside printable ASCII, or `"` or `\`.
    #[error("a scope may hold printable ASCII only, without space, '\"' or '\\'")]
    Character,
    /// The set is longer than 4 KiB.
    #[error("the scope set is longer than 4096 bytes")]
    TooLong,
}

impl Scopes {
    /// The set of `scopes` (each one scope; order and repetition do not matter).
    ///
    /// # Errors
    /// [`InvalidScopes`] when a scope holds a forbidden character (whitespace inside an item
    /// separates scopes), or the set is too long.
    pub fn new<I, S>(scopes: I) -> Result<Self, InvalidScopes>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut all: Vec<String> = Vec::new();
        for scope in scopes {
            all.extend(scope.as_ref().split_ascii_whitespace().map(str::to_owned));
        }
        Self::from_items(all)
    }

    fn from_items(mut items: Vec<String>) -> Result<Self, InvalidScopes> {
        if items.iter().any(|s| {
            !s.bytes()
                .all(|b| matches!(b, 0x21 | 0x23..=0x5b | 0x5d..=0x7e))
        }) {
            return Err(InvalidScopes::Character);
        }
        items.sort_unstable();
        items.dedup();
        let joined = items.join(" ");
        if joined.len() > MAX_SCOPES_LEN {
            return Err(InvalidScopes::TooLong);
        }
        Ok(Self(joined.into()))
    }

    /// The canonical form: the scopes sorted, separated by one space (as sent in `scope=`).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the set is empty (every custom scope the app client is allowed).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The scopes, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.split(' ').filter(|s| !s.is_empty())
    }
}

impl FromStr for Scopes {
    type Err = InvalidScopes;

    /// A space-separated list (any ASCII whitespace), as in `COGNITO_SCOPES`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new([s])
    }
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_canonical_form() {
        let a: Scopes = "b a\ta  b".parse().unwrap();
        let b = Scopes::new(["a", "b"]).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "a b");
        assert_eq!(a.iter().collect::<Vec<_>>(), ["a", "b"]);
        assert_ne!(a, Scopes::new(["a"]).unwrap());
        assert!(Scopes::new(Vec::<String>::new()).unwrap().is_empty());
        assert!("  ".parse::<Scopes>().unwrap().is_empty());
        assert_eq!(Scopes::default().iter().count(), 0);
    }

    #[test]
    fn bad_scopes_are_refused() {
        for bad in ["a\\b", "a\"b", "caf\u{e9}", "a\u{7f}"] {
            assert_eq!(
                bad.parse::<Scopes>(),
                Err(InvalidScopes::Character),
                "{bad:?}"
            );
        }
        let long = "s".repeat(MAX_SCOPES_LEN + 1);
        assert_eq!(long.parse::<Scopes>(), Err(InvalidScopes::TooLong));
        assert!("s".repeat(MAX_SCOPES_LEN).parse::<Scopes>().is_ok());
    }
}
