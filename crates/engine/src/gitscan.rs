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
use crate::finding::{Diagnostic, Provenance, RawFinding, Related};
use crate::policy::config::{Config, InlineIgnores};
use crate::policy::suppress::FileSuppressions;
use crate::source::SourceFile;

/// Object ids are uniform already: FxHash over their bytes instead of SipHash (the walk
/// looks up every tree entry of every commit).
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
/// Kept small: the walk holds one per unique blob until the scan is done.
struct BlobJob {
    oid: Oid,
    /// The blob at the same path in the commit's first parent, when there was one.
    before: Option<Oid>,
    /// Index into the walk's commits.
    commit: u32,
    /// Order of discovery (the merge of results is in this order).
    seq: u32,
}

/// Another path at which an already scanned blob appears (a copy, a rename, a moved directory):
/// reported as a related location of the blob's findings.
struct Copy {
    path: u32,
    commit: u32,
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
fn mark_seen(repo: &Repository, tree: &git2::Tree<'_>, w: &mut Walker) -> anyhow::Result<()> {
    let mut stack = vec![tree.id()];
    w.seen_trees.insert(tree.id(), BASE);
    while let Some(id) = stack.pop() {
        let t = repo.find_tree(id)?;
        for e in &t {
            match e.kind() {
                Some(ObjectType::Tree) if w.seen_trees.insert(e.id(), BASE).is_none() => {
                    stack.push(e.id());
                }
                Some(ObjectType::Blob) => {
                    w.seen_blobs.insert(e.id(), BASE);
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

/// Switches libgit2's object cache off while it lives (process-wide; restored on drop).
struct CacheOff;

impl CacheOff {
    fn new() -> CacheOff {
        git2::opts::enable_caching(false);
        CacheOff
    }
}

impl Drop for CacheOff {
    fn drop(&mut self) {
        git2::opts::enable_caching(true);
    }
}

/// Largest stretch of a pack libgit2 maps at once, and the most it keeps mapped in all. Its
/// defaults (1 GiB windows, 8 GiB in all on 64-bit) map a pack whole, and every page the scan
/// touches stays resident as file-backed RSS: the size of the pack, which grows with the
/// history (88 MB of RSS on 20,000 generated commits, 209 MB on 50,000). Bounded, the pages
/// of a closed window leave RSS. A pack under the limit is still mapped whole and costs
/// nothing more; above it, windows are unmapped and mapped again as the scan moves through
/// the pack (+15 % CPU on 50,000 generated commits; 8 MiB / 32 MiB cost as much on every pack
/// over 32 MiB, the generated 20k one included).
const PACK_WINDOW: usize = 32 << 20;
const PACK_MAPPED_LIMIT: usize = 128 << 20;

/// Bounds libgit2's pack mapping to [`PACK_WINDOW`] / [`PACK_MAPPED_LIMIT`], once per process.
#[allow(unsafe_code)] // the only unsafe code of the workspace: two libgit2 option setters
fn bound_pack_mapping() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: the setters write two `size_t` globals without libgit2's lock; libgit2 reads
        // them only under its mwindow mutex, when it maps a new window. They are written once
        // per process (`Once`), always to the same values, before this scan opens the pack,
        // and pipeguard reads no pack concurrently with the start of the history scan (it runs
        // after the tree scan). A failure leaves libgit2's defaults: more memory, same result.
        unsafe {
            let _ = git2::opts::set_mwindow_size(PACK_WINDOW);
            let _ = git2::opts::set_mwindow_mapped_limit(PACK_MAPPED_LIMIT);
        }
    });
}

/// libgit2's current pack mapping bounds (window size, mapped limit).
#[cfg(test)]
#[allow(unsafe_code)] // reading the two globals `bound_pack_mapping` sets
fn pack_mapping() -> (usize, usize) {
    // SAFETY: plain reads of two `size_t` globals written only by `bound_pack_mapping`'s
    // `Once` (which has completed when the caller ran it).
    unsafe {
        (
            git2::opts::get_mwindow_size().unwrap_or(0),
            git2::opts::get_mwindow_mapped_limit().unwrap_or(0),
        )
    }
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
    // Before the repository opens its pack: a window mapped with the defaults stays so.
    bound_pack_mapping();
    let (repo, prefix) = crate::git::open(&dir)?;
    let excludes = Excludes::new(&config.exclude)?;
    let git_dir = repo.path().to_path_buf();
    // Reading is not verifying: libgit2 re-hashes every object it inflates unless told not to,
    // which costs more than finding the secrets in it (`git fsck` is the tool for that).
    git2::opts::strict_hash_verification(false);
    // libgit2's object cache keeps every parsed tree and commit under 4 KiB until their raw
    // sizes pass 256 MiB — several hundred MB of parsed trees on a long history, for objects
    // the walk never reads again (each tree is walked once). Off for the history scan: the
    // same findings, flat memory (docs/secrets-history.md, "Memory").
    let _cache = CacheOff::new();

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
    let mut walker = Walker::default();
    if let Some(since) = since {
        let base = repo
            .revparse_single(since)
            .with_context(|| format!("--since: unknown git ref `{since}`"))?
            .peel_to_commit()
            .with_context(|| format!("--since: `{since}` does not name a commit"))?;
        walk.hide(base.id())?;
        mark_seen(&repo, &base.tree()?, &mut walker)?;
    }

    let spinner = progress_bar(None, "walking history");
    // Commit ids only: authors and dates are read again for the few commits with findings.
    let mut commits: Vec<Oid> = Vec::new();
    // Parents come before their children in the walk: their trees are known by then. Only
    // commits whose children are still to come are kept.
    let mut tree_of: OidMap<Oid> = OidMap::default();
    if pushed > 0 {
        for oid in walk {
            let commit = repo.find_commit(oid?)?;
            let ci = u32::try_from(commits.len()).unwrap_or(u32::MAX);
            commits.push(commit.id());
            let tree_id = commit.tree_id();
            // The first parent's tree at the same path: a changed blob is scanned for what it
            // added to the parent's version, as `git log -p` shows it. A commit's tree is kept
            // until its first child is walked (later children of a branch point, rare, find it
            // again): the map holds the walk's frontier, not the history.
            let mut parent_tree = None;
            for (i, p) in commit.parent_ids().enumerate() {
                let known = tree_of.remove(&p);
                if i == 0 {
                    parent_tree = Some(match known {
                        Some(t) => t,
                        None => repo.find_commit(p)?.tree_id(),
                    });
                }
            }
            tree_of.insert(commit.id(), tree_id);
            walker.walk_commit(&repo, tree_id, parent_tree, ci, &prefix, &excludes)?;
            if let Some(s) = &spinner {
                s.set_message(format!(
                    "walking history: {} commits, {} blobs",
                    commits.len(),
                    walker.jobs
                ));
                s.tick();
            }
        }
    }
    if let Some(s) = spinner {
        s.finish_and_clear();
    }
    let Walker {
        paths,
        chains,
        copies,
        jobs: job_count,
        ..
    } = walker;

    let analyzer = SecretsAnalyzer::default();
    let max = config.max_file_size();
    let bar = progress_bar(Some(job_count as u64), "scanning blobs");
    let bytes = std::sync::atomic::AtomicU64::new(0);
    let mut order: Vec<usize> = (0..chains.len())
        .filter(|&c| !chains[c].is_empty())
        .collect();
    order.sort_by_key(|&c| std::cmp::Reverse(chains[c].len()));
    // Only blobs with something to report are kept: the result list does not grow with the
    // history.
    let mut results: Vec<(u32, u32, &BlobJob, BlobResult)> = order
        .par_iter()
        .flat_map_iter(|&c| {
            let mut last = None;
            let mut out = Vec::new();
            for job in &chains[c] {
                let r = scan_blob(
                    &git_dir, &paths[c], job, &mut last, &analyzer, config, max, &commits,
                );
                bytes.fetch_add(r.bytes, std::sync::atomic::Ordering::Relaxed);
                if let Some(b) = &bar {
                    b.inc(1);
                }
                if !r.findings.is_empty() || !r.diagnostics.is_empty() || r.suppressed > 0 {
                    out.push((job.seq, c as u32, job, r));
                }
            }
            out
        })
        .collect();
    results.sort_by_key(|(seq, ..)| *seq);
    if let Some(b) = bar {
        b.finish_and_clear();
    }

    let mut history = History {
        findings: Vec::new(),
        diagnostics: Vec::new(),
        commits: commits.len(),
        blobs: job_count,
        bytes: bytes.into_inner(),
        suppressed_inline: 0,
    };
    // The same secret in later versions of a file is one finding: the earliest commit's.
    let mut first: HashMap<(String, String, String), usize> = HashMap::new();
    // Per finding: the commit it was found in and its blob (for the copies).
    let mut origin: Vec<(u32, Oid)> = Vec::new();
    for (_, _, job, r) in results {
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
                    if job.commit < origin[i].0 {
                        history.findings[i] = f;
                        origin[i] = (job.commit, job.oid);
                    }
                }
                None => {
                    first.insert(key, history.findings.len());
                    history.findings.push(f);
                    origin.push((job.commit, job.oid));
                }
            }
        }
    }
    // Every other path at which the blob appears: the copies a clean-up must also remove.
    if !copies.is_empty() {
        for (f, (_, oid)) in history.findings.iter_mut().zip(&origin) {
            let Some(list) = copies.get(oid) else {
                continue;
            };
            let mut shown: Vec<u32> = Vec::new();
            for c in list {
                if shown.contains(&c.path) || paths[c.path as usize] == f.location.path {
                    continue;
                }
                shown.push(c.path);
                let mut location = f.location.clone();
                location.path.clone_from(&paths[c.path as usize]);
                let commit = commits[c.commit as usize].to_string();
                f.related.push(Related {
                    location,
                    message: format!("the same content at this path (commit {})", &commit[..12]),
                });
            }
        }
    }
    Ok(history)
}

