//! Archive members for the secrets scan: zip (and jar, war, whl, nupkg…), tar, gzip, bzip2, xz
//! and zstd streams (so `.tar.gz`, `.tgz`, `.tar.zst`…), and container image tarballs (their
//! layers are tars inside the tar). Members are read into memory, never extracted to disk, and
//! reported as `outer.zip!dir/file` (`a.tar.gz!b.zip!c.env` when nested).
//!
//! Everything here is hostile input: the sizes an archive declares are not trusted (every read is
//! capped: per member, in total, in member count), nesting is followed to a fixed depth with an
//! explicit work list (no recursion on the input's nesting), names are display labels only (a
//! `../` or absolute member name is normalised and noted, never used as a path).

use std::borrow::Cow;
use std::io::{Cursor, Read, Write};

use crate::finding::Diagnostic;

/// Caps on what one top-level archive may cost.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Archives inside archives followed this deep (1: the archive's own members only).
    pub depth: u8,
    /// Largest member read (decompressed).
    pub member_max: u64,
    /// Decompressed bytes read from one top-level archive, nested members included.
    pub total_max: u64,
    /// Members looked at in one top-level archive, nested ones included.
    pub members_max: usize,
}

/// The most archive nesting followed, whatever the config says.
pub const MAX_DEPTH: u8 = 4;

impl Limits {
    pub fn new(depth: u8, member_max: u64) -> Limits {
        Limits {
            depth: depth.clamp(1, MAX_DEPTH),
            member_max,
            total_max: 128 * 1024 * 1024,
            members_max: 20_000,
        }
    }
}

/// Container formats, told by their magic bytes (names can lie).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Zip,
    Tar,
    Gzip,
    Bzip2,
    Xz,
    Zstd,
}

/// Names that are archives (looked at before reading a binary file as one).
const EXTENSIONS: &[&str] = &[
    ".zip", ".jar", ".war", ".ear", ".aar", ".apk", ".whl", ".egg", ".nupkg", ".snupkg", ".vsix",
    ".xpi", ".ipa", ".tar", ".tgz", ".gz", ".tbz", ".tbz2", ".bz2", ".txz", ".xz", ".tzst", ".zst",
    ".crate", ".gem", ".oci",
];

/// A path whose name says archive.
pub fn is_archive_name(path: &str) -> bool {
    let lower = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    EXTENSIONS.iter().any(|e| lower.ends_with(e))
}

/// The format of `bytes`, from its magic.
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        Some(Format::Zip)
    } else if bytes.starts_with(&[0x1f, 0x8b]) {
        Some(Format::Gzip)
    } else if bytes.starts_with(b"BZh") && bytes.len() > 10 && &bytes[4..10] == b"1AY&SY" {
        Some(Format::Bzip2)
    } else if bytes.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Some(Format::Xz)
    } else if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some(Format::Zstd)
    } else if bytes.len() >= 262 && &bytes[257..262] == b"ustar" {
        Some(Format::Tar)
    } else {
        None
    }
}

/// A member name as a display label: `\` read as `/`, and empty, `.` and `..` segments and a
/// leading `/` dropped. The second value says the name tried to leave the archive.
pub fn clean_name(raw: &str) -> (String, bool) {
    let unified = raw.replace('\\', "/");
    let mut escaped = unified.starts_with('/') || unified.contains(':');
    let mut parts: Vec<&str> = Vec::new();
    for seg in unified.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                escaped = true;
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    let name: String = parts
        .join("/")
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    (name, escaped)
}

/// A writer that keeps at most `cap` bytes and fails past them (decoders that only write).
struct Capped {
    buf: Vec<u8>,
    cap: usize,
    over: bool,
}

