//! The operator's side of the server on a real embedded store: users with
//! rights on collections named by title, tokens named by a prefix of their
//! hash, collections that cannot be titled twice or lose the local one.

use concord_store::{AnyStore, SqliteStore, Store};
use concord_taxii::admin::{self, NewUser};

#[tokio::test]
async fn users_tokens_and_collections_are_administered() {
    let dir = tempfile::tempdir().unwrap();
    let store = AnyStore::Sqlite(SqliteStore::open_dir(dir.path()).unwrap());
    let local = admin::add_collection(&store, "Local".into(), String::new(), false)
        .await
        .unwrap();
    let open = admin::add_collection(&store, "Open".into(), "d".into(), true)
        .await
        .unwrap();
    let e = admin::add_collection(&store, "Open".into(), String::new(), false)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("already titled \"Open\""), "{e}");

    let read = ["Open".to_string()];
    let write = [local.id.clone()];
    let alice = NewUser {
        name: "alice",
        password: "correct horse battery",
        admin: false,
        read: &read,
        write: &write,
    };
    admin::add_user(&store, alice).await.unwrap();
    let weak = NewUser {
        name: "bob",
        password: "short",
        admin: true,
        read: &[],
        write: &[],
    };
    assert!(admin::add_user(&store, weak).await.is_err());
    let users = admin::users(&store).await.unwrap();
    assert_eq!(users.len(), 1);
    let line = users[0].to_string();
    assert!(line.starts_with("alice  "), "{line}");
    assert!(line.contains(&format!("{} r", open.id)) && line.contains(&format!("{}w", local.id)));

    let token = admin::add_token(&store, "alice").await.unwrap();
    assert!(admin::add_token(&store, "nobody").await.is_err());
    let tokens = admin::tokens(&store).await.unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].hash_prefix.len(), admin::HASH_PREFIX);
    assert!(
        !tokens[0].to_string().contains(&token),
        "a listing never shows the token"
    );
    let e = admin::revoke_token(&store, "abc").await.unwrap_err();
    assert!(e.to_string().contains("at least 6 hex digits"), "{e}");
    let (prefix, user) = admin::revoke_token(&store, &tokens[0].hash_prefix)
        .await
        .unwrap();
    assert_eq!(
        (prefix.as_str(), user.as_str()),
        (tokens[0].hash_prefix.as_str(), "alice")
    );
    assert!(admin::tokens(&store).await.unwrap().is_empty());

    let shown = admin::show_collection(&store, "Open").await.unwrap();
    assert_eq!(shown["rights"][0]["user"], "alice");
    assert_eq!(shown["rights"][0]["write"], false);
    let listed = admin::collections(&store, &local.id).await.unwrap();
    assert!(listed.iter().any(|c| c.local && c.id == local.id));
    let e = admin::remove_collection(&store, "Local", &local.id)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("local collection"), "{e}");
    let (id, _) = admin::remove_collection(&store, "Open", &local.id)
        .await
        .unwrap();
    assert_eq!(id, open.id);
    let e = admin::find_collection(&store.collections().await.unwrap(), "Open").unwrap_err();
    assert!(
        e.to_string().starts_with("no collection with id or title"),
        "{e}"
    );

    let u = admin::user(&store, "alice").await.unwrap();
    admin::set_password(&store, u, "another long password")
        .await
        .unwrap();
    admin::remove_user(&store, "alice").await.unwrap();
    let e = admin::remove_user(&store, "alice").await.unwrap_err();
    assert!(e.to_string().starts_with("there is no user"), "{e}");
}
