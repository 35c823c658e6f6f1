//! The Admin API version the client asks for, and how long Shopify keeps serving it.
//!
//! Shopify releases a version at the start of each quarter (`YYYY-01`, `-04`, `-07`, `-10`)
//! and supports each for twelve months: version `YYYY-MM` is retired on the first day of the
//! same month a year later (2026-10 on 2027-10-01). A call to a retired version is answered by
//! the oldest supported one (a *fall-forward*), which the answer's `X-Shopify-API-Version`
//! header shows. [`VersionStatus`] is computed on the client's clock
//! ([`ShopifyClient::version_status`](crate::ShopifyClient::version_status)), so tests and the
//! daemon see the same days left.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, Utc};

/// The Admin API version this crate's operations are written for and checked against (the
/// vendored full schema `schema/admin-2026-10.graphql.gz`).
pub const DEFAULT_API_VERSION: &str = "2026-10";

/// The oldest version this crate's operations run on: the order read asks for the customer's
/// tax id (`Customer.taxSettings`), which 2026-07 introduced (and the stock reads use
/// `InventoryLevel.isActive` with `includeInactive`, from 2026-04).
pub const OLDEST_API_VERSION: &str = "2026-07";

/// How long Shopify supports a quarterly version, in months.
pub const SUPPORT_MONTHS: u32 = 12;

/// From how many days before its retirement the configured version is reported as a warning.
pub const RETIREMENT_WARNING_DAYS: i64 = 90;

/// The `YYYY-MM` of a quarterly version (`None` for `unstable` or anything else).
fn year_month(version: &str) -> Option<(i32, u32)> {
    let (year, month) = version.split_once('-')?;
    if year.len() != 4 || month.len() != 2 {
        return None;
    }
    let year: i32 = year.parse().ok()?;
    let month: u32 = month.parse().ok()?;
    matches!(month, 1 | 4 | 7 | 10).then_some((year, month))
}

/// Whether `version` is a quarterly version (`YYYY-MM` with MM one of 01, 04, 07, 10).
pub fn is_quarterly(version: &str) -> bool {
    year_month(version).is_some()
}

/// Whether quarterly `version` is older than `than` (both `YYYY-MM`; `false` when either is
/// not a quarterly version).
pub fn is_older(version: &str, than: &str) -> bool {
    matches!((year_month(version), year_month(than)), (Some(a), Some(b)) if a < b)
}

/// The day Shopify retires `version`: the first day of its release month, twelve months
/// later. `None` for `unstable` (never supported for production) and non-versions.
pub fn retirement_date(version: &str) -> Option<NaiveDate> {
    let (year, month) = year_month(version)?;
    NaiveDate::from_ymd_opt(year + 1, month, 1)
}

/// How long the configured API version has left, as of a given day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionStatus {
    /// The version the client asks for.
    pub version: String,
    /// The day Shopify retires it (`None` for `unstable`).
    pub retires_on: Option<NaiveDate>,
    /// Whole days from today (UTC) to the retirement day; 0 or less once retired.
    pub days_left: Option<i64>,
}

impl VersionStatus {
    /// The status of `version` on the day of `now` (UTC).
    pub fn at(version: &str, now: DateTime<Utc>) -> VersionStatus {
        let retires_on = retirement_date(version);
        VersionStatus {
            version: version.to_owned(),
            retires_on,
            days_left: retires_on.map(|d| (d - now.date_naive()).num_days()),
        }
    }

    /// Whether the version is within [`RETIREMENT_WARNING_DAYS`] of its retirement (or past
    /// it), or is `unstable`: time to move to a newer version.
    pub fn needs_attention(&self) -> bool {
        self.days_left.is_none_or(|d| d <= RETIREMENT_WARNING_DAYS)
    }

    /// Whether Shopify has retired the version (its calls fall forward to a newer one).
    pub fn is_retired(&self) -> bool {
        self.days_left.is_some_and(|d| d <= 0)
    }

    /// The year and month of the retirement day, for messages.
    fn retires(&self) -> String {
        self.retires_on.map_or_else(String::new, |d| {
            format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
        })
    }
}

impl fmt::Display for VersionStatus {
    /// `Shopify Admin API 2026-10: 299 days left (retired on 2027-10-01)`, with a warning
    /// from [`RETIREMENT_WARNING_DAYS`] before.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let version = &self.version;
        match self.days_left {
            None => write!(
                f,
                "Shopify Admin API {version}: not a supported release (no retirement date); \
                 use a quarterly version"
            ),
            Some(d) if d <= 0 => write!(
                f,
                "Shopify Admin API {version}: retired on {}; Shopify answers with a newer \
                 version; move shopify.api_version to a supported version",
                self.retires()
            ),
            Some(d) if d <= RETIREMENT_WARNING_DAYS => write!(
                f,
                "Shopify Admin API {version}: {d} day(s) left, retired on {}; move \
                 shopify.api_version to a newer version before then",
                self.retires()
            ),
            Some(d) => write!(
                f,
                "Shopify Admin API {version}: {d} days left (retired on {})",
                self.retires()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
    }

    #[test]
    fn a_version_is_retired_twelve_months_after_its_release_month() {
        assert_eq!(
            retirement_date("2026-01"),
            NaiveDate::from_ymd_opt(2027, 1, 1)
        );
        assert_eq!(
            retirement_date("2026-10"),
            NaiveDate::from_ymd_opt(2027, 10, 1)
        );
        assert_eq!(retirement_date("unstable"), None);
        assert_eq!(retirement_date("2026-02"), None);
    }

    #[test]
    fn days_left_count_from_the_clock_and_warn_from_ninety_days() {
        let s = VersionStatus::at("2026-10", day(2026, 12, 5));
        assert_eq!(s.days_left, Some(300));
        assert!(!s.needs_attention());
        assert!(s.to_string().contains("300 days left"), "{s}");

        let s = VersionStatus::at("2026-01", day(2026, 12, 5));
        assert_eq!(s.days_left, Some(27));
        assert!(s.needs_attention() && !s.is_retired());
        assert!(s.to_string().contains("27 day(s) left"), "{s}");

        let edge = VersionStatus::at("2026-10", day(2027, 7, 3));
        assert_eq!(edge.days_left, Some(90));
        assert!(edge.needs_attention());
        assert!(!VersionStatus::at("2026-10", day(2027, 7, 2)).needs_attention());

        let gone = VersionStatus::at("2026-01", day(2027, 1, 1));
        assert!(gone.is_retired());
        assert!(gone.to_string().contains("retired on 2027-01-01"), "{gone}");
        assert!(VersionStatus::at("unstable", day(2026, 12, 5)).needs_attention());
    }

    #[test]
    fn versions_compare_by_year_then_month() {
        assert!(is_older("2026-01", OLDEST_API_VERSION));
        assert!(is_older("2026-04", OLDEST_API_VERSION));
        assert!(!is_older("2026-07", OLDEST_API_VERSION));
        assert!(!is_older("2027-01", "2026-10"));
        assert!(!is_older("unstable", OLDEST_API_VERSION));
    }
}