impl Write for Capped {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.buf.len() + data.len() > self.cap {
            self.over = true;
            return Err(std::io::Error::other("size cap"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Read at most `cap` bytes; `Ok(None)` when there was more.
fn read_capped(r: &mut dyn Read, cap: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    r.take(cap.saturating_add(1)).read_to_end(&mut buf)?;
    Ok((buf.len() as u64 <= cap).then_some(buf))
}

/// What walking one archive produced: text members to scan, and notes.
pub struct Walk {
    pub notes: Vec<Diagnostic>,
    pub members: usize,
}

/// Work item: an archive (or compressed stream) to open, where it is, how deep.
struct Item<'a> {
    path: String,
    bytes: Cow<'a, [u8]>,
    format: Format,
    depth: u8,
}

/// Budget shared by everything inside one top-level archive.
struct Budget {
    left: u64,
    members: usize,
    stopped: bool,
}

impl Budget {
    /// The cap for the next read: the member cap within what is left in total.
    fn cap(&self, limits: &Limits) -> u64 {
        limits.member_max.min(self.left)
    }
}

/// Every member of the archive `bytes` at `path` (nested archives opened to `limits.depth`):
/// `scan(member_path, member_bytes)` is called for each regular-file member that is not itself
/// an archive. Returns the notes (caps reached, names normalised, unreadable members).
pub fn walk(
    path: &str,
    bytes: &[u8],
    limits: &Limits,
    scan: &mut dyn FnMut(&str, &[u8]),
) -> Option<Walk> {
    let format = sniff(bytes)?;
    let mut out = Walk {
        notes: Vec::new(),
        members: 0,
    };
    let mut budget = Budget {
        left: limits.total_max,
        members: 0,
        stopped: false,
    };
    let mut work = vec![Item {
        path: path.to_string(),
        bytes: Cow::Borrowed(bytes),
        format,
        depth: 1,
    }];
    while let Some(item) = work.pop() {
        if budget.stopped {
            break;
        }
        let mut found: Vec<(String, Vec<u8>)> = Vec::new();
        let result = open(&item, limits, &mut budget, &mut out.notes, &mut found);
        if let Err(e) = result {
            out.notes.push(Diagnostic::note(
                item.path.clone(),
                format!("archive partly read: {e}"),
            ));
        }
        for (member, data) in found {
            out.members += 1;
            match sniff(&data) {
                Some(f) if item.depth < limits.depth => work.push(Item {
                    path: member,
                    bytes: Cow::Owned(data),
                    format: f,
                    depth: item.depth + 1,
                }),
                Some(_) => out.notes.push(Diagnostic::note(
                    member,
                    format!(
                        "archive not opened: nested deeper than {} (config `secrets.archive_depth`)",
                        limits.depth
                    ),
                )),
                None => {
                    let sniff_len = data.len().min(8192);
                    if memchr::memchr(0, &data[..sniff_len]).is_none() {
                        scan(&member, &data);
                    }
                }
            }
        }
    }
    if budget.stopped {
        out.notes.push(Diagnostic::note(
            path,
            format!(
                "archive partly scanned: stopped after {} members or {} MiB decompressed",
                limits.members_max,
                limits.total_max / (1024 * 1024)
            ),
        ));
    }
    Some(out)
}

/// Open one archive or stream; its members go to `found`.
fn open(
    item: &Item<'_>,
    limits: &Limits,
    budget: &mut Budget,
    notes: &mut Vec<Diagnostic>,
    found: &mut Vec<(String, Vec<u8>)>,
) -> anyhow::Result<()> {
    match item.format {
        Format::Zip => zip_members(item, limits, budget, notes, found),
        Format::Tar => tar_members(
            &item.path,
            &mut &item.bytes[..],
            limits,
            budget,
            notes,
            found,
        ),
        Format::Gzip | Format::Bzip2 | Format::Zstd | Format::Xz => {
            let mut stream = decoder(item.format, &item.bytes)?;
            // A tar inside is read as a stream (one member in memory at a time); anything
            // else is one compressed file.
            let mut head = Vec::with_capacity(512);
            (&mut stream).take(512).read_to_end(&mut head)?;
            if sniff(&head) == Some(Format::Tar) {
                let left = budget.left;
                let mut all = Cursor::new(head).chain(stream).take(left);
                return tar_members(&item.path, &mut all, limits, budget, notes, found);
            }
            let name = item.path.rsplit('!').next().unwrap_or(&item.path);
            let name = name.rsplit('/').next().unwrap_or(name);
            let inner = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
            let member = format!("{}!{inner}", item.path);
            if !admit(budget, limits) {
                return Ok(());
            }
            let cap = budget.cap(limits);
            match read_capped(&mut Cursor::new(head).chain(stream), cap)? {
                Some(data) => {
                    budget.left = budget.left.saturating_sub(data.len() as u64);
                    found.push((member, data));
                }
                None => {
                    budget.left = budget.left.saturating_sub(cap);
                    too_big(notes, member, limits);
                }
            }
            Ok(())
        }
    }
}

/// Most of an xz stream held in memory (its decoder writes, so it cannot be streamed).
const XZ_MAX: u64 = 64 * 1024 * 1024;

/// A reader of the decompressed stream.
fn decoder<'a>(format: Format, bytes: &'a [u8]) -> anyhow::Result<Box<dyn Read + 'a>> {
    Ok(match format {
        Format::Gzip => Box::new(flate2::read::MultiGzDecoder::new(bytes)),
        Format::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(bytes)),
        Format::Zstd => Box::new(
            ruzstd::decoding::StreamingDecoder::new(bytes)
                .map_err(|e| anyhow::anyhow!("zstd: {e}"))?,
        ),
        Format::Xz => {
            let mut w = Capped {
                buf: Vec::new(),
                cap: usize::try_from(XZ_MAX).unwrap_or(usize::MAX),
                over: false,
            };
            let r = lzma_rs::xz_decompress(&mut std::io::BufReader::new(bytes), &mut w);
            if !w.over {
                r.map_err(|e| anyhow::anyhow!("xz: {e}"))?;
            }
            // Past the cap: what was decoded so far is read, and the caps say the rest.
            Box::new(Cursor::new(w.buf))
        }
        Format::Zip | Format::Tar => Box::new(bytes),
    })
}

