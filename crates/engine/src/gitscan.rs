//! Scanning what git holds instead of the working tree: the staged blobs (pre-commit) and every
//! blob reachable from any ref (history). Read through git2; the working tree is never touched.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context;
use git2::{ObjectType, Oid, Repository, Sort};
use rayon::prelude::*;

use crate::analyzers::Output;
use crate::analyzers::secrets::SecretsAnalyzer;
use crate::discover::{Candidate, Excludes, Origin, classify, human_size};
use crate::finding::{Diagnostic, Provenance, RawFinding};
use crate::policy::config::{Config, InlineIgnores};
use crate::policy::suppress::FileSuppressions;
use crate::source::SourceFile;

/// Object ids are uniform already: FxHash over their bytes instead of SipHash (the walk
/// looks up every tree entry of every commit).
type OidSet = HashSet<Oid, BuildHasherDefault<rustc_hash::FxHasher>>;
type OidMap<V> = HashMap<Oid, V, BuildHasherDefault<rustc_hash::FxHasher>>;

/// Git file modes of regular files (symlinks and submodules are not content).
fn is_file_mode(mode: u32) -> bool {
    mode == 0o100_644 || mode == 0o100_755 || mode == 0o100_664
}

/// `path` relative to the scanned directory `prefix` (the work-tree-relative scan root), or
/// `None` when it lies outside.
fn under<'a>(prefix: &str, path: &'a str) -> Option<&'a str> {
    if prefix.is_empty() {
        return Some(path);
    }
    path.strip_prefix(prefix)?.strip_prefix('/')
}

/// The index the user's `git commit` will write: `$GIT_INDEX_FILE` when git set one (e.g.
/// `git commit -a`, `git commit FILE`), else the repository's.
fn staged_index(repo: &Repository) -> anyhow::Result<git2::Index> {
    if let Some(p) = std::env::var_os("GIT_INDEX_FILE") {
        let path = PathBuf::from(p);
        let path = if path.is_relative() {
            repo.workdir().map_or(path.clone(), |w| w.join(&path))
        } else {
            path
        };
        return git2::Index::open(&path)
            .with_context(|| format!("cannot read the git index {}", path.display()));
    }
    Ok(repo.index()?)
}

/// Files staged for the next commit (added, modified, renamed, type-changed) as in-memory
/// candidates, read from the index's blobs: what will be committed, not what is on disk.
pub fn staged_candidates(root: &Path, exclude: &[String]) -> anyhow::Result<Vec<Candidate>> {
    let excludes = Excludes::new(exclude)?;
    let dir = if root.is_file() {
        root.parent().map(Path::to_path_buf).unwrap_or_default()
    } else {
        root.to_path_buf()
    };
    let (repo, prefix) = crate::git::open(&dir)?;
    let index = staged_index(&repo)?;
    let head = match repo.head() {
        Ok(h) => Some(h.peel_to_tree()?),
        // A repository without commits: everything in the index is new.
        Err(e)
            if e.code() == git2::ErrorCode::UnbornBranch
                || e.code() == git2::ErrorCode::NotFound =>
        {
            None
        }
        Err(e) => return Err(e.into()),
    };
    let diff = repo.diff_tree_to_index(head.as_ref(), Some(&index), None)?;
    let mut out = Vec::new();
    for delta in diff.deltas() {
        use git2::Delta;
        if !matches!(
            delta.status(),
            Delta::Added | Delta::Modified | Delta::Renamed | Delta::Copied | Delta::Typechange
        ) {
            continue;
        }
        let new = delta.new_file();
        if !is_file_mode(u32::from(new.mode())) {
            continue;
        }
        let Some(path) = new.path().map(|p| p.to_string_lossy().replace('\\', "/")) else {
            continue;
        };
        let Some(rel) = under(&prefix, &path) else {
            continue;
        };
        if excludes.excludes(rel) {
            continue;
        }
        if root.is_file() && Some(rel) != root.file_name().and_then(|n| n.to_str()) {
            continue;
        }
        let blob = repo
            .find_blob(new.id())
            .with_context(|| format!("cannot read the staged blob of {path}"))?;
        out.push(Candidate {
            rel: rel.to_string(),
            origin: Origin::Memory {
                bytes: blob.content().to_vec(),
                provenance: None,
            },
        });
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(out)
}

/// One unique blob of the history and the first commit (in topological order) that had it.
struct BlobJob {
    oid: Oid,
    /// The blob at the same path in the commit's first parent, when there was one.
    before: Option<Oid>,
    path: String,
    commit: usize,
}

/// What a history scan found, before the policy runs.
pub struct History {
    pub findings: Vec<RawFinding>,
    pub diagnostics: Vec<Diagnostic>,
    pub commits: usize,
    pub blobs: usize,
    pub bytes: u64,
    pub suppressed_inline: usize,
}

#[allow(clippy::many_single_char_names)] // the published algorithm's names
fn rfc3339(t: git2::Time) -> String {
    let offset = i64::from(t.offset_minutes());
    let secs = t.seconds() + offset * 60;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let sign = if offset < 0 { '-' } else { '+' };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        offset.abs() / 60,
        offset.abs() % 60
    )
}

