//! The screen through ratatui's TestBackend (no terminal): snapshots, behaviour, fuzzing, themes,
//! the ring and struct panels, and every number a lesson states.
#[path = "../support/mod.rs"]
mod support;

mod lesson_claims;
mod ring_panel;
mod themes;
mod ui_behaviour;
mod ui_field_meaning;
mod ui_fragments;
mod ui_fuzz;
mod ui_idle;
mod ui_layers_top;
mod ui_packing;
mod ui_peer_kernel;
mod ui_snapshots;
