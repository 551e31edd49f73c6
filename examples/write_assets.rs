//! Regenerate the lesson captures: `cargo run --example write_assets -- assets/`
//! (`ringside lesson --write-assets DIR` writes the copies built into the binary instead).
fn main() -> anyhow::Result<()> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "assets".into());
    for p in ringside::lessons::assets::write_all(std::path::Path::new(&dir))? {
        println!("{}", p.display());
    }
    Ok(())
}
