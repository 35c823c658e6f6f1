//! Tracing conventions: one span per logical request, with the attempt number and the final
//! status recorded on it. Bodies and secrets are never recorded.

/// Opens the span for one logical request to `service` (e.g. `"shopify"`) at `endpoint`
/// (an operation name or a path without query string).
///
/// The retry driver records `attempt`; clients record `status` with
/// `span.record("status", code)`.
pub fn request_span(service: &'static str, endpoint: &str) -> tracing::Span {
    tracing::debug_span!(
        "request",
        service,
        endpoint,
        attempt = tracing::field::Empty,
        status = tracing::field::Empty,
    )
}
