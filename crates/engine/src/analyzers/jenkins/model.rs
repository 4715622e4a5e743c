//! What a pipeline script does, as facts with spans: shell steps and the scope they run in
//! (stage, change-request condition, credential variables bound around them), credential
//! bindings, `environment {}` entries, image builds/pushes/scans, deployments, `checkout scm`
//! and declared triggers. Rules only read this model.
//!
//! Spans here are offsets into the parsed script text; [`Doc`] maps them into the file (the
//! script of a job config.xml is XML-unescaped text inside the file).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use super::sources::{self, Control};
use crate::analyzers::common::secrets::{is_placeholder, is_secret_name};
use crate::source::SourceFile;
use pipeguard_groovy::{
    Call, Closure, Expr, ExprKind, OffsetMap, Quote, Script, Stmt, StmtKind, StrLit, stage_name,
};
use pipeguard_shell::{self as shell, classify};

/// The file findings go to, and how script offsets map into it.
pub struct Doc<'a> {
    pub file: &'a SourceFile,
    /// The Groovy source that was parsed.
    pub text: &'a str,
    /// `None` when `text` is the file's own text.
    pub map: Option<&'a OffsetMap>,
    /// The job name (config.xml) or `None` for a Jenkinsfile.
    pub job: Option<String>,
    /// Triggers known from outside the script (config.xml).
    pub extra_triggers: Vec<String>,
}

impl Doc<'_> {
    pub fn range(&self, r: &Range<usize>) -> Range<usize> {
        match self.map {
            Some(m) => m.map_range(r),
            None => r.clone(),
        }
    }
}

/// Whether a scope runs for change-request (pull request) builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrScope {
    /// No condition either way.
    Any,
    /// Only change-request builds (`when { changeRequest() }`, `if (env.CHANGE_ID)`).
    OnlyPr,
    /// Never change-request builds (`when { branch 'main' }`, `if (!env.CHANGE_ID)`).
    NoPr,
}

/// The context a step or binding sits in.
#[derive(Clone, Debug)]
pub struct Scope {
    pub stage: Option<String>,
    pub pr: PrScope,
    /// The condition that set `pr` (for related locations).
    pub pr_span: Option<Range<usize>>,
    /// Credential variables bound around this point.
    pub cred_vars: Vec<CredVar>,
    /// The method (`def name(…) { … }`) whose body this is, innermost first.
    pub method: Option<String>,
}

/// A variable a credential binding sets.
#[derive(Clone, Debug)]
pub struct CredVar {
    pub var: String,
    /// The credential id (empty when not literal).
    pub id: String,
    /// Whether the value is secret: not a user name (`usernameVariable`, `X_USR`) and not the
    /// path of a temporary file (`keyFileVariable`, `file(variable:)`).
    pub secret: bool,
}

/// A `${…}` (or `$x`) interpolation in a shell script, or a non-literal script argument: the
/// identifier paths it reads.
#[derive(Clone, Debug)]
pub struct Interp {
    pub span: Range<usize>,
    pub refs: Vec<(String, Range<usize>)>,
}

/// Where a value a rule follows comes from and who controls it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taint {
    pub control: Control,
    /// The variable (or the output) the value comes from: `env.CHANGE_TITLE`, `ghprbPullTitle`,
    /// `commit messages (git log)`.
    pub origin: String,
    /// The Generic Webhook Trigger JSONPath, when the origin is such a variable.
    pub webhook: Option<String>,
}

#[derive(Clone, Debug)]
pub struct ShellStep {
    /// `sh`, `bat`, `powershell` or `pwsh`.
    pub step: String,
    pub call_span: Range<usize>,
    /// The script argument, when it is a string literal.
    pub script: Option<StrLit>,
    pub script_span: Range<usize>,
    /// What Groovy interpolates into the script.
    pub interpolated: Vec<Interp>,
    pub scope: Scope,
}

#[derive(Clone, Debug)]
pub struct Binding {
    /// Credential id, when literal.
    pub id: Option<String>,
    pub span: Range<usize>,
    pub vars: Vec<String>,
    /// `withCredentials`, `environment`, `withRegistry`, `credentialsId`, …
    pub how: String,
    pub scope: Scope,
}

#[derive(Clone, Debug)]
pub struct EnvEntry {
    pub name: String,
    pub name_span: Range<usize>,
    pub value: Expr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    Scan,
    Build,
    Push,
    Deploy,
}

#[derive(Clone, Debug)]
pub struct Event {
    pub kind: EventKind,
    pub tool: String,
    pub span: Range<usize>,
    pub scope: Scope,
}

/// `load 'ci/steps.groovy'` or `evaluate(…)`: Groovy read at run time, from the workspace.
#[derive(Clone, Debug)]
pub struct GroovyLoad {
    /// `load` or `evaluate`.
    pub how: String,
    pub span: Range<usize>,
    pub scope: Scope,
}

/// An `input` approval (the step, or the declarative stage directive).
#[derive(Clone, Debug)]
pub struct Approval {
    pub span: Range<usize>,
    /// It names who may approve (`submitter:`).
    pub submitter: bool,
    pub scope: Scope,
}

/// A literal value passed to an argument whose name says it is a secret (`password: 'x'`).
#[derive(Clone, Debug)]
pub struct SecretArg {
    pub key: String,
    pub value_span: Range<usize>,
    pub value: String,
}

