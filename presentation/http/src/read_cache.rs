//! Conditional and cached answers for the derived views (heatmap, coverage, dashboard,
//! metrics, catalog lists and details). A view's tag comes from the application
//! (`ReadModelService::tag`): it moves with every change to the view's inputs, committed by
//! any instance, and with time. A client that holds the current tag gets 304 without any
//! work; otherwise the view is served from the serialized body computed at that tag, or
//! computed once (one request per view fills it while the others wait for it).

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use actix_web::http::header::{self, HttpDate};
use actix_web::{HttpRequest, HttpResponse};
use bytes::Bytes;
use serde::Serialize;

use aegis_application::context::Actor;
use aegis_application::read_models::ViewTag;

use crate::problem::ApiError;

/// Views kept at most (each organization, role and URL is one).
const MAX_VIEWS: usize = 1024;
/// Bytes of serialized views kept at most.
const MAX_BYTES: usize = 64 * 1024 * 1024;

/// The serialized views, shared by the workers of one instance.
#[derive(Default)]
pub struct ReadCache {
    views: Mutex<HashMap<Key, Arc<Slot>>>,
    clock: AtomicU64,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    tenant: uuid::Uuid,
    role: &'static str,
    /// Path and query string, as the client wrote them.
    target: String,
}

#[derive(Default)]
struct Slot {
    body: Mutex<Option<Body>>,
    /// Held by the one request computing the view.
    filling: tokio::sync::Mutex<()>,
    used: AtomicU64,
}

#[derive(Clone)]
struct Body {
    tag: String,
    bytes: Bytes,
}

impl Slot {
    fn at(&self, tag: &str) -> Option<Bytes> {
        let body = self.body.lock().unwrap_or_else(PoisonError::into_inner);
        body.as_ref()
            .filter(|body| body.tag == tag)
            .map(|body| body.bytes.clone())
    }

    fn size(&self) -> usize {
        self.body
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map_or(0, |body| body.bytes.len())
    }
}

impl ReadCache {
    pub fn new() -> Self {
        Self::default()
    }

    fn slot(&self, key: Key) -> Arc<Slot> {
        let tick = self.clock.fetch_add(1, Ordering::Relaxed);
        let mut views = self.views.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = views.get(&key) {
            slot.used.store(tick, Ordering::Relaxed);
            return slot.clone();
        }
        evict(&mut views);
        let slot = Arc::new(Slot::default());
        slot.used.store(tick, Ordering::Relaxed);
        views.insert(key, slot.clone());
        slot
    }
}

/// Makes room for one more view: the least recently used go first.
fn evict(views: &mut HashMap<Key, Arc<Slot>>) {
    let mut bytes: usize = views.values().map(|slot| slot.size()).sum();
    while !views.is_empty() && (views.len() >= MAX_VIEWS || bytes > MAX_BYTES) {
        let Some(oldest) = views
            .iter()
            .min_by_key(|(_, slot)| slot.used.load(Ordering::Relaxed))
            .map(|(key, _)| key.clone())
        else {
            break;
        };
        if let Some(slot) = views.remove(&oldest) {
            bytes = bytes.saturating_sub(slot.size());
        }
    }
}

/// Whether the client's copy is the current one: `If-None-Match` names the tag (weak
/// comparison, `*` for any), or, without it, `If-Modified-Since` is not before the view's
/// last change.
fn client_is_current(request: &HttpRequest, tag: &ViewTag) -> bool {
    let headers = request.headers();
    if let Some(candidates) = headers.get(header::IF_NONE_MATCH) {
        let Ok(candidates) = candidates.to_str() else {
            return false;
        };
        return candidates.split(',').map(str::trim).any(|candidate| {
            candidate == "*"
                || candidate
                    .trim_start_matches("W/")
                    .trim_matches('"')
                    .eq(tag.tag.as_str())
        });
    }
    let (Some(since), Some(modified)) = (headers.get(header::IF_MODIFIED_SINCE), tag.last_modified)
    else {
        return false;
    };
    since
        .to_str()
        .ok()
        .and_then(|text| text.parse::<HttpDate>().ok())
        .is_some_and(|since| SystemTime::from(modified) <= SystemTime::from(since))
}

fn validators(response: &mut actix_web::HttpResponseBuilder, tag: &ViewTag) {
    response
        .insert_header((header::ETAG, format!("W/\"{}\"", tag.tag)))
        // A browser keeps the answer but asks again each time, with the tag.
        .insert_header((header::CACHE_CONTROL, "private, no-cache"));
    if let Some(modified) = tag.last_modified {
        response.insert_header((
            header::LAST_MODIFIED,
            HttpDate::from(SystemTime::from(modified)),
        ));
    }
}

