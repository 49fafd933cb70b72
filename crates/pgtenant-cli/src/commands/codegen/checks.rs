//! The CHECK constraints a validation schema can express, recognised from
//! the catalog's `pg_get_constraintdef` text. Pure: text in, rules out.
//!
//! A check is recognised only when all of it is: a conjunction (`AND`) of
//! terms on one column, each of
//!
//! - `col <op> n` with `<op>` one of `>=`, `>`, `<=`, `<` and `n` a number
//!   literal (PostgreSQL prints `(0)::numeric`, `'-1'::integer`, `(- 1.5)`);
//! - `length(col) <op> n` / `char_length(col) <op> n` (characters);
//! - `col ~ '<regex>'` where the regex is in the subset that means the same
//!   in PostgreSQL's ARE and in a JavaScript `u` regex ([`js_regex`]);
//! - `col = ANY (ARRAY[v, ...])` (what PostgreSQL prints for `col IN (...)`)
//!   with string or number literals.
//!
//! Anything else (`OR`, other functions, a second column, an `E'...'`
//! string, a regex outside the subset) gives `None`: the caller leaves the
//! check out and says so, rather than write a schema that is wrong.

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    fn parse(s: &str) -> Option<Op> {
        match s {
            ">" => Some(Op::Gt),
            ">=" => Some(Op::Ge),
            "<" => Some(Op::Lt),
            "<=" => Some(Op::Le),
            _ => None,
        }
    }

    /// `n <op> col` is `col <flipped> n`.
    fn flipped(self) -> Op {
        match self {
            Op::Gt => Op::Lt,
            Op::Ge => Op::Le,
            Op::Lt => Op::Gt,
            Op::Le => Op::Ge,
        }
    }

    pub fn js(self) -> &'static str {
        match self {
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
        }
    }
}

/// A literal of an `IN` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    Str(String),
    /// A decimal number, as written (`-12`, `0.5`).
    Num(String),
}

/// One recognised term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// `col <op> n`, `n` a decimal number as written.
    Compare(Op, String),
    /// `length(col) <op> n`.
    Chars(Op, u64),
    /// `col ~ re`: the JavaScript regex literal (`/.../u`).
    Regex(String),
    /// `col = ANY (ARRAY[...])`.
    OneOf(Vec<Literal>),
}

/// A recognised check: the one column it constrains and its rules, all of
/// which must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recognised {
    pub column: String,
    pub rules: Vec<Rule>,
}

