//! The documents of refunds: a return of the sale's lines, or a credit for a refund that
//! returns no item (see `operations.credit`).

use rust_decimal::Decimal;
use sync_core::connector::{ConnectorError, ConnectorResult};
use sync_core::model::{self, ErpCustomerNo, ErpDocumentRef, Order, Refund};

use super::{FlowErp, connector};
use crate::documents::{DocumentLine, PaymentKind, SalesDocument};

impl FlowErp {
    /// Builds the return document of `refund` (nothing is sent).
    ///
    /// # Errors
    ///
    /// As [`FlowErp::sales_document`].
    pub async fn return_document(
        &self,
        order: &Order,
        refund: &Refund,
        sale: &ErpDocumentRef,
        customer: Option<&ErpCustomerNo>,
    ) -> ConnectorResult<SalesDocument> {
        let config = self.client.config();
        if !refund.returns_items()
            && let (Some(op), Some(item), Some(credit)) = (
                &config.operations.credit,
                &config.adapter.credit_item,
                refund.credit(order),
            )
        {
            return self
                .credit_document(order, refund, &credit, op, item, customer)
                .await;
        }
        let op = config.operations.refund.clone();
        let mut doc = SalesDocument::new(
            op.clone(),
            self.return_reference(order, refund),
            self.date_of(refund.created_at),
            self.party(order, self.customer_number(customer)?),
        );
        for line in &refund.lines {
            if line.quantity <= Decimal::ZERO {
                continue;
            }
            let sku = line.sku.clone().or_else(|| {
                order
                    .lines
                    .iter()
                    .find(|l| l.line_id == line.line_id)
                    .and_then(|l| l.sku.clone())
            });
            let Some(sku) = sku else {
                return Err(ConnectorError::permanent(format!(
                    "refund {}: line {} has no SKU",
                    refund.external_id, line.line_id
                )));
            };
            let target = self.resolve_sku(sku.as_str()).await?;
            let net = if order.taxes_included {
                line.amount - line.tax
            } else {
                line.amount
            };
            let rate = if net.is_zero() {
                Decimal::ZERO
            } else {
                (line.tax / net).round_dp(4)
            };
            let gross_unit = (net + line.tax) / line.quantity;
            let net_unit = net / line.quantity;
            let price = if config.adapter.erp_prices_include_vat {
                gross_unit
            } else {
                net_unit
            };
            let mut l = DocumentLine::new(target.item, line.quantity, price.round_dp(4));
            l.vat_percent = (rate * Decimal::ONE_HUNDRED).normalize();
            l.colour = target.colour;
            l.size = target.size;
            doc.lines.push(l);
        }
        if doc.lines.is_empty() {
            // A refund of shipping or of money alone (goodwill) reverses no item of the sale,
            // and a return document needs one (its lines come from the source document).
            // How a tenant books such a credit is its own choice: said, not guessed.
            return Err(ConnectorError::permanent(format!(
                "refund {} of {} returns no item ({} refunded, {} of it shipping): a Flow \
                 return needs item lines of the sale; set flow.operations.credit and \
                 flow.adapter.credit_item to book such refunds as a credit, or book this \
                 credit in Flow and its ETA return receipt by hand, then dismiss this job",
                refund.external_id,
                order.name,
                refund.total.round_dp(2),
                refund.shipping.round_dp(2)
            )));
        }
        doc.shipping = refund.shipping;
        doc.payment = Some(PaymentKind::Cash);
        doc.remark = Some(format!(
            "Shopify refund {} of {}",
            refund.external_id, order.name
        ));
        let op_config = self.client.operation_config(&op).await.map_err(connector)?;
        if op_config.source_op.is_some() {
            doc.source_document = Some(sale.number.to_string());
        }
        Ok(doc)
    }

    /// The credit document of a refund that returns no item: operation `op` (no source
    /// document), one line of the service item `item` for the shipping refunded and one per
    /// VAT rate of the goodwill ([`Refund::credit`]).
    pub(super) async fn credit_document(
        &self,
        order: &Order,
        refund: &Refund,
        credit: &model::Credit,
        op: &str,
        item: &str,
        customer: Option<&ErpCustomerNo>,
    ) -> ConnectorResult<SalesDocument> {
        let op_config = self.client.operation_config(op).await.map_err(connector)?;
        if let Some(source) = op_config.source_op {
            return Err(ConnectorError::permanent(format!(
                "flow.operations.credit: operation {op} takes a source document ({source}); a \
                 credit without returned items needs an operation without one (SRCDOC -1)"
            )));
        }
        let target = self.resolve_sku(item).await.map_err(|_| {
            ConnectorError::needs_mapping(
                format!("sku:{item}"),
                format!("flow.adapter.credit_item {item} is not a Flow item"),
            )
        })?;
        let config = self.client.config();
        let mut doc = SalesDocument::new(
            op.to_owned(),
            self.return_reference(order, refund),
            self.date_of(refund.created_at),
            self.party(order, self.customer_number(customer)?),
        );
        let shipping = (!credit.shipping.is_zero()).then_some((
            "Shipping refund",
            credit.shipping,
            credit.shipping_rate,
        ));
        let goodwill = credit
            .goodwill
            .iter()
            .map(|p| ("Goodwill credit", p.amount, p.rate));
        for (what, gross, rate) in shipping.into_iter().chain(goodwill) {
            let price = if config.adapter.erp_prices_include_vat {
                gross
            } else {
                gross / (Decimal::ONE + rate)
            };
            let mut l = DocumentLine::new(target.item.clone(), Decimal::ONE, price.round_dp(4));
            l.description = Some(format!("{what} of {}", order.name));
            l.vat_percent = (rate * Decimal::ONE_HUNDRED).normalize();
            doc.lines.push(l);
        }
        doc.payment = Some(PaymentKind::Cash);
        doc.remark = Some(format!(
            "Shopify refund {} of {} (no item returned)",
            refund.external_id, order.name
        ));
        Ok(doc)
    }
}
