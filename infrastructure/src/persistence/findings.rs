//! Findings with their remediation steps (a JSON list, always read and written whole with
//! the finding it belongs to), and what a scanner reported for a vulnerability finding
//! (`scanner_findings`, one row per such finding, written with it).

use aegis_domain::ports::Entity;
use aegis_domain::ports::FindingRepository;
use aegis_domain::ports::Subject;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::{Deserialize, Serialize};

use aegis_domain::catalog::TechniqueId;
use std::collections::HashMap;

use aegis_domain::finding::vulnerability::{CodeLocation, Scanner, SecurityScore, Vulnerability};
use aegis_domain::finding::{
    Finding, FindingFilter, FindingId, FindingKind, FindingStatus, RemediationStep, RiskAcceptance,
    Severity, StepStatus,
};
use aegis_domain::page::{Page, PageRequest};
use aegis_domain::ports::RepositoryError;
use aegis_domain::tenant::TenantId;
use aegis_domain::test_case::{Outcome, TestId};
use aegis_domain::user::UserId;
use sea_orm::sea_query::Query;

use super::error::{corrupt, ensure_tenant, on_write, unexpected};
use super::versioned::{VersionedTable, find_in_tenant, update_versioned};

pub(crate) mod entities {
    #![expect(
        unreachable_pub,
        reason = "sea-orm's derives require public models inside private modules"
    )]

    pub(crate) mod finding {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "findings")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub tenant_id: Uuid,
            pub test_id: Option<Uuid>,
            pub technique_id: Option<String>,
            pub campaign_id: Option<Uuid>,
            pub title: String,
            pub outcome: Option<String>,
            pub severity: String,
            /// Severity as a number, so lists sort most severe first.
            pub severity_rank: i16,
            pub status: String,
            pub owner_id: Option<Uuid>,
            pub due_on: Option<Date>,
            pub steps: Json,
            pub risk_reason: Option<String>,
            pub risk_expires_on: Option<Date>,
            pub risk_accepted_by: Option<Uuid>,
            pub retest_id: Option<Uuid>,
            pub last_retest_outcome: Option<String>,
            pub resolved_at: Option<DateTimeUtc>,
            pub version: i32,
            pub created_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
            /// test_gap or vulnerability.
            pub kind: String,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub(crate) mod scanner_finding {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "scanner_findings")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub finding_id: Uuid,
            pub tenant_id: Uuid,
            pub fingerprint: String,
            pub scope: String,
            pub scanner_name: String,
            pub scanner_version: Option<String>,
            pub rule_id: String,
            pub rule_name: Option<String>,
            pub message: String,
            pub artifact_uri: Option<String>,
            pub line: Option<i32>,
            pub cves: Json,
            pub cwes: Json,
            pub score_tenths: Option<i16>,
            pub scanner_severity: String,
            pub guidance: String,
            /// ` T1190 T1059 `: a technique filter is one `LIKE '% T1190 %'`.
            pub techniques: String,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use entities::{finding, scanner_finding};

use async_trait::async_trait;

use super::{Connection, SeaStore};

/// A step as stored in the `steps` JSON column.
#[derive(Serialize, Deserialize)]
struct StoredStep {
    id: uuid::Uuid,
    title: String,
    assignee: Option<uuid::Uuid>,
    status: String,
    notes: String,
    updated_at: DateTime<Utc>,
}

fn outcome(text: &str) -> Result<Outcome, RepositoryError> {
    Outcome::parse(text).ok_or_else(|| corrupt("finding outcome", text))
}

