//! Person assignment in the service (`roe serve --assign`): one assigner
//! per served policy version, assigning each request's records in input
//! order and committing before the answer is made, so no answer names an
//! assignment that was not kept. State lives where `--state` says:
//! PostgreSQL for replicas (each request's records in one transaction
//! under the state's lock), an SQLite file for one process, else memory.
//! The roster is the one the state keeps, read at each request, so a
//! roster any replica saves is the one every replica uses.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use jiff::Timestamp;

use super::catalog::Served;
use crate::assign::{Assigner, Roster, State, Store, StoreError};
use crate::diagnostics::codes;
use crate::vm::{Decision, RecordError, RecordId};

/// The assigners of a service.
#[derive(Debug)]
pub struct Assigning {
    /// The state's file or URL; `None` keeps state in memory.
    state: Option<PathBuf>,
    /// Each policy's assigner, by name.
    slots: Mutex<BTreeMap<String, Arc<Mutex<Slot>>>>,
    /// Without `--state`, the roster saved over the API.
    roster: Mutex<Option<String>>,
}

/// A policy version's assigner and the roster text it picks with.
struct Slot {
    version: String,
    roster: Option<String>,
    assigner: Assigner<Box<dyn Store + Send>>,
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot")
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// A record as decided, to be assigned.
pub type Outcome = (Option<RecordId>, Result<Decision, RecordError>);

impl Assigning {
    /// Assigning with state in `state` (a file or a postgres:// URL), or in
    /// memory; the state is opened once now, so a bad one stops the start.
    pub fn new(state: Option<PathBuf>) -> Result<Assigning, String> {
        if let Some(path) = &state {
            crate::assign::open_store(path).map_err(|e| e.to_string())?;
        }
        Ok(Assigning {
            state,
            slots: Mutex::new(BTreeMap::new()),
            roster: Mutex::new(None),
        })
    }

    /// Whether state lives in memory (no I/O to wait for).
    pub fn in_memory(&self) -> bool {
        self.state.is_none()
    }

    /// A store for a new assigner.
    fn store(&self) -> Result<Box<dyn Store + Send>, StoreError> {
        match &self.state {
            Some(path) => crate::assign::open_store(path),
            None => Ok(Box::new(State::new())),
        }
    }

    /// Gives each decided record's hand-offs their assignees at `now`, in
    /// order, with `served`'s assigner, and commits.
    pub fn assign(
        &self,
        served: &Served,
        decided: &mut [Outcome],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let slot = self.slot(served)?;
        let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
        let done = self.assign_in(&mut slot, decided, now);
        if done.is_err() {
            // A store that failed midway is not reused: its uncommitted
            // work goes with its connection.
            drop(slot);
            self.slots
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&served.name);
        }
        done
    }

    fn assign_in(
        &self,
        slot: &mut Slot,
        decided: &mut [Outcome],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let roster = match &self.state {
            Some(_) => slot.assigner.store().roster()?,
            None => self
                .roster
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        };
        if roster != slot.roster {
            slot.assigner.set_roster(read_roster(roster.as_deref())?);
            slot.roster = roster;
        }
        for (id, outcome) in decided.iter_mut() {
            if let Ok(decision) = outcome {
                *decision = slot.assigner.assign(id.as_ref(), decision, now)?;
            }
        }
        slot.assigner.commit()
    }

    /// The assigner of `served`'s version, made when first needed.
    fn slot(&self, served: &Served) -> Result<Arc<Mutex<Slot>>, StoreError> {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = slots.get(&served.name)
            && slot.lock().unwrap_or_else(PoisonError::into_inner).version == served.version
        {
            return Ok(slot.clone());
        }
        let slot = Arc::new(Mutex::new(Slot {
            version: served.version.clone(),
            // Read at the first request.
            roster: Some(String::new()),
            assigner: Assigner::new(served.policy.program(), Roster::empty(), self.store()?),
        }));
        slots.insert(served.name.clone(), slot.clone());
        Ok(slot)
    }

    /// The roster kept (its JSON text; `[]` when none was saved).
    pub fn roster(&self) -> Result<String, StoreError> {
        let kept = match &self.state {
            Some(_) => self.store()?.roster()?,
            None => self
                .roster
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        };
        Ok(kept.unwrap_or_else(|| "[]".to_owned()))
    }

    /// Keeps `roster` (checked JSON text) for every assigner (and, with a
    /// shared state, every replica) from their next request on.
    pub fn save_roster(&self, roster: &str) -> Result<(), StoreError> {
        match &self.state {
            Some(_) => {
                let mut store = self.store()?;
                store.save_roster(roster)?;
                store.commit()
            }
            None => {
                *self.roster.lock().unwrap_or_else(PoisonError::into_inner) =
                    Some(roster.to_owned());
                Ok(())
            }
        }
    }
}

/// The roster of a kept text (none: the empty roster).
fn read_roster(text: Option<&str>) -> Result<Roster, StoreError> {
    match text {
        None => Ok(Roster::empty()),
        Some(text) => Roster::read(text).map_err(|e| StoreError {
            code: codes::STATE_UNREADABLE,
            message: format!("the roster kept in the state cannot be read: {e}"),
        }),
    }
}
