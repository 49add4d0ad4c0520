//! Documents on their way to the writer thread, handed over many at a time and counted
//! until the writer has indexed them.
//!
//! The one writer thread is the slowest stage of a build. tantivy's queue in front of it is
//! bounded by hand-overs (10,000), not documents: left to itself the queue fills, and from
//! then on each hand-over the writer takes wakes this thread for one more, a pair of
//! context switches per hand-over. Counting the documents in flight bounds the queue by
//! documents instead, and lets this thread sleep once until the writer has worked the
//! queue down to half, then refill it in one go.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::thread::Thread;
use std::time::{Duration, Instant};

use tantivy::indexer::UserOperation;
use tantivy::{Document, TantivyDocument};

/// The writer of gloss's index runs: its documents carry their place in the count.
pub type Writer = tantivy::IndexWriter<Doc>;

/// Documents per hand-over to the writer thread.
const DOCS_PER_HANDOVER: usize = 32;

/// Documents in flight above which the next hand-over waits for the writer ...
const HIGH: usize = 4096;

/// ... until this many are left (or the writer stopped taking them, see [`Gate::wait`]).
const LOW: usize = HIGH / 2;

/// How long a wait lasts when the writer takes nothing meanwhile: it is writing a full
/// segment out, or it died (then the documents it left queued are never released, and the
/// next hand-over reports its error).
const PATIENCE: Duration = Duration::from_millis(100);

/// A document for [`Writer`]: tantivy's own, and for the last of a hand-over, the ticket
/// that releases the hand-over's count when the writer drops it, once it is indexed.
pub struct Doc {
    doc: TantivyDocument,
    _ticket: Option<Ticket>,
}

impl Document for Doc {
    type Value<'a> = <TantivyDocument as Document>::Value<'a>;
    type FieldsValuesIter<'a> = <TantivyDocument as Document>::FieldsValuesIter<'a>;

    fn iter_fields_and_values(&self) -> Self::FieldsValuesIter<'_> {
        self.doc.iter_fields_and_values()
    }
}

/// Releases `docs` documents of the count when dropped.
struct Ticket {
    gate: Arc<Gate>,
    docs: usize,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.gate.release(self.docs);
    }
}

/// The count of documents in flight, and the thread that hands them over.
struct Gate {
    queued: AtomicUsize,
    waiting: AtomicBool,
    owner: Thread,
}

impl Gate {
    /// A count starting at `queued`, for the calling thread to wait on.
    fn new(queued: usize) -> Gate {
        Gate {
            queued: AtomicUsize::new(queued),
            waiting: AtomicBool::new(false),
            owner: std::thread::current(),
        }
    }

    fn release(&self, docs: usize) {
        let left = self.queued.fetch_sub(docs, SeqCst) - docs;
        if left <= LOW && self.waiting.load(SeqCst) {
            self.owner.unpark();
        }
    }

    /// Returns at once while at most [`HIGH`] documents are in flight; otherwise when the
    /// writer has brought them down to [`LOW`], or took none for [`PATIENCE`].
    fn wait(&self) {
        if self.queued.load(SeqCst) <= HIGH {
            return;
        }
        self.waiting.store(true, SeqCst);
        let mut last = self.queued.load(SeqCst);
        let mut since = Instant::now();
        while last > LOW {
            std::thread::park_timeout(PATIENCE);
            let now = self.queued.load(SeqCst);
            if now != last {
                (last, since) = (now, Instant::now());
            } else if since.elapsed() >= PATIENCE {
                break;
            }
        }
        self.waiting.store(false, SeqCst);
    }
}

/// Documents gathered on this thread and handed to the writer [`DOCS_PER_HANDOVER`] at a
/// time, in order.
pub struct Pump {
    gate: Arc<Gate>,
    docs: Vec<UserOperation<Doc>>,
}

impl Pump {
    /// A pump handing over from the calling thread (the one that waits for the writer).
    pub fn new() -> Pump {
        Pump {
            gate: Arc::new(Gate::new(0)),
            docs: Vec::with_capacity(DOCS_PER_HANDOVER),
        }
    }

    /// Adds `doc` after the documents before it; hands them over when there are enough.
    pub fn add(&mut self, writer: &Writer, doc: TantivyDocument) -> tantivy::Result<()> {
        self.docs
            .push(UserOperation::Add(Doc { doc, _ticket: None }));
        if self.docs.len() >= DOCS_PER_HANDOVER {
            self.flush(writer)?;
        }
        Ok(())
    }

    /// Hands the documents gathered so far to the writer; then, when too many are in
    /// flight, waits for the writer to catch up.
    pub fn flush(&mut self, writer: &Writer) -> tantivy::Result<()> {
        let docs = self.docs.len();
        let Some(UserOperation::Add(last)) = self.docs.last_mut() else {
            return Ok(());
        };
        self.gate.queued.fetch_add(docs, SeqCst);
        last._ticket = Some(Ticket {
            gate: Arc::clone(&self.gate),
            docs,
        });
        writer.run(self.docs.drain(..))?;
        self.gate.wait();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_releases_its_documents_and_wakes_a_waiting_owner() {
        let gate = Arc::new(Gate::new(HIGH + 10));
        let ticket = Ticket {
            gate: Arc::clone(&gate),
            docs: HIGH,
        };
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            drop(ticket);
        });
        gate.wait();
        assert_eq!(gate.queued.load(SeqCst), 10);
        assert!(!gate.waiting.load(SeqCst));
        writer.join().unwrap();
    }

    #[test]
    fn a_wait_gives_up_when_nothing_is_released() {
        let gate = Gate::new(HIGH + 1);
        gate.wait();
        assert_eq!(gate.queued.load(SeqCst), HIGH + 1);
    }
}