fn vulnerability_of(row: scanner_finding::Model) -> Result<Vulnerability, RepositoryError> {
    let list = |value: serde_json::Value, what: &str| -> Result<Vec<String>, RepositoryError> {
        serde_json::from_value(value).map_err(|e| corrupt(what, e))
    };
    let location = row.artifact_uri.map(|uri| CodeLocation {
        uri,
        line: row.line.and_then(|l| u32::try_from(l).ok()),
    });
    let score = row
        .score_tenths
        .map(|t| {
            u8::try_from(t)
                .ok()
                .and_then(SecurityScore::from_tenths)
                .ok_or_else(|| corrupt("security score", t))
        })
        .transpose()?;
    Ok(Vulnerability {
        fingerprint: row.fingerprint,
        scope: row.scope,
        scanner: Scanner {
            name: row.scanner_name,
            version: row.scanner_version,
        },
        rule_id: row.rule_id,
        rule_name: row.rule_name,
        message: row.message,
        location,
        cves: list(row.cves, "finding CVEs")?,
        cwes: list(row.cwes, "finding CWEs")?,
        score,
        scanner_severity: Severity::parse(&row.scanner_severity)
            .ok_or_else(|| corrupt("scanner severity", &row.scanner_severity))?,
        guidance: row.guidance,
        techniques: row
            .techniques
            .split_whitespace()
            .map(|t| TechniqueId::parse(t).map_err(|e| corrupt("finding technique", e)))
            .collect::<Result<_, _>>()?,
    })
}

fn scanner_row(tenant: TenantId, id: FindingId, v: &Vulnerability) -> scanner_finding::ActiveModel {
    let techniques: String = v
        .techniques
        .iter()
        .map(|t| format!(" {t}"))
        .chain(std::iter::once(" ".to_owned()))
        .collect();
    scanner_finding::ActiveModel {
        finding_id: Set(id.as_uuid()),
        tenant_id: Set(tenant.as_uuid()),
        fingerprint: Set(v.fingerprint.clone()),
        scope: Set(v.scope.clone()),
        scanner_name: Set(v.scanner.name.clone()),
        scanner_version: Set(v.scanner.version.clone()),
        rule_id: Set(v.rule_id.clone()),
        rule_name: Set(v.rule_name.clone()),
        message: Set(v.message.clone()),
        artifact_uri: Set(v.location.as_ref().map(|l| l.uri.clone())),
        line: Set(v
            .location
            .as_ref()
            .and_then(|l| l.line)
            .and_then(|l| i32::try_from(l).ok())),
        cves: Set(serde_json::json!(v.cves)),
        cwes: Set(serde_json::json!(v.cwes)),
        score_tenths: Set(v.score.map(|s| i16::from(s.tenths()))),
        scanner_severity: Set(v.scanner_severity.as_str().to_owned()),
        guidance: Set(v.guidance.clone()),
        techniques: Set(techniques),
    }
}

fn to_domain(
    row: finding::Model,
    scanned: Option<scanner_finding::Model>,
) -> Result<Finding, RepositoryError> {
    let steps: Vec<StoredStep> =
        serde_json::from_value(row.steps).map_err(|e| corrupt("remediation steps", e))?;
    let steps = steps
        .into_iter()
        .map(|s| {
            Ok(RemediationStep {
                status: StepStatus::parse(&s.status)
                    .ok_or_else(|| corrupt("step status", &s.status))?,
                id: s.id,
                title: s.title,
                assignee: s.assignee.map(UserId::from_uuid),
                notes: s.notes,
                updated_at: s.updated_at,
            })
        })
        .collect::<Result<_, RepositoryError>>()?;
    let risk_acceptance = match (row.risk_reason, row.risk_expires_on, row.risk_accepted_by) {
        (Some(reason), Some(expires_on), Some(by)) => Some(RiskAcceptance {
            reason,
            expires_on,
            accepted_by: UserId::from_uuid(by),
        }),
        _ => None,
    };
    let id = FindingId::from_uuid(row.id);
    let tenant = TenantId::from_uuid(row.tenant_id);
    let severity =
        Severity::parse(&row.severity).ok_or_else(|| corrupt("finding severity", &row.severity))?;
    let technique = row
        .technique_id
        .as_deref()
        .map(|t| TechniqueId::parse(t).map_err(|e| corrupt("finding technique", e)))
        .transpose()?;
    let finding = match (FindingKind::parse(&row.kind), scanned) {
        (Some(FindingKind::Vulnerability), Some(scanned)) => {
            Finding::from_scan(id, tenant, vulnerability_of(scanned)?, row.created_at)
        }
        (Some(FindingKind::TestGap), _) => {
            let (Some(test), Some(technique), Some(opened)) =
                (row.test_id, technique.clone(), row.outcome.as_deref())
            else {
                return Err(corrupt("test gap without its test", row.id));
            };
            Finding::open(
                id,
                tenant,
                TestId::from_uuid(test),
                technique,
                outcome(opened)?,
                severity,
                row.created_at,
            )
        }
        _ => return Err(corrupt("finding kind", &row.kind)),
    };
    let mut finding = finding.restored(
        FindingStatus::parse(&row.status).ok_or_else(|| corrupt("finding status", &row.status))?,
        row.version,
    );
    finding.technique_id = technique;
    finding.severity = severity;
    finding.campaign_id = row.campaign_id;
    finding.title = row.title;
    finding.owner = row.owner_id.map(UserId::from_uuid);
    finding.due_on = row.due_on;
    finding.steps = steps;
    finding.risk_acceptance = risk_acceptance;
    finding.retest_id = row.retest_id.map(TestId::from_uuid);
    finding.last_retest_outcome = row
        .last_retest_outcome
        .as_deref()
        .map(outcome)
        .transpose()?;
    finding.resolved_at = row.resolved_at;
    finding.updated_at = row.updated_at;
    Ok(finding)
}

