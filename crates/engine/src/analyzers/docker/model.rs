//! The Dockerfile model: the parsed instructions (crate `parse-dockerfile`, byte spans, heredocs)
//! grouped into stages, with global `ARG` defaults substituted into `FROM` and stage names
//! resolved, so rules ask questions of stages rather than of raw text.

use std::collections::HashMap;
use std::ops::Range;

use parse_dockerfile::{Dockerfile, Instruction};

use super::heredoc::Body;
use super::run::{self, Run};
use super::vars::{self, Var};
use crate::analyzers::common::image::ImageRef;
pub use crate::analyzers::common::interpolate::substitute;
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
    /// `ARG`/`ENV` definitions of the stage with the index of their instruction.
    pub vars: Vec<(usize, Var, bool)>,
    /// `RUN` scripts are POSIX shell (not Windows `cmd`/PowerShell).
    pub posix: bool,
}

impl Stage<'_, '_> {
    /// Variables visible at instruction `index`: global ARG defaults, then the stage's ARG/ENV.
    pub fn vars_at(
        &self,
        globals: &HashMap<String, String>,
        index: usize,
    ) -> HashMap<String, String> {
        let mut out = globals.clone();
        for (i, v, _) in &self.vars {
            if *i >= index {
                break;
            }
            if let Some(value) = &v.value {
                let value = substitute(value, &out);
                out.insert(v.name.clone(), value);
            }
        }
        out
    }
}

/// Where a `COPY --from=…` (or `RUN --mount=from=…`) takes files from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CopySource {
    /// An earlier stage, by index.
    Stage(usize),
    /// An image pulled at build time.
    Image(ImageRef),
    /// A build context or something with unresolved variables.
    Other,
}

/// A `--from=` of `COPY` or a `from=` of a `RUN --mount`.
pub struct CopyFrom {
    pub stage: usize,
    pub text: String,
    pub span: Range<usize>,
    pub source: CopySource,
}

/// `# syntax=` and `# escape=` parser directives.
#[derive(Clone, Debug, Default)]
pub struct Directives {
    pub syntax: Option<(String, Range<usize>)>,
    /// The escape character (a backslash unless `# escape=` says otherwise).
    pub escape: char,
}

pub struct Model<'a, 'f> {
    pub file: &'a SourceFile,
    pub dockerfile: &'f Dockerfile<'a>,
    pub stages: Vec<Stage<'a, 'f>>,
    pub directives: Directives,
    /// Global `ARG` defaults (before the first `FROM`).
    pub globals: HashMap<String, String>,
    /// Global `ARG`s with spans.
    pub global_vars: Vec<Var>,
    /// Every `RUN` of every stage, parsed as shell.
    pub runs: Vec<Run>,
    /// Every `COPY --from` / `RUN --mount=from=`.
    pub copy_froms: Vec<CopyFrom>,
}

