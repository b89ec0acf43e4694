//! The tutorial as a command line: every user-pool flow with `UserPoolClient`, and the crate's
//! verifier on the pool's JWKS.
//!
//! ```text
//! cargo run -p tower-cognito-client --example user_pool -- [GLOBAL] SUBCOMMAND [ARGS]
//! ```
//!
//! GLOBAL options, each also read from its environment variable: `--user-pool-id`
//! [COGNITO_USER_POOL_ID], `--client-id` [COGNITO_CLIENT_ID], `--client-secret`
//! [COGNITO_CLIENT_SECRET], `--region` [COGNITO_REGION], `--endpoint` [COGNITO_ENDPOINT],
//! `--jwks-url` [COGNITO_JWKS_URL] (for `verify`; default: `{endpoint}/{pool}/.well-known/jwks.json`
//! with `--endpoint`, else the pool's real JWKS).
//!
//! Success prints one JSON object on stdout (exit 0). A Cognito error prints one line on stderr,
//! `error: <ErrorType>: <message>` (exit 1); so does a token `verify` refuses (the reason as the
//! type), and any other failure, with its whole cause (`error: Transport: InitiateAuth: the
//! request failed: ...: Connection refused`). A usage error prints a message (exit 2).
//!
//! Offline: `local-pool` (feature `test-util`) serves this crate's local user pool on
//! loopback and prints `listening on http://ADDR`, `user_pool_id: ...`, `client_id: ...` and
//! `jwks_url: ...`; the codes it "sends" go to its stderr as `code: USERNAME KIND CODE`. It
//! serves until Ctrl-C or SIGTERM, started in the background (`... local-pool &`) too, then prints
//! `{"stopped":true}`.
//!
//! ```text
//! cargo run -p tower-cognito-client --example user_pool --features test-util -- local-pool
//! export COGNITO_ENDPOINT=http://127.0.0.1:PORT/ COGNITO_USER_POOL_ID=us-east-1_LocalPool1 COGNITO_CLIENT_ID=localclient1
//! cargo run -p tower-cognito-client --example user_pool -- sign-up --username alice --password 'Corr3ct-horse!' --attr email=alice@example.com
//! cargo run -p tower-cognito-client --example user_pool -- confirm --username alice --code 123456
//! cargo run -p tower-cognito-client --example user_pool -- login --username alice --password 'Corr3ct-horse!' --srp
//! cargo run -p tower-cognito-client --example user_pool -- verify --token "$ACCESS_TOKEN" --token-use access
//! ```
//!
//! Remembered devices (`local-pool --device-tracking always|opt-in`): `--device-store FILE` on
//! `login`, `respond` and `refresh` keeps the devices in a JSON file (mode 0600, no token); a
//! sign-in that returns new device metadata confirms the device there (`--remember` also marks it
//! remembered on pools that ask the user), and the next sign-in of that user answers
//! `DEVICE_SRP_AUTH` from it and skips MFA. `devices list|get|remember|forget --access-token T
//! [--device-key K]`.
//!
//! MFA: `mfa totp-setup --access-token T` prints the authenticator app's secret, `mfa
//! totp-verify --access-token T --code C` verifies it, `mfa set --access-token T
//! [--sms|--totp|--email off|on|preferred]` turns methods on or off and picks the preferred one
//! (TOTP too: a verified token is on only once set, except in pools that require MFA),
//! and `mfa factors --access-token T` lists them with the user's sign-in factors. A sign-in
//! then answers `SOFTWARE_TOKEN_MFA`, `SMS_MFA` or `EMAIL_OTP` (`respond --code CODE`), or
//! `SELECT_MFA_TYPE` when several methods are on and none is preferred (`respond --answer
//! SMS_MFA`, the method).
//!
//! Choice-based sign-in (`USER_AUTH`): `login --user-auth` prints the `SELECT_CHALLENGE` (its
//! `AvailableChallenges` among the parameters), or goes straight to `--preferred` (PASSWORD and
//! PASSWORD_SRP with `--password`); `respond` answers SELECT_CHALLENGE (`--answer` the factor,
//! with `--password` for PASSWORD and PASSWORD_SRP), EMAIL_OTP and SMS_OTP (`--answer` the code)
//! and WEB_AUTHN (`--answer` the credential JSON of the authenticator, given the challenge's
//! `CREDENTIAL_REQUEST_OPTIONS`). `passkey register|list|delete --access-token T` manages
//! passkeys (`register` prints the creation options, `register --credential JSON` completes).
//! `local-pool` allows every first factor, and passkeys of RP id `localhost` from
//! `http://localhost`.
//!
//! ```text
//! cargo run -p tower-cognito-client --example user_pool -- login --username alice --user-auth --preferred EMAIL_OTP
//! cargo run -p tower-cognito-client --example user_pool -- respond --challenge EMAIL_OTP --session "$SESSION" --username alice --answer 123456
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clap::{Args, CommandFactory as _, Parser, Subcommand, ValueEnum};
use serde_json::{Map, Value, json};
use tower_cognito::{CognitoAuthLayer, CognitoConfig, TokenUse};
use tower_cognito_client::device::{Device, DeviceRememberedStatus};
use tower_cognito_client::{
    Attribute, AuthFactor, Challenge, ChallengeAnswer, ClientError, ClientErrorKind, CodeDelivery,
    FirstFactor, MfaPreference, MfaSetting, MfaType, Secret, SignIn, SignUpInput,
    SoftwareTokenAuth, Tokens, UserPoolClient,
};

#[path = "user_pool/device_file.rs"]
mod device_file;

use device_file::FileDeviceStore;

