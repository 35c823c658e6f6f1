//! The API itself: cost and throttling, tokens, faults, validation and `@idempotent`.

use super::*;

#[tokio::test]
async fn throttled_when_the_bucket_is_empty_and_cost_in_extensions() {
    let config = ShopifyConfig {
        bucket_max: 50.0,
        restore_rate: 1.0,
        ..ShopifyConfig::default()
    };
    let shop = start(config).await;
    let token = shop.state.config().access_token.clone();
    let q = "{ shop { name plan { shopifyPlus } } locations(first: 10) { edges { node { id name } } pageInfo { hasNextPage } } }";
    let (status, body) = shop.raw(&token, q, json!({})).await;
    assert_eq!(status, 200);
    let cost = &body["extensions"]["cost"];
    // shop 1 + plan 1; locations 2 + 10 × 1.
    assert_eq!(cost["requestedQueryCost"], 14);
    // Three locations came back: 2 + 2 + 3.
    assert_eq!(cost["actualQueryCost"], 7);
    assert_eq!(cost["throttleStatus"]["maximumAvailable"], 50.0);
    assert_eq!(cost["throttleStatus"]["restoreRate"], 1.0);
    assert_eq!(cost["throttleStatus"]["currentlyAvailable"], 43);
    assert_eq!(
        shop.state.stats()["cost_by_operation"],
        json!({"(anonymous)": 7}),
        "the actual cost, by operation name"
    );

    // 43 points left: the bucket cannot afford 47 more: THROTTLED on HTTP 200, no data.
    let big = "{ locations(first: 45) { nodes { id } } }";
    let (status, body) = shop.raw(&token, big, json!({})).await;
    assert_eq!(status, 200);
    assert!(body.get("data").is_none(), "{body}");
    assert_eq!(body["errors"][0]["message"], "Throttled");
    assert_eq!(body["errors"][0]["extensions"]["code"], "THROTTLED");
    assert_eq!(body["extensions"]["cost"]["requestedQueryCost"], 47);
    assert_eq!(body["extensions"]["cost"]["actualQueryCost"], Value::Null);

    // Drained: even a small query is throttled; the stats count it.
    shop.state.drain_bucket();
    let (_, body) = shop.raw(&token, "{ shop { name } }", json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "THROTTLED");
    assert_eq!(shop.state.stats()["throttled"], 2);
    assert_eq!(
        shop.state.stats()["throttled_by_operation"],
        json!({"(anonymous)": 2}),
        "by operation name"
    );

    // A single query over the max cost is refused whatever the bucket holds.
    let shop = start(ShopifyConfig::default()).await;
    let huge = "{ products(first: 250) { nodes { id variants(first: 100) { nodes { id } } } } }";
    let (_, body) = shop.raw(&token, huge, json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "MAX_COST_EXCEEDED");
    // A mutation costs 10.
    let (_, body) = shop.raw(&token, "mutation { webhookSubscriptionDelete(id: \"gid://shopify/WebhookSubscription/999\") { userErrors { message } } }", json!({})).await;
    assert_eq!(body["extensions"]["cost"]["requestedQueryCost"], 10);
}