fn rank(severity: Severity) -> i16 {
    match severity {
        Severity::Low => 1,
        Severity::Medium => 2,
        Severity::High => 3,
        Severity::Critical => 4,
    }
}

fn to_row(f: &Finding) -> finding::ActiveModel {
    let steps: Vec<StoredStep> = f
        .steps
        .iter()
        .map(|s| StoredStep {
            id: s.id,
            title: s.title.clone(),
            assignee: s.assignee.map(|u| u.as_uuid()),
            status: s.status.as_str().to_owned(),
            notes: s.notes.clone(),
            updated_at: s.updated_at,
        })
        .collect();
    let acceptance = f.risk_acceptance.as_ref();
    finding::ActiveModel {
        id: Set(f.id.as_uuid()),
        tenant_id: Set(f.tenant_id.as_uuid()),
        test_id: Set(f.test_id().map(|t| t.as_uuid())),
        technique_id: Set(f.technique_id.as_ref().map(|t| t.as_str().to_owned())),
        campaign_id: Set(f.campaign_id),
        title: Set(f.title.clone()),
        outcome: Set(f.outcome().map(|o| o.as_str().to_owned())),
        kind: Set(f.kind().as_str().to_owned()),
        severity: Set(f.severity.as_str().to_owned()),
        severity_rank: Set(rank(f.severity)),
        status: Set(f.status().as_str().to_owned()),
        owner_id: Set(f.owner.map(|u| u.as_uuid())),
        due_on: Set(f.due_on),
        steps: Set(serde_json::json!(steps)),
        risk_reason: Set(acceptance.map(|a| a.reason.clone())),
        risk_expires_on: Set(acceptance.map(|a| a.expires_on)),
        risk_accepted_by: Set(acceptance.map(|a| a.accepted_by.as_uuid())),
        retest_id: Set(f.retest_id.map(|t| t.as_uuid())),
        last_retest_outcome: Set(f.last_retest_outcome.map(|o| o.as_str().to_owned())),
        resolved_at: Set(f.resolved_at),
        version: Set(f.version()),
        created_at: Set(f.created_at),
        updated_at: Set(f.updated_at),
    }
}

pub(crate) async fn insert(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    f: &Finding,
) -> Result<(), RepositoryError> {
    ensure_tenant(f.tenant_id, tenant, "finding")?;
    finding::Entity::insert(to_row(f))
        .exec_without_returning(db)
        .await
        .map_err(on_write(Subject::Finding))?;
    if let Some(vulnerability) = f.vulnerability() {
        scanner_finding::Entity::insert(scanner_row(tenant, f.id, vulnerability))
            .exec_without_returning(db)
            .await
            .map_err(on_write(Subject::Finding))?;
    }
    Ok(())
}

