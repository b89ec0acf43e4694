//! Choice-based sign-in (`USER_AUTH`) and passkeys, `UserPoolClient` against `LocalUserPool`
//! (loopback only): `SELECT_CHALLENGE`, passwords with and without SRP, email and SMS one-time
//! codes (wrong, expired, too many), email MFA, sign-in with the session of `ConfirmSignUp`,
//! passkey registration, sign-in, listing and deletion with a software authenticator, and every
//! kind of tampered passkey answer refused with its error.
//!
//! Run: `cargo test -p tower-cognito-client --features test-util --test it user_auth::`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use tower_cognito::{clock::Clock as _, clock::SystemClock};
use tower_cognito_client::test_util::{
    LocalPoolError, LocalUserPool, LocalUserPoolBuilder, SoftwareAuthenticator,
};
use tower_cognito_client::{
    AuthFactor, Challenge, ChallengeAnswer, ClientError, ClientErrorKind, FirstFactor, Secret,
    SignIn, SignUpInput, Tokens,
};

const PASSWORD: &str = "Corr3ct-horse-battery";
const RP_ID: &str = "app.example.com";
const ORIGIN: &str = "https://app.example.com";
const ALL: [&str; 4] = ["PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"];

type Fixture = crate::support::PoolFixture;

async fn fixture_with(
    settings: impl FnOnce(LocalUserPoolBuilder) -> LocalUserPoolBuilder,
) -> Fixture {
    crate::support::pool_fixture(SystemClock.now(), settings).await
}

/// Every first factor, passkeys at `RP_ID` from `ORIGIN`, a client secret, and alice with an
/// email and a phone number.
async fn fixture() -> Fixture {
    let f = fixture_with(|b| {
        b.client_secret("app-client-secret-1q2w3e4r")
            .allowed_first_auth_factors(ALL)
            .web_authn_relying_party(RP_ID, ORIGIN)
    })
    .await;
    f.pool
        .create_user(
            "alice",
            PASSWORD,
            &[
                ("email", "alice@example.com"),
                ("phone_number", "+15555550100"),
            ],
        )
        .await
        .unwrap();
    f
}

fn cognito_error(result: Result<impl std::fmt::Debug, ClientError>) -> String {
    result
        .expect_err("a Cognito error")
        .type_name()
        .unwrap_or("none")
        .to_owned()
}

fn tokens_in(step: SignIn) -> Tokens {
    match step {
        SignIn::Tokens(tokens) => tokens,
        SignIn::Challenge(challenge) => panic!("a challenge: {challenge:?}"),
    }
}

fn challenge_in(step: SignIn) -> Challenge {
    match step {
        SignIn::Challenge(challenge) => challenge,
        SignIn::Tokens(_) => panic!("tokens, not a challenge"),
    }
}

impl Fixture {
    fn assert_signed_in(&self, tokens: &Tokens, username: &str) {
        let claims = tokens.verify_access(&self.layer).unwrap();
        assert_eq!(claims.username(), Some(username));
        assert!(tokens.refresh_token.is_some());
    }

    fn code(&self, username: &str) -> Secret {
        Secret::new(self.pool.last_code(username).unwrap())
    }

    /// Signs alice in with her password and registers `authenticator` as her passkey.
    async fn register(&self, authenticator: &mut SoftwareAuthenticator) -> Tokens {
        let tokens = tokens_in(
            self.client
                .sign_in_user_auth("alice", Some(&FirstFactor::Password(Secret::new(PASSWORD))))
                .await
                .unwrap(),
        );
        let options = self
            .client
            .start_web_authn_registration(&tokens.access_token)
            .await
            .unwrap();
        let credential = authenticator.register(&options).unwrap();
        self.client
            .complete_web_authn_registration(&tokens.access_token, &credential)
            .await
            .unwrap();
        tokens
    }

