//! A minimal tar reader for `docker save` archives: an index of entries (name → offset, size)
//! built by seeking over the data, then bounded reads of the few JSON files and blobs needed.
//! Handles ustar prefixes, GNU long names (`L`), pax `path` records and symlinks.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};

use anyhow::{Context, anyhow, bail};

const BLOCK: u64 = 512;

#[derive(Clone, Debug)]
enum Kind {
    File { offset: u64, size: u64 },
    Link(String),
}

pub struct Archive<R> {
    reader: R,
    entries: HashMap<String, Kind>,
    origin: String,
}

fn normalize(name: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in name.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

fn field_str(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// Octal (NUL/space padded) or GNU base-256 numbers.
fn number(b: &[u8]) -> Option<u64> {
    if let Some(&first) = b.first()
        && first & 0x80 != 0
    {
        let mut v: u64 = u64::from(first & 0x7f);
        for &c in &b[1..] {
            v = v.checked_mul(256)?.checked_add(u64::from(c))?;
        }
        return Some(v);
    }
    let s = field_str(b);
    let s = s.trim_matches(|c: char| c == ' ' || c == '\0');
    if s.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(s, 8).ok()
}

impl<R: Read + Seek> Archive<R> {
    pub fn open(mut reader: R, origin: &str) -> anyhow::Result<Archive<R>> {
        let mut entries = HashMap::new();
        let mut pos: u64 = 0;
        let mut long_name: Option<String> = None;
        let mut pax_path: Option<String> = None;
        let mut header = [0u8; 512];
        loop {
            reader
                .seek(SeekFrom::Start(pos))
                .with_context(|| format!("{origin}: cannot seek"))?;
            match reader.read_exact(&mut header) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    if pos == 0 {
                        bail!("{origin}: not a tar archive (empty or truncated)");
                    }
                    break; // missing end-of-archive blocks: tolerated, like GNU tar
                }
                Err(e) => return Err(anyhow!("{origin}: cannot read: {e}")),
            }
            if header.iter().all(|&b| b == 0) {
                break;
            }
            let stored = number(&header[148..156]);
            let sum: u64 = header
                .iter()
                .enumerate()
                .map(|(i, &b)| {
                    if (148..156).contains(&i) {
                        32
                    } else {
                        u64::from(b)
                    }
                })
                .sum();
            if stored != Some(sum) {
                bail!(
                    "{origin}: not a tar archive (bad header checksum at byte {pos}); expected the output of `docker save`"
                );
            }
            let size = number(&header[124..136])
                .ok_or_else(|| anyhow!("{origin}: bad entry size at byte {pos}"))?;
            let typeflag = header[156];
            let data = pos + BLOCK;
            let next = data
                .checked_add(size.div_ceil(BLOCK) * BLOCK)
                .ok_or_else(|| anyhow!("{origin}: entry size overflows at byte {pos}"))?;
            let mut name = field_str(&header[0..100]);
            if &header[257..262] == b"ustar" {
                let prefix = field_str(&header[345..500]);
                if !prefix.is_empty() {
                    name = format!("{prefix}/{name}");
                }
            }
            match typeflag {
                b'L' => {
                    let text = read_at(&mut reader, data, size, 64 * 1024, origin)?;
                    long_name = Some(field_str(&text));
                }
                b'x' => {
                    let text = read_at(&mut reader, data, size, 1024 * 1024, origin)?;
                    pax_path = pax_record(&text, "path");
                }
                b'g' => {}
                _ => {
                    let name = pax_path.take().or_else(|| long_name.take()).unwrap_or(name);
                    let name = normalize(&name);
                    match typeflag {
                        b'0' | 0 | b'7' => {
                            entries.insert(name, Kind::File { offset: data, size });
                        }
                        b'2' => {
                            let target = field_str(&header[157..257]);
                            entries.insert(name, Kind::Link(target));
                        }
                        _ => {}
                    }
                }
            }
            pos = next;
        }
        Ok(Archive {
            reader,
            entries,
            origin: origin.to_string(),
        })
    }

    pub fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(&normalize(name))
    }

    /// The bytes of a regular file (following symlinks), at most `limit` bytes; `None` when absent.
    pub fn read(&mut self, name: &str, limit: u64) -> anyhow::Result<Option<Vec<u8>>> {
        let mut name = normalize(name);
        for _ in 0..8 {
            match self.entries.get(&name).cloned() {
                None => return Ok(None),
                Some(Kind::File { offset, size }) => {
                    return read_at(&mut self.reader, offset, size, limit, &self.origin)
                        .map(Some)
                        .with_context(|| format!("{}: entry {name}", self.origin));
                }
                Some(Kind::Link(target)) => {
                    name = if target.starts_with('/') {
                        normalize(&target)
                    } else {
                        let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
                        normalize(&format!("{dir}/{target}"))
                    };
                }
            }
        }
        bail!("{}: too many symlinks resolving {name}", self.origin)
    }
}

