//! A Sigma rule's detection compiled for evaluation: its searches (each a disjunction of
//! conjunctions of field tests, or keywords) and its condition (`and`, `or`, `not`,
//! parentheses, `1 of` / `all of` a pattern of search names or `them`). What cannot be
//! evaluated (an aggregation, a correlation, an unknown modifier, an unmapped log source)
//! is an error naming why.

use serde_json::{Map, Value};

use super::event::Event;
use super::logsource::{EventClass, event_classes};
use super::pattern::{FieldTest, compile_field};

/// One search identifier: any of its groups, each all of its tests.
#[derive(Debug, Clone)]
pub(crate) struct Search {
    pub(crate) name: String,
    groups: Vec<Vec<FieldTest>>,
}

impl Search {
    fn matches(&self, event: &Event) -> bool {
        self.groups
            .iter()
            .any(|group| group.iter().all(|test| test.matches(event)))
    }

    /// The fields of the first group that matched (for showing why a rule fired).
    pub(crate) fn matched_fields(&self, event: &Event) -> Vec<String> {
        self.groups
            .iter()
            .find(|group| group.iter().all(|test| test.matches(event)))
            .map(|group| group.iter().filter_map(|t| t.field.clone()).collect())
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Condition {
    Search(usize),
    Not(Box<Condition>),
    And(Vec<Condition>),
    Or(Vec<Condition>),
    /// At least `n` of the searches.
    AtLeast(usize, Vec<usize>),
    All(Vec<usize>),
}

impl Condition {
    fn holds(&self, results: &[bool]) -> bool {
        match self {
            Self::Search(i) => results[*i],
            Self::Not(inner) => !inner.holds(results),
            Self::And(items) => items.iter().all(|c| c.holds(results)),
            Self::Or(items) => items.iter().any(|c| c.holds(results)),
            Self::AtLeast(n, searches) => searches.iter().filter(|i| results[**i]).count() >= *n,
            Self::All(searches) => searches.iter().all(|i| results[*i]),
        }
    }
}

/// A rule ready to be evaluated.
#[derive(Debug, Clone)]
pub(crate) struct CompiledRule {
    pub(crate) classes: Vec<EventClass>,
    pub(crate) searches: Vec<Search>,
    condition: Condition,
}

impl CompiledRule {
    /// Whether the rule fires on the event, and the searches that matched when it does.
    pub(crate) fn evaluate(&self, event: &Event) -> Option<Vec<bool>> {
        let results: Vec<bool> = self.searches.iter().map(|s| s.matches(event)).collect();
        self.condition.holds(&results).then_some(results)
    }
}

/// Compiles a rule's merged document.
///
/// # Errors
/// Why the rule cannot be evaluated.
pub(crate) fn compile(document: &Map<String, Value>) -> Result<CompiledRule, String> {
    if document.contains_key("correlation") {
        return Err("a correlation rule (it aggregates the matches of other rules)".to_owned());
    }
    if document.contains_key("filter") && !document.contains_key("detection") {
        return Err("a filter rule (it refines other rules)".to_owned());
    }
    let logsource = document.get("logsource").and_then(Value::as_object);
    let text = |name: &str| logsource.and_then(|l| l.get(name)).and_then(Value::as_str);
    let classes = event_classes(text("product"), text("category"), text("service"))?;
    let detection = document
        .get("detection")
        .and_then(Value::as_object)
        .ok_or("the rule has no detection")?;
    let mut searches = Vec::new();
    for (name, value) in detection {
        if name == "condition" || name == "timeframe" {
            continue;
        }
        searches.push(Search {
            name: name.clone(),
            groups: groups(name, value)?,
        });
    }
    let conditions: Vec<String> = match detection.get("condition") {
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(many)) => many
            .iter()
            .map(|c| {
                c.as_str()
                    .map(str::to_owned)
                    .ok_or("a condition that is not text")
            })
            .collect::<Result<_, _>>()?,
        _ => return Err("the detection has no condition".to_owned()),
    };
    let mut parsed = Vec::with_capacity(conditions.len());
    for condition in &conditions {
        parsed.push(parse_condition(condition, &searches)?);
    }
    // Several conditions are alternatives.
    let condition = if parsed.len() == 1 {
        parsed.remove(0)
    } else {
        Condition::Or(parsed)
    };
    Ok(CompiledRule {
        classes,
        searches,
        condition,
    })
}

fn groups(name: &str, value: &Value) -> Result<Vec<Vec<FieldTest>>, String> {
    match value {
        Value::Object(map) => Ok(vec![conjunction(map)?]),
        Value::Array(items) if items.iter().all(Value::is_object) && !items.is_empty() => items
            .iter()
            .filter_map(Value::as_object)
            .map(conjunction)
            .collect(),
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            Ok(vec![vec![compile_field("", items)?]])
        }
        Value::String(_) | Value::Number(_) => {
            Ok(vec![vec![compile_field("", std::slice::from_ref(value))?]])
        }
        _ => Err(format!("search `{name}` mixes lists and mappings")),
    }
}

