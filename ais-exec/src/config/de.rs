//! A serde `Deserializer` over the parsed tree.
//!
//! A block is a map from names to *groups*: every entry of that name in the
//! block, in file order. A group read as a sequence gives repeated blocks
//! (`interface { }` twice); read as anything else it must hold one entry.
//! Values are text; each typed read parses it, so a bad number or word is
//! reported at its own line with its dotted key.

use std::collections::HashMap;
use std::fmt;

use serde::de::{self, value::BorrowedStrDeserializer, DeserializeSeed, Visitor};

use super::parse::{Entry, Kind};

/// A deserialization error, placed at the line and key it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeError {
    /// 0 when the error concerns the file as a whole.
    pub line: u32,
    /// The dotted key, `totem.interface.mcastport`; empty for the file.
    pub path: String,
    pub message: String,
    /// A field serde found missing: appended to the path of the block that
    /// lacks it.
    field: Option<&'static str>,
    located: bool,
}

impl DeError {
    fn new(message: impl Into<String>) -> DeError {
        DeError {
            line: 0,
            path: String::new(),
            message: message.into(),
            field: None,
            located: false,
        }
    }

    /// Places an error raised without position (by serde's generated code or
    /// by a value parser) at a node; errors already placed keep their place.
    fn at(mut self, line: u32, path: &str) -> DeError {
        if !self.located {
            self.located = true;
            self.line = line;
            self.path = match self.field.take() {
                Some(field) => join(path, field),
                None => path.to_owned(),
            };
        }
        self
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for DeError {}

fn one_of(words: &[&str]) -> String {
    match words {
        [] => "nothing".into(),
        [one] => (*one).into(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> DeError {
        DeError::new(msg.to_string())
    }

    fn missing_field(field: &'static str) -> DeError {
        DeError {
            field: Some(field),
            ..DeError::new("missing")
        }
    }

    fn duplicate_field(field: &'static str) -> DeError {
        // Reached only through aliases (`logger` and `logger_subsys`).
        DeError {
            field: Some(field),
            ..DeError::new("given more than once (under two names)")
        }
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> DeError {
        DeError::new(format!("expected {}, found '{variant}'", one_of(expected)))
    }

    fn invalid_type(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> DeError {
        DeError::new(format!("expected {exp}, found {unexp}"))
    }

    fn invalid_value(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> DeError {
        DeError::new(format!("expected {exp}, found {unexp}"))
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// Words accepted for yes/no settings: openais used `yes|no` for some keys and
/// `on|off` for others; both spellings work everywhere.
fn parse_bool(s: &str) -> Result<bool, DeError> {
    match s {
        "on" | "yes" | "true" | "1" => Ok(true),
        "off" | "no" | "false" | "0" => Ok(false),
        _ => Err(DeError::new(format!("expected on, off, yes or no, found '{s}'"))),
    }
}

macro_rules! parse_int {
    ($s:expr, $ty:ty) => {{
        let s: &str = $s;
        s.parse::<$ty>().map_err(|_| {
            let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                DeError::new(format!("{s} is out of range ({}..{})", <$ty>::MIN, <$ty>::MAX))
            } else {
                DeError::new(format!("expected a whole number, found '{s}'"))
            }
        })
    }};
}

/// One entry of the tree (or the root) seen as a value to deserialize.
pub struct Deserializer<'a> {
    node: Node<'a>,
    line: u32,
    path: String,
}

#[derive(Clone, Copy)]
enum Node<'a> {
    Value(&'a str),
    Block(&'a [Entry]),
}

impl<'a> Deserializer<'a> {
    /// The whole file, as the map of its top-level entries.
    pub fn new(entries: &'a [Entry]) -> Deserializer<'a> {
        Deserializer {
            node: Node::Block(entries),
            line: 0,
            path: String::new(),
        }
    }

    fn entry(entry: &'a Entry, path: String) -> Deserializer<'a> {
        let node = match &entry.kind {
            Kind::Value(v) => Node::Value(v),
            Kind::Block(entries) => Node::Block(entries),
        };
        Deserializer {
            node,
            line: entry.line,
            path,
        }
    }

    fn fail(&self, message: impl Into<String>) -> DeError {
        DeError::new(message).at(self.line, &self.path)
    }

    /// The value text, refusing a block or an empty value.
    fn scalar(&self) -> Result<&'a str, DeError> {
        match self.node {
            Node::Value("") => Err(self.fail("has no value")),
            Node::Value(s) => Ok(s),
            Node::Block(_) => Err(self.fail("expected 'key: value', found a block")),
        }
    }

    fn block(&self) -> Result<&'a [Entry], DeError> {
        match self.node {
            Node::Block(entries) => Ok(entries),
            Node::Value(_) => {
                let name = self.path.rsplit('.').next().unwrap_or("");
                Err(self.fail(format!("expected a block '{name} {{ ... }}', found a value")))
            }
        }
    }
}

macro_rules! deserialize_int {
    ($($method:ident $ty:ty => $visit:ident;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            let s = self.scalar()?;
            parse_int!(s, $ty)
                .and_then(|n| visitor.$visit(n))
                .map_err(|e| e.at(self.line, &self.path))
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Deserializer<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.node {
            Node::Value(s) => visitor.visit_borrowed_str(s),
            Node::Block(entries) => visitor.visit_map(BlockMap::new(entries, &self.path)),
        }
        .map_err(|e| e.at(self.line, &self.path))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let s = self.scalar()?;
        parse_bool(s)
            .and_then(|b| visitor.visit_bool(b))
            .map_err(|e| e.at(self.line, &self.path))
    }

    deserialize_int! {
        deserialize_i8 i8 => visit_i8;
        deserialize_i16 i16 => visit_i16;
        deserialize_i32 i32 => visit_i32;
        deserialize_i64 i64 => visit_i64;
        deserialize_u8 u8 => visit_u8;
        deserialize_u16 u16 => visit_u16;
        deserialize_u32 u32 => visit_u32;
        deserialize_u64 u64 => visit_u64;
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let s = self.scalar()?;
        s.parse::<f64>()
            .map_err(|_| DeError::new(format!("expected a number, found '{s}'")))
            .and_then(|n| visitor.visit_f64(n))
            .map_err(|e| e.at(self.line, &self.path))
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let s = self.scalar()?;
        let mut chars = s.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => visitor.visit_char(c),
            _ => Err(DeError::new(format!("expected one character, found '{s}'"))),
        }
        .map_err(|e| e.at(self.line, &self.path))
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let s = self.scalar()?;
        visitor
            .visit_borrowed_str::<DeError>(s)
            .map_err(|e| e.at(self.line, &self.path))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let s = self.scalar()?;
        visitor
            .visit_borrowed_bytes::<DeError>(s.as_bytes())
            .map_err(|e| e.at(self.line, &self.path))
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        // Present in the file means Some; absence is handled by the map.
        let (line, path) = (self.line, self.path.clone());
        visitor.visit_some(self).map_err(|e| e.at(line, &path))
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, DeError> {
        let (line, path) = (self.line, self.path.clone());
        visitor.visit_newtype_struct(self).map_err(|e| e.at(line, &path))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, DeError> {
        // Lists are repeated entries, handled one level up by `Group`.
        Err(self.fail("a list here is not supported"))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let entries = self.block()?;
        visitor
            .visit_map(BlockMap::new(entries, &self.path))
            .map_err(|e| e.at(self.line, &self.path))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let s = self.scalar()?;
        visitor.visit_enum(Word(s)).map_err(|e| e.at(self.line, &self.path))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

/// Every entry of one name in a block.
struct Group<'a> {
    entries: Vec<&'a Entry>,
    path: String,
}

impl<'a> Group<'a> {
    /// The one entry a non-list field reads; a repeat is an error at the
    /// repeat's line (openais silently kept one of them).
    fn single(self) -> Result<Deserializer<'a>, DeError> {
        match self.entries.as_slice() {
            [only] => Ok(Deserializer::entry(only, self.path)),
            [first, second, ..] => Err(
                DeError::new(format!("given more than once (first on line {})", first.line))
                    .at(second.line, &self.path),
            ),
            [] => Err(DeError::new("internal error: empty group").at(0, &self.path)),
        }
    }
}

macro_rules! forward_single {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, DeError> {
            de::Deserializer::$method(self.single()?, $($arg,)* visitor)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Group<'de> {
    type Error = DeError;

    forward_single! {
        deserialize_any();
        deserialize_bool();
        deserialize_i8();
        deserialize_i16();
        deserialize_i32();
        deserialize_i64();
        deserialize_u8();
        deserialize_u16();
        deserialize_u32();
        deserialize_u64();
        deserialize_f32();
        deserialize_f64();
        deserialize_char();
        deserialize_str();
        deserialize_string();
        deserialize_bytes();
        deserialize_byte_buf();
        deserialize_unit();
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_map();
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        deserialize_identifier();
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_some(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_seq(GroupSeq {
            entries: self.entries.into_iter(),
            path: self.path,
        })
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

struct GroupSeq<'a> {
    entries: std::vec::IntoIter<&'a Entry>,
    path: String,
}

impl<'de> de::SeqAccess<'de> for GroupSeq<'de> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, DeError> {
        match self.entries.next() {
            Some(entry) => seed
                .deserialize(Deserializer::entry(entry, self.path.clone()))
                .map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// A block as a map: one key per distinct name, in order of first appearance.
struct BlockMap<'a> {
    groups: std::vec::IntoIter<(&'a str, Vec<&'a Entry>)>,
    current: Option<Group<'a>>,
    path: String,
}

impl<'a> BlockMap<'a> {
    fn new(entries: &'a [Entry], path: &str) -> BlockMap<'a> {
        let mut index: HashMap<&'a str, usize> = HashMap::new();
        let mut groups: Vec<(&'a str, Vec<&'a Entry>)> = Vec::new();
        for entry in entries {
            match index.get(entry.name.as_str()) {
                Some(&i) => groups[i].1.push(entry),
                None => {
                    index.insert(&entry.name, groups.len());
                    groups.push((&entry.name, vec![entry]));
                }
            }
        }
        BlockMap {
            groups: groups.into_iter(),
            current: None,
            path: path.to_owned(),
        }
    }
}

impl<'de> de::MapAccess<'de> for BlockMap<'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DeError> {
        match self.groups.next() {
            Some((name, entries)) => {
                let path = join(&self.path, name);
                let key = seed.deserialize(BorrowedStrDeserializer::<DeError>::new(name));
                self.current = Some(Group { entries, path });
                key.map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        match self.current.take() {
            Some(group) => {
                // Errors a seed raises after reading the value (a
                // `deserialize_with` parser rejecting the text) have no
                // place yet: give them the entry's.
                let line = group.entries.first().map_or(0, |e| e.line);
                let path = group.path.clone();
                seed.deserialize(group).map_err(|e| e.at(line, &path))
            }
            None => Err(DeError::new("internal error: value without key")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.groups.len())
    }
}

/// A value read as an enum: the word names a unit variant.
struct Word<'a>(&'a str);

impl<'de> de::EnumAccess<'de> for Word<'de> {
    type Error = DeError;
    type Variant = UnitOnly;

    fn variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<(T::Value, UnitOnly), DeError> {
        seed.deserialize(BorrowedStrDeserializer::<DeError>::new(self.0))
            .map(|v| (v, UnitOnly))
    }
}

struct UnitOnly;

impl<'de> de::VariantAccess<'de> for UnitOnly {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value, DeError> {
        Err(DeError::new("expected a plain word"))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value, DeError> {
        Err(DeError::new("expected a plain word"))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, DeError> {
        Err(DeError::new("expected a plain word"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse::Tree;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Mode {
        Fast,
        Slow,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Inner {
        port: u16,
        #[serde(default)]
        tag: Option<String>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Outer {
        count: u32,
        on: bool,
        mode: Mode,
        #[serde(default)]
        inner: Vec<Inner>,
        #[serde(default)]
        name: Option<String>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Top {
        outer: Outer,
    }

    fn read(text: &str) -> Result<Top, DeError> {
        let tree = Tree::parse(text).unwrap();
        Top::deserialize(Deserializer::new(&tree.entries))
    }

    #[test]
    fn typed_values_and_repeated_blocks() {
        let top = read(
            "outer {\n count: 7\n on: yes\n mode: slow\n inner {\n  port: 1\n }\n inner {\n  port: 2\n  tag: x y\n }\n}\n",
        )
        .unwrap();
        assert_eq!(
            top.outer,
            Outer {
                count: 7,
                on: true,
                mode: Mode::Slow,
                inner: vec![
                    Inner { port: 1, tag: None },
                    Inner {
                        port: 2,
                        tag: Some("x y".into())
                    }
                ],
                name: None,
            }
        );
    }

    #[test]
    fn errors_carry_line_and_key() {
        let base = "outer {\n count: 7\n on: yes\n mode: slow\n inner {\n  port: 1\n }\n}\n";
        let cases: &[(&str, &str, u32, &str, &str)] = &[
            (
                "count: 7",
                "count: seven",
                2,
                "outer.count",
                "expected a whole number, found 'seven'",
            ),
            (
                "count: 7",
                "count: -1",
                2,
                "outer.count",
                "-1 is out of range (0..4294967295)",
            ),
            (
                "on: yes",
                "on: maybe",
                3,
                "outer.on",
                "expected on, off, yes or no, found 'maybe'",
            ),
            (
                "mode: slow",
                "mode: medium",
                4,
                "outer.mode",
                "expected fast or slow, found 'medium'",
            ),
            (
                "port: 1",
                "port: 70000",
                6,
                "outer.inner.port",
                "70000 is out of range (0..65535)",
            ),
            ("port: 1", "tag: t", 5, "outer.inner.port", "missing"),
            ("count: 7", "count:", 2, "outer.count", "has no value"),
            (
                "count: 7",
                "count {\n }",
                2,
                "outer.count",
                "expected 'key: value', found a block",
            ),
            (
                "inner {\n  port: 1\n }",
                "inner: 3",
                5,
                "outer.inner",
                "expected a block 'inner { ... }', found a value",
            ),
            (
                "mode: slow",
                "mode: slow\n count: 8",
                5,
                "outer.count",
                "given more than once (first on line 2)",
            ),
        ];
        for (from, to, line, path, message) in cases {
            let text = base.replacen(from, to, 1);
            let e = read(&text).unwrap_err();
            assert_eq!(
                (e.line, e.path.as_str(), e.message.as_str()),
                (*line, *path, *message),
                "{text}"
            );
        }
        let e = read("outer {\n count: 1\n on: no\n}\n").unwrap_err();
        assert_eq!(
            (e.line, e.path.as_str(), e.message.as_str()),
            (1, "outer.mode", "missing")
        );
    }
}
