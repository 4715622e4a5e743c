//! Jenkins job definitions (config.xml) for drift: canonical XML — attributes sorted, plugin
//! version attributes dropped, formatting whitespace gone, inline pipeline scripts normalised like
//! Jenkinsfiles — and the job's security profile.

use std::ops::Range;

use quick_xml::events::Event;
use quick_xml::reader::Reader;

use super::{Anchors, Job, JobKind, Profile, groovy};
use pipeguard_shell::{self as shell, classify::Kind};

#[derive(Debug, Default)]
struct Elem {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Node>,
    /// The start tag.
    span: Range<usize>,
}

#[derive(Debug)]
enum Node {
    Elem(Elem),
    Text(String),
}

impl Elem {
    fn text(&self) -> String {
        let mut s = String::new();
        for c in &self.children {
            if let Node::Text(t) = c {
                s.push_str(t);
            }
        }
        s
    }

    fn elems(&self) -> impl Iterator<Item = &Elem> {
        self.children.iter().filter_map(|c| match c {
            Node::Elem(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    })
}

fn parse(text: &str) -> Result<Elem, String> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Elem> = vec![Elem::default()];
    let mut pending = String::new();
    let flush = |pending: &mut String, stack: &mut Vec<Elem>| {
        if !pending.trim().is_empty()
            && let Some(top) = stack.last_mut()
        {
            top.children.push(Node::Text(std::mem::take(pending)));
        }
        pending.clear();
    };
    loop {
        let start = usize::try_from(reader.buffer_position()).unwrap_or(0);
        let ev = reader
            .read_event()
            .map_err(|e| format!("malformed XML at byte {}: {e}", reader.error_position()))?;
        let end = usize::try_from(reader.buffer_position()).unwrap_or(start);
        match ev {
            Event::Start(e) | Event::Empty(e) => {
                flush(&mut pending, &mut stack);
                let qname = e.name();
                let name: &str = qname.as_ref();
                let mut el = Elem {
                    name: name.to_string(),
                    span: start..end,
                    ..Elem::default()
                };
                for a in e.attributes() {
                    let a = a.map_err(|e| format!("malformed attribute at byte {start}: {e}"))?;
                    let key: &str = a.key.as_ref();
                    // `plugin="git@5.2.1"`: plugin upgrades are not job edits.
                    if key == "plugin" {
                        continue;
                    }
                    let value = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| format!("malformed attribute value at byte {start}: {e}"))?;
                    el.attrs.push((key.to_string(), value.into_owned()));
                }
                el.attrs.sort();
                let empty = text.get(start..end).is_some_and(|t| t.ends_with("/>"));
                if empty {
                    if let Some(top) = stack.last_mut() {
                        top.children.push(Node::Elem(el));
                    }
                } else {
                    stack.push(el);
                }
            }
            Event::End(_) => {
                flush(&mut pending, &mut stack);
                if stack.len() < 2 {
                    return Err(format!("unexpected closing tag at byte {start}"));
                }
                if let Some(el) = stack.pop()
                    && let Some(top) = stack.last_mut()
                {
                    top.children.push(Node::Elem(el));
                }
            }
            Event::Text(t) => pending.push_str(&t.xml_content(quick_xml::XmlVersion::Implicit1_0)),
            Event::CData(t) => pending.push_str(&t.xml_content(quick_xml::XmlVersion::Implicit1_0)),
            Event::GeneralRef(r) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    pending.push(c);
                } else if let Some(c) = entity(&r.xml_content(quick_xml::XmlVersion::Implicit1_0)) {
                    pending.push(c);
                } else {
                    return Err(format!("unknown entity at byte {start}"));
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if stack.len() != 1 {
        return Err("unexpected end of file: unclosed elements".into());
    }
    let doc = stack.pop().unwrap_or_default();
    doc.children
        .into_iter()
        .find_map(|c| match c {
            Node::Elem(e) => Some(e),
            Node::Text(_) => None,
        })
        .ok_or_else(|| "no root element".to_string())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn render(e: &Elem, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    let mut open = format!("<{}", e.name);
    for (k, v) in &e.attrs {
        open.push_str(&format!(" {k}=\"{}\"", escape(v).replace('"', "&quot;")));
    }
    if e.children.is_empty() {
        out.push_str(&format!("{pad}{open}/>\n"));
        return;
    }
    if let [Node::Text(t)] = e.children.as_slice()
        && !t.trim().contains('\n')
        && e.name != "script"
    {
        out.push_str(&format!("{pad}{open}>{}</{}>\n", escape(t.trim()), e.name));
        return;
    }
    out.push_str(&format!("{pad}{open}>\n"));
    for c in &e.children {
        match c {
            Node::Elem(ch) => render(ch, depth + 1, out),
            Node::Text(t) => {
                let body = if e.name == "script" {
                    groovy::tokenize(t).map_or_else(|_| t.clone(), |toks| groovy::render(t, &toks))
                } else {
                    t.clone()
                };
                for line in body.lines() {
                    let line = line.trim_end();
                    if !line.trim().is_empty() {
                        out.push_str(&format!("{pad}  {}\n", escape(line.trim_start())));
                    }
                }
            }
        }
    }
    out.push_str(&format!("{pad}</{}>\n", e.name));
}

/// `jobs/a/jobs/b/config.xml` → `a/b` (JENKINS_HOME layout); otherwise the directory.
pub fn job_name(path: &str) -> String {
    let parts: Vec<&str> = path.split('/').collect();
    let names: Vec<&str> = parts
        .windows(2)
        .filter(|w| w[0] == "jobs")
        .map(|w| w[1])
        .filter(|n| *n != "config.xml")
        .collect();
    if !names.is_empty() {
        return names.join("/");
    }
    match path.rsplit_once('/') {
        Some((dir, _)) if !dir.is_empty() => dir.to_string(),
        _ => path.to_string(),
    }
}

fn short(name: &str) -> &str {
    name.rsplit(['.', '$']).next().unwrap_or(name)
}

pub fn jobs(path: &str, text: &str) -> Result<Vec<Job>, String> {
    let root = parse(text)?;
    let mut canonical = String::new();
    render(&root, 0, &mut canonical);
    let mut profile = Profile::default();
    let mut anchors = Anchors {
        job: root.span.clone(),
        ..Anchors::default()
    };
    walk(&root, text, &mut profile, &mut anchors);
    Ok(vec![Job {
        source: path.to_string(),
        id: job_name(path),
        kind: JobKind::JenkinsJob,
        canonical,
        profile,
        anchors,
    }])
}

fn walk(e: &Elem, text: &str, p: &mut Profile, a: &mut Anchors) {
    let name = e.name.as_str();
    match name {
        "triggers" => {
            a.triggers.get_or_insert(e.span.clone());
            for t in e.elems() {
                p.triggers.insert(short(&t.name).to_string());
                // GHPRB with permitAll builds anyone's pull request: a wider trigger than
                // GHPRB with an allow-list.
                if short(&t.name) == "GhprbTrigger"
                    && t.elems()
                        .any(|c| c.name == "permitAll" && c.text().trim() == "true")
                {
                    p.triggers.insert("GhprbTrigger:permitAll".into());
                }
            }
        }
        "sandbox" if e.text().trim() == "false" => {
            p.unsandboxed = true;
            a.sandbox.get_or_insert(e.span.clone());
        }
        "assignedNode" => {
            p.runners.insert(e.text().trim().to_string());
            a.runner.get_or_insert(e.span.clone());
        }
        "command" => {
            let script = shell::parse(&e.text());
            for act in shell::classify::classify(&script) {
                match act.kind {
                    Kind::ImageScan => p.scans_images = true,
                    Kind::ImagePush => {
                        p.pushes_images = true;
                        a.push.get_or_insert(e.span.clone());
                    }
                    Kind::Deploy => {
                        p.deploys = true;
                        a.deploy.get_or_insert(e.span.clone());
                    }
                    _ => {}
                }
            }
        }
        "script" => {
            let body = e.text();
            if let Ok(toks) = groovy::tokenize(&body) {
                let (sp, sa) = groovy::profile(&body, &toks, true);
                p.secrets.extend(sp.secrets);
                p.runners.extend(sp.runners);
                p.triggers.extend(sp.triggers);
                p.scans_images |= sp.scans_images;
                p.pushes_images |= sp.pushes_images;
                p.deploys |= sp.deploys;
                p.approvals += sp.approvals;
                // Offsets inside the unescaped script do not map 1:1 to the file: point at
                // the element.
                for k in sa.secrets.keys() {
                    a.secrets.entry(k.clone()).or_insert(e.span.clone());
                }
                if sa.push.is_some() {
                    a.push.get_or_insert(e.span.clone());
                }
                if sa.deploy.is_some() {
                    a.deploy.get_or_insert(e.span.clone());
                }
            }
        }
        n if n.ends_with("ForkPullRequestDiscoveryTrait") => {
            let trust = e
                .elems()
                .find(|c| c.name == "trust")
                .and_then(|c| c.attr("class"))
                .map_or("unknown", short);
            p.triggers.insert(format!("fork-pull-request:{trust}"));
            a.triggers.get_or_insert(e.span.clone());
        }
        n if n.ends_with("OriginPullRequestDiscoveryTrait") => {
            p.triggers.insert("pull-request".into());
            a.triggers.get_or_insert(e.span.clone());
        }
        n if n.ends_with("BranchDiscoveryTrait") => {
            p.triggers.insert("branch".into());
        }
        n if n == "credentialsId" || n.ends_with("CredentialsId") => {
            let id = e.text().trim().to_string();
            if !id.is_empty() {
                a.secrets.entry(id.clone()).or_insert(e.span.clone());
                p.secrets.insert(id);
            }
        }
        _ => {}
    }
    let _ = text;
    for c in e.elems() {
        walk(c, text, p, a);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JOB: &str = r#"<?xml version='1.1' encoding='UTF-8'?>
<project>
  <description>build &amp; push</description>
  <assignedNode>linux</assignedNode>
  <triggers>
    <hudson.triggers.SCMTrigger><spec>H/5 * * * *</spec></hudson.triggers.SCMTrigger>
  </triggers>
  <builders>
    <hudson.tasks.Shell>
      <command>docker build -t reg.example.com/app .
docker push reg.example.com/app</command>
    </hudson.tasks.Shell>
  </builders>
  <buildWrappers>
    <org.jenkinsci.plugins.credentialsbinding.impl.SecretBuildWrapper plugin="credentials-binding@1.27">
      <bindings><org.jenkinsci.plugins.credentialsbinding.impl.StringBinding>
        <credentialsId>deploy-token</credentialsId><variable>T</variable>
      </org.jenkinsci.plugins.credentialsbinding.impl.StringBinding></bindings>
    </org.jenkinsci.plugins.credentialsbinding.impl.SecretBuildWrapper>
  </buildWrappers>
</project>
"#;

    #[test]
    fn canonical_ignores_formatting_and_plugin_versions() {
        let a = jobs("jobs/app/config.xml", JOB).unwrap().remove(0);
        let b_text = JOB
            .replace("credentials-binding@1.27", "credentials-binding@1.30")
            .replace("\n  ", "\n    ")
            .replace("<?xml version='1.1' encoding='UTF-8'?>\n", "");
        let b = jobs("jobs/app/config.xml", &b_text).unwrap().remove(0);
        assert_eq!(a.canonical, b.canonical);
        assert_eq!(a.id, "app");
        let c = jobs("jobs/app/config.xml", &JOB.replace("linux", "builder"))
            .unwrap()
            .remove(0);
        assert_ne!(a.canonical, c.canonical);
    }

    #[test]
    fn profile_of_freestyle_job() {
        let j = jobs("jobs/f/jobs/app/config.xml", JOB).unwrap().remove(0);
        assert_eq!(j.id, "f/app");
        assert!(j.profile.pushes_images);
        assert!(j.profile.secrets.contains("deploy-token"));
        assert!(j.profile.triggers.contains("SCMTrigger"));
        assert!(j.profile.runners.contains("linux"));
        assert!(j.canonical.contains("build &amp; push"));
    }

    #[test]
    fn malformed_xml_is_an_error() {
        assert!(jobs("config.xml", "<project><a></project>").is_err());
        assert!(jobs("config.xml", "<project>").is_err());
        assert!(jobs("config.xml", "").is_err());
    }
}
