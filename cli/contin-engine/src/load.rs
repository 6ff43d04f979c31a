//! Loading a workspace: the configuration files (every `*.tf`, `*.tf.json`
//! and `*.hcl` in the root, none skipped, override files merged last), variables, the backend and the configured providers.

use crate::error::{EngineError, Result};
use crate::events::EngineEvent;
use crate::files::{self, MAX_FILE_BYTES};
use crate::{Workspace, WorkspaceOptions};
use contin_config::Config;
use contin_provider::{Provider, ProviderSchema};
use contin_state::Backend;
use contin_types::value::PathStep;
use contin_types::{Diagnostic, Diagnostics, SourceLoc, SourceMap, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The default local state file, relative to the root.
pub const DEFAULT_STATE_FILE: &str = "contin.state.json";

/// The providers compiled into this build; path-taking ones resolve against `root`.
pub(crate) fn builtin_providers(root: &Path) -> BTreeMap<String, Arc<dyn Provider>> {
    BUILTIN.iter().filter_map(|name| new_provider(name, root).map(|p| (name.to_string(), p))).collect()
}

/// Names of the compiled-in providers.
const BUILTIN: &[&str] = &[
    "local",
    "fake",
    "edge",
    "random",
    "time",
    "tls",
    "http",
    "archive",
    "cloudinit",
    "external",
    "docker",
    #[cfg(feature = "aws")]
    "aws",
    #[cfg(feature = "onprem")]
    "onprem",
    #[cfg(feature = "google")]
    "google",
    #[cfg(feature = "azure")]
    "azurerm",
];

/// A fresh, unconfigured instance of provider `name` (one per provider
/// configuration: `provider "aws" { alias = "west" }` gets its own).
fn new_provider(name: &str, root: &Path) -> Option<Arc<dyn Provider>> {
    Some(match name {
        "local" => Arc::new(contin_provider_local::LocalProvider::new(root.to_path_buf())),
        "fake" => Arc::new(contin_provider_fake::FakeProvider::new()),
        "edge" => Arc::new(contin_provider_edge::EdgeProvider::new()),
        "random" => Arc::new(contin_provider_util::RandomProvider::new()),
        "time" => Arc::new(contin_provider_util::TimeProvider::new()),
        "tls" => Arc::new(contin_provider_util::TlsProvider::new()),
        "http" => Arc::new(contin_provider_util::HttpProvider::new()),
        "archive" => Arc::new(contin_provider_util::ArchiveProvider::new(root.to_path_buf())),
        "cloudinit" => Arc::new(contin_provider_util::CloudinitProvider::new()),
        "external" => Arc::new(contin_provider_util::ExternalProvider::new(root.to_path_buf())),
        "docker" => Arc::new(contin_provider_docker::DockerProvider::new()),
        #[cfg(feature = "aws")]
        "aws" => Arc::new(contin_provider_aws::AwsProvider::new()),
        #[cfg(feature = "onprem")]
        "onprem" => Arc::new(contin_provider_onprem::OnpremProvider::with_base_dir(root.to_path_buf())),
        #[cfg(feature = "google")]
        "google" => Arc::new(contin_provider_google::GoogleProvider::new()),
        #[cfg(feature = "azure")]
        "azurerm" => Arc::new(contin_provider_azure::AzureProvider::new()),
        _ => return None,
    })
}

/// The compiled-in providers plus one instance per aliased configuration,
/// keyed `TYPE.ALIAS` (the planner resolves `provider = TYPE.ALIAS` to that key).
fn providers_for(root: &Path, config: &Config) -> BTreeMap<String, Arc<dyn Provider>> {
    let mut providers = builtin_providers(root);
    for (key, block) in &config.providers {
        if block.alias.is_some() {
            if let Some(p) = new_provider(&block.name, root) {
                providers.insert(key.clone(), p);
            }
        }
    }
    providers
}

fn schemas_of(providers: &BTreeMap<String, Arc<dyn Provider>>) -> BTreeMap<String, ProviderSchema> {
    providers.iter().map(|(n, p)| (n.clone(), p.schema())).collect()
}

/// True for the names the loader reads: `*.tf`, `*.tf.json` and `*.hcl`
/// (override files included), except what Terraform ignores (names starting
/// with `.`, editor backups `x~` and `#x#`).
fn is_config_file(name: &str) -> bool {
    let ignored = name.starts_with('.') || name.ends_with('~') || (name.starts_with('#') && name.ends_with('#'));
    !ignored && (name.ends_with(".tf") || name.ends_with(".tf.json") || name.ends_with(".hcl"))
}

/// How many other names the "nothing found" error lists.
const MAX_LISTED: usize = 20;

/// Every `*.tf`, `*.tf.json` and `*.hcl` in `root`, sorted by name. A file
/// that cannot be read (a dangling symlink, a symlink loop, a directory, no
/// permission, not UTF-8, too large) is an error naming it: skipping it would
/// make `apply` destroy what it declares.
pub(crate) fn config_files(root: &Path) -> Result<Vec<(String, String)>> {
    let entries = std::fs::read_dir(root).map_err(|e| EngineError::io(format!("cannot read configuration directory {}", root.display()), e))?;
    let mut files = Vec::new();
    let mut others = Vec::new();
    for e in entries {
        let e = e.map_err(|e| EngineError::io(format!("cannot read configuration directory {}", root.display()), e))?;
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if !is_config_file(&name) {
            others.push(name);
            continue;
        }
        let text = files::read_text(&path, MAX_FILE_BYTES).map_err(|err| match err {
            EngineError::Io { source, .. } => EngineError::io(format!("cannot read configuration file {}", path.display()), source),
            EngineError::File { path, reason } => EngineError::File { path, reason: format!("{reason} (configuration files must be readable)") },
            other => other,
        })?;
        files.push((name, text));
    }
    files.sort();
    if files.is_empty() {
        others.sort();
        let seen = if others.is_empty() {
            "the directory is empty".to_string()
        } else if others.len() > MAX_LISTED {
            format!("found: {} and {} more", others[..MAX_LISTED].join(", "), others.len() - MAX_LISTED)
        } else {
            format!("found: {}", others.join(", "))
        };
        return Err(EngineError::Invalid(format!("{NO_CONFIG_FILES} {} ({seen})", root.display())));
    }
    Ok(files)
}

/// For `.tf.json` files: is `["resource", TYPE, NAME…]` (or `data`,
/// `provider`) a nested block of the provider schema?
fn block_hint(schemas: BTreeMap<String, ProviderSchema>) -> Arc<contin_config::tfjson::BlockHint> {
    Arc::new(move |path: &[&str]| {
        let [kind, ty, nested @ ..] = path else { return false };
        let mut block = match *kind {
            "resource" => schemas.values().find_map(|s| s.resources.get(*ty)),
            "data" => schemas.values().find_map(|s| s.data_sources.get(*ty)),
            "provider" => schemas.get(*ty).map(|s| &s.config),
            _ => None,
        };
        for name in nested {
            block = block.and_then(|b| b.blocks.get(*name)).map(|n| &n.block);
        }
        block.is_some() && !nested.is_empty()
    })
}

/// The `.tf.json` block hint over the built-in providers' schemas.
pub(crate) fn block_hint_for(root: &Path) -> Arc<contin_config::tfjson::BlockHint> {
    block_hint(schemas_of(&builtin_providers(root)))
}

/// How the error for a directory without configuration files starts.
const NO_CONFIG_FILES: &str = "no *.tf, *.tf.json or *.hcl files in";

fn parse_dir(root: &Path) -> Result<(Config, Diagnostics)> {
    let files = config_files(root)?;
    let hint = files.iter().any(|(n, _)| n.ends_with(".tf.json")).then(|| block_hint(schemas_of(&builtin_providers(root))));
    let (config, mut diags) = contin_config::parse_files_with(&files, hint);
    for d in contin_config::check_required_providers(&config, BUILTIN) {
        diags.push(d);
    }
    if diags.has_errors() {
        return Err(EngineError::diags(diags, &config.sources));
    }
    // Cycles among locals are found before anything evaluates one (a
    // provider or backend block would otherwise recurse without end).
    diags.extend(contin_eval::check_cycles(&config));
    if diags.has_errors() {
        return Err(EngineError::diags(diags, &config.sources));
    }
    Ok((config, diags))
}

/// Variables and locals only: for provider and backend blocks.
struct StaticScope<'a> {
    config: &'a Config,
    variables: &'a BTreeMap<String, Value>,
    root: &'a Path,
}

