//! With no token configured, one is generated at first start, stored, and the same one is in
//! force after a restart; it authenticates, and nothing else does.

use crate::support;

use reqwest::StatusCode;
use roomgate::runtime::TokenSource;
use support::api::{config, Api, TempDb};

#[tokio::test]
async fn generated_once_then_stored() {
    let db = TempDb::new("token");
    let mut c = config(&db.0);
    c.api.token = None;
    c.api.participant_token = None;

    let api = Api::start_with(c.clone()).await;
    assert_eq!(api.server.token_source(), TokenSource::Generated);
    let token = api.token.clone();
    assert!(token.len() >= 32, "a long random token: {token}");
    let (s, _) = api.get("/api/v1/meetings").await;
    assert_eq!(s, StatusCode::OK);
    api.stop().await;

    let api = Api::start_with(c.clone()).await;
    assert_eq!(api.server.token_source(), TokenSource::Stored);
    assert_eq!(api.token, token);
    api.stop().await;

    // A configured token wins over the stored one; the stored one no longer works.
    c.api.token = Some("configured-token-0123456789".into());
    let api = Api::start_with(c).await;
    assert_eq!(api.server.token_source(), TokenSource::Configured);
    let (s, _) = api
        .call_as(&token, reqwest::Method::GET, "/api/v1/meetings", None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    api.stop().await;
}