/// Seen trees and blobs, where they were first seen, and the unique blobs to scan.
#[derive(Default)]
struct Walker {
    /// Tree id → hash of the path it was first walked at.
    seen_trees: OidMap<u64>,
    /// Blob id → hash of the path it was first scanned at.
    seen_blobs: OidMap<u64>,
    /// Trees and blobs already met at a second path (walked or recorded once per path).
    placed: HashSet<(Oid, u64), BuildHasherDefault<rustc_hash::FxHasher>>,
    /// Every path met, by id; `chains[i]` holds the jobs of `paths[i]`.
    paths: Vec<String>,
    path_ids: HashMap<String, u32>,
    chains: Vec<Vec<BlobJob>>,
    copies: OidMap<Vec<Copy>>,
    jobs: usize,
}

/// Path hash of the base of a `--since` walk: not a path, never a copy.
const BASE: u64 = u64::MAX;

fn path_hash(base: u64, name: &[u8]) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = BuildHasherDefault::<rustc_hash::FxHasher>::default().build_hasher();
    h.write_u64(base);
    h.write(name);
    h.finish()
}

impl Walker {
    fn path_id(&mut self, path: &str) -> u32 {
        if let Some(&i) = self.path_ids.get(path) {
            return i;
        }
        let i = u32::try_from(self.paths.len()).unwrap_or(u32::MAX);
        self.paths.push(path.to_string());
        self.path_ids.insert(path.to_string(), i);
        self.chains.push(Vec::new());
        i
    }

