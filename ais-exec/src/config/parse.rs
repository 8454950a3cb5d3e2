//! The openais.conf text format, read into a tree: `name {` opens a block,
//! `}` closes it, `key: value` is an item (value to the end of the line,
//! trimmed), `#` starts a comment line. Every node keeps its line number so
//! that later stages can point at the line to fix.

use std::fmt;

/// One line of the file that means something: an item or a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The key or the block name, as written.
    pub name: String,
    /// 1-based line of the key, or of the line that opens the block.
    pub line: u32,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// `key: value`; the value is trimmed and may be empty.
    Value(String),
    /// `name { ... }`, its entries in file order.
    Block(Vec<Entry>),
}

/// Deeper nesting than any real configuration needs; the limit keeps
/// hostile input from building a tree whose recursive drop overflows the stack.
pub const MAX_DEPTH: usize = 32;

/// A line that is not `key: value`, `name {`, `}`, a comment or blank, or an
/// unbalanced brace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: u32,
    /// The dotted path of the block concerned, when there is one.
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.line)?;
        if let Some(key) = &self.key {
            write!(f, "{key}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// The whole file: the entries outside any block.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tree {
    pub entries: Vec<Entry>,
}

/// One step of a path into the tree: a name and which of its occurrences in
/// the enclosing block (`None`: all of them at the last step, the first one
/// when descending).
pub type Step<'s> = (&'s str, Option<usize>);

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && !s
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '{' | '}' | ':' | '#'))
}

fn line_number(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

fn show(line: &str) -> String {
    // Error messages quote the offending line; keep them to one short line.
    const MAX: usize = 60;
    match line.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", &line[..cut]),
        None => line.to_owned(),
    }
}

impl Tree {
    /// Reads the text into a tree. Accepts `\n` and `\r\n` line ends and a
    /// leading byte order mark.
    pub fn parse(text: &str) -> Result<Tree, SyntaxError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        // Open blocks: (name, line, entries so far); the root is below them.
        let mut stack: Vec<(String, u32, Vec<Entry>)> = Vec::new();
        let mut root: Vec<Entry> = Vec::new();
        let path_of = |stack: &[(String, u32, Vec<Entry>)]| -> String {
            stack.iter().map(|(n, _, _)| n.as_str()).collect::<Vec<_>>().join(".")
        };

        for (index, raw) in text.lines().enumerate() {
            let line = line_number(index);
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if trimmed == "}" {
                match stack.pop() {
                    Some((name, opened, entries)) => {
                        let entry = Entry {
                            name,
                            line: opened,
                            kind: Kind::Block(entries),
                        };
                        match stack.last_mut() {
                            Some(parent) => parent.2.push(entry),
                            None => root.push(entry),
                        }
                    }
                    None => {
                        return Err(SyntaxError {
                            line,
                            key: None,
                            message: "'}' without a block to close".into(),
                        })
                    }
                }
                continue;
            }
            // A block opener is `name {`; a line ending in '{' whose head has
            // a ':' is an item whose value happens to end in '{'.
            if let Some(head) = trimmed.strip_suffix('{') {
                let name = head.trim();
                if !name.contains(':') {
                    if !is_name(name) {
                        return Err(SyntaxError {
                            line,
                            key: None,
                            message: if name.is_empty() {
                                "a block needs a name before '{'".into()
                            } else {
                                format!("'{}' is not a block name", show(name))
                            },
                        });
                    }
                    if stack.len() >= MAX_DEPTH {
                        return Err(SyntaxError {
                            line,
                            key: Some(path_of(&stack)),
                            message: format!("blocks nested more than {MAX_DEPTH} deep"),
                        });
                    }
                    stack.push((name.to_owned(), line, Vec::new()));
                    continue;
                }
            }
            if let Some((key, value)) = trimmed.split_once(':') {
                let key = key.trim();
                if !is_name(key) {
                    return Err(SyntaxError {
                        line,
                        key: None,
                        message: if key.is_empty() {
                            "an item needs a key before ':'".into()
                        } else {
                            format!("'{}' is not a key", show(key))
                        },
                    });
                }
                let entry = Entry {
                    name: key.to_owned(),
                    line,
                    kind: Kind::Value(value.trim().to_owned()),
                };
                match stack.last_mut() {
                    Some(parent) => parent.2.push(entry),
                    None => root.push(entry),
                }
                continue;
            }
            return Err(SyntaxError {
                line,
                key: None,
                message: format!("expected 'key: value', 'name {{' or '}}', found '{}'", show(trimmed)),
            });
        }

