//! Evaluating a rule set over a stream of events: each event is offered only to the rules
//! whose log source names its channel and id, and each rule's matches are tallied (count,
//! first and last, a few events with the fields that matched).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use aegis_domain::detection::DetectionRule;
use aegis_domain::telemetry::{RunWindow, belongs_to_run};

use super::event::Event;
use super::rule::{CompiledRule, compile};

/// Matching events kept per rule to show why it fired.
const SAMPLES: usize = 5;

/// A rule of the set: compiled, or with the reason it cannot be evaluated.
#[derive(Debug, Clone)]
pub struct RuleEntry {
    pub id: String,
    pub title: String,
    pub techniques: Vec<String>,
    pub level: String,
    /// The rule's last modification (or creation) date, its version as the feed gives it.
    pub version: Option<String>,
    compiled: Result<CompiledRule, String>,
}

impl RuleEntry {
    /// Compiles a rule from its merged Sigma document.
    #[must_use]
    pub fn new(
        rule: &DetectionRule,
        document: &serde_json::Map<String, serde_json::Value>,
    ) -> Self {
        Self {
            id: rule.source_id.clone(),
            title: rule.title.clone(),
            techniques: rule.techniques.clone(),
            level: rule.severity.clone(),
            version: rule.modified.or(rule.created).map(|d| d.to_string()),
            compiled: compile(document),
        }
    }

    /// A rule whose text could not even be read as Sigma.
    #[must_use]
    pub fn unreadable(id: String, reason: String) -> Self {
        Self {
            title: id.clone(),
            id,
            techniques: Vec::new(),
            level: String::new(),
            version: None,
            compiled: Err(reason),
        }
    }

    #[must_use]
    pub fn unsupported(&self) -> Option<&str> {
        self.compiled.as_ref().err().map(String::as_str)
    }
}

/// One field that matched, with its value in the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchedField {
    pub name: String,
    pub value: String,
}

/// One event a rule matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchedEvent {
    pub index: usize,
    pub record_id: Option<String>,
    pub timestamp: Option<DateTime<Utc>>,
    pub fields: Vec<MatchedField>,
}

/// A rule that fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FiredRule {
    pub id: String,
    pub title: String,
    pub techniques: Vec<String>,
    pub level: String,
    pub version: Option<String>,
    pub matching_events: usize,
    pub first_match_at: Option<DateTime<Utc>>,
    pub last_match_at: Option<DateTime<Utc>>,
    pub samples: Vec<MatchedEvent>,
}

/// A rule that could not be evaluated, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnsupportedRule {
    pub id: String,
    pub title: String,
    pub techniques: Vec<String>,
    pub reason: String,
}

/// What an evaluation found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    pub events_read: usize,
    /// Events tied to the run (all of them when no run was given).
    pub events_in_run: usize,
    /// Events that carried the run's marker.
    pub events_with_marker: usize,
    pub first_event_at: Option<DateTime<Utc>>,
    pub last_event_at: Option<DateTime<Utc>>,
    pub rules_evaluated: usize,
    pub rules_unsupported: usize,
    /// The rules that fired, most matches first.
    pub fired: Vec<FiredRule>,
    pub unsupported: Vec<UnsupportedRule>,
}

#[derive(Debug, Default, Clone)]
struct Tally {
    count: usize,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
    samples: Vec<MatchedEvent>,
}

/// The run events are tied to: its window, and its marker (lower-cased).
#[derive(Debug, Clone)]
pub struct Run {
    pub window: Option<RunWindow>,
    pub marker: Option<String>,
}

/// A rule set ready to be evaluated over events, one at a time.
#[derive(Debug)]
pub struct Evaluator {
    rules: Vec<RuleEntry>,
    /// channel → event id (`None`: any) → the rules to offer such an event.
    index: HashMap<&'static str, HashMap<Option<u32>, Vec<usize>>>,
    tallies: Vec<Tally>,
    run: Option<Run>,
    events: usize,
    in_run: usize,
    with_marker: usize,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
}

