//! The tools Dockerfile rules care about, recognised on parsed shell commands: package managers
//! (apt-get/apt, apk, yum/dnf/microdnf, pip, npm) with the packages they install, `chmod`-like
//! mode changes, downloads (curl/wget) and `cd`.

use pipeguard_shell::{Command, Word, basename};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Manager {
    Apt,
    Apk,
    Yum,
    Dnf,
    Pip,
    Npm,
}

/// A package installation: `apt-get install -y curl`, `python3 -m pip install x`.
pub struct Install<'c> {
    pub manager: Manager,
    /// The words after the subcommand (options and packages).
    pub args: &'c [Word],
    /// Package operands (values of value-taking options excluded).
    pub packages: Vec<&'c Word>,
}

/// Options of each manager that take a separate value (their value is not a package).
fn value_options(m: Manager) -> &'static [&'static str] {
    match m {
        Manager::Apt => &[
            "-o",
            "--option",
            "-c",
            "--config-file",
            "-t",
            "--target-release",
            "--default-release",
        ],
        Manager::Apk => &[
            "-t",
            "--virtual",
            "-X",
            "--repository",
            "-p",
            "--root",
            "--arch",
            "--repositories-file",
            "--keys-dir",
            "--cache-dir",
            "--cache-max-age",
            "--timeout",
        ],
        Manager::Yum | Manager::Dnf => &[
            "--enablerepo",
            "--disablerepo",
            "--setopt",
            "--installroot",
            "--releasever",
            "-c",
            "--config",
            "-x",
            "--exclude",
            "--repo",
            "--repofrompath",
            "--nodocs",
        ],
        Manager::Pip => &[
            "-r",
            "--requirement",
            "-c",
            "--constraint",
            "-e",
            "--editable",
            "-i",
            "--index-url",
            "--extra-index-url",
            "-f",
            "--find-links",
            "-t",
            "--target",
            "--prefix",
            "--root",
            "--platform",
            "--python-version",
            "--implementation",
            "--abi",
            "--src",
            "--cache-dir",
            "--trusted-host",
            "--no-binary",
            "--only-binary",
            "--progress-bar",
            "--log",
            "--proxy",
            "--retries",
            "--timeout",
            "--upgrade-strategy",
            "--config-settings",
            "-C",
        ],
        Manager::Npm => &[
            "--prefix",
            "-C",
            "--registry",
            "--cache",
            "-w",
            "--workspace",
        ],
    }
}

/// Non-option words of `args`, skipping the values of the given value-taking options.
pub fn operands<'c>(args: &'c [Word], value_opts: &[&str]) -> Vec<&'c Word> {
    let mut out = Vec::new();
    let mut skip = false;
    let mut rest = false;
    for w in args {
        if skip {
            skip = false;
            continue;
        }
        let t = w.text.as_str();
        if rest {
            out.push(w);
        } else if t == "--" {
            rest = true;
        } else if t.starts_with('-') && t != "-" {
            skip = value_opts.contains(&t);
        } else {
            out.push(w);
        }
    }
    out
}

/// The package manager invocation this command is, if any.
pub fn install(cmd: &Command) -> Option<Install<'_>> {
    let prog = cmd.program()?;
    let mut args = cmd.args();
    let manager = match prog {
        "apt-get" | "apt" | "aptitude" => Manager::Apt,
        "apk" => Manager::Apk,
        "yum" => Manager::Yum,
        "dnf" | "microdnf" | "tdnf" => Manager::Dnf,
        "npm" => Manager::Npm,
        p if is_pip(p) => Manager::Pip,
        p if p.starts_with("python") => {
            // `python3 -m pip install …`
            let m = args.iter().position(|w| w.text == "-m")?;
            if !args.get(m + 1).is_some_and(|w| is_pip(&w.text)) {
                return None;
            }
            args = &args[m + 2..];
            Manager::Pip
        }
        _ => return None,
    };
    let vopts = value_options(manager);
    let ops = operands(args, vopts);
    let sub = ops.first()?;
    let installs = match manager {
        Manager::Apt | Manager::Yum | Manager::Dnf | Manager::Pip => sub.text == "install",
        Manager::Apk => sub.text == "add",
        Manager::Npm => matches!(sub.text.as_str(), "install" | "i" | "add" | "ci"),
    };
    if !installs {
        return None;
    }
    let after = args
        .iter()
        .position(|w| std::ptr::eq(w, *sub))
        .map_or(args, |i| &args[i + 1..]);
    let packages = operands(after, vopts);
    Some(Install {
        manager,
        args: after,
        packages,
    })
}

