//! The command line: argument parsing, commands, choice of renderers, exit code. Thin: the
//! analysis lives in `tenant-audit-engine`.

mod args;
mod commands;

use clap::Parser;
use std::ffi::OsString;

pub use args::Cli;

/// Exit codes.
pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

/// Runs the tool with the process arguments; returns the exit code.
pub fn run(mut argv: Vec<OsString>) -> i32 {
    // `cargo tenant-audit ..` runs `cargo-tenant-audit tenant-audit ..`.
    if argv.get(1).is_some_and(|a| a == "tenant-audit") {
        argv.remove(1);
    }
    let cli = match Cli::try_parse_from(argv) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    if let Err(e) = cli.check_paths() {
        let _ = e.print();
        return EXIT_ERROR;
    }
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            print_error(&e);
            EXIT_ERROR
        }
    }
}

fn print_error(e: &tenant_audit_engine::error::Error) {
    use std::io::IsTerminal;
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let theme = if color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme);
    for one in e.all() {
        let report = one.to_report();
        let mut out = String::new();
        if handler.render_report(&mut out, report.as_ref()).is_ok() {
            eprint!("{out}");
        } else {
            eprintln!("error: {one}");
        }
    }
    if !e.also.is_empty() {
        let n = e.also.len() + 1;
        match &e.file {
            Some(file) if e.also.iter().all(|o| o.file.as_ref() == Some(file)) => {
                eprintln!("tenant-audit: {n} errors in {file}")
            }
            _ => eprintln!("tenant-audit: {n} errors"),
        }
    }
}
