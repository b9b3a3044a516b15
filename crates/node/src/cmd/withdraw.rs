//! `concord withdraw ID [--reason TEXT]`: the author takes an object back
//! (FEDERATION.md section 7). A new version with `revoked: true`, a newer
//! `modified`, the reason, and its optional descriptive fields emptied is
//! signed and stored; ordinary sync carries it to every peer that received
//! the object, and they stop matching it at once.

use anyhow::{Context, Result, bail};
use concord_stix::json::parse_object;
use concord_stix::{StixObject, Timestamp};
use concord_store::{PreparedObject, Store, VersionSel};
use serde_json::Value;

use super::Node;
use crate::Outcome;
use crate::config::Global;

#[derive(clap::Args)]
pub struct Args {
    /// The id of an object this member authored.
    id: String,
    /// Why (travels with the withdrawal).
    #[arg(long, default_value = "withdrawn by its author")]
    reason: String,
}

/// Descriptive properties a withdrawal empties: what is wrong should stop
/// circulating with the tombstone.
const EMPTIED: [&str; 4] = ["description", "labels", "external_references", "confidence"];

pub fn run(global: &Global, args: Args) -> Result<Outcome> {
    let node = Node::open(global)?;
    let key = node.keypair(global)?;
    let member = node.config.node.identity.clone();
    let rt = super::runtime()?;
    rt.block_on(async {
        let versions = node.store.versions(&args.id, VersionSel::Last).await?;
        let Some(latest) = versions.last() else {
            bail!("this node holds no object {}", args.id);
        };
        let object = parse_object(latest.json.as_bytes()).context("the stored object is not JSON")?;
        match concord_trust::read_provenance(&object) {
            Ok(claim) if claim.signer == member => {}
            Ok(claim) => bail!(
                "{} was authored by {}: only its author can withdraw it",
                args.id,
                claim.signer
            ),
            Err(_) => bail!(
                "{} is not signed by this member: only objects this node authored (imported with --tlp) can be withdrawn",
                args.id
            ),
        }
        if object.get("revoked") == Some(&Value::Bool(true)) {
            bail!("{} is already withdrawn", args.id);
        }
        let previous = object
            .get("modified")
            .and_then(Value::as_str)
            .and_then(|m| Timestamp::parse(m).ok())
            .context("the object has no modified timestamp to supersede")?;
        let modified = Timestamp(Timestamp::now().0.max(previous.0 + 1_000));
        let mut next = object.clone();
        for k in EMPTIED {
            next.remove(k);
        }
        // Addressed to everyone who may hold any earlier version, not only
        // to those the last one was for (FEDERATION.md 7b: a peer whose
        // entitlement a later version narrowed still holds the earlier
        // body, and must still be told).
        let all = node.store.versions(&args.id, VersionSel::All).await?;
        let earlier: Vec<serde_json::Map<String, Value>> = all
            .iter()
            .filter_map(|v| parse_object(v.json.as_bytes()).ok())
            .collect();
        widen_to_every_version(&mut next, &earlier)?;
        next.insert("modified".into(), modified.to_stix().into());
        next.insert("revoked".into(), true.into());
        next.insert("x_concord_withdrawal_reason".into(), args.reason.clone().into());
        let signed = concord_trust::sign_object(&next, &member, &key)
            .map_err(|e| anyhow::anyhow!("signing the withdrawal: {e}"))?;
        let text = Value::Object(signed.clone()).to_string();
        let prepared = PreparedObject::new(&StixObject::from_map(signed), text);
        node.store
            .put_batch(&node.config.node.collection, vec![prepared])
            .await?;
        if global.json {
            println!(
                "{}",
                serde_json::json!({"id": args.id, "modified": modified.to_stix(), "revoked": true})
            );
        } else {
            println!("{} withdrawn (version {})", args.id, modified.to_stix());
        }
        Ok(Outcome::Ok)
    })
}

/// Gives the tombstone the least strict TLP of all earlier versions and,
/// when every one of them had an audience, the union of those audiences
/// (else none: some version went to everyone its TLP allows). The
/// tombstone carries no description, so the wider set learns only that an
/// id it may already hold was withdrawn.
fn widen_to_every_version(
    next: &mut serde_json::Map<String, Value>,
    versions: &[serde_json::Map<String, Value>],
) -> Result<()> {
    use concord_trust::{AUDIENCE_EXTENSION_ID, Audience, Relay, read_audience, set_audience};
    let least = versions
        .iter()
        .filter_map(|v| {
            v.get("object_marking_refs")
                .and_then(Value::as_array)
                .and_then(|refs| concord_stix::tlp::strictest_of(refs))
        })
        .min();
    if let Some(level) = least {
        crate::federation::authoring::set_tlp(next, level);
    }
    let audiences: Vec<Option<Audience>> = versions
        .iter()
        .map(|v| read_audience(v).ok().flatten())
        .collect();
    if audiences.iter().all(Option::is_some) && !audiences.is_empty() {
        let mut union: Vec<String> = Vec::new();
        let mut relay = Relay::None;
        let mut never_export = true;
        for a in audiences.into_iter().flatten() {
            for name in a.audience {
                if !union.contains(&name) {
                    union.push(name);
                }
            }
            if a.relay == Relay::Members {
                relay = Relay::Members;
            }
            never_export &= a.never_export;
        }
        set_audience(
            next,
            &Audience {
                audience: union,
                relay,
                retain_days: None,
                never_export,
            },
        )
        .map_err(|e| anyhow::anyhow!("setting the withdrawal's audience: {e}"))?;
    } else if let Some(Value::Object(exts)) = next.get_mut("extensions") {
        exts.remove(AUDIENCE_EXTENSION_ID);
        if exts.is_empty() {
            next.remove("extensions");
        }
    }
    Ok(())
}