fn note_name(notes: &mut Vec<Diagnostic>, outer: &str, raw: &str) {
    notes.push(Diagnostic::note(
        outer.to_string(),
        format!(
            "archive member `{}` names a path outside the archive; scanned under its normalised name",
            raw.escape_debug()
        ),
    ));
}

/// Take the next member from the budget; `false` when the budget is spent.
fn admit(budget: &mut Budget, limits: &Limits) -> bool {
    if budget.members >= limits.members_max || budget.left == 0 {
        budget.stopped = true;
        return false;
    }
    budget.members += 1;
    true
}

fn too_big(notes: &mut Vec<Diagnostic>, member: String, limits: &Limits) {
    notes.push(Diagnostic::note(
        member,
        format!(
            "archive member skipped: larger than {} MiB decompressed",
            (limits.member_max / (1024 * 1024)).max(1)
        ),
    ));
}

fn zip_members(
    item: &Item<'_>,
    limits: &Limits,
    budget: &mut Budget,
    notes: &mut Vec<Diagnostic>,
    found: &mut Vec<(String, Vec<u8>)>,
) -> anyhow::Result<()> {
    let mut z = zip::ZipArchive::new(Cursor::new(&item.bytes[..]))?;
    for i in 0..z.len() {
        if !admit(budget, limits) {
            break;
        }
        let mut f = match z.by_index(i) {
            Ok(f) => f,
            Err(e) => {
                notes.push(Diagnostic::note(
                    item.path.clone(),
                    format!("archive member #{} not read: {e}", i + 1),
                ));
                continue;
            }
        };
        if !f.is_file() {
            continue;
        }
        let raw = String::from_utf8_lossy(f.name_raw()).into_owned();
        let (name, escaped) = clean_name(&raw);
        if escaped {
            note_name(notes, &item.path, &raw);
        }
        let member = format!("{}!{name}", item.path);
        let cap = budget.cap(limits);
        match read_capped(&mut f, cap) {
            Ok(Some(data)) => {
                budget.left = budget.left.saturating_sub(data.len() as u64);
                found.push((member, data));
            }
            Ok(None) => {
                budget.left = budget.left.saturating_sub(cap);
                too_big(notes, member, limits);
            }
            Err(e) => notes.push(Diagnostic::note(
                member,
                format!("archive member not read: {e}"),
            )),
        }
    }
    Ok(())
}

