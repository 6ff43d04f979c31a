//! VPCs, subnets, internet gateways, route tables (+ associations), key pairs.
use crate::Inner;
use contin_provider::{OpContext, ProviderError};
use contin_types::Value;

fn todo(ty: &str) -> ProviderError {
    ProviderError::Failed(format!("{ty}: not implemented yet"))
}
pub(crate) async fn read(_i: &Inner, ty: &str, _s: &Value) -> Result<Option<Value>, ProviderError> { Err(todo(ty)) }
pub(crate) async fn create(_i: &Inner, ty: &str, _p: &Value, _c: &OpContext) -> Result<Value, ProviderError> { Err(todo(ty)) }
pub(crate) async fn update(_i: &Inner, ty: &str, _a: &str, _p: &Value, _q: &Value) -> Result<Value, ProviderError> { Err(todo(ty)) }
pub(crate) async fn delete(_i: &Inner, ty: &str, _a: &str, _p: &Value) -> Result<(), ProviderError> { Err(todo(ty)) }
pub(crate) async fn import(_i: &Inner, ty: &str, _id: &str) -> Result<Option<Value>, ProviderError> { Err(todo(ty)) }