impl<'a, 'f> Model<'a, 'f> {
    pub fn new(file: &'a SourceFile, dockerfile: &'f Dockerfile<'a>, bodies: &[Body]) -> Self {
        let pd = &dockerfile.parser_directives;
        let directives = Directives {
            syntax: pd
                .syntax
                .as_ref()
                .map(|d| (d.value.value.to_string(), d.value.span.clone())),
            escape: pd.escape.as_ref().map_or('\\', |d| d.value.value),
        };
        let escape = directives.escape;
        let mut args: HashMap<String, String> = HashMap::new();
        let mut global_vars = Vec::new();
        for arg in dockerfile.global_args() {
            let span = arg.arguments.span.clone();
            let raw = file.text.get(span.clone()).unwrap_or_default();
            for v in vars::parse(raw, span.start, escape, false) {
                if let Some(value) = &v.value {
                    let value = substitute(value, &args);
                    args.insert(v.name.clone(), value);
                }
                global_vars.push(v);
            }
        }
        let mut names: HashMap<String, usize> = HashMap::new();
        let mut stages = Vec::new();
        let mut runs = Vec::new();
        let mut copy_froms = Vec::new();
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
            let mut stage_vars = Vec::new();
            // The default shell is POSIX except on Windows bases; SHELL changes it.
            let lower = image_text.to_ascii_lowercase();
            let mut posix = match &base {
                Base::Stage(p) => stages.get(*p).is_none_or(|s: &Stage<'_, '_>| s.posix),
                _ => {
                    !(lower.contains("windows")
                        || lower.contains("servercore")
                        || lower.contains("nanoserver"))
                }
            };
            for (i, ins) in st.instructions.iter().enumerate() {
                match ins {
                    Instruction::Arg(a) => {
                        let span = a.arguments.span.clone();
                        let raw = file.text.get(span.clone()).unwrap_or_default();
                        for v in vars::parse(raw, span.start, escape, false) {
                            stage_vars.push((i, v, false));
                        }
                    }
                    Instruction::Env(e) => {
                        let span = e.arguments.span.clone();
                        let raw = file.text.get(span.clone()).unwrap_or_default();
                        for v in vars::parse(raw, span.start, escape, true) {
                            stage_vars.push((i, v, true));
                        }
                    }
                    Instruction::Shell(sh) => {
                        let prog = sh
                            .arguments
                            .first()
                            .map(|s| s.value.to_ascii_lowercase())
                            .unwrap_or_default();
                        let prog = prog.rsplit(['/', '\\']).next().unwrap_or_default();
                        posix = !(prog.starts_with("cmd")
                            || prog.starts_with("powershell")
                            || prog.starts_with("pwsh"));
                    }
                    Instruction::Run(r) => {
                        runs.push(run::analyse(&file.text, r, escape, posix, index, i, bodies));
                        for m in r.options.iter().filter(|f| f.name.value == "mount") {
                            let Some(v) = &m.value else { continue };
                            let Some(from) =
                                v.value.split(',').find_map(|p| p.strip_prefix("from="))
                            else {
                                continue;
                            };
                            let from = substitute(from, &args);
                            let source = copy_source(&from, &names);
                            copy_froms.push(CopyFrom {
                                stage: index,
                                text: from,
                                span: v.span.clone(),
                                source,
                            });
                        }
                    }
                    Instruction::Copy(c) => {
                        for f in c.options.iter().filter(|f| f.name.value == "from") {
                            let Some(v) = &f.value else { continue };
                            let from = substitute(&v.value, &args);
                            let source = copy_source(&from, &names);
                            copy_froms.push(CopyFrom {
                                stage: index,
                                text: from,
                                span: v.span.clone(),
                                source,
                            });
                        }
                    }
                    _ => {}
                }
            }
            stages.push(Stage {
                index,
                name,
                image_text,
                base,
                image_span: st.from.image.span.clone(),
                from_span: st.from.from.span.clone(),
                instructions: st.instructions,
                vars: stage_vars,
                posix,
            });
        }
        Model {
            file,
            dockerfile,
            stages,
            directives,
            globals: args,
            global_vars,
            runs,
            copy_froms,
        }
    }

    /// Stages whose files end up in the final image: the final stage and the stages it is
    /// built `FROM` (not the ones it only copies from).
    pub fn in_final_image(&self, stage: usize) -> bool {
        self.final_stage()
            .is_some_and(|f| self.ancestry(f.index).contains(&stage))
    }

    /// Source text of a byte range.
    pub fn text(&self, span: Range<usize>) -> &str {
        self.file.text.get(span).unwrap_or_default()
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

/// Resolve a `--from=` value: a stage name or index, else an image reference.
fn copy_source(from: &str, names: &HashMap<String, usize>) -> CopySource {
    if let Some(&i) = names.get(&from.to_ascii_lowercase()) {
        return CopySource::Stage(i);
    }
    if let Ok(i) = from.parse::<usize>() {
        return CopySource::Stage(i);
    }
    ImageRef::parse(from).map_or(CopySource::Other, CopySource::Image)
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
