//! `jenkins/sandbox-disabled`: a job's inline Groovy (pipeline `<definition>` script, system
//! Groovy, Job DSL) runs with `<sandbox>false</sandbox>`: outside the script-security sandbox,
//! with full access to the controller's JVM, files and every stored credential. Anyone who can
//! edit the job (or the approved script) owns the controller.

use crate::analyzers::Output;
use crate::analyzers::jenkins::xml::Element;
use crate::finding::RawFinding;
use crate::source::SourceFile;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::JenkinsSandboxDisabled, check, kind = JobCheck);

pub fn check(file: &SourceFile, root: &Element, job: &str, out: &mut Output) {
    root.walk("", &mut |el, _| {
        let Some(sandbox) = el.children.iter().find(|c| c.name == "sandbox") else {
            return;
        };
        if sandbox.trimmed().0 != "false" {
            return;
        }
        // An empty script runs nothing (EnvInject's `secureGroovyScript` left blank).
        if el.child("script").is_some_and(|s| s.trimmed().0.is_empty()) {
            return;
        }
        let parent = el.name.as_str();
        out.push(
            RawFinding::new(
                ID,
                file,
                sandbox.span.clone(),
                format!("job `{job}` runs Groovy outside the script-security sandbox"),
            )
            .content(format!("{job} {parent} sandbox false"))
            .property("definition", parent),
        );
    });
}
