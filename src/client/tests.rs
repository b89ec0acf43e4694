//! SRP sign-in against wiremock, checked with the crate's own SRP server side.
