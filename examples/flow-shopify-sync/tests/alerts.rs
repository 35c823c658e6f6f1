//! Alert digests against a local SMTP catcher (a small SMTP server on loopback, written here)
//! and a local chat webhook receiver (axum on loopback): one message per digest, grouping
//! every order, each finding saying what to do.

mod support;

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use flow_shopify_sync::alerts::{self, Sources};
use flow_shopify_sync::config::Config;
use sandbox::FaultRates;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// Messages the catcher received: (envelope recipients, data).
type Inbox = Arc<Mutex<Vec<(Vec<String>, String)>>>;

/// A minimal SMTP server: greets, accepts EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT.
async fn smtp_catcher() -> (u16, Inbox) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox: Inbox = Arc::default();
    let kept = inbox.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let inbox = kept.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read);
                write.write_all(b"220 catcher ESMTP\r\n").await.unwrap();
                let mut rcpt = Vec::new();
                let mut line = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
                    let answer: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 catcher\r\n",
                        "MAIL" | "RSET" | "NOOP" => b"250 OK\r\n",
                        "RCPT" => {
                            rcpt.push(line.trim_end().to_owned());
                            b"250 OK\r\n"
                        }
                        "DATA" => {
                            write
                                .write_all(b"354 end with <CRLF>.<CRLF>\r\n")
                                .await
                                .unwrap();
                            let mut data = String::new();
                            loop {
                                line.clear();
                                lines.read_line(&mut line).await.unwrap();
                                if line == ".\r\n" {
                                    break;
                                }
                                data.push_str(&line);
                            }
                            inbox
                                .lock()
                                .unwrap()
                                .push((std::mem::take(&mut rcpt), data));
                            b"250 queued\r\n"
                        }
                        "QUIT" => {
                            write.write_all(b"221 bye\r\n").await.unwrap();
                            return;
                        }
                        _ => b"502 not implemented\r\n",
                    };
                    write.write_all(answer).await.unwrap();
                }
            });
        }
    });
    (port, inbox)
}

