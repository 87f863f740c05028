//! What makes a bypass reason a reason.

/// Why a bypass reason is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReasonProblem {
    /// No `reason = "..."` at all.
    Missing,
    /// Empty or whitespace only.
    Blank,
    /// A placeholder such as "todo"; holds the trimmed reason as written.
    Placeholder(String),
}

/// Reasons that say nothing (compared trimmed and case-insensitively).
pub const PLACEHOLDER_REASONS: &[&str] = &[
    "todo", "tbd", "fixme", "xxx", "-", "...", "n/a", "none", "?",
];

/// `None` when the reason is acceptable. `Blank` = empty or whitespace only; `Placeholder` = one of
/// [`PLACEHOLDER_REASONS`] (trimmed, case-insensitive).
pub fn check_reason(reason: Option<&str>) -> Option<ReasonProblem> {
    let reason = match reason {
        None => return Some(ReasonProblem::Missing),
        Some(r) => r.trim(),
    };
    if reason.is_empty() {
        return Some(ReasonProblem::Blank);
    }
    if PLACEHOLDER_REASONS
        .iter()
        .any(|p| p.eq_ignore_ascii_case(reason))
    {
        return Some(ReasonProblem::Placeholder(reason.to_string()));
    }
    None
}

impl ReasonProblem {
    /// A one-line, user-facing description of the problem.
    pub fn message(&self) -> String {
        match self {
            ReasonProblem::Missing => {
                "the bypass has no `reason = \"...\"`; say why the tenant check does not apply here"
                    .to_string()
            }
            ReasonProblem::Blank => {
                "the bypass reason is blank; say why the tenant check does not apply here"
                    .to_string()
            }
            ReasonProblem::Placeholder(p) => format!(
                "the bypass reason \"{p}\" is a placeholder; say why the tenant check does not apply here"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons() {
        assert_eq!(check_reason(None), Some(ReasonProblem::Missing));
        assert_eq!(check_reason(Some("")), Some(ReasonProblem::Blank));
        assert_eq!(check_reason(Some(" \t\n")), Some(ReasonProblem::Blank));
        for p in [
            "todo", "TODO", " Tbd ", "FixMe", "xxx", "-", "...", "n/a", "N/A", "none", "?",
        ] {
            assert_eq!(
                check_reason(Some(p)),
                Some(ReasonProblem::Placeholder(p.trim().to_string())),
                "{p:?}"
            );
        }
        assert_eq!(check_reason(Some("health check is public")), None);
        assert_eq!(check_reason(Some("todo: tenant-wide sweep")), None);
        assert_eq!(check_reason(Some("x")), None);
        assert!(ReasonProblem::Missing
            .message()
            .contains("no `reason = \"...\"`"));
        assert!(ReasonProblem::Blank.message().contains("blank"));
        assert!(ReasonProblem::Placeholder("TODO".into())
            .message()
            .contains("\"TODO\" is a placeholder"));
    }
}
