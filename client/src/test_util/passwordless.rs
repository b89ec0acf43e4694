//! Choice-based sign-in (`USER_AUTH`) in the local pool: its settings (the allowed first
//! factors, the WebAuthn relying party), what it remembers (challenge sessions, passkeys,
//! pending registrations, sign-up sessions, email MFA), and the builder and pool methods that
//! set them.

use std::collections::{BTreeMap, HashMap};

use super::webauthn::{Registered, RelyingParty};
use super::{LocalPoolError, LocalUserPool, LocalUserPoolBuilder};

/// The first factors a pool may allow (`AuthFactorType` of the service model: a password
/// covers both `PASSWORD` and `PASSWORD_SRP`).
pub(crate) const FIRST_FACTORS: [&str; 4] = ["PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"];

/// The `USER_AUTH` settings of a pool.
#[derive(Debug, Clone)]
pub(crate) struct UserAuthSettings {
    /// `SignInPolicy.AllowedFirstAuthFactors` (default `PASSWORD`, as Cognito's).
    pub(crate) first_factors: Vec<String>,
    /// `WebAuthnConfiguration`: without it, passkeys are
    /// `WebAuthnConfigurationMissingException`.
    pub(crate) relying_party: Option<RelyingParty>,
    user_verification_required: bool,
}

impl Default for UserAuthSettings {
    fn default() -> Self {
        Self {
            first_factors: vec!["PASSWORD".to_owned()],
            relying_party: None,
            user_verification_required: false,
        }
    }
}

impl UserAuthSettings {
    pub(crate) fn allows(&self, factor: &str) -> bool {
        self.first_factors.iter().any(|f| f == factor)
    }

    pub(crate) fn validate(&self) -> Result<(), LocalPoolError> {
        if self
            .first_factors
            .iter()
            .any(|f| !FIRST_FACTORS.contains(&f.as_str()))
        {
            return Err(LocalPoolError::InvalidSetting(
                "the first factors are PASSWORD, EMAIL_OTP, SMS_OTP and WEB_AUTHN",
            ));
        }
        match &self.relying_party {
            Some(rp) if rp.id.is_empty() || rp.origins.iter().any(String::is_empty) => Err(
                LocalPoolError::InvalidSetting("the relying party id and origin must not be empty"),
            ),
            _ => Ok(()),
        }
    }
}

/// Where a `USER_AUTH` sign-in stands, between two calls.
pub(crate) enum AuthStep {
    SelectChallenge,
    /// `EMAIL_OTP`, as a first factor or as MFA after the password.
    EmailOtp {
        code: String,
    },
    SmsOtp {
        code: String,
    },
    WebAuthn {
        challenge: Vec<u8>,
    },
}

impl AuthStep {
    pub(crate) fn challenge_name(&self) -> &'static str {
        match self {
            Self::SelectChallenge => "SELECT_CHALLENGE",
            Self::EmailOtp { .. } => "EMAIL_OTP",
            Self::SmsOtp { .. } => "SMS_OTP",
            Self::WebAuthn { .. } => "WEB_AUTHN",
        }
    }
}

/// A `USER_AUTH` challenge session.
pub(crate) struct AuthSession {
    pub(crate) username: String,
    pub(crate) sub: String,
    pub(crate) step: AuthStep,
    pub(crate) expires_at: u64,
    pub(crate) failures: u32,
    /// Email MFA after a password: the sign-in's device key (`Some(None)`: none sent), so that
    /// its end takes the device step as the other MFA answers do. `None` for a first factor.
    pub(crate) after_password: Option<Option<String>>,
}

/// A registered passkey.
pub(crate) struct Passkey {
    /// The `sub` of the user it was registered for (a user re-created under the same name does
    /// not inherit it).
    pub(crate) sub: String,
    pub(crate) key: Registered,
    pub(crate) relying_party_id: String,
    pub(crate) created_at: u64,
}

/// A `StartWebAuthnRegistration` waiting for its completion.
pub(crate) struct Registration {
    pub(crate) sub: String,
    pub(crate) challenge: Vec<u8>,
    pub(crate) expires_at: u64,
}

/// The session `ConfirmSignUp` returned: one sign-in, within its lifetime.
pub(crate) struct SignUpSession {
    pub(crate) username: String,
    pub(crate) sub: String,
    pub(crate) expires_at: u64,
}

/// What the pool remembers for `USER_AUTH`.
#[derive(Default)]
pub(crate) struct UserAuthState {
    pub(crate) sessions: HashMap<String, AuthSession>,
    pub(crate) sign_up_sessions: HashMap<String, SignUpSession>,
    /// Pending registrations, by user name.
    pub(crate) registrations: HashMap<String, Registration>,
    /// Passkeys, by user name.
    pub(crate) passkeys: BTreeMap<String, Vec<Passkey>>,
    /// Users with email MFA on, by user name, with their `sub`.
    pub(crate) email_mfa: BTreeMap<String, String>,
}

