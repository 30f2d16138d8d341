//! The sans-IO gateway: composes SIP, calls, meetings and media.