fn tar_members(
    path: &str,
    reader: &mut dyn Read,
    limits: &Limits,
    budget: &mut Budget,
    notes: &mut Vec<Diagnostic>,
    found: &mut Vec<(String, Vec<u8>)>,
) -> anyhow::Result<()> {
    let mut t = tar::Archive::new(reader);
    for entry in t.entries()? {
        let mut entry = entry?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        if !admit(budget, limits) {
            break;
        }
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let (name, escaped) = clean_name(&raw);
        if escaped {
            note_name(notes, path, &raw);
        }
        let member = format!("{path}!{name}");
        let cap = budget.cap(limits);
        match read_capped(&mut entry, cap) {
            Ok(Some(data)) => {
                budget.left = budget.left.saturating_sub(data.len() as u64);
                found.push((member, data));
            }
            Ok(None) => {
                budget.left = budget.left.saturating_sub(cap);
                too_big(notes, member, limits);
            }
            Err(e) => notes.push(Diagnostic::note(
                member,
                format!("archive member not read: {e}"),
            )),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    /// The members `walk` hands out, as (path, text), and its notes.
    fn members(path: &str, bytes: &[u8], limits: &Limits) -> (Vec<(String, String)>, Vec<String>) {
        let mut got = Vec::new();
        let walk = walk(path, bytes, limits, &mut |p, d| {
            got.push((p.to_string(), String::from_utf8_lossy(d).into_owned()));
        })
        .expect("an archive");
        (got, walk.notes.into_iter().map(|d| d.message).collect())
    }

    fn limits() -> Limits {
        Limits::new(2, 1024 * 1024)
    }

    pub(crate) fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in files {
            w.start_file(*name, opts).expect("zip entry");
            w.write_all(data).expect("zip write");
        }
        w.finish().expect("zip finish").into_inner()
    }

    pub(crate) fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_entry_type(tar::EntryType::Regular);
            // Raw names, `..` included: the builder's own path checks would refuse them.
            let field = &mut h.as_old_mut().name;
            field[..name.len()].copy_from_slice(name.as_bytes());
            h.set_cksum();
            b.append(&h, *data).expect("tar entry");
        }
        b.into_inner().expect("tar finish")
    }

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).expect("gzip");
        e.finish().expect("gzip")
    }

    const ENV: &[u8] = b"DEPLOY=1\nAPI_TOKEN=placeholder-of-the-test\n";

    #[test]
    fn zip_and_its_kin() {
        for name in [
            "a.zip",
            "lib/app-1.2.jar",
            "dist/pkg-1.0-py3-none-any.whl",
            "x.nupkg",
            "w.war",
        ] {
            let z = zip_of(&[("conf/app.env", ENV), ("bin/tool", b"\x00\x01binary")]);
            let (got, notes) = members(name, &z, &limits());
            assert_eq!(
                got,
                vec![(
                    format!("{name}!conf/app.env"),
                    String::from_utf8_lossy(ENV).into_owned()
                )]
            );
            assert!(notes.is_empty(), "{notes:?}");
        }
    }

    #[test]
    fn tar_and_compressed_tars() {
        let t = tar_of(&[("release/.env", ENV)]);
        let mut bz = Vec::new();
        bzip2::read::BzEncoder::new(&t[..], bzip2::Compression::default())
            .read_to_end(&mut bz)
            .expect("bzip2");
        let mut xz = Vec::new();
        lzma_rs::xz_compress(&mut &t[..], &mut xz).expect("xz");
        let zst =
            ruzstd::encoding::compress_to_vec(&t[..], ruzstd::encoding::CompressionLevel::Fastest);
        for (name, bytes) in [
            ("r.tar", t.clone()),
            ("r.tar.gz", gz(&t)),
            ("r.tgz", gz(&t)),
            ("r.tar.bz2", bz),
            ("r.tar.xz", xz),
            ("r.tar.zst", zst),
        ] {
            let (got, notes) = members(name, &bytes, &limits());
            assert_eq!(got.len(), 1, "{name}: {got:?} {notes:?}");
            assert_eq!(got[0].0, format!("{name}!release/.env"));
        }
        // A single gzip-compressed file is its one member.
        let (got, _) = members("conf/app.env.gz", &gz(ENV), &limits());
        assert_eq!(got[0].0, "conf/app.env.gz!app.env");
    }

    #[test]
    fn image_tarball_layers_and_nesting_depth() {
        // `docker save`: layers are tars (here gzipped) inside the image tar.
        let layer = gz(&tar_of(&[("app/config/.env", ENV)]));
        let image = tar_of(&[
            ("manifest.json", b"[{\"Layers\":[\"blobs/sha256/ab12\"]}]"),
            ("blobs/sha256/ab12", &layer),
        ]);
        let (got, _) = members("image.tar", &image, &limits());
        let paths: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "image.tar!manifest.json",
                "image.tar!blobs/sha256/ab12!app/config/.env"
            ]
        );
        // Depth 1: the layer is not opened, and a note says so.
        let (got, notes) = members("image.tar", &image, &Limits::new(1, 1024 * 1024));
        assert_eq!(got.len(), 1);
        assert!(
            notes.iter().any(|n| n.contains("nested deeper than 1")),
            "{notes:?}"
        );
        // An archive in an archive in an archive at depth 2: the innermost is not opened.
        let inner = zip_of(&[("settings.ini", ENV)]);
        let mid = zip_of(&[("config.zip", &inner)]);
        let outer = gz(&tar_of(&[("release/mid.zip", &mid)]));
        let (got, notes) = members("vendor.tar.gz", &outer, &limits());
        assert!(got.is_empty(), "{got:?}");
        assert!(
            notes.iter().any(|n| n.contains("nested deeper than 2")),
            "{notes:?}"
        );
    }

    #[test]
    fn traversal_names_are_normalised_and_noted() {
        let z = zip_of(&[("../../etc/cron.d/x.env", ENV)]);
        let (got, notes) = members("evil.zip", &z, &limits());
        assert_eq!(got[0].0, "evil.zip!etc/cron.d/x.env");
        assert!(
            notes.iter().any(|n| n.contains("outside the archive")),
            "{notes:?}"
        );
        let t = tar_of(&[("/abs/../../x.env", ENV)]);
        let (got, notes) = members("evil.tar", &t, &limits());
        assert_eq!(got[0].0, "evil.tar!x.env");
        assert!(!notes.is_empty());
    }

    #[test]
    fn bombs_stop_at_the_caps() {
        // 8 MiB of zeros deflate to ~8 KiB: a member over the member cap is skipped, unread.
        let zeros = vec![0u8; 8 * 1024 * 1024];
        let z = zip_of(&[("zeros.txt", &zeros), ("small.env", ENV)]);
        assert!(z.len() < 64 * 1024);
        let (got, notes) = members("bomb.zip", &z, &limits());
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            notes.iter().any(|n| n.contains("larger than 1 MiB")),
            "{notes:?}"
        );
        // Many members sharing the total budget: the walk stops and says so.
        let mut l = limits();
        l.total_max = 3 * 1024 * 1024;
        let big = vec![b'a'; 900 * 1024];
        let files: Vec<(String, &[u8])> = (0..8).map(|i| (format!("f{i}.txt"), &big[..])).collect();
        let refs: Vec<(&str, &[u8])> = files.iter().map(|(n, d)| (n.as_str(), *d)).collect();
        let (got, notes) = members("many.zip", &zip_of(&refs), &l);
        assert!(got.len() <= 4, "{}", got.len());
        assert!(
            notes.iter().any(|n| n.contains("partly scanned")),
            "{notes:?}"
        );
        // A gzip stream of 8 MiB of text is cut at the member cap too.
        let text = vec![b'a'; 8 * 1024 * 1024];
        let (got, notes) = members("big.txt.gz", &gz(&text), &limits());
        assert!(got.is_empty());
        assert!(!notes.is_empty());
    }

    #[test]
    fn not_archives() {
        let mut seen = 0;
        assert!(
            walk("x.zip", b"not a zip at all", &limits(), &mut |_, _| seen +=
                1)
            .is_none()
        );
        // A truncated zip is noted, not fatal.
        let z = zip_of(&[("a.env", ENV)]);
        let cut = &z[..z.len() / 2];
        let w = walk("cut.zip", cut, &limits(), &mut |_, _| seen += 1).expect("zip magic");
        assert_eq!(seen, 0);
        assert!(!w.notes.is_empty());
    }

    #[test]
    fn names_are_labels() {
        assert_eq!(clean_name("a/b.txt"), ("a/b.txt".to_string(), false));
        assert_eq!(clean_name("../../etc/x"), ("etc/x".to_string(), true));
        assert_eq!(clean_name("/abs/y"), ("abs/y".to_string(), true));
        assert_eq!(clean_name("a\\..\\b"), ("b".to_string(), true));
        assert_eq!(clean_name("c:/w"), ("c:/w".to_string(), true));
    }

    #[test]
    fn archive_names() {
        assert!(is_archive_name("lib/x-1.2.jar"));
        assert!(is_archive_name("dist/a.tar.gz"));
        assert!(!is_archive_name("src/main.rs"));
    }
}