impl contin_eval::Scope for StaticScope<'_> {
    fn lookup(&self, r: &contin_eval::Reference, loc: &SourceLoc) -> Result<Value, Diagnostic> {
        use contin_eval::Reference as R;
        match r {
            R::Var(n) => self.variables.get(n).cloned().ok_or_else(|| Diagnostic::error(format!("Reference to undeclared input variable var.{n}")).at(loc.clone())),
            R::Local(n) => match self.config.locals.get(n) {
                Some(l) => contin_eval::eval(&l.expr, self).map_err(|d| d.0.into_iter().next().unwrap_or_else(|| Diagnostic::error("invalid local"))),
                None => Err(Diagnostic::error(format!("Reference to undeclared local value local.{n}")).at(loc.clone())),
            },
            // Paths are resolved against the root, so "." names it.
            R::Path(_) => Ok(Value::string(".")),
            R::TerraformWorkspace => Ok(Value::string("default")),
            other => Err(Diagnostic::error("Invalid reference in provider or backend configuration")
                .with_detail(format!("{other} is not available here: provider and backend blocks may only use variables and locals."))
                .at(loc.clone())),
        }
    }
    fn read_file(&self, path: &str) -> Result<String, String> {
        read_config_file(self.root, path)
    }
}

/// `file()` / `templatefile()`: relative to the root, regular files only,
/// at most [`MAX_FILE_BYTES`]. The message does not repeat the path's
/// content beyond the name the configuration gave.
pub(crate) fn read_config_file(root: &Path, path: &str) -> Result<String, String> {
    let full = files::resolve(root, path);
    files::read_text(&full, MAX_FILE_BYTES).map_err(|e| match e {
        EngineError::Io { source, .. } => format!("cannot read {path}: {source}"),
        EngineError::File { reason, .. } => format!("cannot read {path}: it {reason}"),
        other => other.to_string(),
    })
}

