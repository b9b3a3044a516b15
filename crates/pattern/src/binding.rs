//! Bindings of observations to observation expressions, found in the same
//! order as the reference matcher finds them.
//!
//! A binding is the list of (observation, instance) pairs bound to the
//! comparison expressions of a pattern; an observed-data with
//! `number_observed = n` offers n instances. Each operator is a lazy stream
//! of bindings that mirrors one generator of stix2-matcher 3.0.0, so the
//! first binding (the one `concord pattern eval` reports) is the reference's
//! first binding. Every step is charged to a budget, so pathological
//! patterns and inputs stop with an error instead of running for hours.

use std::cell::Cell;
use std::collections::HashSet;

use crate::error::EvalError;
use crate::observation::Observation;
use crate::timestamp::Timestamp;

/// One instance of one observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Instance {
    pub observation: u32,
    pub instance: u32,
}

pub(crate) type Binding = Vec<Instance>;

/// What every stream needs: the observations' times and counts, and the
/// remaining budget.
pub(crate) struct Context<'c, 'a> {
    pub observations: &'c [Observation<'a>],
    remaining: Cell<u64>,
    budget: u64,
}

impl<'c, 'a> Context<'c, 'a> {
    pub(crate) fn new(observations: &'c [Observation<'a>], budget: u64) -> Self {
        Context {
            observations,
            remaining: Cell::new(budget),
            budget,
        }
    }

    pub(crate) fn spend(&self, steps: u64) -> Result<(), EvalError> {
        let left = self.remaining.get();
        if left < steps {
            return Err(EvalError::Budget {
                budget: self.budget,
            });
        }
        self.remaining.set(left - steps);
        Ok(())
    }

    fn interval(&self, i: Instance) -> (Timestamp, Timestamp) {
        let o = &self.observations[i.observation as usize];
        (o.first_observed, o.last_observed)
    }

    fn latest_first(&self, b: &[Instance]) -> Timestamp {
        b.iter()
            .map(|i| self.interval(*i).0)
            .max()
            .unwrap_or(crate::timestamp::MIN)
    }

    fn earliest_last(&self, b: &[Instance]) -> Timestamp {
        b.iter()
            .map(|i| self.interval(*i).1)
            .min()
            .unwrap_or(crate::timestamp::MAX)
    }
}

/// A lazy stream of bindings. Streams are fused: after `None`, `None`.
pub(crate) trait Stream {
    fn next(&mut self, cx: &Context<'_, '_>) -> Result<Option<Binding>, EvalError>;
}

pub(crate) type BoxStream = Box<dyn Stream>;

fn disjoint(a: &[Instance], b: &[Instance]) -> bool {
    // Bindings are short; a quadratic scan beats hashing.
    !a.iter().any(|x| b.contains(x))
}

fn concat(a: &[Instance], b: &[Instance]) -> Binding {
    let mut v = Vec::with_capacity(a.len() + b.len());
    v.extend_from_slice(a);
    v.extend_from_slice(b);
    v
}

/// `[ comparison ]`: every instance of every matching observation, in the
/// order the comparison produced the observations.
pub(crate) struct Simple {
    observations: Vec<u32>,
    at: usize,
    instance: u64,
}

impl Simple {
    pub(crate) fn new(observations: Vec<u32>) -> Self {
        Simple {
            observations,
            at: 0,
            instance: 0,
        }
    }
}

impl Stream for Simple {
    fn next(&mut self, cx: &Context<'_, '_>) -> Result<Option<Binding>, EvalError> {
        while let Some(&o) = self.observations.get(self.at) {
            let n = cx.observations[o as usize]
                .number_observed
                .min(u64::from(u32::MAX));
            if self.instance < n {
                cx.spend(1)?;
                self.instance += 1;
                return Ok(Some(vec![Instance {
                    observation: o,
                    instance: (self.instance - 1) as u32,
                }]));
            }
            self.at += 1;
            self.instance = 0;
        }
        Ok(None)
    }
}

/// Which pairs a join keeps.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum JoinKind {
    /// Observation-expression AND: the two sides share no instance.
    And,
    /// FOLLOWEDBY: no shared instance, and the left side can be observed no
    /// later than the right side.
    FollowedBy,
}

#[derive(Clone, Copy)]
enum JoinPhase {
    Start,
    Top,
    RightScan(usize),
    LeftCheck,
    LeftScan(usize),
    Done,
}