#[tokio::test]
async fn tokens_are_checked_and_issued_by_client_credentials() {
    let shop = start(ShopifyConfig::default()).await;
    let (status, body) = shop.raw("wrong", "{ shop { name } }", json!({})).await;
    assert_eq!(status, 401);
    assert!(
        body["errors"]
            .as_str()
            .unwrap()
            .contains("Invalid API key or access token")
    );

    let bad = shop
        .http
        .post(format!("{}/admin/oauth/access_token", shop.base))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "sandbox-client-id"),
            ("client_secret", "nope"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    let r = shop
        .http
        .post(format!("{}/admin/oauth/access_token", shop.base))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "sandbox-client-id"),
            ("client_secret", "sandbox-client-secret"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["expires_in"], 86_399);
    let token = t["access_token"].as_str().unwrap();
    let (status, body) = shop
        .raw(
            token,
            "{ shop { id name myshopifyDomain currencyCode ianaTimezone primaryDomain { host url } plan { publicDisplayName shopifyPlus } } }",
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["shop"]["currencyCode"], "EGP");
    assert_eq!(
        body["data"]["shop"]["myshopifyDomain"],
        "sandbox-shop.myshopify.com"
    );
    assert_eq!(
        body["data"]["shop"]["primaryDomain"]["host"],
        "sandbox-shop.myshopify.com"
    );
    assert_eq!(body["data"]["shop"]["plan"]["shopifyPlus"], false);
    // An unknown API version is a 404.
    let r = shop
        .http
        .post(format!("{}/admin/api/2019-01/graphql.json", shop.base))
        .header("X-Shopify-Access-Token", token)
        .json(&json!({"query": "{ shop { name } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn faults_drop_the_answer_after_the_effect_and_expire_tokens() {
    let rates = FaultRates {
        drop_after: 1.0,
        ..FaultRates::none()
    };
    let shop = start_with(ShopifyConfig::default(), Faults::new(rates, 1)).await;
    let token = shop.state.config().access_token.clone();
    let sent = shop
        .http
        .post(shop.url())
        .header("X-Shopify-Access-Token", &token)
        .json(&json!({"query": "mutation { webhookSubscriptionCreate(topic: ORDERS_CREATE, webhookSubscription: {uri: \"https://example.invalid/h\"}) { userErrors { message } } }"}))
        .send()
        .await;
    let lost = match sent {
        Err(_) => true,
        Ok(r) => r.bytes().await.is_err(),
    };
    assert!(lost, "the answer must be lost");
    assert_eq!(
        shop.state.dump()["webhook_subscriptions"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "the effect happened"
    );

    let rates = FaultRates {
        expire_session: 1.0,
        ..FaultRates::none()
    };
    let shop = start_with(ShopifyConfig::default(), Faults::new(rates, 1)).await;
    // A static token does not expire: the fault leaves it alone.
    let (status, _) = shop.raw(&token, "{ shop { name } }", json!({})).await;
    assert_eq!(status, 200);
    // An issued token is revoked: 401 now, and 401 again (it is gone) until a new one.
    let issued: Value = shop
        .http
        .post(format!("{}/admin/oauth/access_token", shop.base))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "sandbox-client-id"),
            ("client_secret", "sandbox-client-secret"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let issued = issued["access_token"].as_str().unwrap();
    let (status, _) = shop.raw(issued, "{ shop { name } }", json!({})).await;
    assert_eq!(status, 401);
    let (status, _) = shop.raw(issued, "{ shop { name } }", json!({})).await;
    assert_eq!(status, 401, "a revoked token stays revoked");

    let rates = FaultRates {
        error_after: 1.0,
        ..FaultRates::none()
    };
    let shop = start_with(ShopifyConfig::default(), Faults::new(rates, 1)).await;
    let (status, _) = shop.raw(&token, "mutation { webhookSubscriptionCreate(topic: ORDERS_PAID, webhookSubscription: {uri: \"https://example.invalid/h\"}) { userErrors { message } } }", json!({})).await;
    assert_eq!(status, 500);
    assert_eq!(
        shop.state.dump()["webhook_subscriptions"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn invalid_queries_fail_validation_like_shopify() {
    let shop = start(ShopifyConfig::default()).await;
    let token = shop.state.config().access_token.clone();
    let (status, body) = shop.raw(&token, "{ shop { nmae } }", json!({})).await;
    assert_eq!(status, 200);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nmae"),
        "{body}"
    );
    let (_, body) = shop
        .raw(
            &token,
            "{ products(first: 5, query: \"colour:red\") { nodes { id } } }",
            json!({}),
        )
        .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("unsupported search field `colour`"),
        "{body}"
    );
    let (_, body) = shop
        .raw(&token, "{ products { nodes { id } } }", json!({}))
        .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("first or last"),
        "{body}"
    );
    let r = shop
        .http
        .post(shop.url())
        .header("X-Shopify-Access-Token", &token)
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn idempotent_key_on_any_mutation_and_node_lookup() {
    let shop = start(ShopifyConfig::default()).await;
    let q = r#"mutation($d: DiscountAutomaticBasicInput!, $k: String!) {
      discountAutomaticBasicCreate(automaticBasicDiscount: $d) @idempotent(key: $k) {
        automaticDiscountNode { id } userErrors { message } } }"#;
    let d = json!({"title": "Eid 10%", "customerGets": {"value": {"percentage": 0.1}, "items": {"all": true}}});
    let first = shop.gql(q, json!({"d": d, "k": "disc-1"})).await;
    let again = shop.gql(q, json!({"d": d, "k": "disc-1"})).await;
    assert_eq!(first, again, "same key, same answer");
    assert_eq!(
        shop.state.dump()["discounts"].as_array().unwrap().len(),
        1,
        "no second effect"
    );
    // The same key with other arguments is refused.
    let token = shop.state.config().access_token.clone();
    let (_, body) = shop.raw(&token, q, json!({"d": {"title": "Other", "customerGets": {"value": {"percentage": 0.2}, "items": {"all": true}}}, "k": "disc-1"})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
        "{body}"
    );
    assert_eq!(shop.state.dump()["discounts"].as_array().unwrap().len(), 1);
    // A new key is a new discount.
    shop.gql(q, json!({"d": d, "k": "disc-2"})).await;
    assert_eq!(shop.state.dump()["discounts"].as_array().unwrap().len(), 2);

    // node / nodes find objects by GID, with inline fragments on the concrete type.
    let loc = shop.state.location_ids()[0].clone();
    let p = shop
        .gql(
            PRODUCT_SET,
            json!({"input": tee_input("Node Tee", &loc, &[("Red", "N-1", "10.00")])}),
        )
        .await;
    let pid = p["productSet"]["product"]["id"].clone();
    let n = shop
        .gql(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Product { handle } ... on Location { name } } }",
            json!({"ids": [pid, loc, "gid://shopify/Product/999999"]}),
        )
        .await;
    assert_eq!(n["nodes"][0]["handle"], "node-tee");
    assert_eq!(n["nodes"][1]["name"], "Cairo Store");
    assert_eq!(n["nodes"][2], Value::Null);
}
