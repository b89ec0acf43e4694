//! Events through `tracing` when the `tracing` feature is on (it is by default), nothing
//! otherwise. Never a password, code, token or secret: operation names and error types only.

macro_rules! debug {
    ($($arg:tt)*) => {{
        #[cfg(feature = "tracing")]
        ::tracing::debug!($($arg)*);
    }};
}

macro_rules! error {
    ($($arg:tt)*) => {{
        #[cfg(feature = "tracing")]
        ::tracing::error!($($arg)*);
    }};
}

macro_rules! warning {
    ($($arg:tt)*) => {{
        #[cfg(feature = "tracing")]
        ::tracing::warn!($($arg)*);
    }};
}

pub(crate) use {debug, error, warning};