/// The user-pool flows of the Cognito tutorial, in Rust.
// No `Debug`: the arguments hold passwords, codes, tokens and the client secret.
#[derive(Parser)]
#[command(name = "user_pool", version)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Options of every subcommand.
#[derive(Args)]
struct Global {
    /// The user pool id (REGION_NAME).
    #[arg(long, env = "COGNITO_USER_POOL_ID", global = true)]
    user_pool_id: Option<String>,
    /// The app client id.
    #[arg(long, env = "COGNITO_CLIENT_ID", global = true)]
    client_id: Option<String>,
    /// The app client secret, for app clients that have one.
    #[arg(
        long,
        env = "COGNITO_CLIENT_SECRET",
        global = true,
        hide_env_values = true
    )]
    client_secret: Option<String>,
    /// The region (default: the pool id's prefix).
    #[arg(long, env = "COGNITO_REGION", global = true)]
    region: Option<String>,
    /// Another endpoint (an emulator, the local pool): https, or http to a loopback host.
    #[arg(long, value_name = "URL", env = "COGNITO_ENDPOINT", global = true)]
    endpoint: Option<String>,
    /// The JWKS for `verify`.
    #[arg(long, value_name = "URL", env = "COGNITO_JWKS_URL", global = true)]
    jwks_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Registers a user -> {"user_confirmed", "user_sub"}.
    SignUp {
        #[arg(long)]
        username: String,
        /// A password the pool's policy accepts (the local pool: Cognito's default, 8 characters
        /// or more with upper and lower case, a digit and a symbol).
        #[arg(long)]
        password: String,
        /// An attribute, `name=value` (repeatable).
        #[arg(long = "attr", value_name = "NAME=VALUE", value_parser = parse_attr)]
        attrs: Vec<(String, String)>,
    },
    /// Confirms a sign-up with the code -> {} (with --sign-in: tokens, signed in with the
    /// session of the confirmation, USER_AUTH).
    Confirm {
        #[arg(long)]
        username: String,
        #[arg(long)]
        code: String,
        /// Sign in straight after, with the session ConfirmSignUp returns.
        #[arg(long)]
        sign_in: bool,
    },
    /// Sends the confirmation code again -> the code delivery details.
    ResendCode {
        #[arg(long)]
        username: String,
    },
    /// Signs in (USER_PASSWORD_AUTH, USER_SRP_AUTH with --srp, or USER_AUTH with --user-auth)
    /// -> tokens or a challenge.
    Login {
        #[arg(long)]
        username: String,
        /// The password (without --user-auth, and with --preferred PASSWORD or PASSWORD_SRP).
        #[arg(long)]
        password: Option<String>,
        /// Sign in with SRP: the password never leaves the process.
        #[arg(long, conflicts_with = "user_auth")]
        srp: bool,
        #[command(flatten)]
        device: DeviceArgs,
        /// Choice-based sign-in (USER_AUTH): a SELECT_CHALLENGE, or the --preferred factor.
        #[arg(long)]
        user_auth: bool,
        /// The first factor to go straight to (PREFERRED_CHALLENGE).
        #[arg(long, value_enum, requires = "user_auth")]
        preferred: Option<FactorArg>,
    },
    /// Answers a challenge (NEW_PASSWORD_REQUIRED, SMS_MFA, SOFTWARE_TOKEN_MFA, SELECT_CHALLENGE,
    /// EMAIL_OTP, SMS_OTP, WEB_AUTHN) -> tokens or the next challenge.
    Respond {
        #[arg(long)]
        challenge: String,
        #[arg(long)]
        session: String,
        /// The user name the challenge carried (its `USERNAME`).
        #[arg(long)]
        username: String,
        /// For NEW_PASSWORD_REQUIRED.
        #[arg(long)]
        new_password: Option<String>,
        /// For SMS_MFA and SOFTWARE_TOKEN_MFA.
        #[arg(long)]
        code: Option<String>,
        /// For NEW_PASSWORD_REQUIRED: a required attribute, `name=value` (repeatable).
        #[arg(long = "attr", value_name = "NAME=VALUE", value_parser = parse_attr)]
        attrs: Vec<(String, String)>,
        #[command(flatten)]
        device: DeviceArgs,
        /// For SELECT_CHALLENGE the factor (PASSWORD, PASSWORD_SRP, EMAIL_OTP, SMS_OTP,
        /// WEB_AUTHN); for EMAIL_OTP and SMS_OTP the code; for WEB_AUTHN the credential JSON.
        #[arg(long)]
        answer: Option<String>,
        /// For SELECT_CHALLENGE with --answer PASSWORD or PASSWORD_SRP.
        #[arg(long)]
        password: Option<String>,
    },
    /// Manages the signed-in user's passkeys.
    Passkey {
        #[command(subcommand)]
        action: PasskeyAction,
    },
    /// The signed-in user's MFA: TOTP setup, methods on, off and preferred, sign-in factors.
    Mfa {
        #[command(subcommand)]
        action: MfaAction,
    },
    /// New tokens from a refresh token (GetTokensFromRefreshToken) -> tokens, with
    /// "refresh_token_rotated": true and the new refresh_token when the app client rotated it.
    Refresh {
        #[arg(long)]
        refresh_token: String,
        /// Refresh with InitiateAuth's REFRESH_TOKEN_AUTH instead (for emulators without
        /// GetTokensFromRefreshToken; refused on app clients with rotation).
        #[arg(long)]
        refresh_token_auth: bool,
        /// The Cognito user name (for SECRET_HASH: with a client secret and
        /// --refresh-token-auth only; with --device-store, whose device key to send).
        #[arg(long)]
        username: Option<String>,
        /// The remembered devices (see `login`): the user's device key goes with the refresh
        /// (needs --username).
        #[arg(long, value_name = "FILE", conflicts_with = "refresh_token_auth")]
        device_store: Option<PathBuf>,
    },
    /// The user's remembered devices: list -> {"devices": [...], "pagination_token"}, get ->
    /// the device, remember -> {}, forget -> {}.
    Devices {
        #[arg(value_enum)]
        action: DevicesAction,
        #[arg(long)]
        access_token: String,
        /// The device (get, remember, forget).
        #[arg(long)]
        device_key: Option<String>,
        /// For forget: also drop the device from this file.
        #[arg(long, value_name = "FILE")]
        device_store: Option<PathBuf>,
    },
    /// The signed-in user -> {"username", "attributes": {...}}.
    Me {
        #[arg(long)]
        access_token: String,
    },
    /// Sets attributes -> {"code_deliveries": [...]}.
    Update {
        #[arg(long)]
        access_token: String,
        #[arg(long = "attr", value_name = "NAME=VALUE", value_parser = parse_attr, required = true)]
        attrs: Vec<(String, String)>,
    },
    /// Deletes attributes -> {}.
    DeleteAttrs {
        #[arg(long)]
        access_token: String,
        #[arg(long = "name", value_name = "NAME", required = true)]
        names: Vec<String>,
    },
    /// Changes the password -> {}.
    ChangePassword {
        #[arg(long)]
        access_token: String,
        #[arg(long)]
        old: String,
        #[arg(long)]
        new: String,
    },
    /// Starts a password reset -> the code delivery details.
    ForgotPassword {
        #[arg(long)]
        username: String,
    },
    /// Sets a new password with the reset code -> {}.
    ConfirmForgotPassword {
        #[arg(long)]
        username: String,
        #[arg(long)]
        code: String,
        #[arg(long)]
        password: String,
    },
    /// Signs the user out everywhere (GlobalSignOut) -> {}.
    SignOut {
        #[arg(long)]
        access_token: String,
    },
    /// Revokes a refresh token -> {}.
    Revoke {
        #[arg(long)]
        refresh_token: String,
    },
    /// Deletes the signed-in user -> {}.
    DeleteUser {
        #[arg(long)]
        access_token: String,
    },
    /// Verifies a token with the crate's verifier and the pool's JWKS -> the verified claims.
    Verify {
        #[arg(long)]
        token: String,
        #[arg(long, value_enum, default_value_t = TokenUseArg::Any)]
        token_use: TokenUseArg,
    },
    /// Serves the local user pool on loopback until Ctrl-C or SIGTERM (feature `test-util`).
    LocalPool {
        /// The address to listen on (loopback).
        #[arg(long, default_value = "127.0.0.1:0")]
        bind: std::net::SocketAddr,
        /// Remembered devices: off, always (every confirmed device), opt-in (once the user
        /// says so: `devices remember` or `--remember`).
        #[arg(long, value_enum, default_value_t = TrackingArg::Off)]
        device_tracking: TrackingArg,
    },
}

