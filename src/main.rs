#![deny(unsafe_code)]
fn main() {
    // A panic restores the terminal, prints one line and where the report went, exits 1.
    ringside::crash::install();
    std::process::exit(ringside::cli::main());
}
