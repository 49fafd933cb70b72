//! The permission catalog: every permission the application checks, kept
//! as a trie of segments so a lookup walks the name once, and the parser of
//! the catalog file.
//!
//! ## `rbac/permissions.txt`
//!
//! One permission per line, optionally followed by whitespace and a
//! description; `#` starts a comment (to the end of the line); blank lines
//! are ignored. A name given twice is an error.
//!
//! ```text
//! # content
//! content.nodes.view     View nodes
//! content.nodes.delete   Delete nodes   # owners only, by convention
//! ```

use super::error::FileError;
use super::name::validate_permission;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A small, fast hasher for short segment strings (the Fx hash of rustc).
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        for chunk in bytes.chunks(8) {
            let mut buf = [0u8; 8];
            buf[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(buf)).wrapping_mul(K);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write(&[i]);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// A node of the trie: a segment path from the root.
#[derive(Debug, Clone, Default)]
pub(crate) struct Node {
    pub(crate) parent: u32,
    pub(crate) children: FxMap<Box<str>, u32>,
    /// The index of the permission this path names, if any.
    pub(crate) permission: Option<u32>,
}

/// One catalog entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    pub name: String,
    pub description: String,
}

/// The permission catalog.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// `nodes[0]` is the root; a child always has a larger index than its
    /// parent.
    pub(crate) nodes: Vec<Node>,
    permissions: Vec<Permission>,
}

impl Default for Catalog {
    fn default() -> Self {
        Catalog {
            nodes: vec![Node::default()],
            permissions: Vec::new(),
        }
    }
}

impl Catalog {
    pub fn new() -> Catalog {
        Catalog::default()
    }

    /// A catalog of these names (no descriptions).
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Catalog, String> {
        let mut c = Catalog::new();
        for n in names {
            c.insert(n, "")?;
        }
        Ok(c)
    }

    /// Add a permission; an invalid or duplicate name is refused.
    pub fn insert(&mut self, name: &str, description: &str) -> Result<(), String> {
        validate_permission(name)?;
        let mut node = 0u32;
        for seg in name.split('.') {
            node = match self.nodes[node as usize].children.get(seg) {
                Some(&child) => child,
                None => {
                    let child = u32::try_from(self.nodes.len())
                        .map_err(|_| "the catalog is too large".to_owned())?;
                    self.nodes.push(Node {
                        parent: node,
                        ..Node::default()
                    });
                    self.nodes[node as usize].children.insert(seg.into(), child);
                    child
                }
            };
        }
        let slot = &mut self.nodes[node as usize].permission;
        if slot.is_some() {
            return Err(format!("permission {name:?} is listed twice"));
        }
        *slot = Some(
            u32::try_from(self.permissions.len())
                .map_err(|_| "the catalog is too large".to_owned())?,
        );
        self.permissions.push(Permission {
            name: name.to_owned(),
            description: description.to_owned(),
        });
        Ok(())
    }

    /// Parse a catalog file (see the module docs); `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Catalog, FileError> {
        let mut c = Catalog::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split_once('#').map_or(raw, |(l, _)| l).trim();
            if line.is_empty() {
                continue;
            }
            let (name, description) = match line.split_once(char::is_whitespace) {
                Some((n, d)) => (n, d.trim()),
                None => (line, ""),
            };
            c.insert(name, description)
                .map_err(|problem| FileError::new(file, i + 1, problem))?;
        }
        Ok(c)
    }

    /// The trie node `path` leads to (segments joined by dots), if any.
    /// Allocation-free; O(length of `path`).
    #[inline]
    pub(crate) fn node(&self, path: &str) -> Option<u32> {
        let mut node = 0u32;
        for seg in path.split('.') {
            node = *self.nodes[node as usize].children.get(seg)?;
        }
        Some(node)
    }

    /// The index of a permission, if it is in the catalog.
    #[inline]
    pub fn index(&self, name: &str) -> Option<u32> {
        self.nodes[self.node(name)? as usize].permission
    }

    pub fn contains(&self, name: &str) -> bool {
        self.index(name).is_some()
    }

    /// Every permission, in insertion order.
    pub fn permissions(&self) -> &[Permission] {
        &self.permissions
    }

    pub fn len(&self) -> usize {
        self.permissions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.permissions.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_has_names_descriptions_and_comments() {
        let c = Catalog::parse(
            "rbac/permissions.txt",
            "# content\ncontent.nodes.view   View nodes\n\n content.nodes.delete # no description\n",
        )
        .unwrap();
        assert_eq!(
            c.permissions(),
            [
                Permission {
                    name: "content.nodes.view".into(),
                    description: "View nodes".into()
                },
                Permission {
                    name: "content.nodes.delete".into(),
                    description: String::new()
                }
            ]
        );
        assert!(c.contains("content.nodes.view"));
        assert!(!c.contains("content.nodes"), "a path is not a permission");
        assert!(!c.contains("content.nodes.view.x"));
    }

    #[test]
    fn errors_name_the_file_and_line() {
        assert_eq!(
            Catalog::parse("rbac/permissions.txt", "a.b\n\nContent.x  X\n")
                .unwrap_err()
                .to_string(),
            "rbac/permissions.txt:3: permission \"Content.x\" has segment \"Content\"; a segment \
             is a lower-case letter followed by lower-case letters, digits or _"
        );
        assert_eq!(
            Catalog::parse("p.txt", "a.b\na.b again\n")
                .unwrap_err()
                .to_string(),
            "p.txt:2: permission \"a.b\" is listed twice"
        );
    }
}
