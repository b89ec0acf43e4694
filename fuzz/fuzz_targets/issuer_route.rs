//! The issuer scan of a layer of several pools: it reads `iss` from the decoded payload of every
//! token before the signature is checked, so it sees attacker bytes. Never panics; every
//! candidate is the text between `"iss"`, `:`, `"` and the next `"`, with no escape in it.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tower_cognito::fuzzing::issuer_candidates;

fuzz_target!(|data: &[u8]| {
    let found = issuer_candidates(data);
    let names = data.windows(5).filter(|w| w == b"\"iss\"").count();
    assert!(found.len() <= names);
    for candidate in found {
        assert!(!candidate.contains(&b'"') && !candidate.contains(&b'\\'));
        let mut quoted = vec![b'"'];
        quoted.extend_from_slice(&candidate);
        quoted.push(b'"');
        assert!(data.windows(quoted.len()).any(|w| w == quoted.as_slice()));
    }
});
