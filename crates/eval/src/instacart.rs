//! The Instacart sample: each user's prior orders as shopper histories.

use std::collections::{BTreeMap, HashMap};

use anyhow::Result;
use daogou_catalog::{EventKind, HistoryEvent};

/// Histories of the Instacart sample: each user's prior orders as "bought" events, with
/// timestamps rebuilt from `days_since_prior_order` (first order at day 0).
pub fn instacart_histories(
    orders_csv: impl std::io::Read,
    order_products_csv: impl std::io::Read,
) -> Result<BTreeMap<String, Vec<HistoryEvent>>> {
    let mut order_time: HashMap<String, (String, i64)> = HashMap::new();
    let mut per_user: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
    let mut rows = csv::Reader::from_reader(orders_csv);
    let mut orders: Vec<(String, i64, String, f64)> = Vec::new();
    for row in rows.records() {
        let row = row?;
        let field = |i: usize| row.get(i).unwrap_or("").to_string();
        let number: i64 = field(3).parse().unwrap_or(0);
        let gap: f64 = field(6).parse().unwrap_or(0.0);
        orders.push((field(1), number, field(0), gap));
    }
    orders.sort_by(|a, b| (a.0.as_str(), a.1).cmp(&(b.0.as_str(), b.1)));
    let mut clock: HashMap<String, f64> = HashMap::new();
    for (user, _, order, gap) in orders {
        let day = clock.entry(user.clone()).or_insert(-gap);
        *day += gap;
        order_time.insert(order, (user, (*day * 86_400.0) as i64));
    }
    let mut rows = csv::Reader::from_reader(order_products_csv);
    for row in rows.records() {
        let row = row?;
        let (Some(order), Some(product)) = (row.get(0), row.get(1)) else {
            continue;
        };
        if let Some((user, ts)) = order_time.get(order) {
            per_user
                .entry(user.clone())
                .or_default()
                .push((*ts, product.to_string()));
        }
    }
    Ok(per_user
        .into_iter()
        .map(|(user, mut bought)| {
            bought.sort();
            let events = bought
                .into_iter()
                .map(|(timestamp, product_id)| HistoryEvent {
                    timestamp,
                    kind: EventKind::Bought,
                    product_id: Some(product_id),
                    query: None,
                    rating: None,
                })
                .collect();
            (user, events)
        })
        .collect())
}
