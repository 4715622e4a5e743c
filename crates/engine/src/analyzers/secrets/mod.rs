//! Secrets analyzer: every text file, whatever its kind (source, Dockerfiles, compose, Kubernetes,
//! Terraform, workflows…). Rules are data (`rules/secrets/*.yaml` plus `secrets.rules` in the
//! config); see [`scanner`] for how they run and [`checks`] for what is not a credential.

pub mod archive;
pub mod checks;
pub mod decode;
pub mod paths;
pub mod rules;
pub mod scanner;

use std::sync::{Arc, OnceLock};

use regex::bytes::RegexBuilder;

use crate::analyzers::{Analyzer, Output, ScanContext};
use crate::finding::{Diagnostic, Family, RawFinding, mask_secret, sha256_hex};
use crate::policy::config::{Config, SecretsConfig, SectionCheck};
use crate::source::FileKind;
use crate::source::SourceFile;
use paths::PathPolicies;
use scanner::Scanner;

/// Built for the first file of a scan from the scan's config, then shared by every file.
struct State {
    scanner: Scanner,
    paths: PathPolicies,
}

#[derive(Default)]
pub struct SecretsAnalyzer {
    state: OnceLock<Result<Arc<State>, String>>,
}

/// No user rules, allowlists, path policies or secrets rule settings: the built-in state.
fn is_default(config: &Config) -> bool {
    let c = &config.secrets;
    c.rules.is_empty()
        && c.paths.is_empty()
        && c.builtin_path_policies
        && c.decode_depth == SecretsConfig::default().decode_depth
        && c.allowlist.paths.is_empty()
        && c.allowlist.regexes.is_empty()
        && c.allowlist.stopwords.is_empty()
        && config
            .rules
            .keys()
            .all(|k| k != "*" && !k.starts_with("secrets/"))
}

/// The state for a config; the default one is built once per process (the keyword automata
/// are not free, and pre-commit runs and the fuzz smoke test create many analyzers).
fn state_for(config: &Config) -> Result<Arc<State>, String> {
    static DEFAULT: OnceLock<Result<Arc<State>, String>> = OnceLock::new();
    let make = || build(config).map(Arc::new).map_err(|e| format!("{e:#}"));
    if is_default(config) {
        DEFAULT.get_or_init(make).clone()
    } else {
        make()
    }
}

fn build(config: &Config) -> anyhow::Result<State> {
    let cfg = &config.secrets;
    let builtin = rules::builtin()?;
    let user = rules::user_rules(&cfg.rules)?;
    let allow = cfg
        .allowlist
        .regexes
        .iter()
        .map(|r| RegexBuilder::new(r).unicode(false).build())
        .collect::<Result<Vec<_>, _>>()?;
    let scanner = Scanner::new(
        builtin,
        user,
        |id| config.rule_enabled(id),
        allow,
        &cfg.allowlist.stopwords,
    )?
    .with_decode_depth(cfg.decode_depth);
    Ok(State {
        scanner,
        paths: PathPolicies::new(cfg)?,
    })
}

/// Check the `secrets:` config section (user rules compile, ids are new, globs parse).
/// The `secrets` section of the config: custom rules, allowlists and path policies.
pub struct SecretsSection;

impl SectionCheck for SecretsSection {
    fn section(&self) -> &'static str {
        "secrets"
    }

    fn check(&self, config: &Config) -> anyhow::Result<()> {
        validate_config(&config.secrets)
    }
}

pub fn validate_config(cfg: &SecretsConfig) -> anyhow::Result<()> {
    let user = rules::user_rules(&cfg.rules)?;
    let builtin = rules::builtin_ids();
    for r in &user {
        if builtin.contains(&r.id()) {
            anyhow::bail!(
                "secrets.rules: `{}` is a built-in rule id; choose another id (or configure the built-in rule under `rules`)",
                r.id()
            );
        }
    }
    for r in &cfg.allowlist.regexes {
        RegexBuilder::new(r)
            .unicode(false)
            .build()
            .map_err(|e| anyhow::anyhow!("secrets.allowlist.regexes: invalid regex `{r}`: {e}"))?;
    }
    PathPolicies::new(cfg)?;
    Ok(())
}

impl SecretsAnalyzer {
    /// Findings for one file (used by the tree scan and by the git history scan).
    pub fn scan_file(&self, file: &SourceFile, config: &Config, out: &mut Output) {
        self.scan_lines(file, config, 0..file.text.len(), out);
    }

