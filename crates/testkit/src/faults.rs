//! Fault injection for batch writes, against the real local backend.
//!
//! Kinesis `PutRecords` and DynamoDB `BatchWriteItem` may refuse *some*
//! entries of a call — the shard or the partition is over its limit — while
//! they store the others, and say so in the answer (a per-record error code,
//! or `UnprocessedItems`). The local backend never does that, so tests add it
//! with an SDK interceptor:
//!
//! 1. before the request is serialized, the "refused" entries are taken out
//!    of it, so the backend really does not store them;
//! 2. after the answer is parsed, they are reported as refused, exactly as
//!    the service reports them.
//!
//! Code that retries only the refused entries therefore ends with every
//! entry stored once, and code that drops or re-sends entries is caught.
//! A planned [`Fault::FailCall`] makes a whole call fail before it is sent.
//!
//! [`EmptyPagesBehind`] does the same for a Kinesis behaviour the local
//! backend never shows: empty `GetRecords` pages while data lies further on.

use std::collections::VecDeque;
use std::fmt::Debug;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_kinesis::config::interceptors::{
    BeforeSerializationInterceptorContextMut, BeforeTransmitInterceptorContextMut,
    FinalizerInterceptorContextMut,
};
use aws_sdk_kinesis::config::{ConfigBag, Intercept, RuntimeComponents};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The header that marks a call these faults have emptied (every entry
/// refused): AWS refuses an empty batch, and the local backend does too,
/// but for a call carrying this header, which only the tests' fault
/// injection sends (see `scripts/dynamodb_limits.py`).
pub const EMPTIED_BY_FAULTS: &str = "x-pitlane-faults-emptied";

/// What happens to one call.
#[derive(Clone, Debug)]
pub enum Fault {
    /// The call goes through untouched.
    Pass,
    /// The service refuses the entries at these positions of the call.
    Refuse(Vec<usize>),
    /// The whole call fails before it is sent (as a network failure would).
    FailCall,
}

/// One batch-write operation that faults can be injected into.
pub trait BatchWrite: Debug + Send + Sync + 'static {
    type Input: Send + Sync + Debug + 'static;
    type Output: Send + Sync + Debug + 'static;
    type Entry: Clone + Send + Sync + Debug + 'static;
    const NAME: &'static str;

    /// The entries of the request, and a label (the table) to report under.
    fn entries(input: &mut Self::Input) -> (String, &mut Vec<Self::Entry>);

    /// Reports `refused` entries (with their positions in the request as
    /// sent by the caller) as refused in `output`.
    fn refuse(output: &mut Self::Output, label: &str, refused: Vec<(usize, Self::Entry)>);
}

/// Injects the planned [`Fault`]s into successive calls of operation `W`;
/// calls beyond the plan go through untouched. Clone it to keep a handle for
/// assertions after giving it to a client.
#[derive(Debug)]
pub struct Faults<W: BatchWrite> {
    state: Arc<Mutex<State<W::Entry>>>,
    operation: PhantomData<fn() -> W>,
}

impl<W: BatchWrite> Clone for Faults<W> {
    fn clone(&self) -> Self {
        Self { state: self.state.clone(), operation: PhantomData }
    }
}

#[derive(Debug)]
struct State<E> {
    plan: VecDeque<Fault>,
    /// Entries taken out of the call in flight, with their positions.
    refused: Vec<(usize, E)>,
    label: String,
    /// The number of entries each call carried, in call order.
    call_sizes: Vec<usize>,
    /// When the last call's answer came back, and the time from each answer
    /// to the next call: the caller's own waits, without the backend's time.
    last_answer: Option<Instant>,
    waits: Vec<Duration>,
    /// A call of this operation is on its way (the interceptor sees the
    /// client's other calls too: creating the table, listing shards).
    in_flight: bool,
    /// The call in flight lost every entry to refusals: it carries
    /// [`EMPTIED_BY_FAULTS`].
    emptied: bool,
}