    /// A `WEB_AUTHN` challenge for alice.
    async fn passkey_challenge(&self) -> (Challenge, String) {
        let challenge = challenge_in(
            self.client
                .sign_in_user_auth("alice", Some(&FirstFactor::WebAuthn))
                .await
                .unwrap(),
        );
        let Challenge::WebAuthn {
            credential_request_options,
            ..
        } = &challenge
        else {
            panic!("{challenge:?}")
        };
        let options = credential_request_options.clone();
        (challenge, options)
    }

    async fn answer_passkey(
        &self,
        challenge: &Challenge,
        credential: String,
    ) -> Result<SignIn, ClientError> {
        self.client
            .respond_to_challenge(
                challenge,
                &ChallengeAnswer::WebAuthnCredential(Secret::new(credential)),
            )
            .await
    }
}

#[tokio::test]
async fn select_challenge_lists_the_factors_of_the_user_and_each_one_signs_in() {
    let f = fixture().await;
    let step = f.client.sign_in_user_auth("alice", None).await.unwrap();
    let select = challenge_in(step);
    let Challenge::SelectChallenge { available, .. } = &select else {
        panic!("{select:?}")
    };
    // No passkey yet: WEB_AUTHN is not offered.
    assert_eq!(
        available,
        &[
            AuthFactor::Password,
            AuthFactor::PasswordSrp,
            AuthFactor::EmailOtp,
            AuthFactor::SmsOtp
        ]
    );
    let tokens = tokens_in(
        f.client
            .respond_to_challenge(
                &select,
                &ChallengeAnswer::SelectChallenge(FirstFactor::Password(Secret::new(PASSWORD))),
            )
            .await
            .unwrap(),
    );
    f.assert_signed_in(&tokens, "alice");

    // PASSWORD_SRP through SELECT_CHALLENGE: the PASSWORD_VERIFIER step is answered at once.
    let select = challenge_in(f.client.sign_in_user_auth("alice", None).await.unwrap());
    let answer = ChallengeAnswer::SelectChallenge(FirstFactor::PasswordSrp(Secret::new(PASSWORD)));
    let tokens = tokens_in(
        f.client
            .respond_to_challenge(&select, &answer)
            .await
            .unwrap(),
    );
    f.assert_signed_in(&tokens, "alice");

    // A selection is answered once.
    assert_eq!(
        cognito_error(f.client.respond_to_challenge(&select, &answer).await),
        "NotAuthorizedException"
    );

    // EMAIL_OTP through SELECT_CHALLENGE.
    let select = challenge_in(f.client.sign_in_user_auth("alice", None).await.unwrap());
    let otp = challenge_in(
        f.client
            .respond_to_challenge(
                &select,
                &ChallengeAnswer::SelectChallenge(FirstFactor::EmailOtp),
            )
            .await
            .unwrap(),
    );
    let Challenge::EmailOtp {
        destination,
        delivery_medium,
        ..
    } = &otp
    else {
        panic!("{otp:?}")
    };
    assert_eq!(destination.as_deref(), Some("a***@e***"));
    assert_eq!(delivery_medium.as_deref(), Some("EMAIL"));
    let tokens = tokens_in(
        f.client
            .respond_to_challenge(&otp, &ChallengeAnswer::EmailOtpCode(f.code("alice")))
            .await
            .unwrap(),
    );
    f.assert_signed_in(&tokens, "alice");
}

