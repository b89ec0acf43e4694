//! [`SessionStore`]: where sign-in transactions and sessions live, as bytes under a key with a
//! lifetime; [`MemoryStore`] for one process.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// A boxed future of a store operation.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// The store is unreachable or failed: the web sign-in fails closed (`503`), it never treats
/// the request as signed in or loses a session on its account.
#[derive(Debug, thiserror::Error)]
#[error("the session store failed: {message}")]
pub struct StoreError {
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl StoreError {
    /// A failure described by `message` (no secret in it), with its cause.
    pub fn new(
        message: impl Into<String>,
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            message: message.into(),
            source,
        }
    }
}

/// Storage for the web sign-in: values (JSON; tokens inside, so keep the store private) under
/// keys (`tower-cognito:session:<id>`, `tower-cognito:login:<id>`), each with a lifetime after
/// which it is gone.
///
/// [`MemoryStore`] (the default) serves one process; `RedisStore` (feature `redis`) a fleet,
/// where every replica sees every session and a restart loses none. Implement it for another
/// database.
pub trait SessionStore: Send + Sync + fmt::Debug + 'static {
    /// The value under `key`, if it is there and not expired.
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>>;
    /// Stores `value` under `key` for `ttl`, replacing what was there.
    fn put<'a>(&'a self, key: &'a str, value: Vec<u8>, ttl: Duration) -> StoreFuture<'a, ()>;
    /// Removes the value under `key` and returns it, atomically: of two concurrent calls, one
    /// gets it (single-use sign-in transactions rely on it).
    fn take<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>>;
    /// Removes the value under `key` (nothing if there is none).
    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()>;
}

/// A shared store is a store: one `Arc` given to several [`WebSignIn`](super::WebSignIn)s.
impl<S: SessionStore + ?Sized> SessionStore for std::sync::Arc<S> {
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        (**self).get(key)
    }
    fn put<'a>(&'a self, key: &'a str, value: Vec<u8>, ttl: Duration) -> StoreFuture<'a, ()> {
        (**self).put(key, value, ttl)
    }
    fn take<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        (**self).take(key)
    }
    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        (**self).delete(key)
    }
}

/// An in-memory [`SessionStore`] for one process: sessions are lost on restart and not shared
/// between replicas (use `RedisStore` for that). Expired entries are dropped as they are met,
/// and all of them once the map doubles past its last cleaned size.
#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    map: HashMap<String, (Vec<u8>, Instant)>,
    clean_at: usize,
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = self.lock().map.len();
        f.debug_struct("MemoryStore")
            .field("entries", &len)
            .finish()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn get_now(&self, key: &str) -> Option<Vec<u8>> {
        let mut entries = self.lock();
        match entries.map.get(key) {
            Some((value, until)) if Instant::now() < *until => Some(value.clone()),
            Some(_) => {
                entries.map.remove(key);
                None
            }
            None => None,
        }
    }

    fn put_now(&self, key: &str, value: Vec<u8>, ttl: Duration) {
        let now = Instant::now();
        let until = now.checked_add(ttl).unwrap_or(now);
        let mut entries = self.lock();
        entries.map.insert(key.to_owned(), (value, until));
        if entries.map.len() > entries.clean_at.max(1024) {
            entries.map.retain(|_, (_, until)| now < *until);
            entries.clean_at = entries.map.len().saturating_mul(2);
        }
    }

    fn take_now(&self, key: &str) -> Option<Vec<u8>> {
        let (value, until) = self.lock().map.remove(key)?;
        (Instant::now() < until).then_some(value)
    }
}

impl SessionStore for MemoryStore {
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        Box::pin(std::future::ready(Ok(self.get_now(key))))
    }

    fn put<'a>(&'a self, key: &'a str, value: Vec<u8>, ttl: Duration) -> StoreFuture<'a, ()> {
        self.put_now(key, value, ttl);
        Box::pin(std::future::ready(Ok(())))
    }

    fn take<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        Box::pin(std::future::ready(Ok(self.take_now(key))))
    }

    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        self.lock().map.remove(key);
        Box::pin(std::future::ready(Ok(())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn values_expire_and_take_is_single_use() {
        let store = MemoryStore::new();
        store
            .put("a", b"1".to_vec(), Duration::from_secs(60))
            .await
            .unwrap();
        store.put("b", b"2".to_vec(), Duration::ZERO).await.unwrap();
        assert_eq!(store.get("a").await.unwrap(), Some(b"1".to_vec()));
        assert_eq!(store.get("b").await.unwrap(), None);
        assert_eq!(store.take("a").await.unwrap(), Some(b"1".to_vec()));
        assert_eq!(store.take("a").await.unwrap(), None);
        store
            .put("c", b"3".to_vec(), Duration::from_secs(60))
            .await
            .unwrap();
        store.delete("c").await.unwrap();
        assert_eq!(store.get("c").await.unwrap(), None);
        assert_eq!(format!("{store:?}"), "MemoryStore { entries: 0 }");
    }
}
