//! The operator console over real HTTP on loopback, against the sandbox: sign-in (CSRF, rate
//! limit, cookie flags), the pages, a parked order released once its mapping is in place, a
//! dead letter edited and retried, a read-only operator refused, and every action in the
//! audit log with the operator's name.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::{PasswordHasher, SaltString};
use flow_shopify_sync::console::Console;
use flow_shopify_sync::daemon;
use flow_shopify_sync::listener::{self, Limits};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};
use sandbox::FaultRates;
use sync_core::engine::{Engine, Shutdown};
use sync_core::store::JobState;

/// A cheap Argon2id hash (the test signs in often; the cost is in the PHC string).
fn hash(password: &str) -> String {
    let params = argon2::Params::new(1024, 1, 1, None).unwrap();
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::encode_b64(b"console-test-salt").unwrap();
    argon
        .hash_password(password.as_bytes(), &salt)
        .unwrap()
        .to_string()
}

/// Adds two operators to the configuration: `alice` (operator) and `bob` (read only).
fn with_operators(config: &str, dir: &Path) -> String {
    for (file, password) in [("alice.hash", "alice-pw"), ("bob.hash", "bob-pw")] {
        let path = dir.join(file);
        std::fs::write(&path, hash(password)).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
    }
    format!(
        "{config}\n[console]\nlogin_attempts = 3\n\n[[console.operators]]\nname = \"alice\"\nrole = \"operator\"\npassword_hash_file = \"alice.hash\"\n\n[[console.operators]]\nname = \"bob\"\nrole = \"read_only\"\npassword_hash_file = \"bob.hash\"\n"
    )
}

/// A daemon listener with the console, as `run` builds it.
struct Daemon {
    base: String,
    engine: Arc<Engine>,
    stop: Shutdown,
    server: tokio::task::JoinHandle<()>,
}

async fn daemon(config: &Path) -> Daemon {
    let (config, engine, wired) = flow_shopify_sync::demo::engine_for(config).await.unwrap();
    assert!(config.console.enabled());
    let console = Console::for_daemon(&config, engine.clone(), &wired).await;
    let limits = Limits::default();
    let app = daemon::with_console(daemon::router(engine.clone(), None, None, limits), console);
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", tcp.local_addr().unwrap());
    let stop = Shutdown::new();
    let server = tokio::spawn(listener::serve(tcp, app, limits, stop.clone()));
    Daemon {
        base,
        engine,
        stop,
        server,
    }
}