/// Terraform's auto-loaded variables files, lowest precedence first:
/// `terraform.tfvars`, `terraform.tfvars.json`, then `*.auto.tfvars` and
/// `*.auto.tfvars.json` in lexical order (`contin.tfvars`, contin's older
/// name, right after `terraform.tfvars.json`).
pub(crate) fn auto_var_files(root: &Path) -> Vec<PathBuf> {
    let mut names: Vec<String> = std::fs::read_dir(root)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned())).collect())
        .unwrap_or_default();
    names.sort();
    let mut out: Vec<PathBuf> = ["terraform.tfvars", "terraform.tfvars.json", "contin.tfvars"]
        .iter()
        .filter(|n| names.iter().any(|m| m == *n))
        .map(|n| root.join(n))
        .collect();
    out.extend(names.iter().filter(|n| n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json")).map(|n| root.join(n)));
    out
}

fn var_inputs(root: &Path, opts: &WorkspaceOptions) -> Result<contin_eval::vars::VarInputs> {
    let mut files = Vec::new();
    let auto = auto_var_files(root);
    let given: Vec<PathBuf> = opts.var_files.iter().map(|f| root.join(f)).collect();
    for (f, shown) in auto.iter().map(|f| (f.clone(), f.strip_prefix(root).map(Path::to_path_buf).unwrap_or_else(|_| f.clone()))).chain(given.into_iter().zip(opts.var_files.iter().cloned())) {
        let text = files::read_text(&f, MAX_FILE_BYTES).map_err(|e| match e {
            EngineError::Io { source, .. } => EngineError::io(format!("cannot read variables file {}", shown.display()), source),
            other => other,
        })?;
        files.push((shown.display().to_string(), text));
    }
    if !opts.plan_variables.is_empty() {
        let text: String = opts.plan_variables.iter().map(|(k, v)| format!("{k} = {}\n", crate::apply::hcl_literal(v))).collect();
        files.push(("(saved plan variables)".to_string(), text));
    }
    let env = opts.env_vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    Ok(contin_eval::vars::VarInputs { files, cli: opts.vars.clone(), env })
}

fn invalid_backend(detail: String, loc: &SourceLoc, sources: &SourceMap) -> EngineError {
    EngineError::diags(Diagnostic::error("Invalid backend configuration").with_detail(detail).at(loc.clone()).into(), sources)
}

/// The backend and, for a remote one, its edge mailbox (S3: the state's prefix).
/// The S3 mailbox comes with a client sharing the backend's configuration.
type BuiltBackend = (Arc<dyn Backend>, Option<(contin_edge_proto::MailboxUrl, Option<Arc<dyn contin_edge_proto::Mailbox>>)>);

async fn build_backend(root: &Path, config: &Config, variables: &BTreeMap<String, Value>) -> Result<BuiltBackend> {
    let Some(b) = &config.backend else {
        return Ok((Arc::new(contin_state_local::LocalBackend::new(root.join(DEFAULT_STATE_FILE))), None));
    };
    let scope = StaticScope { config, variables, root };
    match b.kind.as_str() {
        "local" => {
            let v = contin_eval::eval_body(&b.body, &scope).map_err(|d| EngineError::diags(d, &config.sources))?;
            let path = match v.get_path(&[PathStep::Key("path".into())]).map(Value::unmarked) {
                Some(Value::String(s)) => s.clone(),
                None | Some(Value::Null) => DEFAULT_STATE_FILE.to_string(),
                Some(other) => {
                    return Err(invalid_backend(format!("backend \"local\" path must be a string, got {}", other.type_name()), &b.loc, &config.sources));
                }
            };
            Ok((Arc::new(contin_state_local::LocalBackend::new(root.join(path))), None))
        }
        #[cfg(feature = "aws")]
        "s3" => {
            // Every problem is located: at the attribute when it has the
            // wrong type, at the backend block when something is missing or
            // the backend cannot be set up.
            let invalid = |detail: String, loc: &SourceLoc| invalid_backend(detail, loc, &config.sources);
            const S3_ARGS: [&str; 7] = ["bucket", "key", "region", "endpoint", "encrypt", "kms_key_id", "profile"];
            if let Some((name, attr)) = b.body.attributes.iter().find(|(n, _)| !S3_ARGS.contains(&n.as_str())) {
                return Err(invalid(format!("backend \"s3\" has no argument \"{name}\"; valid: {}", S3_ARGS.join(", ")), &attr.loc));
            }
            let v = contin_eval::eval_body(&b.body, &scope).map_err(|d| EngineError::diags(d, &config.sources))?;
            let v = v.unmark_deep().0;
            let loc_of = |name: &str| b.body.attributes.get(name).map_or(&b.loc, |a| &a.loc);
            let string = |name: &str| -> Result<Option<String>> {
                match v.get_path(&[PathStep::Key(name.into())]) {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::String(s)) => Ok(Some(s.clone())),
                    Some(other) => Err(invalid(format!("backend \"s3\" {name} must be a string, got {}", other.type_name()), loc_of(name))),
                }
            };
            let required = |name: &str| -> Result<String> {
                match string(name)? {
                    Some(s) if !s.trim().is_empty() => Ok(s),
                    _ => Err(invalid(format!("backend \"s3\" requires a non-empty \"{name}\" argument"), &b.loc)),
                }
            };
            let encrypt = match v.get_path(&[PathStep::Key("encrypt".into())]) {
                None | Some(Value::Null) => false,
                Some(Value::Bool(x)) => *x,
                Some(other) => return Err(invalid(format!("backend \"s3\" encrypt must be a bool, got {}", other.type_name()), loc_of("encrypt"))),
            };
            let cfg = contin_state_s3::S3Config {
                bucket: required("bucket")?,
                key: required("key")?,
                region: string("region")?,
                endpoint: string("endpoint")?,
                profile: string("profile")?,
                encrypt,
                kms_key_id: string("kms_key_id")?,
            };
            match contin_state_s3::S3Backend::connect(cfg).await {
                Ok(backend) => {
                    let cfg = backend.config();
                    let mailbox = contin_edge_proto::MailboxUrl::S3 {
                        bucket: cfg.bucket.clone(),
                        prefix: backend.prefix(),
                        region: cfg.region.clone().or_else(|| backend.client().config().region().map(|r| r.to_string())),
                        endpoint: cfg.endpoint.clone(),
                    };
                    let client: Arc<dyn contin_edge_proto::Mailbox> = Arc::new(contin_edge_proto::mailbox::S3Mailbox::with_client(
                        backend.client().clone(),
                        &cfg.bucket,
                        &backend.prefix(),
                        mailbox.render(),
                    ));
                    Ok((Arc::new(backend), Some((mailbox, Some(client)))))
                }
                Err(e) => Err(invalid(e.to_string(), &b.loc)),
            }
        }
        other => {
            let d = Diagnostic::error("Unsupported backend")
                .with_detail(format!("backend \"{other}\" is not available in this build; supported: {}.", if cfg!(feature = "aws") { "local, s3" } else { "local" }))
                .at(b.loc.clone());
            Err(EngineError::diags(d.into(), &config.sources))
        }
    }
}

