//! Sigma values and their modifiers, compiled once into matchers over an event's text.
//!
//! A plain value is a case-insensitive comparison of the whole field with `*` and `?`
//! wildcards (`\` escapes them); `contains`, `startswith` and `endswith` add wildcards;
//! `cased` keeps case; `wide` / `utf16le` / `utf16be` / `utf16` encode before `base64` and
//! `base64offset` (the three offsets pySigma writes); `windash` tries `-`, `/`, en dash, em
//! dash and horizontal bar; `re` (with `i`, `m`, `s`) is a regular expression searched in
//! the value; `cidr` an IPv4 or IPv6 network; `gt`, `gte`, `lt`, `lte` numbers; `exists` the
//! field's presence; `fieldref` another field's value; `all` makes a list a conjunction.

use std::net::IpAddr;

use base64::Engine as _;
use serde_json::Value;

use super::event::{Event, Text};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    Char(char),
    /// `*`
    Star,
    /// `?`
    One,
}

/// A value with wildcards, compiled to its cheapest test.
#[derive(Debug, Clone)]
pub(crate) enum Shape {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(String),
    /// Literal segments between stars (no `?`): anchored at either end or not.
    Segments {
        parts: Vec<String>,
        start: bool,
        end: bool,
    },
    /// With `?`: matched character by character.
    Wild(Vec<Tok>),
}

impl Shape {
    fn of(tokens: &[Tok], cased: bool) -> Self {
        let tokens: Vec<Tok> = if cased {
            tokens.to_vec()
        } else {
            tokens
                .iter()
                .flat_map(|t| match t {
                    Tok::Char(c) => c.to_lowercase().map(Tok::Char).collect::<Vec<_>>(),
                    other => vec![*other],
                })
                .collect()
        };
        if tokens.contains(&Tok::One) {
            return Self::Wild(tokens);
        }
        let mut parts: Vec<String> = vec![String::new()];
        for token in &tokens {
            match token {
                Tok::Char(c) => parts.last_mut().map(|p| p.push(*c)).unwrap_or_default(),
                Tok::Star => parts.push(String::new()),
                Tok::One => {}
            }
        }
        let start = tokens.first() != Some(&Tok::Star);
        let end = tokens.last() != Some(&Tok::Star);
        let inner: Vec<String> = parts.into_iter().filter(|p| !p.is_empty()).collect();
        match (inner.as_slice(), start, end) {
            ([], true, true) => Self::Exact(String::new()),
            ([], _, _) => Self::Segments {
                parts: Vec::new(),
                start: false,
                end: false,
            },
            ([one], true, true) => Self::Exact(one.clone()),
            ([one], true, false) => Self::Prefix(one.clone()),
            ([one], false, true) => Self::Suffix(one.clone()),
            ([one], false, false) => Self::Contains(one.clone()),
            _ => Self::Segments {
                parts: inner,
                start,
                end,
            },
        }
    }

    fn matches(&self, text: &str) -> bool {
        match self {
            Self::Exact(v) => text == v,
            Self::Prefix(v) => text.starts_with(v.as_str()),
            Self::Suffix(v) => text.ends_with(v.as_str()),
            Self::Contains(v) => text.contains(v.as_str()),
            Self::Segments { parts, start, end } => segments(parts, *start, *end, text),
            Self::Wild(tokens) => wild(tokens, text),
        }
    }
}

fn segments(parts: &[String], start: bool, end: bool, text: &str) -> bool {
    let (mut from, mut to) = (0, text.len());
    let mut middle = parts;
    if start {
        let Some((first, rest)) = middle.split_first() else {
            return true;
        };
        if !text.starts_with(first.as_str()) {
            return false;
        }
        from = first.len();
        middle = rest;
    }
    if end {
        let Some((last, rest)) = middle.split_last() else {
            return true;
        };
        if to < from + last.len() || !text.ends_with(last.as_str()) {
            return false;
        }
        to -= last.len();
        middle = rest;
    }
    for part in middle {
        let Some(window) = text.get(from..to) else {
            return false;
        };
        match window.find(part.as_str()) {
            Some(at) => from += at + part.len(),
            None => return false,
        }
    }
    true
}

