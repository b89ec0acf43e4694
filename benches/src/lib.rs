//! The measuring programs of `tower-cognito` that are not examples for users: the benchmark
//! server ([`server`], binary `bench_server`, driven by `cargo xtask load` and `cargo xtask
//! profile-routes`), the memory soak (binary `soak`, `cargo xtask memory`) and the Redis
//! deny-list at scale (binary `deny_list_scale`). The criterion and gungraun benches of this
//! package are the files next to this directory (`verify.rs`, `instructions.rs`, `pools_ab.rs`,
//! `srp.rs`).

pub mod server;
