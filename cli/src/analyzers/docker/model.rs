//! The Dockerfile model: the parsed instructions (crate `parse-dockerfile`, byte spans, heredocs)
//! grouped into stages, with global `ARG` defaults substituted into `FROM` and stage names
//! resolved, so rules ask questions of stages rather than of raw text.

use std::collections::HashMap;
use std::ops::Range;

use parse_dockerfile::{Dockerfile, Instruction};

use super::image::ImageRef;
use crate::source::SourceFile;

/// What a stage is built on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Base {
    /// An image from a registry.
    Image(ImageRef),
    /// An earlier stage of this Dockerfile (its index).
    Stage(usize),
    /// `scratch`: nothing.
    Scratch,
    /// Contains a variable we cannot resolve (`FROM $BASE` with no default).
    Unresolved,
}

/// One `FROM … [AS name]` and the instructions up to the next `FROM`.
pub struct Stage<'a, 'f> {
    pub index: usize,
    pub name: Option<String>,
    /// The image text after ARG substitution.
    pub image_text: String,
    pub base: Base,
    /// Span of the image reference in the `FROM` line.
    pub image_span: Range<usize>,
    /// Span of the `FROM` keyword.
    pub from_span: Range<usize>,
    pub instructions: &'f [Instruction<'a>],
}

pub struct Model<'a, 'f> {
    pub file: &'a SourceFile,
    pub dockerfile: &'f Dockerfile<'a>,
    pub stages: Vec<Stage<'a, 'f>>,
}

impl<'a, 'f> Model<'a, 'f> {
    pub fn new(file: &'a SourceFile, dockerfile: &'f Dockerfile<'a>) -> Self {
        let mut args: HashMap<String, String> = HashMap::new();
        for arg in dockerfile.global_args() {
            let text = arg.arguments.value.trim();
            if let Some((k, v)) = text.split_once('=') {
                args.insert(k.trim().to_string(), unquote(v.trim()).to_string());
            }
        }
        let mut names: HashMap<String, usize> = HashMap::new();
        let mut stages = Vec::new();
        for (index, st) in dockerfile.stages().enumerate() {
            let image_text = substitute(&st.from.image.value, &args);
            let base = if let Some(&i) = names.get(&image_text.to_ascii_lowercase()) {
                Base::Stage(i)
            } else if image_text.eq_ignore_ascii_case("scratch") {
                Base::Scratch
            } else {
                ImageRef::parse(&image_text).map_or(Base::Unresolved, Base::Image)
            };
            let name = st.from.as_.as_ref().map(|(_, n)| n.value.to_string());
            if let Some(n) = &name {
                names.insert(n.to_ascii_lowercase(), index);
            }
            stages.push(Stage {
                index,
                name,
                image_text,
                base,
                image_span: st.from.image.span.clone(),
                from_span: st.from.from.span.clone(),
                instructions: st.instructions,
            });
        }
        Model {
            file,
            dockerfile,
            stages,
        }
    }

    /// The stage that produces the image (the last one).
    pub fn final_stage(&self) -> Option<&Stage<'a, 'f>> {
        self.stages.last()
    }

    /// Stage indices from `index` back through the stages it is built `FROM`.
    pub fn ancestry(&self, index: usize) -> Vec<usize> {
        let mut out = vec![index];
        let mut cur = index;
        while let Some(Base::Stage(parent)) = self.stages.get(cur).map(|s| &s.base) {
            if out.contains(parent) {
                break;
            }
            out.push(*parent);
            cur = *parent;
        }
        out
    }
}

/// Expand `$VAR` / `${VAR}` / `${VAR:-default}` from global ARG defaults; unknown variables stay.
pub fn substitute(s: &str, args: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(body) = after.strip_prefix('{') {
            if let Some(end) = body.find('}') {
                let inner = &body[..end];
                let (name, default) = match inner.split_once(":-").or_else(|| inner.split_once('-'))
                {
                    Some((n, d)) => (n, Some(d)),
                    None => (inner, None),
                };
                match args
                    .get(name)
                    .filter(|v| !v.is_empty())
                    .map(String::as_str)
                    .or(default)
                {
                    Some(v) => out.push_str(v),
                    None => out.push_str(&rest[i..i + 2 + end + 1]),
                }
                rest = &body[end + 1..];
                continue;
            }
        } else {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if len > 0 {
                match args.get(&after[..len]) {
                    Some(v) => out.push_str(v),
                    None => out.push_str(&rest[i..=i + len]),
                }
                rest = &after[len..];
                continue;
            }
        }
        out.push('$');
        rest = after;
    }
    out.push_str(rest);
    out
}

fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .or_else(|| s.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')))
        .unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arg_substitution() {
        let args: HashMap<String, String> = [("V".to_string(), "3.19".to_string())].into();
        assert_eq!(substitute("alpine:${V}", &args), "alpine:3.19");
        assert_eq!(substitute("alpine:$V", &args), "alpine:3.19");
        assert_eq!(substitute("x:${W:-1}", &args), "x:1");
        assert_eq!(substitute("x:${W}", &args), "x:${W}");
        assert_eq!(substitute("a$", &args), "a$");
    }
}
