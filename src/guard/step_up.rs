//! The step-up part of a [`Require`](super::Require) (RFC 9470): how recent the sign-in must be
//! (`auth_time`), at which level (`acr`) and with which methods (`amr`). Merged by
//! [`Require::and`](super::Require::and) into one [`StepUp`], checked after the scopes, groups and
//! pool (re-authenticating grants none of those), with its refusals made once, when the
//! requirement is.

use crate::claims::CognitoClaims;
use crate::error::{Error, ErrorKind};

/// What a requirement asks of the sign-in. Several `max_age`s keep the strictest, several `acr`
/// requirements the values each of them accepts, several `amr` requirements every method.
#[derive(Debug, Clone)]
pub(super) struct StepUp {
    /// Seconds since `auth_time`, at most (plus the leeway).
    max_age: Option<u64>,
    /// The acceptable `acr` values, in order of preference; `None`: any level (or none).
    acr: Option<Box<[Box<str>]>>,
    /// The `amr` methods the sign-in must all have used.
    amr: Box<[Box<str>]>,
    /// The refusals, by what failed: bit 0 the age (with `max_age`), bit 1 the level (with
    /// `acr_values`).
    refusals: [Error; 4],
}

impl Default for StepUp {
    fn default() -> Self {
        Self::new(None, None, Box::new([]))
    }
}

impl StepUp {
    fn new(max_age: Option<u64>, acr: Option<Box<[Box<str>]>>, amr: Box<[Box<str>]>) -> Self {
        let bare = Error::insufficient_user_authentication();
        let aged = |error: Error| match max_age {
            Some(age) => error.with_max_age(age),
            None => error,
        };
        let leveled = |error: Error| match &acr {
            Some(values) if !values.is_empty() => error.with_acr_values(values.join(" ")),
            _ => error,
        };
        let refusals = [
            bare.clone(),
            aged(bare.clone()),
            leveled(bare.clone()),
            leveled(aged(bare)),
        ];
        Self {
            max_age,
            acr,
            amr,
            refusals,
        }
    }

    /// A sign-in at most `seconds` old.
    pub(super) fn max_age(seconds: u64) -> Self {
        Self::new(Some(seconds), None, Box::new([]))
    }

    /// A sign-in at one of these levels (checked non-empty and well-formed by the caller).
    pub(super) fn acr(values: Box<[Box<str>]>) -> Self {
        Self::new(None, Some(values), Box::new([]))
    }

    /// A sign-in that used every one of these methods.
    pub(super) fn amr(methods: Box<[Box<str>]>) -> Self {
        Self::new(None, None, methods)
    }

    /// Both: the strictest age, the levels both accept (in `self`'s order), every method.
    pub(super) fn and(self, other: &Self) -> Self {
        let max_age = match (self.max_age, other.max_age) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let acr = match (self.acr, &other.acr) {
            (Some(a), Some(b)) => Some(a.into_iter().filter(|v| b.contains(v)).collect()),
            (a, b) => a.or_else(|| b.clone()),
        };
        let mut amr = self.amr.into_vec();
        for method in other.amr.iter() {
            if !amr.contains(method) {
                amr.push(method.clone());
            }
        }
        Self::new(max_age, acr, amr.into_boxed_slice())
    }

    /// Whether the requirement asks nothing of the sign-in.
    pub(super) fn is_empty(&self) -> bool {
        self.max_age.is_none() && self.acr.is_none() && self.amr.is_empty()
    }

    /// The seconds since the sign-in this requirement allows.
    pub(super) fn max_age_secs(&self) -> Option<u64> {
        self.max_age
    }

    /// The acceptable `acr` values, in order of preference.
    pub(super) fn acr_values(&self) -> Option<&[Box<str>]> {
        self.acr.as_deref()
    }

