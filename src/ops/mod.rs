//! What operators get: the live book of call legs and their call records, quality bands, the
//! Prometheus metrics, HEP capture encoding for Homer. Pure code; the runtime does the
//! sending and storing.

pub mod hep;
pub mod legs;
pub mod metrics;
pub mod quality;
pub mod sipwire;
pub mod table;
