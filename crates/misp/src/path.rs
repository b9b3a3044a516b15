//! JSON paths of MISP input, built without allocating: each level borrows
//! its parent and is rendered to `$.Event.Attribute[3].uuid` only when an
//! error names it.

use std::fmt;

/// Where a value sits in the input.
#[derive(Debug, Clone, Copy)]
pub(crate) enum JsonPath<'a> {
    Root,
    Key(&'a JsonPath<'a>, &'a str),
    Index(&'a JsonPath<'a>, usize),
}

impl<'a> JsonPath<'a> {
    pub(crate) fn key(&'a self, key: &'a str) -> JsonPath<'a> {
        JsonPath::Key(self, key)
    }

    pub(crate) fn index(&'a self, i: usize) -> JsonPath<'a> {
        JsonPath::Index(self, i)
    }
}

impl fmt::Display for JsonPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonPath::Root => write!(f, "$"),
            JsonPath::Key(parent, k) => {
                let plain = !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if plain {
                    write!(f, "{parent}.{k}")
                } else {
                    write!(f, "{parent}[{k:?}]")
                }
            }
            JsonPath::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_keys_and_indices() {
        let root = JsonPath::Root;
        let event = root.key("Event");
        let attrs = event.key("Attribute");
        let third = attrs.index(3);
        let odd = third.key("a b");
        assert_eq!(odd.to_string(), "$.Event.Attribute[3][\"a b\"]");
    }
}
