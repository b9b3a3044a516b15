//! Settings: your account and rights, API tokens for TAXII clients and
//! scripts, and (admins) users with their per-collection rights, in the
//! same records as `concord user add` and `concord token add`.
//!
//! The store can look a user up by name but not list users or tokens yet,
//! so an admin opens a user by name; a token is shown once and kept only
//! as its hash.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use concord_store::{Grant, Store, User};
use concord_taxii::access::{hash_password, new_token};
use serde::Deserialize;

use crate::ConsoleError;
use crate::i18n::{Arg, Lang};
use crate::shell::{Shared, Viewer, bad_form, failure, render};

struct GrantRow {
    id: String,
    title: String,
    read: bool,
    write: bool,
}

struct Editing {
    name: String,
    exists: bool,
    admin: bool,
    grants: Vec<GrantRow>,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage<'a> {
    l: Lang,
    csrf: &'a str,
    name: &'a str,
    role: String,
    mine: Vec<GrantRow>,
    token: Option<String>,
    is_admin: bool,
    editing: Option<Editing>,
    notice: Option<String>,
    error: Option<String>,
    /// Settings pages that modules added and this user may open.
    more: Vec<MoreLink>,
}

struct MoreLink {
    id: &'static str,
    href: &'static str,
    label: String,
}

fn grant_rows(v: &Viewer, user: Option<&User>) -> Vec<GrantRow> {
    v.rights
        .all_collections()
        .iter()
        .map(|c| {
            let g = user.and_then(|u| u.grants.iter().find(|g| g.collection == c.id));
            GrantRow {
                id: c.id.clone(),
                title: c.title.clone(),
                read: g.is_some_and(|g| g.read),
                write: g.is_some_and(|g| g.write),
            }
        })
        .collect()
}

struct Extra {
    token: Option<String>,
    editing: Option<Editing>,
    notice: Option<String>,
    error: Option<String>,
}

fn page(st: &Shared, v: &Viewer, status: StatusCode, x: Extra) -> Result<Response, ConsoleError> {
    let l = v.lang();
    let u = &v.rights.user;
    let mine = if u.admin {
        Vec::new()
    } else {
        grant_rows(v, Some(u))
            .into_iter()
            .filter(|g| g.read || g.write)
            .collect()
    };
    let body = SettingsPage {
        l,
        csrf: &v.session.csrf,
        name: &u.name,
        role: if u.admin {
            l.t("settings-role-admin")
        } else {
            l.t("settings-role-user")
        },
        mine,
        token: x.token,
        is_admin: u.admin,
        editing: x.editing,
        notice: x.notice,
        error: x.error,
        more: st
            .settings_pages
            .iter()
            .filter(|s| (s.visible)(&v.rights))
            .map(|s| MoreLink {
                id: s.id,
                href: s.path,
                label: l.t(s.label_key),
            })
            .collect(),
    }
    .render()?;
    Ok(render(
        st,
        v,
        "settings",
        status,
        &l.t("settings-title"),
        &body,
    ))
}

#[derive(Deserialize, Default)]
pub(crate) struct SettingsQuery {
    #[serde(default)]
    user: Option<String>,
}

pub(crate) async fn get(
    State(st): State<Shared>,
    v: Viewer,
    Query(q): Query<SettingsQuery>,
) -> Response {
    let result = async {
        let mut x = Extra {
            token: None,
            editing: None,
            notice: None,
            error: None,
        };
        if v.rights.admin
            && let Some(name) = q.user.as_deref().map(str::trim).filter(|n| !n.is_empty())
        {
            let found = st.store.user(name).await?;
            x.editing = Some(Editing {
                name: name.to_string(),
                exists: found.is_some(),
                admin: found.as_ref().is_some_and(|u| u.admin),
                grants: grant_rows(&v, found.as_ref()),
            });
        }
        page(&st, &v, StatusCode::OK, x)
    }
    .await;
    result.unwrap_or_else(|e| failure(&v.ctx, &e))
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub(crate) async fn post_token(
    State(st): State<Shared>,
    v: Viewer,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !v.csrf_ok(&f.csrf) {
        return bad_form(&st, &v, "settings");
    }
    let result = async {
        let (token, hash) = new_token();
        if !st.store.add_token(&v.rights.user.name, &hash).await? {
            return page(
                &st,
                &v,
                StatusCode::CONFLICT,
                Extra {
                    token: None,
                    editing: None,
                    notice: None,
                    error: Some(v.lang().t("error-text")),
                },
            );
        }
        tracing::info!(user = %v.rights.user.name, "console issued an API token");
        page(
            &st,
            &v,
            StatusCode::OK,
            Extra {
                token: Some(token),
                editing: None,
                notice: None,
                error: None,
            },
        )
    }
    .await;
    result.unwrap_or_else(|e| failure(&v.ctx, &e))
}

/// Saves a user (admins only): the form lists every collection with a
/// `read` and a `write` box; a blank password keeps the current one.
pub(crate) async fn post_user(
    State(st): State<Shared>,
    v: Viewer,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, val)| val.as_str())
            .unwrap_or("")
    };
    if !v.csrf_ok(get("csrf")) {
        return bad_form(&st, &v, "settings");
    }
    if !v.rights.admin {
        return crate::shell::no_access(&st, &v, "settings");
    }
    let l = v.lang();
    let name = get("name").trim().to_string();
    let password = get("password").to_string();
    let admin = get("admin") == "on";
    let result = async {
        let fail = |msg: String, editing: Option<Editing>| {
            page(
                &st,
                &v,
                StatusCode::BAD_REQUEST,
                Extra {
                    token: None,
                    editing,
                    notice: None,
                    error: Some(msg),
                },
            )
        };
        let valid_name = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'));
        if !valid_name {
            return fail(l.t("settings-bad-name"), None);
        }
        if name == v.rights.user.name && !admin {
            return fail(l.t("settings-keep-admin"), None);
        }
        let existing = st.store.user(&name).await?;
        let password_hash = if password.is_empty() {
            match &existing {
                Some(u) => u.password_hash.clone(),
                None => return fail(l.t("settings-need-password"), None),
            }
        } else if concord_taxii::access::check_new_password(&password).is_err() {
            return fail(l.t("settings-short-password"), None);
        } else {
            let p = password.clone();
            tokio::task::spawn_blocking(move || hash_password(&p))
                .await
                .map_err(|e| ConsoleError::Task(e.to_string()))??
        };
        let grants: Vec<Grant> = v
            .rights
            .all_collections()
            .iter()
            .filter_map(|c| {
                let read = get(&format!("read:{}", c.id)) == "on";
                let write = get(&format!("write:{}", c.id)) == "on";
                (read || write).then(|| Grant {
                    collection: c.id.clone(),
                    read,
                    write,
                })
            })
            .collect();
        let saved = User {
            name: name.clone(),
            password_hash,
            admin,
            grants,
        };
        st.store.put_user(saved.clone()).await?;
        tracing::info!(by = %v.rights.user.name, user = %name, admin, "console saved a user");
        page(
            &st,
            &v,
            StatusCode::OK,
            Extra {
                token: None,
                editing: Some(Editing {
                    name: name.clone(),
                    exists: true,
                    admin,
                    grants: grant_rows(&v, Some(&saved)),
                }),
                notice: Some(l.t_args("settings-saved", &[("name", Arg::Text(&name))])),
                error: None,
            },
        )
    }
    .await;
    result.unwrap_or_else(|e| failure(&v.ctx, &e))
}
