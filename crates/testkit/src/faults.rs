//! Fault injection for `PutRecords`, against the real local backend.
//!
//! Kinesis may refuse *some* records of a `PutRecords` call (the shard is
//! over its write limit: `ProvisionedThroughputExceededException`) while it
//! stores the others, and says so per record in the answer. The local
//! backend never does that, so tests add it with an SDK interceptor:
//!
//! 1. before the request is serialized, the "throttled" records are taken
//!    out of it, so the backend really does not store them;
//! 2. after the answer is parsed, a failure entry is put back at their
//!    places, exactly as Kinesis reports a throttled record.
//!
//! A producer that retries only the failed records therefore ends with every
//! record stored once, and one that drops or re-sends records is caught.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use aws_sdk_kinesis::config::interceptors::{
    BeforeSerializationInterceptorContextMut, FinalizerInterceptorContextMut,
};
use aws_sdk_kinesis::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_kinesis::operation::put_records::{PutRecordsInput, PutRecordsOutput};
use aws_sdk_kinesis::types::PutRecordsResultEntry;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What happens to one `PutRecords` call.
#[derive(Clone, Debug)]
pub enum Fault {
    /// The call goes through untouched.
    Pass,
    /// Kinesis refuses the records at these positions of the call.
    Throttle(Vec<usize>),
    /// The whole call fails before it is sent (as a network failure would).
    FailCall,
}

/// Injects the planned [`Fault`]s into successive `PutRecords` calls; calls
/// beyond the plan go through untouched. Clone it to keep a handle for
/// assertions after giving it to [`crate::kinesis_with`].
#[derive(Clone, Debug, Default)]
pub struct PutRecordsFaults {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    plan: VecDeque<Fault>,
    /// Positions taken out of the call in flight, to report as failed.
    throttled: Vec<usize>,
    /// The number of records each call asked to put, in call order.
    call_sizes: Vec<usize>,
}

impl PutRecordsFaults {
    pub fn new(plan: impl IntoIterator<Item = Fault>) -> Self {
        let faults = Self::default();
        faults.state.lock().unwrap().plan = plan.into_iter().collect();
        faults
    }

    /// How many records each `PutRecords` call carried, in order.
    pub fn call_sizes(&self) -> Vec<usize> {
        self.state.lock().unwrap().call_sizes.clone()
    }
}

impl Intercept for PutRecordsFaults {
    fn name(&self) -> &'static str {
        "PutRecordsFaults"
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(input) = context.input_mut().downcast_mut::<PutRecordsInput>() else {
            return Ok(());
        };
        let records = input.records.get_or_insert_with(Vec::new);
        let mut state = self.state.lock().unwrap();
        state.call_sizes.push(records.len());
        match state.plan.pop_front() {
            None | Some(Fault::Pass) => Ok(()),
            Some(Fault::FailCall) => Err("injected fault: the PutRecords call failed".into()),
            Some(Fault::Throttle(mut positions)) => {
                positions.retain(|&p| p < records.len());
                positions.sort_unstable();
                positions.dedup();
                for &position in positions.iter().rev() {
                    records.remove(position);
                }
                state.throttled = positions;
                Ok(())
            }
        }
    }

    fn modify_before_attempt_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let mut state = self.state.lock().unwrap();
        if state.throttled.is_empty() {
            return Ok(());
        }
        let Some(Ok(output)) = context.output_or_error_mut() else {
            return Ok(());
        };
        let Some(output) = output.downcast_mut::<PutRecordsOutput>() else {
            return Ok(());
        };
        let throttled = std::mem::take(&mut state.throttled);
        for &position in &throttled {
            let failure = PutRecordsResultEntry::builder()
                .error_code("ProvisionedThroughputExceededException")
                .error_message("Rate exceeded for shard (injected by the test)")
                .build();
            output.records.insert(position.min(output.records.len()), failure);
        }
        output.failed_record_count =
            Some(output.failed_record_count.unwrap_or(0) + throttled.len() as i32);
        Ok(())
    }
}
