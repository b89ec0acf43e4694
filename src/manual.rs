//! The manual: how the crate is built to be safe, for reviewers and operators. The guides
//! ([`guide`](crate::guide)) say how to use it.

#[doc = include_str!("docs/security.md")]
pub mod security {}