/// The remembered-device options of `login` and `respond`.
#[derive(Args)]
struct DeviceArgs {
    /// A JSON file of remembered devices (created with mode 0600; it holds the device
    /// passwords, their only copy, and no token). With it, a sign-in that returns new device
    /// metadata confirms the device and saves it there, and a later sign-in of the user
    /// answers DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER from it.
    #[arg(long, value_name = "FILE")]
    device_store: Option<PathBuf>,
    /// Also mark a newly confirmed device remembered (UpdateDeviceStatus), for pools that ask
    /// the user (needs --device-store).
    #[arg(long, requires = "device_store")]
    remember: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum TrackingArg {
    Off,
    Always,
    OptIn,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DevicesAction {
    List,
    Get,
    Remember,
    Forget,
}

#[derive(Subcommand)]
enum PasskeyAction {
    /// Without --credential: starts a registration -> {"credential_creation_options": {...}}
    /// (hand them to the authenticator); with --credential: completes it -> {}.
    Register {
        #[arg(long)]
        access_token: String,
        /// The authenticator's RegistrationResponseJSON.
        #[arg(long)]
        credential: Option<String>,
    },
    /// The passkeys -> {"credentials": [...], "next_token"}.
    List {
        #[arg(long)]
        access_token: String,
        #[arg(long)]
        next_token: Option<String>,
        /// At most 20.
        #[arg(long)]
        max_results: Option<u32>,
    },
    /// Deletes a passkey -> {}.
    Delete {
        #[arg(long)]
        access_token: String,
        #[arg(long)]
        credential_id: String,
    },
}

#[derive(Subcommand)]
enum MfaAction {
    /// Starts a TOTP setup (AssociateSoftwareToken) -> {"secret_code"}: the secret for the
    /// authenticator app.
    TotpSetup {
        #[arg(long)]
        access_token: String,
    },
    /// Finishes it with a code of the app (VerifySoftwareToken) -> {"status"}; then `mfa set
    /// --totp on|preferred` turns TOTP MFA on (pools that require MFA use it at once).
    TotpVerify {
        #[arg(long)]
        access_token: String,
        #[arg(long)]
        code: String,
        /// A name for the authenticator.
        #[arg(long)]
        device_name: Option<String>,
    },
    /// Turns methods on or off and picks the preferred one (SetUserMFAPreference) -> {}.
    /// Methods not named stay as they are.
    Set {
        #[arg(long)]
        access_token: String,
        #[arg(long, value_enum)]
        sms: Option<MfaSettingArg>,
        #[arg(long, value_enum)]
        totp: Option<MfaSettingArg>,
        #[arg(long, value_enum)]
        email: Option<MfaSettingArg>,
    },
    /// The user's MFA methods and sign-in factors (GetUserAuthFactors) -> {"username",
    /// "preferred_mfa", "mfa_settings": [...], "configured_factors": [...]}.
    Factors {
        #[arg(long)]
        access_token: String,
    },
}

/// What `mfa set` makes of a method.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum MfaSettingArg {
    Off,
    On,
    Preferred,
}

impl MfaSettingArg {
    fn setting(self) -> MfaSetting {
        match self {
            Self::Off => MfaSetting::Disabled,
            Self::On => MfaSetting::Enabled,
            Self::Preferred => MfaSetting::Preferred,
        }
    }
}

/// A first factor of USER_AUTH, as Cognito names it.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum FactorArg {
    #[value(name = "PASSWORD")]
    Password,
    #[value(name = "PASSWORD_SRP")]
    PasswordSrp,
    #[value(name = "EMAIL_OTP")]
    EmailOtp,
    #[value(name = "SMS_OTP")]
    SmsOtp,
    #[value(name = "WEB_AUTHN")]
    WebAuthn,
}

