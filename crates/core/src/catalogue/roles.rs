//! Roles and custom privileges. Built-in privileges are not stored: they follow from the
//! repositories (see `security::privileges`).

use super::Catalogue;
use crate::security::Role;
use crate::security::privileges::{Privilege, PrivilegeKind};
use crate::{CoreError, Result, now_millis};
use sqlx::Row;
use sqlx::any::AnyRow;

fn json_list(r: &AnyRow, column: &str) -> Result<Vec<String>> {
    serde_json::from_str(&r.try_get::<String, _>(column)?)
        .map_err(|e| CoreError::Internal(format!("bad {column} list: {e}")))
}

fn to_json(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
}

fn role_from_row(r: &AnyRow) -> Result<Role> {
    Ok(Role {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        privileges: json_list(r, "privileges")?,
        roles: json_list(r, "roles")?,
        read_only: r.try_get::<i64, _>("read_only")? != 0,
    })
}

fn privilege_from_row(r: &AnyRow) -> Result<Privilege> {
    let kind: PrivilegeKind = serde_json::from_str(&r.try_get::<String, _>("attributes")?)
        .map_err(|e| CoreError::Internal(format!("bad privilege attributes: {e}")))?;
    Ok(Privilege {
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        kind,
        read_only: false,
    })
}

impl Catalogue {
    /// Every role, by id.
    pub async fn list_roles(&self) -> Result<Vec<Role>> {
        sqlx::query(
            "SELECT id, name, description, privileges, roles, read_only FROM roles ORDER BY id",
        )
        .fetch_all(&mut *self.conn().await?)
        .await?
        .iter()
        .map(role_from_row)
        .collect()
    }

    /// Stores a new role; a taken id is a validation error on `id`.
    pub async fn create_role(&self, role: &Role) -> Result<()> {
        sqlx::query(
            "INSERT INTO roles (id, name, description, privileges, roles, read_only, created_at) \
             VALUES ($1, $2, $3, $4, $5, 0, $6)",
        )
        .bind(&role.id)
        .bind(&role.name)
        .bind(&role.description)
        .bind(to_json(&role.privileges))
        .bind(to_json(&role.roles))
        .bind(now_millis())
        .execute(&mut *self.conn().await?)
        .await
        .map_err(|e| {
            if super::is_unique_violation(&e) {
                CoreError::invalid("id", format!("a role '{}' already exists", role.id))
            } else {
                e.into()
            }
        })?;
        Ok(())
    }

    /// Replaces a role's name, description, privileges and roles.
    pub async fn update_role(&self, role: &Role) -> Result<()> {
        let done = sqlx::query(
            "UPDATE roles SET name = $1, description = $2, privileges = $3, roles = $4 \
             WHERE id = $5 AND read_only = 0",
        )
        .bind(&role.name)
        .bind(&role.description)
        .bind(to_json(&role.privileges))
        .bind(to_json(&role.roles))
        .bind(&role.id)
        .execute(&mut *self.conn().await?)
        .await?;
        if done.rows_affected() == 0 {
            return Err(CoreError::NotFound(format!("role '{}'", role.id)));
        }
        Ok(())
    }

    /// Deletes a role.
    pub async fn delete_role(&self, id: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM roles WHERE id = $1 AND read_only = 0")
            .bind(id)
            .execute(&mut *self.conn().await?)
            .await?;
        if done.rows_affected() == 0 {
            return Err(CoreError::NotFound(format!("role '{id}'")));
        }
        Ok(())
    }

    /// Removes privileges `names` from every role that holds them (a repository was deleted,
    /// or a custom privilege): a later repository of the same name starts with no grants.
    pub async fn remove_privileges_from_roles(&self, names: &[String]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let rows =
            sqlx::query("SELECT id, name, description, privileges, roles, read_only FROM roles")
                .fetch_all(&mut *tx)
                .await?;
        for row in &rows {
            let role = role_from_row(row)?;
            let kept: Vec<String> = role
                .privileges
                .iter()
                .filter(|p| !names.contains(p))
                .cloned()
                .collect();
            if kept.len() != role.privileges.len() {
                sqlx::query("UPDATE roles SET privileges = $1 WHERE id = $2")
                    .bind(to_json(&kept))
                    .bind(&role.id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every custom privilege, by name.
    pub async fn list_privileges(&self) -> Result<Vec<Privilege>> {
        sqlx::query("SELECT name, description, attributes FROM privileges ORDER BY name")
            .fetch_all(&mut *self.conn().await?)
            .await?
            .iter()
            .map(privilege_from_row)
            .collect()
    }

    /// Stores a custom privilege; a taken name is a validation error on `name`.
    pub async fn create_privilege(&self, p: &Privilege) -> Result<()> {
        sqlx::query(
            "INSERT INTO privileges (name, type, description, attributes, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&p.name)
        .bind(p.kind.type_name())
        .bind(&p.description)
        .bind(serde_json::to_string(&p.kind).map_err(|e| CoreError::Internal(e.to_string()))?)
        .bind(now_millis())
        .execute(&mut *self.conn().await?)
        .await
        .map_err(|e| {
            if super::is_unique_violation(&e) {
                CoreError::invalid("name", format!("a privilege '{}' already exists", p.name))
            } else {
                e.into()
            }
        })?;
        Ok(())
    }

    /// Replaces a custom privilege's description and grant.
    pub async fn update_privilege(&self, p: &Privilege) -> Result<()> {
        let done = sqlx::query(
            "UPDATE privileges SET type = $1, description = $2, attributes = $3 WHERE name = $4",
        )
        .bind(p.kind.type_name())
        .bind(&p.description)
        .bind(serde_json::to_string(&p.kind).map_err(|e| CoreError::Internal(e.to_string()))?)
        .bind(&p.name)
        .execute(&mut *self.conn().await?)
        .await?;
        if done.rows_affected() == 0 {
            return Err(CoreError::NotFound(format!("privilege '{}'", p.name)));
        }
        Ok(())
    }

    /// Deletes a custom privilege and takes it out of every role.
    pub async fn delete_privilege(&self, name: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM privileges WHERE name = $1")
            .bind(name)
            .execute(&mut *self.conn().await?)
            .await?;
        if done.rows_affected() == 0 {
            return Err(CoreError::NotFound(format!("privilege '{name}'")));
        }
        self.remove_privileges_from_roles(&[name.to_owned()]).await
    }
}
