//! sea-orm entities of the global ATT&CK catalog.

#![expect(
    unreachable_pub,
    reason = "sea-orm's derives require public models inside private modules"
)]

pub(crate) mod tactic {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "tactics")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub stix_id: String,
        pub mitre_id: String,
        pub name: String,
        pub shortname: String,
        pub description: String,
        pub url: Option<String>,
        pub matrix_order: i32,
        pub modified: Option<DateTimeUtc>,
        pub fingerprint: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod technique {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "techniques")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub stix_id: String,
        pub mitre_id: String,
        pub name: String,
        pub description: String,
        pub tactics: Json,
        pub platforms: Json,
        pub detection: String,
        pub data_components: Json,
        pub detection_strategies: Json,
        pub url: Option<String>,
        pub version: Option<String>,
        pub parent_mitre_id: Option<String>,
        pub is_subtechnique: bool,
        pub revoked: bool,
        pub deprecated: bool,
        pub revoked_by: Option<String>,
        pub review_required: bool,
        pub review_reason: Option<String>,
        pub custom: bool,
        pub modified: Option<DateTimeUtc>,
        pub fingerprint: String,
        pub imported_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod technique_tactic {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "technique_tactics")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub technique_stix_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub tactic_shortname: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod mitigation {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "mitigations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub stix_id: String,
        pub mitre_id: String,
        pub name: String,
        pub description: String,
        pub url: Option<String>,
        pub revoked: bool,
        pub deprecated: bool,
        pub fingerprint: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod threat_actor {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "threat_actors")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub stix_id: String,
        pub mitre_id: Option<String>,
        pub name: String,
        pub aliases: Json,
        pub description: String,
        pub references: Json,
        pub revoked: bool,
        pub deprecated: bool,
        pub modified: Option<DateTimeUtc>,
        pub fingerprint: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod software {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "software")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub stix_id: String,
        pub mitre_id: Option<String>,
        pub name: String,
        pub kind: String,
        pub aliases: Json,
        pub platforms: Json,
        pub description: String,
        pub revoked: bool,
        pub deprecated: bool,
        pub fingerprint: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod relationship {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "attack_relationships")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub stix_id: String,
        pub kind: String,
        pub source_ref: String,
        pub target_ref: String,
        pub description: Option<String>,
        pub fingerprint: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod catalog_import {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "catalog_imports")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub source: String,
        pub status: String,
        pub requested_by: Option<Uuid>,
        pub started_at: DateTimeUtc,
        pub finished_at: Option<DateTimeUtc>,
        pub report: Option<Json>,
        pub error: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