fn provenance(c: &git2::Commit<'_>) -> Provenance {
    let a = c.author();
    let name = String::from_utf8_lossy(a.name_bytes()).into_owned();
    let email = String::from_utf8_lossy(a.email_bytes()).into_owned();
    Provenance {
        commit: c.id().to_string(),
        author: if email.is_empty() {
            name
        } else {
            format!("{name} <{email}>")
        },
        date: rfc3339(a.when()),
    }
}

/// Mark every tree and blob of `tree` as seen (the `--since` base: not new).
fn mark_seen(
    repo: &Repository,
    tree: &git2::Tree<'_>,
    trees: &mut OidSet,
    blobs: &mut OidSet,
) -> anyhow::Result<()> {
    let mut stack = vec![tree.id()];
    trees.insert(tree.id());
    while let Some(id) = stack.pop() {
        let t = repo.find_tree(id)?;
        for e in &t {
            match e.kind() {
                Some(ObjectType::Tree) if trees.insert(e.id()) => stack.push(e.id()),
                Some(ObjectType::Blob) => {
                    blobs.insert(e.id());
                }
                _ => {}
            }
        }
    }
    Ok(())
}

fn progress_bar(len: Option<u64>, what: &str) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let pb = match len {
        Some(n) => indicatif::ProgressBar::new(n).with_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:30}] {pos}/{len} ({per_sec}, eta {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        ),
        None => indicatif::ProgressBar::new_spinner(),
    };
    pb.set_message(what.to_string());
    Some(pb)
}

thread_local! {
    /// Each rayon worker opens the repository once (git2 handles are not shareable).
    static REPO: RefCell<Option<(PathBuf, Repository)>> = const { RefCell::new(None) };
}

fn with_repo<T>(path: &Path, f: impl FnOnce(&Repository) -> T) -> Result<T, git2::Error> {
    REPO.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.as_ref().is_none_or(|(p, _)| p != path) {
            *slot = Some((path.to_path_buf(), Repository::open(path)?));
        }
        match slot.as_ref() {
            Some((_, repo)) => Ok(f(repo)),
            None => Err(git2::Error::from_str("repository not open")),
        }
    })
}

