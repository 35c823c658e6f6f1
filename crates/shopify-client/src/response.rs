//! Small readers of HTTP answers shared by the GraphQL round trip, the token requests and
//! the pre-signed uploads and downloads. A leaf: it imports nothing else of the crate.

/// Shopify's `X-Request-Id`, for support tickets.
pub(crate) fn request_id(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The start of a body (at most 512 bytes) as text, for error messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    let end = body.len().min(512);
    String::from_utf8_lossy(&body[..end]).into_owned()
}
