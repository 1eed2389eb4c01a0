//! What every AWS client's calls carry, through one SDK interceptor registered where the
//! clients are built: the name of the operation, written onto its response
//! ([`OPERATION_HEADER`]), so that an error from a service that does not say which action it
//! denied (S3's `AccessDenied`) still names it.

use aws_sdk_dynamodb::config::ConfigBag;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextMut;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

/// The response header naming the operation it answers (set by [`Calls`], never by a server).
pub const OPERATION_HEADER: &str = "x-cruddur-ops-operation";

/// The interceptor of every client the context builds.
#[derive(Debug, Clone, Default)]
pub struct Calls;

impl Intercept for Calls {
    fn name(&self) -> &'static str {
        "cruddur-ops calls"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(metadata) = cfg.load::<Metadata>() {
            let name = metadata.name().to_string();
            context
                .response_mut()
                .headers_mut()
                .insert(OPERATION_HEADER, name);
        }
        Ok(())
    }
}
