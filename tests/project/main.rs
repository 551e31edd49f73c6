//! The project as a user meets it: the installed .deb, the config file, error messages, the
//! lesson captures kept current, and the library's layering.
#[path = "../support/mod.rs"]
mod support;

mod assets_current;
mod cli_errors;
mod config;
mod install;
mod layering;
