//! Walk the scan root once (parallel, .gitignore-aware, crate `ignore`) and classify files by
//! name and, where the name is not enough, by content.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState, overrides::OverrideBuilder};

use crate::finding::{Diagnostic, Provenance};
pub use crate::source::FileKind;
use crate::source::SourceFile;

/// Classification from the path alone; `None` means "look at the content" (YAML, config.xml).
pub fn classify_by_name(rel: &str) -> Option<FileKind> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let lower = name.to_ascii_lowercase();
    let is_yaml = lower.ends_with(".yml") || lower.ends_with(".yaml");

    if is_yaml {
        let parent = rel.rsplit_once('/').map_or("", |(p, _)| p);
        if parent == ".github/workflows" || parent.ends_with("/.github/workflows") {
            return Some(FileKind::GithubWorkflow);
        }
        if lower == "action.yml" || lower == "action.yaml" {
            return Some(FileKind::GithubAction);
        }
        if (lower == "dependabot.yml" || lower == "dependabot.yaml")
            && (parent == ".github" || parent.ends_with("/.github"))
        {
            return Some(FileKind::GithubDependabot);
        }
        if lower == ".pre-commit-config.yml" || lower == ".pre-commit-config.yaml" {
            return Some(FileKind::PreCommitConfig);
        }
        if lower.starts_with("docker-compose")
            || lower.starts_with("compose.")
            || lower.starts_with("compose-")
        {
            return Some(FileKind::Compose);
        }
        return None;
    }
    if name == "Jenkinsfile" || name.starts_with("Jenkinsfile.") || lower.ends_with(".jenkinsfile")
    {
        return Some(FileKind::Jenkinsfile);
    }
    // `Jenkinsfile_windows`, `Jenkinsfile-release`, `JenkinsfileBase` (not docs or scripts about
    // them: `Jenkinsfile_test.py`).
    if let Some(rest) = name.strip_prefix("Jenkinsfile")
        && rest
            .chars()
            .next()
            .is_some_and(|c| c == '_' || c == '-' || c.is_ascii_uppercase())
        && !is_source_or_doc(&lower)
    {
        return Some(FileKind::Jenkinsfile);
    }
    if (lower == "dockerfile"
        || lower == "containerfile"
        || lower.starts_with("dockerfile.")
        || lower.starts_with("containerfile.")
        || lower.ends_with(".dockerfile")
        || lower.ends_with(".containerfile"))
        && !lower.ends_with(".dockerignore")
        && !is_source_or_doc(&lower)
    {
        return Some(FileKind::Dockerfile);
    }
    if lower.ends_with(".tf") {
        return Some(FileKind::Terraform);
    }
    if lower == "config.xml" || lower.ends_with(".json") || lower.ends_with(".conflist") {
        return None;
    }
    Some(FileKind::Other)
}

/// `dockerfile.rs`, `Dockerfile.md`: code or docs about Dockerfiles, not Dockerfiles
/// (`Dockerfile.prod`, `Dockerfile.alpine` are).
fn is_source_or_doc(lower: &str) -> bool {
    const EXT: &[&str] = &[
        ".md", ".rs", ".py", ".go", ".js", ".ts", ".java", ".rb", ".sh", ".txt", ".json", ".yml",
        ".yaml", ".toml", ".html", ".rst", ".j2", ".tpl", ".snap",
    ];
    EXT.iter().any(|e| lower.ends_with(e)) && !lower.ends_with(".dockerfile")
}

/// Classify a file from its path and text.
pub fn classify(rel: &str, text: &str) -> FileKind {
    // A byte order mark is not content (SourceFile drops it too).
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(kind) = classify_by_name(rel) {
        return kind;
    }
    let lower = rel.to_ascii_lowercase();
    if lower.ends_with("config.xml") {
        return if is_jenkins_job_xml(text) {
            FileKind::JenkinsJob
        } else {
            FileKind::Other
        };
    }
    if lower.ends_with(".json") || lower.ends_with(".conflist") {
        return if looks_like_kubernetes_json(text) {
            FileKind::Kubernetes
        } else {
            FileKind::Other
        };
    }
    if looks_like_kubernetes(text) {
        return FileKind::Kubernetes;
    }
    FileKind::Other
}