/// The reference's AND / FOLLOWEDBY join: a cross product built by pulling
/// the right and the left side in turn, each new binding paired with the
/// cached bindings of the other side.
pub(crate) struct Join {
    kind: JoinKind,
    left: BoxStream,
    right: BoxStream,
    left_cache: Vec<Binding>,
    right_cache: Vec<Binding>,
    next_left: Option<Binding>,
    next_right: Option<Binding>,
    phase: JoinPhase,
}

impl Join {
    pub(crate) fn new(kind: JoinKind, left: BoxStream, right: BoxStream) -> Self {
        Join {
            kind,
            left,
            right,
            left_cache: Vec::new(),
            right_cache: Vec::new(),
            next_left: None,
            next_right: None,
            phase: JoinPhase::Start,
        }
    }

    fn keep(&self, cx: &Context<'_, '_>, l: &[Instance], r: &[Instance]) -> bool {
        disjoint(l, r) && (self.kind == JoinKind::And || cx.latest_first(l) <= cx.earliest_last(r))
    }
}

impl Stream for Join {
    fn next(&mut self, cx: &Context<'_, '_>) -> Result<Option<Binding>, EvalError> {
        loop {
            match self.phase {
                JoinPhase::Done => return Ok(None),
                JoinPhase::Start => {
                    self.next_right = self.right.next(cx)?;
                    self.next_left = self.left.next(cx)?;
                    self.phase = if self.next_right.is_none() || self.next_left.is_none() {
                        JoinPhase::Done
                    } else {
                        JoinPhase::Top
                    };
                }
                JoinPhase::Top => {
                    self.phase = if self.next_right.is_some() {
                        JoinPhase::RightScan(0)
                    } else if self.next_left.is_some() {
                        JoinPhase::LeftScan(0)
                    } else {
                        JoinPhase::Done
                    };
                }
                JoinPhase::RightScan(k) => {
                    let Some(r) = self.next_right.take() else {
                        self.phase = JoinPhase::LeftCheck;
                        continue;
                    };
                    if let Some(l) = self.left_cache.get(k) {
                        cx.spend(1)?;
                        self.phase = JoinPhase::RightScan(k + 1);
                        let out = self.keep(cx, l, &r).then(|| concat(l, &r));
                        self.next_right = Some(r);
                        if out.is_some() {
                            return Ok(out);
                        }
                    } else {
                        self.right_cache.push(r);
                        self.next_right = self.right.next(cx)?;
                        self.phase = JoinPhase::LeftCheck;
                    }
                }
                JoinPhase::LeftCheck => {
                    self.phase = if self.next_left.is_some() {
                        JoinPhase::LeftScan(0)
                    } else {
                        JoinPhase::Top
                    };
                }
                JoinPhase::LeftScan(k) => {
                    let Some(l) = self.next_left.take() else {
                        self.phase = JoinPhase::Top;
                        continue;
                    };
                    if let Some(r) = self.right_cache.get(k) {
                        cx.spend(1)?;
                        self.phase = JoinPhase::LeftScan(k + 1);
                        let out = self.keep(cx, &l, r).then(|| concat(&l, r));
                        self.next_left = Some(l);
                        if out.is_some() {
                            return Ok(out);
                        }
                    } else {
                        self.left_cache.push(l);
                        self.next_left = self.left.next(cx)?;
                        self.phase = JoinPhase::Top;
                    }
                }
            }
        }
    }
}

#[derive(Clone, Copy)]
enum OrTurn {
    Top,
    Left,
    Right,
}

/// The reference's observation-expression OR: left and right bindings in
/// turn, never both in one binding.
pub(crate) struct Or {
    left: BoxStream,
    right: BoxStream,
    started: bool,
    l: Option<Binding>,
    r: Option<Binding>,
    pull_left: bool,
    pull_right: bool,
    turn: OrTurn,
}

impl Or {
    pub(crate) fn new(left: BoxStream, right: BoxStream) -> Self {
        Or {
            left,
            right,
            started: false,
            l: None,
            r: None,
            pull_left: false,
            pull_right: false,
            turn: OrTurn::Top,
        }
    }
}