impl FactorArg {
    fn parse(name: &str) -> Option<Self> {
        <Self as ValueEnum>::from_str(name, false).ok()
    }

    /// The factor, with the password where it needs one.
    fn first_factor(self, password: Option<String>) -> Result<FirstFactor, Failure> {
        let password = |name: &str| {
            password
                .map(Secret::new)
                .ok_or_else(|| Failure::Usage(format!("{name} needs --password")))
        };
        Ok(match self {
            Self::Password => FirstFactor::Password(password("PASSWORD")?),
            Self::PasswordSrp => FirstFactor::PasswordSrp(password("PASSWORD_SRP")?),
            Self::EmailOtp => FirstFactor::EmailOtp,
            Self::SmsOtp => FirstFactor::SmsOtp,
            Self::WebAuthn => FirstFactor::WebAuthn,
        })
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum TokenUseArg {
    Access,
    Id,
    Any,
}

fn parse_attr(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_owned(), value.to_owned())),
        _ => Err(format!("expected NAME=VALUE, got {s:?}")),
    }
}

/// How a run ends.
enum Failure {
    /// A Cognito (or verification) error: one line on stderr, exit 1.
    Api { error_type: String, message: String },
    /// A usage error: clap's message, exit 2.
    Usage(String),
}

impl From<ClientError> for Failure {
    fn from(error: ClientError) -> Self {
        match (error.type_name(), error.kind()) {
            (Some(name), _) => Self::Api {
                error_type: name.to_owned(),
                message: error.message().unwrap_or_default().to_owned(),
            },
            (None, ClientErrorKind::InvalidInput(why)) => Self::Usage((*why).to_owned()),
            (None, kind) => Self::Api {
                error_type: variant_name(&format!("{kind:?}")),
                message: chain(&error),
            },
        }
    }
}

/// `error` and its sources on one line, `A: B: C` (a level whose text already ends with its
/// source's is not repeated).
fn chain(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    for cause in std::iter::successors(error.source(), |&e| e.source()).take(16) {
        let text = cause.to_string();
        if !line.ends_with(&text) {
            line = format!("{line}: {text}");
        }
    }
    line
}

/// `Expired { exp: 1, now: 2 }` -> `Expired`.
fn variant_name(debug: &str) -> String {
    debug
        .split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or("Error")
        .to_owned()
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(value) => {
            println!("{value}");
            ExitCode::SUCCESS
        }
        Err(Failure::Api {
            error_type,
            message,
        }) => {
            // One line, whatever the message holds.
            let message = message.replace(['\n', '\r'], " ");
            eprintln!("error: {error_type}: {message}");
            ExitCode::from(1)
        }
        Err(Failure::Usage(message)) => Cli::command()
            .error(clap::error::ErrorKind::InvalidValue, message)
            .exit(),
    }
}

