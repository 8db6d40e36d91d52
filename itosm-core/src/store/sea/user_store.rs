//! Users on SQLite and PostgreSQL.

use super::*;

pub(super) fn user_from(row: users::Model) -> Result<User, StoreError> {
    let role = Role::parse(&row.role).ok_or_else(|| corrupt("role", &row.role))?;
    // Rows written by the seed's SQL carry only is_admin.
    let role = if row.is_admin { Role::Admin } else { role };
    Ok(User {
        id: UserId(row.id),
        username: crate::Username::from_stored(row.username),
        employee_id: row.employee_id,
        display_name: row.display_name,
        email: row.email.map(crate::Email::from_stored),
        phone: row.phone.map(crate::Phone::from_stored),
        role,
        active: row.active,
        token_generation: row.token_generation,
        has_password: row.password_hash.is_some(),
        must_change_password: row.must_change_password,
    })
}

/// A new, active user's row; `is_admin` kept in step with the role for the
/// seed's SQL.
pub(super) fn user_row(user: &NewUser) -> users::ActiveModel {
    users::ActiveModel {
        id: NotSet,
        username: Set(user.username.to_string()),
        employee_id: Set(user.employee_id.clone()),
        is_admin: Set(user.role == Role::Admin),
        role: Set(user.role.as_str().to_owned()),
        display_name: Set(user.display_name.clone()),
        email: Set(user.email.as_ref().map(ToString::to_string)),
        phone: Set(user.phone.as_ref().map(ToString::to_string)),
        active: Set(true),
        created_at: Set(Utc::now()),
        token_generation: Set(0),
        password_hash: Set(None),
        must_change_password: Set(false),
    }
}

