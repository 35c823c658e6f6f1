use super::*;
use crate::reads::Record;
use serde_json::json;

fn customer(v: Value) -> Customer {
    Customer::from_record(Record(v.as_object().unwrap().clone())).unwrap()
}

#[test]
fn the_customer_list_is_indexed_row_by_row_with_fields_in_any_case() {
    let text = r#"[
        {"CNO": 7, "cname": " Sara Mostafa ", "Tel1": "+20 100 123 4567", "EMAIL": null,
         "CADD": {"nested": [1, 2]}, "TOTDISC": 0.5},
        {"CNO": "8", "CNAME": "", "FORDES": "عمر", "TEL1": 1111111111, "email": "O@Example.com"}
    ]"#;
    let index = index_customer_rows(text, "RMK").unwrap();
    assert_eq!(index.len(), 2);
    let by_phone = CustomerQuery {
        phone: Some("01001234567".into()),
        ..CustomerQuery::default()
    };
    assert_eq!(
        index.find(&by_phone),
        Some((MatchedBy::Phone, vec!["7".to_owned()]))
    );
    let by_email = CustomerQuery {
        email: Some("o@example.com".into()),
        ..CustomerQuery::default()
    };
    assert_eq!(
        index.find(&by_email),
        Some((MatchedBy::Email, vec!["8".to_owned()]))
    );
    let by_name = CustomerQuery {
        name: Some("sara  mostafa".into()),
        ..CustomerQuery::default()
    };
    assert_eq!(
        index.find(&by_name).map(|(by, _)| by),
        Some(MatchedBy::Name)
    );
}

#[test]
fn the_streamed_index_matches_as_the_index_of_whole_rows() {
    let rows = json!([
        {"CNO": 1, "CNAME": "د. أحمد عبد الله", "TEL1": "+20 100 123 4567", "EMAIL": "Ahmed@Example.com"},
        {"CNO": 2, "CNAME": "Ahmed Abdalla", "FORDES": "أحمد عبدالله", "TEL1": "0100 123 4567"},
        {"CNO": 3, "CNAME": "Mona", "EMAIL": "mona@example.com", "TEL1": ""}
    ]);
    let streamed = index_customer_rows(&rows.to_string(), "RMK").unwrap();
    let whole: Vec<Customer> = rows
        .as_array()
        .unwrap()
        .iter()
        .cloned()
        .map(customer)
        .collect();
    let built = CustomerIndex::new(whole.iter());
    for query in [
        CustomerQuery {
            phone: Some("01001234567".into()),
            ..CustomerQuery::default()
        },
        CustomerQuery {
            email: Some("ahmed@example.com".into()),
            ..CustomerQuery::default()
        },
        CustomerQuery {
            name: Some("أحمد عبدالله".into()),
            ..CustomerQuery::default()
        },
        CustomerQuery {
            email: Some("MONA@example.com".into()),
            ..CustomerQuery::default()
        },
        CustomerQuery {
            name: Some("nobody".into()),
            ..CustomerQuery::default()
        },
    ] {
        assert_eq!(streamed.find(&query), built.find(&query), "{query:?}");
    }
    // Other shapes of the answer go through the row reader.
    let wrapped = json!({"data": rows}).to_string();
    assert_eq!(index_customer_rows(&wrapped, "RMK").unwrap().len(), 3);
}