#[derive(Clone, Debug, Default)]
pub struct Model {
    pub steps: Vec<ShellStep>,
    pub bindings: Vec<Binding>,
    pub env: Vec<EnvEntry>,
    pub events: Vec<Event>,
    pub secret_args: Vec<SecretArg>,
    pub checkouts: Vec<Range<usize>>,
    pub loads: Vec<GroovyLoad>,
    pub approvals: Vec<Approval>,
    /// The script tests for change requests somewhere (it is built for pull requests).
    pub pr_aware: bool,
    pub triggers: BTreeSet<String>,
    /// Local variables holding values someone outside the pipeline controls.
    pub tainted_locals: BTreeMap<String, Taint>,
    /// Generic Webhook Trigger variables whose JSONPath reads a PR author's field: name →
    /// (JSONPath, who controls it). From `GenericTrigger(genericVariables: …)` in the script,
    /// or from the job's config.xml.
    pub webhook_vars: BTreeMap<String, (String, Control)>,
    /// Methods defined in the script that are called in it, but only from places a
    /// change-request build never reaches (a `buildingTag()` stage, `if (!env.CHANGE_ID)`, or
    /// other such methods): what their bodies bind is not reachable from a pull request.
    pub pr_unreachable_methods: BTreeSet<String>,
}

/// A call of a method the script defines: who calls it, under which condition.
struct MethodCall {
    callee: String,
    pr: PrScope,
    caller: Option<String>,
}

