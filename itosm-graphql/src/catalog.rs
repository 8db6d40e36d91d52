//! The software catalog and its administration.

use async_graphql::{Context, ID, Object, Result};
use itosm_core::SoftwareId;

use crate::errors::to_graphql_error;
use crate::types::*;
use crate::{parse_id, services};

/// The software catalog.
#[derive(Debug, Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// Software titles that can be requested; with `includeRetired`
    /// (admins only) the retired ones too.
    async fn software_catalog(
        &self,
        ctx: &Context<'_>,
        include_retired: Option<bool>,
    ) -> Result<Vec<SoftwareNode>> {
        let (itosm, caller) = services(ctx)?;
        let catalog = itosm
            .software_catalog(caller.actor_opt()?, include_retired.unwrap_or(false))
            .await
            .map_err(to_graphql_error)?;
        Ok(catalog.into_iter().map(SoftwareNode).collect())
    }
}

/// Catalog administration (admins).
#[derive(Debug, Default)]
pub struct CatalogMutation;

#[Object]
impl CatalogMutation {
    /// Adds a title to the catalog (admins only).
    async fn add_software(
        &self,
        ctx: &Context<'_>,
        name: String,
        version: Option<String>,
    ) -> Result<SoftwareNode> {
        let (itosm, caller) = services(ctx)?;
        itosm
            .add_software(caller.actor_opt()?, &name, version.as_deref().unwrap_or(""))
            .await
            .map(SoftwareNode)
            .map_err(to_graphql_error)
    }

    /// Renames a title (admins only); tickets that name it follow.
    async fn update_software(
        &self,
        ctx: &Context<'_>,
        id: ID,
        name: String,
        version: Option<String>,
    ) -> Result<SoftwareNode> {
        let (itosm, caller) = services(ctx)?;
        let id = SoftwareId(parse_id(&id, "id")?);
        itosm
            .update_software(
                caller.actor_opt()?,
                id,
                &name,
                version.as_deref().unwrap_or(""),
            )
            .await
            .map(SoftwareNode)
            .map_err(to_graphql_error)
    }

    /// Retires a title (admins only): it stays on the tickets that name it
    /// but leaves the request form.
    async fn retire_software(&self, ctx: &Context<'_>, id: ID) -> Result<SoftwareNode> {
        let (itosm, caller) = services(ctx)?;
        let id = SoftwareId(parse_id(&id, "id")?);
        itosm
            .set_software_retired(caller.actor_opt()?, id, true)
            .await
            .map(SoftwareNode)
            .map_err(to_graphql_error)
    }

    /// Puts a retired title back on the request form (admins only).
    async fn restore_software(&self, ctx: &Context<'_>, id: ID) -> Result<SoftwareNode> {
        let (itosm, caller) = services(ctx)?;
        let id = SoftwareId(parse_id(&id, "id")?);
        itosm
            .set_software_retired(caller.actor_opt()?, id, false)
            .await
            .map(SoftwareNode)
            .map_err(to_graphql_error)
    }
}