impl Evaluator {
    #[must_use]
    pub fn new(rules: Vec<RuleEntry>) -> Self {
        let mut index: HashMap<&'static str, HashMap<Option<u32>, Vec<usize>>> = HashMap::new();
        for (position, rule) in rules.iter().enumerate() {
            let Ok(compiled) = &rule.compiled else {
                continue;
            };
            for class in &compiled.classes {
                let by_id = index.entry(class.channel).or_default();
                if class.event_ids.is_empty() {
                    by_id.entry(None).or_default().push(position);
                } else {
                    for id in class.event_ids {
                        by_id.entry(Some(*id)).or_default().push(position);
                    }
                }
            }
        }
        for by_id in index.values_mut() {
            for rules in by_id.values_mut() {
                rules.dedup();
            }
        }
        let tallies = vec![Tally::default(); rules.len()];
        Self {
            rules,
            index,
            tallies,
            run: None,
            events: 0,
            in_run: 0,
            with_marker: 0,
            first: None,
            last: None,
        }
    }

    /// Only the events of this run are offered to the rules.
    #[must_use]
    pub fn for_run(mut self, run: Run) -> Self {
        self.run = Some(Run {
            window: run.window,
            marker: run
                .marker
                .map(|m| m.to_lowercase())
                .filter(|m| !m.is_empty()),
        });
        self
    }

    #[must_use]
    pub fn rules(&self) -> &[RuleEntry] {
        &self.rules
    }

    /// Offers one event to the rules whose log source names it.
    pub fn observe(&mut self, event: &Event) {
        self.events += 1;
        if let Some(run) = &self.run {
            let marked = run
                .marker
                .as_deref()
                .is_some_and(|m| event.all_values().any(|v| v.lower.contains(m)));
            if marked {
                self.with_marker += 1;
            }
            if !belongs_to_run(run.window.as_ref(), event.timestamp, marked) {
                return;
            }
        }
        self.in_run += 1;
        if let Some(at) = event.timestamp {
            self.first = Some(self.first.map_or(at, |f| f.min(at)));
            self.last = Some(self.last.map_or(at, |l| l.max(at)));
        }
        let Some(by_id) = self.index.get(event.channel()) else {
            return;
        };
        let id = event.event_id();
        let candidates = by_id
            .get(&None)
            .into_iter()
            .chain(id.and_then(|id| by_id.get(&Some(id))))
            .flatten();
        for &position in candidates {
            let Ok(compiled) = &self.rules[position].compiled else {
                continue;
            };
            let Some(results) = compiled.evaluate(event) else {
                continue;
            };
            let tally = &mut self.tallies[position];
            tally.count += 1;
            if let Some(at) = event.timestamp {
                tally.first = Some(tally.first.map_or(at, |f| f.min(at)));
                tally.last = Some(tally.last.map_or(at, |l| l.max(at)));
            }
            if tally.samples.len() < SAMPLES {
                tally.samples.push(sample(compiled, &results, event));
            }
        }
    }

    /// The result over every event observed.
    #[must_use]
    pub fn finish(self) -> Evaluation {
        let mut evaluation = Evaluation {
            events_read: self.events,
            events_in_run: self.in_run,
            events_with_marker: self.with_marker,
            first_event_at: self.first,
            last_event_at: self.last,
            ..Evaluation::default()
        };
        for (rule, tally) in self.rules.into_iter().zip(self.tallies) {
            match rule.compiled {
                Err(reason) => {
                    evaluation.rules_unsupported += 1;
                    evaluation.unsupported.push(UnsupportedRule {
                        id: rule.id,
                        title: rule.title,
                        techniques: rule.techniques,
                        reason,
                    });
                }
                Ok(_) => {
                    evaluation.rules_evaluated += 1;
                    if tally.count > 0 {
                        evaluation.fired.push(FiredRule {
                            id: rule.id,
                            title: rule.title,
                            techniques: rule.techniques,
                            level: rule.level,
                            version: rule.version,
                            matching_events: tally.count,
                            first_match_at: tally.first,
                            last_match_at: tally.last,
                            samples: tally.samples,
                        });
                    }
                }
            }
        }
        evaluation.fired.sort_by(|a, b| {
            b.matching_events
                .cmp(&a.matching_events)
                .then(a.id.cmp(&b.id))
        });
        evaluation
    }
}

fn sample(compiled: &CompiledRule, results: &[bool], event: &Event) -> MatchedEvent {
    let mut fields: Vec<MatchedField> = Vec::new();
    for (search, matched) in compiled.searches.iter().zip(results) {
        if !matched {
            continue;
        }
        for name in search.matched_fields(event) {
            if fields.iter().any(|f| f.name == name) {
                continue;
            }
            if let Some(value) = event.field(&name) {
                fields.push(MatchedField {
                    name,
                    value: value.chars().take(512).collect(),
                });
            }
        }
    }
    MatchedEvent {
        index: event.index,
        record_id: event.record_id.clone(),
        timestamp: event.timestamp,
        fields,
    }
}
