//! Webhook subscriptions: the object, its mutations and query fields (deliveries are
//! `crate::shopify::webhooks`).

use async_graphql::connection::Connection;
use async_graphql::{Context, Error, ID, InputObject, Object, Result, SimpleObject};

use super::outputs::*;
use super::*;
use crate::shopify::lock;
use crate::shopify::search::{FieldVal, Filter, page};
use crate::shopify::store::*;
use crate::shopify::types::*;

#[Object]
impl WebhookSubscription {
    pub(crate) async fn id(&self) -> Result<ID> {
        Ok(gql_id("WebhookSubscription", self.0.id))
    }
    async fn legacy_resource_id(&self) -> UnsignedInt64 {
        legacy(self.0.id)
    }
    async fn topic(&self) -> Result<WebhookSubscriptionTopic> {
        WebhookSubscriptionTopic::parse(&self.0.topic).ok_or_else(|| Error::new("unknown topic"))
    }
    async fn uri(&self) -> &str {
        &self.0.uri
    }
    async fn callback_url(&self) -> Url {
        Url(self.0.uri.clone())
    }
    async fn format(&self) -> WebhookSubscriptionFormat {
        if self.0.format_json {
            WebhookSubscriptionFormat::JSON
        } else {
            WebhookSubscriptionFormat::XML
        }
    }
    async fn include_fields(&self) -> &[String] {
        &self.0.include_fields
    }
    async fn metafield_namespaces(&self) -> Vec<String> {
        Vec::new()
    }
    async fn filter(&self) -> Option<&str> {
        self.0.filter.as_deref()
    }
    async fn api_version(&self, ctx: &Context<'_>) -> Result<ApiVersion> {
        let v = cx(ctx)?.version.clone();
        Ok(ApiVersion {
            display_name: v.clone(),
            handle: v,
            supported: true,
        })
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
}

/// `WebhookSubscriptionInput`.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct WebhookSubscriptionInput {
    pub(crate) format: Option<WebhookSubscriptionFormat>,
    pub(crate) include_fields: Option<Vec<String>>,
    pub(crate) filter: Option<String>,
    pub(crate) metafield_namespaces: Option<Vec<String>>,
    #[graphql(deprecation = "Use `uri` instead.")]
    pub(crate) callback_url: Option<Url>,
    pub(crate) uri: Option<String>,
}

#[derive(SimpleObject)]
pub(crate) struct WebhookSubscriptionCreatePayload {
    user_errors: Vec<UserError>,
    webhook_subscription: Option<WebhookSubscription>,
}

#[derive(SimpleObject)]
pub(crate) struct WebhookSubscriptionDeletePayload {
    deleted_webhook_subscription_id: Option<ID>,
    user_errors: Vec<UserError>,
}

/// `webhookSubscriptionCreate` and `webhookSubscriptionDelete`.
#[derive(Default)]
pub(crate) struct WebhookMutations;

#[Object]
impl WebhookMutations {
    async fn webhook_subscription_create(
        &self,
        ctx: &Context<'_>,
        topic: WebhookSubscriptionTopic,
        webhook_subscription: WebhookSubscriptionInput,
    ) -> Result<Option<WebhookSubscriptionCreatePayload>> {
        let result: Result<WebhookSubscriptionCreatePayload> = async move {
            let c = cx(ctx)?;
            let w = webhook_subscription;
            let err = |f: &[&str], m: &str| {
                Ok(WebhookSubscriptionCreatePayload {
                    user_errors: vec![UserError {
                        field: path(f),
                        message: m.to_string(),
                    }],
                    webhook_subscription: None,
                })
            };
            let uri = match (w.uri.clone(), w.callback_url.clone()) {
                (Some(u), None) => u,
                (None, Some(u)) => u.0,
                (Some(_), Some(_)) => {
                    return err(
                        &["webhookSubscription"],
                        "give `uri` or `callbackUrl`, not both",
                    );
                }
                (None, None) => {
                    return err(&["webhookSubscription", "uri"], "Address can't be blank");
                }
            };
            if !(uri.starts_with("https://") || uri.starts_with("http://")) {
                return err(
                    &["webhookSubscription", "uri"],
                    "Address is invalid: the sandbox delivers to http(s) URIs only",
                );
            }
            if w.filter.as_deref().is_some_and(|f| !f.trim().is_empty()) {
                return err(
                    &["webhookSubscription", "filter"],
                    "webhook filters are not supported by the sandbox",
                );
            }
            if w.format == Some(WebhookSubscriptionFormat::XML) {
                return err(
                    &["webhookSubscription", "format"],
                    "XML webhooks are not supported by the sandbox",
                );
            }
            let mut st = lock(&c.state.store);
            if st
                .webhooks
                .values()
                .any(|x| x.topic == topic.as_str() && x.uri == uri)
            {
                return err(
                    &["webhookSubscription", "callbackUrl"],
                    "Address for this topic has already been taken",
                );
            }
            let id = st.next_id();
            let rec = WebhookRec {
                id,
                topic: topic.as_str().to_string(),
                uri,
                format_json: true,
                include_fields: w.include_fields.unwrap_or_default(),
                filter: w.filter,
                api_version: c.version.clone(),
                created_at: now(),
            };
            st.webhooks.insert(id, rec.clone());
            Ok(WebhookSubscriptionCreatePayload {
                user_errors: Vec::new(),
                webhook_subscription: Some(WebhookSubscription(rec)),
            })
        }
        .await;
        result.map(Some)
    }

