//! Bulk queries and bulk mutations.

use super::*;

async fn wait_bulk(shop: &Shop, id: &Value) -> Value {
    for _ in 0..500 {
        let d = shop.gql("query($id: ID!) { bulkOperation(id: $id) { status objectCount rootObjectCount url errorCode } }", json!({"id": id})).await;
        if d["bulkOperation"]["status"] == "COMPLETED" || d["bulkOperation"]["status"] == "FAILED" {
            return d["bulkOperation"].clone();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("bulk operation did not finish");
}

#[tokio::test]
async fn bulk_query_and_bulk_mutation_with_staged_jsonl() {
    let shop = start(ShopifyConfig::default()).await;
    let loc = shop.state.location_ids()[0].clone();
    shop.gql(PRODUCT_SET, json!({"input": tee_input("Bulk Tee", &loc, &[("Red", "B-1", "10.00"), ("Blue", "B-2", "11.00")])})).await;
    let run = shop
        .gql(
            "mutation($q: String!) { bulkOperationRunQuery(query: $q) { bulkOperation { id status } userErrors { code message } } }",
            json!({"q": "{ products { edges { node { id title variants { edges { node { id sku } } } } } } }"}),
        )
        .await;
    let id = run["bulkOperationRunQuery"]["bulkOperation"]["id"].clone();
    let done = wait_bulk(&shop, &id).await;
    assert_eq!(done["status"], "COMPLETED");
    assert_eq!(done["objectCount"], "3");
    assert_eq!(done["rootObjectCount"], "1");
    let text = shop
        .http
        .get(done["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1]["__parentId"], lines[0]["id"]);

    // Bulk mutation: stage a JSONL of variables, then run productSet per line.
    let staged = shop
        .gql(
            "mutation { stagedUploadsCreate(input: [{resource: BULK_MUTATION_VARIABLES, filename: \"v.jsonl\", mimeType: \"text/jsonl\", httpMethod: POST}]) { stagedTargets { url parameters { name value } } } }",
            json!({}),
        )
        .await;
    let target = &staged["stagedUploadsCreate"]["stagedTargets"][0];
    let mut form = reqwest::multipart::Form::new();
    let mut key = String::new();
    for p in target["parameters"].as_array().unwrap() {
        if p["name"] == "key" {
            key = p["value"].as_str().unwrap().to_string();
        }
        form = form.text(
            p["name"].as_str().unwrap().to_string(),
            p["value"].as_str().unwrap().to_string(),
        );
    }
    let jsonl = (1..=3)
        .map(|i| {
            json!({"input": {"title": format!("Bulk {i}"), "handle": format!("bulk-{i}")}})
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n");
    form = form.part(
        "file",
        reqwest::multipart::Part::bytes(jsonl.into_bytes()).file_name("v.jsonl"),
    );
    let up = shop
        .http
        .post(target["url"].as_str().unwrap())
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(up.status(), 201);
    let run = shop
        .gql(
            "mutation($m: String!, $p: String!) { bulkOperationRunMutation(mutation: $m, stagedUploadPath: $p) { bulkOperation { id } userErrors { code message } } }",
            json!({"m": "mutation call($input: ProductSetInput!) { productSet(input: $input) { product { id handle } userErrors { message } } }", "p": key}),
        )
        .await;
    assert_eq!(run["bulkOperationRunMutation"]["userErrors"], json!([]));
    let done = wait_bulk(
        &shop,
        &run["bulkOperationRunMutation"]["bulkOperation"]["id"],
    )
    .await;
    assert_eq!(done["status"], "COMPLETED");
    let text = shop
        .http
        .get(done["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        lines[2]["data"]["productSet"]["product"]["handle"],
        "bulk-3"
    );
    assert_eq!(lines[2]["__lineNumber"], 2);
    assert_eq!(shop.state.dump()["products"].as_array().unwrap().len(), 4);
}