fn read_at<R: Read + Seek>(
    reader: &mut R,
    offset: u64,
    size: u64,
    limit: u64,
    origin: &str,
) -> anyhow::Result<Vec<u8>> {
    if size > limit {
        bail!("{origin}: entry of {size} bytes is larger than the {limit} bytes expected");
    }
    reader.seek(SeekFrom::Start(offset))?;
    let mut buf = vec![0u8; usize::try_from(size)?];
    reader
        .read_exact(&mut buf)
        .with_context(|| format!("{origin}: truncated archive"))?;
    Ok(buf)
}

/// The value of `key` in pax extended header records (`LEN key=value\n`).
fn pax_record(text: &[u8], key: &str) -> Option<String> {
    let mut rest = text;
    let mut found = None;
    while !rest.is_empty() {
        let sp = rest.iter().position(|&c| c == b' ')?;
        let len: usize = std::str::from_utf8(&rest[..sp]).ok()?.parse().ok()?;
        if len <= sp || len > rest.len() {
            return found;
        }
        let record = &rest[sp + 1..len];
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        if let Some(eq) = record.iter().position(|&c| c == b'=')
            && &record[..eq] == key.as_bytes()
        {
            found = Some(String::from_utf8_lossy(&record[eq + 1..]).into_owned());
        }
        rest = &rest[len..];
    }
    found
}

/// Build a ustar archive in memory (tests and fuzzing).
pub fn build(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, data) in files {
        let mut h = [0u8; 512];
        let n = name.as_bytes();
        h[..n.len().min(100)].copy_from_slice(&n[..n.len().min(100)]);
        h[100..107].copy_from_slice(b"0000644");
        h[108..115].copy_from_slice(b"0000000");
        h[116..123].copy_from_slice(b"0000000");
        let size = format!("{:011o}", data.len());
        h[124..135].copy_from_slice(size.as_bytes());
        h[136..147].copy_from_slice(b"00000000000");
        h[156] = b'0';
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        let sum = format!("{sum:06o}\0 ");
        h[148..156].copy_from_slice(sum.as_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(data);
        let pad = (512 - data.len() % 512) % 512;
        out.extend(std::iter::repeat_n(0u8, pad));
    }
    out.extend(std::iter::repeat_n(0u8, 1024));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn reads_built_archive() {
        let tar = build(&[("./manifest.json", b"[1]"), ("blobs/sha256/ab", b"xyz")]);
        let mut a = Archive::open(Cursor::new(tar), "t.tar").unwrap();
        assert!(a.contains("manifest.json"));
        assert_eq!(a.read("manifest.json", 10).unwrap().unwrap(), b"[1]");
        assert_eq!(a.read("./blobs/sha256/ab", 10).unwrap().unwrap(), b"xyz");
        assert!(a.read("nope", 10).unwrap().is_none());
        assert!(a.read("blobs/sha256/ab", 2).is_err());
    }

    #[test]
    fn rejects_non_tar() {
        let e = Archive::open(Cursor::new(vec![1u8; 2048]), "x.tar")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("not a tar archive"), "{e}");
        assert!(Archive::open(Cursor::new(Vec::new()), "x.tar").is_err());
    }

    #[test]
    fn pax_path() {
        assert_eq!(
            pax_record(b"19 path=a/b/c.json\n", "path").as_deref(),
            Some("a/b/c.json")
        );
        assert_eq!(pax_record(b"99 path=x\n", "path"), None);
    }
}
