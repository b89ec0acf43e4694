//! Web sign-in for server-rendered apps (feature `web`): Cognito's managed login with the
//! authorization code flow and PKCE, server-side sessions, refresh and logout, for axum.
//!
//! [`WebSignIn`] gives the routes (`/login`, `/callback`, `/logout`) and a [`SessionLayer`]
//! that hands each signed-in request's access token to the application's own
//! `CognitoAuthLayer`. Sessions live in a [`SessionStore`]: [`MemoryStore`] for one process,
//! `RedisStore` (feature `redis`) for a fleet. The cookie holds a 256-bit random id only. See
//! the [guide](crate::guide::web).

mod cookie;
mod endpoint;
mod layer;
mod random;
#[cfg(feature = "redis")]
mod redis_store;
mod return_to;
mod router;
mod session;
mod sign_in;
mod store;
mod verify;

pub use layer::{SessionLayer, SessionService};
#[cfg(feature = "redis")]
pub use redis_store::RedisStore;
pub use session::Session;
pub use sign_in::{WebSignIn, WebSignInBuilder};
pub use store::{MemoryStore, SessionStore, StoreError, StoreFuture};
