//! Webhook subscriptions: create, list, delete. (Verifying deliveries is in
//! [`crate::webhook`].)

use futures::{Stream, TryStreamExt};

use crate::client::{Safety, ShopifyClient};
use crate::error::Error;
use crate::gid::WebhookSubscriptionGid;
use crate::ops::{missing, user_errors};
use crate::queries::{
    self, webhook_subscription_create as wsc, webhook_subscription_delete as wsd,
    webhook_subscriptions as wsl,
};

pub use crate::queries::webhook_subscription_create::WebhookSubscriptionTopic;

/// A subscription as Shopify lists it.
pub type WebhookSubscription = wsl::WebhookSubscriptionsWebhookSubscriptionsNodes;

/// The topics the sync engine listens to.
pub fn engine_topics() -> Vec<WebhookSubscriptionTopic> {
    use WebhookSubscriptionTopic as T;
    vec![
        T::ORDERS_CREATE,
        T::ORDERS_UPDATED,
        T::ORDERS_CANCELLED,
        T::ORDERS_EDITED,
        T::REFUNDS_CREATE,
        T::RETURNS_REQUEST,
        T::RETURNS_APPROVE,
        T::RETURNS_PROCESS,
        T::RETURNS_CLOSE,
        T::CUSTOMERS_CREATE,
        T::CUSTOMERS_UPDATE,
        T::INVENTORY_LEVELS_UPDATE,
        T::BULK_OPERATIONS_FINISH,
        T::APP_UNINSTALLED,
    ]
}

impl ShopifyClient {
    /// Subscribes `uri` (an `https` URL, or a Pub/Sub / EventBridge address) to `topic`
    /// with JSON payloads; returns the subscription id.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for an empty URI; [`Error::UserErrors`] when refused (for example
    /// "Address for this topic has already been taken").
    pub async fn create_webhook_subscription(
        &self,
        topic: WebhookSubscriptionTopic,
        uri: &str,
    ) -> Result<String, Error> {
        const OP: &str = "WebhookSubscriptionCreate";
        crate::ops::require("uri", uri)?;
        let data: wsc::ResponseData = self
            .run::<queries::WebhookSubscriptionCreate, _>(
                wsc::Variables {
                    topic,
                    subscription: wsc::WebhookSubscriptionInput {
                        uri: Some(uri.to_owned()),
                        format: Some(wsc::WebhookSubscriptionFormat::JSON),
                        filter: None,
                        include_fields: None,
                        metafield_namespaces: None,
                        metafields: None,
                        callback_url: None,
                        name: None,
                    },
                },
                // Shopify refuses a second identical subscription, so a repeat is harmless.
                Safety::Repeatable,
            )
            .await?;
        let payload = data
            .webhook_subscription_create
            .ok_or_else(|| missing(OP, "webhookSubscriptionCreate"))?;
        user_errors!(OP, payload.user_errors)?;
        Ok(payload
            .webhook_subscription
            .ok_or_else(|| missing(OP, "webhookSubscription"))?
            .id)
    }

    /// Streams the app's subscriptions, `page_size` per request (1..=250).
    pub fn webhook_subscriptions(
        &self,
        page_size: u32,
    ) -> impl Stream<Item = Result<WebhookSubscription, Error>> + use<> {
        let client = self.clone();
        self.paged("WebhookSubscriptions", page_size, move |first, after| {
            let client = client.clone();
            async move {
                let data: wsl::ResponseData = client
                    .run::<queries::WebhookSubscriptions, _>(
                        wsl::Variables { first, after },
                        Safety::Repeatable,
                    )
                    .await?;
                let page = data.webhook_subscriptions;
                Ok((
                    page.nodes,
                    page.page_info.has_next_page,
                    page.page_info.end_cursor,
                ))
            }
        })
    }

    /// Every subscription of the app.
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn all_webhook_subscriptions(&self) -> Result<Vec<WebhookSubscription>, Error> {
        self.webhook_subscriptions(100).try_collect().await
    }

    /// Deletes a subscription; returns the deleted id.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for a malformed id, [`Error::UserErrors`] when refused (e.g.
    /// already deleted).
    pub async fn delete_webhook_subscription(
        &self,
        id: &WebhookSubscriptionGid,
    ) -> Result<String, Error> {
        const OP: &str = "WebhookSubscriptionDelete";
        let data: wsd::ResponseData = self
            .run::<queries::WebhookSubscriptionDelete, _>(
                wsd::Variables {
                    id: id.as_str().to_owned(),
                },
                Safety::Repeatable,
            )
            .await?;
        let payload = data
            .webhook_subscription_delete
            .ok_or_else(|| missing(OP, "webhookSubscriptionDelete"))?;
        user_errors!(OP, payload.user_errors)?;
        payload
            .deleted_webhook_subscription_id
            .ok_or_else(|| missing(OP, "deletedWebhookSubscriptionId"))
    }
}