async fn configure_providers(
    root: &Path,
    config: &Config,
    variables: &BTreeMap<String, Value>,
    providers: &BTreeMap<String, Arc<dyn Provider>>,
    schemas: &BTreeMap<String, ProviderSchema>,
) -> Result<()> {
    let mut diags = Diagnostics::new();
    for block in config.providers.values() {
        let name = &block.name;
        if !providers.contains_key(name) {
            diags.push(
                Diagnostic::error("Unknown provider")
                    .with_detail(format!(
                        "No provider named \"{name}\" is built into contin. Available providers: {}.",
                        BUILTIN.join(", ")
                    ))
                    .at(block.loc.clone()),
            );
        }
    }
    // Like Terraform, only providers the configuration uses are configured:
    // those with a provider block and those serving a declared resource type
    // (an unused cloud provider must not demand credentials or a region).
    let mut used: BTreeSet<String> = config.providers.keys().cloned().collect();
    used.extend(config.resources.iter().filter_map(|r| contin_planner::walk::provider_for(r, schemas).ok()));
    for (name, p) in providers.iter().filter(|(n, _)| used.contains(*n)) {
        let cfg = match config.providers.get(name) {
            Some(block) => {
                let scope = StaticScope { config, variables, root };
                match contin_eval::eval_body(&block.body, &scope) {
                    Ok(v) => v.unmark_deep().0,
                    Err(d) => {
                        diags.extend(d);
                        continue;
                    }
                }
            }
            None => Value::Map(BTreeMap::new()),
        };
        // The fake provider's `store` file is a path like any other: relative
        // to the root (until the provider takes a base dir itself).
        let cfg = match (name.split('.').next().unwrap_or_default(), cfg.get_path(&[PathStep::Key("store".into())])) {
            ("fake", Some(Value::String(s))) if !Path::new(s).is_absolute() => {
                let mut cfg = cfg.clone();
                if let Value::Map(m) = &mut cfg {
                    m.insert("store".into(), Value::string(root.join(s).display().to_string()));
                }
                cfg
            }
            _ => cfg,
        };
        if let Err(d) = p.configure(cfg).await {
            let loc = config.providers.get(name).map(|b| b.loc.clone());
            for x in d.0 {
                let x = if x.loc.is_none() { x.at_opt(loc.clone()) } else { x };
                diags.push(x);
            }
        }
    }
    if diags.has_errors() {
        return Err(EngineError::diags(diags, &config.sources));
    }
    Ok(())
}