/// Findings with what the scanner reported for those of kind vulnerability.
async fn with_scans(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    rows: Vec<finding::Model>,
) -> Result<Vec<Finding>, RepositoryError> {
    let scanned: Vec<uuid::Uuid> = rows
        .iter()
        .filter(|r| r.kind == FindingKind::Vulnerability.as_str())
        .map(|r| r.id)
        .collect();
    let mut scans: HashMap<uuid::Uuid, scanner_finding::Model> = HashMap::new();
    for chunk in scanned.chunks(500) {
        let found = scanner_finding::Entity::find()
            .filter(scanner_finding::Column::TenantId.eq(tenant.as_uuid()))
            .filter(scanner_finding::Column::FindingId.is_in(chunk.iter().copied()))
            .all(db)
            .await
            .map_err(unexpected)?;
        scans.extend(found.into_iter().map(|s| (s.finding_id, s)));
    }
    rows.into_iter()
        .map(|row| {
            let scan = scans.remove(&row.id);
            to_domain(row, scan)
        })
        .collect()
}

pub(crate) async fn find(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: FindingId,
) -> Result<Option<Finding>, RepositoryError> {
    let Some(row) = find_in_tenant::<finding::Entity>(db, tenant, id.as_uuid()).await? else {
        return Ok(None);
    };
    Ok(with_scans(db, tenant, vec![row]).await?.pop())
}

pub(crate) async fn update(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    f: &Finding,
    expected_version: i32,
) -> Result<(), RepositoryError> {
    let mut row = to_row(f);
    row.id = NotSet;
    row.tenant_id = NotSet;
    row.created_at = NotSet;
    row.kind = NotSet;
    update_versioned::<finding::Entity, _>(db, tenant, f.id.as_uuid(), expected_version, row)
        .await?;
    if let Some(vulnerability) = f.vulnerability() {
        let mut scan = scanner_row(tenant, f.id, vulnerability);
        scan.finding_id = NotSet;
        scan.tenant_id = NotSet;
        scanner_finding::Entity::update_many()
            .set(scan)
            .filter(scanner_finding::Column::TenantId.eq(tenant.as_uuid()))
            .filter(scanner_finding::Column::FindingId.eq(f.id.as_uuid()))
            .exec(db)
            .await
            .map_err(on_write(Subject::Finding))?;
    }
    Ok(())
}

fn unresolved() -> impl Iterator<Item = &'static str> {
    FindingStatus::ALL
        .into_iter()
        .filter(|s| s.is_unresolved())
        .map(FindingStatus::as_str)
}

pub(crate) async fn list(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    filter: &FindingFilter,
    page: PageRequest,
) -> Result<Page<Finding>, RepositoryError> {
    let mut query = finding::Entity::find().filter(finding::Column::TenantId.eq(tenant.as_uuid()));
    if let Some(status) = filter.status {
        query = query.filter(finding::Column::Status.eq(status.as_str()));
    }
    if let Some(severity) = filter.severity {
        query = query.filter(finding::Column::Severity.eq(severity.as_str()));
    }
    if let Some(technique) = &filter.technique {
        // A vulnerability counts under each technique it leads to, not only its first.
        let scanned = Query::select()
            .column(scanner_finding::Column::FindingId)
            .from(scanner_finding::Entity)
            .and_where(scanner_finding::Column::TenantId.eq(tenant.as_uuid()))
            .and_where(scanner_finding::Column::Techniques.like(format!("% {technique} %")))
            .to_owned();
        query = query.filter(
            Condition::any()
                .add(finding::Column::TechniqueId.eq(technique.as_str()))
                .add(finding::Column::Id.in_subquery(scanned)),
        );
    }
    if let Some(kind) = filter.kind {
        query = query.filter(finding::Column::Kind.eq(kind.as_str()));
    }
    if let Some(owner) = filter.owner {
        query = query.filter(finding::Column::OwnerId.eq(owner.as_uuid()));
    }
    if let Some(campaign) = filter.campaign {
        query = query.filter(finding::Column::CampaignId.eq(campaign));
    }
    if let Some(today) = filter.overdue_on {
        query = query
            .filter(finding::Column::DueOn.lt(today))
            .filter(finding::Column::Status.is_in(unresolved()));
    }
    let total = query.clone().count(db).await.map_err(unexpected)?;
    let rows = query
        .order_by_desc(finding::Column::SeverityRank)
        .order_by_asc(finding::Column::CreatedAt)
        .order_by_asc(finding::Column::Id)
        .offset(page.offset())
        .limit(page.per_page())
        .all(db)
        .await
        .map_err(unexpected)?;
    let items = with_scans(db, tenant, rows).await?;
    Ok(Page {
        items,
        total,
        request: page,
    })
}

