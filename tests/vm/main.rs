//! The netmap backend on a real netmap module, in a QEMU guest (slow: a few minutes).
#[path = "../support/mod.rs"]
mod support;

mod netmap_vm;
