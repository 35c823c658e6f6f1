//! A web checkout never takes over ERP master data it does not own: a storefront customer is
//! linked to an ERP customer only on a verified identity (the storefront id the ERP customer
//! carries, or a rule the operator chose); a match by phone or e-mail alone is reported.

mod common;

use common::*;
use sync_core::connector::ContactMatch;
use sync_core::model::*;

/// An ERP customer that was there before the shop: its own name, e-mail, phone and address.
fn flow_customer(phone: Option<&str>, email: Option<&str>) -> Customer {
    Customer {
        external_id: CustomerId::default(),
        email: email.map(str::to_owned),
        phone: phone.map(str::to_owned),
        first_name: Some("Hassan".to_owned()),
        last_name: Some("Kamel".to_owned()),
        addresses: vec![],
        updated_at: t(0),
    }
}

fn bytes(world: &World, number: &str) -> String {
    let customers = world.erp.customers();
    let (_, customer) = customers
        .iter()
        .find(|(n, _)| n == number)
        .expect("the ERP customer is still there");
    serde_json::to_string(customer).unwrap()
}

/// A shopper whose checkout phone (or, separately, e-mail) equals an existing ERP customer's:
/// that customer stays byte-for-byte unchanged and gets no order; a new ERP customer is
/// created and booked to; the match is listed for an operator.
#[tokio::test]
async fn a_checkout_matching_an_erp_customer_by_phone_or_email_leaves_it_unchanged() {
    for by in ["phone", "email"] {
        let world = world();
        let existing = match by {
            "phone" => flow_customer(Some("01001234567"), Some("hassan@example.com")),
            _ => flow_customer(Some("01112223334"), Some("c1@example.com")),
        };
        world.erp.add_customer("F-500", existing);
        let before = bytes(&world, "F-500");

        let mut placed = order(1, "A-RED", 1, 100);
        let shopper = placed.customer.as_mut().unwrap();
        if by == "phone" {
            shopper.phone = Some("01001234567".to_owned());
        }
        shopper.first_name = Some("Someone".to_owned());
        shopper.last_name = Some("Else".to_owned());
        world.shop.put_order(placed.clone());
        let engine = engine(&world, sqlite().await, "w1");
        let summary = engine.run_once().await.unwrap();

        assert_eq!(summary.orders_imported, 1, "{by}: {summary:?}");
        assert_eq!(summary.dead_letters, 0);
        assert_eq!(
            bytes(&world, "F-500"),
            before,
            "{by}: the ERP customer changed"
        );
        let bookings = world.erp.bookings();
        assert_eq!(bookings.len(), 1);
        let booked = bookings[0].1.clone().expect("booked to a customer");
        assert_ne!(
            booked, "F-500",
            "{by}: the order was booked to the matched customer"
        );
        assert_eq!(world.erp.customers().len(), 2, "a new ERP customer");
        assert_eq!(
            engine.customer_matches().await.unwrap(),
            vec![sync_core::connector::UnverifiedMatch {
                storefront_id: placed.customer.as_ref().unwrap().external_id.clone(),
                created: booked.clone(),
                matched: ContactMatch {
                    by: by.to_owned(),
                    numbers: vec!["F-500".into()],
                },
            }],
            "{by}"
        );

        // The shopper changes: its own ERP customer is updated, the matched one still not.
        let mut changed = placed.clone();
        changed.external_id = "gid://shop/Order/2".into();
        changed.name = "#1002".to_owned();
        let shopper = changed.customer.as_mut().unwrap();
        shopper.last_name = Some("Changed".to_owned());
        shopper.updated_at = t(30);
        world.shop.put_order(changed);
        engine.run_once().await.unwrap();
        assert_eq!(bytes(&world, "F-500"), before, "{by}: changed on update");
        assert_eq!(world.erp.customers().len(), 2);
        assert!(
            world
                .erp
                .bookings()
                .iter()
                .all(|(_, c)| c.as_ref().map(ErpCustomerNo::as_str) == Some(booked.as_str()))
        );
    }
}