impl UserAuthState {
    /// Forgets expired sessions and registrations.
    pub(crate) fn prune(&mut self, now: u64) {
        self.sessions.retain(|_, s| s.expires_at > now);
        self.sign_up_sessions.retain(|_, s| s.expires_at > now);
        self.registrations.retain(|_, r| r.expires_at > now);
    }

    /// The passkeys of `username` whose `sub` is `sub`.
    pub(crate) fn passkeys_of<'a>(
        &'a self,
        username: &str,
        sub: &'a str,
    ) -> impl Iterator<Item = &'a Passkey> + 'a {
        self.passkeys
            .get(username)
            .into_iter()
            .flatten()
            .filter(move |p| p.sub == sub)
    }
}

impl LocalUserPoolBuilder {
    /// The first factors of choice-based sign-in (`USER_AUTH`) the pool allows, as
    /// `SignInPolicy.AllowedFirstAuthFactors`: `PASSWORD` (which allows `PASSWORD` and
    /// `PASSWORD_SRP`), `EMAIL_OTP`, `SMS_OTP`, `WEB_AUTHN`. Default: `PASSWORD` only, as
    /// Cognito's. A user is offered `EMAIL_OTP` when it has an `email`, `SMS_OTP` when it has
    /// a `phone_number`, `WEB_AUTHN` when it has a passkey. Build refuses other names.
    ///
    /// What differs from Cognito, on purpose or for want of a source: the email address and
    /// phone number need not be verified; `USER_AUTH` tells an unknown user
    /// (`NotAuthorizedException`) from a known one (a challenge), as with the user-existence
    /// errors on; the `PASSWORD_VERIFIER` step of `PASSWORD_SRP` is tied to its `SECRET_BLOCK`,
    /// not to its session; passkeys are ES256 with attestation `none` only. Registrations are
    /// refused with the service model's errors (`WebAuthnChallengeNotFoundException`,
    /// `WebAuthnOriginNotAllowedException`, `WebAuthnRelyingPartyMismatchException`,
    /// `WebAuthnCredentialNotSupportedException`); a refused passkey sign-in answers the origin
    /// and RP id errors alike and `NotAuthorizedException` otherwise (challenge, flags, sign
    /// count, signature, unknown passkey): Cognito's own answers there are unconfirmed.
    pub fn allowed_first_auth_factors<I, S>(mut self, factors: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.user_auth.first_factors = factors.into_iter().map(Into::into).collect();
        self
    }

    /// The WebAuthn relying party (`WebAuthnConfiguration.RelyingPartyId`, e.g.
    /// `app.example.com`) and an origin the pool accepts passkeys from (e.g.
    /// `https://app.example.com`); call again to allow more origins of the same RP id. Without
    /// it, passkey calls answer `WebAuthnConfigurationMissingException`.
    pub fn web_authn_relying_party(
        mut self,
        relying_party_id: impl Into<String>,
        origin: impl Into<String>,
    ) -> Self {
        let id = relying_party_id.into();
        let origin = origin.into();
        let required = self.user_auth.user_verification_required;
        match &mut self.user_auth.relying_party {
            Some(rp) if rp.id == id => rp.origins.push(origin),
            rp => {
                *rp = Some(RelyingParty {
                    id,
                    origins: vec![origin],
                    user_verification_required: required,
                });
            }
        }
        self
    }

    /// Whether passkeys must verify the user (`WebAuthnConfiguration.UserVerification`
    /// `required`; default `preferred`: only user presence is required).
    pub fn web_authn_user_verification(mut self, required: bool) -> Self {
        self.user_auth.user_verification_required = required;
        if let Some(rp) = &mut self.user_auth.relying_party {
            rp.user_verification_required = required;
        }
        self
    }
}

impl LocalUserPool {
    /// Turns email MFA on for `username`: its password sign-ins then answer `EMAIL_OTP`, with
    /// a code read by [`last_code`](Self::last_code). Returns whether the user exists and has
    /// an `email`.
    pub fn enable_email_mfa(&self, username: &str) -> bool {
        let mut state = self.shared.state();
        let sub = match state.users.get(username) {
            Some(user) if user.attributes.contains_key("email") => user.sub.clone(),
            _ => return false,
        };
        state.user_auth.email_mfa.insert(username.to_owned(), sub);
        true
    }

    /// The ids (base64url) and signature counters of the passkeys of `username`.
    pub fn web_authn_credentials(&self, username: &str) -> Vec<(String, u32)> {
        let state = self.shared.state();
        let Some(user) = state.users.get(username) else {
            return Vec::new();
        };
        state
            .user_auth
            .passkeys_of(username, &user.sub)
            .map(|p| {
                (
                    super::webauthn::b64url(&p.key.credential_id),
                    p.key.sign_count,
                )
            })
            .collect()
    }
}