async fn run(cli: Cli) -> Result<Value, Failure> {
    let global = cli.global;
    if let Command::LocalPool {
        bind,
        device_tracking,
    } = cli.command
    {
        return local_pool(&global, bind, device_tracking).await;
    }
    if let Command::Verify { token, token_use } = &cli.command {
        return verify(&global, token, *token_use).await;
    }
    if let Command::Login {
        password: None,
        user_auth: false,
        ..
    } = &cli.command
    {
        // A usage error comes before the settings are read.
        return Err(Failure::Usage(
            "login needs --password (or --user-auth)".to_owned(),
        ));
    }
    let client = client(&global)?;
    Ok(match cli.command {
        Command::SignUp {
            username,
            password,
            attrs,
        } => {
            let mut input = SignUpInput::new(username, password);
            for (name, value) in attrs {
                input = input.attribute(name, value);
            }
            let out = client.sign_up(&input).await?;
            json!({ "user_confirmed": out.user_confirmed, "user_sub": out.user_sub })
        }
        Command::Confirm {
            username,
            code,
            sign_in,
        } => {
            let code = Secret::new(code);
            if sign_in {
                let session = client
                    .confirm_sign_up_with_session(&username, &code)
                    .await?
                    .ok_or_else(|| Failure::Api {
                        error_type: "NoSession".to_owned(),
                        message: "ConfirmSignUp returned no session to sign in with".to_owned(),
                    })?;
                sign_in_json(&client.sign_in_after_sign_up(&username, &session).await?)
            } else {
                client.confirm_sign_up(&username, &code).await?;
                json!({})
            }
        }
        Command::ResendCode { username } => {
            delivery_json(&client.resend_confirmation_code(&username).await?)
        }
        Command::Login {
            username,
            password,
            srp,
            device,
            user_auth,
            preferred,
        } => {
            if user_auth {
                let preferred = match preferred {
                    Some(factor) => Some(factor.first_factor(password)?),
                    None => None,
                };
                let step = client
                    .sign_in_user_auth(&username, preferred.as_ref())
                    .await?;
                return Ok(sign_in_json(&step));
            }
            // Present: a login without --password or --user-auth was refused above.
            let password = Secret::new(password.unwrap_or_default());
            match device.device_store {
                None if srp => sign_in_json(&client.sign_in_srp(&username, &password).await?),
                None => sign_in_json(&client.sign_in_password(&username, &password).await?),
                Some(path) => {
                    let store = FileDeviceStore::new(path);
                    let step = if srp {
                        client
                            .sign_in_srp_with_device(&username, &password, &store)
                            .await?
                    } else {
                        client
                            .sign_in_password_with_device(&username, &password, &store)
                            .await?
                    };
                    device_sign_in_json(&client, step, &store, device.remember).await?
                }
            }
        }
        Command::Respond {
            challenge,
            session,
            username,
            new_password,
            code,
            attrs,
            device,
            answer,
            password,
        } => {
            let challenge = Challenge::from_parts(&challenge, Secret::new(session), username);
            let store = device.device_store.map(FileDeviceStore::new);
            let missing = |what: &str| Failure::Usage(format!("{} needs {what}", challenge.name()));
            let answer = match &challenge {
                Challenge::NewPasswordRequired { .. } => ChallengeAnswer::NewPassword {
                    password: Secret::new(new_password.ok_or_else(|| missing("--new-password"))?),
                    attributes: attrs
                        .into_iter()
                        .map(|(n, v)| Attribute::new(n, v))
                        .collect(),
                },
                Challenge::SmsMfa { .. } => {
                    ChallengeAnswer::SmsMfaCode(Secret::new(code.ok_or_else(|| missing("--code"))?))
                }
                Challenge::SoftwareTokenMfa { .. } => ChallengeAnswer::SoftwareTokenMfaCode(
                    Secret::new(code.ok_or_else(|| missing("--code"))?),
                ),
                Challenge::SelectChallenge { .. } => {
                    let name = answer.ok_or_else(|| missing("--answer"))?;
                    let factor = FactorArg::parse(&name).ok_or_else(|| {
                        Failure::Usage(format!(
                            "--answer {name}: SELECT_CHALLENGE is answered with PASSWORD, \
                             PASSWORD_SRP, EMAIL_OTP, SMS_OTP or WEB_AUTHN"
                        ))
                    })?;
                    ChallengeAnswer::SelectChallenge(factor.first_factor(password)?)
                }
                Challenge::SelectMfaType { .. } => ChallengeAnswer::SelectMfaType(MfaType::parse(
                    &answer.ok_or_else(|| missing("--answer (the method)"))?,
                )),
                // A first factor (`--answer`) or email MFA (`--code`, as the other MFA codes).
                Challenge::EmailOtp { .. } => ChallengeAnswer::EmailOtpCode(Secret::new(
                    answer
                        .or(code)
                        .ok_or_else(|| missing("--answer (the code)"))?,
                )),
                Challenge::SmsOtp { .. } => ChallengeAnswer::SmsOtpCode(Secret::new(
                    answer.ok_or_else(|| missing("--answer (the code)"))?,
                )),
                Challenge::WebAuthn { .. } => ChallengeAnswer::WebAuthnCredential(Secret::new(
                    answer.ok_or_else(|| missing("--answer (the credential JSON)"))?,
                )),
                // Answered from the device store.
                other if other.name() == "DEVICE_SRP_AUTH" && store.is_some() => {
                    ChallengeAnswer::Responses(Default::default())
                }
                other => {
                    return Err(Failure::Usage(format!(
                        "respond does not answer {} (NEW_PASSWORD_REQUIRED, SMS_MFA, \
                         SOFTWARE_TOKEN_MFA, SELECT_MFA_TYPE, SELECT_CHALLENGE, EMAIL_OTP, \
                         SMS_OTP, WEB_AUTHN, and DEVICE_SRP_AUTH with --device-store)",
                        other.name()
                    )));
                }
            };
            match store {
                None => sign_in_json(&client.respond_to_challenge(&challenge, &answer).await?),
                Some(store) => {
                    let step = client
                        .respond_to_challenge_with_device(&challenge, &answer, &store)
                        .await?;
                    device_sign_in_json(&client, step, &store, device.remember).await?
                }
            }
        }
        Command::Refresh {
            refresh_token,
            refresh_token_auth,
            username,
            device_store,
        } => {
            let old = Secret::new(refresh_token);
            let tokens = match (device_store, username.as_deref()) {
                (Some(_), None) => {
                    return Err(Failure::Usage(
                        "--device-store needs --username (the Cognito user name)".to_owned(),
                    ));
                }
                (Some(path), Some(username)) => {
                    let store = FileDeviceStore::new(path);
                    client.refresh_with_device(&old, username, &store).await?
                }
                (None, username) if refresh_token_auth => {
                    client.refresh_token_auth(&old, username).await?
                }
                (None, _) => client.refresh(&old).await?,
            };
            let rotated = tokens
                .refresh_token
                .as_ref()
                .is_some_and(|new| new.expose() != old.expose());
            let mut json = tokens_json(&tokens);
            if let Some(object) = json.as_object_mut() {
                object.insert("refresh_token_rotated".to_owned(), Value::Bool(rotated));
            }
            json
        }
        Command::Me { access_token } => {
            let user = client.get_user(&Secret::new(access_token)).await?;
            let attributes: Map<String, Value> = user
                .attributes
                .into_iter()
                .map(|a| (a.name, Value::String(a.value)))
                .collect();
            json!({ "username": user.username, "attributes": attributes })
        }
        Command::Update {
            access_token,
            attrs,
        } => {
            let attributes: Vec<Attribute> = attrs
                .into_iter()
                .map(|(n, v)| Attribute::new(n, v))
                .collect();
            let deliveries = client
                .update_user_attributes(&Secret::new(access_token), &attributes)
                .await?;
            json!({ "code_deliveries": deliveries.iter().map(delivery_json).collect::<Vec<_>>() })
        }
        Command::DeleteAttrs {
            access_token,
            names,
        } => {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            client
                .delete_user_attributes(&Secret::new(access_token), &names)
                .await?;
            json!({})
        }
        Command::ChangePassword {
            access_token,
            old,
            new,
        } => {
            client
                .change_password(
                    &Secret::new(access_token),
                    &Secret::new(old),
                    &Secret::new(new),
                )
                .await?;
            json!({})
        }
        Command::ForgotPassword { username } => {
            delivery_json(&client.forgot_password(&username).await?)
        }
        Command::ConfirmForgotPassword {
            username,
            code,
            password,
        } => {
            client
                .confirm_forgot_password(&username, &Secret::new(code), &Secret::new(password))
                .await?;
            json!({})
        }
        Command::SignOut { access_token } => {
            client.global_sign_out(&Secret::new(access_token)).await?;
            json!({})
        }
        Command::Revoke { refresh_token } => {
            client.revoke_token(&Secret::new(refresh_token)).await?;
            json!({})
        }
        Command::DeleteUser { access_token } => {
            client.delete_user(&Secret::new(access_token)).await?;
            json!({})
        }
        Command::Devices {
            action,
            access_token,
            device_key,
            device_store,
        } => {
            devices(
                &client,
                action,
                &Secret::new(access_token),
                device_key,
                device_store,
            )
            .await?
        }
        Command::Passkey { action } => passkey(&client, action).await?,
        Command::Mfa { action } => mfa(&client, action).await?,
        Command::Verify { .. } | Command::LocalPool { .. } => json!({}),
    })
}

