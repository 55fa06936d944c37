//! sea-orm entities of tests, their transitions, worklogs and comments.

#![expect(
    unreachable_pub,
    reason = "sea-orm's derives require public models inside private modules"
)]

pub(crate) mod test {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "tests")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tenant_id: Uuid,
        pub title: String,
        pub description: String,
        pub technique_id: String,
        pub objective: String,
        pub target_environment: String,
        pub platform: Option<String>,
        pub assignee_id: Option<Uuid>,
        pub campaign_id: Option<Uuid>,
        pub state: String,
        pub red_vote: Option<String>,
        pub red_vote_notes: Option<String>,
        pub blue_vote: Option<String>,
        pub blue_vote_notes: Option<String>,
        pub paused: bool,
        pub paused_at: Option<DateTimeUtc>,
        pub red_started_at: Option<DateTimeUtc>,
        pub red_paused_seconds: i64,
        pub blue_started_at: Option<DateTimeUtc>,
        pub blue_paused_seconds: i64,
        pub red_executed_at: Option<DateTimeUtc>,
        pub red_procedure: Option<String>,
        pub red_command: Option<String>,
        pub red_tool: Option<String>,
        pub red_targets: Json,
        pub red_result_summary: Option<String>,
        pub blue_outcome: Option<String>,
        pub blue_detected_at: Option<DateTimeUtc>,
        pub blue_detection_source: Option<String>,
        pub blue_fired_rules: Json,
        pub blue_notes: Option<String>,
        pub validated_at: Option<DateTimeUtc>,
        pub version: i32,
        pub created_by: Uuid,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod transition {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "test_transitions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tenant_id: Uuid,
        pub test_id: Uuid,
        pub actor_id: Uuid,
        pub action: String,
        pub from_state: String,
        pub to_state: String,
        pub comment: Option<String>,
        pub occurred_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod worklog {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "worklogs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tenant_id: Uuid,
        pub test_id: Uuid,
        pub team: String,
        pub actor_id: Uuid,
        pub started_at: DateTimeUtc,
        pub ended_at: DateTimeUtc,
        pub paused_seconds: i64,
        pub duration_seconds: i64,
        pub integrity_hash: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod comment {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "test_comments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tenant_id: Uuid,
        pub test_id: Uuid,
        pub author_id: Uuid,
        pub body: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