fn fresh(tag: &ViewTag, bytes: Bytes) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    validators(&mut response, tag);
    response.content_type("application/json").body(bytes)
}

/// Answers a GET of a derived view at `tag`: 304 when the client holds it, else its body
/// computed by `compute` at most once per tag and instance.
///
/// # Errors
/// What `compute` fails with (never cached), or a serialization failure.
pub async fn answer<T, F, Fut>(
    request: &HttpRequest,
    cache: &ReadCache,
    actor: &Actor,
    tag: ViewTag,
    compute: F,
) -> Result<HttpResponse, ApiError>
where
    T: Serialize,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    // A tag names one URL's view: the same versions under another query are another view.
    let uri = request.uri();
    let target = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), ToString::to_string);
    let mut hasher = std::hash::DefaultHasher::new();
    std::hash::Hash::hash(&target, &mut hasher);
    let tag = ViewTag {
        tag: format!("{}-{:016x}", tag.tag, std::hash::Hasher::finish(&hasher)),
        last_modified: tag.last_modified,
    };
    if client_is_current(request, &tag) {
        let mut response = HttpResponse::NotModified();
        validators(&mut response, &tag);
        return Ok(response.finish());
    }
    let slot = cache.slot(Key {
        tenant: actor.tenant_id.as_uuid(),
        role: actor.role.as_str(),
        target,
    });
    if let Some(bytes) = slot.at(&tag.tag) {
        return Ok(fresh(&tag, bytes));
    }
    let _filling = slot.filling.lock().await;
    if let Some(bytes) = slot.at(&tag.tag) {
        return Ok(fresh(&tag, bytes));
    }
    let view = compute().await?;
    let bytes = Bytes::from(
        serde_json::to_vec(&view).map_err(|e| ApiError::internal(format!("serialize: {e}")))?,
    );
    *slot.body.lock().unwrap_or_else(PoisonError::into_inner) = Some(Body {
        tag: tag.tag.clone(),
        bytes: bytes.clone(),
    });
    Ok(fresh(&tag, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;
    use chrono::{TimeZone, Utc};

    fn tag() -> ViewTag {
        ViewTag {
            tag: "abc".to_owned(),
            last_modified: Utc.with_ymd_and_hms(2026, 12, 7, 5, 0, 0).single(),
        }
    }

    #[test]
    fn a_matching_tag_is_current_and_another_is_not() {
        let current = TestRequest::default()
            .insert_header((header::IF_NONE_MATCH, "\"x\", W/\"abc\""))
            .to_http_request();
        assert!(client_is_current(&current, &tag()));
        let other = TestRequest::default()
            .insert_header((header::IF_NONE_MATCH, "W/\"abd\""))
            .to_http_request();
        assert!(!client_is_current(&other, &tag()));
    }

    #[test]
    fn if_modified_since_counts_only_without_if_none_match() {
        let since = |date: &str| {
            TestRequest::default()
                .insert_header((header::IF_MODIFIED_SINCE, date))
                .to_http_request()
        };
        assert!(client_is_current(
            &since("Mon, 07 Dec 2026 05:00:00 GMT"),
            &tag()
        ));
        assert!(!client_is_current(
            &since("Mon, 07 Dec 2026 04:59:59 GMT"),
            &tag()
        ));
        let both = TestRequest::default()
            .insert_header((header::IF_MODIFIED_SINCE, "Mon, 07 Dec 2026 05:00:00 GMT"))
            .insert_header((header::IF_NONE_MATCH, "W/\"old\""))
            .to_http_request();
        assert!(!client_is_current(&both, &tag()));
    }

    #[test]
    fn the_least_recently_used_view_makes_room() {
        let cache = ReadCache::new();
        let key = |n: usize| Key {
            tenant: uuid::Uuid::nil(),
            role: "admin",
            target: format!("/v{n}"),
        };
        for n in 0..=MAX_VIEWS {
            cache.slot(key(n));
        }
        let views = cache.views.lock().unwrap_or_else(PoisonError::into_inner);
        assert_eq!(views.len(), MAX_VIEWS);
        assert!(!views.contains_key(&key(0)));
        assert!(views.contains_key(&key(MAX_VIEWS)));
    }
}