#[test]
fn a_customer_row_without_a_number_or_a_broken_list_is_a_decode_error() {
    let err = index_customer_rows(r#"[{"CNO": 1}, {"CNAME": "x"}]"#, "RMK").unwrap_err();
    assert!(err.to_string().contains("[1]: row without CNO"), "{err}");
    let err = index_customer_rows(r#"[{"CNO": 1}, 5]"#, "RMK").unwrap_err();
    assert!(err.to_string().contains("GETCON"), "{err}");
    let err = index_customer_rows("[{\"CNO\": 1", "RMK").unwrap_err();
    assert!(err.to_string().contains("GETCON"), "{err}");
}

fn book() -> Vec<Customer> {
    vec![
        customer(
            json!({"CNO": 1, "CNAME": "د. أحمد عبد الله", "TEL1": "+20 100 123 4567", "EMAIL": "Ahmed@Example.com"}),
        ),
        customer(json!({"CNO": 2, "CNAME": "فاطمة علي", "FORDES": "Fatma Ali", "TEL1": "0111"})),
        customer(json!({"CNO": 3, "CNAME": "محمد", "TEL1": ""})),
        customer(json!({"CNO": 4, "CNAME": "محمد علي"})),
    ]
}

#[test]
fn phone_then_email_then_name() {
    let m = match_customers(
        &book(),
        &CustomerQuery {
            phone: Some("01001234567".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        (m.by, m.customers[0].number.as_str()),
        (MatchedBy::Phone, "1")
    );
    let m = match_customers(
        &book(),
        &CustomerQuery {
            email: Some(" ahmed@example.COM".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(m.by, MatchedBy::Email);
    let m = match_customers(
        &book(),
        &CustomerQuery {
            name: Some("احمد عبدالله".replace("عبدالله", "عبد الله")),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        (m.by, m.customers[0].number.as_str()),
        (MatchedBy::Name, "1")
    );
    let m = match_customers(
        &book(),
        &CustomerQuery {
            name: Some("FATMA ALI".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(m.customers[0].number, "2");
    let m = match_customers(
        &book(),
        &CustomerQuery {
            name: Some("فاطمه علي".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(m.customers[0].number, "2");
}

#[test]
fn never_a_substring_match() {
    let m = match_customers(
        &book(),
        &CustomerQuery {
            name: Some("محمد".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(m.customers.len(), 1);
    assert_eq!(m.customers[0].number, "3");
    assert!(
        match_customers(
            &book(),
            &CustomerQuery {
                name: Some("عبد الله".into()),
                ..Default::default()
            }
        )
        .is_none()
    );
    assert!(
        match_customers(
            &book(),
            &CustomerQuery {
                phone: Some("0100123456".into()),
                ..Default::default()
            }
        )
        .is_none()
    );
}

#[test]
fn the_index_follows_a_customer_that_changes() {
    let mut index = CustomerIndex::new(book().iter());
    assert_eq!(index.len(), 4);
    let by_phone = |index: &CustomerIndex, phone: &str| {
        index.find(&CustomerQuery {
            phone: Some(phone.into()),
            ..Default::default()
        })
    };
    assert_eq!(
        by_phone(&index, "+201001234567"),
        Some((MatchedBy::Phone, vec!["1".to_owned()]))
    );
    // Customer 1 changes phone: the old one no longer leads to it.
    index.insert("1", [Some("Ahmed"), None], Some("01229998877"), None);
    assert_eq!(index.len(), 4);
    assert_eq!(by_phone(&index, "01001234567"), None);
    assert_eq!(
        by_phone(&index, "0122 999 8877"),
        Some((MatchedBy::Phone, vec!["1".to_owned()]))
    );
    // A new customer with the same phone makes the match ambiguous.
    index.insert("9", [Some("Other"), None], Some("01229998877"), None);
    assert_eq!(
        by_phone(&index, "01229998877").map(|(_, n)| n),
        Some(vec!["1".to_owned(), "9".to_owned()])
    );
    assert_eq!(index.len(), 5);
    // And no longer once the other customer moves away; its old keys are gone.
    index.insert("9", [Some("Other Name"), None], Some("01005556666"), None);
    assert_eq!(
        by_phone(&index, "01229998877").map(|(_, n)| n),
        Some(vec!["1".to_owned()])
    );
    let by_name = |name: &str| {
        index.find(&CustomerQuery {
            name: Some(name.into()),
            ..Default::default()
        })
    };
    assert_eq!(by_name("Other"), None);
    assert_eq!(
        by_name("other name"),
        Some((MatchedBy::Name, vec!["9".to_owned()]))
    );
    assert_eq!(index.len(), 5);
}

#[test]
fn a_number_listed_twice_keeps_its_last_row() {
    let text = r#"[
        {"CNO": 5, "CNAME": "Old Name", "TEL1": "01001112222"},
        {"CNO": 6, "CNAME": "Other", "TEL1": "01003334444"},
        {"CNO": 5, "CNAME": "New Name", "TEL1": "01005556666"}
    ]"#;
    let index = index_customer_rows(text, "RMK").unwrap();
    assert_eq!(index.len(), 2);
    let find = |phone: Option<&str>, name: Option<&str>| {
        index.find(&CustomerQuery {
            phone: phone.map(str::to_owned),
            name: name.map(str::to_owned),
            ..Default::default()
        })
    };
    assert_eq!(find(Some("01001112222"), None), None);
    assert_eq!(find(None, Some("old name")), None);
    assert_eq!(
        find(Some("01005556666"), None),
        Some((MatchedBy::Phone, vec!["5".to_owned()]))
    );
    assert_eq!(
        find(Some("01003334444"), None),
        Some((MatchedBy::Phone, vec!["6".to_owned()]))
    );
}

#[test]
fn the_index_costs_about_130_bytes_a_customer() {
    let rows: Vec<Value> = (0..10_000)
        .map(|i| {
            json!({"CNO": 100_000 + i, "CNAME": format!("Customer Number {i}"),
                   "FORDES": format!("عميل رقم {i}"), "TEL1": format!("010{i:08}"),
                   "EMAIL": format!("customer{i}@example.com"), "CADD": "12 Tahrir St, Cairo"})
        })
        .collect();
    let index = index_customer_rows(&Value::Array(rows).to_string(), "RMK").unwrap();
    assert_eq!(index.len(), 10_000);
    let per_customer = index.heap_bytes() / index.len();
    // Number 6, phone 11, e-mail 25, names 18 + 12 bytes of text; 4 keys of 16 bytes,
    // 8 + 4 for the number's entries.
    assert!(per_customer <= 160, "{per_customer} bytes a customer");
    let mut grown = index.clone();
    grown.insert("200000", [Some("New One"), None], Some("01200000000"), None);
    assert_eq!(grown.len(), 10_001);
}

/// One customer row of the property test: number, then an index into each pool.
type Row = (u8, u8, u8, u8);

const NAMES: [Option<&str>; 4] = [None, Some("Sara Ali"), Some("سارة علي"), Some("Omar")];
const PHONES: [Option<&str>; 4] = [
    None,
    Some("01001234567"),
    Some("+20 100 123 4567"),
    Some("01119876543"),
];
const EMAILS: [Option<&str>; 3] = [None, Some("a@example.com"), Some("B@Example.com")];

fn row_customer(&(number, name, phone, email): &Row) -> Customer {
    customer(json!({
        "CNO": number.to_string(),
        "CNAME": NAMES[usize::from(name) % NAMES.len()],
        "TEL1": PHONES[usize::from(phone) % PHONES.len()],
        "EMAIL": EMAILS[usize::from(email) % EMAILS.len()],
    }))
}

proptest::proptest! {
    /// Built from a list, then changed customer by customer, the index finds for every
    /// key exactly the customers whose latest row carries it, as a plain scan of those
    /// rows does.
    #[test]
    fn the_index_finds_what_a_scan_of_the_latest_rows_finds(
        listed in proptest::collection::vec((0u8..6, 0u8..4, 0u8..4, 0u8..3), 0..12),
        saved in proptest::collection::vec((0u8..8, 0u8..4, 0u8..4, 0u8..3), 0..12),
    ) {
        let listed: Vec<Customer> = listed.iter().map(row_customer).collect();
        let mut index = CustomerIndex::new(listed.iter());
        let mut latest: Vec<Customer> = Vec::new();
        for c in &listed {
            latest.retain(|l| l.number != c.number);
            latest.push(c.clone());
        }
        for row in &saved {
            let c = row_customer(row);
            index.insert(&c.number, [c.name.as_deref(), None], c.phone.as_deref(), c.email.as_deref());
            latest.retain(|l| l.number != c.number);
            latest.push(c);
        }
        proptest::prop_assert_eq!(index.len(), latest.len());
        let scan = |key: fn(&Customer) -> Option<String>, wanted: &str| -> Vec<String> {
            let mut found: Vec<String> = latest
                .iter()
                .filter(|c| key(c).as_deref() == Some(wanted))
                .map(|c| c.number.clone())
                .collect();
            found.sort();
            found
        };
        let sorted = |found: Option<(MatchedBy, Vec<String>)>| {
            let mut numbers = found.map(|(_, n)| n).unwrap_or_default();
            numbers.sort();
            numbers
        };
        type KeyOf = fn(&Customer) -> Option<String>;
        let phone: KeyOf = |c| c.phone.as_deref().map(normalize_phone);
        let email: KeyOf = |c| c.email.as_deref().map(normalize_email);
        let name: KeyOf = |c| c.name.as_deref().map(normalize_name);
        let cases = PHONES.iter().flatten().map(|p| {
            (CustomerQuery { phone: Some((*p).to_owned()), ..Default::default() }, phone, normalize_phone(p))
        }).chain(EMAILS.iter().flatten().map(|e| {
            (CustomerQuery { email: Some((*e).to_owned()), ..Default::default() }, email, normalize_email(e))
        })).chain(NAMES.iter().flatten().map(|n| {
            (CustomerQuery { name: Some((*n).to_owned()), ..Default::default() }, name, normalize_name(n))
        }));
        for (query, key, wanted) in cases {
            proptest::prop_assert_eq!(sorted(index.find(&query)), scan(key, &wanted), "{:?}", query);
        }
    }
}

#[test]
fn the_index_finds_a_customer_by_the_reference_it_carries_in_any_field_case() {
    let text = r#"[
        {"CNO": 7, "CNAME": "Sara", "rmk": "gid://shopify/Customer/1"},
        {"CNO": 8, "CNAME": "Omar", "RMK": ""},
        {"CNO": 9, "CNAME": "Mona"}
    ]"#;
    let mut index = index_customer_rows(text, "RMK").unwrap();
    assert_eq!(
        index.find_reference("gid://shopify/Customer/1"),
        Some(vec!["7".to_owned()])
    );
    assert_eq!(index.find_reference(""), None);
    // An update of the customer keeps its reference; a new reference replaces the old.
    index.insert("7", [Some("Sara Ali"), None], Some("01001234567"), None);
    assert_eq!(
        index.find_reference("gid://shopify/Customer/1"),
        Some(vec!["7".to_owned()])
    );
    index.set_reference("9", "gid://shopify/Customer/3");
    assert_eq!(
        index.find_reference("gid://shopify/Customer/3"),
        Some(vec!["9".to_owned()])
    );
    // A reference never matches as a phone, e-mail or name, nor they as a reference.
    assert_eq!(index.find_reference("Sara Ali"), None);
    let wrapped = format!("{{\"data\": {text}}}");
    let index = index_customer_rows(&wrapped, "rmk").unwrap();
    assert_eq!(
        index.find_reference("gid://shopify/Customer/1"),
        Some(vec!["7".to_owned()])
    );
    let none = index_customer_rows(text, "").unwrap();
    assert_eq!(none.find_reference("gid://shopify/Customer/1"), None);
}