/// Wildcard matching with `*` and `?` (the classic two-pointer walk, linear in practice).
fn wild(tokens: &[Tok], text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let (mut t, mut c) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while c < chars.len() {
        match tokens.get(t) {
            Some(Tok::Star) => {
                star = Some((t, c));
                t += 1;
            }
            Some(Tok::One) => {
                t += 1;
                c += 1;
            }
            Some(Tok::Char(x)) if *x == chars[c] => {
                t += 1;
                c += 1;
            }
            _ => match star {
                Some((st, sc)) => {
                    t = st + 1;
                    c = sc + 1;
                    star = Some((st, sc + 1));
                }
                None => return false,
            },
        }
    }
    tokens[t.min(tokens.len())..]
        .iter()
        .all(|x| *x == Tok::Star)
}

/// One compiled value.
#[derive(Debug, Clone)]
pub(crate) enum Matcher {
    Text {
        shape: Shape,
        cased: bool,
    },
    Regex(Box<fancy_regex::Regex>),
    Cidr {
        network: u128,
        mask: u128,
        v4: bool,
    },
    Number {
        op: NumberOp,
        number: f64,
    },
    /// `null`: the field is absent or empty.
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumberOp {
    Gt,
    Gte,
    Lt,
    Lte,
}

impl Matcher {
    fn matches(&self, value: &Text) -> bool {
        match self {
            Self::Text { shape, cased } => {
                shape.matches(if *cased { &value.raw } else { &value.lower })
            }
            Self::Regex(regex) => regex.is_match(&value.raw).unwrap_or(false),
            Self::Cidr { network, mask, v4 } => match value.raw.trim().parse::<IpAddr>() {
                Ok(IpAddr::V4(ip)) if *v4 => u128::from(u32::from(ip)) & mask == *network,
                Ok(IpAddr::V6(ip)) if !*v4 => u128::from(ip) & mask == *network,
                _ => false,
            },
            Self::Number { op, number } => {
                value.raw.trim().parse::<f64>().is_ok_and(|n| match op {
                    NumberOp::Gt => n > *number,
                    NumberOp::Gte => n >= *number,
                    NumberOp::Lt => n < *number,
                    NumberOp::Lte => n <= *number,
                })
            }
            Self::Null => value.raw.is_empty(),
        }
    }
}

/// What a field (or, for a keyword, any field) must hold.
#[derive(Debug, Clone)]
pub(crate) enum Test {
    /// Any value matches any matcher.
    Any(Vec<Matcher>),
    /// Every group has a matcher some value matches (`all`).
    All(Vec<Vec<Matcher>>),
    Exists(bool),
    /// Equal (or, with `contains`/`startswith`/`endswith`, so related) to another field.
    FieldRef {
        other: String,
        how: RefHow,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefHow {
    Equal,
    Contains,
    Prefix,
    Suffix,
}

/// A field's test; `field` is `None` for a keyword (any field's value).
#[derive(Debug, Clone)]
pub(crate) struct FieldTest {
    pub(crate) field: Option<String>,
    pub(crate) test: Test,
}

impl FieldTest {
    pub(crate) fn matches(&self, event: &Event) -> bool {
        match &self.field {
            None => match &self.test {
                Test::Any(matchers) => event
                    .all_values()
                    .any(|v| matchers.iter().any(|m| m.matches(v))),
                Test::All(groups) => groups.iter().all(|group| {
                    event
                        .all_values()
                        .any(|v| group.iter().any(|m| m.matches(v)))
                }),
                Test::Exists(_) | Test::FieldRef { .. } => false,
            },
            Some(field) => {
                let values = event.values(field);
                match &self.test {
                    Test::Exists(wanted) => values.is_some() == *wanted,
                    Test::Any(matchers) => match values {
                        None => matchers.iter().any(|m| matches!(m, Matcher::Null)),
                        Some(values) => {
                            values.iter().any(|v| matchers.iter().any(|m| m.matches(v)))
                        }
                    },
                    Test::All(groups) => values.is_some_and(|values| {
                        groups
                            .iter()
                            .all(|group| values.iter().any(|v| group.iter().any(|m| m.matches(v))))
                    }),
                    Test::FieldRef { other, how } => {
                        let (Some(values), Some(others)) = (values, event.values(other)) else {
                            return false;
                        };
                        values.iter().any(|v| {
                            others.iter().any(|o| match how {
                                RefHow::Equal => v.lower == o.lower,
                                RefHow::Contains => v.lower.contains(o.lower.as_str()),
                                RefHow::Prefix => v.lower.starts_with(o.lower.as_str()),
                                RefHow::Suffix => v.lower.ends_with(o.lower.as_str()),
                            })
                        })
                    }
                }
            }
        }
    }
}

/// The modifiers of one key, parsed.
#[derive(Debug, Default)]
struct Modifiers {
    contains: bool,
    startswith: bool,
    endswith: bool,
    all: bool,
    cased: bool,
    re: bool,
    re_flags: String,
    cidr: bool,
    exists: bool,
    fieldref: bool,
    number: Option<NumberOp>,
    windash: bool,
    encoding: Option<Encoding>,
    base64: Option<bool>,
}

#[derive(Debug, Clone, Copy)]
enum Encoding {
    Utf16Le,
    Utf16Be,
    /// With a byte-order mark, little-endian.
    Utf16,
}

impl Modifiers {
    fn parse(names: &[&str]) -> Result<Self, String> {
        let mut m = Self::default();
        for name in names {
            match name.to_lowercase().as_str() {
                "contains" => m.contains = true,
                "startswith" => m.startswith = true,
                "endswith" => m.endswith = true,
                "all" => m.all = true,
                "cased" => m.cased = true,
                "re" => m.re = true,
                // Regular expression flags.
                "i" => m.re_flags.push('i'),
                "m" => m.re_flags.push('m'),
                "s" => m.re_flags.push('s'),
                "cidr" => m.cidr = true,
                "exists" => m.exists = true,
                "fieldref" => m.fieldref = true,
                "gt" => m.number = Some(NumberOp::Gt),
                "gte" => m.number = Some(NumberOp::Gte),
                "lt" => m.number = Some(NumberOp::Lt),
                "lte" => m.number = Some(NumberOp::Lte),
                "windash" => m.windash = true,
                "wide" | "utf16le" => m.encoding = Some(Encoding::Utf16Le),
                "utf16be" => m.encoding = Some(Encoding::Utf16Be),
                "utf16" => m.encoding = Some(Encoding::Utf16),
                "base64" => m.base64 = Some(false),
                "base64offset" => m.base64 = Some(true),
                "expand" => {
                    return Err(
                        "the `expand` modifier needs placeholder values Aegis does not hold"
                            .to_owned(),
                    );
                }
                other => return Err(format!("unknown value modifier `{other}`")),
            }
        }
        Ok(m)
    }
}

/// Compiles `Field|modifier…: values` (an empty field is a keyword).
///
/// # Errors
/// Why the rule cannot be evaluated: an unknown modifier, a value the modifier cannot take,
/// a regular expression that does not compile.
pub(crate) fn compile_field(key: &str, values: &[Value]) -> Result<FieldTest, String> {
    let mut parts = key.split('|');
    let field = parts.next().unwrap_or_default().trim();
    let names: Vec<&str> = parts.collect();
    let mut modifiers = Modifiers::parse(&names)?;
    let field = (!field.is_empty()).then(|| field.to_lowercase());
    // A keyword is searched for inside the text, as full-text backends do.
    if field.is_none()
        && !(modifiers.startswith || modifiers.endswith || modifiers.re || modifiers.cidr)
    {
        modifiers.contains = true;
    }
    if values.is_empty() {
        return Err(format!("`{key}` has an empty list of values"));
    }
    if modifiers.exists {
        return match values {
            [Value::Bool(wanted)] => Ok(FieldTest {
                field,
                test: Test::Exists(*wanted),
            }),
            [Value::String(s)]
                if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") =>
            {
                Ok(FieldTest {
                    field,
                    test: Test::Exists(s.eq_ignore_ascii_case("true")),
                })
            }
            _ => Err(format!("`{key}`: `exists` takes true or false")),
        };
    }
    if modifiers.fieldref {
        let how = match (modifiers.contains, modifiers.startswith, modifiers.endswith) {
            (true, _, _) => RefHow::Contains,
            (_, true, _) => RefHow::Prefix,
            (_, _, true) => RefHow::Suffix,
            _ => RefHow::Equal,
        };
        let [Value::String(other)] = values else {
            return Err(format!("`{key}`: `fieldref` takes one field name"));
        };
        return Ok(FieldTest {
            field,
            test: Test::FieldRef {
                other: other.to_lowercase(),
                how,
            },
        });
    }
    let mut groups: Vec<Vec<Matcher>> = Vec::with_capacity(values.len());
    for value in values {
        groups.push(compile_value(key, value, &modifiers)?);
    }
    let test = if modifiers.all {
        Test::All(groups)
    } else {
        Test::Any(groups.into_iter().flatten().collect())
    };
    Ok(FieldTest { field, test })
}

fn compile_value(key: &str, value: &Value, m: &Modifiers) -> Result<Vec<Matcher>, String> {
    let text = match value {
        Value::Null => return Ok(vec![Matcher::Null]),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return Err(format!("`{key}`: a value that is a list or a mapping")),
    };
    if let Some(op) = m.number {
        let number: f64 = text
            .trim()
            .parse()
            .map_err(|_| format!("`{key}`: `{text}` is not a number"))?;
        return Ok(vec![Matcher::Number { op, number }]);
    }
    if m.cidr {
        return Ok(vec![
            cidr(&text).ok_or_else(|| format!("`{key}`: `{text}` is not a network"))?,
        ]);
    }
    if m.re {
        let mut builder = fancy_regex::RegexBuilder::new(&format!(
            "{}{}",
            if m.re_flags.is_empty() {
                String::new()
            } else {
                format!("(?{})", m.re_flags)
            },
            text
        ));
        builder.backtrack_limit(100_000);
        builder.delegate_size_limit(1 << 22);
        let regex = builder
            .build()
            .map_err(|e| format!("`{key}`: the regular expression does not compile: {e}"))?;
        return Ok(vec![Matcher::Regex(Box::new(regex))]);
    }
    let variants: Vec<Vec<Tok>> = if let Some(offset) = m.base64 {
        let plain = sigma_tokens(&text);
        if plain.iter().any(|t| !matches!(t, Tok::Char(_))) {
            return Err(format!(
                "`{key}`: a wildcard in a value to encode in base64"
            ));
        }
        let plain: String = plain
            .iter()
            .filter_map(|t| match t {
                Tok::Char(c) => Some(*c),
                _ => None,
            })
            .collect();
        let bytes = encode(&plain, m.encoding);
        base64_variants(&bytes, offset)
            .into_iter()
            .map(|s| s.chars().map(Tok::Char).collect())
            .collect()
    } else if m.encoding.is_some() {
        return Err(format!("`{key}`: a UTF-16 encoding without base64"));
    } else {
        let tokens = sigma_tokens(&text);
        if m.windash {
            windash(&tokens)?
        } else {
            vec![tokens]
        }
    };
    // base64 output is case-sensitive by nature.
    let cased = m.cased || m.base64.is_some();
    Ok(variants
        .into_iter()
        .map(|mut tokens| {
            if (m.contains || m.endswith) && tokens.first() != Some(&Tok::Star) {
                tokens.insert(0, Tok::Star);
            }
            if (m.contains || m.startswith) && tokens.last() != Some(&Tok::Star) {
                tokens.push(Tok::Star);
            }
            Matcher::Text {
                shape: Shape::of(&tokens, cased),
                cased,
            }
        })
        .collect())
}

/// A Sigma string: `*` and `?` are wildcards, `\` escapes `*`, `?` and itself.
fn sigma_tokens(text: &str) -> Vec<Tok> {
    let mut tokens = Vec::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(next @ ('*' | '?' | '\\')) => {
                    tokens.push(Tok::Char(*next));
                    chars.next();
                }
                _ => tokens.push(Tok::Char('\\')),
            },
            '*' => tokens.push(Tok::Star),
            '?' => tokens.push(Tok::One),
            other => tokens.push(Tok::Char(other)),
        }
    }
    tokens
}