/// A JSON object with `"apiVersion"` and `"kind"` among its first keys (a manifest or a
/// KubeletConfiguration written as JSON; `kubectl get -o json` output), or a CNI network
/// configuration (`"cniVersion"`). JSON is YAML, so the Kubernetes analyzer reads it as it is.
fn looks_like_kubernetes_json(text: &str) -> bool {
    let head = text.get(..text.len().min(4096)).unwrap_or(text);
    let head = head.trim_start_matches('\u{feff}').trim_start();
    head.starts_with('{')
        && ((head.contains("\"apiVersion\"") && head.contains("\"kind\""))
            || head.contains("\"cniVersion\""))
}

/// Root elements of Jenkins job and folder definitions (plugins add variants, hence the suffix
/// checks); the JENKINS_HOME `config.xml` (`<hudson>`) is not a job.
fn is_jenkins_job_xml(text: &str) -> bool {
    let Some(root) = xml_root_element(text) else {
        return false;
    };
    matches!(
        root,
        "project" | "flow-definition" | "maven2-moduleset" | "matrix-project"
    ) || root.ends_with("WorkflowMultiBranchProject")
        // MultiJob (freestyle-like, with phases) and Build Flow (a Groovy `<dsl>`).
        || root.ends_with("multijob.MultiJobProject")
        || root.ends_with("flow.BuildFlow")
        || root.ends_with("OrganizationFolder")
        || root.ends_with("folder.Folder")
        || root.ends_with("WorkflowJob")
}

/// Name of the first element, skipping the XML declaration, comments and doctype.
fn xml_root_element(text: &str) -> Option<&str> {
    let mut rest = text.trim_start_matches('\u{feff}');
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("<?") {
            rest = &r[r.find("?>")? + 2..];
        } else if let Some(r) = rest.strip_prefix("<!--") {
            rest = &r[r.find("-->")? + 3..];
        } else if let Some(r) = rest.strip_prefix("<!") {
            rest = &r[markup_declaration_end(r)?..];
        } else if let Some(r) = rest.strip_prefix('<') {
            let end = r
                .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .unwrap_or(r.len());
            return Some(&r[..end]);
        } else {
            return None;
        }
    }
}

/// End (just past the closing `>`) of a `<!DOCTYPE …>` declaration whose `<!` is already
/// consumed, internal subset (`[ <!ENTITY …> … ]`) included: quoted literals and comments in
/// the subset may contain `>` and `]`. Entities are only skipped, never expanded.
fn markup_declaration_end(r: &str) -> Option<usize> {
    let b = r.as_bytes();
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
        } else if depth > 0 && b[i..].starts_with(b"<!--") {
            // Bytes, not str slices: `i` may sit inside a multi-byte character.
            i += b[i + 4..].windows(3).position(|w| w == b"-->")? + 4 + 3;
            continue;
        } else {
            match c {
                b'"' | b'\'' => quote = Some(c),
                b'[' => depth += 1,
                b']' => depth = depth.saturating_sub(1),
                b'>' if depth == 0 => return Some(i + 1),
                _ => {}
            }
        }
        i += 1;
    }
    None
}

/// A YAML document with top-level `apiVersion:` and `kind:` keys. Helm templates (`{{ }}` outside
/// comments) are not Kubernetes YAML until rendered.
fn looks_like_kubernetes(text: &str) -> bool {
    let mut api = false;
    let mut kind = false;
    for line in text.lines() {
        if line.starts_with("apiVersion:") {
            api = true;
        } else if line.starts_with("kind:") {
            kind = true;
        } else if line.contains("{{") && !line.trim_start().starts_with('#') {
            return false;
        }
    }
    api && kind
}

/// Where a candidate's bytes come from.
#[derive(Debug)]
pub enum Origin {
    Disk(PathBuf),
    /// Bytes already in memory (a staged or historical git blob), with where it came from.
    Memory {
        bytes: Vec<u8>,
        provenance: Option<Provenance>,
    },
}