impl Daemon {
    async fn stop(self) {
        self.stop.trigger();
        let _ = self.server.await;
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value of hidden field `csrf` in a page.
fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("the page has a CSRF field");
    let rest = &html[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// `name=value` of cookie `name` among a response's `Set-Cookie`, with the whole header.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<(String, String)> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| (v.split(';').next().unwrap().to_owned(), v.to_owned()))
}

/// Signs in through the form; returns the session cookie (`fss_session=…`).
async fn sign_in(base: &str, name: &str, password: &str) -> Result<String, StatusCode> {
    let http = http();
    let form = http
        .get(format!("{base}/console/login"))
        .send()
        .await
        .unwrap();
    let (login_cookie, _) = set_cookie(&form, "fss_login").expect("the form sets its token cookie");
    let token = csrf_of(&form.text().await.unwrap());
    let answer = http
        .post(format!("{base}/console/login"))
        .header(COOKIE, login_cookie)
        .form(&[
            ("csrf", token.as_str()),
            ("name", name),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    if answer.status() != StatusCode::SEE_OTHER {
        return Err(answer.status());
    }
    let (session, header) = set_cookie(&answer, "fss_session").expect("a session cookie");
    assert!(header.contains("HttpOnly"), "{header}");
    assert!(header.contains("SameSite=Strict"), "{header}");
    Ok(session)
}

async fn get(base: &str, session: &str, path: &str) -> (StatusCode, String) {
    let answer = http()
        .get(format!("{base}{path}"))
        .header(COOKIE, session)
        .send()
        .await
        .unwrap();
    (answer.status(), answer.text().await.unwrap())
}

async fn post(
    base: &str,
    session: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    let answer = http()
        .post(format!("{base}{path}"))
        .header(COOKIE, session)
        .form(form)
        .send()
        .await
        .unwrap();
    (answer.status(), answer.text().await.unwrap())
}

/// Waits until `check` holds, at most 120 s.
async fn until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..1200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting until {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_signs_in_releases_a_parked_order_and_repairs_a_dead_letter() {
    use sandbox::shopify::CatalogEntry;
    let site = support::site(31, 4, 3, FaultRates::none()).await;
    let original = std::fs::read_to_string(&site.config).unwrap();
    // A hand-made line without SKU: a dead letter whose payload an operator can repair.
    let known = site.sandbox.flow().catalog_items()[0].clone();
    site.sandbox.shopify().generate_orders(
        1,
        &[CatalogEntry {
            sku: String::new(),
            title: "Gift wrapping".into(),
            price: "75.00".parse().unwrap(),
        }],
        0.0,
        0.0,
        931,
    );
    // No payment method is mapped: every sale's receipt parks on its gateway.
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
    assert_ne!(unmapped, original);
    std::fs::write(&site.config, with_operators(&unmapped, site.dir.path())).unwrap();

    let d = daemon(&site.config).await;
    d.engine.run_once().await.unwrap();
    let scope = d.engine.config().scope.clone();
    let store = d.engine.store().clone();
    let parked = store.jobs(&scope, Some(JobState::Parked)).await.unwrap();
    let dead = store.jobs(&scope, Some(JobState::Dead)).await.unwrap();
    assert!(
        !parked.is_empty(),
        "receipts park on their unmapped gateway"
    );
    assert!(
        parked.iter().all(|j| j
            .parked_on
            .as_deref()
            .is_some_and(|m| m.starts_with("gateway:"))),
        "{parked:?}"
    );
    let no_sku = dead
        .iter()
        .find(|j| {
            j.last_error
                .as_deref()
                .is_some_and(|e| e.contains("has no SKU"))
        })
        .expect("the order without SKU is a dead letter")
        .clone();

    // Pages need a session; the sign-in form needs its token; wrong passwords are limited.
    let (status, _) = get(&d.base, "", "/console/").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = post(
        &d.base,
        "",
        "/console/login",
        &[("name", "alice"), ("password", "alice-pw")],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a sign-in without its token is refused"
    );
    for _ in 0..3 {
        assert_eq!(
            sign_in(&d.base, "alice", "wrong").await,
            Err(StatusCode::UNAUTHORIZED)
        );
    }
    assert_eq!(
        sign_in(&d.base, "alice", "alice-pw").await,
        Err(StatusCode::TOO_MANY_REQUESTS),
        "past console.login_attempts even the right password waits"
    );
    let bob = sign_in(&d.base, "bob", "bob-pw").await.unwrap();

    // A read-only operator sees the pages and cannot act.
    let (status, overview) = get(&d.base, &bob, "/console/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        overview.contains("Shopify API version") && overview.contains("parked jobs"),
        "{overview}"
    );
    // Each flow's last pass (the one run above): when, how long, what it did; and the shop's
    // cost bucket as the client sees it.
    let orders_row = overview
        .split("<tr>")
        .find(|row| row.contains("<td>orders</td>"))
        .expect("the orders flow's row");
    assert!(
        orders_row.contains("orders imported 4") && orders_row.contains(" UTC ("),
        "{orders_row}"
    );
    assert!(
        !overview.contains("not yet"),
        "a flow without a pass: {overview}"
    );
    assert!(
        overview.contains("Shopify cost bucket") && overview.contains("points/s"),
        "{overview}"
    );
    let (status, attention) = get(&d.base, &bob, "/console/attention").await;
    assert_eq!(status, StatusCode::OK);
    let mapping = parked[0].parked_on.clone().unwrap();
    assert!(attention.contains(&mapping), "{attention}");
    assert!(attention.contains("has no SKU"), "{attention}");
    let token = csrf_of(&attention);
    let (status, _) = post(
        &d.base,
        &bob,
        "/console/attention/mapping",
        &[("csrf", &token), ("mapping", &mapping)],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "read_only cannot release jobs"
    );
    d.stop().await;

    // The operator adds the mappings to the configuration and restarts, as the page says.
    std::fs::write(&site.config, with_operators(&original, site.dir.path())).unwrap();
    let d = daemon(&site.config).await;
    let alice = sign_in(&d.base, "alice", "alice-pw").await.unwrap();
    let (_, attention) = get(&d.base, &alice, "/console/attention").await;
    let token = csrf_of(&attention);
    // A POST without the CSRF token (or with another) changes nothing.
    let (status, _) = post(
        &d.base,
        &alice,
        "/console/attention/mapping",
        &[("mapping", &mapping)],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post(
        &d.base,
        &alice,
        "/console/attention/mapping",
        &[("csrf", "forged"), ("mapping", &mapping)],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A payment method that is not ETA's is refused, naming the field; nothing is written.
    let (status, refused) = post(
        &d.base,
        &alice,
        "/console/attention/mapping",
        &[("csrf", &token), ("mapping", &mapping), ("method", "Cash")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(refused.starts_with("method:"), "{refused}");
    assert!(!site.dir.path().join("payment-methods.toml").exists());
    assert!(
        store
            .jobs(&scope, Some(JobState::Parked))
            .await
            .unwrap()
            .iter()
            .any(|j| j.parked_on.as_deref() == Some(mapping.as_str()))
    );
    let (status, _) = post(
        &d.base,
        &alice,
        "/console/attention/mapping",
        &[("csrf", &token), ("mapping", &mapping)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let released: Vec<i64> = parked
        .iter()
        .filter(|j| j.parked_on.as_deref() == Some(mapping.as_str()))
        .map(|j| j.id)
        .collect();
    until("the released jobs are done", || {
        let store = store.clone();
        let released = released.clone();
        async move {
            for id in released {
                if store.job(id).await.unwrap().unwrap().state != JobState::Done {
                    return false;
                }
            }
            true
        }
    })
    .await;

    // The order's story: its Flow document, its receipt, the audit trail.
    let order_id = parked[0]
        .payload
        .pointer("/order/external_id")
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    let orders = store.bindings(&scope, "order").await.unwrap();
    let order = orders
        .iter()
        .find(|o| Some(o.key.as_str()) == order_id.as_deref())
        .unwrap_or(&orders[0]);
    let name = order.data["name"].as_str().unwrap().to_owned();
    let (status, found) = get(
        &d.base,
        &alice,
        &format!("/console/orders?q={}", name.trim_start_matches('#')),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        found.contains(&order.remote_id),
        "the search finds the order by name: {found}"
    );
    let story_path = format!(
        "/console/orders/story?id={}",
        url::form_urlencoded::byte_serialize(order.key.as_bytes()).collect::<String>()
    );
    let (_, story) = get(&d.base, &alice, &story_path).await;
    assert!(
        story.contains(&order.remote_id) && story.contains("Audit trail"),
        "{story}"
    );
    // Each built receipt shows its QR code and the ETA link it encodes.
    let receipts = store
        .bindings_where(&scope, "receipt", &[("order", &[order.key.as_str()])], 10)
        .await
        .unwrap();
    let built: Vec<_> = receipts
        .iter()
        .filter(|r| r.data.get("body").is_some())
        .collect();
    assert!(
        !built.is_empty(),
        "the order has a built receipt: {receipts:?}"
    );
    for r in built {
        assert!(
            story.contains(&format!("/receipts/search/{}/share/", r.remote_id)),
            "the receipt's ETA link: {story}"
        );
    }
    assert!(story.contains("<svg"), "a QR code: {story}");
    let (_, by_document) = get(
        &d.base,
        &alice,
        &format!(
            "/console/orders?q={}",
            order.data["number"].as_str().unwrap_or_default()
        ),
    )
    .await;
    assert!(
        by_document.contains(&name),
        "the search finds the order by Flow document number"
    );

    // The dead letter: its payload repaired (the line gets a SKU) and retried.
    let (_, job_page) = get(
        &d.base,
        &alice,
        &format!("/console/attention/jobs/{}", no_sku.id),
    )
    .await;
    assert!(job_page.contains("Save and retry"), "{job_page}");
    let mut payload = no_sku.payload.clone();
    let lines = payload
        .pointer_mut("/order/lines")
        .and_then(|l| l.as_array_mut())
        .expect("the order's lines");
    for line in lines {
        line["sku"] = serde_json::json!(known.sku);
    }
    let token = csrf_of(&job_page);
    let (status, body) = post(
        &d.base,
        &alice,
        &format!("/console/attention/jobs/{}/edit", no_sku.id),
        &[("csrf", &token), ("payload", "{not json")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = post(
        &d.base,
        &alice,
        &format!("/console/attention/jobs/{}/edit", no_sku.id),
        &[("csrf", &token), ("payload", &payload.to_string())],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    until("the repaired order is imported", || {
        let store = store.clone();
        async move { store.job(no_sku.id).await.unwrap().unwrap().state == JobState::Done }
    })
    .await;

    // Every action is in the audit log with the operator's name.
    let operator = store
        .operator()
        .expect("the SQLite store has the operator's queries");
    let trail = operator
        .audit_trail(
            &scope,
            &[&format!("mapping:{mapping}"), &format!("job:{}", no_sku.id)],
            50,
        )
        .await
        .unwrap();
    let actions: Vec<(String, String)> = trail
        .iter()
        .map(|r| {
            (
                r.entry.payload["operator"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                r.entry.payload["action"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    assert!(
        actions.contains(&("alice".into(), "mapping_added".into())),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("alice".into(), "edit_and_retry".into())),
        "{actions:?}"
    );

    // Every page renders for a signed-in operator.
    for page in [
        "/console/",
        "/console/orders",
        "/console/attention",
        "/console/receipts",
        "/console/reconciliation",
        "/console/sync",
    ] {
        let (status, html) = get(&d.base, &alice, page).await;
        assert_eq!(status, StatusCode::OK, "{page}: {html}");
        assert!(html.contains("<html lang=\"en\""), "{page}");
    }
    d.stop().await;
}

#[path = "console_support/browser.rs"]
mod browser;

/// Signs in through the browser's sign-in form.
fn browser_sign_in(b: &mut browser::Browser, base: &str) {
    b.open(&format!("{base}/console/"), "/console/login");
    b.navigate_by(
        "document.querySelector('[name=name]').value = 'alice';\
         document.querySelector('[name=password]').value = 'alice-pw';\
         document.querySelector('form').submit(); true",
        "/console/",
    );
}

/// The same story in headless Chromium: sign in, see the parked order, release it once its
/// mapping is in place and watch it go through, find its story, repair and replay a dead
/// letter, have a CSRF-less POST refused; a screenshot of each page is written under the
/// build folder (`target/tmp/console-screenshots/`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_real_browser_an_operator_works_through_what_needs_attention() {
    use sandbox::shopify::CatalogEntry;
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let site = support::site(32, 4, 3, FaultRates::none()).await;
    let original = std::fs::read_to_string(&site.config).unwrap();
    let known = site.sandbox.flow().catalog_items()[0].clone();
    site.sandbox.shopify().generate_orders(
        1,
        &[CatalogEntry {
            sku: String::new(),
            title: "تغليف هدية".into(),
            price: "75.00".parse().unwrap(),
        }],
        0.0,
        0.0,
        932,
    );
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
    std::fs::write(&site.config, with_operators(&unmapped, site.dir.path())).unwrap();
    let d = daemon(&site.config).await;
    d.engine.run_once().await.unwrap();
    let scope = d.engine.config().scope.clone();
    let store = d.engine.store().clone();
    let parked = store.jobs(&scope, Some(JobState::Parked)).await.unwrap();
    let mapping = parked[0].parked_on.clone().expect("a parked receipt");
    let dead = store.jobs(&scope, Some(JobState::Dead)).await.unwrap();
    let no_sku = dead
        .iter()
        .find(|j| {
            j.last_error
                .as_deref()
                .is_some_and(|e| e.contains("has no SKU"))
        })
        .expect("the order without SKU is a dead letter")
        .clone();

    // See the parked order.
    let base = d.base.clone();
    let (shots_dir, mapping_seen) = (shots.clone(), mapping.clone());
    tokio::task::spawn_blocking(move || {
        let mut b = browser::Browser::launch();
        browser_sign_in(&mut b, &base);
        b.open(&format!("{base}/console/attention"), "/console/attention");
        let text = b.text();
        assert!(text.contains(&mapping_seen), "{text}");
        b.screenshot(&shots_dir.join("attention-parked.png"));
    })
    .await
    .unwrap();

    // The operator adds the gateway's payment method in the console itself: no restart.
    let base = d.base.clone();
    let released: Vec<i64> = parked
        .iter()
        .filter(|j| j.parked_on.as_deref() == Some(mapping.as_str()))
        .map(|j| j.id)
        .collect();
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let (tx_done, rx_done) = std::sync::mpsc::channel::<()>();
    let shots_dir = shots.clone();
    let mut repaired = no_sku.payload.clone();
    for line in repaired
        .pointer_mut("/order/lines")
        .and_then(|l| l.as_array_mut())
        .unwrap()
    {
        line["sku"] = serde_json::json!(known.sku);
    }
    let no_sku_id = no_sku.id;
    let mapping_form = mapping.clone();
    let browser = tokio::task::spawn_blocking(move || {
        let mut b = browser::Browser::launch();
        browser_sign_in(&mut b, &base);
        b.screenshot(&shots_dir.join("overview.png"));
        // A POST without the CSRF token, from the signed-in page itself, is refused.
        let status = b.eval(
            "fetch('/console/attention/mapping', {method: 'POST', headers: {'content-type': 'application/x-www-form-urlencoded'}, body: 'mapping=x'}).then(r => r.status)",
        );
        assert_eq!(status, 403);
        // Add the mapping: choose the gateway's ETA payment method; the jobs run.
        b.open(&format!("{base}/console/attention"), "/console/attention");
        b.navigate_by(
            &format!(
                "const f = [...document.querySelectorAll('form[action=\"/console/attention/mapping\"]')]\
                 .find(f => f.querySelector('[name=mapping]').value === {});\
                 f.querySelector('select[name=method]').value = 'V'; f.submit(); true",
                serde_json::to_string(&mapping_form).unwrap()
            ),
            "/console/attention",
        );
        tx.send(()).unwrap();
        rx_done.recv().unwrap();
        // The order's story.
        b.open(&format!("{base}/console/orders"), "/console/orders");
        b.screenshot(&shots_dir.join("orders-search.png"));
        // Replay the dead letter with its payload repaired.
        b.open(
            &format!("{base}/console/attention/jobs/{no_sku_id}"),
            &format!("/console/attention/jobs/{no_sku_id}"),
        );
        b.screenshot(&shots_dir.join("dead-letter.png"));
        b.navigate_by(
            &format!(
                "const t = document.querySelector('textarea[name=payload]'); t.value = {}; t.form.submit(); true",
                serde_json::to_string(&repaired.to_string()).unwrap()
            ),
            "/console/attention",
        );
        for (path, file) in [
            ("/console/receipts", "receipts.png"),
            ("/console/reconciliation", "reconciliation.png"),
            ("/console/sync", "sync.png"),
            ("/console/attention", "attention.png"),
        ] {
            b.open(&format!("{base}{path}"), path);
            b.screenshot(&shots_dir.join(file));
        }
        b
    });
    // Watch the released jobs go through.
    tokio::task::spawn_blocking(move || rx.recv().unwrap())
        .await
        .unwrap();
    until("the released jobs are done", || {
        let store = store.clone();
        let released = released.clone();
        async move {
            for id in released {
                if store.job(id).await.unwrap().unwrap().state != JobState::Done {
                    return false;
                }
            }
            true
        }
    })
    .await;
    tx_done.send(()).unwrap();
    let mut b = browser.await.unwrap();
    until("the repaired order is imported", || {
        let store = store.clone();
        async move { store.job(no_sku_id).await.unwrap().unwrap().state == JobState::Done }
    })
    .await;
    // The story of the released order: Flow document, accepted receipt.
    let order_id = parked[0]
        .payload
        .pointer("/order/external_id")
        .and_then(|v| v.as_str())
        .unwrap()
        .to_owned();
    let order = store
        .binding(&scope, "order", &order_id)
        .await
        .unwrap()
        .expect("the order reached Flow");
    let base = d.base.clone();
    let shots_dir = shots.clone();
    tokio::task::spawn_blocking(move || {
        let name = order.data["name"].as_str().unwrap().to_owned();
        b.open(
            &format!(
                "{base}/console/orders?q={}",
                url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
            ),
            "/console/orders",
        );
        b.navigate_by(
            "document.querySelector('table a').click(); true",
            "/console/orders/story",
        );
        let text = b.text();
        assert!(text.contains(&order.remote_id), "{text}");
        assert!(text.contains("Audit trail"), "{text}");
        b.screenshot(&shots_dir.join("order-story.png"));
    })
    .await
    .unwrap();
    for file in [
        "overview.png",
        "attention.png",
        "order-story.png",
        "receipts.png",
        "reconciliation.png",
        "sync.png",
        "dead-letter.png",
    ] {
        assert!(
            shots.join(file).metadata().unwrap().len() > 1_000,
            "{file} written"
        );
    }
    // The mapping is kept where the next start reads it.
    let gateway = mapping.strip_prefix("gateway:").unwrap();
    let kept = std::fs::read_to_string(site.dir.path().join("payment-methods.toml")).unwrap();
    assert!(
        kept.lines()
            .any(|l| l.contains(gateway) && l.trim_end().ends_with("= \"V\"")),
        "{kept}"
    );
    d.stop().await;
}