    /// Walk the trees of one commit: every tree and blob not seen at the same path before.
    fn walk_commit(
        &mut self,
        repo: &Repository,
        tree: Oid,
        parent_tree: Option<Oid>,
        commit: u32,
        prefix: &str,
        excludes: &Excludes,
    ) -> anyhow::Result<()> {
        let root_hash = path_hash(0, b"");
        match self.seen_trees.get(&tree) {
            Some(_) => return Ok(()),
            None => {
                self.seen_trees.insert(tree, root_hash);
            }
        }
        let mut stack: Vec<(Oid, Option<Oid>, String, u64)> =
            vec![(tree, parent_tree, String::new(), root_hash)];
        while let Some((id, parent_id, base, base_hash)) = stack.pop() {
            let t = repo.find_tree(id)?;
            let parent = match parent_id {
                Some(p) => Some(repo.find_tree(p)?),
                None => None,
            };
            for e in &t {
                let kind = e.kind();
                let blob = kind == Some(ObjectType::Blob);
                if !(kind == Some(ObjectType::Tree) || blob && is_file_mode(e.filemode() as u32)) {
                    continue;
                }
                let id = e.id();
                let hash = path_hash(base_hash, e.name_bytes());
                let seen = if blob {
                    &self.seen_blobs
                } else {
                    &self.seen_trees
                };
                // Most entries are unchanged since the parent: settled on the id alone.
                let copy = match seen.get(&id) {
                    Some(&h) if h == hash || h == BASE => continue,
                    Some(_) => {
                        if !self.placed.insert((id, hash)) {
                            continue;
                        }
                        true
                    }
                    None => false,
                };
                let name = String::from_utf8_lossy(e.name_bytes());
                let path = if base.is_empty() {
                    name.into_owned()
                } else {
                    format!("{base}/{name}")
                };
                if !blob {
                    if !copy {
                        self.seen_trees.insert(id, hash);
                    }
                    let before = parent
                        .as_ref()
                        .and_then(|p| p.get_name_bytes(e.name_bytes()))
                        .filter(|b| b.kind() == kind)
                        .map(|b| b.id());
                    stack.push((id, before, path, hash));
                    continue;
                }
                let Some(rel) = under(prefix, &path) else {
                    continue;
                };
                if excludes.excludes(rel) {
                    continue;
                }
                let pid = self.path_id(rel);
                if copy {
                    self.copies
                        .entry(id)
                        .or_default()
                        .push(Copy { path: pid, commit });
                    continue;
                }
                self.seen_blobs.insert(id, hash);
                let before = parent
                    .as_ref()
                    .and_then(|p| p.get_name_bytes(e.name_bytes()))
                    .filter(|b| b.kind() == kind)
                    .map(|b| b.id());
                let seq = u32::try_from(self.jobs).unwrap_or(u32::MAX);
                self.jobs += 1;
                self.chains[pid as usize].push(BlobJob {
                    oid: id,
                    before,
                    commit,
                    seq,
                });
            }
        }
        Ok(())
    }
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
#[allow(clippy::too_many_arguments)]
fn scan_blob(
    git_dir: &Path,
    path: &str,
    job: &BlobJob,
    last: &mut Option<(Oid, Vec<u8>)>,
    analyzer: &SecretsAnalyzer,
    config: &Config,
    max: u64,
    commits: &[Oid],
) -> BlobResult {
    let mut r = BlobResult::default();
    let commit = commits[job.commit as usize];
    let at = || {
        format!(
            "{path} (blob {} in commit {})",
            &job.oid.to_string()[..12],
            &commit.to_string()[..12]
        )
    };
    let archive = SecretsAnalyzer::wants_archive(path, config);
    let limit = if archive {
        max.max(crate::analyzers::secrets::ARCHIVE_MAX)
    } else {
        max
    };
    let read = with_repo(git_dir, |repo| -> Result<Option<Versions>, git2::Error> {
        let odb = repo.odb()?;
        let (size, _) = odb.read_header(job.oid)?;
        if size as u64 > limit {
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
                format!("skipped: larger than {}", human_size(limit)),
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
        // Archives are read whole, members and all (they are not diffed).
        if archive {
            let mut out = Output::default();
            if analyzer.scan_archive(path, &bytes, config, &mut out) {
                let prov = finding_provenance(git_dir, commit, &out);
                r.findings
                    .extend(out.findings.into_iter().map(|f| match &prov {
                        Some(p) => f.provenance(p.clone()),
                        None => f,
                    }));
                r.diagnostics.extend(out.diagnostics);
            }
        }
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
    let kind = classify(path, &text);
    let file = SourceFile::new(path.to_string(), kind, text);
    let mut out = Output::default();
    analyzer.scan_lines(&file, config, lines, &mut out);
    // `inline_ignores: off` (also what trusted mode makes of `trusted-only` here: a directive in
    // a past blob cannot be checked against the trusted ref's version of that blob).
    let suppress = (config.inline_ignores != Some(InlineIgnores::Off))
        .then(|| FileSuppressions::parse(&file.text))
        .flatten();
    let prov = finding_provenance(git_dir, commit, &out);
    for f in out.findings {
        // Inline suppressions apply to the version of the file that has them.
        if suppress
            .as_ref()
            .is_some_and(|s| s.matching(&f.rule_id, f.location.start_line).is_some())
        {
            r.suppressed += 1;
            continue;
        }
        match &prov {
            Some(p) => r.findings.push(f.provenance(p.clone())),
            None => r.findings.push(f),
        }
    }
    r.diagnostics.extend(out.diagnostics);
    if exact {
        *last = Some((job.oid, file.text.into_bytes()));
    }
    r
}

/// Author and date only for the commits that have findings.
fn finding_provenance(git_dir: &Path, commit: Oid, out: &Output) -> Option<Provenance> {
    if out.findings.is_empty() {
        return None;
    }
    match with_repo(git_dir, |repo| {
        repo.find_commit(commit).map(|c| provenance(&c))
    }) {
        Ok(Ok(p)) => Some(p),
        _ => Some(Provenance {
            commit: commit.to_string(),
            author: String::new(),
            date: String::new(),
        }),
    }
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

    /// The history scan bounds libgit2's pack mapping: file-backed RSS no longer grows with
    /// the pack (docs/secrets-history.md, "Phase 3").
    #[test]
    fn history_scan_bounds_the_pack_mapping() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let repo = Repository::init(dir.path())?;
        let sig = git2::Signature::new("t", "t@example.com", &git2::Time::new(0, 0))?;
        let mut tb = repo.treebuilder(None)?;
        tb.insert("a.txt", repo.blob(b"hello\n")?, 0o100_644)?;
        let tree = repo.find_tree(tb.write()?)?;
        repo.commit(Some("HEAD"), &sig, &sig, "c", &tree, &[])?;
        let h = scan_history(dir.path(), &Config::default(), None)?;
        assert_eq!((h.commits, h.blobs), (1, 1));
        assert_eq!(pack_mapping(), (PACK_WINDOW, PACK_MAPPED_LIMIT));
        Ok(())
    }

    #[test]
    fn paths_under_the_scan_root() {
        assert_eq!(under("", "a/b"), Some("a/b"));
        assert_eq!(under("a", "a/b"), Some("b"));
        assert_eq!(under("a", "ab/c"), None);
    }
}
