//! A release host on loopback for the install tests (the Action, the prebuilt pre-commit hook):
//! release assets packed from the built binary by scripts/dist-pack, served over HTTP on
//! 127.0.0.1.

use std::path::Path;

use crate::common::{repo_root, sh};

/// A release host on loopback: serves the files under `root` (`GET /v<version>/<asset>`), 404
/// for anything else, and counts the requests. Stops when dropped.
pub struct ReleaseServer {
    addr: std::net::SocketAddr,
    hits: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl ReleaseServer {
    pub fn start(root: &Path) -> ReleaseServer {
        use std::io::{Read, Write};
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (root, h, st) = (root.to_path_buf(), hits.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                let _ = conn.set_read_timeout(Some(std::time::Duration::from_secs(5)));
                let mut req = Vec::new();
                let mut buf = [0u8; 1024];
                while !req.windows(4).any(|w| w == b"\r\n\r\n") && req.len() < 16 * 1024 {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => req.extend_from_slice(&buf[..n]),
                    }
                }
                h.fetch_add(1, Ordering::SeqCst);
                let line = String::from_utf8_lossy(&req)
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_string();
                let path = line
                    .split(' ')
                    .nth(1)
                    .unwrap_or("/")
                    .trim_start_matches('/')
                    .to_string();
                let file = (!path.split('/').any(|c| c == ".." || c.is_empty()))
                    .then(|| root.join(&path))
                    .filter(|f| f.is_file());
                let _ = match file {
                    Some(f) => {
                        let body = std::fs::read(f).unwrap();
                        conn.write_all(
                            format!(
                                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                                body.len()
                            )
                            .as_bytes(),
                        )
                        .and_then(|()| conn.write_all(&body))
                    }
                    None => conn.write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nNot Found",
                    ),
                };
            }
        });
        ReleaseServer { addr, hits, stop }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn hits(&self) -> usize {
        self.hits.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for ReleaseServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = std::net::TcpStream::connect(self.addr);
    }
}

/// Release assets of the built binary, packed by scripts/dist-pack as the release workflow packs
/// them, under `<dir>/v<version>/`; returns SHA256SUMS.
pub fn release_layout(dir: &Path, version: &str, targets: &[&str]) -> String {
    let out = dir.join(format!("v{version}"));
    for t in targets {
        sh(
            &repo_root(),
            &format!(
                "{} scripts/dist-pack asset --version {version} --target {t} --binary '{}' --out '{}' >/dev/null",
                crate::common::python(),
                crate::common::built_binary().display(),
                out.display()
            ),
        );
    }
    sh(
        &repo_root(),
        &format!(
            "{} scripts/dist-pack sums '{}'",
            crate::common::python(),
            out.display()
        ),
    )
}
