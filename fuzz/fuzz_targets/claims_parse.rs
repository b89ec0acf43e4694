//! Arbitrary bytes as a decoded token payload. The verifier parses a payload only after its
//! signature has verified, which `verify_token` inputs almost never reach; this target fuzzes
//! the claims parser and the claim rules directly. Never panics; parsed claims survive a
//! serialize/parse round trip with the same verdict.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tower_cognito::fuzzing::{check_claims, parse_claims, parse_claims_unit};
use tower_cognito_fuzz::{FIXTURE, NOW};

/// 9999-12-31T23:59:59Z, the latest time claim the parser accepts.
const MAX_NUMERIC_DATE: u64 = 253_402_300_799;

fuzz_target!(|data: &[u8]| {
    let f = &*FIXTURE;
    // The layer's default (`E = ()`: untyped claims checked and dropped) and the keep-everything
    // parse give the same verdict and the same typed claims.
    let unit = parse_claims_unit(data);
    let claims = match parse_claims(data) {
        Ok(claims) => claims,
        Err(e) => {
            assert_eq!(unit.map(|_| ()).map_err(|u| u.kind()), Err(e.kind()));
            return;
        }
    };
    let unit = unit.expect("the unit parse accepts what the full parse accepts");
    assert_eq!(unit, claims.clone().map_extra(|_| ()));
    for t in [Some(claims.exp), claims.iat, claims.nbf, claims.auth_time]
        .into_iter()
        .flatten()
    {
        assert!(t <= MAX_NUMERIC_DATE);
    }
    let verdict = check_claims(&f.verifier, &claims, NOW);
    let _ = check_claims(&f.access_verifier, &claims, u64::MAX);
    let _ = check_claims(&f.access_verifier, &claims, 0);

    let json = serde_json::to_vec(&claims).expect("claims serialize");
    let again = parse_claims(&json).expect("serialized claims parse again");
    // `extra` may hold floats, which need not round-trip to the last bit: compare the rest.
    assert_eq!(
        (
            &again.sub,
            &again.iss,
            again.token_use,
            again.exp,
            again.iat,
            again.nbf
        ),
        (
            &claims.sub,
            &claims.iss,
            claims.token_use,
            claims.exp,
            claims.iat,
            claims.nbf
        ),
    );
    assert_eq!(
        (
            &again.client_id,
            &again.aud,
            &again.groups,
            &again.scope,
            &again.custom
        ),
        (
            &claims.client_id,
            &claims.aud,
            &claims.groups,
            &claims.scope,
            &claims.custom
        ),
    );
    assert_eq!(
        (&again.auth_time, &again.acr, &again.amr),
        (&claims.auth_time, &claims.acr, &claims.amr)
    );
    assert!(again.extra.keys().eq(claims.extra.keys()));
    assert_eq!(check_claims(&f.verifier, &again, NOW), verdict);
});