/// The script's methods that are called only where change requests never run, to a fixpoint
/// over the call graph (bounded by the number of methods). A method never called in the file is
/// not among them: a shared library or another file may call it.
fn pr_unreachable(defined: &BTreeSet<String>, calls: &[MethodCall]) -> BTreeSet<String> {
    let called: BTreeSet<&str> = calls.iter().map(|c| c.callee.as_str()).collect();
    let mut reachable: BTreeSet<&str> = BTreeSet::new();
    for _ in 0..=defined.len() {
        let mut changed = false;
        for c in calls {
            let from_pr = c.pr != PrScope::NoPr
                && c.caller
                    .as_deref()
                    .is_none_or(|m| !called.contains(m) || reachable.contains(m));
            if from_pr && reachable.insert(c.callee.as_str()) {
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    defined
        .iter()
        .filter(|d| called.contains(d.as_str()) && !reachable.contains(d.as_str()))
        .cloned()
        .collect()
}

/// Names of the methods a script defines, at any depth.
fn defined_methods(body: &[Stmt]) -> BTreeSet<String> {
    struct V(BTreeSet<String>);
    impl pipeguard_groovy::Visitor for V {
        fn stmt(&mut self, s: &Stmt) {
            if let StmtKind::Method { name, .. } = &s.kind {
                self.0.insert(name.clone());
            }
        }
    }
    let mut v = V(BTreeSet::new());
    pipeguard_groovy::walk_stmts(body, &mut v);
    v.0
}

/// Generic Webhook Trigger variables: name → (JSONPath, who controls the field it reads).
pub type WebhookVars = BTreeMap<String, (String, Control)>;

impl Model {
    /// Whether a change-request build can run the code at this scope: it runs only for them, or
    /// nothing excludes them in a pipeline built for pull requests; a method counts where the
    /// file calls it.
    pub fn pr_reachable(&self, scope: &Scope) -> bool {
        let by_condition = match scope.pr {
            PrScope::OnlyPr => true,
            PrScope::Any => self.pr_aware,
            PrScope::NoPr => false,
        };
        by_condition
            && !scope
                .method
                .as_ref()
                .is_some_and(|n| self.pr_unreachable_methods.contains(n))
    }

    /// Who controls the value at identifier path `path`, if anyone outside the pipeline does.
    pub fn source(&self, path: &str) -> Option<Taint> {
        if let Some(t) = self.tainted_locals.get(path) {
            return Some(t.clone());
        }
        let name = var_name(path);
        if let Some((jp, c)) = self.webhook_vars.get(name) {
            return Some(Taint {
                control: *c,
                origin: name.to_string(),
                webhook: Some(jp.clone()),
            });
        }
        sources::env_source(path).map(|control| Taint {
            control,
            origin: path.to_string(),
            webhook: None,
        })
    }
}

const SHELL_STEPS: &[&str] = &["sh", "bat", "powershell", "pwsh"];

/// Groovy steps that scan an image (plugins), by step name.
const SCAN_STEPS: &[&str] = &[
    "grypeScan",
    "anchore",
    "snykSecurity",
    "aquaMicroscanner",
    "neuvector",
    "prismaCloudScanImage",
    "twistlockScan",
    "trivyScan",
    "pipeguard",
];

const DEPLOY_STEPS: &[&str] = &[
    "kubernetesDeploy",
    "kubeconfig",
    "azureWebAppPublish",
    "azureFunctionAppPublish",
    "ecsDeploy",
    "helmDeploy",
    "deployToECS",
];

/// The name of a variable, without `env.` (`env.X`, `env['X']` and bare `X` are the same).
pub fn var_name(path: &str) -> &str {
    path.strip_prefix("env.").unwrap_or(path)
}

/// A value of a credential-named argument or element that is not a real secret: the common
/// placeholders, and a number, a Vault path (`secret/team/ci/codecov`), for `token` a Generic
/// Webhook Trigger job name (`build-cosa`), for `…_CREDENTIALS` a credential id.
pub fn not_a_secret(key: &str, v: &str) -> bool {
    let t = v.trim();
    is_placeholder(t)
        || t.chars().all(|c| c.is_ascii_digit())
        || vault_path(t)
        || (key == "token" && name_like_token(t))
        || (is_credential_ref_name(key) && (name_like_token(t) || uuid_id(t)))
}

/// `2a9602aa-ab9f-4e52-baf3-b71ca88469c7`, optionally with a `-Suffix`: the form of the ids
/// Jenkins generates for stored credentials. Only under a credential-reference name: a UUID
/// elsewhere can be a real token.
fn uuid_id(t: &str) -> bool {
    let b = t.as_bytes();
    let groups = [8usize, 4, 4, 4, 12];
    let mut i = 0;
    for (n, len) in groups.iter().enumerate() {
        if b.len() < i + len || !b[i..i + len].iter().all(u8::is_ascii_hexdigit) {
            return false;
        }
        i += len;
        if n < groups.len() - 1 {
            if b.get(i) != Some(&b'-') {
                return false;
            }
            i += 1;
        }
    }
    match b.get(i) {
        None => true,
        Some(b'-') => t[i + 1..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
        _ => false,
    }
}

/// `JOB_GCS_CREDENTIALS`, `gitCredentials`: a name for the id of a stored Jenkins credential;
/// with a name-like value (`apm-ci-gcs-plugin`) it is that id, not a secret.
fn is_credential_ref_name(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "credentials",
        "credential",
        "credentials_id",
        "credential_id",
        "credentialsid",
        "cred_id",
    ]
    .iter()
    .any(|s| k.ends_with(s))
}

/// `secret/apm-team/ci/codecov`, `kv/data/app`: a path of lowercase words, not a secret value
/// (a base64 secret with a `/` has mixed-case segments).
fn vault_path(t: &str) -> bool {
    let mut segs = t.split('/');
    let Some(first) = segs.next() else {
        return false;
    };
    t.contains('/')
        && !first.is_empty()
        && first
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && t.split('/').all(|s| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
}

/// A Generic Webhook Trigger token that is a name (`build-cosa`, `example-app-pr`): it picks the
/// job a webhook call starts, and a name is not a secret anyone relies on.
pub fn name_like_token(t: &str) -> bool {
    t.contains(['-', '_'])
        && t.split(['-', '_']).all(|w| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

pub fn build(script: &Script) -> Model {
    build_with(script, BTreeMap::new())
}

/// Build the model of a script whose job declares Generic Webhook Trigger variables.
pub fn build_with(script: &Script, webhook_vars: BTreeMap<String, (String, Control)>) -> Model {
    let mut m = Model {
        webhook_vars,
        ..Model::default()
    };
    generic_trigger_vars(&script.body, &mut m.webhook_vars);
    taint_locals(&script.body, &mut m);
    // A pull-request comment trigger: the job builds pull requests.
    m.pr_aware |= mentions_call(&script.body, "issueCommentTrigger");
    let scope = Scope {
        stage: None,
        pr: PrScope::Any,
        pr_span: None,
        cred_vars: Vec::new(),
        method: None,
    };
    let methods = defined_methods(&script.body);
    let mut w = Walker {
        m: &mut m,
        docker_vars: BTreeSet::new(),
        methods: &methods,
        calls: Vec::new(),
    };
    w.block(&script.body, &scope);
    let calls = std::mem::take(&mut w.calls);
    m.pr_unreachable_methods = pr_unreachable(&methods, &calls);
    m
}

/// `GenericTrigger(genericVariables: [[key: 'ref', value: '$.pull_request.head.ref']])` in
/// `triggers {}` or `pipelineTriggers([…])`: the variables that read a PR author's field.
fn generic_trigger_vars(body: &[Stmt], out: &mut BTreeMap<String, (String, Control)>) {
    struct V<'a>(&'a mut BTreeMap<String, (String, Control)>);
    impl pipeguard_groovy::Visitor for V<'_> {
        fn expr(&mut self, e: &Expr) {
            let ExprKind::Call(c) = &e.kind else { return };
            if c.name != "GenericTrigger" {
                return;
            }
            let Some(ExprKind::List(vars)) = c.named("genericVariables").map(|v| &v.kind) else {
                return;
            };
            for v in vars {
                let ExprKind::Map(entries) = &v.kind else {
                    continue;
                };
                let get = |k: &str| {
                    entries
                        .iter()
                        .find(|a| a.name.as_ref().is_some_and(|(n, _)| n == k))
                        .and_then(|a| a.value.literal_str())
                };
                let (Some(key), Some(path)) = (get("key"), get("value")) else {
                    continue;
                };
                if let Some(ctl) = sources::webhook_source(&path) {
                    self.0.insert(key, (path, ctl));
                }
            }
        }
    }
    pipeguard_groovy::walk_stmts(body, &mut V(out));
}

/// The strongest source among the values an expression reads; `sh(returnStdout: true)` of a
/// `git log` that prints messages is the PR author's text. A value passed through
/// `replaceAll(/[^…]/, …)` (a negated character class) or converted to a number is clean.
fn expr_taint(m: &Model, e: &Expr) -> Option<Taint> {
    if let ExprKind::Call(c) = &e.kind {
        if cleans(c) {
            return None;
        }
        if c.target.is_none()
            && c.name == "sh"
            && c.named("returnStdout")
                .is_some_and(|v| matches!(v.kind, ExprKind::Bool(true)))
            && c.named("script")
                .and_then(Expr::literal_str)
                .is_some_and(|s| sources::prints_commit_text(&s))
        {
            return Some(Taint {
                control: Control::ForkAuthor,
                origin: "commit text (git log)".into(),
                webhook: None,
            });
        }
        if let Some(t) = &c.target
            && let Some(x) = expr_taint(m, t)
        {
            return Some(x);
        }
    }
    if matches!(&e.kind, ExprKind::Binary { op, .. } if matches!(op.as_str(), "==" | "!=" | "=~" | "==~" | "in" | "instanceof" | "<" | ">" | "<=" | ">=" | "&&" | "||"))
    {
        return None;
    }
    let mut best: Option<Taint> = None;
    let mut consider = |t: Option<Taint>| {
        if let Some(t) = t
            && best.as_ref().is_none_or(|b| t.control > b.control)
        {
            best = Some(t);
        }
    };
    match &e.kind {
        ExprKind::Call(c) => {
            for a in &c.args {
                consider(expr_taint(m, &a.value));
            }
        }
        ExprKind::Str(s) => {
            for p in &s.parts {
                if let pipeguard_groovy::StrPart::Interp { expr: Some(x), .. } = p {
                    consider(expr_taint(m, x));
                }
            }
        }
        ExprKind::Binary { lhs, rhs, .. } => {
            consider(expr_taint(m, lhs));
            consider(expr_taint(m, rhs));
        }
        ExprKind::Ternary {
            then, otherwise, ..
        } => {
            consider(expr_taint(m, then));
            consider(expr_taint(m, otherwise));
        }
        ExprKind::List(items) => items.iter().for_each(|x| consider(expr_taint(m, x))),
        _ => {
            for (r, _) in e.references() {
                consider(m.source(&r));
            }
        }
    }
    best
}

/// Locals assigned from values someone outside the pipeline controls (`def t =
/// env.CHANGE_TITLE`), to a fixpoint; each keeps its strongest source.
fn taint_locals(body: &[Stmt], m: &mut Model) {
    struct V<'a> {
        m: &'a mut Model,
        changed: bool,
    }
    impl V<'_> {
        fn mark(&mut self, name: &str, t: &Taint) {
            let stronger = self
                .m
                .tainted_locals
                .get(name)
                .is_none_or(|old| t.control > old.control);
            if stronger {
                self.m.tainted_locals.insert(name.to_string(), t.clone());
                self.changed = true;
            }
        }
    }
    impl pipeguard_groovy::Visitor for V<'_> {
        fn stmt(&mut self, s: &Stmt) {
            if let StmtKind::Decl {
                names,
                value: Some(v),
            } = &s.kind
                && let Some(t) = expr_taint(self.m, v)
            {
                for (n, _) in names {
                    self.mark(n, &t);
                }
            }
        }
        fn expr(&mut self, e: &Expr) {
            let ExprKind::Assign { target, value, .. } = &e.kind else {
                return;
            };
            let Some(taint) = expr_taint(self.m, value) else {
                return;
            };
            // `x = v`, `(a, b) = v`.
            let targets: Vec<&Expr> = match &target.kind {
                ExprKind::List(items) => items.iter().collect(),
                _ => vec![&**target],
            };
            for t in targets {
                if let ExprKind::Ident(n) = &t.kind {
                    let n = n.clone();
                    self.mark(&n, &taint);
                }
            }
        }
    }
    for _ in 0..4 {
        let mut v = V {
            m: &mut *m,
            changed: false,
        };
        pipeguard_groovy::walk_stmts(body, &mut v);
        if !v.changed {
            break;
        }
    }
}

struct Walker<'m> {
    m: &'m mut Model,
    /// Variables holding `docker.build(…)` / `docker.image(…)` results.
    docker_vars: BTreeSet<String>,
    /// The methods the script defines, and the calls of them seen so far.
    methods: &'m BTreeSet<String>,
    calls: Vec<MethodCall>,
}

