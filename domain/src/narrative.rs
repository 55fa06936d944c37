//! The executive narrative: the organization's posture, its trend, its biggest gaps, what
//! improved and what to do next, in sentences a reader outside the security team follows.

use chrono::{DateTime, Utc};

use crate::catalog::TechniqueId;

/// An uncovered technique, ranked by how many threat actors use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskyTechnique {
    pub technique_id: TechniqueId,
    pub name: String,
    pub actors: u32,
}

/// An earlier posture to compare with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EarlierPosture {
    pub taken_at: DateTime<Utc>,
    pub organization_score: Option<f64>,
    pub coverage_percent: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NarrativeInputs<'a> {
    pub covered_techniques: u32,
    pub total_techniques: u32,
    pub coverage_percent: f64,
    pub organization_score: Option<f64>,
    pub detection_rate: Option<f64>,
    pub earlier: Option<EarlierPosture>,
    pub top_uncovered: &'a [RiskyTechnique],
    pub validated_recently: u32,
    pub techniques_validated_recently: u32,
    pub recent_days: u32,
    pub stale_techniques: u32,
    pub awaiting_review: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Narrative {
    pub posture: String,
    pub trend: String,
    pub top_risks: Vec<String>,
    pub improvements: String,
    pub actions: Vec<String>,
}

fn standing(score: f64) -> &'static str {
    match score {
        s if s < 25.0 => "weak",
        s if s < 50.0 => "developing",
        s if s < 75.0 => "solid",
        _ => "strong",
    }
}

fn plural(n: u32, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[must_use]
pub fn narrative(inputs: &NarrativeInputs<'_>) -> Narrative {
    let mut posture = format!(
        "Coverage stands at {:.1}% of the matrix ({} of {} techniques covered)",
        inputs.coverage_percent, inputs.covered_techniques, inputs.total_techniques
    );
    match inputs.organization_score {
        Some(score) => posture.push_str(&format!(
            ", an organization score of {score:.1}/100: a {} posture.",
            standing(score)
        )),
        None => posture.push_str(": no technique has been scored yet."),
    }
    if let Some(rate) = inputs.detection_rate {
        posture.push_str(&format!(
            " {:.0}% of validated tests were detected or prevented.",
            rate * 100.0
        ));
    }
    let trend = match (inputs.earlier, inputs.organization_score) {
        (None, _) => "No earlier snapshot to compare with yet.".to_owned(),
        (Some(earlier), now) => {
            let since = earlier.taken_at.format("%Y-%m-%d");
            let before = earlier.organization_score.unwrap_or(0.0);
            let delta = now.unwrap_or(0.0) - before;
            let coverage_delta = inputs.coverage_percent - earlier.coverage_percent;
            if delta.abs() < 0.05 && coverage_delta.abs() < 0.05 {
                format!("Unchanged since {since}.")
            } else {
                format!(
                    "{} {:.1} points since {since} (score {before:.1} → {:.1}; coverage {:+.1} points).",
                    if delta >= 0.0 { "Up" } else { "Down" },
                    delta.abs(),
                    now.unwrap_or(0.0),
                    coverage_delta
                )
            }
        }
    };
    let top_risks = inputs
        .top_uncovered
        .iter()
        .map(|risk| {
            format!(
                "{} {}: used by {}, not covered",
                risk.technique_id,
                risk.name,
                plural(risk.actors, "threat actor", "threat actors")
            )
        })
        .collect();
    let improvements = if inputs.validated_recently == 0 {
        format!(
            "No test was validated in the last {} days.",
            inputs.recent_days
        )
    } else {
        format!(
            "{} validated in the last {} days, proving coverage of {}.",
            plural(inputs.validated_recently, "test", "tests"),
            inputs.recent_days,
            plural(
                inputs.techniques_validated_recently,
                "technique",
                "techniques"
            )
        )
    };
    let mut actions: Vec<String> = inputs
        .top_uncovered
        .iter()
        .map(|risk| format!("Plan a test for {} {}.", risk.technique_id, risk.name))
        .collect();
    if inputs.stale_techniques > 0 {
        actions.push(format!(
            "Retest {} whose validation has gone stale.",
            plural(inputs.stale_techniques, "technique", "techniques")
        ));
    }
    if inputs.awaiting_review > 0 {
        actions.push(format!(
            "Review {} waiting for the leads' votes.",
            plural(inputs.awaiting_review, "test", "tests")
        ));
    }
    Narrative {
        posture,
        trend,
        top_risks,
        improvements,
        actions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(risks: &[RiskyTechnique]) -> NarrativeInputs<'_> {
        NarrativeInputs {
            covered_techniques: 25,
            total_techniques: 200,
            coverage_percent: 12.5,
            organization_score: Some(18.3),
            detection_rate: Some(0.62),
            earlier: None,
            top_uncovered: risks,
            validated_recently: 0,
            techniques_validated_recently: 0,
            recent_days: 30,
            stale_techniques: 0,
            awaiting_review: 0,
        }
    }

    #[test]
    fn the_narrative_names_the_posture_the_gaps_and_the_next_steps() {
        let risks = vec![RiskyTechnique {
            technique_id: TechniqueId::parse("T1566").unwrap_or_else(|_| unreachable!()),
            name: "Phishing".to_owned(),
            actors: 42,
        }];
        let mut input = inputs(&risks);
        input.stale_techniques = 3;
        input.awaiting_review = 1;
        let text = narrative(&input);
        assert_eq!(
            text.posture,
            "Coverage stands at 12.5% of the matrix (25 of 200 techniques covered), an \
             organization score of 18.3/100: a weak posture. 62% of validated tests were \
             detected or prevented."
        );
        assert_eq!(text.trend, "No earlier snapshot to compare with yet.");
        assert_eq!(
            text.top_risks,
            vec!["T1566 Phishing: used by 42 threat actors, not covered"]
        );
        assert_eq!(
            text.improvements,
            "No test was validated in the last 30 days."
        );
        assert_eq!(
            text.actions,
            vec![
                "Plan a test for T1566 Phishing.",
                "Retest 3 techniques whose validation has gone stale.",
                "Review 1 test waiting for the leads' votes."
            ]
        );
    }

    #[test]
    fn the_trend_compares_with_the_earlier_snapshot() {
        let mut input = inputs(&[]);
        input.earlier = Some(EarlierPosture {
            taken_at: chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 22, 0, 0, 0)
                .single()
                .unwrap_or_default(),
            organization_score: Some(14.1),
            coverage_percent: 10.0,
        });
        assert_eq!(
            narrative(&input).trend,
            "Up 4.2 points since 2026-11-22 (score 14.1 → 18.3; coverage +2.5 points)."
        );
        input.organization_score = Some(14.1);
        input.coverage_percent = 10.0;
        assert_eq!(narrative(&input).trend, "Unchanged since 2026-11-22.");
        input.validated_recently = 1;
        input.techniques_validated_recently = 1;
        assert_eq!(
            narrative(&input).improvements,
            "1 test validated in the last 30 days, proving coverage of 1 technique."
        );
    }
}
