//! Choice-based sign-in (`USER_AUTH`): the first factor chosen by the user (password, password
//! with SRP, a one-time code by email or SMS, a passkey), the answers of its challenges, and
//! sign-in straight after `ConfirmSignUp`.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::UserPoolClient;
use super::auth::{INITIATE_AUTH, RESPOND_TO_AUTH_CHALLENGE, password_verifier_challenge};
use super::challenge::{Challenge, ChallengeAnswer, SignIn, sign_in_from_wire};
use super::error::{ClientError, ClientErrorKind, ProtocolError};
use super::factor::FirstFactor;
use super::secret::Secret;
use super::srp::SrpClient;
use super::wire;

const CONFIRM_SIGN_UP: &str = "ConfirmSignUp";

/// `InitiateAuth` with `USER_AUTH`, which may carry the session of `ConfirmSignUp`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct UserAuthRequest<'a> {
    auth_flow: &'static str,
    client_id: &'a str,
    auth_parameters: BTreeMap<&'static str, &'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    session: Option<&'a str>,
}

/// `ConfirmSignUp`'s answer: the session for sign-in, when the pool gives one.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ConfirmSignUpResponse {
    session: Option<String>,
}

/// An SRP exchange under way: the client's secret `a` lives here until the password claim.
struct SrpStart {
    srp: SrpClient,
    srp_a: String,
}

impl SrpStart {
    fn new(client: &UserPoolClient, operation: &'static str) -> Result<Self, ClientError> {
        let srp = SrpClient::for_pool_name(client.inner.user_pool_id.name())
            .map_err(|e| ClientError::new(operation, ClientErrorKind::Srp(e)))?;
        let srp_a = srp.srp_a_hex();
        Ok(Self { srp, srp_a })
    }
}

impl UserPoolClient {
    /// Starts a choice-based sign-in (`InitiateAuth` with `USER_AUTH`; the app client must
    /// allow `ALLOW_USER_AUTH`).
    ///
    /// Without `preferred`, Cognito answers [`Challenge::SelectChallenge`] with the factors
    /// the user may choose. With one, it goes straight to that factor: tokens (or MFA) for a
    /// password, [`Challenge::EmailOtp`] or [`Challenge::SmsOtp`] once the code is sent,
    /// [`Challenge::WebAuthn`] for a passkey. Cognito falls back to `SELECT_CHALLENGE` when
    /// the preferred factor is not available to the user.
    ///
    /// ```no_run
    /// use tower_cognito_client::{ChallengeAnswer, FirstFactor, Secret, UserPoolClient};
    ///
    /// # async fn run(client: UserPoolClient) -> Result<(), Box<dyn std::error::Error>> {
    /// let step = client.sign_in_user_auth("alice", Some(&FirstFactor::EmailOtp)).await?;
    /// let challenge = step.challenge().ok_or("signed in without a code")?;
    /// let code = Secret::new("123456"); // what the user read in the email
    /// let tokens = client
    ///     .respond_to_challenge(&challenge, &ChallengeAnswer::EmailOtpCode(code))
    ///     .await?
    ///     .tokens()
    ///     .ok_or("another challenge")?;
    /// # let _ = tokens; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// A [`ClientError`]; a flow the app client does not allow is
    /// [`InvalidParameter`](super::CognitoErrorKind::InvalidParameter) or
    /// [`NotAuthorized`](super::CognitoErrorKind::NotAuthorized), a wrong password
    /// `NotAuthorized`; a malformed `PASSWORD_VERIFIER` challenge is
    /// [`ClientErrorKind::Srp`] or [`ClientErrorKind::Protocol`].
    pub async fn sign_in_user_auth(
        &self,
        username: &str,
        preferred: Option<&FirstFactor>,
    ) -> Result<SignIn, ClientError> {
        let srp = match preferred {
            Some(FirstFactor::PasswordSrp(_)) => Some(SrpStart::new(self, INITIATE_AUTH)?),
            _ => None,
        };
        let secret_hash = self.inner.secret_hash(username);
        let mut parameters = BTreeMap::from([("USERNAME", username)]);
        if let Some(factor) = preferred {
            parameters.insert("PREFERRED_CHALLENGE", first_factor_name(factor));
        }
        match (preferred, &srp) {
            (Some(FirstFactor::Password(password)), _) => {
                parameters.insert("PASSWORD", password.expose());
            }
            (Some(FirstFactor::PasswordSrp(_)), Some(start)) => {
                parameters.insert("SRP_A", start.srp_a.as_str());
            }
            _ => {}
        }
        if let Some(hash) = &secret_hash {
            parameters.insert("SECRET_HASH", hash.expose());
        }
        let answer = self.user_auth(parameters, None).await?;
        match (preferred, srp) {
            (Some(FirstFactor::PasswordSrp(password)), Some(start))
                if answer.challenge_name.as_deref() == Some("PASSWORD_VERIFIER") =>
            {
                self.answer_password_verifier(INITIATE_AUTH, start, answer, password)
                    .await
            }
            _ => sign_in_from_wire(INITIATE_AUTH, answer, username, SystemTime::now()),
        }
    }

