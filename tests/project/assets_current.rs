//! The lesson captures in assets/ are what the current builders and stack produce. If this fails
//! after a deliberate change, regenerate them: `cargo run --example write_assets -- assets/`.
use std::path::Path;

#[test]
fn checked_in_assets_match_a_fresh_generation() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = ringside::lessons::assets::write_all(dir.path()).unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    for path in fresh {
        let name = path.file_name().unwrap();
        let checked_in = std::fs::read(repo.join(name)).unwrap_or_else(|_| {
            panic!(
                "assets/{} is missing: run `cargo run --example write_assets -- assets/`",
                name.to_string_lossy()
            )
        });
        assert!(
            checked_in == std::fs::read(&path).unwrap(),
            "assets/{} is stale: run `cargo run --example write_assets -- assets/`",
            name.to_string_lossy()
        );
    }
}
