//! sg (work in progress).
use crate::Inner;
use contin_provider::{OpContext, ProviderError};
use contin_types::Value;

fn todo() -> ProviderError {
    ProviderError::Failed("sg: not implemented yet".into())
}
pub(crate) async fn read(_i: &Inner, _s: &Value) -> Result<Option<Value>, ProviderError> { Err(todo()) }
pub(crate) async fn create(_i: &Inner, _p: &Value, _c: &OpContext) -> Result<Value, ProviderError> { Err(todo()) }
pub(crate) async fn update(_i: &Inner, _a: &str, _p: &Value, _q: &Value) -> Result<Value, ProviderError> { Err(todo()) }
pub(crate) async fn delete(_i: &Inner, _a: &str, _p: &Value) -> Result<(), ProviderError> { Err(todo()) }
pub(crate) async fn import(_i: &Inner, _id: &str) -> Result<Option<Value>, ProviderError> { Err(todo()) }
