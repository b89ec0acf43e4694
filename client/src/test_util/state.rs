//! What the pool remembers: users (with password verifiers, never passwords), challenge
//! sessions, and the tokens it issued.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::passwordless::UserAuthState;
use super::{CodeKind, UserStatus};
use crate::srp::{PasswordVerifier, SrpServer};

/// A user of the pool.
pub(crate) struct User {
    pub(crate) username: String,
    pub(crate) sub: String,
    pub(crate) status: UserStatus,
    /// Every attribute, `sub` included; values as Cognito stores them (strings).
    pub(crate) attributes: BTreeMap<String, String>,
    pub(crate) verifier: PasswordVerifier,
    pub(crate) groups: Vec<String>,
    /// The codes sent and not used yet, with their expiry.
    pub(crate) codes: Vec<IssuedCode>,
    pub(crate) last_code: Option<String>,
    /// A software token associated (`AssociateSoftwareToken`) and not verified yet.
    pub(crate) pending_totp: Option<Vec<u8>>,
    /// The verified software token (`VerifySoftwareToken`).
    pub(crate) totp: Option<Vec<u8>>,
    /// TOTP MFA is on (with a verified token): by `SetUserMFAPreference`, or by the
    /// verification where MFA is required.
    pub(crate) totp_mfa: bool,
    /// The preferred MFA method (`SetUserMFAPreference`), while it is on.
    pub(crate) preferred_mfa: Option<&'static str>,
    /// The last TOTP step accepted (a code is never accepted twice).
    pub(crate) last_totp_step: Option<u64>,
    pub(crate) sms_mfa: bool,
    /// Bumped by `GlobalSignOut`: tokens of an older generation are refused.
    pub(crate) generation: u64,
}

pub(crate) struct IssuedCode {
    pub(crate) kind: CodeKind,
    pub(crate) code: String,
    pub(crate) expires_at: u64,
}

/// The origin of a chain of tokens: one sign-in and the refreshes after it.
#[derive(Clone)]
pub(crate) struct Lineage {
    pub(crate) origin_jti: String,
    pub(crate) event_id: String,
    pub(crate) auth_time: u64,
    /// When every refresh token of the lineage expires: counted from the sign-in, kept by
    /// rotation (Cognito's `RefreshTokenValidity` is an absolute limit).
    pub(crate) refresh_expires_at: u64,
    /// The OAuth scopes granted at `/oauth2/authorize` when the lineage started there (the
    /// access tokens' `scope`); `None` for a sign-in through the API.
    pub(crate) oauth_scope: Option<String>,
    /// The device of the sign-in (pools that track devices): its tokens carry `device_key`, and
    /// a refresh must send it.
    pub(crate) device_key: Option<String>,
}

/// An issued access token.
pub(crate) struct AccessRecord {
    pub(crate) username: String,
    pub(crate) sub: String,
    pub(crate) origin_jti: String,
    pub(crate) generation: u64,
    pub(crate) expires_at: u64,
    /// Its `scope` has `aws.cognito.signin.user.admin`: it may call the user-pool API.
    pub(crate) user_api: bool,
}

/// An issued refresh token.
pub(crate) struct RefreshRecord {
    pub(crate) username: String,
    pub(crate) sub: String,
    pub(crate) client_id: String,
    pub(crate) lineage: Lineage,
    pub(crate) generation: u64,
    pub(crate) expires_at: u64,
    /// When it was rotated away (a newer refresh token of the lineage replaced it): it stays
    /// valid for the app client's grace period after that.
    pub(crate) rotated_at: Option<u64>,
}

/// A `PASSWORD_VERIFIER` challenge in progress, keyed by its `SECRET_BLOCK`.
pub(crate) struct SrpSession {
    /// `None` for an unknown user: the challenge is answered like any other (so the answer does
    /// not tell whether the user exists) and the proof always fails.
    pub(crate) username: Option<String>,
    pub(crate) challenge_username: String,
    pub(crate) server: SrpServer,
    pub(crate) expires_at: u64,
    /// `DEVICE_KEY` of `InitiateAuth`, if sent.
    pub(crate) device_key: Option<String>,
}

