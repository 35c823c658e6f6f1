//! Images: staged upload → attach → wait READY → link variants; re-run uploads nothing;
//! delete by alt key; userErrors.

mod common;

use bytes::Bytes;
use common::*;
use serde_json::json;
use shopify_client::ops::media::ImageUpload;
use wiremock::matchers::{body_string_contains, header_exists, method, path};
use wiremock::{Mock, ResponseTemplate};

fn red() -> ImageUpload {
    ImageUpload {
        filename: "G-100-red.jpg".into(),
        mime_type: "image/jpeg".into(),
        content: Bytes::from_static(b"JFIF-fake-jpeg"), // UTF-8 so body matchers can read it
        alt: "erp:G-100:color=red".into(),
        variant_ids: vec!["gid://shopify/ProductVariant/2001".parse().unwrap()],
    }
}

#[tokio::test]
async fn a_new_image_is_staged_uploaded_attached_and_linked() {
    let server = server().await;
    op("ProductMedia")
        .respond_with(json_fixture(&server, "product_media__empty.json"))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    op("ProductMedia")
        .respond_with(json_fixture(&server, "product_media__ready.json"))
        .expect(2)
        .mount(&server)
        .await;
    op("StagedUploadsCreate")
        .respond_with(json_fixture(&server, "staged_uploads_create__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/upload"))
        .and(body_string_contains(
            "name=\"key\"\r\n\r\ntmp/1000000001/products/abc/red.jpg",
        ))
        .and(body_string_contains("filename=\"G-100-red.jpg\""))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .mount(&server)
        .await;
    // The pre-signed upload gets no Shopify token.
    Mock::given(method("POST"))
        .and(path("/upload"))
        .and(header_exists("x-shopify-access-token"))
        .respond_with(ResponseTemplate::new(400))
        .with_priority(1)
        .expect(0)
        .mount(&server)
        .await;
    op("ProductAttachMedia")
        .respond_with(json_fixture(&server, "product_attach_media__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    op("VariantsBulkUpdate")
        .respond_with(json_fixture(&server, "variants_bulk_update__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    let out = client(&server)
        .upload_product_images(&"gid://shopify/Product/1001".parse().unwrap(), vec![red()])
        .await
        .unwrap();
    assert_eq!(out.len(), 1);
    assert!(out[0].uploaded);
    assert_eq!(out[0].media_id, "gid://shopify/MediaImage/7001");
    assert_eq!(
        out[0].linked_variants,
        ["gid://shopify/ProductVariant/2001"]
    );
    let attach = &variables_sent(&server, "ProductAttachMedia").await[0];
    assert_eq!(
        attach["media"][0],
        json!({"originalSource": "https://shopify-staged-uploads.storage.googleapis.com/tmp/1000000001/products/abc/red.jpg",
               "alt": "erp:G-100:color=red", "mediaContentType": "IMAGE"})
    );
    assert_eq!(
        variables_sent(&server, "VariantsBulkUpdate").await[0]["variants"],
        json!([{"id": "gid://shopify/ProductVariant/2001", "mediaId": "gid://shopify/MediaImage/7001"}])
    );
    let staged = &variables_sent(&server, "StagedUploadsCreate").await[0];
    assert_eq!(staged["input"][0]["resource"], "IMAGE");
    assert_eq!(staged["input"][0]["fileSize"], "14");
}

#[tokio::test]
async fn a_re_run_uploads_nothing_and_links_nothing_twice() {
    let server = server().await;
    op("ProductMedia")
        .respond_with(json_fixture(&server, "product_media__linked.json"))
        .expect(2)
        .mount(&server)
        .await;
    op("StagedUploadsCreate")
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    op("ProductAttachMedia")
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    op("VariantsBulkUpdate")
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let out = client(&server)
        .upload_product_images(&"gid://shopify/Product/1001".parse().unwrap(), vec![red()])
        .await
        .unwrap();
    assert!(!out[0].uploaded);
    assert!(out[0].linked_variants.is_empty());
}

#[tokio::test]
async fn images_are_deleted_by_alt_key_and_user_errors_are_typed() {
    let server = server().await;
    op("ProductMedia")
        .respond_with(json_fixture(&server, "product_media__ready.json"))
        .expect(2)
        .mount(&server)
        .await;
    op("FileDelete")
        .respond_with(json_fixture(&server, "file_delete__ok.json"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let deleted = c
        .delete_product_images(
            &"gid://shopify/Product/1001".parse().unwrap(),
            &["erp:G-100:color=red", "erp:G-100:color=blue"],
        )
        .await
        .unwrap();
    assert_eq!(deleted, ["gid://shopify/MediaImage/7001"]);
    assert_eq!(
        variables_sent(&server, "FileDelete").await[0]["fileIds"],
        json!(["gid://shopify/MediaImage/7001"])
    );
    // Nothing with that key left to delete: no call.
    let none = c
        .delete_product_images(
            &"gid://shopify/Product/1001".parse().unwrap(),
            &["erp:G-100:color=green"],
        )
        .await
        .unwrap();
    assert!(none.is_empty());
    op("FileDelete")
        .respond_with(json_fixture(&server, "file_delete__user_errors.json"))
        .mount(&server)
        .await;
    let err = c
        .delete_media(&["gid://shopify/MediaImage/7999".into()])
        .await
        .unwrap_err();
    assert!(err.has_user_error_code("FILE_DOES_NOT_EXIST"));
}

#[tokio::test]
async fn bad_image_input_is_refused_before_sending() {
    let server = server().await;
    let mut image = red();
    image.content = Bytes::new();
    let err = client(&server)
        .upload_product_images(&"gid://shopify/Product/1001".parse().unwrap(), vec![image])
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "images[0].content: must not be empty");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_staged_upload_follows_the_clients_retry_policy() {
    let server = server().await;
    op("ProductMedia")
        .respond_with(json_fixture(&server, "product_media__empty.json"))
        .expect(1)
        .mount(&server)
        .await;
    op("StagedUploadsCreate")
        .respond_with(json_fixture(&server, "staged_uploads_create__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/upload"))
        .respond_with(ResponseTemplate::new(503).set_body_string("storage unavailable"))
        .expect(1)
        .mount(&server)
        .await;
    op("ProductAttachMedia")
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    // One attempt allowed: the failing upload is not sent again (it used to be tried four
    // times, whatever the client was built with).
    let err = client_with_retry(&server, sync_core::retry::RetryPolicy::none())
        .upload_product_images(&"gid://shopify/Product/1001".parse().unwrap(), vec![red()])
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503), "{err}");
}
