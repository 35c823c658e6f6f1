//! Outbound base URLs must be `https`, unless they point at a loopback address (the local
//! stand-ins, test servers) or the integrator opted in explicitly.
//!
//! A plain-http production URL is a configuration error, not a warning: credentials would
//! cross the network in clear text.

use std::net::IpAddr;

use url::Url;

/// A base URL that the policy refused, or that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlPolicyError {
    /// The text is not a URL.
    #[error("{field}: not a valid URL ({reason})")]
    Invalid {
        /// The configuration field.
        field: String,
        /// Why it did not parse.
        reason: String,
    },
    /// `http` (or another scheme) for a host that is not loopback.
    #[error(
        "{field}: must use https (plain http is only allowed for loopback addresses, or with an explicit opt-in), got scheme {scheme:?} for host {host:?}"
    )]
    Insecure {
        /// The configuration field.
        field: String,
        /// The scheme given.
        scheme: String,
        /// The host given.
        host: String,
    },
}

/// Whether plain http is allowed for non-loopback hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InsecureHttp {
    /// Only https, or http to loopback (the default).
    #[default]
    Refuse,
    /// The integrator explicitly accepts plain http (for example an on-premises ERP inside a
    /// private network).
    Allow,
}

/// `true` when `url` points at `localhost` or a loopback IP address.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => {
            domain.eq_ignore_ascii_case("localhost") || domain.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Parses `text` as the base URL of configuration field `field` and applies the policy.
///
/// # Errors
///
/// [`UrlPolicyError::Invalid`] when it does not parse, [`UrlPolicyError::Insecure`] when it is
/// not https, not loopback, and `insecure` is [`InsecureHttp::Refuse`].
pub fn parse_base_url(
    field: &str,
    text: &str,
    insecure: InsecureHttp,
) -> Result<Url, UrlPolicyError> {
    let url = Url::parse(text).map_err(|e| UrlPolicyError::Invalid {
        field: field.to_owned(),
        reason: e.to_string(),
    })?;
    check_base_url(field, &url, insecure)?;
    Ok(url)
}

/// Applies the policy to an already parsed URL.
///
/// # Errors
///
/// As [`parse_base_url`].
pub fn check_base_url(
    field: &str,
    url: &Url,
    insecure: InsecureHttp,
) -> Result<(), UrlPolicyError> {
    let scheme = url.scheme();
    let ok = scheme == "https"
        || (scheme == "http" && (is_loopback(url) || insecure == InsecureHttp::Allow));
    if ok && url.host().is_some() {
        Ok(())
    } else if url.host().is_none() {
        Err(UrlPolicyError::Invalid {
            field: field.to_owned(),
            reason: "no host".to_owned(),
        })
    } else {
        Err(UrlPolicyError::Insecure {
            field: field.to_owned(),
            scheme: scheme.to_owned(),
            host: url.host_str().unwrap_or_default().to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_and_loopback_http_pass() {
        for ok in [
            "https://shop.myshopify.com",
            "http://127.0.0.1:8080/",
            "http://localhost:3000",
            "http://[::1]:9000/x",
            "http://127.5.5.5/",
        ] {
            assert!(
                parse_base_url("base", ok, InsecureHttp::Refuse).is_ok(),
                "{ok}"
            );
        }
    }

    #[test]
    fn plain_http_to_a_remote_host_is_an_error_naming_the_field() {
        let err = parse_base_url(
            "eta.api_base",
            "http://api.invoicing.eta.gov.eg",
            InsecureHttp::Refuse,
        )
        .unwrap_err();
        assert!(matches!(err, UrlPolicyError::Insecure { .. }));
        assert!(err.to_string().starts_with("eta.api_base: must use https"));
        assert!(parse_base_url("x", "http://10.0.0.5", InsecureHttp::Allow).is_ok());
        assert!(parse_base_url("x", "ftp://example.com", InsecureHttp::Allow).is_err());
        assert!(matches!(
            parse_base_url("x", "not a url", InsecureHttp::Refuse),
            Err(UrlPolicyError::Invalid { .. })
        ));
    }
}
