//! The audit trail: written with every change, filterable, and tamper-evident.

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database};
use serde_json::Value;

use crate::helpers::*;

on_both_databases!(
    changes_are_audited_and_the_chain_detects_edits,
    |app: TestApp| async move {
        let admin = app.admin_token().await;
        let (id, _) = app.create_user(&admin, "eve@aegis.test", "blue_tech").await;

        let created: Value = app
            .get(
                "/api/v1/audit-logs?action=user.created&entity_type=user",
                &admin,
            )
            .await
            .json()
            .await
            .unwrap();
        let entries = created["items"].as_array().unwrap();
        let eve = entries
            .iter()
            .find(|e| e["entity_id"] == id.as_str())
            .expect("an entry for eve");
        assert_eq!(eve["details"]["role"], "blue_tech");
        assert_eq!(eve["client_ip"], "127.0.0.1");
        assert!(eve["request_id"].as_str().is_some_and(|r| !r.is_empty()));
        assert!(eve["actor_id"].as_str().is_some());

        let all: Value = app
            .get("/api/v1/audit-logs?per_page=200", &admin)
            .await
            .json()
            .await
            .unwrap();
        let actions: Vec<&str> = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        for expected in [
            "tenant.created",
            "user.created",
            "auth.login",
            "account.password_changed",
        ] {
            assert!(
                actions.contains(&expected),
                "{expected} is audited: {actions:?}"
            );
        }
        let sequences: Vec<i64> = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["sequence"].as_i64().unwrap())
            .collect();
        assert!(sequences.windows(2).all(|w| w[0] > w[1]), "newest first");

        let verified: Value = app
            .get("/api/v1/audit-logs/verify", &admin)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(verified["intact"], true, "{verified}");
        assert_eq!(verified["entries_checked"], verified["head_sequence"]);

        // Someone edits a row behind Aegis's back.
        let db = Database::connect(app.database.url()).await.unwrap();
        let edit = "UPDATE audit_log SET action = 'user.viewed' WHERE sequence = 2";
        db.execute_unprepared(edit).await.unwrap();
        let broken: Value = app
            .get("/api/v1/audit-logs/verify", &admin)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(broken["intact"], false);
        assert_eq!(broken["broken_at_sequence"], 2);
        assert!(broken["problem"].as_str().unwrap().contains("altered"));
    }
);

on_both_databases!(
    deleting_an_entry_breaks_the_chain,
    |app: TestApp| async move {
        let admin = app.admin_token().await;
        let db = Database::connect(app.database.url()).await.unwrap();
        let delete = "DELETE FROM audit_log WHERE sequence = 3";
        db.execute_unprepared(delete).await.unwrap();
        let broken: Value = app
            .get("/api/v1/audit-logs/verify", &admin)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(broken["intact"], false);
        assert!(
            broken["problem"].as_str().unwrap().contains("missing"),
            "{broken}"
        );
    }
);

on_both_databases!(
    the_audit_log_is_for_admins_only,
    |app: TestApp| async move {
        let admin = app.admin_token().await;
        let (_, lead) = app.user_with_role(&admin, "red_lead").await;
        let refused = app.get("/api/v1/audit-logs", &lead).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert_eq!(problem(refused).await["code"], "FORBIDDEN");
        let filtered = app.get("/api/v1/audit-logs?from=not-a-date", &admin).await;
        assert_eq!(filtered.status(), StatusCode::BAD_REQUEST);
    }
);
