//! The `daogou` binary as operators run it for shoppers: `serve` on 127.0.0.1 with its
//! output captured ([`privacy`]: nothing personal in the logs) and the faults it must
//! survive ([`faults`]), and servers sharing a PostgreSQL catalog ([`shared_catalog`]).

mod faults;
#[path = "../../../catalog/tests/catalog/pg_cluster.rs"]
mod pg_cluster;
mod privacy;
mod shared_catalog;
mod support;