impl<W: BatchWrite> Faults<W> {
    pub fn new(plan: impl IntoIterator<Item = Fault>) -> Self {
        let state = State {
            plan: plan.into_iter().collect(),
            refused: Vec::new(),
            label: String::new(),
            call_sizes: Vec::new(),
            last_answer: None,
            waits: Vec::new(),
            in_flight: false,
            emptied: false,
        };
        Self { state: Arc::new(Mutex::new(state)), operation: PhantomData }
    }

    /// How many entries each call carried, in order.
    pub fn call_sizes(&self) -> Vec<usize> {
        self.state.lock().unwrap().call_sizes.clone()
    }

    /// How long the caller waited between an answer and its next call, for
    /// each call after the first: its backoff, measured apart from the time
    /// the backend takes to answer.
    pub fn waits_between_calls(&self) -> Vec<Duration> {
        self.state.lock().unwrap().waits.clone()
    }
}

impl<W: BatchWrite> Intercept for Faults<W> {
    fn name(&self) -> &'static str {
        W::NAME
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(input) = context.input_mut().downcast_mut::<W::Input>() else {
            return Ok(());
        };
        let (label, entries) = W::entries(input);
        let mut state = self.state.lock().unwrap();
        state.call_sizes.push(entries.len());
        if let Some(answered) = state.last_answer {
            state.waits.push(answered.elapsed());
        }
        state.in_flight = true;
        match state.plan.pop_front() {
            None | Some(Fault::Pass) => Ok(()),
            Some(Fault::FailCall) => {
                Err(format!("injected fault: the {} call failed", W::NAME).into())
            }
            Some(Fault::Refuse(mut positions)) => {
                positions.retain(|&p| p < entries.len());
                positions.sort_unstable();
                positions.dedup();
                let mut refused: Vec<(usize, W::Entry)> =
                    positions.iter().rev().map(|&p| (p, entries.remove(p))).collect();
                refused.reverse();
                state.emptied = entries.is_empty();
                state.refused = refused;
                state.label = label;
                Ok(())
            }
        }
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if std::mem::take(&mut self.state.lock().unwrap().emptied) {
            context.request_mut().headers_mut().insert(EMPTIED_BY_FAULTS, "true");
        }
        Ok(())
    }

    fn modify_before_attempt_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let mut state = self.state.lock().unwrap();
        if std::mem::take(&mut state.in_flight) {
            state.last_answer = Some(Instant::now());
        }
        if state.refused.is_empty() {
            return Ok(());
        }
        let Some(Ok(output)) = context.output_or_error_mut() else {
            return Ok(());
        };
        if let Some(output) = output.downcast_mut::<W::Output>() {
            let refused = std::mem::take(&mut state.refused);
            W::refuse(output, &state.label, refused);
        }
        Ok(())
    }
}

/// Kinesis `PutRecords`: refused records get `ProvisionedThroughputExceededException`.
#[derive(Debug)]
pub enum PutRecords {}

impl BatchWrite for PutRecords {
    type Input = aws_sdk_kinesis::operation::put_records::PutRecordsInput;
    type Output = aws_sdk_kinesis::operation::put_records::PutRecordsOutput;
    type Entry = aws_sdk_kinesis::types::PutRecordsRequestEntry;
    const NAME: &'static str = "PutRecordsFaults";

    fn entries(input: &mut Self::Input) -> (String, &mut Vec<Self::Entry>) {
        (input.stream_name.clone().unwrap_or_default(), input.records.get_or_insert_with(Vec::new))
    }

    fn refuse(output: &mut Self::Output, _label: &str, refused: Vec<(usize, Self::Entry)>) {
        for (position, _) in &refused {
            let failure = aws_sdk_kinesis::types::PutRecordsResultEntry::builder()
                .error_code("ProvisionedThroughputExceededException")
                .error_message("Rate exceeded for shard (injected by the test)")
                .build();
            output.records.insert((*position).min(output.records.len()), failure);
        }
        output.failed_record_count =
            Some(output.failed_record_count.unwrap_or(0) + refused.len() as i32);
    }
}

