//! The typed SDK calls behind every resource type: PUT (create or update),
//! GET and DELETE through the azure_mgmt_* clients, bodies converted through
//! the SDK's models (so what is sent and read has the SDK's shapes).
//!
//! The SDK's own `.await` on a long-running PUT re-sends the PUT until
//! `provisioningState` is final and never gives up; contin sends once
//! (`send()`) and polls the operation (`http::wait`) with a deadline.

use crate::config::Inner;
use crate::http::{self, Started};
use crate::schema::*;
use crate::util::{api_err, is_not_found};
use azure_mgmt_compute::package_2024_07_01::models as cm;
use azure_mgmt_network::package_2024_03::models as nm;
use azure_mgmt_resources::package_resources_2021_04::models as rm;
use contin_provider::ProviderError;

/// The names that make up one object's ARM id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Names {
    pub resource_group: String,
    pub name: String,
    /// The virtual network of a subnet.
    pub parent: Option<String>,
}

impl Names {
    pub fn id(&self, sub: &str, ty: &str) -> String {
        let rg = format!("/subscriptions/{sub}/resourceGroups/{}", self.resource_group);
        let n = &self.name;
        match ty {
            RESOURCE_GROUP => format!("/subscriptions/{sub}/resourceGroups/{n}"),
            VIRTUAL_NETWORK => format!("{rg}/providers/Microsoft.Network/virtualNetworks/{n}"),
            SUBNET => format!("{rg}/providers/Microsoft.Network/virtualNetworks/{}/subnets/{n}", self.parent.as_deref().unwrap_or("")),
            NETWORK_SECURITY_GROUP => format!("{rg}/providers/Microsoft.Network/networkSecurityGroups/{n}"),
            PUBLIC_IP => format!("{rg}/providers/Microsoft.Network/publicIPAddresses/{n}"),
            NETWORK_INTERFACE => format!("{rg}/providers/Microsoft.Network/networkInterfaces/{n}"),
            _ => format!("{rg}/providers/Microsoft.Compute/virtualMachines/{n}"),
        }
    }
}

fn model<T: serde::de::DeserializeOwned>(what: &str, body: serde_json::Value) -> Result<T, ProviderError> {
    serde_json::from_value(body).map_err(|e| ProviderError::Failed(format!("{what}: request body does not fit the SDK model: {e}")))
}

fn to_json<T: serde::Serialize>(what: &str, m: &T) -> Result<serde_json::Value, ProviderError> {
    serde_json::to_value(m).map_err(|e| ProviderError::Failed(format!("{what}: {e}")))
}

async fn started(what: &str, rsp: azure_core::Response) -> Result<Started, ProviderError> {
    let (status, headers, body) = rsp.deconstruct();
    let body = body.collect().await.map_err(|e| api_err(what, e))?;
    Ok(Started { status, headers, body })
}

fn parse<T: serde::de::DeserializeOwned + serde::Serialize>(what: &str, body: &[u8]) -> Result<serde_json::Value, ProviderError> {
    let m: T = serde_json::from_slice(body).map_err(|e| ProviderError::Failed(format!("{what}: Azure's answer does not fit the SDK model: {e}")))?;
    to_json(what, &m)
}

/// Sends the PUT of `body` for `ty`; returns the first response (not yet polled).
pub(crate) async fn put(inner: &Inner, ty: &str, n: &Names, body: serde_json::Value, what: &str) -> Result<Started, ProviderError> {
    let sub = inner.subscription.clone();
    let (rg, name) = (n.resource_group.clone(), n.name.clone());
    let sent = match ty {
        RESOURCE_GROUP => {
            let p: rm::ResourceGroup = model(what, body)?;
            inner.resources.resource_groups_client().create_or_update(name, p, sub).send().await.map(|r| r.into_raw_response())
        }
        VIRTUAL_NETWORK => {
            let p: nm::VirtualNetwork = model(what, body)?;
            inner.network.virtual_networks_client().create_or_update(rg, name, p, sub).send().await.map(|r| r.into_raw_response())
        }
        SUBNET => {
            let p: nm::Subnet = model(what, body)?;
            let vnet = n.parent.clone().unwrap_or_default();
            inner.network.subnets_client().create_or_update(rg, vnet, name, p, sub).send().await.map(|r| r.into_raw_response())
        }
        NETWORK_SECURITY_GROUP => {
            let p: nm::NetworkSecurityGroup = model(what, body)?;
            inner.network.network_security_groups_client().create_or_update(rg, name, p, sub).send().await.map(|r| r.into_raw_response())
        }
        PUBLIC_IP => {
            let p: nm::PublicIpAddress = model(what, body)?;
            inner.network.public_ip_addresses_client().create_or_update(rg, name, p, sub).send().await.map(|r| r.into_raw_response())
        }
        NETWORK_INTERFACE => {
            let p: nm::NetworkInterface = model(what, body)?;
            inner.network.network_interfaces_client().create_or_update(rg, name, p, sub).send().await.map(|r| r.into_raw_response())
        }
        LINUX_VM => {
            let p: cm::VirtualMachine = model(what, body)?;
            inner.compute.virtual_machines_client().create_or_update(rg, name, p, sub).send().await.map(|r| r.into_raw_response())
        }
        _ => return Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }),
    };
    started(what, sent.map_err(|e| api_err(what, e))?).await
}

