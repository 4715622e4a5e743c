//! A compose file as services with spans: the YAML is read twice — by `serde_yaml` for values
//! (merge keys `<<: *anchor` applied) and by `yamlpath` (tree-sitter) to map a route such as
//! `services.web.volumes[2]` back to bytes. Values that only exist through a merge key have no
//! route of their own; their findings point at the service's key.

use std::ops::Range;

use serde_yaml::Value;
use yamlpath::{Component, Document, Route};

use crate::source::SourceFile;

pub struct Service<'v> {
    pub name: String,
    pub value: &'v Value,
}

pub struct Model<'a> {
    pub file: &'a SourceFile,
    doc: Document,
    pub root: Value,
    /// Services live under `services:` (v2/v3/Spec) or at the top level (v1).
    top_level_services: bool,
}

impl<'a> Model<'a> {
    /// Parse; on error, the byte offset where parsing stopped and a message.
    pub fn parse(file: &'a SourceFile) -> Result<Self, (usize, String)> {
        let mut root: Value = serde_yaml::from_str(&file.text).map_err(|e| {
            let at = e.location().map_or(0, |l| l.index());
            (at, e.to_string())
        })?;
        root.apply_merge().map_err(|e| (0, e.to_string()))?;
        let doc = Document::new(file.text.clone()).map_err(|e| (0, e.to_string()))?;
        if !root.is_mapping() && !root.is_null() {
            return Err((0, "a compose file must be a mapping".to_string()));
        }
        let top_level_services = root.get("services").is_none()
            && root.get("version").is_none()
            && root.as_mapping().is_some_and(|m| {
                m.values()
                    .any(|v| v.get("image").is_some() || v.get("build").is_some())
            });
        Ok(Model {
            file,
            doc,
            root,
            top_level_services,
        })
    }

    pub fn services(&self) -> Vec<Service<'_>> {
        let map = if self.top_level_services {
            self.root.as_mapping()
        } else {
            self.root.get("services").and_then(Value::as_mapping)
        };
        map.into_iter()
            .flatten()
            .filter_map(|(k, v)| {
                Some(Service {
                    name: k.as_str()?.to_string(),
                    value: v,
                })
            })
            .filter(|s| s.value.is_mapping())
            .collect()
    }

    fn route<'r>(&self, service: &'r str, path: &[Component<'r>]) -> Route<'r> {
        let mut comps: Vec<Component<'r>> = Vec::new();
        if !self.top_level_services {
            comps.push(Component::from("services"));
        }
        comps.push(Component::from(service));
        comps.extend(path.iter().cloned());
        Route::from(comps)
    }

    /// Span of the value at `path` inside service `service`; falls back to the service's key
    /// (values inherited through merge keys have no route), then to the start of the file.
    pub fn span(&self, service: &str, path: &[Component<'_>]) -> Range<usize> {
        let route = self.route(service, path);
        if let Ok(Some(f)) = self.doc.query_exact(&route) {
            return f.location.byte_span.0..f.location.byte_span.1;
        }
        if let Ok(f) = self.doc.query_pretty(&route) {
            return f.location.byte_span.0..f.location.byte_span.1;
        }
        self.service_span(service)
    }

    /// Span of the key at `path` (the route must end with a key).
    pub fn key_span(&self, service: &str, path: &[Component<'_>]) -> Option<Range<usize>> {
        let route = self.route(service, path);
        self.doc
            .query_key_only(&route)
            .ok()
            .map(|f| f.location.byte_span.0..f.location.byte_span.1)
    }

    pub fn service_span(&self, service: &str) -> Range<usize> {
        self.key_span(service, &[]).unwrap_or(0..0)
    }
}

/// A scalar as text (`true`, `22`, `"host"`).
pub fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A bind mount of a service: short syntax `src:dst[:mode]` or long syntax
/// `{type: bind, source, target, read_only}`. Named volumes are not bind mounts.
pub struct Mount {
    pub index: usize,
    pub source: String,
    pub target: String,
    pub read_only: bool,
}

pub fn bind_mounts(service: &Value) -> Vec<Mount> {
    let mut out = Vec::new();
    let Some(list) = service.get("volumes").and_then(Value::as_sequence) else {
        return out;
    };
    for (index, v) in list.iter().enumerate() {
        let (source, target, read_only) = match v {
            Value::String(s) => {
                let mut parts = s.splitn(3, ':');
                let src = parts.next().unwrap_or_default().to_string();
                let Some(dst) = parts.next() else { continue };
                let mode = parts.next().unwrap_or_default();
                (src, dst.to_string(), mode.split(',').any(|m| m == "ro"))
            }
            Value::Mapping(_) => {
                let ty = v.get("type").and_then(Value::as_str).unwrap_or("volume");
                if ty != "bind" {
                    continue;
                }
                let src = v.get("source").and_then(Value::as_str).unwrap_or_default();
                let dst = v.get("target").and_then(Value::as_str).unwrap_or_default();
                let ro = v.get("read_only").and_then(Value::as_bool).unwrap_or(false);
                (src.to_string(), dst.to_string(), ro)
            }
            _ => continue,
        };
        let is_path = source.starts_with('/')
            || source.starts_with('.')
            || source.starts_with('~')
            || source.starts_with('$');
        if is_path {
            out.push(Mount {
                index,
                source,
                target,
                read_only,
            });
        }
    }
    out
}

/// One `security_opt` entry of a service: `key=value` or the older `key:value` (Docker splits on
/// `=` first, then on the first `:`), a bare `no-new-privileges` (on), or the mapping that
/// `- no-new-privileges: true` parses to.
pub struct SecurityOpt {
    pub index: usize,
    /// Lowercased: `no-new-privileges`, `seccomp`, `apparmor`, `label`, `systempaths`…
    pub key: String,
    pub value: String,
}

pub fn security_opts(service: &Value) -> Vec<SecurityOpt> {
    let mut out = Vec::new();
    let Some(list) = service.get("security_opt").and_then(Value::as_sequence) else {
        return out;
    };
    for (index, v) in list.iter().enumerate() {
        let (key, value) = match v {
            Value::Mapping(m) if m.len() == 1 => {
                let Some((k, val)) = m.iter().next() else {
                    continue;
                };
                let (Some(k), Some(val)) = (scalar(k), scalar(val)) else {
                    continue;
                };
                (k, val)
            }
            _ => {
                let Some(s) = scalar(v) else { continue };
                let s = s.trim().to_string();
                if let Some((k, val)) = s.split_once('=') {
                    (k.to_string(), val.to_string())
                } else if let Some((k, val)) = s.split_once(':') {
                    (k.to_string(), val.to_string())
                } else {
                    (s, "true".to_string())
                }
            }
        };
        out.push(SecurityOpt {
            index,
            key: key.trim().to_ascii_lowercase(),
            value: value.trim().to_string(),
        });
    }
    out
}