/// DynamoDB `BatchWriteItem` (one table per call): refused items come back
/// in `UnprocessedItems`.
#[derive(Debug)]
pub enum BatchWriteItem {}

impl BatchWrite for BatchWriteItem {
    type Input = aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemInput;
    type Output = aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemOutput;
    type Entry = aws_sdk_dynamodb::types::WriteRequest;
    const NAME: &'static str = "BatchWriteItemFaults";

    fn entries(input: &mut Self::Input) -> (String, &mut Vec<Self::Entry>) {
        let tables = input.request_items.get_or_insert_with(Default::default);
        let table = tables.keys().next().cloned().unwrap_or_default();
        (table.clone(), tables.entry(table).or_default())
    }

    fn refuse(output: &mut Self::Output, table: &str, refused: Vec<(usize, Self::Entry)>) {
        let unprocessed = output.unprocessed_items.get_or_insert_with(Default::default);
        unprocessed
            .entry(table.to_owned())
            .or_default()
            .extend(refused.into_iter().map(|(_, entry)| entry));
    }
}

/// Faults for Kinesis `PutRecords` calls.
pub type PutRecordsFaults = Faults<PutRecords>;
/// Faults for DynamoDB `BatchWriteItem` calls.
pub type BatchWriteItemFaults = Faults<BatchWriteItem>;

/// Counts the calls of one operation (the one whose input type is `I`) and
/// fails those the plan says to fail (`true`), before they are sent — as a
/// network failure or a throttled call would.
#[derive(Debug)]
pub struct CallFaults<I> {
    state: Arc<Mutex<(VecDeque<bool>, usize)>>,
    operation: PhantomData<fn() -> I>,
}

impl<I> Clone for CallFaults<I> {
    fn clone(&self) -> Self {
        Self { state: self.state.clone(), operation: PhantomData }
    }
}

impl<I: Send + Sync + Debug + 'static> CallFaults<I> {
    /// `plan[n]` says whether call `n` fails; calls beyond it succeed.
    pub fn new(plan: impl IntoIterator<Item = bool>) -> Self {
        Self {
            state: Arc::new(Mutex::new((plan.into_iter().collect(), 0))),
            operation: PhantomData,
        }
    }

    /// Counts the calls, fails none.
    pub fn counting() -> Self {
        Self::new([])
    }

    /// The calls made so far (failed ones included).
    pub fn calls(&self) -> usize {
        self.state.lock().unwrap().1
    }
}

impl<I: Send + Sync + Debug + 'static> Intercept for CallFaults<I> {
    fn name(&self) -> &'static str {
        "CallFaults"
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if context.input().downcast_ref::<I>().is_none() {
            return Ok(());
        }
        let mut state = self.state.lock().unwrap();
        state.1 += 1;
        match state.0.pop_front() {
            Some(true) => Err(format!("injected fault: call {} failed", state.1).into()),
            _ => Ok(()),
        }
    }
}

/// Kinesis `GetRecords` answering its first `count` calls with an **empty
/// page still behind the tip** (`MillisBehindLatest` 2,000) whose next
/// iterator is the one the call was made with: what Kinesis answers while an
/// iterator crosses a stretch of the shard with no data, although records lie
/// further on. A reader must go on until a page is empty *and* at 0 ms behind.
#[derive(Clone, Debug)]
pub struct EmptyPagesBehind {
    state: Arc<Mutex<EmptyPages>>,
}

#[derive(Debug)]
struct EmptyPages {
    remaining: usize,
    served: usize,
    iterator: Option<String>,
}

impl EmptyPagesBehind {
    pub fn new(count: usize) -> Self {
        let state = EmptyPages { remaining: count, served: 0, iterator: None };
        Self { state: Arc::new(Mutex::new(state)) }
    }

