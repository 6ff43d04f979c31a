//! The `azurerm` provider: Azure Resource Manager through the legacy
//! azure-sdk-for-rust management crates (`azure_mgmt_resources` API
//! 2021-04-01, `azure_mgmt_network` 2024-03-01, `azure_mgmt_compute`
//! 2024-07-01) and `azure_identity`.
//!
//! Resources (Terraform azurerm names and attributes):
//! `azurerm_resource_group`, `azurerm_virtual_network`, `azurerm_subnet`,
//! `azurerm_network_security_group` (`security_rule` blocks),
//! `azurerm_public_ip`, `azurerm_network_interface`,
//! `azurerm_linux_virtual_machine`.
//!
//! Provider configuration: `features {}`, `subscription_id`, `tenant_id`,
//! `client_id`, `client_secret` (sensitive), `endpoint`, `authority_host`,
//! `use_cli`; credential chain in `config`.
//!
//! Every create and update is one PUT polled to completion through the
//! `Azure-AsyncOperation` / `Location` headers with a deadline
//! (`CONTIN_AZURE_WAIT_SECONDS`, default 1800); 429 (honouring
//! `Retry-After`) and 5xx are retried by the SDK pipeline (3 retries);
//! response bodies are bounded (`http::MAX_RESPONSE_BYTES`).
//!
//! Crash safety: every object is tagged at creation with `contin-lineage`,
//! `contin-address` and `contin-generation` (Azure tag names may not contain
//! ':'); a create that finds a live object with this lineage and address
//! adopts it instead of failing (`res::create`). These tags never show in `tags`.
//!
//! Architecture invariant: `schema`, `validate` and `plan_change` do no IO.

mod config;
pub mod http;
mod res;
pub mod schema;
mod sdk;
mod util;

use async_trait::async_trait;
use contin_provider::{OpContext, PlannedChange, Provider, ProviderError, ProviderSchema};
use contin_types::{Diagnostic, Diagnostics, Value};
use std::sync::{Arc, RwLock};

pub use util::{TAG_ADDRESS, TAG_GENERATION, TAG_LINEAGE};

/// The `azurerm` provider. Configure it before any remote call.
#[derive(Default)]
pub struct AzureProvider {
    inner: RwLock<Option<Arc<config::Inner>>>,
}

impl std::fmt::Debug for AzureProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AzureProvider").field("configured", &self.inner.read().map(|i| i.is_some()).unwrap_or(false)).finish()
    }
}

impl AzureProvider {
    pub fn new() -> Self {
        AzureProvider::default()
    }

    fn inner(&self) -> Result<Arc<config::Inner>, ProviderError> {
        self.inner
            .read()
            .ok()
            .and_then(|g| g.clone())
            .ok_or_else(|| ProviderError::NotConfigured("the azurerm provider was used before configure".into()))
    }
}

fn unsupported(ty: &str) -> ProviderError {
    ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }
}

fn one_of(out: &mut Diagnostics, path: &str, v: Option<&str>, allowed: &[&str]) {
    if let Some(v) = v {
        if !allowed.iter().any(|a| a.eq_ignore_ascii_case(v)) {
            out.push(Diagnostic::error(format!("{path}: {v:?} is not one of {}", allowed.join(", "))));
        }
    }
}