impl Walker<'_> {
    fn block(&mut self, stmts: &[Stmt], scope: &Scope) {
        // Declarative `environment {}` binds for the whole enclosing block, wherever it sits.
        let mut scope = scope.clone();
        for s in stmts {
            if let StmtKind::Expr(e) = &s.kind
                && let ExprKind::Call(c) = &e.kind
                && c.target.is_none()
                && c.name == "environment"
                && let Some(body) = c.body()
            {
                self.environment(body, &mut scope);
            }
        }
        for s in stmts {
            self.stmt(s, &scope);
        }
    }

    fn environment(&mut self, body: &Closure, scope: &mut Scope) {
        for s in &body.body {
            let StmtKind::Expr(e) = &s.kind else { continue };
            let ExprKind::Assign { target, value, .. } = &e.kind else {
                continue;
            };
            let Some(name) = target.dotted() else {
                continue;
            };
            self.m.env.push(EnvEntry {
                name: name.clone(),
                name_span: target.span.clone(),
                value: (**value).clone(),
            });
            if let ExprKind::Call(c) = &value.kind
                && c.name == "credentials"
                && c.target.is_none()
            {
                let id = c.positional(0).and_then(Expr::literal_str);
                let idv = id.clone().unwrap_or_default();
                let vars = vec![name.clone(), format!("{name}_USR"), format!("{name}_PSW")];
                for v in &vars {
                    scope.cred_vars.push(CredVar {
                        var: v.clone(),
                        id: idv.clone(),
                        secret: !v.ends_with("_USR"),
                    });
                }
                self.m.bindings.push(Binding {
                    id,
                    span: value.span.clone(),
                    vars,
                    how: "environment".into(),
                    scope: scope.clone(),
                });
            }
        }
    }

    fn stmt(&mut self, s: &Stmt, scope: &Scope) {
        match &s.kind {
            StmtKind::Expr(e) | StmtKind::Return(Some(e)) | StmtKind::Throw(e) => {
                self.expr(e, scope);
            }
            StmtKind::Decl { names, value } => {
                if let Some(v) = value {
                    self.note_docker_var(names.iter().map(|(n, _)| n.as_str()), v);
                    self.expr(v, scope);
                }
            }
            StmtKind::If {
                cond,
                then,
                otherwise,
            } => {
                self.expr(cond, scope);
                let c = pr_condition(cond);
                if mentions_change_requests(cond) {
                    self.m.pr_aware = true;
                }
                let narrowed = |pr: Option<bool>| {
                    let mut s = scope.clone();
                    match pr {
                        Some(true) if s.pr != PrScope::NoPr => {
                            s.pr = PrScope::OnlyPr;
                            s.pr_span = Some(cond.span.clone());
                        }
                        Some(false) => {
                            s.pr = PrScope::NoPr;
                            s.pr_span = Some(cond.span.clone());
                        }
                        _ => {}
                    }
                    s
                };
                self.block(then, &narrowed(c));
                self.block(otherwise, &narrowed(c.map(|b| !b)));
            }
            StmtKind::Compound { head, bodies, .. } => {
                for h in head {
                    self.expr(h, scope);
                }
                for b in bodies {
                    self.block(b, scope);
                }
            }
            StmtKind::Method { name, body, .. } => {
                let mut inner = scope.clone();
                inner.method = Some(name.clone());
                self.block(body, &inner);
            }
            StmtKind::Assert { cond, message } => {
                self.expr(cond, scope);
                if let Some(m) = message {
                    self.expr(m, scope);
                }
            }
            StmtKind::Labeled { body, .. } => self.stmt(body, scope),
            StmtKind::Return(None) | StmtKind::Other => {}
        }
    }

    fn note_docker_var<'n>(&mut self, names: impl Iterator<Item = &'n str>, v: &Expr) {
        if let ExprKind::Call(c) = &v.kind
            && matches!(c.qualified_name().as_str(), "docker.build" | "docker.image")
        {
            self.docker_vars.extend(names.map(str::to_string));
        }
    }

    fn expr(&mut self, e: &Expr, scope: &Scope) {
        match &e.kind {
            ExprKind::Call(c) => self.call(c, e, scope),
            ExprKind::Closure(c) => self.block(&c.body, scope),
            ExprKind::Assign { target, value, .. } => {
                if let ExprKind::Ident(n) = &target.kind {
                    self.note_docker_var(std::iter::once(n.as_str()), value);
                }
                self.expr(target, scope);
                self.expr(value, scope);
            }
            ExprKind::Property { target, .. } => {
                if target.dotted().is_some_and(|d| d == "env")
                    && e.dotted().is_some_and(|d| d == "env.CHANGE_ID")
                {
                    self.m.pr_aware = true;
                }
                self.expr(target, scope);
            }
            ExprKind::Index { target, index } => {
                self.expr(target, scope);
                self.expr(index, scope);
            }
            ExprKind::List(items) => items.iter().for_each(|x| self.expr(x, scope)),
            ExprKind::Map(args) | ExprKind::New { args, .. } => self.args(args, scope),
            ExprKind::Unary { operand, .. } => self.expr(operand, scope),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs, scope);
                self.expr(rhs, scope);
            }
            ExprKind::Ternary {
                cond,
                then,
                otherwise,
            } => {
                self.expr(cond, scope);
                self.expr(then, scope);
                self.expr(otherwise, scope);
            }
            ExprKind::Str(_)
            | ExprKind::Number(_)
            | ExprKind::Bool(_)
            | ExprKind::Null
            | ExprKind::Ident(_) => {}
        }
    }

    fn args(&mut self, args: &[pipeguard_groovy::Arg], scope: &Scope) {
        for a in args {
            if let Some((key, key_span)) = &a.name {
                if key == "credentialsId"
                    && let Some(id) = a.value.literal_str()
                {
                    self.m.bindings.push(Binding {
                        id: Some(id),
                        span: key_span.start..a.value.span.end,
                        vars: Vec::new(),
                        how: "credentialsId".into(),
                        scope: scope.clone(),
                    });
                }
                if is_secret_name(key)
                    && let Some(v) = a.value.literal_str()
                    && !not_a_secret(key, &v)
                {
                    self.m.secret_args.push(SecretArg {
                        key: key.clone(),
                        value_span: a.value.span.clone(),
                        value: v,
                    });
                }
            }
            self.expr(&a.value, scope);
        }
    }

    fn call(&mut self, c: &Call, e: &Expr, scope: &Scope) {
        if c.target.is_none() && self.methods.contains(&c.name) {
            self.calls.push(MethodCall {
                callee: c.name.clone(),
                pr: scope.pr,
                caller: scope.method.clone(),
            });
        }
        let qn = c.qualified_name();
        let mut inner = scope.clone();
        match (c.target.is_none(), c.name.as_str()) {
            (true, "stage") => {
                inner.stage = Some(stage_name(c));
                if let Some(body) = c.body() {
                    // `when { … }` sits directly in the stage body.
                    for s in &body.body {
                        if let StmtKind::Expr(we) = &s.kind
                            && let ExprKind::Call(w) = &we.kind
                            && w.name == "when"
                            && let Some(wb) = w.body()
                        {
                            let cond = when_condition(&wb.body);
                            if when_mentions_change_requests(&wb.body) {
                                self.m.pr_aware = true;
                            }
                            match cond {
                                Some(true) if inner.pr != PrScope::NoPr => {
                                    inner.pr = PrScope::OnlyPr;
                                    inner.pr_span = Some(we.span.clone());
                                }
                                Some(false) => {
                                    inner.pr = PrScope::NoPr;
                                    inner.pr_span = Some(we.span.clone());
                                }
                                _ => {}
                            }
                        }
                    }
                }
            }
            (true, "changeRequest") => self.m.pr_aware = true,
            (true, "triggers") => {
                if let Some(body) = c.body() {
                    for s in &body.body {
                        if let StmtKind::Expr(t) = &s.kind
                            && let ExprKind::Call(tc) = &t.kind
                        {
                            self.m.triggers.insert(tc.name.clone());
                        }
                    }
                }
            }
            (true, "properties") => {
                // Scripted: properties([pipelineTriggers([cron('…'), githubPush()])])
                let mut names = Vec::new();
                collect_calls_in_args(&c.args, &mut names);
                let mut in_triggers = false;
                for n in names {
                    if n == "pipelineTriggers" {
                        in_triggers = true;
                    } else if in_triggers {
                        self.m.triggers.insert(n);
                    }
                }
            }
            (true, "withCredentials") => {
                let mut bindings = Vec::new();
                if let Some(Expr {
                    kind: ExprKind::List(items),
                    ..
                }) = c.positional(0)
                {
                    for it in items {
                        if let ExprKind::Call(b) = &it.kind {
                            bindings.push((b, it.span.clone()));
                        }
                    }
                } else if let Some(Expr {
                    kind: ExprKind::Call(b),
                    span,
                }) = c.positional(0)
                {
                    bindings.push((b, span.clone()));
                }
                for (b, span) in bindings {
                    let id = b.named("credentialsId").and_then(Expr::literal_str);
                    let mut vars: Vec<String> = Vec::new();
                    for a in &b.args {
                        let Some((k, _)) = &a.name else { continue };
                        if !(k.ends_with("Variable") || k == "variable") {
                            continue;
                        }
                        let Some(v) = a.value.literal_str() else {
                            continue;
                        };
                        // A user name, or the path of the temporary file holding the secret.
                        let secret = !matches!(
                            k.as_str(),
                            "usernameVariable" | "keyFileVariable" | "keystoreVariable"
                        ) && (k != "variable"
                            || !matches!(b.name.as_str(), "file" | "zip"));
                        inner.cred_vars.push(CredVar {
                            var: v.clone(),
                            id: id.clone().unwrap_or_default(),
                            secret,
                        });
                        vars.push(v);
                    }
                    self.m.bindings.push(Binding {
                        id,
                        span,
                        vars,
                        how: format!("withCredentials/{}", b.name),
                        scope: scope.clone(),
                    });
                }
                // Inner credentialsId args are already recorded: walk only the body.
                if let Some(body) = c.body() {
                    self.block(&body.body, &inner);
                }
                return;
            }
            (true, "sshagent") => {
                let ids = c
                    .positional(0)
                    .or_else(|| c.named("credentials"))
                    .map(list_strings)
                    .unwrap_or_default();
                for id in ids {
                    self.m.bindings.push(Binding {
                        id: Some(id),
                        span: e.span.start..c.name_span.end,
                        vars: Vec::new(),
                        how: "sshagent".into(),
                        scope: scope.clone(),
                    });
                }
            }
            (true, "withAWS" | "withDockerRegistry" | "withKubeConfig" | "withVault") => {
                if let Some(id) = c.named("credentials").and_then(Expr::literal_str) {
                    self.m.bindings.push(Binding {
                        id: Some(id),
                        span: e.span.start..c.name_span.end,
                        vars: Vec::new(),
                        how: c.name.clone(),
                        scope: scope.clone(),
                    });
                }
            }
            (true, "checkout")
                if c.positional(0).and_then(Expr::dotted).as_deref() == Some("scm") =>
            {
                self.m.checkouts.push(e.span.clone());
            }
            (true, "load" | "evaluate") => self.m.loads.push(GroovyLoad {
                how: c.name.clone(),
                span: e.span.clone(),
                scope: scope.clone(),
            }),
            (true, "input") => {
                // `input(message: …, submitter: 'ops')` or, in a declarative stage,
                // `input { message '…'; submitter 'ops' }`.
                let in_body = c.body().is_some_and(|b| {
                    b.body.iter().any(|s| {
                        matches!(&s.kind, StmtKind::Expr(x)
                            if matches!(&x.kind, ExprKind::Call(sc) if sc.target.is_none() && sc.name == "submitter"))
                    })
                });
                self.m.approvals.push(Approval {
                    span: e.span.start..c.name_span.end,
                    submitter: c.named("submitter").is_some() || in_body,
                    scope: scope.clone(),
                });
            }
            (true, name) if SHELL_STEPS.contains(&name) => self.shell_step(c, e, scope),
            (true, name) if SCAN_STEPS.contains(&name) => {
                self.event(EventKind::Scan, name, e, scope);
            }
            (true, name) if DEPLOY_STEPS.contains(&name) => {
                self.event(EventKind::Deploy, name, e, scope);
            }
            _ => {}
        }
        match qn.as_str() {
            "docker.build" => self.event(EventKind::Build, "docker.build", e, scope),
            "docker.withRegistry" => {
                if let Some(id) = c.positional(1).and_then(Expr::literal_str) {
                    self.m.bindings.push(Binding {
                        id: Some(id),
                        span: c.positional(1).map_or(e.span.clone(), |a| a.span.clone()),
                        vars: Vec::new(),
                        how: "docker.withRegistry".into(),
                        scope: scope.clone(),
                    });
                }
            }
            _ => {}
        }
        if c.name == "push"
            && let Some(t) = &c.target
        {
            let docker_target = match &t.kind {
                ExprKind::Ident(n) => self.docker_vars.contains(n),
                ExprKind::Call(tc) => {
                    matches!(
                        tc.qualified_name().as_str(),
                        "docker.build" | "docker.image"
                    )
                }
                _ => false,
            };
            if docker_target {
                self.event(EventKind::Push, "docker push (Groovy)", e, scope);
            }
        }
        if let Some(t) = &c.target {
            self.expr(t, scope);
        }
        self.args(&c.args, &inner);
        for cl in &c.closures {
            self.block(&cl.body, &inner);
        }
    }

    fn event(&mut self, kind: EventKind, tool: &str, e: &Expr, scope: &Scope) {
        self.m.events.push(Event {
            kind,
            tool: tool.to_string(),
            span: e.span.clone(),
            scope: scope.clone(),
        });
    }

    fn shell_step(&mut self, c: &Call, e: &Expr, scope: &Scope) {
        let arg = c.positional(0).or_else(|| c.named("script"));
        let script = arg.and_then(Expr::as_str).cloned();
        let mut interpolated = Vec::new();
        if let Some(a) = arg {
            // A non-literal argument ("x" + y, a variable) is Groovy-evaluated too.
            match &a.kind {
                ExprKind::Str(s) => {
                    for p in &s.parts {
                        if let pipeguard_groovy::StrPart::Interp {
                            expr: Some(x),
                            span,
                        } = p
                        {
                            interpolated.push(Interp {
                                span: span.clone(),
                                refs: clean_refs(x),
                            });
                        }
                    }
                }
                _ => interpolated.extend(clean_refs(a).into_iter().map(|(p, span)| Interp {
                    span: span.clone(),
                    refs: vec![(p, span)],
                })),
            }
        }
        if let Some(s) = &script {
            let (text, map) = s.text_with_placeholders("GROOVY_VALUE");
            let parsed = shell::parse(&text);
            for action in classify::classify(&parsed) {
                let kind = match action.kind {
                    classify::Kind::ImageScan => EventKind::Scan,
                    classify::Kind::ImageBuild => EventKind::Build,
                    classify::Kind::ImagePush => EventKind::Push,
                    classify::Kind::Deploy => EventKind::Deploy,
                    _ => continue,
                };
                let Some(cmd) = parsed.commands.get(action.command) else {
                    continue;
                };
                self.m.events.push(Event {
                    kind,
                    tool: action.tool.clone(),
                    span: map.map_range(&cmd.span),
                    scope: scope.clone(),
                });
            }
        }
        self.m.steps.push(ShellStep {
            step: c.name.clone(),
            call_span: e.span.clone(),
            script,
            script_span: arg.map_or(e.span.clone(), |a| a.span.clone()),
            interpolated,
            scope: scope.clone(),
        });
    }
}