    /// How many empty pages it has served so far.
    pub fn served(&self) -> usize {
        self.state.lock().unwrap().served
    }
}

impl Intercept for EmptyPagesBehind {
    fn name(&self) -> &'static str {
        "EmptyPagesBehind"
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(input) = context
            .input_mut()
            .downcast_mut::<aws_sdk_kinesis::operation::get_records::GetRecordsInput>(
        ) {
            self.state.lock().unwrap().iterator = input.shard_iterator.clone();
        }
        Ok(())
    }

    fn modify_before_attempt_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let mut state = self.state.lock().unwrap();
        if state.remaining == 0 {
            return Ok(());
        }
        let Some(Ok(output)) = context.output_or_error_mut() else { return Ok(()) };
        let Some(page) =
            output.downcast_mut::<aws_sdk_kinesis::operation::get_records::GetRecordsOutput>()
        else {
            return Ok(());
        };
        state.remaining -= 1;
        state.served += 1;
        // The records of this call are not lost: the next call starts from
        // the same iterator, and reads them.
        page.records.clear();
        page.millis_behind_latest = Some(2_000);
        page.next_shard_iterator = state.iterator.clone();
        Ok(())
    }
}

/// Changes each parsed answer of one operation (the one whose output type is
/// `O`) before the caller sees it: for answers that AWS gives and the local
/// backend never does — a stream caught while `DELETING`, a last page whose
/// `NextToken` is an empty string rather than absent.
pub struct EditOutput<O> {
    edit: Arc<dyn Fn(&mut O) + Send + Sync>,
    edited: Arc<Mutex<usize>>,
}

impl<O> Clone for EditOutput<O> {
    fn clone(&self) -> Self {
        Self { edit: self.edit.clone(), edited: self.edited.clone() }
    }
}

impl<O> Debug for EditOutput<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EditOutput").field("edited", &*self.edited.lock().unwrap()).finish()
    }
}

impl<O: Send + Sync + Debug + 'static> EditOutput<O> {
    pub fn new(edit: impl Fn(&mut O) + Send + Sync + 'static) -> Self {
        Self { edit: Arc::new(edit), edited: Arc::new(Mutex::new(0)) }
    }

    /// How many answers it has changed so far.
    pub fn edited(&self) -> usize {
        *self.edited.lock().unwrap()
    }
}

impl<O: Send + Sync + Debug + 'static> Intercept for EditOutput<O> {
    fn name(&self) -> &'static str {
        "EditOutput"
    }

    fn modify_before_attempt_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(Ok(output)) = context.output_or_error_mut() else { return Ok(()) };
        if let Some(output) = output.downcast_mut::<O>() {
            (self.edit)(output);
            *self.edited.lock().unwrap() += 1;
        }
        Ok(())
    }
}

/// Changes each request of one operation (the one whose input type is `I`)
/// before it is sent: for example a smaller `Limit` on a `Scan`, so that a
/// small table answers in several pages, as a big one does on AWS (a Scan
/// page stops at 1 MB).
pub struct EditInput<I> {
    edit: Arc<dyn Fn(&mut I) + Send + Sync>,
}

impl<I> Clone for EditInput<I> {
    fn clone(&self) -> Self {
        Self { edit: self.edit.clone() }
    }
}

impl<I> Debug for EditInput<I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EditInput")
    }
}

impl<I: Send + Sync + Debug + 'static> EditInput<I> {
    pub fn new(edit: impl Fn(&mut I) + Send + Sync + 'static) -> Self {
        Self { edit: Arc::new(edit) }
    }
}

impl<I: Send + Sync + Debug + 'static> Intercept for EditInput<I> {
    fn name(&self) -> &'static str {
        "EditInput"
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(input) = context.input_mut().downcast_mut::<I>() {
            (self.edit)(input);
        }
        Ok(())
    }
}