    async fn webhook_subscription_delete(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<Option<WebhookSubscriptionDeletePayload>> {
        let result: Result<WebhookSubscriptionDeletePayload> = async move {
            let c = cx(ctx)?;
            let mut st = lock(&c.state.store);
            match parse_gid("WebhookSubscription", id.as_str()).and_then(|n| st.webhooks.remove(&n))
            {
                Some(w) => Ok(WebhookSubscriptionDeletePayload {
                    deleted_webhook_subscription_id: Some(ID(gid("WebhookSubscription", w.id))),
                    user_errors: Vec::new(),
                }),
                None => Ok(WebhookSubscriptionDeletePayload {
                    deleted_webhook_subscription_id: None,
                    user_errors: vec![UserError {
                        field: path(&["id"]),
                        message: "Webhook subscription does not exist".into(),
                    }],
                }),
            }
        }
        .await;
        result.map(Some)
    }
}

/// The `webhookSubscriptions` and `webhookSubscription` query fields.
#[derive(Default)]
pub(crate) struct WebhookQueries;

#[Object]
impl WebhookQueries {
    #[allow(clippy::too_many_arguments)]
    async fn webhook_subscriptions(
        &self,
        ctx: &Context<'_>,
        callback_url: Option<Url>,
        uri: Option<String>,
        format: Option<WebhookSubscriptionFormat>,
        topics: Option<Vec<WebhookSubscriptionTopic>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        reverse: Option<bool>,
        sort_key: Option<WebhookSubscriptionSortKeys>,
        query: Option<String>,
    ) -> Result<Connection<String, WebhookSubscription>> {
        let _ = sort_key;
        let c = cx(ctx)?;
        let filter = Filter::parse(query.as_deref(), &["topic", "uri", "created_at", "id"])?;
        let want_uri = uri.or(callback_url.map(|u| u.0));
        let st = lock(&c.state.store);
        let mut items = Vec::new();
        for w in st.webhooks.values() {
            if want_uri.as_ref().is_some_and(|u| *u != w.uri)
                || format.is_some_and(|f| (f == WebhookSubscriptionFormat::JSON) != w.format_json)
                || topics
                    .as_ref()
                    .is_some_and(|t| !t.iter().any(|t| t.as_str() == w.topic))
            {
                continue;
            }
            let ok = filter.matches(|f| {
                Some(match f {
                    "topic" => FieldVal::Str(w.topic.clone()),
                    "" | "uri" => FieldVal::Str(w.uri.clone()),
                    "created_at" => FieldVal::Time(w.created_at),
                    "id" => FieldVal::Int(w.id as i64),
                    _ => return None,
                })
            })?;
            if ok {
                items.push((time_key(w.created_at), w.id, WebhookSubscription(w.clone())));
            }
        }
        page(items, &pargs(first, after, last, before, reverse), c.bulk)
    }

    async fn webhook_subscription(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<Option<WebhookSubscription>> {
        let id = gid_arg("WebhookSubscription", "id", &id)?;
        let st = lock(&cx(ctx)?.state.store);
        Ok(st.webhooks.get(&id).cloned().map(WebhookSubscription))
    }
}
