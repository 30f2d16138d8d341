//! Bearer tokens: none or a wrong one → 401 (problem+json, WWW-Authenticate); the participant
//! token reads but cannot manage → 403; /healthz, /metrics and the OpenAPI document are open.

use crate::support;

use reqwest::{Method, StatusCode};
use serde_json::json;
use support::api::{Api, TempDb, PARTICIPANT_TOKEN};

#[tokio::test]
async fn tokens_and_access_levels() {
    let db = TempDb::new("auth");
    let api = Api::start(&db.0).await;

    let res = api
        .http
        .get(api.url("/api/v1/meetings"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    assert!(res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    let p: serde_json::Value = res.json().await.unwrap();
    assert_eq!(p["status"], 401);
    assert_eq!(p["type"], "/problems/unauthorized");

    let (s, _) = api
        .call_as(
            "not-the-token-at-all",
            Method::GET,
            "/api/v1/meetings",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Participant token: reads work…
    let (s, v) = api
        .call_as(
            PARTICIPANT_TOKEN,
            Method::GET,
            "/api/v1/meetings/1000",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // …managing does not, and changes nothing.
    let (s, v) = api
        .call_as(
            PARTICIPANT_TOKEN,
            Method::PUT,
            "/api/v1/meetings/1000/breakouts",
            Some(json!({"count": 2})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["status"], 403);
    let (s, _) = api.get("/api/v1/meetings/1000/breakouts").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "no breakouts were created");

    // The host token manages.
    let (s, v) = api
        .put("/api/v1/meetings/1000/breakouts", json!({"count": 2}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // Open endpoints.
    for path in ["/healthz", "/metrics", "/api/v1/openapi.json"] {
        let res = api.http.get(api.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
    }
    api.stop().await;
}