fn is_pip(p: &str) -> bool {
    p == "pip"
        || p.strip_prefix("pip")
            .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

/// Whether `args` contain a flag: `-x` (also combined `-yx`) or `--long` / `--long=…`.
pub fn has_flag(args: &[Word], short: Option<char>, long: &[&str]) -> bool {
    args.iter().any(|w| {
        let t = w.text.as_str();
        if let Some(rest) = t.strip_prefix("--") {
            let name = rest.split('=').next().unwrap_or(rest);
            return long.contains(&name);
        }
        short.is_some_and(|s| {
            t.strip_prefix('-').is_some_and(|r| {
                !r.is_empty() && r.chars().all(|c| c.is_ascii_alphanumeric()) && r.contains(s)
            })
        })
    })
}

/// The command was run through `sudo` (or `doas`).
pub fn uses_sudo(cmd: &Command) -> Option<&Word> {
    let wrapped = cmd.words.len() - cmd.effective().len();
    cmd.words[..wrapped]
        .iter()
        .find(|w| matches!(basename(&w.text), "sudo" | "doas"))
}

/// A file mode that lets everyone write: octal with the others-write bit (`777`, `0666`), or a
/// symbolic mode granting `w` to `o`/`a` (`a+w`, `o=rwx`). Sticky-bit modes (`1777`, the `/tmp`
/// convention) are excluded.
pub fn world_writable_mode(mode: &str) -> bool {
    if !mode.is_empty() && mode.chars().all(|c| c.is_digit(8)) {
        let Ok(n) = u32::from_str_radix(mode, 8) else {
            return false;
        };
        return n & 0o002 != 0 && n & 0o1000 == 0;
    }
    mode.split(',').any(|clause| {
        let Some(op) = clause.find(['+', '=']) else {
            return false;
        };
        let who = &clause[..op];
        let perms = &clause[op + 1..];
        (who.contains('o') || who.contains('a')) && perms.contains('w') && !perms.contains('t')
    })
}

/// The mode a command sets that makes files world-writable: `chmod 777 x`, `chmod -R a+w x`,
/// `mkdir -m 777 x`, `install -m 0777 …`.
pub fn world_writable(cmd: &Command) -> Option<&Word> {
    match cmd.program()? {
        "chmod" => {
            let mode = operands(cmd.args(), &["--reference"]).into_iter().next()?;
            world_writable_mode(&mode.text).then_some(mode)
        }
        "mkdir" | "install" => {
            let w = cmd.flag_value(Some('m'), Some("mode"))?;
            let mode = w.text.strip_prefix("--mode=").unwrap_or(&w.text);
            world_writable_mode(mode).then_some(w)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipeguard_shell::parse;

    #[test]
    fn installs() {
        let s = parse(
            "apt-get -o Acquire::Retries=3 install -y --no-install-recommends curl git=1:2.39 && apk add --no-cache --virtual .deps gcc musl-dev=1.2 && python3 -m pip install -r req.txt flask && npm ci",
        );
        let all: Vec<_> = s.commands.iter().filter_map(install).collect();
        assert_eq!(all.len(), 4);
        let names = |i: &Install<'_>| -> Vec<String> {
            i.packages.iter().map(|w| w.text.clone()).collect()
        };
        assert_eq!(names(&all[0]), ["curl", "git=1:2.39"]);
        assert_eq!(all[1].manager, Manager::Apk);
        assert_eq!(names(&all[1]), ["gcc", "musl-dev=1.2"]);
        assert_eq!(all[2].manager, Manager::Pip);
        assert_eq!(names(&all[2]), ["flask"]);
        assert!(has_flag(all[1].args, None, &["no-cache"]));
        assert!(install(&parse("apt-get update").commands[0]).is_none());
        assert!(install(&parse("pip3.11 install x").commands[0]).is_some());
    }

    #[test]
    fn modes() {
        for m in ["777", "0777", "666", "a+w", "o+w", "u+x,o=rwx", "a=rwx"] {
            assert!(world_writable_mode(m), "{m}");
        }
        for m in ["755", "1777", "644", "+w", "u+w", "g+w", "o+t", "a+rx"] {
            assert!(!world_writable_mode(m), "{m}");
        }
        let s = parse("chmod -R 777 /app; mkdir -m 0777 /d; chmod --reference=x 777 y");
        assert!(world_writable(&s.commands[0]).is_some());
        assert!(world_writable(&s.commands[1]).is_some());
    }
}