pub(crate) async fn open(root: &Path, opts: WorkspaceOptions) -> Result<Workspace> {
    let root = if root.as_os_str().is_empty() { Path::new(".") } else { root };
    match std::fs::metadata(root) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(EngineError::Invalid(format!("cannot use {} as the configuration directory: not a directory", root.display()))),
        Err(e) => return Err(EngineError::io(format!("cannot use {} as the configuration directory", root.display()), e)),
    }
    opts.events.event(EngineEvent::Loading { root: root.to_path_buf() });
    let (config, warnings) = match parse_dir(root) {
        Err(EngineError::Invalid(m)) if opts.console && m.starts_with(NO_CONFIG_FILES) => (Config::default(), Diagnostics::new()),
        other => other?,
    };
    if !warnings.is_empty() {
        opts.events.event(EngineEvent::Warnings { diags: warnings.clone(), sources: config.sources.clone() });
    }
    let inputs = var_inputs(root, &opts)?;
    let (resolved, var_warnings) = contin_eval::vars::resolve_variables_with_warnings(&config.variables, &inputs, &contin_eval::EmptyScope);
    let mut warnings = warnings;
    if !var_warnings.is_empty() && !opts.state_only {
        let mut sources = config.sources.clone();
        for (name, text) in &inputs.files {
            sources.add(name.clone(), text.clone());
        }
        opts.events.event(EngineEvent::Warnings { diags: var_warnings.clone(), sources });
        warnings.extend(var_warnings);
    }
    let variables = match resolved {
        Ok(v) => v,
        Err(_) if opts.state_only => BTreeMap::new(),
        Err(d) => return Err(EngineError::diags(d, &config.sources)),
    };
    let mut config = config;
    if opts.state_only {
        crate::modules::expand(root, &mut config, &mut contin_planner::modules::placeholder_keys)?;
    } else {
        crate::modules::expand(root, &mut config, &mut contin_planner::modules::instance_keys(&variables))?;
    }
    let (backend, (mailbox, mailbox_client)) = match &opts.backend {
        Some(b) => (b.clone(), (None, None)),
        None => {
            let (b, m) = build_backend(root, &config, &variables).await?;
            (b, m.map_or((None, None), |(url, client)| (Some(url), client)))
        }
    };
    let providers = providers_for(root, &config);
    let schemas = schemas_of(&providers);
    if !opts.state_only && !opts.console {
        configure_providers(root, &config, &variables, &providers, &schemas).await?;
    }
    Ok(Workspace {
        root: root.to_path_buf(),
        config: Arc::new(config),
        variables: Arc::new(variables),
        backend,
        providers,
        schemas: Arc::new(schemas),
        warnings,
        events: opts.events,
        mailbox,
        mailbox_client,
    })
}