/// Recognise `definition` (`CHECK ((...))`, maybe ` NOT VALID`).
pub fn recognise(definition: &str) -> Option<Recognised> {
    let body = definition.trim();
    let body = body.strip_suffix("NOT VALID").unwrap_or(body).trim_end();
    let body = body.strip_prefix("CHECK")?.trim_start();
    let tokens = tokenize(body)?;
    let mut p = Parser { tokens, pos: 0 };
    let expr = p.expr()?;
    if p.pos != p.tokens.len() {
        return None;
    }
    let mut terms = Vec::new();
    flatten_and(expr, &mut terms);
    let mut column: Option<String> = None;
    let mut rules = Vec::new();
    for term in terms {
        let (col, rule) = term_rule(term)?;
        match &column {
            Some(c) if *c != col => return None,
            Some(_) => {}
            None => column = Some(col),
        }
        rules.push(rule);
    }
    Some(Recognised {
        column: column?,
        rules,
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    LBrack,
    RBrack,
    Comma,
    Dot,
    Cast,
    Op(String),
    Str(String),
    Num(String),
    /// An unquoted word, as printed (key words are upper case).
    Word(String),
    /// A `"quoted"` identifier, unquoted.
    Quoted(String),
}

fn tokenize(s: &str) -> Option<Vec<Tok>> {
    let cs: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '(' => {
                out.push(Tok::LParen);
                i += 1;
            }
            ')' => {
                out.push(Tok::RParen);
                i += 1;
            }
            '[' => {
                out.push(Tok::LBrack);
                i += 1;
            }
            ']' => {
                out.push(Tok::RBrack);
                i += 1;
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1;
            }
            '.' => {
                out.push(Tok::Dot);
                i += 1;
            }
            ':' if cs.get(i + 1) == Some(&':') => {
                out.push(Tok::Cast);
                i += 2;
            }
            '\'' => {
                let mut v = String::new();
                i += 1;
                loop {
                    match cs.get(i) {
                        None => return None,
                        Some('\'') if cs.get(i + 1) == Some(&'\'') => {
                            v.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(&ch) => {
                            v.push(ch);
                            i += 1;
                        }
                    }
                }
                out.push(Tok::Str(v));
            }
            '"' => {
                let mut v = String::new();
                i += 1;
                loop {
                    match cs.get(i) {
                        None => return None,
                        Some('"') if cs.get(i + 1) == Some(&'"') => {
                            v.push('"');
                            i += 2;
                        }
                        Some('"') => {
                            i += 1;
                            break;
                        }
                        Some(&ch) => {
                            v.push(ch);
                            i += 1;
                        }
                    }
                }
                out.push(Tok::Quoted(v));
            }
            c if c.is_ascii_digit() => {
                let start = i;
                while i < cs.len() && (cs[i].is_ascii_digit() || cs[i] == '.') {
                    i += 1;
                }
                out.push(Tok::Num(cs[start..i].iter().collect()));
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while i < cs.len() && (cs[i].is_alphanumeric() || cs[i] == '_' || cs[i] == '$') {
                    i += 1;
                }
                out.push(Tok::Word(cs[start..i].iter().collect()));
            }
            c if "<>=~!+-*/%^&|#@?".contains(c) => {
                let start = i;
                while i < cs.len() && "<>=~!+-*/%^&|#@?".contains(cs[i]) {
                    i += 1;
                }
                out.push(Tok::Op(cs[start..i].iter().collect()));
            }
            _ => return None,
        }
    }
    Some(out)
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Col(String),
    Str(String),
    Num(String),
    Neg(Box<Expr>),
    Cast(Box<Expr>, String),
    Call(String, Vec<Expr>),
    Array(Vec<Expr>),
    Cmp(String, Box<Expr>, Box<Expr>),
    AnyOf(String, Box<Expr>, Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

/// Upper-case words that end a type name after `::`.
const KEYWORDS: &[&str] = &[
    "AND", "OR", "NOT", "IS", "ANY", "ALL", "ARRAY", "IN", "LIKE", "ILIKE", "SIMILAR", "BETWEEN",
];

struct Parser {
    tokens: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn eat(&mut self, t: &Tok) -> bool {
        if self.peek() == Some(t) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_word(&mut self, w: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Word(x)) if x == w) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expr(&mut self) -> Option<Expr> {
        let first = self.and()?;
        let mut all = vec![first];
        while self.eat_word("OR") {
            all.push(self.and()?);
        }
        Some(if all.len() == 1 {
            all.remove(0)
        } else {
            Expr::Or(all)
        })
    }

    fn and(&mut self) -> Option<Expr> {
        let first = self.cmp()?;
        let mut all = vec![first];
        while self.eat_word("AND") {
            all.push(self.cmp()?);
        }
        Some(if all.len() == 1 {
            all.remove(0)
        } else {
            Expr::And(all)
        })
    }

    fn cmp(&mut self) -> Option<Expr> {
        let lhs = self.postfix()?;
        let Some(Tok::Op(op)) = self.peek().cloned() else {
            return Some(lhs);
        };
        self.pos += 1;
        if self.eat_word("ANY") {
            let rhs = self.postfix()?;
            return Some(Expr::AnyOf(op, Box::new(lhs), Box::new(rhs)));
        }
        let rhs = self.postfix()?;
        Some(Expr::Cmp(op, Box::new(lhs), Box::new(rhs)))
    }

    fn postfix(&mut self) -> Option<Expr> {
        let mut e = self.primary()?;
        while self.eat(&Tok::Cast) {
            e = Expr::Cast(Box::new(e), self.type_name()?);
        }
        Some(e)
    }

    /// A type name after `::`: words (and dots, quoted parts), a modifier,
    /// `[]`s.
    fn type_name(&mut self) -> Option<String> {
        let mut name = String::new();
        loop {
            match self.peek().cloned() {
                Some(Tok::Word(w)) if !KEYWORDS.contains(&w.as_str()) => {
                    if !name.is_empty() && !name.ends_with('.') {
                        name.push(' ');
                    }
                    name.push_str(&w);
                }
                Some(Tok::Quoted(q)) => name.push_str(&format!("\"{q}\"")),
                Some(Tok::Dot) => name.push('.'),
                _ => break,
            }
            self.pos += 1;
        }
        if name.is_empty() {
            return None;
        }
        if self.peek() == Some(&Tok::LParen) {
            // A type modifier: `character varying(20)`.
            self.pos += 1;
            name.push('(');
            loop {
                match self.next()? {
                    Tok::Num(n) => name.push_str(&n),
                    Tok::Comma => name.push(','),
                    Tok::RParen => break,
                    _ => return None,
                }
            }
            name.push(')');
        }
        while self.peek() == Some(&Tok::LBrack) {
            self.pos += 1;
            if !self.eat(&Tok::RBrack) {
                return None;
            }
            name.push_str("[]");
        }
        Some(name)
    }

    fn primary(&mut self) -> Option<Expr> {
        match self.next()? {
            Tok::LParen => {
                let e = self.expr()?;
                self.eat(&Tok::RParen).then_some(e)
            }
            Tok::Str(s) => Some(Expr::Str(s)),
            Tok::Num(n) => Some(Expr::Num(n)),
            Tok::Op(op) if op == "-" => Some(Expr::Neg(Box::new(self.postfix()?))),
            Tok::Word(w) if w == "ARRAY" => {
                if !self.eat(&Tok::LBrack) {
                    return None;
                }
                let mut items = Vec::new();
                if !self.eat(&Tok::RBrack) {
                    loop {
                        items.push(self.postfix()?);
                        if self.eat(&Tok::RBrack) {
                            break;
                        }
                        if !self.eat(&Tok::Comma) {
                            return None;
                        }
                    }
                }
                Some(Expr::Array(items))
            }
            Tok::Word(w) if KEYWORDS.contains(&w.as_str()) => None,
            Tok::Word(w) => {
                if self.eat(&Tok::LParen) {
                    let mut args = Vec::new();
                    if !self.eat(&Tok::RParen) {
                        loop {
                            args.push(self.expr()?);
                            if self.eat(&Tok::RParen) {
                                break;
                            }
                            if !self.eat(&Tok::Comma) {
                                return None;
                            }
                        }
                    }
                    Some(Expr::Call(w, args))
                } else if self.peek() == Some(&Tok::Dot) {
                    // A qualified reference: not a plain column.
                    None
                } else {
                    Some(Expr::Col(w))
                }
            }
            Tok::Quoted(q) => {
                if self.peek() == Some(&Tok::Dot) || self.peek() == Some(&Tok::LParen) {
                    None
                } else {
                    Some(Expr::Col(q))
                }
            }
            _ => None,
        }
    }
}

fn flatten_and(e: Expr, out: &mut Vec<Expr>) {
    match e {
        Expr::And(all) => {
            for a in all {
                flatten_and(a, out);
            }
        }
        other => out.push(other),
    }
}

const TEXT_TYPES: &[&str] = &[
    "text",
    "character varying",
    "varchar",
    "bpchar",
    "character",
];

const NUMBER_TYPES: &[&str] = &[
    "numeric",
    "integer",
    "bigint",
    "smallint",
    "real",
    "double precision",
];

/// The column an expression names, through casts to a text type.
fn column(e: &Expr) -> Option<String> {
    match e {
        Expr::Col(c) => Some(c.clone()),
        Expr::Cast(inner, t) if TEXT_TYPES.contains(&base_type(t)) => column(inner),
        _ => None,
    }
}

/// `character varying(20)[]` → `character varying` (arrays kept apart by
/// the caller).
fn base_type(t: &str) -> &str {
    t.split('(').next().unwrap_or(t).trim()
}

/// A decimal number literal, through casts to a number type.
fn number(e: &Expr) -> Option<String> {
    let text = match e {
        Expr::Num(n) => n.clone(),
        Expr::Neg(inner) => format!("-{}", number(inner)?),
        Expr::Cast(inner, t) if NUMBER_TYPES.contains(&base_type(t)) => match inner.as_ref() {
            Expr::Str(s) => s.clone(),
            other => number(other)?,
        },
        _ => return None,
    };
    let digits = text.strip_prefix('-').unwrap_or(&text);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let ok = !int.is_empty()
        && int.chars().all(|c| c.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_digit()));
    ok.then_some(text)
}

/// A string literal, through casts to a text type.
fn string(e: &Expr) -> Option<String> {
    match e {
        Expr::Str(s) => Some(s.clone()),
        Expr::Cast(inner, t) if TEXT_TYPES.contains(&base_type(t)) => string(inner),
        _ => None,
    }
}

fn term_rule(e: Expr) -> Option<(String, Rule)> {
    match e {
        Expr::Cmp(op, lhs, rhs) => {
            if op == "~" {
                let col = column(&lhs)?;
                let re = js_regex(&string(&rhs)?)?;
                return Some((col, Rule::Regex(re)));
            }
            let op = Op::parse(&op)?;
            let (op, side, n) = match (number(&lhs), number(&rhs)) {
                (None, Some(n)) => (op, lhs, n),
                (Some(n), None) => (op.flipped(), rhs, n),
                _ => return None,
            };
            if let Expr::Col(c) = side.as_ref() {
                return Some((c.clone(), Rule::Compare(op, n)));
            }
            if let Expr::Call(f, args) = side.as_ref() {
                if matches!(f.as_str(), "length" | "char_length" | "character_length") {
                    if let [arg] = args.as_slice() {
                        let n: u64 = n.parse().ok()?;
                        return Some((column(arg)?, Rule::Chars(op, n)));
                    }
                }
            }
            None
        }
        Expr::AnyOf(op, lhs, rhs) if op == "=" => {
            let col = column(&lhs)?;
            let mut arr = rhs.as_ref();
            while let Expr::Cast(inner, t) = arr {
                if !t.ends_with("[]") {
                    return None;
                }
                arr = inner;
            }
            let Expr::Array(items) = arr else {
                return None;
            };
            if items.is_empty() {
                return None;
            }
            let literals = items
                .iter()
                .map(|i| {
                    string(i)
                        .map(Literal::Str)
                        .or_else(|| number(i).map(Literal::Num))
                })
                .collect::<Option<Vec<_>>>()?;
            Some((col, Rule::OneOf(literals)))
        }
        _ => None,
    }
}

/// `re`, a PostgreSQL regex, as a JavaScript regex literal that matches
/// exactly the same strings, or `None` outside the subset where the two
/// agree: literal characters, `.`, `^`, `$`, groups `(...)` (not `(?`),
/// `|`, the quantifiers `* + ?` and `{n}`, `{n,}`, `{n,m}`, bracket
/// expressions without `[:class:]` forms, and backslash escapes of the
/// special characters only (no `\d`, `\w`: their meaning depends on the
/// locale in PostgreSQL). Flags: `u` (code points, as PostgreSQL counts in
/// UTF-8) and `s` when `.` is used (PostgreSQL's `.` matches a newline).
pub fn js_regex(re: &str) -> Option<String> {
    const SPECIAL: &str = ".^$*+?()[]{}|\\/";
    let cs: Vec<char> = re.chars().collect();
    let mut out = String::new();
    let mut in_class = false;
    let mut dot = false;
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        if c.is_control() {
            return None;
        }
        match c {
            '\\' => {
                let next = *cs.get(i + 1)?;
                if !(SPECIAL.contains(next) || (in_class && next == '-')) {
                    return None;
                }
                out.push('\\');
                out.push(next);
                i += 2;
                continue;
            }
            '/' => out.push_str("\\/"),
            '[' if in_class => return None,
            '[' => {
                in_class = true;
                out.push('[');
                if cs.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                // `[]...]` and `[^]...]`: a literal `]` in POSIX, an empty
                // class in JavaScript.
                if cs.get(i + 1) == Some(&']') {
                    return None;
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            ']' | '}' => return None,
            '{' if !in_class => {
                let close = cs[i..].iter().position(|&x| x == '}')? + i;
                let inner: String = cs[i + 1..close].iter().collect();
                let (lo, hi) = match inner.split_once(',') {
                    Some((lo, hi)) => (lo, Some(hi)),
                    None => (inner.as_str(), None),
                };
                let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
                if !digits(lo) || hi.is_some_and(|h| !h.is_empty() && !digits(h)) {
                    return None;
                }
                out.push('{');
                out.push_str(&inner);
                out.push('}');
                i = close + 1;
                continue;
            }
            '(' if !in_class && cs.get(i + 1) == Some(&'?') => return None,
            '.' if !in_class => {
                dot = true;
                out.push('.');
            }
            _ => out.push(c),
        }
        i += 1;
    }
    if in_class || cs.first() == Some(&'*') {
        return None;
    }
    let flags = if dot { "su" } else { "u" };
    Some(format!("/{out}/{flags}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(def: &str) -> Option<(String, Vec<Rule>)> {
        recognise(def).map(|r| (r.column, r.rules))
    }

    #[test]
    fn recognises_what_postgres_prints() {
        assert_eq!(
            rules("CHECK (((id)::text ~ '^[A-Za-z0-9]{10,20}$'::text))"),
            Some((
                "id".into(),
                vec![Rule::Regex("/^[A-Za-z0-9]{10,20}$/u".into())]
            ))
        );
        assert_eq!(
            rules(
                "CHECK (((role)::text = ANY ((ARRAY['owner'::character varying, \
                 'admin'::character varying])::text[])))"
            ),
            Some((
                "role".into(),
                vec![Rule::OneOf(vec![
                    Literal::Str("owner".into()),
                    Literal::Str("admin".into())
                ])]
            ))
        );
        assert_eq!(
            rules("CHECK (((length(name) >= 1) AND (length(name) <= 100)))"),
            Some((
                "name".into(),
                vec![Rule::Chars(Op::Ge, 1), Rule::Chars(Op::Le, 100)]
            ))
        );
        assert_eq!(
            rules("CHECK ((char_length((code)::text) < 8))"),
            Some(("code".into(), vec![Rule::Chars(Op::Lt, 8)]))
        );
        assert_eq!(
            rules("CHECK ((price > (0)::numeric))"),
            Some(("price".into(), vec![Rule::Compare(Op::Gt, "0".into())]))
        );
        assert_eq!(
            rules("CHECK ((qty >= '-1'::integer)) NOT VALID"),
            Some(("qty".into(), vec![Rule::Compare(Op::Ge, "-1".into())]))
        );
        assert_eq!(
            rules("CHECK ((0.5 < ratio))"),
            Some(("ratio".into(), vec![Rule::Compare(Op::Gt, "0.5".into())]))
        );
        assert_eq!(
            rules("CHECK ((\"Level\" = ANY (ARRAY[1, 2, 3])))"),
            Some((
                "Level".into(),
                vec![Rule::OneOf(vec![
                    Literal::Num("1".into()),
                    Literal::Num("2".into()),
                    Literal::Num("3".into())
                ])]
            ))
        );
    }

    #[test]
    fn leaves_out_what_it_cannot_express() {
        for def in [
            "CHECK (((a > 0) OR (b > 0)))",
            "CHECK ((a > b))",
            "CHECK (((a > 0) AND (b > 0)))",
            "CHECK ((lower(email) = email))",
            "CHECK (((email)::text ~~ '%@%'::text))",
            "CHECK ((code ~ '^\\d+$'::text))",
            "CHECK ((code ~ '[[:alpha:]]'::text))",
            "CHECK ((code ~ '(?i)abc'::text))",
            "CHECK ((code ~* 'abc'::text))",
            "CHECK ((octet_length(code) < 10))",
            "CHECK ((at > now()))",
            "CHECK ((x IS NOT NULL))",
        ] {
            assert_eq!(recognise(def), None, "{def}");
        }
    }

    #[test]
    fn regex_subset() {
        assert_eq!(js_regex("a/b").as_deref(), Some("/a\\/b/u"));
        assert_eq!(js_regex("^.{1,5}$").as_deref(), Some("/^.{1,5}$/su"));
        assert_eq!(
            js_regex("^[a\\-z]+\\.x$").as_deref(),
            Some("/^[a\\-z]+\\.x$/u")
        );
        assert_eq!(js_regex("[]a]"), None);
        assert_eq!(js_regex("a{"), None);
        assert_eq!(js_regex("a}"), None);
        assert_eq!(js_regex("a{1,x}"), None);
        assert_eq!(js_regex("\\w"), None);
        assert_eq!(js_regex("*a"), None);
    }
}
