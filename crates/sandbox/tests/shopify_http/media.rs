//! Staged uploads, product media, files and variant media.

use super::*;

#[tokio::test]
async fn staged_image_upload_media_attach_and_delete() {
    let shop = start(ShopifyConfig::default()).await;
    let loc = shop.state.location_ids()[0].clone();
    let p = shop
        .gql(
            PRODUCT_SET,
            json!({"input": tee_input("Pic Tee", &loc, &[("Red", "PIC-1", "10.00")])}),
        )
        .await;
    let pid = p["productSet"]["product"]["id"].clone();
    let staged = shop
        .gql(
            "mutation($i: [StagedUploadInput!]!) { stagedUploadsCreate(input: $i) { stagedTargets { url resourceUrl parameters { name value } } userErrors { field message } } }",
            json!({"i": [{"resource": "IMAGE", "filename": "tee.png", "mimeType": "image/png", "httpMethod": "PUT"}]}),
        )
        .await;
    let target = &staged["stagedUploadsCreate"]["stagedTargets"][0];
    let put = shop
        .http
        .put(target["url"].as_str().unwrap())
        .body(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let media = shop
        .gql(
            "mutation($p: ID!, $m: [CreateMediaInput!]!) { productCreateMedia(productId: $p, media: $m) { media { id status alt mediaContentType } mediaUserErrors { code message } } }",
            json!({"p": pid, "m": [{"originalSource": target["resourceUrl"], "alt": "Front", "mediaContentType": "IMAGE"}]}),
        )
        .await;
    let m = &media["productCreateMedia"]["media"][0];
    assert_eq!(m["status"], "READY");
    assert_eq!(m["alt"], "Front");
    // A file that is no image is taken by the upload but fails as media, with the reason.
    let staged = shop
        .gql(
            "mutation($i: [StagedUploadInput!]!) { stagedUploadsCreate(input: $i) { stagedTargets { url resourceUrl } userErrors { field message } } }",
            json!({"i": [{"resource": "IMAGE", "filename": "notes.png", "mimeType": "image/png", "httpMethod": "PUT"}]}),
        )
        .await;
    let text_target = &staged["stagedUploadsCreate"]["stagedTargets"][0];
    let put = shop
        .http
        .put(text_target["url"].as_str().unwrap())
        .body("just some text, not a picture")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let bad = shop
        .gql(
            "mutation($p: ID!, $m: [CreateMediaInput!]!) { productCreateMedia(productId: $p, media: $m) { media { id status mediaErrors { code details } } mediaUserErrors { code message } } }",
            json!({"p": pid, "m": [{"originalSource": text_target["resourceUrl"], "mediaContentType": "IMAGE"}]}),
        )
        .await;
    let bad = &bad["productCreateMedia"]["media"][0];
    assert_eq!(bad["status"], "FAILED", "{bad}");
    assert_eq!(bad["mediaErrors"][0]["code"], "IMAGE_PROCESSING_FAILURE");
    assert!(
        bad["mediaErrors"][0]["details"]
            .as_str()
            .is_some_and(|d| d.contains("not a PNG, JPEG, GIF or WebP")),
        "{bad}"
    );
    let del = shop
        .gql("mutation($p: ID!, $m: [ID!]!) { productDeleteMedia(productId: $p, mediaIds: $m) { deletedMediaIds } }", json!({"p": pid, "m": [bad["id"]]}))
        .await;
    assert_eq!(
        del["productDeleteMedia"]["deletedMediaIds"],
        json!([bad["id"]])
    );
    // A source that was never uploaded fails.
    let failed = shop
        .gql(
            "mutation($f: [FileCreateInput!]!) { fileCreate(files: $f) { files { id fileStatus fileErrors { code } } userErrors { message } } }",
            json!({"f": [{"originalSource": format!("{}/__shopify/staged-uploads/tmp/none.png", shop.base), "contentType": "IMAGE"}]}),
        )
        .await;
    assert_eq!(failed["fileCreate"]["files"][0]["fileStatus"], "FAILED");
    let del = shop
        .gql("mutation($p: ID!, $m: [ID!]!) { productDeleteMedia(productId: $p, mediaIds: $m) { deletedMediaIds mediaUserErrors { code } } }", json!({"p": pid, "m": [m["id"]]}))
        .await;
    assert_eq!(
        del["productDeleteMedia"]["deletedMediaIds"],
        json!([m["id"]])
    );
    let count = shop
        .gql(
            "query($p: ID!) { product(id: $p) { mediaCount { count } } }",
            json!({"p": pid}),
        )
        .await;
    assert_eq!(count["product"]["mediaCount"]["count"], 0);
}

#[tokio::test]
async fn files_attach_and_detach_with_file_update() {
    let shop = start(ShopifyConfig::default()).await;
    let loc = shop.state.location_ids()[0].clone();
    let p = shop
        .gql(
            PRODUCT_SET,
            json!({"input": tee_input("File Tee", &loc, &[("Red", "F-1", "10.00")])}),
        )
        .await;
    let pid = p["productSet"]["product"]["id"].clone();
    let f = shop
        .gql(
            "mutation { fileCreate(files: [{originalSource: \"https://cdn.example/tee.jpg\", contentType: IMAGE, alt: \"Tee\"}]) { files { id fileStatus alt } userErrors { message } } }",
            json!({}),
        )
        .await;
    let fid = f["fileCreate"]["files"][0]["id"].clone();
    assert_eq!(f["fileCreate"]["files"][0]["fileStatus"], "READY");
    let update = "mutation($f: [FileUpdateInput!]!) { fileUpdate(files: $f) { files { id alt } userErrors { code field message } } }";
    let add = shop
        .gql(
            update,
            json!({"f": [{"id": fid, "referencesToAdd": [pid], "alt": "Front"}]}),
        )
        .await;
    assert_eq!(add["fileUpdate"]["files"][0]["alt"], "Front");
    let media = shop
        .gql(
            "query($p: ID!) { product(id: $p) { media(first: 5) { nodes { id alt status } } } }",
            json!({"p": pid}),
        )
        .await;
    assert_eq!(
        media["product"]["media"]["nodes"],
        json!([{"id": fid, "alt": "Front", "status": "READY"}])
    );
    let remove = shop
        .gql(
            update,
            json!({"f": [{"id": fid, "referencesToRemove": [pid]}]}),
        )
        .await;
    assert_eq!(remove["fileUpdate"]["userErrors"], json!([]));
    let count = shop
        .gql(
            "query($p: ID!) { product(id: $p) { mediaCount { count } } }",
            json!({"p": pid}),
        )
        .await;
    assert_eq!(count["product"]["mediaCount"]["count"], 0);
    let again = shop
        .gql(
            update,
            json!({"f": [{"id": fid, "referencesToRemove": [pid]}]}),
        )
        .await;
    assert_eq!(
        again["fileUpdate"]["userErrors"][0]["field"],
        json!(["files", "0", "referencesToRemove", "0"])
    );
    let gone = shop.gql("mutation($ids: [ID!]!) { fileDelete(fileIds: $ids) { deletedFileIds userErrors { code } } }", json!({"ids": [fid]})).await;
    assert_eq!(gone["fileDelete"]["deletedFileIds"], json!([fid]));
}

#[tokio::test]
async fn variant_media_and_discount_updates() {
    let shop = start(ShopifyConfig::default()).await;
    let loc = shop.state.location_ids()[0].clone();
    let p = shop.gql(PRODUCT_SET, json!({"input": tee_input("Media Tee", &loc, &[("Red", "M-1", "10.00"), ("Blue", "M-2", "10.00")])})).await;
    let pid = p["productSet"]["product"]["id"].clone();
    let red = p["productSet"]["product"]["variants"]["nodes"][0]["id"].clone();
    let media = shop
        .gql(
            "mutation($p: ID!, $m: [CreateMediaInput!]!) { productCreateMedia(productId: $p, media: $m) { media { id } } }",
            json!({"p": pid, "m": [{"originalSource": "https://cdn.example/red.jpg", "mediaContentType": "IMAGE"}]}),
        )
        .await;
    let mid = media["productCreateMedia"]["media"][0]["id"].clone();
    let append = "mutation($p: ID!, $v: [ProductVariantAppendMediaInput!]!) { productVariantAppendMedia(productId: $p, variantMedia: $v) { productVariants { id media(first: 1) { nodes { id } } } userErrors { code field } } }";
    let a = shop
        .gql(
            append,
            json!({"p": pid, "v": [{"variantId": red, "mediaIds": [mid]}]}),
        )
        .await;
    assert_eq!(
        a["productVariantAppendMedia"]["productVariants"][0]["media"]["nodes"][0]["id"],
        mid
    );
    let detach = "mutation($p: ID!, $v: [ProductVariantDetachMediaInput!]!) { productVariantDetachMedia(productId: $p, variantMedia: $v) { productVariants { id } userErrors { code } } }";
    let d = shop
        .gql(
            detach,
            json!({"p": pid, "v": [{"variantId": red, "mediaIds": [mid]}]}),
        )
        .await;
    assert_eq!(d["productVariantDetachMedia"]["userErrors"], json!([]));
    let d = shop
        .gql(
            detach,
            json!({"p": pid, "v": [{"variantId": red, "mediaIds": [mid]}]}),
        )
        .await;
    assert_eq!(
        d["productVariantDetachMedia"]["userErrors"][0]["code"],
        "MEDIA_IS_NOT_ATTACHED_TO_VARIANT"
    );

    let create = shop
        .gql(
            "mutation($d: DiscountAutomaticBasicInput!) { discountAutomaticBasicCreate(automaticBasicDiscount: $d) { automaticDiscountNode { id } } }",
            json!({"d": {"title": "Sale", "customerGets": {"value": {"percentage": 0.1}, "items": {"products": {"productsToAdd": [pid]}}}}}),
        )
        .await;
    let did = create["discountAutomaticBasicCreate"]["automaticDiscountNode"]["id"].clone();
    let update = shop
        .gql(
            "mutation($id: ID!, $d: DiscountAutomaticBasicInput!) { discountAutomaticBasicUpdate(id: $id, automaticBasicDiscount: $d) { automaticDiscountNode { id automaticDiscount { ... on DiscountAutomaticBasic { title summary } } } userErrors { code } } }",
            json!({"id": did, "d": {"title": "Bigger sale", "customerGets": {"value": {"percentage": 0.25}}}}),
        )
        .await;
    let node = &update["discountAutomaticBasicUpdate"]["automaticDiscountNode"];
    assert_eq!(node["id"], did);
    assert_eq!(node["automaticDiscount"]["title"], "Bigger sale");
    assert_eq!(node["automaticDiscount"]["summary"], "25% off");
    let dump = shop.state.dump();
    assert_eq!(dump["discounts"].as_array().unwrap().len(), 1);
    assert_eq!(dump["discounts"][0]["product_ids"], json!([pid]));
}
