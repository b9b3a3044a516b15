//! Authoring here refuses ids that belong to another member (issue 16): a
//! member publishes new versions of its own objects only.

use std::collections::HashMap;

use concord_stix::Issue;
use concord_store::AnyStore;
use tokio::runtime::Handle;

use crate::IngestError;
use crate::check::{Checked, Rejection};

/// Who this member is and whom it knows, to tell whose ids are whose.
#[derive(Debug, Clone)]
pub struct Binding {
    /// This member's identity id.
    pub member: String,
    /// Every member's identity id with the name to show for it (this
    /// member's own included).
    pub members: HashMap<String, String>,
}

impl Binding {
    /// Rejects, from a chunk about to be authored here, the objects whose
    /// ids belong to another member.
    pub(crate) fn refuse_others(
        &self,
        rt: &Handle,
        store: &AnyStore,
        file: &str,
        chunk: Vec<Checked>,
    ) -> Result<Vec<Checked>, IngestError> {
        let ids: Vec<String> = chunk
            .iter()
            .filter_map(|c| match c {
                Checked::Ok(p, _, _) => Some(p.id.clone()),
                Checked::Rejected(_) => None,
            })
            .collect();
        if ids.is_empty() {
            return Ok(chunk);
        }
        let theirs: HashMap<String, String> = rt
            .block_on(concord_federation::authoring::bound_to_others(
                store,
                &self.member,
                &self.members,
                ids,
            ))?
            .into_iter()
            .collect();
        if theirs.is_empty() {
            return Ok(chunk);
        }
        Ok(chunk
            .into_iter()
            .map(|c| match c {
                Checked::Ok(p, _, line) if let Some(owner) = theirs.get(&p.id) => {
                    Checked::Rejected(Rejection {
                        file: file.to_string(),
                        line,
                        path: "$".into(),
                        id: Some(p.id.clone()),
                        issues: vec![Issue::error(
                            "$.id",
                            "author-binding",
                            concord_federation::authoring::refusal(&p.id, owner),
                        )],
                    })
                }
                other => other,
            })
            .collect())
    }
}
