//! Trusted mode (`--trusted-config-ref REF`): on an untrusted pull request the checkout is the
//! attacker's, so only the trusted ref decides what is ignored or suppressed. Ignore files
//! (`.pipeguardignore`, `.ignore`) are read from the ref, an inline `pipeguard:ignore[…]` counts
//! only when the same directive is in the file at the ref (config `inline_ignores`), a baseline
//! inside the repository is read from the ref, and every suppression the change added is
//! reported as `policy/suppression-added`.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use anyhow::Context;
use git2::{ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};

use crate::finding::{Location, RawFinding};
use crate::ignores::{IGNORE_FILES, IgnoreFiles};
use crate::policy::suppress::{Directive, FileSuppressions};
use crate::rules::RuleId;
use crate::source::{Position, Snippet, Span};

/// Largest ignore file or baseline read from the ref.
const MAX_POLICY_FILE: usize = 4 << 20;

/// The trusted ref of the repository holding the scan root.
pub struct Trusted {
    repo: Repository,
    commit: Oid,
    /// The ref as the user named it (for messages).
    pub refname: String,
    /// The scan root relative to the work tree (`/`-separated, empty at the top).
    root_rel: String,
}

impl Trusted {
    pub fn open(root: &Path, refname: &str) -> anyhow::Result<Trusted> {
        let dir = if root.is_file() {
            root.parent().map(Path::to_path_buf).unwrap_or_default()
        } else {
            root.to_path_buf()
        };
        let (repo, root_rel) = crate::git::open(&dir)?;
        let commit = repo
            .revparse_single(refname)
            .with_context(|| format!("unknown git ref `{refname}`"))?
            .peel_to_commit()
            .with_context(|| format!("`{refname}` does not name a commit"))?
            .id();
        Ok(Trusted {
            repo,
            commit,
            refname: refname.to_string(),
            root_rel,
        })
    }

    /// Repository-relative path of a root-relative one.
    pub fn in_repo(&self, rel: &str) -> String {
        crate::git::join(&self.root_rel, rel)
    }

