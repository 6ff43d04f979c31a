//! The filesystem side of `module` blocks: reads module directories and the
//! installers' manifests (`.contin/modules/modules.json` from `contin init`,
//! `.terraform/modules/modules.json` from `terraform init`) for
//! `contin_config::modules::expand`.

use crate::files::{self, MAX_FILE_BYTES};
use contin_config::modules::{parse_manifest, ModuleLoader, MANIFESTS};
use std::collections::BTreeMap;
use std::path::Path;

/// Reads module files under the workspace root.
pub(crate) struct DirLoader<'a> {
    root: &'a Path,
    installed: BTreeMap<String, String>,
    /// Manifest files read, as (relative name, text), for `Config::sources`.
    pub manifests: Vec<(String, String)>,
}

impl<'a> DirLoader<'a> {
    /// Reads the manifests present under `root` (a malformed one is an error
    /// naming it).
    pub(crate) fn new(root: &'a Path) -> crate::error::Result<Self> {
        let mut installed = BTreeMap::new();
        let mut manifests = Vec::new();
        // Lowest precedence first: contin's own manifest wins.
        for m in MANIFESTS.iter().rev() {
            let path = root.join(m);
            if !path.exists() {
                continue;
            }
            let text = files::read_text(&path, MAX_FILE_BYTES)?;
            let map = parse_manifest(&text)
                .map_err(|e| crate::error::EngineError::Invalid(format!("cannot use module manifest {}: {e}", path.display())))?;
            installed.extend(map);
            manifests.push((m.to_string(), text));
        }
        Ok(DirLoader { root, installed, manifests })
    }
}

impl ModuleLoader for DirLoader<'_> {
    fn files(&mut self, dir: &str) -> Result<Vec<(String, String)>, String> {
        crate::load::config_files(&self.root.join(dir)).map_err(|e| e.to_string())
    }
    fn installed(&self, key: &str) -> Option<String> {
        self.installed.get(key).cloned()
    }
}

/// Expands the module calls of the root `config` (parsed by `parse_dir`):
/// reads module directories, flattens them, checks the locals for cycles.
/// Returns the warnings; errors are an `EngineError`.
pub(crate) fn expand(root: &Path, config: &mut contin_config::Config, keys: &mut contin_config::modules::InstanceKeys<'_>) -> crate::error::Result<contin_types::Diagnostics> {
    if config.module_calls.is_empty() {
        return Ok(contin_types::Diagnostics::new());
    }
    let mut loader = DirLoader::new(root)?;
    let hint = Some(crate::load::block_hint_for(root));
    let mut diags = contin_config::modules::expand(config, &mut loader, hint, keys);
    for (name, text) in std::mem::take(&mut loader.manifests) {
        config.sources.add(name, text);
    }
    if !diags.has_errors() {
        diags.extend(contin_eval::check_cycles(config));
    }
    if diags.has_errors() {
        return Err(crate::error::EngineError::diags(diags, &config.sources));
    }
    Ok(diags)
}
