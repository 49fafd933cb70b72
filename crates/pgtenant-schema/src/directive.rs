//! The `-- pgtenant:` directives: what they are called, how they are
//! written and how a comment is recognised as one. Every reader and writer
//! of a directive (the migration files, the plan rendering, the rename
//! hints of the schema folder) goes through this module.
//!
//! A directive is a line comment `-- pgtenant:<name>`, optionally followed
//! by whitespace and an argument (the old name of `renamed-from`, the note
//! of `commit`).

use std::fmt;

/// What comes right after `--` (and optional whitespace).
pub const PREFIX: &str = "pgtenant:";

/// A known directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Directive {
    /// Migration files: run statement by statement outside a transaction.
    NoTransaction,
    /// Migration files: everything after it is the down section.
    Down,
    /// Plans and migration files: the statement above must commit before
    /// the ones after it run (`ALTER TYPE ... ADD VALUE`). A migration with
    /// it runs outside a transaction, as if marked `no-transaction`.
    Commit,
    /// The schema folder: the table or column was renamed from this name.
    RenamedFrom,
}

impl Directive {
    /// Every directive.
    pub const ALL: [Directive; 4] = [
        Directive::NoTransaction,
        Directive::Down,
        Directive::Commit,
        Directive::RenamedFrom,
    ];

    /// The name after `pgtenant:`.
    pub fn name(self) -> &'static str {
        match self {
            Directive::NoTransaction => "no-transaction",
            Directive::Down => "down",
            Directive::Commit => "commit",
            Directive::RenamedFrom => "renamed-from",
        }
    }

    /// The directive by its name.
    pub fn from_name(name: &str) -> Option<Directive> {
        Directive::ALL.into_iter().find(|d| d.name() == name)
    }

    /// The comment as written: `-- pgtenant:<name>`.
    pub fn comment(self) -> String {
        format!("-- {PREFIX}{}", self.name())
    }

    /// The comment with an argument: `-- pgtenant:<name> <argument>`.
    pub fn comment_with(self, argument: &str) -> String {
        format!("{} {argument}", self.comment())
    }
}

impl fmt::Display for Directive {
    /// As named in messages: `` `-- pgtenant:<name>` ``.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`", self.comment())
    }
}

/// A `pgtenant:` comment as found in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found<'a> {
    /// The word after `pgtenant:`.
    pub name: &'a str,
    /// The known directive of that name.
    pub directive: Option<Directive>,
    /// The text after the name, trimmed (empty when there is none).
    pub argument: &'a str,
}

impl Found<'_> {
    /// The name and argument as written, for messages about an unknown one.
    pub fn written(&self) -> String {
        if self.argument.is_empty() {
            format!("{PREFIX}{}", self.name)
        } else {
            format!("{PREFIX}{} {}", self.name, self.argument)
        }
    }
}

/// Read the body of a line comment (the text after `--`) as a directive;
/// `None` when it is an ordinary comment.
pub fn parse(comment_body: &str) -> Option<Found<'_>> {
    let rest = comment_body.trim().strip_prefix(PREFIX)?;
    let (name, argument) = match rest.find(char::is_whitespace) {
        Some(at) => (&rest[..at], rest[at..].trim()),
        None => (rest, ""),
    };
    Some(Found {
        name,
        directive: Directive::from_name(name),
        argument,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_comments_parse_back() {
        for d in Directive::ALL {
            let c = d.comment();
            let found = parse(c.strip_prefix("--").unwrap()).unwrap();
            assert_eq!(found.directive, Some(d));
            assert_eq!(found.argument, "");
            let c = d.comment_with("old_name");
            let found = parse(c.strip_prefix("--").unwrap()).unwrap();
            assert_eq!((found.directive, found.argument), (Some(d), "old_name"));
        }
    }

    #[test]
    fn ordinary_and_unknown_comments() {
        assert_eq!(parse(" a comment"), None);
        assert_eq!(parse(" pgtenant is great"), None);
        let f = parse(" pgtenant:nontransaction ").unwrap();
        assert_eq!((f.name, f.directive), ("nontransaction", None));
        assert_eq!(f.written(), "pgtenant:nontransaction");
        let f = parse(" pgtenant:down now").unwrap();
        assert_eq!((f.directive, f.argument), (Some(Directive::Down), "now"));
        assert_eq!(f.written(), "pgtenant:down now");
        assert_eq!(Directive::Commit.to_string(), "`-- pgtenant:commit`");
    }
}