/// The config's `exclude` patterns (gitignore syntax, relative to the scan root) for paths that
/// do not come from the directory walk: staged blobs, blobs of the git history, trees at a ref.
pub struct Excludes(ignore::gitignore::Gitignore);

impl Excludes {
    pub fn new(patterns: &[String]) -> anyhow::Result<Excludes> {
        let mut b = ignore::gitignore::GitignoreBuilder::new("/");
        for pat in patterns {
            b.add_line(None, pat)
                .map_err(|e| anyhow::anyhow!("invalid exclude pattern `{pat}`: {e}"))?;
        }
        Ok(Excludes(b.build()?))
    }

    /// `rel`: a `/`-separated path relative to the scan root.
    pub fn excludes(&self, rel: &str) -> bool {
        self.0
            .matched_path_or_any_parents(Path::new("/").join(rel), false)
            .is_ignore()
    }

    /// Whether the directory `rel` (relative to the scan root) or one of its parents is excluded.
    pub fn excludes_dir(&self, rel: &str) -> bool {
        self.0
            .matched_path_or_any_parents(Path::new("/").join(rel), true)
            .is_ignore()
    }
}

/// A file to scan, before it is read.
#[derive(Debug)]
pub struct Candidate {
    /// Path relative to the root, `/`-separated.
    pub rel: String,
    pub origin: Origin,
}

#[derive(Clone, Debug)]
pub struct WalkOptions {
    pub root: PathBuf,
    /// gitignore-style patterns of paths to leave out (config `exclude`).
    pub exclude: Vec<String>,
    /// Trusted mode: the ignore files of the trusted ref, used instead of the tree's `.ignore`
    /// and `.pipeguardignore`.
    pub trusted_ignores: Option<std::sync::Arc<crate::ignores::IgnoreFiles>>,
}

/// The result of the walk: candidates in path order plus notes about what was left out.
#[derive(Debug, Default)]
pub struct Walk {
    pub candidates: Vec<Candidate>,
    pub diagnostics: Vec<Diagnostic>,
    /// Paths of the error diagnostics that are files or directories the walk could not read (a
    /// dangling or looping symlink, a directory without permission): not analysed, which only
    /// `--strict` makes an error of the run.
    pub unreadable: Vec<String>,
}

/// Files whose patterns the walk applies (read by the `ignore` crate).
const IGNORE_FILES: &[&str] = &[".gitignore", ".ignore", ".pipeguardignore"];