#[tokio::test]
async fn passwords_sign_in_directly_and_wrong_ones_are_refused() {
    let f = fixture().await;
    for factor in [FirstFactor::Password, FirstFactor::PasswordSrp] {
        let tokens = tokens_in(
            f.client
                .sign_in_user_auth("alice", Some(&factor(Secret::new(PASSWORD))))
                .await
                .unwrap(),
        );
        f.assert_signed_in(&tokens, "alice");
        let wrong = f
            .client
            .sign_in_user_auth("alice", Some(&factor(Secret::new("Wr0ng-horse-battery"))))
            .await;
        assert_eq!(cognito_error(wrong), "NotAuthorizedException");
    }
    // An unknown PREFERRED_CHALLENGE is refused by the pool (the typed client cannot send one).
    let refused = f
        .pool
        .call(
            "InitiateAuth",
            &json!({
                "AuthFlow": "USER_AUTH",
                "ClientId": f.pool.client_id(),
                "AuthParameters": {"USERNAME": "nobody", "PREFERRED_CHALLENGE": "EMAIL_MFA"},
            }),
        )
        .await
        .unwrap_err();
    assert_eq!(refused.error_type(), "InvalidParameterException");
}

#[tokio::test]
async fn passwordless_email_and_sms_codes_sign_in() {
    let f = fixture().await;
    let otp = challenge_in(
        f.client
            .sign_in_user_auth("alice", Some(&FirstFactor::SmsOtp))
            .await
            .unwrap(),
    );
    let Challenge::SmsOtp {
        destination,
        delivery_medium,
        ..
    } = &otp
    else {
        panic!("{otp:?}")
    };
    assert_eq!(destination.as_deref(), Some("+*******0100"));
    assert_eq!(delivery_medium.as_deref(), Some("SMS"));
    // The answer must fit the challenge (nothing is sent otherwise).
    let error = f
        .client
        .respond_to_challenge(&otp, &ChallengeAnswer::EmailOtpCode(f.code("alice")))
        .await
        .unwrap_err();
    assert!(matches!(error.kind(), ClientErrorKind::InvalidInput(_)));
    let tokens = tokens_in(
        f.client
            .respond_to_challenge(&otp, &ChallengeAnswer::SmsOtpCode(f.code("alice")))
            .await
            .unwrap(),
    );
    f.assert_signed_in(&tokens, "alice");
    // A code works once.
    assert_eq!(
        cognito_error(
            f.client
                .respond_to_challenge(&otp, &ChallengeAnswer::SmsOtpCode(f.code("alice")))
                .await
        ),
        "NotAuthorizedException"
    );

    let otp = challenge_in(
        f.client
            .sign_in_user_auth("alice", Some(&FirstFactor::EmailOtp))
            .await
            .unwrap(),
    );
    assert_eq!(otp.name(), "EMAIL_OTP");
    let tokens = tokens_in(
        f.client
            .respond_to_challenge(&otp, &ChallengeAnswer::EmailOtpCode(f.code("alice")))
            .await
            .unwrap(),
    );
    f.assert_signed_in(&tokens, "alice");
}

