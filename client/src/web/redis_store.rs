//! [`RedisStore`]: sessions shared by every replica of an app through Redis (feature `redis`).

use std::fmt;
use std::time::Duration;

use arc_swap::ArcSwapOption;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client};

use super::store::{SessionStore, StoreError, StoreFuture};

/// Time limit of one Redis command (connecting included).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

/// A [`SessionStore`] in Redis: every replica of the app sees every session, and a restart loses
/// none. Values expire in Redis with their lifetime (`SET ... PX`); a sign-in transaction is
/// taken with `GETDEL` (single use across replicas). One multiplexed connection, made again
/// after a failure; each command has a 2 s limit, past which the request fails closed (`503`).
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use tower_cognito_client::web::RedisStore;
///
/// let store = RedisStore::connect("redis://127.0.0.1:6379").await?;
/// # let _ = store; Ok(()) }
/// ```
pub struct RedisStore {
    client: Client,
    connection: ArcSwapOption<MultiplexedConnection>,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold a password: only the address shows.
        let info = self.client.get_connection_info();
        f.debug_struct("RedisStore")
            .field("addr", &info.addr().to_string())
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// A store on the Redis at `url` (`redis://host:port/db`, `rediss://` for TLS when the
    /// `redis` crate has it), connected now.
    ///
    /// # Errors
    /// A [`StoreError`] when the URL is not valid or the server cannot be reached.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let client = Client::open(url)
            .map_err(|e| StoreError::new("the Redis URL is not valid", Some(Box::new(e))))?;
        let store = Self {
            client,
            connection: ArcSwapOption::empty(),
        };
        store.connection().await?;
        Ok(store)
    }

    async fn connection(&self) -> Result<MultiplexedConnection, StoreError> {
        if let Some(connection) = self.connection.load_full() {
            return Ok(MultiplexedConnection::clone(&connection));
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(COMMAND_TIMEOUT))
            .set_response_timeout(Some(COMMAND_TIMEOUT));
        let connection = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|e| StoreError::new("Redis is unreachable", Some(Box::new(e))))?;
        self.connection
            .store(Some(std::sync::Arc::new(connection.clone())));
        Ok(connection)
    }

    async fn run<T: redis::FromRedisValue>(&self, command: redis::Cmd) -> Result<T, StoreError> {
        let mut connection = self.connection().await?;
        match tokio::time::timeout(COMMAND_TIMEOUT, command.query_async::<T>(&mut connection)).await
        {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => {
                self.connection.store(None);
                Err(StoreError::new("a Redis command failed", Some(Box::new(e))))
            }
            Err(_) => {
                self.connection.store(None);
                Err(StoreError::new("a Redis command timed out", None))
            }
        }
    }
}

impl SessionStore for RedisStore {
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        let mut command = redis::cmd("GET");
        command.arg(key);
        Box::pin(self.run(command))
    }

    fn put<'a>(&'a self, key: &'a str, value: Vec<u8>, ttl: Duration) -> StoreFuture<'a, ()> {
        let mut command = redis::cmd("SET");
        let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        command.arg(key).arg(value).arg("PX").arg(millis);
        Box::pin(self.run(command))
    }

    fn take<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        let mut command = redis::cmd("GETDEL");
        command.arg(key);
        Box::pin(self.run(command))
    }

    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        let mut command = redis::cmd("DEL");
        command.arg(key);
        Box::pin(async move { self.run::<i64>(command).await.map(|_| ()) })
    }
}