/// The tokens or challenge of a sign-in from a device; a new device is confirmed and saved in
/// `store` (and marked remembered with `remember`), and shown under `"device"` (never its
/// password).
async fn device_sign_in_json(
    client: &UserPoolClient,
    step: SignIn,
    store: &FileDeviceStore,
    remember: bool,
) -> Result<Value, Failure> {
    let SignIn::Tokens(tokens) = &step else {
        return Ok(sign_in_json(&step));
    };
    let mut json = tokens_json(tokens);
    if let Some(confirmed) = client.remember_new_device(tokens, store, None).await? {
        let key = &confirmed.device.device_key;
        let remembered = if remember && confirmed.user_confirmation_necessary {
            client
                .update_device_status(
                    &tokens.access_token,
                    key,
                    DeviceRememberedStatus::Remembered,
                )
                .await?;
            true
        } else {
            !confirmed.user_confirmation_necessary
        };
        if let Some(object) = json.as_object_mut() {
            object.insert(
                "device".to_owned(),
                json!({
                    "device_key": key,
                    "device_group_key": confirmed.device.device_group_key,
                    "remembered": remembered,
                }),
            );
        }
    }
    Ok(json)
}

async fn devices(
    client: &UserPoolClient,
    action: DevicesAction,
    access_token: &Secret,
    device_key: Option<String>,
    device_store: Option<PathBuf>,
) -> Result<Value, Failure> {
    let key = || {
        device_key.as_deref().ok_or_else(|| {
            Failure::Usage(format!("devices {action:?} needs --device-key").to_lowercase())
        })
    };
    Ok(match action {
        DevicesAction::List => {
            let list = client.list_devices(access_token, None, None).await?;
            json!({
                "devices": list.devices.iter().map(device_json).collect::<Vec<_>>(),
                "pagination_token": list.pagination_token,
            })
        }
        DevicesAction::Get => device_json(&client.get_device(access_token, key()?).await?),
        DevicesAction::Remember => {
            client
                .update_device_status(access_token, key()?, DeviceRememberedStatus::Remembered)
                .await?;
            json!({})
        }
        DevicesAction::Forget => {
            let key = key()?;
            client.forget_device(access_token, key).await?;
            if let Some(path) = device_store {
                FileDeviceStore::new(path)
                    .remove_device_key(key)
                    .map_err(|e| Failure::Api {
                        error_type: "DeviceStore".to_owned(),
                        message: chain(&e),
                    })?;
            }
            json!({})
        }
    })
}

fn device_json(device: &Device) -> Value {
    let seconds = |t: Option<std::time::SystemTime>| {
        t.and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_secs())
    };
    let attributes: Map<String, Value> = device
        .attributes
        .iter()
        .map(|a| (a.name.clone(), json!(a.value)))
        .collect();
    json!({
        "device_key": device.device_key,
        "name": device.name(),
        "remembered": device.is_remembered(),
        "attributes": attributes,
        "create_date": seconds(device.create_date),
        "last_modified_date": seconds(device.last_modified_date),
        "last_authenticated_date": seconds(device.last_authenticated_date),
    })
}

fn pool_and_client(global: &Global) -> Result<(&str, &str), Failure> {
    let pool = global.user_pool_id.as_deref().ok_or_else(|| {
        Failure::Usage("--user-pool-id (or COGNITO_USER_POOL_ID) is required".to_owned())
    })?;
    let client = global.client_id.as_deref().ok_or_else(|| {
        Failure::Usage("--client-id (or COGNITO_CLIENT_ID) is required".to_owned())
    })?;
    Ok((pool, client))
}

fn client(global: &Global) -> Result<UserPoolClient, Failure> {
    let (pool, client_id) = pool_and_client(global)?;
    let mut builder = UserPoolClient::builder(pool, client_id);
    if let Some(secret) = &global.client_secret {
        builder = builder.client_secret(secret.as_str());
    }
    if let Some(region) = &global.region {
        builder = builder.region(region.as_str());
    }
    if let Some(endpoint) = &global.endpoint {
        builder = builder.endpoint(endpoint.as_str());
    }
    builder.build().map_err(|e| Failure::Usage(chain(&e)))
}

fn tokens_json(tokens: &Tokens) -> Value {
    json!({
        "access_token": tokens.access_token.expose(),
        "id_token": tokens.id_token.expose(),
        "refresh_token": tokens.refresh_token.as_ref().map(Secret::expose),
        "expires_in": tokens.expires_in.as_secs(),
    })
}

