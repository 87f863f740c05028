//! Placeholder: filled in by the CI-formats work.

use crate::Report;
use std::io::{self, Write};

#[allow(unused_variables)]
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    Ok(())
}
