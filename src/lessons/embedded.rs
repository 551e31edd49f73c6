//! The lesson material inside the binary: the captures of `assets/` (listed by build.rs) and the
//! text of LESSONS.md. `ringside lesson N` opens these, so an installed binary needs no source
//! tree; `ringside lesson --write-assets DIR` writes them out as files.
use std::path::{Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/embedded_assets.rs"));

/// LESSONS.md, the teacher's text for every lesson.
pub const LESSONS_MD: &str = include_str!("../../LESSONS.md");

/// The embedded capture called `name` (as in `assets/`), if there is one.
pub fn capture(name: &str) -> Option<&'static [u8]> {
    CAPTURES.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
}

/// Write every embedded capture and LESSONS.md into `dir` (made if missing); the paths written.
pub fn write_all(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    use anyhow::Context;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let files = CAPTURES
        .iter()
        .copied()
        .chain(std::iter::once(("LESSONS.md", LESSONS_MD.as_bytes())));
    let mut written = Vec::new();
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_capture_a_lesson_opens_is_embedded() {
        for l in crate::lessons::LESSONS {
            if let crate::lessons::Opens::Capture(f) = l.opens {
                let bytes = capture(f).unwrap_or_else(|| panic!("lesson {}: {f}", l.number));
                assert!(bytes.len() > 24, "{f}");
            }
        }
        assert!(LESSONS_MD.contains("ringside lesson 1"));
    }
}