/// Checks beyond the schema: enumerations, tag keys, name characters.
pub fn validate(ty: &str, cfg: &Value) -> Diagnostics {
    use util::*;
    let mut out = Diagnostics::new();
    for attr in ["name", "resource_group_name", "virtual_network_name"] {
        if let Some(s) = get_str(cfg, attr) {
            if let Err(e) = check_segment(attr, s) {
                out.push(Diagnostic::error(format!("{attr}: {e}")));
            }
        }
    }
    for k in str_map(get(cfg, "tags")).keys() {
        if k.starts_with(TAG_PREFIX) {
            out.push(Diagnostic::error(format!("tags: key {k:?} uses the reserved prefix {TAG_PREFIX:?} (contin's ownership tags)")));
        } else if k.len() > 512 || k.chars().any(|c| matches!(c, '<' | '>' | '%' | '&' | '\\' | '?' | '/' | ':')) {
            out.push(Diagnostic::error(format!("tags: key {k:?} is not a valid Azure tag name (at most 512 characters, none of < > % & \\ ? / :)")));
        }
    }
    match ty {
        schema::PUBLIC_IP => {
            one_of(&mut out, "allocation_method", get_str(cfg, "allocation_method"), &["Static", "Dynamic"]);
            one_of(&mut out, "sku", get_str(cfg, "sku"), &["Basic", "Standard"]);
        }
        schema::NETWORK_INTERFACE => {
            for (i, c) in get_blocks(cfg, "ip_configuration").into_iter().enumerate() {
                let p = format!("ip_configuration[{i}]");
                let alloc = get_str(c, "private_ip_address_allocation");
                one_of(&mut out, &format!("{p}.private_ip_address_allocation"), alloc, &["Static", "Dynamic"]);
                if alloc == Some("Static") && get(c, "private_ip_address").is_none_or(Value::is_null) {
                    out.push(Diagnostic::error(format!("{p}.private_ip_address: required when private_ip_address_allocation is Static")));
                }
            }
        }
        schema::NETWORK_SECURITY_GROUP => {
            for (i, r) in get_blocks(cfg, "security_rule").into_iter().enumerate() {
                let p = format!("security_rule[{i}]");
                one_of(&mut out, &format!("{p}.direction"), get_str(r, "direction"), &["Inbound", "Outbound"]);
                one_of(&mut out, &format!("{p}.access"), get_str(r, "access"), &["Allow", "Deny"]);
                one_of(&mut out, &format!("{p}.protocol"), get_str(r, "protocol"), &["Tcp", "Udp", "Icmp", "Esp", "Ah", "*"]);
                if let Some(n) = get_i64(r, "priority") {
                    if !(100..=4096).contains(&n) {
                        out.push(Diagnostic::error(format!("{p}.priority: {n} is outside 100..4096")));
                    }
                }
            }
        }
        schema::LINUX_VM => {
            if get_strs(cfg, "network_interface_ids").is_empty() && get(cfg, "network_interface_ids").is_some_and(Value::is_wholly_known) {
                out.push(Diagnostic::error("network_interface_ids: at least one network interface is required".to_string()));
            }
            for (i, d) in get_blocks(cfg, "os_disk").into_iter().enumerate() {
                one_of(&mut out, &format!("os_disk[{i}].caching"), get_str(d, "caching"), &["None", "ReadOnly", "ReadWrite"]);
            }
        }
        _ => {}
    }
    out
}

#[async_trait]
impl Provider for AzureProvider {
    fn name(&self) -> &str {
        "azurerm"
    }

    fn schema(&self) -> ProviderSchema {
        schema::provider_schema()
    }

    async fn configure(&self, cfg: Value) -> Result<(), Diagnostics> {
        let inner = config::configure(&cfg).map_err(Diagnostics::from)?;
        if let Ok(mut g) = self.inner.write() {
            *g = Some(Arc::new(inner));
        }
        Ok(())
    }

    fn validate(&self, ty: &str, cfg: &Value) -> Diagnostics {
        validate(ty, cfg)
    }

    fn plan_change(&self, ty: &str, prior: Option<&Value>, desired: &Value) -> PlannedChange {
        match schema::resource(ty) {
            Some(block) => contin_provider::plan_change_from_schema(&block, prior, desired),
            None => PlannedChange {
                planned: desired.clone(),
                requires_replace: Vec::new(),
                diagnostics: Diagnostic::error(format!("unsupported resource type {ty:?}")).into(),
            },
        }
    }

    async fn read(&self, ty: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        if schema::resource(ty).is_none() {
            return Err(unsupported(ty));
        }
        res::read(&*self.inner()?, ty, state).await
    }

    async fn create(&self, ty: &str, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
        if schema::resource(ty).is_none() {
            return Err(unsupported(ty));
        }
        res::create(&*self.inner()?, ty, planned, ctx).await
    }

    async fn update(&self, ty: &str, prior: &Value, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
        if schema::resource(ty).is_none() {
            return Err(unsupported(ty));
        }
        res::update(&*self.inner()?, ty, &ctx.address.to_string(), prior, planned).await
    }

    async fn delete(&self, ty: &str, prior: &Value, ctx: &OpContext) -> Result<(), ProviderError> {
        if schema::resource(ty).is_none() {
            return Err(unsupported(ty));
        }
        res::delete(&*self.inner()?, ty, &ctx.address.to_string(), prior).await
    }

    async fn import(&self, ty: &str, id: &str) -> Result<Value, ProviderError> {
        if schema::resource(ty).is_none() {
            return Err(unsupported(ty));
        }
        res::import(&*self.inner()?, ty, id).await?.ok_or_else(|| ProviderError::Api {
            code: "NotFound".into(),
            message: format!("cannot import {ty} {id:?}: no such object"),
        })
    }
}
