//! The real binary in a real terminal (tmux): the demo, the ring panel, every capture opened, lesson 8,
//! and every command of LESSONS.md.
#[path = "../support/mod.rs"]
mod support;

mod e2e_demo;
mod e2e_ring;
mod lessons;
mod tui_assets;
mod tui_field_meaning;
mod tui_fragments;