/// The identifier paths an interpolated expression reads, leaving out those it only tests or
/// converts (`${x == 'a' ? 1 : 2}` pastes no part of `x`; `${n.toInteger()}` a number).
fn clean_refs(e: &Expr) -> Vec<(String, Range<usize>)> {
    match &e.kind {
        ExprKind::Ternary {
            then, otherwise, ..
        } => {
            let mut v = clean_refs(then);
            v.extend(clean_refs(otherwise));
            v
        }
        ExprKind::Binary { op, .. }
            if matches!(
                op.as_str(),
                "==" | "!="
                    | "=~"
                    | "==~"
                    | "in"
                    | "instanceof"
                    | "<"
                    | ">"
                    | "<="
                    | ">="
                    | "&&"
                    | "||"
            ) =>
        {
            Vec::new()
        }
        ExprKind::Call(c) if cleans(c) => Vec::new(),
        _ => e.references(),
    }
}

/// A call whose result holds no attacker text: a test, a number, or `replaceAll` with a negated
/// character class (`x.replaceAll(/[^A-Za-z0-9._-]/, '')`).
fn cleans(c: &Call) -> bool {
    if c.name == "replaceAll" {
        return c.positional(0).and_then(Expr::as_str).is_some_and(|s| {
            s.parts.first().is_some_and(|p| {
                matches!(p, pipeguard_groovy::StrPart::Lit { text, .. } if text.starts_with("[^"))
            })
        });
    }
    matches!(
        c.name.as_str(),
        "toInteger"
            | "toLong"
            | "isNumber"
            | "parseInt"
            | "size"
            | "length"
            | "contains"
            | "startsWith"
            | "endsWith"
            | "equals"
            | "matches"
            | "isEmpty"
    )
}