impl Stream for Or {
    fn next(&mut self, cx: &Context<'_, '_>) -> Result<Option<Binding>, EvalError> {
        if !self.started {
            self.started = true;
            self.l = self.left.next(cx)?;
            self.r = self.right.next(cx)?;
        }
        loop {
            if self.pull_left {
                self.pull_left = false;
                self.l = self.left.next(cx)?;
            }
            if self.pull_right {
                self.pull_right = false;
                self.r = self.right.next(cx)?;
            }
            match self.turn {
                OrTurn::Top => {
                    if self.l.is_none() && self.r.is_none() {
                        return Ok(None);
                    }
                    self.turn = OrTurn::Left;
                }
                OrTurn::Left => {
                    self.turn = OrTurn::Right;
                    if let Some(b) = self.l.take() {
                        self.pull_left = true;
                        return Ok(Some(b));
                    }
                }
                OrTurn::Right => {
                    self.turn = OrTurn::Top;
                    if let Some(b) = self.r.take() {
                        self.pull_right = true;
                        return Ok(Some(b));
                    }
                }
            }
        }
    }
}

/// `WITHIN d SECONDS`: keeps bindings whose observations all overlap one
/// window of length d (the window that starts at the earliest
/// last_observed).
pub(crate) struct Within {
    inner: BoxStream,
    micros: i64,
}

impl Within {
    pub(crate) fn new(inner: BoxStream, micros: i64) -> Self {
        Within { inner, micros }
    }
}

impl Stream for Within {
    fn next(&mut self, cx: &Context<'_, '_>) -> Result<Option<Binding>, EvalError> {
        while let Some(b) = self.inner.next(cx)? {
            cx.spend(b.len() as u64)?;
            let start = cx.earliest_last(&b);
            let end = start
                .checked_add_micros(self.micros)
                .ok_or(EvalError::TimeRange)?;
            let mut ok = true;
            for i in &b {
                let (f, l) = cx.interval(*i);
                if f > l {
                    return Err(EvalError::Interval {
                        observation: i.observation as usize,
                    });
                }
                if !(start <= l && f <= end) {
                    ok = false;
                    break;
                }
            }
            if ok {
                return Ok(Some(b));
            }
        }
        Ok(None)
    }
}

/// `START t1 STOP t2`: keeps bindings whose observations all overlap
/// [t1, t2) (touching t2 alone is not enough).
pub(crate) struct StartStop {
    inner: BoxStream,
    start: Timestamp,
    stop: Timestamp,
}

impl StartStop {
    pub(crate) fn new(inner: BoxStream, start: Timestamp, stop: Timestamp) -> Self {
        StartStop { inner, start, stop }
    }
}

impl Stream for StartStop {
    fn next(&mut self, cx: &Context<'_, '_>) -> Result<Option<Binding>, EvalError> {
        // An empty or inverted window admits nothing; the inner stream is
        // never pulled, as in the reference.
        if self.start >= self.stop {
            return Ok(None);
        }
        while let Some(b) = self.inner.next(cx)? {
            cx.spend(b.len() as u64)?;
            let mut ok = true;
            for i in &b {
                let (f, l) = cx.interval(*i);
                if f > l {
                    return Err(EvalError::Interval {
                        observation: i.observation as usize,
                    });
                }
                let pass = if self.stop == f {
                    false
                } else if l == self.start {
                    true
                } else {
                    f <= self.stop && self.start <= l
                };
                if !pass {
                    ok = false;
                    break;
                }
            }
            if ok {
                return Ok(Some(b));
            }
        }
        Ok(None)
    }
}

/// Why a combination search gave up: not enough disjoint bindings (the
/// reference's NotEnoughValues, with the count missing), or a real error.
enum Shortfall {
    Missing(i64),
    Failed(EvalError),
}

impl From<EvalError> for Shortfall {
    fn from(e: EvalError) -> Self {
        Shortfall::Failed(e)
    }
}

/// An upper bound on how many pairwise-disjoint bindings `list` holds (the
/// reference's `_bound_largest_combination`).
fn bound_largest_combination(cx: &Context<'_, '_>, list: &[Binding]) -> Result<i64, EvalError> {
    cx.spend(list.len() as u64)?;
    let Some(max_size) = list.iter().map(Vec::len).max() else {
        return Ok(0);
    };
    let mut by_size: Vec<HashSet<Instance>> = vec![HashSet::new(); max_size + 1];
    for b in list {
        by_size[b.len()].extend(b.iter().copied());
    }
    let mut consumed: HashSet<Instance> = HashSet::new();
    let mut size = 0i64;
    for (i, set) in by_size.iter().enumerate().take(max_size).skip(1) {
        let available: Vec<Instance> = set.difference(&consumed).copied().collect();
        size += (available.len() as i64 + i as i64 - 1) / i as i64;
        consumed.extend(available);
    }
    let available = by_size[max_size].difference(&consumed).count();
    size += (available / max_size) as i64;
    Ok(size)
}

