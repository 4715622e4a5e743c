//! The ignore files pipeguard honours besides `.gitignore` (which never hides a tracked file,
//! see `discover`): `.ignore` and `.pipeguardignore`, from the working tree or, in trusted
//! mode, from the trusted ref (`crate::trust`).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use anyhow::anyhow;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

pub const IGNORE_FILES: [&str; 2] = [".ignore", ".pipeguardignore"];

/// `.ignore` and `.pipeguardignore` files of one tree, applied to root-relative paths with git's
/// precedence: the deepest directory that has a matching pattern decides, and within a directory
/// `.pipeguardignore` overrides `.ignore`.
#[derive(Clone, Debug, Default)]
pub struct IgnoreFiles {
    /// Repository-relative directory → its matcher, deepest first.
    dirs: Vec<(String, Gitignore)>,
    /// The scan root relative to the repository.
    root_rel: String,
    /// Effective pattern lines of each file (path → lines), to tell what a change added.
    lines: HashMap<String, BTreeSet<String>>,
}

impl IgnoreFiles {
    /// `files`: (repository-relative path, text).
    pub fn new(root_rel: &str, mut files: Vec<(String, String)>) -> anyhow::Result<IgnoreFiles> {
        // `.ignore` before `.pipeguardignore` of the same directory: later lines win.
        files.sort_by(|a, b| a.0.cmp(&b.0));
        let mut by_dir: Vec<(String, Vec<(String, String)>)> = Vec::new();
        let mut lines = HashMap::new();
        for (path, text) in files {
            let dir = path.rsplit_once('/').map_or("", |(d, _)| d).to_string();
            lines.insert(path.clone(), effective_lines(&text));
            match by_dir.iter_mut().find(|(d, _)| *d == dir) {
                Some((_, v)) => v.push((path, text)),
                None => by_dir.push((dir, vec![(path, text)])),
            }
        }
        let mut dirs = Vec::new();
        for (dir, mut files) in by_dir {
            files.sort_by_key(|(p, _)| p.ends_with(".pipeguardignore"));
            let mut b = GitignoreBuilder::new(Path::new("/").join(&dir));
            for (path, text) in &files {
                for line in text.lines() {
                    // A bad pattern is skipped, as git does.
                    let _ = b.add_line(Some(PathBuf::from(path)), line);
                }
            }
            dirs.push((dir, b.build().map_err(|e| anyhow!("{e}"))?));
        }
        dirs.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        Ok(IgnoreFiles {
            dirs,
            root_rel: root_rel.to_string(),
            lines,
        })
    }

    /// Whether the root-relative file `rel` is ignored.
    pub fn is_ignored(&self, rel: &str) -> bool {
        let repo_rel = crate::git::join(&self.root_rel, rel);
        let abs = Path::new("/").join(&repo_rel);
        for (dir, m) in &self.dirs {
            let applies = dir.is_empty() || repo_rel.starts_with(&format!("{dir}/"));
            if !applies {
                continue;
            }
            let r = m.matched_path_or_any_parents(&abs, false);
            if r.is_ignore() {
                return true;
            }
            if r.is_whitelist() {
                return false;
            }
        }
        false
    }

    /// Effective lines of the file at `repo_rel` (empty when the tree has no such file).
    pub fn lines_of(&self, repo_rel: &str) -> BTreeSet<String> {
        self.lines.get(repo_rel).cloned().unwrap_or_default()
    }
}

/// Pattern lines that do something: not blank, not comments.
fn effective_lines(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}
