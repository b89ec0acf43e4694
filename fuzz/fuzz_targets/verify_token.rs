//! Arbitrary bytes as a token: `Verifier::verify` never panics, and a token verifies if and only
//! if it is byte-identical to one of the fixture's valid tokens (the `seed-*-valid-*` seeds).

#![no_main]

use libfuzzer_sys::fuzz_target;
use tower_cognito::TokenUse;
use tower_cognito_fuzz::{FIXTURE, NOW};

fuzz_target!(|data: &[u8]| {
    // Tokens reach the verifier as `&str` (the bearer parser admits ASCII only).
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let f = &*FIXTURE;
    let verified = f.verifier.verify(token, &f.keys, NOW);
    let known = f.valid.iter().any(|valid| valid == token);
    assert_eq!(
        verified.is_ok(),
        known,
        "a token verified that is not one of the minted ones, or a minted one failed"
    );

    // The access-only verifier accepts exactly the access tokens among those.
    let access = f.access_verifier.verify(token, &f.keys, NOW);
    let is_access = verified
        .as_ref()
        .is_ok_and(|claims| claims.token_use == TokenUse::Access);
    assert_eq!(access.is_ok(), is_access);

    // Errors render without panicking (and carry no token content, by construction).
    if let Err(e) = verified {
        let _ = e.to_string();
    }
});