pub(crate) async fn of_test(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    test: TestId,
) -> Result<Vec<Finding>, RepositoryError> {
    let rows = finding::Entity::find()
        .filter(finding::Column::TenantId.eq(tenant.as_uuid()))
        .filter(
            Condition::any()
                .add(finding::Column::TestId.eq(test.as_uuid()))
                .add(finding::Column::RetestId.eq(test.as_uuid())),
        )
        .order_by_asc(finding::Column::CreatedAt)
        .all(db)
        .await
        .map_err(unexpected)?;
    with_scans(db, tenant, rows).await
}

pub(crate) async fn scanned(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    scopes: &[String],
) -> Result<Vec<Finding>, RepositoryError> {
    let mut found = Vec::new();
    for chunk in scopes.chunks(100) {
        let scans = scanner_finding::Entity::find()
            .filter(scanner_finding::Column::TenantId.eq(tenant.as_uuid()))
            .filter(scanner_finding::Column::Scope.is_in(chunk.iter().cloned()))
            .all(db)
            .await
            .map_err(unexpected)?;
        let mut by_id: HashMap<uuid::Uuid, scanner_finding::Model> =
            scans.into_iter().map(|s| (s.finding_id, s)).collect();
        let ids: Vec<uuid::Uuid> = by_id.keys().copied().collect();
        for ids in ids.chunks(500) {
            let rows = finding::Entity::find()
                .filter(finding::Column::TenantId.eq(tenant.as_uuid()))
                .filter(finding::Column::Id.is_in(ids.iter().copied()))
                .order_by_asc(finding::Column::CreatedAt)
                .all(db)
                .await
                .map_err(unexpected)?;
            for row in rows {
                let scan = by_id.remove(&row.id);
                found.push(to_domain(row, scan)?);
            }
        }
    }
    Ok(found)
}

impl VersionedTable for finding::Entity {
    const ENTITY: Entity = Entity::Finding;
    fn tenant_column() -> Self::Column {
        finding::Column::TenantId
    }
    fn id_column() -> Self::Column {
        finding::Column::Id
    }
    fn version_column() -> Self::Column {
        finding::Column::Version
    }
}

#[async_trait]
impl<C: Connection> FindingRepository for SeaStore<C> {
    async fn insert_finding(
        &self,
        tenant: TenantId,
        finding: &Finding,
    ) -> Result<(), RepositoryError> {
        insert(self.conn(), tenant, finding).await
    }
    async fn find_finding(
        &self,
        tenant: TenantId,
        id: FindingId,
    ) -> Result<Option<Finding>, RepositoryError> {
        find(&self.read(), tenant, id).await
    }
    async fn update_finding(
        &self,
        tenant: TenantId,
        finding: &Finding,
        expected_version: i32,
    ) -> Result<(), RepositoryError> {
        update(self.conn(), tenant, finding, expected_version).await
    }
    async fn list_findings(
        &self,
        tenant: TenantId,
        filter: &FindingFilter,
        page: PageRequest,
    ) -> Result<Page<Finding>, RepositoryError> {
        list(&self.read(), tenant, filter, page).await
    }
    async fn findings_of_test(
        &self,
        tenant: TenantId,
        test: TestId,
    ) -> Result<Vec<Finding>, RepositoryError> {
        of_test(self.conn(), tenant, test).await
    }
    async fn scanned_findings(
        &self,
        tenant: TenantId,
        scopes: &[String],
    ) -> Result<Vec<Finding>, RepositoryError> {
        scanned(self.conn(), tenant, scopes).await
    }
}
