//! The classroom lessons (LESSONS.md) as data the CLI and the tests share, and the captures they use.
pub mod assets;
