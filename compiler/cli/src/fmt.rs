//! `hlc fmt`: format files in place, check them, or format standard input.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use hlc_core::diagnostics::render::{self, Style};
use hlc_core::diagnostics::{FileId, Sources};

use crate::ui::Ui;
use crate::{EXIT_ERRORS, EXIT_USAGE, fsio};

pub fn run(paths: &[PathBuf], check: bool, ui: Ui) -> ExitCode {
    let color = ui.color;
    if paths.iter().any(|p| p.as_os_str() == "-") {
        if paths.len() > 1 {
            eprintln!("error: `-` (standard input) cannot be combined with other paths");
            return ExitCode::from(EXIT_USAGE);
        }
        return stdin(check, color);
    }
    let files = match fsio::hl_files(paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let (mut unformatted, mut broken, mut io_errors) = (0usize, 0usize, 0usize);
    let mut stdout = std::io::stdout().lock();
    for path in &files {
        let display = path.to_string_lossy().replace('\\', "/");
        let text = match std::fs::read(path).map(String::from_utf8) {
            Ok(Ok(t)) => t,
            Ok(Err(_)) => {
                eprintln!("error: {display} is not UTF-8 text; left alone");
                broken += 1;
                continue;
            }
            Err(e) => {
                eprintln!("error: cannot read {display}: {e}");
                io_errors += 1;
                continue;
            }
        };
        let formatted = match format(&display, &text, color) {
            Some(f) => f,
            None => {
                broken += 1;
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        unformatted += 1;
        if check {
            let _ = writeln!(stdout, "{display}: not formatted");
            let diff = similar::TextDiff::from_lines(&text, &formatted);
            let _ = write!(stdout, "{}", diff.unified_diff().context_radius(2).header(&display, &display));
        } else if let Err(e) = fsio::write_file_atomic(path, &formatted) {
            eprintln!("error: cannot write {display}: {e}");
            io_errors += 1;
        } else {
            if ui.verbose {
                eprintln!("formatted {display}");
            }
        }
    }
    let n = files.len();
    if io_errors > 0 {
        return ExitCode::from(EXIT_USAGE);
    }
    if check {
        ui.note(&format!("{n} files checked: {unformatted} not formatted, {broken} with syntax errors"));
        if unformatted > 0 || broken > 0 {
            return ExitCode::from(EXIT_ERRORS);
        }
    } else {
        ui.note(&format!("{n} files: {unformatted} reformatted, {broken} with syntax errors (left alone)"));
        if broken > 0 {
            return ExitCode::from(EXIT_ERRORS);
        }
    }
    ExitCode::SUCCESS
}

fn stdin(check: bool, color: bool) -> ExitCode {
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
        eprintln!("error: cannot read standard input: {e}");
        return ExitCode::from(EXIT_USAGE);
    }
    let Ok(text) = String::from_utf8(bytes) else {
        eprintln!("error: standard input is not UTF-8 text");
        return ExitCode::from(EXIT_ERRORS);
    };
    let Some(formatted) = format("<stdin>", &text, color) else {
        return ExitCode::from(EXIT_ERRORS);
    };
    if check {
        return if formatted == text { ExitCode::SUCCESS } else { ExitCode::from(EXIT_ERRORS) };
    }
    let _ = std::io::stdout().lock().write_all(formatted.as_bytes());
    ExitCode::SUCCESS
}

/// The formatted text, or `None` after printing the syntax errors that prevent formatting.
fn format(display: &str, text: &str, color: bool) -> Option<String> {
    match hlc_core::format_source(FileId(0), text) {
        Ok(f) => Some(f),
        Err(diags) => {
            let mut sources = Sources::new();
            sources.add(display, text);
            let style = if color { Style::Color } else { Style::Plain };
            eprint!("{}", render::human(&diags, &sources, style, 100));
            eprintln!("{display}: not formatted (syntax errors)");
            None
        }
    }
}

/// Does a directory walk for `hlc fmt` enter this directory?
pub fn walk_into(name: &str) -> bool {
    !(name.starts_with('.') || matches!(name, "target" | "out" | "node_modules"))
}