#[tokio::test]
async fn wrong_codes_count_and_the_third_ends_the_session() {
    let f = fixture().await;
    let otp = challenge_in(
        f.client
            .sign_in_user_auth("alice", Some(&FirstFactor::EmailOtp))
            .await
            .unwrap(),
    );
    let right = f.code("alice");
    let wrong = Secret::new(if right.expose() == "000000" {
        "111111"
    } else {
        "000000"
    });
    for _ in 0..2 {
        let answer = ChallengeAnswer::EmailOtpCode(wrong.clone());
        assert_eq!(
            cognito_error(f.client.respond_to_challenge(&otp, &answer).await),
            "CodeMismatchException"
        );
    }
    // Two wrong codes: the right one still works.
    let tokens = tokens_in(
        f.client
            .respond_to_challenge(&otp, &ChallengeAnswer::EmailOtpCode(right))
            .await
            .unwrap(),
    );
    f.assert_signed_in(&tokens, "alice");

    let otp = challenge_in(
        f.client
            .sign_in_user_auth("alice", Some(&FirstFactor::EmailOtp))
            .await
            .unwrap(),
    );
    let right = f.code("alice");
    let wrong = Secret::new(if right.expose() == "000000" {
        "111111"
    } else {
        "000000"
    });
    for _ in 0..3 {
        let answer = ChallengeAnswer::EmailOtpCode(wrong.clone());
        assert_eq!(
            cognito_error(f.client.respond_to_challenge(&otp, &answer).await),
            "CodeMismatchException"
        );
    }
    // The third wrong code ended the session: the right code no longer signs in.
    assert_eq!(
        cognito_error(
            f.client
                .respond_to_challenge(&otp, &ChallengeAnswer::EmailOtpCode(right))
                .await
        ),
        "NotAuthorizedException"
    );
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let f = fixture().await;
    let otp = challenge_in(
        f.client
            .sign_in_user_auth("alice", Some(&FirstFactor::SmsOtp))
            .await
            .unwrap(),
    );
    // Three minutes, as a Cognito authentication session.
    f.clock.advance(180);
    let error = f
        .client
        .respond_to_challenge(&otp, &ChallengeAnswer::SmsOtpCode(f.code("alice")))
        .await
        .unwrap_err();
    assert_eq!(error.type_name(), Some("NotAuthorizedException"));
    assert_eq!(
        error.message(),
        Some("Invalid session for the user, session is expired.")
    );

    // One second before the end, the code still works.
    let otp = challenge_in(
        f.client
            .sign_in_user_auth("alice", Some(&FirstFactor::SmsOtp))
            .await
            .unwrap(),
    );
    f.clock.advance(179);
    f.assert_signed_in(
        &tokens_in(
            f.client
                .respond_to_challenge(&otp, &ChallengeAnswer::SmsOtpCode(f.code("alice")))
                .await
                .unwrap(),
        ),
        "alice",
    );
}

#[tokio::test]
async fn factors_the_pool_or_the_user_lack_fall_back_to_select_challenge() {
    // The pool allows passwords only (Cognito's default).
    let f = fixture_with(|b| b).await;
    f.pool
        .create_user("bob", PASSWORD, &[("email", "bob@example.com")])
        .await
        .unwrap();
    let select = challenge_in(
        f.client
            .sign_in_user_auth("bob", Some(&FirstFactor::EmailOtp))
            .await
            .unwrap(),
    );
    let Challenge::SelectChallenge { available, .. } = &select else {
        panic!("{select:?}")
    };
    assert_eq!(available, &[AuthFactor::Password, AuthFactor::PasswordSrp]);
    // Choosing what is not offered is refused.
    let refused = f
        .client
        .respond_to_challenge(
            &select,
            &ChallengeAnswer::SelectChallenge(FirstFactor::EmailOtp),
        )
        .await;
    assert_eq!(cognito_error(refused), "InvalidParameterException");
    // No passkeys: WebAuthnNotEnabledException.
    let tokens = tokens_in(
        f.client
            .sign_in_user_auth("bob", Some(&FirstFactor::Password(Secret::new(PASSWORD))))
            .await
            .unwrap(),
    );
    assert_eq!(
        cognito_error(
            f.client
                .start_web_authn_registration(&tokens.access_token)
                .await
        ),
        "WebAuthnNotEnabledException"
    );

    // WEB_AUTHN allowed without a relying party.
    let f = fixture_with(|b| b.allowed_first_auth_factors(ALL)).await;
    f.pool.create_user("bob", PASSWORD, &[]).await.unwrap();
    let tokens = tokens_in(
        f.client
            .sign_in_user_auth("bob", Some(&FirstFactor::Password(Secret::new(PASSWORD))))
            .await
            .unwrap(),
    );
    assert_eq!(
        cognito_error(
            f.client
                .start_web_authn_registration(&tokens.access_token)
                .await
        ),
        "WebAuthnConfigurationMissingException"
    );
}

