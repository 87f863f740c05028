//! `bench-gen --out DIR [--lines N] [--files N] [--seed S] [--crates N]`: writes the benchmark
//! corpus (`--crates N`: the scale workspace, see [`bench_gen::Config::crates`]).

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut cfg = bench_gen::Config::default();
    let mut out: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or_else(|| format!("{name} needs a value"))
                .map(|v| v.to_string())
        };
        let r: Result<(), String> = (|| {
            match a.as_str() {
                "--out" => out = Some(PathBuf::from(value("--out")?)),
                "--lines" => {
                    cfg.lines = value("--lines")?
                        .parse()
                        .map_err(|e| format!("--lines: {e}"))?
                }
                "--files" => {
                    cfg.files = value("--files")?
                        .parse()
                        .map_err(|e| format!("--files: {e}"))?
                }
                "--crates" => {
                    cfg.crates = value("--crates")?
                        .parse()
                        .map_err(|e| format!("--crates: {e}"))?
                }
                "--seed" => {
                    cfg.seed = value("--seed")?
                        .parse()
                        .map_err(|e| format!("--seed: {e}"))?
                }
                "-h" | "--help" => {
                    println!("bench-gen --out DIR [--lines N (600000)] [--files N (1500)] [--seed S (1)] [--crates N (0: the classic seven packages; N: the scale workspace, N replicas of them + shared + monolith)]");
                    std::process::exit(0);
                }
                other => return Err(format!("unknown argument `{other}`")),
            }
            Ok(())
        })();
        if let Err(e) = r {
            eprintln!("bench-gen: {e}");
            return ExitCode::from(2);
        }
    }
    let Some(out) = out else {
        eprintln!("bench-gen: --out DIR is required");
        return ExitCode::from(2);
    };
    match bench_gen::write(&cfg, &out) {
        Ok(stats) => {
            println!(
                "bench-gen: {} files, {} lines ({} .rs files, {} .rs lines) in {}",
                stats.files,
                stats.lines,
                stats.rs_files,
                stats.rs_lines,
                out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench-gen: {e}");
            ExitCode::from(2)
        }
    }
}
