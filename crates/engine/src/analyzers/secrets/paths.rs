//! Path policies: which rules run on which files. Lockfiles, minified bundles and vendored
//! trees are full of long random-looking strings (integrity hashes, mangled names) that are not
//! credentials, so by default only provider-format rules run there — a real `ghp_…` token in a
//! vendored file is still reported. Users add or override policies in `secrets.paths`.

use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::policy::config::SecretsConfig;
pub use crate::policy::config::SecretsPathMode as PathMode;

/// Built-in policies (after the user's, first match wins).
const LOCKFILES: &[&str] = &[
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lock",
    "Cargo.lock",
    "poetry.lock",
    "Pipfile.lock",
    "uv.lock",
    "pdm.lock",
    "composer.lock",
    "Gemfile.lock",
    "go.sum",
    "packages.lock.json",
    "flake.lock",
    "mix.lock",
    "pubspec.lock",
    "Podfile.lock",
    "gradle.lockfile",
];
const MINIFIED: &[&str] = &["*.min.js", "*.min.css", "*.min.mjs", "*.bundle.js", "*.map"];
const VENDORED: &[&str] = &[
    "vendor/",
    "node_modules/",
    "third_party/",
    "third-party/",
    "bower_components/",
    "site-packages/",
    ".yarn/",
];

pub struct PathPolicies {
    rules: Vec<(Gitignore, PathMode)>,
    builtin: bool,
}

fn build(globs: &[String]) -> anyhow::Result<Gitignore> {
    let mut b = GitignoreBuilder::new("/");
    for g in globs {
        b.add_line(None, g)
            .map_err(|e| anyhow::anyhow!("invalid path pattern `{g}` in `secrets.paths`: {e}"))?;
    }
    Ok(b.build()?)
}

impl PathPolicies {
    pub fn new(cfg: &SecretsConfig) -> anyhow::Result<PathPolicies> {
        let mut rules = Vec::new();
        for p in &cfg.paths {
            rules.push((build(&p.paths)?, p.mode));
        }
        if cfg.allowlist.paths.iter().any(|p| !p.is_empty()) {
            rules.push((build(&cfg.allowlist.paths)?, PathMode::Off));
        }
        if cfg.builtin_path_policies {
            let mut all: Vec<String> = LOCKFILES.iter().map(|s| (*s).to_string()).collect();
            all.extend(MINIFIED.iter().map(|s| (*s).to_string()));
            all.extend(VENDORED.iter().map(|s| (*s).to_string()));
            rules.push((build(&all)?, PathMode::ProviderOnly));
        }
        Ok(PathPolicies {
            rules,
            builtin: cfg.builtin_path_policies,
        })
    }

    /// The mode for a file, from its path and (for unnamed minified bundles) its shape.
    pub fn mode(&self, path: &str, text: &str) -> PathMode {
        for (gi, mode) in &self.rules {
            if gi.matched_path_or_any_parents(path, false).is_ignore() {
                return *mode;
            }
        }
        if self.builtin && looks_minified(path, text) {
            return PathMode::ProviderOnly;
        }
        PathMode::Full
    }
}

/// JavaScript/CSS with very long lines on average: generated, not written.
fn looks_minified(path: &str, text: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    if !(lower.ends_with(".js") || lower.ends_with(".mjs") || lower.ends_with(".css")) {
        return false;
    }
    let lines = memchr::memchr_iter(b'\n', text.as_bytes()).count() + 1;
    text.len() / lines > 500
}

/// Program source, where `x = y` assigns an expression: generic rules want a quoted literal.
/// Config, env, shell, YAML, Dockerfiles and docs are not code in this sense.
pub fn is_code(path: &str) -> bool {
    const CODE: &[&str] = &[
        "py", "pyi", "rs", "c", "h", "cc", "cpp", "cxx", "hpp", "hh", "go", "java", "kt", "kts",
        "scala", "groovy", "js", "mjs", "cjs", "jsx", "ts", "tsx", "rb", "php", "cs", "fs",
        "swift", "m", "mm", "dart", "lua", "pl", "pm", "r", "jl", "ex", "exs", "erl", "hs", "ml",
        "clj", "vb", "html", "htm", "vue", "svelte",
    ];
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.').is_some_and(|(_, ext)| {
        let ext = ext.to_ascii_lowercase();
        CODE.contains(&ext.as_str())
    })
}