#[tokio::test]
async fn email_mfa_after_the_password() {
    let f = fixture().await;
    assert!(f.pool.enable_email_mfa("alice"));
    for factor in [FirstFactor::Password, FirstFactor::PasswordSrp] {
        let mfa = challenge_in(
            f.client
                .sign_in_user_auth("alice", Some(&factor(Secret::new(PASSWORD))))
                .await
                .unwrap(),
        );
        assert!(matches!(mfa, Challenge::EmailOtp { .. }), "{mfa:?}");
        let tokens = tokens_in(
            f.client
                .respond_to_challenge(&mfa, &ChallengeAnswer::EmailOtpCode(f.code("alice")))
                .await
                .unwrap(),
        );
        f.assert_signed_in(&tokens, "alice");
    }
    // The older flows too.
    let mfa = challenge_in(
        f.client
            .sign_in_srp("alice", &Secret::new(PASSWORD))
            .await
            .unwrap(),
    );
    assert_eq!(mfa.name(), "EMAIL_OTP");
    // A passwordless first factor needs no MFA.
    let otp = challenge_in(
        f.client
            .sign_in_user_auth("alice", Some(&FirstFactor::SmsOtp))
            .await
            .unwrap(),
    );
    let tokens = tokens_in(
        f.client
            .respond_to_challenge(&otp, &ChallengeAnswer::SmsOtpCode(f.code("alice")))
            .await
            .unwrap(),
    );
    f.assert_signed_in(&tokens, "alice");
}

#[tokio::test]
async fn sign_in_after_confirm_sign_up_with_its_session_once() {
    let f = fixture().await;
    f.client
        .sign_up(&SignUpInput::new("carol", PASSWORD).attribute("email", "carol@example.com"))
        .await
        .unwrap();
    let session = f
        .client
        .confirm_sign_up_with_session("carol", &f.code("carol"))
        .await
        .unwrap()
        .expect("a session");
    // Another user cannot use it.
    assert_eq!(
        cognito_error(f.client.sign_in_after_sign_up("alice", &session).await),
        "NotAuthorizedException"
    );
    let session = {
        f.client
            .sign_up(&SignUpInput::new("dave", PASSWORD).attribute("email", "dave@example.com"))
            .await
            .unwrap();
        f.client
            .confirm_sign_up_with_session("dave", &f.code("dave"))
            .await
            .unwrap()
            .unwrap()
    };
    let tokens = tokens_in(
        f.client
            .sign_in_after_sign_up("dave", &session)
            .await
            .unwrap(),
    );
    f.assert_signed_in(&tokens, "dave");
    // Once.
    assert_eq!(
        cognito_error(f.client.sign_in_after_sign_up("dave", &session).await),
        "NotAuthorizedException"
    );
    // Within its lifetime.
    f.client
        .sign_up(&SignUpInput::new("erin", PASSWORD).attribute("email", "erin@example.com"))
        .await
        .unwrap();
    let session = f
        .client
        .confirm_sign_up_with_session("erin", &f.code("erin"))
        .await
        .unwrap()
        .unwrap();
    f.clock.advance(180);
    assert_eq!(
        cognito_error(f.client.sign_in_after_sign_up("erin", &session).await),
        "NotAuthorizedException"
    );
}

