//! The software catalog.

use super::*;

impl Itosm {
    /// The software catalog.
    pub async fn software_catalog(
        &self,
        actor: Option<&Actor>,
    ) -> Result<Vec<Software>, CoreError> {
        policy::authorize(actor, Action::ViewCatalog)?;
        Ok(self.store.list_software().await?)
    }
}