/// A customer created in the ERP is found again by the storefront id it carries: a lost
/// state store (or a run stopped between creating the customer and recording it) creates no
/// second ERP customer, and no contact match is reported for it.
#[tokio::test]
async fn a_customer_created_before_a_lost_state_store_is_found_by_its_storefront_id() {
    let world = world();
    let first = order(1, "A-RED", 1, 100);
    world.shop.put_order(first.clone());
    let one = engine(&world, sqlite().await, "w1");
    one.run_once().await.unwrap();
    assert_eq!(world.erp.customers().len(), 1);

    let mut second = order(2, "A-RED", 1, 100);
    second.customer = first.customer.clone();
    world.shop.put_order(second);
    let two = engine(&world, sqlite().await, "w2");
    let summary = two.run_once().await.unwrap();
    assert_eq!(summary.orders_imported, 1, "{summary:?}");
    assert_eq!(world.erp.customers().len(), 1, "a second ERP customer");
    let bookings = world.erp.bookings();
    assert_eq!(bookings.len(), 2);
    assert_eq!(bookings[0].1, bookings[1].1);
    assert!(two.customer_matches().await.unwrap().is_empty());
}

/// An operator who trusts the storefront's e-mail (say, accounts that log in by an e-mailed
/// code) may opt in to linking by it: the order is booked to the existing ERP customer, whose
/// master data is still never overwritten, not even when the shopper changes.
#[tokio::test]
async fn an_operator_rule_links_by_email_and_still_never_overwrites() {
    let world = world();
    world.erp.link_customers_by(&["email"]);
    world.erp.add_customer(
        "F-500",
        flow_customer(Some("01112223334"), Some("c1@example.com")),
    );
    let before = bytes(&world, "F-500");
    let placed = order(1, "A-RED", 1, 100);
    world.shop.put_order(placed.clone());
    let engine = engine(&world, sqlite().await, "w1");
    engine.run_once().await.unwrap();
    assert_eq!(
        world.erp.bookings()[0]
            .1
            .as_ref()
            .map(ErpCustomerNo::as_str),
        Some("F-500")
    );

    let mut changed = order(2, "A-RED", 1, 100);
    changed.customer = placed.customer.clone();
    let shopper = changed.customer.as_mut().unwrap();
    shopper.last_name = Some("Changed".to_owned());
    shopper.updated_at = t(30);
    world.shop.put_order(changed);
    engine.run_once().await.unwrap();
    assert_eq!(
        bytes(&world, "F-500"),
        before,
        "a linked customer was overwritten"
    );
    assert_eq!(world.erp.customers().len(), 1, "no customer created");
    assert!(
        world
            .erp
            .bookings()
            .iter()
            .all(|(_, c)| c.as_ref().map(ErpCustomerNo::as_str) == Some("F-500"))
    );
    assert!(engine.customer_matches().await.unwrap().is_empty());
}

/// A shopper's first orders (and their customer change) arrive together (a webhook burst, a
/// backfill): several order jobs, and the customer job, reach the same new customer at once,
/// in one worker and across two workers on one store. The ERP gets that customer once, and every
/// order is booked to it.
#[tokio::test]
async fn one_new_customer_met_by_concurrent_jobs_is_created_in_the_erp_once() {
    for workers in [1, 2] {
        let world = world();
        let first = order(1, "A-RED", 1, 100);
        let shopper = first.customer.clone().expect("the order has a customer");
        let orders: Vec<Order> = (1..=8)
            .map(|n| {
                let mut placed = order(n, "A-RED", 1, 100);
                placed.customer = Some(shopper.clone());
                placed
            })
            .collect();
        for placed in &orders {
            world.shop.put_order(placed.clone());
        }
        // Every second run also lists the customer itself, read by the customers flow
        // (another worker's pass may be in that flow while this one imports orders).
        if workers == 2 {
            world.shop.put_customer(shopper.clone());
        }

        let store = sqlite().await;
        let engines: Vec<_> = (0..workers)
            .map(|w| engine(&world, store.clone(), &format!("w{w}")))
            .collect();
        let passes = engines.iter().map(|e| e.run_once());
        for result in futures::future::join_all(passes).await {
            result.expect("a pass");
        }

        let created: Vec<_> = world
            .erp
            .customers()
            .into_iter()
            .filter(|(_, c)| c.external_id == shopper.external_id)
            .collect();
        assert_eq!(
            created.len(),
            1,
            "{workers} worker(s): the shopper is in the ERP {} times",
            created.len()
        );
        assert_each_order_once(&world, &orders);
        let bookings = world.erp.bookings();
        assert_eq!(bookings.len(), orders.len(), "{workers} worker(s)");
        assert!(
            bookings
                .iter()
                .all(|(_, c)| c.as_ref() == Some(&created[0].0)),
            "{workers} worker(s): an order booked to another customer: {bookings:?}"
        );
    }
}
