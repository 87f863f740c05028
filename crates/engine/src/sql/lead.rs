//! What a text starts with: does it read as SQL before it is parsed?

/// Does the text read as SQL (starts with a statement keyword, after comments and parens)?
pub fn reads_as_sql(text: &str) -> bool {
    matches!(
        first_word(text).as_str(),
        "SELECT"
            | "INSERT"
            | "UPDATE"
            | "DELETE"
            | "WITH"
            | "MERGE"
            | "REPLACE"
            | "UPSERT"
            | "TRUNCATE"
            | "COPY"
            | "VALUES"
    )
}

/// Does the text read as SQL or as DDL (`CREATE`, `ALTER`, `DROP`)?
pub fn reads_as_sql_or_ddl(text: &str) -> bool {
    reads_as_sql(text) || matches!(first_word(text).as_str(), "CREATE" | "ALTER" | "DROP")
}

/// The first word after comments and parens, upper-cased.
fn first_word(text: &str) -> String {
    let mut t = text.trim_start();
    loop {
        if let Some(rest) = t.strip_prefix("--") {
            t = rest
                .split_once('\n')
                .map(|x| x.1)
                .unwrap_or("")
                .trim_start();
        } else if let Some(rest) = t.strip_prefix("/*") {
            t = rest
                .split_once("*/")
                .map(|x| x.1)
                .unwrap_or("")
                .trim_start();
        } else if let Some(rest) = t.strip_prefix('(') {
            t = rest.trim_start();
        } else {
            break;
        }
    }
    t.chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_uppercase()
}
