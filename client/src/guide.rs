//! Guides: one task each, every snippet compiled and run as a doctest.
//!
//! | guide | what it covers |
//! |---|---|
//! | [`web`] | web sign-in for server-rendered apps: managed login, code + PKCE, sessions, refresh, logout (feature `web`) |
//! | [`m2m`] | machine-to-machine tokens (`client_credentials`) for outgoing calls, one request per token |
//! | [`cli`] | the tutorial on the command line (`examples/user_pool.rs`), and the cost of an SRP login |

#[doc = include_str!("docs/m2m.md")]
pub mod m2m {}

#[doc = include_str!("docs/web.md")]
pub mod web {}

#[doc = include_str!("docs/cli.md")]
pub mod cli {}