    /// The blob at `repo_rel` in the trusted tree (`None`: no such file, or not a file).
    fn blob(&self, repo_rel: &str, cap: usize) -> anyhow::Result<Option<Vec<u8>>> {
        let tree = self.repo.find_commit(self.commit)?.tree()?;
        let entry = match tree.get_path(Path::new(repo_rel)) {
            Ok(e) => e,
            Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        // A symlink blob is the link text, not a file: treated as absent.
        if entry.kind() != Some(ObjectType::Blob) || entry.filemode() == 0o120_000 {
            return Ok(None);
        }
        let blob = self.repo.find_blob(entry.id())?;
        if blob.size() > cap {
            anyhow::bail!("{}:{repo_rel} is larger than {} bytes", self.refname, cap);
        }
        Ok(Some(blob.content().to_vec()))
    }

    /// The ignore files of the trusted tree that apply under the scan root: those in the root's
    /// ancestors and below it.
    pub fn ignore_files(&self) -> anyhow::Result<IgnoreFiles> {
        let tree = self.repo.find_commit(self.commit)?.tree()?;
        let mut found: Vec<String> = Vec::new();
        let root = self.root_rel.clone();
        tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
            let Ok(name) = entry.name() else {
                return TreeWalkResult::Ok;
            };
            let path = format!("{dir}{name}");
            if entry.kind() == Some(ObjectType::Tree) {
                // Descend into the root's ancestors and into the root; skip other subtrees.
                let inside = root.is_empty()
                    || path == root
                    || path.starts_with(&format!("{root}/"))
                    || root.starts_with(&format!("{path}/"));
                return if inside {
                    TreeWalkResult::Ok
                } else {
                    TreeWalkResult::Skip
                };
            }
            if IGNORE_FILES.contains(&name) && entry.filemode() != 0o120_000 {
                found.push(path);
            }
            TreeWalkResult::Ok
        })?;
        let mut files = Vec::new();
        for path in found {
            if let Some(bytes) = self.blob(&path, MAX_POLICY_FILE)? {
                files.push((path, String::from_utf8_lossy(&bytes).into_owned()));
            }
        }
        IgnoreFiles::new(&self.root_rel, files)
    }

    /// Text of a root-relative file at the trusted ref.
    pub fn text(&self, rel: &str, cap: usize) -> anyhow::Result<Option<String>> {
        Ok(self
            .blob(&self.in_repo(rel), cap)?
            .map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    /// The repository-relative path of `path` when it is inside the work tree.
    pub fn repo_path_of(&self, path: &Path) -> Option<String> {
        let wd = std::fs::canonicalize(self.repo.workdir()?).ok()?;
        let abs = std::fs::canonicalize(path)
            .ok()
            .or_else(|| std::env::current_dir().ok().map(|d| d.join(path)))?;
        let rel = abs.strip_prefix(&wd).ok()?;
        Some(rel.to_string_lossy().replace('\\', "/"))
    }

    /// A repository-relative path as the reports show it: relative to the scan root when it is
    /// under the root, else as it is.
    pub fn display_path(&self, repo_rel: &str) -> String {
        if self.root_rel.is_empty() {
            return repo_rel.to_string();
        }
        repo_rel
            .strip_prefix(&format!("{}/", self.root_rel))
            .map_or_else(|| repo_rel.to_string(), str::to_string)
    }

    /// Bytes of a repository-relative file at the trusted ref.
    pub fn repo_blob(&self, repo_rel: &str) -> anyhow::Result<Option<Vec<u8>>> {
        self.blob(repo_rel, MAX_POLICY_FILE)
    }
}

/// The `policy/suppression-added` finding for one suppression the change added.
pub fn suppression_added(
    path: &str,
    line: u32,
    (start_column, end_column): (u32, u32),
    line_text: &str,
    what: &str,
    refname: &str,
) -> RawFinding {
    let span = Span {
        start: Position {
            line,
            column: start_column,
        },
        end: Position {
            line,
            column: end_column.max(start_column + 1),
        },
    };
    let mut f = RawFinding::at(
        RuleId::PolicySuppressionAdded.as_str(),
        Location::new(path, span),
        format!("{what} is not at the trusted ref `{refname}`, so it is not honoured"),
    )
    .content(what);
    f.snippet = Some(Snippet {
        start_line: line,
        lines: vec![crate::source::truncate_line(line_text)],
        caret: (span.start.column, span.end.column),
    });
    f
}

/// Lines a working-tree ignore file adds to its version at the ref, with their line numbers.
pub fn added_ignore_lines(text: &str, trusted: &BTreeSet<String>) -> Vec<(u32, String)> {
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let l = l.trim_end();
            (!l.trim().is_empty() && !l.starts_with('#') && !trusted.contains(l))
                .then(|| (i as u32 + 1, l.to_string()))
        })
        .collect()
}

/// Keep the directives the trusted ref also has; the others become findings.
pub fn check_inline(
    trusted: &Trusted,
    suppressions: &mut HashMap<String, FileSuppressions>,
    cap: usize,
) -> Vec<RawFinding> {
    let mut findings = Vec::new();
    let mut paths: Vec<String> = suppressions.keys().cloned().collect();
    paths.sort();
    for path in paths {
        let Some(current) = suppressions.get_mut(&path) else {
            continue;
        };
        let at_ref = trusted
            .text(&path, cap)
            .ok()
            .flatten()
            .and_then(|t| FileSuppressions::parse(&t));
        let known: BTreeSet<(Vec<String>, String)> = at_ref
            .iter()
            .flat_map(FileSuppressions::directives)
            .map(Directive::identity)
            .collect();
        for d in current.retain(|d| known.contains(&d.identity())) {
            findings.push(suppression_added(
                &path,
                d.line,
                (d.start_column, d.end_column),
                &d.text,
                &format!("the inline `pipeguard:ignore[{}]`", d.patterns.join(", ")),
                &trusted.refname,
            ));
        }
    }
    findings
}
