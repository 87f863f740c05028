//! Helpers for the engine's own unit tests.

/// Is there a fixture project `fixtures/rules/<rule>/<name>-*` or `<name>` for one of `names`?
pub(crate) fn has_fixture(rule: &str, names: &[&str]) -> bool {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/rules")
        .join(rule);
    let Ok(dirs) = std::fs::read_dir(&root) else {
        return false;
    };
    let dirs: Vec<String> = dirs
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.iter().any(|n| {
        dirs.iter()
            .any(|d| d == n || d.starts_with(&format!("{n}-")))
    })
}
