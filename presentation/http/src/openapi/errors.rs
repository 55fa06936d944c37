//! The error responses of every operation, added in one pass over the document rather than
//! copied onto each handler.
//!
//! Most refusals do not come from a handler but from the way a request reaches it: the
//! authentication extractors (401, and 403 `PASSWORD_CHANGE_REQUIRED`), the CSRF middleware
//! (403 `CSRF_HEADER_MISSING`), the body, query and path extractors (400, 404, 413, 415, 422)
//! and the rate limiter of `/auth` (429). Those follow from an operation's shape (its security,
//! method, path parameters, body and query), so this pass derives them. What only the use case
//! knows (a role that may not act, a conflict, a lookup by a body field) stays declared on the
//! handler; this pass keeps those statuses and gives every error response the same body, an
//! `application/problem+json` [`Problem`](crate::problem::Problem).

use utoipa::Modify;
use utoipa::openapi::header::Header;
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::response::Response;
use utoipa::openapi::schema::{Object, Type};
use utoipa::openapi::{Content, Ref, RefOr};

/// The media type of every error body.
const PROBLEM_JSON: &str = "application/problem+json";

/// Operations open to a user who must still change their password: the ones that let them do
/// so (`PendingPasswordChange` in `crate::auth`).
const OPEN_BEFORE_PASSWORD_CHANGE: [(&str, &str); 3] = [
    ("get", "/api/v1/auth/me"),
    ("post", "/api/v1/auth/change-password"),
    ("post", "/api/v1/auth/logout"),
];

/// Signing in is the one change the CSRF check exempts (`crate::csrf`).
const LOGIN: &str = "/api/v1/auth/login";

/// Everything under it is rate limited per client address (`crate::rate_limit`).
const RATE_LIMITED_SCOPE: &str = "/api/v1/auth/";

/// Operations outside the API (health, readiness, Prometheus metrics) answer no problems.
const API_SCOPE: &str = "/api/v1/";

pub(super) struct ErrorResponses;

impl Modify for ErrorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in &mut openapi.paths.paths {
            for (method, operation) in operations(item) {
                let shape = Shape::of(path, method, operation);
                complete(operation, &shape);
            }
        }
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("get", item.get.as_mut()),
        ("put", item.put.as_mut()),
        ("post", item.post.as_mut()),
        ("delete", item.delete.as_mut()),
        ("patch", item.patch.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.map(|operation| (method, operation)))
}

/// What an operation's declaration says about how a request reaches its handler.
struct Shape {
    in_api: bool,
    authenticated: bool,
    open_before_password_change: bool,
    /// A change that a session cookie can authenticate, so the CSRF header is checked.
    csrf_checked: bool,
    path_parameters: bool,
    query_parameters: bool,
    /// Media types of the request body, if it takes one.
    body: Vec<String>,
    rate_limited: bool,
}

impl Shape {
    fn of(path: &str, method: &str, operation: &Operation) -> Self {
        let parameters = operation.parameters.as_deref().unwrap_or_default();
        let located = |location: ParameterIn| {
            parameters.iter().any(|parameter| match parameter {
                RefOr::T(parameter) => parameter.parameter_in == location,
                RefOr::Ref(_) => false,
            })
        };
        let body = match &operation.request_body {
            Some(RefOr::T(body)) => body.content.keys().cloned().collect(),
            _ => Vec::new(),
        };
        let authenticated = operation
            .security
            .as_ref()
            .is_some_and(|requirements| !requirements.is_empty());
        let in_api = path.starts_with(API_SCOPE);
        Self {
            in_api,
            authenticated,
            open_before_password_change: OPEN_BEFORE_PASSWORD_CHANGE.contains(&(method, path)),
            // The refresh token is a cookie too, so refreshing is checked although it takes
            // no access token.
            csrf_checked: in_api && method != "get" && path != LOGIN,
            path_parameters: located(ParameterIn::Path),
            query_parameters: located(ParameterIn::Query),
            body,
            rate_limited: path.starts_with(RATE_LIMITED_SCOPE),
        }
    }

    fn json_body(&self) -> bool {
        self.body.iter().any(|media| media == "application/json")
    }
}

