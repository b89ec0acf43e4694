//! [`Secret`]: a string that `Debug` and `Display` never show.

use std::fmt;

/// A password, code, token, session, client secret or SRP value.
///
/// `Debug` and `Display` print `[redacted]`, so a secret inside any input, output or error of
/// the client never reaches a log by accident; [`expose`](Self::expose) reads it. It implements
/// neither `Serialize` nor `PartialEq`: printing or comparing one is always a visible call.
///
/// ```
/// use tower_cognito_client::Secret;
///
/// let password = Secret::new("correct horse battery staple");
/// assert_eq!(format!("{password:?} {password}"), "[redacted] [redacted]");
/// assert_eq!(password.expose(), "correct horse battery staple");
/// ```
#[derive(Clone, Default)]
pub struct Secret(Box<str>);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into().into_boxed_str())
    }

    /// The secret value.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The secret value, unwrapped.
    pub fn into_inner(self) -> String {
        self.0.into_string()
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_printed() {
        let s = Secret::from(String::from("hunter2"));
        assert_eq!(format!("{s}"), "[redacted]");
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(s.clone())), "Some([redacted])");
        assert_eq!(s.expose(), "hunter2");
        assert!(!s.is_empty());
        assert_eq!(s.into_inner(), "hunter2");
        assert!(Secret::default().is_empty());
    }
}
