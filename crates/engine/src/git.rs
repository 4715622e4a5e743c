//! Reading from git without touching the working tree (crate git2): files at a ref, the
//! repository that contains a path, the current commit.

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use git2::{ObjectType, Repository};

/// The repository containing `path`, and `path` relative to its work tree (`/`-separated).
pub fn open(path: &Path) -> anyhow::Result<(Repository, String)> {
    let repo = Repository::discover(path)
        .with_context(|| format!("{} is not inside a git repository", path.display()))?;
    let workdir = repo
        .workdir()
        .ok_or_else(|| anyhow!("{}: bare repositories have no work tree", path.display()))?;
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let wd = std::fs::canonicalize(workdir).unwrap_or_else(|_| workdir.to_path_buf());
    let rel = abs
        .strip_prefix(&wd)
        .map_or_else(|_| PathBuf::new(), Path::to_path_buf);
    let rel = rel.to_string_lossy().replace('\\', "/");
    Ok((repo, rel))
}

/// Bytes of `rel_path` (relative to the work tree) in the tree of `refname`; `None` when the ref
/// exists but has no such file.
pub fn read_at_ref(
    repo: &Repository,
    refname: &str,
    rel_path: &str,
) -> anyhow::Result<Option<Vec<u8>>> {
    let obj = repo
        .revparse_single(refname)
        .with_context(|| format!("unknown git ref `{refname}`"))?;
    let commit = obj
        .peel_to_commit()
        .with_context(|| format!("`{refname}` does not name a commit"))?;
    let tree = commit.tree()?;
    let entry = match tree.get_path(Path::new(rel_path)) {
        Ok(e) => e,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if entry.kind() != Some(ObjectType::Blob) {
        return Ok(None);
    }
    let blob = repo.find_blob(entry.id())?;
    Ok(Some(blob.content().to_vec()))
}

/// Join a work-tree-relative directory and a file name into a tree path.
pub fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{}/{name}", dir.trim_end_matches('/'))
    }
}

/// The files git tracks under `dir` (from the index), relative to `dir`, `/`-separated; `None`
/// when `dir` is not inside a work tree. Submodules and symlinks are left out.
pub fn tracked_files(dir: &Path) -> Option<Vec<String>> {
    let (repo, rel) = open(dir).ok()?;
    let index = repo.index().ok()?;
    let prefix = if rel.is_empty() {
        String::new()
    } else {
        format!("{}/", rel.trim_end_matches('/'))
    };
    let mut out = Vec::new();
    for e in index.iter() {
        // Regular files only: 0o100644 / 0o100755 (0o120000 symlink, 0o160000 submodule).
        if e.mode & 0o170_000 != 0o100_000 {
            continue;
        }
        let Ok(path) = std::str::from_utf8(&e.path) else {
            continue;
        };
        if let Some(r) = path.strip_prefix(&prefix) {
            out.push(r.to_string());
        }
    }
    Some(out)
}
