//! Detection assets, their proofs, infrastructure changes and decay policies on both
//! databases.

use aegis_domain::catalog::TechniqueId;
use aegis_domain::detection_lifecycle::{
    AssetFilter, AssetId, AssetKind, AssetRevision, AssetStatus, DecayPolicy, DetectionAsset,
    DetectionValidation, InfrastructureChange, InfrastructureChangeId, ProofEnd, ProofSource,
    ValidationId,
};

use super::*;

fn technique(id: &str) -> TechniqueId {
    TechniqueId::parse(id).unwrap()
}

fn asset(t: TenantId, by: UserId, name: &str, platform: &str) -> DetectionAsset {
    let mut asset = DetectionAsset::new(
        AssetId::from_uuid(Uuid::now_v7()),
        t,
        name.to_owned(),
        AssetKind::SiemRule,
        platform.to_owned(),
        format!("rule {name}"),
        vec![technique("T1059.001"), technique("T1003")],
        by,
        now(),
    );
    asset.team = "SOC".to_owned();
    asset.owner = Some(by);
    asset
}

fn revision(a: &DetectionAsset, change: &str) -> AssetRevision {
    AssetRevision {
        id: Uuid::now_v7(),
        asset_id: a.id,
        version: a.version(),
        change: change.to_owned(),
        content_sha256: a.content_sha256().to_owned(),
        status: a.status,
        changed_by: a.owner,
        changed_at: a.updated_at,
    }
}

fn proof(a: &DetectionAsset, id: &str, days_left: i64) -> DetectionValidation {
    DetectionValidation {
        id: ValidationId::from_uuid(Uuid::now_v7()),
        tenant_id: a.tenant_id,
        asset_id: a.id,
        technique_id: technique(id),
        source: ProofSource::Manual,
        test_id: None,
        outcome: None,
        evidence: Some("TICKET-1".to_owned()),
        notes: String::new(),
        content_sha256: a.content_sha256().to_owned(),
        validated_by: a.owner,
        validated_at: now() - Duration::days(1),
        expires_at: now() + Duration::days(days_left),
        ended: None,
    }
}

on_both!(
    assets_keep_their_techniques_history_and_version,
    |s: Store| async move {
        let db = &s.db;
        let t = tenant(db, "alpha").await;
        let other = tenant(db, "bravo").await;
        let ana = user(t, "ana@aegis.test", Role::BlueLead);
        db.insert_user(t, &ana).await.unwrap();
        let splunk = asset(t, ana.id, "Encoded PowerShell", "splunk");
        db.insert_asset(t, &splunk, &revision(&splunk, "created"))
            .await
            .unwrap();
        assert_eq!(
            db.find_asset(t, splunk.id).await.unwrap(),
            Some(splunk.clone())
        );
        assert_eq!(db.find_asset(other, splunk.id).await.unwrap(), None);
        let twin = asset(t, ana.id, "Encoded PowerShell", "splunk");
        assert!(matches!(
            db.insert_asset(t, &twin, &revision(&twin, "created")).await,
            Err(RepositoryError::Duplicate(Subject::DetectionAsset))
        ));
        let sentinel = asset(t, ana.id, "Encoded PowerShell", "sentinel");
        db.insert_asset(t, &sentinel, &revision(&sentinel, "created"))
            .await
            .unwrap();

        let mut edited = splunk.clone();
        assert!(edited.set_content("rule changed".to_owned()));
        edited.set_techniques(vec![technique("T1566")]);
        let expected = edited.record_change(now());
        db.update_asset(t, &edited, expected, &revision(&edited, "edited"))
            .await
            .unwrap();
        assert_eq!(
            db.find_asset(t, splunk.id).await.unwrap(),
            Some(edited.clone())
        );
        assert!(matches!(
            db.update_asset(t, &edited, expected, &revision(&edited, "edited"))
                .await,
            Err(RepositoryError::StaleVersion { current: 2 })
        ));
        let mut clash = sentinel.clone();
        clash.platform = "splunk".to_owned();
        let expected = clash.record_change(now());
        assert!(matches!(
            db.update_asset(t, &clash, expected, &revision(&clash, "edited"))
                .await,
            Err(RepositoryError::Duplicate(Subject::DetectionAsset))
        ));
        let history = db.asset_history(t, splunk.id).await.unwrap();
        let changes: Vec<&str> = history.iter().map(|h| h.change.as_str()).collect();
        assert_eq!(changes, ["created", "edited"]);

        let by_technique = db
            .list_assets(
                t,
                &AssetFilter {
                    technique: Some(technique("T1566")),
                    ..AssetFilter::default()
                },
                PageRequest::default(),
            )
            .await
            .unwrap();
        assert_eq!(by_technique.total, 1);
        assert_eq!(by_technique.items[0].id, splunk.id);
        let by_platform = db
            .list_assets(
                t,
                &AssetFilter {
                    platform: Some("Sentinel".to_owned()),
                    search: Some("powershell".to_owned()),
                    ..AssetFilter::default()
                },
                PageRequest::default(),
            )
            .await
            .unwrap();
        assert_eq!(by_platform.total, 1);
        assert_eq!(by_platform.items[0].techniques.len(), 2);

        let mut retired = sentinel.clone();
        retired.status = AssetStatus::Retired;
        let expected = retired.record_change(now());
        db.update_asset(t, &retired, expected, &revision(&retired, "retired"))
            .await
            .unwrap();
        let live = db.live_assets(t).await.unwrap();
        assert_eq!(live.iter().map(|a| a.id).collect::<Vec<_>>(), [splunk.id]);
        assert!(db.live_assets(other).await.unwrap().is_empty());
    }
);

