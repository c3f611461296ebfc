//! Embedding the compiler: read a workspace, change one value in memory, recompile, and print
//! which emitted objects changed.
//!
//! ```text
//! cargo run -p hlc-core --example embed -- stacks
//! ```
//!
//! It finds the first `replicas = N` in the workspace, makes it `N + 1` in memory (the files on
//! disk are not touched), and compares the two compilations' output files.

use std::collections::BTreeMap;
use std::process::ExitCode;

use hlc_core::{DiskHost, Host, MemoryHost, compile_host};

fn main() -> ExitCode {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "stacks".to_string());
    match run(&dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("embed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(dir: &str) -> Result<(), String> {
    // Copy the workspace into memory through the same door the compiler uses.
    let disk = DiskHost::new(dir);
    let mut memory = MemoryHost::new();
    for path in disk.files().map_err(|e| e.to_string())? {
        let bytes = disk.read(&path).map_err(|e| e.to_string())?;
        memory.insert(path, bytes);
    }
    let before = compile_host(&memory).map_err(|e| e.to_string())?;
    if before.has_errors() {
        return Err(format!("`{dir}` does not compile; run `hlc check {dir}`"));
    }

    // Change one replica count, in memory only.
    let (path, edited, what) = memory
        .paths()
        .find_map(|p| {
            let text = std::str::from_utf8(memory.get(p)?).ok()?;
            let at = text.find("replicas = ")? + "replicas = ".len();
            let digits: String = text[at..].chars().take_while(char::is_ascii_digit).collect();
            let n: u64 = digits.parse().ok()?;
            let edited = format!("{}{}{}", &text[..at], n + 1, &text[at + digits.len()..]);
            Some((p.to_string(), edited, format!("replicas {n} -> {}", n + 1)))
        })
        .ok_or("no `replicas = N` in the workspace")?;
    memory.insert(path.clone(), edited);
    let after = compile_host(&memory).map_err(|e| e.to_string())?;

    println!("{path}: {what}");
    let old: BTreeMap<&str, &str> = before.artifacts.iter().map(|a| (a.path.as_str(), a.contents.as_str())).collect();
    let mut changed = 0;
    for a in &after.artifacts {
        match old.get(a.path.as_str()) {
            Some(contents) if *contents == a.contents => {}
            Some(_) => {
                changed += 1;
                println!("changed  {}", a.path);
            }
            None => {
                changed += 1;
                println!("added    {}", a.path);
            }
        }
    }
    for path in old.keys().filter(|p| after.artifact(p).is_none()) {
        changed += 1;
        println!("removed  {path}");
    }
    println!("{changed} of {} output files changed", after.artifacts.len());
    Ok(())
}
