//! Data sources (work in progress).
use crate::Inner;
use contin_provider::ProviderError;
use contin_types::Value;
pub(crate) async fn ami(_i: &Inner, _c: &Value) -> Result<Value, ProviderError> { Err(ProviderError::Failed("aws_ami: not implemented yet".into())) }
pub(crate) async fn availability_zones(_i: &Inner, _c: &Value) -> Result<Value, ProviderError> { Err(ProviderError::Failed("aws_availability_zones: not implemented yet".into())) }