/// Where a sign-in stands, between two calls.
pub(crate) enum Step {
    NewPassword,
    SoftwareTokenMfa,
    /// `SELECT_MFA_TYPE`: the methods offered (`MFAS_CAN_CHOOSE`).
    SelectMfaType {
        options: Vec<&'static str>,
    },
    SmsMfa {
        code: String,
    },
    MfaSetup,
    MfaSetupAssociated {
        secret: Vec<u8>,
    },
    MfaSetupVerified,
    /// A remembered device must prove its password: `DEVICE_SRP_AUTH` brings `SRP_A`.
    DeviceSrpAuth {
        device_key: String,
    },
    /// `DEVICE_PASSWORD_VERIFIER`: the exchange of the device, keyed by its `SECRET_BLOCK`.
    DevicePasswordVerifier {
        device_key: String,
        server: Box<SrpServer>,
        secret_block: String,
    },
}

impl Step {
    pub(crate) fn challenge_name(&self) -> &'static str {
        match self {
            Self::NewPassword => "NEW_PASSWORD_REQUIRED",
            Self::SoftwareTokenMfa => "SOFTWARE_TOKEN_MFA",
            Self::SmsMfa { .. } => "SMS_MFA",
            Self::SelectMfaType { .. } => "SELECT_MFA_TYPE",
            Self::MfaSetup | Self::MfaSetupAssociated { .. } | Self::MfaSetupVerified => {
                "MFA_SETUP"
            }
            Self::DeviceSrpAuth { .. } => "DEVICE_SRP_AUTH",
            Self::DevicePasswordVerifier { .. } => "DEVICE_PASSWORD_VERIFIER",
        }
    }
}

/// A challenge session (`Session`).
pub(crate) struct Session {
    pub(crate) username: String,
    pub(crate) sub: String,
    pub(crate) step: Step,
    pub(crate) expires_at: u64,
    pub(crate) failures: u32,
    /// The device key the sign-in sent (`DEVICE_KEY`), carried to its end.
    pub(crate) device_key: Option<String>,
}

/// A device the pool tracks for a user (`NewDeviceMetadata` of a sign-in), confirmed or not.
pub(crate) struct DeviceRecord {
    pub(crate) username: String,
    pub(crate) sub: String,
    pub(crate) group_key: String,
    /// From `ConfirmDevice`; `None` until then.
    pub(crate) verifier: Option<PasswordVerifier>,
    pub(crate) remembered: bool,
    pub(crate) name: Option<String>,
    pub(crate) created: u64,
    pub(crate) last_modified: u64,
    pub(crate) last_authenticated: Option<u64>,
}

#[derive(Default)]
pub(crate) struct State {
    pub(crate) users: BTreeMap<String, User>,
    pub(crate) srp: HashMap<String, SrpSession>,
    pub(crate) sessions: HashMap<String, Session>,
    pub(crate) access: HashMap<String, AccessRecord>,
    pub(crate) refresh: HashMap<String, RefreshRecord>,
    /// `origin_jti`s revoked by `RevokeToken`.
    pub(crate) revoked: HashSet<String>,
    /// Tracked devices, by device key.
    pub(crate) devices: HashMap<String, DeviceRecord>,
    /// Each user's device group key, by user name.
    pub(crate) device_groups: HashMap<String, String>,
    /// Choice-based sign-in and passkeys.
    pub(crate) user_auth: UserAuthState,
}

impl State {
    /// Forgets what has expired, so the maps stay bounded by what is live.
    pub(crate) fn prune(&mut self, now: u64) {
        self.srp.retain(|_, s| s.expires_at > now);
        self.sessions.retain(|_, s| s.expires_at > now);
        // Expired access tokens are kept a day longer, to answer "has expired".
        self.access
            .retain(|_, a| a.expires_at.saturating_add(86_400) > now);
        self.refresh.retain(|_, r| r.expires_at > now);
        for user in self.users.values_mut() {
            user.codes.retain(|c| c.expires_at > now);
        }
    }
}
