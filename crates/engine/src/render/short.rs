//! `file:line:col: severity[TA201/untenanted-query]: message`, one finding a line.

use crate::Report;
use std::io::{self, Write};

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for d in report.active() {
        writeln!(
            out,
            "{}:{}:{}: {}[{}/{}]: {}",
            d.file, d.span.start.line, d.span.start.column, d.severity, d.code, d.name, d.message
        )?;
    }
    Ok(())
}