fn collect_calls_in_args(args: &[pipeguard_groovy::Arg], out: &mut Vec<String>) {
    for a in args {
        collect_calls(&a.value, out);
    }
}

fn collect_calls(e: &Expr, out: &mut Vec<String>) {
    match &e.kind {
        ExprKind::Call(c) => {
            out.push(c.name.clone());
            collect_calls_in_args(&c.args, out);
        }
        ExprKind::List(items) => items.iter().for_each(|x| collect_calls(x, out)),
        ExprKind::Map(args) => collect_calls_in_args(args, out),
        _ => {}
    }
}

fn list_strings(e: &Expr) -> Vec<String> {
    match &e.kind {
        ExprKind::List(items) => items.iter().filter_map(Expr::literal_str).collect(),
        _ => e.literal_str().into_iter().collect(),
    }
}

fn is_change_id(e: &Expr) -> bool {
    e.dotted().is_some_and(|d| var_name(&d) == "CHANGE_ID")
        || matches!(&e.kind, ExprKind::Index { target, index }
            if target.dotted().as_deref() == Some("env")
                && index.literal_str().as_deref() == Some("CHANGE_ID"))
}

/// Whether a condition refers to change requests at all (`env.CHANGE_*`, `changeRequest()`, a
/// `PR-…` branch name): a pipeline that asks is built for pull requests. `buildingTag()` or
/// `BRANCH_NAME == 'main'` alone says nothing about whether the job builds them.
fn mentions_change_requests(e: &Expr) -> bool {
    let mut v = AnyExpr(refers_to_change_requests, false);
    pipeguard_groovy::ast::walk_expr(e, &mut v);
    v.1
}