    /// Findings that overlap `lines` (byte range of whole lines): the history scan's view of a
    /// blob that changed — only what the change added is new.
    pub fn scan_lines(
        &self,
        file: &SourceFile,
        config: &Config,
        lines: std::ops::Range<usize>,
        out: &mut Output,
    ) {
        let state = match self.state.get_or_init(|| state_for(config)) {
            Ok(s) => s,
            Err(e) => {
                out.diagnostics.push(Diagnostic::error(
                    file.path.clone(),
                    format!("secrets not scanned: {e}"),
                ));
                return;
            }
        };
        let mode = state.paths.mode(&file.path, &file.text);
        let code = paths::is_code(&file.path);
        for m in state
            .scanner
            .scan_lines(file.text.as_bytes(), lines, mode, code)
        {
            let rule = state.scanner.rule(m.rule);
            let value = &file.text.as_bytes()[m.secret.clone()];
            let shown = String::from_utf8_lossy(value);
            // Multi-line secrets (PEM blocks) are located at their first line only: the snippet
            // then shows the header, never lines of key material.
            let primary = if rule.spec.multiline && m.decoded.is_empty() {
                let line_end = file.text[m.secret.start..]
                    .find('\n')
                    .map_or(m.secret.end, |i| m.secret.start + i);
                m.whole.start.min(m.secret.start)..line_end.min(m.secret.end)
            } else {
                m.secret.clone()
            };
            let title = if rule.spec.title.is_empty() {
                rule.id()
            } else {
                rule.spec.title.as_str()
            };
            let how = if m.decoded.is_empty() {
                String::new()
            } else {
                let chain: Vec<&str> = m.decoded.iter().map(|e| e.as_str()).collect();
                format!(" ({}-encoded)", chain.join(", then "))
            };
            let mut f = RawFinding::new(
                rule.id(),
                file,
                primary,
                format!("{title}{how} in plain text ({})", mask_secret(&shown)),
            )
            .redact(file, m.secret.clone())
            .content(format!("<secret:{}>", &sha256_hex(value)[..16]))
            .property("redacted", mask_secret(&shown))
            .property(
                "entropy",
                format!("{:.2}", f64::from(m.entropy_milli) / 1000.0),
            );
            if !m.decoded.is_empty() {
                let chain: Vec<&str> = m.decoded.iter().map(|e| e.as_str()).collect();
                f = f.property("decoded", chain.join(">"));
            }
            if let Some(sev) = rule.spec.severity {
                f = f.severity(sev);
            }
            out.push(f);
        }
    }
}

/// Largest archive read (the archive file itself; its members have their own caps).
pub const ARCHIVE_MAX: u64 = 256 * 1024 * 1024;

impl SecretsAnalyzer {
    /// Whether `path` is read as an archive (by name; the content decides after reading).
    pub fn wants_archive(path: &str, config: &Config) -> bool {
        config.secrets.archives && archive::is_archive_name(path)
    }

    /// Findings in the members of the archive `bytes` at `path`, reported at
    /// `path!member`; `false` when the bytes are not an archive.
    pub fn scan_archive(
        &self,
        path: &str,
        bytes: &[u8],
        config: &Config,
        out: &mut Output,
    ) -> bool {
        let limits = archive::Limits::new(config.secrets.archive_depth, config.max_file_size());
        let walk = archive::walk(path, bytes, &limits, &mut |member, data| {
            let text = String::from_utf8_lossy(data).into_owned();
            let file = SourceFile::new(member.to_string(), FileKind::Other, text);
            self.scan_file(&file, config, out);
        });
        match walk {
            Some(w) => {
                out.diagnostics.extend(w.notes);
                true
            }
            None => false,
        }
    }
}

impl Analyzer for SecretsAnalyzer {
    fn family(&self) -> Family {
        Family::Secrets
    }

    fn rule_ids(&self) -> Vec<&'static str> {
        rules::builtin_ids().to_vec()
    }

    /// Every text file: credentials are committed in any kind of file. (Binary files never get
    /// here: the reader skips them.)
    fn accepts(&self, _kind: FileKind) -> bool {
        true
    }

    fn analyze_file(&self, file: &SourceFile, cx: &ScanContext<'_>, out: &mut Output) {
        self.scan_file(file, cx.config, out);
    }

    fn wants_binary(&self, path: &str, cx: &ScanContext<'_>) -> bool {
        Self::wants_archive(path, cx.config)
    }

    fn analyze_binary(
        &self,
        path: &str,
        bytes: &[u8],
        cx: &ScanContext<'_>,
        out: &mut Output,
    ) -> bool {
        self.scan_archive(path, bytes, cx.config, out)
    }
}

#[cfg(test)]
mod tests;