/// Walk `root` in parallel. Symlinks are never followed: a link to something inside the root is
/// scanned at its target anyway; a link out of the root, a dangling link or a loop is noted.
pub fn walk(opts: &WalkOptions) -> anyhow::Result<Walk> {
    let root = &opts.root;
    let meta = fs::metadata(root)
        .map_err(|e| anyhow::anyhow!("cannot read scan root {}: {e}", root.display()))?;
    if !meta.is_file() && !meta.is_dir() {
        anyhow::bail!(
            "cannot scan {}: it is {}, not a file or a directory",
            root.display(),
            special_kind(&meta)
        );
    }
    if meta.is_file() {
        // A single file: scan it under its own name.
        let rel = root.file_name().map_or_else(
            || root.to_string_lossy().into_owned(),
            |n| n.to_string_lossy().into_owned(),
        );
        return Ok(Walk {
            candidates: vec![Candidate {
                rel,
                origin: Origin::Disk(root.clone()),
            }],
            diagnostics: Vec::new(),
            unreadable: Vec::new(),
        });
    }
    let canonical_root = fs::canonicalize(root)?;

    let mut overrides = OverrideBuilder::new(root);
    for pat in &opts.exclude {
        overrides
            .add(&format!("!{pat}"))
            .map_err(|e| anyhow::anyhow!("invalid exclude pattern `{pat}`: {e}"))?;
    }
    let overrides = overrides.build()?;

    let found: Mutex<Vec<(String, PathBuf)>> = Mutex::new(Vec::new());
    let notes: Mutex<Vec<Diagnostic>> = Mutex::new(Vec::new());
    let unreadable: Mutex<Vec<String>> = Mutex::new(Vec::new());

    let trusted = opts.trusted_ignores.as_deref();
    let mut builder = WalkBuilder::new(root);
    builder
        .hidden(false)
        .git_ignore(true)
        .git_exclude(true)
        .git_global(false)
        .require_git(false)
        // In trusted mode the tree's own ignore files are the attacker's.
        .ignore(trusted.is_none())
        .parents(true)
        .follow_links(false)
        .overrides(overrides)
        .filter_entry(|e| e.file_name() != ".git");
    if trusted.is_none() {
        builder.add_custom_ignore_filename(".pipeguardignore");
    }
    builder.build_parallel().run(|| {
        Box::new(|entry| {
            match entry {
                Ok(entry) => {
                    let path = entry.path();
                    let rel = relative(root, path);
                    if entry.path_is_symlink() {
                        // Outside trusted mode the tree's ignore files are honoured: one that
                        // is a symlink could take its patterns from anywhere.
                        if trusted.is_none()
                            && IGNORE_FILES.contains(&entry.file_name().to_string_lossy().as_ref())
                        {
                            lock(&notes).push(Diagnostic::error(
                                rel.clone(),
                                "ignore file is a symlink: its patterns may come from outside the tree; replace it with a regular file",
                            ));
                        }
                        if let Some(note) = symlink_note(&canonical_root, path, &rel) {
                            if note.level == crate::finding::DiagnosticLevel::Error {
                                lock(&unreadable).push(rel.clone());
                            }
                            lock(&notes).push(note);
                        }
                        return WalkState::Continue;
                    }
                    if entry
                        .file_type()
                        .is_some_and(|t| !t.is_file() && !t.is_dir())
                    {
                        lock(&notes).push(Diagnostic::note(
                            rel.clone(),
                            "skipped: not a regular file (a FIFO, socket or device)",
                        ));
                        return WalkState::Continue;
                    }
                    if entry.file_type().is_some_and(|t| t.is_file()) {
                        if path.to_str().is_none() {
                            lock(&notes).push(Diagnostic::note(
                                rel.clone(),
                                "file name is not valid UTF-8; shown with replacement characters",
                            ));
                        }
                        lock(&found).push((rel, path.to_path_buf()));
                    }
                }
                Err(err) => {
                    let (path, msg) = walk_error(root, &err);
                    lock(&unreadable).push(path.clone());
                    lock(&notes).push(Diagnostic::error(path, msg));
                }
            }
            WalkState::Continue
        })
    });

    let mut found = found
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut diagnostics = notes
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut unreadable = unreadable
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    unreadable.sort();
    if let Some(t) = trusted {
        found.retain(|(rel, _)| !t.is_ignored(rel));
    }
    add_tracked(root, opts, &mut found, &mut diagnostics)?;
    found.sort();
    diagnostics.sort();
    Ok(Walk {
        candidates: found
            .into_iter()
            .map(|(rel, abs)| Candidate {
                rel,
                origin: Origin::Disk(abs),
            })
            .collect(),
        diagnostics,
        unreadable,
    })
}

