fn main() {
    eprintln!("aisexec: the executive is not built yet");
    std::process::exit(1);
}
