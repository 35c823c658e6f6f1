//! The Flow ERP stand-in over real HTTP.

use sandbox::{FaultRates, RunningSandbox, Sandbox, SandboxConfig};
use serde_json::{Value, json};

const BOM: &str = "\u{feff}";

async fn start(faults: FaultRates) -> RunningSandbox {
    let config = SandboxConfig {
        seed: 11,
        catalog_groups: 4,
        orders: 0,
        faults,
        ..SandboxConfig::default()
    };
    Sandbox::start(config).await.expect("sandbox starts")
}

/// Body text without its BOM; fails the test when the BOM is missing.
async fn text(resp: reqwest::Response) -> String {
    // Raw bytes: reqwest's text() would decode the BOM away.
    let bytes = resp.bytes().await.expect("body");
    let body = String::from_utf8(bytes.to_vec()).expect("UTF-8 answer");
    body.strip_prefix(BOM)
        .unwrap_or_else(|| panic!("answer without a BOM: {body:?}"))
        .to_string()
}

async fn json_of(resp: reqwest::Response) -> Value {
    serde_json::from_str(&text(resp).await).expect("JSON answer")
}

async fn login(http: &reqwest::Client, sb: &RunningSandbox) -> String {
    let cfg = &sb.config().flow;
    let resp = http
        .post(format!("{}/api/chkusr/login", sb.flow_url()))
        .json(
            &json!({"ACC": cfg.acc, "USRID": cfg.usrid, "PASS": cfg.pass, "LNG": "ENG",
                      "CMDTXT": "CHKUSR", "CMDPAR": "", "SRCAPP": "FLOW"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let v = json_of(resp).await;
    assert_eq!(v["errMsg"], "");
    v["apiKey"].as_str().unwrap().to_string()
}

fn first_item(items: &Value) -> (String, f64) {
    let it = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["STS"] == "A")
        .expect("an active item");
    (
        it["ITNO"].as_str().unwrap().to_string(),
        it["ITPRICE"].as_f64().unwrap(),
    )
}

fn invoice(itno: &str, qty: i64, reference: &str) -> Value {
    json!({
        "OP": "SALINV", "DOCNO": 0, "DOCDT": "2026-03-01", "CONO": 1, "STRNO": 1,
        "DISTNO": 2, "EMPNO": 10, "REFDOCNO": reference, "RMK": "shopify order",
        "TOTDISC": 0, "TOTSHPVAL": 50,
        "DTL": [{"ITNO": itno, "QTY": qty, "ITPRICE": 100, "DISC1": 0, "SALTAX": 14}],
    })
}

async fn addpos(http: &reqwest::Client, sb: &RunningSandbox, key: &str, doc: &Value) -> String {
    let resp = http
        .post(format!("{}/api/POSCMD/ADDPOS", sb.flow_url()))
        .header("apikey", key)
        .json(doc)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    text(resp).await
}

/// The number of an item of the seeded catalogue.
async fn an_item(http: &reqwest::Client, sb: &RunningSandbox, key: &str) -> String {
    let items = json_of(
        http.get(format!("{}/api/POSCMD/GETITM/-1", sb.flow_url()))
            .header("apikey", key)
            .send()
            .await
            .unwrap(),
    )
    .await;
    first_item(&items).0
}

/// The answer to a `GETREC` of `sql`, as text.
async fn getrec(http: &reqwest::Client, sb: &RunningSandbox, key: &str, sql: &str) -> String {
    let body =
        json!({"acc": "1001", "usrid": "SYNC", "APIKEY": key, "cmdtxt": "GETREC", "cmdpar": sql});
    let resp = http
        .post(format!("{}/api/srvcmd/getrec", sb.flow_url()))
        .header("apikey", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    text(resp).await
}

async fn legacy(
    http: &reqwest::Client,
    sb: &RunningSandbox,
    key: &str,
    cmd: &str,
    par: &str,
) -> String {
    let body = json!({"acc": "1001", "usrid": "SYNC", "pass": "", "lng": "ENG", "thm": "",
                      "srcapp": "FLOW", "srcver": "1", "APIKEY": key, "cmdtxt": cmd, "cmdpar": par});
    let resp = http
        .post(format!("{}/", sb.flow_url()))
        .header("XAPIKEY", key)
        .header("content-type", "text/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    text(resp).await
}

#[tokio::test]
async fn json_login_answers_errmsg_on_bad_credentials_and_a_key_otherwise() {
    let sb = start(FaultRates::none()).await;
    let http = reqwest::Client::new();
    let resp = http
        .post(format!("{}/api/chkusr/login", sb.flow_url()))
        .json(&json!({"ACC": "1001", "USRID": "SYNC", "PASS": "wrong", "LNG": "ENG", "CMDTXT": "CHKUSR"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "a failed login is still HTTP 200");
    let v = json_of(resp).await;
    assert_eq!(v["apiKey"], "");
    assert!(!v["errMsg"].as_str().unwrap().is_empty());

    let key = login(&http, &sb).await;
    assert_eq!(key.len(), 32);
    // The key opens the REST surface; no key or a made-up one does not.
    let ok = http
        .get(format!("{}/api/SRVCMD/GETCOM/1", sb.flow_url()))
        .header("apikey", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(ok).await["CONO"], 1);
    for bad in [None, Some("0123456789abcdef0123456789abcdef")] {
        let mut req = http.get(format!("{}/api/SRVCMD/GETCOM/1", sb.flow_url()));
        if let Some(k) = bad {
            req = req.header("apikey", k);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 401);
        assert!(text(resp).await.starts_with("CMDERR,"));
    }
    sb.shutdown().await;
}

#[tokio::test]
async fn legacy_form_feed_login_answers_login_pairs() {
    let sb = start(FaultRates::none()).await;
    let http = reqwest::Client::new();
    let send = |pass: &'static str| {
        let url = format!("{}/?OP=CHKUSR", sb.flow_url());
        let http = http.clone();
        async move {
            let resp = http
                .post(url)
                .body(format!("1001\u{c}SYNC\u{c}{pass}\u{c}ENG\u{c}\u{c}"))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200);
            text(resp).await
        }
    };
    let bad = send("nope").await;
    assert!(bad.starts_with("LOGIN"));
    assert!(bad.contains("LOGINERR=1;"));
    assert!(!bad.contains("APIKEY="));

    let good = send("sandbox-pass").await;
    let pairs: std::collections::HashMap<&str, &str> = good
        .strip_prefix("LOGIN")
        .unwrap()
        .split(';')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    assert_eq!(pairs["LOGINERR"], "0");
    assert_eq!(pairs["USRID"], "SYNC");
    // Server configuration noise is there (clients must drop it).
    assert!(pairs.contains_key("DBPWD"));
    let key = pairs["APIKEY"];
    // The legacy key works on the REST surface too.
    let resp = http
        .get(format!("{}/api/POSCMD/GETITM/-1", sb.flow_url()))
        .header("apikey", key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    sb.shutdown().await;
}

#[tokio::test]
async fn rest_reads_serve_the_seeded_catalog_with_a_bom() {
    let sb = start(FaultRates::none()).await;
    let http = reqwest::Client::new();
    let key = login(&http, &sb).await;
    let get = |path: &str| {
        let req = http
            .get(format!("{}{path}", sb.flow_url()))
            .header("apikey", &key);
        async move { json_of(req.send().await.unwrap()).await }
    };
    let items = get("/api/POSCMD/GETITM/-1").await;
    let items = items.as_array().unwrap();
    assert!(items.len() >= 8, "4 groups of at least 2 items");
    let arabic = items[0]["ITNA"].as_str().unwrap();
    assert!(arabic.chars().any(|c| ('\u{600}'..='\u{6ff}').contains(&c)));
    assert!(items[0]["ITDES"].as_str().unwrap().is_ascii());
    assert_eq!(items[0]["HASCLR"], 1);
    assert_eq!(items[0]["ITCODE"], items[0]["ITNO"]);

    let groups = get("/api/SRVCMD/GetGroup/ITM").await;
    assert_eq!(groups.as_array().unwrap().len(), 4);
    let cats = get("/api/SRVCMD/GetGroup/ITC").await;
    assert!(!cats.as_array().unwrap().is_empty());
    let opc = get("/api/SRVCMD/GETOPC/SALRTN").await;
    assert_eq!(opc["SRCDOC"], "SALINV");
    let bal = get("/api/POSCMD/GETBAL/1/2").await;
    assert_eq!(bal.as_array().unwrap().len(), items.len());
    assert!(bal.as_array().unwrap().iter().all(|r| r["STRNO"] == 2));
    let prices = get("/api/SRVCMD/GETPRCLST").await;
    assert_eq!(prices.as_array().unwrap().len(), items.len() * 2);
    let customers = get("/api/CONCMD/GETCON/C").await;
    assert!(
        customers
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["CONTYP"] == "C")
    );
    let suppliers = get("/api/CONCMD/GETCON/S").await;
    assert!(
        suppliers
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["CONTYP"] == "S")
    );
    // Paths are case-insensitive, as on IIS.
    let lower = get("/api/srvcmd/getcom/1").await;
    assert_eq!(lower["CONO"], 1);
    sb.shutdown().await;
}

#[tokio::test]
async fn getrec_runs_selects_and_refuses_everything_else() {
    let sb = start(FaultRates::none()).await;
    let http = reqwest::Client::new();
    let key = login(&http, &sb).await;
    let itno = an_item(&http, &sb, &key).await;
    assert_eq!(
        addpos(&http, &sb, &key, &invoice(&itno, 1, "#1001")).await,
        "CMDDNE,1"
    );
    let rows: Value = serde_json::from_str(
        &getrec(&http, &sb, &key, "SELECT opcode, docno, sts FROM trnhdr WHERE refdocno = '#1001' AND opcode = 'SALINV' ORDER BY docno DESC LIMIT 5").await,
    )
    .unwrap();
    assert_eq!(rows, json!([{"opcode": "SALINV", "docno": 1, "sts": "A"}]));
    let agents: Value = serde_json::from_str(
        &getrec(
            &http,
            &sb,
            &key,
            "select empno from empmas where jobid = 100 and sts = 'a'",
        )
        .await,
    )
    .unwrap();
    assert_eq!(agents.as_array().unwrap().len(), 2);
    for sql in [
        "DELETE FROM trnhdr",
        "UPDATE trnhdr SET sts = 'D' WHERE docno = 1",
        "SELECT * FROM trnhdr; DROP TABLE trnhdr",
        "SELECT * FROM secrets",
        "INSERT INTO trnhdr VALUES (1)",
    ] {
        let answer = getrec(&http, &sb, &key, sql).await;
        assert!(answer.starts_with("CMDERR,"), "{sql} -> {answer}");
    }
    // Nothing was executed: the document is still there and active.
    let dump = sb.dump();
    assert_eq!(dump["flow"]["sales_documents"][0]["cancelled"], false);
    sb.shutdown().await;
}

#[tokio::test]
async fn getrec_finds_documents_by_reference_through_updates_and_in_any_case() {
    let sb = start(FaultRates::none()).await;
    let http = reqwest::Client::new();
    let key = login(&http, &sb).await;
    let itno = an_item(&http, &sb, &key).await;
    for reference in ["#1001", "#1002"] {
        assert!(
            addpos(&http, &sb, &key, &invoice(&itno, 1, reference))
                .await
                .starts_with("CMDDNE,")
        );
    }
    // Document 1 updated: its reference is now #1003.
    let mut update = invoice(&itno, 1, "#1003");
    update["DOCNO"] = json!(1);
    assert_eq!(addpos(&http, &sb, &key, &update).await, "CMDDNE,1");
    let docnos = |answer: String| -> Vec<i64> {
        serde_json::from_str::<Value>(&answer)
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["docno"].as_i64().unwrap())
            .collect()
    };
    let query = |condition: &str| {
        format!("SELECT docno FROM trnhdr WHERE {condition} AND opcode = 'SALINV' ORDER BY docno")
    };
    assert_eq!(
        docnos(getrec(&http, &sb, &key, &query("refdocno = '#1001'")).await),
        Vec::<i64>::new(),
        "the old reference is gone"
    );
    assert_eq!(
        docnos(getrec(&http, &sb, &key, &query("refdocno = '#1003'")).await),
        [1]
    );
    assert_eq!(
        docnos(getrec(&http, &sb, &key, &query("refdocno IN ('#1002', '#1003')")).await),
        [1, 2]
    );
    assert_eq!(
        docnos(getrec(&http, &sb, &key, &query("rmk = 'SHOPIFY ORDER'")).await),
        [1, 2],
        "text compares ignoring case"
    );
    assert_eq!(
        docnos(getrec(&http, &sb, &key, &query("refdocno <> '#1002'")).await),
        [1]
    );
    // GETDOC finds the updated document by its number, in any case of the operation.
    let doc = text(
        http.get(format!("{}/api/POSCMD/GETDOC/salinv/1/1/1", sb.flow_url()))
            .header("apikey", &key)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(doc.contains("#1003"), "{doc}");
    sb.shutdown().await;
}

#[tokio::test]
async fn addpos_getdoc_and_delpos_soft_delete() {
    let sb = start(FaultRates::none()).await;
    let http = reqwest::Client::new();
    let key = login(&http, &sb).await;
    let items = json_of(
        http.get(format!("{}/api/POSCMD/GETITM/-1", sb.flow_url()))
            .header("apikey", &key)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let (itno, _) = first_item(&items);
    let stock_of = |sb: &RunningSandbox| {
        sb.dump()["flow"]["stock"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["sku"] == itno.as_str() && r["store"] == 1)
            .unwrap()["qty"]
            .as_i64()
            .unwrap()
    };
    let before = stock_of(&sb);
    assert_eq!(
        addpos(&http, &sb, &key, &invoice(&itno, 2, "#1001")).await,
        "CMDDNE,1"
    );
    assert_eq!(stock_of(&sb), before - 2, "an invoice issues stock");

    let getdoc = |docno: u64| {
        let req = http
            .get(format!(
                "{}/api/POSCMD/GETDOC/SALINV/1/1/{docno}",
                sb.flow_url()
            ))
            .header("apikey", &key);
        async move { text(req.send().await.unwrap()).await }
    };
    let doc: Value = serde_json::from_str(&getdoc(1).await).unwrap();
    assert_eq!(doc["DOCNO"], 1);
    assert_eq!(doc["STS"], "A");
    assert_eq!(doc["REFDOCNO"], "#1001");
    assert_eq!(doc["DOCTOT"], 200);
    assert_eq!(doc["TOTSALTAX"], 28);
    assert_eq!(doc["DOCNET"], 278, "200 + 28 VAT + 50 shipping");
    assert_eq!(doc["DTL"][0]["ITNO"], itno.as_str());
    assert!(getdoc(99).await.starts_with("CMDERR,"));

    // A refused document: unknown item.
    let mut bad = invoice("999999", 1, "#x");
    assert!(addpos(&http, &sb, &key, &bad).await.starts_with("CMDERR,"));
    bad = invoice(&itno, 1, "#x");
    bad["OP"] = json!("NOSUCHOP");
    assert!(
        addpos(&http, &sb, &key, &bad)
            .await
            .starts_with("CMDERR,unknown operation")
    );

    let delpos = "DELPOS,OPCODE=SALINV\u{c}CONO=1\u{c}STRNO=1\u{c}DOCNO=1\u{c}\u{b}";
    assert_eq!(legacy(&http, &sb, &key, "EXECMD", delpos).await, "CMDDNE,1");
    let doc: Value = serde_json::from_str(&getdoc(1).await).unwrap();
    assert_eq!(doc["STS"], "D", "soft delete: the document stays, marked D");
    assert_eq!(stock_of(&sb), before, "deleting gives the stock back");
    assert!(
        legacy(&http, &sb, &key, "EXECMD", delpos)
            .await
            .starts_with("CMDERR,")
    );
    let dump = sb.dump();
    assert_eq!(dump["flow"]["sales_documents"][0]["cancelled"], true);
    assert_eq!(dump["flow"]["sales_documents"][0]["external_ref"], "#1001");
    sb.shutdown().await;
}

#[tokio::test]
async fn duplicates_are_stored_and_returns_need_their_source() {
    let sb = start(FaultRates::none()).await;
    let http = reqwest::Client::new();
    let key = login(&http, &sb).await;
    let items = json_of(
        http.get(format!("{}/api/POSCMD/GETITM/-1", sb.flow_url()))
            .header("apikey", &key)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let (itno, _) = first_item(&items);
    let doc = invoice(&itno, 3, "#2002");
    assert_eq!(addpos(&http, &sb, &key, &doc).await, "CMDDNE,1");
    assert_eq!(
        addpos(&http, &sb, &key, &doc).await,
        "CMDDNE,2",
        "no deduplication"
    );
    let dump = sb.dump();
    let docs = dump["flow"]["sales_documents"].as_array().unwrap();
    assert_eq!(docs.len(), 2);
    assert!(docs.iter().all(|d| d["external_ref"] == "#2002"));

    // A return needs its source invoice.
    let mut ret = json!({
        "OP": "SALRTN", "DOCNO": 0, "CONO": 1, "STRNO": 1, "DISTNO": 2, "REFDOCNO": "refund-1",
        "DTL": [{"ITNO": itno, "QTY": 1, "ITPRICE": 100}],
    });
    let refused = addpos(&http, &sb, &key, &ret).await;
    assert!(
        refused.starts_with("CMDERR,source document required"),
        "{refused}"
    );
    ret["SRCDOCNO"] = json!(1);
    assert_eq!(
        addpos(&http, &sb, &key, &ret).await,
        "CMDDNE,1",
        "numbers count per operation"
    );
    // More than what is left on the source is refused.
    ret["DTL"][0]["QTY"] = json!(3);
    assert!(addpos(&http, &sb, &key, &ret).await.starts_with("CMDERR,"));

    // LDSRCHDRNO lists invoices still able to feed a return: 1 (2 of 3 left) and 2.
    let par = "OPCODE=SALRTN\u{b}CONO=1\u{b}STRNO=1\u{b}DISTNO=2\u{b}";
    let rows: Value =
        serde_json::from_str(&legacy(&http, &sb, &key, "LDSRCHDRNO", par).await).unwrap();
    let docnos: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["DOCNO"].as_str().unwrap())
        .collect();
    assert_eq!(docnos.len(), 2);
    assert!(docnos[0].contains("SRCDOCNO=1\u{b}"));
    assert!(docnos[1].contains("SRCDOCNO=2\u{b}"));
    // Consume invoice 1 fully: it disappears from the list.
    ret["DTL"][0]["QTY"] = json!(2);
    assert_eq!(addpos(&http, &sb, &key, &ret).await, "CMDDNE,2");
    let rows: Value =
        serde_json::from_str(&legacy(&http, &sb, &key, "LDSRCHDRNO", par).await).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    let dump = sb.dump();
    assert_eq!(dump["flow"]["returns"].as_array().unwrap().len(), 2);
    assert_eq!(dump["flow"]["returns"][0]["external_ref"], "refund-1");

    // An invoice that feeds returns cannot be deleted until they are.
    let del = |op: &str, n: u32| {
        format!("DELPOS,OPCODE={op}\u{c}CONO=1\u{c}STRNO=1\u{c}DOCNO={n}\u{c}\u{b}")
    };
    let refused = legacy(&http, &sb, &key, "EXECMD", &del("SALINV", 1)).await;
    assert!(refused.starts_with("CMDERR,"), "{refused}");
    for n in [1, 2] {
        assert_eq!(
            legacy(&http, &sb, &key, "EXECMD", &del("SALRTN", n)).await,
            format!("CMDDNE,{n}")
        );
    }
    assert_eq!(
        legacy(&http, &sb, &key, "EXECMD", &del("SALINV", 1)).await,
        "CMDDNE,1"
    );
    // A deleted invoice no longer feeds returns.
    let rows: Value =
        serde_json::from_str(&legacy(&http, &sb, &key, "LDSRCHDRNO", par).await).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert!(
        rows[0]["DOCNO"]
            .as_str()
            .unwrap()
            .contains("SRCDOCNO=2\u{b}")
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn addcon_stores_a_customer_found_by_email() {
    let sb = start(FaultRates::none()).await;
    let http = reqwest::Client::new();
    let key = login(&http, &sb).await;
    let contact = json!({"CNAME": "أ. سارة علي", "FORDES": "Sara Ali", "EMAIL": "sara@example.com",
                         "TEL1": "01009998877", "CONTYP": "C"});
    let resp = http
        .post(format!("{}/api/CONCMD/ADDCON", sb.flow_url()))
        .header("apikey", &key)
        .json(&contact)
        .send()
        .await
        .unwrap();
    let answer = text(resp).await;
    let cno = answer.strip_prefix("CMDDNE,").expect("saved");
    let getcon = |email: &str| {
        let request = http
            .get(format!("{}/api/CONCMD/GETCON/C/{email}", sb.flow_url()))
            .header("apikey", &key);
        async move { json_of(request.send().await.unwrap()).await }
    };
    let found = getcon("sara@example.com").await;
    assert_eq!(found[0]["CNO"].to_string(), cno);
    assert_eq!(found[0]["CNAME"], "أ. سارة علي");
    let missing = http
        .post(format!("{}/api/CONCMD/ADDCON", sb.flow_url()))
        .header("apikey", &key)
        .json(&json!({"EMAIL": "x@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(text(missing).await, "CMDERR,CNAME is required");
    // A non-zero CNO updates that customer under its number; an unknown one is refused.
    let contacts = || sb.stats()["flow"]["contacts"].as_u64().unwrap();
    let before = contacts();
    let post = |body: Value| {
        http.post(format!("{}/api/CONCMD/ADDCON", sb.flow_url()))
            .header("apikey", &key)
            .json(&body)
            .send()
    };
    let updated = post(
        json!({"CNO": cno.parse::<u64>().unwrap(), "CNAME": "Sara Ali",
                              "EMAIL": "sara.ali@example.com"}),
    )
    .await
    .unwrap();
    assert_eq!(text(updated).await, format!("CMDDNE,{cno}"));
    assert_eq!(contacts(), before, "an update adds no customer");
    assert_eq!(sb.stats()["flow"]["contacts_updated"], 1);
    let moved = getcon("sara.ali@example.com").await;
    assert_eq!(moved[0]["CNO"].to_string(), cno);
    let unknown = post(json!({"CNO": "987654", "CNAME": "Nobody"}))
        .await
        .unwrap();
    assert!(
        text(unknown)
            .await
            .starts_with("CMDERR,CNO 987654 is not a known customer")
    );
    assert_eq!(contacts(), before);
    sb.shutdown().await;
}

#[tokio::test]
async fn dropped_answer_after_processing_still_saves_the_document() {
    let sb = start(FaultRates {
        drop_after: 1.0,
        ..FaultRates::none()
    })
    .await;
    let http = reqwest::Client::new();
    let key = sb.flow().open_session();
    let itno = sb.flow().catalog_items()[0].sku.clone();
    let resp = http
        .post(format!("{}/api/POSCMD/ADDPOS", sb.flow_url()))
        .header("apikey", &key)
        .json(&invoice(&itno, 1, "#3003"))
        .send()
        .await;
    assert!(resp.is_err(), "the connection is dropped without an answer");
    let dump = sb.dump();
    let docs = dump["flow"]["sales_documents"].as_array().unwrap();
    assert_eq!(
        docs.len(),
        1,
        "the document was saved although CMDDNE was lost"
    );
    assert_eq!(docs[0]["external_ref"], "#3003");
    assert_eq!(sb.stats()["faults"]["flow"]["drop_after"], 1);
    sb.shutdown().await;
}

#[tokio::test]
async fn error_after_processing_saves_then_answers_5xx() {
    let sb = start(FaultRates {
        error_after: 1.0,
        ..FaultRates::none()
    })
    .await;
    let http = reqwest::Client::new();
    let key = sb.flow().open_session();
    let itno = sb.flow().catalog_items()[0].sku.clone();
    let resp = http
        .post(format!("{}/api/POSCMD/ADDPOS", sb.flow_url()))
        .header("apikey", &key)
        .json(&invoice(&itno, 1, "#4004"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 500);
    let dump = sb.dump();
    assert_eq!(dump["flow"]["sales_documents"][0]["external_ref"], "#4004");
    sb.shutdown().await;
}

#[tokio::test]
async fn error_before_processing_changes_nothing() {
    let sb = start(FaultRates {
        error_before: 1.0,
        ..FaultRates::none()
    })
    .await;
    let key = sb.flow().open_session();
    let itno = sb.flow().catalog_items()[0].sku.clone();
    let resp = reqwest::Client::new()
        .post(format!("{}/api/POSCMD/ADDPOS", sb.flow_url()))
        .header("apikey", &key)
        .json(&invoice(&itno, 1, "#5005"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    assert!(
        sb.dump()["flow"]["sales_documents"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn expired_session_fault_makes_the_key_invalid() {
    let sb = start(FaultRates::none()).await;
    let http = reqwest::Client::new();
    let key = login(&http, &sb).await;
    sb.flow().expire_key(&key);
    let resp = http
        .get(format!("{}/api/SRVCMD/GETCOM/1", sb.flow_url()))
        .header("apikey", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert!(text(resp).await.contains("expired"));
    sb.shutdown().await;

    // Through the fault injector: every request expires its key.
    let sb = start(FaultRates {
        expire_session: 1.0,
        ..FaultRates::none()
    })
    .await;
    let key = login(&http, &sb).await; // login carries no key: unaffected
    let resp = http
        .get(format!("{}/api/SRVCMD/GETCOM/1", sb.flow_url()))
        .header("apikey", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(sb.stats()["faults"]["flow"]["expire_session"], 2);
    sb.shutdown().await;
}

#[tokio::test]
async fn throttling_answers_429_with_retry_after() {
    let sb = start(FaultRates {
        throttle: 1.0,
        ..FaultRates::none()
    })
    .await;
    let resp = reqwest::Client::new()
        .post(format!("{}/api/chkusr/login", sb.flow_url()))
        .json(&json!({"ACC": "1001", "USRID": "SYNC", "PASS": "sandbox-pass"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "1");
    assert_eq!(sb.stats()["flow"]["logins"], 0, "nothing happened");
    assert_eq!(sb.stats()["throttled"]["flow"], 1);
    sb.shutdown().await;
}

#[tokio::test]
async fn absurd_numbers_are_refused_not_a_crash() {
    let sb = start(FaultRates::none()).await;
    let http = reqwest::Client::new();
    let key = login(&http, &sb).await;
    let itno = sb.flow().catalog_items()[0].sku.clone();
    let mut doc = invoice(&itno, 1, "#big");
    doc["DTL"][0]["QTY"] = json!("99999999999999999999999999");
    doc["DTL"][0]["ITPRICE"] = json!("99999999999999999999999999");
    let answer = addpos(&http, &sb, &key, &doc).await;
    assert!(answer.starts_with("CMDERR,DTL line 1: QTY"), "{answer}");
    // The server is still up.
    assert_eq!(
        addpos(&http, &sb, &key, &invoice(&itno, 1, "#ok")).await,
        "CMDDNE,1"
    );
    sb.shutdown().await;
}