#[tokio::test]
async fn passkey_registration_then_sign_in_list_and_delete() {
    let f = fixture().await;
    let mut authenticator = SoftwareAuthenticator::new(ORIGIN).unwrap();
    let tokens = f.register(&mut authenticator).await;

    let list = f
        .client
        .list_web_authn_credentials(&tokens.access_token, None, None)
        .await
        .unwrap();
    assert_eq!(list.credentials.len(), 1);
    let credential = &list.credentials[0];
    assert_eq!(credential.credential_id, authenticator.credential_id());
    assert_eq!(credential.relying_party_id, RP_ID);
    assert_eq!(credential.authenticator_transports, ["internal"]);
    assert_eq!(list.next_token, None);

    // Now offered, and it signs in.
    let select = challenge_in(f.client.sign_in_user_auth("alice", None).await.unwrap());
    let Challenge::SelectChallenge { available, .. } = &select else {
        panic!("{select:?}")
    };
    assert!(available.contains(&AuthFactor::WebAuthn));
    let passkey = challenge_in(
        f.client
            .respond_to_challenge(
                &select,
                &ChallengeAnswer::SelectChallenge(FirstFactor::WebAuthn),
            )
            .await
            .unwrap(),
    );
    let Challenge::WebAuthn {
        credential_request_options,
        ..
    } = &passkey
    else {
        panic!("{passkey:?}")
    };
    let options: Value = serde_json::from_str(credential_request_options).unwrap();
    assert_eq!(options["rpId"], RP_ID);
    assert_eq!(
        options["allowCredentials"][0]["id"],
        authenticator.credential_id()
    );
    let credential = authenticator.sign_in(credential_request_options).unwrap();
    let signed_in = tokens_of(f.answer_passkey(&passkey, credential).await);
    f.assert_signed_in(&signed_in, "alice");
    assert_eq!(
        f.pool.web_authn_credentials("alice"),
        [(authenticator.credential_id(), authenticator.sign_count())]
    );

    // Straight to the passkey with PREFERRED_CHALLENGE.
    let (passkey, options) = f.passkey_challenge().await;
    let credential = authenticator.sign_in(&options).unwrap();
    f.assert_signed_in(
        &tokens_of(f.answer_passkey(&passkey, credential).await),
        "alice",
    );

    // A second passkey, a page of one, then deletion.
    let mut second = SoftwareAuthenticator::new(ORIGIN).unwrap();
    f.register(&mut second).await;
    let page = f
        .client
        .list_web_authn_credentials(&tokens.access_token, None, Some(1))
        .await
        .unwrap();
    assert_eq!(page.credentials.len(), 1);
    let next = page.next_token.expect("a second page");
    let page2 = f
        .client
        .list_web_authn_credentials(&tokens.access_token, Some(&next), Some(1))
        .await
        .unwrap();
    assert_eq!(page2.credentials[0].credential_id, second.credential_id());
    f.client
        .delete_web_authn_credential(&tokens.access_token, &authenticator.credential_id())
        .await
        .unwrap();
    assert_eq!(
        cognito_error(
            f.client
                .delete_web_authn_credential(&tokens.access_token, &authenticator.credential_id())
                .await
        ),
        "ResourceNotFoundException"
    );
    // The deleted passkey no longer signs in; the other one does.
    let (passkey, options) = f.passkey_challenge().await;
    let credential = authenticator.sign_in(&options).unwrap();
    assert_eq!(
        cognito_error(f.answer_passkey(&passkey, credential).await),
        "NotAuthorizedException"
    );
    let (passkey, options) = f.passkey_challenge().await;
    let credential = second.sign_in(&options).unwrap();
    f.assert_signed_in(
        &tokens_of(f.answer_passkey(&passkey, credential).await),
        "alice",
    );
    // The client refuses more than 20 per page (nothing sent).
    let error = f
        .client
        .list_web_authn_credentials(&tokens.access_token, None, Some(21))
        .await
        .unwrap_err();
    assert!(matches!(error.kind(), ClientErrorKind::InvalidInput(_)));
}

fn tokens_of(result: Result<SignIn, ClientError>) -> Tokens {
    tokens_in(result.unwrap())
}

/// Base64url-decodes, changes, re-encodes one member of a credential's `response`.
fn tamper(credential: &str, member: &str, change: impl FnOnce(&mut Vec<u8>)) -> String {
    let mut value: Value = serde_json::from_str(credential).unwrap();
    let field = &mut value["response"][member];
    let mut bytes = URL_SAFE_NO_PAD.decode(field.as_str().unwrap()).unwrap();
    change(&mut bytes);
    *field = json!(URL_SAFE_NO_PAD.encode(bytes));
    value.to_string()
}

