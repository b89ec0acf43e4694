//! Identifiers of Cognito, each with one rule: the user pool id ([`UserPoolId`]), and the app
//! client id and region rules the configuration applies.

use std::fmt;
use std::str::FromStr;

use crate::error::ConfigError;

/// Longest user pool id accepted (Cognito's limit).
const MAX_POOL_ID_LEN: usize = 55;
/// Longest app client id accepted (Cognito's limit).
const MAX_CLIENT_ID_LEN: usize = 128;

/// A user pool id, `REGION_NAME` (`us-east-1_AbC123xyz`), checked once: `[\w-]+_[0-9a-zA-Z]+`,
/// ASCII, at most 55 characters (Cognito's pattern and limit). `\w` holds `_`, so the id splits
/// at its last `_` into the region prefix and the pool name.
///
/// It is the one rule for a pool id wherever one is read: [`CognitoConfig::builder`]
/// (`build` refuses an invalid id with [`ConfigError::InvalidUserPoolId`]),
/// [`Require::in_pool`], and the user-pool client and its SRP (the `tower-cognito-client` crate),
/// which sign with the pool name.
///
/// ```
/// use tower_cognito::UserPoolId;
///
/// let id: UserPoolId = "eu-west-1_AbC123xyz".parse()?;
/// assert_eq!(id.region(), "eu-west-1");
/// assert_eq!(id.name(), "AbC123xyz");
/// assert_eq!(id.as_str(), "eu-west-1_AbC123xyz");
/// assert_eq!(id.to_string(), "eu-west-1_AbC123xyz");
/// assert!(UserPoolId::parse("eu-west-1").is_err());
/// # Ok::<(), tower_cognito::ConfigError>(())
/// ```
///
/// [`CognitoConfig::builder`]: crate::CognitoConfig::builder
/// [`Require::in_pool`]: crate::Require::in_pool
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserPoolId {
    id: Box<str>,
    /// The byte index of the last `_` (an ASCII byte, so a char boundary).
    split: usize,
}

impl UserPoolId {
    /// Checks `id` against the pool id rule.
    ///
    /// # Errors
    /// [`ConfigError::InvalidUserPoolId`] with `id` when it breaks the rule.
    pub fn parse(id: &str) -> Result<Self, ConfigError> {
        let invalid = || ConfigError::InvalidUserPoolId(id.to_owned());
        if id.is_empty() || id.len() > MAX_POOL_ID_LEN {
            return Err(invalid());
        }
        let split = id.rfind('_').ok_or_else(invalid)?;
        let (prefix, name) = (id.get(..split), id.get(split + 1..));
        let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
        match (prefix, name) {
            (Some(prefix), Some(name))
                if !prefix.is_empty()
                    && !name.is_empty()
                    && prefix.bytes().all(word)
                    && name.bytes().all(|b| b.is_ascii_alphanumeric()) =>
            {
                Ok(Self {
                    id: id.into(),
                    split,
                })
            }
            _ => Err(invalid()),
        }
    }

    /// The whole id.
    pub fn as_str(&self) -> &str {
        &self.id
    }

    /// The prefix before the last `_`: the pool's region, e.g. `us-east-1` (the configuration
    /// takes another region only when given one).
    pub fn region(&self) -> &str {
        self.id.get(..self.split).unwrap_or_default()
    }

    /// The part after the last `_`, e.g. `AbC123xyz`: the pool name SRP signs with.
    pub fn name(&self) -> &str {
        self.id.get(self.split + 1..).unwrap_or_default()
    }
}

impl fmt::Debug for UserPoolId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.id, f)
    }
}

impl fmt::Display for UserPoolId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

impl FromStr for UserPoolId {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, ConfigError> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for UserPoolId {
    type Error = ConfigError;

    fn try_from(s: &str) -> Result<Self, ConfigError> {
        Self::parse(s)
    }
}

impl TryFrom<String> for UserPoolId {
    type Error = ConfigError;

    fn try_from(s: String) -> Result<Self, ConfigError> {
        Self::parse(&s)
    }
}

impl AsRef<str> for UserPoolId {
    fn as_ref(&self) -> &str {
        &self.id
    }
}

/// So that a parsed id goes wherever a pool id is taken as `impl Into<String>`
/// (`CognitoConfig::builder(id)`).
impl From<UserPoolId> for String {
    fn from(id: UserPoolId) -> Self {
        id.id.into()
    }
}

impl PartialEq<str> for UserPoolId {
    fn eq(&self, other: &str) -> bool {
        &*self.id == other
    }
}

impl PartialEq<&str> for UserPoolId {
    fn eq(&self, other: &&str) -> bool {
        &*self.id == *other
    }
}

/// An app client id: 1 to 128 ASCII letters, digits, `_`, `-` or `+`.
pub(crate) fn is_valid_client_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_CLIENT_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+'))
}

/// A region: ASCII lower-case letters, digits and `-`, not empty.
pub(crate) fn is_valid_region(region: &str) -> bool {
    !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_ids() {
        for (ok, region, name) in [
            ("us-east-1_AbC123", "us-east-1", "AbC123"),
            ("eusc-de-east-1_x", "eusc-de-east-1", "x"),
            ("a_b", "a", "b"),
            ("local_12345678", "local", "12345678"),
            // `\w` holds `_`: the split is the last one.
            ("x_y_Z9", "x_y", "Z9"),
        ] {
            let id = UserPoolId::parse(ok).unwrap();
            assert_eq!((id.as_str(), id.region(), id.name()), (ok, region, name));
            assert_eq!(id.to_string(), ok);
            assert_eq!(format!("{id:?}"), format!("{ok:?}"));
            assert_eq!(ok.parse::<UserPoolId>().unwrap(), id);
            assert_eq!(UserPoolId::try_from(ok.to_owned()).unwrap(), id);
            assert_eq!(String::from(id.clone()), ok);
            assert!(id == ok);
        }
        let longest = format!("us-east-1_{}", "a".repeat(45));
        assert_eq!(UserPoolId::parse(&longest).unwrap().name().len(), 45);
        let long = format!("us-east-1_{}", "a".repeat(46));
        for bad in [
            "",
            "nounderscore",
            "_abc",
            "us-east-1_",
            "us-east-1_ab-c",
            "us east_1",
            "é_1",
            "a_é",
            long.as_str(),
        ] {
            assert_eq!(
                UserPoolId::parse(bad),
                Err(ConfigError::InvalidUserPoolId(bad.to_owned())),
                "{bad}"
            );
            assert!(bad.parse::<UserPoolId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn client_ids_and_regions() {
        assert!(is_valid_client_id("4r1ktl3f2lrrvc1e5e0hdh1gjo"));
        assert!(is_valid_client_id("a_b-c+d"));
        assert!(is_valid_client_id(&"a".repeat(128)));
        for bad in ["", "a b", "a/b", "é", &"a".repeat(129)] {
            assert!(!is_valid_client_id(bad), "{bad}");
        }
        assert!(is_valid_region("us-east-1"));
        for bad in ["", "US-EAST-1", "us_east_1", "us east"] {
            assert!(!is_valid_region(bad), "{bad}");
        }
    }
}
