//! The benchmark server (see `tower_cognito_benches::server`): the quick start's routes and
//! variables, plus debug routes and token files.
//!
//! ```text
//! cargo run --release -p tower-cognito-benches --bin bench_server
//! ```

use std::process::ExitCode;

use tower_cognito::env::Env;
use tower_cognito_benches::server;

#[tokio::main]
async fn main() -> ExitCode {
    match server::run(&Env::process()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_server: error: {e}");
            ExitCode::FAILURE
        }
    }
}