/// Adds the statuses the shape implies, keeps the declared ones, and gives each error response
/// a problem body and a description naming its codes.
fn complete(operation: &mut Operation, shape: &Shape) {
    let responses = &mut operation.responses.responses;
    // OpenAPI requires a description on every response; handlers leave the obvious ones out.
    for (status, response) in responses.iter_mut() {
        if let RefOr::T(response) = response
            && response.description.is_empty()
            && !status.starts_with(['4', '5'])
        {
            response.description = success_description(status).to_owned();
        }
    }
    if !shape.in_api {
        return;
    }
    let declared = |status: &str| responses.contains_key(status);
    let mut add: Vec<(&str, String)> = Vec::new();

    let mut bad_request = Vec::new();
    if !shape.body.is_empty() {
        bad_request.push("`MALFORMED_JSON` or `UNREADABLE_BODY`: the body cannot be read");
    }
    if shape.query_parameters {
        bad_request.push("`INVALID_QUERY`: a query parameter is not of its type");
    }
    if !bad_request.is_empty() || declared("400") {
        add.push(("400", bad_request.join("; ")));
    }
    if shape.authenticated {
        add.push((
            "401",
            "`AUTHENTICATION_REQUIRED`, `INVALID_TOKEN`, `TOKEN_EXPIRED` or `TOKEN_REVOKED`: no \
             valid access token (bearer header or session cookie)"
                .to_owned(),
        ));
    } else if declared("401") {
        add.push(("401", String::new()));
    }
    let mut forbidden = Vec::new();
    if declared("403") {
        forbidden.push("`FORBIDDEN`: your role may not do this, or your API key lacks the scope");
    }
    if shape.authenticated && !shape.open_before_password_change {
        forbidden.push(
            "`PASSWORD_CHANGE_REQUIRED`: change your password first; `MFA_ENROLMENT_REQUIRED`: \
             set up the second factor your organization requires first; `TENANT_DISABLED`: \
             the platform operator has disabled your organization",
        );
    }
    if shape.csrf_checked {
        forbidden.push(
            "`CSRF_HEADER_MISSING`: a change authenticated by the session cookies without the \
             `X-Aegis-Request` header",
        );
    }
    if !forbidden.is_empty() {
        add.push(("403", forbidden.join("; ")));
    }
    if shape.path_parameters || declared("404") {
        add.push((
            "404",
            "`NOT_FOUND`: no such resource, or not one you may see".to_owned(),
        ));
    }
    if declared("409") {
        add.push(("409", String::new()));
    }
    // Something kept only for a retention period (a scan's diff) and deleted since.
    if declared("410") {
        add.push(("410", String::new()));
    }
    if !shape.body.is_empty() {
        add.push((
            "413",
            "`PAYLOAD_TOO_LARGE`: the body is over the limit".to_owned(),
        ));
        add.push((
            "415",
            format!("`UNSUPPORTED_MEDIA_TYPE`: send {}", shape.body.join(" or ")),
        ));
    }
    if shape.json_body() || declared("422") {
        add.push((
            "422",
            "`VALIDATION_FAILED` (or a more precise code): a field is missing or not valid; \
             `errors` names each one"
                .to_owned(),
        ));
    }
    if shape.rate_limited || declared("429") {
        add.push((
            "429",
            "`RATE_LIMITED`: too many requests from this address; retry after `Retry-After` \
             seconds"
                .to_owned(),
        ));
    }

    // A service Aegis calls on the request's behalf (an issue tracker) refused or was away.
    if declared("502") {
        add.push(("502", String::new()));
    }

    // Any operation that reaches the database or the evidence store can find it gone for a
    // moment (a restart, a failover); the client is told to retry rather than given a 500.
    add.push((
        "503",
        "`SERVICE_UNAVAILABLE`: the database or the evidence store cannot be reached for now; \
         retry after `Retry-After` seconds"
            .to_owned(),
    ));

    for (status, generic) in add {
        let description = match responses.get(status) {
            // A handler's own description is more precise than the generic one: keep it first.
            Some(RefOr::T(declared)) if !declared.description.is_empty() => {
                if generic.is_empty() {
                    declared.description.clone()
                } else {
                    format!("{}; {generic}", declared.description)
                }
            }
            _ if generic.is_empty() => default_description(status).to_owned(),
            _ => generic,
        };
        let mut response = problem_response(description);
        if status == "429" || status == "503" {
            response.headers.insert(
                "Retry-After".to_owned(),
                Header::new(Object::with_type(Type::Integer)).into(),
            );
        }
        responses.insert(status.to_owned(), RefOr::T(response));
    }
}

