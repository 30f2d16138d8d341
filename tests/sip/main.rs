//! SIP: the codec (RFC 4475 torture messages, fuzz smoke), transactions and dialogs in
//! simulated time over a lossy in-process link (`sim`), the engine in simulated time
//! (`engine_sim_*`), and the wire: RFC 4475 messages sent to a running `roomgate serve`.
//!
//! One test binary per family (each binary links the whole crate); shared helpers are in
//! `tests/support/`, helpers of this family only beside its tests.

#[path = "../support/mod.rs"]
mod support;

mod sim;

mod codec_rfc4475;
mod dialog_2xx_retransmit_until_ack;
mod dialog_bye_after_no_ack;
mod dialog_cancel_487;
mod dialog_dial_out;
mod dialog_dial_out_proxy_auth;
mod dialog_glare_491;
mod dialog_identity_update_one_in_flight;
mod dialog_reinvite_hold_resume;
mod dialog_session_expiry;
mod dialog_session_refresh;
mod engine_sim_cancel_while_ringing;
mod engine_sim_move_keeps_dialog;
mod engine_sim_one_leg_update_per_change;
mod txn_invite_final_retransmit;
mod txn_non_invite_client_timeout;
mod txn_random_input_never_panics;
mod txn_reorder_duplicate;
mod txn_tcp_no_retransmit;
mod wire_invite_body_refused;
mod wire_rfc4475;
