//! What operators get: HEP capture encoding for Homer, quality bands, call-record shapes.
//! Pure code; the runtime does the sending and storing.

pub mod hep;
pub mod quality;