    /// Signs in straight after [`confirm_sign_up_with_session`](Self::confirm_sign_up_with_session),
    /// with the session it returned (`InitiateAuth` `USER_AUTH` with `Session`): the
    /// confirmation code counts as the first factor. The session works once, for the few
    /// minutes of its lifetime.
    ///
    /// # Errors
    /// A [`ClientError`]; a used or expired session is
    /// [`NotAuthorized`](super::CognitoErrorKind::NotAuthorized).
    pub async fn sign_in_after_sign_up(
        &self,
        username: &str,
        session: &Secret,
    ) -> Result<SignIn, ClientError> {
        let secret_hash = self.inner.secret_hash(username);
        let mut parameters = BTreeMap::from([("USERNAME", username)]);
        if let Some(hash) = &secret_hash {
            parameters.insert("SECRET_HASH", hash.expose());
        }
        let answer = self.user_auth(parameters, Some(session.expose())).await?;
        sign_in_from_wire(INITIATE_AUTH, answer, username, SystemTime::now())
    }

    /// Confirms a sign-up with the code Cognito sent (`ConfirmSignUp`), as
    /// [`confirm_sign_up`](Self::confirm_sign_up), and returns the session of the answer, if
    /// any: pass it to [`sign_in_after_sign_up`](Self::sign_in_after_sign_up) to sign the
    /// user in without asking for a factor again.
    ///
    /// # Errors
    /// As [`confirm_sign_up`](Self::confirm_sign_up).
    pub async fn confirm_sign_up_with_session(
        &self,
        username: &str,
        code: &Secret,
    ) -> Result<Option<Secret>, ClientError> {
        let secret_hash = self.inner.secret_hash(username);
        let body = wire::ConfirmRequest {
            client_id: &self.inner.client_id,
            username,
            confirmation_code: code.expose(),
            password: None,
            secret_hash: secret_hash.as_ref().map(Secret::expose),
        };
        let answer: ConfirmSignUpResponse = self.inner.call(CONFIRM_SIGN_UP, &body).await?;
        Ok(answer.session.filter(|s| !s.is_empty()).map(Secret::new))
    }

    /// `InitiateAuth` with `USER_AUTH`.
    async fn user_auth(
        &self,
        parameters: BTreeMap<&'static str, &str>,
        session: Option<&str>,
    ) -> Result<wire::AuthResponse, ClientError> {
        let body = UserAuthRequest {
            auth_flow: "USER_AUTH",
            client_id: &self.inner.client_id,
            auth_parameters: parameters,
            session,
        };
        self.inner.call(INITIATE_AUTH, &body).await
    }

    /// Answers the choice-based sign-in challenges with their answers; `None` when `answer`
    /// is not one of them (the caller handles it).
    pub(crate) async fn respond_user_auth(
        &self,
        challenge: &Challenge,
        answer: &ChallengeAnswer,
    ) -> Option<Result<SignIn, ClientError>> {
        let result = match answer {
            ChallengeAnswer::SelectChallenge(factor) => {
                self.select_challenge(challenge, factor).await
            }
            ChallengeAnswer::EmailOtpCode(code) => match challenge {
                Challenge::EmailOtp { .. } => {
                    self.respond(challenge, "EMAIL_OTP_CODE", code.expose())
                        .await
                }
                _ => Err(mismatch()),
            },
            ChallengeAnswer::SmsOtpCode(code) => match challenge {
                Challenge::SmsOtp { .. } => {
                    self.respond(challenge, "SMS_OTP_CODE", code.expose()).await
                }
                _ => Err(mismatch()),
            },
            ChallengeAnswer::WebAuthnCredential(credential) => match challenge {
                Challenge::WebAuthn { .. } => self.web_authn(challenge, credential.expose()).await,
                _ => Err(mismatch()),
            },
            _ => return None,
        };
        Some(result)
    }