fn success_description(status: &str) -> &'static str {
    match status {
        "200" => "OK",
        "201" => "Created",
        "202" => "Accepted: the work is queued",
        "204" => "Done; no body",
        _ => "See the body",
    }
}

fn default_description(status: &str) -> &'static str {
    match status {
        "401" => "Not signed in",
        "409" => "`CONFLICT`: the resource's state or version does not allow it",
        "410" => "`GONE`: it existed and is no longer kept",
        "502" => "A service Aegis calls refused or could not be reached",
        _ => "Refused",
    }
}

fn problem_response(description: String) -> Response {
    let mut response = Response::new(description);
    response.content.insert(
        PROBLEM_JSON.to_owned(),
        RefOr::T(Content::new(Some(Ref::from_schema_name("Problem")))),
    );
    response
}

#[cfg(test)]
mod tests {
    use utoipa::OpenApi;
    use utoipa::openapi::RefOr;

    use super::{OPEN_BEFORE_PASSWORD_CHANGE, PROBLEM_JSON};

    /// Every operation of the document as (method, path, operation).
    fn operations(
        doc: &utoipa::openapi::OpenApi,
    ) -> Vec<(&'static str, String, utoipa::openapi::path::Operation)> {
        let mut all = Vec::new();
        for (path, item) in &doc.paths.paths {
            let methods = [
                ("get", &item.get),
                ("put", &item.put),
                ("post", &item.post),
                ("delete", &item.delete),
                ("patch", &item.patch),
            ];
            for (method, operation) in methods {
                if let Some(operation) = operation {
                    all.push((method, path.clone(), operation.clone()));
                }
            }
        }
        all
    }

    #[test]
    fn every_error_is_a_problem_document_and_every_session_can_end() {
        let doc = crate::openapi::ApiDoc::openapi();
        for (method, path, operation) in operations(&doc) {
            let responses = &operation.responses.responses;
            for (status, response) in responses {
                let RefOr::T(response) = response else {
                    panic!("{method} {path} {status} is a reference");
                };
                assert!(!response.description.is_empty(), "{method} {path} {status}");
                if status.starts_with('4') && path.starts_with("/api/") {
                    assert_eq!(
                        response.content.keys().collect::<Vec<_>>(),
                        [PROBLEM_JSON],
                        "{method} {path} {status}"
                    );
                }
            }
            // `/metrics` has its own scrape token, not a session: no password change applies.
            if operation.security.as_ref().is_some_and(|s| !s.is_empty())
                && path.starts_with("/api/")
            {
                assert!(responses.contains_key("401"), "{method} {path}");
                let pending = OPEN_BEFORE_PASSWORD_CHANGE.contains(&(method, path.as_str()));
                let forbidden = responses.get("403").map(|r| match r {
                    RefOr::T(r) => r.description.clone(),
                    RefOr::Ref(_) => String::new(),
                });
                assert_eq!(
                    forbidden
                        .as_deref()
                        .is_some_and(|d| d.contains("PASSWORD_CHANGE_REQUIRED")),
                    !pending,
                    "{method} {path}"
                );
            }
            let has_path_id = path.contains('{');
            if has_path_id && path.starts_with("/api/") {
                assert!(responses.contains_key("404"), "{method} {path}");
            }
        }
    }

    #[test]
    fn the_operations_open_before_a_password_change_exist() {
        let doc = crate::openapi::ApiDoc::openapi();
        let all = operations(&doc);
        for (method, path) in OPEN_BEFORE_PASSWORD_CHANGE {
            assert!(
                all.iter().any(|(m, p, _)| *m == method && p == path),
                "{method} {path} is not in the document"
            );
        }
    }
}