fn sign_in_json(step: &SignIn) -> Value {
    let challenge = match step {
        SignIn::Tokens(tokens) => return tokens_json(tokens),
        SignIn::Challenge(challenge) => challenge,
    };
    let mut parameters = Map::new();
    parameters.insert("USERNAME".to_owned(), json!(challenge.username()));
    match challenge {
        Challenge::NewPasswordRequired {
            required_attributes,
            user_attributes,
            ..
        } => {
            parameters.insert("requiredAttributes".to_owned(), json!(required_attributes));
            let attributes: Map<String, Value> = user_attributes
                .iter()
                .map(|a| (a.name.clone(), json!(a.value)))
                .collect();
            parameters.insert("userAttributes".to_owned(), Value::Object(attributes));
        }
        Challenge::SmsMfa {
            destination,
            delivery_medium,
            ..
        } => {
            parameters.insert("CODE_DELIVERY_DESTINATION".to_owned(), json!(destination));
            parameters.insert(
                "CODE_DELIVERY_DELIVERY_MEDIUM".to_owned(),
                json!(delivery_medium),
            );
        }
        Challenge::SelectMfaType { options, .. } => {
            let names: Vec<&str> = options.iter().map(|o| o.as_str()).collect();
            parameters.insert("MFAS_CAN_CHOOSE".to_owned(), json!(names));
        }
        Challenge::MfaSetup { options, .. } => {
            let names: Vec<&str> = options.iter().map(|o| o.as_str()).collect();
            parameters.insert("MFAS_CAN_SETUP".to_owned(), json!(names));
        }
        Challenge::SelectChallenge { available, .. } => {
            let names: Vec<&str> = available.iter().map(|f| f.as_str()).collect();
            parameters.insert("AvailableChallenges".to_owned(), json!(names));
        }
        Challenge::EmailOtp {
            destination,
            delivery_medium,
            ..
        }
        | Challenge::SmsOtp {
            destination,
            delivery_medium,
            ..
        } => {
            parameters.insert("CODE_DELIVERY_DESTINATION".to_owned(), json!(destination));
            parameters.insert(
                "CODE_DELIVERY_DELIVERY_MEDIUM".to_owned(),
                json!(delivery_medium),
            );
        }
        Challenge::WebAuthn {
            credential_request_options,
            ..
        } => {
            // The JSON string, unchanged, for the authenticator.
            parameters.insert(
                "CREDENTIAL_REQUEST_OPTIONS".to_owned(),
                json!(credential_request_options),
            );
        }
        _ => {}
    }
    json!({
        "challenge": challenge.name(),
        "session": challenge.session().expose(),
        "parameters": parameters,
    })
}

async fn mfa(client: &UserPoolClient, action: MfaAction) -> Result<Value, Failure> {
    Ok(match action {
        MfaAction::TotpSetup { access_token } => {
            let token = Secret::new(access_token);
            let association = client
                .associate_software_token(SoftwareTokenAuth::AccessToken(&token))
                .await?;
            // The user's own secret, asked for: the authenticator app needs it.
            json!({ "secret_code": association.secret_code.expose() })
        }
        MfaAction::TotpVerify {
            access_token,
            code,
            device_name,
        } => {
            let token = Secret::new(access_token);
            let verified = client
                .verify_software_token(
                    SoftwareTokenAuth::AccessToken(&token),
                    &Secret::new(code),
                    device_name.as_deref(),
                )
                .await?;
            json!({ "status": verified.status })
        }
        MfaAction::Set {
            access_token,
            sms,
            totp,
            email,
        } => {
            if sms.is_none() && totp.is_none() && email.is_none() {
                return Err(Failure::Usage(
                    "mfa set needs at least one of --sms, --totp, --email".to_owned(),
                ));
            }
            let mut preference = MfaPreference::new();
            if let Some(sms) = sms {
                preference = preference.sms(sms.setting());
            }
            if let Some(totp) = totp {
                preference = preference.software_token(totp.setting());
            }
            if let Some(email) = email {
                preference = preference.email(email.setting());
            }
            client
                .set_user_mfa_preference(&Secret::new(access_token), &preference)
                .await?;
            json!({})
        }
        MfaAction::Factors { access_token } => {
            let factors = client
                .get_user_auth_factors(&Secret::new(access_token))
                .await?;
            json!({
                "username": factors.username,
                "preferred_mfa": factors.preferred_mfa.as_ref().map(MfaType::as_str),
                "mfa_settings": factors.mfa_settings.iter().map(MfaType::as_str).collect::<Vec<_>>(),
                "configured_factors": factors
                    .configured_factors
                    .iter()
                    .map(AuthFactor::as_str)
                    .collect::<Vec<_>>(),
            })
        }
    })
}

async fn passkey(client: &UserPoolClient, action: PasskeyAction) -> Result<Value, Failure> {
    Ok(match action {
        PasskeyAction::Register {
            access_token,
            credential: None,
        } => {
            let options = client
                .start_web_authn_registration(&Secret::new(access_token))
                .await?;
            json!({ "credential_creation_options": options })
        }
        PasskeyAction::Register {
            access_token,
            credential: Some(credential),
        } => {
            let credential: Value = serde_json::from_str(&credential).map_err(|_| {
                Failure::Usage("--credential must be the authenticator's JSON".to_owned())
            })?;
            client
                .complete_web_authn_registration(&Secret::new(access_token), &credential)
                .await?;
            json!({})
        }
        PasskeyAction::List {
            access_token,
            next_token,
            max_results,
        } => {
            let page = client
                .list_web_authn_credentials(
                    &Secret::new(access_token),
                    next_token.as_deref(),
                    max_results,
                )
                .await?;
            let credentials: Vec<Value> = page
                .credentials
                .iter()
                .map(|c| {
                    json!({
                        "credential_id": c.credential_id,
                        "friendly_credential_name": c.friendly_credential_name,
                        "relying_party_id": c.relying_party_id,
                        "authenticator_attachment": c.authenticator_attachment,
                        "authenticator_transports": c.authenticator_transports,
                        "created_at": c.created_at,
                    })
                })
                .collect();
            json!({ "credentials": credentials, "next_token": page.next_token })
        }
        PasskeyAction::Delete {
            access_token,
            credential_id,
        } => {
            client
                .delete_web_authn_credential(&Secret::new(access_token), &credential_id)
                .await?;
            json!({})
        }
    })
}

