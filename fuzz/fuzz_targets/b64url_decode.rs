//! The crate's own base64url decoder (a table decoder, chosen over the `base64` crate for speed)
//! against the `base64` crate's canonical unpadded base64url: the same bytes, or both refuse.

#![no_main]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use tower_cognito::fuzzing::b64url_decode;

fuzz_target!(|data: &[u8]| {
    assert_eq!(b64url_decode(data), URL_SAFE_NO_PAD.decode(data).ok());
});