/// Secrets in every blob reachable from any ref (or only those new since `since`), each
/// unique blob scanned once, in parallel; findings carry the first commit that had the blob.
pub fn scan_history(root: &Path, config: &Config, since: Option<&str>) -> anyhow::Result<History> {
    let dir = if root.is_file() {
        root.parent().map(Path::to_path_buf).unwrap_or_default()
    } else {
        root.to_path_buf()
    };
    let (repo, prefix) = crate::git::open(&dir)?;
    let excludes = Excludes::new(&config.exclude)?;
    let git_dir = repo.path().to_path_buf();
    // Reading is not verifying: libgit2 re-hashes every object it inflates unless told not to,
    // which costs more than finding the secrets in it (`git fsck` is the tool for that).
    git2::opts::strict_hash_verification(false);

    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    let mut pushed = 0;
    if let Ok(head) = repo.head()
        && let Ok(c) = head.peel_to_commit()
    {
        walk.push(c.id())?;
        pushed += 1;
    }
    for r in repo.references()? {
        let r = r?;
        if let Ok(c) = r.peel_to_commit() {
            walk.push(c.id())?;
            pushed += 1;
        }
    }
    let mut seen_trees = OidSet::default();
    let mut seen_blobs = OidSet::default();
    if let Some(since) = since {
        let base = repo
            .revparse_single(since)
            .with_context(|| format!("--since: unknown git ref `{since}`"))?
            .peel_to_commit()
            .with_context(|| format!("--since: `{since}` does not name a commit"))?;
        walk.hide(base.id())?;
        mark_seen(&repo, &base.tree()?, &mut seen_trees, &mut seen_blobs)?;
    }

    let spinner = progress_bar(None, "walking history");
    let mut commits: Vec<Provenance> = Vec::new();
    let mut jobs: Vec<BlobJob> = Vec::new();
    // Parents come before their children in the walk: their trees are known by then.
    let mut tree_of: OidMap<Oid> = OidMap::default();
    if pushed > 0 {
        for oid in walk {
            let commit = repo.find_commit(oid?)?;
            let ci = commits.len();
            commits.push(provenance(&commit));
            let tree = commit.tree()?;
            if !seen_trees.insert(tree.id()) {
                tree_of.insert(commit.id(), tree.id());
                continue;
            }
            // The first parent's tree at the same path: a changed blob is scanned for what it
            // added to the parent's version, as `git log -p` shows it.
            let parent_tree = match commit.parent_ids().next() {
                Some(p) => match tree_of.get(&p) {
                    Some(t) => Some(*t),
                    None => Some(repo.find_commit(p)?.tree_id()),
                },
                None => None,
            };
            tree_of.insert(commit.id(), tree.id());
            let mut stack: Vec<(Oid, Option<Oid>, String)> =
                vec![(tree.id(), parent_tree, String::new())];
            while let Some((id, parent_id, base)) = stack.pop() {
                let t = repo.find_tree(id)?;
                let parent = match parent_id {
                    Some(p) => Some(repo.find_tree(p)?),
                    None => None,
                };
                for e in &t {
                    // Most entries are unchanged since the parent: settle those on the id alone.
                    let new = match e.kind() {
                        Some(ObjectType::Tree) => seen_trees.insert(e.id()),
                        Some(ObjectType::Blob) => {
                            is_file_mode(e.filemode() as u32) && seen_blobs.insert(e.id())
                        }
                        _ => false,
                    };
                    if !new {
                        continue;
                    }
                    let before = parent
                        .as_ref()
                        .and_then(|p| p.get_name_bytes(e.name_bytes()));
                    let before = before.filter(|b| b.kind() == e.kind()).map(|b| b.id());
                    let name = String::from_utf8_lossy(e.name_bytes());
                    let path = if base.is_empty() {
                        name.into_owned()
                    } else {
                        format!("{base}/{name}")
                    };
                    if e.kind() == Some(ObjectType::Tree) {
                        stack.push((e.id(), before, path));
                    } else if let Some(rel) = under(&prefix, &path)
                        && !excludes.excludes(rel)
                    {
                        jobs.push(BlobJob {
                            oid: e.id(),
                            before,
                            path: rel.to_string(),
                            commit: ci,
                        });
                    }
                }
            }
            if let Some(s) = &spinner {
                s.set_message(format!(
                    "walking history: {} commits, {} blobs",
                    commits.len(),
                    jobs.len()
                ));
                s.tick();
            }
        }
    }
    if let Some(s) = spinner {
        s.finish_and_clear();
    }

    let analyzer = SecretsAnalyzer::default();
    let max = config.max_file_size();
    let bar = progress_bar(Some(jobs.len() as u64), "scanning blobs");
    // The versions of one path in order, scanned in sequence by one worker: each blob is
    // compared with the version before it while that is still in memory.
    let mut chains: Vec<Vec<usize>> = Vec::new();
    let mut chain_of: HashMap<&str, usize> = HashMap::new();
    for (i, job) in jobs.iter().enumerate() {
        let c = *chain_of.entry(job.path.as_str()).or_insert_with(|| {
            chains.push(Vec::new());
            chains.len() - 1
        });
        chains[c].push(i);
    }
    chains.sort_by_key(|c| std::cmp::Reverse(c.len()));
    let mut results: Vec<(usize, BlobResult)> = chains
        .par_iter()
        .flat_map_iter(|chain| {
            let mut last = None;
            let mut out = Vec::with_capacity(chain.len());
            for &i in chain {
                let r = scan_blob(
                    &git_dir, &jobs[i], &mut last, &analyzer, config, max, &commits,
                );
                if let Some(b) = &bar {
                    b.inc(1);
                }
                out.push((i, r));
            }
            out
        })
        .collect();
    results.sort_by_key(|(i, _)| *i);
    if let Some(b) = bar {
        b.finish_and_clear();
    }

    let mut history = History {
        findings: Vec::new(),
        diagnostics: Vec::new(),
        commits: commits.len(),
        blobs: jobs.len(),
        bytes: 0,
        suppressed_inline: 0,
    };
    // The same secret in later versions of a file is one finding: the earliest commit's.
    let mut first: HashMap<(String, String, String), usize> = HashMap::new();
    for ((_, r), job) in results.into_iter().zip(&jobs) {
        history.bytes += r.bytes;
        history.suppressed_inline += r.suppressed;
        history.diagnostics.extend(r.diagnostics);
        for f in r.findings {
            let key = (
                f.rule_id.clone(),
                f.location.path.clone(),
                f.fingerprint_content().to_string(),
            );
            match first.get(&key) {
                Some(&i) => {
                    let prev: &RawFinding = &history.findings[i];
                    let prev_commit = commit_index(&commits, prev);
                    if job.commit < prev_commit {
                        history.findings[i] = f;
                    }
                }
                None => {
                    first.insert(key, history.findings.len());
                    history.findings.push(f);
                }
            }
        }
    }
    Ok(history)
}

