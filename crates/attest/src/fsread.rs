//! Bounded reads of the files pipeguard is given or finds by itself. Every file argument
//! (`--config`, `--baseline`, keys, envelopes, lockfiles, event payloads) is read through
//! [`read_file`]: a device (`/dev/zero`), a FIFO or a directory is refused before it is opened
//! (opening a FIFO would block), and no more than `max` bytes are ever read. Files pipeguard
//! reads implicitly (`.pipeguard.yml`, `jobs.lock`, its `.sig`, the baseline it finds) are read
//! with [`Follow::No`]: a symlink is refused, so a pull request cannot point one at
//! `~/.ssh/id_ed25519` and have it read.

use std::fs;
use std::io::{self, Read};
use std::path::Path;

/// Whether a symlink at the path itself may be followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Follow {
    /// An argument the user typed: follow it.
    Yes,
    /// A file found by name in the scanned tree: refuse a symlink.
    No,
}

/// Default cap for small structured files (configs, keys, envelopes, lockfiles, payloads).
pub const DEFAULT_MAX: u64 = 16 * 1024 * 1024;

fn refuse(kind: io::ErrorKind, msg: String) -> io::Error {
    io::Error::new(kind, msg)
}

/// What a file type is called in an error.
fn type_name(t: fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_symlink() {
        "a symlink"
    } else {
        "not a regular file"
    }
}

/// Read at most `max` bytes of the regular file at `path`. The error says why a file was
/// refused (symlink, device, FIFO, directory, over the limit); it never contains file content.
pub fn read_file(path: &Path, max: u64, follow: Follow) -> io::Result<Vec<u8>> {
    let link = fs::symlink_metadata(path)?;
    if link.file_type().is_symlink() && follow == Follow::No {
        return Err(refuse(
            io::ErrorKind::InvalidInput,
            "it is a symlink, and pipeguard does not follow symlinks for files it finds itself"
                .to_string(),
        ));
    }
    let meta = if follow == Follow::Yes {
        fs::metadata(path)?
    } else {
        link
    };
    if !meta.file_type().is_file() {
        return Err(refuse(
            io::ErrorKind::InvalidInput,
            format!("it is {}, not a regular file", type_name(meta.file_type())),
        ));
    }
    if meta.len() > max {
        return Err(too_large(meta.len(), max));
    }
    let f = fs::File::open(path)?;
    // The file opened must be the one checked (no swap between the check and the open).
    let opened = f.metadata()?;
    {
        use std::os::unix::fs::MetadataExt;
        if opened.ino() != meta.ino() || opened.dev() != meta.dev() || !opened.is_file() {
            return Err(refuse(
                io::ErrorKind::InvalidInput,
                "it changed while it was opened".to_string(),
            ));
        }
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    f.take(max + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > max {
        return Err(too_large(buf.len() as u64, max));
    }
    Ok(buf)
}

/// [`read_file`], decoded as UTF-8.
pub fn read_text(path: &Path, max: u64, follow: Follow) -> io::Result<String> {
    let bytes = read_file(path, max, follow)?;
    String::from_utf8(bytes)
        .map_err(|_| refuse(io::ErrorKind::InvalidData, "it is not UTF-8".to_string()))
}

fn too_large(len: u64, max: u64) -> io::Error {
    refuse(
        io::ErrorKind::InvalidData,
        format!("it is larger than the limit of {max} bytes ({len} bytes or more)"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_devices_fifos_symlinks_and_large_files() {
        let e = read_file(Path::new("/dev/zero"), 1024, Follow::Yes).unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
        let dir = tempfile_dir();
        let f = dir.join("a");
        fs::write(&f, b"hello").unwrap();
        assert_eq!(read_file(&f, 5, Follow::No).unwrap(), b"hello");
        assert!(
            read_file(&f, 4, Follow::Yes)
                .unwrap_err()
                .to_string()
                .contains("larger than")
        );
        let l = dir.join("l");
        std::os::unix::fs::symlink(&f, &l).unwrap();
        assert!(read_file(&l, 5, Follow::Yes).is_ok());
        assert!(
            read_file(&l, 5, Follow::No)
                .unwrap_err()
                .to_string()
                .contains("symlink")
        );
        let e = read_file(&dir, 5, Follow::Yes).unwrap_err();
        assert!(e.to_string().contains("directory"), "{e}");
        fs::remove_dir_all(&dir).unwrap();
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!(
            "pipeguard-fsread-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }
}
