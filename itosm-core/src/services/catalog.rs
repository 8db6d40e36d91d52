//! The software catalog: what can be requested, and its administration.

use super::*;

impl Itosm {
    /// The catalog: titles that can be requested, and with
    /// `include_retired` (admins only) the retired ones too.
    pub async fn software_catalog(
        &self,
        actor: Option<&Actor>,
        include_retired: bool,
    ) -> Result<Vec<Software>, CoreError> {
        policy::authorize(actor, Action::ViewCatalog)?;
        if include_retired {
            policy::authorize(actor, Action::ManageCatalog)?;
        }
        Ok(self.store.list_software(include_retired).await?)
    }

    /// Adds a title (admins); the same name and version may not exist.
    pub async fn add_software(
        &self,
        actor: Option<&Actor>,
        name: &str,
        version: &str,
    ) -> Result<Software, CoreError> {
        policy::authorize(actor, Action::ManageCatalog)?;
        let (name, version) = (name.trim(), version.trim());
        crate::validate_software(name, version)?;
        let added = self.store.add_software(name, version).await?;
        tracing::info!(software = %added.label(), by = ?actor.map(|a| &a.user.username), "catalog title added");
        Ok(added)
    }

    /// Renames a title (admins); tickets that name it follow.
    pub async fn update_software(
        &self,
        actor: Option<&Actor>,
        id: SoftwareId,
        name: &str,
        version: &str,
    ) -> Result<Software, CoreError> {
        policy::authorize(actor, Action::ManageCatalog)?;
        let (name, version) = (name.trim(), version.trim());
        crate::validate_software(name, version)?;
        let updated = self
            .store
            .update_software(id, name, version)
            .await?
            .ok_or_else(|| CoreError::NotFound(format!("no software with id {}", id.0)))?;
        tracing::info!(software = %updated.label(), by = ?actor.map(|a| &a.user.username), "catalog title renamed");
        Ok(updated)
    }

    /// Retires a title (`true`: it stays on old tickets but leaves the
    /// request form) or restores it (admins).
    pub async fn set_software_retired(
        &self,
        actor: Option<&Actor>,
        id: SoftwareId,
        retired: bool,
    ) -> Result<Software, CoreError> {
        policy::authorize(actor, Action::ManageCatalog)?;
        let changed = self
            .store
            .set_software_retired(id, retired, self.clock.now())
            .await?
            .ok_or_else(|| CoreError::NotFound(format!("no software with id {}", id.0)))?;
        tracing::info!(software = %changed.label(), retired, by = ?actor.map(|a| &a.user.username), "catalog title retired or restored");
        Ok(changed)
    }
}
