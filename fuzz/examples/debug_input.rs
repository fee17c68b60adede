//! Prints how a fuzz input decodes: `cargo run --example debug_input -- TARGET FILE`.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let data = std::fs::read(&args[2]).expect("readable");
    match args[1].as_str() {
        "lifetimes" => println!("{:#?}", sealed_session_fuzz::lifetimes::decode(&data)),
        "v1_upgrade" => println!("{:#?}", sealed_session_fuzz::v1::decode(&data)),
        "session_layer" => println!("{:#?}", sealed_session_fuzz::layer::decode(&data)),
        other => eprintln!("unknown target {other}"),
    }
}
