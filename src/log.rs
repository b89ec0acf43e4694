//! Events through `tracing` when the `tracing` feature is on (it is by default), nothing
//! otherwise. Never a token, a claim or a secret: rejections name their error kind only.

macro_rules! debug {
    ($($arg:tt)*) => {{
        #[cfg(feature = "tracing")]
        ::tracing::debug!($($arg)*);
    }};
}

macro_rules! info {
    ($($arg:tt)*) => {{
        #[cfg(feature = "tracing")]
        ::tracing::info!($($arg)*);
    }};
}

macro_rules! warning {
    ($($arg:tt)*) => {{
        #[cfg(feature = "tracing")]
        ::tracing::warn!($($arg)*);
    }};
}

macro_rules! error {
    ($($arg:tt)*) => {{
        #[cfg(feature = "tracing")]
        ::tracing::error!($($arg)*);
    }};
}

#[allow(unused_imports)] // `info` serves optional parts only.
pub(crate) use {debug, error, info, warning};
