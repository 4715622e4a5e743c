//! JSON that means one thing: a signed statement or envelope with two `verdict` (or
//! `riskScore`, or `payload`) keys would be read one way by pipeguard (`serde_json` keeps the
//! last) and possibly another way by another verifier (many keep the first). Duplicate keys
//! are refused at every level, before anything else looks at the document.

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// `Err` names the first duplicated key (and the JSON error for invalid JSON).
pub fn check_unique_keys(bytes: &[u8]) -> Result<(), String> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    Unique::deserialize(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())
}

struct Unique;

impl<'de> Deserialize<'de> for Unique {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueVisitor)
    }
}

struct UniqueVisitor;

impl<'de> Visitor<'de> for UniqueVisitor {
    type Value = Unique;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_str<E>(self, _: &str) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_unit<E>(self) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_none<E>(self) -> Result<Unique, E> {
        Ok(Unique)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
        while seq.next_element::<Unique>()?.is_some() {}
        Ok(Unique)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Unique, A::Error> {
        let mut seen: HashSet<String> = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                let shown: String = key.chars().filter(|c| !c.is_control()).take(40).collect();
                return Err(de::Error::custom(format!("duplicate key `{shown}`")));
            }
            map.next_value::<Unique>()?;
        }
        Ok(Unique)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_refused_at_any_depth() {
        assert!(check_unique_keys(br#"{"a":1,"b":[{"c":1,"d":2}]}"#).is_ok());
        let e = check_unique_keys(br#"{"p":{"verdict":"fail","verdict":"pass"}}"#).unwrap_err();
        assert!(e.contains("duplicate key `verdict`"), "{e}");
        assert!(check_unique_keys(br#"[{"x":1},{"x":1,"x":2}]"#).is_err());
        // Escapes are compared decoded: "a" and "\u0061" are the same key.
        assert!(check_unique_keys(br#"{"a":1,"\u0061":2}"#).is_err());
        assert!(check_unique_keys(b"{} x").is_err());
    }
}