fn delivery_json(delivery: &CodeDelivery) -> Value {
    json!({
        "destination": delivery.destination,
        "delivery_medium": delivery.delivery_medium,
        "attribute_name": delivery.attribute_name,
    })
}

/// `verify`: `LayerBuilder::start` on the pool's JWKS, then `layer.verify(token)`; prints the
/// verified payload.
async fn verify(global: &Global, token: &str, token_use: TokenUseArg) -> Result<Value, Failure> {
    let (pool, client_id) = pool_and_client(global)?;
    let config = CognitoConfig::builder(pool).client_id(client_id);
    let mut config = match token_use {
        TokenUseArg::Access => config.token_use(TokenUse::Access),
        TokenUseArg::Id => config.token_use(TokenUse::Id),
        TokenUseArg::Any => config.any_token_use(),
    };
    if let Some(region) = &global.region {
        config = config.region(region.as_str());
    }
    let jwks_url = match (&global.jwks_url, &global.endpoint) {
        (Some(url), _) => Some(url.clone()),
        (None, Some(endpoint)) => Some(format!(
            "{}/{pool}/.well-known/jwks.json",
            endpoint.trim_end_matches('/')
        )),
        (None, None) => None,
    };
    if let Some(url) = jwks_url {
        config = config.jwks_url(url);
    }
    let config = config.build().map_err(|e| Failure::Usage(chain(&e)))?;
    let layer = CognitoAuthLayer::builder(config)
        .start()
        .await
        .map_err(|e| Failure::Api {
            error_type: "KeysUnavailable".to_owned(),
            message: chain(&e),
        })?;
    match layer.verify(token) {
        Ok(_claims) => {
            // Verified: its payload is the claims, as the pool signed them.
            let payload = token
                .split('.')
                .nth(1)
                .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
                .and_then(|p| serde_json::from_slice::<Value>(&p).ok())
                .unwrap_or_default();
            Ok(payload)
        }
        Err(error) => Err(Failure::Api {
            error_type: variant_name(&format!("{:?}", error.kind())),
            message: chain(&error),
        }),
    }
}

#[cfg(feature = "test-util")]
async fn local_pool(
    global: &Global,
    bind: std::net::SocketAddr,
    tracking: TrackingArg,
) -> Result<Value, Failure> {
    use tower_cognito_client::test_util::{CodeKind, DeviceTracking, LocalUserPool};

    if !bind.ip().is_loopback() {
        return Err(Failure::Usage(format!(
            "--bind {bind}: the local pool listens on loopback only"
        )));
    }
    // Every first factor of USER_AUTH, and passkeys for pages served on localhost.
    let mut builder = LocalUserPool::builder()
        .allowed_first_auth_factors(["PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"])
        .web_authn_relying_party("localhost", "http://localhost")
        .on_code(|sent| {
            let kind = match &sent.kind {
                CodeKind::SignUp => "sign-up".to_owned(),
                CodeKind::ForgotPassword => "forgot-password".to_owned(),
                CodeKind::VerifyAttribute(name) => format!("verify-{name}"),
                CodeKind::SmsMfa => "sms-mfa".to_owned(),
                CodeKind::EmailOtp => "email-otp".to_owned(),
                CodeKind::SmsOtp => "sms-otp".to_owned(),
                _ => "other".to_owned(),
            };
            // A local test pool: printing its codes is how the tutorial reads them.
            eprintln!("code: {} {kind} {}", sent.username, sent.code);
        });
    if let Some(id) = &global.user_pool_id {
        builder = builder.user_pool_id(id.as_str());
    }
    if let Some(id) = &global.client_id {
        builder = builder.client_id(id.as_str());
    }
    if let Some(secret) = &global.client_secret {
        builder = builder.client_secret(secret.as_str());
    }
    builder = builder.device_tracking(match tracking {
        TrackingArg::Off => DeviceTracking::Off,
        TrackingArg::Always => DeviceTracking::Always,
        TrackingArg::OptIn => DeviceTracking::UserOptIn,
    });
    let pool = builder.build().map_err(|e| Failure::Usage(chain(&e)))?;
    let server = pool.serve_on(bind).await.map_err(|e| Failure::Api {
        error_type: "Bind".to_owned(),
        message: chain(&e),
    })?;
    println!("listening on http://{}", server.addr());
    println!("user_pool_id: {}", pool.user_pool_id());
    println!("client_id: {}", pool.client_id());
    println!("jwks_url: {}", server.jwks_url());
    // Until Ctrl-C or SIGTERM: stdin is not read, so that a pool started in the background (its
    // stdin closed, or a terminal it may not read) keeps serving.
    let signal = |e: std::io::Error| Failure::Api {
        error_type: "Signal".to_owned(),
        message: chain(&e),
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal as unix_signal};
        let mut terminate = unix_signal(SignalKind::terminate()).map_err(signal)?;
        tokio::select! {
            interrupted = tokio::signal::ctrl_c() => interrupted.map_err(signal)?,
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await.map_err(signal)?;
    drop(server);
    Ok(json!({ "stopped": true }))
}

#[cfg(not(feature = "test-util"))]
async fn local_pool(
    _global: &Global,
    _bind: std::net::SocketAddr,
    _tracking: TrackingArg,
) -> Result<Value, Failure> {
    Err(Failure::Usage(
        "local-pool needs the test-util feature: \
         cargo run -p tower-cognito-client --example user_pool --features test-util -- local-pool"
            .to_owned(),
    ))
}