fn conjunction(map: &Map<String, Value>) -> Result<Vec<FieldTest>, String> {
    map.iter()
        .map(|(key, value)| match value {
            Value::Array(items) => compile_field(key, items),
            Value::Object(_) => Err(format!("`{key}` holds a mapping, not values")),
            scalar => compile_field(key, std::slice::from_ref(scalar)),
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    Not,
    Of(Quantity),
    Word(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quantity {
    All,
    AtLeast(usize),
}

fn tokenize(condition: &str) -> Result<Vec<Token>, String> {
    if condition.contains('|') {
        return Err(
            "an aggregation in the condition (`| count()` …), which needs a correlation".to_owned(),
        );
    }
    let spaced = condition.replace('(', " ( ").replace(')', " ) ");
    let words: Vec<&str> = spaced.split_whitespace().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let word = words[i];
        let next_is_of = words
            .get(i + 1)
            .is_some_and(|w| w.eq_ignore_ascii_case("of"));
        let token = match word.to_lowercase().as_str() {
            "(" => Token::Open,
            ")" => Token::Close,
            "and" => Token::And,
            "or" => Token::Or,
            "not" => Token::Not,
            "all" if next_is_of => {
                i += 1;
                Token::Of(Quantity::All)
            }
            "any" if next_is_of => {
                i += 1;
                Token::Of(Quantity::AtLeast(1))
            }
            number if next_is_of && number.parse::<usize>().is_ok() => {
                i += 1;
                Token::Of(Quantity::AtLeast(number.parse().unwrap_or(1).max(1)))
            }
            "near" => {
                return Err("`near` in the condition is not part of Sigma's detection".to_owned());
            }
            _ => Token::Word(word.to_owned()),
        };
        tokens.push(token);
        i += 1;
    }
    Ok(tokens)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    searches: &'a [Search],
}

/// Parses a condition: `or` binds loosest, then `and`, then `not`.
fn parse_condition(text: &str, searches: &[Search]) -> Result<Condition, String> {
    let mut parser = Parser {
        tokens: tokenize(text)?,
        at: 0,
        searches,
    };
    let condition = parser.or()?;
    if parser.at != parser.tokens.len() {
        return Err(format!("the condition `{text}` has more after its end"));
    }
    Ok(condition)
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn or(&mut self) -> Result<Condition, String> {
        let mut items = vec![self.and()?];
        while self.peek() == Some(&Token::Or) {
            self.at += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Condition::Or(items)
        })
    }

    fn and(&mut self) -> Result<Condition, String> {
        let mut items = vec![self.not()?];
        while self.peek() == Some(&Token::And) {
            self.at += 1;
            items.push(self.not()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Condition::And(items)
        })
    }

    fn not(&mut self) -> Result<Condition, String> {
        if self.peek() == Some(&Token::Not) {
            self.at += 1;
            return Ok(Condition::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Condition, String> {
        let token = self.peek().cloned().ok_or("the condition ends too early")?;
        self.at += 1;
        match token {
            Token::Open => {
                let inner = self.or()?;
                if self.peek() != Some(&Token::Close) {
                    return Err("the condition misses a `)`".to_owned());
                }
                self.at += 1;
                Ok(inner)
            }
            Token::Of(quantity) => {
                let Some(Token::Word(pattern)) = self.peek().cloned() else {
                    return Err("`of` is not followed by search names".to_owned());
                };
                self.at += 1;
                let matched = self.named(&pattern);
                if matched.is_empty() {
                    return Err(format!("`of {pattern}` names no search"));
                }
                Ok(match quantity {
                    Quantity::All => Condition::All(matched),
                    Quantity::AtLeast(n) => Condition::AtLeast(n, matched),
                })
            }
            Token::Word(name) => self
                .searches
                .iter()
                .position(|s| s.name == name)
                .map(Condition::Search)
                .ok_or_else(|| format!("the condition names `{name}`, which the detection lacks")),
            other => Err(format!(
                "the condition has {other:?} where a search belongs"
            )),
        }
    }

    /// The searches a pattern names: `them` (all but those starting with `_`), or a name
    /// with `*` wildcards.
    fn named(&self, pattern: &str) -> Vec<usize> {
        self.searches
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                if pattern == "them" {
                    !s.name.starts_with('_')
                } else {
                    glob(pattern, &s.name)
                }
            })
            .map(|(i, _)| i)
            .collect()
    }
}

fn glob(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => {
            name.starts_with(head)
                && (tail.is_empty()
                    || (0..=name.len().saturating_sub(head.len())).any(|skip| {
                        name.get(head.len() + skip..)
                            .is_some_and(|rest| glob(tail, rest))
                    }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(detection: Value) -> Result<CompiledRule, String> {
        let document = json!({"logsource": {"product": "windows", "category": "process_creation"}, "detection": detection});
        compile(document.as_object().unwrap_or(&Map::new()))
    }

    fn event(pairs: Value) -> Event {
        super::super::normalize::event_from_document(0, &pairs).unwrap_or_default()
    }

    #[test]
    fn conditions_follow_sigma_precedence_and_quantifiers() {
        let compiled = rule(json!({
            "selection_img": {"Image|endswith": "\\net.exe"},
            "selection_cli": {"CommandLine|contains": " user "},
            "filter_main": {"CommandLine|contains": "/domain"},
            "condition": "all of selection_* and not 1 of filter_*"}))
        .unwrap_or_else(|e| panic!("{e}"));
        let hit = event(json!({"Image": "C:\\net.exe", "CommandLine": "net user x /add"}));
        let filtered = event(json!({"Image": "C:\\net.exe", "CommandLine": "net user /domain"}));
        assert!(compiled.evaluate(&hit).is_some());
        assert!(compiled.evaluate(&filtered).is_none());

        let or_and = rule(
            json!({"a": {"Image": "x"}, "b": {"Image": "y"}, "c": {"CommandLine": "z"},
            "condition": "a or b and c"}),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(or_and.evaluate(&event(json!({"Image": "x"}))).is_some());
        assert!(or_and.evaluate(&event(json!({"Image": "y"}))).is_none());
        let parens = rule(
            json!({"a": {"Image": "x"}, "b": {"Image": "y"}, "c": {"CommandLine": "z"},
            "condition": "(a or b) and c"}),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(parens.evaluate(&event(json!({"Image": "x"}))).is_none());
        assert!(
            parens
                .evaluate(&event(json!({"Image": "y", "CommandLine": "z"})))
                .is_some()
        );
    }

    #[test]
    fn lists_of_maps_are_alternatives_and_keywords_search_everywhere() {
        let compiled = rule(
            json!({"sel": [{"Image": "a"}, {"Image": "b"}], "kw": ["mimikatz"],
            "condition": "sel or kw"}),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(compiled.evaluate(&event(json!({"Image": "b"}))).is_some());
        assert!(
            compiled
                .evaluate(&event(json!({"CommandLine": "Invoke-Mimikatz -x"})))
                .is_some()
        );
        assert!(compiled.evaluate(&event(json!({"Image": "c"}))).is_none());
    }

    #[test]
    fn what_cannot_be_evaluated_says_why() {
        assert!(rule(json!({"sel": {"Image": "a"}, "condition": "sel | count() > 5"})).is_err());
        assert!(rule(json!({"sel": {"Image": "a"}, "condition": "other"})).is_err());
        assert!(rule(json!({"sel": {"Image": "a"}, "condition": "1 of filter_*"})).is_err());
        assert!(rule(json!({"sel": {"Image": "a"}, "condition": "(sel"})).is_err());
        let linux = json!({"logsource": {"product": "linux"}, "detection": {"sel": {"a": 1}, "condition": "sel"}});
        assert!(compile(linux.as_object().unwrap_or(&Map::new())).is_err());
        let correlation = json!({"correlation": {"type": "event_count"}});
        assert!(compile(correlation.as_object().unwrap_or(&Map::new())).is_err());
    }

    #[test]
    fn them_leaves_out_underscored_searches() {
        let compiled = rule(json!({"a": {"Image": "x"}, "_helper": {"Image": "never"},
            "condition": "all of them"}))
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(compiled.evaluate(&event(json!({"Image": "x"}))).is_some());
        assert!(glob("selection_*", "selection_img"));
        assert!(glob("*_cli", "selection_cli"));
        assert!(!glob("filter_*", "selection"));
    }
}