#[tokio::test]
async fn tampered_passkey_answers_are_refused() {
    let f = fixture_with(|b| {
        b.allowed_first_auth_factors(ALL)
            .web_authn_relying_party(RP_ID, ORIGIN)
            .web_authn_user_verification(true)
    })
    .await;
    f.pool.create_user("alice", PASSWORD, &[]).await.unwrap();
    let mut authenticator = SoftwareAuthenticator::new(ORIGIN).unwrap();
    f.register(&mut authenticator).await;

    type Case = (
        &'static str,
        &'static str,
        fn(&mut SoftwareAuthenticator, &str) -> String,
    );
    let cases: [Case; 10] = [
        (
            "a signature byte flipped",
            "NotAuthorizedException",
            |a, o| {
                tamper(&a.sign_in(o).unwrap(), "signature", |b| {
                    let last = b.len() - 1;
                    b[last] ^= 1;
                })
            },
        ),
        (
            "the client data changed after signing",
            "NotAuthorizedException",
            |a, o| tamper(&a.sign_in(o).unwrap(), "clientDataJSON", |b| b.push(b' ')),
        ),
        (
            "the sign count changed after signing",
            "NotAuthorizedException",
            |a, o| {
                tamper(&a.sign_in(o).unwrap(), "authenticatorData", |b| {
                    b[36] ^= 0x10
                })
            },
        ),
        (
            "another challenge, signed",
            "NotAuthorizedException",
            |a, o| {
                let mut options: Value = serde_json::from_str(o).unwrap();
                options["challenge"] = json!(URL_SAFE_NO_PAD.encode([7u8; 32]));
                a.sign_in(&options.to_string()).unwrap()
            },
        ),
        (
            "another origin, signed",
            "WebAuthnOriginNotAllowedException",
            |a, o| {
                a.set_origin("https://evil.example.com");
                let credential = a.sign_in(o).unwrap();
                a.set_origin(ORIGIN);
                credential
            },
        ),
        (
            "another RP id hash, signed",
            "WebAuthnRelyingPartyMismatchException",
            |a, o| {
                let mut options: Value = serde_json::from_str(o).unwrap();
                options["rpId"] = json!("evil.example.com");
                a.sign_in(&options.to_string()).unwrap()
            },
        ),
        (
            "no user presence, signed",
            "NotAuthorizedException",
            |a, o| {
                a.set_user_present(false);
                let credential = a.sign_in(o).unwrap();
                a.set_user_present(true);
                credential
            },
        ),
        (
            "no user verification where required, signed",
            "NotAuthorizedException",
            |a, o| {
                a.set_user_verified(false);
                let credential = a.sign_in(o).unwrap();
                a.set_user_verified(true);
                credential
            },
        ),
        (
            "a sign count that went back, signed",
            "NotAuthorizedException",
            |a, o| {
                let count = a.sign_count();
                a.set_sign_count(0);
                let credential = a.sign_in(o).unwrap();
                a.set_sign_count(count);
                credential
            },
        ),
        ("an unknown passkey", "NotAuthorizedException", |_, o| {
            SoftwareAuthenticator::new(ORIGIN)
                .unwrap()
                .sign_in(o)
                .unwrap()
        }),
    ];
    for (what, error, make) in cases {
        let (passkey, options) = f.passkey_challenge().await;
        let credential = make(&mut authenticator, &options);
        assert_eq!(
            cognito_error(f.answer_passkey(&passkey, credential).await),
            error,
            "{what}"
        );
        // The session survives one refusal: the genuine answer still signs in.
        let credential = authenticator.sign_in(&options).unwrap();
        f.assert_signed_in(
            &tokens_of(f.answer_passkey(&passkey, credential).await),
            "alice",
        );
    }
    // Not JSON: refused by the client, nothing sent.
    let (passkey, _) = f.passkey_challenge().await;
    let error = f
        .answer_passkey(&passkey, "not json".to_owned())
        .await
        .unwrap_err();
    assert!(matches!(error.kind(), ClientErrorKind::InvalidInput(_)));
}

