//! The web console: a few static files (HTML, CSS, plain JavaScript modules) compiled into the
//! binary and served at `/console/`. No build step, no framework, no server-side state: the
//! pages ask for the API token once, keep it in `sessionStorage`, and drive the same public
//! `/api/v1` routes and WebSocket streams as every other client. See docs/console.md.
//!
//! The routes sit outside `/api/v1` and need no token (the files hold no data).

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

use super::Problem;

/// `(name, content type, bytes)` of every file the console serves.
const FILES: &[(&str, &str, &str)] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_str!("index.html"),
    ),
    (
        "console.css",
        "text/css; charset=utf-8",
        include_str!("console.css"),
    ),
    (
        "api.js",
        "text/javascript; charset=utf-8",
        include_str!("api.js"),
    ),
    (
        "main.js",
        "text/javascript; charset=utf-8",
        include_str!("main.js"),
    ),
    (
        "host.js",
        "text/javascript; charset=utf-8",
        include_str!("host.js"),
    ),
    (
        "ops.js",
        "text/javascript; charset=utf-8",
        include_str!("ops.js"),
    ),
];

/// The console's routes, merged into the application router by [`super::router`].
pub fn router() -> Router {
    Router::new()
        .route(
            "/console",
            get(|| async { Redirect::permanent("/console/") }),
        )
        .route("/console/", get(|| file("index.html")))
        .route(
            "/console/{name}",
            get(|Path(name): Path<String>| file(name)),
        )
}

async fn file(name: impl AsRef<str>) -> Response {
    let name = name.as_ref();
    match FILES.iter().find(|(n, _, _)| *n == name) {
        Some((_, mime, body)) => (
            [
                (header::CONTENT_TYPE, *mime),
                // The files change only with the binary; a reload after an upgrade must not
                // mix old and new modules.
                (header::CACHE_CONTROL, "no-cache"),
            ],
            *body,
        )
            .into_response(),
        None => Problem::new(
            StatusCode::NOT_FOUND,
            "no-such-route",
            format!("the console has no file {name:?}"),
        )
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_the_pages_import_is_served() {
        // A module named in an `import … from "./x.js"` or a `<script src>` but missing from
        // FILES would only fail in a browser; catch it here.
        for (_, _, body) in FILES {
            for part in body
                .split("./")
                .skip(1)
                .chain(body.split("/console/").skip(1))
            {
                let Some(end) = part.find(['"', '\'']) else {
                    continue;
                };
                let name = &part[..end];
                if name.ends_with(".js") || name.ends_with(".css") {
                    assert!(
                        FILES.iter().any(|(n, _, _)| *n == name),
                        "{name} is referenced but not served"
                    );
                }
            }
        }
    }

    #[tokio::test]
    async fn unknown_files_are_problems() {
        let res = file("../Cargo.toml").await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let res = file("host.js").await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
    }
}
