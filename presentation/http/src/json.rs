//! Request bodies, queries and paths that cannot be read become 4xx problems, never 500s.

use actix_web::error::{JsonPayloadError, PathError, PayloadError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, web};

use aegis_application::error::FieldError;

use crate::problem::ApiError;

/// The field a serde message names in backticks (``missing field `email` ``), if any.
fn named_field(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let length = message[start..].find('`')?;
    Some(message[start..start + length].to_owned())
}

/// serde's message without the position it appends (`... at line 1 column 20`).
fn without_position(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    message
        .strip_suffix(&suffix)
        .map_or(message.clone(), str::to_owned)
}

/// A JSON body that is malformed (400) or of the wrong shape (422, naming the field: a
/// missing or unknown field by its name, a value of the wrong type or form by the name it
/// stands under when the body is at hand, else `body`).
pub fn body_error(error: &serde_json::Error) -> ApiError {
    body_error_in(error, None)
}

fn body_error_in(error: &serde_json::Error, body: Option<&[u8]>) -> ApiError {
    use serde_json::error::Category;
    match error.classify() {
        Category::Data => {
            let message = without_position(error);
            // The object or array the error was found in, as a path (`rule_results[0]`).
            let at = body.and_then(|body| path_at(body, error.line(), error.column()));
            let field = if message.starts_with("missing field") {
                // Detected at the end of the object that lacks it: the path is the object's.
                named_field(&message).map(|field| match at.as_deref() {
                    Some(object) if !object.is_empty() => {
                        FieldError::new(format!("{object}.{field}"), "is required")
                    }
                    _ => FieldError::new(field, "is required"),
                })
            } else if message.starts_with("unknown field") {
                // Detected on the key itself: the path ends with it.
                named_field(&message).map(|name| {
                    let field = at.clone().filter(|path| !path.is_empty()).unwrap_or(name);
                    let expected = message
                        .split_once(", expected ")
                        .map(|(_, expected)| format!(" (expected {expected})"))
                        .unwrap_or_default();
                    FieldError::new(field, format!("is not a field of this request{expected}"))
                })
            } else {
                at.filter(|path| !path.is_empty())
                    .map(|field| FieldError::new(field, message.clone()))
            };
            ApiError::validation(vec![
                field.unwrap_or_else(|| FieldError::new("body", error.to_string())),
            ])
        }
        Category::Syntax | Category::Eof | Category::Io => ApiError::bad_request(
            "MALFORMED_JSON",
            format!("the body is not valid JSON: {error}"),
        ),
    }
}

/// The path (`targets[2]`, `rule_results[0].result`) of the value that ends at `line` and
/// `column` (one-based, as serde_json reports them) in a JSON text that is well-formed up to
/// there; empty at the top level. `None` when the position lies outside the text.
fn path_at(body: &[u8], line: usize, column: usize) -> Option<String> {
    enum Frame {
        Object {
            key: Option<String>,
            expecting_key: bool,
        },
        Array {
            index: usize,
        },
    }
    let line_start = if line <= 1 {
        0
    } else {
        body.iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(line - 2)
            .map(|(at, _)| at + 1)?
    };
    let end = (line_start + column.max(1) - 1).min(body.len().checked_sub(1)?);
    let mut frames: Vec<Frame> = Vec::new();
    let mut at = 0;
    while at <= end {
        match body[at] {
            b'"' => {
                // Find the closing quote, skipping escaped characters.
                let start = at;
                at += 1;
                while at < body.len() && body[at] != b'"' {
                    at += if body[at] == b'\\' { 2 } else { 1 };
                }
                if let Some(Frame::Object { key, expecting_key }) = frames.last_mut()
                    && *expecting_key
                {
                    let text = body.get(start..=at).unwrap_or_default();
                    *key = Some(
                        serde_json::from_slice::<String>(text)
                            .unwrap_or_else(|_| String::from_utf8_lossy(text).into_owned()),
                    );
                    *expecting_key = false;
                }
            }
            b'{' => frames.push(Frame::Object {
                key: None,
                expecting_key: true,
            }),
            b'[' => frames.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                frames.pop();
            }
            b',' => match frames.last_mut() {
                Some(Frame::Object { expecting_key, .. }) => *expecting_key = true,
                Some(Frame::Array { index }) => *index += 1,
                None => {}
            },
            _ => {}
        }
        at += 1;
    }
    let mut path = String::new();
    for frame in &frames {
        match frame {
            Frame::Object { key: Some(key), .. } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Frame::Object { key: None, .. } => {}
            Frame::Array { index } => path.push_str(&format!("[{index}]")),
        }
    }
    Some(path)
}

/// A copy of a JSON body as it is read, up to the body limit: serde_json reports where in the
/// text a value has the wrong type, not under which name, and the name is found in the copy.
/// (Actix's JSON extractor hands its error handler the error alone.)
#[derive(Clone, Default)]
struct BodyCopy(std::rc::Rc<std::cell::RefCell<Option<bytes::BytesMut>>>);

