//! The comparison harness behind `scripts/compare.sh` (docs/COMPARISON.md): the same small
//! app in four session designs behind one nginx, three nodes each, measured in one run.
//!
//! - `compare node --variant NAME --port P [...]`: one node of a variant (started by `run`);
//! - `compare run [--smoke] [--out DIR] [--only NAME,...]`: the whole comparison.

mod client;
mod load;
mod nginx;
mod node;
mod node_cookies;
mod node_tower;
mod phases;
mod redis;
mod run;
mod stack;
mod stale;
mod variants;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("node") => node::main(&args[1..]),
        Some("run") => run::main(&args[1..]),
        _ => Err("usage: compare run [--smoke] [--out DIR] [--only NAME,...] | compare node --variant NAME --port P".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("compare: {e}");
            ExitCode::FAILURE
        }
    }
}