fn commit_index(commits: &[Provenance], f: &RawFinding) -> usize {
    f.provenance
        .as_ref()
        .and_then(|p| commits.iter().position(|c| c.commit == p.commit))
        .unwrap_or(usize::MAX)
}

#[derive(Default)]
struct BlobResult {
    findings: Vec<RawFinding>,
    diagnostics: Vec<Diagnostic>,
    bytes: u64,
    suppressed: usize,
}

/// A blob's bytes and, when it could be read, its path's previous version.
type Versions = (Vec<u8>, Option<Vec<u8>>);

/// Scan one blob for what it added to its path's previous version; `last` carries the
/// previous blob of the chain in and this one out.
fn scan_blob(
    git_dir: &Path,
    job: &BlobJob,
    last: &mut Option<(Oid, Vec<u8>)>,
    analyzer: &SecretsAnalyzer,
    config: &Config,
    max: u64,
    commits: &[Provenance],
) -> BlobResult {
    let mut r = BlobResult::default();
    let at = || {
        format!(
            "{} (blob {} in commit {})",
            job.path,
            &job.oid.to_string()[..12],
            &commits[job.commit].commit[..12]
        )
    };
    let read = with_repo(git_dir, |repo| -> Result<Option<Versions>, git2::Error> {
        let odb = repo.odb()?;
        let (size, _) = odb.read_header(job.oid)?;
        if size as u64 > max {
            return Ok(None);
        }
        let bytes = repo.find_blob(job.oid)?.content().to_vec();
        // The parent's version is only needed to find the changed lines; unreadable or huge,
        // the whole blob is scanned instead.
        let kept = last.take().filter(|(id, _)| Some(*id) == job.before);
        let before = kept.map(|(_, b)| b).or_else(|| {
            let b = job.before?;
            let (size, _) = odb.read_header(b).ok()?;
            if size as u64 > max {
                return None;
            }
            Some(repo.find_blob(b).ok()?.content().to_vec())
        });
        Ok(Some((bytes, before)))
    });
    let (bytes, before) = match read {
        Ok(Ok(Some(b))) => b,
        Ok(Ok(None)) => {
            r.diagnostics.push(Diagnostic::note(
                at(),
                format!("skipped: larger than {}", human_size(max)),
            ));
            return r;
        }
        Ok(Err(e)) | Err(e) => {
            r.diagnostics
                .push(Diagnostic::error(at(), format!("cannot read blob: {e}")));
            return r;
        }
    };
    r.bytes = bytes.len() as u64;
    if memchr::memchr(0, &bytes[..bytes.len().min(8192)]).is_some() {
        return r;
    }
    let lines = match &before {
        Some(old) if memchr::memchr(0, &old[..old.len().min(8192)]).is_none() => {
            added_lines(old, &bytes)
        }
        _ => 0..bytes.len(),
    };
    let (text, exact) = match String::from_utf8(bytes) {
        Ok(t) => (t, true),
        Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), false),
    };
    // Lossy decoding may have moved byte offsets: then the whole blob is scanned.
    let lines = if exact { lines } else { 0..text.len() };
    let kind = classify(&job.path, &text);
    let file = SourceFile::new(job.path.clone(), kind, text);
    let mut out = Output::default();
    analyzer.scan_lines(&file, config, lines, &mut out);
    // `inline_ignores: off` (also what trusted mode makes of `trusted-only` here: a directive in
    // a past blob cannot be checked against the trusted ref's version of that blob).
    let suppress = (config.inline_ignores != Some(InlineIgnores::Off))
        .then(|| FileSuppressions::parse(&file.text))
        .flatten();
    for f in out.findings {
        // Inline suppressions apply to the version of the file that has them.
        if suppress
            .as_ref()
            .is_some_and(|s| s.matching(&f.rule_id, f.location.start_line).is_some())
        {
            r.suppressed += 1;
            continue;
        }
        r.findings.push(f.provenance(commits[job.commit].clone()));
    }
    r.diagnostics.extend(out.diagnostics);
    if exact {
        *last = Some((job.oid, file.text.into_bytes()));
    }
    r
}