        if let Some((_, opened, _)) = stack.last() {
            // Report the innermost unclosed block: its '}' is the one missing.
            return Err(SyntaxError {
                line: *opened,
                key: Some(path_of(&stack)),
                message: "'{' is never closed (missing '}')".into(),
            });
        }
        Ok(Tree { entries: root })
    }

    /// The entries a path names. Each step but the last descends into one
    /// block (the given occurrence, or the first); the last step returns the
    /// given occurrence or, without an index, every occurrence.
    pub fn find(&self, path: &[Step<'_>]) -> Vec<&Entry> {
        let mut block: &[Entry] = &self.entries;
        for (depth, (name, index)) in path.iter().enumerate() {
            let mut found = block.iter().filter(|e| e.name == *name);
            let last = depth + 1 == path.len();
            if last {
                return match index {
                    Some(i) => found.nth(*i).into_iter().collect(),
                    None => found.collect(),
                };
            }
            match found.nth(index.unwrap_or(0)) {
                Some(Entry {
                    kind: Kind::Block(entries),
                    ..
                }) => block = entries,
                _ => return Vec::new(),
            }
        }
        Vec::new()
    }

    /// The line of the deepest entry along the path that exists: the key's
    /// own line when it is there, else that of the block it belongs in.
    /// 0 when not even the first step exists.
    pub fn line(&self, path: &[Step<'_>]) -> u32 {
        (1..=path.len())
            .rev()
            .find_map(|n| self.find(&path[..n]).first().map(|e| e.line))
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(name: &str, line: u32, v: &str) -> Entry {
        Entry {
            name: name.into(),
            line,
            kind: Kind::Value(v.into()),
        }
    }

    #[test]
    fn items_blocks_comments_and_blank_lines() {
        let text = "# comment\n\n  # indented comment\ntotem {\n\tversion: 2\n\tinterface {\n\t\tbindnetaddr: 10.0.0.0\n\t}\n}\n";
        let tree = Tree::parse(text).unwrap();
        assert_eq!(
            tree.entries,
            vec![Entry {
                name: "totem".into(),
                line: 4,
                kind: Kind::Block(vec![
                    value("version", 5, "2"),
                    Entry {
                        name: "interface".into(),
                        line: 6,
                        kind: Kind::Block(vec![value("bindnetaddr", 7, "10.0.0.0")]),
                    },
                ]),
            }]
        );
    }

    #[test]
    fn value_runs_to_end_of_line_and_may_hold_colons() {
        let tree = Tree::parse("a:   fec0::1:2   \nb:\nlogfile: /x{\nc :d e f\n").unwrap();
        assert_eq!(
            tree.entries,
            vec![
                value("a", 1, "fec0::1:2"),
                value("b", 2, ""),
                value("logfile", 3, "/x{"),
                value("c", 4, "d e f"),
            ]
        );
    }

    #[test]
    fn crlf_and_bom() {
        let tree = Tree::parse("\u{feff}totem {\r\n  token: 3000\r\n}\r\n").unwrap();
        assert_eq!(
            tree.find(&[("totem", None), ("token", None)]),
            vec![&value("token", 2, "3000")]
        );
    }

    #[test]
    fn syntax_errors_name_their_line() {
        let cases: &[(&str, u32, &str)] = &[
            ("totem {\n  token: 1\n", 1, "never closed"),
            ("a {\n b {\n }\n", 1, "never closed"),
            ("a {\n}\n}\n", 3, "without a block"),
            ("\n\njust words\n", 3, "expected 'key: value'"),
            ("{\n}\n", 1, "needs a name"),
            ("two words {\n}\n", 1, "not a block name"),
            (": value\n", 1, "needs a key"),
            ("my key: value\n", 1, "not a key"),
            ("a {\n} }\n", 2, "expected"),
        ];
        for (text, line, what) in cases {
            let e = Tree::parse(text).unwrap_err();
            assert_eq!(e.line, *line, "{text:?}: {e}");
            assert!(e.message.contains(what), "{text:?}: {e}");
        }
        let e = Tree::parse("totem {\n interface {\n").unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (2, Some("totem.interface")));
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = "a {\n".repeat(MAX_DEPTH + 1);
        let e = Tree::parse(&deep).unwrap_err();
        assert_eq!(e.line, MAX_DEPTH as u32 + 1);
        let ok = format!("{}{}", "a {\n".repeat(MAX_DEPTH), "}\n".repeat(MAX_DEPTH));
        assert!(Tree::parse(&ok).is_ok());
    }

    #[test]
    fn find_and_line() {
        let tree =
            Tree::parse("t {\n i {\n  m {\n  a: 1\n  }\n }\n i {\n  m {\n  }\n  m {\n  a: 2\n  }\n }\n}\n").unwrap();
        assert_eq!(tree.find(&[("t", None), ("i", None)]).len(), 2);
        assert_eq!(
            tree.line(&[("t", None), ("i", Some(1)), ("m", Some(1)), ("a", None)]),
            11
        );
        assert_eq!(
            tree.line(&[("t", None), ("i", Some(1)), ("m", Some(0)), ("a", None)]),
            8
        );
        assert_eq!(tree.line(&[("t", None), ("x", None)]), 1);
        assert_eq!(tree.line(&[("nothing", None)]), 0);
    }
}
