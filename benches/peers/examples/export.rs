//! Writes the peers fixture (token, JWKS, pool and client ids) for the node peer, without running
//! the bench: `cargo run --example export` (in benches/peers), then `node node/verify.mjs`.

use tower_cognito_peers::{Fixture, export_path};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = export_path();
    Fixture::new()?.write_export(&path)?;
    println!("{}", path.display());
    Ok(())
}
