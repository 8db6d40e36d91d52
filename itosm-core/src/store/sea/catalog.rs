//! The software catalog on SQLite and PostgreSQL.

use super::*;

pub(super) fn software_from(row: software_catalog::Model) -> Software {
    Software {
        id: SoftwareId(row.id),
        name: row.name,
        version: row.version,
        retired: row.retired_at.is_some(),
    }
}

#[async_trait]
impl CatalogStore for SeaStore {
    async fn list_software(&self, include_retired: bool) -> Result<Vec<Software>, StoreError> {
        let mut select = software_catalog::Entity::find();
        if !include_retired {
            select = select.filter(software_catalog::Column::RetiredAt.is_null());
        }
        Ok(select
            .order_by_asc(software_catalog::Column::Name)
            .order_by_asc(software_catalog::Column::Version)
            .order_by_asc(software_catalog::Column::Id)
            .all(&self.db)
            .await
            .map_err(classify)?
            .into_iter()
            .map(software_from)
            .collect())
    }

    async fn get_software(&self, id: SoftwareId) -> Result<Option<Software>, StoreError> {
        Ok(software_catalog::Entity::find_by_id(id.0)
            .one(&self.db)
            .await
            .map_err(classify)?
            .map(software_from))
    }

    async fn upsert_software(&self, name: &str, version: &str) -> Result<Software, StoreError> {
        let _guard = self.write_guard().await;
        let find = || {
            software_catalog::Entity::find()
                .filter(software_catalog::Column::Name.eq(name))
                .filter(software_catalog::Column::Version.eq(version))
                .one(&self.db)
        };
        if let Some(row) = find().await.map_err(classify)? {
            return Ok(software_from(row));
        }
        let row = software_catalog::ActiveModel {
            id: NotSet,
            name: Set(name.to_owned()),
            version: Set(version.to_owned()),
            retired_at: Set(None),
        };
        software_catalog::Entity::insert(row)
            .on_conflict_do_nothing_on([
                software_catalog::Column::Name,
                software_catalog::Column::Version,
            ])
            .exec(&self.db)
            .await
            .map_err(classify)?;
        find()
            .await
            .map_err(classify)?
            .map(software_from)
            .ok_or_else(|| StoreError::Internal("software vanished after insert".to_owned()))
    }

    async fn add_software(&self, name: &str, version: &str) -> Result<Software, StoreError> {
        let _guard = self.write_guard().await;
        let row = software_catalog::ActiveModel {
            id: NotSet,
            name: Set(name.to_owned()),
            version: Set(version.to_owned()),
            retired_at: Set(None),
        };
        row.insert(&self.db)
            .await
            .map(software_from)
            .map_err(|e| match classify(e) {
                StoreError::Conflict(_) => {
                    StoreError::Conflict(format!("{name} {version} is already in the catalog"))
                }
                other => other,
            })
    }

    async fn update_software(
        &self,
        id: SoftwareId,
        name: &str,
        version: &str,
    ) -> Result<Option<Software>, StoreError> {
        {
            let _guard = self.write_guard().await;
            software_catalog::Entity::update_many()
                .filter(software_catalog::Column::Id.eq(id.0))
                .col_expr(software_catalog::Column::Name, Expr::value(name))
                .col_expr(software_catalog::Column::Version, Expr::value(version))
                .exec(&self.db)
                .await
                .map_err(|e| match classify(e) {
                    StoreError::Conflict(_) => {
                        StoreError::Conflict(format!("{name} {version} is already in the catalog"))
                    }
                    other => other,
                })?;
        }
        self.get_software(id).await
    }

    async fn set_software_retired(
        &self,
        id: SoftwareId,
        retired: bool,
        now: DateTime<Utc>,
    ) -> Result<Option<Software>, StoreError> {
        {
            let _guard = self.write_guard().await;
            software_catalog::Entity::update_many()
                .filter(software_catalog::Column::Id.eq(id.0))
                .col_expr(
                    software_catalog::Column::RetiredAt,
                    Expr::value(retired.then_some(now)),
                )
                .exec(&self.db)
                .await
                .map_err(classify)?;
        }
        self.get_software(id).await
    }
}
