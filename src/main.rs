fn main() {
    std::process::exit(ringside::cli::main());
}