/// What a special file is, for the error refusing it as a scan root.
fn special_kind(meta: &fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

/// A `.gitignore` hides untracked files only: whatever git tracks is in the build, so a tracked
/// file the walk left out because of a `.gitignore` is scanned anyway (config `exclude` and the
/// ignore files pipeguard honours still apply).
fn add_tracked(
    root: &Path,
    opts: &WalkOptions,
    found: &mut Vec<(String, PathBuf)>,
    diagnostics: &mut Vec<Diagnostic>,
) -> anyhow::Result<()> {
    let Some(tracked) = crate::git::tracked_files(root) else {
        return Ok(());
    };
    let walked: std::collections::HashSet<&str> = found.iter().map(|(r, _)| r.as_str()).collect();
    let missing: Vec<String> = tracked
        .into_iter()
        .filter(|r| !walked.contains(r.as_str()))
        .filter(|r| !r.split('/').any(|s| s == ".git"))
        .filter(|r| fs::symlink_metadata(root.join(r)).is_ok_and(|m| m.file_type().is_file()))
        .collect();
    drop(walked);
    if missing.is_empty() {
        return Ok(());
    }
    let excludes = Excludes::new(&opts.exclude)?;
    let tree_ignores;
    let ignores = match opts.trusted_ignores.as_deref() {
        Some(t) => t,
        None => {
            tree_ignores = disk_ignore_files(root, found, &missing);
            &tree_ignores
        }
    };
    let mut added = 0usize;
    for rel in missing {
        if excludes.excludes(&rel) || ignores.is_ignored(&rel) {
            continue;
        }
        found.push((rel.clone(), root.join(&rel)));
        added += 1;
    }
    if added > 0 {
        diagnostics.push(Diagnostic::note(
            ".",
            format!(
                "{added} file{} tracked by git but matched by a .gitignore {} scanned anyway (a .gitignore never hides a tracked file)",
                if added == 1 { "" } else { "s" },
                if added == 1 { "is" } else { "are" }
            ),
        ));
    }
    Ok(())
}

/// The tree's `.ignore`/`.pipeguardignore` files (regular files only, size-capped), for tracked
/// files the walk did not reach.
fn disk_ignore_files(
    root: &Path,
    found: &[(String, PathBuf)],
    tracked: &[String],
) -> crate::ignores::IgnoreFiles {
    const CAP: u64 = 4 << 20;
    let mut files = Vec::new();
    let names = found.iter().map(|(r, _)| r).chain(tracked.iter());
    let mut seen = std::collections::BTreeSet::new();
    for rel in names {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        if !crate::ignores::IGNORE_FILES.contains(&name) || !seen.insert(rel.clone()) {
            continue;
        }
        let path = root.join(rel);
        let regular = fs::symlink_metadata(&path).is_ok_and(|m| m.is_file() && m.len() <= CAP);
        if let (true, Ok(bytes)) = (regular, fs::read(&path)) {
            files.push((rel.clone(), String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    crate::ignores::IgnoreFiles::new("", files).unwrap_or_default()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Scan-relative, `/`-separated path.
pub fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let s = rel.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' {
        s.into_owned()
    } else {
        s.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

fn symlink_note(canonical_root: &Path, path: &Path, rel: &str) -> Option<Diagnostic> {
    match fs::canonicalize(path) {
        Err(e) => Some(Diagnostic::error(
            rel,
            format!("symlink not followed: it is dangling or loops ({e})"),
        )),
        Ok(target) if !target.starts_with(canonical_root) => Some(Diagnostic::note(
            rel,
            format!(
                "symlink not followed: it points outside the scan root ({})",
                target.display()
            ),
        )),
        // Inside the root: the target itself is walked and scanned.
        Ok(_) => None,
    }
}

fn walk_error(root: &Path, err: &ignore::Error) -> (String, String) {
    fn path_of(err: &ignore::Error) -> Option<&Path> {
        match err {
            ignore::Error::WithPath { path, .. } => Some(path),
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                path_of(err)
            }
            ignore::Error::Loop { child, .. } => Some(child),
            _ => None,
        }
    }
    let path = path_of(err).map_or_else(|| ".".to_string(), |p| relative(root, p));
    (path, format!("not scanned: {err}"))
}

/// Limits applied while reading candidates.
#[derive(Clone, Copy, Debug)]
pub struct ReadLimits {
    pub max_file_size: u64,
}

pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

/// How many leading bytes are checked for NUL to call a file binary (as git and ripgrep do).
const BINARY_SNIFF: usize = 8 * 1024;

/// The outcome of reading one candidate.
#[derive(Debug)]
pub enum ReadOutcome {
    File(SourceFile, Option<Provenance>),
    /// Left out on purpose (binary, oversized): a note, not an error.
    Skipped(Diagnostic),
    /// Could not be read: an error.
    Failed(Diagnostic),
}

/// Read a candidate once, check size and binary-ness, decode, classify.
pub fn read(candidate: Candidate, limits: ReadLimits) -> ReadOutcome {
    let rel = candidate.rel;
    let (bytes, provenance, disk) = match candidate.origin {
        Origin::Disk(path) => match read_disk(&path, limits.max_file_size) {
            Ok(Ok(bytes)) => (bytes, None, Some(path)),
            Ok(Err(size)) => {
                return ReadOutcome::Skipped(Diagnostic::note(
                    rel,
                    format!(
                        "skipped: {} exceeds the size limit of {} (config `max_file_size`)",
                        human_size(size),
                        human_size(limits.max_file_size)
                    ),
                ));
            }
            Err(e) => {
                return ReadOutcome::Failed(Diagnostic::error(rel, format!("cannot read: {e}")));
            }
        },
        Origin::Memory { bytes, provenance } => {
            if bytes.len() as u64 > limits.max_file_size {
                return ReadOutcome::Skipped(Diagnostic::note(
                    rel,
                    format!(
                        "skipped: {} exceeds the size limit of {}",
                        human_size(bytes.len() as u64),
                        human_size(limits.max_file_size)
                    ),
                ));
            }
            (bytes, provenance, None)
        }
    };
    if memchr::memchr(0, &bytes[..bytes.len().min(BINARY_SNIFF)]).is_some() {
        return ReadOutcome::Skipped(Diagnostic::note(rel, "skipped: binary file"));
    }
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        // Latin-1 and friends: decode lossily so secrets in ASCII parts are still found.
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    let kind = classify(&rel, &text);
    let mut file = SourceFile::new(rel, kind, text);
    if let Some(p) = disk {
        file = file.with_disk_path(p);
    }
    ReadOutcome::File(file, provenance)
}

/// `Ok(Err(size))` when the file is over the limit; the limit is checked before reading and
/// again while reading (the file may grow, or be a device).
fn read_disk(path: &Path, max: u64) -> std::io::Result<Result<Vec<u8>, u64>> {
    let f = fs::File::open(path)?;
    let meta = f.metadata()?;
    if meta.len() > max {
        return Ok(Err(meta.len()));
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    f.take(max + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > max {
        return Ok(Err(buf.len() as u64));
    }
    Ok(Ok(buf))
}

pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by bench/fuzz.sh (classify): a comment inside a DTD subset after a multi-byte
    /// character sliced the text inside that character and panicked.
    #[test]
    fn doctype_subset_with_multibyte_text_before_a_comment() {
        for text in [
            "<!DOCTYPE p [\u{e9}<!-- a -->]>\n<project/>\n",
            "<!DOCTYPE p [\u{20ac}\u{20ac}<!-- a -->]>\n<project/>\n",
            "<!DOCTYPE p [\u{e9}<!--",
            "<!<?xm\u{feff}\n[\u{e9}<!--",
        ] {
            let _ = classify("jobs/a/config.xml", text);
            let _ = classify("x.xml", text);
        }
        assert_eq!(
            classify(
                "jobs/a/config.xml",
                "<!DOCTYPE project [\u{e9}<!-- > ] -->]>\n<project><builders/></project>\n"
            ),
            classify("jobs/a/config.xml", "<project><builders/></project>\n")
        );
    }

    #[test]
    fn names() {
        let k = |p: &str| classify(p, "");
        assert_eq!(k(".github/workflows/ci.yml"), FileKind::GithubWorkflow);
        assert_eq!(k("sub/.github/workflows/ci.yaml"), FileKind::GithubWorkflow);
        assert_eq!(k(".github/workflows/nested/ci.yaml"), FileKind::Other);
        assert_eq!(k("action.yml"), FileKind::GithubAction);
        assert_eq!(k(".github/dependabot.yml"), FileKind::GithubDependabot);
        assert_eq!(k("sub/.github/dependabot.yaml"), FileKind::GithubDependabot);
        assert_eq!(k(".pre-commit-config.yaml"), FileKind::PreCommitConfig);
        assert_eq!(k("tools/act/action.yaml"), FileKind::GithubAction);
        assert_eq!(k("Jenkinsfile"), FileKind::Jenkinsfile);
        assert_eq!(k("ci/Jenkinsfile.release"), FileKind::Jenkinsfile);
        assert_eq!(k("build.jenkinsfile"), FileKind::Jenkinsfile);
        assert_eq!(k("deploy.Jenkinsfile"), FileKind::Jenkinsfile);
        assert_eq!(k("Jenkinsfile_windows"), FileKind::Jenkinsfile);
        assert_eq!(k("ci/Jenkinsfile-release"), FileKind::Jenkinsfile);
        assert_eq!(k("buildenv/jenkins/JenkinsfileBase"), FileKind::Jenkinsfile);
        assert_eq!(k("jobs/build.jenkinsFile"), FileKind::Jenkinsfile);
        assert_ne!(k("Jenkinsfile_test.py"), FileKind::Jenkinsfile);
        assert_ne!(k("Jenkinsfiles"), FileKind::Jenkinsfile);
        assert_eq!(k("Dockerfile"), FileKind::Dockerfile);
        assert_eq!(k("docker/Dockerfile.alpine"), FileKind::Dockerfile);
        assert_eq!(k("app.dockerfile"), FileKind::Dockerfile);
        assert_eq!(k("Containerfile"), FileKind::Dockerfile);
        assert_eq!(k("Dockerfile.dockerignore"), FileKind::Other);
        assert_eq!(k("docker-compose.prod.yml"), FileKind::Compose);
        assert_eq!(k("compose.yaml"), FileKind::Compose);
        assert_eq!(k("main.tf"), FileKind::Terraform);
        assert_eq!(k("README.md"), FileKind::Other);
    }

    #[test]
    fn content() {
        assert_eq!(
            classify("k8s/app.yaml", "---\napiVersion: v1\nkind: Pod\n"),
            FileKind::Kubernetes
        );
        assert_eq!(
            classify(
                "chart/templates/d.yaml",
                "apiVersion: v1\nkind: Pod\nname: {{ .Values.x }}\n"
            ),
            FileKind::Other
        );
        assert_eq!(classify("x.yaml", "a: 1\n"), FileKind::Other);
        let job = "<?xml version='1.1' encoding='UTF-8'?>\n<!-- c -->\n<flow-definition plugin=\"workflow-job@2.40\">";
        assert_eq!(classify("jobs/a/config.xml", job), FileKind::JenkinsJob);
        assert_eq!(
            classify(
                "config.xml",
                "<org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject>"
            ),
            FileKind::JenkinsJob
        );
        assert_eq!(
            classify("config.xml", "<?xml version='1.1'?><hudson>"),
            FileKind::Other
        );
        for root in [
            "com.tikal.jenkins.plugins.multijob.MultiJobProject",
            "com.cloudbees.plugins.flow.BuildFlow",
        ] {
            let xml = format!("<?xml version='1.1' encoding='UTF-8'?>\n<{root} plugin=\"x@1\">");
            assert_eq!(classify("jobs/a/config.xml", &xml), FileKind::JenkinsJob);
        }
        assert_eq!(classify("config.xml", "not xml"), FileKind::Other);
    }

    #[test]
    fn doctype_subsets_and_byte_order_marks() {
        let dtd = "<?xml version='1.0'?>\n<!DOCTYPE project [\n  <!ENTITY x \"a > b ] c\">\n  <!-- ] > -->\n  <!ELEMENT project ANY>\n]>\n<project><builders/></project>";
        assert_eq!(classify("jobs/a/config.xml", dtd), FileKind::JenkinsJob);
        assert_eq!(
            classify(
                "config.xml",
                "<!DOCTYPE hudson [ <!ENTITY e 'x'> ]><hudson/>"
            ),
            FileKind::Other
        );
        assert_eq!(
            classify("k8s/a.yaml", "\u{feff}apiVersion: v1\nkind: Pod\n"),
            FileKind::Kubernetes
        );
        let f = SourceFile::new(
            "Dockerfile",
            FileKind::Dockerfile,
            "\u{feff}FROM a\n".into(),
        );
        assert!(f.bom);
        assert_eq!(f.text, "FROM a\n");
        assert_eq!(f.bom_len(), 3);
    }
}