/// A chat webhook receiver: keeps every JSON body posted to `/hook`.
async fn webhook_receiver() -> (String, Arc<Mutex<Vec<serde_json::Value>>>) {
    let received: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let app = axum::Router::new()
        .route(
            "/hook",
            axum::routing::post(
                |State(kept): State<Arc<Mutex<Vec<serde_json::Value>>>>,
                 Json(body): Json<serde_json::Value>| async move {
                    kept.lock().unwrap().push(body);
                    "ok"
                },
            ),
        )
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_digest_goes_to_the_smtp_catcher_and_the_webhook_saying_what_to_do() {
    use sandbox::shopify::CatalogEntry;
    let site = support::site(41, 4, 3, FaultRates::none()).await;
    site.sandbox.shopify().generate_orders(
        2,
        &[CatalogEntry {
            sku: String::new(),
            title: "Gift wrapping".into(),
            price: "75.00".parse().unwrap(),
        }],
        0.0,
        0.0,
        941,
    );
    let (port, inbox) = smtp_catcher().await;
    let (hook, posts) = webhook_receiver().await;
    std::fs::write(site.dir.path().join("chat-hook"), &hook).unwrap();
    let original = std::fs::read_to_string(&site.config).unwrap();
    // No payment method mapped: every receipt parks on its gateway.
    let unmapped = original
        .replace("default_payment_method = \"O\"\n", "")
        .lines()
        .map(|l| {
            if l.starts_with("payment_methods = ") {
                "payment_methods = {}"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let text = format!(
        "{unmapped}\n[alerts]\nstale_after_hours = 0\n\n[alerts.email]\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {port}\nsecurity = \"none\"\nfrom = \"Sync <sync@shop.example>\"\nto = [\"accounts@shop.example\", \"ops@shop.example\"]\n\n[alerts.chat]\nwebhook_url_file = \"chat-hook\"\n"
    );
    std::fs::write(&site.config, text).unwrap();
    let config = Config::load(&site.config).unwrap();
    assert!(config.alerts.enabled());
    assert!(
        !format!("{config:?}").contains(&hook),
        "the webhook URL is a secret"
    );
    let (_, engine, wired) = flow_shopify_sync::demo::engine_for(&site.config)
        .await
        .unwrap();
    engine.run_once().await.unwrap();
    let parked = engine
        .store()
        .jobs(
            &engine.config().scope,
            Some(sync_core::store::JobState::Parked),
        )
        .await
        .unwrap();
    assert!(parked.len() >= 2, "several receipts park: {}", parked.len());

    let sources = Sources {
        engine: engine.clone(),
        shopify: Some(wired.shopify.clone()),
    };
    let digest = alerts::collect(&sources, &config.alerts, chrono::Utc::now(), None)
        .await
        .unwrap();
    let kinds: Vec<&str> = digest.findings.iter().map(|f| f.kind.as_str()).collect();
    assert!(kinds.contains(&"parked"), "{kinds:?}");
    assert!(kinds.contains(&"dead_letters"), "{kinds:?}");
    assert!(digest.findings.iter().all(|f| !f.what_to_do.is_empty()));
    let failures = alerts::send(
        &config.alerts,
        &digest,
        Some("https://sync.shop.example/console/"),
    )
    .await;
    assert!(failures.is_empty(), "{failures:?}");

    // One e-mail for everything, to both recipients, naming what to do.
    let mails = inbox.lock().unwrap().clone();
    assert_eq!(mails.len(), 1, "one digest, not one message per order");
    let (rcpt, data) = &mails[0];
    assert_eq!(rcpt.len(), 2, "{rcpt:?}");
    assert!(data.contains("Subject: flow-shopify-sync:"), "{data}");
    assert!(data.contains("What to do:"), "{data}");
    assert!(
        data.contains("gateway:"),
        "the parked jobs are grouped by mapping: {data}"
    );
    assert!(
        data.contains("https://sync.shop.example/console/"),
        "{data}"
    );
    // One chat message, in the `{"text": …}` shape Slack and Teams accept.
    let posts = posts.lock().unwrap().clone();
    assert_eq!(posts.len(), 1);
    let text = posts[0]["text"].as_str().expect("a text message");
    assert!(
        text.contains("What to do:") && text.contains("dead letter"),
        "{text}"
    );
    let dead_jobs = engine
        .store()
        .jobs(
            &engine.config().scope,
            Some(sync_core::store::JobState::Dead),
        )
        .await
        .unwrap();
    assert!(dead_jobs.len() >= 2);
    assert_eq!(text.matches("What to do:").count(), digest.findings.len());
}

#[test]
fn alert_settings_are_checked_naming_the_key() {
    let base = "[shopify]\nshop = \"x.myshopify.com\"\n[flow]\naccount = \"1\"\n[eta]\nclient_id = \"a\"\n";
    let env = |_: &str| Some("https://hooks.slack.com/services/T/B/secret".to_owned());
    let refuse = |extra: &str| {
        Config::parse(&format!("{base}{extra}"), std::path::PathBuf::new(), &env)
            .unwrap_err()
            .to_string()
    };
    let clear = refuse(
        "[alerts.email]\nsmtp_host = \"mail.example.com\"\nsecurity = \"none\"\nfrom = \"a@b.example\"\nto = [\"c@d.example\"]\n",
    );
    assert!(clear.starts_with("alerts.email.security:"), "{clear}");
    let bad_to = refuse(
        "[alerts.email]\nsmtp_host = \"mail.example.com\"\nfrom = \"a@b.example\"\nto = [\"not an address\"]\n",
    );
    assert!(bad_to.starts_with("alerts.email.to[0]:"), "{bad_to}");
    let in_file =
        refuse("[alerts.chat]\nwebhook_url = \"https://hooks.slack.com/services/T/B/secret\"\n");
    assert!(
        in_file.starts_with("alerts.chat.webhook_url: secrets are not accepted"),
        "{in_file}"
    );
    assert!(!in_file.contains("secret\""), "{in_file}");
    let ok = Config::parse(
        &format!("{base}[alerts.chat]\nwebhook_url_env = \"HOOK\"\n"),
        std::path::PathBuf::new(),
        &env,
    )
    .unwrap();
    assert!(ok.alerts.enabled());
    assert!(!format!("{ok:?}").contains("hooks.slack.com"));
}
