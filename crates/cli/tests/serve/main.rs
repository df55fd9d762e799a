//! The `daogou` binary as operators run it for shoppers: `serve` on 127.0.0.1 with its
//! output captured ([`privacy`]: nothing personal in the logs) and the faults it must
//! survive ([`faults`]).

mod faults;
mod privacy;
mod support;
