//! Why a table is unscoped, as data; rendered once into [`super::Unscoped::reason`].

use std::fmt;

/// A write that must name one of the table's tenant columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Write {
    Insert,
    CopyFrom,
}

impl Write {
    fn verb(self) -> &'static str {
        match self {
            Write::Insert => "INSERT",
            Write::CopyFrom => "COPY .. FROM",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Reason {
    NoPredicate,
    /// The table's tenant predicate sits below an OR.
    OnlyInOr {
        table: String,
    },
    /// An unqualified tenant column two bindings could have; `qualifier` is the one to write.
    Ambiguous {
        column: String,
        qualifier: String,
    },
    /// Joined on its tenant column, but only to tables that are themselves unscoped.
    JoinedToUnscoped {
        table: String,
    },
    /// A write without a column list.
    NoColumnList {
        write: Write,
        table: String,
        columns: Vec<String>,
    },
    /// A write whose column list has none of the tenant columns.
    DoesNotSet {
        write: Write,
        columns: Vec<String>,
    },
    /// `COPY t TO`.
    CopyTo {
        table: String,
    },
    /// The tenant `outer` is compared to comes from a subquery on `table` that is not scoped.
    TenantFromSubquery {
        outer: String,
        table: String,
    },
}

fn either(columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(" or ")
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NoPredicate => f.write_str("no tenant predicate"),
            Reason::OnlyInOr { table } => write!(f, "`{table}` is filtered only inside an OR"),
            Reason::Ambiguous { column, qualifier } => write!(
                f,
                "unqualified `{column}` is ambiguous between the tables of this query; qualify it as `{qualifier}.{column}`"
            ),
            Reason::JoinedToUnscoped { table } => write!(
                f,
                "`{table}` is joined on its tenant column only to tables that are not scoped"
            ),
            Reason::NoColumnList {
                write,
                table,
                columns,
            } => write!(
                f,
                "{} into `{table}` has no column list, so it cannot be seen to set {}",
                write.verb(),
                either(columns)
            ),
            Reason::DoesNotSet { write, columns } => {
                write!(f, "{} does not set {}", write.verb(), either(columns))
            }
            Reason::CopyTo { table } => write!(f, "COPY `{table}` TO exports every tenant's rows"),
            Reason::TenantFromSubquery { outer, table } => write!(
                f,
                "the tenant of `{outer}` comes from a subquery on `{table}` that is not itself scoped, so its row can be any tenant's"
            ),
        }
    }
}