fn when_mentions_change_requests(body: &[Stmt]) -> bool {
    any_expr(body, |e| {
        if refers_to_change_requests(e) {
            return true;
        }
        let ExprKind::Call(c) = &e.kind else {
            return false;
        };
        if c.target.is_some() {
            return false;
        }
        let literal = |name: &str| c.named(name).and_then(Expr::literal_str);
        match c.name.as_str() {
            "branch" => c
                .positional(0)
                .and_then(Expr::literal_str)
                .or_else(|| literal("pattern"))
                .is_some_and(|p| p.starts_with("PR")),
            "environment" => literal("name").is_some_and(|n| n.starts_with("CHANGE_")),
            _ => false,
        }
    })
}

fn mentions_call(body: &[Stmt], name: &str) -> bool {
    any_expr(
        body,
        |e| matches!(&e.kind, ExprKind::Call(c) if c.target.is_none() && c.name == name),
    )
}

/// Whether any expression in `body` (at any depth) satisfies `pred`.
fn any_expr(body: &[Stmt], pred: impl Fn(&Expr) -> bool) -> bool {
    let mut v = AnyExpr(pred, false);
    pipeguard_groovy::walk_stmts(body, &mut v);
    v.1
}

struct AnyExpr<F>(F, bool);

impl<F: Fn(&Expr) -> bool> pipeguard_groovy::Visitor for AnyExpr<F> {
    fn expr(&mut self, e: &Expr) {
        self.1 = self.1 || (self.0)(e);
    }
}