/// One level of the reference's `_filtered_combinations_from_list`:
/// `size`-sized disjoint combinations of `list`, in list order.
struct Combinations {
    list: Vec<Binding>,
    size: usize,
    i: usize,
    started: bool,
    finished: bool,
    sub: Option<Box<Combinations>>,
    sub_input_len: usize,
}

impl Combinations {
    fn new(list: Vec<Binding>, size: usize) -> Self {
        Combinations {
            list,
            size,
            i: 0,
            started: false,
            finished: false,
            sub: None,
            sub_input_len: 0,
        }
    }

    fn next(&mut self, cx: &Context<'_, '_>) -> Result<Option<Binding>, Shortfall> {
        if self.finished {
            return Ok(None);
        }
        if self.size == 1 {
            let out = self.list.get(self.i).cloned();
            self.i += 1;
            return Ok(out);
        }
        if !self.started {
            self.started = true;
            let bound = bound_largest_combination(cx, &self.list)?;
            if bound < self.size as i64 {
                self.finished = true;
                return Err(Shortfall::Missing(self.size as i64 - bound));
            }
        }
        loop {
            if let Some(sub) = self.sub.as_mut() {
                match sub.next(cx) {
                    Ok(Some(rest)) => return Ok(Some(concat(&self.list[self.i], &rest))),
                    Ok(None) => {
                        self.sub = None;
                        self.i += 1;
                    }
                    Err(Shortfall::Missing(missing)) => {
                        // The sub-search gives up before yielding anything.
                        self.sub = None;
                        let removed = self.list.len() - (self.i + 1) - self.sub_input_len;
                        let max_add = removed.min(self.list[self.i].len()) as i64;
                        let expected = missing + 1 - max_add;
                        if expected > 0 {
                            self.finished = true;
                            if self.i == 0 {
                                return Err(Shortfall::Missing(expected));
                            }
                            return Ok(None);
                        }
                        self.i += 1;
                    }
                    Err(e) => return Err(e),
                }
            } else {
                if self.i + self.size > self.list.len() {
                    self.finished = true;
                    return Ok(None);
                }
                let head = &self.list[self.i];
                cx.spend((self.list.len() - self.i) as u64)?;
                let filtered: Vec<Binding> = self.list[self.i + 1..]
                    .iter()
                    .filter(|c| disjoint(head, c))
                    .cloned()
                    .collect();
                self.sub_input_len = filtered.len();
                self.sub = Some(Box::new(Combinations::new(filtered, self.size - 1)));
            }
        }
    }
}

/// `REPEATS n TIMES`: n pairwise-disjoint bindings of the inner expression,
/// concatenated (the reference's `_filtered_combinations`).
pub(crate) struct Repeats {
    inner: BoxStream,
    count: usize,
    started: bool,
    done: bool,
    generated: Vec<Binding>,
    current: Option<(Binding, Combinations)>,
}

impl Repeats {
    pub(crate) fn new(inner: BoxStream, count: usize) -> Self {
        Repeats {
            inner,
            count,
            started: false,
            done: false,
            generated: Vec::new(),
            current: None,
        }
    }
}

impl Stream for Repeats {
    fn next(&mut self, cx: &Context<'_, '_>) -> Result<Option<Binding>, EvalError> {
        if self.count <= 1 {
            return self.inner.next(cx);
        }
        if self.done {
            return Ok(None);
        }
        if !self.started {
            self.started = true;
            while self.generated.len() < self.count - 1 {
                match self.inner.next(cx)? {
                    Some(b) => self.generated.push(b),
                    None => break,
                }
            }
        }
        loop {
            if let Some((value, combos)) = self.current.as_mut() {
                match combos.next(cx) {
                    Ok(Some(c)) => return Ok(Some(concat(&c, value))),
                    Ok(None) | Err(Shortfall::Missing(_)) => {
                        if let Some((value, _)) = self.current.take() {
                            self.generated.push(value);
                        }
                    }
                    Err(Shortfall::Failed(e)) => return Err(e),
                }
            } else {
                let Some(value) = self.inner.next(cx)? else {
                    self.done = true;
                    return Ok(None);
                };
                cx.spend(self.generated.len() as u64 + 1)?;
                let filtered: Vec<Binding> = self
                    .generated
                    .iter()
                    .filter(|c| disjoint(c, &value))
                    .cloned()
                    .collect();
                self.current = Some((value, Combinations::new(filtered, self.count - 1)));
            }
        }
    }
}
