//! Several tax devices (ETA POS devices), each with its own receipt chain, and the routing of
//! an order to one of them.
//!
//! A tenant registers one POS device per till with the tax authority, each with its own serial
//! number, credentials and pre-shared key. [`TaxDevices`] holds one [`TaxAuthority`] per device
//! and the [`DeviceRoute`]s that send an order to a device by the storefront's sales channel
//! (`source`, Shopify's `sourceName`: the online store is `web`, Shopify POS is `pos`) and by
//! the location of a point-of-sale order (`location`); an order no route takes goes to the
//! default device. Each device keeps its own chain (`chain:{device}`, under the store's chain
//! compare-and-set), its own submissions and polling, and its own circuit breaker: a device
//! whose credentials are refused stops only its own jobs.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::connector::TaxAuthority;
use crate::model::{LocationId, Order};

/// Which orders go to one device: those made at one of `locations` (a point-of-sale order), or
/// else through one of the channels `sources`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceRoute {
    /// Sales channels (Shopify's `sourceName`, compared without case: `web`, `pos`, an app's
    /// name) whose orders go to the device.
    pub sources: Vec<String>,
    /// Storefront locations whose point-of-sale orders go to the device. A location route
    /// wins over a channel route.
    pub locations: Vec<LocationId>,
}

/// The tax devices of an engine: a default one and any others, with their routes.
#[derive(Clone)]
pub struct TaxDevices {
    default: String,
    devices: BTreeMap<String, Arc<dyn TaxAuthority>>,
    routes: Vec<(String, DeviceRoute)>,
}

impl fmt::Debug for TaxDevices {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaxDevices")
            .field("default", &self.default)
            .field("devices", &self.devices.keys().collect::<Vec<_>>())
            .field("routes", &self.routes)
            .finish()
    }
}

/// Why a set of devices cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DevicesError {
    /// Two devices share a serial number.
    #[error("device {0}: listed twice (each device's serial number must be unique)")]
    Duplicate(String),
    /// Two devices claim one location or channel.
    #[error("{what} {value}: routed to both device {first} and device {second}")]
    Ambiguous {
        /// `location` or `source`.
        what: &'static str,
        /// The location id or channel.
        value: String,
        /// The device listed first.
        first: String,
        /// The other device.
        second: String,
    },
}

impl TaxDevices {
    /// One device, which takes every order.
    pub fn single(tax: Arc<dyn TaxAuthority>) -> Self {
        let default = tax.device().to_owned();
        TaxDevices {
            devices: BTreeMap::from([(default.clone(), tax)]),
            default,
            routes: Vec::new(),
        }
    }

    /// Adds a device taking the orders of `route`.
    ///
    /// # Errors
    ///
    /// When its serial number is listed already, or a location or channel of `route` is
    /// another device's already.
    pub fn with_device(
        mut self,
        tax: Arc<dyn TaxAuthority>,
        route: DeviceRoute,
    ) -> Result<Self, DevicesError> {
        let name = tax.device().to_owned();
        if self.devices.contains_key(&name) {
            return Err(DevicesError::Duplicate(name));
        }
        self.check_free(&name, &route)?;
        self.devices.insert(name.clone(), tax);
        self.routes.push((name, route));
        Ok(self)
    }

    /// Gives the default device (listed already) the orders of `route` too.
    ///
    /// # Errors
    ///
    /// When a location or channel of `route` is another device's already.
    pub fn with_default_route(mut self, route: DeviceRoute) -> Result<Self, DevicesError> {
        let name = self.default.clone();
        self.check_free(&name, &route)?;
        self.routes.push((name, route));
        Ok(self)
    }

    fn check_free(&self, name: &str, route: &DeviceRoute) -> Result<(), DevicesError> {
        for (other, taken) in &self.routes {
            if let Some(location) = route.locations.iter().find(|l| taken.locations.contains(l)) {
                return Err(DevicesError::Ambiguous {
                    what: "location",
                    value: location.to_string(),
                    first: other.clone(),
                    second: name.to_owned(),
                });
            }
            if let Some(source) = route
                .sources
                .iter()
                .find(|s| taken.sources.iter().any(|t| t.eq_ignore_ascii_case(s)))
            {
                return Err(DevicesError::Ambiguous {
                    what: "source",
                    value: source.clone(),
                    first: other.clone(),
                    second: name.to_owned(),
                });
            }
        }
        Ok(())
    }

    /// The default device's serial number.
    pub fn default_device(&self) -> &str {
        &self.default
    }

    /// The serial numbers of every device, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.devices.keys().map(String::as_str)
    }

    /// The device with serial number `device`.
    pub fn get(&self, device: &str) -> Option<&Arc<dyn TaxAuthority>> {
        self.devices.get(device)
    }

    /// The device whose chain `order`'s receipts go on: the device of its point-of-sale
    /// location, else of its channel, else the default.
    pub fn route(&self, order: &Order) -> &str {
        if let Some(location) = &order.location
            && let Some((name, _)) = self
                .routes
                .iter()
                .find(|(_, r)| r.locations.contains(location))
        {
            return name;
        }
        if let Some(source) = &order.source
            && let Some((name, _)) = self
                .routes
                .iter()
                .find(|(_, r)| r.sources.iter().any(|s| s.eq_ignore_ascii_case(source)))
        {
            return name;
        }
        &self.default
    }
}