fn encode(text: &str, encoding: Option<Encoding>) -> Vec<u8> {
    match encoding {
        None => text.as_bytes().to_vec(),
        Some(Encoding::Utf16Le) => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        Some(Encoding::Utf16Be) => text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        Some(Encoding::Utf16) => [0xff, 0xfe]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect(),
    }
}

/// `base64` is the plain encoding; `base64offset` the three encodings of the value at each
/// offset in a longer text, cut to the characters that do not depend on its neighbours (as
/// pySigma writes them).
fn base64_variants(bytes: &[u8], offset: bool) -> Vec<String> {
    let engine = base64::engine::general_purpose::STANDARD;
    if !offset {
        return vec![engine.encode(bytes)];
    }
    let starts = [0usize, 2, 3];
    let ends = [0usize, 3, 2];
    (0..3)
        .map(|i| {
            let mut padded = vec![b' '; i];
            padded.extend_from_slice(bytes);
            let encoded = engine.encode(&padded);
            let end = encoded.len().saturating_sub(ends[(bytes.len() + i) % 3]);
            encoded.get(starts[i]..end).unwrap_or_default().to_owned()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

/// Every spelling of the value's option dashes (a `-` or `/` that starts a word).
fn windash(tokens: &[Tok]) -> Result<Vec<Vec<Tok>>, String> {
    let is_word =
        |t: Option<&Tok>| matches!(t, Some(Tok::Char(c)) if c.is_alphanumeric() || *c == '_');
    let positions: Vec<usize> = (0..tokens.len())
        .filter(|&i| {
            matches!(tokens[i], Tok::Char('-' | '/'))
                && !is_word(i.checked_sub(1).and_then(|p| tokens.get(p)))
                && is_word(tokens.get(i + 1))
        })
        .collect();
    if positions.len() > 4 {
        return Err("`windash` over a value with more than four options".to_owned());
    }
    let mut variants = vec![tokens.to_vec()];
    for position in positions {
        variants = variants
            .into_iter()
            .flat_map(|variant| {
                DASHES.iter().map(move |dash| {
                    let mut v = variant.clone();
                    v[position] = Tok::Char(*dash);
                    v
                })
            })
            .collect();
    }
    Ok(variants)
}

fn cidr(text: &str) -> Option<Matcher> {
    let (address, bits) = text.trim().split_once('/').unwrap_or((text.trim(), ""));
    let address: IpAddr = address.parse().ok()?;
    let (value, width, v4) = match address {
        IpAddr::V4(ip) => (u128::from(u32::from(ip)), 32u32, true),
        IpAddr::V6(ip) => (u128::from(ip), 128u32, false),
    };
    let bits: u32 = if bits.is_empty() {
        width
    } else {
        bits.parse().ok()?
    };
    if bits > width {
        return None;
    }
    let full: u128 = if width == 32 {
        u128::from(u32::MAX)
    } else {
        u128::MAX
    };
    let mask = full & !full.checked_shr(bits).unwrap_or(0);
    Some(Matcher::Cidr {
        network: value & mask,
        mask,
        v4,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(pairs: &[(&str, &str)]) -> Event {
        let mut event = Event::default();
        for (name, value) in pairs {
            event.insert(name, &json!(value));
        }
        event
    }

    fn test(key: &str, values: Value, event: &Event) -> bool {
        let values = match values {
            Value::Array(items) => items,
            other => vec![other],
        };
        compile_field(key, &values)
            .map(|t| t.matches(event))
            .unwrap_or(false)
    }

    #[test]
    fn plain_values_are_whole_case_insensitive_with_wildcards() {
        let e = event(&[("Image", "C:\\Windows\\System32\\CMD.exe")]);
        assert!(test("Image", json!("c:\\windows\\system32\\cmd.exe"), &e));
        assert!(!test("Image", json!("cmd.exe"), &e));
        assert!(test("Image", json!("*\\cmd.exe"), &e));
        // `\*` is an escaped star (the specification); `\\*` a backslash and a wildcard.
        assert!(test("Image", json!(r"C:\\*\System32\\*.exe"), &e));
        assert!(!test("Image", json!(r"C:\*\System32\*.exe"), &e));
        assert!(test("Image", json!("C:\\Windows\\System3?\\cmd.exe"), &e));
        assert!(!test("Image|cased", json!("*\\cmd.exe"), &e));
        assert!(test("Image|endswith", json!("\\cmd.exe"), &e));
        assert!(test("Image|startswith", json!("C:\\Windows"), &e));
        assert!(test(
            "Image|contains|all",
            json!(["system32", "windows"]),
            &e
        ));
        assert!(!test(
            "Image|contains|all",
            json!(["system32", "syswow64"]),
            &e
        ));
        assert!(test("Image|contains", json!(["syswow64", "system32"]), &e));
        assert!(test("Missing", Value::Null, &e));
        assert!(!test("Image", Value::Null, &e));
    }

    #[test]
    fn escaped_wildcards_are_literal() {
        let e = event(&[("CommandLine", "echo *")]);
        assert!(test("CommandLine", json!("echo \\*"), &e));
        assert!(!test(
            "CommandLine",
            json!("echo \\*"),
            &event(&[("CommandLine", "echo x")])
        ));
    }

    #[test]
    fn regular_expressions_cidr_numbers_exists_and_fieldref() {
        let e = event(&[
            ("CommandLine", "powershell -EncodedCommand AAAA"),
            ("DestinationIp", "10.1.2.3"),
            ("DestinationPort", "4444"),
            ("SourceImage", "a.exe"),
            ("TargetImage", "A.EXE"),
        ]);
        assert!(test("CommandLine|re", json!("-[Ee]ncoded"), &e));
        assert!(!test("CommandLine|re", json!("-ENCODED"), &e));
        assert!(test("CommandLine|re|i", json!("-ENCODED"), &e));
        assert!(test("CommandLine|re", json!("(?<!x)-Enc"), &e));
        assert!(test("DestinationIp|cidr", json!("10.0.0.0/8"), &e));
        assert!(!test("DestinationIp|cidr", json!("192.168.0.0/16"), &e));
        assert!(test("DestinationIp|cidr", json!("10.1.2.3/32"), &e));
        assert!(test("DestinationIp|cidr", json!("0.0.0.0/0"), &e));
        assert!(!test("DestinationIp|cidr", json!("::1/128"), &e));
        assert!(test(
            "DestinationIp|cidr",
            json!(["fe80::/10", "10.1.0.0/16"]),
            &e
        ));
        assert!(test("DestinationPort|gte", json!(4444), &e));
        assert!(!test("DestinationPort|lt", json!(1024), &e));
        assert!(test("DestinationIp|exists", json!(true), &e));
        assert!(test("Nope|exists", json!(false), &e));
        assert!(test("SourceImage|fieldref", json!("TargetImage"), &e));
        assert!(compile_field("CommandLine|expand", &[json!("%x%")]).is_err());
        assert!(compile_field("CommandLine|bogus", &[json!("x")]).is_err());
        assert!(compile_field("CommandLine|re", &[json!("(")]).is_err());
    }

    #[test]
    fn base64_offsets_and_wide_find_the_encoded_value_anywhere() {
        // "IEX" somewhere in an encoded command, at each of the three offsets.
        for prefix in ["", "a", "ab"] {
            let plain = format!("{prefix}IEX (New-Object)");
            let encoded = base64::engine::general_purpose::STANDARD.encode(plain.as_bytes());
            let e = event(&[("CommandLine", &format!("powershell -e {encoded}"))]);
            assert!(
                test("CommandLine|base64offset|contains", json!("IEX ("), &e),
                "{prefix}"
            );
        }
        let wide: Vec<u8> = "whoami".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let encoded = base64::engine::general_purpose::STANDARD.encode(&wide);
        let e = event(&[("CommandLine", &format!("-enc {encoded}"))]);
        assert!(test(
            "CommandLine|wide|base64offset|contains",
            json!("whoami"),
            &e
        ));
        assert!(test(
            "CommandLine|wide|base64|contains",
            json!("whoami"),
            &e
        ));
    }

    #[test]
    fn windash_accepts_every_dash() {
        for spelling in ["net user /add", "net user -add", "net user \u{2013}add"] {
            let e = event(&[("CommandLine", spelling)]);
            assert!(
                test("CommandLine|windash|contains", json!(" -add"), &e),
                "{spelling}"
            );
        }
    }

    #[test]
    fn keywords_search_every_field() {
        let e = event(&[("Message", "The audit log was cleared")]);
        let keyword = FieldTest {
            field: None,
            test: Test::Any(vec![Matcher::Text {
                shape: Shape::of(&sigma_tokens("*log was cleared*"), false),
                cased: false,
            }]),
        };
        assert!(keyword.matches(&e));
    }
}