#[async_trait]
impl UserStore for SeaStore {
    async fn find_user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        users::Entity::find()
            .filter(users::Column::Username.eq(username))
            .one(&self.db)
            .await
            .map_err(classify)?
            .map(user_from)
            .transpose()
    }

    async fn users_by_ids(&self, ids: &[UserId]) -> Result<Vec<User>, StoreError> {
        users::Entity::find()
            .filter(users::Column::Id.is_in(ids.iter().map(|id| id.0)))
            .all(&self.db)
            .await
            .map_err(classify)?
            .into_iter()
            .map(user_from)
            .collect()
    }

    async fn active_users_with_roles(&self, roles: &[Role]) -> Result<Vec<User>, StoreError> {
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        let mut select = users::Entity::find().filter(users::Column::Active.eq(true));
        // Rows written by the seed's SQL carry only is_admin.
        select = if roles.contains(&Role::Admin) {
            select.filter(sea_orm::sea_query::ExprTrait::or(
                users::Column::Role.is_in(names),
                users::Column::IsAdmin.eq(true),
            ))
        } else {
            select.filter(sea_orm::sea_query::ExprTrait::and(
                users::Column::Role.is_in(names),
                users::Column::IsAdmin.eq(false),
            ))
        };
        select
            .order_by_asc(users::Column::Id)
            .all(&self.db)
            .await
            .map_err(classify)?
            .into_iter()
            .map(user_from)
            .collect()
    }

    async fn upsert_user(&self, user: &NewUser) -> Result<User, StoreError> {
        let _guard = self.write_guard().await;
        let row = user_row(user);
        users::Entity::insert(row)
            .on_conflict(
                OnConflict::column(users::Column::Username)
                    .update_columns([
                        users::Column::EmployeeId,
                        users::Column::IsAdmin,
                        users::Column::Role,
                        users::Column::DisplayName,
                        users::Column::Email,
                        users::Column::Phone,
                    ])
                    .to_owned(),
            )
            .exec(&self.db)
            .await
            .map_err(classify)?;
        self.find_user_by_username(&user.username)
            .await?
            .ok_or_else(|| StoreError::Internal("user vanished after upsert".to_owned()))
    }

    async fn create_user(&self, user: &NewUser) -> Result<User, StoreError> {
        let _guard = self.write_guard().await;
        let row = user_row(user)
            .insert(&self.db)
            .await
            .map_err(|e| match classify(e) {
                StoreError::Conflict(_) => {
                    StoreError::Conflict(format!("username {} is taken", user.username))
                }
                other => other,
            })?;
        user_from(row)
    }

    async fn update_user(&self, id: UserId, patch: UserPatch) -> Result<Option<User>, StoreError> {
        {
            let _guard = self.write_guard().await;
            let mut update = users::Entity::update_many().filter(users::Column::Id.eq(id.0));
            if let Some(role) = patch.role {
                update = update
                    .col_expr(users::Column::Role, Expr::value(role.as_str()))
                    .col_expr(users::Column::IsAdmin, Expr::value(role == Role::Admin));
            }
            if let Some(active) = patch.active {
                update = update.col_expr(users::Column::Active, Expr::value(active));
            }
            if patch.revoke_tokens {
                update = update.col_expr(
                    users::Column::TokenGeneration,
                    Expr::col(users::Column::TokenGeneration).add(1),
                );
            }
            if patch.role.is_some() || patch.active.is_some() || patch.revoke_tokens {
                update.exec(&self.db).await.map_err(classify)?;
            }
        }
        Ok(self.users_by_ids(&[id]).await?.into_iter().next())
    }

    async fn list_users(&self, q: &UserQuery) -> Result<Vec<User>, StoreError> {
        let mut select = users::Entity::find();
        if let Some(role) = q.role {
            // Rows written by the seed's SQL carry only is_admin.
            select = select.filter(if role == Role::Admin {
                Condition::any()
                    .add(users::Column::Role.eq(role.as_str()))
                    .add(users::Column::IsAdmin.eq(true))
            } else {
                Condition::all()
                    .add(users::Column::Role.eq(role.as_str()))
                    .add(users::Column::IsAdmin.eq(false))
            });
        }
        if let Some(active) = q.active {
            select = select.filter(users::Column::Active.eq(active));
        }
        if let Some(needle) = &q.search {
            select = select.filter(
                Condition::any()
                    .add(column_contains(users::Column::Username, needle))
                    .add(column_contains(users::Column::DisplayName, needle))
                    .add(column_contains(users::Column::Email, needle)),
            );
        }
        if let Some(after) = q.after {
            select = select.filter(users::Column::Id.gt(after.0));
        }
        select
            .order_by_asc(users::Column::Id)
            .limit(q.limit)
            .all(&self.db)
            .await
            .map_err(classify)?
            .into_iter()
            .map(user_from)
            .collect()
    }

    async fn update_profile(
        &self,
        id: UserId,
        display_name: &str,
        email: Option<&crate::Email>,
    ) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        users::Entity::update_many()
            .filter(users::Column::Id.eq(id.0))
            .col_expr(users::Column::DisplayName, Expr::value(display_name))
            .col_expr(
                users::Column::Email,
                Expr::value(email.map(ToString::to_string)),
            )
            .exec(&self.db)
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn password_hash(&self, id: UserId) -> Result<Option<String>, StoreError> {
        Ok(users::Entity::find_by_id(id.0)
            .one(&self.db)
            .await
            .map_err(classify)?
            .and_then(|row| row.password_hash))
    }

    async fn set_password_hash(
        &self,
        id: UserId,
        hash: &str,
        must_change: bool,
    ) -> Result<Option<User>, StoreError> {
        {
            let _guard = self.write_guard().await;
            users::Entity::update_many()
                .filter(users::Column::Id.eq(id.0))
                .col_expr(users::Column::PasswordHash, Expr::value(hash))
                .col_expr(users::Column::MustChangePassword, Expr::value(must_change))
                .col_expr(
                    users::Column::TokenGeneration,
                    Expr::col(users::Column::TokenGeneration).add(1),
                )
                .exec(&self.db)
                .await
                .map_err(classify)?;
        }
        Ok(self.users_by_ids(&[id]).await?.into_iter().next())
    }
}
