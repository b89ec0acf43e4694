//! The tests of the measuring programs, as one binary: the benchmark server's functions in
//! process, and its binary (`bench_server`, built by cargo for this test) as a child process.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

mod bench_server;
