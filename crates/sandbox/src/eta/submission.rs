//! Receiving a submission: its size and structure, each receipt's checks (uuid, structure,
//! codes, calculations, chain, duplicates), and recording the submission and its receipts.

use super::*;

impl EtaState {
    pub(super) fn process_submission(
        &self,
        serial: &str,
        body: &[u8],
    ) -> Result<Value, Box<Response>> {
        if body.len() > MAX_SUBMISSION_BYTES {
            return Err(boxed(
                StatusCode::BAD_REQUEST,
                "MaximumSizeExceeded",
                format!("a submission may not exceed {MAX_SUBMISSION_BYTES} bytes"),
            ));
        }
        let bad = |msg: String| boxed(StatusCode::BAD_REQUEST, "BadStructure", msg);
        let text = std::str::from_utf8(body).map_err(|_| bad("the body is not UTF-8".into()))?;
        let root = json::parse(text).map_err(|e| bad(e.to_string()))?;
        let Some(receipts) = root.get("receipts").and_then(json::Node::as_array) else {
            return Err(bad(
                "the body must be an object with a receipts array".into()
            ));
        };
        if receipts.is_empty() {
            return Err(bad("receipts must hold at least one receipt".into()));
        }
        if receipts.len() > MAX_RECEIPTS {
            return Err(boxed(
                StatusCode::BAD_REQUEST,
                "MaximumSizeExceeded",
                format!("a submission may hold at most {MAX_RECEIPTS} receipts"),
            ));
        }
        if self.cfg.require_signatures {
            let has_issuer = root
                .get("signatures")
                .and_then(json::Node::as_array)
                .is_some_and(|sigs| {
                    sigs.iter().any(|s| {
                        s.get("signatureType").and_then(json::Node::as_str) == Some("I")
                            && s.get("value").and_then(json::Node::as_str).is_some()
                    })
                });
            if !has_issuer {
                return Err(bad(
                    "signatures must hold an issuer signature {\"signatureType\":\"I\",\"value\":\"...\"} (the value may be empty)".into(),
                ));
            }
        }
        for (i, r) in receipts.iter().enumerate() {
            if let Some(dev) = r
                .get("seller")
                .and_then(|s| s.get("deviceSerialNumber"))
                .and_then(json::Node::as_str)
                && dev != serial
            {
                return Err(boxed(
                    StatusCode::FORBIDDEN,
                    "IncorrectSubmitter",
                    format!(
                        "receipts[{i}].seller.deviceSerialNumber {dev} is not the authenticated POS {serial}"
                    ),
                ));
            }
        }

        let digest: [u8; 32] = Sha256::digest(body).into();
        let mut d = self.lock();
        if let Some(window) = self.cfg.duplicate_window {
            d.recent_bodies.retain(|_, at| at.elapsed() < window);
            if let Some(at) = d.recent_bodies.get(&digest) {
                let wait = window.saturating_sub(at.elapsed()).as_secs().max(1);
                d.counters.duplicate_submissions += 1;
                let mut r = eta_error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "DuplicateSubmission",
                    "an identical submission was received recently",
                );
                if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
                    r.headers_mut().insert(header::RETRY_AFTER, v);
                }
                return Err(Box::new(r));
            }
        }

        let now = Utc::now();
        let received = now.to_rfc3339_opts(SecondsFormat::Secs, true);
        let submission_id = random_id(&mut d.rng, 26);
        let rules = validate::Rules {
            rin: &self.cfg.taxpayer_rin,
            tolerance: self.cfg.tolerance,
            max_age: self.cfg.max_receipt_age,
            now,
        };
        let mut accepted_json = Vec::new();
        let mut rejected_json = Vec::new();
        let mut indices = Vec::new();
        let mut numbers_seen: Vec<(String, String)> = Vec::new();
        for node in receipts {
            let raw = text[node.start..node.end].to_string();
            let (facts, errors) = self.check_receipt(&d, node, &rules, &numbers_seen);
            numbers_seen.push((facts.branch_code.clone(), facts.receipt_number.clone()));
            let mut receipt = Receipt {
                uuid: facts.uuid.clone(),
                previous_uuid: facts.previous_uuid.clone().unwrap_or_default(),
                reference_uuid: facts.reference_uuid.clone(),
                device: if facts.device.is_empty() {
                    serial.to_string()
                } else {
                    facts.device.clone()
                },
                receipt_type: facts.receipt_type.clone(),
                receipt_number: facts.receipt_number.clone(),
                refused: false,
                verdict_at: Instant::now() + self.cfg.validation_delay,
                verdict_error: None,
                raw,
                submission_id: submission_id.clone(),
                long_id: String::new(),
                hash_key: String::new(),
                date_time_issued: facts.date_time_issued.clone(),
                date_time_received: received.clone(),
                total_amount: facts.total_amount.clone(),
                error: None,
            };
            if errors.is_empty() {
                receipt.verdict_error = verdict::asynchronous_error(
                    &self.cfg,
                    |code| {
                        self.code_is_active(code) || d.registered_later.iter().any(|r| r == code)
                    },
                    &receipt,
                );
                receipt.long_id = random_id(&mut d.rng, 40).to_lowercase();
                receipt.hash_key = base64::engine::general_purpose::STANDARD
                    .encode(Sha256::digest(receipt.raw.as_bytes()));
                accepted_json.push(json!({
                    "uuid": receipt.uuid,
                    "longId": receipt.long_id,
                    "receiptNumber": receipt.receipt_number,
                    "hashKey": receipt.hash_key,
                }));
                d.last_uuid
                    .insert(receipt.device.clone(), receipt.uuid.clone());
                let index = d.receipts.len();
                d.accepted.insert(receipt.uuid.clone(), index);
                d.by_number
                    .entry(receipt.receipt_number.clone())
                    .or_default()
                    .push(index);
                d.counters.accepted += 1;
            } else {
                let first = &errors[0];
                let error = json!({
                    "code": first.code,
                    "message": format!("receipt {} is invalid: {}", facts.receipt_number, first.message),
                    "target": facts.receipt_number,
                    "details": errors.iter().map(validate::Detail::json).collect::<Vec<_>>(),
                });
                rejected_json.push(json!({
                    "uuid": receipt.uuid,
                    "receiptNumber": receipt.receipt_number,
                    "error": error,
                }));
                receipt.refused = true;
                receipt.error = Some(error);
                d.counters.rejected += 1;
            }
            indices.push(d.receipts.len());
            d.receipts.push(receipt);
        }
        let index = d.submissions.len();
        d.submission_index.insert(submission_id.clone(), index);
        d.submissions.push(Submission {
            id: submission_id.clone(),
            device: serial.to_string(),
            received,
            receipts: indices,
        });
        if self.cfg.duplicate_window.is_some() {
            d.recent_bodies.insert(digest, Instant::now());
        }
        d.counters.submissions += 1;
        Ok(json!({
            "submissionId": submission_id,
            "acceptedDocuments": accepted_json,
            "rejectedDocuments": rejected_json,
        }))
    }

    fn check_receipt(
        &self,
        d: &Data,
        node: &json::Node,
        rules: &validate::Rules<'_>,
        numbers_seen: &[(String, String)],
    ) -> (validate::Facts, Vec<Detail>) {
        let (facts, mut errors) = validate::check(node, rules);
        if !facts.uuid.is_empty() && d.accepted.contains_key(&facts.uuid) {
            // A uuid already held: the duplicate is the only thing worth saying.
            return (
                facts,
                vec![Detail::new(
                    "DuplicateReceipt",
                    "header.uuid",
                    "a receipt with this uuid was already accepted",
                )],
            );
        }
        match canonical::receipt_uuid(node) {
            Ok(expected) => {
                if !facts.uuid.is_empty() && facts.uuid != expected {
                    errors.push(Detail::new(
                        "InvalidUuid",
                        "header.uuid",
                        format!("uuid is not the SHA-256 of the receipt's canonical serialization (expected {expected})"),
                    ));
                }
            }
            Err(e) => errors.push(Detail::new(
                "CanonicalizationError",
                &e.path,
                format!("{}: {}", e.path, e.rule),
            )),
        }
        if !facts.receipt_number.is_empty()
            && numbers_seen
                .iter()
                .any(|(b, n)| *b == facts.branch_code && *n == facts.receipt_number)
        {
            errors.push(Detail::new(
                "CoreFieldsError",
                "header.receiptNumber",
                "receiptNumber must be unique per branch within a submission",
            ));
        }
        if let Some(prev) = &facts.previous_uuid {
            let expected = d.last_uuid.get(&facts.device).cloned().unwrap_or_default();
            if *prev != expected {
                let why = if expected.is_empty() {
                    "previousUUID must be \"\" for the first receipt of this POS".to_string()
                } else {
                    format!(
                        "previousUUID must be the uuid of this POS's last accepted receipt ({expected})"
                    )
                };
                errors.push(Detail::new("InvalidChain", "header.previousUUID", why));
            }
        }
        let now = Instant::now();
        if !facts.reference_old_uuid.is_empty() {
            let replaced = d
                .accepted
                .get(&facts.reference_old_uuid)
                .map(|i| &d.receipts[*i]);
            let ok = replaced.is_some_and(|old| {
                old.status(now) == "Invalid"
                    && old.device == facts.device
                    && old.receipt_type.eq_ignore_ascii_case(&facts.receipt_type)
            });
            if !ok {
                errors.push(Detail::new(
                    "InvalidReference",
                    "header.referenceOldUUID",
                    "referenceOldUUID must name an Invalid receipt of this POS and receipt type (only an Invalid receipt can be replaced)",
                ));
            }
        }
        match facts.receipt_type.as_str() {
            "r" => {
                let sale = d
                    .accepted
                    .get(&facts.reference_uuid)
                    .map(|i| &d.receipts[*i])
                    .filter(|r| r.receipt_type == "s");
                match sale.map(|s| s.status(now)) {
                    Some("Valid") => {}
                    Some(status) => errors.push(Detail::new(
                        "InvalidReference",
                        "header.referenceUUID",
                        format!("a return receipt must reference a Valid sale receipt; this one is {status}"),
                    )),
                    None => errors.push(Detail::new(
                        "InvalidReference",
                        "header.referenceUUID",
                        "a return receipt needs referenceUUID = the uuid of an accepted sale receipt",
                    )),
                }
            }
            // A return without reference names no sale (checked structurally); it must not
            // stand for a sale this POS reported.
            "RWR" => {}
            "s" if !facts.reference_uuid.is_empty() => errors.push(Detail::new(
                "InvalidReference",
                "header.referenceUUID",
                "a sale receipt must not carry a referenceUUID",
            )),
            _ => {}
        }
        (facts, errors)
    }
}
