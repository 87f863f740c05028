//! The one list of rule codes and names.

/// One rule of cargo-tenant-audit: its code (`"TA201"`) and its name (`"untenanted-query"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RuleId {
    pub code: &'static str,
    pub name: &'static str,
}

/// Every rule of cargo-tenant-audit: the single source of truth for codes and names.
pub const RULES: &[RuleId] = &[
    RuleId {
        code: "TA001",
        name: "parse-error",
    },
    RuleId {
        code: "TA101",
        name: "unprotected-handler",
    },
    RuleId {
        code: "TA102",
        name: "unknown-scope",
    },
    RuleId {
        code: "TA103",
        name: "unused-scope",
    },
    RuleId {
        code: "TA201",
        name: "untenanted-query",
    },
    RuleId {
        code: "TA202",
        name: "unanalyzable-query",
    },
    RuleId {
        code: "TA301",
        name: "unscoped-cache-key",
    },
    RuleId {
        code: "TA901",
        name: "bypass-without-reason",
    },
    RuleId {
        code: "TA902",
        name: "unused-bypass",
    },
    RuleId {
        code: "TA903",
        name: "unmatched-config",
    },
];

/// Finds a rule by code (`"TA201"`) or name (`"untenanted-query"`), case-insensitive.
pub fn find_rule(code_or_name: &str) -> Option<&'static RuleId> {
    RULES.iter().find(|r| {
        r.code.eq_ignore_ascii_case(code_or_name) || r.name.eq_ignore_ascii_case(code_or_name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_unique_and_findable() {
        for r in RULES {
            assert_eq!(find_rule(r.code), Some(r));
            assert_eq!(find_rule(r.name), Some(r));
            assert_eq!(find_rule(&r.code.to_lowercase()), Some(r));
            assert_eq!(find_rule(&r.name.to_uppercase()), Some(r));
            assert_eq!(RULES.iter().filter(|o| o.code == r.code).count(), 1);
            assert_eq!(RULES.iter().filter(|o| o.name == r.name).count(), 1);
        }
        assert_eq!(find_rule("TA201").unwrap().name, "untenanted-query");
        assert_eq!(find_rule("Untenanted-Query").unwrap().code, "TA201");
        assert!(find_rule("TA999").is_none());
        assert!(find_rule("").is_none());
        assert!(find_rule(" TA201").is_none());
    }
}