on_both!(
    proofs_end_once_and_count_for_scoring,
    |s: Store| async move {
        let db = &s.db;
        let t = tenant(db, "alpha").await;
        let ana = user(t, "ana@aegis.test", Role::BlueLead);
        db.insert_user(t, &ana).await.unwrap();
        let splunk = asset(t, ana.id, "Encoded PowerShell", "splunk");
        db.insert_asset(t, &splunk, &revision(&splunk, "created"))
            .await
            .unwrap();
        let current = proof(&splunk, "T1059.001", 30);
        let other = proof(&splunk, "T1003", 30);
        let expired = proof(&splunk, "T1059.001", -1);
        db.insert_validations(t, &[current.clone(), other.clone(), expired.clone()])
            .await
            .unwrap();
        let of_technique = db
            .validations(t, None, Some(&technique("T1059.001")))
            .await
            .unwrap();
        assert_eq!(of_technique.len(), 2);
        assert!(of_technique.contains(&current));
        assert_eq!(
            db.detection_proof(t, &technique("T1059.001"), now())
                .await
                .unwrap(),
            aegis_domain::scoring::DetectionProof {
                current: 1,
                lapsed: 1,
                lapsed_at: Some(expired.expires_at),
            }
        );

        let end = ProofEnd {
            at: now(),
            reason: "rule changed since it was proven".to_owned(),
            change: None,
        };
        assert_eq!(db.end_validations(t, &[current.id], &end).await.unwrap(), 1);
        assert_eq!(
            db.end_validations(t, &[current.id], &end).await.unwrap(),
            0,
            "a proof ends once"
        );
        let stored = db.validations(t, Some(splunk.id), None).await.unwrap();
        let ended = stored.iter().find(|v| v.id == current.id).unwrap();
        assert_eq!(ended.ended.as_ref(), Some(&end));
        let proof = db
            .detection_proof(t, &technique("T1059.001"), now())
            .await
            .unwrap();
        assert_eq!((proof.current, proof.lapsed), (0, 2));
        // The latest lapse is the end just recorded (stored to the microsecond).
        let lapsed_at = proof.lapsed_at.unwrap();
        assert!(
            (lapsed_at - end.at).num_milliseconds().abs() < 1,
            "{lapsed_at} vs {}",
            end.at
        );
        let unended = db
            .unended_validations(t, Some(std::slice::from_ref(&splunk.id)), Some(now()))
            .await
            .unwrap();
        assert_eq!(unended.len(), 2);
        assert!(
            db.unended_validations(t, Some(&[][..]), None)
                .await
                .unwrap()
                .is_empty()
        );

        let change = InfrastructureChange {
            id: InfrastructureChangeId::from_uuid(Uuid::now_v7()),
            tenant_id: t,
            title: "Splunk migration".to_owned(),
            description: String::new(),
            occurred_at: now(),
            platforms: vec!["splunk".to_owned()],
            assets: vec![splunk.id],
            recorded_by: ana.id,
            recorded_at: now(),
            ended_validations: 2,
        };
        db.insert_infrastructure_change(t, &change).await.unwrap();
        assert_eq!(db.infrastructure_changes(t).await.unwrap(), [change]);

        let policy = DecayPolicy {
            id: Uuid::now_v7(),
            tenant_id: t,
            platform: Some("splunk".to_owned()),
            tactic: None,
            validity_days: 30,
        };
        db.save_decay_policy(t, &policy).await.unwrap();
        let replaced = DecayPolicy {
            id: Uuid::now_v7(),
            validity_days: 45,
            ..policy.clone()
        };
        db.save_decay_policy(t, &replaced).await.unwrap();
        let policies = db.decay_policies(t).await.unwrap();
        assert_eq!(policies.len(), 1, "one policy per scope");
        assert_eq!(policies[0].validity_days, 45);
        db.delete_decay_policy(t, policies[0].id).await.unwrap();
        assert!(matches!(
            db.delete_decay_policy(t, policies[0].id).await,
            Err(RepositoryError::NotFound(Entity::DecayPolicy))
        ));
    }
);
