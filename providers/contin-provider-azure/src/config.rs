//! `provider "azurerm" { … }` → credentials and the three management clients.
//!
//! Credential chain (first that applies): a client-secret service principal
//! (`client_id` + `client_secret` + `tenant_id` from the block, else the
//! `ARM_CLIENT_ID` / `ARM_CLIENT_SECRET` / `ARM_TENANT_ID` environment
//! variables, as Terraform reads them), else the Azure CLI (`az account
//! get-access-token`) unless `use_cli = false`.

use crate::http::BoundedHttp;
use crate::util::{get, get_str};
use azure_core::auth::TokenCredential;
use azure_core::{ExponentialRetryOptions, RetryOptions, TransportOptions, Url};
use contin_types::{Diagnostic, Value};
use std::sync::Arc;
use std::time::Duration;

pub(crate) const DEFAULT_ENDPOINT: &str = "https://management.azure.com";
pub(crate) const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";

/// A configured provider.
pub(crate) struct Inner {
    pub subscription: String,
    pub resources: azure_mgmt_resources::package_resources_2021_04::Client,
    pub network: azure_mgmt_network::package_2024_03::Client,
    pub compute: azure_mgmt_compute::package_2024_07_01::Client,
    pub http: Arc<dyn azure_core::HttpClient>,
    pub credential: Arc<dyn TokenCredential>,
    /// OAuth scope of the Resource Manager endpoint (`{endpoint}/.default`).
    pub scope: String,
}

fn invalid(detail: impl Into<String>) -> Diagnostic {
    Diagnostic::error("Invalid provider \"azurerm\" configuration".to_string()).with_detail(detail.into())
}

/// Block attribute, else the environment variable, trimmed; empty = absent.
fn setting(cfg: &Value, name: &str, env: &str) -> Option<String> {
    get_str(cfg, name).map(str::to_string).or_else(|| std::env::var(env).ok()).map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn url_setting(cfg: &Value, name: &str, env: &str, default: &str) -> Result<Url, Diagnostic> {
    let raw = setting(cfg, name, env).unwrap_or_else(|| default.to_string());
    if !(raw.starts_with("http://") || raw.starts_with("https://")) {
        return Err(invalid(format!("{name} {raw:?} must be an http:// or https:// URL")));
    }
    Url::parse(&raw).map_err(|e| invalid(format!("{name} {raw:?} is not a URL: {e}")))
}

pub(crate) fn configure(cfg: &Value) -> Result<Inner, Diagnostic> {
    let (cfg, _) = cfg.unmark_deep();
    for name in ["subscription_id", "tenant_id", "client_id", "client_secret", "endpoint", "authority_host"] {
        if get(&cfg, name).is_some_and(|v| !v.is_wholly_known()) {
            return Err(invalid(format!("{name} must be known before apply")));
        }
    }
    let Some(subscription) = setting(&cfg, "subscription_id", "ARM_SUBSCRIPTION_ID") else {
        return Err(invalid("subscription_id is required: set it in the provider \"azurerm\" block or ARM_SUBSCRIPTION_ID"));
    };
    if !subscription.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(invalid("subscription_id may only contain letters, digits and '-'"));
    }
    let endpoint = url_setting(&cfg, "endpoint", "ARM_ENDPOINT", DEFAULT_ENDPOINT)?;
    let authority = url_setting(&cfg, "authority_host", "ARM_AUTHORITY_HOST", DEFAULT_AUTHORITY)?;
    let http = BoundedHttp::shared();
    let tenant = setting(&cfg, "tenant_id", "ARM_TENANT_ID");
    let client_id = setting(&cfg, "client_id", "ARM_CLIENT_ID");
    let secret = setting(&cfg, "client_secret", "ARM_CLIENT_SECRET");
    let use_cli = !matches!(get(&cfg, "use_cli"), Some(Value::Bool(false)));
    let credential: Arc<dyn TokenCredential> = match (tenant, client_id, secret) {
        (Some(t), Some(c), Some(s)) => {
            if !t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') {
                return Err(invalid("tenant_id may only contain letters, digits, '-' and '.'"));
            }
            Arc::new(azure_identity::ClientSecretCredential::new(http.clone(), authority, t, c, s))
        }
        (_, Some(_), None) | (_, None, Some(_)) => {
            return Err(invalid("client_id and client_secret (or ARM_CLIENT_ID and ARM_CLIENT_SECRET) must be set together"))
        }
        (None, Some(_), Some(_)) => return Err(invalid("tenant_id (or ARM_TENANT_ID) is required with a client secret")),
        (_, None, None) if use_cli => Arc::new(azure_identity::AzureCliCredential::new()),
        (_, None, None) => {
            return Err(invalid("no credentials: set client_id, client_secret and tenant_id (or ARM_CLIENT_ID, ARM_CLIENT_SECRET, ARM_TENANT_ID), or allow the Azure CLI (use_cli)"))
        }
    };
    let scope = endpoint.join(azure_core::auth::DEFAULT_SCOPE_SUFFIX).map_err(|e| invalid(format!("endpoint: {e}")))?.to_string();
    let retry = || {
        RetryOptions::exponential(ExponentialRetryOptions {
            initial_delay: Duration::from_millis(200),
            max_retries: 3,
            max_total_elapsed: Duration::from_secs(120),
            max_delay: Duration::from_secs(30),
        })
    };
    let transport = || TransportOptions::new(http.clone());
    let bad = |e: azure_core::Error| invalid(format!("cannot build the Azure client: {e}"));
    let resources = azure_mgmt_resources::package_resources_2021_04::Client::builder(credential.clone())
        .endpoint(endpoint.clone())
        .retry(retry())
        .transport(transport())
        .build()
        .map_err(bad)?;
    let network = azure_mgmt_network::package_2024_03::Client::builder(credential.clone())
        .endpoint(endpoint.clone())
        .retry(retry())
        .transport(transport())
        .build()
        .map_err(bad)?;
    let compute = azure_mgmt_compute::package_2024_07_01::Client::builder(credential.clone())
        .endpoint(endpoint)
        .retry(retry())
        .transport(transport())
        .build()
        .map_err(bad)?;
    Ok(Inner { subscription, resources, network, compute, http, credential, scope })
}
