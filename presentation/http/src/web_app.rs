//! The web UI: the single-page app built by `presentation/web` (`npm run build`), served from
//! its `dist` folder. Release builds carry the files inside the binary; debug builds read them
//! from disk on each request, so a rebuilt UI shows without recompiling the server.

use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse};
use rust_embed::Embed;

use crate::problem::ApiError;

#[derive(Embed)]
#[folder = "$AEGIS_WEB_DIST"]
#[allow_missing = true]
struct WebAssets;

const INDEX: &str = "index.html";
/// Vite names every file under `assets/` after its content hash, so a cached copy never goes
/// stale.
const HASHED_ASSETS: &str = "assets/";
const YEAR_IN_SECONDS: u32 = 365 * 24 * 60 * 60;

/// Whether a request is for the web UI rather than the API, the API documentation or the
/// operational endpoints: the paths that answer with pages (and so take the page security
/// policy). `/docs` stays out even when Swagger UI is off, so that it is a plain 404 then.
pub fn is_page(path: &str) -> bool {
    !(path.starts_with("/api/")
        || path == "/api"
        || path.starts_with("/docs")
        || path == "/health"
        || path == "/ready"
        || path == "/metrics")
}

/// Serves a built asset, or the app's `index.html` for any other page path so that the app's
/// own router handles it; API paths that matched nothing stay a problem+json 404.
pub async fn serve(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    let path = request.path();
    if !is_page(path) {
        return Err(ApiError::not_found());
    }
    let relative = path.trim_start_matches('/');
    if let Some(asset) = (!relative.is_empty())
        .then(|| WebAssets::get(relative))
        .flatten()
    {
        let caching = if relative.starts_with(HASHED_ASSETS) {
            vec![
                CacheDirective::Public,
                CacheDirective::MaxAge(YEAR_IN_SECONDS),
                CacheDirective::Extension("immutable".to_owned(), None),
            ]
        } else {
            vec![CacheDirective::NoCache]
        };
        return Ok(HttpResponse::Ok()
            .content_type(asset.metadata.mimetype())
            .insert_header(CacheControl(caching))
            .body(asset.data.into_owned()));
    }
    // A missing file is a broken link, not an app route.
    if relative.starts_with(HASHED_ASSETS) || has_extension(relative) {
        return Err(ApiError::not_found());
    }
    match WebAssets::get(INDEX) {
        Some(index) => Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header(CacheControl(vec![CacheDirective::NoCache]))
            .insert_header((header::VARY, "Accept-Encoding"))
            .body(index.data.into_owned())),
        None => Ok(not_built()),
    }
}

/// Extensions of the files a build holds. App routes may hold dots too (`/techniques/T1059.001`),
/// so only these mark a path as a file.
const FILE_EXTENSIONS: [&str; 11] = [
    "js",
    "css",
    "map",
    "svg",
    "png",
    "ico",
    "json",
    "txt",
    "woff",
    "woff2",
    "webmanifest",
];

fn has_extension(relative: &str) -> bool {
    relative
        .rsplit_once('.')
        .is_some_and(|(_, extension)| FILE_EXTENSIONS.contains(&extension))
}

/// What a server built without the UI answers: how to build it, and where the API is.
fn not_built() -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .content_type("text/html; charset=utf-8")
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .body(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Aegis</title></head>\
             <body style=\"font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto\">\
             <h1>Aegis</h1><p>The web UI has not been built into this server. Build it with \
             <code>npm ci &amp;&amp; npm run build</code> in <code>presentation/web</code> (or start \
             Aegis with <code>./scripts/run.sh</code>, which does both).</p>\
             <p>The API is at <a href=\"/api/v1/openapi.json\">/api/v1</a>.</p></body></html>",
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_and_probe_paths_are_not_pages() {
        assert!(is_page("/"));
        assert!(is_page("/tests/1234"));
        assert!(is_page("/assets/index-abc.js"));
        assert!(!is_page("/api/v1/nothing"));
        assert!(!is_page("/health"));
        assert!(!is_page("/docs/"));
    }

    #[test]
    fn file_names_with_a_dot_are_files() {
        assert!(has_extension("favicon.ico"));
        assert!(has_extension("a/b/logo.svg"));
        assert!(!has_extension("techniques/T1059"));
        assert!(!has_extension("techniques/T1059.001"));
    }
}