fn refers_to_change_requests(e: &Expr) -> bool {
    if is_change_id(e) {
        return true;
    }
    match &e.kind {
        // `isPR()`: the common shared-library helper (elastic's apm library and others).
        ExprKind::Call(c) => {
            c.target.is_none() && matches!(c.name.as_str(), "changeRequest" | "isPR")
        }
        ExprKind::Property { .. } | ExprKind::Ident(_) => e
            .dotted()
            .is_some_and(|d| var_name(&d).starts_with("CHANGE_")),
        ExprKind::Binary { lhs, rhs, .. } => {
            let branch = |x: &Expr| {
                x.dotted()
                    .is_some_and(|d| matches!(var_name(&d), "BRANCH_NAME" | "GIT_BRANCH"))
            };
            let pr_literal = |x: &Expr| x.literal_str().is_some_and(|v| v.starts_with("PR-"));
            (branch(lhs) && pr_literal(rhs)) || (branch(rhs) && pr_literal(lhs))
        }
        _ => false,
    }
}

/// Whether a Groovy condition holds for change-request builds: `Some(true)` only for them,
/// `Some(false)` never for them, `None` unknown/both.
pub fn pr_condition(e: &Expr) -> Option<bool> {
    if is_change_id(e) {
        return Some(true);
    }
    match &e.kind {
        ExprKind::Unary { op, operand } if op == "!" => pr_condition(operand).map(|b| !b),
        ExprKind::Binary { op, lhs, rhs } => match op.as_str() {
            "==" | "!=" => {
                let eq = op == "==";
                let (var, other) = if matches!(rhs.kind, ExprKind::Null | ExprKind::Str(_)) {
                    (lhs, rhs)
                } else {
                    (rhs, lhs)
                };
                if is_change_id(var) && matches!(other.kind, ExprKind::Null) {
                    return Some(!eq);
                }
                let branch_var = var
                    .dotted()
                    .is_some_and(|d| matches!(var_name(&d), "BRANCH_NAME" | "GIT_BRANCH"));
                if branch_var
                    && let Some(v) = other.literal_str()
                    && eq
                    && !v.starts_with("PR-")
                {
                    return Some(false);
                }
                None
            }
            "&&" => match (pr_condition(lhs), pr_condition(rhs)) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), _) | (_, Some(true)) => Some(true),
                _ => None,
            },
            "||" => match (pr_condition(lhs), pr_condition(rhs)) {
                (Some(false), Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            },
            _ => None,
        },
        ExprKind::Call(c)
            if matches!(c.name.as_str(), "changeRequest" | "isPR") && c.target.is_none() =>
        {
            Some(true)
        }
        _ => None,
    }
}

/// A declarative `when { … }` body: all conditions must hold (implicit allOf).
pub fn when_condition(body: &[Stmt]) -> Option<bool> {
    let conds: Vec<Option<bool>> = body
        .iter()
        .filter_map(|s| match &s.kind {
            StmtKind::Expr(e) => Some(when_expr(e)),
            _ => None,
        })
        .collect();
    all_of(&conds)
}

fn all_of(conds: &[Option<bool>]) -> Option<bool> {
    if conds.contains(&Some(false)) {
        Some(false)
    } else if conds.contains(&Some(true)) {
        Some(true)
    } else {
        None
    }
}

fn when_expr(e: &Expr) -> Option<bool> {
    let ExprKind::Call(c) = &e.kind else {
        return None;
    };
    let inner = || {
        c.body()
            .map(|b| {
                b.body
                    .iter()
                    .filter_map(|s| match &s.kind {
                        StmtKind::Expr(e) => Some(e),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    match c.name.as_str() {
        "changeRequest" => Some(true),
        "branch" => {
            let pattern = c
                .positional(0)
                .or_else(|| c.named("pattern"))
                .and_then(Expr::literal_str)?;
            // Change-request builds have BRANCH_NAME `PR-<n>`.
            if pattern.starts_with("PR-") || pattern == "*" || pattern.starts_with("PR") {
                None
            } else {
                Some(false)
            }
        }
        "buildingTag" | "tag" => Some(false),
        "not" => inner().first().and_then(|x| when_expr(x)).map(|b| !b),
        "allOf" => all_of(&inner().iter().map(|x| when_expr(x)).collect::<Vec<_>>()),
        "anyOf" => {
            let v: Vec<_> = inner().iter().map(|x| when_expr(x)).collect();
            if !v.is_empty() && v.iter().all(|x| *x == Some(false)) {
                Some(false)
            } else if !v.is_empty() && v.iter().all(|x| *x == Some(true)) {
                Some(true)
            } else {
                None
            }
        }
        "expression" => {
            let body = c.body()?;
            match &body.body.last()?.kind {
                StmtKind::Expr(x) | StmtKind::Return(Some(x)) => pr_condition(x),
                _ => None,
            }
        }
        "environment" => {
            let name = c.named("name").and_then(Expr::literal_str)?;
            (name == "CHANGE_ID").then_some(true)
        }
        _ => None,
    }
}

/// Whether a string literal is a Groovy GString (interpolating) with at least one part.
pub fn interpolating(s: &StrLit) -> bool {
    s.quote.interpolates() && s.is_interpolated()
}

/// Quote characters as written, for messages.
pub fn quote_desc(q: Quote) -> &'static str {
    match q {
        Quote::Single => "single-quoted",
        Quote::Double => "double-quoted",
        Quote::TripleSingle => "triple-single-quoted",
        Quote::TripleDouble => "triple-double-quoted",
        Quote::Slashy => "slashy",
        Quote::DollarSlashy => "dollar-slashy",
    }
}
