//! Shop identity and locations.

use futures::{Stream, TryStreamExt};

use crate::client::{Safety, ShopifyClient};
use crate::error::Error;
use crate::queries::{self, access_scopes, locations, shop_info};

/// Locations per page when reading them all.
const LOCATIONS_PAGE: u32 = 50;

/// The shop: id, name, myshopify domain, currency, time zone, tax settings, plan.
pub type Shop = shop_info::ShopInfoShop;
/// A location (store, warehouse) with its address.
pub type Location = locations::LocationsLocationsNodes;

impl ShopifyClient {
    /// Reads the shop's identity (`shop { id name myshopifyDomain currencyCode plan … }`).
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn shop_info(&self) -> Result<Shop, Error> {
        let data: shop_info::ResponseData = self
            .run::<queries::ShopInfo, _>(shop_info::Variables, Safety::Repeatable)
            .await?;
        Ok(data.shop)
    }

    /// The access scopes granted to this app on the shop
    /// (`currentAppInstallation { accessScopes { handle } }`), as their handles
    /// (`read_orders`, `write_products`…). Compare them with what a job needs with
    /// [`scopes::missing`](crate::scopes::missing).
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn access_scopes(&self) -> Result<Vec<String>, Error> {
        let data: access_scopes::ResponseData = self
            .run::<queries::AccessScopes, _>(access_scopes::Variables, Safety::Repeatable)
            .await?;
        Ok(data
            .current_app_installation
            .access_scopes
            .into_iter()
            .map(|scope| scope.handle)
            .collect())
    }

    /// Streams every location (inactive and legacy ones included when `include_inactive`),
    /// `page_size` per request (1..=250).
    pub fn locations(
        &self,
        page_size: u32,
        include_inactive: bool,
    ) -> impl Stream<Item = Result<Location, Error>> + use<> {
        let client = self.clone();
        self.paged("Locations", page_size, move |first, after| {
            let client = client.clone();
            async move {
                let data: locations::ResponseData = client
                    .run::<queries::Locations, _>(
                        locations::Variables {
                            first,
                            after,
                            include_inactive: Some(include_inactive),
                        },
                        Safety::Repeatable,
                    )
                    .await?;
                let page = data.locations;
                Ok((
                    page.nodes,
                    page.page_info.has_next_page,
                    page.page_info.end_cursor,
                ))
            }
        })
    }

    /// Every active location, read in pages of 50 (shops have a handful; a page of 250
    /// would request some 500 cost points).
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn all_locations(&self) -> Result<Vec<Location>, Error> {
        self.locations(LOCATIONS_PAGE, false).try_collect().await
    }
}