pub(crate) fn validate(root: &Path) -> Result<Diagnostics> {
    let (mut config, mut diags) = parse_dir(root)?;
    diags.extend(crate::modules::expand(root, &mut config, &mut contin_planner::modules::placeholder_keys)?);
    let schemas = schemas_of(&providers_for(root, &config));
    let prepared = contin_planner::walk::prepare(&config, &schemas).map_err(|d| EngineError::diags(d, &config.sources))?;
    for (i, r) in config.resources.iter().enumerate() {
        let Some(block) = contin_planner::walk::block_schema(r, &prepared.block_provider[i], &schemas) else { continue };
        diags.extend(contin_planner::walk::static_argument_problems(r, block));
    }
    if diags.has_errors() {
        return Err(EngineError::diags(diags, &config.sources));
    }
    Ok(diags)
}

pub(crate) fn graph_dot(root: &Path) -> Result<String> {
    let (mut config, _) = parse_dir(root)?;
    crate::modules::expand(root, &mut config, &mut contin_planner::modules::placeholder_keys)?;
    let schemas = schemas_of(&providers_for(root, &config));
    let prepared = contin_planner::walk::prepare(&config, &schemas).map_err(|d| EngineError::diags(d, &config.sources))?;
    Ok(prepared.graph.to_dot())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_of(root: &Path) -> String {
        config_files(root).err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[cfg(unix)]
    #[test]
    fn unreadable_config_files_are_errors_naming_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::write(root.join("main.hcl"), "locals { a = 1 }\n").expect("write");
        assert_eq!(config_files(root).map(|f| f.len()).ok(), Some(1));

        std::os::unix::fs::symlink(root.join("missing.hcl"), root.join("dangling.hcl")).expect("symlink");
        assert!(err_of(root).contains("dangling.hcl"), "{}", err_of(root));
        std::fs::remove_file(root.join("dangling.hcl")).expect("rm");

        std::os::unix::fs::symlink(root.join("loop.hcl"), root.join("loop.hcl")).expect("symlink loop");
        assert!(err_of(root).contains("loop.hcl"), "{}", err_of(root));
        std::fs::remove_file(root.join("loop.hcl")).expect("rm");

        std::fs::create_dir(root.join("x.hcl")).expect("mkdir");
        let e = err_of(root);
        assert!(e.contains("x.hcl") && e.contains("directory"), "{e}");
        std::fs::remove_dir(root.join("x.hcl")).expect("rmdir");

        std::fs::write(root.join("bin.hcl"), [b'a', 0xff, 0xfe]).expect("write");
        let e = err_of(root);
        assert!(e.contains("bin.hcl") && e.contains("UTF-8"), "{e}");
    }

    #[test]
    fn tf_tf_json_and_hcl_files_are_read_and_editor_files_ignored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        assert!(err_of(root).ends_with("(the directory is empty)"), "{}", err_of(root));
        std::fs::write(root.join("README.md"), "x").expect("write");
        std::fs::write(root.join("main.tf.bak"), "x").expect("write");
        assert_eq!(err_of(root), format!("no *.tf, *.tf.json or *.hcl files in {} (found: README.md, main.tf.bak)", root.display()));
        for n in ["b.tf", "a.tf.json", "c.hcl", "override.tf", ".hidden.tf", "x.tf~", "#y.tf#"] {
            std::fs::write(root.join(n), "locals {}\n").expect("write");
        }
        let names: Vec<String> = config_files(root).map(|f| f.into_iter().map(|(n, _)| n).collect()).unwrap_or_default();
        assert_eq!(names, ["a.tf.json", "b.tf", "c.hcl", "override.tf"]);
    }

    #[test]
    fn auto_var_files_follow_terraforms_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for n in ["b.auto.tfvars.json", "a.auto.tfvars", "terraform.tfvars.json", "terraform.tfvars", "contin.tfvars", "other.tfvars", "c.auto.tfvars"] {
            std::fs::write(root.join(n), "").expect("write");
        }
        let names: Vec<String> = auto_var_files(root).iter().filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned())).collect();
        assert_eq!(names, ["terraform.tfvars", "terraform.tfvars.json", "contin.tfvars", "a.auto.tfvars", "b.auto.tfvars.json", "c.auto.tfvars"]);
    }

    #[test]
    fn file_function_reads_relative_to_root_and_refuses_devices() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("a.txt"), "hi").expect("write");
        assert_eq!(read_config_file(dir.path(), "a.txt").ok().as_deref(), Some("hi"));
        let e = read_config_file(dir.path(), "/dev/zero").err().unwrap_or_default();
        assert!(e.contains("not a regular file"), "{e}");
        let e = read_config_file(dir.path(), ".").err().unwrap_or_default();
        assert!(e.contains("directory"), "{e}");
    }
}