/// The whole lines of `new` that differ from `old`: what is left between their common prefix
/// and common suffix, widened to line boundaries (a deletion leaves the line it joined).
fn added_lines(old: &[u8], new: &[u8]) -> std::ops::Range<usize> {
    let prefix = common_prefix(old, new);
    let room = old.len().min(new.len()) - prefix;
    let suffix = common_suffix(&old[old.len() - room..], &new[new.len() - room..]);
    let changed_end = new.len() - suffix;
    let start = memchr::memrchr(b'\n', &new[..prefix]).map_or(0, |i| i + 1);
    // Through the end of the line holding the first unchanged byte: when the change ends in a
    // newline, the line after it was joined differently before.
    let from = changed_end.max(start);
    let end = memchr::memchr(b'\n', &new[from..]).map_or(new.len(), |i| from + i + 1);
    start..end
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const CHUNK: usize = 64;
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + CHUNK <= n && a[i..i + CHUNK] == b[i..i + CHUNK] {
        i += CHUNK;
    }
    i + a[i..n]
        .iter()
        .zip(&b[i..n])
        .take_while(|(x, y)| x == y)
        .count()
}

fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    const CHUNK: usize = 64;
    let n = a.len().min(b.len());
    let (a, b) = (&a[a.len() - n..], &b[b.len() - n..]);
    let mut k = 0;
    while k + CHUNK <= n && a[n - k - CHUNK..n - k] == b[n - k - CHUNK..n - k] {
        k += CHUNK;
    }
    k + a[..n - k]
        .iter()
        .rev()
        .zip(b[..n - k].iter().rev())
        .take_while(|(x, y)| x == y)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_rfc3339() {
        assert_eq!(rfc3339(git2::Time::new(0, 0)), "1970-01-01T00:00:00+00:00");
        assert_eq!(
            rfc3339(git2::Time::new(1_700_000_000, 60)),
            "2023-11-14T23:13:20+01:00"
        );
        assert_eq!(
            rfc3339(git2::Time::new(951_782_400, -300)),
            "2000-02-28T19:00:00-05:00"
        );
    }

    /// The lines `added_lines` picks, as text.
    fn added(old: &str, new: &str) -> String {
        new[added_lines(old.as_bytes(), new.as_bytes())].to_string()
    }

    #[test]
    fn added_lines_cover_the_change_and_the_line_after_it() {
        // Appended lines (the old last line had no newline: it changed too).
        assert_eq!(added("a\nb", "a\nb\nc\nd"), "b\nc\nd");
        assert_eq!(added("a\nb\n", "a\nb\nc\n"), "c\n");
        // Inserted in the middle: the inserted line and the one that now follows it.
        assert_eq!(added("a\nb\nz\n", "a\nb\nX\nz\n"), "X\nz\n");
        // A character changed inside a line: that line only.
        assert_eq!(added("abc\ndef\nghi\n", "abc\ndXf\nghi\n"), "dXf\n");
        // Deleted lines: the line that closed the gap.
        assert_eq!(added("a\nb\nc\n", "a\nc\n"), "c\n");
        // A line joined: the joined line.
        assert_eq!(added("key =\nvalue\n", "key = value\n"), "key = value\n");
        // Identical, emptied, new.
        assert_eq!(added("a\nb\n", "a\nb\n"), "");
        assert_eq!(added("a\n", ""), "");
        assert_eq!(added("", "x\ny\n"), "x\ny\n");
        // Repeated content: prefix and suffix never overlap.
        assert_eq!(added("aaaa\n", "aaaa\naaaa\n"), "aaaa\n");
    }

    #[test]
    fn common_prefix_and_suffix_across_chunks() {
        let a: Vec<u8> = (0..300u32).map(|i| (i % 251) as u8).collect();
        let mut b = a.clone();
        b[200] = 255;
        assert_eq!(common_prefix(&a, &b), 200);
        assert_eq!(common_suffix(&a, &b), 99);
        assert_eq!(common_prefix(&a, &a[..130]), 130);
        assert_eq!(common_suffix(&a, &a[170..]), 130);
    }

    #[test]
    fn paths_under_the_scan_root() {
        assert_eq!(under("", "a/b"), Some("a/b"));
        assert_eq!(under("a", "a/b"), Some("b"));
        assert_eq!(under("a", "ab/c"), None);
    }
}
