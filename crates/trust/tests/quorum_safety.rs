//! The vote model test of issue 6 and FEDERATION.md section 3: random
//! n <= 31, up to f = n - q Byzantine members that sign every proposal,
//! honest members that sign at most one proposal per base (through the
//! signing guard) in random orders. Never two valid charters for one
//! version. The competing proposals renew, admit members the adversary
//! controls (who then sign their own admission) and remove members (so
//! the candidate's quorum q(N+1) is smaller than q(N)): only q(N) of the
//! base protects safety, and the test shows it does.

use concord_trust::testkit::Community;
use concord_trust::{
    Proposal, ProposalKind, SigningGuard, VerifiedCharter, Vote, min_quorum, propose, verify_next,
};
use proptest::prelude::*;

/// Competing proposals on the genesis: renewals to different dates,
/// admissions of members the adversary controls, and removals.
fn proposals(k: &Community, g: &VerifiedCharter, count: usize, admit: bool) -> Vec<Proposal> {
    let n = g.charter().members.len();
    (0..count)
        .map(|i| {
            let kind = if i % 4 == 3 && n > 1 {
                ProposalKind::RemoveMember {
                    id: Community::member_id((i * 7) % n),
                }
            } else if admit && i % 2 == 1 {
                let id = 100 + i;
                ProposalKind::AddMember {
                    id: Community::member_id(id),
                    member: k.founder(id).to_member(&k.community),
                }
            } else {
                ProposalKind::Renew {
                    expires: format!("{}-01-01T00:00:00Z", 2031 + i),
                }
            };
            propose(g, &kind).expect("a valid proposal")
        })
        .collect()
}

/// Runs one voting round and returns how many proposals verify as charter 2.
fn adopted_versions(
    n: usize,
    byzantine: &[usize],
    proposal_count: usize,
    admit: bool,
    order: &[(usize, usize)],
    abstain: &[bool],
) -> usize {
    let k = Community::new(n);
    let g = k.genesis();
    let ps = proposals(&k, &g, proposal_count, admit);
    let mut votes: Vec<Vec<Vote>> = vec![Vec::new(); ps.len()];
    let mut guards: Vec<SigningGuard> = (0..n).map(|_| SigningGuard::new(1)).collect();
    for (step, &(m, p)) in order.iter().enumerate() {
        let honest = !byzantine.contains(&m);
        if honest {
            if abstain.get(step).copied().unwrap_or(false) {
                continue;
            }
            // Honest code claims (and would persist) before signing.
            if guards[m].claim(g.version(), &ps[p].id()).is_err() {
                continue;
            }
        }
        let vote = Vote::sign(&g, &ps[p], &Community::member_id(m), &Community::key(m))
            .expect("a member signs");
        votes[p].push(vote);
    }
    // Members admitted by a proposal are the adversary's: they sign theirs.
    for (i, p) in ps.iter().enumerate() {
        for (id, _) in p.charter().members.iter() {
            if let Some(j) = id.strip_prefix('m').and_then(|s| s.parse::<usize>().ok())
                && j >= 100
            {
                votes[i].push(Vote::sign(&g, p, id, &Community::key(j)).expect("signs"));
            }
        }
    }
    ps.iter()
        .zip(&votes)
        .filter(|(p, vs)| {
            let bytes = p.assemble(&g, vs).expect("assembles");
            verify_next(&g, &bytes, k.now()).is_ok()
        })
        .count()
}

/// One voting round: members, the Byzantine ones, how many proposals,
/// whether some admit adversary members, the order of vote requests and
/// which honest requests are abstained from.
type Scenario = (
    usize,
    Vec<usize>,
    usize,
    bool,
    Vec<(usize, usize)>,
    Vec<bool>,
);

fn scenario() -> impl Strategy<Value = Scenario> {
    (1usize..=31, 2usize..=4, any::<bool>()).prop_flat_map(|(n, count, admit)| {
        let f = n - min_quorum(n as u64) as usize;
        let pairs: Vec<(usize, usize)> = (0..n)
            .flat_map(|m| (0..count).map(move |p| (m, p)))
            .collect();
        let len = pairs.len();
        (
            Just(n),
            proptest::sample::subsequence((0..n).collect::<Vec<_>>(), 0..=f),
            Just(count),
            Just(admit),
            Just(pairs).prop_shuffle(),
            proptest::collection::vec(proptest::bool::weighted(0.1), len),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn never_two_valid_charters_for_one_version(
        (n, byzantine, count, admit, order, abstain) in scenario()
    ) {
        let adopted = adopted_versions(n, &byzantine, count, admit, &order, &abstain);
        prop_assert!(adopted <= 1, "n={n} byzantine={byzantine:?}: {adopted} valid charters");
    }
}

/// The model does reach a decision when honest members agree.
#[test]
fn honest_agreement_adopts_one_version() {
    let n = 10;
    let order: Vec<(usize, usize)> = (0..n).map(|m| (m, 0)).collect();
    assert_eq!(adopted_versions(n, &[7, 8, 9], 2, false, &order, &[]), 1);
}

/// And the test can fail: with 2q - n Byzantine members (one more than
/// the bound tolerates) a split vote yields two valid charters, which is
/// why the quorum may never go below floor(2n/3)+1.
#[test]
fn one_byzantine_member_too_many_forks() {
    let n = 10; // q = 7, f = 3: with 4 Byzantine members a fork exists
    let byzantine = [6, 7, 8, 9];
    let mut order: Vec<(usize, usize)> = (0..3).map(|m| (m, 0)).collect();
    order.extend((3..6).map(|m| (m, 1)));
    order.extend(byzantine.iter().flat_map(|&m| [(m, 0), (m, 1)]));
    assert_eq!(adopted_versions(n, &byzantine, 2, false, &order, &[]), 2);
}
