//! Configuration (TOML + CLI flags).
