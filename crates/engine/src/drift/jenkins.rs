//! Jenkins job definitions (config.xml) for drift: canonical XML — attributes sorted, plugin
//! version attributes dropped, formatting whitespace gone, inline pipeline scripts normalised like
//! Jenkinsfiles — and the job's security profile.

use std::ops::Range;

use super::{Anchors, Job, JobKind, Profile, groovy};
use crate::analyzers::jenkins::xml::{self, Element};
use pipeguard_shell::{self as shell, classify::Kind};

/// The element tree of the Jenkins analyzer (`analyzers::jenkins::xml`: bounded depth, entities
/// resolved), with what drift does not compare dropped: `plugin="git@5.2.1"` attributes (plugin
/// upgrades are not job edits).
fn parse(text: &str) -> Result<Element, String> {
    let mut root =
        xml::parse(text).map_err(|e| format!("malformed XML at byte {}: {}", e.at, e.message))?;
    let mut stack: Vec<&mut Element> = vec![&mut root];
    while let Some(e) = stack.pop() {
        e.attrs.retain(|(k, _)| k != "plugin");
        for (_, v) in &mut e.attrs {
            // Attribute-value normalisation (XML 1.0 §3.3.3): whitespace characters are spaces.
            if v.contains(['\t', '\n', '\r']) {
                *v = v.replace(['\t', '\n', '\r'], " ");
            }
        }
        e.attrs.sort();
        stack.extend(e.children.iter_mut());
    }
    Ok(root)
}

/// The start tag of an element (its span runs to the end tag): findings point at it.
fn start_tag(text: &str, e: &Element) -> Range<usize> {
    let end = e.span.end.min(text.len());
    let mut quote = None;
    let tag = text.as_bytes().get(e.span.start..end).unwrap_or_default();
    for (k, &c) in tag.iter().enumerate() {
        let i = e.span.start + k;
        match (c, quote) {
            (b'"' | b'\'', None) => quote = Some(c),
            (q, Some(open)) if q == open => quote = None,
            (b'>', None) => return e.span.start..i + 1,
            _ => {}
        }
    }
    e.span.clone()
}

/// Direct text of an element when it is more than formatting whitespace.
fn own_text(e: &Element) -> Option<&str> {
    (!e.text.trim().is_empty()).then_some(e.text.as_str())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn render(e: &Element, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    let mut open = format!("<{}", e.name);
    for (k, v) in &e.attrs {
        open.push_str(&format!(" {k}=\"{}\"", escape(v).replace('"', "&quot;")));
    }
    let text = own_text(e);
    if e.children.is_empty() && text.is_none() {
        out.push_str(&format!("{pad}{open}/>\n"));
        return;
    }
    if let Some(t) = text
        && e.children.is_empty()
        && !t.trim().contains('\n')
        && e.name != "script"
    {
        out.push_str(&format!("{pad}{open}>{}</{}>\n", escape(t.trim()), e.name));
        return;
    }
    out.push_str(&format!("{pad}{open}>\n"));
    if let Some(t) = text {
        let body = if e.name == "script" {
            groovy::tokenize(t).map_or_else(|_| t.to_string(), |toks| groovy::render(t, &toks))
        } else {
            t.to_string()
        };
        for line in body.lines() {
            let line = line.trim_end();
            if !line.trim().is_empty() {
                out.push_str(&format!("{pad}  {}\n", escape(line.trim_start())));
            }
        }
    }
    for ch in &e.children {
        render(ch, depth + 1, out);
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
        job: start_tag(text, &root),
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

fn walk(e: &Element, text: &str, p: &mut Profile, a: &mut Anchors) {
    let name = e.name.as_str();
    let span = start_tag(text, e);
    match name {
        "triggers" => {
            a.triggers.get_or_insert(span.clone());
            for t in &e.children {
                p.triggers.insert(short(&t.name).to_string());
                // GHPRB with permitAll builds anyone's pull request: a wider trigger than
                // GHPRB with an allow-list.
                if short(&t.name) == "GhprbTrigger"
                    && t.children
                        .iter()
                        .any(|c| c.name == "permitAll" && c.text.trim() == "true")
                {
                    p.triggers.insert("GhprbTrigger:permitAll".into());
                }
            }
        }
        "sandbox" if e.text.trim() == "false" => {
            p.unsandboxed = true;
            a.sandbox.get_or_insert(span.clone());
        }
        "assignedNode" => {
            p.runners.insert(e.text.trim().to_string());
            a.runner.get_or_insert(span.clone());
        }
        "command" => {
            let script = shell::parse(&e.text);
            for act in shell::classify::classify(&script) {
                match act.kind {
                    Kind::ImageScan => p.scans_images = true,
                    Kind::ImagePush => {
                        p.pushes_images = true;
                        a.push.get_or_insert(span.clone());
                    }
                    Kind::Deploy => {
                        p.deploys = true;
                        a.deploy.get_or_insert(span.clone());
                    }
                    _ => {}
                }
            }
        }
        "script" => {
            let body = &e.text;
            if let Ok(toks) = groovy::tokenize(body) {
                let (sp, sa) = groovy::profile(body, &toks, true);
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
                    a.secrets.entry(k.clone()).or_insert(span.clone());
                }
                if sa.push.is_some() {
                    a.push.get_or_insert(span.clone());
                }
                if sa.deploy.is_some() {
                    a.deploy.get_or_insert(span.clone());
                }
            }
        }
        n if n.ends_with("ForkPullRequestDiscoveryTrait") => {
            let trust = e
                .children
                .iter()
                .find(|c| c.name == "trust")
                .and_then(|c| c.attr("class"))
                .map_or("unknown", short);
            p.triggers.insert(format!("fork-pull-request:{trust}"));
            a.triggers.get_or_insert(span.clone());
        }
        n if n.ends_with("OriginPullRequestDiscoveryTrait") => {
            p.triggers.insert("pull-request".into());
            a.triggers.get_or_insert(span.clone());
        }
        n if n.ends_with("BranchDiscoveryTrait") => {
            p.triggers.insert("branch".into());
        }
        n if n == "credentialsId" || n.ends_with("CredentialsId") => {
            let id = e.text.trim().to_string();
            if !id.is_empty() {
                a.secrets.entry(id.clone()).or_insert(span.clone());
                p.secrets.insert(id);
            }
        }
        _ => {}
    }
    for c in &e.children {
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