    async fn select_challenge(
        &self,
        challenge: &Challenge,
        factor: &FirstFactor,
    ) -> Result<SignIn, ClientError> {
        if !matches!(challenge, Challenge::SelectChallenge { .. }) {
            return Err(mismatch());
        }
        let username = challenge.username();
        let srp = match factor {
            FirstFactor::PasswordSrp(_) => Some(SrpStart::new(self, RESPOND_TO_AUTH_CHALLENGE)?),
            _ => None,
        };
        let mut responses = BTreeMap::from([("ANSWER".to_owned(), first_factor_name(factor))]);
        match (factor, &srp) {
            (FirstFactor::Password(password), _) => {
                responses.insert("PASSWORD".to_owned(), password.expose());
            }
            (FirstFactor::PasswordSrp(_), Some(start)) => {
                responses.insert("SRP_A".to_owned(), start.srp_a.as_str());
            }
            _ => {}
        }
        let answer = self
            .send_responses("SELECT_CHALLENGE", challenge.session(), username, responses)
            .await?;
        match (factor, srp) {
            (FirstFactor::PasswordSrp(password), Some(start))
                if answer.challenge_name.as_deref() == Some("PASSWORD_VERIFIER") =>
            {
                self.answer_password_verifier(RESPOND_TO_AUTH_CHALLENGE, start, answer, password)
                    .await
            }
            _ => sign_in_from_wire(
                RESPOND_TO_AUTH_CHALLENGE,
                answer,
                username,
                SystemTime::now(),
            ),
        }
    }

    async fn web_authn(
        &self,
        challenge: &Challenge,
        credential: &str,
    ) -> Result<SignIn, ClientError> {
        // Checked, never rewritten: the authenticator's JSON goes to Cognito as it is.
        let is_object =
            serde_json::from_str::<serde_json::Value>(credential).is_ok_and(|v| v.is_object());
        if !is_object {
            return Err(ClientError::new(
                RESPOND_TO_AUTH_CHALLENGE,
                ClientErrorKind::InvalidInput("the passkey credential is not a JSON object"),
            ));
        }
        let next = self.respond(challenge, "CREDENTIAL", credential).await?;
        if let SignIn::Challenge(Challenge::WebAuthn { .. }) = next {
            // A passkey answered with another passkey challenge: amplify-js refuses it too.
            return Err(ClientError::protocol(
                RESPOND_TO_AUTH_CHALLENGE,
                ProtocolError::InvalidField("ChallengeName"),
            ));
        }
        Ok(next)
    }

    /// Answers `challenge` with one response (and `USERNAME`, `SECRET_HASH`).
    async fn respond(
        &self,
        challenge: &Challenge,
        name: &str,
        value: &str,
    ) -> Result<SignIn, ClientError> {
        let username = challenge.username();
        let responses = BTreeMap::from([(name.to_owned(), value)]);
        let answer = self
            .send_responses(challenge.name(), challenge.session(), username, responses)
            .await?;
        sign_in_from_wire(
            RESPOND_TO_AUTH_CHALLENGE,
            answer,
            username,
            SystemTime::now(),
        )
    }

    async fn send_responses(
        &self,
        challenge_name: &str,
        session: &Secret,
        username: &str,
        mut responses: BTreeMap<String, &str>,
    ) -> Result<wire::AuthResponse, ClientError> {
        responses.insert("USERNAME".to_owned(), username);
        let secret_hash = self.inner.secret_hash(username);
        if let Some(hash) = &secret_hash {
            responses.insert("SECRET_HASH".to_owned(), hash.expose());
        }
        let body = wire::RespondToAuthChallengeRequest {
            challenge_name,
            client_id: &self.inner.client_id,
            session: Some(session.expose()),
            challenge_responses: responses,
        };
        self.inner.call(RESPOND_TO_AUTH_CHALLENGE, &body).await
    }

    /// The `PASSWORD_VERIFIER` step of `PASSWORD_SRP`, exactly as `USER_SRP_AUTH`'s: the
    /// password claim over the challenge's `USERNAME`, with the challenge's session.
    async fn answer_password_verifier(
        &self,
        operation: &'static str,
        start: SrpStart,
        answer: wire::AuthResponse,
        password: &Secret,
    ) -> Result<SignIn, ClientError> {
        let challenge = password_verifier_challenge(operation, &answer)?;
        self.respond_password_verifier(
            &start.srp,
            &challenge,
            password,
            answer.session.as_deref(),
            None,
        )
        .await
    }
}

fn first_factor_name(factor: &FirstFactor) -> &'static str {
    match factor {
        FirstFactor::Password(_) => "PASSWORD",
        FirstFactor::PasswordSrp(_) => "PASSWORD_SRP",
        FirstFactor::EmailOtp => "EMAIL_OTP",
        FirstFactor::SmsOtp => "SMS_OTP",
        FirstFactor::WebAuthn => "WEB_AUTHN",
    }
}

fn mismatch() -> ClientError {
    ClientError::new(
        RESPOND_TO_AUTH_CHALLENGE,
        ClientErrorKind::InvalidInput("the answer does not fit the challenge"),
    )
}