    /// Whether the sign-in of `claims` is recent and strong enough. `now` is read only when an age
    /// is required (one clock read, or none).
    ///
    /// A missing `auth_time` fails the age (fail closed); an `auth_time` later than
    /// `now + leeway` is an invalid token (`401 invalid_token`), not a sign-in to repeat. Every
    /// rule is checked, so one refusal names all that failed: the client signs in once.
    pub(super) fn check<E>(
        &self,
        claims: &CognitoClaims<E>,
        now: impl FnOnce() -> u64,
        leeway: u64,
    ) -> Result<(), Error> {
        let mut too_old = false;
        if let Some(max_age) = self.max_age {
            let now = now();
            match claims.auth_time {
                None => too_old = true,
                Some(at) if at > now.saturating_add(leeway) => {
                    return Err(Error::new(ErrorKind::InvalidClaims));
                }
                Some(at) => too_old = now.saturating_sub(at) > max_age.saturating_add(leeway),
            }
        }
        // Exact strings: a level the configuration does not name (or none) ranks lowest.
        let too_weak = self.acr.as_ref().is_some_and(|accepted| {
            claims
                .acr
                .as_deref()
                .is_none_or(|acr| !accepted.iter().any(|v| **v == *acr))
        });
        let methods_missing = self
            .amr
            .iter()
            .any(|method| !claims.amr.iter().any(|used| *used == **method));
        if !(too_old || too_weak || methods_missing) {
            return Ok(());
        }
        // A missing method is cured by a sign-in at the configured level, when there is one.
        let level = too_weak || (methods_missing && self.acr.is_some());
        let index = usize::from(too_old) | (usize::from(level) << 1);
        Err(self
            .refusals
            .get(index)
            .cloned()
            .unwrap_or_else(Error::insufficient_user_authentication))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(auth_time: Option<u64>, acr: Option<&str>, amr: &[&str]) -> CognitoClaims {
        let mut payload = serde_json::json!({
            "sub": "s", "iss": "i", "token_use": "access", "exp": 1, "amr": amr,
        });
        if let Some(at) = auth_time {
            payload["auth_time"] = at.into();
        }
        if let Some(acr) = acr {
            payload["acr"] = acr.into();
        }
        serde_json::from_value(payload).unwrap()
    }

    fn names(values: &[&str]) -> Box<[Box<str>]> {
        values.iter().map(|v| Box::from(*v)).collect()
    }

    #[test]
    fn and_keeps_the_strictest_age_the_common_levels_and_every_method() {
        let merged = StepUp::max_age(600)
            .and(&StepUp::acr(names(&["a", "b", "c"])))
            .and(&StepUp::max_age(300))
            .and(&StepUp::acr(names(&["c", "b"])))
            .and(&StepUp::amr(names(&["mfa"])))
            .and(&StepUp::amr(names(&["pwd", "mfa"])));
        assert_eq!(merged.max_age_secs(), Some(300));
        assert_eq!(merged.acr_values(), Some(&names(&["b", "c"])[..]));
        assert_eq!(&*merged.amr, &names(&["mfa", "pwd"])[..]);
        assert!(StepUp::default().is_empty());
        assert!(!merged.is_empty());
        // Levels no clause shares: nothing can pass, and no `acr_values` is offered.
        let none = StepUp::acr(names(&["a"])).and(&StepUp::acr(names(&["b"])));
        let refused = none
            .check(&claims(None, Some("a"), &[]), || 0, 0)
            .unwrap_err();
        assert_eq!(refused.acr_values(), None);
    }

    #[test]
    fn the_clock_is_read_only_when_an_age_is_required() {
        let unread = || -> u64 { panic!("the clock was read") };
        let level = StepUp::acr(names(&["x"]));
        assert!(
            level
                .check(&claims(None, Some("x"), &[]), unread, 0)
                .is_ok()
        );
        let mut reads = 0;
        let aged = StepUp::max_age(10);
        let result = aged.check(
            &claims(Some(100), None, &[]),
            || {
                reads += 1;
                105
            },
            0,
        );
        assert_eq!((result, reads), (Ok(()), 1));
    }

    #[test]
    fn one_refusal_names_every_failed_rule_and_only_those() {
        let rule = StepUp::max_age(10)
            .and(&StepUp::acr(names(&["strong"])))
            .and(&StepUp::amr(names(&["mfa"])));
        let at = |t: u64, acr: &str, amr: &[&str]| {
            rule.check(&claims(Some(t), Some(acr), amr), || 100, 0)
                .map_err(|e| (e.kind(), e.max_age(), e.acr_values().map(str::to_owned)))
        };
        let kind = ErrorKind::InsufficientUserAuthentication;
        let strong = Some("strong".to_owned());
        assert_eq!(at(90, "strong", &["mfa"]), Ok(()));
        assert_eq!(at(89, "strong", &["mfa"]), Err((kind, Some(10), None)));
        assert_eq!(at(90, "weak", &["mfa"]), Err((kind, None, strong.clone())));
        assert_eq!(
            at(90, "strong", &["pwd"]),
            Err((kind, None, strong.clone()))
        );
        assert_eq!(at(89, "weak", &["pwd"]), Err((kind, Some(10), strong)));
        // A sign-in in the future (beyond the leeway) is an invalid token, whatever else fails.
        assert_eq!(
            at(101, "weak", &[]),
            Err((ErrorKind::InvalidClaims, None, None))
        );
        // No level configured: a missing method offers no `acr_values`.
        let mfa = StepUp::amr(names(&["mfa"]));
        let refused = mfa.check(&claims(None, None, &[]), || 0, 0).unwrap_err();
        assert_eq!((refused.max_age(), refused.acr_values()), (None, None));
    }
}