/// Keeps a bounded copy of each JSON request body for `json_error`.
pub async fn keep_json_bodies(
    mut request: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    use futures::StreamExt;
    let json = request
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    let limit = request
        .app_data::<web::Data<crate::settings::HttpSettings>>()
        .map_or(0, |settings| settings.max_body_bytes);
    if json && limit > 0 {
        let copy = BodyCopy(std::rc::Rc::new(std::cell::RefCell::new(Some(
            bytes::BytesMut::new(),
        ))));
        let kept = copy.clone();
        let stream = request.take_payload().map(move |chunk| {
            if let Ok(bytes) = &chunk {
                let mut slot = kept.0.borrow_mut();
                // Past the limit the body is refused anyway: stop copying.
                let fits = slot
                    .as_ref()
                    .is_some_and(|copied| copied.len() + bytes.len() <= limit);
                if fits {
                    if let Some(copied) = slot.as_mut() {
                        copied.extend_from_slice(bytes);
                    }
                } else {
                    *slot = None;
                }
            }
            chunk
        });
        let stream: std::pin::Pin<
            Box<dyn futures::Stream<Item = Result<bytes::Bytes, PayloadError>>>,
        > = Box::pin(stream);
        request.set_payload(actix_web::dev::Payload::from(stream));
        request.extensions_mut().insert(copy);
    }
    next.call(request).await
}

pub fn unsupported_media_type() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
        "Unsupported content type",
    )
    .with_detail("send application/json (or a form where the endpoint says so)")
}

pub fn payload_too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
        "The request body is too large",
    )
    .with_detail(format!("the limit is {limit} bytes"))
}

fn json_error(error: JsonPayloadError, request: &HttpRequest, limit: usize) -> actix_web::Error {
    let problem = match &error {
        JsonPayloadError::Deserialize(inner) => {
            let body = request
                .extensions()
                .get::<BodyCopy>()
                .and_then(|copy| copy.0.borrow().as_ref().map(|b| b.clone().freeze()));
            body_error_in(inner, body.as_deref())
        }
        JsonPayloadError::ContentType => unsupported_media_type(),
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            payload_too_large(limit)
        }
        JsonPayloadError::Payload(PayloadError::Overflow) => payload_too_large(limit),
        other => ApiError::bad_request("UNREADABLE_BODY", other.to_string()),
    };
    problem.into()
}

fn query_error(error: QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    let message = error.to_string();
    let field = named_field(&message).unwrap_or_else(|| "query".to_owned());
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "INVALID_QUERY",
        "The query string is not valid",
    )
    .with_fields(vec![FieldError::new(field, message)])
    .into()
}

fn path_error(error: PathError, _: &HttpRequest) -> actix_web::Error {
    ApiError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "No such resource")
        .with_detail(format!("the path is not valid: {error}"))
        .into()
}

/// Extractor configuration with bounded bodies and problem-shaped errors.
pub fn configure(config: &mut web::ServiceConfig, limit: usize) {
    config
        .app_data(
            web::JsonConfig::default()
                .limit(limit)
                .error_handler(move |e, r| json_error(e, r, limit)),
        )
        .app_data(web::PayloadConfig::new(limit))
        .app_data(web::QueryConfig::default().error_handler(query_error))
        .app_data(web::PathConfig::default().error_handler(path_error));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only deserialized, to provoke serde's errors")]
    struct Report {
        executed_at: String,
        #[serde(default)]
        targets: Vec<String>,
        #[serde(default)]
        rule_results: Vec<RuleResult>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only deserialized, to provoke serde's errors")]
    struct RuleResult {
        rule: String,
        result: bool,
    }

    /// The field of the one `errors` entry a body earns.
    fn field_of(body: &str) -> String {
        let error = serde_json::from_str::<Report>(body)
            .err()
            .unwrap_or_else(|| panic!("{body} is valid"));
        let problem = body_error_in(&error, Some(body.as_bytes()));
        let fields = &problem.fields();
        assert_eq!(fields.len(), 1, "{fields:?}");
        fields[0].field.clone()
    }

    #[test]
    fn every_shape_error_names_its_field() {
        assert_eq!(field_of(r#"{"targets": []}"#), "executed_at");
        assert_eq!(field_of(r#"{"executed_at": 5}"#), "executed_at");
        assert_eq!(
            field_of(r#"{"executed_at": "x", "targets": ["a", 2]}"#),
            "targets[1]"
        );
        assert_eq!(
            field_of(
                "{\n  \"executed_at\": \"x\",\n  \"rule_results\": [{\"rule\": \"r\", \"result\": \"yes\"}]\n}"
            ),
            "rule_results[0].result"
        );
        assert_eq!(
            field_of(r#"{"executed_at": "x", "rule_results": [{"result": true}]}"#),
            "rule_results[0].rule"
        );
        assert_eq!(field_of(r#"{"executed_at": "x", "tool": "y"}"#), "tool");
        assert_eq!(
            field_of(r#"{"executed_at": "x", "rule_results": [{"rule": "r", "fired": true}]}"#),
            "rule_results[0].fired"
        );
        assert_eq!(
            field_of(r#"{"targets": ["a\",b]", "c"], "executed_at": []}"#),
            "executed_at",
            "quotes, commas and brackets inside strings are text"
        );
        assert_eq!(field_of("[]"), "body");
    }

    #[test]
    fn a_missing_field_is_required_even_without_the_body() {
        let error = serde_json::from_str::<Report>("{}")
            .err()
            .unwrap_or_else(|| panic!("valid"));
        let problem = body_error(&error);
        assert_eq!(problem.fields()[0].field, "executed_at");
        assert_eq!(problem.fields()[0].message, "is required");
    }
}
