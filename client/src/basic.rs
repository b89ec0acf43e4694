//! `client_secret_basic`: how an app client with a secret authenticates to the managed-login
//! domain's endpoints (`/oauth2/token`, `/oauth2/revoke`).

use base64::Engine as _;

use super::secret::Secret;

/// `Authorization: Basic base64(client_id ":" client_secret)`: the id and secret as they are,
/// not form-urlencoded first (Cognito's documented form; RFC 6749 would encode them, which
/// breaks a secret holding `+`).
pub(crate) fn basic_authorization(client_id: &str, secret: &Secret) -> Secret {
    let pair = format!("{client_id}:{}", secret.expose());
    Secret::new(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_not_form_encoded() {
        let header = basic_authorization("client+id", &Secret::new("se+cr/et="));
        let encoded = header.expose().strip_prefix("Basic ").unwrap();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        assert_eq!(decoded, b"client+id:se+cr/et=");
    }
}