/// GETs the object; `None` when Azure says 404. The body is read through the SDK model.
pub(crate) async fn get(inner: &Inner, ty: &str, n: &Names, what: &str) -> Result<Option<serde_json::Value>, ProviderError> {
    let sub = inner.subscription.clone();
    let (rg, name) = (n.resource_group.clone(), n.name.clone());
    let sent = match ty {
        RESOURCE_GROUP => inner.resources.resource_groups_client().get(name, sub).send().await.map(|r| r.into_raw_response()),
        VIRTUAL_NETWORK => inner.network.virtual_networks_client().get(rg, name, sub).send().await.map(|r| r.into_raw_response()),
        SUBNET => {
            let vnet = n.parent.clone().unwrap_or_default();
            inner.network.subnets_client().get(rg, vnet, name, sub).send().await.map(|r| r.into_raw_response())
        }
        NETWORK_SECURITY_GROUP => inner.network.network_security_groups_client().get(rg, name, sub).send().await.map(|r| r.into_raw_response()),
        PUBLIC_IP => inner.network.public_ip_addresses_client().get(rg, name, sub).send().await.map(|r| r.into_raw_response()),
        NETWORK_INTERFACE => inner.network.network_interfaces_client().get(rg, name, sub).send().await.map(|r| r.into_raw_response()),
        LINUX_VM => inner.compute.virtual_machines_client().get(rg, name, sub).send().await.map(|r| r.into_raw_response()),
        _ => return Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }),
    };
    let rsp = match sent {
        Ok(r) => r,
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(api_err(what, e)),
    };
    let body = rsp.into_body().collect().await.map_err(|e| api_err(what, e))?;
    let j = match ty {
        RESOURCE_GROUP => parse::<rm::ResourceGroup>(what, &body)?,
        VIRTUAL_NETWORK => parse::<nm::VirtualNetwork>(what, &body)?,
        SUBNET => parse::<nm::Subnet>(what, &body)?,
        NETWORK_SECURITY_GROUP => parse::<nm::NetworkSecurityGroup>(what, &body)?,
        PUBLIC_IP => parse::<nm::PublicIpAddress>(what, &body)?,
        NETWORK_INTERFACE => parse::<nm::NetworkInterface>(what, &body)?,
        _ => parse::<cm::VirtualMachine>(what, &body)?,
    };
    Ok(Some(j))
}

/// Sends the DELETE and polls it to completion; a gone object is success.
pub(crate) async fn delete(inner: &Inner, ty: &str, n: &Names, what: &str) -> Result<(), ProviderError> {
    let sub = inner.subscription.clone();
    let (rg, name) = (n.resource_group.clone(), n.name.clone());
    let sent = match ty {
        RESOURCE_GROUP => inner.resources.resource_groups_client().delete(name, sub).send().await.map(|r| r.into_raw_response()),
        VIRTUAL_NETWORK => inner.network.virtual_networks_client().delete(rg, name, sub).send().await.map(|r| r.into_raw_response()),
        SUBNET => {
            let vnet = n.parent.clone().unwrap_or_default();
            inner.network.subnets_client().delete(rg, vnet, name, sub).send().await.map(|r| r.into_raw_response())
        }
        NETWORK_SECURITY_GROUP => inner.network.network_security_groups_client().delete(rg, name, sub).send().await.map(|r| r.into_raw_response()),
        PUBLIC_IP => inner.network.public_ip_addresses_client().delete(rg, name, sub).send().await.map(|r| r.into_raw_response()),
        NETWORK_INTERFACE => inner.network.network_interfaces_client().delete(rg, name, sub).send().await.map(|r| r.into_raw_response()),
        LINUX_VM => inner.compute.virtual_machines_client().delete(rg, name, sub).send().await.map(|r| r.into_raw_response()),
        _ => return Err(ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }),
    };
    let rsp = match sent {
        Ok(r) => r,
        Err(e) if is_not_found(&e) => return Ok(()),
        Err(e) => return Err(api_err(what, e)),
    };
    let s = started(what, rsp).await?;
    wait(inner, what, &s).await
}

/// Polls a started operation (`http::wait`) with the provider's credential.
pub(crate) async fn wait(inner: &Inner, what: &str, s: &Started) -> Result<(), ProviderError> {
    http::wait(&inner.http, &inner.credential, &inner.scope, what, s).await.map_err(ProviderError::Failed)
}