#[tokio::test]
async fn tampered_registrations_are_refused_with_the_model_errors() {
    let f = fixture().await;
    let tokens = tokens_in(
        f.client
            .sign_in_user_auth("alice", Some(&FirstFactor::Password(Secret::new(PASSWORD))))
            .await
            .unwrap(),
    );
    let access = &tokens.access_token;
    type Case = (
        &'static str,
        &'static str,
        fn(&mut SoftwareAuthenticator, &Value) -> Value,
    );
    let cases: [Case; 5] = [
        (
            "another challenge",
            "WebAuthnChallengeNotFoundException",
            |a, o| {
                let mut options = o.clone();
                options["challenge"] = json!(URL_SAFE_NO_PAD.encode([9u8; 32]));
                a.register(&options).unwrap()
            },
        ),
        (
            "another origin",
            "WebAuthnOriginNotAllowedException",
            |a, o| {
                a.set_origin("https://evil.example.com");
                a.register(o).unwrap()
            },
        ),
        (
            "another RP id",
            "WebAuthnRelyingPartyMismatchException",
            |a, o| {
                let mut options = o.clone();
                options["rp"]["id"] = json!("evil.example.com");
                a.register(&options).unwrap()
            },
        ),
        ("no user presence", "NotAuthorizedException", |a, o| {
            a.set_user_present(false);
            a.register(o).unwrap()
        }),
        (
            "another attestation format",
            "WebAuthnCredentialNotSupportedException",
            |a, o| {
                let credential = a.register(o).unwrap();
                let text = credential.to_string();
                let object = URL_SAFE_NO_PAD
                    .decode(
                        credential["response"]["attestationObject"]
                            .as_str()
                            .unwrap(),
                    )
                    .unwrap();
                // "none" -> "nonf" inside the CBOR: a format the pool does not verify.
                let at = object.windows(4).position(|w| w == b"none").unwrap();
                let mut changed = object.clone();
                changed[at + 3] = b'f';
                let mut value: Value = serde_json::from_str(&text).unwrap();
                value["response"]["attestationObject"] = json!(URL_SAFE_NO_PAD.encode(changed));
                value
            },
        ),
    ];
    for (what, error, make) in cases {
        let options = f.client.start_web_authn_registration(access).await.unwrap();
        let mut authenticator = SoftwareAuthenticator::new(ORIGIN).unwrap();
        let credential = make(&mut authenticator, &options);
        assert_eq!(
            cognito_error(
                f.client
                    .complete_web_authn_registration(access, &credential)
                    .await
            ),
            error,
            "{what}"
        );
    }
    // A completion without a start.
    let mut authenticator = SoftwareAuthenticator::new(ORIGIN).unwrap();
    let options = f.client.start_web_authn_registration(access).await.unwrap();
    let credential = authenticator.register(&options).unwrap();
    f.client
        .complete_web_authn_registration(access, &credential)
        .await
        .unwrap();
    assert_eq!(
        cognito_error(
            f.client
                .complete_web_authn_registration(access, &credential)
                .await
        ),
        "WebAuthnChallengeNotFoundException"
    );
    assert_eq!(f.pool.web_authn_credentials("alice").len(), 1);
}

#[tokio::test]
async fn the_pool_refuses_settings_it_cannot_honour() {
    let error = LocalUserPool::builder()
        .allowed_first_auth_factors(["PASSWORD", "EMAIL_MFA"])
        .build()
        .unwrap_err();
    assert!(matches!(error, LocalPoolError::InvalidSetting(_)));
    let error = LocalUserPool::builder()
        .web_authn_relying_party("", ORIGIN)
        .build()
        .unwrap_err();
    assert!(matches!(error, LocalPoolError::InvalidSetting(_)));
}
